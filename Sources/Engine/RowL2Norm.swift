/// Rows scaled to unit Euclidean length: y = x / max(‖x‖, ε). HSTU compares the user state
/// and item embeddings by cosine; a zero row (padding) stays zero.
public enum RowL2Norm {
    /// Writes y and keeps 1/max(‖x‖, ε) per row for the backward pass.
    public static func forward(output: UnsafeMutablePointer<Float>, inverseNorm: UnsafeMutablePointer<Float>,
                               input: UnsafePointer<Float>, rows n: Int, channels c: Int, epsilon: Float = 1e-6) {
        for r in 0..<n {
            let x = input + r * c, y = output + r * c
            var sum: Float = 0
            for j in 0..<c { sum += x[j] * x[j] }
            let inverse = 1 / max(sum.squareRoot(), epsilon)
            inverseNorm[r] = inverse
            for j in 0..<c { y[j] = x[j] * inverse }
        }
    }

    /// dx = (dy − y · (y·dy)) / ‖x‖, written (or added, with `accumulate`) into `inputGradient`.
    /// Rows whose norm was below ε were only scaled, and get dy / ε.
    public static func backward(inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                                output: UnsafePointer<Float>, inverseNorm: UnsafePointer<Float>, rows n: Int, channels c: Int,
                                epsilon: Float = 1e-6, accumulate: Bool = false) {
        for r in 0..<n {
            let y = output + r * c, dy = outputGradient + r * c, dx = inputGradient + r * c
            let inverse = inverseNorm[r]
            var dot: Float = 0
            // Below ε the forward pass was a plain scale: no projection.
            if inverse < 1 / epsilon { for j in 0..<c { dot += y[j] * dy[j] } }
            for j in 0..<c {
                let g = (dy[j] - y[j] * dot) * inverse
                dx[j] = accumulate ? dx[j] + g : g
            }
        }
    }
}
