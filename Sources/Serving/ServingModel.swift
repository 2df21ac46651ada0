import Datasets
import Foundation
import Models
import Runs

/// A trained model ready to answer predictions: the network, its item vocabulary (original ids
/// and titles), the popularity ranking used for empty histories, and what the model card shows.
///
/// Lookups (`resolve`, `items`) are read-only and safe from any thread; `rank` runs the network
/// and must only be called from one thread at a time (the `PredictionBatcher`'s worker).
public final class ServingModel: @unchecked Sendable {
    /// What `GET /v1/model` reports.
    public let card: ModelCard
    /// The modification time of the checkpoint file when it was loaded (what the watcher compares).
    public let checkpointStamp: Date?
    /// Most recent history items the network sees; longer histories are cut to their tail.
    public var maxLength: Int { ranker.maxLength }
    /// Items + 1 (id 0 is padding).
    public var vocabulary: Int { ranker.scorer.vocabulary }
    /// Original item id and title per internal id (index id - 1).
    public let originals: [String]
    public let titles: [String]
    /// Internal ids by original id.
    private let idByOriginal: [String: Int32]
    /// Internal ids, most popular first (the answer to an empty history).
    private let popularOrder: [Int32]
    private let popularityCounts: [Float]
    private let ranker: Ranker
    /// The model's dataset's event type names (id t names `eventTypes[t - 1]`).
    private let eventTypes: [String]
    /// The cost of a forward pass by batch size, measured at load on users' own histories.
    public let batchCurve: BatchCurve
    /// Family, settings, vocabulary and window: what the batch curve depends on besides the host.
    private let networkShape: String
    /// Whether the network was put on a device (`--device`).
    private let placed: Bool
    /// The batch cap the curve implies (`BatchCurve.preferredBatch`), used unless `--max-batch` is given.
    public let preferredBatch: Int

    /// Loads the best checkpoint of the run directory at `runPath`.
    /// `placeModel` puts the network on its device (`--device`) before it serves.
    /// `previous` (a reload's outgoing model) lends its batch curve when the network has the same
    /// shape: a curve measured while the server is under load would say more about the load.
    /// `measuresBatchCurve: false` skips the timing (a fixed `--max-batch` makes it unused): the
    /// curve is then empty and `preferredBatch` 1.
    public init(run runPath: String, weights: ModelLoader.Weights = .best, placeModel: ((any TrainableModel) throws -> Void)? = nil,
                previous: ServingModel? = nil, measuresBatchCurve: Bool = true) throws {
        let run = RunDirectory(path: runPath)
        let checkpoint = run.checkpointPath(weights)
        // Read before the weights: a checkpoint replaced during the load then looks new to the watcher.
        let stamp = try? FileManager.default.attributesOfItem(atPath: checkpoint)[.modificationDate] as? Date
        checkpointStamp = stamp
        let (network, dataset, configuration, vocabulary) = try ModelLoader.loadWithVocabulary(run: runPath, weights: weights)
        try placeModel?(network)
        let summary = try? RunSummary(run: runPath)
        let modified = stamp ?? Date()
        let (originals, titles) = (vocabulary.originals, vocabulary.titles)
        let counts = dataset.itemEventCounts().map(Float.init)
        ranker = Ranker(scorer: network, maxLength: configuration.training.maxLength)
        eventTypes = dataset.eventTypes
        let shape = "\(configuration.model) \(summary?.modelSettings ?? "") \(network.vocabulary) \(configuration.training.maxLength)"
        networkShape = shape
        if !measuresBatchCurve {
            batchCurve = BatchCurve(points: [])
        } else if let previous, previous.networkShape == shape, previous.placed == (placeModel != nil), !previous.batchCurve.points.isEmpty {
            batchCurve = previous.batchCurve
        } else {
            // The most recent items of 64 users spread over the data: what requests look like.
            let users = dataset.sequenceCount
            let samples = (0..<min(64, users)).map { dataset.sequence($0 * users / min(64, users)).suffix(configuration.training.maxLength).map { Int32($0) } }
                .filter { !$0.isEmpty }
            batchCurve = samples.isEmpty ? BatchCurve(points: []) : BatchCurve.measure(ranker: ranker, histories: samples)
        }
        placed = placeModel != nil
        preferredBatch = batchCurve.preferredBatch()
        self.originals = originals
        self.titles = titles
        var idByOriginal: [String: Int32] = [:]
        idByOriginal.reserveCapacity(originals.count)
        for (index, original) in originals.enumerated() { idByOriginal[original] = Int32(index + 1) }
        self.idByOriginal = idByOriginal
        popularityCounts = counts
        popularOrder = (1..<counts.count).sorted { counts[$0] > counts[$1] || (counts[$0] == counts[$1] && $0 < $1) }.map { Int32($0) }
        card = ModelCard(
            id: "\(configuration.model)-\(Int64(modified.timeIntervalSince1970 * 1000))",
            kind: configuration.model,
            run: runPath,
            checkpoint: checkpoint,
            checkpointModified: ISO8601DateFormatter().string(from: modified),
            loadedAt: ISO8601DateFormatter().string(from: Date()),
            settings: summary?.modelSettings ?? "",
            training: summary?.trainingSettings ?? "",
            trainedEpochs: summary?.epochs ?? 0,
            bestEpoch: summary?.bestEpoch ?? 0,
            trainingSeconds: summary?.trainingSeconds ?? 0,
            validation: summary?.bestValidation,
            dataset: .init(path: configuration.dataset.path, users: configuration.dataset.users,
                           items: configuration.dataset.items, events: configuration.dataset.events),
            maxLength: configuration.training.maxLength,
            created: configuration.created
        )
    }

