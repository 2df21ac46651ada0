import Core

/// The cleaning steps of `prepare`, applied in the order listed.
public struct CleaningOptions: Sendable, Codable, Equatable {
    /// Drop events equal to an earlier one in user, item and time (needs times: without them a
    /// repeat cannot be told from a duplicate).
    public var dropDuplicates = true
    /// Drop an event whose item equals the user's previous item.
    public var collapseRepeats = false
    /// Cut a user's history where the gap between events exceeds this (milliseconds);
    /// each session becomes its own sequence.
    public var sessionGapMilliseconds: Int64?
    /// Keep only the most recent N events of each sequence.
    public var maxEventsPerSequence: Int?
    /// k-core: sequences with fewer events are dropped, to the fixed point.
    public var minSequenceEvents = 1
    /// k-core: items with fewer events are dropped, to the fixed point.
    public var minItemEvents = 1

    public init() {}
}

/// How many events each cleaning step removed.
public struct CleaningReport: Sendable, Codable, Equatable {
    public var duplicates = 0
    public var repeats = 0
    public var capped = 0
    public var coreEvents = 0
    public var coreSequences = 0
    public var coreItems = 0
    public var coreIterations = 0
    public var sessions = 0
    /// Every time was a whole day (dates only): same-day repeats were kept, not taken for duplicates.
    public var dayResolutionTimes = false
}

/// Clean per-user sequences, ready to be written as a dataset.
public struct PreparedSequences: Sendable {
    /// Dense item ids 1…N of all sequences, concatenated, oldest first.
    public var items: [UInt32]
    /// Sequence boundaries into `items` (sequences + 1 entries).
    public var offsets: [UInt64]
    /// Times parallel to `items`, in their compact stored form.
    var times: StoredTimes
    /// Original-id key of each sequence's user.
    var sequenceUserKeys: [UInt64]
    /// Session number of each sequence within its user (only when sessions were cut).
    public var sequenceSessions: [UInt32]?
    /// Original-id key of each item, index `id - 1`.
    var itemKeys: [UInt64]
    var strings: OriginalIdStrings
    /// Event type ids (1…`eventTypes.count`) parallel to `items`, when the log had an event column.
    public var events: [UInt8]? = nil
    /// Event type names, id t naming `eventTypes[t - 1]`.
    public var eventTypes: [String] = []
    /// Strengths parallel to `items`, when the log had a value column.
    public var values: [Float]? = nil

    public var sequenceCount: Int { offsets.count - 1 }
    public var itemCount: Int { itemKeys.count }

    /// The original id text of a sequence's user.
    public func originalUser(ofSequence index: Int) -> String { strings.text(of: sequenceUserKeys[index]) }
    /// The original id text of dense item `id` (1-based).
    public func originalItem(_ id: UInt32) -> String { strings.text(of: itemKeys[Int(id) - 1]) }
    /// The items of sequence `index`.
    public func sequence(_ index: Int) -> ArraySlice<UInt32> { items[Int(offsets[index])..<Int(offsets[index + 1])] }
    /// Whether events carry times.
    public var hasTimes: Bool { if case .none = times { return false } else { return true } }
}

/// Event times of prepared sequences: 4-byte second offsets when every time is a whole
/// second within a 136-year span, milliseconds otherwise.
enum StoredTimes: Sendable {
    case none
    case seconds(base: Int64, offsets: [UInt32])
    case milliseconds([Int64])

    /// Unix seconds of event `i`.
    @inline(__always)
    func unixSeconds(at i: Int) -> Int64 {
        switch self {
        case .none: return 0
        case .seconds(let base, let offsets): return base + Int64(offsets[i])
        case .milliseconds(let values): return floorDivide(values[i], 1000)
        }
    }

    var count: Int {
        switch self {
        case .none: return 0
        case .seconds(_, let offsets): return offsets.count
        case .milliseconds(let values): return values.count
        }
    }
}

/// An integer time type the builder sorts and compares: UInt32 second offsets or Int64 milliseconds.
protocol TimeValue: FixedWidthInteger, Sendable {}
extension UInt32: TimeValue {}
extension Int64: TimeValue {}

