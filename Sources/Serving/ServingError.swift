/// Failures of the service outside a single request (bad configuration, an unreachable store).
public enum ServingError: Error, CustomStringConvertible {
    case store(String)
    case configuration(String)

    public var description: String {
        switch self {
        case .store(let message): "history store: \(message)"
        case .configuration(let message): message
        }
    }
}
