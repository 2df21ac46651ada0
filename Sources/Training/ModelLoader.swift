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

    /// The model of `run` with its `weights`, and the dataset it was trained on (or `datasetOverride`).
    public static func load(run path: String, weights: Weights = .best, datasetOverride: String? = nil) throws -> (LSTMRecommender, Dataset, RunConfiguration) {
        let run = RunDirectory(path: path)
        let configuration = try run.readConfiguration()
        guard configuration.model == "lstm", let lstm = configuration.lstm else {
            throw TrainingError.run(path: run.configPath, reason: "model '\(configuration.model)' is not supported by this build")
        }
        let datasetPath = datasetOverride ?? configuration.dataset.path
        let dataset = try Dataset(directory: datasetPath)
        guard dataset.itemCount + 1 == lstm.vocabulary else {
            throw TrainingError.run(path: path, reason: "the model was trained on \(lstm.vocabulary - 1) items but \(datasetPath) has \(dataset.itemCount): vocabularies differ")
        }
        let model = LSTMRecommender(configuration: lstm, seed: 0)
        let checkpoint = weights == .best && FileManager.default.fileExists(atPath: run.bestPath) ? run.bestPath : run.modelPath
        try Checkpoint.load(into: model.parameters, from: checkpoint, aliases: LSTMRecommender.checkpointAliases)
        return (model, dataset, configuration)
    }

    /// An LSTM recommender from a bare checkpoint, its shape read from the tensors.
    public static func load(checkpoint path: String, dataset: Dataset) throws -> LSTMRecommender {
        let tensors: [String: Safetensors.Tensor]
        do { tensors = try Safetensors.read(path: path).tensors } catch let error as Safetensors.FormatError {
            throw TrainingError.checkpoint(path: path, reason: error.description)
        }
        func tensor(_ name: String) -> Safetensors.Tensor? {
            tensors[name] ?? LSTMRecommender.checkpointAliases.first { $0.value == name }.flatMap { tensors[$0.key] }
        }
        guard let embedding = tensor("embedding.weight"), embedding.shape.count == 2,
              let recurrent = tensor("lstm.weight_hh_l0"), recurrent.shape.count == 2 else {
            throw TrainingError.checkpoint(path: path, reason: "not a seed LSTM checkpoint (needs embedding.weight and lstm.weight_hh_l0)")
        }
        var layers = 0
        while tensors["lstm.weight_hh_l\(layers)"] != nil { layers += 1 }
        let configuration = LSTMRecommender.Configuration(vocabulary: embedding.shape[0], embeddingSize: embedding.shape[1],
                                                          hiddenSize: recurrent.shape[1], layers: layers)
        guard configuration.vocabulary == dataset.itemCount + 1 else {
            throw TrainingError.checkpoint(path: path, reason: "the checkpoint has \(configuration.vocabulary - 1) items but \(dataset.directory) has \(dataset.itemCount): vocabularies differ")
        }
        let model = LSTMRecommender(configuration: configuration, seed: 0)
        try Checkpoint.load(into: model.parameters, from: path, aliases: LSTMRecommender.checkpointAliases)
        return model
    }
}
