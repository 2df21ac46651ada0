/// The one ranking path: histories of internal ids → every item's score → padding and, when
/// asked, the history's own items masked → the top k. `predict`, `serve` and `bench` rank
/// through a `Ranker`; `evaluate` packs and masks with the same two functions and counts the
/// target's rank instead of taking the top.
public final class Ranker {
    public let scorer: any NextItemScorer
    /// Most recent history items the scorer sees; longer histories are cut to their tail.
    public let maxLength: Int
    private var historyBuffer: [Int32] = []
    private var scoreBuffer: [Float] = []

    public init(scorer: any NextItemScorer, maxLength: Int) {
        self.scorer = scorer
        self.maxLength = maxLength
    }

    /// One history to rank for: internal ids (oldest first, not empty), how many items, and
    /// whether to leave out the items the history already holds (`exclude_seen`).
    public struct Query: Sendable {
        public var ids: [Int32]
        public var k: Int
        public var excludeSeen: Bool

        public init(ids: [Int32], k: Int, excludeSeen: Bool) {
            self.ids = ids
            self.k = k
            self.excludeSeen = excludeSeen
        }
    }

    /// The top items (internal id, score), best first, for each query, all scored in one
    /// forward pass. Not reentrant: call from one thread at a time.
    public func rank(_ queries: [Query]) -> [[(id: Int, score: Float)]] {
        guard !queries.isEmpty else { return [] }
        let vocabulary = scorer.vocabulary
        // Always the full window: the models skip padding, and one shape keeps their scoring
        // workspaces allocated once instead of per batch.
        let steps = maxLength, rows = queries.count
        if historyBuffer.count < rows * steps { historyBuffer = [Int32](repeating: 0, count: rows * steps) }
        if scoreBuffer.count < rows * vocabulary { scoreBuffer = [Float](repeating: 0, count: rows * vocabulary) }
        historyBuffer.withUnsafeMutableBufferPointer { histories in
            for (row, query) in queries.enumerated() {
                Self.packWindow(query.ids, steps: steps, into: histories.baseAddress! + row * steps)
            }
        }
        historyBuffer.withUnsafeBufferPointer { histories in
            scoreBuffer.withUnsafeMutableBufferPointer { scores in
                scorer.score(histories: histories.baseAddress!, rows: rows, steps: steps, scores: scores.baseAddress!)
                for (row, query) in queries.enumerated() {
                    Self.mask(scores.baseAddress! + row * vocabulary, seen: query.excludeSeen ? query.ids : [])
                }
            }
        }
        return queries.enumerated().map { row, query in
            let base = row * vocabulary
            return TopK.select(scoreBuffer, range: base..<(base + vocabulary), k: min(query.k, vocabulary - 1))
                .map { (id: $0, score: scoreBuffer[base + $0]) }
        }
    }

    /// Writes the latest `steps` ids of `history` into `window`, left-padded with 0.
    public static func packWindow(_ history: some Collection<Int32>, steps: Int, into window: UnsafeMutablePointer<Int32>) {
        let kept = history.suffix(steps)
        let padding = steps - kept.count
        window.update(repeating: 0, count: padding)
        for (offset, id) in kept.enumerated() { window[padding + offset] = id }
    }

    /// Masks one row of scores: padding (id 0) always, and every id of `seen` except `keep`
    /// (evaluation keeps its target, which may repeat an earlier item). Masked scores are −∞,
    /// which ranking never returns.
    public static func mask(_ scores: UnsafeMutablePointer<Float>, seen: some Sequence<Int32>, keep: Int32 = 0) {
        scores[0] = -.infinity
        for id in seen where id != keep { scores[Int(id)] = -.infinity }
    }
}
