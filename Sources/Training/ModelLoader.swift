import Datasets
import Engine
import Foundation
import Models

/// Rebuilds a trained model from a run directory, or from a bare safetensors checkpoint
/// (e.g. a PyTorch `state_dict()` saved with safetensors), checking it against its dataset.
public enum ModelLoader {
    /// Which weights of a run to load.
    public enum Weights: String, Sendable, CaseIterable {
        case best, last
    }

    /// The safetensors metadata key under which Trajectory's checkpoints carry their run's configuration.
    public static let configurationKey = "trajectory.run_config"

    /// A fresh (untrained) model of the kind and shape `configuration` describes.
    public static func makeModel(_ configuration: RunConfiguration, seed: UInt64 = 0) throws -> (model: any TrainableModel, aliases: [String: String]) {
        try checkSizes(configuration)
        switch configuration.model {
        case "lstm":
            if let lstm = configuration.lstm { return (LSTMRecommender(configuration: lstm, seed: seed), LSTMRecommender.checkpointAliases) }
        case "sasrec":
            if let sasrec = configuration.sasrec { return (SASRec(configuration: sasrec, seed: seed), SASRec.checkpointAliases) }
        case "gru4rec":
            if let gru4rec = configuration.gru4rec { return (GRU4Rec(configuration: gru4rec, seed: seed), GRU4Rec.checkpointAliases) }
        default:
            throw TrainingError.run(path: "config.json", reason: "model '\(configuration.model)' is not supported by this build (lstm, sasrec, gru4rec)")
        }
        throw TrainingError.run(path: "config.json", reason: "model '\(configuration.model)' has no '\(configuration.model)' settings")
    }

