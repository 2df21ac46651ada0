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

/// SiLU (swish): y = x · σ(x), HSTU's activation of its projections and attention scores.
public enum SiLU {
    @inline(__always)
    public static func value(_ x: Float) -> Float { x / (1 + expf(-x)) }

    /// dy/dx = σ(x) · (1 + x · (1 − σ(x))).
    @inline(__always)
    public static func derivative(_ x: Float) -> Float {
        let s = 1 / (1 + expf(-x))
        return s * (1 + x * (1 - s))
    }

    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let x = load(input + i)
            store(x * FastMath.sigmoid(x), output + i)
            i += 8
        }
        while i < count { output[i] = value(input[i]); i += 1 }
    }

    /// dInput = dOutput · SiLU'(input) (may run in place: inputGradient == outputGradient).
    public static func backward(inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let x = load(input + i)
            let s = FastMath.sigmoid(x)
            store(load(outputGradient + i) * s * (1 + x * (1 - s)), inputGradient + i)
            i += 8
        }
        while i < count { inputGradient[i] = outputGradient[i] * derivative(input[i]); i += 1 }
    }
}
