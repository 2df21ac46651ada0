import CCUDA

/// How a GPU multiplies matrices (`--precision`). Weights, activations, gradients and the
/// Adam state stay fp32 in every mode (fp32 master weights); the lower precisions round each
/// product's inputs to TF32, bf16 or fp16 for the tensor cores and accumulate in fp32.
public enum Precision: String, CaseIterable, Sendable, Codable {
    case fp32, tf32, bf16, fp16

    /// cublasComputeType_t for cublasGemmEx, or nil for plain sgemm.
    var computeType: Int32? {
        switch self {
        case .fp32: return nil
        case .tf32: return CCUDA_CUBLAS_COMPUTE_32F_FAST_TF32
        case .bf16: return CCUDA_CUBLAS_COMPUTE_32F_FAST_16BF
        case .fp16: return CCUDA_CUBLAS_COMPUTE_32F_FAST_16F
        }
    }
}

/// Dynamic loss scaling for fp16 products: small gradients (softmax outputs of large
/// catalogues) would flush to zero when rounded to fp16, so the loss gradient is multiplied
/// by `scale` before the backward pass and the result divided by it after. A step whose
/// gradient overflows is dropped (it contributes nothing) and halves the scale; every
/// `growthInterval` clean steps double it.
public struct LossScaler: Sendable, Equatable {
    public private(set) var scale: Float
    public let growthInterval: Int
    public private(set) var cleanSteps = 0
    /// Steps dropped because their gradient overflowed.
    public private(set) var droppedSteps = 0

    public init(scale: Float = 65_536, growthInterval: Int = 2_000) {
        self.scale = scale
        self.growthInterval = growthInterval
    }

    /// Divides `gradient` by the scale into `destination` (added) when every value is finite and
    /// returns true; otherwise adds nothing, halves the scale and returns false.
    public mutating func unscale(_ gradient: UnsafeBufferPointer<Float>, addingTo destination: UnsafeMutablePointer<Float>) -> Bool {
        for value in gradient where !value.isFinite {
            scale = max(1, scale / 2)
            cleanSteps = 0
            droppedSteps += 1
            return false
        }
        let inverse = 1 / scale
        for i in gradient.indices { destination[i] += gradient[i] * inverse }
        cleanSteps += 1
        if cleanSteps >= growthInterval {
            scale = min(scale * 2, 16_777_216)
            cleanSteps = 0
        }
        return true
    }
}
