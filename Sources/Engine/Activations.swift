#if canImport(Glibc)
import Glibc
#endif

/// ReLU: y = max(x, 0).
public enum ReLU {
    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { output[i] = max(input[i], 0) }
    }

    /// dInput = dOutput where the input was positive (may run in place: inputGradient == outputGradient).
    public static func backward(inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { inputGradient[i] = input[i] > 0 ? outputGradient[i] : 0 }
    }
}

/// GELU with the exact erf form (PyTorch's `nn.GELU()` default): y = x · Φ(x).
public enum GELU {
    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = input[i]
            output[i] = 0.5 * x * (1 + erff(x * 0.707_106_78))
        }
    }

    public static func backward(inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = input[i]
            let cdf = 0.5 * (1 + erff(x * 0.707_106_78))
            let pdf = 0.398_942_28 * expf(-0.5 * x * x)
            inputGradient[i] = outputGradient[i] * (cdf + x * pdf)
        }
    }
}
