import Core
import Engine

/// SASRec's scores: the forward pass without dropout over each history, then the final
/// position's state against every item embedding.
extension SASRec {
    /// Histories per forward pass; larger requests are split, which bounds the memory.
    public static let scoringRows = 128

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        let chunk = min(rows, Self.scoringRows)
        let w = scoringWorkspace(rows: chunk, steps: steps)
        let c = configuration
        let d = c.hiddenSize
        let last = FloatBuffer(count: chunk * d)
        var start = 0
        while start < rows {
            let count = min(chunk, rows - start)
            let segments = pack(inputs: histories + start * steps, targets: nil, rows: count, steps: steps, workspace: w)
            last.pointer.update(repeating: 0, count: count * d)
            if segments.rows > 0 {
                forward(segments: segments, workspace: w, training: false)
                for s in 0..<count where segments.lengths[s] > 0 {
                    (last.pointer + s * d).update(from: w.output.pointer + (segments.starts[s] + segments.lengths[s] - 1) * d, count: d)
                }
            }
            BLAS.gemm(transposeB: true, m: count, n: c.vocabulary, k: d, a: last.pointer, lda: d, b: parameters.value("item_emb.weight"), ldb: d,
                      beta: 0, c: scores + start * c.vocabulary, ldc: c.vocabulary)
            start += count
        }
    }
}
