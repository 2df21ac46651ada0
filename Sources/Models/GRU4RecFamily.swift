/// GRU4Rec as RecBole builds it, as a model family: RecBole's recipe (Adam 1e-3, 200 epochs,
/// patience 10) and tensor names.
extension GRU4Rec.Configuration: ModelFamily {
    public static var name: String { "gru4rec" }

    public static var help: String {
        """
        GRU4Rec as RecBole builds it: Embedding(V,64) → dropout 0.3 → GRU(64→128, no
        biases) → Linear(128,64) → logits against the item embeddings, full softmax.
        """
    }

    public static var itemRowTensors: [String] { ["item_embedding.weight"] }
    public static var checkpointAliases: [String: String] { [:] }

    public static func defaultTraining(data: TrainingDataProfile) -> (options: TrainingOptions, note: String?) {
        var options = TrainingOptions()
        options.epochs = 200
        options.learningRate = 1e-3
        options.patience = 10
        return (options, nil)
    }

    public static func configuration(vocabulary: Int, training: TrainingOptions, flags: ModelFlags,
                                     data: TrainingDataProfile) throws -> Self {
        try flags.requireFullSoftmax()
        return Self(vocabulary: vocabulary, embeddingSize: flags.embeddingSize ?? 64, hiddenSize: flags.hiddenSize ?? 128,
                    layers: flags.layers ?? 1, dropout: flags.dropout ?? 0.3)
    }

    public static func inferred(fromShapes shapes: [String: [Int]]) -> Self? {
        guard let items = shapes["item_embedding.weight"], items.count == 2,
              let recurrent = shapes["gru_layers.weight_hh_l0"], recurrent.count == 2 else { return nil }
        var layers = 0
        while shapes["gru_layers.weight_hh_l\(layers)"] != nil { layers += 1 }
        return Self(vocabulary: items[0], embeddingSize: items[1], hiddenSize: recurrent[1], layers: layers)
    }

    public var parameterSpecs: [(name: String, shape: [Int])] { GRU4Rec.parameterSpecs(self) }

    public var sizeProblem: String? {
        outsideRange("gru4rec.vocabulary", vocabulary, PlausibleSize.vocabulary)
            ?? outsideRange("gru4rec.embeddingSize", embeddingSize, PlausibleSize.width)
            ?? outsideRange("gru4rec.hiddenSize", hiddenSize, PlausibleSize.width)
            ?? outsideRange("gru4rec.layers", layers, PlausibleSize.depth)
            ?? outsideProbability("gru4rec.dropout", dropout)
    }

    public var summary: String {
        "emb \(embeddingSize), hidden \(hiddenSize), \(layers) layer\(layers == 1 ? "" : "s"), dropout \(dropout)"
    }

    public var inputWidth: Int { embeddingSize }

    public static var readsInputFeatures: Bool { true }
    public func makeModel(seed: UInt64, features: InputFeatures?) -> any TrainableModel {
        GRU4Rec(configuration: self, seed: seed, features: features)
    }

    public func makeModel(seed: UInt64) -> any TrainableModel { GRU4Rec(configuration: self, seed: seed) }
}

extension GRU4Rec: AcceleratedModel {}
