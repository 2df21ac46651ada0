import Core
import Datasets
import Engine
import Foundation
import Testing
@testable import Models
@testable import Training
import Runs

/// `train --from`: a run continued on a dataset prepared `--like` its own, with new items.
@Suite(.serialized) struct WarmStartTests {
    /// A parent dataset (generated, ids "1"…"60"), a child log of the same users that
    /// continues each history with a run of new items n0…n19 (each followed by the next), and
    /// the child prepared `--like` the parent.
    static func datasets(in dir: String) throws -> (parent: Dataset, child: Dataset) {
        let (parent, _) = try TrainingTests.smallDataset(in: dir, users: 300)
        let originals = try parent.itemTable().originals
        var log = ""
        var random = SeededRandom(seed: 7)
        for s in 0..<parent.sequenceCount {
            for item in parent.sequence(s) { log += "u\(s) \(originals[Int(item) - 1])\n" }
            let start = Int(random.next() % 16)
            for k in 0..<4 { log += "u\(s) n\(start + k)\n" }
        }
        try Data(log.utf8).write(to: URL(fileURLWithPath: dir + "/child.txt"))
        var preparer = Preparer()
        preparer.like = parent.directory
        _ = try preparer.run(inputs: [dir + "/child.txt"], output: dir + "/child")
        return (parent, try Dataset(directory: dir + "/child"))
    }

    static func configuration(_ kind: String, dataset: Dataset, options: TrainingOptions) -> RunConfiguration {
        let vocabulary = dataset.itemCount + 1
        let settings: any ModelFamily
        switch kind {
        case "sasrec": settings = SASRec.Configuration(vocabulary: vocabulary, maxLength: 20, hiddenSize: 16, blocks: 1, heads: 1, dropout: 0.1)
        case "gru4rec": settings = GRU4Rec.Configuration(vocabulary: vocabulary, embeddingSize: 16, hiddenSize: 24, layers: 1, dropout: 0.1)
        default: settings = LSTMRecommender.Configuration(vocabulary: vocabulary, embeddingSize: 16, hiddenSize: 24, layers: 2)
        }
        let configuration = RunConfiguration(model: settings, training: options, dataset: dataset)
        return configuration
    }

    /// Trains a `kind` run on `dataset` for `epochs` and returns its directory.
    @discardableResult
    static func trainRun(_ kind: String, dataset: Dataset, at path: String, epochs: Int) throws -> RunDirectory {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 64
        options.maxLength = 20
        options.learningRate = 1e-2
        let configuration = configuration(kind, dataset: dataset, options: options)
        let run = RunDirectory(path: path)
        try run.create()
        try run.writeConfiguration(configuration)
        let model = try ModelLoader.makeModel(configuration, seed: 3).model
        _ = try train(model, dataset: dataset, split: DatasetSplit.leaveOneOut(dataset), options: options, run: run, optimizer: nil)
        return run
    }

    static func train<Model: TrainableModel>(_ model: Model, dataset: Dataset, split: DatasetSplit, options: TrainingOptions,
                                             run: RunDirectory, optimizer: OptimizerState?) throws -> TrainingSummary {
        let trainer = Trainer(model: model, dataset: dataset, split: split, options: options, run: run)
        if let optimizer { trainer.startOptimizer(optimizer) }
        return try trainer.train()
    }

    static func scores(_ model: any TrainableModel, histories: [[Int32]], steps: Int = 20) -> [[Float]] {
        var inputs = [Int32](repeating: 0, count: histories.count * steps)
        for (row, history) in histories.enumerated() {
            for (k, item) in history.suffix(steps).enumerated() { inputs[row * steps + steps - min(steps, history.count) + k] = item }
        }
        var scores = [Float](repeating: 0, count: histories.count * model.vocabulary)
        inputs.withUnsafeBufferPointer { i in scores.withUnsafeMutableBufferPointer { model.score(histories: i.baseAddress!, rows: histories.count, steps: steps, scores: $0.baseAddress!) } }
        return (0..<histories.count).map { Array(scores[($0 * model.vocabulary)..<(($0 + 1) * model.vocabulary)]) }
    }

