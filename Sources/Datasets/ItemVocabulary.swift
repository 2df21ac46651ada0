import Crypto
import Foundation

/// The item ids of a dataset in dense-id order, and the digest that tells whether another
/// dataset gives the same items the same ids (what a model's rows are indexed by).
public struct ItemVocabulary: Sendable, Equatable {
    /// Original item ids of dense ids 1…N (index id − 1).
    public var originals: [String]
    /// Titles of dense ids 1…N, empty where unknown.
    public var titles: [String]

    public init(originals: [String], titles: [String]) {
        self.originals = originals
        self.titles = titles
    }

    /// The vocabulary of a dataset directory, from its items.tsv.
    public init(dataset: Dataset) throws {
        (originals, titles) = try dataset.itemTable()
        if let empty = originals.firstIndex(of: "") {
            throw DatasetError.corruptDataset(path: dataset.directory + "/items.tsv", reason: "item id \(empty + 1) has no original id")
        }
        // One original id for two items would send a request's id to either row.
        var firstId: [String: Int] = [:]
        firstId.reserveCapacity(originals.count)
        for (index, original) in originals.enumerated() {
            if let earlier = firstId.updateValue(index + 1, forKey: original) {
                throw DatasetError.corruptDataset(path: dataset.directory + "/items.tsv",
                                                  reason: "original id '\(original)' is given to items \(earlier) and \(index + 1)")
            }
        }
    }

    public var count: Int { originals.count }

    /// SHA-256 (hex) of the first `prefix` original ids (all by default), each followed by a newline.
    public func digest(prefix: Int? = nil) -> String {
        Self.digest(originals.prefix(prefix ?? originals.count))
    }

    /// SHA-256 (hex) of `originals`, each followed by a newline.
    public static func digest<S: Sequence<String>>(_ originals: S) -> String {
        var hasher = SHA256()
        for original in originals {
            hasher.update(data: Data(original.utf8))
            hasher.update(data: Data([0x0A]))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The titles by original id (only items that have one).
    public var titlesByOriginal: [String: String] {
        var result: [String: String] = [:]
        for (original, title) in zip(originals, titles) where !title.isEmpty { result[original] = title }
        return result
    }
}
