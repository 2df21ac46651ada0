import Core

/// HSTU's pointwise aggregated attention (Zhai et al. 2024, "Actions Speak Louder than Words")
/// over packed sequences: for query i and key j ≤ i of the same sequence, per head,
///
///     z[i,j] = q_i · k_j + bias[i − j],   out_i = Σ_{j≤i} SiLU(z[i,j]) / N · v_j
///
/// with no softmax: the weights are not normalised across keys, so how much evidence a history
/// holds survives into the output (the paper's argument for it); N is a constant (the model's
/// window), as in the reference. `bias` is a learned relative-position bias indexed by distance
/// (shared by the heads). Q, K and V are column blocks of one projection: their rows are
/// `stride` floats apart; the output's rows are d apart.
///
/// Queries are taken in tiles of `tile` rows, each multiplying only the keys up to its last row
/// (the masked upper triangle is skipped). The pre-activations z are kept per sequence and head
/// as an n × n block (`Segments.probabilityOffsets`) for the backward pass.
public enum PointwiseAttention {
    public static let tile = 64

    /// out (rows × d) from Q, K, V; writes z into `scores`.
    public static func forward(query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int,
                               output: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                               bias: UnsafePointer<Float>, normalizer: Float,
                               segments: CausalSelfAttention.Segments, channels d: Int, threads: Int) {
        let heads = segments.heads, dh = d / heads
        let scale = 1 / normalizer
        nonisolated(unsafe) let output = output, scores = scores
        CausalSelfAttention.forEachSegment(segments, threads: threads, scratchPerSegment: tile * segments.longest) { s, weights in
            let n = segments.lengths[s], o = segments.starts[s]
            for head in 0..<heads {
                let column = head * dh
                let z = scores + segments.probabilityOffsets[s] + head * n * n
                var q0 = 0
                while q0 < n {
                    let q1 = min(n, q0 + tile), rows = q1 - q0
                    BLAS.gemm(transposeB: true, m: rows, n: q1, k: dh, a: query + (o + q0) * stride + column, lda: stride,
                              b: key + o * stride + column, ldb: stride, beta: 0, c: z + q0 * n, ldc: n)
                    for i in q0..<q1 {
                        let row = z + i * n, w = weights + (i - q0) * q1
                        for j in 0...i {
                            row[j] += bias[i - j]
                            w[j] = SiLU.value(row[j]) * scale
                        }
                        for j in (i + 1)..<q1 { w[j] = 0 }
                    }
                    BLAS.gemm(m: rows, n: dh, k: q1, a: weights, lda: q1, b: value + o * stride + column, ldb: stride,
                              beta: 0, c: output + (o + q0) * d + column, ldc: d)
                    q0 = q1
                }
            }
        }
    }

