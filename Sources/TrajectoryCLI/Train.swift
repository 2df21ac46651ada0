import ArgumentParser
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
                   warm-up steps and cosine decay (each of these is a flag).
          gru4rec  GRU4Rec as RecBole builds it: Embedding(V,64) → dropout 0.3 → GRU(64→128, no
                   biases) → Linear(128,64) → logits against the item embeddings, full softmax.

        Examples:
          trajectory train data/ml1m --out runs/lstm
          trajectory train data/ml1m --out runs/lstm --epochs 50 --accumulate 4   # same batch, 1/4 the memory
          trajectory train data/ml1m --out runs/lstm --resume
          trajectory train data/ml1m --out runs/sasrec --model sasrec
        """
    )

    @Argument(help: "A dataset directory (from `trajectory prepare` or `trajectory synth`).")
    var dataset: String

    @Option(name: .shortAndLong, help: "The run directory to write.")
    var out: String

    @Option(help: "Model to train: lstm, sasrec, gru4rec.")
    var model = "lstm"

    @Option(help: "Maximum passes over the training data (default: lstm 30, sasrec 45, gru4rec 200).")
    var epochs: Int?

    @Option(help: "Sequences per optimizer step.")
    var batchSize = 128

    @Option(help: "Most recent items per training window (T).")
    var maxLength = 200

    @Option(help: "Also train on earlier windows of long histories, this many items apart; 0 = the latest window only (default: sasrec --max-length, the others 0).")
    var slidingStride: Int?

    @Option(name: .customLong("lr"), help: "Learning rate (default: sasrec 0.002, the others 0.001).")
    var learningRate: Float?

    @Option(help: "AdamW weight decay (0 = Adam).")
    var weightDecay: Float = 0

    @Option(help: "Linear learning-rate warm-up steps (default: sasrec 200, the others 0).")
    var warmup: Int?

    @Option(help: "Learning-rate decay after warm-up, to 0 at the last epoch: constant, linear, cosine (default: sasrec cosine, the others constant).")
    var schedule: TrainingOptions.Schedule?

    @Option(help: "Clip the global gradient norm to this value.")
    var clip: Float?

    @Option(help: "Split each batch into N micro-batches and accumulate gradients: 1/N the activation memory, same result.")
    var accumulate = 1

    @Option(help: "Stop after this many epochs without a better validation NDCG@10 (default: lstm 3, sasrec and gru4rec 10).")
    var patience: Int?

    @Flag(help: "Select the best epoch on seen-item-filtered validation NDCG@10.")
    var filterSeen = false

    @Option(help: "Random seed (initialisation and data order).")
    var seed: UInt64 = 42

    @Option(help: "Threads for matrix products.")
    var threads = availableCoresForHelp()

    @Option(help: "Embedding size (default: lstm 128, gru4rec 64; sasrec uses --hidden-size).")
    var embeddingSize: Int?

    @Option(help: "Hidden size (default: lstm 256, sasrec 64, gru4rec 128).")
    var hiddenSize: Int?

    @Option(help: "Recurrent layers (default: lstm 2, gru4rec 1).")
    var layers: Int?

    @Option(help: "Transformer blocks (sasrec; default 2).")
    var blocks = 2

    @Option(help: "Attention heads (sasrec; default 1).")
    var heads = 1

    @Option(help: "Training loss (sasrec): full (softmax over every item; best quality), sampled (softmax over --negatives sampled items, logQ-corrected; for large catalogues), bce (one sampled negative per position, as in the SASRec paper).")
    var loss: SASRec.Configuration.Loss = .fullSoftmax

    @Option(help: "Items sampled per batch by --loss sampled.")
    var negatives = 256

    @Option(help: "How sampled losses draw items: uniform, or popularity (in proportion to training counts).")
    var sampler: NegativeSampler.Kind = .uniform

    @Option(help: "sasrec, full softmax: leave the items already in a window out of each position's softmax, training it to rank what the user has not interacted with yet (as seen-filtered evaluation and serving with exclude_seen do): on, off, or auto = on when under 1% of training targets repeat an earlier item of their history (e.g. ratings, reviews), off otherwise (e.g. re-purchases, plays).")
    var excludeSeenFromLoss: Switch = .auto

    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off, auto
    }

    @Option(help: "Dropout probability (default: sasrec 0.2, gru4rec 0.3; lstm has none).")
    var dropout: Float?

    @Flag(help: "Continue the run in --out from its last checkpoint.")
    var resume = false

    @Flag(help: "Replace an existing run directory.")
    var force = false

    func validate() throws {
        guard ["lstm", "sasrec", "gru4rec"].contains(model) else { throw ValidationError("--model \(model) is not available; this build trains: lstm, sasrec, gru4rec") }
        guard batchSize > 0, maxLength > 0, (epochs ?? 1) > 0 else { throw ValidationError("--batch-size, --max-length and --epochs must be positive") }
        if let hiddenSize, hiddenSize < 1 { throw ValidationError("--hidden-size must be positive") }
        if model == "sasrec" && (hiddenSize ?? 64) % heads != 0 { throw ValidationError("--hidden-size must be a multiple of --heads") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
        if let layers, layers < 1 { throw ValidationError("--layers must be positive") }
        if negatives < 1 { throw ValidationError("--negatives must be positive") }
        if model != "sasrec" && loss != .fullSoftmax { throw ValidationError("--loss \(loss.rawValue) is available for --model sasrec; lstm and gru4rec train with the full softmax") }
        if let embeddingSize, embeddingSize < 1 { throw ValidationError("--embedding-size must be positive") }
        guard accumulate >= 1, batchSize % accumulate == 0 else { throw ValidationError("--batch-size must be a multiple of --accumulate") }
        if let slidingStride, slidingStride < 0 { throw ValidationError("--sliding-stride must be positive (or 0: latest window only)") }
        if resume && force { throw ValidationError("--resume and --force contradict each other") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        try reportingErrors {
            let data = try Dataset(directory: dataset)
            let run = RunDirectory(path: out)
            if FileManager.default.fileExists(atPath: run.configPath) && !resume && !force {
                throw TrainingError.run(path: out, reason: "already holds a run; pass --resume to continue it or --force to start over")
            }
            if force { try? FileManager.default.removeItem(atPath: out) }
            var options = TrainingOptions()
            // Per-model defaults: SASRec reaches its quality in a fixed budget (cosine decay over
            // 45 epochs, every window of long histories); the recurrent models stop early.
            let isSASRec = model == "sasrec"
            options.epochs = epochs ?? (model == "lstm" ? 30 : isSASRec ? 45 : 200)
            options.batchSize = batchSize
            options.maxLength = maxLength
            let stride = slidingStride ?? (isSASRec ? maxLength : 0)
            options.slidingStride = stride > 0 ? stride : nil
            options.learningRate = learningRate ?? (isSASRec ? 2e-3 : 1e-3)
            options.weightDecay = weightDecay
            options.warmupSteps = warmup ?? (isSASRec ? 200 : 0)
            options.schedule = schedule ?? (isSASRec ? .cosine : .constant)
            options.clipNorm = clip
            options.accumulate = accumulate
            options.patience = patience ?? (model == "lstm" ? 3 : 10)
            options.filterSeen = filterSeen
            options.seed = seed
            let split = DatasetSplit.leaveOneOut(data)
            var configuration = RunConfiguration(model: model, training: options, dataset: data)
            switch model {
            case "sasrec":
                var sasrec = SASRec.Configuration(vocabulary: data.itemCount + 1, maxLength: maxLength, hiddenSize: hiddenSize ?? 64,
                                                  blocks: blocks, heads: heads, dropout: dropout ?? 0.2)
                sasrec.loss = loss
                sasrec.negatives = negatives
                sasrec.sampler = sampler
                switch excludeSeenFromLoss {
                case .on: sasrec.excludeSeenFromLoss = true
                case .off: sasrec.excludeSeenFromLoss = false
                case .auto: sasrec.excludeSeenFromLoss = loss == .fullSoftmax && Self.repeatFraction(data, spans: split.training) < 0.01
                }
                configuration.sasrec = sasrec
            case "gru4rec":
                configuration.gru4rec = GRU4Rec.Configuration(vocabulary: data.itemCount + 1, embeddingSize: embeddingSize ?? 64,
                                                              hiddenSize: hiddenSize ?? 128, layers: layers ?? 1, dropout: dropout ?? 0.3)
            default:
                configuration.lstm = LSTMRecommender.Configuration(vocabulary: data.itemCount + 1, embeddingSize: embeddingSize ?? 128,
                                                                   hiddenSize: hiddenSize ?? 256, layers: layers ?? 2)
            }
            if resume {
                let saved = try run.readConfiguration()
                guard saved.model == configuration.model, saved.lstm == configuration.lstm, saved.sasrec == configuration.sasrec,
                      saved.gru4rec == configuration.gru4rec,
                      saved.training == options else {
                    throw TrainingError.run(path: out, reason: "--resume needs the same model and training options as the run (see its config.json)")
                }
            } else {
                try run.create()
                try run.writeConfiguration(configuration)
            }
            let network = try ModelLoader.makeModel(configuration, seed: seed).model
            if let sasrec = network as? SASRec, sasrec.configuration.loss != .fullSoftmax, sasrec.configuration.sampler == .popularity {
                sasrec.useSampler(NegativeSampler(counts: Self.itemCounts(data, spans: split.training)))
            }
            try fit(network, data: data, split: split, options: options, run: run)
            // A report of the run beside its checkpoints; a failure here must not fail the training.
            do {
                try AtomicOutput.writeText(out + "/report.html", try RunReport(runs: [out]).html(dataset: data))
            } catch {
                printError("warning: report.html not written: \(error)")
            }
            print("run saved in \(out) (report: \(out)/report.html)")
        }
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

    /// How often each item occurs in the training spans (index = item id).
    static func itemCounts(_ data: Dataset, spans: [TrainingSpan]) -> [Int] {
        var counts = [Int](repeating: 0, count: data.itemCount + 1)
        let items = data.items
        for span in spans { for index in span.range { counts[Int(items[index])] += 1 } }
        return counts
    }

    private func fit<Model: TrainableModel>(_ network: Model, data: Dataset, split: DatasetSplit, options: TrainingOptions, run: RunDirectory) throws {
        let trainer = Trainer(model: network, dataset: data, split: split, options: options, run: run)
        print("training \(model) on \(dataset): \(split.training.count) sequences, \(data.itemCount) items, "
              + "\(network.parameters.parameterCount) parameters, \(trainer.stepsPerEpoch) steps per epoch")
        let display = ProgressDisplay()
        let summary = try trainer.train(resume: resume) { display.show($0) }
        print("best epoch \(summary.bestEpoch): validation \(summary.bestValidation.summary)")
    }
}

func availableCoresForHelp() -> Int { min(2, ProcessInfo.processInfo.activeProcessorCount) }
