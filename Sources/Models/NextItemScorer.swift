/// Anything that scores every item as the next one after a history: neural models and
/// baselines alike, so one evaluator ranks them all the same way.
public protocol NextItemScorer: AnyObject {
    /// Items + 1 (id 0 is padding and is never ranked).
    var vocabulary: Int { get }

    /// Scores of all `vocabulary` ids for each of `rows` left-padded histories (rows × steps ids,
    /// 0 = padding), written to `scores` (rows × vocabulary, row-major). Higher is more likely.
    func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>)

    /// How the scorer reads inputs besides item ids (nil: ids only). Callers set its `window`
    /// to the per-position features of the next `score` or `trainStep` call's histories.
    var featureEmbedding: InputFeatureEmbedding? { get }
}

extension NextItemScorer {
    public var featureEmbedding: InputFeatureEmbedding? { nil }
}
