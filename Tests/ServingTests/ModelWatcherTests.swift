import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Testing
@testable import Serving

/// Hot swap without a request: a new best checkpoint in the run directory, or SIGHUP.
@Suite(.serialized) struct ModelWatcherTests {
    @Test func newBestCheckpointIsSwappedIn() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        var configuration = fixture.configuration()
        configuration.watchInterval = .milliseconds(50)
        let parts = try await TrajectoryServer.makeParts(configuration)
        let service = parts.service
        let before = service.models.current
        let watcher = Task {
            try await ModelWatcher(service: service, interval: .milliseconds(50), logger: Logger(label: "test")).run()
        }
        try await Task.sleep(for: .milliseconds(200))
        // A trainer writes a new best checkpoint atomically (temp file + rename).
        let best = fixture.run + "/best.safetensors"
        try FileManager.default.copyItem(atPath: fixture.run + "/model.safetensors", toPath: best + ".tmp")
        _ = rename(best + ".tmp", best)
        for _ in 0..<100 where service.models.current === before { try await Task.sleep(for: .milliseconds(50)) }
        #expect(service.models.current !== before, "the watcher loaded the new checkpoint")
        #expect(service.metrics.render().contains("trajectory_model_reloads_total 1"))
        watcher.cancel()
        _ = await watcher.result
        try await service.close()
    }

    @Test func sighupReloadsTheServer() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let client = HTTPClient.shared
        let port = try LiveServerTests.freePort()
        let server = try await LiveServerTests.startServer(fixture, port: port, client: client)
        defer { server.terminate(); server.waitUntilExit() }
        kill(server.processIdentifier, SIGHUP)
        var reloaded = false
        for _ in 0..<100 where !reloaded {
            try await Task.sleep(for: .milliseconds(50))
            let response = try await client.get(url: "http://127.0.0.1:\(port)/metrics").get()
            reloaded = String(buffer: response.body ?? ByteBuffer()).contains("trajectory_model_reloads_total 1")
        }
        #expect(reloaded)
        #expect(server.isRunning, "SIGHUP reloads; it does not stop the server")
    }
}
