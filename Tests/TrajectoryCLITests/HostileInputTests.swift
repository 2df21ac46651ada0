import Foundation
import Testing
import TestSupport

/// The crash and data-loss rows of the hostile-input report (shared/reports/reliability-2026-11-28.md),
/// one regression test each: damaged datasets, checkpoints and configurations, absurd option
/// values and `--force` on what Trajectory does not own. The property everywhere: an exit code
/// in {0, 64, 65, 66, 73}, a message naming the file or field, never a signal, nothing deleted
/// that Trajectory did not write.
@Suite(.serialized) struct HostileInputTests {
    typealias CLI = CommandLineTests

    /// A small dataset and a trained run (the LSTM, one epoch), made once and copied per case.
    static let pristine: (dataset: String, run: String) = {
        let root = NSTemporaryDirectory() + "trajectory-hostile-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let dataset = root + "/ds", run = root + "/run"
        let made = try! CLI.run(["synth", "--out", dataset, "--users", "80", "--items", "40", "--median-length", "10", "--min-length", "4"])
        precondition(made.status == 0, made.stderr)
        let trained = try! CLI.run(["train", dataset, "--out", run, "--epochs", "1", "--embedding-size", "8", "--hidden-size", "8",
                                    "--threads", "1", "--max-length", "20"])
        precondition(trained.status == 0, trained.stderr)
        return (dataset, run)
    }()

