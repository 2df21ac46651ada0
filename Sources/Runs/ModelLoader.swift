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
        return (configuration.settings.makeModel(seed: seed, features: configuration.features), type(of: configuration.settings).checkpointAliases)
    }

    /// Refuses sizes no model can have (config.json is untrusted: a hand edit or damage must be
    /// an error naming the field, not an overflow or a terabyte allocation).
    static func checkSizes(_ configuration: RunConfiguration) throws {
        if let problem = outsideRange("training.maxLength", configuration.training.maxLength, PlausibleSize.positions)
            ?? configuration.settings.sizeProblem {
            throw TrainingError.run(path: "config.json", reason: problem)
        }
        // Each field may be sane and their product not: at most 2^33 weights (32 GiB of fp32).
        var total = 0
        for spec in parameterSpecs(configuration).specs {
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

    /// Gives a model that reads item attributes the dataset's values of them.
    public static func attachFeatures(_ model: any NextItemScorer, dataset: Dataset) throws {
        try model.featureEmbedding?.attach(dataset: dataset)
    }

    /// The tensors of the model `configuration` describes, in layout order, and which of them have a row per item.
    public static func parameterSpecs(_ configuration: RunConfiguration) -> (specs: [(name: String, shape: [Int])], itemRows: [String]) {
        (configuration.settings.parameterSpecs(features: configuration.features), type(of: configuration.settings).itemRowTensors)
    }

    /// The model of `run` with its `weights`, and the dataset it was trained on (or `datasetOverride`).
    public static func load(run path: String, weights: Weights = .best, datasetOverride: String? = nil) throws -> (any TrainableModel, Dataset, RunConfiguration) {
        let loaded = try loadWithVocabulary(run: path, weights: weights, datasetOverride: datasetOverride)
        return (loaded.model, loaded.dataset, loaded.configuration)
    }

    /// `load(run:…)` and the dataset's item vocabulary (original ids and titles), read once: the
    /// check of the model's item ids reads it, and a server needs it too.
    public static func loadWithVocabulary(run path: String, weights: Weights = .best, datasetOverride: String? = nil) throws
        -> (model: any TrainableModel, dataset: Dataset, configuration: RunConfiguration, vocabulary: ItemVocabulary) {
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
        let vocabulary = try ItemVocabulary(dataset: dataset)
        if let recorded = configuration.dataset.vocabularySHA256 {
            let actual = vocabulary.digest()
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
        try attachFeatures(model, dataset: dataset)
        return (model, dataset, configuration, vocabulary)
    }

    /// A model from a bare checkpoint: one Trajectory wrote (its run's configuration is in the
    /// metadata) or one written elsewhere, whose family and shape are read from its tensors
    /// (`ModelFamily.inferred`), e.g. a PyTorch `state_dict()` saved with safetensors.
    public static func load(checkpoint path: String, dataset: Dataset) throws -> any TrainableModel {
        let tensors: [String: Safetensors.Tensor], metadata: [String: String]
        do { (tensors, metadata) = try Safetensors.read(path: path) } catch let error as Safetensors.FormatError {
            throw TrainingError.checkpoint(path: path, reason: error.description)
        }
        let model: any TrainableModel, aliases: [String: String]
        if let text = metadata[Self.configurationKey], let configuration = try? JSONDecoder().decode(RunConfiguration.self, from: Data(text.utf8)) {
            // Written by Trajectory: the exact model, settings a tensor shape cannot tell included (heads, dropout, loss).
            (model, aliases) = try makeModel(configuration)
        } else {
            let shapes = tensors.mapValues(\.shape)
            guard let settings = ModelFamilies.all.lazy.compactMap({ $0.inferred(fromShapes: shapes) }).first else {
                throw TrainingError.checkpoint(path: path, reason: "not a checkpoint of a known model: its tensor names and shapes are not those of \(ModelFamilies.names) "
                                               + "(e.g. PyTorch state_dict() names such as embedding.weight, item_emb.weight)")
            }
            if let problem = settings.sizeProblem { throw TrainingError.checkpoint(path: path, reason: problem) }
            (model, aliases) = (settings.makeModel(seed: 0), type(of: settings).checkpointAliases)
        }
        guard model.vocabulary == dataset.itemCount + 1 else {
            throw TrainingError.checkpoint(path: path, reason: "the checkpoint has \(model.vocabulary - 1) items but \(dataset.directory) has \(dataset.itemCount): vocabularies differ")
        }
        try Checkpoint.load(into: model.parameters, from: path, aliases: aliases)
        try attachFeatures(model, dataset: dataset)
        return model
    }
}