    /// Refuses sizes no model can have (config.json is untrusted: a hand edit or damage must be
    /// an error naming the field, not an overflow or a terabyte allocation).
    static func checkSizes(_ configuration: RunConfiguration) throws {
        func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>) throws {
            guard range.contains(value) else {
                throw TrainingError.run(path: "config.json", reason: "\(field) is \(value), outside \(range.lowerBound)…\(range.upperBound)")
            }
        }
        func check(_ field: String, _ value: Float) throws {
            guard value >= 0 && value < 1 else { throw TrainingError.run(path: "config.json", reason: "\(field) is \(value), outside [0, 1)") }
        }
        let width = 1...(1 << 16), depth = 1...64, vocabulary = 2...Int(Int32.max)
        try check("training.maxLength", configuration.training.maxLength, 1...(1 << 20))
        if let lstm = configuration.lstm {
            try check("lstm.vocabulary", lstm.vocabulary, vocabulary)
            try check("lstm.embeddingSize", lstm.embeddingSize, width)
            try check("lstm.hiddenSize", lstm.hiddenSize, width)
            try check("lstm.layers", lstm.layers, depth)
        }
        if let sasrec = configuration.sasrec {
            try check("sasrec.vocabulary", sasrec.vocabulary, vocabulary)
            try check("sasrec.hiddenSize", sasrec.hiddenSize, width)
            try check("sasrec.maxLength", sasrec.maxLength, 1...(1 << 20))
            try check("sasrec.blocks", sasrec.blocks, depth)
            try check("sasrec.heads", sasrec.heads, 1...sasrec.hiddenSize)
            try check("sasrec.negatives", sasrec.negatives, 1...(1 << 20))
            try check("sasrec.dropout", sasrec.dropout)
            guard sasrec.hiddenSize % sasrec.heads == 0 else {
                throw TrainingError.run(path: "config.json", reason: "sasrec.hiddenSize \(sasrec.hiddenSize) is not a multiple of sasrec.heads \(sasrec.heads)")
            }
        }
        if let gru4rec = configuration.gru4rec {
            try check("gru4rec.vocabulary", gru4rec.vocabulary, vocabulary)
            try check("gru4rec.embeddingSize", gru4rec.embeddingSize, width)
            try check("gru4rec.hiddenSize", gru4rec.hiddenSize, width)
            try check("gru4rec.layers", gru4rec.layers, depth)
            try check("gru4rec.dropout", gru4rec.dropout)
        }
        // Each field may be sane and their product not: at most 2^33 weights (32 GiB of fp32).
        var total = 0
        for spec in try parameterSpecs(configuration).specs {
            var count = 1
            for dimension in spec.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= 1 << 33 else { count = 1 << 34; break }
                count = product
            }
            total += count
            guard total <= 1 << 33 else {
                throw TrainingError.run(path: "config.json", reason: "the model would hold over 2^33 weights (tensor '\(spec.name)' \(spec.shape)): the sizes are not plausible")
            }
        }
    }

    /// The tensors of the model `configuration` describes, in layout order, and which of them have a row per item.
    public static func parameterSpecs(_ configuration: RunConfiguration) throws -> (specs: [(name: String, shape: [Int])], itemRows: [String]) {
        if let lstm = configuration.lstm, configuration.model == "lstm" { return (LSTMRecommender.parameterSpecs(lstm), LSTMRecommender.itemRowTensors) }
        if let sasrec = configuration.sasrec, configuration.model == "sasrec" { return (SASRec.parameterSpecs(sasrec), SASRec.itemRowTensors) }
        if let gru4rec = configuration.gru4rec, configuration.model == "gru4rec" { return (GRU4Rec.parameterSpecs(gru4rec), GRU4Rec.itemRowTensors) }
        throw TrainingError.run(path: "config.json", reason: "model '\(configuration.model)' is not supported by this build, or has no settings")
    }

    /// The model of `run` with its `weights`, and the dataset it was trained on (or `datasetOverride`).
    public static func load(run path: String, weights: Weights = .best, datasetOverride: String? = nil) throws -> (any TrainableModel, Dataset, RunConfiguration) {
        let run = RunDirectory(path: path)
        let configuration = try run.readConfiguration()
        let model: any TrainableModel, aliases: [String: String]
        do { (model, aliases) = try makeModel(configuration) } catch TrainingError.run(_, let reason) {
            throw TrainingError.run(path: run.configPath, reason: reason)
        }
        let datasetPath = datasetOverride ?? configuration.dataset.path
        let dataset = try Dataset(directory: datasetPath)
        guard dataset.itemCount + 1 == model.vocabulary else {
            throw TrainingError.run(path: path, reason: "the model was trained on \(model.vocabulary - 1) items but \(datasetPath) has \(dataset.itemCount): vocabularies differ")
        }
        // Same size is not the same items: a model's rows are indexed by the dataset's dense ids.
        if let recorded = configuration.dataset.vocabularySHA256 {
            let actual = try ItemVocabulary(dataset: dataset).digest()
            guard actual == recorded else {
                throw TrainingError.run(path: path, reason: "\(datasetPath) numbers its items differently from the dataset the model was trained on "
                                        + "(items.tsv's vocabulary digest \(actual.prefix(12))… vs \(recorded.prefix(12))… in config.json): its predictions would name the wrong items")
            }
        }
        if weights == .best && !FileManager.default.fileExists(atPath: run.bestPath) && FileManager.default.fileExists(atPath: run.modelPath) {
            throw TrainingError.checkpoint(path: run.bestPath, reason: "missing, though the run has model.safetensors (its last epoch); pass --weights last to use that")
        }
        let checkpoint = run.checkpointPath(weights)
        try Checkpoint.load(into: model.parameters, from: checkpoint, aliases: aliases)
        return (model, dataset, configuration)
    }

    /// A model from a bare checkpoint, its kind and shape read from the tensors: the seed LSTM
    /// (`embedding.weight`, `lstm.weight_hh_l0`, …), SASRec (`item_emb.weight`, `pos_emb.weight`, …)
    /// or GRU4Rec (`item_embedding.weight`, `gru_layers.weight_hh_l0`, …).
    public static func load(checkpoint path: String, dataset: Dataset, maxLength: Int = 200) throws -> any TrainableModel {
        let tensors: [String: Safetensors.Tensor], metadata: [String: String]
        do { (tensors, metadata) = try Safetensors.read(path: path) } catch let error as Safetensors.FormatError {
            throw TrainingError.checkpoint(path: path, reason: error.description)
        }
        let model: any TrainableModel, aliases: [String: String]
        if let text = metadata[Self.configurationKey], let configuration = try? JSONDecoder().decode(RunConfiguration.self, from: Data(text.utf8)) {
            // Written by Trajectory: the exact model, settings a tensor shape cannot tell included (heads, dropout, loss).
            (model, aliases) = try makeModel(configuration)
        } else if let items = tensors["item_emb.weight"], items.shape.count == 2, let positions = tensors["pos_emb.weight"], positions.shape.count == 2 {
            var blocks = 0
            while tensors["attn.\(blocks).in_proj.weight"] != nil { blocks += 1 }
            let configuration = SASRec.Configuration(vocabulary: items.shape[0], maxLength: positions.shape[0] - 1,
                                                     hiddenSize: items.shape[1], blocks: blocks)
            (model, aliases) = (SASRec(configuration: configuration, seed: 0), SASRec.checkpointAliases)
        } else if let items = tensors["item_embedding.weight"], items.shape.count == 2, let recurrent = tensors["gru_layers.weight_hh_l0"],
                  recurrent.shape.count == 2 {
            var layers = 0
            while tensors["gru_layers.weight_hh_l\(layers)"] != nil { layers += 1 }
            let configuration = GRU4Rec.Configuration(vocabulary: items.shape[0], embeddingSize: items.shape[1],
                                                      hiddenSize: recurrent.shape[1], layers: layers)
            (model, aliases) = (GRU4Rec(configuration: configuration, seed: 0), GRU4Rec.checkpointAliases)
        } else {
            func tensor(_ name: String) -> Safetensors.Tensor? {
                tensors[name] ?? LSTMRecommender.checkpointAliases.first { $0.value == name }.flatMap { tensors[$0.key] }
            }
            guard let embedding = tensor("embedding.weight"), embedding.shape.count == 2,
                  let recurrent = tensor("lstm.weight_hh_l0"), recurrent.shape.count == 2 else {
                throw TrainingError.checkpoint(path: path, reason: "not a checkpoint of a known model (the seed LSTM needs embedding.weight and lstm.weight_hh_l0; SASRec needs item_emb.weight and pos_emb.weight; GRU4Rec item_embedding.weight and gru_layers.weight_hh_l0)")
            }
            var layers = 0
            while tensors["lstm.weight_hh_l\(layers)"] != nil { layers += 1 }
            let configuration = LSTMRecommender.Configuration(vocabulary: embedding.shape[0], embeddingSize: embedding.shape[1],
                                                              hiddenSize: recurrent.shape[1], layers: layers)
            (model, aliases) = (LSTMRecommender(configuration: configuration, seed: 0), LSTMRecommender.checkpointAliases)
        }
        guard model.vocabulary == dataset.itemCount + 1 else {
            throw TrainingError.checkpoint(path: path, reason: "the checkpoint has \(model.vocabulary - 1) items but \(dataset.directory) has \(dataset.itemCount): vocabularies differ")
        }
        try Checkpoint.load(into: model.parameters, from: path, aliases: aliases)
        return model
    }
}