    /// Writes dQ, dK, dV (rows `stride` apart, only each head's columns touched) and adds the
    /// bias gradient (`biasGradient[Δ]` for distance Δ) from dOut and the kept z.
    public static func backward(outputGradient: UnsafePointer<Float>, query: UnsafePointer<Float>, key: UnsafePointer<Float>,
                                value: UnsafePointer<Float>, stride: Int, scores: UnsafePointer<Float>, normalizer: Float,
                                queryGradient: UnsafeMutablePointer<Float>, keyGradient: UnsafeMutablePointer<Float>,
                                valueGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                segments: CausalSelfAttention.Segments, channels d: Int, threads: Int) {
        let heads = segments.heads, dh = d / heads
        let scale = 1 / normalizer
        let longest = segments.longest
        // Each sequence sums its bias gradient in its own row, so the cores never share one.
        let partials = FloatBuffer(count: segments.lengths.count * longest)
        nonisolated(unsafe) let queryGradient = queryGradient, keyGradient = keyGradient, valueGradient = valueGradient
        nonisolated(unsafe) let partial = partials.pointer
        partial.update(repeating: 0, count: partials.count)
        CausalSelfAttention.forEachSegment(segments, threads: threads, scratchPerSegment: 2 * tile * longest) { s, scratch in
            let n = segments.lengths[s], o = segments.starts[s]
            let biasRow = partial + s * longest
            for row in o..<(o + n) {
                (keyGradient + row * stride).update(repeating: 0, count: d)
                (valueGradient + row * stride).update(repeating: 0, count: d)
            }
            for head in 0..<heads {
                let column = head * dh
                let z = scores + segments.probabilityOffsets[s] + head * n * n
                var q0 = 0
                while q0 < n {
                    let q1 = min(n, q0 + tile), rows = q1 - q0
                    let gradient = scratch, weights = scratch + tile * longest
                    // dW = dOut · Vᵀ.
                    BLAS.gemm(transposeB: true, m: rows, n: q1, k: dh, a: outputGradient + (o + q0) * d + column, lda: d,
                              b: value + o * stride + column, ldb: stride, beta: 0, c: gradient, ldc: q1)
                    for i in q0..<q1 {
                        let row = z + i * n, w = weights + (i - q0) * q1, g = gradient + (i - q0) * q1
                        for j in 0...i {
                            let x = row[j]
                            w[j] = SiLU.value(x) * scale
                            g[j] *= SiLU.derivative(x) * scale
                            biasRow[i - j] += g[j]
                        }
                        for j in (i + 1)..<q1 { w[j] = 0; g[j] = 0 }
                    }
                    // dV += Wᵀ · dOut; dQ = dZ · K; dK += dZᵀ · Q.
                    BLAS.gemm(transposeA: true, m: q1, n: dh, k: rows, a: weights, lda: q1, b: outputGradient + (o + q0) * d + column, ldb: d,
                              beta: 1, c: valueGradient + o * stride + column, ldc: stride)
                    BLAS.gemm(m: rows, n: dh, k: q1, a: gradient, lda: q1, b: key + o * stride + column, ldb: stride,
                              beta: 0, c: queryGradient + (o + q0) * stride + column, ldc: stride)
                    BLAS.gemm(transposeA: true, m: q1, n: dh, k: rows, a: gradient, lda: q1, b: query + (o + q0) * stride + column, ldb: stride,
                              beta: 1, c: keyGradient + o * stride + column, ldc: stride)
                    q0 = q1
                }
            }
        }
        for s in segments.lengths.indices {
            let row = partial + s * longest
            for distance in 0..<segments.lengths[s] { biasGradient[distance] += row[distance] }
        }
    }

    /// Attention of each sequence's last position only (scoring): row s of `query` (rows
    /// `queryStride` apart) is sequence s's last query; row s of `output` (d apart) receives its
    /// output. `scratch` needs the longest sequence's length in floats.
    public static func lastQueryForward(query: UnsafePointer<Float>, queryStride: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                                        stride: Int, output: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, normalizer: Float,
                                        scratch: UnsafeMutablePointer<Float>, segments: CausalSelfAttention.Segments, channels d: Int) {
        let heads = segments.heads, dh = d / heads
        let scale = 1 / normalizer
        for s in segments.lengths.indices {
            let n = segments.lengths[s], o = segments.starts[s]
            guard n > 0 else { (output + s * d).update(repeating: 0, count: d); continue }
            for head in 0..<heads {
                let column = head * dh
                // z_j = k_j · q (one matrix-vector product), then the weights in place.
                BLAS.gemv(m: n, n: dh, a: key + o * stride + column, lda: stride, x: query + s * queryStride + column, beta: 0, y: scratch)
                for j in 0..<n { scratch[j] = SiLU.value(scratch[j] + bias[n - 1 - j]) * scale }
                BLAS.gemv(transpose: true, m: n, n: dh, a: value + o * stride + column, lda: stride, x: scratch, beta: 0, y: output + s * d + column)
            }
        }
    }
}
