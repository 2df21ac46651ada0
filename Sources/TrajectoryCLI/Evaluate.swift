import ArgumentParser
import Datasets
import Engine
import Foundation
import Models
import Training
import Runs

/// `trajectory evaluate`: full-ranking metrics of a trained run or a baseline.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rank every item for every user and report HR/NDCG@5/10/20 and MRR.",
        discussion: """
        Protocol: leave-one-out (last item = test, the one before = validation), full ranking \
        over all items (rank = items scored strictly higher), averaged over all users. With \
        --exclude-seen the user's other history items are excluded from the ranking.

        Examples:
          trajectory evaluate runs/lstm                     # test split, best checkpoint
          trajectory evaluate runs/lstm --split valid --exclude-seen
          trajectory evaluate data/ml1m --baseline markov   # a baseline on a dataset
          trajectory evaluate runs/daily --since 2000-12-01 # only users whose held-out item is that recent
        """
    )

    enum Split: String, ExpressibleByArgument, CaseIterable { case test, valid }
    enum Baseline: String, ExpressibleByArgument, CaseIterable {
        case popularity, markov

        /// The baseline fitted on `training` (the split's training spans), learning transitions
        /// into events of `targetEvent` only when given.
        func scorer(dataset: Dataset, training: [TrainingSpan], targetEvent: UInt8? = nil) -> any NextItemScorer {
            switch self {
            case .popularity: return PopularityModel(dataset: dataset, training: training, targetEvent: targetEvent)
            case .markov: return MarkovModel(dataset: dataset, training: training, targetEvent: targetEvent)
            }
        }
    }

    @Argument(help: "A run directory, or a dataset directory with --baseline.")
    var path: String

    @Option(help: "Which held-out item to rank: test or valid.")
    var split: Split = .test

    @Option(help: "Evaluate a baseline on the dataset at PATH instead of a run: popularity, markov.")
    var baseline: Baseline?

    @Option(help: ArgumentHelp("With --baseline: predict the next event of this type (e.g. buy) from every earlier event, as `train --target-event` does (a run uses its own).", valueName: "type"))
    var targetEvent: String?

    @Option(help: "Weights of a run: best (validation NDCG@10) or last.")
    var weights: ModelLoader.Weights = .best

    @Option(parsing: .unconditional, help: "Users per scoring batch (results do not depend on it; smaller batches use less memory, and large catalogues shrink it to keep the scores of one batch under 256 MB).")
    var batchSize = 1024

    @Option(help: ArgumentHelp("Only the users whose held-out item happened at or after this time (2000-12-01, ISO-8601 or unix seconds): the newest behaviour, e.g. after an incremental update.", valueName: "time"))
    var since: String?

    @Flag(help: "Exclude the user's other history items from the ranking (as predict --exclude-seen and the API's exclude_seen do).")
    var excludeSeen = false

    /// The flag's name before seen-item exclusion had one name everywhere.
    @Flag(name: .customLong("filter-seen"), help: .hidden)
    var filterSeen = false

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var placement: DeviceOption

    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        if !(1...(1 << 20)).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 1048576, got \(batchSize)") }
        if let since, TimestampParser.unixSeconds(since) == nil {
            throw ValidationError("--since '\(since)' is not a time (e.g. 2000-12-01 or 2000-12-01T12:00:00Z)")
        }
    }

    func run() throws {
        threads.apply()
        try reportingErrors {
            let scorer: NextItemScorer
            let dataset: Dataset
            var maxLength = TrainingOptions.defaultMaxLength
            let targetEvent: UInt8?
            if let baseline {
                dataset = try Dataset(directory: path)
                targetEvent = try self.targetEvent.map { try dataset.eventTypeId(named: $0) }
                let training = try DatasetSplit.leaveOneOut(dataset, targetEvent: targetEvent).training
                scorer = baseline.scorer(dataset: dataset, training: training, targetEvent: targetEvent)
            } else {
                let loaded = try ModelLoader.load(run: path, weights: weights)
                let deviceName = try placement.device.attach(loaded.0)
                if placement.device != .cpu && !json.enabled { print("device: \(deviceName)") }
                scorer = loaded.0
                dataset = loaded.1
                maxLength = loaded.2.training.maxLength
                if let given = self.targetEvent, given != loaded.2.training.targetEvent {
                    throw ValidationError("--target-event \(given): the run predicts \(loaded.2.training.targetEvent.map { "the next \($0)" } ?? "every event"), and is evaluated on that")
                }
                targetEvent = try loaded.2.targetEventId(in: dataset)
            }
            let heldOut = try DatasetSplit.leaveOneOut(dataset, targetEvent: targetEvent)
            var cases = split == .test ? heldOut.test : heldOut.validation
            if let since, let unixSeconds = TimestampParser.unixSeconds(since) {
                cases = try DatasetSplit.cases(cases, since: unixSeconds, dataset: dataset)
                if cases.isEmpty { throw DatasetError.emptyResult("no held-out item in \(dataset.directory) happened at or after \(since)") }
            }
            let started = Date()
            let metrics = Evaluator(maxLength: maxLength, batchSize: batchSize, excludeSeen: excludeSeen || filterSeen, targetEvent: targetEvent)
                .evaluate(scorer, dataset: dataset, cases: cases)
            let seconds = Date().timeIntervalSince(started)
            if json.enabled {
                var object = try JSONSerialization.jsonObject(with: Data(JSONOutputOption.text(metrics).utf8)) as! [String: Any]
                object["split"] = split.rawValue
                object["seconds"] = seconds
                object["model"] = baseline?.rawValue ?? path
                object["users"] = cases.count
                print(try JSONOutputOption.text(object: object))
            } else {
                print("\(baseline?.rawValue ?? path) \(split.rawValue)\(since.map { " since \($0)" } ?? "") (\(cases.count) users): \(metrics.summary) in \(String(format: "%.2f", seconds)) s")
            }
        }
    }
}

extension ModelLoader.Weights: ExpressibleByArgument {}
