import Core

/// Forward pass of a stack of LSTM layers over one sequence (a single request), split across
/// the cores of a `SpinTeam` by hidden units. Each part keeps the recurrent weight rows of its
/// own units (all four gates) in one contiguous block, small enough to stay in its core's
/// cache for every step, computes their gates and cell update, and meets the others at a
/// barrier once per step. One thread doing the whole matrix-vector product would stream all
/// of W_hh from the shared cache at every step.
public final class LSTMSingleSequence: @unchecked Sendable {
    public let layers: Int
    public let hiddenSize: Int
    public let team: SpinTeam
    /// Per layer, W_hh's rows regrouped by part: part p's units u, gates i, f, g, o — in half
    /// precision: the product is bound by reading these weights from each core's L2 at every
    /// step, and fp16 halves the bytes (11-bit significands; the sums stay fp32).
    private let recurrent: UnsafeMutablePointer<Float16>
    private let inputHidden: [UnsafePointer<Float>]
    private let biases: FloatBuffer
    private let cells: FloatBuffer
    private let scratch: FloatBuffer

    deinit { recurrent.deallocate() }

    private func units(_ part: Int) -> Range<Int> {
        (hiddenSize * part / team.size)..<(hiddenSize * (part + 1) / team.size)
    }

    /// Copies the recurrent weights into per-part blocks. `inputHidden[l]`, `inputBias[l]` and
    /// `hiddenBias[l]` of layers l ≥ 1 are read at each call (entry 0 is unused: the caller
    /// supplies layer 0's input projection with both biases).
    public init(hiddenSize h: Int, hiddenHidden: [UnsafePointer<Float>], inputHidden: [UnsafePointer<Float>],
                inputBias: [UnsafePointer<Float>], hiddenBias: [UnsafePointer<Float>], team: SpinTeam) {
        layers = hiddenHidden.count
        hiddenSize = h
        self.team = team
        self.inputHidden = inputHidden
        recurrent = .allocate(capacity: layers * 4 * h * h)
        biases = FloatBuffer(count: layers * 4 * h)
        cells = FloatBuffer(count: h)
        scratch = FloatBuffer(count: 4 * h)
        for layer in 0..<layers {
            var row = 0
            for part in 0..<team.size {
                for gate in 0..<4 {
                    for unit in units(part) {
                        let source = hiddenHidden[layer] + (gate * h + unit) * h, target = recurrent + (layer * 4 * h + row) * h
                        for j in 0..<h { target[j] = Float16(source[j]) }
                        row += 1
                    }
                }
            }
            for j in 0..<4 * h { biases.pointer[layer * 4 * h + j] = inputBias[layer][j] + hiddenBias[layer][j] }
        }
    }

    /// Runs the layers over `steps` positions. `gates` [steps, 4H] holds layer 0's input
    /// projection (with its biases) on entry and is scratch afterwards; `hidden` and
    /// `lowerHidden` are [steps, H] buffers the layers alternate between. Returns the top
    /// layer's final hidden state (H floats inside one of those buffers).
    /// Products inside run on one thread each: call with OpenBLAS set to one thread.
    public func forward(steps: Int, gates: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>,
                        lowerHidden: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let h = hiddenSize, g4 = 4 * h
        var output = hidden, input = lowerHidden
        for layer in 0..<layers {
            if layer > 0 {
                swap(&output, &input)
                let source = UnsafePointer(input), weights = inputHidden[layer], bias = biases.pointer + layer * g4
                team.run { part in
                    let columns = (g4 * part / team.size)..<(g4 * (part + 1) / team.size)
                    for t in 0..<steps { (gates + t * g4 + columns.lowerBound).update(from: bias + columns.lowerBound, count: columns.count) }
                    BLAS.gemm(transposeB: true, m: steps, n: columns.count, k: h, a: source, lda: h,
                              b: weights + columns.lowerBound * h, ldb: h, beta: 1, c: gates + columns.lowerBound, ldc: g4)
                }
            }
            recurrence(layer: layer, steps: steps, gates: gates, hidden: output)
        }
        return UnsafePointer(output + (steps - 1) * h)
    }

