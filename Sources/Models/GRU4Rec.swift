import Core
import Engine

/// GRU4Rec (Hidasi et al. 2016) in its common modern form (RecBole's): item embedding →
/// dropout → GRU layers without biases → Linear(H, E) → logits against the item embeddings
/// (tied output), full-softmax cross-entropy at every position. Parameter names are that
/// module's `state_dict()`: item_embedding.weight, gru_layers.weight_ih_l0, …, dense.weight/bias.
public final class GRU4Rec: NextItemScorer, TrainableModel, @unchecked Sendable {
    public struct Configuration: Codable, Sendable, Equatable {
        /// Items + 1 (row 0 is padding).
        public var vocabulary: Int
        public var embeddingSize = 64
        public var hiddenSize = 128
        public var layers = 1
        /// Dropout on the embedded items.
        public var dropout: Float = 0.3

        public init(vocabulary: Int, embeddingSize: Int = 64, hiddenSize: Int = 128, layers: Int = 1, dropout: Float = 0.3) {
            self.vocabulary = vocabulary
            self.embeddingSize = embeddingSize
            self.hiddenSize = hiddenSize
            self.layers = layers
            self.dropout = dropout
        }
    }

    public let configuration: Configuration
    public let parameters: ParameterSet
    public var vocabulary: Int { configuration.vocabulary }
    private let gru: [GRULayer]
    private var stepSeed: UInt64 = 0
    /// Where training steps and scoring run when not on the CPU (`--device cuda`); nil = the CPU.
    public var accelerator: StepAccelerator?

    public static func parameterSpecs(_ c: Configuration) -> [(name: String, shape: [Int])] {
        var specs: [(String, [Int])] = [("item_embedding.weight", [c.vocabulary, c.embeddingSize])]
        for layer in 0..<c.layers {
            specs += [("gru_layers.weight_ih_l\(layer)", [3 * c.hiddenSize, layer == 0 ? c.embeddingSize : c.hiddenSize]),
                      ("gru_layers.weight_hh_l\(layer)", [3 * c.hiddenSize, c.hiddenSize])]
        }
        specs += [("dense.weight", [c.embeddingSize, c.hiddenSize]), ("dense.bias", [c.embeddingSize])]
        return specs
    }

    /// Initialised as RecBole does: Xavier-normal embeddings, Xavier-uniform GRU weights,
    /// PyTorch's Linear default for the dense layer.
    public init(configuration: Configuration, seed: UInt64, features: InputFeatures? = nil) {
        self.configuration = configuration
        let parameters = ParameterSet(configuration.parameterSpecs(features: features))
        self.parameters = parameters
        featureEmbedding = InputFeatureEmbedding.make(features: features, width: configuration.embeddingSize, parameters: parameters)
        gru = (0..<configuration.layers).map {
            GRULayer(inputSize: $0 == 0 ? configuration.embeddingSize : configuration.hiddenSize, hiddenSize: configuration.hiddenSize)
        }
        var random = SeededRandom(seed: seed)
        for tensor in parameters.tensors {
            let values = parameters.values.pointer + tensor.offset
            let fans = tensor.shape.count == 2 ? Double(tensor.shape[0] + tensor.shape[1]) : 0
            if tensor.name == "item_embedding.weight" {
                let std = (2 / fans).squareRoot()
                for i in 0..<tensor.count { values[i] = Float(random.normal() * std) }
            } else if tensor.name.hasPrefix("gru_layers.") {
                let bound = (6 / fans).squareRoot()
                for i in 0..<tensor.count { values[i] = Float((random.unit() * 2 - 1) * bound) }
            } else {
                let bound = 1 / Double(configuration.hiddenSize).squareRoot()
                for i in 0..<tensor.count { values[i] = Float((random.unit() * 2 - 1) * bound) }
            }
        }
        parameters.value("item_embedding.weight").update(repeating: 0, count: configuration.embeddingSize)
        featureEmbedding?.initialise(random: &random)
    }

    /// Adds event types, time gaps and item attributes to the embedded inputs (`train --features`).
    public let featureEmbedding: InputFeatureEmbedding?

    /// Items with no training event score by their attributes alone (`TiedOutputTable.prepare`).
    public func prepareForTraining(itemCounts: () -> [Int]) {
        if featureEmbedding?.features.scoresWithAttributes == true {
            tiedOutput.prepare(itemCounts: itemCounts(), width: configuration.embeddingSize)
        }
    }

    /// The rows scores are taken against (tied to the item embeddings, plus attribute rows when
    /// the run scores with attributes).
    lazy var tiedOutput = TiedOutputTable(items: parameters.value("item_embedding.weight"), itemGradient: parameters.gradient("item_embedding.weight"),
                                          vocabulary: configuration.vocabulary, features: featureEmbedding)

    public func reseed(_ seed: UInt64) { stepSeed = seed }

    private func weights(_ layer: Int, in buffer: FloatBuffer) -> GRULayer.Weights {
        func pointer(_ name: String) -> UnsafeMutablePointer<Float> { buffer.pointer + parameters.spec(name).offset }
        return GRULayer.Weights(inputHidden: pointer("gru_layers.weight_ih_l\(layer)"), hiddenHidden: pointer("gru_layers.weight_hh_l\(layer)"),
                                inputBias: nil, hiddenBias: nil)
    }

