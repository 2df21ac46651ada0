import Core
import Engine

/// The reference workflow's model, exactly: Embedding(V, E) → LSTM(E → H, L layers,
/// batch-first) → Linear(H, V), logits at every position, full-softmax cross-entropy on the
/// next item. Parameter names and layouts are PyTorch's `state_dict()` of that module.
public final class LSTMRecommender: NextItemScorer, @unchecked Sendable {
    public struct Configuration: Codable, Sendable, Equatable {
        /// Items + 1 (row 0 is padding).
        public var vocabulary: Int
        public var embeddingSize = 128
        public var hiddenSize = 256
        public var layers = 2

        public init(vocabulary: Int, embeddingSize: Int = 128, hiddenSize: Int = 256, layers: Int = 2) {
            self.vocabulary = vocabulary
            self.embeddingSize = embeddingSize
            self.hiddenSize = hiddenSize
            self.layers = layers
        }
    }

    public let configuration: Configuration
    public let parameters: ParameterSet
    public var vocabulary: Int { configuration.vocabulary }
    private let lstm: [LSTMLayer]

    /// The `state_dict()` names and shapes, in PyTorch's order.
    public static func parameterSpecs(_ c: Configuration) -> [(name: String, shape: [Int])] {
        var specs: [(String, [Int])] = [("embedding.weight", [c.vocabulary, c.embeddingSize])]
        for layer in 0..<c.layers {
            let input = layer == 0 ? c.embeddingSize : c.hiddenSize
            specs += [("lstm.weight_ih_l\(layer)", [4 * c.hiddenSize, input]), ("lstm.weight_hh_l\(layer)", [4 * c.hiddenSize, c.hiddenSize]),
                      ("lstm.bias_ih_l\(layer)", [4 * c.hiddenSize]), ("lstm.bias_hh_l\(layer)", [4 * c.hiddenSize])]
        }
        specs += [("fc.weight", [c.vocabulary, c.hiddenSize]), ("fc.bias", [c.vocabulary])]
        return specs
    }

    /// A model initialised as PyTorch initialises these modules, from `seed`.
    public init(configuration: Configuration, seed: UInt64) {
        self.configuration = configuration
        parameters = ParameterSet(Self.parameterSpecs(configuration))
        lstm = (0..<configuration.layers).map {
            LSTMLayer(inputSize: $0 == 0 ? configuration.embeddingSize : configuration.hiddenSize, hiddenSize: configuration.hiddenSize)
        }
        var random = SeededRandom(seed: seed)
        for tensor in parameters.tensors {
            let values = parameters.values.pointer + tensor.offset
            if tensor.name == "embedding.weight" {
                for i in 0..<tensor.count { values[i] = Float(random.normal()) }
                (values).update(repeating: 0, count: configuration.embeddingSize)  // padding row
            } else {
                // nn.LSTM: U(±1/√H); nn.Linear(H, V), weight and bias: U(±1/√fan_in), fan_in = H too.
                let bound = 1 / Float(configuration.hiddenSize).squareRoot()
                for i in 0..<tensor.count { values[i] = Float(random.unit() * 2 - 1) * bound }
            }
        }
    }

    private func weights(_ layer: Int, in buffer: FloatBuffer) -> LSTMLayer.Weights {
        func pointer(_ name: String) -> UnsafeMutablePointer<Float> { buffer.pointer + parameters.spec(name).offset }
        return LSTMLayer.Weights(inputHidden: pointer("lstm.weight_ih_l\(layer)"), hiddenHidden: pointer("lstm.weight_hh_l\(layer)"),
                                 inputBias: pointer("lstm.bias_ih_l\(layer)"), hiddenBias: pointer("lstm.bias_hh_l\(layer)"))
    }

