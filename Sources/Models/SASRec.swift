import Core
import Engine

/// SASRec (Kang & McAuley 2018) with the block structure of the reference implementation
/// (../shared/peer/pytorch/sasrec_ref.py, after pmixer's SASRec.pytorch): item embedding · √d
/// plus a learned position embedding, dropout, then per block
/// `q = LN(x); x = q + attention(q, x, x); x = LN(x); x = x + FFN(x)` with a ReLU FFN and
/// dropout, a final LN, and logits against the item embeddings (tied output).
///
/// Sequences are packed without their padding: attention, the FFN and the loss only see
/// positions that hold an item. Parameter names and layouts are the reference's `state_dict()`.
public final class SASRec: NextItemScorer, @unchecked Sendable {
    public struct Configuration: Codable, Sendable, Equatable {
        /// Items + 1 (row 0 is padding).
        public var vocabulary: Int
        /// Positions the model knows (T); longer histories keep their most recent items.
        public var maxLength = TrainingOptions.defaultMaxLength
        public var hiddenSize = 64
        public var blocks = 2
        public var heads = 1
        public var dropout: Float = 0.2
        /// Layer norm epsilon (the reference uses 1e-8).
        public var layerNormEpsilon: Float = 1e-8
        /// The training loss.
        public var loss = Loss.fullSoftmax
        /// Items sampled per batch by the sampled softmax.
        public var negatives = 256
        /// How the sampled losses draw items.
        public var sampler = NegativeSampler.Kind.uniform
        /// Leave the items already in the window out of each position's softmax (the full
        /// softmax only; a position's own target always stays): train to rank what the user
        /// has not interacted with yet, which is what seen-filtered evaluation and serving with
        /// `exclude_seen` ask for. Off by default: with it, seen items are never pushed down.
        public var excludeSeenFromLoss = false

        /// The training loss (`TrainingLoss`, shared by every family's flags).
        public typealias Loss = TrainingLoss

        enum CodingKeys: String, CodingKey {
            case vocabulary, maxLength, hiddenSize, blocks, heads, dropout, layerNormEpsilon, loss, negatives, sampler, excludeSeenFromLoss
        }

        public init(from decoder: any Decoder) throws {
            // Runs written before the sampled losses existed have no loss settings: they used the full softmax.
            let container = try decoder.container(keyedBy: CodingKeys.self)
            vocabulary = try container.decode(Int.self, forKey: .vocabulary)
            maxLength = try container.decode(Int.self, forKey: .maxLength)
            hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
            blocks = try container.decode(Int.self, forKey: .blocks)
            heads = try container.decode(Int.self, forKey: .heads)
            dropout = try container.decode(Float.self, forKey: .dropout)
            layerNormEpsilon = try container.decode(Float.self, forKey: .layerNormEpsilon)
            loss = try container.decodeIfPresent(Loss.self, forKey: .loss) ?? .fullSoftmax
            negatives = try container.decodeIfPresent(Int.self, forKey: .negatives) ?? 256
            sampler = try container.decodeIfPresent(NegativeSampler.Kind.self, forKey: .sampler) ?? .uniform
            excludeSeenFromLoss = try container.decodeIfPresent(Bool.self, forKey: .excludeSeenFromLoss) ?? false
        }

        public init(vocabulary: Int, maxLength: Int = TrainingOptions.defaultMaxLength, hiddenSize: Int = 64, blocks: Int = 2, heads: Int = 1, dropout: Float = 0.2) {
            self.vocabulary = vocabulary
            self.maxLength = maxLength
            self.hiddenSize = hiddenSize
            self.blocks = blocks
            self.heads = heads
            self.dropout = dropout
        }
    }

    public let configuration: Configuration
    public let parameters: ParameterSet
    public var vocabulary: Int { configuration.vocabulary }
    /// Dropout draws for the next training step (set by the trainer, so runs are reproducible).
    var stepSeed: UInt64 = 0
    /// Where training steps and scoring run when not on the CPU (`--device cuda`); nil = the CPU.
    public var accelerator: StepAccelerator?
    /// Draws the sampled losses' items; popularity sampling needs the training counts (`useSampler`).
    public private(set) var sampler: NegativeSampler

