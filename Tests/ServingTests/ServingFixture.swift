import Datasets
import Foundation
import Models
import Serving
import Training
import Runs

/// A small trained run to serve: a generated dataset with titles ("Item N"), a tiny SASRec
/// trained for two epochs, and an SQLite history store holding one API key.
struct ServingFixture {
    let directory: String
    let run: String
    let database: String
    /// An active API key.
    let key: String
    /// Original ids of a few items the model knows.
    let knownItems: [String]

    static func make(model: String = "sasrec") async throws -> ServingFixture {
        let directory = NSTemporaryDirectory() + "serving-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var parameters = SyntheticGenerator.Parameters()
        parameters.users = 200
        parameters.items = 40
        parameters.medianLength = 20
        parameters.minLength = 8
        parameters.maxLength = 40
        let histories = SyntheticGenerator(parameters: parameters).generate()
        let titles = (0...parameters.items).map { "\($0)::Item \($0) (2000)::Drama" }.joined(separator: "\n")
        try titles.write(toFile: directory + "/movies.dat", atomically: true, encoding: .utf8)
        var preparer = Preparer()
        preparer.force = true
        preparer.itemMeta = directory + "/movies.dat"
        _ = try preparer.write(SyntheticGenerator.eventLog(histories), output: directory + "/data")
        let dataset = try Dataset(directory: directory + "/data")

        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 32
        options.maxLength = 16
        options.learningRate = 1e-2
        let settings: any ModelFamily
        switch model {
        case "lstm":
            settings = LSTMRecommender.Configuration(vocabulary: dataset.itemCount + 1, embeddingSize: 8, hiddenSize: 16, layers: 2)
        case "gru4rec":
            settings = GRU4Rec.Configuration(vocabulary: dataset.itemCount + 1, embeddingSize: 8, hiddenSize: 16, layers: 1)
        default:
            settings = SASRec.Configuration(vocabulary: dataset.itemCount + 1, maxLength: 16, hiddenSize: 16, blocks: 1)
        }
        let configuration = RunConfiguration(model: settings, training: options, dataset: dataset)
        let run = RunDirectory(path: directory + "/run")
        try run.create()
        try run.writeConfiguration(configuration)
        let network = try ModelLoader.makeModel(configuration, seed: 3).model
        try Self.train(network, dataset: dataset, options: options, run: run)

        let database = directory + "/history.sqlite"
        let store = try SQLiteStore(path: database)
        let (key, record) = APIKeys.make(name: "tests")
        try await store.insertKey(record)
        try await store.close()
        let known = Array(try dataset.itemTable().originals.prefix(5))
        return ServingFixture(directory: directory, run: run.path, database: database, key: key, knownItems: known)
    }

    private static func train<Model: TrainableModel>(_ model: Model, dataset: Dataset, options: TrainingOptions, run: RunDirectory) throws {
        _ = try Trainer(model: model, dataset: dataset, split: DatasetSplit.leaveOneOut(dataset), options: options, run: run).train()
    }

    /// A server configuration for this fixture (keys required, no checkpoint polling).
    func configuration(requireKeys: Bool = true) -> ServerConfiguration {
        var configuration = ServerConfiguration(run: run)
        configuration.database = database
        configuration.requireKeys = requireKeys
        configuration.watchInterval = nil
        configuration.port = 0
        return configuration
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Whether two rankings agree up to rounding. A coalesced batch is one matrix product and a lone
/// request another (gemm vs gemv, or other kernels on another CPU), so their sums round differently: scores agree to a
/// relative 1e-5 (fp32 dot products of a few dozen terms err by ~1e-7 relative), and items
/// must be the same except where two scores are that close (a rounding tie may swap them).
func sameRanking(_ a: [RecommendedItem], _ b: [RecommendedItem], tolerance: Double = 1e-5) -> Bool {
    guard a.count == b.count else { return false }
    func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= tolerance * max(1, abs(x), abs(y)) }
    for i in a.indices {
        guard close(a[i].score, b[i].score) else { return false }
        // Another item at the same place only where rounding can reorder: a near-tie with a
        // neighbour, or the last place (a tie with the item just below the cut).
        let tiedWithNeighbour = [i - 1, i + 1].contains { b.indices.contains($0) && close(b[$0].score, b[i].score) }
        if a[i].item != b[i].item, !tiedWithNeighbour, i != a.count - 1 { return false }
    }
    return true
}
