import Core
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
    /// An existing dataset whose item ids to keep (`prepare --like`): its items keep their ids,
    /// new items get the next ones, and the manifest records the lineage.
    public var like: String?
    /// Categorical item attributes to keep, read from `itemAttributes` (a side table) or, when
    /// that is nil, from the input logs' own columns.
    public var attributes: [ItemAttributeSpec] = []
    public var itemAttributes: String?

    public init() {}

    /// Reads `inputs` and writes the dataset to `output`.
    public func run(inputs: [String], output: String) throws -> PrepareSummary {
        guard !inputs.isEmpty else { throw DatasetError.invalidOption("no input files given") }
        if !force && FileManager.default.fileExists(atPath: output) { throw DatasetError.outputExists(path: output) }
        if force {
            try AtomicOutput.checkReplaceable(output, marker: Manifest.fileName, kind: "dataset", ownedNames: DatasetWriter.fileNames, inputs: inputs + [itemMeta, like].compactMap { $0 })
        }
        for path in inputs where !FileManager.default.isReadableFile(atPath: path) {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw DatasetError.unreadable(path: path, reason: reason)
        }
        if let itemMeta, !FileManager.default.isReadableFile(atPath: itemMeta) {
            throw DatasetError.unreadable(path: itemMeta, reason: "no such file")
        }
        if let itemAttributes, !FileManager.default.isReadableFile(atPath: itemAttributes) {
            throw DatasetError.unreadable(path: itemAttributes, reason: "no such file")
        }
        let log = try LogReader(options: read, strict: strict).read(paths: inputs)
        MemoryUsage.trace("after reading \(log.chunks.count) chunks, capacity \(log.chunks.reduce(0) { $0 + $1.users.capacity + $1.items.capacity }  * 4 / 1_048_576) MiB of ids")
        return try write(consume log, output: output, logs: inputs)
    }

    /// Cleans an event log already in memory and writes it (the synthetic generator's path).
    /// `logs` are the files the log was read from, where `attributes` without an
    /// `itemAttributes` table are read (none for generated events).
    public func write(_ log: consuming EventLog, output: String, logs: [String] = []) throws -> PrepareSummary {
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
        let parent = try like.map { try Dataset(directory: $0) }
        let parentVocabulary = try parent.map { try ItemVocabulary(dataset: $0) }
        var (sequences, report) = try SequenceBuilder.build(consume log, options: cleaning, knownItems: parentVocabulary?.originals)
        if let parentTypes = parent?.manifest.eventTypes?.map(\.name) { try Self.keepEventTypeIds(of: parentTypes, in: &sequences) }
        var titles = try itemMeta.map { try ItemMetadata.titles(path: $0) }
        if let inherited = parentVocabulary?.titlesByOriginal, !inherited.isEmpty {
            // Known items keep the parent's titles unless the metadata given now has newer ones.
            titles = inherited.merging(titles ?? [:]) { _, given in given }
        }
        let titled = titles.map { titles in (1...sequences.itemCount).reduce(0) { $0 + (titles[sequences.originalItem(UInt32($1))] != nil ? 1 : 0) } } ?? 0
        var manifest = Manifest(
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
            dayResolutionTimes: report.dayResolutionTimes ? true : nil,
            itemMeta: itemMeta,
            titledItems: titled,
            vocabularySHA256: ItemVocabulary.digest((0..<sequences.itemCount).lazy.map { DatasetWriter.tsvField(sequences.originalItem(UInt32($0 + 1))) }),
            parent: parent.flatMap { parent in parentVocabulary.map { lineage(parent: parent, vocabulary: $0, sequences: sequences) } },
            eventTypes: sequences.events.map { Self.eventTypeCounts(names: sequences.eventTypes, events: $0) },
            hasValues: sequences.values != nil ? true : nil)
        MemoryUsage.trace("after cleaning")
        let attributes = try readAttributes(sequences: sequences, parent: parent, logs: logs)
        if !attributes.isEmpty {
            manifest.itemAttributes = attributes.map {
                Manifest.ItemAttribute(name: $0.stored.name, column: $0.column, source: $0.source,
                                       values: $0.stored.vocabulary.count, itemsWithValues: $0.stored.itemsWithValues)
            }
        }
        try DatasetWriter.write(sequences, manifest: manifest, titles: titles, attributes: attributes.map(\.stored), to: output, force: force)
        return PrepareSummary(manifest: manifest, report: report, directory: output)
    }

    /// The attributes asked for, per dataset item, value ids of the parent's attributes kept.
    private func readAttributes(sequences: PreparedSequences, parent: Dataset?, logs: [String]) throws
        -> [(stored: StoredItemAttribute, column: String, source: String)] {
        guard !attributes.isEmpty else { return [] }
        var names = Set<String>()
        for spec in attributes where !names.insert(spec.name).inserted {
            throw DatasetError.invalidOption("--attribute \(spec.name) is given twice")
        }
        let sources = itemAttributes.map { [$0] } ?? logs
        guard !sources.isEmpty else { throw DatasetError.invalidOption("--attribute needs --item-attributes FILE (or a log to read the columns from)") }
        if itemAttributes == nil, read.format == .jsonl || sources.contains(where: { $0.hasSuffix(".jsonl") || $0.hasSuffix(".jsonl.gz") }) {
            throw DatasetError.invalidOption("--attribute reads delimited text: give the attributes as a CSV/TSV table with --item-attributes FILE")
        }
        var merged = [[String: [String]]](repeating: [:], count: attributes.count)
        for source in sources {
            let tables = try ItemAttributeReader.read(path: source, specs: attributes, itemColumn: itemAttributes == nil ? read.item : nil)
            for index in tables.indices {
                merged[index].merge(tables[index]) { old, new in old + new.filter { !old.contains($0) } }
            }
        }
        return try attributes.enumerated().map { index, spec in
            let known = try parent.flatMap { parent in try parent.itemAttributes.first { $0.name == spec.name }?.vocabulary } ?? []
            let stored = StoredItemAttribute(name: spec.name, valuesByItem: merged[index], itemCount: sequences.itemCount,
                                             original: { sequences.originalItem(UInt32($0)) }, known: known)
            return (stored, "\(spec.column)", itemAttributes ?? sources.joined(separator: ", "))
        }
    }

    /// Gives the parent's event types their ids again (`--like`): its types first, in its order,
    /// then types new here, so a model's event embedding rows keep their meaning.
    static func keepEventTypeIds(of parentTypes: [String], in sequences: inout PreparedSequences) throws {
        guard var events = sequences.events else { return }
        var names = parentTypes
        for name in sequences.eventTypes where !names.contains(name) { names.append(name) }
        guard names.count <= EventLog.maximumEventTypes else {
            throw DatasetError.invalidOption("the parent's \(parentTypes.count) event types and the new ones make \(names.count), more than \(EventLog.maximumEventTypes)")
        }
        let newId = [UInt8(0)] + sequences.eventTypes.map { UInt8(names.firstIndex(of: $0)! + 1) }
        for i in events.indices { events[i] = newId[Int(events[i])] }
        sequences.events = events
        sequences.eventTypes = names
    }

    static func eventTypeCounts(names: [String], events: [UInt8]) -> [Manifest.EventType] {
        var counts = [Int](repeating: 0, count: names.count + 1)
        for event in events { counts[Int(event)] += 1 }
        return names.enumerated().map { Manifest.EventType(name: $1, events: counts[$0 + 1]) }
    }

    private func lineage(parent: Dataset, vocabulary: ItemVocabulary, sequences: PreparedSequences) -> Manifest.Lineage {
        var present = [Bool](repeating: false, count: vocabulary.count + 1)
        for item in sequences.items where Int(item) <= vocabulary.count { present[Int(item)] = true }
        return Manifest.Lineage(path: parent.directory, vocabularySHA256: vocabulary.digest(),
                                items: vocabulary.count, newItems: sequences.itemCount - vocabulary.count,
                                absentItems: present.dropFirst().reduce(0) { $0 + ($1 ? 0 : 1) }, created: parent.manifest.created)
    }

    private func distinctUsers(_ sequences: PreparedSequences) -> Int {
        guard sequences.sequenceSessions != nil else { return sequences.sequenceCount }
        return Set(sequences.sequenceUserKeys).count
    }
}
