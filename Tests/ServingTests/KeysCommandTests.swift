import Foundation
import Serving
import Testing
import TestSupport

/// `trajectory keys create|list|revoke`, run as a user would, against an SQLite store.
@Suite struct KeysCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let outcome = try TrajectoryProcess.run(arguments)
        return (outcome.status, outcome.stdout, outcome.stderr)
    }

    @Test func createListRevoke() async throws {
        let db = NSTemporaryDirectory() + "keys-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        let created = try Self.run(["keys", "create", "--db", db, "--name", "frontend", "--quiet"])
        #expect(created.status == 0)
        let key = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("trj_") && key.count == 4 + 8 + 1 + 32)
        let id = String(key.split(separator: "_")[1])

        let listed = try Self.run(["keys", "list", "--db", db])
        #expect(listed.status == 0 && listed.output.contains("\(id)\tfrontend\t"))
        #expect(!listed.output.contains(key), "a key is never shown again")
        let store = try SQLiteStore(path: db)
        #expect(await APIKeyRing(store: store).authenticate(key) == "frontend")
        try await store.close()

        #expect(try Self.run(["keys", "revoke", "--db", db, id]).status == 0)
        let again = try Self.run(["keys", "revoke", "--db", db, id])
        #expect(again.status == 64 && again.errors.contains("no active key with id \(id)"))
        #expect(try Self.run(["keys", "list"]).status != 0, "needs --run or --db")
    }
}