/// Turns an event log into clean sequences: group by user, order by time, drop duplicates,
/// collapse repeats, cut sessions, cap lengths, k-core, re-index items by first appearance.
/// Works in place on one copy of the events.
public enum SequenceBuilder {
    /// Builds the sequences of `log`. With `knownItems` (original ids of an existing
    /// vocabulary, in id order) those items keep ids 1…count, present in the log or not, and
    /// items new to it get the following ids in order of first appearance.
    public static func build(_ log: consuming EventLog, options: CleaningOptions,
                             knownItems: [String]? = nil) throws -> (PreparedSequences, CleaningReport) {
        if options.sessionGapMilliseconds != nil && !log.hasTime {
            throw DatasetError.invalidOption("--session-gap needs timestamps, and the input has no time column")
        }
        guard log.hasTime else {
            return try build(consume log, options: options, knownItems: knownItems, clock: TimeClock(baseSeconds: 0, unitMilliseconds: 1),
                             wrap: { (_: [UInt32]) in .none }) { _, _ in 0 }
        }
        // Whole seconds within a UInt32 span keep 4 bytes an event; anything else keeps milliseconds.
        var low = Int64.max, high = Int64.min
        var allSeconds = true
        for chunk in log.chunks {
            guard case .seconds(let base, let offsets) = chunk.times else { allSeconds = false; break }
            if let first = offsets.min(), let last = offsets.max() {
                low = min(low, base + Int64(first))
                high = max(high, base + Int64(last))
            }
        }
        if allSeconds && (low > high || high - low <= Int64(UInt32.max)) {
            let base = low > high ? 0 : low
            return try build(consume log, options: options, knownItems: knownItems, clock: TimeClock(baseSeconds: base, unitMilliseconds: 1000),
                             wrap: { (offsets: [UInt32]) in .seconds(base: base, offsets: offsets) }) { times, i in
                guard case .seconds(let chunkBase, let offsets) = times else { return 0 }
                return UInt32(truncatingIfNeeded: chunkBase - base + Int64(offsets[i]))
            }
        }
        return try build(consume log, options: options, knownItems: knownItems, clock: TimeClock(baseSeconds: 0, unitMilliseconds: 1),
                         wrap: { (values: [Int64]) in .milliseconds(values) }) { times, i in
            times.milliseconds(at: i)
        }
    }

    /// Whether every time is midnight UTC, i.e. the log holds dates only.
    static func allWholeDays<T: TimeValue>(_ times: [T], clock: TimeClock) -> Bool {
        let day: Int64 = 86_400_000
        let base = (clock.baseSeconds % 86_400) * 1000
        return times.allSatisfy { (base + (Int64(truncatingIfNeeded: $0) * clock.unitMilliseconds) % day) % day == 0 }
    }

    /// How stored time values map to real time: `baseSeconds` + value × unit.
    struct TimeClock {
        var baseSeconds: Int64
        var unitMilliseconds: Int64
    }

