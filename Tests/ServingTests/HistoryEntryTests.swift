import Datasets
import Foundation
import Hummingbird
import HummingbirdTesting
import Models
import Runs
import Serving
import Testing
import Training

/// `/v1/predict` history entries that say what the user did and when, for a model trained
/// `--features event,time-gap`.
@Suite(.serialized) struct HistoryEntryTests {
    /// A tiny SASRec reading event types, time gaps and categories, trained on a funnel log.
    static func fixture() async throws -> ServingFixture {
        let directory = NSTemporaryDirectory() + "serving-features-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var parameters = FunnelGenerator.Parameters()
        parameters.users = 120
        parameters.items = 40
        parameters.categories = 4
        let generator = FunnelGenerator(parameters: parameters)
        try FunnelGenerator.csv(generator.generate(), itemCategory: generator.itemCategory).write(toFile: directory + "/shop.csv", atomically: true, encoding: .utf8)
        var preparer = Preparer()
        preparer.force = true
        preparer.read.event = ColumnSpec("event")
        preparer.attributes = [try ItemAttributeSpec(parsing: "category")]
        _ = try preparer.run(inputs: [directory + "/shop.csv"], output: directory + "/data")
        let dataset = try Dataset(directory: directory + "/data")
        var options = TrainingOptions()
        options.epochs = 1
        options.batchSize = 32
        options.maxLength = 16
        var configuration = RunConfiguration(model: SASRec.Configuration(vocabulary: dataset.itemCount + 1, maxLength: 16, hiddenSize: 8, blocks: 1),
                                             training: options, dataset: dataset)
        configuration.features = try InputFeatures.resolve(["event", "time-gap", "category"], dataset: dataset)
        let run = RunDirectory(path: directory + "/run")
        try run.create()
        try run.writeConfiguration(configuration)
        let network = try ModelLoader.makeModel(configuration, seed: 3).model
        try ModelLoader.attachFeatures(network, dataset: dataset)
        func train<Model: TrainableModel>(_ model: Model) throws {
            _ = try Trainer(model: model, dataset: dataset, split: DatasetSplit.leaveOneOut(dataset), options: options, run: run).train()
        }
        try train(network)
        let database = directory + "/history.sqlite"
        let store = try SQLiteStore(path: database)
        let (key, record) = APIKeys.make(name: "tests")
        try await store.insertKey(record)
        try await store.close()
        return ServingFixture(directory: directory, run: run.path, database: database, key: key,
                              knownItems: Array(try dataset.itemTable().originals.prefix(3)))
    }

    @Test func entriesMayCarryEventTypesAndTimesAndBadOnesAreReported() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let (a, b) = (fixture.knownItems[0], fixture.knownItems[1])
        try await RouteTests.withApp(fixture) { client, _ in
            func predict(_ history: [Any]) async throws -> (HTTPResponse.Status, [String: Any]) {
                try await client.execute(uri: "/v1/predict", method: .post, headers: RouteTests.auth(fixture.key),
                                         body: RouteTests.json(["history": history, "k": 5])) { ($0.status, RouteTests.object($0)) }
            }
            let plain = try await predict([a, b])
            let described = try await predict([["item": a, "event": "view", "ts": "2026-11-28T10:00:00Z"],
                                               ["item": b, "event": "cart", "ts": 1_795_860_060]])
            #expect(plain.0 == .ok && described.0 == .ok)
            let scores = { (answer: [String: Any]) in (answer["items"] as? [[String: Any]])?.compactMap { $0["score"] as? Double } ?? [] }
            // Different inputs move scores by far more than float noise (1e-3).
            let moved = { (a: [Double], b: [Double]) in zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
            #expect(scores(plain.1).count == 5 && moved(scores(plain.1), scores(described.1)) > 1e-3, "the event types and times reach the model")
            // Entries may mix plain ids and objects.
            #expect(try await predict([a, ["item": b, "event": "buy"]]).0 == .ok)

            // An event type the data does not have reads as unknown and is reported, as an unknown item is.
            let unknownType = try await predict([a, ["item": b, "event": "refund"]])
            #expect(unknownType.0 == .ok)
            #expect(unknownType.1["unknown_events"] as? [String] == ["refund"])
            #expect(plain.1["unknown_events"] == nil)
            // Stored histories keep event types too: two users with the same items, one with types.
            for (user, types) in [("typed", ["view", "cart"]), ("untyped", [nil, nil])] as [(String, [String?])] {
                let events: [[String: Any]] = zip([a, b], types).enumerated().map { index, pair in
                    var event: [String: Any] = ["item": pair.0, "timestamp": 1_795_860_000 + index * 60]
                    if let type = pair.1 { event["event"] = type }
                    return event
                }
                try await client.execute(uri: "/v1/users/\(user)/events", method: .post, headers: RouteTests.auth(fixture.key),
                                         body: RouteTests.json(["events": events])) { #expect($0.status == .ok) }
            }
            func recommended(_ user: String) async throws -> [Double] {
                try await client.execute(uri: "/v1/users/\(user)/recommendations?k=5", method: .get, headers: RouteTests.auth(fixture.key)) {
                    scores((RouteTests.object($0)["prediction"] as? [String: Any]) ?? [:])
                }
            }
            let typedScores = try await recommended("typed"), untypedScores = try await recommended("untyped")
            #expect(typedScores.count == 5 && moved(typedScores, untypedScores) > 1e-3, "stored event types reach the model")
            #expect(try await predict([["item": a, "ts": "yesterday-ish"]]).0 == .badRequest)
            #expect(try await predict([["item": a, "price": 3]]).0 == .badRequest)
            #expect(try await predict([["event": "view"]]).0 == .badRequest)
        }
    }
}
