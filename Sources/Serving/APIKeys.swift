import Crypto
import Foundation
import Synchronization

/// Making, hashing and checking bearer API keys. A key reads `trj_<id>_<secret>`: the id
/// (public, shown by `keys list`) names it, the secret is 32 random base-62 characters. Only
/// the SHA-256 of the whole key is stored.
public enum APIKeys {
    /// A fresh key and the record to store for it.
    public static func make(name: String, now: Int64 = Int64(Date().timeIntervalSince1970)) -> (key: String, record: APIKeyRecord) {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        let id = String((0..<8).map { _ in alphabet[Int(generator.next(upperBound: UInt32(36)))] }).lowercased()
        let secret = String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
        let key = "trj_\(id)_\(secret)"
        return (key, APIKeyRecord(id: id, name: name, hash: hash(key), created: now))
    }

    /// Lowercase hex SHA-256 (runs on every authenticated request: no Foundation formatting).
    public static func hash(_ key: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(key.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 15)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Compares two equal-length strings in time independent of where they differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// The active keys, cached from the store and refreshed every few seconds (so a key created or
/// revoked with `trajectory keys`, or on another replica, takes effect without a restart).
public final class APIKeyRing: Sendable {
    private struct State {
        var hashes: [String] = []
        var names: [String: String] = [:]
        var loaded: ContinuousClock.Instant?
    }

    private let store: any HistoryStore
    private let refreshInterval: Duration
    private let state = Mutex(State())

    public init(store: any HistoryStore, refreshInterval: Duration = .seconds(5)) {
        self.store = store
        self.refreshInterval = refreshInterval
    }

    /// Reloads the active keys from the store.
    public func refresh() async throws {
        let keys = try await store.keys().filter { $0.revoked == nil }
        state.withLock {
            $0.hashes = keys.map(\.hash)
            $0.names = Dictionary(keys.map { ($0.hash, $0.name) }, uniquingKeysWith: { a, _ in a })
            $0.loaded = .now
        }
    }

    /// The name of the active key `key` is, or nil. Every stored hash is compared, each in
    /// constant time, so the answer's timing says nothing about which bytes matched.
    public func authenticate(_ key: String) async -> String? {
        let stale = state.withLock { $0.loaded.map { ContinuousClock.now - $0 > refreshInterval } ?? true }
        if stale { try? await refresh() }
        let presented = APIKeys.hash(key)
        return state.withLock { state in
            var match: String?
            for hash in state.hashes where APIKeys.constantTimeEqual(hash, presented) { match = hash }
            return match.flatMap { state.names[$0] }
        }
    }
}
