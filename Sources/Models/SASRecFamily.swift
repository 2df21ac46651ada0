/// SASRec as a model family: the recipe that reaches its published quality (every window of
/// long histories, lr 0.002 with warm-up and cosine decay, 45 epochs) and, on short histories,
/// the SASRec paper's sparse-data settings. Tensor names are the reference implementation's.
extension SASRec.Configuration: ModelFamily {
    public static var name: String { "sasrec" }

    public static var help: String {
        """
        SASRec: self-attention over the history (d 64, 2 blocks, 1 head, dropout 0.2,
        learned positions, output tied to the item embeddings), full-softmax
        cross-entropy at every position. Tensor names are the reference's.
        Trains 45 epochs on every window of long histories, lr 0.002 with 200
        warm-up steps and cosine decay (each of these is a flag). On short
        histories (under 20 items per user on average, e.g. product reviews):
        dropout 0.5, 50 positions, seen items kept in the loss.
        """
    }

    public static var itemRowTensors: [String] { ["item_emb.weight"] }
    public static var checkpointAliases: [String: String] { [:] }

    /// On short histories (the SASRec paper's choice for Amazon data): 50 positions; dropout
    /// 0.5 and the seen items kept in the loss follow in `configuration`, which measured better
    /// on Amazon Beauty both filtered and not (bench/RESULTS.md).
    public static func defaultTraining(data: TrainingDataProfile) -> (options: TrainingOptions, note: String?) {
        var options = TrainingOptions()
        options.epochs = 45
        options.learningRate = 2e-3
        options.warmupSteps = 200
        options.schedule = .cosine
        options.patience = 10
        options.slidingStride = options.maxLength
        guard data.hasShortHistories else { return (options, nil) }
        options.maxLength = 50
        options.slidingStride = 50
        return (options, "short histories (\(String(format: "%.1f", data.meanHistoryLength)) training items per user on average): "
                + "SASRec's sparse-data defaults, dropout 0.5, max length 50, seen items kept in the loss")
    }

    public static func configuration(vocabulary: Int, training: TrainingOptions, flags: ModelFlags,
                                     data: TrainingDataProfile) throws -> Self {
        let hiddenSize = flags.hiddenSize ?? 64, heads = flags.heads ?? 1
        guard hiddenSize % heads == 0 else { throw ModelFlagError("--hidden-size must be a multiple of --heads") }
        let short = data.hasShortHistories
        var configuration = Self(vocabulary: vocabulary, maxLength: training.maxLength, hiddenSize: hiddenSize,
                                 blocks: flags.blocks ?? 2, heads: heads, dropout: flags.dropout ?? (short ? 0.5 : 0.2))
        configuration.loss = flags.loss ?? .fullSoftmax
        configuration.negatives = flags.negatives ?? 256
        configuration.sampler = flags.sampler ?? .uniform
        // Short histories exclude little, and unfiltered ranking then needs the model to learn to
        // rank seen items low; data with repeats (re-purchases, plays) needs seen items ranked.
        configuration.excludeSeenFromLoss = flags.excludeSeenFromLoss
            ?? (configuration.loss == .fullSoftmax && !short && data.repeatFraction < 0.01)
        return configuration
    }

    public static func inferred(fromShapes shapes: [String: [Int]]) -> Self? {
        guard let items = shapes["item_emb.weight"], items.count == 2,
              let positions = shapes["pos_emb.weight"], positions.count == 2 else { return nil }
        var blocks = 0
        while shapes["attn.\(blocks).in_proj.weight"] != nil { blocks += 1 }
        return Self(vocabulary: items[0], maxLength: positions[0] - 1, hiddenSize: items[1], blocks: blocks)
    }

    public var parameterSpecs: [(name: String, shape: [Int])] { SASRec.parameterSpecs(self) }

    public var sizeProblem: String? {
        if let problem = outsideRange("sasrec.vocabulary", vocabulary, PlausibleSize.vocabulary)
            ?? outsideRange("sasrec.hiddenSize", hiddenSize, PlausibleSize.width)
            ?? outsideRange("sasrec.maxLength", maxLength, PlausibleSize.positions)
            ?? outsideRange("sasrec.blocks", blocks, PlausibleSize.depth)
            ?? outsideRange("sasrec.heads", heads, 1...hiddenSize)
            ?? outsideRange("sasrec.negatives", negatives, 1...(1 << 20))
            ?? outsideProbability("sasrec.dropout", dropout) {
            return problem
        }
        return hiddenSize % heads == 0 ? nil : "sasrec.hiddenSize \(hiddenSize) is not a multiple of sasrec.heads \(heads)"
    }

    public var fixedPositions: Int? { maxLength }

    public var summary: String { "d \(hiddenSize), \(blocks) blocks, \(heads) head\(heads == 1 ? "" : "s"), dropout \(dropout)" }

    public func makeModel(seed: UInt64) -> any TrainableModel { SASRec(configuration: self, seed: seed) }

    public static var readsInputFeatures: Bool { true }
    public var inputWidth: Int { hiddenSize }
    public func makeModel(seed: UInt64, features: InputFeatures?) -> any TrainableModel {
        SASRec(configuration: self, seed: seed, features: features)
    }
}

extension SASRec: AcceleratedModel {}
