import Datasets

/// A model family (the seed LSTM, SASRec, GRU4Rec, …), identified by its configuration type.
///
/// Everything that differs between families lives in the family's conformance: its name in
/// `train --model` and config.json, its defaults (including those the data decides), the
/// checks of its sizes, its tensors (names, shapes, which grow with the catalogue, aliases used
/// by other tools), how a bare checkpoint's shapes give its settings, and construction. The
/// loader, run configuration, `train` and device attachment only loop over `ModelFamilies.all`;
/// a new family is its own files plus one line there.
public protocol ModelFamily: Codable, Sendable, Equatable {
    /// The family's name: `train --model NAME`, config.json's `model`, and the key of its settings there.
    static var name: String { get }
    /// What `train --help` says about the family: its shape and default recipe, a few lines.
    static var help: String { get }
    /// The tensors whose rows are indexed by item id (row 0 = padding): what grows when the
    /// catalogue grows, and what a warm start copies row by row.
    static var itemRowTensors: [String] { get }
    /// Other names the same tensors go by in checkpoints written elsewhere.
    static var checkpointAliases: [String: String] { get }

    /// The family's training recipe on `data`, before any flag: epochs, learning rate and its
    /// schedule, windows, patience. `note` says what the data changed, for `train` to print.
    static func defaultTraining(data: TrainingDataProfile) -> (options: TrainingOptions, note: String?)
    /// A new model's settings for a catalogue of `vocabulary` − 1 items: the flags given over
    /// the family's defaults. Throws `ModelFlagError` for a flag the family cannot honour.
    static func configuration(vocabulary: Int, training: TrainingOptions, flags: ModelFlags,
                              data: TrainingDataProfile) throws -> Self
    /// The settings of a checkpoint written elsewhere (e.g. a PyTorch `state_dict()`), read from
    /// its tensors' shapes; nil when the tensors are not this family's.
    static func inferred(fromShapes shapes: [String: [Int]]) -> Self?

    /// Items + 1 (row 0 is padding).
    var vocabulary: Int { get set }
    /// The tensors in layout order, named as the family's reference names them.
    var parameterSpecs: [(name: String, shape: [Int])] { get }
    /// The first setting outside what any model of the family can have, as "field is X, outside
    /// A…B" (config.json is untrusted), or nil.
    var sizeProblem: String? { get }
    /// The settings in a few words, e.g. "d 64, 2 blocks, 1 head, dropout 0.2".
    var summary: String { get }
    /// The history length the model is built for, when its settings fix it (SASRec's learned
    /// positions): a warm start must keep it. nil: any length.
    var fixedPositions: Int? { get }
    /// A fresh model of these settings, initialised from `seed`.
    func makeModel(seed: UInt64) -> any TrainableModel

    /// Whether the family's model reads `InputFeatures` (event types, time gaps, item
    /// attributes) through `InputFeatureEmbedding` at its input.
    static var readsInputFeatures: Bool { get }
    /// Channels of the family's input embedding rows (what the feature tables must have).
    var inputWidth: Int { get }
    /// A fresh model that also reads `features` (nil: item ids only).
    func makeModel(seed: UInt64, features: InputFeatures?) -> any TrainableModel
}

extension ModelFamily {
    public var fixedPositions: Int? { nil }
    public static var readsInputFeatures: Bool { false }

    public func makeModel(seed: UInt64, features: InputFeatures?) -> any TrainableModel {
        precondition(features == nil || features!.names.isEmpty || Self.readsInputFeatures, "\(Self.name) does not read input features")
        return makeModel(seed: seed)
    }

    /// The family's tensors and, after them, those of `features`.
    public func parameterSpecs(features: InputFeatures?) -> [(name: String, shape: [Int])] {
        parameterSpecs + (features?.parameterSpecs(width: inputWidth) ?? [])
    }

    /// Whether `other` holds this family's model with the same settings.
    public func isSame(as other: any ModelFamily) -> Bool { (other as? Self) == self }

    /// Encodes the settings under `key` (a method, so an `any ModelFamily` encodes as its own type).
    public func encode<Key: CodingKey>(in container: inout KeyedEncodingContainer<Key>, forKey key: Key) throws {
        try container.encode(self, forKey: key)
    }
}

/// What a family's defaults may depend on: the training data, measured once.
public struct TrainingDataProfile {
    /// Items in the catalogue.
    public var items: Int
    /// Mean items per training sequence.
    public var meanHistoryLength: Double
    private let repeats: () -> Double

    /// `repeatFraction` is computed when a family first asks for it (one pass over the data).
    public init(items: Int, meanHistoryLength: Double, repeatFraction: @escaping () -> Double) {
        self.items = items
        self.meanHistoryLength = meanHistoryLength
        repeats = repeatFraction
    }

    /// The fraction of training targets that repeat an earlier item of their sequence.
    public var repeatFraction: Double { repeats() }

    /// Below this mean training history length data is "short histories" (product reviews),
    /// for which families may take sparse-data defaults.
    public static let shortHistoryLength = 20.0

    public var hasShortHistories: Bool { meanHistoryLength < Self.shortHistoryLength }
}

/// The model flags of `train`; nil: the family's default. A family reads those it has.
public struct ModelFlags: Sendable, Equatable {
    public var embeddingSize: Int?
    public var hiddenSize: Int?
    public var layers: Int?
    public var blocks: Int?
    public var heads: Int?
    public var dropout: Float?
    /// Cosine logits over this (hstu).
    public var temperature: Float?
    public var loss: TrainingLoss?
    public var negatives: Int?
    public var sampler: NegativeSampler.Kind?
    /// nil: decided from the data (`auto`).
    public var excludeSeenFromLoss: Bool?

    public init() {}

    /// Refuses a sampled loss for a family that trains with the full softmax only.
    public func requireFullSoftmax() throws {
        if let loss, loss != .fullSoftmax {
            throw ModelFlagError("--loss \(loss.rawValue) is available for --model sasrec; lstm and gru4rec train with the full softmax")
        }
    }
}

/// A flag a family cannot honour, said in the words of the command line.
public struct ModelFlagError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// "field is X, outside A…B" when `value` is outside `range`: the words of `sizeProblem`.
public func outsideRange(_ field: String, _ value: Int, _ range: ClosedRange<Int>) -> String? {
    range.contains(value) ? nil : "\(field) is \(value), outside \(range.lowerBound)…\(range.upperBound)"
}

/// "field is X, outside [0, 1)" for a probability that must stay below one.
public func outsideProbability(_ field: String, _ value: Float) -> String? {
    value >= 0 && value < 1 ? nil : "\(field) is \(value), outside [0, 1)"
}

/// The ranges sizes must lie in (wider ones are damage or typing mistakes, not models).
public enum PlausibleSize {
    public static let width = 1...(1 << 16)
    public static let depth = 1...64
    public static let vocabulary = 2...Int(Int32.max)
    public static let positions = 1...(1 << 20)
}