    private func recurrence(layer: Int, steps: Int, gates: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>) {
        let h = hiddenSize
        let barrier = SpinBarrier(parties: team.size)
        let weights = UnsafePointer(recurrent + layer * 4 * h * h)
        let cells = self.cells.pointer, scratch = self.scratch.pointer
        team.run { part in
            let units = self.units(part)
            let n = units.count
            let block = weights + 4 * units.lowerBound * h
            let products = scratch + 4 * units.lowerBound
            for t in 0..<steps {
                if t > 0 {
                    Self.halfMatrixVector(rows: 4 * n, columns: h, matrix: block, vector: hidden + (t - 1) * h, output: products)
                } else {
                    products.update(repeating: 0, count: 4 * n)
                }
                let gate = gates + t * 4 * h, out = hidden + t * h
                let start = units.lowerBound
                var index = 0
                while index + 8 <= n {
                    let unit = start + index
                    let i = FastMath.sigmoid(load(gate + unit) + load(products + index))
                    let f = FastMath.sigmoid(load(gate + h + unit) + load(products + n + index))
                    let g = FastMath.tanh(load(gate + 2 * h + unit) + load(products + 2 * n + index))
                    let o = FastMath.sigmoid(load(gate + 3 * h + unit) + load(products + 3 * n + index))
                    let c = f * (t > 0 ? load(cells + unit) : SIMD8<Float>()) + i * g
                    store(c, cells + unit)
                    store(o * FastMath.tanh(c), out + unit)
                    index += 8
                }
                while index < n {
                    let unit = start + index
                    let i = FastMath.sigmoid(gate[unit] + products[index])
                    let f = FastMath.sigmoid(gate[h + unit] + products[n + index])
                    let g = FastMath.tanh(gate[2 * h + unit] + products[2 * n + index])
                    let o = FastMath.sigmoid(gate[3 * h + unit] + products[3 * n + index])
                    let c = f * (t > 0 ? cells[unit] : 0) + i * g
                    cells[unit] = c
                    out[unit] = o * FastMath.tanh(c)
                    index += 1
                }
                barrier.wait(phase: t)
            }
        }
    }

    /// y = W · x for a row-major half-precision `rows` × `columns` matrix (the recurrent
    /// weights of single requests), converting eight weights per load (F16C), summing in fp32.
    @inline(__always)
    static func halfMatrixVector(rows: Int, columns: Int, matrix: UnsafePointer<Float16>, vector: UnsafePointer<Float>,
                                 output: UnsafeMutablePointer<Float>) {
        matrixVector(rows: rows, columns: columns, matrix: matrix, vector: vector, output: output,
                     eight: { SIMD8<Float>(UnsafeRawPointer($0).loadUnaligned(as: SIMD8<Float16>.self)) }, one: { Float($0) })
    }

    /// y = W · x for a row-major `rows` × `columns` matrix.
    @inline(__always)
    public static func matrixVector(rows: Int, columns: Int, matrix: UnsafePointer<Float>, vector: UnsafePointer<Float>,
                                    output: UnsafeMutablePointer<Float>) {
        matrixVector(rows: rows, columns: columns, matrix: matrix, vector: vector, output: output, eight: { load($0) }, one: { $0 })
    }

    /// y = W · x four rows at a time, for weights stored as `Weight` and widened to fp32 by
    /// `eight` (eight at once) and `one`. Eight accumulators (four rows × two column halves) keep
    /// both FMA units busy — with four, each FMA would wait for the previous one's result — and
    /// `addingProduct` compiles to one FMA where `a += w * x` would be a multiply and an add.
    @inline(__always)
    static func matrixVector<Weight>(rows: Int, columns k: Int, matrix w: UnsafePointer<Weight>, vector x: UnsafePointer<Float>,
                                     output y: UnsafeMutablePointer<Float>, eight: (UnsafePointer<Weight>) -> SIMD8<Float>,
                                     one: (Weight) -> Float) {
        let vectorEnd = k / 8 * 8, pairEnd = k / 16 * 16
        @inline(__always) func total(_ v: SIMD8<Float>) -> Float {
            let quad = v.lowHalf + v.highHalf
            let pair = quad.lowHalf + quad.highHalf
            return pair[0] + pair[1]
        }
        var r = 0
        while r < rows {
            let count = min(4, rows - r)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
            let w0 = w + r * k
            let w1 = w + min(r + 1, rows - 1) * k, w2 = w + min(r + 2, rows - 1) * k, w3 = w + min(r + 3, rows - 1) * k
            var j = 0
            while j < pairEnd {
                let xv = load(x + j), xw = load(x + j + 8)
                a0 = a0.addingProduct(eight(w0 + j), xv)
                a1 = a1.addingProduct(eight(w1 + j), xv)
                a2 = a2.addingProduct(eight(w2 + j), xv)
                a3 = a3.addingProduct(eight(w3 + j), xv)
                b0 = b0.addingProduct(eight(w0 + j + 8), xw)
                b1 = b1.addingProduct(eight(w1 + j + 8), xw)
                b2 = b2.addingProduct(eight(w2 + j + 8), xw)
                b3 = b3.addingProduct(eight(w3 + j + 8), xw)
                j += 16
            }
            while j < vectorEnd {
                let xv = load(x + j)
                a0 = a0.addingProduct(eight(w0 + j), xv)
                a1 = a1.addingProduct(eight(w1 + j), xv)
                a2 = a2.addingProduct(eight(w2 + j), xv)
                a3 = a3.addingProduct(eight(w3 + j), xv)
                j += 8
            }
            var sums = (total(a0 + b0), total(a1 + b1), total(a2 + b2), total(a3 + b3))
            while j < k {
                sums.0 += one(w0[j]) * x[j]; sums.1 += one(w1[j]) * x[j]; sums.2 += one(w2[j]) * x[j]; sums.3 += one(w3[j]) * x[j]
                j += 1
            }
            y[r] = sums.0
            if count > 1 { y[r + 1] = sums.1 }
            if count > 2 { y[r + 2] = sums.2 }
            if count > 3 { y[r + 3] = sums.3 }
            r += 4
        }
    }
}
