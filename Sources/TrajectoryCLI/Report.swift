import ArgumentParser
import Core
import Datasets
import Engine
import Foundation
import Models
import Training
import Runs

/// `trajectory report`: one self-contained HTML file about one or more runs.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report of runs: training curves, settings side by side, data distributions, test metrics.",
        discussion: """
        The file needs no network to view: plots are inline SVG, styled for screen and print. \
        --test also evaluates each run's best checkpoint and the popularity and Markov baselines \
        on the first run's test split (full ranking).

        Examples:
          trajectory report runs/sasrec --out sasrec.html
          trajectory report runs/lstm runs/sasrec runs/gru4rec --test --out comparison.html
        """
    )

    @Argument(help: "Run directories.")
    var runs: [String]

    @Option(help: "The HTML file to write.")
    var out = "report.html"

    @Flag(help: "Evaluate every run and both baselines on the test split (slower).")
    var test = false

    @OptionGroup var threads: ThreadsOption

    func run() throws {
        threads.apply()
        try reportingErrors {
            var report = try RunReport(runs: runs)
            let first = try RunDirectory(path: runs[0]).readConfiguration()
            let dataset = try? Dataset(directory: first.dataset.path)
            if test {
                for path in runs {
                    let (model, data, configuration) = try ModelLoader.load(run: path)
                    let targetEvent = try configuration.targetEventId(in: data)
                    let cases = try DatasetSplit.leaveOneOut(data, targetEvent: targetEvent).test
                    let metrics = Evaluator(maxLength: configuration.training.maxLength, targetEvent: targetEvent).evaluate(model, dataset: data, cases: cases)
                    report.testRows.append((URL(fileURLWithPath: path).lastPathComponent, metrics))
                }
                if let dataset {
                    let targetEvent = try first.targetEventId(in: dataset)
                    let split = try DatasetSplit.leaveOneOut(dataset, targetEvent: targetEvent)
                    let evaluator = Evaluator(maxLength: first.training.maxLength, targetEvent: targetEvent)
                    report.testRows.append(("popularity", evaluator.evaluate(PopularityModel(dataset: dataset, training: split.training, targetEvent: targetEvent),
                                                                             dataset: dataset, cases: split.test)))
                    report.testRows.append(("Markov", evaluator.evaluate(MarkovModel(dataset: dataset, training: split.training, targetEvent: targetEvent),
                                                                         dataset: dataset, cases: split.test)))
                }
            }
            try AtomicOutput.writeText(out, report.html(dataset: dataset))
            print("report written to \(out)")
        }
    }
}
