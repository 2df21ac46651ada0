/// Forward-only pass of a stack of LSTM layers over packed sequences that advances all layers
/// together one step at a time. It keeps only the current state (rows × H per layer) instead of
/// every position's activations, so a batch of thousands of histories fits in a few megabytes
/// and each step's products have as many rows as there are running histories.
///
/// The first layer's input projection comes from a table (embedding · W_ih0ᵀ + both biases,
/// one row per item), so it costs a copy instead of a product.
public struct LSTMStack {
    public let layers: Int
    public let hiddenSize: Int

    public init(layers: Int, hiddenSize: Int) {
        self.layers = layers
        self.hiddenSize = hiddenSize
    }

    /// What one layer multiplies and adds. Layer 0: `matrix` is W_hh [4H, H] and `bias` is nil
    /// (the table holds both biases). Layers above: `matrix` is [W_ih | W_hh] [4H, 2H] (see
    /// `stack`), so the input and the recurrent product are one, and `bias` is b_ih + b_hh.
    public struct LayerWeights {
        public var matrix: UnsafePointer<Float>
        public var bias: UnsafePointer<Float>?

        public init(matrix: UnsafePointer<Float>, bias: UnsafePointer<Float>?) {
            self.matrix = matrix
            self.bias = bias
        }
    }

    /// Writes [W_ih | W_hh] ([4H, 2H]) of a layer above the first into `stacked`.
    public static func stack(inputHidden: UnsafePointer<Float>, hiddenHidden: UnsafePointer<Float>, hiddenSize h: Int,
                             into stacked: UnsafeMutablePointer<Float>) {
        for row in 0..<4 * h {
            (stacked + row * 2 * h).update(from: inputHidden + row * h, count: h)
            (stacked + row * 2 * h + h).update(from: hiddenHidden + row * h, count: h)
        }
    }

    /// The running state of every layer for up to `rows` sequences. Row r holds the hidden
    /// states of all layers side by side ([h_0 | h_1 | …], L × H), so layer l's input and its
    /// own previous state, [h_(l-1) | h_l], are one contiguous row of 2H.
    public final class State: @unchecked Sendable {
        public let rows: Int
        let layers: Int
        let hiddenSize: Int
        let gates: FloatBuffer
        let hidden: FloatBuffer
        let cells: [FloatBuffer]

        public init(rows: Int, hiddenSize h: Int, layers: Int) {
            self.rows = rows
            self.layers = layers
            hiddenSize = h
            gates = FloatBuffer(count: rows * 4 * h)
            hidden = FloatBuffer(count: rows * layers * h)
            cells = (0..<layers).map { _ in FloatBuffer(count: rows * h) }
        }

        /// The top layer's hidden state of packed row r, H floats.
        public func topHidden(row r: Int) -> UnsafePointer<Float> {
            UnsafePointer(hidden.pointer + r * layers * hiddenSize + (layers - 1) * hiddenSize)
        }
    }

    /// Runs the stack over `layout` (packed ids `ids`, `layout.total` of them). Afterwards the
    /// top layer's final hidden state of packed row r (batch row `layout.order[r]`) is
    /// `state.topHidden(row: r)`, for every row that holds at least one item.
    public func forward(layout: PackedLayout, ids: UnsafePointer<Int32>, table: UnsafePointer<Float>,
                        weights: [LayerWeights], state: State) {
        precondition(weights.count == layers && state.layers == layers && state.hiddenSize == hiddenSize)
        precondition((layout.active.last ?? 0) <= state.rows, "batch larger than its state")
        let h = hiddenSize, g4 = 4 * hiddenSize, stride = layers * hiddenSize
        let gates = state.gates.pointer, hidden = state.hidden.pointer
        for t in 0..<layout.steps {
            let (rows, here, previousRows, _) = layout.step(t)
            if rows == 0 { continue }
            // Sequences starting here read zeros as their own previous state.
            (hidden + previousRows * stride).update(repeating: 0, count: (rows - previousRows) * stride)
            let stepIds = ids + here
            for r in 0..<rows { (gates + r * g4).update(from: table + Int(stepIds[r]) * g4, count: g4) }
            if previousRows == 1 {
                BLAS.gemv(m: g4, n: h, a: weights[0].matrix, lda: h, x: hidden, beta: 1, y: gates)
            } else if previousRows > 1 {
                BLAS.gemm(transposeB: true, m: previousRows, n: g4, k: h, a: hidden, lda: stride,
                          b: weights[0].matrix, ldb: h, beta: 1, c: gates, ldc: g4)
            }
            Self.cellStep(rows: rows, previousRows: previousRows, hiddenSize: h, bias: nil,
                          gates: gates, cells: state.cells[0].pointer, hidden: hidden, hiddenStride: stride)
            for layer in 1..<max(1, layers) {
                let input = hidden + (layer - 1) * h
                BLAS.gemm(transposeB: true, m: rows, n: g4, k: 2 * h, a: input, lda: stride,
                          b: weights[layer].matrix, ldb: 2 * h, beta: 0, c: gates, ldc: g4)
                Self.cellStep(rows: rows, previousRows: previousRows, hiddenSize: h, bias: weights[layer].bias,
                              gates: gates, cells: state.cells[layer].pointer, hidden: input + h, hiddenStride: stride)
            }
        }
    }

    /// Gate activations and the new cell and hidden state of one step, in place. Rows from
    /// `previousRows` on start here, from a zero cell.
    static func cellStep(rows: Int, previousRows: Int, hiddenSize h: Int, bias: UnsafePointer<Float>?,
                         gates: UnsafePointer<Float>, cells: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>,
                         hiddenStride: Int) {
        let vectorEnd = h / 8 * 8
        for r in 0..<rows {
            let gate = gates + r * 4 * h
            let cell = cells + r * h, out = hidden + r * hiddenStride
            if r >= previousRows { cell.update(repeating: 0, count: h) }
            var j = 0
            while j < vectorEnd {
                var (pi, pf, pg, po) = (load(gate + j), load(gate + h + j), load(gate + 2 * h + j), load(gate + 3 * h + j))
                if let bias { pi += load(bias + j); pf += load(bias + h + j); pg += load(bias + 2 * h + j); po += load(bias + 3 * h + j) }
                let c = FastMath.sigmoid(pf) * load(cell + j) + FastMath.sigmoid(pi) * FastMath.tanh(pg)
                store(c, cell + j)
                store(FastMath.sigmoid(po) * FastMath.tanh(c), out + j)
                j += 8
            }
            while j < h {
                var (pi, pf, pg, po) = (gate[j], gate[h + j], gate[2 * h + j], gate[3 * h + j])
                if let bias { pi += bias[j]; pf += bias[h + j]; pg += bias[2 * h + j]; po += bias[3 * h + j] }
                let c = FastMath.sigmoid(pf) * cell[j] + FastMath.sigmoid(pi) * FastMath.tanh(pg)
                cell[j] = c
                out[j] = FastMath.sigmoid(po) * FastMath.tanh(c)
                j += 1
            }
        }
    }
}
