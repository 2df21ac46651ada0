import Datasets

/// Most popular items first, the same list for everyone.
public final class PopularityModel: NextItemScorer {
    public let vocabulary: Int
    /// Training events per item id (index 0 unused).
    public let counts: [Float]

    /// Counts every item of the training spans, or only its events of `targetEvent` (the
    /// popularity of buys when buys are the target).
    public init(dataset: Dataset, training: [TrainingSpan], targetEvent: UInt8? = nil) {
        vocabulary = dataset.itemCount + 1
        guard let targetEvent, let events = dataset.events else {
            counts = dataset.itemEventCounts(in: training.map(\.range)).map(Float.init)
            return
        }
        var counts = [Float](repeating: 0, count: vocabulary)
        let items = dataset.items
        for span in training { for e in span.range where events[e] == targetEvent { counts[Int(items[e])] += 1 } }
        self.counts = counts
    }

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        for row in 0..<rows { (scores + row * vocabulary).update(from: counts, count: vocabulary) }
    }
}

/// First-order Markov chain: how often each item followed the history's last item in training,
/// with popularity breaking ties (and standing in for items never seen as a predecessor). With
/// a `targetEvent`, only transitions into events of that type count (from any event to the next buy).
public final class MarkovModel: NextItemScorer {
    public let vocabulary: Int
    private let popularity: PopularityModel
    /// For item i: successors and counts, in `successorOffsets[i]..<successorOffsets[i+1]`.
    private let successorOffsets: [Int]
    private let successors: [Int32]
    private let successorCounts: [Float]

    public init(dataset: Dataset, training: [TrainingSpan], targetEvent: UInt8? = nil) {
        popularity = PopularityModel(dataset: dataset, training: training, targetEvent: targetEvent)
        vocabulary = popularity.vocabulary
        var transitions: [[Int32: Float]] = Array(repeating: [:], count: vocabulary)
        let items = dataset.items
        let events = targetEvent == nil ? nil : dataset.events
        for span in training where span.range.count >= 2 {
            for e in (span.range.lowerBound + 1)..<span.range.upperBound where events.map({ $0[e] == targetEvent }) ?? true {
                transitions[Int(items[e - 1])][Int32(items[e]), default: 0] += 1
            }
        }
        var offsets = [0]
        var next: [Int32] = []
        var counts: [Float] = []
        for map in transitions {
            for (item, count) in map.sorted(by: { $0.key < $1.key }) { next.append(item); counts.append(count) }
            offsets.append(next.count)
        }
        successorOffsets = offsets
        successors = next
        successorCounts = counts
    }

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        // Popularity scaled below one transition count only breaks ties.
        let maxCount = max(1, popularity.counts.max() ?? 1)
        let tieScale = 0.5 / maxCount
        for row in 0..<rows {
            let out = scores + row * vocabulary
            for item in 0..<vocabulary { out[item] = popularity.counts[item] * tieScale }
            let last = Int(histories[row * steps + steps - 1])
            guard last > 0 else { continue }
            for k in successorOffsets[last]..<successorOffsets[last + 1] {
                out[Int(successors[k])] += successorCounts[k]
            }
        }
    }
}
