import Foundation
import Testing
import TestSupport
@testable import Datasets

/// The `trajectory` binary, run as a user would: exit codes, messages, crash safety.
@Suite struct CommandLineTests {
    typealias Outcome = TrajectoryProcess.Outcome

    static var binary: String { TrajectoryProcess.binary }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        try TrajectoryProcess.run(arguments, environment: environment)
    }

    final class Scratch {
        let path = NSTemporaryDirectory() + "trajectory-cli-" + UUID().uuidString
        init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ name: String, _ text: String) -> String {
            let full = path + "/" + name
            try! Data(text.utf8).write(to: URL(fileURLWithPath: full))
            return full
        }
        func entries() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
    }

    @Test func helpListsOnlyWorkingSubcommands() throws {
        let help = try Self.run(["--help"])
        #expect(help.status == 0)
        for command in ["prepare", "info", "synth"] { #expect(help.stdout.contains(command)) }
        let prepareHelp = try Self.run(["prepare", "--help"])
        for option in ["--min-user-events", "--session-gap", "--item-meta", "--strict", "--keep-events", "--format"] {
            #expect(prepareHelp.stdout.contains(option), "prepare --help lacks \(option)")
        }
    }

    @Test func strictExitsWithDataErrorNamingFileAndLine() throws {
        let scratch = Scratch()
        let log = scratch.file("r.dat", "1::10::5::100\n1::11::5::101\n1::oops\n")
        let outcome = try Self.run(["prepare", log, "--out", scratch.path + "/ds", "--strict"])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("\(log):3:"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/ds"))
    }

    @Test func lenientRunReportsMalformedLinesInTheSummary() throws {
        let scratch = Scratch()
        let log = scratch.file("r.dat", "1::10::5::100\n1::11::5::101\n1::oops\n")
        let outcome = try Self.run(["prepare", log, "--out", scratch.path + "/ds"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("1 malformed lines"))
        #expect(outcome.stdout.contains("\(log):3: expected at least 4 fields, found 2"))
    }

    @Test func missingInputUnknownColumnAndExistingOutputAreClearErrors() throws {
        let scratch = Scratch()
        let missing = try Self.run(["prepare", scratch.path + "/nope.csv", "--out", scratch.path + "/ds"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("nope.csv") && missing.stderr.contains("no such file"))

        let csv = scratch.file("e.csv", "user,item\n1,2\n")
        let unknown = try Self.run(["prepare", csv, "--out", scratch.path + "/ds", "--item", "sku"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown column 'sku'") && unknown.stderr.contains("user, item"))

        #expect(try Self.run(["prepare", csv, "--out", scratch.path + "/ds"]).status == 0)
        let exists = try Self.run(["prepare", csv, "--out", scratch.path + "/ds"])
        #expect(exists.status == 73)
        #expect(exists.stderr.contains("--force"))
        #expect(Set(scratch.entries()) == ["ds", "e.csv"])
    }

    @Test func aCrashBeforeTheRenameLeavesNoDataset() throws {
        let scratch = Scratch()
        let log = scratch.file("p.txt", "1 a\n1 b\n2 a\n")
        let crashed = try Self.run(["prepare", log, "--out", scratch.path + "/ds"], environment: ["TRAJECTORY_FAILPOINT": "before-commit"])
        #expect(crashed.killed)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/ds"))
        // The next run cleans up the dead run's partial directory and succeeds without --force.
        let again = try Self.run(["prepare", log, "--out", scratch.path + "/ds"])
        #expect(again.status == 0)
        #expect(Set(scratch.entries()) == ["ds", "p.txt"])
    }

    @Test func aCrashDuringForcedReplaceKeepsTheOldDataset() throws {
        let scratch = Scratch()
        let first = scratch.file("a.txt", "1 a\n1 b\n")
        let second = scratch.file("b.txt", "1 c\n1 d\n")
        #expect(try Self.run(["prepare", first, "--out", scratch.path + "/ds"]).status == 0)
        let crashed = try Self.run(["prepare", second, "--out", scratch.path + "/ds", "--force"], environment: ["TRAJECTORY_FAILPOINT": "before-commit"])
        #expect(crashed.killed)
        let dataset = try Dataset(directory: scratch.path + "/ds")
        #expect(try dataset.itemTable().originals == ["a", "b"])
    }

    @Test func killedMidwayLeavesNoDatasetDirectory() throws {
        let scratch = Scratch()
        let log = scratch.path + "/big.dat"
        let synth = try Self.run(["synth", "--out", log, "--format", "movielens", "--users", "2000"])
        #expect(synth.status == 0)
        var killedWhileRunning = false
        for delay in [0.05, 0.15, 0.3] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["prepare", log, "--out", scratch.path + "/ds", "--force"]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                killedWhileRunning = true
                // Either no dataset at all, or (never) a partial one: whatever exists must open.
                #expect(!FileManager.default.fileExists(atPath: scratch.path + "/ds"))
            } else {
                process.waitUntilExit()
                #expect(process.terminationStatus == 0)
                _ = try Dataset(directory: scratch.path + "/ds")
                try FileManager.default.removeItem(atPath: scratch.path + "/ds")
            }
        }
        #expect(killedWhileRunning)
    }

    @Test func infoPrintsFiguresAndJSON() throws {
        let scratch = Scratch()
        let synth = try Self.run(["synth", "--out", scratch.path + "/ds", "--users", "50", "--items", "40", "--median-length", "10", "--min-length", "3"])
        #expect(synth.status == 0)
        #expect(synth.stdout.contains("ceiling: HR@10"))
        let info = try Self.run(["info", scratch.path + "/ds"])
        #expect(info.status == 0)
        #expect(info.stdout.contains("users     50"))
        let json = try Self.run(["info", scratch.path + "/ds", "--json"])
        let decoded = try JSONDecoder().decode(DatasetStatistics.self, from: Data(json.stdout.utf8))
        #expect(decoded.users == 50)
        let notADataset = try Self.run(["info", scratch.path])
        #expect(notADataset.status == 65)
        #expect(notADataset.stderr.contains("manifest.json"))
    }
}
