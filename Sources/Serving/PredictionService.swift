import Foundation
import Hummingbird
import Synchronization

/// The service's logic without HTTP: checks a request, maps original ids, sends the history
/// through the micro-batcher, and reads and writes users' histories.
public final class PredictionService: Sendable {
    /// Largest `k` a request may ask for.
    public static let maxK = 1000
    /// Most requests in one `/v1/predict/batch` call.
    public static let maxBatchRequests = 256
    /// Most events in one `/v1/users/{id}/events` call.
    public static let maxEventsPerCall = 1000
    /// Longest user id accepted.
    public static let maxUserIdLength = 256
    /// Stored events read back for one user (exclusion of seen items looks this far back).
    public static let userHistoryLimit = 10_000

    public let models: ModelHolder
    public let store: any HistoryStore
    public let batcher: PredictionBatcher
    public let metrics: ServiceMetrics
    /// Requests queued beyond this are answered 503 instead of waiting ever longer.
    public let maxQueue: Int
    public let started = Date()
    /// When a history-store call last failed (a lock held too long, a lost connection); `/readyz`
    /// reports not ready for `storeRecoverySeconds` after it.
    private let lastStoreFailure = Mutex<Date?>(nil)
    static let storeRecoverySeconds = 5.0

    public init(models: ModelHolder, store: any HistoryStore, batcher: PredictionBatcher, metrics: ServiceMetrics, maxQueue: Int = 4096) {
        self.models = models
        self.store = store
        self.batcher = batcher
        self.metrics = metrics
        self.maxQueue = maxQueue
    }

    /// Swaps in the run's best checkpoint again (in-flight requests finish with the old model)
    /// and records it in the metrics. A failed load keeps the current model and throws.
    @discardableResult
    public func reloadModel() async throws -> (previous: ModelCard, current: ModelCard) {
        let cards = try await models.reload()
        metrics.recordModel(cards.current, reload: true)
        metrics.recordBatchCap(batcher.cap(for: models.current))
        return cards
    }

    /// Finishes the queued predictions, stops the batcher and closes the history store.
    public func close() async throws {
        batcher.stop()
        try await store.close()
    }

    /// Top-k for one history of original ids.
    public func predict(_ request: PredictRequest) async throws -> PredictResponse {
        let k = request.k ?? 10
        try Self.check(k: k, field: "k")
        return try await predict(history: request.history, k: k, excludeSeen: request.excludeSeen ?? false,
                                 events: request.historyEvents, times: request.historyTimes)
    }

    /// Top-k for several histories, answered in order (they join the same micro-batches).
    public func predict(batch: BatchPredictRequest) async throws -> BatchPredictResponse {
        guard !batch.requests.isEmpty, batch.requests.count <= Self.maxBatchRequests else {
            throw HTTPError(.badRequest, message: "requests must hold 1 to \(Self.maxBatchRequests) predictions, got \(batch.requests.count)")
        }
        for (index, request) in batch.requests.enumerated() {
            if let k = request.k { try Self.check(k: k, field: "requests[\(index)].k") }
        }
        let results = try await withThrowingTaskGroup(of: (Int, PredictResponse).self) { group in
            for (index, request) in batch.requests.enumerated() {
                group.addTask { (index, try await self.predict(request)) }
            }
            var results = [PredictResponse?](repeating: nil, count: batch.requests.count)
            for try await (index, response) in group { results[index] = response }
            return results.map { $0! }
        }
        return BatchPredictResponse(results: results)
    }

