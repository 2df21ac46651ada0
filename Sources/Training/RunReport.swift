import Datasets
import Foundation
import Runs

/// One self-contained HTML page about one or more runs: per-epoch training loss, validation
/// HR@10 / NDCG@10, seconds per epoch and training throughput (one line per run), the runs'
/// settings side by side, the dataset's sequence lengths and item popularity, and — when given —
/// test metrics beside the popularity and Markov baselines. Plots are inline SVG; nothing is
/// fetched when the file is opened.
public struct RunReport {
    /// One epoch line of metrics.jsonl.
    struct Epoch {
        var epoch: Int
        var loss: Double?
        var seconds: Double?
        var steps: Int?
        var hitRate10: Double?
        var ndcg10: Double?
        /// Per-step loss and learning rate, averaged over `stepsPerPoint` steps (empty in older runs).
        var stepLosses: [Double] = []
        var stepRates: [Double] = []
        var stepsPerPoint = 1
    }

    /// Test metrics rows to show (name, metrics), e.g. each run's and the baselines'.
    public var testRows: [(name: String, metrics: RankingMetrics)] = []
    let runs: [(path: String, summary: RunSummary, epochs: [Epoch])]

    /// Reads each run directory's config.json and metrics.jsonl.
    public init(runs paths: [String]) throws {
        runs = try paths.map { path in
            let summary = try RunSummary(run: path)
            return (path, summary, try Self.epochs(RunDirectory(path: path).metricsPath))
        }
    }

