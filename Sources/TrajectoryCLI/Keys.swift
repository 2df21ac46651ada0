import ArgumentParser
import Foundation
import Serving

/// `trajectory keys`: the API keys `serve` accepts.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke the API keys the server accepts.",
        discussion: """
        Keys live in the history store (RUN/history.sqlite, or --db), hashed with SHA-256; a key \
        is shown once, when created. A running server notices new and revoked keys within 5 s.

        Examples:
          trajectory keys create --run runs/sasrec --name web-frontend
          trajectory keys list --run runs/sasrec
          trajectory keys revoke --run runs/sasrec 3f9a0c1b
        """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// Where the keys are stored: the same options as `serve`.
    struct StoreOptions: ParsableArguments {
        @Option(help: "The run directory served (keys go in RUN/history.sqlite).")
        var run: String?

        @Option(help: "The history store instead: an SQLite path or a postgres:// URL.")
        var db: String?

        func validate() throws {
            if run == nil && db == nil { throw ValidationError("give --run or --db") }
        }

        func open() async throws -> any HistoryStore {
            if db == nil, let run {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: run, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ServingError.configuration("--run \(run): no such run directory")
                }
            }
            return try await HistoryStores.open(db ?? run! + "/history.sqlite")
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new key and print it (it is not shown again).")

        @OptionGroup var store: StoreOptions

        @Option(help: "A name saying who uses the key.")
        var name: String

        @Flag(help: "Print only the key (for scripts).")
        var quiet = false

        func validate() throws {
            // One line per key in `keys list`: a newline or tab in a name would break the table.
            if name.isEmpty || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw ValidationError("--name must be non-empty text without control characters (newlines, tabs)")
            }
        }

        func run() async throws {
            let (key, record) = APIKeys.make(name: name)
            try await reportingErrors {
                let store = try await self.store.open()
                try await store.insertKey(record)
                try await store.close()
            }
            if quiet {
                print(key)
            } else {
                print("created key \(record.id) (\(name)); keep it, it is not shown again:\n\(key)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys: id, name, created, revoked.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let keys = try await reportingErrors {
                let store = try await self.store.open()
                let keys = try await store.keys()
                try await store.close()
                return keys
            }
            let format = ISO8601DateFormatter()
            print("id\tname\tcreated\trevoked")
            for key in keys {
                let created = format.string(from: Date(timeIntervalSince1970: TimeInterval(key.created)))
                let revoked = key.revoked.map { format.string(from: Date(timeIntervalSince1970: TimeInterval($0))) } ?? "-"
                print("\(key.id)\t\(key.name)\t\(created)\t\(revoked)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id (the part after trj_).")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The key's id, as `keys list` shows it.")
        var id: String

        func run() async throws {
            let revoked = try await reportingErrors {
                let store = try await self.store.open()
                let revoked = try await store.revokeKey(id: id, at: Int64(Date().timeIntervalSince1970))
                try await store.close()
                return revoked
            }
            guard revoked else {
                printError("error: no active key with id \(id)")
                throw ExitCode(ExitStatus.usage)
            }
            print("revoked key \(id)")
        }
    }
}
