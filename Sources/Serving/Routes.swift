import Core
import Datasets
import Foundation
import Hummingbird

/// The routes of the API (docs/api.md). Open: /, /healthz, /readyz, /metrics, /openapi.yaml.
/// Behind API keys (unless the server runs with --no-auth on loopback): /v1/…, /admin/….
public enum Routes {
    public static func router(service: PredictionService, keys: APIKeyRing?) -> Router<ServingRequestContext> {
        let router = Router(context: ServingRequestContext.self)
        // One structured log line per request at debug level (`serve --log-level debug`); keys never logged.
        router.add(middleware: LogRequestsMiddleware(.debug, redactHeaders: [.authorization]))
        router.add(middleware: RequestMetricsMiddleware(metrics: service.metrics))
        router.add(middleware: HeadAndSecurityHeadersMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(routes: table))

        router.getAndHead("/") { _, _ in html(WebPage.html) }
        router.getAndHead("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        router.getAndHead("/healthz") { _, _ in HealthResponse(status: "ok", model: service.models.current.card.id) }
        router.getAndHead("/readyz") { _, _ -> HealthResponse in
            do {
                _ = try await service.store.recentItems(user: "", limit: 1)
            } catch {
                throw HTTPError(.serviceUnavailable, message: "history store unavailable")
            }
            // Reads can pass while writes fail (an SQLite write lock held elsewhere).
            if service.storeRecentlyFailed {
                throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "1"], message: "history store calls failed in the last seconds")
            }
            return HealthResponse(status: "ready", model: service.models.current.card.id)
        }
        router.getAndHead("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: service.metrics.render())))
        }

        let v1 = router.group("v1")
        let admin = router.group("admin")
        if let keys {
            v1.add(middleware: APIKeyAuthMiddleware(keys: keys))
            admin.add(middleware: APIKeyAuthMiddleware(keys: keys))
        }
        v1.post("predict") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            if let fast = body.withUnsafeReadableBytes({ PredictRequestScanner.scan($0) }) {
                return try await service.predict(fast)
            }
            return try await service.predict(request.decode(as: PredictRequest.self, context: context))
        }
        v1.post("predict/batch") { request, context in
            try await service.predict(batch: request.decode(as: BatchPredictRequest.self, context: context))
        }
        v1.post("users/{id}/events") { request, context in
            let user = try PredictionService.userId(fromPath: context.parameters.require("id"))
            return try await service.record(user: user, events: request.decode(as: UserEventsRequest.self, context: context))
        }
        v1.getAndHead("users/{id}/recommendations") { request, context in
            let user = try PredictionService.userId(fromPath: context.parameters.require("id"))
            let k = try integer(request, "k") ?? 10
            let excludeSeen = try boolean(request, "exclude_seen") ?? false
            return try await service.recommendations(user: user, k: k, excludeSeen: excludeSeen)
        }
        v1.getAndHead("model") { _, _ in service.models.current.card }
        v1.getAndHead("items") { request, _ in
            let limit = try integer(request, "limit") ?? 20
            guard (1...200).contains(limit) else { throw HTTPError(.badRequest, message: "limit must be between 1 and 200, got \(limit)") }
            return ItemSearchResponse(items: service.models.current.search(request.uri.queryParameters["q"].map(String.init) ?? "", limit: limit))
        }
        v1.getAndHead("stats") { _, _ in
            let totals = service.metrics.totalsSnapshot
            return StatsResponse(requests: totals.requests, errors: totals.errors, predictions: totals.predictions,
                                 queued: service.batcher.queued, uptimeSeconds: Date().timeIntervalSince(service.started),
                                 residentBytes: MemoryUsage.residentBytes()?.current ?? 0)
        }
        admin.post("reload") { _, _ -> ReloadResponse in
            do {
                let (previous, current) = try await service.reloadModel()
                return ReloadResponse(previous: previous.id, model: current.id, reloaded: previous.id != current.id)
            } catch {
                throw HTTPError(.internalServerError, message: "reload failed, still serving \(service.models.current.card.id): \(error)")
            }
        }
        return router
    }

    /// Every route and its methods (for 405 answers); the handlers below must match it.
    static let table: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/", [.get]), ("/openapi.yaml", [.get]), ("/healthz", [.get]), ("/readyz", [.get]), ("/metrics", [.get]),
        ("/v1/predict", [.post]), ("/v1/predict/batch", [.post]), ("/v1/users/{id}/events", [.post]),
        ("/v1/users/{id}/recommendations", [.get]), ("/v1/model", [.get]), ("/v1/items", [.get]), ("/v1/stats", [.get]),
        ("/admin/reload", [.post]),
    ]

    private static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// An integer query parameter, or nil when absent; 400 when it is not an integer.
    private static func integer(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int(text) else { throw HTTPError(.badRequest, message: "query parameter \(name) must be an integer, got '\(text)'") }
        return value
    }

    /// A boolean query parameter (true/false/1/0), or nil when absent.
    private static func boolean(_ request: Request, _ name: String) throws -> Bool? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw HTTPError(.badRequest, message: "query parameter \(name) must be true or false, got '\(text)'")
        }
    }
}
