import Core
import Foundation

/// A dataset directory opened for reading: the binary files are memory-mapped, never copied.
public final class Dataset: Sendable {
    public let directory: String
    public let manifest: Manifest
    private let itemsFile: MappedFile
    private let offsetsFile: MappedFile
    private let timesFile: MappedFile?
    private let eventsFile: MappedFile?
    private let valuesFile: MappedFile?
    /// Categorical item attributes (`prepare --attribute`), each with its values per item.
    public let itemAttributes: [StoredItemAttribute]

    /// Item ids of all sequences, concatenated (1…itemCount; 0 never appears).
    public var items: UnsafeBufferPointer<UInt32> { itemsFile.buffer(of: UInt32.self) }
    /// `sequenceCount + 1` boundaries into `items`.
    public var offsets: UnsafeBufferPointer<UInt64> { offsetsFile.buffer(of: UInt64.self) }
    /// Unix seconds parallel to `items`, when the source had times.
    public var times: UnsafeBufferPointer<Int64>? { timesFile?.buffer(of: Int64.self) }
    /// Event type ids (1…`eventTypes.count`) parallel to `items`, when the dataset has them.
    public var events: UnsafeBufferPointer<UInt8>? { eventsFile?.buffer(of: UInt8.self) }
    /// Strengths (`prepare --value`) parallel to `items`, when the dataset has them.
    public var values: UnsafeBufferPointer<Float>? { valuesFile?.buffer(of: Float.self) }
    /// Event type names in id order (id t names `eventTypes[t - 1]`); empty without events.
    public var eventTypes: [String] { manifest.eventTypes?.map(\.name) ?? [] }

    public var sequenceCount: Int { manifest.counts.users }
    public var itemCount: Int { manifest.counts.items }
    public var eventCount: Int { manifest.counts.events }

