import Core
import Engine

/// HSTU's scores: the forward pass without dropout over each history, then the last
/// position's normalised state over the temperature against every normalised item.
extension HSTU {
    /// Histories per forward pass; larger requests are split, which bounds the memory.
    public static let scoringRows = 128

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        let chunk = min(rows, Self.scoringRows)
        let w = scoringWorkspace(rows: chunk, steps: steps)
        let c = configuration
        let d = c.hiddenSize
        // The item table changes with every optimizer step; normalising it costs one pass over it.
        normalizeItems(workspace: w)
        let last = FloatBuffer(count: chunk * d)
        var start = 0
        while start < rows {
            let count = min(chunk, rows - start)
            let segments = pack(inputs: histories + start * steps, targets: nil, rows: count, steps: steps, workspace: w)
            last.pointer.update(repeating: 0, count: count * d)
            if segments.rows > 0 {
                forward(segments: segments, workspace: w, training: false, lastRowsOnly: true)
                for s in 0..<count where segments.lengths[s] > 0 {
                    (last.pointer + s * d).update(from: w.hidden.pointer + s * d, count: d)
                }
            }
            BLAS.gemm(transposeB: true, m: count, n: c.vocabulary, k: d, a: last.pointer, lda: d, b: w.items.pointer, ldb: d,
                      beta: 0, c: scores + start * c.vocabulary, ldc: c.vocabulary)
            start += count
        }
    }
}

extension HSTU {
    /// Layer `b` for the last position of each sequence only: values and keys still come from
    /// every position, but the gate, the query, the attention, its norm and the output
    /// projection run on one row per sequence. Writes row s of `w.finalInput` for sequence s
    /// (zeros for an empty one).
    func lastRowsLayer(_ b: Int, segments: CausalSelfAttention.Segments, workspace w: Workspace) {
        let c = configuration
        let d = c.hiddenSize, p = segments.rows, count = segments.lengths.count
        let a = w.layers[b]
        func value(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
        let input = a.input.pointer, normalized = a.normalized.pointer, wide = a.activated.pointer
        let projection = value("hstu.\(b).uvqk.weight")
        LayerNorm.forward(output: normalized, mean: a.inputMean.pointer, inverseStd: a.inputInverseStd.pointer, input: input,
                          weight: unitWeight.pointer, bias: zeroBias.pointer, rows: p, channels: d, epsilon: c.layerNormEpsilon)
        // v and k of every row, into their columns of the wide buffer (rows 4d apart).
        for block in [1, 3] {
            BLAS.gemm(transposeB: true, m: p, n: d, k: d, a: normalized, lda: d, b: projection + block * d * d, ldb: d,
                      beta: 0, c: wide + block * d, ldc: 4 * d)
            for r in 0..<p { SiLU.forward(output: wide + r * 4 * d + block * d, input: wide + r * 4 * d + block * d, count: d) }
        }
        // The last rows, compacted: u and q from their normalised inputs.
        let lastNormalized = a.attended.pointer, gate = a.gated.pointer, query = a.attendedNorm.pointer
        for s in 0..<count {
            let n = segments.lengths[s]
            if n > 0 {
                (lastNormalized + s * d).update(from: normalized + (segments.starts[s] + n - 1) * d, count: d)
            } else {
                (lastNormalized + s * d).update(repeating: 0, count: d)
            }
        }
        BLAS.gemm(transposeB: true, m: count, n: d, k: d, a: lastNormalized, lda: d, b: projection, ldb: d, beta: 0, c: gate, ldc: d)
        BLAS.gemm(transposeB: true, m: count, n: d, k: d, a: lastNormalized, lda: d, b: projection + 2 * d * d, ldb: d, beta: 0, c: query, ldc: d)
        SiLU.forward(output: gate, input: gate, count: count * d)
        SiLU.forward(output: query, input: query, count: count * d)
        let attended = a.projection.pointer
        PointwiseAttention.lastQueryForward(query: query, queryStride: d, key: wide + 3 * d, value: wide + d, stride: 4 * d,
                                            output: attended, bias: value("hstu.\(b).rel_pos_bias"), normalizer: Float(c.maxLength),
                                            scratch: a.scores.pointer, segments: segments, channels: d)
        let attendedNorm = lastNormalized
        LayerNorm.forward(output: attendedNorm, mean: a.attendedMean.pointer, inverseStd: a.attendedInverseStd.pointer, input: attended,
                          weight: unitWeight.pointer, bias: zeroBias.pointer, rows: count, channels: d, epsilon: c.layerNormEpsilon)
        for i in 0..<(count * d) { gate[i] *= attendedNorm[i] }
        let output = w.finalInput.pointer, bias = value("hstu.\(b).o.bias")
        for s in 0..<count {
            let n = segments.lengths[s], row = output + s * d
            if n > 0 {
                row.update(from: input + (segments.starts[s] + n - 1) * d, count: d)
                for j in 0..<d { row[j] += bias[j] }
            } else {
                row.update(repeating: 0, count: d)
                (gate + s * d).update(repeating: 0, count: d)
            }
        }
        BLAS.gemm(transposeB: true, m: count, n: d, k: d, a: gate, lda: d, b: value("hstu.\(b).o.weight"), ldb: d, beta: 1, c: output, ldc: d)
    }
}
