import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Swaps in a new model when the run directory gets a new best checkpoint (polled), or when the
/// process receives SIGHUP. A failed load keeps the current model serving and is logged.
public struct ModelWatcher: Service {
    let service: PredictionService
    /// How often the checkpoint is checked; nil: only SIGHUP.
    let interval: Duration?
    let logger: Logger

    public init(service: PredictionService, interval: Duration? = .seconds(2), logger: Logger) {
        self.service = service
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        // Graceful shutdown cancels this task; a cancelled sleep then throws CancellationError.
        // That is how the watcher is meant to stop, not a failure: if it escaped, the service
        // group would report it and `serve` would exit 1 after a clean SIGTERM (a race with the
        // SIGHUP loop ending first, seen 1 time in 15).
        do {
            try await watch(signals)
        } catch is CancellationError {
        }
    }

    private func watch(_ signals: UnixSignalsSequence) async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals { await reload(because: "SIGHUP") }
                }
                if let interval {
                    group.addTask {
                        // Compared with the served model's own checkpoint time (not the file's when
                        // polling began), so a checkpoint written, or a run directory's link moved,
                        // before the first poll is still noticed. One that failed to load is not retried.
                        var failed: Date?
                        while !Task.isCancelled {
                            try await Task.sleep(for: interval)
                            let stamp = service.models.checkpointStamp()
                            if let stamp, stamp != service.models.current.checkpointStamp, stamp != failed {
                                if !(await reload(because: "a new checkpoint in \(service.models.runPath)")) { failed = stamp }
                            }
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Reloads the model; false (logged) when the load failed and the previous model still serves.
    @discardableResult
    func reload(because reason: String) async -> Bool {
        do {
            let (previous, current) = try await service.reloadModel()
            logger.info("model reloaded", metadata: ["reason": "\(reason)", "previous": "\(previous.id)", "model": "\(current.id)"])
            return true
        } catch {
            logger.error("reload failed; still serving the previous model", metadata: ["reason": "\(reason)", "error": "\(error)"])
            return false
        }
    }
}
