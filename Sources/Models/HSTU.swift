import Core
import Engine

/// An HSTU-class generative recommender (Zhai et al. 2024, after the public
/// generative-recommenders definition): item embedding · √d plus a learned position embedding,
/// dropout, then per layer
///
///     n = LN(x);  u, v, q, k = SiLU(n · W_uvqkᵀ);  a = pointwise attention(q, k, v) with a
///     relative-position bias;  x = x + dropout(u ⊙ LN(a)) · W_oᵀ + b_o
///
/// (the norms without weights, as in the reference), and the user state scored against the
/// items by cosine similarity over a temperature. There is no feed-forward block: the gate u
/// does its work. Sequences are packed without their padding, like SASRec's.
public final class HSTU: NextItemScorer, @unchecked Sendable {
    public struct Configuration: Codable, Sendable, Equatable {
        /// Items + 1 (row 0 is padding).
        public var vocabulary: Int
        /// Positions the model knows (T); longer histories keep their most recent items.
        public var maxLength = TrainingOptions.defaultMaxLength
        public var hiddenSize = 64
        public var blocks = 2
        public var heads = 1
        /// Dropout of the input embeddings and of each layer's gated output.
        public var dropout: Float = 0.2
        public var layerNormEpsilon: Float = 1e-6
        /// Logits are cosine similarities divided by this.
        public var temperature: Float = 0.05
        /// Leave the items already in the window out of each position's softmax (see SASRec's).
        public var excludeSeenFromLoss = false

        public init(vocabulary: Int, maxLength: Int = TrainingOptions.defaultMaxLength, hiddenSize: Int = 64, blocks: Int = 2,
                    heads: Int = 1, dropout: Float = 0.2, temperature: Float = 0.05) {
            self.vocabulary = vocabulary
            self.maxLength = maxLength
            self.hiddenSize = hiddenSize
            self.blocks = blocks
            self.heads = heads
            self.dropout = dropout
            self.temperature = temperature
        }
    }

    public let configuration: Configuration
    public let parameters: ParameterSet
    public var vocabulary: Int { configuration.vocabulary }
    /// Dropout draws for the next training step (set by the trainer, so runs are reproducible).
    var stepSeed: UInt64 = 0
    /// The weights and bias the weightless norms pass to `LayerNorm`, and where their unused gradients go.
    let unitWeight: FloatBuffer, zeroBias: FloatBuffer, discardedGradient: FloatBuffer

    /// Names and shapes, in layout order.
    public static func parameterSpecs(_ c: Configuration) -> [(name: String, shape: [Int])] {
        let d = c.hiddenSize
        var specs: [(String, [Int])] = [("item_emb.weight", [c.vocabulary, d]), ("pos_emb.weight", [c.maxLength + 1, d])]
        for b in 0..<c.blocks {
            specs += [("hstu.\(b).uvqk.weight", [4 * d, d]), ("hstu.\(b).o.weight", [d, d]), ("hstu.\(b).o.bias", [d]),
                      ("hstu.\(b).rel_pos_bias", [c.maxLength])]
        }
        return specs
    }

    /// A model initialised as the reference initialises it, from `seed`: item embeddings and the
    /// projections N(0, 0.02), positions N(0, 1/d), the output layer Xavier-uniform with
    /// PyTorch's default bias, the relative bias N(0, 0.02), padding rows at zero.
    public init(configuration: Configuration, seed: UInt64) {
        precondition(configuration.hiddenSize % configuration.heads == 0, "the hidden size must be a multiple of the heads")
        self.configuration = configuration
        let d = configuration.hiddenSize
        parameters = ParameterSet(Self.parameterSpecs(configuration))
        unitWeight = FloatBuffer(count: d)
        unitWeight.pointer.update(repeating: 1, count: d)
        zeroBias = FloatBuffer(count: d)
        zeroBias.pointer.update(repeating: 0, count: d)
        discardedGradient = FloatBuffer(count: 2 * d)
        var random = SeededRandom(seed: seed)
        for tensor in parameters.tensors {
            let values = parameters.values.pointer + tensor.offset
            let std: Double
            if tensor.name == "pos_emb.weight" {
                std = (1 / Double(d)).squareRoot()
            } else if tensor.name.hasSuffix(".o.weight") {
                // Xavier-uniform: U(±√(6 / (fan_in + fan_out))).
                let bound = (6 / Double(2 * d)).squareRoot()
                for i in 0..<tensor.count { values[i] = Float((random.unit() * 2 - 1) * bound) }
                continue
            } else if tensor.name.hasSuffix(".o.bias") {
                let bound = 1 / Double(d).squareRoot()
                for i in 0..<tensor.count { values[i] = Float((random.unit() * 2 - 1) * bound) }
                continue
            } else {
                std = 0.02
            }
            for i in 0..<tensor.count { values[i] = Float(random.normal() * std) }
        }
        parameters.value("item_emb.weight").update(repeating: 0, count: d)
        parameters.value("pos_emb.weight").update(repeating: 0, count: d)
    }