    /// A fresh copy of the dataset and run in `scratch` (the run's config points at the copy).
    static func copies(in scratch: CLI.Scratch) throws -> (dataset: String, run: String) {
        let dataset = scratch.path + "/ds", run = scratch.path + "/run"
        try FileManager.default.copyItem(atPath: pristine.dataset, toPath: dataset)
        try FileManager.default.copyItem(atPath: pristine.run, toPath: run)
        let config = run + "/config.json"
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: URL(fileURLWithPath: pristine.dataset).standardizedFileURL.path, with: dataset)
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        return (dataset, run)
    }

    /// Runs a command on damaged input: it must fail cleanly with `status`, saying `mention`.
    static func expectRefused(_ arguments: [String], status: Int32 = 65, mentioning mention: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let outcome = try CLI.run(arguments)
        #expect(!outcome.killed, "\(arguments): killed by a signal; \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.status == status, "\(arguments): exit \(outcome.status); \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.contains(mention), "\(arguments): \(outcome.stderr)", sourceLocation: sourceLocation)
    }

    // MARK: checkpoints (report items 1, 2, 9)

    /// Rewrites a safetensors file's JSON header with `edit` (the tensor data stays as it is).
    static func editHeader(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        edit(&header)
        var json = try JSONSerialization.data(withJSONObject: header)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data.subdata(in: (8 + length)..<data.count))
        try out.write(to: URL(fileURLWithPath: path))
    }

    @Test func damagedCheckpointHeadersAreErrors() throws {
        let scratch = CLI.Scratch()
        let (_, run) = try Self.copies(in: scratch)
        let best = run + "/best.safetensors"
        let original = try Data(contentsOf: URL(fileURLWithPath: best))

        var huge = original
        huge.replaceSubrange(0..<8, with: [UInt8](repeating: 0xFF, count: 8))
        try huge.write(to: URL(fileURLWithPath: best))
        try Self.expectRefused(["evaluate", run], mentioning: "header length")
        try Self.expectRefused(["predict", run, "--history", "1,2"], mentioning: "best.safetensors")

        try original.write(to: URL(fileURLWithPath: best))
        try Self.editHeader(best) { header in
            Self.set(&header, "fc.bias", "shape", [1 << 62, 4])
        }
        try Self.expectRefused(["evaluate", run], mentioning: "fc.bias")

        try original.write(to: URL(fileURLWithPath: best))
        try Self.editHeader(best) { header in
            Self.set(&header, "fc.bias", "data_offsets", [Int.max - 8, Int.max])
        }
        try Self.expectRefused(["evaluate", run], mentioning: "fc.bias")
    }

    @Test func flippedTensorBytesAreRefusedByTheChecksum() throws {
        let scratch = CLI.Scratch()
        let (_, run) = try Self.copies(in: scratch)
        let best = run + "/best.safetensors"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: best)))
        bytes[bytes.count - 3] ^= 0x40  // a bit of the last tensor's data
        try Data(bytes).write(to: URL(fileURLWithPath: best))
        try Self.expectRefused(["evaluate", run], mentioning: "damaged")
    }

    @Test func aMissingBestCheckpointIsNotSilentlyReplaced() throws {
        let scratch = CLI.Scratch()
        let (_, run) = try Self.copies(in: scratch)
        try FileManager.default.removeItem(atPath: run + "/best.safetensors")
        try Self.expectRefused(["evaluate", run], mentioning: "--weights last")
        #expect(try CLI.run(["evaluate", run, "--weights", "last"]).status == 0)
    }

    /// The CRC-32 of a checkpoint's tensor data, from its header (weights only: the metadata
    /// holds times that differ between runs).
    static func weightsChecksum(_ path: String) throws -> String? {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any]
        return (header?["__metadata__"] as? [String: String])?["trajectory.crc32"]
    }

    /// Killed (SIGKILL) at each side of an epoch's commit, then resumed: the same weights, bit for
    /// bit, as the run that was never interrupted (separate processes, same thread count).
    @Test func aRunKilledAroundItsCommitResumesBitIdentically() throws {
        let scratch = CLI.Scratch()
        let (dataset, _) = try Self.copies(in: scratch)
        let settings = ["--epochs", "3", "--embedding-size", "8", "--hidden-size", "8", "--threads", "2", "--max-length", "20"]
        #expect(try CLI.run(["train", dataset, "--out", scratch.path + "/straight"] + settings).status == 0)
        let straight = try Self.weightsChecksum(scratch.path + "/straight/model.safetensors")
        #expect(straight != nil)
        for failpoint in ["epoch-1-before-commit", "epoch-3-before-commit", "epoch-2-after-commit"] {
            let out = scratch.path + "/" + failpoint
            let killed = try CLI.run(["train", dataset, "--out", out] + settings, environment: ["TRAJECTORY_FAILPOINT": failpoint])
            #expect(killed.killed, "\(failpoint): \(killed.status)")
            let resumed = try CLI.run(["train", dataset, "--out", out, "--resume"] + settings)
            #expect(resumed.status == 0, "\(failpoint): \(resumed.stderr)")
            #expect(try Self.weightsChecksum(out + "/model.safetensors") == straight, "\(failpoint)")
            let epochs = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").count
            #expect(epochs == 3, "\(failpoint): \(epochs) metrics lines")
        }
    }

    // MARK: datasets and manifests (report items 3, 4, 5, 8)

    static func patch(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    @Test func outOfRangeIdsAndOffsetsAreErrorsNamingTheFile() throws {
        for (file, offset, bytes) in [("items.bin", 8, [UInt8](withUnsafeBytes(of: UInt32(41).littleEndian) { Array($0) })),
                                      ("items.bin", 4, [0, 0, 0, 0]),
                                      ("items.bin", 0, [0xF0, 0xFF, 0xFF, 0xFF]),
                                      ("offsets.bin", 16, [UInt8](withUnsafeBytes(of: UInt64(100_000).littleEndian) { Array($0) })),
                                      ("offsets.bin", 24, [UInt8](withUnsafeBytes(of: UInt64(1_000_000_000_000).littleEndian) { Array($0) }))] {
            let scratch = CLI.Scratch()
            let (dataset, run) = try Self.copies(in: scratch)
            try Self.patch(dataset + "/" + file, at: offset, bytes)
            try Self.expectRefused(["info", dataset], mentioning: file)
            try Self.expectRefused(["evaluate", run], mentioning: file)
            try Self.expectRefused(["predict", run, "--user", "1"], mentioning: file)
            try Self.expectRefused(["train", dataset, "--out", scratch.path + "/new", "--epochs", "1"], mentioning: file)
        }
    }

    /// Sets `object[key][field]` (a nested JSON object's field).
    static func set(_ object: inout [String: Any], _ key: String, _ field: String, _ value: Any) {
        var nested = object[key] as! [String: Any]
        nested[field] = value
        object[key] = nested
    }

    static func editJSON(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    @Test func absurdManifestCountsAreErrors() throws {
        for (field, value) in [("users", 1 << 62), ("items", 10), ("events", -1), ("items", 1 << 40)] {
            let scratch = CLI.Scratch()
            let (dataset, run) = try Self.copies(in: scratch)
            try Self.editJSON(dataset + "/manifest.json") { manifest in
                Self.set(&manifest, "counts", field, value)
            }
            try Self.expectRefused(["info", dataset], mentioning: dataset)
            try Self.expectRefused(["evaluate", run], mentioning: dataset)
        }
    }

    @Test func absurdModelSizesInConfigAreErrorsNamingTheField() throws {
        for (field, value) in [("hiddenSize", 1 << 40), ("hiddenSize", -5), ("layers", -1)] {
            let scratch = CLI.Scratch()
            let (_, run) = try Self.copies(in: scratch)
            try Self.editJSON(run + "/config.json") { config in
                Self.set(&config, "lstm", field, value)
            }
            try Self.expectRefused(["evaluate", run], mentioning: "lstm.\(field)")
            try Self.expectRefused(["predict", run, "--history", "1"], mentioning: "lstm.\(field)")
        }
        let scratch = CLI.Scratch()
        let (_, run) = try Self.copies(in: scratch)
        try Self.editJSON(run + "/config.json") { config in
            Self.set(&config, "training", "maxLength", 0)
        }
        try Self.expectRefused(["evaluate", run], mentioning: "training.maxLength")
    }

    @Test func anotherDatasetOrShuffledItemIdsAreRefused() throws {
        let scratch = CLI.Scratch()
        let (dataset, run) = try Self.copies(in: scratch)
        let table = dataset + "/items.tsv"
        var lines = try String(contentsOfFile: table, encoding: .utf8).split(separator: "\n").map(String.init)
        // Swap the original ids of items 1 and 2: same size, other items.
        var first = lines[1].split(separator: "\t").map(String.init), second = lines[2].split(separator: "\t").map(String.init)
        swap(&first[1], &second[1])
        lines[1] = first.joined(separator: "\t")
        lines[2] = second.joined(separator: "\t")
        try (lines.joined(separator: "\n") + "\n").write(toFile: table, atomically: true, encoding: .utf8)
        try Self.expectRefused(["evaluate", run], mentioning: "numbers its items differently")
        try Self.expectRefused(["predict", run, "--history", "1"], mentioning: "numbers its items differently")

        // One original id given to two items.
        let duplicateScratch = CLI.Scratch()
        let duplicated = try Self.copies(in: duplicateScratch)
        var rows = try String(contentsOfFile: duplicated.dataset + "/items.tsv", encoding: .utf8).split(separator: "\n").map(String.init)
        var third = rows[3].split(separator: "\t").map(String.init)
        third[1] = rows[1].split(separator: "\t").map(String.init)[1]
        rows[3] = third.joined(separator: "\t")
        try (rows.joined(separator: "\n") + "\n").write(toFile: duplicated.dataset + "/items.tsv", atomically: true, encoding: .utf8)
        try Self.expectRefused(["evaluate", duplicated.run], mentioning: "is given to items")

        let other = scratch.path + "/other"
        #expect(try CLI.run(["synth", "--out", other, "--users", "80", "--items", "40", "--median-length", "10", "--min-length", "4", "--seed", "9"]).status == 0)
        try Self.expectRefused(["predict", run, "--dataset", other, "--history", "1"], mentioning: "numbers its items differently")
    }

    // MARK: options (report items 6, 7)

    @Test func absurdOptionValuesAreUsageErrors() throws {
        let scratch = CLI.Scratch()
        let (dataset, run) = try Self.copies(in: scratch)
        let log = scratch.file("r.dat", "1::10::5::100\n1::11::5::101\n1::12::5::102\n")
        let cases: [([String], String)] = [
            (["prepare", log, "--out", scratch.path + "/o", "--session-gap", "999999999999999999d"], "--session-gap"),
            (["prepare", log, "--out", scratch.path + "/o", "--min-rating", "nan"], "--min-rating"),
            (["train", dataset, "--out", scratch.path + "/w", "--window", "999999999999999999d"], "--window"),
            (["train", dataset, "--out", scratch.path + "/l", "--lr", "nan"], "--lr"),
            (["train", dataset, "--out", scratch.path + "/n", "--model", "sasrec", "--loss", "sampled", "--negatives", "100000000"], "--negatives"),
            (["train", dataset, "--out", scratch.path + "/n2", "--model", "sasrec", "--loss", "sampled", "--negatives", "5000"], "--negatives"),
            (["evaluate", run, "--batch-size", "0"], "--batch-size"),
            (["evaluate", dataset, "--baseline", "markov", "--batch-size", "0"], "--batch-size"),
            (["serve", run, "--no-auth", "--max-wait-ms=-1"], "--max-wait-ms"),
            (["serve", run, "--no-auth", "--max-wait-ms", "nan"], "--max-wait-ms"),
            (["predict", run, "--history", "1", "--max-length", "0"], "--max-length"),
            // Negative numbers are values, not options: the message says what is wrong with them.
            (["train", dataset, "--out", scratch.path + "/e", "--epochs", "-1"], "must be positive"),
            (["train", dataset, "--out", scratch.path + "/t", "--threads", "-1"], "--threads must be between"),
            (["evaluate", run, "--batch-size", "-5"], "--batch-size must be between"),
        ]
        for (arguments, mention) in cases { try Self.expectRefused(arguments, status: 64, mentioning: mention) }
        for name in ["w", "l", "n", "n2"] { #expect(!FileManager.default.fileExists(atPath: scratch.path + "/" + name + "/config.json")) }
    }

    // MARK: --force (report items 12, 13)

    @Test func forceReplacesOnlyWhatTrajectoryMade() throws {
        let scratch = CLI.Scratch()
        let precious = scratch.path + "/precious"
        try FileManager.default.createDirectory(atPath: precious + "/sub", withIntermediateDirectories: true)
        try "my thesis".write(toFile: precious + "/thesis.txt", atomically: true, encoding: .utf8)
        let log = precious + "/log.dat"
        try "1::10::5::100\n1::11::5::101\n1::12::5::102\n".write(toFile: log, atomically: true, encoding: .utf8)

        try Self.expectRefused(["prepare", log, "--out", precious, "--force"], status: 73, mentioning: "not a dataset directory")
        try Self.expectRefused(["prepare", log, "--out", log, "--force"], status: 73, mentioning: "it is a file")
        #expect(FileManager.default.fileExists(atPath: precious + "/thesis.txt"))
        #expect(FileManager.default.fileExists(atPath: precious + "/sub"))
        #expect(try String(contentsOfFile: log, encoding: .utf8).hasPrefix("1::10"))

        // A dataset that holds the input is not replaced either: the input would go with it.
        let dataset = scratch.path + "/ds"
        #expect(try CLI.run(["prepare", log, "--out", dataset]).status == 0)
        try FileManager.default.copyItem(atPath: log, toPath: dataset + "/log.dat")
        try Self.expectRefused(["prepare", dataset + "/log.dat", "--out", dataset, "--force"], status: 73, mentioning: "holds the input")
        try Self.expectRefused(["prepare", log, "--out", dataset, "--force"], status: 73, mentioning: "did not write (log.dat)")
        #expect(FileManager.default.fileExists(atPath: dataset + "/log.dat"))
        try FileManager.default.removeItem(atPath: dataset + "/log.dat")
        #expect(try CLI.run(["prepare", log, "--out", dataset, "--force"]).status == 0)

        try Self.expectRefused(["train", dataset, "--out", precious, "--force", "--epochs", "1"], status: 73, mentioning: "not a run directory")
        #expect(FileManager.default.fileExists(atPath: precious + "/thesis.txt"))
    }

    @Test func trainForceKeepsTheHistoryStore() throws {
        let scratch = CLI.Scratch()
        let (dataset, run) = try Self.copies(in: scratch)
        let key = try CLI.run(["keys", "create", "--run", run, "--name", "kept", "--quiet"])
        #expect(key.status == 0, "\(key.stderr)")
        try "notes".write(toFile: run + "/NOTES.md", atomically: true, encoding: .utf8)
        let retrained = try CLI.run(["train", dataset, "--out", run, "--force", "--epochs", "1", "--embedding-size", "8", "--hidden-size", "8", "--threads", "1"])
        #expect(retrained.status == 0, "\(retrained.stderr)")
        #expect(FileManager.default.fileExists(atPath: run + "/history.sqlite"))
        #expect(FileManager.default.fileExists(atPath: run + "/NOTES.md"))
        let keys = try CLI.run(["keys", "list", "--run", run])
        #expect(keys.stdout.contains("kept"), "\(keys.stdout) \(keys.stderr)")
    }
}