    static func epochs(_ path: String) throws -> [Epoch] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").enumerated().compactMap { index, line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TrainingError.run(path: "\(path):\(index + 1)", reason: "not a JSON object")
            }
            guard let epoch = object["epoch"] as? Int else { return nil }
            let valid = object["valid"] as? [String: Any]
            return Epoch(epoch: epoch, loss: object["train_loss"] as? Double, seconds: object["seconds"] as? Double,
                         steps: object["steps"] as? Int, hitRate10: valid?["HR@10"] as? Double, ndcg10: valid?["NDCG@10"] as? Double,
                         stepLosses: object["step_losses"] as? [Double] ?? [], stepRates: object["step_learning_rates"] as? [Double] ?? [],
                         stepsPerPoint: object["steps_per_point"] as? Int ?? 1)
        }
    }

    /// The name a run goes by in legends: its directory's last component.
    func name(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }

    /// The whole HTML page. `dataset` (the first run's, usually) adds its distributions.
    public func html(dataset: Dataset?) -> String {
        func series(_ value: (Epoch) -> Double?) -> [SVGChart.Series] {
            runs.map { run in SVGChart.Series(name: name(run.path), points: run.epochs.compactMap { e in value(e).map { (Double(e.epoch), $0) } }) }
        }
        var body = "<h1>Trajectory report</h1><p class=\"muted\">\(runs.count) run\(runs.count == 1 ? "" : "s"), written \(ISO8601DateFormatter().string(from: Date()))</p>"
        body += "<h2>Training</h2><div class=\"grid\">"
        // Per step where the run recorded it (x: training step), else per epoch.
        func perStep(_ values: (Epoch) -> [Double]) -> [SVGChart.Series] {
            runs.map { run in
                var points: [(x: Double, y: Double)] = []
                var first = 0
                for e in run.epochs {
                    for (index, value) in values(e).enumerated() { points.append((Double(first + (index + 1) * e.stepsPerPoint), value)) }
                    first += e.steps ?? 0
                }
                return SVGChart.Series(name: name(run.path), points: points)
            }
        }
        let stepLosses = perStep(\.stepLosses)
        if stepLosses.contains(where: { !$0.points.isEmpty }) {
            body += SVGChart.lines(title: "Training loss per step", xLabel: "step", yLabel: "loss", series: stepLosses)
            body += SVGChart.lines(title: "Learning rate", xLabel: "step", yLabel: "learning rate", series: perStep(\.stepRates))
        } else {
            body += SVGChart.lines(title: "Training loss per epoch", xLabel: "epoch", yLabel: "loss", series: series(\.loss))
        }
        body += SVGChart.lines(title: "Validation HR@10 (full ranking)", xLabel: "epoch", yLabel: "HR@10", series: series(\.hitRate10))
        body += SVGChart.lines(title: "Validation NDCG@10 (full ranking)", xLabel: "epoch", yLabel: "NDCG@10", series: series(\.ndcg10))
        body += SVGChart.lines(title: "Seconds per epoch", xLabel: "epoch", yLabel: "seconds", series: series(\.seconds))
        body += SVGChart.lines(title: "Throughput (training steps per second)", xLabel: "epoch", yLabel: "steps / s", series: series { e in
            guard let steps = e.steps, let seconds = e.seconds, seconds > 0 else { return nil }
            return Double(steps) / seconds
        })
        body += "</div><h2>Runs</h2>" + runTable()
        if !testRows.isEmpty { body += "<h2>Test (full ranking)</h2>" + testTable() }
        if let dataset { body += "<h2>Data</h2>" + Self.datasetSection(dataset) }
        return Self.page(title: "Trajectory report", body: body)
    }

    func runTable() -> String {
        var rows = "<table><tr><th>run</th><th>model</th><th>shape</th><th>training</th><th class=\"num\">epochs</th><th class=\"num\">best</th><th class=\"num\">valid HR@10</th><th class=\"num\">valid NDCG@10</th><th class=\"num\">train s</th></tr>"
        for run in runs {
            let s = run.summary
            rows += "<tr><td>\(SVGChart.escape(name(run.path)))</td><td>\(s.configuration.model)</td><td>\(SVGChart.escape(s.modelSettings))</td>"
                + "<td>\(SVGChart.escape(s.trainingSettings))</td><td class=\"num\">\(s.epochs)</td><td class=\"num\">\(s.bestEpoch)</td>"
                + "<td class=\"num\">\(s.bestValidation.map { String(format: "%.4f", $0.hitRate10) } ?? "–")</td>"
                + "<td class=\"num\">\(s.bestValidation.map { String(format: "%.4f", $0.ndcg10) } ?? "–")</td>"
                + "<td class=\"num\">\(String(format: "%.0f", s.trainingSeconds))</td></tr>"
        }
        return rows + "</table>"
    }

    func testTable() -> String {
        var rows = "<table><tr><th></th><th class=\"num\">HR@10</th><th class=\"num\">NDCG@10</th><th class=\"num\">MRR</th><th class=\"num\">HR@20</th><th class=\"num\">NDCG@20</th><th class=\"num\">cases</th></tr>"
        for (name, m) in testRows {
            rows += "<tr><td>\(SVGChart.escape(name))</td>" + [m.hitRate10, m.ndcg10, m.mrr, m.hitRate20, m.ndcg20]
                .map { "<td class=\"num\">\(String(format: "%.4f", $0))</td>" }.joined() + "<td class=\"num\">\(m.cases)</td></tr>"
        }
        return rows + "</table>"
    }

    /// Sequence-length histogram and item popularity (rank vs events, log scale) of `dataset`.
    public static func datasetSection(_ dataset: Dataset) -> String {
        var lengths: [Int] = []
        lengths.reserveCapacity(dataset.sequenceCount)
        for s in 0..<dataset.sequenceCount { lengths.append(dataset.range(ofSequence: s).count) }
        let popularity = dataset.itemEventCounts().dropFirst().sorted(by: >)
        // Length bins doubling in width: 1, 2–3, 4–7, … (sequence lengths are heavy-tailed).
        var bins: [(label: String, value: Double)] = []
        var low = 1
        while low <= (lengths.max() ?? 0) {
            let high = low * 2 - 1
            bins.append((low >= 1024 ? "\(low / 1024)k" : "\(low)", Double(lengths.filter { $0 >= low && $0 <= high }.count)))
            low *= 2
        }
        let step = max(1, popularity.count / 400)
        let curve = stride(from: 0, to: popularity.count, by: step).map { (x: Double($0 + 1), y: Double(popularity[$0])) }
        var html = "<p>\(dataset.sequenceCount) sequences, \(dataset.itemCount) items, \(dataset.eventCount) events (\(SVGChart.escape(dataset.directory)))</p><div class=\"grid\">"
        html += SVGChart.bars(title: "Sequence lengths", xLabel: "events per sequence (bins from 1, 2, 4, …)", yLabel: "sequences", bars: bins)
        html += SVGChart.lines(title: "Item popularity", xLabel: "item rank", yLabel: "events (log)",
                               series: [SVGChart.Series(name: "events per item", points: curve)], logY: true)
        return html + "</div>"
    }

    /// A complete HTML document around `body`, styled for screen and print.
    public static func page(title: String, body: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(SVGChart.escape(title))</title>
        <style>
        body { font: 14px/1.45 system-ui, sans-serif; color: #1d2433; margin: 24px; max-width: 1200px; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 10px; border-bottom: 1px solid #e4e7ec; padding-bottom: 4px; }
        .muted { color: #667085; } .grid { display: flex; flex-wrap: wrap; gap: 16px; }
        svg { border: 1px solid #e4e7ec; border-radius: 8px; background: #fff; max-width: 100%; height: auto; }
        table { border-collapse: collapse; } th, td { padding: 4px 10px; border-bottom: 1px solid #e4e7ec; text-align: left; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        @media print { body { margin: 0; } svg { break-inside: avoid; } }
        </style></head><body>\(body)</body></html>
        """
    }
}
