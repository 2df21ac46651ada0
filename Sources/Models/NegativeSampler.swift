import Core

/// Draws item ids (1..<vocabulary) for sampled losses: uniformly, or in proportion to each
/// item's count in the training data (Walker's alias method: O(1) per draw). Knows each
/// item's log expected count in a sample, for the logQ correction.
public struct NegativeSampler: Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case uniform, popularity
    }

    public let kind: Kind
    public let vocabulary: Int
    private let probabilities: [Float]
    private let aliasProbability: [Float]
    private let alias: [Int32]

    /// A uniform sampler over items 1..<vocabulary.
    public init(uniformOver vocabulary: Int) {
        kind = .uniform
        self.vocabulary = vocabulary
        probabilities = []
        aliasProbability = []
        alias = []
    }

    /// A sampler in proportion to `counts` (index = item id; entry 0, padding, is ignored).
    /// Items never seen get a count of 1, so every item can be drawn.
    public init(counts: [Int]) {
        kind = .popularity
        vocabulary = counts.count
        let items = max(1, counts.count - 1)
        let weights = (1..<max(2, counts.count)).map { Double(max(1, counts.indices.contains($0) ? counts[$0] : 1)) }
        let total = weights.reduce(0, +)
        probabilities = [0] + weights.map { Float($0 / total) }
        // Alias table over the items (index i ↔ item i + 1).
        var scaled = weights.map { $0 / total * Double(items) }
        var aliasProbability = [Float](repeating: 1, count: items), alias = [Int32](repeating: 0, count: items)
        var small = scaled.indices.filter { scaled[$0] < 1 }, large = scaled.indices.filter { scaled[$0] >= 1 }
        while let s = small.popLast(), let l = large.popLast() {
            aliasProbability[s] = Float(scaled[s])
            alias[s] = Int32(l)
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 { small.append(l) } else { large.append(l) }
        }
        self.aliasProbability = aliasProbability
        self.alias = alias
    }

    /// One item id.
    @inline(__always)
    public func draw(_ random: inout SeededRandom) -> Int32 {
        let items = vocabulary - 1
        let slot = Int(random.next() % UInt64(items))
        if kind == .uniform { return Int32(slot + 1) }
        let coin = Float(random.unit())
        return Int32((coin < aliasProbability[slot] ? slot : Int(alias[slot])) + 1)
    }

    /// log(expected count of `item` in a sample of `size` draws): log(size · q(item)).
    @inline(__always)
    public func logExpectedCount(_ item: Int32, sampleSize size: Int) -> Float {
        let q = kind == .uniform ? 1 / Float(vocabulary - 1) : probabilities[Int(item)]
        return logf(Float(size) * q)
    }
}

#if canImport(Glibc)
import Glibc
#endif
