import Core

/// Next-item losses that score the target against a sample of items instead of the whole
/// catalogue, for catalogues too large for a full softmax at every position. The scores are
/// dot products with rows of an item table [V, d] (the tied output), and gradients go to the
/// sampled rows only.
public enum SampledLosses {
    /// Sampled softmax with `negatives` items shared by every position of the batch, each
    /// score corrected by −log(expected count of the item in the sample) (the "logQ"
    /// correction, so the sampled softmax estimates the full one without the sampler's
    /// bias); a sampled item equal to a position's target is masked for that position.
    /// Returns the summed loss; adds `scale` × gradients to `hiddenGradient` (written) and
    /// `weightGradient` (accumulated). `logits` needs `chunkRows × negatives` floats.
    public static func sampledSoftmax(hidden: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows n: Int, channels d: Int,
                                      weight: UnsafePointer<Float>, negatives: [Int32], logExpectedCounts: [Float], targetLogExpectedCount: (Int32) -> Float,
                                      scale: Float, hiddenGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?,
                                      logits: UnsafeMutablePointer<Float>, chunkRows: Int) -> Double {
        let k = negatives.count
        // The sampled rows, gathered once: [k, d], and their gradient.
        let sampled = FloatBuffer(count: k * d), sampledGradient = FloatBuffer(count: k * d)
        for (j, item) in negatives.enumerated() { (sampled.pointer + j * d).update(from: weight + Int(item) * d, count: d) }
        var total = 0.0
        var start = 0
        while start < n {
            let count = min(chunkRows, n - start)
            let h = hidden + start * d
            BLAS.gemm(transposeB: true, m: count, n: k, k: d, a: h, lda: d, b: sampled.pointer, ldb: d, beta: 0, c: logits, ldc: k)
            for r in 0..<count {
                let row = logits + r * k
                let target = targets[start + r]
                if target == 0 {
                    // A context-only position: no loss, no gradient (a zero row adds nothing to the products below).
                    row.update(repeating: 0, count: k)
                    hiddenGradient.map { ($0 + (start + r) * d).update(repeating: 0, count: d) }
                    continue
                }
                let targetRow = weight + Int(target) * d
                var positive: Float = 0
                for j in 0..<d { positive += h[r * d + j] * targetRow[j] }
                positive -= targetLogExpectedCount(target)
                var largest = positive
                for j in 0..<k {
                    row[j] = negatives[j] == target ? -Float.infinity : row[j] - logExpectedCounts[j]
                    largest = max(largest, row[j])
                }
                var sum = FastMath.exp(positive - largest)
                for j in 0..<k { let e = row[j] == -Float.infinity ? 0 : FastMath.exp(row[j] - largest); row[j] = e; sum += e }
                let positiveProbability = FastMath.exp(positive - largest) / sum
                total += Double(-(positive - largest) + logf(sum))
                guard hiddenGradient != nil || weightGradient != nil else { continue }
                // dScore: p − 1 for the target, p for each sampled item (the correction is a constant shift).
                let inverse = 1 / sum
                for j in 0..<k { row[j] *= inverse * scale }
                let dPositive = (positiveProbability - 1) * scale
                if let hiddenGradient {
                    let g = hiddenGradient + (start + r) * d
                    for j in 0..<d { g[j] = dPositive * targetRow[j] }
                }
                if let weightGradient {
                    let g = weightGradient + Int(target) * d
                    for j in 0..<d { g[j] += dPositive * h[r * d + j] }
                }
            }
            if hiddenGradient != nil || weightGradient != nil {
                if let hiddenGradient {
                    BLAS.gemm(m: count, n: d, k: k, a: logits, lda: k, b: sampled.pointer, ldb: d, beta: 1, c: hiddenGradient + start * d, ldc: d)
                }
                BLAS.gemm(transposeA: true, m: k, n: d, k: count, a: logits, lda: k, b: h, ldb: d, beta: 1, c: sampledGradient.pointer, ldc: d)
            }
            start += count
        }
        if let weightGradient {
            for (j, item) in negatives.enumerated() {
                let g = weightGradient + Int(item) * d, s = sampledGradient.pointer + j * d
                for c in 0..<d { g[c] += s[c] }
            }
        }
        return total
    }

    /// The original SASRec loss: binary cross-entropy of the target against one sampled
    /// negative per position, −log σ(s⁺) − log(1 − σ(s⁻)). Returns the summed loss.
    public static func binaryCrossEntropy(hidden: UnsafePointer<Float>, targets: UnsafePointer<Int32>, negatives: UnsafePointer<Int32>,
                                          rows n: Int, channels d: Int, weight: UnsafePointer<Float>, scale: Float,
                                          hiddenGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?) -> Double {
        var total = 0.0
        for r in 0..<n {
            let h = hidden + r * d
            if targets[r] == 0 {
                // A context-only position: no loss, no gradient.
                hiddenGradient.map { ($0 + r * d).update(repeating: 0, count: d) }
                continue
            }
            let positiveRow = weight + Int(targets[r]) * d, negativeRow = weight + Int(negatives[r]) * d
            var positive: Float = 0, negative: Float = 0
            for j in 0..<d { positive += h[j] * positiveRow[j]; negative += h[j] * negativeRow[j] }
            // −log σ(x) = softplus(−x), computed stably.
            total += Double(softplus(-positive) + softplus(negative))
            let dPositive = (FastMath.sigmoid(positive) - 1) * scale, dNegative = FastMath.sigmoid(negative) * scale
            if let hiddenGradient {
                let g = hiddenGradient + r * d
                for j in 0..<d { g[j] = dPositive * positiveRow[j] + dNegative * negativeRow[j] }
            }
            if let weightGradient {
                let gp = weightGradient + Int(targets[r]) * d, gn = weightGradient + Int(negatives[r]) * d
                for j in 0..<d { gp[j] += dPositive * h[j]; gn[j] += dNegative * h[j] }
            }
        }
        return total
    }

    /// The number of positions with a target (target 0 marks a context-only position).
    public static func targetCount(_ targets: UnsafePointer<Int32>, rows n: Int) -> Int {
        var count = 0
        for r in 0..<n where targets[r] != 0 { count += 1 }
        return count
    }

    @inline(__always)
    static func softplus(_ x: Float) -> Float {
        x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
    }
}

#if canImport(Glibc)
import Glibc
#endif
