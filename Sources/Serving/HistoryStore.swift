/// Where users' event histories and the service's API keys live: an embedded SQLite file by
/// default (`SQLiteStore`), PostgreSQL when several replicas share state (`PostgresStore`).
/// An append returns only once the events are durable, so an acknowledged event survives a crash.
public protocol HistoryStore: Sendable {
    /// Appends `events` (oldest first) to `user`'s history in one transaction; returns how many
    /// events the user has afterwards.
    func append(user: String, events: [StoredEvent]) async throws -> Int

    /// `user`'s most recent `limit` events, oldest first, and how many events the user has in all.
    func recentEvents(user: String, limit: Int) async throws -> (events: [StoredEvent], total: Int)

    /// Stores a new API key (its hash only).
    func insertKey(_ key: APIKeyRecord) async throws

    /// Every key, revoked ones included, oldest first.
    func keys() async throws -> [APIKeyRecord]

    /// Marks key `id` revoked at `at`; false when there is no such active key.
    func revokeKey(id: String, at: Int64) async throws -> Bool

    /// Releases connections; the store is unusable afterwards.
    func close() async throws
}

extension HistoryStore {
    /// The original item ids of `user`'s most recent `limit` events, oldest first, and how many
    /// events the user has in all.
    public func recentItems(user: String, limit: Int) async throws -> (items: [String], total: Int) {
        let (events, total) = try await recentEvents(user: user, limit: limit)
        return (events.map(\.item), total)
    }
}

/// One event as stored: original item id, unix seconds, and the event type when one was sent.
public struct StoredEvent: Sendable, Equatable {
    public var item: String
    public var timestamp: Int64
    public var event: String?

    public init(item: String, timestamp: Int64, event: String? = nil) {
        self.item = item
        self.timestamp = timestamp
        self.event = event
    }
}

/// What the store keeps of an API key: never the key itself, only its SHA-256.
public struct APIKeyRecord: Sendable, Equatable, Codable {
    /// Public identifier, also the key's visible prefix (`trj_<id>_…`).
    public var id: String
    public var name: String
    /// Lowercase hex SHA-256 of the whole key.
    public var hash: String
    /// Unix seconds.
    public var created: Int64
    /// Unix seconds when revoked; nil while active.
    public var revoked: Int64?

    public init(id: String, name: String, hash: String, created: Int64, revoked: Int64? = nil) {
        self.id = id
        self.name = name
        self.hash = hash
        self.created = created
        self.revoked = revoked
    }
}

/// Opens the store a `--db` value names: a `postgres://` or `postgresql://` URL, or a path of
/// an SQLite file.
public enum HistoryStores {
    public static func open(_ location: String) async throws -> any HistoryStore {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try await PostgresStore(url: location)
        }
        return try SQLiteStore(path: location)
    }
}
