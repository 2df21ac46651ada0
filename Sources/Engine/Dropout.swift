import Core

/// Inverted dropout: in training each element is zeroed with probability p and the rest are
/// scaled by 1/(1−p). The mask is kept (as the scale, 0 or 1/(1−p)) for the backward pass.
public enum Dropout {
    /// Applies dropout in place and writes the mask; draws from `random`, so runs are reproducible.
    public static func forward(values: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int,
                               probability p: Float, random: inout SeededRandom) {
        if p <= 0 {
            mask.update(repeating: 1, count: count)
            return
        }
        let keep = 1 / (1 - p)
        let threshold = UInt64(Double(p) * Double(UInt64.max))
        for i in 0..<count {
            let m: Float = random.next() < threshold ? 0 : keep
            mask[i] = m
            values[i] *= m
        }
    }

    /// gradient *= mask, in place.
    public static func backward(gradient: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { gradient[i] *= mask[i] }
    }
}
