import ArgumentParser
import Datasets
import Engine
import Foundation
import Models
import Training

/// `trajectory compare`: one table of several runs.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare runs: metrics, settings and training time in one table.",
        discussion: """
        By default the table shows each run's best validation metrics as recorded while it \
        trained. --test evaluates every run's best checkpoint on the test split (full ranking), \
        unfiltered and with seen items filtered, side by side.

        Examples:
          trajectory compare runs/lstm runs/sasrec runs/gru4rec
          trajectory compare runs/* --test --json
        """
    )

    @Argument(help: "Run directories.")
    var runs: [String]

    @Flag(help: "Evaluate each run's best checkpoint on the test split (slower).")
    var test = false

    @Option(parsing: .unconditional, help: "Threads for matrix products.")
    var threads = availableCoresForHelp()

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func validate() throws {
        if runs.isEmpty { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        try reportingErrors {
            var rows: [[String: Any]] = []
            for path in runs {
                let summary = try RunSummary(run: path)
                var row: [String: Any] = [
                    "run": path, "model": summary.configuration.model, "settings": summary.modelSettings,
                    "training": summary.trainingSettings, "epochs": summary.epochs, "best_epoch": summary.bestEpoch,
                    "train_seconds": summary.trainingSeconds,
                    "seconds_per_epoch": summary.epochs > 0 ? summary.trainingSeconds / Double(summary.epochs) : 0,
                    "valid_filtered": summary.configuration.training.filterSeen,
                ]
                if let valid = summary.bestValidation {
                    row["valid_HR@10"] = valid.hitRate10
                    row["valid_NDCG@10"] = valid.ndcg10
                }
                if test {
                    let (model, dataset, configuration) = try ModelLoader.load(run: path)
                    let cases = DatasetSplit.leaveOneOut(dataset).test
                    for filter in [false, true] {
                        let metrics = Evaluator(maxLength: configuration.training.maxLength, filterSeen: filter)
                            .evaluate(model, dataset: dataset, cases: cases)
                        let suffix = filter ? "_filtered" : ""
                        row["test_HR@10" + suffix] = metrics.hitRate10
                        row["test_NDCG@10" + suffix] = metrics.ndcg10
                        row["test_MRR" + suffix] = metrics.mrr
                    }
                }
                rows.append(row)
            }
            if json {
                for row in rows {
                    print(String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
                }
            } else {
                print(Self.table(rows, test: test))
            }
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
            var cells = [row["run"] as? String ?? "", row["model"] as? String ?? "", row["settings"] as? String ?? "",
                         row["training"] as? String ?? "", "\(row["epochs"] as? Int ?? 0) (\(row["best_epoch"] as? Int ?? 0))",
                         number(row["seconds_per_epoch"], 1), String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60),
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
