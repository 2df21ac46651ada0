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
                forward(segments: segments, workspace: w, training: false)
                for s in 0..<count where segments.lengths[s] > 0 {
                    (last.pointer + s * d).update(from: w.hidden.pointer + (segments.starts[s] + segments.lengths[s] - 1) * d, count: d)
                }
            }
            BLAS.gemm(transposeB: true, m: count, n: c.vocabulary, k: d, a: last.pointer, lda: d, b: w.items.pointer, ldb: d,
                      beta: 0, c: scores + start * c.vocabulary, ldc: c.vocabulary)
            start += count
        }
    }
}
