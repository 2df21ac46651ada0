import Core
import Datasets
import Engine
import Foundation
import Models
import Runs

/// What the trainer reports as it goes, for a progress bar or log lines.
public enum TrainingEvent: Sendable {
    /// A finished optimizer step: epoch and step (1-based), steps per epoch, mean loss of the
    /// step, events (targets) per second so far this epoch, and seconds left in the epoch.
    case step(epoch: Int, step: Int, steps: Int, loss: Double, eventsPerSecond: Double, secondsLeft: Double)
    /// A finished epoch with its mean training loss, duration and validation metrics.
    case epoch(epoch: Int, loss: Double, seconds: Double, validation: RankingMetrics, improved: Bool)
    /// Training ended early: no better validation NDCG@10 for `patience` evaluations.
    case earlyStop(epoch: Int, bestEpoch: Int)
    /// Under a time limit: `epochs` in all fit, at about `secondsPerEpoch` each (validation
    /// included); the schedule now ends there. Sent when the plan changes.
    case plan(epochs: Int, secondsPerEpoch: Double, limit: Double)
}

/// The outcome of a training run.
public struct TrainingSummary: Sendable {
    public var epochsRun: Int
    public var bestEpoch: Int
    public var bestValidation: RankingMetrics
    public var secondsPerEpoch: [Double]
}

/// Fits a model on the leave-one-out training split with Adam(W), validating every epoch,
/// keeping the best checkpoint and stopping early. Resumes from a run directory's last
/// checkpoint with the same result as an uninterrupted run (the data order of epoch e
/// depends only on the seed and e).
public final class Trainer<Model: TrainableModel> {
    public let model: Model
    public let dataset: Dataset
    public let split: DatasetSplit
    /// The event type trained and evaluated on (`options.targetEvent`'s id), or nil for every event.
    private let targetEvent: UInt8?
    public let options: TrainingOptions
    public let run: RunDirectory
    private let optimizer: AdamOptimizer
    private var batcher: TrainingBatcher
    private let microBatch: Int
    /// The run's config.json as JSON text (nil when the run has none), read once for every checkpoint.
    private let runConfiguration: String?
    /// Set to train as one rank of a data-parallel group (several GPUs); nil: alone.
    public var dataParallel: DataParallelGroup?
    /// Whether this process writes the run directory (rank 0 of a group, or alone).
    private var writesRun: Bool { (dataParallel?.rank ?? 0) == 0 }

    public init(model: Model, dataset: Dataset, split: DatasetSplit, options: TrainingOptions, run: RunDirectory) {
        precondition(options.batchSize % options.accumulate == 0, "the batch size must be a multiple of --accumulate")
        self.model = model
        self.dataset = dataset
        self.split = split
        self.options = options
        self.run = run
        microBatch = options.batchSize / options.accumulate
        runConfiguration = (try? run.readConfiguration()).flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        optimizer = AdamOptimizer(parameterCount: model.parameters.values.count, learningRate: options.learningRate,
                                  weightDecay: options.weightDecay)
        targetEvent = options.targetEvent.map { name in
            guard let id = try? dataset.eventTypeId(named: name) else { preconditionFailure("target event '\(name)' is not in the dataset (checked by the caller)") }
            return id
        }
        batcher = TrainingBatcher(dataset: dataset, spans: split.training, batchSize: microBatch, maxLength: options.maxLength,
                                  windows: options.slidingStride.map { .sliding(stride: $0) } ?? .latest, targetEvent: targetEvent)
    }

    /// Starts Adam from carried-over moments and step count (a warm start, `WarmStart`)
    /// instead of zeros; call before a `train()` that does not resume.
    public func startOptimizer(_ state: OptimizerState) {
        precondition(state.firstMoment.count == optimizer.firstMoment.count && state.secondMoment.count == optimizer.secondMoment.count)
        state.firstMoment.withUnsafeBufferPointer { optimizer.firstMoment.pointer.update(from: $0.baseAddress!, count: $0.count) }
        state.secondMoment.withUnsafeBufferPointer { optimizer.secondMoment.pointer.update(from: $0.baseAddress!, count: $0.count) }
        optimizer.restore(step: state.step)
    }

    /// Micro-batch groups (one optimizer step's worth on one process) in one epoch.
    private var groupCount: Int { (batcher.batchCount + options.accumulate - 1) / options.accumulate }