    /// The `state_dict()` names and shapes of the reference module, in its order.
    public static func parameterSpecs(_ c: Configuration) -> [(name: String, shape: [Int])] {
        let d = c.hiddenSize
        var specs: [(String, [Int])] = [("item_emb.weight", [c.vocabulary, d]), ("pos_emb.weight", [c.maxLength + 1, d])]
        for b in 0..<c.blocks { specs += [("attn_ln.\(b).weight", [d]), ("attn_ln.\(b).bias", [d])] }
        for b in 0..<c.blocks {
            specs += [("attn.\(b).in_proj.weight", [3 * d, d]), ("attn.\(b).in_proj.bias", [3 * d]),
                      ("attn.\(b).out_proj.weight", [d, d]), ("attn.\(b).out_proj.bias", [d])]
        }
        for b in 0..<c.blocks { specs += [("ffn_ln.\(b).weight", [d]), ("ffn_ln.\(b).bias", [d])] }
        for b in 0..<c.blocks {
            specs += [("ffn.\(b).0.weight", [d, d]), ("ffn.\(b).0.bias", [d]), ("ffn.\(b).3.weight", [d, d]), ("ffn.\(b).3.bias", [d])]
        }
        specs += [("last_ln.weight", [d]), ("last_ln.bias", [d])]
        return specs
    }

    /// A model initialised as the reference initialises it, from `seed`: Xavier-normal for
    /// every matrix (embeddings included), PyTorch's Linear default for biases, LN at 1 and 0,
    /// padding rows at zero.
    public init(configuration: Configuration, seed: UInt64, features: InputFeatures? = nil) {
        precondition(configuration.hiddenSize % configuration.heads == 0, "the hidden size must be a multiple of the heads")
        self.configuration = configuration
        let parameters = ParameterSet(configuration.parameterSpecs(features: features))
        self.parameters = parameters
        featureEmbedding = InputFeatureEmbedding.make(features: features, width: configuration.hiddenSize, parameters: parameters)
        sampler = NegativeSampler(uniformOver: configuration.vocabulary)
        var random = SeededRandom(seed: seed)
        let d = configuration.hiddenSize
        for tensor in parameters.tensors {
            let values = parameters.values.pointer + tensor.offset
            if tensor.shape.count == 2 {
                let std = (2 / Double(tensor.shape[0] + tensor.shape[1])).squareRoot()
                for i in 0..<tensor.count { values[i] = Float(random.normal() * std) }
            } else if tensor.name.contains("_ln.") {
                values.update(repeating: tensor.name.hasSuffix(".weight") ? 1 : 0, count: tensor.count)
            } else {
                // A Linear's bias: U(±1/√fan_in), fan_in = d for every linear layer here.
                let bound = 1 / Double(d).squareRoot()
                for i in 0..<tensor.count { values[i] = Float((random.unit() * 2 - 1) * bound) }
            }
        }
        parameters.value("item_emb.weight").update(repeating: 0, count: d)
        parameters.value("pos_emb.weight").update(repeating: 0, count: d)
        featureEmbedding?.initialise(random: &random)
    }

    /// Adds event types, time gaps and item attributes to the input rows (`train --features`).
    public let featureEmbedding: InputFeatureEmbedding?

    /// The rows scores are taken against (tied to the item embeddings, plus attribute rows when
    /// the run scores with attributes).
    lazy var tiedOutput = TiedOutputTable(items: parameters.value("item_emb.weight"), itemGradient: parameters.gradient("item_emb.weight"),
                                          vocabulary: configuration.vocabulary, features: featureEmbedding)
    func outputTable() -> UnsafeMutablePointer<Float> { tiedOutput.scoring() }

    /// Uses `sampler` for the sampled losses (e.g. popularity counts of the training data).
    public func useSampler(_ sampler: NegativeSampler) {
        precondition(sampler.vocabulary == configuration.vocabulary)
        self.sampler = sampler
    }

    /// Sets the seed of the next training step's dropout.
    public func reseed(_ seed: UInt64) { stepSeed = seed }

    // MARK: - Workspace

    /// Activations of one block, kept for the backward pass.
    final class BlockActivations {
        let input: FloatBuffer, attentionNorm: FloatBuffer, attentionMean: FloatBuffer, attentionInverseStd: FloatBuffer
        let query: FloatBuffer, key: FloatBuffer, value: FloatBuffer, attended: FloatBuffer
        let probabilities: FloatBuffer, attentionMask: FloatBuffer
        let residual: FloatBuffer, ffnNorm: FloatBuffer, ffnMean: FloatBuffer, ffnInverseStd: FloatBuffer
        let inner: FloatBuffer, activated: FloatBuffer, innerMask: FloatBuffer, outerMask: FloatBuffer

