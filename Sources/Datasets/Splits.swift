/// A stretch of one sequence to train on: every item in `range` after its first is a
/// next-item target given the items before it. Ranges index `Dataset.items`.
public struct TrainingSpan: Sendable, Equatable {
    public var sequence: Int
    public var range: Range<Int>
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
}
