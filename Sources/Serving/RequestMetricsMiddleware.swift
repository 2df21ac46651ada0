import Hummingbird

/// Counts every request and times it, by method, route pattern and status; thrown errors count
/// with the status they will be answered with.
public struct RequestMetricsMiddleware: RouterMiddleware {
    public typealias Context = ServingRequestContext
    let metrics: ServiceMetrics

    public init(metrics: ServiceMetrics) { self.metrics = metrics }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            record(method, context, response.status.code, start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? (Self.isClientGone(error) ? Self.clientClosedRequest : 500)
            record(method, context, status, start)
            throw error
        }
    }

    /// nginx's status for a request whose client went away before the answer (not a server error).
    static let clientClosedRequest = 499

    /// Whether `error` is the connection failing under the request (the client closed it
    /// mid-body): errors of SwiftNIO's channel and HTTP parsing, not of the service's code,
    /// whose failures are HTTPErrors or its own error types. Counted as 499, not 500, so a
    /// client hanging up does not page anyone as a server error.
    static func isClientGone(_ error: any Error) -> Bool {
        let type = String(reflecting: Swift.type(of: error))
        return type.hasPrefix("NIOCore.") || type.hasPrefix("NIOHTTP1.") || type.hasPrefix("NIOPosix.")
    }

    private func record(_ method: String, _ context: Context, _ status: Int, _ start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.recordRequest(method: method, route: context.endpointPath ?? "unmatched", status: status, seconds: seconds)
    }
}
