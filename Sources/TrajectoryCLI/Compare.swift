import ArgumentParser
import Datasets
import Engine
import Foundation
import Models
import Training
import Runs

/// `trajectory compare`: one table of several runs.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare runs: metrics, settings and training time in one table.",
        discussion: """
        By default the table shows each run's best validation metrics as recorded while it \
        trained. --test evaluates every run's best checkpoint on the test split (full ranking), \
        unfiltered and with seen items filtered, side by side. --baselines adds the Markov \
        chain and popularity of each run's dataset, fitted on the same training split and ranked \
        the same way: what a model must beat to be worth serving.

        Examples:
          trajectory compare runs/lstm runs/sasrec runs/gru4rec
          trajectory compare runs/lstm --baselines       # the run against Markov and popularity
          trajectory compare runs/* --test --json
        """
    )

    @Argument(help: "Run directories.")
    var runs: [String]

    @Flag(help: "Evaluate each run's best checkpoint on the test split (slower).")
    var test = false

    @Flag(help: "Add rows for the Markov and popularity baselines of each run's dataset (implies --test).")
    var baselines = false

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        if runs.isEmpty { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        threads.apply()
        try reportingErrors {
            var rows: [[String: Any]] = []
            for path in runs {
                let summary = try RunSummary(run: path)
                var row: [String: Any] = [
                    "run": path, "model": summary.configuration.model, "settings": summary.modelSettings,
                    "training": summary.trainingSettings, "epochs": summary.epochs, "best_epoch": summary.bestEpoch,
                    "train_seconds": summary.trainingSeconds,
                    "seconds_per_epoch": summary.epochs > 0 ? summary.trainingSeconds / Double(summary.epochs) : 0,
                    "valid_filtered": summary.configuration.training.excludeSeen,
                ]
                if let valid = summary.bestValidation {
                    row["valid_HR@10"] = valid.hitRate10
                    row["valid_NDCG@10"] = valid.ndcg10
                }
                if test || baselines {
                    let (model, dataset, configuration) = try ModelLoader.load(run: path)
                    try Self.addTestMetrics(to: &row, scorer: model, dataset: dataset, maxLength: configuration.training.maxLength,
                                            targetEvent: configuration.targetEventId(in: dataset))
                }
                rows.append(row)
            }
            if baselines {
                var seen = Set<String>()
                for path in runs {
                    let configuration = try RunDirectory(path: path).readConfiguration()
                    let dataset = configuration.dataset.path, target = configuration.training.targetEvent
                    if seen.insert(dataset + "\u{0}" + (target ?? "")).inserted { rows += try Self.baselineRows(dataset: dataset, targetEvent: target) }
                }
            }
            let test = test || baselines
            if json.enabled {
                for row in rows {
                    print(try JSONOutputOption.text(object: row))
                }
            } else {
                print(Self.table(rows, test: test))
            }
        }
    }

    /// Test metrics of `scorer`, unfiltered and seen-filtered, as the row's `test_…` cells.
    static func addTestMetrics(to row: inout [String: Any], scorer: any NextItemScorer, dataset: Dataset, maxLength: Int, targetEvent: UInt8?) throws {
        let cases = try DatasetSplit.leaveOneOut(dataset, targetEvent: targetEvent).test
        for filter in [false, true] {
            let metrics = Evaluator(maxLength: maxLength, excludeSeen: filter, targetEvent: targetEvent).evaluate(scorer, dataset: dataset, cases: cases)
            let suffix = filter ? "_filtered" : ""
            row["test_HR@10" + suffix] = metrics.hitRate10
            row["test_NDCG@10" + suffix] = metrics.ndcg10
            row["test_MRR" + suffix] = metrics.mrr
        }
    }

    /// Markov and popularity on the dataset at `path`: fitted on its training split, validated
    /// and tested as runs are.
    static func baselineRows(dataset path: String, targetEvent name: String? = nil) throws -> [[String: Any]] {
        let dataset = try Dataset(directory: path)
        let targetEvent = try name.map { try dataset.eventTypeId(named: $0) }
        let split = try DatasetSplit.leaveOneOut(dataset, targetEvent: targetEvent)
        return try [Evaluate.Baseline.markov, .popularity].map { baseline in
            let scorer = baseline.scorer(dataset: dataset, training: split.training, targetEvent: targetEvent)
            var row: [String: Any] = ["run": "(baseline)", "model": baseline.rawValue, "settings": "", "training": "", "epochs": 0, "best_epoch": 0,
                                      "train_seconds": 0.0, "seconds_per_epoch": 0.0, "dataset": path]
            let valid = Evaluator(maxLength: TrainingOptions.defaultMaxLength, targetEvent: targetEvent).evaluate(scorer, dataset: dataset, cases: split.validation)
            row["valid_HR@10"] = valid.hitRate10
            row["valid_NDCG@10"] = valid.ndcg10
            try addTestMetrics(to: &row, scorer: scorer, dataset: dataset, maxLength: TrainingOptions.defaultMaxLength, targetEvent: targetEvent)
            return row
        }
    }

    /// A Markdown table (readable in a terminal, pasteable into a report).
    static func table(_ rows: [[String: Any]], test: Bool) -> String {
        func number(_ value: Any?, _ digits: Int = 4) -> String {
            guard let value = value as? Double else { return "-" }
            return String(format: "%.\(digits)f", value)
        }
        var header = ["run", "model", "settings", "training", "epochs (best)", "s/epoch", "train time", "valid HR@10", "valid NDCG@10"]
        if test { header += ["test HR@10", "test NDCG@10", "test MRR", "filtered HR@10", "filtered NDCG@10", "filtered MRR"] }
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        for row in rows {
            let seconds = row["train_seconds"] as? Double ?? 0
            let trained = row["run"] as? String != "(baseline)"
            var cells = [row["run"] as? String ?? "", row["model"] as? String ?? "", row["settings"] as? String ?? "",
                         row["training"] as? String ?? "", trained ? "\(row["epochs"] as? Int ?? 0) (\(row["best_epoch"] as? Int ?? 0))" : "-",
                         trained ? number(row["seconds_per_epoch"], 1) : "-",
                         trained ? String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60) : "-",
                         number(row["valid_HR@10"]), number(row["valid_NDCG@10"])]
            if test {
                cells += ["test_HR@10", "test_NDCG@10", "test_MRR", "test_HR@10_filtered", "test_NDCG@10_filtered", "test_MRR_filtered"]
                    .map { number(row[$0]) }
            }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
