import Foundation
import Serving
import Testing

/// The same checks against both history stores: embedded SQLite always, PostgreSQL when
/// TRAJECTORY_POSTGRES_URL names one (`.ci/run` and `make test` start a local server).
@Suite struct HistoryStoreTests {
    static let postgresURL = ProcessInfo.processInfo.environment["TRAJECTORY_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    @Test func sqliteStore() async throws {
        let path = NSTemporaryDirectory() + "store-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        try await Self.exercise(SQLiteStore(path: path))
        // Reopened: everything is still there.
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.keys().count == 2)
        try await reopened.close()
    }

    @Test(.enabled(if: postgresURL != nil, "set TRAJECTORY_POSTGRES_URL to run against PostgreSQL"))
    func postgresStore() async throws {
        try await Self.exercise(PostgresStore(url: Self.postgresURL!))
    }

    @Test func unreachablePostgresIsAClearError() async throws {
        await #expect(throws: ServingError.self) { _ = try await PostgresStore(url: "postgres://nobody:secret@127.0.0.1:1/none", connectTimeout: .seconds(1)) }
        await #expect(throws: ServingError.self) { _ = try await PostgresStore(url: "postgres://") }
    }

    /// Appends, reads, concurrent writers, keys: on a fresh user namespace, so runs never collide.
    static func exercise(_ store: any HistoryStore) async throws {
        let run = UUID().uuidString.prefix(8)
        let alice = "alice-\(run)", bob = "bob-\(run)"
        #expect(try await store.recentItems(user: alice, limit: 10) == ([], 0))
        #expect(try await store.append(user: alice, events: [.init(item: "1", timestamp: 10), .init(item: "2", timestamp: 11)]) == 2)
        #expect(try await store.append(user: alice, events: [.init(item: "3", timestamp: 12)]) == 3)
        #expect(try await store.append(user: bob, events: [.init(item: "9", timestamp: 1)]) == 1)
        var (items, total) = try await store.recentItems(user: alice, limit: 10)
        #expect(items == ["1", "2", "3"] && total == 3)
        (items, total) = try await store.recentItems(user: alice, limit: 2)
        #expect(items == ["2", "3"] && total == 3, "the most recent, oldest first")
        // Event types are kept when sent, and absent when not.
        let dan = "dan-\(run)"
        _ = try await store.append(user: dan, events: [.init(item: "5", timestamp: 20, event: "view"), .init(item: "5", timestamp: 21)])
        let stored = try await store.recentEvents(user: dan, limit: 10).events
        #expect(stored == [.init(item: "5", timestamp: 20, event: "view"), .init(item: "5", timestamp: 21, event: nil)])

        // Concurrent writers lose nothing and keep each call's events together and in order.
        let carol = "carol-\(run)"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for call in 0..<10 {
                        _ = try await store.append(user: carol, events: [.init(item: "w\(writer)-\(call)-a", timestamp: 0),
                                                                          .init(item: "w\(writer)-\(call)-b", timestamp: 0)])
                    }
                }
            }
            try await group.waitForAll()
        }
        (items, total) = try await store.recentItems(user: carol, limit: 1000)
        #expect(total == 160 && items.count == 160)
        for (index, item) in items.enumerated() where item.hasSuffix("-a") {
            #expect(items[index + 1] == item.dropLast() + "b")
        }

        // Keys: stored hashed, listed, revoked once.
        let (key, record) = APIKeys.make(name: "first-\(run)")
        let (_, second) = APIKeys.make(name: "second-\(run)")
        try await store.insertKey(record)
        try await store.insertKey(second)
        let mine = try await store.keys().filter { [record.id, second.id].contains($0.id) }
        #expect(mine.map(\.name).sorted() == [record.name, second.name].sorted())
        #expect(!mine.contains { $0.hash.contains(key) || key.contains($0.hash) })
        let ring = APIKeyRing(store: store)
        #expect(await ring.authenticate(key) == record.name)
        #expect(await ring.authenticate(key + "x") == nil)
        #expect(try await store.revokeKey(id: record.id, at: 5))
        #expect(try await !store.revokeKey(id: record.id, at: 6))
        try await ring.refresh()
        #expect(await ring.authenticate(key) == nil)
        try await store.close()
    }
}
