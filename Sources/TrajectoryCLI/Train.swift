import ArgumentParser
import CUDA
import Core
import Datasets
import Engine
import Foundation
import Models
import Training
import Runs

/// `trajectory train`: fit a next-item model on a dataset.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a next-item model on a dataset (leave-one-out split, full-ranking validation).",
        discussion: """
        Trains on every user's history except the last two items, validates on the second-to-last \
        item every epoch (full ranking, NDCG@10), keeps the best checkpoint and stops after \
        --patience epochs without improvement. The run directory gets config.json, \
        model.safetensors (last epoch), best.safetensors, optimizer.safetensors and metrics.jsonl; \
        checkpoints are written atomically, so an interrupted run resumes with --resume.

        Models (each with defaults that reach its published quality; every setting is a flag):
        \(ModelFamilies.all.map { family in
            "  " + family.name.padding(toLength: 9, withPad: " ", startingAt: 0)
                + family.help.split(separator: "\n").joined(separator: "\n           ")
        }.joined(separator: "\n"))

        Examples:
          trajectory train data/ml1m --out runs/lstm
          trajectory train data/ml1m --out runs/lstm --epochs 50 --accumulate 4   # same batch, 1/4 the memory
          trajectory train data/ml1m --out runs/lstm --resume
          trajectory train data/ml1m --out runs/sasrec --model sasrec
          trajectory train data/ml1m --out runs/sasrec --model sasrec --device cuda --precision bf16
          trajectory train data/ml1m --out runs/sasrec --model sasrec --device cuda --gpus 4   # NCCL

        Keeping a model current: prepare the newer log `--like` the run's dataset (known items \
        keep their ids), then continue the run on it instead of starting over:
          trajectory prepare logs/new.dat --like data/ml1m --out data/ml1m-2
          trajectory train data/ml1m-2 --from runs/sasrec --window 30d --out runs/sasrec-2
        """
    )

    @Argument(help: "A dataset directory (from `trajectory prepare` or `trajectory synth`).")
    var dataset: String

    @Option(name: .shortAndLong, help: "The run directory to write.")
    var out: String

    @Option(help: "Model to train: \(ModelFamilies.names) (default: \(ModelFamilies.defaultName), or the --from run's).")
    var model: String?

    @Option(help: ArgumentHelp("Warm start from this run's best checkpoint: its model and settings, its weights and Adam moments for the items it knew, fresh rows for new items. The dataset must be prepared with `prepare --like` the run's dataset (or be that dataset).", valueName: "run"))
    var from: String?

    @OptionGroup(title: "Training")
    var training: TrainingFlags

    @OptionGroup(title: "Model")
    var modelOptions: ModelOptions

    @OptionGroup(title: "Device")
    var compute: TrainingDeviceOptions

    @Flag(help: "Continue the run in --out from its last checkpoint.")
    var resume = false

    @Flag(help: "Replace an existing run directory.")
    var force = false

    func validate() throws {
        if let model, ModelFamilies.named(model) == nil { throw ValidationError("--model \(model) is not available; this build trains: \(ModelFamilies.names)") }
        if resume && force { throw ValidationError("--resume and --force contradict each other") }
        if from != nil, !modelOptions.given.isEmpty {
            throw ValidationError("\(modelOptions.given.joined(separator: ", ")): the model's settings come from the --from run")
        }
    }

    func run() throws {
        BLAS.setThreads(compute.threads)
        if let gpus = compute.gpus, compute.rank == nil {
            try reportingErrors { try MultiGPULauncher.run(gpus: gpus, arguments: Array(CommandLine.arguments.dropFirst())) }
            return
        }
        // Ranks other than 0 of a multi-GPU run read the run directory but never write it.
        let writesRun = (compute.rank ?? 0) == 0
        try reportingErrors {
            let data = try Dataset(directory: dataset)
            let run = RunDirectory(path: out)
            if let negatives = modelOptions.negatives, negatives > data.itemCount {
                throw ValidationError("--negatives \(negatives) is more than the \(data.itemCount) items of \(dataset): a sampled softmax draws from the catalogue")
            }
            if writesRun && FileManager.default.fileExists(atPath: run.configPath) && !resume && !force {
                throw TrainingError.run(path: out, reason: "already holds a run; pass --resume to continue it or --force to start over")
            }
            var split = try DatasetSplit.leaveOneOut(data, targetEvent: training.targetEvent.map { try data.eventTypeId(named: $0) })
            var (configuration, warmStart) = try plan(data: data, split: split, announce: writesRun)
            try chooseFeatures(&configuration, data: data, warmStart: warmStart, announce: writesRun)
            if configuration.training.targetEvent != training.targetEvent { split = try configuration.split(of: data) }  // the --from run's target
            if let target = configuration.training.targetEvent, writesRun {
                print("target: the next \(target) after every event: \(split.training.count) training sequences, \(split.validation.count) validation and \(split.test.count) test users")
            }
            if writesRun && force && FileManager.default.fileExists(atPath: out) {
                if let from, URL(fileURLWithPath: from).standardizedFileURL == URL(fileURLWithPath: out).standardizedFileURL {
                    throw ValidationError("--force would delete the --from run \(from) before reading it; write the new run elsewhere")
                }
                try run.checkReplaceable()
            }
            // A GPU that cannot be used is said before anything is written.
            try compute.check(configuration.settings)
            let options = configuration.training
            if let window = options.window { split = try split.restricted(to: window, dataset: data) }
            if resume {
                let saved = try run.readConfiguration()
                guard saved.resumes(configuration) else {
                    let hint = saved.warmStart != nil && from == nil ? "; it was started --from \(saved.warmStart!.run)" : ""
                    let differing = saved.differingFields(configuration)
                    let named = differing.isEmpty ? "" : ": \(differing.prefix(6).joined(separator: ", ")) differ"
                    throw TrainingError.run(path: out, reason: "--resume needs the same model and training options as the run (see its config.json)\(named)\(hint)")
                }
            } else if writesRun {
                // Only now, with every option and the device checked: the old run's files go.
                if force { try run.removeTrainingFiles() }
                try run.create()
                try run.writeConfiguration(configuration)
            }
            var optimizerState: OptimizerState?
            let network: any TrainableModel
            if let warmStart, !resume {
                (network, optimizerState) = try warmStart.makeModel(configuration, seed: options.seed)
                let epoch = configuration.warmStart?.epoch.map { " (epoch \($0))" } ?? ""
                print("warm start from \(warmStart.checkpoint)\(epoch): \(warmStart.parentItems) known items, \(data.itemCount - warmStart.parentItems) new"
                      + (optimizerState == nil ? "; no optimizer state, Adam starts afresh" : ""))
            } else {
                network = try ModelLoader.makeModel(configuration, seed: options.seed).model
            }
            try ModelLoader.attachFeatures(network, dataset: data)
            let deviceName = try compute.device.attach(network, precision: compute.precision)
            if compute.device != .cpu { print("device: \(deviceName)") }
            network.prepareForTraining { data.itemEventCounts(in: split.training.map(\.range)) }
            if let window = options.window {
                print("window: \(window): \(split.training.reduce(0) { $0 + $1.targetCount }) training targets in \(split.training.count) sequences, \(split.validation.count) validation users")
            }
            try fit(network, data: data, split: split, options: options, run: run, optimizerState: optimizerState)
            guard writesRun else { return }
            // A report of the run beside its checkpoints; a failure here must not fail the training.
            do {
                try AtomicOutput.writeText(out + "/report.html", try RunReport(runs: [out]).html(dataset: data))
            } catch {
                printError("warning: report.html not written: \(error)")
            }
            print("run saved in \(out) (report: \(out)/report.html)")
        }
    }

    /// The run's configuration: the model family's defaults for this data with the flags over
    /// them, or, with --from, the parent run's model and continued recipe.
    func plan(data: Dataset, split: DatasetSplit, announce: Bool) throws -> (RunConfiguration, WarmStart?) {
        if let from {
            let warmStart = try WarmStart(run: from, dataset: data)
            let parent = warmStart.parentConfiguration
            if let model, model != parent.model {
                throw TrainingError.run(path: warmStart.parent.path, reason: "holds a \(parent.model) model; --model \(model) cannot start from it")
            }
            if let positions = parent.settings.fixedPositions, let maxLength = training.maxLength, maxLength != positions {
                throw ValidationError("--max-length: the model's positions come from the --from run (\(positions))")
            }
            return (try warmStart.configuration(training: training.options(over: warmStart.continuedTraining), dataset: data), warmStart)
        }
        let family = ModelFamilies.named(model ?? ModelFamilies.defaultName)!
        let profile = TrainingDataProfile(data, split: split)
        let (defaults, note) = family.defaultTraining(data: profile)
        if let note, announce { print(note) }
        let options = training.options(over: defaults)
        // A flag the family cannot honour is a usage error (exit 64) naming the flag.
        let settings = try family.configuration(vocabulary: data.itemCount + 1, training: options, flags: modelOptions.flags, data: profile)
        return (RunConfiguration(model: settings, training: options, dataset: data), nil)
    }

    /// The inputs besides item ids (`--features`), checked against the dataset and the family.
    private func chooseFeatures(_ configuration: inout RunConfiguration, data: Dataset, warmStart: WarmStart?, announce: Bool) throws {
        let available = InputFeatures.available(in: data)
        let names = modelOptions.featureNames
        if announce && !available.isEmpty {
            print("features in \(data.directory): \(available.joined(separator: ", ")); used: \(names.isEmpty ? "none (ids only; choose with --features)" : names.joined(separator: ", "))")
        }
        if warmStart != nil {
            if !names.isEmpty || configuration.features != nil { throw ValidationError("--features with --from is not supported yet: train the run with features from scratch") }
            return
        }
        guard !names.isEmpty else { return }
        guard type(of: configuration.settings).readsInputFeatures else {
            throw ValidationError("--features: the \(configuration.model) model reads item ids only (\(ModelFamilies.all.filter { $0.readsInputFeatures }.map { $0.name }.joined(separator: ", ")) read features)")
        }
        guard compute.device == .cpu else { throw ValidationError("--features: models with input features train on the CPU for now (--device cpu)") }
        configuration.features = try InputFeatures.resolve(names, dataset: data)
    }

    private func fit(_ network: some TrainableModel, data: Dataset, split: DatasetSplit, options: TrainingOptions, run: RunDirectory,
                     optimizerState: OptimizerState?) throws {
        let trainer = Trainer(model: network, dataset: data, split: split, options: options, run: run)
        if let rank = compute.rank, let gpus = compute.gpus, let rendezvous = compute.rendezvous {
            let group = try NCCLGroup(rank: rank, size: gpus, rendezvous: rendezvous, context: try CUDAContext(ordinal: rank))
            trainer.dataParallel = DataParallelGroup(rank: rank, size: gpus) { try group.sum($0, count: $1) }
            if rank == 0 { print("data parallel: \(gpus) GPU\(gpus == 1 ? "" : "s"), NCCL \((try? NCCLGroup.version()).map(String.init) ?? "?")") }
        }
        if let optimizerState { trainer.startOptimizer(optimizerState) }
        print("training \(network.family.name) on \(dataset): \(split.training.count) sequences, \(data.itemCount) items, "
              + "\(network.parameters.parameterCount) parameters, \(trainer.stepsPerEpoch) steps per epoch")
        fflush(nil)  // (every stream) the lines above come before the progress on stderr, also when piped
        let gpuIndex = DeviceChoice.gpuIndex(of: network)
        let display = ProgressDisplay(gpuStatus: gpuIndex.flatMap { DeviceChoice.statusReader(gpu: $0) })
        let summary = try trainer.train(resume: resume) { display.show($0) }
        print("best epoch \(summary.bestEpoch): validation \(summary.bestValidation.summary)")
    }
}

func availableCoresForHelp() -> Int { min(2, ProcessInfo.processInfo.activeProcessorCount) }