    /// Internal ids of the known items of `history` (original ids, oldest first), and the unknown ones.
    public func resolve(_ history: [String]) -> (ids: [Int32], unknown: [String]) {
        var ids: [Int32] = [], unknown: [String] = []
        ids.reserveCapacity(history.count)
        for original in history {
            if let id = idByOriginal[original] { ids.append(id) } else { unknown.append(original) }
        }
        return (ids, unknown)
    }

    /// The event type ids and times of the known items of `history` (aligned with `resolve`'s
    /// ids), for a model that reads them; nil where none were given. An event type the model's
    /// data does not have reads as unknown and is reported, as an unknown item id is.
    public func resolveFeatures(history: [String], events: [String?]?, times: [Int64?]?)
        -> (events: [UInt8]?, times: [Int64]?, unknownEvents: [String]) {
        guard events != nil || times != nil else { return (nil, nil, []) }
        var eventIds: [UInt8] = [], known: [Int64] = [], unknownEvents: [String] = []
        var timeKnown = true
        for (index, original) in history.enumerated() where idByOriginal[original] != nil {
            if let name = events?[index] {
                if let type = eventTypes.firstIndex(of: name) {
                    eventIds.append(UInt8(type + 1))
                } else {
                    eventIds.append(0)
                    if !unknownEvents.contains(name) { unknownEvents.append(name) }
                }
            } else {
                eventIds.append(0)
            }
            if let time = times?[index] { known.append(time) } else { timeKnown = false }
        }
        return (events == nil ? nil : eventIds, times != nil && timeKnown ? known : nil, unknownEvents)
    }

    /// Items whose original id or title contains `text` (case-insensitive), most popular first.
    public func search(_ text: String, limit: Int) -> [RecommendedItem] {
        let needle = text.lowercased()
        var found: [RecommendedItem] = []
        for id in popularOrder where found.count < limit {
            let index = Int(id) - 1
            if needle.isEmpty || titles[index].lowercased().contains(needle) || originals[index].lowercased().contains(needle) {
                found.append(item(Int(id), score: Double(popularityCounts[Int(id)])))
            }
        }
        return found
    }

    /// The top items for each query, scoring all non-empty histories in one forward pass.
    /// Not reentrant: call from one thread at a time.
    public func rank(_ queries: [PredictionQuery]) -> [[RecommendedItem]] {
        var answers = [[RecommendedItem]](repeating: [], count: queries.count)
        let neural = queries.indices.filter { !queries[$0].ids.isEmpty }
        for index in queries.indices where queries[index].ids.isEmpty {
            answers[index] = popular(k: queries[index].k)
        }
        guard !neural.isEmpty else { return answers }
        let ranked = ranker.rank(neural.map { queries[$0] })
        for (row, index) in neural.enumerated() {
            answers[index] = ranked[row].map { item($0.id, score: Double($0.score)) }
        }
        return answers
    }

    /// The `k` most popular items; scores are event counts.
    public func popular(k: Int) -> [RecommendedItem] {
        popularOrder.prefix(k).map { item(Int($0), score: Double(popularityCounts[Int($0)])) }
    }

    /// Internal id `id` as an answer: its original id, its title when known, `score`.
    private func item(_ id: Int, score: Double) -> RecommendedItem {
        RecommendedItem(item: originals[id - 1], title: titles[id - 1].isEmpty ? nil : titles[id - 1], score: score)
    }
}

/// One history to rank for (the ranking path's query; an empty history gets the most popular items).
public typealias PredictionQuery = Ranker.Query
