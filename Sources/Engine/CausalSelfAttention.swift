import Core

/// Scaled dot-product attention with a causal mask over packed sequences of different
/// lengths: each query attends to the keys at and before its own position in its own
/// sequence. Padding never appears (sequences are packed), so no work is spent on it.
///
/// Queries are taken in tiles of `tile` rows; a tile only multiplies the keys up to its
/// last row, which skips most of the masked upper triangle. Probabilities (after softmax,
/// before dropout) are kept per sequence and head as an n × n block for the backward pass.
/// Products run single-threaded inside; the sequences are spread over the cores.
public enum CausalSelfAttention {
    public static let tile = 64

    /// Where each sequence lives in the packed rows and in the probability store.
    public struct Segments: Sendable {
        public let starts: [Int]
        public let lengths: [Int]
        /// Offset of sequence s's probability blocks (heads × n × n floats).
        public let probabilityOffsets: [Int]
        public let heads: Int

        public init(lengths: [Int], heads: Int) {
            self.lengths = lengths
            self.heads = heads
            var starts: [Int] = [], offsets: [Int] = []
            var row = 0, offset = 0
            for n in lengths {
                starts.append(row)
                offsets.append(offset)
                row += n
                offset += heads * n * n
            }
            self.starts = starts
            probabilityOffsets = offsets
            rows = row
            probabilityCount = offset
        }

        /// Packed rows in all.
        public let rows: Int
        /// Floats the probabilities (and their dropout mask) need.
        public let probabilityCount: Int
        public var longest: Int { lengths.max() ?? 0 }
    }

    /// out = softmax(Q Kᵀ / √dₕ + causal mask) (with dropout) · V, per head; Q, K, V, out are
    /// [rows, d] with head h in columns h·dₕ ..< (h+1)·dₕ. With `dropout` > 0, `mask` receives
    /// the dropout scale of every kept probability (0 or 1/(1−p)), drawn from `seed` per
    /// sequence, so results do not depend on how sequences are spread over cores.
    public static func forward(query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
                               mask: UnsafeMutablePointer<Float>?, dropout: Float, seed: UInt64,
                               segments: Segments, channels d: Int, threads: Int) {
        let heads = segments.heads, dh = d / heads
        let scale = 1 / Float(dh).squareRoot()
        nonisolated(unsafe) let output = output, probabilities = probabilities, mask = mask
        forEachSegment(segments, threads: threads, scratchPerSegment: tile * segments.longest) { s, scratch in
            let n = segments.lengths[s], o = segments.starts[s]
            var random = SeededRandom(seed: seed &+ UInt64(s) &* 0x9E37_79B9_7F4A_7C15)
            let keep = 1 / (1 - dropout), threshold = UInt64(Double(dropout) * Double(UInt64.max))
            for head in 0..<heads {
                let column = head * dh
                let a = probabilities + segments.probabilityOffsets[s] + head * n * n
                let m = mask.map { $0 + segments.probabilityOffsets[s] + head * n * n }
                var q0 = 0
                while q0 < n {
                    let q1 = min(n, q0 + tile), rows = q1 - q0
                    BLAS.gemm(transposeB: true, m: rows, n: q1, k: dh, alpha: scale, a: query + (o + q0) * d + column, lda: d,
                              b: key + o * d + column, ldb: d, beta: 0, c: a + q0 * n, ldc: n)
                    for i in q0..<q1 {
                        let row = a + i * n
                        causalSoftmax(row, length: i + 1, width: q1)
                    }
                    var weights = UnsafePointer(a + q0 * n), ldw = n
                    if let m, dropout > 0 {
                        // Dropped probabilities go to the product through scratch; the kept ones stay for the backward pass.
                        for i in q0..<q1 {
                            let row = a + i * n, maskRow = m + i * n, dropped = scratch + (i - q0) * q1
                            for j in 0..<q1 {
                                let scaleJ: Float = j <= i && random.next() >= threshold ? keep : 0
                                maskRow[j] = scaleJ
                                dropped[j] = row[j] * scaleJ
                            }
                        }
                        weights = UnsafePointer(scratch)
                        ldw = q1
                    }
                    BLAS.gemm(m: rows, n: dh, k: q1, a: weights, lda: ldw, b: value + o * d + column, ldb: d,
                              beta: 0, c: output + (o + q0) * d + column, ldc: d)
                    q0 = q1
                }
            }
        }
    }

