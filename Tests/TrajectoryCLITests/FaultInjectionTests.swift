import Foundation
import Testing
import TestSupport

/// Generated damage, run for a bounded number of cases: random byte flips, overwritten words
/// and truncations of every file of a dataset and a run directory, and random option values
/// inside and outside their ranges. For every case: the exit code is one of 0, 64, 65, 66, 73
/// (never a signal), a failure says on stderr which file or option is wrong, and nothing
/// outside the command's output is deleted.
///
/// `make test` runs a few dozen cases, always the same; `make check-fault` runs
/// `TRAJECTORY_FAULT_CASES` (default there: 1000) new damaged-file cases and half as many option
/// cases. `TRAJECTORY_FAULT_SEED` replays a run.
@Suite(.serialized) struct FaultInjectionTests {
    typealias CLI = CommandLineTests

    static let allowedStatuses: Set<Int32> = [0, 64, 65, 66, 73]
    static let caseCount = ProcessInfo.processInfo.environment["TRAJECTORY_FAULT_CASES"].flatMap(Int.init) ?? 40
    /// `make test` replays the same cases every run (a CI result must not depend on the draw);
    /// `make check-fault` draws new ones each time unless a seed is given.
    static let seed = ProcessInfo.processInfo.environment["TRAJECTORY_FAULT_SEED"].flatMap(UInt64.init)
        ?? (ProcessInfo.processInfo.environment["TRAJECTORY_FAULT_CASES"] == nil ? 20_261_128 : UInt64(Date().timeIntervalSince1970))

