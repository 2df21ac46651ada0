import Datasets
import Engine
import Foundation
import Testing
@testable import Models
@testable import Training
import Runs

/// Training end to end on small generated data: learning, resume, accumulation, bad input.
@Suite(.serialized) struct TrainingTests {
    static func scratch() -> String {
        let path = NSTemporaryDirectory() + "training-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A small generated dataset with strong sequential signal, and its ceiling.
    static func smallDataset(in dir: String, users: Int = 400) throws -> (Dataset, Double) {
        var parameters = SyntheticGenerator.Parameters()
        parameters.users = users
        parameters.items = 60
        parameters.medianLength = 30
        parameters.minLength = 10
        parameters.maxLength = 60
        parameters.successors = 4
        parameters.followProbability = 0.5
        parameters.clusters = 4
        parameters.tasteProbability = 0.9
        let generator = SyntheticGenerator(parameters: parameters)
        let histories = generator.generate()
        var preparer = Preparer()
        preparer.force = true
        _ = try preparer.write(SyntheticGenerator.eventLog(histories), output: dir + "/data")
        return (try Dataset(directory: dir + "/data"), generator.ceiling(histories).hitRate)
    }

    static func options(epochs: Int) -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 64
        options.maxLength = 20
        options.learningRate = 1e-2
        options.patience = 100
        return options
    }

    /// The largest absolute difference between two weight vectors (infinite when their sizes differ).
    /// A resume from a wrong state (another epoch, lost Adam moments) moves weights by ~1e-2 per step.
    static func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    /// The small model trained for `epochs` in one go (in `dir/straight`): what a resumed run must equal.
    static func trainedUninterrupted(_ dataset: Dataset, split: DatasetSplit, epochs: Int, in dir: String) throws -> LSTMRecommender {
        let straight = RunDirectory(path: dir + "/straight")
        try straight.create()
        let model = smallModel(dataset)
        _ = try Trainer(model: model, dataset: dataset, split: split, options: options(epochs: epochs), run: straight).train()
        return model
    }

    static func smallModel(_ dataset: Dataset, seed: UInt64 = 1) -> LSTMRecommender {
        LSTMRecommender(configuration: .init(vocabulary: dataset.itemCount + 1, embeddingSize: 16, hiddenSize: 32, layers: 2), seed: seed)
    }

