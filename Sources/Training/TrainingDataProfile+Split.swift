import Datasets
import Models
import Runs

extension TrainingDataProfile {
    /// What the families' defaults read from the training split of `data`.
    public init(_ data: Dataset, split: DatasetSplit) {
        let spans = split.training
        let mean = spans.isEmpty ? 0 : Double(spans.reduce(0) { $0 + $1.range.count }) / Double(spans.count)
        self.init(items: data.itemCount, meanHistoryLength: mean) { Self.repeatFraction(data, spans: spans) }
    }

    /// The fraction of training targets that repeat an item earlier in their span.
    static func repeatFraction(_ data: Dataset, spans: [TrainingSpan]) -> Double {
        let items = data.items
        var repeats = 0, targets = 0
        var seen = Set<UInt32>()
        for span in spans {
            seen.removeAll(keepingCapacity: true)
            for index in span.range {
                if index > span.range.lowerBound {
                    targets += 1
                    if seen.contains(items[index]) { repeats += 1 }
                }
                seen.insert(items[index])
            }
        }
        return targets == 0 ? 0 : Double(repeats) / Double(targets)
    }
}
