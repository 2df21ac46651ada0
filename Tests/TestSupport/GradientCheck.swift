import Core

/// Finite-difference gradient checking for ops and models over flat Float32 buffers.
///
/// Tests define a scalar loss (for ops: L = Σ output ⊙ R for a fixed random R, so
/// dL/doutput = R). Each checked value is nudged by ±h and the central difference is
/// compared with the analytic gradient.
public enum GradientCheck {
    /// Random values in [-scale, scale].
    public static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float(random.unit() * 2 - 1) * scale }
    }

    /// Largest relative error between numeric and analytic gradients of `values`.
    /// `loss` recomputes the scalar loss from the current `values`.
    public static func worstError(values: UnsafeMutablePointer<Float>, count: Int, analytic: [Float],
                                  step h: Float = 1e-2, loss: () -> Double) -> Float {
        var worst: Float = 0
        for i in 0..<count {
            let saved = values[i]
            values[i] = saved + h
            let plus = loss()
            values[i] = saved - h
            let minus = loss()
            values[i] = saved
            let numeric = Float((plus - minus) / Double(2 * h))
            let error = abs(numeric - analytic[i]) / max(1e-2, abs(numeric) + abs(analytic[i]))
            worst = max(worst, error)
        }
        return worst
    }

    /// Σ a[i]·b[i] in double precision.
    public static func dot(_ a: UnsafePointer<Float>, _ b: [Float]) -> Double {
        var sum = 0.0
        for i in b.indices { sum += Double(a[i]) * Double(b[i]) }
        return sum
    }

    /// Largest |a − b| / max(10⁻³, |b|): outputs (logits) against a reference.
    public static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) / max(1e-3, abs($1)) }.max() ?? 0
    }

    /// Largest |actual − expected| relative to the largest |expected| of the tensor: gradients
    /// against a reference, where tiny entries carry only rounding noise.
    public static func errorRelativeToLargest(_ actual: [Float], _ expected: [Float]) -> Float {
        precondition(actual.count == expected.count)
        let scale = expected.map { abs($0) }.max() ?? 1
        return zip(actual, expected).map { abs($0 - $1) / max(scale, 1e-12) }.max() ?? 0
    }
}
