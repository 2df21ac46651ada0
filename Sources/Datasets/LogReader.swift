import Core

/// Events read from raw logs: dense user and item ids (in order of first appearance in the
/// input), times, and the bookkeeping of what was read and skipped.
public struct EventLog: Sendable {
    /// Events in file order, kept as the chunks they were parsed in (no concatenation copy).
    var chunks: [EventChunk] = []
    /// Whether events carry times (every input had a time column).
    public var hasTime = true
    /// Original-id keys of users and items, indexed by their dense ids.
    var users = IdInterner(capacity: 1 << 12)
    var items = IdInterner(capacity: 1 << 14)
    var strings = OriginalIdStrings()
    /// What was read from each input.
    public var sources: [SourceInfo] = []
    public var malformedLines = 0
    public var firstBadLines: [BadLine] = []
    public var droppedByRating = 0
    public var droppedByEvent = 0
    /// Whether events carry a type (an event column was read) and a strength (a value column).
    public var hasEvents = false
    public var hasValues = false
    /// Event type names; an event's type id t (1-based, as stored) names `eventTypes[t - 1]`.
    public var eventTypes: [String] = []
    private var eventTypeIds: [[UInt8]: UInt8] = [:]

    /// Event types a dataset may hold: a small vocabulary (view, cart, buy, …), one byte an event.
    public static let maximumEventTypes = 255

    public init() {}

    /// The run-wide id (1…255) of event type `name`, added on first use.
    mutating func eventTypeId(_ name: [UInt8], path: String) throws -> UInt8 {
        if let id = eventTypeIds[name] { return id }
        guard eventTypes.count < Self.maximumEventTypes else {
            throw DatasetError.invalidOption("\(path): the event column has more than \(Self.maximumEventTypes) distinct values (e.g. '\(String(decoding: name, as: UTF8.self))'); "
                + "event types are a small vocabulary such as view, cart, buy: choose the right column with --event")
        }
        eventTypes.append(String(decoding: name, as: UTF8.self))
        let id = UInt8(eventTypes.count)
        eventTypeIds[name] = id
        return id
    }

    /// Events read and kept.
    public var eventCount: Int { chunks.reduce(0) { $0 + $1.items.count } }

    /// Appends one event (used by the synthetic generator, which bypasses text).
    mutating func append(userKey: UInt64, itemKey: UInt64, milliseconds: Int64?) {
        if chunks.isEmpty || chunks[chunks.count - 1].items.count >= 1 << 20 {
            chunks.append(EventChunk(users: [], items: [], times: milliseconds == nil ? .none : .milliseconds([])))
        }
        let last = chunks.count - 1
        chunks[last].users.append(users.intern(userKey))
        chunks[last].items.append(items.intern(itemKey))
        if let milliseconds, case .milliseconds(var times) = chunks[last].times {
            chunks[last].times = .none  // keep the array uniquely referenced while appending
            times.append(milliseconds)
            chunks[last].times = .milliseconds(times)
        }
    }
}

/// A run of events with dense ids, parallel arrays.
struct EventChunk: Sendable {
    var users: [UInt32]
    var items: [UInt32]
    var times: ChunkTimes
    /// Event type ids (1…255), or empty when the log has no event column.
    var events: [UInt8] = []
    /// Strengths, or empty when the log has no value column.
    var values: [Float] = []
}

/// The times of a chunk, stored as compactly as their precision and range allow.
enum ChunkTimes: Sendable {
    case none
    /// Whole seconds: `base + offsets[i]` (4 bytes an event; most logs are like this).
    case seconds(base: Int64, offsets: [UInt32])
    /// Unix milliseconds.
    case milliseconds([Int64])

    /// Compacts millisecond times to seconds offsets when none has a sub-second part.
    init(compacting times: [Int64], hasTime: Bool) {
        guard hasTime else { self = .none; return }
        guard let low = times.min(), let high = times.max() else { self = .seconds(base: 0, offsets: []); return }
        let wholeSeconds = times.allSatisfy { $0 % 1000 == 0 }
        let base = floorDivide(low, 1000)
        if wholeSeconds && floorDivide(high, 1000) - base <= Int64(UInt32.max) {
            self = .seconds(base: base, offsets: times.map { UInt32(truncatingIfNeeded: $0 / 1000 - base) })
        } else {
            self = .milliseconds(times)
        }
    }

    /// Unix milliseconds of event `i`.
    @inline(__always)
    func milliseconds(at i: Int) -> Int64 {
        switch self {
        case .none: return 0
        case .seconds(let base, let offsets): return (base + Int64(offsets[i])) * 1000
        case .milliseconds(let values): return values[i]
        }
    }
}

/// One input file as read.
public struct SourceInfo: Sendable, Codable, Equatable {
    public var path: String
    public var bytes: Int
    public var sha256: String
    public var format: String
    public var gzip: Bool
    public var lines: Int
    public var events: Int
}

