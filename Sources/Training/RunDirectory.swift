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
            && a.dataset == b.dataset && a.created == b.created && a.warmStart == b.warmStart
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
    }
}

/// The files of a run directory.
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var configPath: String { path + "/config.json" }
    public var modelPath: String { path + "/model.safetensors" }
    public var bestPath: String { path + "/best.safetensors" }

    /// The checkpoint a load of `weights` reads: the best one when asked for and present, else the last.
    public func checkpointPath(_ weights: ModelLoader.Weights) -> String {
        weights == .best && FileManager.default.fileExists(atPath: bestPath) ? bestPath : modelPath
    }
    public var optimizerPath: String { path + "/optimizer.safetensors" }
    public var metricsPath: String { path + "/metrics.jsonl" }

    public var reportPath: String { path + "/report.html" }

    /// The files `train` writes. `train --force` removes these and nothing else: the history
    /// store (`history.sqlite`: API keys and user events, possibly open in a live server) and
    /// anything a user put beside them stay.
    public var trainingFiles: [String] { [configPath, modelPath, bestPath, optimizerPath, metricsPath, reportPath] }

    /// Refuses, for `train --force`, a path that is not a run directory (no config.json), unless
    /// it is an empty directory or absent.
    public func checkReplaceable() throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        let entries = (try? fileManager.contentsOfDirectory(atPath: path)) ?? []
        guard isDirectory.boolValue, fileManager.fileExists(atPath: configPath) || entries.isEmpty else {
            throw FileError.notReplaceable(path: path, reason: isDirectory.boolValue
                ? "it has no config.json, so it is not a run directory; --force replaces only a run Trajectory wrote (choose another --out or remove it yourself)"
                : "it is a file, not a run directory")
        }
    }

    /// Removes the run's training files so a new run can start in place (`train --force`).
    /// Refuses a directory that is not a run (no config.json) unless it is empty.
    public func removeTrainingFiles() throws {
        try checkReplaceable()
        let fileManager = FileManager.default
        for file in trainingFiles where fileManager.fileExists(atPath: file) {
            do { try fileManager.removeItem(atPath: file) } catch {
                throw FileError.writeFailed(path: file, reason: error.localizedDescription)
            }
        }
    }

    public func create() throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw TrainingError.run(path: path, reason: "cannot create the run directory: \(error.localizedDescription)")
        }
    }

    public func writeConfiguration(_ configuration: RunConfiguration) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(configuration)
        try data.withUnsafeBytes { try AtomicOutput.replaceFile(configPath, $0) }
    }

    public func readConfiguration() throws -> RunConfiguration {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw TrainingError.run(path: path, reason: "no config.json: not a run directory")
        }
        do { return try JSONDecoder().decode(RunConfiguration.self, from: data) } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw TrainingError.run(path: configPath, reason: context.debugDescription)
        } catch {
            throw TrainingError.run(path: configPath, reason: "unreadable: \(error)")
        }
    }

    /// Appends one JSON object as a line of metrics.jsonl (flushed, so a crash keeps what was logged).
    public func appendMetrics(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        if !FileManager.default.fileExists(atPath: metricsPath) { _ = FileManager.default.createFile(atPath: metricsPath, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: metricsPath) else {
            throw TrainingError.run(path: metricsPath, reason: "cannot append metrics")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data + Data("\n".utf8))
        try handle.synchronize()
    }
}