    /// Opens `directory` and checks that its files agree with the manifest.
    public init(directory: String) throws {
        self.directory = directory
        manifest = try Manifest.load(directory: directory)
        func map(_ name: String) throws -> MappedFile {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                throw DatasetError.corruptDataset(path: directory, reason: "\(name) is missing")
            }
            return try MappedFile(path: path)
        }
        itemsFile = try map("items.bin")
        offsetsFile = try map("offsets.bin")
        timesFile = manifest.hasTimes ? try map("times.bin") : nil
        eventsFile = manifest.eventTypes != nil ? try map("events.bin") : nil
        valuesFile = manifest.hasValues == true ? try map("values.bin") : nil
        if let types = manifest.eventTypes, types.count > EventLog.maximumEventTypes {
            throw DatasetError.corruptDataset(path: directory + "/" + Manifest.fileName, reason: "\(types.count) event types, more than \(EventLog.maximumEventTypes)")
        }
        let counts = manifest.counts
        // The manifest is untrusted too: counts are checked against the files' sizes by division,
        // so absurd values (2^62 users, negative events) are an error instead of an overflow.
        guard counts.users >= 0, counts.events >= 0, counts.items >= 0, counts.items < Int(UInt32.max) else {
            throw DatasetError.corruptDataset(path: directory + "/" + Manifest.fileName,
                                              reason: "counts (users \(counts.users), items \(counts.items), events \(counts.events)) are out of range")
        }
        func expectSize(_ file: MappedFile, _ width: Int, _ entries: Int, _ name: String) throws {
            guard file.bytes.count % width == 0, file.bytes.count / width == entries else {
                let expected = entries.multipliedReportingOverflow(by: width)
                let wanted = expected.overflow ? "\(entries) entries of \(width) bytes" : "\(expected.partialValue)"
                throw DatasetError.corruptDataset(path: file.path, reason: "\(file.bytes.count) bytes, expected \(wanted) for \(name) in manifest.json")
            }
        }
        try expectSize(itemsFile, 4, counts.events, "\(counts.events) events")
        guard counts.users < Int.max else { throw DatasetError.corruptDataset(path: directory + "/" + Manifest.fileName, reason: "counts.users is out of range") }
        try expectSize(offsetsFile, 8, counts.users + 1, "\(counts.users) sequences")
        if let timesFile { try expectSize(timesFile, 8, counts.events, "\(counts.events) events") }
        if let eventsFile { try expectSize(eventsFile, 1, counts.events, "\(counts.events) events") }
        if let valuesFile { try expectSize(valuesFile, 4, counts.events, "\(counts.events) events") }
        let offsets = offsetsFile.buffer(of: UInt64.self)
        guard offsets.first == 0, offsets.last == UInt64(counts.events) else {
            throw DatasetError.corruptDataset(path: offsetsFile.path, reason: "offsets do not span the \(counts.events) events")
        }
        itemAttributes = try (manifest.itemAttributes ?? []).map { attribute in
            guard (try? ItemAttributeSpec(parsing: attribute.name))?.name == attribute.name else {
                throw DatasetError.corruptDataset(path: directory + "/" + Manifest.fileName, reason: "item attribute name '\(attribute.name)' is not a plain name")
            }
            return try StoredItemAttribute.read(name: attribute.name, directory: directory, itemCount: counts.items)
        }
        // Mapped files are untrusted: one pass over offsets and ids, so no later index can go out of bounds.
        try validate()
    }

    /// Checks every offset and item id (a full pass over the data; done when a dataset is opened).
    public func validate() throws {
        let offsets = self.offsets
        for s in 0..<sequenceCount where offsets[s] > offsets[s + 1] {
            throw DatasetError.corruptDataset(path: directory + "/offsets.bin", reason: "offsets decrease at sequence \(s) (\(offsets[s]) then \(offsets[s + 1]))")
        }
        let limit = UInt32(itemCount)
        let items = self.items
        // `id - 1` wraps 0 (padding) around to UInt32.max, so one comparison checks both ends.
        for (index, item) in items.enumerated() where item &- 1 >= limit {
            throw DatasetError.corruptDataset(path: directory + "/items.bin",
                                              reason: "item id \(item) at event \(index) is outside 1…\(limit) (manifest.json says \(limit) items)")
        }
        if let events {
            let types = UInt8(eventTypes.count)
            for (index, event) in events.enumerated() where event &- 1 >= types {
                throw DatasetError.corruptDataset(path: directory + "/events.bin",
                                                  reason: "event type \(event) at event \(index) is outside 1…\(types) (manifest.json lists \(types) event types)")
            }
        }
    }

    /// The id (1-based) of event type `name`, or an error naming the types the dataset has.
    public func eventTypeId(named name: String) throws -> UInt8 {
        guard events != nil else {
            throw DatasetError.invalidOption("\(directory) has no event types (prepare it with --event COLUMN) for a target event '\(name)'")
        }
        guard let index = eventTypes.firstIndex(of: name) else {
            throw DatasetError.invalidOption("\(directory) has no event type '\(name)' (it has \(eventTypes.joined(separator: ", ")))")
        }
        return UInt8(index + 1)
    }

    /// The index range into `items` of sequence `index`.
    @inline(__always)
    public func range(ofSequence index: Int) -> Range<Int> {
        Int(offsets[index])..<Int(offsets[index + 1])
    }

    /// The items of sequence `index`.
    public func sequence(_ index: Int) -> UnsafeBufferPointer<UInt32> {
        UnsafeBufferPointer(rebasing: items[range(ofSequence: index)])
    }

    /// Events per item id (index = id; index 0, padding, stays 0) over all events, or over the
    /// index `ranges` given (e.g. the training spans).
    public func itemEventCounts(in ranges: [Range<Int>]? = nil) -> [Int] {
        var counts = [Int](repeating: 0, count: itemCount + 1)
        let items = self.items
        for range in ranges ?? [0..<eventCount] { for index in range { counts[Int(items[index])] += 1 } }
        return counts
    }

    /// The original ids of items (index id-1) and their titles (empty when unknown), from items.tsv.
    public func itemTable() throws -> (originals: [String], titles: [String]) {
        let rows = try readTable("items.tsv")
        var originals = [String](repeating: "", count: itemCount)
        var titles = [String](repeating: "", count: itemCount)
        for row in rows {
            guard row.count >= 2, let id = Int(row[0]), id >= 1, id <= itemCount else { continue }
            originals[id - 1] = row[1]
            if row.count >= 3 { titles[id - 1] = row[2] }
        }
        return (originals, titles)
    }

    /// The original user id of each sequence (and its session number, when sessions were cut), from users.tsv.
    public func userTable() throws -> [(user: String, session: Int?)] {
        try readTable("users.tsv").map { row in (row.count > 1 ? row[1] : "", row.count > 2 ? Int(row[2]) : nil) }
    }

    private func readTable(_ name: String) throws -> [[String]] {
        let path = directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.corruptDataset(path: directory, reason: "\(name) is missing")
        }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).dropFirst().map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
