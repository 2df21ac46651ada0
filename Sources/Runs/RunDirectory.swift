import Core
import Foundation

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
