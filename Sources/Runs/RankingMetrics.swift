import Foundation

/// HR and NDCG at 5, 10 and 20, and MRR, averaged over ranking cases.
public struct RankingMetrics: Codable, Sendable, Equatable {
    public var hitRate5 = 0.0
    public var hitRate10 = 0.0
    public var hitRate20 = 0.0
    public var ndcg5 = 0.0
    public var ndcg10 = 0.0
    public var ndcg20 = 0.0
    public var mrr = 0.0
    /// Ranking cases averaged over.
    public var cases = 0
    /// Whether the case's other history items were excluded from the ranking.
    public var seenExcluded = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case hitRate5 = "HR@5", hitRate10 = "HR@10", hitRate20 = "HR@20"
        case ndcg5 = "NDCG@5", ndcg10 = "NDCG@10", ndcg20 = "NDCG@20"
        case mrr = "MRR", cases, seenExcluded = "seen_filtered"
    }

    /// One line for logs and tables.
    public var summary: String {
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        return "HR@10 \(f(hitRate10))  NDCG@10 \(f(ndcg10))  MRR \(f(mrr))  HR@5 \(f(hitRate5))  HR@20 \(f(hitRate20))  NDCG@5 \(f(ndcg5))  NDCG@20 \(f(ndcg20))  (\(cases) cases\(seenExcluded ? ", seen items excluded" : ""))"
    }
}
