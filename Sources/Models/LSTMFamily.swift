/// The seed LSTM as a model family: the reference workflow's recipe (Adam 1e-3, the latest
/// window of each history, 30 epochs, patience 3) and PyTorch's tensor names.
extension LSTMRecommender.Configuration: ModelFamily {
    public static var name: String { "lstm" }

    public static var help: String {
        """
        the seed model: Embedding(V,128) → LSTM(128→256, 2 layers) → Linear(256,V),
        full-softmax cross-entropy at every position, Adam. Tensor names are PyTorch's.
        """
    }

    public static var itemRowTensors: [String] { ["embedding.weight", "fc.weight", "fc.bias"] }

    public static var checkpointAliases: [String: String] {
        ["emb.weight": "embedding.weight", "out.weight": "fc.weight", "out.bias": "fc.bias"]
    }

    public static func defaultTraining(data: TrainingDataProfile) -> (options: TrainingOptions, note: String?) {
        var options = TrainingOptions()
        options.epochs = 30
        options.learningRate = 1e-3
        options.patience = 3
        return (options, nil)
    }

    public static func configuration(vocabulary: Int, training: TrainingOptions, flags: ModelFlags,
                                     data: TrainingDataProfile) throws -> Self {
        try flags.requireFullSoftmax()
        return Self(vocabulary: vocabulary, embeddingSize: flags.embeddingSize ?? 128, hiddenSize: flags.hiddenSize ?? 256,
                    layers: flags.layers ?? 2)
    }

    public static func inferred(fromShapes shapes: [String: [Int]]) -> Self? {
        func shape(_ name: String) -> [Int]? {
            shapes[name] ?? checkpointAliases.first { $0.value == name }.flatMap { shapes[$0.key] }
        }
        guard let embedding = shape("embedding.weight"), embedding.count == 2,
              let recurrent = shape("lstm.weight_hh_l0"), recurrent.count == 2 else { return nil }
        var layers = 0
        while shapes["lstm.weight_hh_l\(layers)"] != nil { layers += 1 }
        return Self(vocabulary: embedding[0], embeddingSize: embedding[1], hiddenSize: recurrent[1], layers: layers)
    }

    public var parameterSpecs: [(name: String, shape: [Int])] { LSTMRecommender.parameterSpecs(self) }

    public var sizeProblem: String? {
        outsideRange("lstm.vocabulary", vocabulary, PlausibleSize.vocabulary)
            ?? outsideRange("lstm.embeddingSize", embeddingSize, PlausibleSize.width)
            ?? outsideRange("lstm.hiddenSize", hiddenSize, PlausibleSize.width)
            ?? outsideRange("lstm.layers", layers, PlausibleSize.depth)
    }

    public var summary: String { "emb \(embeddingSize), hidden \(hiddenSize), \(layers) layer\(layers == 1 ? "" : "s")" }

    public var inputWidth: Int { embeddingSize }

    public func makeModel(seed: UInt64) -> any TrainableModel { LSTMRecommender(configuration: self, seed: seed) }

    public static var readsInputFeatures: Bool { true }
    public func makeModel(seed: UInt64, features: InputFeatures?) -> any TrainableModel {
        LSTMRecommender(configuration: self, seed: seed, features: features)
    }
}

extension LSTMRecommender: TrainableModel, AcceleratedModel {}
