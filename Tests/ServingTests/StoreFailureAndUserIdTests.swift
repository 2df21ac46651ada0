import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Serving
import Synchronization
import Testing

/// User ids in paths are percent-decoded (one user, however a client encodes the id), and a
/// history store that fails (an SQLite write lock held elsewhere) is a 503 with a JSON error and
/// Retry-After, with readiness dropping, instead of a bare 500.
@Suite(.serialized) struct StoreFailureAndUserIdTests {
    /// An SQLite store whose calls fail while `failing` is set, as a locked database's do.
    final class FlakyStore: HistoryStore {
        let inner: SQLiteStore
        let failing = Mutex(false)
        init(_ inner: SQLiteStore) { self.inner = inner }
        struct Locked: Error, CustomStringConvertible { var description: String { "SQLite error 5: database is locked" } }
        func check() throws { if failing.withLock({ $0 }) { throw Locked() } }
        func append(user: String, events: [StoredEvent]) async throws -> Int { try check(); return try await inner.append(user: user, events: events) }
        func recentEvents(user: String, limit: Int) async throws -> (events: [StoredEvent], total: Int) {
            try await inner.recentEvents(user: user, limit: limit)  // reads pass in WAL mode while a writer holds the lock
        }
        func insertKey(_ key: APIKeyRecord) async throws { try await inner.insertKey(key) }
        func keys() async throws -> [APIKeyRecord] { try await inner.keys() }
        func revokeKey(id: String, at: Int64) async throws -> Bool { try await inner.revokeKey(id: id, at: at) }
        func close() async throws { try await inner.close() }
    }

    static func withService(_ body: @Sendable (any TestClientProtocol, FlakyStore) async throws -> Void) async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let store = FlakyStore(try SQLiteStore(path: fixture.directory + "/flaky.sqlite"))
        let service = PredictionService(models: try ModelHolder(run: fixture.run), store: store, batcher: PredictionBatcher(), metrics: ServiceMetrics())
        let app = Application(router: Routes.router(service: service, keys: nil))
        try await app.test(.router) { client in try await body(client, store) }
        try await service.close()
    }

    static func events(_ items: [String]) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: ["events": items.map { ["item": $0] }]))
    }

    static func object(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    @Test func percentEncodedUserIdsNameOneUser() async throws {
        try await Self.withService { client, _ in
            let json: HTTPFields = [.contentType: "application/json"]
            var lengths: [Int] = []
            for path in ["j%C3%A9", "j%c3%a9", "jé".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!] {
                try await client.execute(uri: "/v1/users/\(path)/events", method: .post, headers: json, body: Self.events(["x"])) { response in
                    #expect(response.status == .ok)
                    #expect(Self.object(response)["user"] as? String == "jé")
                    lengths.append(Self.object(response)["history_length"] as? Int ?? -1)
                }
            }
            #expect(lengths == [1, 2, 3])
            try await client.execute(uri: "/v1/users/john%20doe/events", method: .post, headers: json, body: Self.events(["x"])) { response in
                #expect(Self.object(response)["user"] as? String == "john doe")
            }
            for bad in ["a%zz", "a%00b"] {
                try await client.execute(uri: "/v1/users/\(bad)/events", method: .post, headers: json, body: Self.events(["x"])) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                }
            }
        }
    }

    @Test func aFailingStoreIsA503WithRetryAfterAndNotReady() async throws {
        try await Self.withService { client, store in
            let json: HTTPFields = [.contentType: "application/json"]
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            store.failing.withLock { $0 = true }
            try await client.execute(uri: "/v1/users/u/events", method: .post, headers: json, body: Self.events(["x"])) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                let error = Self.object(response)["error"] as? [String: Any]
                #expect((error?["message"] as? String)?.contains("nothing was stored") == true, "\(Self.object(response))")
            }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
            store.failing.withLock { $0 = false }
            try await client.execute(uri: "/v1/users/u/events", method: .post, headers: json, body: Self.events(["x"])) { response in
                #expect(response.status == .ok)
                #expect(Self.object(response)["history_length"] as? Int == 1)
            }
        }
    }
}
