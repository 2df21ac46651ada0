import Foundation

/// What a run directory says about itself: its configuration and the per-epoch lines of
/// metrics.jsonl, summarised (best validation, epochs, training time).
public struct RunSummary: Sendable {
    public var path: String
    public var configuration: RunConfiguration
    public var epochs: Int
    public var bestEpoch: Int
    /// Validation metrics of the best epoch (as selected during training).
    public var bestValidation: RankingMetrics?
    /// Seconds spent in training passes (validation excluded).
    public var trainingSeconds: Double
    public var lastLoss: Double?

    public init(run path: String) throws {
        let run = RunDirectory(path: path)
        self.path = path
        configuration = try run.readConfiguration()
        var epochs = 0, bestEpoch = 0, seconds = 0.0
        var best: RankingMetrics?, lastLoss: Double?
        if let text = try? String(contentsOfFile: run.metricsPath, encoding: .utf8) {
            for (index, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw TrainingError.run(path: "\(run.metricsPath):\(index + 1)", reason: "not a JSON object")
                }
                epochs = (object["epoch"] as? Int) ?? epochs
                seconds += (object["seconds"] as? Double) ?? 0
                lastLoss = (object["train_loss"] as? Double) ?? lastLoss
                bestEpoch = (object["best_epoch"] as? Int) ?? bestEpoch
                if bestEpoch == epochs, let valid = object["valid"],
                   let data = try? JSONSerialization.data(withJSONObject: valid),
                   let metrics = try? JSONDecoder().decode(RankingMetrics.self, from: data) {
                    best = metrics
                }
            }
        }
        self.epochs = epochs
        self.bestEpoch = bestEpoch
        bestValidation = best
        trainingSeconds = seconds
        self.lastLoss = lastLoss
    }

    /// The model's shape in a few words, e.g. "d 64, 2 blocks, 1 head, dropout 0.2".
    public var modelSettings: String { configuration.settings.summary }

    /// The training settings in a few words, e.g. "lr 0.001, batch 128, T 200".
    public var trainingSettings: String {
        let t = configuration.training
        var parts = ["lr \(t.learningRate)", "batch \(t.batchSize)", "T \(t.maxLength)"]
        if let stride = t.slidingStride { parts.append("windows every \(stride)") }
        if t.weightDecay > 0 { parts.append("wd \(t.weightDecay)") }
        if t.schedule != .constant { parts.append(t.schedule.rawValue) }
        if t.warmupSteps > 0 { parts.append("warm-up \(t.warmupSteps)") }
        return parts.joined(separator: ", ")
    }
}
