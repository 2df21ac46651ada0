import Foundation
import Logging
import PostgresNIO

/// The shared history store: PostgreSQL through postgres-nio's connection pool, so several
/// replicas behind a load balancer see the same histories and keys.
public final class PostgresStore: HistoryStore {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    /// Connects to `url` (`postgres://user:password@host:port/database`; TLS is not used) and
    /// creates the tables when missing.
    public init(url: String, logger: Logger = Logger(label: "trajectory.postgres")) async throws {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw ServingError.store("--db \(url): not a postgres://user:password@host:port/database URL")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432,
            username: components.user ?? "postgres", password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        let client = client
        runner = Task { await client.run() }
        do {
            try await client.query("""
                CREATE TABLE IF NOT EXISTS trajectory_events (
                    id BIGSERIAL PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    item TEXT NOT NULL,
                    ts BIGINT NOT NULL
                )
                """, logger: logger)
            try await client.query("CREATE INDEX IF NOT EXISTS trajectory_events_by_user ON trajectory_events(user_id, id)", logger: logger)
            try await client.query("""
                CREATE TABLE IF NOT EXISTS trajectory_api_keys (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    created BIGINT NOT NULL,
                    revoked BIGINT
                )
                """, logger: logger)
        } catch {
            runner.cancel()
            throw ServingError.store("\(Self.redacted(url)): \(String(reflecting: error))")
        }
    }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    public func append(user: String, events: [StoredEvent]) async throws -> Int {
        let users = [String](repeating: user, count: events.count)
        let items = events.map(\.item)
        let times = events.map(\.timestamp)
        // One statement: the events land together or not at all.
        let rows = try await client.query("""
            WITH inserted AS (
                INSERT INTO trajectory_events (user_id, item, ts)
                SELECT * FROM unnest(\(users)::text[], \(items)::text[], \(times)::bigint[])
                RETURNING 1
            )
            SELECT (SELECT COUNT(*) FROM trajectory_events WHERE user_id = \(user)) + (SELECT COUNT(*) FROM inserted)
            """, logger: logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    public func recentItems(user: String, limit: Int) async throws -> (items: [String], total: Int) {
        var items: [String] = []
        let rows = try await client.query(
            "SELECT item FROM trajectory_events WHERE user_id = \(user) ORDER BY id DESC LIMIT \(Int64(limit))", logger: logger)
        for try await item in rows.decode(String.self) { items.append(item) }
        var total = 0
        for try await count in try await client.query("SELECT COUNT(*) FROM trajectory_events WHERE user_id = \(user)", logger: logger).decode(Int64.self) {
            total = Int(count)
        }
        return (items.reversed(), total)
    }

    public func insertKey(_ key: APIKeyRecord) async throws {
        try await client.query("""
            INSERT INTO trajectory_api_keys (id, name, hash, created, revoked)
            VALUES (\(key.id), \(key.name), \(key.hash), \(key.created), \(key.revoked))
            """, logger: logger)
    }

    public func keys() async throws -> [APIKeyRecord] {
        var keys: [APIKeyRecord] = []
        let rows = try await client.query("SELECT id, name, hash, created, revoked FROM trajectory_api_keys ORDER BY created, id", logger: logger)
        for try await (id, name, hash, created, revoked) in rows.decode((String, String, String, Int64, Int64?).self) {
            keys.append(APIKeyRecord(id: id, name: name, hash: hash, created: created, revoked: revoked))
        }
        return keys
    }

    public func revokeKey(id: String, at time: Int64) async throws -> Bool {
        let rows = try await client.query(
            "UPDATE trajectory_api_keys SET revoked = \(time) WHERE id = \(id) AND revoked IS NULL RETURNING id", logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    public func close() async throws {
        runner.cancel()
        _ = await runner.value
    }
}