    /// Gradients of Q, K and V (written, not accumulated) from dOut, using the probabilities
    /// (and mask) the forward pass kept.
    public static func backward(outputGradient: UnsafePointer<Float>, query: UnsafePointer<Float>, key: UnsafePointer<Float>,
                                value: UnsafePointer<Float>, probabilities: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                queryGradient: UnsafeMutablePointer<Float>, keyGradient: UnsafeMutablePointer<Float>,
                                valueGradient: UnsafeMutablePointer<Float>, segments: Segments, channels d: Int, threads: Int) {
        let heads = segments.heads, dh = d / heads
        let scale = 1 / Float(dh).squareRoot()
        nonisolated(unsafe) let queryGradient = queryGradient, keyGradient = keyGradient, valueGradient = valueGradient
        forEachSegment(segments, threads: threads, scratchPerSegment: 2 * tile * segments.longest) { s, scratch in
            let n = segments.lengths[s], o = segments.starts[s]
            for row in o..<(o + n) {
                (keyGradient + row * d).update(repeating: 0, count: d)
                (valueGradient + row * d).update(repeating: 0, count: d)
            }
            for head in 0..<heads {
                let column = head * dh
                let a = probabilities + segments.probabilityOffsets[s] + head * n * n
                let m = mask.map { $0 + segments.probabilityOffsets[s] + head * n * n }
                var q0 = 0
                while q0 < n {
                    let q1 = min(n, q0 + tile), rows = q1 - q0
                    let gradient = scratch, dropped = scratch + tile * segments.longest
                    // dA' = dOut · Vᵀ (A' = the probabilities after dropout).
                    BLAS.gemm(transposeB: true, m: rows, n: q1, k: dh, a: outputGradient + (o + q0) * d + column, lda: d,
                              b: value + o * d + column, ldb: d, beta: 0, c: gradient, ldc: q1)
                    var weights = a + q0 * n, ldw = n
                    if let m {
                        for i in q0..<q1 {
                            let g = gradient + (i - q0) * q1, maskRow = m + i * n, row = a + i * n, drop = dropped + (i - q0) * q1
                            for j in 0..<q1 { g[j] *= maskRow[j]; drop[j] = row[j] * maskRow[j] }
                        }
                        weights = UnsafePointer(dropped)
                        ldw = q1
                    }
                    // dV += A'ᵀ · dOut.
                    BLAS.gemm(transposeA: true, m: q1, n: dh, k: rows, a: weights, lda: ldw, b: outputGradient + (o + q0) * d + column, ldb: d,
                              beta: 1, c: valueGradient + o * d + column, ldc: d)
                    // dS = A ⊙ (dA − Σⱼ dA·A), over the unmasked part of each row.
                    for i in q0..<q1 {
                        let g = gradient + (i - q0) * q1, row = a + i * n
                        var dot: Float = 0
                        for j in 0...i { dot += g[j] * row[j] }
                        for j in 0...i { g[j] = row[j] * (g[j] - dot) }
                        for j in (i + 1)..<q1 { g[j] = 0 }
                    }
                    BLAS.gemm(m: rows, n: dh, k: q1, alpha: scale, a: gradient, lda: q1, b: key + o * d + column, ldb: d,
                              beta: 0, c: queryGradient + (o + q0) * d + column, ldc: d)
                    BLAS.gemm(transposeA: true, m: q1, n: dh, k: rows, alpha: scale, a: gradient, lda: q1,
                              b: query + (o + q0) * d + column, ldb: d, beta: 1, c: keyGradient + o * d + column, ldc: d)
                    q0 = q1
                }
            }
        }
    }

    /// Attention of each sequence's last position only (scoring): `query` row s is sequence
    /// s's last query; `output` row s receives its attention output. `scratch` needs as many
    /// floats as the longest sequence × heads.
    public static func lastQueryForward(query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                                        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                        segments: Segments, channels d: Int) {
        let heads = segments.heads, dh = d / heads
        let scale = 1 / Float(dh).squareRoot()
        for s in segments.lengths.indices {
            let n = segments.lengths[s], o = segments.starts[s]
            guard n > 0 else { (output + s * d).update(repeating: 0, count: d); continue }
            for head in 0..<heads {
                let column = head * dh
                let weights = scratch
                // Scores against every key, one matrix-vector product: K (n × dₕ) · q.
                BLAS.gemv(m: n, n: dh, alpha: scale, a: key + o * d + column, lda: d, x: query + s * d + column, beta: 0, y: weights)
                causalSoftmax(weights, length: n, width: n)
                BLAS.gemv(transpose: true, m: n, n: dh, a: value + o * d + column, lda: d, x: weights, beta: 0, y: output + s * d + column)
            }
        }
    }

    /// Softmax of row[0..<length] in place; row[length..<width] becomes 0 (masked keys).
    @inline(__always)
    static func causalSoftmax(_ row: UnsafeMutablePointer<Float>, length: Int, width: Int) {
        var largest = -Float.infinity
        for j in 0..<length { largest = max(largest, row[j]) }
        var sum: Float = 0
        var j = 0
        while j + 8 <= length {
            let e = FastMath.exp(load(row + j) - SIMD8(repeating: largest))
            store(e, row + j)
            sum += FastMath.sum(e)
            j += 8
        }
        while j < length {
            let e = FastMath.exp(row[j] - largest)
            row[j] = e
            sum += e
            j += 1
        }
        let inverse = 1 / sum
        for j in 0..<length { row[j] *= inverse }
        for j in length..<width { row[j] = 0 }
    }

    /// Runs `body(segment, scratch)` for every segment, spread over `threads` cores.
    static func forEachSegment(_ segments: Segments, threads: Int, scratchPerSegment: Int,
                               _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let count = segments.lengths.count
        let stripes = max(1, min(threads, count))
        func run() {
            parallelStripes(count, stripes: stripes) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratchPerSegment))
                defer { scratch.deallocate() }
                for s in range where segments.lengths[s] > 0 { body(s, scratch) }
            }
        }
        if stripes > 1 { BLAS.singleThreaded { run() } } else { run() }
    }
}