    func predict(history: [String], k: Int, excludeSeen: Bool, events: [String?]? = nil, times: [Int64?]? = nil) async throws -> PredictResponse {
        let model = models.current
        let (ids, unknown) = model.resolve(history)
        let features = model.resolveFeatures(history: history, events: events, times: times)
        let unknownEvents = features.unknownEvents.isEmpty ? nil : features.unknownEvents
        guard !ids.isEmpty else {
            return PredictResponse(items: model.popular(k: k), model: model.card.id,
                                   unknown: unknown, historyUsed: 0, source: "popularity", unknownEvents: unknownEvents)
        }
        guard batcher.queued < maxQueue else {
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "1"], message: "overloaded: \(maxQueue) predictions are already queued")
        }
        let items = await batcher.rank(PredictionQuery(ids: ids, k: k, excludeSeen: excludeSeen, events: features.events, times: features.times), with: model)
        return PredictResponse(items: items, model: model.card.id, unknown: unknown,
                               historyUsed: min(ids.count, model.maxLength), source: "model", unknownEvents: unknownEvents)
    }

    /// Stores events for `user`; they are durable when this returns.
    public func record(user: String, events request: UserEventsRequest) async throws -> UserEventsResponse {
        try Self.check(user: user)
        guard !request.events.isEmpty, request.events.count <= Self.maxEventsPerCall else {
            throw HTTPError(.badRequest, message: "events must hold 1 to \(Self.maxEventsPerCall) events, got \(request.events.count)")
        }
        let now = Int64(Date().timeIntervalSince1970)
        // Lengths in Unicode scalars, as JSON Schema's maxLength counts them.
        for (index, event) in request.events.enumerated() where event.item.isEmpty || event.item.unicodeScalars.count > 256 {
            throw HTTPError(.badRequest, message: "events[\(index)].item must be 1 to 256 characters")
        }
        for (index, event) in request.events.enumerated() where event.event.map({ $0.isEmpty || $0.unicodeScalars.count > 64 }) ?? false {
            throw HTTPError(.badRequest, message: "events[\(index)].event must be 1 to 64 characters")
        }
        let events = request.events.map { StoredEvent(item: $0.item, timestamp: $0.timestamp ?? now, event: $0.event) }
        let total = try await storeCall { try await store.append(user: user, events: events) }
        let unknown = models.current.resolve(events.map(\.item)).unknown
        return UserEventsResponse(user: user, accepted: events.count, historyLength: total, unknown: unknown)
    }

    /// Top-k after everything stored for `user` (popularity when nothing is).
    public func recommendations(user: String, k: Int, excludeSeen: Bool) async throws -> UserRecommendationsResponse {
        try Self.check(user: user)
        try Self.check(k: k, field: "k")
        let (events, total) = try await storeCall { try await store.recentEvents(user: user, limit: Self.userHistoryLimit) }
        // The stored types and times reach a model that reads them, as a request's entries do.
        let types = events.contains { $0.event != nil } ? events.map(\.event) : nil
        let prediction = try await predict(history: events.map(\.item), k: k, excludeSeen: excludeSeen,
                                           events: types, times: events.map { Optional($0.timestamp) })
        return UserRecommendationsResponse(user: user, historyLength: total, prediction: prediction)
    }

    private static func check(k: Int, field: String) throws {
        guard (1...maxK).contains(k) else {
            throw HTTPError(.badRequest, message: "\(field) must be between 1 and \(maxK), got \(k)")
        }
    }

    /// Whether the history store answered its last calls (no failure in the last few seconds).
    public var storeRecentlyFailed: Bool {
        lastStoreFailure.withLock { $0.map { Date().timeIntervalSince($0) < Self.storeRecoverySeconds } ?? false }
    }

    /// Runs a history-store call; a failure is the store's, not the request's: 503 with a JSON
    /// error and Retry-After (nothing was stored), and readiness drops for a few seconds.
    private func storeCall<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as HTTPError {
            throw error
        } catch {
            lastStoreFailure.withLock { $0 = Date() }
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "1"],
                            message: "the history store is unavailable (\(error)); nothing was stored, retry shortly")
        }
    }

    /// User ids arrive percent-encoded in the path: one user is one id however a client's URL
    /// library encodes it (`j%C3%A9`, `j%c3%a9` and a raw `jé` are the same user). A `+` is a
    /// literal plus in a path (RFC 3986), not a space.
    public static func userId(fromPath encoded: String) throws -> String {
        guard let decoded = encoded.removingPercentEncoding else {
            throw HTTPError(.badRequest, message: "the user id in the path is not valid percent-encoding")
        }
        guard !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw HTTPError(.badRequest, message: "a user id must not contain control characters")
        }
        return decoded
    }

    private static func check(user: String) throws {
        guard !user.isEmpty, user.unicodeScalars.count <= maxUserIdLength else {
            throw HTTPError(.badRequest, message: "a user id must be 1 to \(maxUserIdLength) characters")
        }
    }
}