    /// Activations and scratch for batches of up to `rows` × `steps` positions, allocated once.
    public final class Workspace: @unchecked Sendable {
        public let rows: Int
        public let steps: Int
        let packedInputs: UnsafeMutablePointer<Int32>
        let packedTargets: UnsafeMutablePointer<Int32>
        let embedded: FloatBuffer
        /// Each packed position's place in the (rows × steps) window, for its features.
        let packedCells: UnsafeMutablePointer<Int32>
        let dropoutMask: FloatBuffer
        let inputGates: [FloatBuffer]
        let hiddenGates: [FloatBuffer]
        let hidden: [FloatBuffer]
        let projected: FloatBuffer
        let upperGradient: FloatBuffer
        let lowerGradient: FloatBuffer
        let recurrentScratch: FloatBuffer
        let logits: FloatBuffer
        let chunkRows: Int

        init(configuration c: Configuration, rows: Int, steps: Int, training: Bool) {
            self.rows = rows
            self.steps = steps
            let p = rows * steps, h = c.hiddenSize, e = c.embeddingSize
            packedInputs = .allocate(capacity: max(1, p))
            packedTargets = .allocate(capacity: max(1, p))
            packedCells = .allocate(capacity: max(1, p))
            embedded = FloatBuffer(count: p * e)
            dropoutMask = FloatBuffer(count: training ? p * e : 0)
            inputGates = (0..<c.layers).map { _ in FloatBuffer(count: p * 3 * h) }
            hiddenGates = (0..<c.layers).map { _ in FloatBuffer(count: p * 3 * h) }
            hidden = (0..<c.layers).map { _ in FloatBuffer(count: p * h) }
            projected = FloatBuffer(count: p * e)
            let gradientCount = training ? p * max(h, e) : 0
            upperGradient = FloatBuffer(count: gradientCount)
            lowerGradient = FloatBuffer(count: gradientCount)
            recurrentScratch = FloatBuffer(count: training ? rows * h : 0)
            chunkRows = SoftmaxCrossEntropy.chunkRows(vocabulary: c.vocabulary)
            logits = FloatBuffer(count: training ? chunkRows * c.vocabulary : 0)
        }

        deinit {
            packedInputs.deallocate()
            packedTargets.deallocate()
            packedCells.deallocate()
        }

        func activations(_ layer: Int) -> GRULayer.Activations {
            GRULayer.Activations(inputGates: inputGates[layer].pointer, hiddenGates: hiddenGates[layer].pointer, hidden: hidden[layer].pointer)
        }
    }

    public func makeWorkspace(rows: Int, steps: Int) -> Workspace {
        Workspace(configuration: configuration, rows: rows, steps: steps, training: true)
    }