    /// Activations and scratch for batches of up to `rows` × `steps` positions, allocated once.
    public final class Workspace: @unchecked Sendable {
        public let rows: Int
        public let steps: Int
        let packedInputs: UnsafeMutablePointer<Int32>
        let packedTargets: UnsafeMutablePointer<Int32>
        let embedded: FloatBuffer
        let gates: [FloatBuffer]
        let cells: [FloatBuffer]
        let tanhCells: [FloatBuffer]
        let hidden: [FloatBuffer]
        let upperGradient: FloatBuffer
        let lowerGradient: FloatBuffer
        let recurrentScratch: FloatBuffer
        let logits: FloatBuffer
        let chunkRows: Int

        /// The first layer's input projection per item and its gradient, for batches with more
        /// positions than items (allocated on first use).
        var projectionTable: FloatBuffer?
        var projectionTableGradient: FloatBuffer?

        init(configuration c: LSTMRecommender.Configuration, rows: Int, steps: Int) {
            self.rows = rows
            self.steps = steps
            let positions = rows * steps
            let h = c.hiddenSize
            packedInputs = .allocate(capacity: positions)
            packedTargets = .allocate(capacity: positions)
            embedded = FloatBuffer(count: positions * c.embeddingSize)
            func perLayer(_ count: Int) -> [FloatBuffer] { (0..<c.layers).map { _ in FloatBuffer(count: count) } }
            gates = perLayer(positions * 4 * h)
            cells = perLayer(positions * h)
            tanhCells = perLayer(positions * h)
            hidden = perLayer(positions * h)
            let gradientCount = positions * max(h, c.embeddingSize)
            upperGradient = FloatBuffer(count: gradientCount)
            lowerGradient = FloatBuffer(count: gradientCount)
            recurrentScratch = FloatBuffer(count: 2 * rows * h)
            chunkRows = SoftmaxCrossEntropy.chunkRows(vocabulary: c.vocabulary)
            logits = FloatBuffer(count: chunkRows * c.vocabulary)
        }

        deinit {
            packedInputs.deallocate()
            packedTargets.deallocate()
        }

        func activations(_ layer: Int) -> LSTMLayer.Activations {
            LSTMLayer.Activations(gates: gates[layer].pointer, cells: cells[layer].pointer,
                                  tanhCells: tanhCells[layer].pointer, hidden: hidden[layer].pointer)
        }
    }

    public func makeWorkspace(rows: Int, steps: Int) -> Workspace {
        Workspace(configuration: configuration, rows: rows, steps: steps)
    }

    /// Embedding and LSTM layers over the packed batch. When the batch holds more positions than
    /// there are items, the first layer's input projection is computed once per item into a
    /// table (embedding · W_ih0ᵀ + biases) and looked up, which is cheaper forward and backward.
    private func forwardLayers(inputs: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace) -> (layout: PackedLayout, table: FloatBuffer?) {
        precondition(rows <= w.rows && steps == w.steps, "batch larger than its workspace")
        let layout = PackedLayout(paddedIds: inputs, rows: rows, steps: steps)
        layout.pack(inputs, into: w.packedInputs)
        var table: FloatBuffer?
        if configuration.vocabulary < layout.total {
            let buffer = w.projectionTable ?? FloatBuffer(count: configuration.vocabulary * 4 * configuration.hiddenSize)
            w.projectionTable = buffer
            fillProjectionTable(buffer)
            table = buffer
        } else {
            Embedding.forward(output: w.embedded.pointer, ids: w.packedInputs, count: layout.total,
                              weight: parameters.value("embedding.weight"), channels: configuration.embeddingSize)
        }
        for (index, layer) in lstm.enumerated() {
            let projection: LSTMLayer.InputProjection
            if index == 0, let table {
                projection = .table(table.pointer, ids: w.packedInputs)
            } else {
                projection = .compute(index == 0 ? w.embedded.pointer : w.hidden[index - 1].pointer)
            }
            layer.forward(layout: layout, projection: projection, weights: weights(index, in: parameters.values), activations: w.activations(index))
        }
        return (layout, table)
    }

