import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Testing
import Datasets
import Models
import Training
import Runs
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

    /// The watcher compares with the served model's checkpoint, so a checkpoint written between
    /// the server's load and the watcher's first poll is not missed.
    @Test func aCheckpointWrittenBeforeTheWatcherStartsIsSwappedIn() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let parts = try await TrajectoryServer.makeParts(fixture.configuration())
        let service = parts.service
        let before = service.models.current
        let best = fixture.run + "/best.safetensors"
        try FileManager.default.copyItem(atPath: fixture.run + "/model.safetensors", toPath: best + ".tmp")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: best + ".tmp")
        _ = rename(best + ".tmp", best)
        let watcher = Task {
            try await ModelWatcher(service: service, interval: .milliseconds(50), logger: Logger(label: "test")).run()
        }
        for _ in 0..<100 where service.models.current === before { try await Task.sleep(for: .milliseconds(50)) }
        #expect(service.models.current !== before)
        // Once loaded, the same checkpoint is not loaded again.
        let loaded = service.models.current
        try await Task.sleep(for: .milliseconds(300))
        #expect(service.models.current === loaded)
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

    /// The daily update loop's last step: `runs/current` is a symlink, a warm-started run with
    /// new items replaces its target, and the watcher serves the new model and its new items.
    @Test func aWarmStartedRunSwappedInThroughASymlinkServesItsNewItems() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let current = fixture.directory + "/current"
        try FileManager.default.createSymbolicLink(atPath: current, withDestinationPath: fixture.run)
        var configuration = fixture.configuration()
        configuration.run = current
        let parts = try await TrajectoryServer.makeParts(configuration)
        let service = parts.service
        let before = service.models.current
        #expect(before.resolve(["new-1"]).unknown == ["new-1"])
        let watcher = Task {
            try await ModelWatcher(service: service, interval: .milliseconds(50), logger: Logger(label: "test")).run()
        }

        // A newer log with three new items, prepared like the served dataset; one warm-started epoch.
        let parentData = try Dataset(directory: fixture.directory + "/data")
        let originals = try parentData.itemTable().originals
        var log = ""
        for s in 0..<parentData.sequenceCount {
            for item in parentData.sequence(s) { log += "u\(s) \(originals[Int(item) - 1])\n" }
            log += "u\(s) new-\(s % 3)\nu\(s) new-\((s + 1) % 3)\n"
        }
        try log.write(toFile: fixture.directory + "/newer.txt", atomically: true, encoding: .utf8)
        var preparer = Preparer()
        preparer.like = fixture.directory + "/data"
        _ = try preparer.run(inputs: [fixture.directory + "/newer.txt"], output: fixture.directory + "/data-2")
        let child = try Dataset(directory: fixture.directory + "/data-2")
        let warmStart = try WarmStart(run: fixture.run, dataset: child)
        var options = try RunDirectory(path: fixture.run).readConfiguration().training
        options.epochs = 1
        let newConfiguration = try warmStart.configuration(training: options, dataset: child)
        let run = RunDirectory(path: fixture.directory + "/run-2")
        try run.create()
        try run.writeConfiguration(newConfiguration)
        let (model, optimizer) = try warmStart.makeModel(newConfiguration, seed: 1)
        try Self.train(model, dataset: child, options: options, run: run, optimizer: optimizer)

        // ln -sfn: a new link renamed over the old one.
        try FileManager.default.createSymbolicLink(atPath: current + ".new", withDestinationPath: run.path)
        #expect(rename(current + ".new", current) == 0)
        for _ in 0..<100 where service.models.current === before { try await Task.sleep(for: .milliseconds(50)) }
        let after = service.models.current
        #expect(after !== before, "the watcher loaded the new run")
        #expect(after.card.dataset.items == parentData.itemCount + 3)
        #expect(after.resolve(["new-1", originals[0]]).unknown.isEmpty)
        #expect(after.resolve([originals[0]]).ids == before.resolve([originals[0]]).ids, "known items keep their ids")
        watcher.cancel()
        _ = await watcher.result
        try await service.close()
    }

    private static func train<Model: TrainableModel>(_ model: Model, dataset: Dataset, options: TrainingOptions, run: RunDirectory,
                                                     optimizer: OptimizerState?) throws {
        let trainer = Trainer(model: model, dataset: dataset, split: DatasetSplit.leaveOneOut(dataset), options: options, run: run)
        if let optimizer { trainer.startOptimizer(optimizer) }
        _ = try trainer.train()
    }
}