    @Test func lstmLearnsBeyondPopularityAndMarkovTowardTheCeiling() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The taste groups make the whole history informative, so a first-order chain cannot match the LSTM.
        let (dataset, ceiling) = try Self.smallDataset(in: dir, users: 2000)
        let split = DatasetSplit.leaveOneOut(dataset)
        var options = Self.options(epochs: 40)
        options.slidingStride = options.maxLength
        options.patience = 4
        let run = RunDirectory(path: dir + "/run")
        try run.create()
        _ = try Trainer(model: Self.smallModel(dataset), dataset: dataset, split: split, options: options, run: run).train()
        let model = Self.smallModel(dataset)
        try Checkpoint.load(into: model.parameters, from: run.bestPath)
        let evaluator = Evaluator(maxLength: 20)
        let lstm = evaluator.evaluate(model, dataset: dataset, cases: split.test)
        let popularity = evaluator.evaluate(PopularityModel(dataset: dataset, training: split.training), dataset: dataset, cases: split.test)
        let markov = evaluator.evaluate(MarkovModel(dataset: dataset, training: split.training), dataset: dataset, cases: split.test)
        #expect(lstm.hitRate10 > popularity.hitRate10 + 0.2, "LSTM \(lstm.hitRate10) vs popularity \(popularity.hitRate10)")
        #expect(lstm.hitRate10 > markov.hitRate10 + 0.03, "LSTM \(lstm.hitRate10) vs Markov \(markov.hitRate10)")
        #expect(lstm.ndcg10 > markov.ndcg10, "LSTM \(lstm.ndcg10) vs Markov \(markov.ndcg10)")
        #expect(lstm.hitRate10 > ceiling - 0.08, "LSTM \(lstm.hitRate10) vs ceiling \(ceiling)")
        print("learning test: LSTM HR@10 \(lstm.hitRate10), Markov \(markov.hitRate10), popularity \(popularity.hitRate10), ceiling \(ceiling)")
    }

    /// Trains `model` on the learning-test data and returns its test metrics beside Markov's.
    static func learn<Model: TrainableModel>(_ makeModel: (Dataset) -> Model, learningRate: Float = 1e-2) throws -> (model: RankingMetrics, markov: RankingMetrics, ceiling: Double) {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, ceiling) = try Self.smallDataset(in: dir, users: 2000)
        let split = DatasetSplit.leaveOneOut(dataset)
        var options = Self.options(epochs: 40)
        options.slidingStride = options.maxLength
        options.patience = 4
        options.learningRate = learningRate
        let run = RunDirectory(path: dir + "/run")
        try run.create()
        _ = try Trainer(model: makeModel(dataset), dataset: dataset, split: split, options: options, run: run).train()
        let model = makeModel(dataset)
        try Checkpoint.load(into: model.parameters, from: run.bestPath)
        let evaluator = Evaluator(maxLength: 20)
        return (evaluator.evaluate(model, dataset: dataset, cases: split.test),
                evaluator.evaluate(MarkovModel(dataset: dataset, training: split.training), dataset: dataset, cases: split.test), ceiling)
    }

    @Test(arguments: [SASRec.Configuration.Loss.fullSoftmax, .sampledSoftmax, .binaryCrossEntropy])
    func sasrecLearnsBeyondMarkov(loss: SASRec.Configuration.Loss) throws {
        let result = try Self.learn({ dataset in
            var configuration = SASRec.Configuration(vocabulary: dataset.itemCount + 1, maxLength: 20, hiddenSize: 32, blocks: 2, heads: 1, dropout: 0.1)
            configuration.loss = loss
            configuration.negatives = 16
            return SASRec(configuration: configuration, seed: 1)
        }, learningRate: 5e-3)
        // The sampled losses learn less from each step; all must still beat a first-order chain.
        let margin = loss == .fullSoftmax ? 0.03 : 0.0
        #expect(result.model.hitRate10 > result.markov.hitRate10 + margin, "SASRec (\(loss)) \(result.model.hitRate10) vs Markov \(result.markov.hitRate10)")
        print("learning test: SASRec (\(loss)) HR@10 \(result.model.hitRate10), Markov \(result.markov.hitRate10), ceiling \(result.ceiling)")
    }

    @Test func hstuLearnsBeyondMarkov() throws {
        let result = try Self.learn({ dataset in
            HSTU(configuration: .init(vocabulary: dataset.itemCount + 1, maxLength: 20, hiddenSize: 32, blocks: 2, heads: 1, dropout: 0.1), seed: 1)
        }, learningRate: 5e-3)
        #expect(result.model.hitRate10 > result.markov.hitRate10 + 0.03, "HSTU \(result.model.hitRate10) vs Markov \(result.markov.hitRate10)")
        print("learning test: HSTU HR@10 \(result.model.hitRate10), Markov \(result.markov.hitRate10), ceiling \(result.ceiling)")
    }

    /// Under a time limit the trainer plans the epochs from measured times: a limit shorter than
    /// one epoch still trains one (there must be a model), and every metrics line says the plan.
    @Test func aTimeLimitPlansTheEpochs() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, _) = try Self.smallDataset(in: dir)
        var options = Self.options(epochs: 50)
        options.timeLimit = 1e-6
        let run = RunDirectory(path: dir + "/run")
        try run.create()
        var plans: [Int] = []
        let summary = try Trainer(model: Self.smallModel(dataset), dataset: dataset, split: .leaveOneOut(dataset), options: options, run: run)
            .train { event in if case .plan(let epochs, _, _) = event { plans.append(epochs) } }
        #expect(summary.epochsRun == 1)
        let lines = try String(contentsOfFile: run.metricsPath, encoding: .utf8).split(separator: "\n")
        let metrics = try #require(lines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(metrics["planned_epochs"] as? Int == 1)
        #expect((metrics["elapsed_seconds"] as? Double ?? 0) > 0)
        #expect(plans.isEmpty, "a plan of one epoch is the starting plan: \(plans)")
    }

    @Test func gru4recLearnsBeyondMarkov() throws {
        let result = try Self.learn { dataset in
            GRU4Rec(configuration: .init(vocabulary: dataset.itemCount + 1, embeddingSize: 32, hiddenSize: 64, layers: 1, dropout: 0.1), seed: 1)
        }
        #expect(result.model.hitRate10 > result.markov.hitRate10 + 0.03, "GRU4Rec \(result.model.hitRate10) vs Markov \(result.markov.hitRate10)")
        print("learning test: GRU4Rec HR@10 \(result.model.hitRate10), Markov \(result.markov.hitRate10), ceiling \(result.ceiling)")
    }

    @Test func resumingGivesTheSameResultAsAnUninterruptedRun() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, _) = try Self.smallDataset(in: dir)
        let split = DatasetSplit.leaveOneOut(dataset)
        let uninterrupted = try Self.trainedUninterrupted(dataset, split: split, epochs: 3, in: dir)

        let interrupted = RunDirectory(path: dir + "/interrupted")
        try interrupted.create()
        _ = try Trainer(model: Self.smallModel(dataset), dataset: dataset, split: split, options: Self.options(epochs: 2), run: interrupted).train()
        // A new process: a fresh model (other seed), restored from the run.
        let resumed = Self.smallModel(dataset, seed: 99)
        _ = try Trainer(model: resumed, dataset: dataset, split: split, options: Self.options(epochs: 3), run: interrupted).train(resume: true)
        // Same weights; not compared bit for bit here: suites running beside this one in the same
        // process change OpenBLAS's thread count, which may round the products differently (a
        // separate process resumes bit for bit: HostileInputTests.aRunKilledAroundItsCommitResumesBitIdentically).
        #expect(Self.largestDifference(resumed.parameters.values.array, uninterrupted.parameters.values.array) < 1e-4)
        let lines = try String(contentsOfFile: interrupted.metricsPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
    }

    /// A kill at any instant leaves a resumable run: the optimizer state is the epoch's one commit
    /// point. Simulated at the three windows the report found (the real ones are milliseconds wide).
    @Test func aKillAtAnyCheckpointWindowResumesToTheUninterruptedRun() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, _) = try Self.smallDataset(in: dir)
        let split = DatasetSplit.leaveOneOut(dataset)
        let uninterrupted = try Self.trainedUninterrupted(dataset, split: split, epochs: 3, in: dir)
        let fileManager = FileManager.default

        func epochs(_ run: RunDirectory) throws -> [Int] {
            try String(contentsOfFile: run.metricsPath, encoding: .utf8).split(separator: "\n").map {
                (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["epoch"] as? Int ?? -1
            }
        }
        func resumeToThree(_ run: RunDirectory) throws {
            let resumed = Self.smallModel(dataset, seed: 99)
            _ = try Trainer(model: resumed, dataset: dataset, split: split, options: Self.options(epochs: 3), run: run).train(resume: true)
            #expect(Self.largestDifference(resumed.parameters.values.array, uninterrupted.parameters.values.array) < 1e-4, "\(run.path)")
            #expect(try epochs(run) == [1, 2, 3], "\(run.path)")
            let last = Self.smallModel(dataset, seed: 5)
            try Checkpoint.load(into: last.parameters, from: run.modelPath)
            #expect(last.parameters.values.array == resumed.parameters.values.array, "\(run.path): model.safetensors")
        }

        // Epoch 1 committed; its state kept aside, then epoch 2 run to the end.
        func runWithEpochOneAside(_ name: String) throws -> (RunDirectory, String) {
            let run = RunDirectory(path: dir + "/" + name)
            try run.create()
            _ = try Trainer(model: Self.smallModel(dataset), dataset: dataset, split: split, options: Self.options(epochs: 1), run: run).train()
            try fileManager.copyItem(atPath: run.path, toPath: run.path + ".epoch1")
            _ = try Trainer(model: Self.smallModel(dataset, seed: 7), dataset: dataset, split: split, options: Self.options(epochs: 2), run: run)
                .train(resume: true)
            return (run, run.path + ".epoch1")
        }

        // Killed after epoch 2's metrics line, best and... everything but the commit.
        let (beforeCommit, aside) = try runWithEpochOneAside("before-commit")
        try fileManager.removeItem(atPath: beforeCommit.optimizerPath)
        try fileManager.copyItem(atPath: aside + "/optimizer.safetensors", toPath: beforeCommit.optimizerPath)
        #expect(try epochs(beforeCommit) == [1, 2])
        try resumeToThree(beforeCommit)

        // Killed after the commit, before model.safetensors was rewritten.
        let (afterCommit, aside2) = try runWithEpochOneAside("after-commit")
        try fileManager.removeItem(atPath: afterCommit.modelPath)
        try fileManager.copyItem(atPath: aside2 + "/model.safetensors", toPath: afterCommit.modelPath)
        try resumeToThree(afterCommit)

        // Killed during epoch 1: only config.json and a torn metrics line. --resume starts over.
        let early = RunDirectory(path: dir + "/early")
        try early.create()
        try "{\"epoch\": 1, \"train_lo".write(toFile: early.metricsPath, atomically: true, encoding: .utf8)
        let fresh = Self.smallModel(dataset)
        _ = try Trainer(model: fresh, dataset: dataset, split: split, options: Self.options(epochs: 3), run: early).train(resume: true)
        #expect(Self.largestDifference(fresh.parameters.values.array, uninterrupted.parameters.values.array) < 1e-4)
        #expect(try epochs(early) == [1, 2, 3])
    }

    @Test func accumulationMatchesOneBigBatch() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, _) = try Self.smallDataset(in: dir)
        let split = DatasetSplit.leaveOneOut(dataset)
        var options = Self.options(epochs: 1)
        let whole = Self.smallModel(dataset)
        try RunDirectory(path: dir + "/a").create()
        _ = try Trainer(model: whole, dataset: dataset, split: split, options: options, run: RunDirectory(path: dir + "/a")).train()
        options.accumulate = 4
        let pieces = Self.smallModel(dataset)
        try RunDirectory(path: dir + "/b").create()
        _ = try Trainer(model: pieces, dataset: dataset, split: split, options: options, run: RunDirectory(path: dir + "/b")).train()
        let worst = zip(whole.parameters.values.array, pieces.parameters.values.array).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4)
    }

    @Test func aNaNLossStopsTrainingAndKeepsTheLastGoodCheckpoint() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, _) = try Self.smallDataset(in: dir)
        let split = DatasetSplit.leaveOneOut(dataset)
        let run = RunDirectory(path: dir + "/run")
        try run.create()
        let model = Self.smallModel(dataset)
        _ = try Trainer(model: model, dataset: dataset, split: split, options: Self.options(epochs: 1), run: run).train()
        let good = try Safetensors.read(path: run.modelPath).tensors
        model.parameters.value("fc.weight")[3] = .nan
        #expect(throws: TrainingError.self) {
            _ = try Trainer(model: model, dataset: dataset, split: split, options: Self.options(epochs: 2), run: run).train(resume: false)
        }
        do {
            _ = try Trainer(model: model, dataset: dataset, split: split, options: Self.options(epochs: 2), run: run).train()
        } catch let error as TrainingError {
            #expect(error.description.contains("epoch 1, step 1"))
            #expect(error.description.contains(run.modelPath))
        }
        #expect(try Safetensors.read(path: run.modelPath).tensors == good)
    }

    @Test func badCheckpointsAreClearErrors() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, _) = try Self.smallDataset(in: dir)
        let model = Self.smallModel(dataset)
        try Checkpoint.save(model.parameters, to: dir + "/ok.safetensors")
        // Missing file.
        #expect(throws: TrainingError.checkpoint(path: dir + "/none.safetensors", reason: "no such checkpoint")) {
            try Checkpoint.load(into: model.parameters, from: dir + "/none.safetensors")
        }
        // Truncated file.
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/ok.safetensors"))
        try data.dropLast(100).write(to: URL(fileURLWithPath: dir + "/cut.safetensors"))
        do {
            try Checkpoint.load(into: model.parameters, from: dir + "/cut.safetensors")
            Issue.record("a truncated checkpoint loaded")
        } catch let error as TrainingError {
            #expect(error.description.contains("truncated"))
        }
        // Another vocabulary.
        let bigger = LSTMRecommender(configuration: .init(vocabulary: dataset.itemCount + 5, embeddingSize: 16, hiddenSize: 32, layers: 2), seed: 1)
        do {
            try Checkpoint.load(into: bigger.parameters, from: dir + "/ok.safetensors")
            Issue.record("a checkpoint of another vocabulary loaded")
        } catch let error as TrainingError {
            #expect(error.description.contains("trained on \(dataset.itemCount) items"))
        }
        try Checkpoint.save(bigger.parameters, to: dir + "/bigger.safetensors")
        do {
            _ = try ModelLoader.load(checkpoint: dir + "/bigger.safetensors", dataset: dataset)
            Issue.record("a checkpoint of another vocabulary loaded for predictions")
        } catch let error as TrainingError {
            #expect(error.description.contains("vocabularies differ"))
        }
        #expect(try ModelLoader.load(checkpoint: dir + "/ok.safetensors", dataset: dataset).parameters.values.array == model.parameters.values.array)
    }
}