    /// The steps proper, over times stored as `T`; `convert` reads a chunk's time as `T`, `wrap` stores the result.
    private static func build<T: TimeValue>(_ log: consuming EventLog, options: CleaningOptions, knownItems: [String]?, clock: TimeClock,
                                            wrap: ([T]) -> StoredTimes, convert: (ChunkTimes, Int) -> T) throws -> (PreparedSequences, CleaningReport) {
        var report = CleaningReport()
        let hasTime = log.hasTime
        let userCount = log.users.count
        MemoryUsage.trace("before grouping")
        let hasPayload = log.hasEvents || log.hasValues
        let (hasEvents, hasValues, eventTypes) = (log.hasEvents, log.hasValues, log.eventTypes)
        // With event types or values, each event carries its row in `payload` (file order)
        // through every step, and the kept rows' types and values are gathered at the end.
        var (items, times, userOffsets, rows, payload) = group(&log, userCount: userCount, convert: convert)
        MemoryUsage.trace("after grouping")

        if hasTime { sortByTime(items: &items, times: &times, rows: &rows, offsets: userOffsets) }

        // Dates without a time of day cannot tell a duplicate from a second view the same day
        // (a Diginetica-style `eventdate` column lost 18 % of its views): keep such repeats.
        var options = options
        if options.dropDuplicates && hasTime && items.count > 1 && Self.allWholeDays(times, clock: clock) {
            options.dropDuplicates = false
            report.dayResolutionTimes = true
        }

        // Per-user filters, in place, then one pass that closes the gaps.
        if (options.dropDuplicates && hasTime) || options.collapseRepeats {
            var kept = [Int](repeating: 0, count: userCount)
            var removedDuplicates = [Int](repeating: 0, count: userCount)
            items.withUnsafeMutableBufferPointer { itemBuffer in
                times.withUnsafeMutableBufferPointer { timeBuffer in
                    rows.withUnsafeMutableBufferPointer { rowBuffer in
                        payload.events.withUnsafeBufferPointer { eventBuffer in
                            kept.withUnsafeMutableBufferPointer { keptBuffer in
                                removedDuplicates.withUnsafeMutableBufferPointer { dupBuffer in
                                    nonisolated(unsafe) let (itemsPtr, timesPtr, keptPtr, dupPtr) = (itemBuffer, timeBuffer, keptBuffer, dupBuffer)
                                    nonisolated(unsafe) let (rowsPtr, eventsPtr) = (rowBuffer, eventBuffer)
                                    parallelStripes(userCount, minimumPerStripe: 256) { users in
                                        for user in users {
                                            let (count, duplicates) = filterUser(items: itemsPtr, times: timesPtr, rows: rowsPtr, events: eventsPtr,
                                                                                 range: userOffsets[user]..<userOffsets[user + 1],
                                                                                 dropDuplicates: options.dropDuplicates && hasTime, collapseRepeats: options.collapseRepeats)
                                            keptPtr[user] = count
                                            dupPtr[user] = duplicates
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let before = items.count
            report.duplicates = removedDuplicates.reduce(0, +)
            compact(items: &items, times: &times, rows: &rows, offsets: &userOffsets, kept: kept)
            report.repeats = before - items.count - report.duplicates
        }

        // Sequences: one per user, or one per session.
        var sequenceStarts: [Int] = []
        var sequenceEnds: [Int] = []
        var sequenceUsers: [UInt32] = []
        var sequenceSessions: [UInt32]? = options.sessionGapMilliseconds == nil ? nil : []
        sequenceStarts.reserveCapacity(userCount)
        sequenceEnds.reserveCapacity(userCount)
        sequenceUsers.reserveCapacity(userCount)
        for user in 0..<userCount {
            let start = userOffsets[user]
            let end = userOffsets[user + 1]
            if start == end { continue }
            if let gap = options.sessionGapMilliseconds {
                var sessionStart = start
                var session: UInt32 = 0
                let gapUnits = gap / clock.unitMilliseconds  // a gap longer than this many time units cuts
                for index in (start + 1)..<(end + 1) where index == end || Int64(times[index]) - Int64(times[index - 1]) > gapUnits {
                    sequenceStarts.append(sessionStart)
                    sequenceEnds.append(index)
                    sequenceUsers.append(UInt32(user))
                    sequenceSessions!.append(session)
                    session += 1
                    sessionStart = index
                }
            } else {
                sequenceStarts.append(start)
                sequenceEnds.append(end)
                sequenceUsers.append(UInt32(user))
            }
        }
        if options.sessionGapMilliseconds != nil { report.sessions = sequenceStarts.count }

        if let cap = options.maxEventsPerSequence {
            for s in sequenceStarts.indices where sequenceEnds[s] - sequenceStarts[s] > cap {
                report.capped += sequenceEnds[s] - sequenceStarts[s] - cap
                sequenceStarts[s] = sequenceEnds[s] - cap
            }
        }

        MemoryUsage.trace("after per-user cleaning")
        // k-core to its fixed point.
        let itemCountRaw = log.items.count
        var aliveItem = [Bool](repeating: true, count: itemCountRaw)
        var aliveSequence = [Bool](repeating: true, count: sequenceStarts.count)
        if options.minItemEvents > 1 || options.minSequenceEvents > 1 {
            var itemEvents = [Int32](repeating: 0, count: itemCountRaw)
            while true {
                report.coreIterations += 1
                var changed = false
                for i in itemEvents.indices { itemEvents[i] = 0 }
                for s in sequenceStarts.indices where aliveSequence[s] {
                    var alive = 0
                    for e in sequenceStarts[s]..<sequenceEnds[s] where aliveItem[Int(items[e])] { alive += 1 }
                    if alive < options.minSequenceEvents {
                        aliveSequence[s] = false
                        changed = true
                        continue
                    }
                    for e in sequenceStarts[s]..<sequenceEnds[s] { itemEvents[Int(items[e])] += 1 }
                }
                for i in 0..<itemCountRaw where aliveItem[i] && Int(itemEvents[i]) < options.minItemEvents {
                    aliveItem[i] = false
                    changed = true
                }
                if !changed { break }
            }
        }

        // Final pass: keep alive events of alive sequences, re-index items by first appearance.
        var newItemId = [UInt32](repeating: 0, count: itemCountRaw)
        var itemKeys: [UInt64] = []
        if let knownItems {
            itemKeys = try assignKnownIds(knownItems, log: &log, newItemId: &newItemId)
        }
        var offsets: [UInt64] = [0]
        offsets.reserveCapacity(sequenceStarts.count + 1)
        var userKeys: [UInt64] = []
        var sessions: [UInt32]? = sequenceSessions == nil ? nil : []
        var write = 0
        var eventsBeforeCore = 0
        for s in sequenceStarts.indices {
            eventsBeforeCore += sequenceEnds[s] - sequenceStarts[s]
            guard aliveSequence[s] else { report.coreSequences += 1; continue }
            for e in sequenceStarts[s]..<sequenceEnds[s] {
                let raw = Int(items[e])
                guard aliveItem[raw] else { continue }
                if newItemId[raw] == 0 {
                    itemKeys.append(log.items.keys[raw])
                    newItemId[raw] = UInt32(itemKeys.count)
                }
                items[write] = newItemId[raw]
                if hasTime { times[write] = times[e] }
                if hasPayload { rows[write] = rows[e] }
                write += 1
            }
            guard write > Int(offsets[offsets.count - 1]) else { continue }
            offsets.append(UInt64(write))
            userKeys.append(log.users.keys[Int(sequenceUsers[s])])
            sessions?.append(sequenceSessions![s])
        }
        report.coreEvents = eventsBeforeCore - write
        report.coreItems = aliveItem.reduce(0) { $0 + ($1 ? 0 : 1) }
        items.removeSubrange(write...)
        if hasTime { times.removeSubrange(write...) }
        if write == 0 {
            throw DatasetError.emptyResult("no events left after cleaning and filtering")
        }
        let stored = wrap(times)
        times = []
        var prepared = PreparedSequences(items: items, offsets: offsets, times: stored, sequenceUserKeys: userKeys,
                                         sequenceSessions: sessions, itemKeys: itemKeys, strings: log.strings)
        if hasEvents {
            prepared.events = rows[0..<write].map { payload.events[Int($0)] }
            prepared.eventTypes = eventTypes
        }
        if hasValues { prepared.values = rows[0..<write].map { payload.values[Int($0)] } }
        return (prepared, report)
    }

    /// Gives the log's items that `knownItems` lists their ids there (index + 1) and returns
    /// the keys of all known items, in id order.
    private static func assignKnownIds(_ knownItems: [String], log: inout EventLog, newItemId: inout [UInt32]) throws -> [UInt64] {
        var keys: [UInt64] = []
        keys.reserveCapacity(knownItems.count)
        var known = IdInterner(capacity: knownItems.count)
        for (index, original) in knownItems.enumerated() {
            var text = original
            let key = text.withUTF8 { log.strings.key(for: UnsafeRawBufferPointer($0)) }
            guard known.intern(key) == UInt32(index) else {
                throw DatasetError.invalidOption("the parent vocabulary lists item '\(original)' twice (ids \(known.lookup(key)! + 1) and \(index + 1))")
            }
            keys.append(key)
        }
        for raw in newItemId.indices {
            if let id = known.lookup(log.items.keys[raw]) { newItemId[raw] = id + 1 }
        }
        return keys
    }

    /// Event types and strengths of the whole log in file order (a row's index is its place here).
    struct EventPayload {
        var events: [UInt8] = []
        var values: [Float] = []
    }

    /// Scatters the chunks into user-contiguous arrays (file order kept), freeing chunks as it
    /// goes; with event types or values, also each event's row and the log's payload.
    private static func group<T: TimeValue>(_ log: inout EventLog, userCount: Int, convert: (ChunkTimes, Int) -> T)
        -> ([UInt32], [T], [Int], [UInt32], EventPayload) {
        var offsets = [Int](repeating: 0, count: userCount + 1)
        for chunk in log.chunks { for user in chunk.users { offsets[Int(user) + 1] += 1 } }
        for u in 0..<userCount { offsets[u + 1] += offsets[u] }
        let total = offsets[userCount]
        let hasTime = log.hasTime
        var cursor = offsets
        var items = [UInt32](repeating: 0, count: total)
        var times = [T](repeating: 0, count: hasTime ? total : 0)
        let hasPayload = log.hasEvents || log.hasValues
        var rows = [UInt32](repeating: 0, count: hasPayload ? total : 0)
        var payload = EventPayload()
        var row: UInt32 = 0
        for c in log.chunks.indices {
            let chunk = log.chunks[c]
            log.chunks[c] = EventChunk(users: [], items: [], times: .none)
            payload.events += chunk.events
            payload.values += chunk.values
            for i in chunk.users.indices {
                let user = Int(chunk.users[i])
                let position = cursor[user]
                cursor[user] = position + 1
                items[position] = chunk.items[i]
                if hasTime { times[position] = convert(chunk.times, i) }
                if hasPayload { rows[position] = row }
                row &+= 1
            }
        }
        log.chunks = []
        return (items, times, offsets, rows, payload)
    }

    /// Orders each user's events by time; ties keep file order.
    private static func sortByTime<T: TimeValue>(items: inout [UInt32], times: inout [T], rows: inout [UInt32], offsets: [Int]) {
        let userCount = offsets.count - 1
        let hasRows = !rows.isEmpty
        items.withUnsafeMutableBufferPointer { itemBuffer in
          times.withUnsafeMutableBufferPointer { timeBuffer in
            rows.withUnsafeMutableBufferPointer { rowBuffer in
                nonisolated(unsafe) let (itemsPtr, timesPtr, rowsPtr) = (itemBuffer, timeBuffer, rowBuffer)
                parallelStripes(userCount, minimumPerStripe: 256) { users in
                    var order: [Int32] = []
                    var itemScratch: [UInt32] = []
                    var timeScratch: [T] = []
                    var rowScratch: [UInt32] = []
                    for user in users {
                        let start = offsets[user]
                        let end = offsets[user + 1]
                        var sorted = true
                        var i = start + 1
                        while i < end { if timesPtr[i] < timesPtr[i - 1] { sorted = false; break }; i += 1 }
                        if sorted { continue }
                        let count = end - start
                        order.removeAll(keepingCapacity: true)
                        order.append(contentsOf: (0..<Int32(count)))
                        order.sort { a, b in
                            let ta = timesPtr[start + Int(a)], tb = timesPtr[start + Int(b)]
                            return ta < tb || (ta == tb && a < b)
                        }
                        itemScratch.removeAll(keepingCapacity: true)
                        timeScratch.removeAll(keepingCapacity: true)
                        for k in order { itemScratch.append(itemsPtr[start + Int(k)]); timeScratch.append(timesPtr[start + Int(k)]) }
                        for k in 0..<count { itemsPtr[start + k] = itemScratch[k]; timesPtr[start + k] = timeScratch[k] }
                        if hasRows {
                            rowScratch.removeAll(keepingCapacity: true)
                            for k in order { rowScratch.append(rowsPtr[start + Int(k)]) }
                            for k in 0..<count { rowsPtr[start + k] = rowScratch[k] }
                        }
                    }
                }
            }
          }
        }
    }

    /// Filters one user's events in place; returns how many were kept and how many were
    /// duplicates. With event types, a duplicate or a repeat must also have the same type
    /// (a view and a cart of one item at one second are two events). `rows` index `events`.
    private static func filterUser<T: TimeValue>(items: UnsafeMutableBufferPointer<UInt32>, times: UnsafeMutableBufferPointer<T>,
                                   rows: UnsafeMutableBufferPointer<UInt32>, events: UnsafeBufferPointer<UInt8>,
                                   range: Range<Int>, dropDuplicates: Bool, collapseRepeats: Bool) -> (Int, Int) {
        var write = range.lowerBound
        var duplicates = 0
        var runStart = range.lowerBound  // first kept event with the current time
        @inline(__always) func sameType(_ kept: Int, _ read: Int) -> Bool {
            events.isEmpty || events[Int(rows[kept])] == events[Int(rows[read])]
        }
        for read in range {
            let item = items[read]
            if dropDuplicates {
                let time = times[read]
                if write > range.lowerBound && times[write - 1] != time { runStart = write }
                var duplicate = false
                if write > range.lowerBound && times[write - 1] == time {
                    for k in runStart..<write where items[k] == item && sameType(k, read) { duplicate = true; break }
                }
                if duplicate { duplicates += 1; continue }
            }
            if collapseRepeats && write > range.lowerBound && items[write - 1] == item && sameType(write - 1, read) { continue }
            items[write] = item
            if !times.isEmpty { times[write] = times[read] }
            if !rows.isEmpty { rows[write] = rows[read] }
            write += 1
        }
        return (write - range.lowerBound, duplicates)
    }

    /// Closes the gaps left by per-user filtering; `kept[u]` events of user u stay at its start.
    private static func compact<T: TimeValue>(items: inout [UInt32], times: inout [T], rows: inout [UInt32], offsets: inout [Int], kept: [Int]) {
        let hasTime = !times.isEmpty, hasRows = !rows.isEmpty
        var write = 0
        for user in 0..<(offsets.count - 1) {
            let start = offsets[user]
            offsets[user] = write
            if write != start {
                for k in 0..<kept[user] {
                    items[write + k] = items[start + k]
                    if hasTime { times[write + k] = times[start + k] }
                    if hasRows { rows[write + k] = rows[start + k] }
                }
            }
            write += kept[user]
        }
        offsets[offsets.count - 1] = write
        items.removeSubrange(write...)
        if hasTime { times.removeSubrange(write...) }
        if hasRows { rows.removeSubrange(write...) }
    }
}

@inline(__always)
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
