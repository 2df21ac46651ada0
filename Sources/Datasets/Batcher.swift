import Core

/// Yields left-padded (B, T) training windows straight from a memory-mapped dataset.
///
/// A window ending at index `e` of a span holds the up-to-T most recent items before `e`:
/// `inputs[t]` is an item and `targets[t]` the item that followed it; padding (0) fills the
/// left. With `.latest` each span gives one window (its most recent T items); with
/// `.sliding(stride:)` long spans also give windows ending `stride`, `2·stride`, … earlier.
/// Targets before a span's `targetsFrom` are padding (context only), and so are, with a
/// `targetEvent`, positions whose next event is of another type (`train --target-event buy`:
/// every event is input, only buys are targets); windows without a target are left out.
/// Nothing is copied up front: each batch is filled into buffers the caller owns.
public struct TrainingBatcher: Sendable {
    public enum Windows: Sendable, Equatable {
        case latest
        case sliding(stride: Int)
    }

    public let batchSize: Int
    public let maxLength: Int
    private let dataset: Dataset
    /// (span start, window end, first target index) per window.
    private let windowStarts: [Int]
    private let windowEnds: [Int]
    private let windowTargetsFrom: [Int]
    private var order: [Int32]
    /// Only events of this type are targets (nil: every event).
    public let targetEvent: UInt8?

    public init(dataset: Dataset, spans: [TrainingSpan], batchSize: Int, maxLength: Int, windows: Windows = .latest, targetEvent: UInt8? = nil) {
        precondition(batchSize > 0 && maxLength > 0)
        precondition(targetEvent == nil || dataset.events != nil, "a target event needs a dataset with event types")
        self.dataset = dataset
        self.batchSize = batchSize
        self.maxLength = maxLength
        self.targetEvent = targetEvent
        var starts: [Int] = []
        var ends: [Int] = []
        var targetsFrom: [Int] = []
        starts.reserveCapacity(spans.count)
        ends.reserveCapacity(spans.count)
        targetsFrom.reserveCapacity(spans.count)
        for span in spans where span.range.count >= 2 && span.targetCount > 0 {
            switch windows {
            case .latest:
                starts.append(span.range.lowerBound)
                ends.append(span.range.upperBound)
                targetsFrom.append(span.targetsFrom)
            case .sliding(let stride):
                precondition(stride > 0)
                var end = span.range.upperBound
                while end - span.range.lowerBound >= 2 && end > span.targetsFrom {
                    starts.append(span.range.lowerBound)
                    ends.append(end)
                    targetsFrom.append(span.targetsFrom)
                    end -= stride
                }
            }
        }
        if let targetEvent, let events = dataset.events {
            // Keep the windows that hold at least one target of the type.
            let T = maxLength
            let keep = starts.indices.filter { w in
                let firstTarget = max(ends[w] - min(T, ends[w] - starts[w] - 1), targetsFrom[w])
                return (firstTarget..<ends[w]).contains { events[$0] == targetEvent }
            }
            starts = keep.map { starts[$0] }
            ends = keep.map { ends[$0] }
            targetsFrom = keep.map { targetsFrom[$0] }
        }
        windowStarts = starts
        windowEnds = ends
        windowTargetsFrom = targetsFrom
        order = (0..<Int32(starts.count)).map { $0 }
    }

    /// Windows in one epoch.
    public var windowCount: Int { windowStarts.count }
    /// Batches in one epoch (the last may be partial).
    public var batchCount: Int { (windowCount + batchSize - 1) / batchSize }

    /// Puts the windows in a new random order, the same for the same seed.
    public mutating func shuffle(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        order = (0..<Int32(windowCount)).map { $0 }
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
    }

    /// The number of (non-padding) targets in batch `index`.
    public func targetCount(batch index: Int) -> Int {
        let first = index * batchSize
        var count = 0
        for row in first..<min(windowCount, first + batchSize) {
            let window = Int(order[row])
            let end = windowEnds[window]
            let firstTarget = max(end - min(maxLength, end - windowStarts[window] - 1), windowTargetsFrom[window])
            if let targetEvent, let events = dataset.events {
                for index in firstTarget..<end where events[index] == targetEvent { count += 1 }
            } else {
                count += end - firstTarget
            }
        }
        return count
    }

