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
    /// creates the tables when missing; gives up after `connectTimeout`.
    public init(url: String, connectTimeout: Duration = .seconds(10), logger: Logger? = nil) async throws {
        let logger = logger ?? {
            var logger = Logger(label: "trajectory.postgres")
            logger.logLevel = .warning  // the pool's retries are noise; failures surface as errors
            return logger
        }()
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
            try await Self.withDeadline(connectTimeout) { try await Self.createTables(client, logger: logger) }
        } catch {
            runner.cancel()
            throw ServingError.store("\(Self.redacted(url)): \(error is CancellationError ? "no answer within \(connectTimeout)" : String(reflecting: error))")
        }
    }

    /// Runs `body`, cancelling it (CancellationError) when it takes longer than `limit`.
    static func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw CancellationError() }
            return value
        }
    }

    private static func createTables(_ client: PostgresClient, logger: Logger) async throws {
            try await client.query("""
                CREATE TABLE IF NOT EXISTS trajectory_events (
                    id BIGSERIAL PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    item TEXT NOT NULL,
                    ts BIGINT NOT NULL
                )
                """, logger: logger)
            try await client.query("CREATE INDEX IF NOT EXISTS trajectory_events_by_user ON trajectory_events(user_id, id)", logger: logger)
            // Event types (view, cart, …) beside each event; older tables gain the column, empty.
            try await client.query("ALTER TABLE trajectory_events ADD COLUMN IF NOT EXISTS event TEXT", logger: logger)
            try await client.query("""
                CREATE TABLE IF NOT EXISTS trajectory_api_keys (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    created BIGINT NOT NULL,
                    revoked BIGINT
                )
                """, logger: logger)
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
        // An empty text stands for "no type" in the array (NULLIF turns it back into NULL).
        let types = events.map { $0.event ?? "" }
        let logger = logger
        // One transaction holding the user's advisory lock: a call's events land together, in
        // order, with consecutive ids, even when several replicas write for the same user.
        return try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(user)))", logger: logger)
            try await connection.query("""
                INSERT INTO trajectory_events (user_id, item, ts, event)
                SELECT u, i, t, NULLIF(e, '') FROM unnest(\(users)::text[], \(items)::text[], \(times)::bigint[], \(types)::text[]) AS rows(u, i, t, e)
                """, logger: logger)
            let rows = try await connection.query("SELECT COUNT(*) FROM trajectory_events WHERE user_id = \(user)", logger: logger)
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    public func recentEvents(user: String, limit: Int) async throws -> (events: [StoredEvent], total: Int) {
        var items: [StoredEvent] = []
        let rows = try await client.query(
            "SELECT item, ts, event FROM trajectory_events WHERE user_id = \(user) ORDER BY id DESC LIMIT \(Int64(limit))", logger: logger)
        for try await (item, ts, event) in rows.decode((String, Int64, String?).self) { items.append(StoredEvent(item: item, timestamp: ts, event: event)) }
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
