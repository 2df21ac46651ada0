/// Embedding lookup, weight [V, C]. Id 0 is padding: its row is never updated
/// (PyTorch's `padding_idx=0`).
public enum Embedding {
    /// out[n] = weight[ids[n]] for n in 0..<count.
    public static func forward(output: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, count: Int,
                               weight: UnsafePointer<Float>, channels c: Int) {
        for n in 0..<count { (output + n * c).update(from: weight + Int(ids[n]) * c, count: c) }
    }

    /// weightGradient[ids[n]] += outputGradient[n], skipping padding.
    public static func backward(weightGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                                ids: UnsafePointer<Int32>, count: Int, channels c: Int) {
        for n in 0..<count where ids[n] != 0 {
            let row = weightGradient + Int(ids[n]) * c
            let g = outputGradient + n * c
            for j in 0..<c { row[j] += g[j] }
        }
    }
}
