import Core

/// One LSTM layer over packed sequences, with PyTorch's parameters and gate order (i, f, g, o):
/// weight_ih [4H, I], weight_hh [4H, H], bias_ih [4H], bias_hh [4H].
///
/// Each sequence starts from h = c = 0 at its first item (padding is skipped, as PyTorch does
/// with packed sequences). Buffers are packed rows (see `PackedLayout`):
/// input [P, I], gates [P, 4H] (activated i, f, g, o; the backward pass overwrites them with
/// pre-activation gradients), cells [P, H], tanhCells [P, H], hidden [P, H].
public struct LSTMLayer: Sendable {
    public let inputSize: Int
    public let hiddenSize: Int

    public init(inputSize: Int, hiddenSize: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
    }

    /// The layer's weights (values or gradients, same layout).
    public struct Weights {
        public var inputHidden: UnsafeMutablePointer<Float>
        public var hiddenHidden: UnsafeMutablePointer<Float>
        public var inputBias: UnsafeMutablePointer<Float>
        public var hiddenBias: UnsafeMutablePointer<Float>

        public init(inputHidden: UnsafeMutablePointer<Float>, hiddenHidden: UnsafeMutablePointer<Float>,
                    inputBias: UnsafeMutablePointer<Float>, hiddenBias: UnsafeMutablePointer<Float>) {
            self.inputHidden = inputHidden
            self.hiddenHidden = hiddenHidden
            self.inputBias = inputBias
            self.hiddenBias = hiddenBias
        }
    }

    /// Activations kept for the backward pass.
    public struct Activations {
        public var gates: UnsafeMutablePointer<Float>
        public var cells: UnsafeMutablePointer<Float>
        public var tanhCells: UnsafeMutablePointer<Float>
        public var hidden: UnsafeMutablePointer<Float>

        public init(gates: UnsafeMutablePointer<Float>, cells: UnsafeMutablePointer<Float>,
                    tanhCells: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>) {
            self.gates = gates
            self.cells = cells
            self.tanhCells = tanhCells
            self.hidden = hidden
        }
    }

    /// Where the input-to-gate projection x · W_ihᵀ + b_ih + b_hh comes from.
    public enum InputProjection {
        /// Compute it from the input rows [P, I] (training, and layers above the first).
        case compute(UnsafePointer<Float>)
        /// Look it up: row `ids[p]` of a precomputed [V, 4H] table (the first layer at inference,
        /// where embedding · W_ihᵀ can be computed once per item instead of once per position).
        case table(UnsafePointer<Float>, ids: UnsafePointer<Int32>)
    }

    public func forward(layout: PackedLayout, input: UnsafePointer<Float>, weights: Weights, activations a: Activations) {
        forward(layout: layout, projection: .compute(input), weights: weights, activations: a)
    }

    public func forward(layout: PackedLayout, projection: InputProjection, weights: Weights, activations a: Activations) {
        let h = hiddenSize, g4 = 4 * hiddenSize
        let total = layout.total
        let bias: UnsafeMutablePointer<Float>?
        switch projection {
        case .compute(let input):
            // The input projection for all packed rows in one product; the biases join in the cell pass.
            BLAS.gemm(transposeB: true, m: total, n: g4, k: inputSize, a: input, lda: inputSize,
                      b: weights.inputHidden, ldb: inputSize, beta: 0, c: a.gates, ldc: g4)
            let summed = UnsafeMutablePointer<Float>.allocate(capacity: g4)
            for j in 0..<g4 { summed[j] = weights.inputBias[j] + weights.hiddenBias[j] }
            bias = summed
        case .table(let table, let ids):
            // The table rows already include both biases.
            for row in 0..<total { (a.gates + row * g4).update(from: table + Int(ids[row]) * g4, count: g4) }
            bias = nil
        }
        defer { bias?.deallocate() }
        for t in 0..<layout.steps {
            let (rows, here, previousRows, previous) = layout.step(t)
            if rows == 0 { continue }
            if previousRows == 1 {
                // One running sequence (a single request): matrix-vector is several times faster than sgemm with M = 1.
                BLAS.gemv(m: g4, n: h, a: weights.hiddenHidden, lda: h, x: a.hidden + previous * h, beta: 1, y: a.gates + here * g4)
            } else if previousRows > 1 {
                BLAS.gemm(transposeB: true, m: previousRows, n: g4, k: h, a: a.hidden + previous * h, lda: h,
                          b: weights.hiddenHidden, ldb: h, beta: 1, c: a.gates + here * g4, ldc: g4)
            }
            Self.cellForward(rows: rows, previousRows: previousRows, hiddenSize: h, bias: bias,
                             gates: a.gates + here * g4, previousCells: a.cells + previous * h,
                             cells: a.cells + here * h, tanhCells: a.tanhCells + here * h, hidden: a.hidden + here * h)
        }
    }

