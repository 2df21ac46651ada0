import Foundation
import Hummingbird
import Logging
import Models
import ServiceLifecycle

/// How `trajectory serve` runs.
public struct ServerConfiguration: Sendable {
    /// The run directory whose best checkpoint is served.
    public var run: String
    public var host = "127.0.0.1"
    public var port = 8080
    /// SQLite path or postgres:// URL; defaults to `history.sqlite` in the run directory.
    public var database: String?
    /// Require API keys on /v1 and /admin (only loopback servers may turn this off).
    public var requireKeys = true
    /// Most predictions per forward pass; nil: measured per model at load (`BatchCurve`).
    public var maxBatch: Int?
    /// Longest a request waits for its batch to fill (under load only); 0: requests that arrive
    /// during a forward pass simply join the next one, which measured best on CPU (bench/serve-results.md).
    public var maxWait: Duration = .zero
    /// How often the run directory is checked for a new best checkpoint; nil: never.
    public var watchInterval: Duration? = .seconds(2)
    public var logLevel: Logger.Level = .info
    /// Puts each loaded model on its device (`--device`); nil: the CPU.
    public var placeModel: (@Sendable (any TrainableModel) throws -> Void)?

    public init(run: String) { self.run = run }

    /// The SQLite file or PostgreSQL URL the history store uses.
    public var resolvedDatabase: String { database ?? run + "/history.sqlite" }

    /// Refuses an open (keyless) server on anything but loopback.
    public func validate() throws {
        if !requireKeys && !Self.isLoopback(host) {
            throw ServingError.configuration("--no-auth is only allowed when the server binds to loopback (127.0.0.1, ::1 or localhost), not \(host)")
        }
        guard (0...65535).contains(port) else { throw ServingError.configuration("--port must be 0…65535, got \(port)") }
        guard (maxBatch ?? 1) >= 1 else { throw ServingError.configuration("--max-batch must be at least 1") }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// Builds the service: model, history store, batcher, keys, router and application.
public enum TrajectoryServer {
    /// Everything a running server holds, so tests and `serve` can build it the same way.
    public struct Parts {
        public var service: PredictionService
        public var keys: APIKeyRing?
        public var router: Router<ServingRequestContext>
    }

    /// Loads the model, opens the store and wires the routes.
    public static func makeParts(_ configuration: ServerConfiguration) async throws -> Parts {
        try configuration.validate()
        let metrics = ServiceMetrics()
        let models = try ModelHolder(run: configuration.run, placeModel: configuration.placeModel,
                                     measuresBatchCurve: configuration.maxBatch == nil)
        let store = try await HistoryStores.open(configuration.resolvedDatabase)
        let batcher = PredictionBatcher(maxBatch: configuration.maxBatch, maxWait: configuration.maxWait) { metrics.recordBatch($0) }
        let service = PredictionService(models: models, store: store, batcher: batcher, metrics: metrics)
        metrics.recordModel(models.current.card, reload: false)
        metrics.recordBatchCap(batcher.cap(for: models.current))
        let keys = configuration.requireKeys ? APIKeyRing(store: store) : nil
        try await keys?.refresh()
        return Parts(service: service, keys: keys, router: Routes.router(service: service, keys: keys))
    }

    /// The Hummingbird application for `parts`, with the checkpoint watcher as a service.
    public static func makeApplication(_ parts: Parts, configuration: ServerConfiguration, logger: Logger,
                                       onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        // Always watching SIGHUP; polling the run directory only with a watch interval.
        let services: [any Service] = [ModelWatcher(service: parts.service, interval: configuration.watchInterval, logger: logger)]
        return Application(
            router: parts.router,
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "trajectory"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    /// Runs until SIGTERM or SIGINT, then finishes the requests in flight and closes the store.
    public static func run(_ configuration: ServerConfiguration, logger: Logger) async throws {
        let parts = try await makeParts(configuration)
        let card = parts.service.models.current.card
        let batchCap = "\(parts.service.batcher.cap(for: parts.service.models.current))" + (configuration.maxBatch == nil ? " (measured at load)" : " (--max-batch)")
        let app = makeApplication(parts, configuration: configuration, logger: logger) { port in
            logger.info("serving", metadata: ["model": "\(card.id)",
                                              "max_batch": "\(batchCap)",
                                              "address": "http://\(configuration.host):\(port)",
                                              "store": "\(PostgresStore.redacted(configuration.resolvedDatabase))",
                                              "auth": "\(configuration.requireKeys ? "api keys" : "off")"])
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        try await parts.service.close()
    }
}
