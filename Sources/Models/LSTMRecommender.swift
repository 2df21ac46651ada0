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

        /// `training: false` keeps only what a forward pass needs: gates and cells are shared by
        /// the layers (each layer's are dead once the next starts), and there are no gradients.
        init(configuration c: LSTMRecommender.Configuration, rows: Int, steps: Int, training: Bool = true) {
            self.rows = rows
            self.steps = steps
            let positions = rows * steps
            let h = c.hiddenSize
            packedInputs = .allocate(capacity: positions)
            packedTargets = .allocate(capacity: positions)
            embedded = FloatBuffer(count: positions * c.embeddingSize)
            func perLayer(_ count: Int, shared: Bool) -> [FloatBuffer] {
                if shared { let one = FloatBuffer(count: count); return Array(repeating: one, count: c.layers) }
                return (0..<c.layers).map { _ in FloatBuffer(count: count) }
            }
            gates = perLayer(positions * 4 * h, shared: !training)
            cells = perLayer(positions * h, shared: !training)
            tanhCells = perLayer(positions * h, shared: !training)
            // Layer l reads layer l-1's hidden states, so two buffers alternate without training.
            hidden = training ? perLayer(positions * h, shared: false)
                : { let pair = [FloatBuffer(count: positions * h), FloatBuffer(count: positions * h)]; return (0..<c.layers).map { pair[$0 % 2] } }()
            let gradientCount = training ? positions * max(h, c.embeddingSize) : 0
            upperGradient = FloatBuffer(count: max(gradientCount, rows * h))
            lowerGradient = FloatBuffer(count: gradientCount)
            recurrentScratch = FloatBuffer(count: training ? 2 * rows * h : 0)
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

    /// A forward-only workspace (about a third of a training one).
    public func makeScoringWorkspace(rows: Int, steps: Int) -> Workspace {
        Workspace(configuration: configuration, rows: rows, steps: steps, training: false)
    }

    /// Histories scored per forward pass; larger requests are split, which bounds the memory.
    public static let scoringRows = 64

    /// Embedding and LSTM layers over the packed batch; returns the layout.
    @discardableResult
    private func forwardLayers(inputs: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace,
                               projectionTable: FloatBuffer? = nil) -> PackedLayout {
        precondition(rows <= w.rows && steps == w.steps, "batch larger than its workspace")
        let layout = PackedLayout(paddedIds: inputs, rows: rows, steps: steps)
        layout.pack(inputs, into: w.packedInputs)
        if projectionTable == nil {
            Embedding.forward(output: w.embedded.pointer, ids: w.packedInputs, count: layout.total,
                              weight: parameters.value("embedding.weight"), channels: configuration.embeddingSize)
        }
        for (index, layer) in lstm.enumerated() {
            let projection: LSTMLayer.InputProjection
            if index == 0, let table = projectionTable {
                projection = .table(table.pointer, ids: w.packedInputs)
            } else {
                projection = .compute(index == 0 ? w.embedded.pointer : w.hidden[index - 1].pointer)
            }
            layer.forward(layout: layout, projection: projection, weights: weights(index, in: parameters.values), activations: w.activations(index))
        }
        return layout
    }

    /// One forward and backward pass over a batch of left-padded windows (rows × steps inputs
    /// and next-item targets, 0 = padding). Adds `gradientScale` × the gradient of the summed
    /// loss to `parameters.gradients`; returns the summed loss and the number of targets.
    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          workspace w: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        invalidateCaches()  // the optimizer step that follows changes the weights
        let layout = forwardLayers(inputs: inputs, rows: rows, steps: steps, workspace: w)
        layout.pack(targets, into: w.packedTargets)
        let total = layout.total
        if total == 0 { return (0, 0) }
        let c = configuration
        let top = c.layers - 1
        let gradients = parameters.gradients
        let loss = SoftmaxCrossEntropy.forwardBackward(
            hidden: w.hidden[top].pointer, targets: w.packedTargets, rows: total, channels: c.hiddenSize,
            weight: parameters.value("fc.weight"), bias: parameters.value("fc.bias"), vocabulary: c.vocabulary,
            logits: w.logits.pointer, chunkRows: w.chunkRows, gradientScale: gradientScale(total),
            weightGradient: parameters.gradient("fc.weight"), biasGradient: parameters.gradient("fc.bias"),
            hiddenGradient: w.upperGradient.pointer)
        var upper = w.upperGradient, lower = w.lowerGradient
        for index in stride(from: top, through: 0, by: -1) {
            let input = index == 0 ? w.embedded.pointer : w.hidden[index - 1].pointer
            lstm[index].backward(layout: layout, input: input, weights: weights(index, in: parameters.values),
                                 gradients: weights(index, in: gradients), activations: w.activations(index),
                                 hiddenGradient: upper.pointer, inputGradient: lower.pointer, recurrentScratch: w.recurrentScratch.pointer)
            swap(&upper, &lower)
        }
        Embedding.backward(weightGradient: parameters.gradient("embedding.weight"), outputGradient: upper.pointer,
                           ids: w.packedInputs, count: total, channels: c.embeddingSize)
        return (loss, total)
    }

    /// The summed loss of a batch, without gradients (validation loss, tests).
    public func loss(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace) -> Double {
        let layout = forwardLayers(inputs: inputs, rows: rows, steps: steps, workspace: w)
        layout.pack(targets, into: w.packedTargets)
        let c = configuration
        return SoftmaxCrossEntropy.forwardBackward(
            hidden: w.hidden[c.layers - 1].pointer, targets: w.packedTargets, rows: layout.total, channels: c.hiddenSize,
            weight: parameters.value("fc.weight"), bias: parameters.value("fc.bias"), vocabulary: c.vocabulary,
            logits: w.logits.pointer, chunkRows: w.chunkRows)
    }

    private var scoringWorkspace: Workspace?
    /// embedding · W_ih0ᵀ + b_ih0 + b_hh0 for every item ([V, 4H]), for scoring; rebuilt after training steps.
    private var inputProjectionTable: FloatBuffer?

    /// Drops caches derived from the weights; call after changing `parameters` other than by `trainStep`.
    public func invalidateCaches() { inputProjectionTable = nil }

    private func projectionTable() -> FloatBuffer {
        if let table = inputProjectionTable { return table }
        let c = configuration
        let g4 = 4 * c.hiddenSize
        let table = FloatBuffer(count: c.vocabulary * g4)
        let bias = FloatBuffer(count: g4)
        for j in 0..<g4 { bias.pointer[j] = parameters.value("lstm.bias_ih_l0")[j] + parameters.value("lstm.bias_hh_l0")[j] }
        Linear.forward(output: table.pointer, input: parameters.value("embedding.weight"), weight: parameters.value("lstm.weight_ih_l0"),
                       bias: bias.pointer, rows: c.vocabulary, inputs: c.embeddingSize, outputs: g4)
        inputProjectionTable = table
        return table
    }

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        let chunk = min(rows, Self.scoringRows)
        if scoringWorkspace == nil || scoringWorkspace!.rows < chunk || scoringWorkspace!.steps != steps {
            scoringWorkspace = makeScoringWorkspace(rows: chunk, steps: steps)
        }
        var start = 0
        while start < rows {
            let count = min(chunk, rows - start)
            score(histories: histories + start * steps, rows: count, steps: steps, scores: scores + start * vocabulary, workspace: scoringWorkspace!)
            start += count
        }
    }

    /// Logits of the next item after each history (rows × vocabulary).
    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>, workspace w: Workspace) {
        let layout = forwardLayers(inputs: histories, rows: rows, steps: steps, workspace: w, projectionTable: projectionTable())
        let c = configuration
        let h = c.hiddenSize
        // Every non-empty history is running at the last step; gather its state in batch order.
        let last = w.upperGradient.pointer
        last.update(repeating: 0, count: rows * h)
        let top = w.hidden[c.layers - 1].pointer + layout.offsets[steps - 1] * h
        for r in 0..<layout.active[steps - 1] { (last + layout.order[r] * h).update(from: top + r * h, count: h) }
        if rows == 1 {
            (scores).update(from: parameters.value("fc.bias"), count: c.vocabulary)
            BLAS.gemv(m: c.vocabulary, n: h, a: parameters.value("fc.weight"), lda: h, x: last, beta: 1, y: scores)
        } else {
            Linear.forward(output: scores, input: last, weight: parameters.value("fc.weight"), bias: parameters.value("fc.bias"),
                           rows: rows, inputs: h, outputs: c.vocabulary)
        }
    }
}
