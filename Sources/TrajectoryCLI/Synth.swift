import ArgumentParser
import Core
import Datasets
import Foundation

/// `trajectory synth`: generated behaviour with a known best-possible score.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate behaviour logs with real sequential signal (ML-1M-shaped by default).",
        discussion: """
        Items have Zipf popularity and a taste group; each user favours one group. Each item has \
        a fixed set of likely successors that users follow with probability --follow; otherwise \
        they pick by popularity, within their current interest group with probability --taste. \
        The interest starts at the user's group and moves with probability --drift a step (half \
        the time back); with --taste-groups N a user likes a weighted mix of N groups instead, and \
        drift replaces one of them. Users consume each item once unless --repeats (as in MovieLens \
        ratings); --replay P then plays one of the user's 20 latest items again at a step. \
        Sequence lengths are lognormal. Because the process is known, synth reports the HR@10 / NDCG@10 that \
        the true transition probabilities reach on the leave-one-out test targets: the ceiling \
        a model can approach but not beat.

        Writes a dataset directory (--format dataset) or a raw log in any input format, so the \
        readers can be exercised (a name ending in .gz is compressed):
          trajectory synth --out data/synth                      # dataset directory
          trajectory synth --out data/synth.dat --format movielens
          trajectory synth --out data/small.csv.gz --format csv --users 500 --items 300
          trajectory synth --out plays.csv --format csv --taste-groups 3 --repeats --replay 0.5   # a listening log

        --funnel writes a shop log instead (CSV: user_id,item_id,event,timestamp,category): \
        sessions of views, some carted, carts bought at the session's end or at the next \
        session if it starts within a day, else abandoned; items have a category (--clusters) \
        that users favour. The next buy is a live cart, which event types and time gaps reveal \
        and item ids alone do not. --no-signal draws the event types independently instead (the \
        control on which such features must not help):
          trajectory synth --funnel --out shop.csv --users 2000 --items 1000
          trajectory prepare shop.csv --out data/shop --event event --attribute category
        """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case dataset, movielens, csv, tsv, jsonl, pairs, sequences
    }

    @Option(name: .shortAndLong, help: "Where to write: a dataset directory or a log file.")
    var out: String

    @Option(help: "What to write: dataset, movielens, csv, tsv, jsonl, pairs, sequences.")
    var format: OutputFormat = .dataset

    @Option(parsing: .unconditional, help: "Number of users.")
    var users = 6040

    @Option(parsing: .unconditional, help: "Number of items.")
    var items = 3416

    @Option(parsing: .unconditional, help: "Median sequence length (lognormal).")
    var medianLength = 96.0

    @Option(parsing: .unconditional, help: "Spread (sigma) of the lognormal sequence length.")
    var lengthSigma = 1.05

    @Option(parsing: .unconditional, help: "Shortest sequence.")
    var minLength = 20

    @Option(parsing: .unconditional, help: "Longest user history (events; `train --max-length` is something else: the window a model reads).")
    var longest = 2000

    /// This option's name before `--longest`: kept for old scripts, hidden from help.
    @Option(name: .customLong("max-length"), parsing: .unconditional, help: .hidden)
    var maxLength: Int?

    @Option(parsing: .unconditional, help: "Zipf exponent of item popularity (0.5 puts ~9% of events on the top 1% of items, as in ML-1M).")
    var zipf = 0.5

    @Option(parsing: .unconditional, help: "Likely successors per item.")
    var successors = 24

    @Option(parsing: .unconditional, help: "Probability that the next item is one of the current item's successors.")
    var follow = 0.6

    @Option(parsing: .unconditional, help: "Taste groups of items; each user favours one.")
    var clusters = 20

    @Option(parsing: .unconditional, help: "Probability that a popularity draw stays within the user's taste group.")
    var taste = 0.5

    @Option(parsing: .unconditional, help: "Taste groups per user. 1: one group and an interest that drifts; more: a weighted mix, each popularity draw picks one group of it by weight.")
    var tasteGroups = 1

    @Option(parsing: .unconditional, help: "Probability, at each step, that a user's current interest moves to another taste group (half the time back to their own). 0: interests never move.")
    var drift = 0.0

    @Flag(inversion: .prefixedNo, help: "Let users consume an item again (listening, shopping logs). Off by default, as in MovieLens: each movie is rated once.")
    var repeats = false

    @Option(parsing: .unconditional, help: "With --repeats: probability that a step consumes again one of the user's 20 most recent items (the j-th most recent weighted 1/j), as listeners replay and shoppers re-buy.")
    var replay = 0.0

    @Flag(help: "Write a view → cart → buy shop log (CSV) instead; see above.")
    var funnel = false

    @Flag(help: "With --funnel: event types drawn independently of the funnel (no signal in them).")
    var noSignal = false

    @Option(help: "Random seed: the same seed gives the same data.")
    var seed: UInt64 = 42

    @Flag(help: "Replace the output if it exists.")
    var force = false

    @Flag(inversion: .prefixedNo, help: "Compute the ceiling HR@10/NDCG@10 (ranks every item for every user: slow with a million items).")
    var ceiling = true

    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        if users < 1 || items < 2 { throw ValidationError("--users must be ≥ 1 and --items ≥ 2") }
        if minLength < 1 || (maxLength ?? longest) < minLength { throw ValidationError("need 1 ≤ --min-length ≤ --longest") }
        if !(0...1).contains(follow) { throw ValidationError("--follow must be within 0…1") }
        if successors < 1 { throw ValidationError("--successors must be ≥ 1") }
        if clusters < 1 || !(0...1).contains(taste) { throw ValidationError("need --clusters ≥ 1 and --taste within 0…1") }
        if !(0...1).contains(drift) { throw ValidationError("--drift must be within 0…1") }
        if !(0...1).contains(replay) { throw ValidationError("--replay must be within 0…1") }
        if replay > 0 && !repeats { throw ValidationError("--replay needs --repeats (without them each item is consumed once)") }
        if noSignal && !funnel { throw ValidationError("--no-signal needs --funnel") }
        if funnel && format != .dataset && format != .csv { throw ValidationError("--funnel writes a CSV log (--format csv, the default with --funnel)") }
        if tasteGroups < 1 || tasteGroups > clusters { throw ValidationError("--taste-groups must be within 1…--clusters (\(clusters))") }
    }

    func run() throws {
        if funnel { return try writeFunnel() }
        var parameters = SyntheticGenerator.Parameters()
        parameters.users = users
        parameters.items = items
        parameters.medianLength = medianLength
        parameters.lengthSigma = lengthSigma
        parameters.minLength = minLength
        parameters.maxLength = maxLength ?? longest
        parameters.zipfExponent = zipf
        parameters.successors = successors
        parameters.followProbability = follow
        parameters.clusters = clusters
        parameters.tasteProbability = taste
        parameters.interestDrift = drift
        parameters.tasteGroups = tasteGroups
        parameters.allowRepeats = repeats
        parameters.repeatProbability = replay
        parameters.seed = seed
        let generator = SyntheticGenerator(parameters: parameters)
        let histories = generator.generate()
        let events = histories.reduce(0) { $0 + $1.items.count }
        try reportingErrors {
            if format == .dataset {
                var preparer = Preparer()
                preparer.force = force
                _ = try preparer.write(SyntheticGenerator.eventLog(histories), output: out)
            } else {
                if !force && FileManager.default.fileExists(atPath: out) { throw DatasetError.outputExists(path: out) }
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
                    throw FileError.notReplaceable(path: out, reason: "it is a directory; a raw log is one file (--format dataset writes a directory)")
                }
                try RawLogWriter(format: LogFormat(rawValue: format.rawValue)!, seed: seed).write(histories, to: out)
            }
        }
        let bound = ceiling ? generator.ceiling(histories) : nil
        if json.enabled {
            var summary: [String: Any] = ["out": out, "format": format.rawValue, "users": users, "items": items, "events": events, "seed": seed]
            if let bound {
                summary["ceilingHR10"] = bound.hitRate
                summary["ceilingNDCG10"] = bound.ndcg
            }
            print(try JSONOutputOption.text(object: summary))
        } else {
            print("wrote \(out) (\(format.rawValue)): \(users) users, \(items) items, \(events) events")
            if let bound {
                print("ceiling: HR@10 \(String(format: "%.4f", bound.hitRate)), NDCG@10 \(String(format: "%.4f", bound.ndcg)) "
                      + "(the generator's true next-item probabilities, leave-one-out test targets, full ranking)")
            }
        }
    }

    /// `--funnel`: the shop log as CSV.
    private func writeFunnel() throws {
        var parameters = FunnelGenerator.Parameters()
        parameters.users = users
        parameters.items = items
        parameters.categories = clusters
        parameters.noSignal = noSignal
        parameters.seed = seed
        let generator = FunnelGenerator(parameters: parameters)
        let histories = generator.generate()
        var counts: [String: Int] = [:]
        for events in histories { for event in events { counts[event.type.rawValue, default: 0] += 1 } }
        try reportingErrors {
            if !force && FileManager.default.fileExists(atPath: out) { throw DatasetError.outputExists(path: out) }
            try Data(FunnelGenerator.csv(histories, itemCategory: generator.itemCategory).utf8).withUnsafeBytes { try AtomicOutput.replaceFile(out, $0) }
        }
        let summary = FunnelGenerator.EventType.allCases.map { "\(counts[$0.rawValue, default: 0]) \($0.rawValue)s" }.joined(separator: ", ")
        if json.enabled {
            var object: [String: Any] = ["out": out, "format": "csv", "users": users, "items": items, "seed": seed, "noSignal": noSignal]
            for type in FunnelGenerator.EventType.allCases { object[type.rawValue + "s"] = counts[type.rawValue, default: 0] }
            print(try JSONOutputOption.text(object: object))
        } else {
            print("wrote \(out) (funnel csv\(noSignal ? ", event types without signal" : "")): \(users) users, \(items) items, \(summary)")
        }
    }
}
