import Core
import Engine

/// SASRec's scores: the forward pass without dropout over each history, then the final
/// position's state against every item embedding.
extension SASRec {
    /// Histories per forward pass; larger requests are split, which bounds the memory.
    public static let scoringRows = 128

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        if let accelerator {
            return accelerator.scoreOrStop(histories: histories, rows: rows, steps: steps, parameters: parameters, scores: scores)
        }
        let chunk = min(rows, Self.scoringRows)
        let w = scoringWorkspace(rows: chunk, steps: steps)
        let c = configuration
        let d = c.hiddenSize
        let last = FloatBuffer(count: chunk * d)
        var start = 0
        while start < rows {
            let count = min(chunk, rows - start)
            let segments = pack(inputs: histories + start * steps, targets: nil, rows: count, steps: steps, workspace: w, cellOffset: start * steps)
            last.pointer.update(repeating: 0, count: count * d)
            if segments.rows > 0 {
                forward(segments: segments, workspace: w, training: false, lastRowsOnly: true)
                for s in 0..<count where segments.lengths[s] > 0 {
                    (last.pointer + s * d).update(from: w.output.pointer + s * d, count: d)
                }
            }
            BLAS.gemm(transposeB: true, m: count, n: c.vocabulary, k: d, a: last.pointer, lda: d, b: outputTable(), ldb: d,
                      beta: 0, c: scores + start * c.vocabulary, ldc: c.vocabulary)
            start += count
        }
    }
}

extension SASRec {
    /// Block `b` for the last position of each sequence only: keys and values still come
    /// from every position, but the query, the attention output, the FFN and the final norm
    /// run on one row per sequence. Writes row s of `w.output` for sequence s.
    func lastRowsBlock(_ b: Int, segments: CausalSelfAttention.Segments, workspace w: Workspace) {
        let c = configuration
        let d = c.hiddenSize, p = segments.rows, count = segments.lengths.count
        let a = w.blocks[b]
        func value(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
        let input = w.blockInput(b)
        let inProjection = value("attn.\(b).in_proj.weight"), inBias = value("attn.\(b).in_proj.bias")
        Linear.forward(output: a.key.pointer, input: input, weight: inProjection + d * d, bias: inBias + d, rows: p, inputs: d, outputs: d)
        Linear.forward(output: a.value.pointer, input: input, weight: inProjection + 2 * d * d, bias: inBias + 2 * d, rows: p, inputs: d, outputs: d)
        // The last rows, compacted: row s is sequence s's last position (empty sequences get zeros and are ignored).
        let last = a.residual.pointer
        for s in 0..<count {
            if segments.lengths[s] > 0 {
                (last + s * d).update(from: input + (segments.starts[s] + segments.lengths[s] - 1) * d, count: d)
            } else {
                (last + s * d).update(repeating: 0, count: d)
            }
        }
        let norm = a.attentionNorm.pointer, query = a.query.pointer, attended = a.attended.pointer
        LayerNorm.forward(output: norm, mean: a.attentionMean.pointer, inverseStd: a.attentionInverseStd.pointer, input: last,
                          weight: value("attn_ln.\(b).weight"), bias: value("attn_ln.\(b).bias"), rows: count, channels: d, epsilon: c.layerNormEpsilon)
        Linear.forward(output: query, input: norm, weight: inProjection, bias: inBias, rows: count, inputs: d, outputs: d)
        CausalSelfAttention.lastQueryForward(query: query, key: a.key.pointer, value: a.value.pointer, output: attended,
                                             scratch: a.probabilities.pointer, segments: segments, channels: d)
        let residual = a.residual.pointer
        residual.update(from: norm, count: count * d)
        BLAS.gemm(transposeB: true, m: count, n: d, k: d, a: attended, lda: d, b: value("attn.\(b).out_proj.weight"), ldb: d,
                  beta: 1, c: residual, ldc: d)
        addBias(value("attn.\(b).out_proj.bias"), to: residual, rows: count, channels: d)
        let f = a.ffnNorm.pointer
        LayerNorm.forward(output: f, mean: a.ffnMean.pointer, inverseStd: a.ffnInverseStd.pointer, input: residual,
                          weight: value("ffn_ln.\(b).weight"), bias: value("ffn_ln.\(b).bias"), rows: count, channels: d, epsilon: c.layerNormEpsilon)
        Linear.forward(output: a.inner.pointer, input: f, weight: value("ffn.\(b).0.weight"), bias: value("ffn.\(b).0.bias"), rows: count, inputs: d, outputs: d)
        ReLU.forward(output: a.activated.pointer, input: a.inner.pointer, count: count * d)
        let blockOutput = w.finalInput.pointer
        Linear.forward(output: blockOutput, input: a.activated.pointer, weight: value("ffn.\(b).3.weight"), bias: value("ffn.\(b).3.bias"),
                       rows: count, inputs: d, outputs: d)
        for i in 0..<(count * d) { blockOutput[i] += f[i] }
        LayerNorm.forward(output: w.output.pointer, mean: w.outputMean.pointer, inverseStd: w.outputInverseStd.pointer, input: blockOutput,
                          weight: value("last_ln.weight"), bias: value("last_ln.bias"), rows: count, channels: d, epsilon: c.layerNormEpsilon)
    }
}