    /// Sets the seed of the next training step's dropout.
    public func reseed(_ seed: UInt64) { stepSeed = seed }

    // MARK: - Workspace

    /// Activations of one layer, kept for the backward pass.
    final class LayerActivations {
        let input: FloatBuffer, inputMean: FloatBuffer, inputInverseStd: FloatBuffer, normalized: FloatBuffer
        /// n · W_uvqkᵀ before and after SiLU (p × 4d: u, v, q, k).
        let projection: FloatBuffer, activated: FloatBuffer
        let scores: FloatBuffer
        let attended: FloatBuffer, attendedMean: FloatBuffer, attendedInverseStd: FloatBuffer, attendedNorm: FloatBuffer
        /// u ⊙ LN(a), after dropout, and dropout's mask.
        let gated: FloatBuffer, gateMask: FloatBuffer

        init(positions p: Int, channels d: Int, scoreCount: Int, training: Bool) {
            func buffer(_ count: Int) -> FloatBuffer { FloatBuffer(count: count) }
            input = buffer(p * d); inputMean = buffer(p); inputInverseStd = buffer(p); normalized = buffer(p * d)
            projection = buffer(4 * p * d); activated = buffer(4 * p * d); scores = buffer(scoreCount)
            attended = buffer(p * d); attendedMean = buffer(p); attendedInverseStd = buffer(p); attendedNorm = buffer(p * d)
            gated = buffer(p * d); gateMask = buffer(training ? p * d : 0)
        }
    }

    /// Buffers for batches of up to `rows` × `steps` positions, allocated once.
    public final class Workspace: @unchecked Sendable {
        public let rows: Int
        public let steps: Int
        let training: Bool
        let ids: UnsafeMutablePointer<Int32>
        let targets: UnsafeMutablePointer<Int32>
        let positions: UnsafeMutablePointer<Int32>
        let embeddingMask: FloatBuffer
        let layers: [LayerActivations]
        /// The last layer's output, its L2-normalised rows and their 1/‖x‖.
        let finalInput: FloatBuffer, output: FloatBuffer, outputInverseNorm: FloatBuffer
        /// output / temperature: what the logits are taken from.
        let hidden: FloatBuffer
        /// The L2-normalised item table, its rows' 1/‖e‖, and the loss's gradient of it.
        let items: FloatBuffer, itemInverseNorm: FloatBuffer, itemGradient: FloatBuffer
        let gradient: FloatBuffer, scratchA: FloatBuffer, scratchB: FloatBuffer, scratchC: FloatBuffer
        let wideGradient: FloatBuffer
        let logits: FloatBuffer
        let chunkRows: Int

        init(configuration c: Configuration, rows: Int, steps: Int, training: Bool) {
            self.rows = rows
            self.steps = steps
            self.training = training
            let p = rows * steps, d = c.hiddenSize, v = c.vocabulary
            ids = .allocate(capacity: max(1, p))
            targets = .allocate(capacity: max(1, p))
            positions = .allocate(capacity: max(1, p))
            embeddingMask = FloatBuffer(count: training ? p * d : 0)
            let scoreCount = c.heads * rows * steps * steps
            if training {
                layers = (0..<c.blocks).map { _ in LayerActivations(positions: p, channels: d, scoreCount: scoreCount, training: true) }
            } else {
                // Forward only: a layer's activations are dead once it has written the next layer's input.
                let shared = LayerActivations(positions: p, channels: d, scoreCount: scoreCount, training: false)
                layers = Array(repeating: shared, count: c.blocks)
            }
            finalInput = FloatBuffer(count: p * d); output = FloatBuffer(count: p * d); outputInverseNorm = FloatBuffer(count: p)
            hidden = FloatBuffer(count: p * d)
            items = FloatBuffer(count: v * d); itemInverseNorm = FloatBuffer(count: v); itemGradient = FloatBuffer(count: training ? v * d : 0)
            let scratch = training ? p * d : 0
            gradient = FloatBuffer(count: scratch); scratchA = FloatBuffer(count: scratch); scratchB = FloatBuffer(count: scratch)
            scratchC = FloatBuffer(count: scratch); wideGradient = FloatBuffer(count: 4 * scratch)
            chunkRows = SoftmaxCrossEntropy.chunkRows(vocabulary: v)
            logits = FloatBuffer(count: training ? chunkRows * v : 0)
        }

        deinit {
            ids.deallocate()
            targets.deallocate()
            positions.deallocate()
        }

        /// Layer b's input (b = layers: the last layer's output).
        func layerInput(_ b: Int) -> UnsafeMutablePointer<Float> { b < layers.count ? layers[b].input.pointer : finalInput.pointer }
    }

    public func makeWorkspace(rows: Int, steps: Int) -> Workspace {
        Workspace(configuration: configuration, rows: rows, steps: steps, training: true)
    }

    private var cachedScoringWorkspace: Workspace?

