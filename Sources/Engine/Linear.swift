/// Fully connected layer with PyTorch's layout: weight [O, I], bias [O]; y = x · Wᵀ + b.
public enum Linear {
    /// out[N, O] = input[N, I] · weight[O, I]ᵀ + bias[O].
    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, rows n: Int, inputs i: Int, outputs o: Int) {
        if let bias {
            for row in 0..<n { (output + row * o).update(from: bias, count: o) }
        }
        BLAS.gemm(transposeB: true, m: n, n: o, k: i, a: input, lda: i, b: weight, ldb: i, beta: bias == nil ? 0 : 1, c: output, ldc: o)
    }

    /// Accumulates dW += dOutᵀ · input and db += Σ dOut; writes (or adds, with `accumulateInput`) dInput = dOut · W.
    public static func backward(inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>,
                                biasGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rows n: Int, inputs i: Int, outputs o: Int, accumulateInput: Bool = false) {
        if let inputGradient {
            BLAS.gemm(m: n, n: i, k: o, a: outputGradient, lda: o, b: weight, ldb: i, beta: accumulateInput ? 1 : 0, c: inputGradient, ldc: i)
        }
        BLAS.gemm(transposeA: true, m: o, n: i, k: n, a: outputGradient, lda: o, b: input, ldb: i, beta: 1, c: weightGradient, ldc: i)
        if let biasGradient {
            // db += dOutᵀ · 1, as a matrix-vector product.
            let ones = [Float](repeating: 1, count: n)
            ones.withUnsafeBufferPointer {
                BLAS.gemv(transpose: true, m: n, n: o, a: outputGradient, lda: o, x: $0.baseAddress!, beta: 1, y: biasGradient)
            }
        }
    }
}