    /// A small deterministic generator (SplitMix64), so a seed replays the same cases.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
        mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }
    }

    /// What one case did and how it ended, for the failure message and the tally.
    struct Outcome {
        var description: String
        var status: Int32
        var killed: Bool
        var stderr: String
    }

    static let datasetFiles = ["manifest.json", "items.bin", "offsets.bin", "times.bin", "items.tsv", "users.tsv"]
    static let runFiles = ["config.json", "best.safetensors", "model.safetensors", "optimizer.safetensors", "metrics.jsonl"]

    /// Damages one file in place: flips bytes, overwrites an aligned word with an extreme value,
    /// or truncates it.
    static func damage(_ path: String, _ random: inout Random) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard !bytes.isEmpty else { return "empty" }
        let name = URL(fileURLWithPath: path).lastPathComponent
        switch random.below(3) {
        case 0:
            let flips = 1 + random.below(8)
            for _ in 0..<flips { bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8)) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return "\(name): \(flips) bit flips"
        case 1:
            let width = random.pick([4, 8])
            guard bytes.count >= width else { return "\(name): too short" }
            let offset = random.below(bytes.count / width) * width
            let value: UInt64 = random.pick([0, 1, .max, UInt64(Int64.max), 1 << 31, 1 << 40, random.next()])
            withUnsafeBytes(of: value.littleEndian) { for i in 0..<width { bytes[offset + i] = $0[i] } }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return "\(name): word at \(offset) = \(value)"
        default:
            let length = random.below(bytes.count)
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: path))
            return "\(name): truncated to \(length) of \(bytes.count) bytes"
        }
    }

    /// Every file under `root` (relative path → size): what must survive a case, outputs aside.
    static func inventory(_ root: String, excluding outputs: [String]) -> [String: Int] {
        var files: [String: Int] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            if outputs.contains(where: { relative == $0 || relative.hasPrefix($0 + "/") || relative.hasPrefix("." + $0) }) { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            if attributes?[.type] as? FileAttributeType == .typeRegular { files[relative] = (attributes?[.size] as? Int) ?? 0 }
        }
        return files
    }

    /// Runs one command on damaged copies; the outputs it may write are `outputs` (relative to the scratch).
    static func check(_ arguments: [String], in scratch: CLI.Scratch, outputs: [String], what: String) throws -> Outcome {
        // The history store may be created by serve-like commands; runs keep it.
        let before = inventory(scratch.path, excluding: outputs + ["run/history.sqlite"])
        let result = try CLI.run(arguments)
        let after = inventory(scratch.path, excluding: outputs + ["run/history.sqlite"])
        let lost = Set(before.keys).subtracting(after.keys)
        #expect(lost.isEmpty, "\(what): \(arguments) deleted \(lost.sorted())")
        return Outcome(description: "\(what): \(arguments.joined(separator: " "))", status: result.status, killed: result.killed, stderr: result.stderr)
    }

    static func expectClean(_ outcome: Outcome, mentions: [String]) {
        #expect(!outcome.killed, "\(outcome.description): killed by a signal. \(outcome.stderr)")
        #expect(allowedStatuses.contains(outcome.status), "\(outcome.description): exit \(outcome.status). \(outcome.stderr)")
        if outcome.status != 0 {
            #expect(mentions.contains { outcome.stderr.contains($0) }, "\(outcome.description): the message names none of \(mentions): \(outcome.stderr)")
        }
    }

    @Test func damagedDatasetsAndRunsFailCleanly() throws {
        var random = Random(state: Self.seed)
        var tally: [Int32: Int] = [:]
        print("fault injection: seed \(Self.seed), \(Self.caseCount) damaged-file cases")
        for index in 0..<Self.caseCount {
            let scratch = CLI.Scratch()
            let (dataset, run) = try HostileInputTests.copies(in: scratch)
            let inDataset = random.below(2) == 0
            let file = inDataset ? dataset + "/" + random.pick(Self.datasetFiles) : run + "/" + random.pick(Self.runFiles)
            guard FileManager.default.fileExists(atPath: file) else { continue }
            let what = "case \(index) (seed \(Self.seed)): " + (try Self.damage(file, &random))
            let commands: [([String], [String])] = [
                (["info", dataset], []),
                (["evaluate", run], []),
                (["evaluate", dataset, "--baseline", "markov"], []),
                (["predict", run, "--history", "1,2,3"], []),
                (["predict", run, "--user", "1"], []),
                (["train", dataset, "--out", scratch.path + "/out", "--epochs", "1", "--embedding-size", "8", "--hidden-size", "8", "--threads", "1"], ["out"]),
                (["train", dataset, "--out", run, "--resume", "--epochs", "1", "--embedding-size", "8", "--hidden-size", "8", "--threads", "1", "--max-length", "20"],
                 ["run/model.safetensors", "run/best.safetensors", "run/optimizer.safetensors", "run/metrics.jsonl", "run/report.html"]),
            ]
            let (arguments, outputs) = random.pick(commands)
            let outcome = try Self.check(arguments, in: scratch, outputs: outputs, what: what)
            tally[outcome.status, default: 0] += 1
            Self.expectClean(outcome, mentions: [scratch.path, URL(fileURLWithPath: file).lastPathComponent, "--"])
        }
        print("fault injection: exit codes \(tally.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))")
    }

    @Test func randomOptionValuesFailCleanly() throws {
        var random = Random(state: Self.seed ^ 0xA5A5)
        let scratch = CLI.Scratch()
        let (dataset, run) = try HostileInputTests.copies(in: scratch)
        let log = scratch.file("r.dat", "1::10::5::100\n1::11::5::101\n1::12::5::102\n2::10::5::103\n2::12::5::104\n")
        let values = ["1", "2", "0", "-1", "-5", "0.5", "1e30", "-1e30", "nan", "inf", "-inf", "", "abc", "9223372036854775807",
                      "99999999999999999999", "1e-30", "3.5", "999999999999999999d", "30m", "0s", "-5m", "2000-12-01", String(repeating: "9", count: 400)]
        let commands: [(prefix: [String], options: [String], outputs: [String])] = [
            (["prepare", log, "--out", scratch.path + "/p"], ["--min-user-events", "--min-item-events", "--max-events", "--min-rating", "--session-gap", "--delimiter", "--time-unit"], ["p"]),
            (["train", dataset, "--out", scratch.path + "/t", "--epochs", "1", "--embedding-size", "8", "--hidden-size", "8", "--threads", "1"],
             ["--batch-size", "--max-length", "--lr", "--weight-decay", "--clip", "--dropout", "--layers", "--window", "--accumulate", "--sliding-stride", "--threads"], ["t"]),
            (["train", dataset, "--out", scratch.path + "/s", "--model", "sasrec", "--loss", "sampled", "--epochs", "1", "--hidden-size", "8", "--threads", "1"],
             ["--negatives", "--heads", "--blocks", "--max-length"], ["s"]),
            (["evaluate", run], ["--batch-size", "--threads", "--since", "--max-length"], []),
            (["evaluate", dataset, "--baseline", "markov"], ["--batch-size", "--threads"], []),
            (["predict", run, "--history", "1,2"], ["--k", "--max-length"], []),
        ]
        let count = max(20, Self.caseCount / 2)
        print("fault injection: seed \(Self.seed), \(count) option-value cases")
        var tally: [Int32: Int] = [:]
        for index in 0..<count {
            let command = random.pick(commands)
            let option = random.pick(command.options)
            let value = random.pick(values)
            let arguments = command.prefix + ["\(option)=\(value)"]
            let outcome = try Self.check(arguments, in: scratch, outputs: command.outputs, what: "option case \(index) (seed \(Self.seed))")
            tally[outcome.status, default: 0] += 1
            Self.expectClean(outcome, mentions: [option, scratch.path, "error"])
            for output in command.outputs { try? FileManager.default.removeItem(atPath: scratch.path + "/" + output) }
        }
        print("fault injection: option exit codes \(tally.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))")
    }
}