/// Reads raw logs in parallel blocks and interns their ids.
public struct LogReader {
    public var options: ReadOptions
    /// Stop at the first malformed line instead of skipping it.
    public var strict = false
    /// Bytes per parse block; blocks are parsed concurrently, a batch at a time.
    public var blockSize = 1 << 20

    public init(options: ReadOptions, strict: Bool = false) {
        self.options = options
        self.strict = strict
    }

    /// Reads every input in order into one event log.
    public func read(paths: [String]) throws -> EventLog {
        var log = EventLog()
        for (index, path) in paths.enumerated() {
            let reader = try ResolvedReader.resolve(path: path, options: options)
            if index == 0 {
                log.hasTime = reader.hasTime
                log.hasEvents = reader.event != nil
                log.hasValues = reader.value != nil
            } else if log.hasTime != reader.hasTime {
                throw DatasetError.invalidOption("\(path): has \(reader.hasTime ? "a" : "no") time column, unlike \(paths[0]); inputs must agree")
            } else if log.hasEvents != (reader.event != nil) || log.hasValues != (reader.value != nil) {
                throw DatasetError.invalidOption("\(path): its event and value columns differ from \(paths[0])'s; inputs must agree")
            }
            try read(path: path, reader: reader, into: &log)
        }
        return log
    }

    private func read(path: String, reader: ResolvedReader, into log: inout EventLog) throws {
        let blocks = try LineBlockReader(path: path)
        let parser = BlockParser(reader: reader)
        let batchSize = 2 * availableCores()
        var linesBefore = 0
        var events = 0
        var isFirstBlock = true
        while true {
            var batch: [[UInt8]] = []
            while batch.count < batchSize, let block = try blocks.nextBlock(size: blockSize) { batch.append(block) }
            if batch.isEmpty { break }
            let skipHeader = isFirstBlock && reader.skipFirstLine
            isFirstBlock = false
            let parsed = parallelMap(batch.count) { parser.parse(batch[$0], skipFirstLine: $0 == 0 && skipHeader) }
            batch = []
            for block in consume parsed {
                if block.badLineCount > 0 {
                    if strict, let first = block.firstBadLines.first {
                        throw DatasetError.malformedLine(path: path, line: linesBefore + first.line, reason: first.reason)
                    }
                    log.malformedLines += block.badLineCount
                    for bad in block.firstBadLines where log.firstBadLines.count < ParsedBlock.keptBadLines {
                        log.firstBadLines.append(BadLine(file: path, line: linesBefore + bad.line, reason: bad.reason))
                    }
                }
                linesBefore += block.lineCount
                log.droppedByRating += block.droppedByRating
                log.droppedByEvent += block.droppedByEvent
                events += block.items.count
                log.chunks.append(try intern(block, into: &log, path: path))
            }
        }
        log.sources.append(SourceInfo(path: path, bytes: blocks.file.bytesRead, sha256: blocks.file.digestHex(),
                                      format: reader.format.rawValue, gzip: blocks.isGzip, lines: linesBefore, events: events))
    }

    /// Maps a block's local ids to run-wide dense ids, rewriting its arrays in place.
    private func intern(_ block: consuming ParsedBlock, into log: inout EventLog, path: String) throws -> EventChunk {
        // Block-local string indices become run-wide string keys.
        let globalKeys = block.localStrings.map { log.strings.key(for: $0) }
        @inline(__always) func global(_ key: UInt64) -> UInt64 {
            key & OriginalIdKey.stringTag == 0 ? key : globalKeys[Int(key & ~OriginalIdKey.stringTag)]
        }
        let userMap = block.userKeys.keys.map { log.users.intern(global($0)) }
        let itemMap = block.itemKeys.keys.map { log.items.intern(global($0)) }
        var users = block.users
        var items = block.items
        block.users = []
        block.items = []
        users.withUnsafeMutableBufferPointer { ids in
            for i in ids.indices { ids[i] = userMap[Int(ids[i])] }
        }
        items.withUnsafeMutableBufferPointer { ids in
            for i in ids.indices { ids[i] = itemMap[Int(ids[i])] }
        }
        // Event types get run-wide ids on first use, so a type seen only on dropped lines is not listed.
        var events: [UInt8] = []
        if log.hasEvents {
            var eventMap = [UInt8?](repeating: nil, count: block.eventNames.count)
            events.reserveCapacity(block.events.count)
            for local in block.events {
                if eventMap[Int(local)] == nil { eventMap[Int(local)] = try log.eventTypeId(block.eventNames[Int(local)], path: path) }
                events.append(eventMap[Int(local)]!)
            }
        }
        return EventChunk(users: users, items: items, times: block.storedTimes, events: events, values: block.values)
    }
}
