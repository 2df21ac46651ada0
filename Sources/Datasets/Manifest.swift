import Foundation

/// `manifest.json` of a dataset directory: what it holds and how it was made.
public struct Manifest: Codable, Sendable, Equatable {
    /// The file's name inside a dataset directory; its presence marks a directory as a dataset.
    public static let fileName = "manifest.json"
    /// Always `trajectory-dataset`.
    public var format = Manifest.formatName
    public var version = Manifest.currentVersion
    /// Sequences (users, or sessions when cut), items (ids 1…items), events.
    public var counts: Counts
    /// Whether times.bin exists.
    public var hasTimes: Bool
    /// Whether sequences are sessions (users.tsv then has a session column).
    public var sessions: Bool
    public var sources: [SourceInfo]
    public var options: Options
    public var dropped: Dropped
    /// The first malformed lines, file:line and reason.
    public var badLines: [BadLine]
    /// ISO-8601 creation time.
    public var created: String
    /// True when every time was a date without a time of day: same-day repeats were kept, and
    /// events of one day keep their order in the file. Absent in older manifests.
    public var dayResolutionTimes: Bool? = nil
    /// The item metadata file titles came from, if any.
    public var itemMeta: String?
    /// Items with a title.
    public var titledItems: Int
    /// SHA-256 of the item ids in dense-id order (`ItemVocabulary.digest`): two datasets whose
    /// digests agree over a prefix give those items the same ids. Absent in older datasets.
    public var vocabularySHA256: String?
    /// The dataset whose vocabulary this one extends (`prepare --like`), if any.
    public var parent: Lineage?
    /// Event types in id order (events.bin holds ids 1…count, id t naming `eventTypes[t - 1]`),
    /// with how many events each has; absent when the log had no event column (and in older datasets).
    public var eventTypes: [EventType]? = nil
    /// Whether values.bin holds a strength per event (`prepare --value`); absent means no.
    public var hasValues: Bool? = nil
    /// Categorical item attributes in attributes/ (`prepare --attribute`); absent when none.
    public var itemAttributes: [ItemAttribute]? = nil

    /// One item attribute: its files are attributes/NAME.tsv, NAME.offsets.bin, NAME.values.bin.
    public struct ItemAttribute: Codable, Sendable, Equatable {
        public var name: String
        /// The column it was read from, and the file (the log itself or `--item-attributes`).
        public var column: String
        public var source: String
        /// Distinct values, and items with at least one.
        public var values: Int
        public var itemsWithValues: Int
    }

    /// One event type of the dataset's vocabulary.
    public struct EventType: Codable, Sendable, Equatable {
        public var name: String
        public var events: Int
        public init(name: String, events: Int) {
            self.name = name
            self.events = events
        }
    }

    public static let formatName = "trajectory-dataset"
    public static let currentVersion = 1

    public struct Counts: Codable, Sendable, Equatable {
        public var users: Int
        public var items: Int
        public var events: Int
        /// Distinct original users (differs from `users` when sessions were cut).
        public var originalUsers: Int
    }

    public struct Options: Codable, Sendable, Equatable {
        public var read: ReadOptions
        public var cleaning: CleaningOptions
    }

    /// Where a dataset prepared with `--like` got its item ids from.
    public struct Lineage: Codable, Sendable, Equatable {
        /// The parent dataset directory, as given.
        public var path: String
        /// The parent's vocabulary digest: items 1…`items` here have exactly the parent's ids.
        public var vocabularySHA256: String
        /// Items of the parent (ids 1…items keep their meaning here).
        public var items: Int
        /// Items first seen in this dataset (ids items+1…).
        public var newItems: Int
        /// Parent items with no event in this dataset (their ids are kept).
        public var absentItems: Int
        /// The parent's creation time.
        public var created: String
    }

    public struct Dropped: Codable, Sendable, Equatable {
        public var malformedLines: Int
        public var belowMinRating: Int
        public var filteredEventTypes: Int
        public var duplicates: Int
        public var repeats: Int
        public var capped: Int
        public var coreEvents: Int
        public var coreSequences: Int
        public var coreItems: Int
    }

    /// Encodes as pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads and checks the manifest of a dataset directory.
    public static func load(directory: String) throws -> Manifest {
        let path = directory + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.corruptDataset(path: directory, reason: "no manifest.json: not a dataset directory")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw DatasetError.corruptDataset(path: path, reason: "unreadable manifest: \(error)")
        }
        guard manifest.format == formatName else {
            throw DatasetError.corruptDataset(path: path, reason: "format is '\(manifest.format)', expected '\(formatName)'")
        }
        guard manifest.version <= currentVersion else {
            throw DatasetError.corruptDataset(path: path, reason: "version \(manifest.version) is newer than this build reads (\(currentVersion))")
        }
        return manifest
    }
}
