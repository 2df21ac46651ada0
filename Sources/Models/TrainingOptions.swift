import Datasets

/// Everything that decides how a model is trained; saved in the run's config.json.
public struct TrainingOptions: Codable, Sendable, Equatable {
    public enum Schedule: String, Codable, Sendable, CaseIterable {
        case constant, linear, cosine
    }

    /// Passes over the training split (at most; early stopping may end sooner).
    public var epochs = 30
    /// Sequences per optimizer step.
    public var batchSize = 128
    /// The most recent items of each sequence a window holds (T).
    public var maxLength = TrainingOptions.defaultMaxLength
    /// Also train on earlier windows of long histories, this many items apart (nil: latest only).
    public var slidingStride: Int?
    public var learningRate: Float = 1e-3
    /// AdamW's decoupled weight decay (0: Adam).
    public var weightDecay: Float = 0
    /// Steps of linear warm-up from 0 to the learning rate.
    public var warmupSteps = 0
    /// Learning-rate decay after warm-up, to 0 at the last epoch.
    public var schedule = Schedule.constant
    /// Clip the global gradient norm to this (nil: no clipping).
    public var clipNorm: Float?
    /// Split each batch into this many micro-batches, accumulating gradients (less memory, same result).
    public var accumulate = 1
    /// Stop after this many validations without a better NDCG@10.
    public var patience = 3
    /// Sequences per evaluation batch.
    public var evaluationBatchSize = 1024
    /// Select the best epoch on validation NDCG@10 with the history's items excluded from the ranking.
    public var excludeSeen = false
    public var seed: UInt64 = 42
    /// Train only on targets in this window of recent behaviour (nil: every target).
    public var window: TrainingWindow?
    /// Predict the next event of this type only (`--target-event buy`): every event is input,
    /// only these are targets, and evaluation holds out each user's last two of them (nil: every event).
    public var targetEvent: String?
    /// Wall-clock seconds training may take, validation included (`--time-limit 20m`): the
    /// epochs are as many as fit (at most `epochs`), re-planned from each epoch's measured time,
    /// and the schedule decays to zero at the last planned one (nil: no limit).
    public var timeLimit: Double?

    public init() {}

    /// The history window (most recent items) a model reads unless told otherwise.
    public static let defaultMaxLength = 200

    /// config.json's names (`filterSeen` from before seen-item exclusion had one name).
    enum CodingKeys: String, CodingKey {
        case epochs, batchSize, maxLength, slidingStride, learningRate, weightDecay, warmupSteps, schedule, clipNorm, accumulate
        case patience, evaluationBatchSize, excludeSeen = "filterSeen", seed, window, targetEvent, timeLimit
    }

    /// How many epochs fit in what is left of `timeLimit` at `secondsPerEpoch` each, counting
    /// the `done` ones: at least `done` (and 1), at most `epochs`; `epochs` without a limit.
    public func epochsFitting(done: Int, elapsed: Double, secondsPerEpoch: Double) -> Int {
        guard let timeLimit, secondsPerEpoch > 0 else { return epochs }
        let more = ((timeLimit - elapsed) / secondsPerEpoch).rounded(.down)
        return min(epochs, max(done, 1, done + Int(max(0, min(more, Double(epochs))))))
    }

    /// The learning rate at optimizer step `step` (0-based) of `totalSteps`.
    public func learningRate(step: Int, totalSteps: Int) -> Float {
        if warmupSteps > 0 && step < warmupSteps { return learningRate * Float(step + 1) / Float(warmupSteps) }
        let progress = Float(step - warmupSteps) / Float(max(1, totalSteps - warmupSteps))
        switch schedule {
        case .constant: return learningRate
        case .linear: return learningRate * max(0, 1 - progress)
        case .cosine: return learningRate * 0.5 * (1 + cos(Float.pi * min(1, progress)))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
