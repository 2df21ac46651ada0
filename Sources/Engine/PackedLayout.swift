/// Left-padded sequences of a (B, T) batch, packed time-major without their padding.
///
/// Rows are ordered longest first, so at step t the running rows are a prefix of the batch:
/// `active[t]` rows, stored contiguously from `offsets[t]`. Row r in step t continues row r
/// of step t-1. Recurrent layers then multiply only rows that have started, and the output
/// layer sees only positions that hold an item.
public struct PackedLayout: Sendable, Equatable {
    public let steps: Int
    /// Running rows per step (non-decreasing in t).
    public let active: [Int]
    /// Packed row where each step starts; `offsets[steps]` is the number of packed rows.
    public let offsets: [Int]
    /// Batch row (of the padded input) held by packed row r of every step.
    public let order: [Int]

    /// The layout of rows whose non-padding lengths are `lengths` (each ≤ `steps`), left padded.
    public init(lengths: [Int], steps: Int) {
        precondition(lengths.allSatisfy { $0 >= 0 && $0 <= steps })
        self.steps = steps
        // Longest first; equal lengths keep batch order.
        order = lengths.indices.sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        var active = [Int](repeating: 0, count: steps)
        for length in lengths where length > 0 {
            for t in (steps - length)..<steps { active[t] += 1 }
        }
        self.active = active
        var offsets = [0]
        offsets.reserveCapacity(steps + 1)
        for t in 0..<steps { offsets.append(offsets[t] + active[t]) }
        self.offsets = offsets
    }

    /// Packed rows in all.
    public var total: Int { offsets[steps] }

    /// Step t's running rows and their first packed row, and how many of them continue from
    /// step t-1 (its first `previousRows` rows, from packed row `previous`; 0 at t = 0).
    @inline(__always)
    public func step(_ t: Int) -> (rows: Int, here: Int, previousRows: Int, previous: Int) {
        (active[t], offsets[t], t > 0 ? active[t - 1] : 0, t > 0 ? offsets[t - 1] : 0)
    }

    /// The layout of left-padded ids (B × T, 0 = padding): lengths are counted from the first non-zero id.
    public init(paddedIds: UnsafePointer<Int32>, rows: Int, steps: Int) {
        var lengths = [Int](repeating: 0, count: rows)
        for row in 0..<rows {
            var t = 0
            while t < steps && paddedIds[row * steps + t] == 0 { t += 1 }
            lengths[row] = steps - t
        }
        self.init(lengths: lengths, steps: steps)
    }

    /// Writes, for every packed row, the recurrent state it was computed from: the previous
    /// step's row of `states` ([total, width]), or zeros for a sequence's first item. With it a
    /// recurrent layer's weight gradient Σ_t dGates_tᵀ · h_{t-1} is one product over all rows.
    public func previousStates(_ states: UnsafePointer<Float>, width: Int, into aligned: UnsafeMutablePointer<Float>) {
        for t in 0..<steps {
            let (rows, here, previousRows, previous) = step(t)
            if previousRows > 0 { (aligned + here * width).update(from: states + previous * width, count: previousRows * width) }
            (aligned + (here + previousRows) * width).update(repeating: 0, count: (rows - previousRows) * width)
        }
    }

    /// Copies `padded` (B × T values, row-major) into packed order (`total` values).
    public func pack(_ padded: UnsafePointer<Int32>, into packed: UnsafeMutablePointer<Int32>) {
        for t in 0..<steps {
            for r in 0..<active[t] { packed[offsets[t] + r] = padded[order[r] * steps + t] }
        }
    }
}