    @Test(arguments: ["lstm", "sasrec", "gru4rec"])
    func aWarmStartScoresKnownItemsAsTheParentDid(kind: String) throws {
        let dir = TrainingTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (parentData, child) = try Self.datasets(in: dir)
        #expect(child.itemCount == parentData.itemCount + 16 + 3)
        try Self.trainRun(kind, dataset: parentData, at: dir + "/parent", epochs: 1)
        let parentModel = try ModelLoader.load(run: dir + "/parent").0

        let warmStart = try WarmStart(run: dir + "/parent", dataset: child)
        let configuration = try warmStart.configuration(training: TrainingOptions(), dataset: child)
        #expect(configuration.vocabulary == child.itemCount + 1)
        #expect(configuration.warmStart?.items == parentData.itemCount)
        #expect(configuration.warmStart?.epoch == 1)
        let (model, optimizer) = try warmStart.makeModel(configuration, seed: 9)

        // Histories of known items, before any training step: the known items' scores are the parent's.
        // Same weights, but the output product is wider (the new items' rows), so OpenBLAS may
        // pick other kernel edges and round differently (seen on an AVX-512 Xeon): 1e-5 absolute
        // for scores of order 1; a wrong row (a shifted id) would be off by ~0.1.
        let histories: [[Int32]] = [[1, 2, 3], [5], Array(1...30).map { Int32($0 % parentData.itemCount + 1) }]
        let before = Self.scores(parentModel, histories: histories), after = Self.scores(model, histories: histories)
        for (old, new) in zip(before, after) {
            let difference = zip(new.prefix(parentData.itemCount + 1), old).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference < 1e-5, "largest difference \(difference)")
        }
        // Adam's moments: the parent's for known rows, zero for new item rows.
        let state = try #require(optimizer)
        let (tensors, metadata) = try Safetensors.read(path: dir + "/parent/optimizer.safetensors")
        #expect(state.step == Int(metadata["step"]!))
        let itemTensor = type(of: model).itemRowTensors[0]
        let spec = model.parameters.spec(itemTensor)
        let width = spec.shape[1]
        let parentSpec = ModelLoader.parameterSpecs(try RunDirectory(path: dir + "/parent").readConfiguration())
        let parentOffset = ParameterSet.layout(parentSpec.specs).tensors.first { $0.name == itemTensor }!.offset
        let knownRows = (parentData.itemCount + 1) * width
        let firstMoment = tensors["adam.first_moment"]!.values
        #expect(Array(state.firstMoment[spec.offset..<(spec.offset + knownRows)]) == Array(firstMoment[parentOffset..<(parentOffset + knownRows)]))
        #expect(state.secondMoment[(spec.offset + knownRows)..<(spec.offset + spec.count)].allSatisfy { $0 == 0 })
        #expect(state.firstMoment[(spec.offset + knownRows)..<(spec.offset + spec.count)].allSatisfy { $0 == 0 })
    }

    @Test func newItemsBecomePredictableAfterTrainingOnDataThatHasThem() throws {
        let dir = TrainingTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (parentData, child) = try Self.datasets(in: dir)
        try Self.trainRun("lstm", dataset: parentData, at: dir + "/parent", epochs: 3)
        let warmStart = try WarmStart(run: dir + "/parent", dataset: child)
        var options = TrainingOptions()
        options.epochs = 15
        options.patience = 15
        options.batchSize = 64
        options.maxLength = 20
        options.learningRate = 1e-2
        options.window = .lastEvents(4)  // the new behaviour only: the runs of new items
        let configuration = try warmStart.configuration(training: options, dataset: child)
        let (model, optimizer) = try warmStart.makeModel(configuration, seed: 9)
        let split = try DatasetSplit.leaveOneOut(child).restricted(to: .lastEvents(4), dataset: child)
        let newItemCases = split.test.filter { Int($0.target) > parentData.itemCount }
        #expect(newItemCases.count == child.sequenceCount)
        let evaluator = Evaluator(maxLength: 20)
        let untrained = evaluator.evaluate(model, dataset: child, cases: newItemCases)
        let run = RunDirectory(path: dir + "/warm")
        try run.create()
        try run.writeConfiguration(configuration)
        _ = try Self.train(model as! LSTMRecommender, dataset: child, split: split, options: options, run: run, optimizer: optimizer)
        let trained = evaluator.evaluate(try ModelLoader.load(run: dir + "/warm").0, dataset: child, cases: newItemCases)
        // Each new item is always followed by the next: once seen in training, the next one is easy.
        #expect(untrained.hitRate10 < 0.2, "before: HR@10 \(untrained.hitRate10)")
        #expect(trained.hitRate10 > 0.7, "after: HR@10 \(trained.hitRate10)")
        print("warm start: new-item HR@10 \(untrained.hitRate10) before training, \(trained.hitRate10) after")
    }

    @Test func aDatasetWithOtherItemIdsIsRefused() throws {
        let dir = TrainingTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (parentData, _) = try Self.datasets(in: dir)
        try Self.trainRun("lstm", dataset: parentData, at: dir + "/parent", epochs: 1)
        // The child log prepared on its own: its ids follow first appearance in the new log.
        _ = try Preparer().run(inputs: [dir + "/child.txt"], output: dir + "/unrelated")
        #expect {
            _ = try WarmStart(run: dir + "/parent", dataset: try Dataset(directory: dir + "/unrelated"))
        } throws: { error in
            "\(error)".contains("--like") && "\(error)".contains("are not the items of")
        }
        // The parent's own dataset is a valid (identical) vocabulary: continue training on it.
        #expect(try WarmStart(run: dir + "/parent", dataset: parentData).parentItems == parentData.itemCount)
    }
}
