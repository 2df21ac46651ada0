import ArgumentParser
import CUDA
import Core
import Datasets
import Engine
import Foundation
import Models
import Training

extension TrainingOptions.Schedule: ExpressibleByArgument {}
extension SASRec.Configuration.Loss: ExpressibleByArgument {}
extension NegativeSampler.Kind: ExpressibleByArgument {}

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
          lstm     the seed model: Embedding(V,128) → LSTM(128→256, 2 layers) → Linear(256,V),
                   full-softmax cross-entropy at every position, Adam. Tensor names are PyTorch's.
          sasrec   SASRec: self-attention over the history (d 64, 2 blocks, 1 head, dropout 0.2,
                   learned positions, output tied to the item embeddings), full-softmax
                   cross-entropy at every position. Tensor names are the reference's.
                   Trains 45 epochs on every window of long histories, lr 0.002 with 200
                   warm-up steps and cosine decay (each of these is a flag). On short
                   histories (under 20 items per user on average, e.g. product reviews):
                   dropout 0.5, 50 positions, seen items kept in the loss.
          gru4rec  GRU4Rec as RecBole builds it: Embedding(V,64) → dropout 0.3 → GRU(64→128, no
                   biases) → Linear(128,64) → logits against the item embeddings, full softmax.

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

    @Option(help: "Model to train: lstm, sasrec, gru4rec (default: lstm, or the --from run's).")
    var model: String?

    @Option(help: ArgumentHelp("Warm start from this run's best checkpoint: its model and settings, its weights and Adam moments for the items it knew, fresh rows for new items. The dataset must be prepared with `prepare --like` the run's dataset (or be that dataset).", valueName: "run"))
    var from: String?

    @Option(help: ArgumentHelp("Train only on recent behaviour: 90d / 12h (back from the newest event), 2000-12-01 (from that time on) or 50 (each user's 50 most recent events). Earlier items remain the history the model reads; validation keeps the users active in a time window.", valueName: "window"))
    var window: String?

    @Option(parsing: .unconditional, help: "Maximum passes over the training data (default: lstm 30, sasrec 45, gru4rec 200; with --from a quarter of the run's).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Sequences per optimizer step (default: 128, or the --from run's).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Most recent items per training window (T) (default: 200, sasrec on short histories 50, or the --from run's).")
    var maxLength: Int?

    @Option(parsing: .unconditional, help: "Also train on earlier windows of long histories, this many items apart; 0 = the latest window only (default: sasrec --max-length, the others 0).")
    var slidingStride: Int?

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate (default: sasrec 0.002, the others 0.001; with --from half the run's).")
    var learningRate: Float?

    @Option(parsing: .unconditional, help: "AdamW weight decay (0 = Adam) (default: 0, or the --from run's).")
    var weightDecay: Float?

    @Option(parsing: .unconditional, help: "Linear learning-rate warm-up steps (default: sasrec 200, the others 0; 0 with --from, whose Adam moments are carried over).")
    var warmup: Int?

    @Option(help: "Learning-rate decay after warm-up, to 0 at the last epoch: constant, linear, cosine (default: sasrec cosine, the others constant).")
    var schedule: TrainingOptions.Schedule?

    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this value.")
    var clip: Float?

    @Option(parsing: .unconditional, help: "Split each batch into N micro-batches and accumulate gradients: 1/N the activation memory, same result.")
    var accumulate = 1

    @Option(parsing: .unconditional, help: "Stop after this many epochs without a better validation NDCG@10 (default: lstm 3, sasrec and gru4rec 10).")
    var patience: Int?

    @Flag(help: "Select the best epoch on seen-item-filtered validation NDCG@10.")
    var filterSeen = false

    @Option(help: "Random seed (initialisation and data order).")
    var seed: UInt64 = 42

    @Option(parsing: .unconditional, help: "Threads for matrix products.")
    var threads = availableCoresForHelp()

    @Option(help: DeviceChoice.help)
    var device: DeviceChoice = .cpu

    @Option(help: Precision.help)
    var precision: Precision = .fp32

    @Option(parsing: .unconditional, help: "Train on N GPUs of this machine (with --device cuda): one process per GPU, the gradient summed with NCCL after every step; each GPU takes --batch-size rows, so a step covers N times as many. --gpus 1 runs the same path on one GPU.")
    var gpus: Int?

    /// Set by `--gpus` on the processes it starts: this one's rank, and the file where rank 0 leaves NCCL's group id.
    @Option(parsing: .unconditional, help: .hidden)
    var rank: Int?

    @Option(help: .hidden)
    var rendezvous: String?

    @Option(parsing: .unconditional, help: "Embedding size (default: lstm 128, gru4rec 64; sasrec uses --hidden-size).")
    var embeddingSize: Int?

    @Option(parsing: .unconditional, help: "Hidden size (default: lstm 256, sasrec 64, gru4rec 128).")
    var hiddenSize: Int?

    @Option(parsing: .unconditional, help: "Recurrent layers (default: lstm 2, gru4rec 1).")
    var layers: Int?

    @Option(parsing: .unconditional, help: "Transformer blocks (sasrec; default 2).")
    var blocks: Int?

    @Option(parsing: .unconditional, help: "Attention heads (sasrec; default 1).")
    var heads: Int?

    @Option(help: "Training loss (sasrec): full (softmax over every item; best quality; the default), sampled (softmax over --negatives sampled items, logQ-corrected; for large catalogues), bce (one sampled negative per position, as in the SASRec paper).")
    var loss: SASRec.Configuration.Loss?

    @Option(parsing: .unconditional, help: "Items sampled per batch by --loss sampled (default 256).")
    var negatives: Int?

    @Option(help: "How sampled losses draw items: uniform (the default), or popularity (in proportion to training counts).")
    var sampler: NegativeSampler.Kind?

    @Option(help: "sasrec, full softmax: leave the items already in a window out of each position's softmax, training it to rank what the user has not interacted with yet (as seen-filtered evaluation and serving with exclude_seen do): on, off, or auto = on when under 1% of training targets repeat an earlier item of their history (e.g. ratings) and histories are not short, off otherwise (e.g. re-purchases, plays, short review histories).")
    var excludeSeenFromLoss: Switch?

    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off, auto
    }

    @Option(parsing: .unconditional, help: "Dropout probability (default: sasrec 0.2, 0.5 on short histories; gru4rec 0.3; lstm has none).")
    var dropout: Float?

    @Flag(help: "Continue the run in --out from its last checkpoint.")
    var resume = false

    @Flag(help: "Replace an existing run directory.")
    var force = false

    func validate() throws {
        if let model, !["lstm", "sasrec", "gru4rec"].contains(model) { throw ValidationError("--model \(model) is not available; this build trains: lstm, sasrec, gru4rec") }
        guard (batchSize ?? 1) > 0, (maxLength ?? 1) > 0, (epochs ?? 1) > 0 else { throw ValidationError("--batch-size, --max-length and --epochs must be positive") }
        if let hiddenSize, hiddenSize < 1 { throw ValidationError("--hidden-size must be positive") }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) { throw ValidationError("--lr must be a positive number, got \(learningRate)") }
        if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) { throw ValidationError("--weight-decay must be a number ≥ 0, got \(weightDecay)") }
        if let clip, !(clip.isFinite && clip > 0) { throw ValidationError("--clip must be a positive number, got \(clip)") }
        if !(1...1024).contains(threads) { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        // Sizes beyond these are typing mistakes; they would only fail later as an allocation.
        for (flag, value) in [("--hidden-size", hiddenSize), ("--embedding-size", embeddingSize)] where (value ?? 1) > 1 << 16 {
            throw ValidationError("\(flag) must be at most 65536, got \(value!)")
        }
        for (flag, value) in [("--batch-size", batchSize), ("--max-length", maxLength), ("--negatives", negatives)] where (value ?? 1) > 1 << 20 {
            throw ValidationError("\(flag) must be at most 1048576, got \(value!)")
        }
        for (flag, value) in [("--layers", layers), ("--blocks", blocks)] where (value ?? 1) > 64 {
            throw ValidationError("\(flag) must be at most 64, got \(value!)")
        }
        if let heads, heads < 1 { throw ValidationError("--heads must be positive") }
        if let blocks, blocks < 1 { throw ValidationError("--blocks must be positive") }
        if model == "sasrec" && (hiddenSize ?? 64) % (heads ?? 1) != 0 { throw ValidationError("--hidden-size must be a multiple of --heads") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
        if let layers, layers < 1 { throw ValidationError("--layers must be positive") }
        if let negatives, negatives < 1 { throw ValidationError("--negatives must be positive") }
        if let loss, (model ?? "lstm") != "sasrec" && from == nil && loss != .fullSoftmax { throw ValidationError("--loss \(loss.rawValue) is available for --model sasrec; lstm and gru4rec train with the full softmax") }
        if let embeddingSize, embeddingSize < 1 { throw ValidationError("--embedding-size must be positive") }
        guard accumulate >= 1, (batchSize ?? 128) % accumulate == 0 else { throw ValidationError("--batch-size must be a multiple of --accumulate") }
        if let slidingStride, slidingStride < 0 { throw ValidationError("--sliding-stride must be positive (or 0: latest window only)") }
        if resume && force { throw ValidationError("--resume and --force contradict each other") }
        if let gpus {
            guard gpus >= 1 else { throw ValidationError("--gpus must be positive") }
            guard device == .cuda(ordinal: 0) || rank != nil else { throw ValidationError("--gpus needs --device cuda (the ranks take cuda:0 … cuda:\(gpus - 1))") }
        }
        if let window, TrainingWindow(argument: window) == nil {
            throw ValidationError("--window '\(window)' is not a duration (90d, 12h), a time (2000-12-01) or a number of events (50)")
        }
        if from != nil {
            let architecture: [(String, Bool)] = [("--embedding-size", embeddingSize != nil), ("--hidden-size", hiddenSize != nil), ("--layers", layers != nil),
                                                  ("--blocks", blocks != nil), ("--heads", heads != nil), ("--dropout", dropout != nil),
                                                  ("--loss", loss != nil), ("--negatives", negatives != nil), ("--sampler", sampler != nil),
                                                  ("--exclude-seen-from-loss", excludeSeenFromLoss != nil)]
            let given = architecture.filter(\.1).map(\.0)
            if !given.isEmpty { throw ValidationError("\(given.joined(separator: ", ")): the model's settings come from the --from run") }
        }
    }

    func run() throws {
        BLAS.setThreads(threads)
        if let gpus, rank == nil {
            try reportingErrors { try MultiGPULauncher.run(gpus: gpus, arguments: Array(CommandLine.arguments.dropFirst())) }
            return
        }
        // Ranks other than 0 of a multi-GPU run read the run directory but never write it.
        let writesRun = (rank ?? 0) == 0
        try reportingErrors {
            let data = try Dataset(directory: dataset)
            let run = RunDirectory(path: out)
            if let negatives, negatives > data.itemCount {
                throw ValidationError("--negatives \(negatives) is more than the \(data.itemCount) items of \(dataset): a sampled softmax draws from the catalogue")
            }
            if writesRun && FileManager.default.fileExists(atPath: run.configPath) && !resume && !force {
                throw TrainingError.run(path: out, reason: "already holds a run; pass --resume to continue it or --force to start over")
            }
            let warmStart = try from.map { try WarmStart(run: $0, dataset: data) }
            if let warmStart, let model, model != warmStart.parentConfiguration.model {
                throw TrainingError.run(path: warmStart.parent.path, reason: "holds a \(warmStart.parentConfiguration.model) model; --model \(model) cannot start from it")
            }
            if let warmStart, warmStart.parentConfiguration.model == "sasrec", let maxLength,
               maxLength != warmStart.parentConfiguration.sasrec?.maxLength {
                throw ValidationError("--max-length: SASRec's positions come from the --from run (\(warmStart.parentConfiguration.sasrec?.maxLength ?? 0))")
            }
            if writesRun && force && FileManager.default.fileExists(atPath: out) {
                if let from, URL(fileURLWithPath: from).standardizedFileURL == URL(fileURLWithPath: out).standardizedFileURL {
                    throw ValidationError("--force would delete the --from run \(from) before reading it; write the new run elsewhere")
                }
                try run.checkReplaceable()
            }
            // A GPU that cannot be used is said before anything is written.
            if device == .cpu && precision != .fp32 { throw ValidationError("--precision \(precision.rawValue) needs --device cuda (the CPU computes in fp32)") }
            try device.check(model: warmStart?.parentConfiguration.model ?? model ?? "lstm",
                             fullSoftmax: (warmStart?.parentConfiguration.sasrec?.loss ?? loss ?? .fullSoftmax) == .fullSoftmax)
            var split = DatasetSplit.leaveOneOut(data)
            // SASRec on short histories (sparse data such as reviews) gets the sparse-data defaults.
            let meanLength = Self.meanHistoryLength(split)
            let shortHistories = warmStart == nil && (model ?? "lstm") == "sasrec" && meanLength < Self.shortHistoryLength
            if shortHistories && writesRun {
                print("short histories (\(String(format: "%.1f", meanLength)) training items per user on average): "
                      + "SASRec's sparse-data defaults, dropout 0.5, max length 50, seen items kept in the loss")
            }
            let options = trainingOptions(parent: warmStart?.parentConfiguration, shortHistories: shortHistories)
            if let window = options.window { split = try split.restricted(to: window, dataset: data) }
            var configuration: RunConfiguration
            if let warmStart {
                configuration = try warmStart.configuration(training: options, dataset: data)
            } else {
                configuration = freshConfiguration(data: data, split: split, options: options, shortHistories: shortHistories)
            }
            if resume {
                let saved = try run.readConfiguration()
                guard saved.model == configuration.model, saved.lstm == configuration.lstm, saved.sasrec == configuration.sasrec,
                      saved.gru4rec == configuration.gru4rec,
                      saved.training == options else {
                    let hint = saved.warmStart != nil && from == nil ? "; it was started --from \(saved.warmStart!.run)" : ""
                    let differing = Self.differingFields(saved, configuration, options: options)
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
            let deviceName = try device.attach(network, precision: precision)
            if device != .cpu { print("device: \(deviceName)") }
            if let sasrec = network as? SASRec, sasrec.configuration.loss != .fullSoftmax, sasrec.configuration.sampler == .popularity {
                sasrec.useSampler(NegativeSampler(counts: data.itemEventCounts(in: split.training.map(\.range))))
            }
            if let window = options.window {
                print("window: \(window): \(split.training.reduce(0) { $0 + $1.targetCount }) training targets in \(split.training.count) sequences, \(split.validation.count) validation users")
            }
            try fit(network, data: data, split: split, options: options, run: (run, configuration.model), optimizerState: optimizerState)
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

    /// The settings (as config.json names them, e.g. `training.epochs`) in which a run's saved
    /// configuration and the one the flags give differ.
    static func differingFields(_ saved: RunConfiguration, _ given: RunConfiguration, options: TrainingOptions) -> [String] {
        func fields(_ value: some Encodable) -> [String: String] {
            guard let data = try? JSONEncoder().encode(value),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return object.mapValues { "\($0)" }
        }
        var differing: [String] = []
        func compare(_ prefix: String, _ a: [String: String], _ b: [String: String]) {
            for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] { differing.append(prefix + key) }
        }
        if saved.model != given.model { differing.append("model") }
        compare("training.", fields(saved.training), fields(options))
        if let a = saved.lstm, let b = given.lstm { compare("lstm.", fields(a), fields(b)) }
        if let a = saved.sasrec, let b = given.sasrec { compare("sasrec.", fields(a), fields(b)) }
        if let a = saved.gru4rec, let b = given.gru4rec { compare("gru4rec.", fields(a), fields(b)) }
        return differing
    }

    /// The training options: the flags given, over the model's defaults or, with --from, the parent run's options.
    /// Below this mean training history length, SASRec takes its sparse-data defaults (the SASRec
    /// paper's choice for Amazon data: dropout 0.5, 50 positions; and the seen items kept in the
    /// loss, which measured better on Amazon Beauty both filtered and not, see bench/RESULTS.md).
    static let shortHistoryLength = 20.0

    /// The mean number of items in the training sequences.
    static func meanHistoryLength(_ split: DatasetSplit) -> Double {
        split.training.isEmpty ? 0 : Double(split.training.reduce(0) { $0 + $1.range.count }) / Double(split.training.count)
    }

    func trainingOptions(parent: RunConfiguration?, shortHistories: Bool = false) -> TrainingOptions {
        var options = TrainingOptions()
        let kind = parent?.model ?? model ?? "lstm"
        let isSASRec = kind == "sasrec"
        if let parent {
            // A warm start continues the parent's recipe for a quarter of its budget at half its
            // learning rate (fine-tuning, not relearning), without a warm-up: Adam's moments are
            // carried over, so the first steps are not blind.
            options = parent.training
            options.epochs = max(1, (parent.training.epochs + 3) / 4)
            options.learningRate = parent.training.learningRate / 2
            options.warmupSteps = 0
            options.window = nil
        } else {
            options.epochs = kind == "lstm" ? 30 : isSASRec ? 45 : 200
            options.slidingStride = isSASRec ? 200 : nil
            options.learningRate = isSASRec ? 2e-3 : 1e-3
            options.warmupSteps = isSASRec ? 200 : 0
            options.schedule = isSASRec ? .cosine : .constant
            options.patience = kind == "lstm" ? 3 : 10
            if shortHistories {
                options.maxLength = 50
                options.slidingStride = 50
            }
        }
        if let epochs { options.epochs = epochs }
        if let batchSize { options.batchSize = batchSize }
        if let maxLength {
            options.maxLength = maxLength
            if parent == nil && isSASRec && slidingStride == nil { options.slidingStride = maxLength }
        }
        if let slidingStride { options.slidingStride = slidingStride > 0 ? slidingStride : nil }
        if let learningRate { options.learningRate = learningRate }
        if let weightDecay { options.weightDecay = weightDecay }
        if let warmup { options.warmupSteps = warmup }
        if let schedule { options.schedule = schedule }
        if let clip { options.clipNorm = clip }
        options.accumulate = accumulate
        if let patience { options.patience = patience }
        if filterSeen { options.filterSeen = true }
        options.seed = seed
        options.window = window.flatMap(TrainingWindow.init(argument:))
        return options
    }

    /// A new model of `--model` for `data`, from the flags and each model's defaults.
    func freshConfiguration(data: Dataset, split: DatasetSplit, options: TrainingOptions, shortHistories: Bool = false) -> RunConfiguration {
        let kind = model ?? "lstm"
        var configuration = RunConfiguration(model: kind, training: options, dataset: data)
        switch kind {
        case "sasrec":
            var sasrec = SASRec.Configuration(vocabulary: data.itemCount + 1, maxLength: options.maxLength,
                                              hiddenSize: hiddenSize ?? 64,
                                              blocks: blocks ?? 2, heads: heads ?? 1, dropout: dropout ?? (shortHistories ? 0.5 : 0.2))
            let loss = self.loss ?? .fullSoftmax
            sasrec.loss = loss
            sasrec.negatives = negatives ?? 256
            sasrec.sampler = sampler ?? .uniform
            switch excludeSeenFromLoss ?? .auto {
            case .on: sasrec.excludeSeenFromLoss = true
            case .off: sasrec.excludeSeenFromLoss = false
            case .auto:
                // Short histories exclude little, and unfiltered ranking then needs the model to learn to rank seen items low.
                sasrec.excludeSeenFromLoss = loss == .fullSoftmax && !shortHistories && Self.repeatFraction(data, spans: split.training) < 0.01
            }
            configuration.sasrec = sasrec
        case "gru4rec":
            configuration.gru4rec = GRU4Rec.Configuration(vocabulary: data.itemCount + 1, embeddingSize: embeddingSize ?? 64,
                                                          hiddenSize: hiddenSize ?? 128, layers: layers ?? 1, dropout: dropout ?? 0.3)
        default:
            configuration.lstm = LSTMRecommender.Configuration(vocabulary: data.itemCount + 1, embeddingSize: embeddingSize ?? 128,
                                                               hiddenSize: hiddenSize ?? 256, layers: layers ?? 2)
        }
        return configuration
    }

    /// The fraction of training targets that repeat an item earlier in their span.
    static func repeatFraction(_ data: Dataset, spans: [TrainingSpan]) -> Double {
        let items = data.items
        var repeats = 0, targets = 0
        var seen = Set<UInt32>()
        for span in spans {
            seen.removeAll(keepingCapacity: true)
            for index in span.range {
                if index > span.range.lowerBound {
                    targets += 1
                    if seen.contains(items[index]) { repeats += 1 }
                }
                seen.insert(items[index])
            }
        }
        return targets == 0 ? 0 : Double(repeats) / Double(targets)
    }


    private func fit<Model: TrainableModel>(_ network: Model, data: Dataset, split: DatasetSplit, options: TrainingOptions, run: (directory: RunDirectory, kind: String),
                                            optimizerState: OptimizerState?) throws {
        let trainer = Trainer(model: network, dataset: data, split: split, options: options, run: run.directory)
        if let rank, let gpus, let rendezvous {
            let group = try NCCLGroup(rank: rank, size: gpus, rendezvous: rendezvous, context: try CUDAContext(ordinal: rank))
            trainer.dataParallel = DataParallelGroup(rank: rank, size: gpus) { try group.sum($0, count: $1) }
            if rank == 0 { print("data parallel: \(gpus) GPU\(gpus == 1 ? "" : "s"), NCCL \((try? NCCLGroup.version()).map(String.init) ?? "?")") }
        }
        if let optimizerState {
            trainer.startOptimizer(optimizerState)
        }
        print("training \(run.kind) on \(dataset): \(split.training.count) sequences, \(data.itemCount) items, "
              + "\(network.parameters.parameterCount) parameters, \(trainer.stepsPerEpoch) steps per epoch")
        fflush(nil)  // (every stream) the lines above come before the progress on stderr, also when piped
        let gpuIndex = DeviceChoice.gpuIndex(of: network)
        let display = ProgressDisplay(gpuStatus: gpuIndex.flatMap { DeviceChoice.statusReader(gpu: $0) })
        let summary = try trainer.train(resume: resume) { display.show($0) }
        print("best epoch \(summary.bestEpoch): validation \(summary.bestValidation.summary)")
    }
}

func availableCoresForHelp() -> Int { min(2, ProcessInfo.processInfo.activeProcessorCount) }
