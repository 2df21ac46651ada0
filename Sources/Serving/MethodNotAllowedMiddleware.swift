import HTTPTypes
import Hummingbird

/// Answers 405 with an `Allow` header, instead of the router's 404, when the path is one of the
/// API's but the method is not (e.g. `GET /v1/predict`).
public struct MethodNotAllowedMiddleware: RouterMiddleware {
    public typealias Context = ServingRequestContext
    /// Route patterns (`{id}` matches one path segment) and their methods.
    let routes: [(segments: [Substring], methods: [HTTPRequest.Method])]

    public init(routes: [(path: String, methods: [HTTPRequest.Method])]) {
        // Every GET route answers HEAD too (`getAndHead`).
        self.routes = routes.map { ($0.path.split(separator: "/"), $0.methods.contains(.get) ? $0.methods + [.head] : $0.methods) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && (context.endpointPath ?? "NotFound") == "NotFound" {
            let segments = request.uri.path.split(separator: "/")
            guard let route = routes.first(where: { Self.matches($0.segments, segments) }) else { throw error }
            let allowed = route.methods.map(\.rawValue).joined(separator: ", ")
            throw HTTPError(.methodNotAllowed, headers: [.allow: allowed], message: "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(allowed)")
        }
    }

    static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        pattern.count == path.count && zip(pattern, path).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}