    /// A forward-only workspace for `rows` × `steps`, kept for the next call of the same shape.
    func scoringWorkspace(rows: Int, steps: Int) -> Workspace {
        if let w = cachedScoringWorkspace, w.rows >= rows, w.steps == steps { return w }
        let w = Workspace(configuration: configuration, rows: rows, steps: steps, training: false)
        cachedScoringWorkspace = w
        return w
    }

    // MARK: - Forward

    /// Packs the non-padding positions of left-padded rows (`PackedHistories`).
    func pack(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>?, rows: Int, steps: Int,
              workspace w: Workspace) -> CausalSelfAttention.Segments {
        PackedHistories(ids: w.ids, positions: w.positions, targets: w.targets, cells: nil)
            .pack(inputs: inputs, targets: targets, rows: rows, steps: steps, maxLength: configuration.maxLength, heads: configuration.heads)
    }

    /// Embedding and layers over packed positions; the L2-normalised states over the temperature
    /// are in `w.hidden` (and without it in `w.output`).
    /// With `lastRowsOnly` (scoring), the last layer computes only each sequence's last
    /// position, whose state alone is scored: row s of `w.hidden` is then sequence s's.
    func forward(segments: CausalSelfAttention.Segments, workspace w: Workspace, training: Bool, lastRowsOnly: Bool = false) {
        let c = configuration
        let d = c.hiddenSize, p = segments.rows
        let dropout = training ? c.dropout : 0
        var random = SeededRandom(seed: stepSeed)
        let items = parameters.value("item_emb.weight"), positionTable = parameters.value("pos_emb.weight")
        let scale = Float(d).squareRoot()
        let embedded = w.layerInput(0)
        for row in 0..<p {
            let x = embedded + row * d, e = items + Int(w.ids[row]) * d, q = positionTable + Int(w.positions[row]) * d
            for j in 0..<d { x[j] = e[j] * scale + q[j] }
        }
        if training { Dropout.forward(values: embedded, mask: w.embeddingMask.pointer, count: p * d, probability: dropout, random: &random) }
        var rows = p
        for (b, a) in w.layers.enumerated() {
            if lastRowsOnly && b == c.blocks - 1 {
                lastRowsLayer(b, segments: segments, workspace: w)
                rows = segments.lengths.count
                break
            }
            func value(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
            LayerNorm.forward(output: a.normalized.pointer, mean: a.inputMean.pointer, inverseStd: a.inputInverseStd.pointer,
                              input: a.input.pointer, weight: unitWeight.pointer, bias: zeroBias.pointer, rows: p, channels: d,
                              epsilon: c.layerNormEpsilon)
            Linear.forward(output: a.projection.pointer, input: a.normalized.pointer, weight: value("hstu.\(b).uvqk.weight"), bias: nil,
                           rows: p, inputs: d, outputs: 4 * d)
            SiLU.forward(output: a.activated.pointer, input: a.projection.pointer, count: 4 * p * d)
            let h = a.activated.pointer
            PointwiseAttention.forward(query: h + 2 * d, key: h + 3 * d, value: h + d, stride: 4 * d, output: a.attended.pointer,
                                       scores: a.scores.pointer, bias: value("hstu.\(b).rel_pos_bias"), normalizer: Float(c.maxLength),
                                       segments: segments, channels: d, threads: BLAS.processThreads)
            LayerNorm.forward(output: a.attendedNorm.pointer, mean: a.attendedMean.pointer, inverseStd: a.attendedInverseStd.pointer,
                              input: a.attended.pointer, weight: unitWeight.pointer, bias: zeroBias.pointer, rows: p, channels: d,
                              epsilon: c.layerNormEpsilon)
            let gated = a.gated.pointer, norm = a.attendedNorm.pointer
            for r in 0..<p {
                let u = h + r * 4 * d, g = gated + r * d, n = norm + r * d
                for j in 0..<d { g[j] = u[j] * n[j] }
            }
            if training { Dropout.forward(values: gated, mask: a.gateMask.pointer, count: p * d, probability: dropout, random: &random) }
            let next = w.layerInput(b + 1)
            next.update(from: a.input.pointer, count: p * d)
            BLAS.gemm(transposeB: true, m: p, n: d, k: d, a: gated, lda: d, b: value("hstu.\(b).o.weight"), ldb: d, beta: 1, c: next, ldc: d)
            let bias = value("hstu.\(b).o.bias")
            for r in 0..<p {
                let row = next + r * d
                for j in 0..<d { row[j] += bias[j] }
            }
        }
        RowL2Norm.forward(output: w.output.pointer, inverseNorm: w.outputInverseNorm.pointer, input: w.finalInput.pointer, rows: rows, channels: d)
        let inverseTemperature = 1 / c.temperature
        for i in 0..<(rows * d) { w.hidden.pointer[i] = w.output.pointer[i] * inverseTemperature }
    }

    /// The item table with unit rows (the padding row stays zero), into `w.items`.
    func normalizeItems(workspace w: Workspace) {
        RowL2Norm.forward(output: w.items.pointer, inverseNorm: w.itemInverseNorm.pointer, input: parameters.value("item_emb.weight"),
                          rows: configuration.vocabulary, channels: configuration.hiddenSize)
    }
}
