import Engine

/// Leaves the items seen earlier in a packed sequence out of each position's softmax (a
/// position's own target always stays): `excludeSeenFromLoss` of the attention families.
struct SeenItemExclusion {
    /// Row r's sequence starts at packed row firstRow[r]: row r saw the ids from there through r.
    private let firstRow: [Int32]
    private let ids: UnsafePointer<Int32>
    private let targets: UnsafePointer<Int32>

    init(segments: CausalSelfAttention.Segments, ids: UnsafePointer<Int32>, targets: UnsafePointer<Int32>) {
        var firstRow = [Int32](repeating: 0, count: segments.rows)
        for s in segments.lengths.indices {
            for r in segments.starts[s]..<(segments.starts[s] + segments.lengths[s]) { firstRow[r] = Int32(segments.starts[s]) }
        }
        self.firstRow = firstRow
        self.ids = ids
        self.targets = targets
    }

    /// Sets the logits of packed row `row`'s seen items (other than its target) to −∞.
    func apply(row: Int, logits: UnsafeMutablePointer<Float>) {
        let target = targets[row]
        for q in Int(firstRow[row])...row where ids[q] != target { logits[Int(ids[q])] = -.infinity }
    }
}
