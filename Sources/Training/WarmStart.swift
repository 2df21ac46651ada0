import Datasets
import Engine
import Foundation
import Models
import Runs

/// Adam's moments (in a model's flat parameter layout) and step count.
public struct OptimizerState: Sendable {
    public var firstMoment: [Float]
    public var secondMoment: [Float]
    public var step: Int
}

/// Starts training from an earlier run on a dataset that extends its item vocabulary
/// (`prepare --like`): the parent's weights and Adam moments are copied, item-indexed tensors
/// row by row, so known items keep what they learnt and new items start as fresh rows do.
public struct WarmStart: Sendable {
    /// The parent run and its configuration.
    public let parent: RunDirectory
    public let parentConfiguration: RunConfiguration
    /// The checkpoint the weights come from.
    public let checkpoint: String
    /// Items the parent knew (ids 1…parentItems).
    public let parentItems: Int

    /// Opens the parent run and checks that `dataset` gives every parent item the parent's id.
    public init(run path: String, dataset: Dataset, weights: ModelLoader.Weights = .best) throws {
        parent = RunDirectory(path: path)
        parentConfiguration = try parent.readConfiguration()
        checkpoint = parent.checkpointPath(weights)
        guard FileManager.default.fileExists(atPath: checkpoint) else {
            throw TrainingError.checkpoint(path: checkpoint, reason: "no checkpoint to start from: the run has not finished an epoch")
        }
        parentItems = parentConfiguration.vocabulary - 1
        let parentDataset = parentConfiguration.dataset.path
        guard dataset.itemCount >= parentItems else {
            throw TrainingError.run(path: dataset.directory, reason: "has \(dataset.itemCount) items, fewer than the \(parentItems) of \(path): prepare the new log with --like \(parentDataset)")
        }
        let expected: String
        if let recorded = parentConfiguration.dataset.vocabularySHA256 {
            expected = recorded
        } else if let parentVocabulary = try? ItemVocabulary(dataset: Dataset(directory: parentDataset)) {
            expected = parentVocabulary.digest()
        } else {
            throw TrainingError.run(path: parent.configPath, reason: "records no vocabulary digest and its dataset \(parentDataset) cannot be read, so the item ids cannot be checked")
        }
        guard try ItemVocabulary(dataset: dataset).digest(prefix: parentItems) == expected else {
            throw TrainingError.run(path: dataset.directory, reason: "its items 1…\(parentItems) are not the items of \(path): prepare the new log with --like \(parentDataset) so known items keep their ids")
        }
    }

    /// The parent's recipe continued: a quarter of its epochs at half its learning rate
    /// (fine-tuning, not relearning), without a warm-up (Adam's moments are carried over, so
    /// the first steps are not blind) and without its window.
    public var continuedTraining: TrainingOptions {
        var options = parentConfiguration.training
        options.epochs = max(1, (options.epochs + 3) / 4)
        options.learningRate /= 2
        options.warmupSteps = 0
        options.window = nil
        return options
    }

    /// The parent's model, sized for `dataset`, with `training` options, recording where it started.
    public func configuration(training: TrainingOptions, dataset: Dataset) throws -> RunConfiguration {
        var configuration = parentConfiguration.resized(vocabulary: dataset.itemCount + 1)
        let fresh = RunConfiguration(model: configuration.settings, training: training, dataset: dataset)
        configuration.training = training
        configuration.dataset = fresh.dataset
        configuration.created = fresh.created
        let metadata = try? Safetensors.metadata(path: checkpoint)
        configuration.warmStart = .init(run: URL(fileURLWithPath: parent.path).standardizedFileURL.path,
                                        checkpoint: URL(fileURLWithPath: checkpoint).lastPathComponent,
                                        epoch: metadata?["epoch"].flatMap(Int.init), items: parentItems)
        return configuration
    }

    /// Copies the parent's weights into `parameters` (a model of `configuration(…)`): every
    /// tensor whole, item-indexed tensors for the parent's rows only.
    public func loadWeights(into parameters: ParameterSet) throws {
        let itemRows = ModelLoader.parameterSpecs(parentConfiguration).itemRows
        try Checkpoint.load(into: parameters, from: checkpoint, grownRows: (itemRows, parentItems + 1))
    }

    /// A fresh model of `configuration` (from `configuration(training:dataset:)`) holding the
    /// parent's weights, and Adam's carried-over state (nil when the parent saved none).
    public func makeModel(_ configuration: RunConfiguration, seed: UInt64) throws -> (model: any TrainableModel, optimizer: OptimizerState?) {
        let model = try ModelLoader.makeModel(configuration, seed: seed).model
        try loadWeights(into: model.parameters)
        return (model, try optimizerState(for: model.parameters))
    }

    /// Adam's state carried over: the parent's moments in `parameters`' layout (zero for new
    /// item rows, as for a fresh parameter) and its step count; nil when the parent has none.
    public func optimizerState(for parameters: ParameterSet) throws -> OptimizerState? {
        guard FileManager.default.fileExists(atPath: parent.optimizerPath) else { return nil }
        let (tensors, metadata) = try readSafetensors(parent.optimizerPath)
        let (specs, itemRows) = ModelLoader.parameterSpecs(parentConfiguration)
        let (parentLayout, parentCount) = ParameterSet.layout(specs)
        guard let first = tensors["adam.first_moment"], let second = tensors["adam.second_moment"],
              first.values.count == parentCount, second.values.count == parentCount,
              let step = metadata["step"].flatMap(Int.init) else {
            throw TrainingError.checkpoint(path: parent.optimizerPath, reason: "not the optimizer state of this run's model")
        }
        let byName = Dictionary(uniqueKeysWithValues: parentLayout.map { ($0.name, $0) })
        var firstMoment = [Float](repeating: 0, count: parameters.values.count)
        var secondMoment = firstMoment
        for spec in parameters.tensors {
            guard let source = byName[spec.name] else {
                throw TrainingError.checkpoint(path: parent.optimizerPath, reason: "no moments for '\(spec.name)'")
            }
            let count = try Checkpoint.loadableCount(spec, storedShape: source.shape, grownRows: (itemRows, parentItems + 1),
                                                     path: parent.optimizerPath)
            for i in 0..<count {
                firstMoment[spec.offset + i] = first.values[source.offset + i]
                secondMoment[spec.offset + i] = second.values[source.offset + i]
            }
        }
        return OptimizerState(firstMoment: firstMoment, secondMoment: secondMoment, step: step)
    }

    private func readSafetensors(_ path: String) throws -> ([String: Safetensors.Tensor], [String: String]) {
        do { return try Safetensors.read(path: path) } catch let error as Safetensors.FormatError {
            throw TrainingError.checkpoint(path: path, reason: error.description)
        }
    }
}
