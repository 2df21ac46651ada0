/// A stretch of one sequence to train on: every item in `range` after its first is a
/// next-item target given the items before it. Ranges index `Dataset.items`.
public struct TrainingSpan: Sendable, Equatable {
    public var sequence: Int
    public var range: Range<Int>
    /// The first index whose item is a target (earlier items are only context): from a
    /// training window (`TrainingWindow`), else the range's second item.
    public var targetsFrom: Int

    public init(sequence: Int, range: Range<Int>, targetsFrom: Int? = nil) {
        self.sequence = sequence
        self.range = range
        self.targetsFrom = max(range.lowerBound + 1, targetsFrom ?? 0)
    }

    /// The number of targets in the span.
    public var targetCount: Int { max(0, range.upperBound - targetsFrom) }
}

/// Which recent behaviour a run trains on (`train --window`): targets outside it are not
/// trained on, though the items before them remain the history the model reads.
public enum TrainingWindow: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Events at most this many seconds older than the dataset's newest event.
    case recent(seconds: Int64)
    /// Events at or after this unix time.
    case since(unixSeconds: Int64)
    /// The N most recent training events of each sequence.
    case lastEvents(Int)

    /// Reads `90d` / `12h` / `30m` (a duration back from the newest event), `2000-12-01` or
    /// another timestamp (from then on), or `50` (each sequence's 50 most recent events).
    public init?(argument text: String) {
        if let count = Int(text) {
            guard count > 0 else { return nil }
            self = .lastEvents(count)
            return
        }
        if text.last?.isLetter == true, let milliseconds = DurationParser.milliseconds(text), milliseconds >= 1000 {
            self = .recent(seconds: milliseconds / 1000)
            return
        }
        guard let seconds = TimestampParser.unixSeconds(text) else { return nil }
        self = .since(unixSeconds: seconds)
    }

    public var description: String {
        switch self {
        case .recent(let seconds): return seconds % 86_400 == 0 ? "the last \(seconds / 86_400) days" : "the last \(seconds) s"
        case .since(let seconds): return "events since \(TimestampParser.iso8601String(unixSeconds: seconds))"
        case .lastEvents(let count): return "the last \(count) events of each sequence"
        }
    }
}

/// One ranking case: given the items at `history` (indices into `Dataset.items`), rank `target`.
public struct EvaluationCase: Sendable, Equatable {
    public var sequence: Int
    public var history: Range<Int>
    public var target: UInt32
}

/// Training spans plus validation and test cases, over one memory-mapped dataset.
public struct DatasetSplit: Sendable {
    public var training: [TrainingSpan]
    public var validation: [EvaluationCase]
    public var test: [EvaluationCase]
    /// Cases left out because their history was empty (users first seen in the window).
    public var coldStartCases = 0

    /// Leave-one-out: each sequence's last item is its test target, the one before it its
    /// validation target, and the rest is training. Sequences shorter than 3 are only trained on.
    public static func leaveOneOut(_ dataset: Dataset) -> DatasetSplit {
        var split = DatasetSplit(training: [], validation: [], test: [])
        split.training.reserveCapacity(dataset.sequenceCount)
        split.validation.reserveCapacity(dataset.sequenceCount)
        split.test.reserveCapacity(dataset.sequenceCount)
        let items = dataset.items
        for s in 0..<dataset.sequenceCount {
            let range = dataset.range(ofSequence: s)
            guard range.count >= 3 else {
                if range.count >= 2 { split.training.append(TrainingSpan(sequence: s, range: range)) }
                continue
            }
            let end = range.upperBound
            split.training.append(TrainingSpan(sequence: s, range: range.lowerBound..<(end - 2)))
            split.validation.append(EvaluationCase(sequence: s, history: range.lowerBound..<(end - 2), target: items[end - 2]))
            split.test.append(EvaluationCase(sequence: s, history: range.lowerBound..<(end - 1), target: items[end - 1]))
        }
        return split
    }

    /// Leave-one-out over the events of one type (`train --target-event buy`): each sequence's
    /// last event of type `targetEvent` (an id of `Dataset.eventTypes`, 1-based) is its test
    /// target and the one before it its validation target, each ranked given *every* earlier
    /// event (views and carts included); training is everything before the validation target.
    /// A sequence with one such event trains on all of it; one with none is left out. Which
    /// training positions are targets (only those of the type) is the batcher's business.
    public static func leaveOneOut(_ dataset: Dataset, targetEvent: UInt8) throws -> DatasetSplit {
        guard let events = dataset.events else {
            throw DatasetError.invalidOption("\(dataset.directory) has no event types (prepare it with --event COLUMN) to choose a target event from")
        }
        var split = DatasetSplit(training: [], validation: [], test: [])
        let items = dataset.items
        for s in 0..<dataset.sequenceCount {
            let range = dataset.range(ofSequence: s)
            var last: Int?, previous: Int?
            for e in range.reversed() where events[e] == targetEvent {
                if last == nil { last = e } else { previous = e; break }
            }
            guard let last else { continue }
            guard let previous, previous > range.lowerBound else {
                if last > range.lowerBound { split.training.append(TrainingSpan(sequence: s, range: range.lowerBound..<(last + 1))) }
                continue
            }
            split.training.append(TrainingSpan(sequence: s, range: range.lowerBound..<previous))
            split.validation.append(EvaluationCase(sequence: s, history: range.lowerBound..<previous, target: items[previous]))
            split.test.append(EvaluationCase(sequence: s, history: range.lowerBound..<last, target: items[last]))
        }
        return split
    }