    /// Optimizer steps in one epoch (fewer on each rank of a data-parallel group).
    public var stepsPerEpoch: Int { dataParallel?.steps(groupCount: groupCount) ?? groupCount }

    /// State carried across epochs and saved with the optimizer.
    private struct Progress {
        var epoch = 0
        var bestEpoch = 0
        var bestScore = -1.0
        var bestValidation = RankingMetrics()
        var sinceImprovement = 0
        /// Seconds spent in committed epochs, validation included (what a time limit counts).
        var elapsed = 0.0
    }

    /// Trains until `options.epochs` or early stopping; `resume` continues a run from its last checkpoint.
    public func train(resume: Bool = false, report: (TrainingEvent) -> Void = { _ in }) throws -> TrainingSummary {
        var progress = Progress()
        if resume {
            progress = try restore()
        } else if writesRun {
            try? FileManager.default.removeItem(atPath: run.metricsPath)
        }
        let evaluator = Evaluator(maxLength: options.maxLength, batchSize: options.evaluationBatchSize, excludeSeen: options.excludeSeen,
                                  targetEvent: targetEvent)
        let workspace = model.makeWorkspace(rows: microBatch, steps: options.maxLength)
        let cells = microBatch * options.maxLength
        let inputs = UnsafeMutableBufferPointer<Int32>.allocate(capacity: cells)
        let targets = UnsafeMutableBufferPointer<Int32>.allocate(capacity: cells)
        defer { inputs.deallocate(); targets.deallocate() }
        // Event types and time gaps beside the inputs, for a model that reads them.
        let features = FeatureWindowBuffers(for: model.featureEmbedding?.features, cells: cells)
        model.featureEmbedding?.window = features?.window
        defer { model.featureEmbedding?.window = nil }
        let parameters = model.parameters
        // Under a time limit the plan (and so the schedule's end) follows measured times: first
        // from the opening steps, then from each finished epoch (its validation included).
        var plannedEpochs = options.epochs
        var totalSteps: Int { stepsPerEpoch * plannedEpochs }
        var secondsPerEpoch: [Double] = []
        var epochTimes: [Double] = []
        func replan(secondsPerEpoch estimate: Double) {
            let planned = options.epochsFitting(done: progress.epoch, elapsed: progress.elapsed, secondsPerEpoch: estimate)
            if planned != plannedEpochs, let limit = options.timeLimit {
                plannedEpochs = planned
                report(.plan(epochs: planned, secondsPerEpoch: estimate, limit: limit))
            }
        }
        if options.timeLimit != nil {
            // A resumed run plans from its committed epochs' mean; a new one from its first steps.
            plannedEpochs = progress.epoch == 0 ? 1
                : options.epochsFitting(done: progress.epoch, elapsed: progress.elapsed, secondsPerEpoch: progress.elapsed / Double(progress.epoch))
        }

        while progress.epoch < plannedEpochs && progress.sinceImprovement < options.patience {
            let epoch = progress.epoch + 1
            batcher.shuffle(seed: options.seed &+ UInt64(epoch) &* 0x9E37_79B9)
            let started = Date()
            var epochLoss = 0.0, epochTargets = 0
            var step = 0
            // Per-step loss and learning rate for reports, averaged into at most 200 points per epoch.
            var stepCurve = StepCurve(steps: stepsPerEpoch)
            while step < stepsPerEpoch {
                parameters.zeroGradients()
                // The loss is the mean over all targets of the step, however it is split into micro-batches
                // (and over the ranks of a data-parallel group, each of which takes one group of them).
                let groups = dataParallel?.groups(step: step, groupCount: groupCount) ?? [step]
                func microBatches(_ group: Int) -> Range<Int> {
                    (group * options.accumulate)..<min(batcher.batchCount, (group + 1) * options.accumulate)
                }
                let stepTargetCount = groups.reduce(0) { total, group in microBatches(group).reduce(total) { $0 + batcher.targetCount(batch: $1) } }
                let ownGroup = dataParallel.map { $0.rank < groups.count ? groups[$0.rank] : nil } ?? step
                var stepLoss = 0.0, stepTargets = 0
                for index in ownGroup.map(microBatches) ?? 0..<0 {
                    let rows = batcher.fill(batch: index, inputs: inputs, targets: targets, features: features?.buffers)
                    model.reseed(options.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &* 0xBF58_476D_1CE4_E5B9)
                    let result = model.trainStep(inputs: inputs.baseAddress!, targets: targets.baseAddress!, rows: rows,
                                                 steps: options.maxLength, workspace: workspace,
                                                 gradientScale: { _ in 1 / Float(max(1, stepTargetCount)) })
                    stepLoss += result.loss
                    stepTargets += result.targets
                }
                if let dataParallel {
                    // Sum the ranks' gradients, losses and target counts (the loss for the progress line).
                    try dataParallel.sum(parameters.gradients.pointer, parameters.gradients.count)
                    var totals: [Float] = [Float(stepLoss), Float(stepTargets)]
                    try totals.withUnsafeMutableBufferPointer { try dataParallel.sum($0.baseAddress!, 2) }
                    stepLoss = Double(totals[0])
                    stepTargets = Int(totals[1].rounded())
                }
                step += 1
                let globalStep = (epoch - 1) * stepsPerEpoch + step
                // A NaN anywhere (loss or gradients) stops training before it reaches the weights.
                let norm = gradientNorm(parameters.gradients.pointer, count: parameters.gradients.count)
                guard stepLoss.isFinite && norm.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, step: step,
                                                      lastGood: FileManager.default.fileExists(atPath: run.modelPath) ? run.modelPath : "none (no epoch finished)")
                }
                if let clip = options.clipNorm { clipGradientNorm(parameters.gradients.pointer, count: parameters.gradients.count, maxNorm: clip, norm: norm) }
                optimizer.learningRate = options.learningRate(step: globalStep - 1, totalSteps: totalSteps)
                optimizer.update(parameters: parameters.values.pointer, gradients: parameters.gradients.pointer, count: parameters.values.count)
                epochLoss += stepLoss
                epochTargets += stepTargets
                stepCurve.add(loss: stepLoss / Double(max(1, stepTargets)), learningRate: Double(optimizer.learningRate))
                let elapsed = Date().timeIntervalSince(started)
                // The first estimate: this process's opening steps, plus a tenth for validation.
                if options.timeLimit != nil && epochTimes.isEmpty && step == min(stepsPerEpoch, 5) {
                    replan(secondsPerEpoch: elapsed / Double(step) * Double(stepsPerEpoch) * 1.1)
                }
                report(.step(epoch: epoch, step: step, steps: stepsPerEpoch, loss: stepLoss / Double(max(1, stepTargets)),
                             eventsPerSecond: Double(epochTargets) / max(elapsed, 1e-9),
                             secondsLeft: elapsed / Double(step) * Double(stepsPerEpoch - step)))
            }
            let seconds = Date().timeIntervalSince(started)
            secondsPerEpoch.append(seconds)
            let validation = evaluator.evaluate(model, dataset: dataset, cases: split.validation)
            let improved = validation.ndcg10 > progress.bestScore
            progress.epoch = epoch
            let epochTime = Date().timeIntervalSince(started)
            epochTimes.append(epochTime)
            progress.elapsed += epochTime
            if improved {
                progress.bestScore = validation.ndcg10
                progress.bestEpoch = epoch
                progress.bestValidation = validation
                progress.sinceImprovement = 0
                if writesRun { try Checkpoint.save(parameters, to: run.bestPath, metadata: checkpointMetadata(epoch: epoch)) }
            } else {
                progress.sinceImprovement += 1
            }
            let meanLoss = epochLoss / Double(max(1, epochTargets))
            stepCurve.flush()
            if writesRun {
                try run.appendMetrics(["epoch": epoch, "train_loss": meanLoss, "seconds": seconds, "steps": step,
                                       "valid": try metricsObject(validation), "best_epoch": progress.bestEpoch,
                                       "step_losses": stepCurve.losses, "step_learning_rates": stepCurve.learningRates,
                                       "steps_per_point": stepCurve.stepsPerPoint, "elapsed_seconds": progress.elapsed,
                                       "planned_epochs": plannedEpochs])
                try save(progress)
            }
            report(.epoch(epoch: epoch, loss: meanLoss, seconds: seconds, validation: validation, improved: improved))
            // The recent epochs' mean: the first carries one-off costs (allocation, page faults).
            if options.timeLimit != nil {
                let recent = epochTimes.count > 1 ? epochTimes.dropFirst().suffix(5) : epochTimes[...]
                replan(secondsPerEpoch: recent.reduce(0, +) / Double(recent.count))
            }
        }
        if progress.sinceImprovement >= options.patience && progress.epoch < plannedEpochs {
            report(.earlyStop(epoch: progress.epoch, bestEpoch: progress.bestEpoch))
        }
        return TrainingSummary(epochsRun: progress.epoch, bestEpoch: progress.bestEpoch, bestValidation: progress.bestValidation,
                               secondsPerEpoch: secondsPerEpoch)
    }

    private func metricsObject(_ metrics: RankingMetrics) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(metrics))
    }

    /// The epoch, and the run's configuration, so a checkpoint copied out of its run still
    /// says what model it is (`ModelLoader.load(checkpoint:)` reads it).
    private func checkpointMetadata(epoch: Int) -> [String: String] {
        var metadata = ["epoch": String(epoch)]
        if let runConfiguration { metadata[ModelLoader.configurationKey] = runConfiguration }
        return metadata
    }

    /// Commits the epoch: one file, `optimizer.safetensors`, holds everything a resume needs
    /// (Adam's moments, the step, the early-stopping state and the weights themselves), written
    /// atomically. Its rename is the epoch's single commit point: a kill before it leaves the
    /// previous epoch's state whole (the epoch is redone, and metrics lines past it are dropped on
    /// resume); a kill after it, before `model.safetensors` is rewritten, is repaired on resume.
    private func save(_ progress: Progress) throws {
        let count = optimizer.firstMoment.count
        let metadata = ["step": String(optimizer.step), "epoch": String(progress.epoch), "best_epoch": String(progress.bestEpoch),
                        "best_score": String(progress.bestScore), "since_improvement": String(progress.sinceImprovement),
                        "elapsed_seconds": String(progress.elapsed),
                        "best_validation": String(decoding: try JSONEncoder().encode(progress.bestValidation), as: UTF8.self)]
        let weights = model.parameters.values
        Self.failpoint("epoch-\(progress.epoch)-before-commit")
        try Safetensors.write(path: run.optimizerPath, tensors: [
            ("adam.first_moment", [count], UnsafeBufferPointer(start: optimizer.firstMoment.pointer, count: count)),
            ("adam.second_moment", [count], UnsafeBufferPointer(start: optimizer.secondMoment.pointer, count: count)),
            (Self.resumeWeightsName, [weights.count], UnsafeBufferPointer(start: weights.pointer, count: weights.count)),
        ], metadata: metadata)
        Self.failpoint("epoch-\(progress.epoch)-after-commit")
        try Checkpoint.save(model.parameters, to: run.modelPath, metadata: checkpointMetadata(epoch: progress.epoch))
    }

    /// Crash-safety tests kill the process at a named instant (`TRAJECTORY_FAILPOINT`), e.g.
    /// `epoch-3-before-commit`: after the epoch's metrics line and best checkpoint, before its state.
    static func failpoint(_ name: String) {
        if ProcessInfo.processInfo.environment["TRAJECTORY_FAILPOINT"] == name { kill(getpid(), SIGKILL) }
    }

    /// The flat weights inside the optimizer state (the epoch's commit point).
    static var resumeWeightsName: String { "resume.weights" }

    /// Loads the last committed state of the run. A run killed before its first epoch was
    /// committed has none: it starts from the beginning. `model.safetensors` is rewritten when
    /// it lags behind the state (a kill between the two writes), and metrics.jsonl loses the
    /// lines of epochs that were never committed (so a resumed run has each epoch once).
    private func restore() throws -> Progress {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: run.optimizerPath) else {
            // Nothing committed: only config.json (and perhaps a metrics line) of an interrupted first epoch.
            try truncateMetrics(afterEpoch: 0)
            return Progress()
        }
        let tensors: [String: Safetensors.Tensor], metadata: [String: String]
        do { (tensors, metadata) = try Safetensors.read(path: run.optimizerPath) } catch {
            throw TrainingError.checkpoint(path: run.optimizerPath, reason: "unreadable optimizer state: \(error)")
        }
        guard let first = tensors["adam.first_moment"], let second = tensors["adam.second_moment"],
              first.values.count == optimizer.firstMoment.count, second.values.count == optimizer.secondMoment.count,
              let step = metadata["step"].flatMap(Int.init), let epoch = metadata["epoch"].flatMap(Int.init), step >= 0, epoch >= 0 else {
            throw TrainingError.checkpoint(path: run.optimizerPath, reason: "optimizer state is missing or of another model")
        }
        let parameters = model.parameters
        if let weights = tensors[Self.resumeWeightsName] {
            guard weights.values.count == parameters.values.count, weights.values.allSatisfy(\.isFinite) else {
                throw TrainingError.checkpoint(path: run.optimizerPath, reason: "the saved weights are of another model or hold NaN")
            }
            weights.values.withUnsafeBufferPointer { parameters.values.pointer.update(from: $0.baseAddress!, count: $0.count) }
            let modelEpoch = (try? Safetensors.metadata(path: run.modelPath))?["epoch"]
            if modelEpoch != String(epoch) {
                try Checkpoint.save(parameters, to: run.modelPath, metadata: checkpointMetadata(epoch: epoch))
            }
        } else {
            // A run written before the state held the weights: model.safetensors must be of the same epoch.
            let saved = try Checkpoint.load(into: parameters, from: run.modelPath)
            guard saved["epoch"] == metadata["epoch"] else {
                throw TrainingError.checkpoint(path: run.optimizerPath, reason: "optimizer state is of epoch \(epoch), model.safetensors of epoch \(saved["epoch"] ?? "?"); restart with --force")
            }
        }
        first.values.withUnsafeBufferPointer { optimizer.firstMoment.pointer.update(from: $0.baseAddress!, count: $0.count) }
        second.values.withUnsafeBufferPointer { optimizer.secondMoment.pointer.update(from: $0.baseAddress!, count: $0.count) }
        optimizer.restore(step: step)
        var progress = Progress()
        progress.epoch = epoch
        progress.bestEpoch = metadata["best_epoch"].flatMap(Int.init) ?? 0
        progress.bestScore = metadata["best_score"].flatMap(Double.init) ?? -1
        progress.sinceImprovement = metadata["since_improvement"].flatMap(Int.init) ?? 0
        progress.elapsed = metadata["elapsed_seconds"].flatMap(Double.init) ?? 0
        if let text = metadata["best_validation"], let decoded = try? JSONDecoder().decode(RankingMetrics.self, from: Data(text.utf8)) {
            progress.bestValidation = decoded
        }
        try truncateMetrics(afterEpoch: epoch)
        return progress
    }

    /// Keeps the metrics lines of epochs up to `epoch` (committed ones); drops later lines and a
    /// torn last line, rewriting the file atomically only when something is dropped.
    private func truncateMetrics(afterEpoch epoch: Int) throws {
        guard let data = FileManager.default.contents(atPath: run.metricsPath) else { return }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        let kept = lines.filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return false }
            return (object["epoch"] as? Int).map { $0 <= epoch } ?? true
        }
        guard kept.count != lines.count || (data.last != nil && data.last != UInt8(ascii: "\n")) else { return }
        var text = Data()
        for line in kept { text.append(contentsOf: line); text.append(UInt8(ascii: "\n")) }
        try text.withUnsafeBytes { try AtomicOutput.replaceFile(run.metricsPath, $0) }
    }
}

/// Per-step loss and learning rate of one epoch, averaged over groups of consecutive steps so an
/// epoch contributes at most `maxPoints` points to metrics.jsonl whatever its length.
struct StepCurve {
    static let maxPoints = 200
    let stepsPerPoint: Int
    private(set) var losses: [Double] = []
    private(set) var learningRates: [Double] = []
    private var lossSum = 0.0, rateSum = 0.0, count = 0

    init(steps: Int) { stepsPerPoint = max(1, (steps + Self.maxPoints - 1) / Self.maxPoints) }

    mutating func add(loss: Double, learningRate: Double) {
        lossSum += loss
        rateSum += learningRate
        count += 1
        if count == stepsPerPoint { flush() }
    }

    /// Closes the group being averaged (the epoch's last, possibly shorter one).
    mutating func flush() {
        guard count > 0 else { return }
        losses.append(lossSum / Double(count))
        learningRates.append(rateSum / Double(count))
        (lossSum, rateSum, count) = (0, 0, 0)
    }
}
