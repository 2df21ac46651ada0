import Foundation
import Models

/// What one forward pass of a loaded model costs as batches grow, measured when the model is
/// loaded, and the batch cap it implies for the micro-batcher.
///
/// Per history a pass gets cheaper as the batch grows, up to a knee (SASRec on ML-1M, 2 cores:
/// 0.12 ms alone, 0.07 ms from 4 on); past it a larger batch only makes the requests that arrive
/// during a pass wait longer (64-connection p99 ~20 ms with batches of 64, ~10 ms with 8–16:
/// bench/serve-results.md). The cap is the knee, grown while a pass stays short.
public struct BatchCurve: Sendable {
    /// One measured size: histories per pass and the median seconds of a pass.
    public struct Point: Sendable {
        public var size: Int
        public var seconds: Double
        public var secondsPerHistory: Double { seconds / Double(size) }
    }

    public var points: [Point]

    /// Sizes tried, in order; measuring stops at the first size whose pass takes over `stopSeconds`.
    public static let sizes = [1, 2, 4, 8, 16, 32, 64]
    static let stopSeconds = 0.05

    /// Times `repeats` passes of each size over `histories` (cycled), after one warm-up pass.
    /// Not reentrant (the ranker is the model's): call before the model serves.
    public static func measure(ranker: Ranker, histories: [[Int32]], repeats: Int = 5) -> BatchCurve {
        precondition(!histories.isEmpty && histories.allSatisfy { !$0.isEmpty })
        var points: [Point] = []
        var next = 0
        for size in sizes {
            func queries() -> [Ranker.Query] {
                (0..<size).map { _ in
                    defer { next = (next + 1) % histories.count }
                    return Ranker.Query(ids: histories[next], k: 10, excludeSeen: false)
                }
            }
            _ = ranker.rank(queries())
            var times: [Double] = []
            for _ in 0..<repeats {
                let batch = queries()
                let start = DispatchTime.now().uptimeNanoseconds
                _ = ranker.rank(batch)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let median = times.sorted()[times.count / 2]
            points.append(Point(size: size, seconds: median))
            if median > stopSeconds { break }
        }
        return BatchCurve(points: points)
    }

    /// The batch cap: the knee (the smallest size whose cost per history is within `tolerance`
    /// of the cheapest measured), or larger while a pass takes at most `passBudget` seconds.
    public func preferredBatch(tolerance: Double = 0.1, passBudget: Double = 0.001) -> Int {
        guard let cheapest = points.map(\.secondsPerHistory).min() else { return 1 }
        let knee = points.first { $0.secondsPerHistory <= cheapest * (1 + tolerance) }?.size ?? 1
        let short = points.filter { $0.seconds <= passBudget }.map(\.size).max() ?? 1
        return max(knee, short)
    }
}
