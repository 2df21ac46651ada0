import ArgumentParser
import Models

extension TrainingLoss: ExpressibleByArgument {}
extension NegativeSampler.Kind: ExpressibleByArgument {}

/// `train`'s model flags: the shape and loss of a new model. Each family reads those it has
/// and leaves the rest at its defaults (`ModelFamily.configuration`).
struct ModelOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Embedding size (default: lstm 128, gru4rec 64; sasrec uses --hidden-size).")
    var embeddingSize: Int?

    @Option(parsing: .unconditional, help: "Hidden size (default: lstm 256, sasrec and hstu 64, gru4rec 128).")
    var hiddenSize: Int?

    @Option(parsing: .unconditional, help: "Recurrent layers (default: lstm 2, gru4rec 1).")
    var layers: Int?

    @Option(parsing: .unconditional, help: "Transformer blocks (sasrec) or layers (hstu) (default 2).")
    var blocks: Int?

    @Option(parsing: .unconditional, help: "Attention heads (sasrec, hstu; default 1).")
    var heads: Int?

    @Option(help: "Training loss (sasrec): full (softmax over every item; best quality; the default), sampled (softmax over --negatives sampled items, logQ-corrected; for large catalogues), bce (one sampled negative per position, as in the SASRec paper).")
    var loss: TrainingLoss?

    @Option(parsing: .unconditional, help: "Items sampled per batch by --loss sampled (default 256).")
    var negatives: Int?

    @Option(help: "How sampled losses draw items: uniform (the default), or popularity (in proportion to training counts).")
    var sampler: NegativeSampler.Kind?

    @Option(help: "sasrec (full softmax) and hstu: leave the items already in a window out of each position's softmax, training it to rank what the user has not interacted with yet (as seen-filtered evaluation and serving with exclude_seen do): on, off, or auto = on when under 1% of training targets repeat an earlier item of their history (e.g. ratings) and histories are not short, off otherwise (e.g. re-purchases, plays, short review histories).")
    var excludeSeenFromLoss: Switch?

    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off, auto
    }

    @Option(parsing: .unconditional, help: "hstu: logits are cosine similarities divided by this (default 0.05).")
    var temperature: Float?

    @Option(parsing: .unconditional, help: "Dropout probability (default: sasrec and hstu 0.2, 0.5 on short histories; gru4rec 0.3; lstm has none).")
    var dropout: Float?

    @Option(help: ArgumentHelp("Inputs besides item ids, comma-separated (every family): event (the event type), time-gap (time since the previous event, log buckets), and item attribute names (e.g. category); `train` lists what the dataset has. Default: none.", valueName: "list"))
    var features: String?

    /// `--features` as names.
    var featureNames: [String] {
        (features ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        if let hiddenSize, hiddenSize < 1 { throw ValidationError("--hidden-size must be positive") }
        if let embeddingSize, embeddingSize < 1 { throw ValidationError("--embedding-size must be positive") }
        // Sizes beyond these are typing mistakes; they would only fail later as an allocation.
        for (flag, value) in [("--hidden-size", hiddenSize), ("--embedding-size", embeddingSize)] where (value ?? 1) > 1 << 16 {
            throw ValidationError("\(flag) must be at most 65536, got \(value!)")
        }
        if let negatives, negatives > 1 << 20 { throw ValidationError("--negatives must be at most 1048576, got \(negatives)") }
        for (flag, value) in [("--layers", layers), ("--blocks", blocks)] where (value ?? 1) > 64 {
            throw ValidationError("\(flag) must be at most 64, got \(value!)")
        }
        if let heads, heads < 1 { throw ValidationError("--heads must be positive") }
        if let blocks, blocks < 1 { throw ValidationError("--blocks must be positive") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
        if let temperature, !(temperature > 0 && temperature <= 100) { throw ValidationError("--temperature must be in (0, 100], got \(temperature)") }
        if let layers, layers < 1 { throw ValidationError("--layers must be positive") }
        if let negatives, negatives < 1 { throw ValidationError("--negatives must be positive") }
    }

    /// The flags as the families read them.
    var flags: ModelFlags {
        var flags = ModelFlags()
        flags.embeddingSize = embeddingSize
        flags.hiddenSize = hiddenSize
        flags.layers = layers
        flags.blocks = blocks
        flags.heads = heads
        flags.dropout = dropout
        flags.temperature = temperature
        flags.loss = loss
        flags.negatives = negatives
        flags.sampler = sampler
        flags.excludeSeenFromLoss = excludeSeenFromLoss.flatMap { $0 == .auto ? nil : $0 == .on }
        return flags
    }

    /// The flags given, by name (a warm start takes the model from its parent and refuses them).
    var given: [String] {
        [("--embedding-size", embeddingSize != nil), ("--hidden-size", hiddenSize != nil), ("--layers", layers != nil),
         ("--blocks", blocks != nil), ("--heads", heads != nil), ("--dropout", dropout != nil), ("--temperature", temperature != nil),
         ("--loss", loss != nil), ("--negatives", negatives != nil), ("--sampler", sampler != nil),
         ("--exclude-seen-from-loss", excludeSeenFromLoss != nil)].filter(\.1).map(\.0)
    }
}
