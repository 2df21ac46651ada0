import Core
import Datasets
import Foundation
import Models

/// What a run directory's config.json holds: enough to rebuild the model and know its data.
///
/// config.json names the model's family in `model` and keeps its settings under that name
/// (`"model": "sasrec", "sasrec": {…}`), so runs of every version read the same way.
public struct RunConfiguration: Codable, Sendable, Equatable {
    public var format = "trajectory-run"
    public var version = 1
    /// The model: its family and settings.
    public var settings: any ModelFamily
    public var training: TrainingOptions
    public var dataset: DatasetReference
    public var created: String
    /// The run whose weights this one started from (`train --from`), if any.
    public var warmStart: WarmStartReference?
    /// The inputs the model reads besides item ids (`train --features`); nil: ids only.
    public var features: InputFeatures?

    public struct DatasetReference: Codable, Sendable, Equatable {
        public var path: String
        public var users: Int
        public var items: Int
        public var events: Int
        public var created: String
        /// The dataset's vocabulary digest (`ItemVocabulary.digest`); absent in older runs.
        public var vocabularySHA256: String?
    }

    /// Where a warm-started run's initial weights came from.
    public struct WarmStartReference: Codable, Sendable, Equatable {
        /// The parent run directory.
        public var run: String
        /// The parent checkpoint read, and the epoch it was saved at.
        public var checkpoint: String
        public var epoch: Int?
        /// Items the parent knew (ids 1…items); the rest were new here.
        public var items: Int

        public init(run: String, checkpoint: String, epoch: Int?, items: Int) {
            self.run = run
            self.checkpoint = checkpoint
            self.epoch = epoch
            self.items = items
        }
    }

    /// The model's family name (`lstm`, `sasrec`, …).
    public var model: String { type(of: settings).name }

    /// The settings when the model is of `family`, else nil.
    public func settings<Family: ModelFamily>(_ family: Family.Type) -> Family? { settings as? Family }

    /// The model's item vocabulary (items + 1).
    public var vocabulary: Int { settings.vocabulary }

    /// The same model with room for `vocabulary` − 1 items.
    public func resized(vocabulary: Int) -> RunConfiguration {
        var copy = self
        copy.settings.vocabulary = vocabulary
        return copy
    }

    public init(model settings: any ModelFamily, training: TrainingOptions, dataset: Dataset) {
        self.settings = settings
        self.training = training
        self.dataset = DatasetReference(path: URL(fileURLWithPath: dataset.directory).standardizedFileURL.path,
                                        users: dataset.sequenceCount, items: dataset.itemCount, events: dataset.eventCount,
                                        created: dataset.manifest.created,
                                        vocabularySHA256: dataset.manifest.vocabularySHA256 ?? (try? ItemVocabulary(dataset: dataset))?.digest())
        created = TimestampParser.iso8601String(unixSeconds: Int64(Date().timeIntervalSince1970))
    }

    public static func == (a: RunConfiguration, b: RunConfiguration) -> Bool {
        a.format == b.format && a.version == b.version && a.settings.isSame(as: b.settings) && a.training == b.training
            && a.dataset == b.dataset && a.created == b.created && a.warmStart == b.warmStart && a.features == b.features
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        format = try container.decode(String.self, forKey: Key("format"))
        version = try container.decode(Int.self, forKey: Key("version"))
        let name = try container.decode(String.self, forKey: Key("model"))
        guard let family = ModelFamilies.named(name) else {
            throw DecodingError.dataCorruptedError(forKey: Key("model"), in: container,
                                                   debugDescription: "model '\(name)' is not supported by this build (\(ModelFamilies.names))")
        }
        guard container.contains(Key(name)) else {
            throw DecodingError.dataCorruptedError(forKey: Key(name), in: container, debugDescription: "model '\(name)' has no '\(name)' settings")
        }
        func decodeSettings<Family: ModelFamily>(_ family: Family.Type) throws -> any ModelFamily {
            try container.decode(Family.self, forKey: Key(name))
        }
        settings = try decodeSettings(family)
        training = try container.decode(TrainingOptions.self, forKey: Key("training"))
        dataset = try container.decode(DatasetReference.self, forKey: Key("dataset"))
        created = try container.decode(String.self, forKey: Key("created"))
        warmStart = try container.decodeIfPresent(WarmStartReference.self, forKey: Key("warmStart"))
        features = try container.decodeIfPresent(InputFeatures.self, forKey: Key("features"))
        if let features, !features.names.isEmpty, !type(of: settings).readsInputFeatures {
            throw DecodingError.dataCorruptedError(forKey: Key("features"), in: container, debugDescription: "the \(name) model does not read input features")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(format, forKey: Key("format"))
        try container.encode(version, forKey: Key("version"))
        try container.encode(model, forKey: Key("model"))
        try settings.encode(in: &container, forKey: Key(model))
        try container.encode(training, forKey: Key("training"))
        try container.encode(dataset, forKey: Key("dataset"))
        try container.encode(created, forKey: Key("created"))
        try container.encodeIfPresent(warmStart, forKey: Key("warmStart"))
        try container.encodeIfPresent(features, forKey: Key("features"))
    }
}

extension RunConfiguration {
    /// The id in `dataset` of the run's target event type (`train --target-event`), or nil when
    /// the run predicts every event.
    public func targetEventId(in dataset: Dataset) throws -> UInt8? {
        try training.targetEvent.map { try dataset.eventTypeId(named: $0) }
    }

    /// The leave-one-out split the run trains and is evaluated on: over every event, or over
    /// the events of its target type.
    public func split(of dataset: Dataset) throws -> DatasetSplit {
        try DatasetSplit.leaveOneOut(dataset, targetEvent: targetEventId(in: dataset))
    }
}
