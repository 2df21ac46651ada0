import Datasets

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
        /// Each history item's event type id (0: unknown), for a model that reads event types.
        public var events: [UInt8]?
        /// Each history item's unix time, for a model that reads time gaps.
        public var times: [Int64]?

        public init(ids: [Int32], k: Int, excludeSeen: Bool, events: [UInt8]? = nil, times: [Int64]? = nil) {
            self.ids = ids
            self.k = k
            self.excludeSeen = excludeSeen
            self.events = events
            self.times = times
        }
    }

    /// Per-position event types and time gaps of the batch being ranked (models that read them);
    /// manually allocated so the model may hold their addresses while it scores.
    private var eventBuffer = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)
    private var gapBuffer = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

    deinit {
        eventBuffer.deallocate()
        gapBuffer.deallocate()
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
        let featureWindow = fillFeatures(queries, steps: steps)
        historyBuffer.withUnsafeBufferPointer { histories in
            scoreBuffer.withUnsafeMutableBufferPointer { scores in
                if featureWindow { scorer.featureEmbedding?.window = FeatureWindow(events: eventBuffer.baseAddress, gaps: gapBuffer.baseAddress) }
                defer { if featureWindow { scorer.featureEmbedding?.window = nil } }
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

    /// Fills the feature buffers for `queries` (aligned with their packed windows) when the
    /// scorer reads event types or time gaps; returns whether it does.
    private func fillFeatures(_ queries: [Query], steps: Int) -> Bool {
        guard let features = scorer.featureEmbedding?.features, features.needsWindow else { return false }
        let cells = queries.count * steps
        if eventBuffer.count < cells {
            eventBuffer.deallocate()
            gapBuffer.deallocate()
            eventBuffer = .allocate(capacity: cells)
            gapBuffer = .allocate(capacity: cells)
        }
        for (row, query) in queries.enumerated() {
            let kept = min(steps, query.ids.count), pad = steps - kept, first = query.ids.count - kept
            for t in 0..<steps {
                let cell = row * steps + t
                guard t >= pad else { eventBuffer[cell] = 0; gapBuffer[cell] = 0; continue }
                let index = first + t - pad
                eventBuffer[cell] = query.events.map { index < $0.count ? $0[index] : 0 } ?? 0
                if let times = query.times, index < times.count {
                    gapBuffer[cell] = TimeGap.bucket(at: times[index], previous: index > 0 ? times[index - 1] : nil)
                } else {
                    gapBuffer[cell] = 0
                }
            }
        }
        return true
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
