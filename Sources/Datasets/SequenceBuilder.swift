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
}

/// Clean per-user sequences, ready to be written as a dataset.
public struct PreparedSequences: Sendable {
    /// Dense item ids 1…N of all sequences, concatenated, oldest first.
    public var items: [UInt32]
    /// Sequence boundaries into `items` (sequences + 1 entries).
    public var offsets: [UInt64]
    /// Unix seconds parallel to `items`; empty when the log had no times.
    public var times: [Int64]
    /// Original-id key of each sequence's user.
    var sequenceUserKeys: [UInt64]
    /// Session number of each sequence within its user (only when sessions were cut).
    public var sequenceSessions: [UInt32]?
    /// Original-id key of each item, index `id - 1`.
    var itemKeys: [UInt64]
    var strings: OriginalIdStrings

    public var sequenceCount: Int { offsets.count - 1 }
    public var itemCount: Int { itemKeys.count }

    /// The original id text of a sequence's user.
    public func originalUser(ofSequence index: Int) -> String { strings.text(of: sequenceUserKeys[index]) }
    /// The original id text of dense item `id` (1-based).
    public func originalItem(_ id: UInt32) -> String { strings.text(of: itemKeys[Int(id) - 1]) }
    /// The items of sequence `index`.
    public func sequence(_ index: Int) -> ArraySlice<UInt32> { items[Int(offsets[index])..<Int(offsets[index + 1])] }
}

/// Turns an event log into clean sequences: group by user, order by time, drop duplicates,
/// collapse repeats, cut sessions, cap lengths, k-core, re-index items by first appearance.
/// Works in place on one copy of the events.
public enum SequenceBuilder {
    public static func build(_ log: consuming EventLog, options: CleaningOptions) throws -> (PreparedSequences, CleaningReport) {
        var report = CleaningReport()
        let hasTime = log.hasTime
        if options.sessionGapMilliseconds != nil && !hasTime {
            throw DatasetError.invalidOption("--session-gap needs timestamps, and the input has no time column")
        }
        let userCount = log.users.count
        MemoryUsage.trace("before grouping")
        var (items, times, userOffsets) = group(&log, userCount: userCount)
        MemoryUsage.trace("after grouping")

        if hasTime { sortByTime(items: &items, times: &times, offsets: userOffsets) }

        // Per-user filters, in place, then one pass that closes the gaps.
        if (options.dropDuplicates && hasTime) || options.collapseRepeats {
            var kept = [Int](repeating: 0, count: userCount)
            var removedDuplicates = [Int](repeating: 0, count: userCount)
            items.withUnsafeMutableBufferPointer { itemBuffer in
                times.withUnsafeMutableBufferPointer { timeBuffer in
                    kept.withUnsafeMutableBufferPointer { keptBuffer in
                        removedDuplicates.withUnsafeMutableBufferPointer { dupBuffer in
                            nonisolated(unsafe) let (itemsPtr, timesPtr, keptPtr, dupPtr) = (itemBuffer, timeBuffer, keptBuffer, dupBuffer)
                            parallelStripes(userCount, minimumPerStripe: 256) { users in
                                for user in users {
                                    let (count, duplicates) = filterUser(items: itemsPtr, times: timesPtr, range: userOffsets[user]..<userOffsets[user + 1],
                                                                         dropDuplicates: options.dropDuplicates && hasTime, collapseRepeats: options.collapseRepeats)
                                    keptPtr[user] = count
                                    dupPtr[user] = duplicates
                                }
                            }
                        }
                    }
                }
            }
            let before = items.count
            report.duplicates = removedDuplicates.reduce(0, +)
            compact(items: &items, times: &times, offsets: &userOffsets, kept: kept)
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
                for index in (start + 1)..<(end + 1) where index == end || times[index] - times[index - 1] > gap {
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
                if hasTime { times[write] = floorDivide(times[e], 1000) }
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
        let prepared = PreparedSequences(items: items, offsets: offsets, times: times, sequenceUserKeys: userKeys,
                                         sequenceSessions: sessions, itemKeys: itemKeys, strings: log.strings)
        return (prepared, report)
    }

    /// Scatters the chunks into user-contiguous arrays (file order kept), freeing chunks as it goes.
    private static func group(_ log: inout EventLog, userCount: Int) -> ([UInt32], [Int64], [Int]) {
        var offsets = [Int](repeating: 0, count: userCount + 1)
        for chunk in log.chunks { for user in chunk.users { offsets[Int(user) + 1] += 1 } }
        for u in 0..<userCount { offsets[u + 1] += offsets[u] }
        let total = offsets[userCount]
        let hasTime = log.hasTime
        var cursor = offsets
        var items = [UInt32](repeating: 0, count: total)
        var times = [Int64](repeating: 0, count: hasTime ? total : 0)
        for c in log.chunks.indices {
            let chunk = log.chunks[c]
            log.chunks[c] = EventChunk()
            for i in chunk.users.indices {
                let user = Int(chunk.users[i])
                let position = cursor[user]
                cursor[user] = position + 1
                items[position] = chunk.items[i]
                if hasTime { times[position] = chunk.times[i] }
            }
        }
        log.chunks = []
        return (items, times, offsets)
    }

    /// Orders each user's events by time; ties keep file order.
    private static func sortByTime(items: inout [UInt32], times: inout [Int64], offsets: [Int]) {
        let userCount = offsets.count - 1
        items.withUnsafeMutableBufferPointer { itemBuffer in
            times.withUnsafeMutableBufferPointer { timeBuffer in
                nonisolated(unsafe) let (itemsPtr, timesPtr) = (itemBuffer, timeBuffer)
                parallelStripes(userCount, minimumPerStripe: 256) { users in
                    var order: [Int32] = []
                    var itemScratch: [UInt32] = []
                    var timeScratch: [Int64] = []
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
                    }
                }
            }
        }
    }

    /// Filters one user's events in place; returns how many were kept and how many were duplicates.
    private static func filterUser(items: UnsafeMutableBufferPointer<UInt32>, times: UnsafeMutableBufferPointer<Int64>,
                                   range: Range<Int>, dropDuplicates: Bool, collapseRepeats: Bool) -> (Int, Int) {
        var write = range.lowerBound
        var duplicates = 0
        var runStart = range.lowerBound  // first kept event with the current time
        for read in range {
            let item = items[read]
            if dropDuplicates {
                let time = times[read]
                if write > range.lowerBound && times[write - 1] != time { runStart = write }
                var duplicate = false
                if write > range.lowerBound && times[write - 1] == time {
                    for k in runStart..<write where items[k] == item { duplicate = true; break }
                }
                if duplicate { duplicates += 1; continue }
            }
            if collapseRepeats && write > range.lowerBound && items[write - 1] == item { continue }
            items[write] = item
            if !times.isEmpty { times[write] = times[read] }
            write += 1
        }
        return (write - range.lowerBound, duplicates)
    }

    /// Closes the gaps left by per-user filtering; `kept[u]` events of user u stay at its start.
    private static func compact(items: inout [UInt32], times: inout [Int64], offsets: inout [Int], kept: [Int]) {
        let hasTime = !times.isEmpty
        var write = 0
        for user in 0..<(offsets.count - 1) {
            let start = offsets[user]
            offsets[user] = write
            if write != start {
                for k in 0..<kept[user] {
                    items[write + k] = items[start + k]
                    if hasTime { times[write + k] = times[start + k] }
                }
            }
            write += kept[user]
        }
        offsets[offsets.count - 1] = write
        items.removeSubrange(write...)
        if hasTime { times.removeSubrange(write...) }
    }
}

@inline(__always)
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
