import Core

/// One GRU layer over packed sequences, with PyTorch's parameters and gate order (r, z, n):
/// weight_ih [3H, I], weight_hh [3H, H], optional bias_ih and bias_hh [3H].
///
///     r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)
///     z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
///     n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// Each sequence starts from h = 0 at its first item. Buffers are packed rows (see
/// `PackedLayout`): input [P, I], inputGates [P, 3H] (x W_ihᵀ + b_ih, then the activated
/// r, z, n), hiddenGates [P, 3H] (h W_hhᵀ + b_hh), hidden [P, H].
public struct GRULayer: Sendable {
    public let inputSize: Int
    public let hiddenSize: Int

    public init(inputSize: Int, hiddenSize: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
    }

    /// The layer's weights (values or gradients, same layout); biases are optional.
    public struct Weights {
        public var inputHidden: UnsafeMutablePointer<Float>
        public var hiddenHidden: UnsafeMutablePointer<Float>
        public var inputBias: UnsafeMutablePointer<Float>?
        public var hiddenBias: UnsafeMutablePointer<Float>?

        public init(inputHidden: UnsafeMutablePointer<Float>, hiddenHidden: UnsafeMutablePointer<Float>,
                    inputBias: UnsafeMutablePointer<Float>?, hiddenBias: UnsafeMutablePointer<Float>?) {
            self.inputHidden = inputHidden
            self.hiddenHidden = hiddenHidden
            self.inputBias = inputBias
            self.hiddenBias = hiddenBias
        }
    }

    /// Activations kept for the backward pass.
    public struct Activations {
        public var inputGates: UnsafeMutablePointer<Float>
        public var hiddenGates: UnsafeMutablePointer<Float>
        public var hidden: UnsafeMutablePointer<Float>

        public init(inputGates: UnsafeMutablePointer<Float>, hiddenGates: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>) {
            self.inputGates = inputGates
            self.hiddenGates = hiddenGates
            self.hidden = hidden
        }
    }

    public func forward(layout: PackedLayout, input: UnsafePointer<Float>, weights: Weights, activations a: Activations) {
        let h = hiddenSize, g3 = 3 * hiddenSize
        let total = layout.total
        if let bias = weights.inputBias {
            for row in 0..<total { (a.inputGates + row * g3).update(from: bias, count: g3) }
        }
        BLAS.gemm(transposeB: true, m: total, n: g3, k: inputSize, a: input, lda: inputSize, b: weights.inputHidden, ldb: inputSize,
                  beta: weights.inputBias == nil ? 0 : 1, c: a.inputGates, ldc: g3)
        for t in 0..<layout.steps {
            let (rows, here, previousRows, previous) = layout.step(t)
            if rows == 0 { continue }
            let hiddenGates = a.hiddenGates + here * g3
            // Rows starting here have h = 0, so their hidden gates are the bias alone.
            for r in 0..<rows {
                if let bias = weights.hiddenBias { (hiddenGates + r * g3).update(from: bias, count: g3) }
                else { (hiddenGates + r * g3).update(repeating: 0, count: g3) }
            }
            if previousRows > 0 {
                BLAS.gemm(transposeB: true, m: previousRows, n: g3, k: h, a: a.hidden + previous * h, lda: h,
                          b: weights.hiddenHidden, ldb: h, beta: 1, c: hiddenGates, ldc: g3)
            }
            Self.cellForward(rows: rows, previousRows: previousRows, hiddenSize: h, inputGates: a.inputGates + here * g3,
                             hiddenGates: hiddenGates, previousHidden: a.hidden + previous * h, hidden: a.hidden + here * h)
        }
    }

    static func cellForward(rows: Int, previousRows: Int, hiddenSize h: Int, inputGates: UnsafeMutablePointer<Float>,
                            hiddenGates: UnsafePointer<Float>, previousHidden: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>) {
        parallelRows(rows, work: rows * h) { range in
            for r in range {
                let gi = inputGates + r * 3 * h, gh = hiddenGates + r * 3 * h
                let hPrev: UnsafePointer<Float>? = r < previousRows ? previousHidden + r * h : nil
                let out = hidden + r * h
                var j = 0
                while j + 8 <= h {
                    let reset = FastMath.sigmoid(load(gi + j) + load(gh + j))
                    let update = FastMath.sigmoid(load(gi + h + j) + load(gh + h + j))
                    let candidate = FastMath.tanh(load(gi + 2 * h + j) + reset * load(gh + 2 * h + j))
                    let previous = hPrev.map { load($0 + j) } ?? SIMD8<Float>()
                    store(reset, gi + j); store(update, gi + h + j); store(candidate, gi + 2 * h + j)
                    store((1 - update) * candidate + update * previous, out + j)
                    j += 8
                }
                while j < h {
                    let reset = FastMath.sigmoid(gi[j] + gh[j])
                    let update = FastMath.sigmoid(gi[h + j] + gh[h + j])
                    let candidate = FastMath.tanh(gi[2 * h + j] + reset * gh[2 * h + j])
                    let previous = hPrev?[j] ?? 0
                    gi[j] = reset; gi[h + j] = update; gi[2 * h + j] = candidate
                    out[j] = (1 - update) * candidate + update * previous
                    j += 1
                }
            }
        }
    }