    /// One forward and backward pass over a batch of left-padded windows (rows × steps inputs
    /// and next-item targets, 0 = padding). Adds `gradientScale` × the gradient of the summed
    /// loss to `parameters.gradients`; returns the summed loss and the number of targets.
    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          workspace w: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        invalidateCaches()  // the optimizer step that follows changes the weights
        let (layout, table) = forwardLayers(inputs: inputs, rows: rows, steps: steps, workspace: w)
        layout.pack(targets, into: w.packedTargets)
        let total = layout.total
        if total == 0 { return (0, 0) }
        let targetCount = SampledLosses.targetCount(w.packedTargets, rows: total)
        if targetCount == 0 { return (0, 0) }
        let c = configuration
        let top = c.layers - 1
        let gradients = parameters.gradients
        let loss = SoftmaxCrossEntropy.forwardBackward(
            hidden: w.hidden[top].pointer, targets: w.packedTargets, rows: total, channels: c.hiddenSize,
            weight: parameters.value("fc.weight"), bias: parameters.value("fc.bias"), vocabulary: c.vocabulary,
            logits: w.logits.pointer, chunkRows: w.chunkRows, gradientScale: gradientScale(targetCount),
            weightGradient: parameters.gradient("fc.weight"), biasGradient: parameters.gradient("fc.bias"),
            hiddenGradient: w.upperGradient.pointer)
        var upper = w.upperGradient, lower = w.lowerGradient
        for index in stride(from: top, through: 0, by: -1) {
            let input: UnsafePointer<Float>? = index > 0 ? UnsafePointer(w.hidden[index - 1].pointer) : table == nil ? UnsafePointer(w.embedded.pointer) : nil
            lstm[index].backward(layout: layout, input: input, weights: weights(index, in: parameters.values),
                                 gradients: weights(index, in: gradients), activations: w.activations(index),
                                 hiddenGradient: upper.pointer, inputGradient: lower.pointer, recurrentScratch: w.recurrentScratch.pointer)
            swap(&upper, &lower)
        }
        if table != nil {
            tableBackward(workspace: w, count: total)
        } else {
            Embedding.backward(weightGradient: parameters.gradient("embedding.weight"), outputGradient: upper.pointer,
                               ids: w.packedInputs, count: total, channels: c.embeddingSize)
        }
        return (loss, targetCount)
    }

    /// Gradients of the embedding and W_ih0 through the projection table: the first layer's
    /// dGates summed per item (dTable), then dW_ih0 += dTableᵀ · E and dE += dTable · W_ih0.
    /// Padding never occurs among packed ids, so the padding row gets no gradient.
    private func tableBackward(workspace w: Workspace, count: Int) {
        let c = configuration
        let g4 = 4 * c.hiddenSize, e = c.embeddingSize, v = c.vocabulary
        let tableGradient = w.projectionTableGradient ?? FloatBuffer(count: v * g4)
        w.projectionTableGradient = tableGradient
        let dTable = tableGradient.pointer
        dTable.update(repeating: 0, count: v * g4)
        Embedding.backward(weightGradient: dTable, outputGradient: w.gates[0].pointer, ids: w.packedInputs, count: count, channels: g4)
        BLAS.gemm(transposeA: true, m: g4, n: e, k: v, a: dTable, lda: g4, b: parameters.value("embedding.weight"), ldb: e,
                  beta: 1, c: parameters.gradient("lstm.weight_ih_l0"), ldc: e)
        BLAS.gemm(m: v, n: e, k: g4, a: dTable, lda: g4, b: parameters.value("lstm.weight_ih_l0"), ldb: e,
                  beta: 1, c: parameters.gradient("embedding.weight"), ldc: e)
    }

    /// The summed loss of a batch, without gradients (validation loss, tests).
    public func loss(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace) -> Double {
        let layout = forwardLayers(inputs: inputs, rows: rows, steps: steps, workspace: w).layout
        layout.pack(targets, into: w.packedTargets)
        let c = configuration
        return SoftmaxCrossEntropy.forwardBackward(
            hidden: w.hidden[c.layers - 1].pointer, targets: w.packedTargets, rows: layout.total, channels: c.hiddenSize,
            weight: parameters.value("fc.weight"), bias: parameters.value("fc.bias"), vocabulary: c.vocabulary,
            logits: w.logits.pointer, chunkRows: w.chunkRows)
    }

    /// embedding · W_ih0ᵀ + b_ih0 + b_hh0 for every item ([V, 4H]), for scoring; rebuilt after training steps.
    private var inputProjectionTable: FloatBuffer?

    /// Drops caches derived from the weights; call after changing `parameters` other than by `trainStep`.
    public func invalidateCaches() {
        inputProjectionTable = nil
        stackedLayerWeights = nil
        singleSequenceCache = nil
    }

    /// The step-by-step pass's weights for layers above the first: [W_ih | W_hh] and b_ih + b_hh.
    private var stackedLayerWeights: (buffer: FloatBuffer, weights: [LSTMStack.LayerWeights])?

    private func stackedWeights() -> (buffer: FloatBuffer, weights: [LSTMStack.LayerWeights]) {
        if let cached = stackedLayerWeights { return cached }
        let c = configuration
        let h = c.hiddenSize, g4 = 4 * h
        let perLayer = g4 * 2 * h + g4
        let buffer = FloatBuffer(count: max(0, c.layers - 1) * perLayer)
        var weights = [LSTMStack.LayerWeights(matrix: parameters.value("lstm.weight_hh_l0"), bias: nil)]
        for layer in 1..<max(1, c.layers) {
            let matrix = buffer.pointer + (layer - 1) * perLayer, bias = matrix + g4 * 2 * h
            LSTMStack.stack(inputHidden: parameters.value("lstm.weight_ih_l\(layer)"), hiddenHidden: parameters.value("lstm.weight_hh_l\(layer)"),
                            hiddenSize: h, into: matrix)
            let ih = parameters.value("lstm.bias_ih_l\(layer)"), hh = parameters.value("lstm.bias_hh_l\(layer)")
            for j in 0..<g4 { bias[j] = ih[j] + hh[j] }
            weights.append(LSTMStack.LayerWeights(matrix: matrix, bias: bias))
        }
        stackedLayerWeights = (buffer, weights)
        return (buffer, weights)
    }

    private func projectionTable() -> FloatBuffer {
        if let table = inputProjectionTable { return table }
        let table = FloatBuffer(count: configuration.vocabulary * 4 * configuration.hiddenSize)
        fillProjectionTable(table)
        inputProjectionTable = table
        return table
    }

    /// embedding · W_ih0ᵀ + b_ih0 + b_hh0 for every item, into `table` [V, 4H].
    private func fillProjectionTable(_ table: FloatBuffer) {
        let c = configuration
        let g4 = 4 * c.hiddenSize
        let rows = table.pointer
        let ih = parameters.value("lstm.bias_ih_l0"), hh = parameters.value("lstm.bias_hh_l0")
        for j in 0..<g4 { rows[j] = ih[j] + hh[j] }
        for item in 1..<c.vocabulary { (rows + item * g4).update(from: rows, count: g4) }
        BLAS.gemm(transposeB: true, m: c.vocabulary, n: g4, k: c.embeddingSize, a: parameters.value("embedding.weight"), lda: c.embeddingSize,
                  b: parameters.value("lstm.weight_ih_l0"), ldb: c.embeddingSize, beta: 1, c: rows, ldc: g4)
    }

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        if rows == 1 {
            singleScore(history: histories, steps: steps, scores: scores)
            return
        }
        streamingScore(histories: histories, rows: rows, steps: steps, scores: scores)
    }

    /// A single request: the cores split each step by hidden units (see `LSTMSingleSequence`).
    private func singleScore(history: UnsafePointer<Int32>, steps: Int, scores: UnsafeMutablePointer<Float>) {
        let c = configuration
        let h = c.hiddenSize, g4 = 4 * h, v = c.vocabulary
        var first = 0
        while first < steps && history[first] == 0 { first += 1 }
        let length = steps - first
        let bias = parameters.value("fc.bias"), output = parameters.value("fc.weight")
        guard length > 0 else { scores.update(from: bias, count: v); return }
        let table = projectionTable()
        let single = singleSequence()
        if singleBuffers == nil || singleBuffers!.steps < length {
            singleBuffers = (length, FloatBuffer(count: length * g4), FloatBuffer(count: length * h), FloatBuffer(count: length * h))
        }
        let buffers = singleBuffers!
        for t in 0..<length {
            (buffers.gates.pointer + t * g4).update(from: table.pointer + Int(history[first + t]) * g4, count: g4)
        }
        nonisolated(unsafe) let scores = scores
        BLAS.singleThreaded {
            let last = single.forward(steps: length, gates: buffers.gates.pointer, hidden: buffers.hidden.pointer, lowerHidden: buffers.lower.pointer)
            single.team.run { part in
                let items = (v * part / single.team.size)..<(v * (part + 1) / single.team.size)
                LSTMSingleSequence.matrixVector(rows: items.count, columns: h, matrix: output + items.lowerBound * h, vector: last,
                                                output: scores + items.lowerBound)
                for item in items { scores[item] += bias[item] }
            }
        }
    }

    private var singleBuffers: (steps: Int, gates: FloatBuffer, hidden: FloatBuffer, lower: FloatBuffer)?
    private var singleSequenceCache: LSTMSingleSequence?

    private func singleSequence() -> LSTMSingleSequence {
        let teamSize = max(1, min(BLAS.processThreads, availableCores()))
        if let cached = singleSequenceCache, cached.team.size == teamSize { return cached }
        let c = configuration
        let layers = 0..<c.layers
        let single = LSTMSingleSequence(
            hiddenSize: c.hiddenSize, hiddenHidden: layers.map { UnsafePointer(parameters.value("lstm.weight_hh_l\($0)")) },
            inputHidden: layers.map { UnsafePointer(parameters.value("lstm.weight_ih_l\($0)")) },
            inputBias: layers.map { UnsafePointer(parameters.value("lstm.bias_ih_l\($0)")) },
            hiddenBias: layers.map { UnsafePointer(parameters.value("lstm.bias_hh_l\($0)")) },
            team: SpinTeam.shared(size: teamSize))
        singleSequenceCache = single
        return single
    }

    /// Batches: each core runs the step-by-step pass over its own share of the histories with
    /// single-threaded products, so the cores never wait for each other within a step.
    private func streamingScore(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        let stripes = max(1, min(BLAS.processThreads, rows / 8))
        if stripes > 1 {
            BLAS.singleThreaded { streamingScore(histories: histories, rows: rows, steps: steps, scores: scores, stripes: stripes) }
        } else {
            streamingScore(histories: histories, rows: rows, steps: steps, scores: scores, stripes: 1)
        }
    }

    private func streamingScore(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>, stripes: Int) {
        let c = configuration
        let table = projectionTable()
        let stack = LSTMStack(layers: c.layers, hiddenSize: c.hiddenSize)
        let layerWeights = stackedWeights()
        nonisolated(unsafe) let scores = scores
        parallelStripes(rows, stripes: stripes) { range in
            let count = range.count
            let inputs = histories + range.lowerBound * steps
            let layout = PackedLayout(paddedIds: inputs, rows: count, steps: steps)
            let ids = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, layout.total))
            defer { ids.deallocate() }
            layout.pack(inputs, into: ids)
            let state = LSTMStack.State(rows: count, hiddenSize: c.hiddenSize, layers: c.layers)
            stack.forward(layout: layout, ids: ids, table: table.pointer, weights: layerWeights.weights, state: state)
            let last = FloatBuffer(count: count * c.hiddenSize)  // zero: empty histories score the bias alone
            let running = layout.active.last ?? 0
            for r in 0..<running {
                (last.pointer + layout.order[r] * c.hiddenSize).update(from: state.topHidden(row: r), count: c.hiddenSize)
            }
            Linear.forward(output: scores + range.lowerBound * c.vocabulary, input: last.pointer, weight: parameters.value("fc.weight"),
                           bias: parameters.value("fc.bias"), rows: count, inputs: c.hiddenSize, outputs: c.vocabulary)
        }
    }
}
