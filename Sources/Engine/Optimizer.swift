#if canImport(Glibc)
import Glibc
#endif

/// Adam, or AdamW with decoupled weight decay, as one loop over the flat parameter buffer
/// (the same update as `torch.optim.Adam` / `AdamW`).
public final class AdamOptimizer: @unchecked Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Decoupled weight decay (AdamW); 0 gives plain Adam.
    public var weightDecay: Float
    /// Steps taken so far (for bias correction).
    public private(set) var step = 0
    /// First and second moment estimates, same layout as the parameters.
    public let firstMoment: FloatBuffer
    public let secondMoment: FloatBuffer

    public init(parameterCount: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoment = FloatBuffer(count: parameterCount)
        secondMoment = FloatBuffer(count: parameterCount)
    }

    /// Restores the step count (with the moments loaded into the buffers), for resuming.
    public func restore(step: Int) { self.step = step }

    /// One update of `parameters` from `gradients` (both of the moments' length).
    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int) {
        precondition(count <= firstMoment.count)
        step += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        let stepSize = learningRate / correction1
        let decay = 1 - learningRate * weightDecay
        let m = firstMoment.pointer, v = secondMoment.pointer
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let correction2Root = correction2.squareRoot()
        parallelRows(count, work: count) { range in
            for i in range {
                let g = gradients[i]
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                if decay != 1 { parameters[i] *= decay }
                parameters[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + eps)
            }
        }
    }
}

/// The global L2 norm of the gradients (accumulated in double precision; NaN or infinite when any value is).
public func gradientNorm(_ gradients: UnsafePointer<Float>, count: Int) -> Float {
    var sum = 0.0
    for i in 0..<count { sum += Double(gradients[i]) * Double(gradients[i]) }
    return Float(sum.squareRoot())
}

/// Scales gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping.
/// Pass `norm` when it is already known, to spare a pass over the buffer.
@discardableResult
public func clipGradientNorm(_ gradients: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float, norm known: Float? = nil) -> Float {
    let norm = known ?? gradientNorm(gradients, count: count)
    if norm > maxNorm && norm > 0 {
        let scale = maxNorm / (norm + 1e-6)
        for i in 0..<count { gradients[i] *= scale }
    }
    return norm
}