    /// Backpropagation through time. `hiddenGradient` [P, H] holds dLoss/dh from above.
    /// Accumulates weight gradients; writes `inputGradient` [P, I] when given. The gate
    /// buffers are overwritten with pre-activation gradients (inputGates: of x W_ihᵀ + b_ih;
    /// hiddenGates: of h W_hhᵀ + b_hh). `recurrentScratch` needs B × H floats.
    public func backward(layout: PackedLayout, input: UnsafePointer<Float>, weights: Weights, gradients: Weights,
                         activations a: Activations, hiddenGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, recurrentScratch: UnsafeMutablePointer<Float>) {
        let h = hiddenSize, g3 = 3 * hiddenSize
        let dhNext = recurrentScratch
        dhNext.update(repeating: 0, count: (layout.active.max() ?? 0) * h)
        for t in stride(from: layout.steps - 1, through: 0, by: -1) {
            let (rows, here, previousRows, previous) = layout.step(t)
            if rows == 0 { continue }
            Self.cellBackward(rows: rows, previousRows: previousRows, hiddenSize: h, inputGates: a.inputGates + here * g3,
                              hiddenGates: a.hiddenGates + here * g3, previousHidden: a.hidden + previous * h,
                              hiddenGradient: hiddenGradient + here * h, dhNext: dhNext)
            if previousRows > 0 {
                // dh for step t-1: the direct path (already in dhNext) plus the recurrent weights'.
                BLAS.gemm(m: previousRows, n: h, k: g3, a: a.hiddenGates + here * g3, lda: g3, b: weights.hiddenHidden, ldb: h,
                          beta: 1, c: dhNext, ldc: h)
            }
        }
        let total = layout.total
        // dW_hh = Σ dGhᵀ · h_{t-1}, lining each row up with the state it read (zero at a sequence's start).
        let previousHidden = hiddenGradient
        layout.previousStates(a.hidden, width: h, into: previousHidden)
        BLAS.gemm(transposeA: true, m: g3, n: h, k: total, a: a.hiddenGates, lda: g3, b: previousHidden, ldb: h,
                  beta: 1, c: gradients.hiddenHidden, ldc: h)
        if let inputGradient {
            BLAS.gemm(m: total, n: inputSize, k: g3, a: a.inputGates, lda: g3, b: weights.inputHidden, ldb: inputSize,
                      beta: 0, c: inputGradient, ldc: inputSize)
        }
        BLAS.gemm(transposeA: true, m: g3, n: inputSize, k: total, a: a.inputGates, lda: g3, b: input, ldb: inputSize,
                  beta: 1, c: gradients.inputHidden, ldc: inputSize)
        if total > 0 {
            let ones = [Float](repeating: 1, count: total)
            ones.withUnsafeBufferPointer { ones in
                if let bias = gradients.inputBias {
                    BLAS.gemv(transpose: true, m: total, n: g3, a: a.inputGates, lda: g3, x: ones.baseAddress!, beta: 1, y: bias)
                }
                if let bias = gradients.hiddenBias {
                    BLAS.gemv(transpose: true, m: total, n: g3, a: a.hiddenGates, lda: g3, x: ones.baseAddress!, beta: 1, y: bias)
                }
            }
        }
    }

    /// One step's gradients: replaces the gates with pre-activation gradients and `dhNext`
    /// (dLoss/dh of this step from the step after) with the direct part of dLoss/dh_{t-1}.
    static func cellBackward(rows: Int, previousRows: Int, hiddenSize h: Int, inputGates: UnsafeMutablePointer<Float>,
                             hiddenGates: UnsafeMutablePointer<Float>, previousHidden: UnsafePointer<Float>,
                             hiddenGradient: UnsafePointer<Float>, dhNext: UnsafeMutablePointer<Float>) {
        parallelRows(rows, work: rows * h) { range in
            for r in range {
                let gi = inputGates + r * 3 * h, gh = hiddenGates + r * 3 * h
                let hPrev: UnsafePointer<Float>? = r < previousRows ? previousHidden + r * h : nil
                for j in 0..<h {
                    let reset = gi[j], update = gi[h + j], candidate = gi[2 * h + j]
                    let previous = hPrev?[j] ?? 0
                    let dh = hiddenGradient[r * h + j] + dhNext[r * h + j]
                    let dCandidate = dh * (1 - update) * (1 - candidate * candidate)
                    let dUpdate = dh * (previous - candidate) * update * (1 - update)
                    let dReset = dCandidate * gh[2 * h + j] * reset * (1 - reset)
                    gi[j] = dReset; gi[h + j] = dUpdate; gi[2 * h + j] = dCandidate
                    gh[j] = dReset; gh[h + j] = dUpdate; gh[2 * h + j] = dCandidate * reset
                    dhNext[r * h + j] = dh * update
                }
            }
        }
    }
}