    /// Leave-one-out over every event, or over the events of `targetEvent` when given.
    public static func leaveOneOut(_ dataset: Dataset, targetEvent: UInt8?) throws -> DatasetSplit {
        guard let targetEvent else { return leaveOneOut(dataset) }
        return try leaveOneOut(dataset, targetEvent: targetEvent)
    }

    /// Which events of a time window become ranking cases.
    public enum WindowTargets: Sendable {
        /// Every event in the window, each with all earlier events as history.
        case all
        /// Only each sequence's first event in the window.
        case first
    }

    /// Global temporal split: events before `validationFrom` (unix seconds) train; events in
    /// [validationFrom, testFrom) are validation targets and events from `testFrom` on are test
    /// targets, each ranked given all of the sequence's earlier events.
    public static func globalTemporal(_ dataset: Dataset, validationFrom: Int64, testFrom: Int64,
                                      targets: WindowTargets = .all) throws -> DatasetSplit {
        guard let times = dataset.times else {
            throw DatasetError.invalidOption("\(dataset.directory): a global temporal split needs timestamps, and this dataset has none")
        }
        guard validationFrom <= testFrom else {
            throw DatasetError.invalidOption("the validation window must start before the test window")
        }
        var split = DatasetSplit(training: [], validation: [], test: [])
        let items = dataset.items
        for s in 0..<dataset.sequenceCount {
            let range = dataset.range(ofSequence: s)
            var firstValidation = range.upperBound
            for e in range where times[e] >= validationFrom { firstValidation = e; break }
            if firstValidation - range.lowerBound >= 2 {
                split.training.append(TrainingSpan(sequence: s, range: range.lowerBound..<firstValidation))
            }
            var tookValidation = false
            var tookTest = false
            for e in firstValidation..<range.upperBound {
                let isTest = times[e] >= testFrom
                if targets == .first && (isTest ? tookTest : tookValidation) { continue }
                if e == range.lowerBound { split.coldStartCases += 1; continue }
                let example = EvaluationCase(sequence: s, history: range.lowerBound..<e, target: items[e])
                if isTest { split.test.append(example); tookTest = true } else { split.validation.append(example); tookValidation = true }
            }
        }
        return split
    }

    /// A global temporal split whose windows hold the last `validationFraction` and
    /// `testFraction` of all events by time.
    public static func globalTemporal(_ dataset: Dataset, validationFraction: Double, testFraction: Double,
                                      targets: WindowTargets = .all) throws -> DatasetSplit {
        guard let times = dataset.times else {
            throw DatasetError.invalidOption("\(dataset.directory): a global temporal split needs timestamps, and this dataset has none")
        }
        guard validationFraction >= 0, testFraction > 0, validationFraction + testFraction < 1 else {
            throw DatasetError.invalidOption("validation and test fractions must be ≥ 0, > 0, and sum below 1")
        }
        let sorted = times.sorted()
        func quantile(_ q: Double) -> Int64 { sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
        return try globalTemporal(dataset, validationFrom: quantile(1 - validationFraction - testFraction),
                                  testFrom: quantile(1 - testFraction), targets: targets)
    }

    /// The split with training targets limited to `window`; for a time window, validation
    /// cases too (the early-stopping signal follows the behaviour trained on), unless none is
    /// in it. Test cases are kept: they already are each sequence's newest events.
    public func restricted(to window: TrainingWindow, dataset: Dataset) throws -> DatasetSplit {
        var restricted = self
        let cutoff: Int64
        switch window {
        case .lastEvents(let count):
            restricted.training = training.compactMap { span in
                let targeted = TrainingSpan(sequence: span.sequence, range: span.range, targetsFrom: max(span.targetsFrom, span.range.upperBound - count))
                return targeted.targetCount > 0 ? targeted : nil
            }
            return restricted
        case .recent(let seconds):
            guard let times = dataset.times else { throw Self.needsTimes(dataset, window) }
            // times.bin is untrusted: a damaged newest time must not overflow the subtraction.
            let (start, overflow) = (times.max() ?? 0).subtractingReportingOverflow(seconds)
            cutoff = overflow ? .min : start
        case .since(let seconds):
            guard dataset.times != nil else { throw Self.needsTimes(dataset, window) }
            cutoff = seconds
        }
        let times = dataset.times!
        restricted.training = training.compactMap { span in
            var first = span.range.upperBound
            for index in max(span.targetsFrom, span.range.lowerBound)..<span.range.upperBound where times[index] >= cutoff { first = index; break }
            let targeted = TrainingSpan(sequence: span.sequence, range: span.range, targetsFrom: max(span.targetsFrom, first))
            return targeted.targetCount > 0 ? targeted : nil
        }
        let recentValidation = validation.filter { times[$0.history.upperBound] >= cutoff }
        if !recentValidation.isEmpty { restricted.validation = recentValidation }
        return restricted
    }

    private static func needsTimes(_ dataset: Dataset, _ window: TrainingWindow) -> DatasetError {
        .invalidOption("\(dataset.directory) has no timestamps, so a window of \(window) cannot be applied (a number of events, e.g. --window 50, can)")
    }

    /// The cases of `cases` whose target happened at or after `unixSeconds`.
    public static func cases(_ cases: [EvaluationCase], since unixSeconds: Int64, dataset: Dataset) throws -> [EvaluationCase] {
        guard let times = dataset.times else {
            throw DatasetError.invalidOption("\(dataset.directory) has no timestamps to select cases by time")
        }
        return cases.filter { times[$0.history.upperBound] >= unixSeconds }
    }
}