    /// Fills batch `index` into `inputs` and `targets` (each batchSize × maxLength, row-major)
    /// and returns the number of rows filled; rows past that are zero. With `features`, each
    /// input's event type and time-gap bucket go into its buffers at the same place.
    public func fill(batch index: Int, inputs: UnsafeMutableBufferPointer<Int32>, targets: UnsafeMutableBufferPointer<Int32>,
                     features: FeatureBuffers? = nil) -> Int {
        precondition(inputs.count >= batchSize * maxLength && targets.count >= batchSize * maxLength)
        let first = index * batchSize
        let rows = max(0, min(batchSize, windowCount - first))
        let items = dataset.items
        let events = targetEvent == nil ? nil : dataset.events
        let T = maxLength
        for row in 0..<batchSize {
            let base = row * T
            guard row < rows else {
                for t in 0..<T { inputs[base + t] = 0; targets[base + t] = 0 }
                features?.clear(base..<(base + T))
                continue
            }
            let window = Int(order[first + row])
            let start = windowStarts[window]
            let end = windowEnds[window]
            let length = min(T, end - start - 1)
            let pad = T - length
            let targetsFrom = windowTargetsFrom[window]
            for t in 0..<pad { inputs[base + t] = 0; targets[base + t] = 0 }
            features?.clear(base..<(base + pad))
            for k in 0..<length {
                inputs[base + pad + k] = Int32(items[end - 1 - length + k])
                features?.fill(base + pad + k, event: end - 1 - length + k, sequenceStart: start, dataset: dataset)
                let index = end - length + k
                let isTarget = index >= targetsFrom && (events.map { $0[index] == targetEvent } ?? true)
                targets[base + pad + k] = isTarget ? Int32(items[index]) : 0
            }
        }
        return rows
    }
}

/// Fills left-padded histories of evaluation cases, (B, T) row-major, and their targets.
public enum EvaluationBatcher {
    /// Writes `cases[range]` into `inputs` (range.count × maxLength) and `targets`; returns the rows filled.
    @discardableResult
    public static func fill(_ cases: ArraySlice<EvaluationCase>, dataset: Dataset, maxLength: Int,
                            inputs: UnsafeMutableBufferPointer<Int32>, targets: UnsafeMutableBufferPointer<Int32>,
                            features: FeatureBuffers? = nil) -> Int {
        let items = dataset.items
        for (row, example) in cases.enumerated() {
            let base = row * maxLength
            let length = min(maxLength, example.history.count)
            let pad = maxLength - length
            for t in 0..<pad { inputs[base + t] = 0 }
            features?.clear(base..<(base + pad))
            let from = example.history.upperBound - length
            for k in 0..<length {
                inputs[base + pad + k] = Int32(items[from + k])
                features?.fill(base + pad + k, event: from + k, sequenceStart: example.history.lowerBound, dataset: dataset)
            }
            targets[row] = Int32(example.target)
        }
        return cases.count
    }
}

/// Per-input features beside a (B, T) window of item ids, at the same places: each event's type
/// id (`events`, 0 for padding) and the bucket of the time since the sequence's previous event
/// (`gaps`, `TimeGap.bucket`). Either may be absent.
public struct FeatureBuffers {
    public var events: UnsafeMutableBufferPointer<UInt8>?
    public var gaps: UnsafeMutableBufferPointer<UInt8>?

    public init(events: UnsafeMutableBufferPointer<UInt8>?, gaps: UnsafeMutableBufferPointer<UInt8>?) {
        self.events = events
        self.gaps = gaps
    }

    func clear(_ cells: Range<Int>) {
        for cell in cells {
            events?[cell] = 0
            gaps?[cell] = 0
        }
    }

    /// Writes the features of the dataset's event `index` (of a sequence starting at `sequenceStart`) to `cell`.
    func fill(_ cell: Int, event index: Int, sequenceStart: Int, dataset: Dataset) {
        if let events { events[cell] = dataset.events?[index] ?? 0 }
        if let gaps {
            if let times = dataset.times {
                gaps[cell] = TimeGap.bucket(at: times[index], previous: index > sequenceStart ? times[index - 1] : nil)
            } else {
                gaps[cell] = 0
            }
        }
    }
}

/// The time since a sequence's previous event as a small vocabulary: 0 unknown (padding, no
/// times), 1 the sequence's first event, then log₂ buckets of seconds, so a minute, an hour, a
/// day and a month apart are different inputs.
public enum TimeGap {
    public static let first: UInt8 = 1
    /// Buckets in all (rows of a time-gap embedding table).
    public static let buckets = 34

    /// The bucket of an event at `time` after one at `previous`, or `first` when it has none.
    public static func bucket(at time: Int64, previous: Int64?) -> UInt8 {
        previous.map { bucket(seconds: time - $0) } ?? first
    }

    /// 2 + ⌊log₂(1 + seconds)⌋, at most `buckets − 1` (a negative gap counts as none).
    public static func bucket(seconds: Int64) -> UInt8 {
        let gap = UInt64(max(0, seconds))
        let log = 63 - (gap &+ 1).leadingZeroBitCount
        return UInt8(min(buckets - 1, 2 + log))
    }
}
