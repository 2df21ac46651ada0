import ArgumentParser
import Datasets
import Engine
import Foundation
import Logging
import Serving
import Training
import Runs

/// `trajectory serve`: the prediction service over HTTP.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a trained run over HTTP: predictions, user histories, a web page and Prometheus metrics.",
        discussion: """
        Routes (docs/openapi.yaml has them all):
          POST /v1/predict                      {"history": ["1193", "661"], "k": 10, "exclude_seen": true}
          POST /v1/predict/batch                {"requests": [ … up to 256 … ]}
          POST /v1/users/{id}/events            {"events": [{"item": "1193", "timestamp": 978300760}]}
          GET  /v1/users/{id}/recommendations?k=10&exclude_seen=true
          GET  /v1/model, /v1/items?q=matrix, /v1/stats
          POST /admin/reload                    (also: SIGHUP, or a new best checkpoint in RUN)
          GET  /  /healthz  /readyz  /metrics  /openapi.yaml   (no key needed)

        /v1 and /admin need `Authorization: Bearer <key>`; make keys with `trajectory keys create`.
        Histories longer than the model's max length are cut to their most recent items.
        Concurrent predictions are coalesced into one forward pass (--max-batch, --max-wait-ms):
        those that arrive while a pass runs share the next one.
        SIGTERM or Ctrl-C finish the requests in flight, then stop.

        Examples:
          trajectory keys create --run runs/sasrec --name web
          trajectory serve runs/sasrec --port 8080
          trajectory serve runs/sasrec --db postgres://trajectory:secret@db:5432/trajectory --host 0.0.0.0
          trajectory serve runs/sasrec --no-auth          # loopback only
        """
    )

    @Argument(help: "The run directory to serve (its best checkpoint).")
    var run: String

    @Option(help: "Address to bind. Use 0.0.0.0 to accept connections from other machines.")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "History store: an SQLite file path or a postgres://user:password@host:port/database URL. Default: RUN/history.sqlite.")
    var db: String?

    @Flag(help: "Serve /v1 and /admin without API keys (refused unless --host is loopback).")
    var noAuth = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Most predictions coalesced into one forward pass (default: measured at load).",
                               discussion: "By default the model's pass is timed at load for batches of 1 to 64 of users' own histories, and the cap is where the cost per history stops falling (grown while a pass stays under 1 ms): larger batches only lengthen the wait of requests that arrive during a pass."))
    var maxBatch: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest a prediction waits for its batch to fill, in milliseconds (only under load).",
                               discussion: "0 (default): predictions that arrive during a forward pass join the next one, which measured fastest on CPU; a wait pays off only where a pass has a large fixed cost."))
    var maxWaitMs = 0.0

    @Option(parsing: .unconditional, help: "Seconds between checks of RUN for a new best checkpoint (0: never; SIGHUP and /admin/reload still work).")
    var watchSeconds = 2.0

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(parsing: .unconditional, help: "Threads for the model's forward pass (default: half the cores; the rest serve HTTP).")
    var threads: Int?

    @OptionGroup var placement: DeviceOption

    func validate() throws {
        if !(maxWaitMs.isFinite && (0...10_000).contains(maxWaitMs)) { throw ValidationError("--max-wait-ms must be between 0 and 10000, got \(maxWaitMs)") }
        if !(watchSeconds.isFinite && (0...86_400).contains(watchSeconds)) { throw ValidationError("--watch-seconds must be between 0 and 86400, got \(watchSeconds)") }
        if watchSeconds > 0 && watchSeconds < 0.01 { throw ValidationError("--watch-seconds must be 0 (off) or at least 0.01, got \(watchSeconds)") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
        var configuration = ServerConfiguration(run: run)
        configuration.host = host
        configuration.port = port
        configuration.database = db
        configuration.requireKeys = !noAuth
        configuration.maxBatch = maxBatch
        configuration.maxWait = .microseconds(Int64(maxWaitMs * 1000))
        configuration.watchInterval = watchSeconds > 0 ? .milliseconds(Int64(watchSeconds * 1000)) : nil
        configuration.logLevel = level
        if placement.device != .cpu {
            let device = placement.device
            configuration.placeModel = { _ = try device.attach($0) }
        }
        BLAS.setThreads(threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / 2))
        var logger = Logger(label: "trajectory.serve")
        logger.logLevel = level
        try await reportingErrors { try await TrajectoryServer.run(configuration, logger: logger) }
    }
}
