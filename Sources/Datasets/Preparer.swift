import Foundation

/// What a `prepare` run produced and dropped.
public struct PrepareSummary: Sendable {
    public var manifest: Manifest
    public var report: CleaningReport
    public var directory: String
}

/// The `prepare` job: raw logs → clean sequences → dataset directory.
public struct Preparer: Sendable {
    public var read = ReadOptions()
    public var cleaning = CleaningOptions()
    /// Item metadata file for titles.
    public var itemMeta: String?
    public var strict = false
    public var force = false

    public init() {}

    /// Reads `inputs` and writes the dataset to `output`.
    public func run(inputs: [String], output: String) throws -> PrepareSummary {
        guard !inputs.isEmpty else { throw DatasetError.invalidOption("no input files given") }
        if !force && FileManager.default.fileExists(atPath: output) { throw DatasetError.outputExists(path: output) }
        for path in inputs where !FileManager.default.isReadableFile(atPath: path) {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw DatasetError.unreadable(path: path, reason: reason)
        }
        if let itemMeta, !FileManager.default.isReadableFile(atPath: itemMeta) {
            throw DatasetError.unreadable(path: itemMeta, reason: "no such file")
        }
        let log = try LogReader(options: read, strict: strict).read(paths: inputs)
        MemoryUsage.trace("after reading \(log.chunks.count) chunks, capacity \(log.chunks.reduce(0) { $0 + $1.users.capacity + $1.items.capacity }  * 4 / 1_048_576) MiB of ids")
        return try write(consume log, output: output)
    }

    /// Cleans an event log already in memory and writes it (the synthetic generator's path).
    public func write(_ log: consuming EventLog, output: String) throws -> PrepareSummary {
        let sources = log.sources
        let malformed = log.malformedLines
        let badLines = log.firstBadLines
        let droppedByRating = log.droppedByRating
        let droppedByEvent = log.droppedByEvent
        let hasTime = log.hasTime
        if log.eventCount == 0 {
            throw DatasetError.emptyResult("no events were read from \(sources.map(\.path).joined(separator: ", "))"
                + (malformed > 0 ? " (\(malformed) malformed lines, first: \(badLines.first!))" : ""))
        }
        let (sequences, report) = try SequenceBuilder.build(consume log, options: cleaning)
        let titles = try itemMeta.map { try ItemMetadata.titles(path: $0) }
        let titled = titles.map { titles in (1...sequences.itemCount).reduce(0) { $0 + (titles[sequences.originalItem(UInt32($1))] != nil ? 1 : 0) } } ?? 0
        let manifest = Manifest(
            counts: .init(users: sequences.sequenceCount, items: sequences.itemCount, events: sequences.items.count,
                          originalUsers: distinctUsers(sequences)),
            hasTimes: hasTime,
            sessions: sequences.sequenceSessions != nil,
            sources: sources,
            options: .init(read: read, cleaning: cleaning),
            dropped: .init(malformedLines: malformed, belowMinRating: droppedByRating, filteredEventTypes: droppedByEvent,
                           duplicates: report.duplicates, repeats: report.repeats, capped: report.capped,
                           coreEvents: report.coreEvents, coreSequences: report.coreSequences, coreItems: report.coreItems),
            badLines: badLines,
            created: TimestampParser.iso8601String(unixSeconds: Int64(Date().timeIntervalSince1970)),
            itemMeta: itemMeta,
            titledItems: titled)
        MemoryUsage.trace("after cleaning")
        try DatasetWriter.write(sequences, manifest: manifest, titles: titles, to: output, force: force)
        return PrepareSummary(manifest: manifest, report: report, directory: output)
    }

    private func distinctUsers(_ sequences: PreparedSequences) -> Int {
        guard sequences.sequenceSessions != nil else { return sequences.sequenceCount }
        return Set(sequences.sequenceUserKeys).count
    }
}
