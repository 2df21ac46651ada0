import Foundation
import GRDB

/// The embedded history store: one SQLite file in WAL mode (readers never block the writer),
/// `synchronous = FULL` so that an acknowledged append has reached the disk.
public final class SQLiteStore: HistoryStore {
    private let pool: DatabasePool
    public let path: String

    /// Opens (creating when missing) the SQLite database at `path`.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw ServingError.store("\(path): \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user TEXT NOT NULL,
                    item TEXT NOT NULL,
                    timestamp INTEGER NOT NULL
                );
                CREATE INDEX events_by_user ON events(user, id);
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    revoked INTEGER
                );
                """)
        }
        // Event types (view, cart, …) beside each event; older files gain the column, empty.
        migrator.registerMigration("v2-event-types") { db in
            try db.execute(sql: "ALTER TABLE events ADD COLUMN event TEXT")
        }
        return migrator
    }

    public func append(user: String, events: [StoredEvent]) async throws -> Int {
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO events (user, item, timestamp, event) VALUES (?, ?, ?, ?)")
            for event in events { try statement.execute(arguments: [user, event.item, event.timestamp, event.event]) }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE user = ?", arguments: [user]) ?? 0
        }
    }

    public func recentEvents(user: String, limit: Int) async throws -> (events: [StoredEvent], total: Int) {
        try await pool.read { db in
            let events = try Row.fetchAll(db, sql: "SELECT item, timestamp, event FROM events WHERE user = ? ORDER BY id DESC LIMIT ?",
                                          arguments: [user, limit]).map { StoredEvent(item: $0["item"], timestamp: $0["timestamp"], event: $0["event"]) }
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE user = ?", arguments: [user]) ?? 0
            return (events.reversed(), total)
        }
    }

    public func insertKey(_ key: APIKeyRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO api_keys (id, name, hash, created, revoked) VALUES (?, ?, ?, ?, ?)",
                           arguments: [key.id, key.name, key.hash, key.created, key.revoked])
        }
    }

    public func keys() async throws -> [APIKeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, hash, created, revoked FROM api_keys ORDER BY created, id").map {
                APIKeyRecord(id: $0["id"], name: $0["name"], hash: $0["hash"], created: $0["created"], revoked: $0["revoked"])
            }
        }
    }

    public func revokeKey(id: String, at time: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL", arguments: [time, id])
            return db.changesCount > 0
        }
    }

    public func close() async throws {
        try pool.close()
    }
}
