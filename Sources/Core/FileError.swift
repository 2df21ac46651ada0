/// Errors from reading and writing files, naming the file.
public enum FileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    /// The destination exists and replacing it was not asked for.
    case exists(path: String)
    /// `--force` was given, but the destination is not something Trajectory made (or holds an input).
    case notReplaceable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .writeFailed(let path, let reason): return "cannot write \(path): \(reason)"
        case .exists(let path): return "\(path) already exists; pass --force to replace it"
        case .notReplaceable(let path, let reason): return "refusing to replace \(path): \(reason)"
        }
    }
}
