import Engine

/// Where the attention families pack left-padded windows: the ids, absolute positions,
/// targets and (for input features) window cells of the non-padding positions, sequence by
/// sequence, without the padding.
struct PackedHistories {
    let ids: UnsafeMutablePointer<Int32>
    let positions: UnsafeMutablePointer<Int32>
    let targets: UnsafeMutablePointer<Int32>
    /// Each position's place in the (rows × steps) window, or nil when nobody reads it.
    let cells: UnsafeMutablePointer<Int32>?

    /// Packs rows × steps left-padded `inputs` (and `targets`, when given) for a model that knows
    /// `maxLength` positions: the last column is position `maxLength`, and only the most recent
    /// `maxLength` items of a row have one. `cellOffset` is the place of `inputs` in the feature
    /// window (scoring splits large batches). Returns the segments.
    func pack(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>?, rows: Int, steps: Int, maxLength: Int, heads: Int,
              cellOffset: Int = 0) -> CausalSelfAttention.Segments {
        var lengths: [Int] = []
        lengths.reserveCapacity(rows)
        var p = 0
        let firstPosition = maxLength - steps + 1
        for r in 0..<rows {
            var t = 0
            while t < steps && inputs[r * steps + t] == 0 { t += 1 }
            t = max(t, steps - maxLength)
            lengths.append(steps - t)
            while t < steps {
                ids[p] = inputs[r * steps + t]
                positions[p] = Int32(firstPosition + t)
                cells?[p] = Int32(cellOffset + r * steps + t)
                if let targets { self.targets[p] = targets[r * steps + t] }
                p += 1
                t += 1
            }
        }
        return CausalSelfAttention.Segments(lengths: lengths, heads: heads)
    }
}
