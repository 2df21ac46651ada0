/// Errors raised while reading logs or dataset directories.
///
/// Every case carries enough context (file, line, field) for a user to find the problem.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// A file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// A line of input is malformed and `--strict` asked to stop at the first one.
    case malformedLine(path: String, line: Int, reason: String)
    /// A requested column is not present in the header or the line.
    case unknownColumn(path: String, column: String, available: [String])
    /// An option value does not make sense.
    case invalidOption(String)
    /// Nothing remains after filtering.
    case emptyResult(String)
    /// The output exists and `--force` was not given.
    case outputExists(path: String)
    /// A dataset directory is missing a file, or its files disagree.
    case corruptDataset(path: String, reason: String)
    /// Writing the output failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedLine(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .unknownColumn(let path, let column, let available):
            let list = available.isEmpty ? "" : " (columns: \(available.joined(separator: ", ")))"
            return "\(path): unknown column '\(column)'\(list)"
        case .invalidOption(let message):
            return message
        case .emptyResult(let message):
            return "empty result: \(message)"
        case .outputExists(let path):
            return "\(path) already exists; pass --force to replace it"
        case .corruptDataset(let path, let reason):
            return "\(path): \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
