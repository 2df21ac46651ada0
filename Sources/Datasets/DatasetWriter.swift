import Core
import Foundation

/// Writes prepared sequences as a dataset directory (format: README, "The dataset directory"), atomically.
public enum DatasetWriter {
    /// Every file a dataset directory holds (what `prepare --force` may replace).
    public static let fileNames: Set<String> = [Manifest.fileName, "items.bin", "offsets.bin", "times.bin", "items.tsv", "users.tsv",
                                                "events.bin", "values.bin", StoredItemAttribute.directory]

    /// Writes `sequences` to `directory`. Titles are looked up by original item id.
    public static func write(_ sequences: PreparedSequences, manifest: Manifest, titles: [String: String]?,
                             attributes: [StoredItemAttribute] = [], to directory: String, force: Bool) throws {
        if !force && FileManager.default.fileExists(atPath: directory) { throw DatasetError.outputExists(path: directory) }
        if force { try AtomicOutput.checkReplaceable(directory, marker: Manifest.fileName, kind: "dataset", ownedNames: fileNames) }
        let temp = try AtomicOutput.makeTemporaryDirectory(for: directory)
        do {
            try AtomicOutput.writeArray(temp + "/items.bin", sequences.items)
            try AtomicOutput.writeArray(temp + "/offsets.bin", sequences.offsets)
            if manifest.hasTimes { try writeTimes(sequences.times, to: temp + "/times.bin") }
            if let events = sequences.events { try AtomicOutput.writeArray(temp + "/events.bin", events) }
            if let values = sequences.values { try AtomicOutput.writeArray(temp + "/values.bin", values) }
            if !attributes.isEmpty {
                let folder = temp + "/" + StoredItemAttribute.directory
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
                for attribute in attributes { try attribute.write(to: folder) }
            }
            try AtomicOutput.writeText(temp + "/items.tsv", itemsTable(sequences, titles: titles))
            try AtomicOutput.writeText(temp + "/users.tsv", usersTable(sequences))
            let json = try manifest.jsonData()
            try json.withUnsafeBytes { try AtomicOutput.writeFile(temp + "/manifest.json", $0) }
            try AtomicOutput.commitDirectory(temp, to: directory, force: force)
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            throw error
        }
    }

    /// times.bin holds Int64 unix seconds; they are converted from the compact form a block at a time.
    static func writeTimes(_ times: StoredTimes, to path: String) throws {
        let count = times.count
        var buffer = [Int64](repeating: 0, count: min(count, 1 << 16))
        try AtomicOutput.writeFile(path) { write in
            var start = 0
            while start < count {
                let end = min(count, start + buffer.count)
                for i in start..<end { buffer[i - start] = times.unixSeconds(at: i) }
                try buffer.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<((end - start) * 8)])) }
                start = end
            }
        }
    }

    /// `id  original  [title]`, one item a line, ids 1…N.
    static func itemsTable(_ sequences: PreparedSequences, titles: [String: String]?) -> String {
        var text = titles == nil ? "id\toriginal\n" : "id\toriginal\ttitle\n"
        text.reserveCapacity(sequences.itemCount * 24)
        for id in 1...max(1, sequences.itemCount) where id <= sequences.itemCount {
            let original = sequences.originalItem(UInt32(id))
            text += String(id)
            text += "\t"
            text += tsvField(original)
            if let titles {
                text += "\t"
                text += tsvField(titles[original] ?? "")
            }
            text += "\n"
        }
        return text
    }

    /// `sequence  user  [session]`, one sequence a line, sequences 0…S-1.
    static func usersTable(_ sequences: PreparedSequences) -> String {
        let sessions = sequences.sequenceSessions
        var text = sessions == nil ? "sequence\tuser\n" : "sequence\tuser\tsession\n"
        text.reserveCapacity(sequences.sequenceCount * 16)
        for index in 0..<sequences.sequenceCount {
            text += String(index)
            text += "\t"
            text += tsvField(sequences.originalUser(ofSequence: index))
            if let sessions {
                text += "\t"
                text += String(sessions[index])
            }
            text += "\n"
        }
        return text
    }

    /// Tabs and newlines inside a value would break the table: they become spaces.
    static func tsvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return value }
        return String(value.map { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }
}
