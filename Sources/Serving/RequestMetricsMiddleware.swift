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
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(method, context, status, start)
            throw error
        }
    }

    private func record(_ method: String, _ context: Context, _ status: Int, _ start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.recordRequest(method: method, route: context.endpointPath ?? "unmatched", status: status, seconds: seconds)
    }
}