    /// Gate activations, new cell and hidden state for `rows` rows of one step.
    static func cellForward(rows: Int, previousRows: Int, hiddenSize h: Int, bias: UnsafePointer<Float>?, gates: UnsafeMutablePointer<Float>,
                            previousCells: UnsafePointer<Float>, cells: UnsafeMutablePointer<Float>,
                            tanhCells: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>) {
        typealias V = FastMath.Vector
        let vectorEnd = h / 8 * 8
        parallelRows(rows, work: rows * h) { range in
            for r in range {
                let gate = gates + r * 4 * h
                let cPrev: UnsafePointer<Float>? = r < previousRows ? previousCells + r * h : nil
                var j = 0
                while j < vectorEnd {
                    var (pi, pf, pg, po) = (load(gate + j), load(gate + h + j), load(gate + 2 * h + j), load(gate + 3 * h + j))
                    if let bias { pi += load(bias + j); pf += load(bias + h + j); pg += load(bias + 2 * h + j); po += load(bias + 3 * h + j) }
                    let i = FastMath.sigmoid(pi)
                    let f = FastMath.sigmoid(pf)
                    let g = FastMath.tanh(pg)
                    let o = FastMath.sigmoid(po)
                    let c0 = cPrev.map { load($0 + j) } ?? V()
                    let c = f * c0 + i * g
                    let tc = FastMath.tanh(c)
                    store(i, gate + j); store(f, gate + h + j); store(g, gate + 2 * h + j); store(o, gate + 3 * h + j)
                    store(c, cells + r * h + j); store(tc, tanhCells + r * h + j); store(o * tc, hidden + r * h + j)
                    j += 8
                }
                while j < h {
                    var (pi, pf, pg, po) = (gate[j], gate[h + j], gate[2 * h + j], gate[3 * h + j])
                    if let bias { pi += bias[j]; pf += bias[h + j]; pg += bias[2 * h + j]; po += bias[3 * h + j] }
                    let i = FastMath.sigmoid(pi), f = FastMath.sigmoid(pf)
                    let g = FastMath.tanh(pg), o = FastMath.sigmoid(po)
                    let c = f * (cPrev?[j] ?? 0) + i * g
                    let tc = FastMath.tanh(c)
                    gate[j] = i; gate[h + j] = f; gate[2 * h + j] = g; gate[3 * h + j] = o
                    cells[r * h + j] = c; tanhCells[r * h + j] = tc; hidden[r * h + j] = o * tc
                    j += 1
                }
            }
        }
    }

    /// Backpropagation through time. `hiddenGradient` [P, H] holds dLoss/dh from above and is
    /// overwritten (used as scratch). Accumulates weight gradients; writes `inputGradient` [P, I] when given.
    /// `recurrentScratch` needs 2 × B × H floats (B = the largest step's rows).
    /// With `input` nil (the projection came from a table) the input weights' gradient and the
    /// input gradient are left to the caller, who finds dGates in `activations.gates`.
    public func backward(layout: PackedLayout, input: UnsafePointer<Float>?, weights: Weights, gradients: Weights,
                         activations a: Activations, hiddenGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, recurrentScratch: UnsafeMutablePointer<Float>) {
        let h = hiddenSize, g4 = 4 * hiddenSize
        let batchRows = layout.active.max() ?? 0
        let dhNext = recurrentScratch
        let dcNext = recurrentScratch + batchRows * h
        dhNext.update(repeating: 0, count: batchRows * h)
        dcNext.update(repeating: 0, count: batchRows * h)
        for t in stride(from: layout.steps - 1, through: 0, by: -1) {
            let (rows, here, previousRows, previous) = layout.step(t)
            if rows == 0 { continue }
            Self.cellBackward(rows: rows, previousRows: previousRows, hiddenSize: h, gates: a.gates + here * g4,
                              previousCells: a.cells + previous * h, tanhCells: a.tanhCells + here * h,
                              hiddenGradient: hiddenGradient + here * h, dhNext: dhNext, dcNext: dcNext)
            if previousRows > 0 {
                // dh for step t-1 through the recurrent weights.
                BLAS.gemm(m: previousRows, n: h, k: g4, a: a.gates + here * g4, lda: g4, b: weights.hiddenHidden, ldb: h,
                          beta: 0, c: dhNext, ldc: h)
            }
        }
        let total = layout.total
        // dW_hh = Σ_t dGates_tᵀ · h_{t-1} as one product: line up each packed row with the hidden state
        // it was computed from (zero for a sequence's first item), reusing `hiddenGradient`, which is spent.
        let previousHidden = hiddenGradient
        layout.previousStates(a.hidden, width: h, into: previousHidden)
        BLAS.gemm(transposeA: true, m: g4, n: h, k: total, a: a.gates, lda: g4, b: previousHidden, ldb: h,
                  beta: 1, c: gradients.hiddenHidden, ldc: h)
        if let input {
            if let inputGradient {
                BLAS.gemm(m: total, n: inputSize, k: g4, a: a.gates, lda: g4, b: weights.inputHidden, ldb: inputSize,
                          beta: 0, c: inputGradient, ldc: inputSize)
            }
            BLAS.gemm(transposeA: true, m: g4, n: inputSize, k: total, a: a.gates, lda: g4, b: input, ldb: inputSize,
                      beta: 1, c: gradients.inputHidden, ldc: inputSize)
        }
        // Both biases enter the gates the same way, so both get the column sums (dGatesᵀ · 1).
        if total > 0 {
            let ones = [Float](repeating: 1, count: total)
            let sums = [Float](unsafeUninitializedCapacity: g4) { buffer, count in
                ones.withUnsafeBufferPointer {
                    BLAS.gemv(transpose: true, m: total, n: g4, a: a.gates, lda: g4, x: $0.baseAddress!, beta: 0, y: buffer.baseAddress!)
                }
                count = g4
            }
            for j in 0..<g4 {
                gradients.inputBias[j] += sums[j]
                gradients.hiddenBias[j] += sums[j]
            }
        }
    }

