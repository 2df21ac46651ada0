import ArgumentParser
import Datasets
import Models

extension TrainingOptions.Schedule: ExpressibleByArgument {}

/// `train`'s training-recipe flags; nil: the family's default, or the `--from` run's.
struct TrainingFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Train only on recent behaviour: 90d / 12h (back from the newest event), 2000-12-01 (from that time on) or 50 (each user's 50 most recent events). Earlier items remain the history the model reads; validation keeps the users active in a time window.", valueName: "window"))
    var window: String?

    @Option(parsing: .unconditional, help: "Maximum passes over the training data (default: lstm 30, sasrec and hstu 45, gru4rec 200; with --from a quarter of the run's; with --time-limit at most as many as fit).")
    var epochs: Int?

    @Option(help: ArgumentHelp("Train for at most this long, validation included: 20m, 1h30m, 90s (a bare number is seconds). The recipe's epochs (or --epochs) when they fit, else as many as fit, planned from the measured epoch time, with the learning-rate schedule ending at the last one; the best epoch is kept.", valueName: "duration"))
    var timeLimit: String?

    @Option(parsing: .unconditional, help: "Sequences per optimizer step (default: 128, or the --from run's).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Most recent items per training window (T) (default: 200, sasrec and hstu on short histories 50, or the --from run's).")
    var maxLength: Int?

    @Option(parsing: .unconditional, help: "Also train on earlier windows of long histories, this many items apart; 0 = the latest window only (default: sasrec and hstu --max-length, the others 0).")
    var slidingStride: Int?

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate (default: sasrec and hstu 0.002, the others 0.001; with --from half the run's).")
    var learningRate: Float?

    @Option(parsing: .unconditional, help: "AdamW weight decay (0 = Adam) (default: 0, or the --from run's).")
    var weightDecay: Float?

    @Option(parsing: .unconditional, help: "Linear learning-rate warm-up steps (default: sasrec and hstu 200, the others 0; 0 with --from, whose Adam moments are carried over).")
    var warmup: Int?

    @Option(help: "Learning-rate decay after warm-up, to 0 at the last epoch: constant, linear, cosine (default: sasrec and hstu cosine, the others constant).")
    var schedule: TrainingOptions.Schedule?

    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this value.")
    var clip: Float?

    @Option(parsing: .unconditional, help: "Split each batch into N micro-batches and accumulate gradients: 1/N the activation memory, same result.")
    var accumulate = 1

    @Option(parsing: .unconditional, help: "Stop after this many epochs without a better validation NDCG@10 (default: lstm 3, sasrec, hstu and gru4rec 10).")
    var patience: Int?

    @Flag(help: "Select the best epoch on validation NDCG@10 with the user's history items excluded from the ranking (as `evaluate --exclude-seen` and the API's exclude_seen rank).")
    var excludeSeen = false

    /// The flag's name before seen-item exclusion had one name everywhere.
    @Flag(name: .customLong("filter-seen"), help: .hidden)
    var filterSeen = false

    @Option(help: ArgumentHelp("Predict the next event of this type (e.g. buy) from the whole trajectory: every event is input, only these are targets, and validation and test hold out each user's last two of them (the dataset needs event types: prepare --event).", valueName: "type"))
    var targetEvent: String?

    @Option(help: "Random seed (initialisation and data order).")
    var seed: UInt64 = 42

    func validate() throws {
        guard (batchSize ?? 1) > 0, (maxLength ?? 1) > 0, (epochs ?? 1) > 0 else { throw ValidationError("--batch-size, --max-length and --epochs must be positive") }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) { throw ValidationError("--lr must be a positive number, got \(learningRate)") }
        if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) { throw ValidationError("--weight-decay must be a number ≥ 0, got \(weightDecay)") }
        if let clip, !(clip.isFinite && clip > 0) { throw ValidationError("--clip must be a positive number, got \(clip)") }
        for (flag, value) in [("--batch-size", batchSize), ("--max-length", maxLength)] where (value ?? 1) > 1 << 20 {
            throw ValidationError("\(flag) must be at most 1048576, got \(value!)")
        }
        guard accumulate >= 1, (batchSize ?? 128) % accumulate == 0 else { throw ValidationError("--batch-size must be a multiple of --accumulate") }
        if let slidingStride, slidingStride < 0 { throw ValidationError("--sliding-stride must be positive (or 0: latest window only)") }
        if let timeLimit, Self.seconds(timeLimit) == nil {
            throw ValidationError("--time-limit '\(timeLimit)' is not a positive duration (20m, 1h30m, 90s)")
        }
        if let window, TrainingWindow(argument: window) == nil {
            throw ValidationError("--window '\(window)' is not a duration (90d, 12h), a time (2000-12-01) or a number of events (50)")
        }
    }

    /// The flags given over `defaults` (a family's recipe, or a warm start's). A default stride
    /// that tiles the windows (stride = max length) keeps tiling when only --max-length is given.
    func options(over defaults: TrainingOptions) -> TrainingOptions {
        var options = defaults
        if let epochs { options.epochs = epochs }
        if let batchSize { options.batchSize = batchSize }
        if let maxLength {
            if slidingStride == nil && defaults.slidingStride == defaults.maxLength { options.slidingStride = maxLength }
            options.maxLength = maxLength
        }
        if let slidingStride { options.slidingStride = slidingStride > 0 ? slidingStride : nil }
        if let learningRate { options.learningRate = learningRate }
        if let weightDecay { options.weightDecay = weightDecay }
        if let warmup { options.warmupSteps = warmup }
        if let schedule { options.schedule = schedule }
        if let clip { options.clipNorm = clip }
        options.accumulate = accumulate
        if let patience { options.patience = patience }
        if excludeSeen || filterSeen { options.excludeSeen = true }
        options.seed = seed
        options.window = window.flatMap(TrainingWindow.init(argument:))
        if let targetEvent { options.targetEvent = targetEvent }
        // A limit, not a target: the recipe's epochs (or --epochs) stay the most there can be.
        if let timeLimit { options.timeLimit = Self.seconds(timeLimit) }
        return options
    }

    /// Seconds in a duration such as 20m, 1h30m, 90s, 1.5h or 600 (seconds); nil if not one.
    static func seconds(_ text: String) -> Double? {
        var total = 0.0, number = "", sawUnit = false
        for character in text.lowercased() where character != " " {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            let unit: Double
            switch character {
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            guard let value = Double(number) else { return nil }
            total += value * unit
            number = ""
            sawUnit = true
        }
        if !number.isEmpty {
            guard let value = Double(number), !sawUnit else { return nil }
            total += value
        }
        return total > 0 && total.isFinite ? total : nil
    }
}
