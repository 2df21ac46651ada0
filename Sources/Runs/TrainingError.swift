/// Problems with checkpoints and runs, each naming the file and what is wrong.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case checkpoint(path: String, reason: String)
    case run(path: String, reason: String)
    case nonFiniteLoss(epoch: Int, step: Int, lastGood: String)

    public var description: String {
        switch self {
        case .checkpoint(let path, let reason): return "\(path): \(reason)"
        case .run(let path, let reason): return "\(path): \(reason)"
        case .nonFiniteLoss(let epoch, let step, let lastGood):
            return "the loss became NaN or infinite at epoch \(epoch), step \(step); training stopped, the last good checkpoint is \(lastGood)"
        }
    }
}