    /// Gradients through the gates of one step; gates are replaced by their pre-activation gradients.
    static func cellBackward(rows: Int, previousRows: Int, hiddenSize h: Int, gates: UnsafeMutablePointer<Float>,
                             previousCells: UnsafePointer<Float>, tanhCells: UnsafePointer<Float>,
                             hiddenGradient: UnsafePointer<Float>, dhNext: UnsafeMutablePointer<Float>, dcNext: UnsafeMutablePointer<Float>) {
        typealias V = FastMath.Vector
        let vectorEnd = h / 8 * 8
        parallelRows(rows, work: rows * h) { range in
            for r in range {
                let gate = gates + r * 4 * h
                let cPrev: UnsafePointer<Float>? = r < previousRows ? previousCells + r * h : nil
                var j = 0
                while j < vectorEnd {
                    let i = load(gate + j)
                    let f = load(gate + h + j)
                    let g = load(gate + 2 * h + j)
                    let o = load(gate + 3 * h + j)
                    let tc = load(tanhCells + r * h + j)
                    let dh = load(hiddenGradient + r * h + j) + load(dhNext + r * h + j)
                    let dc = load(dcNext + r * h + j) + dh * o * (1 - tc * tc)
                    let c0 = cPrev.map { load($0 + j) } ?? V()
                    store(dc * g * i * (1 - i), gate + j)
                    store(dc * c0 * f * (1 - f), gate + h + j)
                    store(dc * i * (1 - g * g), gate + 2 * h + j)
                    store(dh * tc * o * (1 - o), gate + 3 * h + j)
                    store(dc * f, dcNext + r * h + j)
                    j += 8
                }
                while j < h {
                    let i = gate[j], f = gate[h + j], g = gate[2 * h + j], o = gate[3 * h + j]
                    let tc = tanhCells[r * h + j]
                    let dh = hiddenGradient[r * h + j] + dhNext[r * h + j]
                    let dc = dcNext[r * h + j] + dh * o * (1 - tc * tc)
                    let c0 = cPrev?[j] ?? 0
                    gate[j] = dc * g * i * (1 - i)
                    gate[h + j] = dc * c0 * f * (1 - f)
                    gate[2 * h + j] = dc * i * (1 - g * g)
                    gate[3 * h + j] = dh * tc * o * (1 - o)
                    dcNext[r * h + j] = dc * f
                    j += 1
                }
            }
        }
    }
}

/// Eight floats from `pointer` (any alignment).
@inline(__always)
func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store(_ v: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Splits `rows` across cores when there is enough `work` (elements) to pay for the dispatch.
@inline(__always)
func parallelRows(_ rows: Int, work: Int, _ body: (Range<Int>) -> Void) {
    if work < 32_768 || rows < 2 { body(0..<rows); return }
    // As many stripes as the process gave BLAS: a server that keeps cores for HTTP sets 1.
    parallelStripes(rows, stripes: min(availableCores(), BLAS.processThreads), body)
}