        init(positions p: Int, channels d: Int, probabilityCount: Int, training: Bool) {
            func buffer(_ count: Int) -> FloatBuffer { FloatBuffer(count: count) }
            input = buffer(p * d); attentionNorm = buffer(p * d); attentionMean = buffer(p); attentionInverseStd = buffer(p)
            query = buffer(p * d); key = buffer(p * d); value = buffer(p * d); attended = buffer(p * d)
            probabilities = buffer(probabilityCount); attentionMask = buffer(training ? probabilityCount : 0)
            residual = buffer(p * d); ffnNorm = buffer(p * d); ffnMean = buffer(p); ffnInverseStd = buffer(p)
            inner = buffer(p * d); activated = buffer(p * d)
            innerMask = buffer(training ? p * d : 0); outerMask = buffer(training ? p * d : 0)
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
        /// Each packed position's place in the (rows × steps) input window: where its features are.
        let cells: UnsafeMutablePointer<Int32>
        /// One row's masked embedding gradient, for the feature tables.
        let featureGradient: FloatBuffer
        /// One sampled item per position (binary cross-entropy).
        let negatives: UnsafeMutablePointer<Int32>
        let embeddingMask: FloatBuffer
        /// The last block's output (the final norm's input).
        let finalInput: FloatBuffer
        let blocks: [BlockActivations]
        let output: FloatBuffer, outputMean: FloatBuffer, outputInverseStd: FloatBuffer
        let gradient: FloatBuffer, scratchA: FloatBuffer, scratchB: FloatBuffer, scratchC: FloatBuffer, scratchD: FloatBuffer
        let logits: FloatBuffer
        let chunkRows: Int

        init(configuration c: Configuration, rows: Int, steps: Int, training: Bool) {
            self.rows = rows
            self.steps = steps
            self.training = training
            let p = rows * steps, d = c.hiddenSize
            ids = .allocate(capacity: max(1, p))
            targets = .allocate(capacity: max(1, p))
            positions = .allocate(capacity: max(1, p))
            cells = .allocate(capacity: max(1, p))
            featureGradient = FloatBuffer(count: d)
            negatives = .allocate(capacity: max(1, p))
            finalInput = FloatBuffer(count: p * d)
            embeddingMask = FloatBuffer(count: training ? p * d : 0)
            let probabilityCount = c.heads * rows * steps * steps
            if training {
                blocks = (0..<c.blocks).map { _ in BlockActivations(positions: p, channels: d, probabilityCount: probabilityCount, training: true) }
            } else {
                // Forward only: a block's activations are dead once it has written the next block's input.
                let shared = BlockActivations(positions: p, channels: d, probabilityCount: probabilityCount, training: false)
                blocks = Array(repeating: shared, count: c.blocks)
            }
            output = FloatBuffer(count: p * d); outputMean = FloatBuffer(count: p); outputInverseStd = FloatBuffer(count: p)
            let scratch = training ? p * d : 0
            gradient = FloatBuffer(count: scratch); scratchA = FloatBuffer(count: scratch); scratchB = FloatBuffer(count: scratch)
            scratchC = FloatBuffer(count: scratch); scratchD = FloatBuffer(count: scratch)
            // The full softmax's logits chunk, or the sampled softmax's (at most 4M floats).
            chunkRows = SoftmaxCrossEntropy.chunkRows(vocabulary: c.vocabulary)
            let logitCount = c.loss == .fullSoftmax ? chunkRows * c.vocabulary : min(p, max(1, (1 << 22) / max(1, c.negatives))) * c.negatives
            logits = FloatBuffer(count: training ? logitCount : 0)
        }

        deinit {
            ids.deallocate()
            targets.deallocate()
            positions.deallocate()
            cells.deallocate()
            negatives.deallocate()
        }

        /// Block b's input (b = blocks: the final norm's input).
        func blockInput(_ b: Int) -> UnsafeMutablePointer<Float> { b < blocks.count ? blocks[b].input.pointer : finalInput.pointer }
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

    /// Packs the non-padding positions of left-padded rows (`PackedHistories`), with each
    /// position's feature-window cell.
    func pack(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>?, rows: Int, steps: Int, workspace w: Workspace,
              cellOffset: Int = 0) -> CausalSelfAttention.Segments {
        PackedHistories(ids: w.ids, positions: w.positions, targets: w.targets, cells: w.cells)
            .pack(inputs: inputs, targets: targets, rows: rows, steps: steps, maxLength: configuration.maxLength,
                  heads: configuration.heads, cellOffset: cellOffset)
    }

    /// Embedding, blocks and the final layer norm over packed positions; the result is in `w.output`.
    /// With `lastRowsOnly` (scoring), the last block computes only each sequence's last
    /// position, whose state alone is scored, and `w.output` holds one row per sequence.
    func forward(segments: CausalSelfAttention.Segments, workspace w: Workspace, training: Bool, lastRowsOnly: Bool = false) {
        let c = configuration
        let d = c.hiddenSize, p = segments.rows
        let dropout = training ? c.dropout : 0
        var random = SeededRandom(seed: stepSeed)
        let items = parameters.value("item_emb.weight"), positionTable = parameters.value("pos_emb.weight")
        let scale = Float(d).squareRoot()
        let embedded = w.blockInput(0)
        for row in 0..<p {
            let x = embedded + row * d, e = items + Int(w.ids[row]) * d, q = positionTable + Int(w.positions[row]) * d
            for j in 0..<d { x[j] = e[j] * scale + q[j] }
            featureEmbedding?.add(to: x, cell: Int(w.cells[row]), item: Int(w.ids[row]))
        }
        if training { Dropout.forward(values: embedded, mask: w.embeddingMask.pointer, count: p * d, probability: dropout, random: &random) }
        for (b, a) in w.blocks.enumerated() {
            if lastRowsOnly && b == c.blocks - 1 {
                lastRowsBlock(b, segments: segments, workspace: w)
                return
            }
            func value(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
            LayerNorm.forward(output: a.attentionNorm.pointer, mean: a.attentionMean.pointer, inverseStd: a.attentionInverseStd.pointer,
                              input: a.input.pointer, weight: value("attn_ln.\(b).weight"), bias: value("attn_ln.\(b).bias"),
                              rows: p, channels: d, epsilon: c.layerNormEpsilon)
            let inProjection = value("attn.\(b).in_proj.weight"), inBias = value("attn.\(b).in_proj.bias")
            Linear.forward(output: a.query.pointer, input: a.attentionNorm.pointer, weight: inProjection, bias: inBias, rows: p, inputs: d, outputs: d)
            Linear.forward(output: a.key.pointer, input: a.input.pointer, weight: inProjection + d * d, bias: inBias + d, rows: p, inputs: d, outputs: d)
            Linear.forward(output: a.value.pointer, input: a.input.pointer, weight: inProjection + 2 * d * d, bias: inBias + 2 * d, rows: p, inputs: d, outputs: d)
            CausalSelfAttention.forward(query: a.query.pointer, key: a.key.pointer, value: a.value.pointer, output: a.attended.pointer,
                                        probabilities: a.probabilities.pointer, mask: training ? a.attentionMask.pointer : nil,
                                        dropout: dropout, seed: random.next(), segments: segments, channels: d, threads: BLAS.processThreads)
            // residual = q + attended · W_oᵀ + b_o
            a.residual.pointer.update(from: a.attentionNorm.pointer, count: p * d)
            BLAS.gemm(transposeB: true, m: p, n: d, k: d, a: a.attended.pointer, lda: d, b: value("attn.\(b).out_proj.weight"), ldb: d,
                      beta: 1, c: a.residual.pointer, ldc: d)
            addBias(value("attn.\(b).out_proj.bias"), to: a.residual.pointer, rows: p, channels: d)
            LayerNorm.forward(output: a.ffnNorm.pointer, mean: a.ffnMean.pointer, inverseStd: a.ffnInverseStd.pointer,
                              input: a.residual.pointer, weight: value("ffn_ln.\(b).weight"), bias: value("ffn_ln.\(b).bias"),
                              rows: p, channels: d, epsilon: c.layerNormEpsilon)
            Linear.forward(output: a.inner.pointer, input: a.ffnNorm.pointer, weight: value("ffn.\(b).0.weight"), bias: value("ffn.\(b).0.bias"),
                           rows: p, inputs: d, outputs: d)
            ReLU.forward(output: a.activated.pointer, input: a.inner.pointer, count: p * d)
            if training { Dropout.forward(values: a.activated.pointer, mask: a.innerMask.pointer, count: p * d, probability: dropout, random: &random) }
            // The block's output, ffnNorm + dropout(activated · W₂ᵀ + b₂), goes to the next block's input
            // (or the final norm's); `outer` holds the second linear layer's output first.
            let next = w.blockInput(b + 1)
            let outer = training ? w.scratchA.pointer : next
            Linear.forward(output: outer, input: a.activated.pointer, weight: value("ffn.\(b).3.weight"), bias: value("ffn.\(b).3.bias"),
                           rows: p, inputs: d, outputs: d)
            if training { Dropout.forward(values: outer, mask: a.outerMask.pointer, count: p * d, probability: dropout, random: &random) }
            let f = a.ffnNorm.pointer
            if outer == next {
                for i in 0..<(p * d) { next[i] += f[i] }
            } else {
                for i in 0..<(p * d) { next[i] = f[i] + outer[i] }
            }
        }
        LayerNorm.forward(output: w.output.pointer, mean: w.outputMean.pointer, inverseStd: w.outputInverseStd.pointer,
                          input: w.finalInput.pointer, weight: parameters.value("last_ln.weight"), bias: parameters.value("last_ln.bias"),
                          rows: p, channels: d, epsilon: c.layerNormEpsilon)
    }

    func addBias(_ bias: UnsafePointer<Float>, to values: UnsafeMutablePointer<Float>, rows: Int, channels d: Int) {
        for r in 0..<rows {
            let row = values + r * d
            for j in 0..<d { row[j] += bias[j] }
        }
    }
}