    /// Embedding (with dropout when training), GRU layers and the dense projection over the packed batch.
    /// `cellOffset` is the place of `inputs` in the feature window (scoring splits large batches).
    private func forward(inputs: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace, training: Bool, cellOffset: Int = 0) -> PackedLayout {
        precondition(rows <= w.rows && steps == w.steps, "batch larger than its workspace")
        let c = configuration
        let layout = PackedLayout(paddedIds: inputs, rows: rows, steps: steps)
        layout.pack(inputs, into: w.packedInputs)
        let total = layout.total
        Embedding.forward(output: w.embedded.pointer, ids: w.packedInputs, count: total,
                          weight: parameters.value("item_embedding.weight"), channels: c.embeddingSize)
        if let featureEmbedding {
            // Pack each input's window cell the way its id was packed, then add its features.
            let cells = (0..<Int32(rows * steps)).map { Int32(cellOffset) + $0 }
            cells.withUnsafeBufferPointer { layout.pack($0.baseAddress!, into: w.packedCells) }
            for p in 0..<total {
                featureEmbedding.add(to: w.embedded.pointer + p * c.embeddingSize, cell: Int(w.packedCells[p]), item: Int(w.packedInputs[p]))
            }
        }
        if training {
            var random = SeededRandom(seed: stepSeed)
            Dropout.forward(values: w.embedded.pointer, mask: w.dropoutMask.pointer, count: total * c.embeddingSize,
                            probability: c.dropout, random: &random)
        }
        for (index, layer) in gru.enumerated() {
            let input = index == 0 ? w.embedded.pointer : w.hidden[index - 1].pointer
            layer.forward(layout: layout, input: input, weights: weights(index, in: parameters.values), activations: w.activations(index))
        }
        Linear.forward(output: w.projected.pointer, input: w.hidden[c.layers - 1].pointer, weight: parameters.value("dense.weight"),
                       bias: parameters.value("dense.bias"), rows: total, inputs: c.hiddenSize, outputs: c.embeddingSize)
        return layout
    }

    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          workspace w: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        if let accelerator {
            return accelerator.trainStepOrStop(inputs: inputs, targets: targets, rows: rows, steps: steps, parameters: parameters,
                                               seed: stepSeed, gradientScale: gradientScale)
        }
        let layout = forward(inputs: inputs, rows: rows, steps: steps, workspace: w, training: true)
        layout.pack(targets, into: w.packedTargets)
        let total = layout.total
        if total == 0 { return (0, 0) }
        let targetCount = SampledLosses.targetCount(w.packedTargets, rows: total)
        if targetCount == 0 { return (0, 0) }
        let c = configuration
        let dProjected = w.lowerGradient.pointer
        let (outputRows, outputGradient) = tiedOutput.training()
        let output = tiedOutput
        let loss = SoftmaxCrossEntropy.forwardBackward(
            hidden: w.projected.pointer, targets: w.packedTargets, rows: total, channels: c.embeddingSize,
            weight: outputRows, bias: nil, vocabulary: c.vocabulary,
            logits: w.logits.pointer, chunkRows: w.chunkRows, gradientScale: gradientScale(targetCount),
            weightGradient: outputGradient, biasGradient: nil, hiddenGradient: dProjected,
            exclude: output.untrainedItems.isEmpty ? nil : { _, logits in output.excludeUntrained(logits) })
        tiedOutput.finishTraining()
        let top = c.layers - 1
        Linear.backward(inputGradient: w.upperGradient.pointer, weightGradient: parameters.gradient("dense.weight"),
                        biasGradient: parameters.gradient("dense.bias"), outputGradient: dProjected, input: w.hidden[top].pointer,
                        weight: parameters.value("dense.weight"), rows: total, inputs: c.hiddenSize, outputs: c.embeddingSize)
        var upper = w.upperGradient, lower = w.lowerGradient
        for index in stride(from: top, through: 0, by: -1) {
            let input = index == 0 ? w.embedded.pointer : w.hidden[index - 1].pointer
            gru[index].backward(layout: layout, input: input, weights: weights(index, in: parameters.values),
                                gradients: weights(index, in: parameters.gradients), activations: w.activations(index),
                                hiddenGradient: upper.pointer, inputGradient: lower.pointer, recurrentScratch: w.recurrentScratch.pointer)
            swap(&upper, &lower)
        }
        Dropout.backward(gradient: upper.pointer, mask: w.dropoutMask.pointer, count: total * c.embeddingSize)
        Embedding.backward(weightGradient: parameters.gradient("item_embedding.weight"), outputGradient: upper.pointer,
                           ids: w.packedInputs, count: total, channels: c.embeddingSize)
        if let featureEmbedding {
            for p in 0..<total {
                featureEmbedding.backward(upper.pointer + p * c.embeddingSize, cell: Int(w.packedCells[p]), item: Int(w.packedInputs[p]))
            }
        }
        return (loss, targetCount)
    }

    /// The summed loss of a batch without dropout or gradients (tests).
    public func loss(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace) -> Double {
        let layout = forward(inputs: inputs, rows: rows, steps: steps, workspace: w, training: false)
        layout.pack(targets, into: w.packedTargets)
        let c = configuration
        return SoftmaxCrossEntropy.forwardBackward(
            hidden: w.projected.pointer, targets: w.packedTargets, rows: layout.total, channels: c.embeddingSize,
            weight: tiedOutput.fresh(), bias: nil, vocabulary: c.vocabulary,
            logits: w.logits.pointer, chunkRows: w.chunkRows)
    }

    /// Histories per forward pass; larger requests are split, which bounds the memory.
    public static let scoringRows = 128
    private var scoringWorkspace: Workspace?

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        if let accelerator {
            return accelerator.scoreOrStop(histories: histories, rows: rows, steps: steps, parameters: parameters, scores: scores)
        }
        let c = configuration
        let chunk = min(rows, Self.scoringRows)
        if scoringWorkspace == nil || scoringWorkspace!.rows < chunk || scoringWorkspace!.steps != steps {
            scoringWorkspace = Workspace(configuration: c, rows: chunk, steps: steps, training: false)
        }
        let w = scoringWorkspace!
        let last = FloatBuffer(count: chunk * c.embeddingSize)
        var start = 0
        while start < rows {
            let count = min(chunk, rows - start)
            let layout = forward(inputs: histories + start * steps, rows: count, steps: steps, workspace: w, training: false, cellOffset: start * steps)
            // Every non-empty history is running at the last step; empty ones score the dense bias alone.
            for r in 0..<count { (last.pointer + r * c.embeddingSize).update(from: parameters.value("dense.bias"), count: c.embeddingSize) }
            let lastStep = layout.offsets[steps - 1]
            for r in 0..<layout.active[steps - 1] {
                (last.pointer + layout.order[r] * c.embeddingSize).update(from: w.projected.pointer + (lastStep + r) * c.embeddingSize, count: c.embeddingSize)
            }
            BLAS.gemm(transposeB: true, m: count, n: c.vocabulary, k: c.embeddingSize, a: last.pointer, lda: c.embeddingSize,
                      b: tiedOutput.scoring(), ldb: c.embeddingSize, beta: 0, c: scores + start * c.vocabulary, ldc: c.vocabulary)
            start += count
        }
    }
}
