import Core
import Datasets
import Models
import Runs

/// Full-ranking evaluation as docs/measuring.md defines it: each target is ranked against every item
/// (rank = number of items scored strictly higher; padding never ranks), optionally with the
/// rest of the case's history excluded. Memory is one batch × items (at most
/// `scoreBudgetFloats` scores); results do not depend on the batch size.
public struct Evaluator: Sendable {
    public var maxLength: Int
    public var batchSize: Int
    /// Leave each case's other history items out of the ranking (`--exclude-seen`).
    public var excludeSeen: Bool
    /// With a target event (`--target-event buy`), "seen" means the history's events of that
    /// type (what the user already bought), not every item they viewed.
    public var targetEvent: UInt8?

    /// The scores of one batch are held at once; with large catalogues the batch shrinks to stay under this.
    public static let scoreBudgetFloats = 1 << 26

    public init(maxLength: Int, batchSize: Int = 1024, excludeSeen: Bool = false, targetEvent: UInt8? = nil) {
        self.maxLength = maxLength
        self.batchSize = batchSize
        self.excludeSeen = excludeSeen
        self.targetEvent = targetEvent
    }

    /// Ranks every case's target with `scorer`.
    public func evaluate(_ scorer: NextItemScorer, dataset: Dataset, cases: [EvaluationCase]) -> RankingMetrics {
        let v = scorer.vocabulary
        precondition(v == dataset.itemCount + 1, "the model's vocabulary (\(v - 1) items) differs from the dataset's (\(dataset.itemCount))")
        var metrics = RankingMetrics()
        metrics.seenExcluded = excludeSeen
        metrics.cases = cases.count
        guard !cases.isEmpty else { return metrics }
        let rows = min(batchSize, cases.count, max(1, Self.scoreBudgetFloats / v))
        let inputs = UnsafeMutableBufferPointer<Int32>.allocate(capacity: rows * maxLength)
        let targets = UnsafeMutableBufferPointer<Int32>.allocate(capacity: rows)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: rows * v)
        let ranks = UnsafeMutablePointer<Int>.allocate(capacity: rows)
        defer { inputs.deallocate(); targets.deallocate(); scores.deallocate(); ranks.deallocate() }
        let features = FeatureWindowBuffers(for: scorer.featureEmbedding?.features, cells: rows * maxLength)
        let previousWindow = scorer.featureEmbedding?.window
        scorer.featureEmbedding?.window = features?.window
        defer { scorer.featureEmbedding?.window = previousWindow }
        let items = dataset.items
        let seenEvents = targetEvent == nil ? nil : dataset.events
        let targetEvent = self.targetEvent
        var start = 0
        while start < cases.count {
            let batch = cases[start..<min(cases.count, start + rows)]
            let count = EvaluationBatcher.fill(batch, dataset: dataset, maxLength: maxLength, inputs: inputs, targets: targets, features: features?.buffers)
            scorer.score(histories: inputs.baseAddress!, rows: count, steps: maxLength, scores: scores)
            let filter = excludeSeen
            let first = batch.startIndex
            parallelStripes(count, minimumPerStripe: 16) { range in
                for row in range {
                    let s = scores + row * v
                    let target = Int(targets[row])
                    if filter {
                        let history = cases[first + row].history
                        if let seenEvents {
                            Ranker.mask(s, seen: history.lazy.filter { seenEvents[$0] == targetEvent }.map { Int32(items[$0]) }, keep: Int32(target))
                        } else {
                            Ranker.mask(s, seen: history.lazy.map { Int32(items[$0]) }, keep: Int32(target))
                        }
                    } else {
                        Ranker.mask(s, seen: EmptyCollection<Int32>())
                    }
                    let targetScore = s[target]
                    if targetScore.isNaN { ranks[row] = v; continue }
                    ranks[row] = Self.countAbove(targetScore, in: s + 1, count: v - 1)
                }
            }
            for row in 0..<count { metrics.add(rank: ranks[row]) }
            start += count
        }
        metrics.normalise()
        return metrics
    }
}

extension Evaluator {
    /// How many of `count` scores are strictly above `threshold`, eight lanes at a time
    /// (a million-item catalogue is a million comparisons per case).
    static func countAbove(_ threshold: Float, in scores: UnsafePointer<Float>, count: Int) -> Int {
        let limit = SIMD8<Float>(repeating: threshold)
        var lanes = SIMD8<Int32>()
        var j = 0
        while j + 8 <= count {
            let values = UnsafeRawPointer(scores + j).loadUnaligned(as: SIMD8<Float>.self)
            lanes &-= unsafeBitCast(values .> limit, to: SIMD8<Int32>.self)  // a true lane is all ones: −1
            j += 8
        }
        var higher = Int(lanes[0]) + Int(lanes[1]) + Int(lanes[2]) + Int(lanes[3]) + Int(lanes[4]) + Int(lanes[5]) + Int(lanes[6]) + Int(lanes[7])
        while j < count {
            if scores[j] > threshold { higher += 1 }
            j += 1
        }
        return higher
    }
}

extension RankingMetrics {
    mutating func add(rank: Int) {
        let gain = 1 / log2(Double(rank) + 2)
        if rank < 5 { hitRate5 += 1; ndcg5 += gain }
        if rank < 10 { hitRate10 += 1; ndcg10 += gain }
        if rank < 20 { hitRate20 += 1; ndcg20 += gain }
        mrr += 1 / Double(rank + 1)
    }

    mutating func normalise() {
        let n = Double(max(1, cases))
        hitRate5 /= n; hitRate10 /= n; hitRate20 /= n
        ndcg5 /= n; ndcg10 /= n; ndcg20 /= n
        mrr /= n
    }
}

#if canImport(Glibc)
import Glibc
#endif
