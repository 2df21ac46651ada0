import ArgumentParser
import Core
import Datasets
import Foundation
import Training
import Runs

/// `trajectory info`: the shape of a dataset.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a dataset's size, sequence lengths, popularity skew and time span.",
        discussion: """
        Examples:
          trajectory info data/ml1m --json
          trajectory info data/ml1m --html ml1m.html   # sequence-length and popularity plots, self-contained
        """
    )

    @Argument(help: "A dataset directory written by `trajectory prepare` or `trajectory synth`.")
    var dataset: String

    @OptionGroup var json: JSONOutputOption

    @Option(help: "Also write an HTML page with the dataset's plots (sequence lengths, item popularity) to this file.")
    var html: String?

    func run() throws {
        let data = try reportingErrors { try Dataset(directory: dataset) }
        let statistics = DatasetStatistics(dataset: data)
        if let html {
            try reportingErrors {
                let page = RunReport.page(title: "Dataset \(dataset)", body: "<h1>Dataset</h1>" + RunReport.datasetSection(data))
                try AtomicOutput.writeText(html, page)
            }
        }
        if json.enabled {
            print(try JSONOutputOption.text(statistics, pretty: true))
            return
        }
        let s = statistics
        let l = s.sequenceLength
        var lines = [
            "dataset   \(dataset)",
            "users     \(s.users)",
            "items     \(s.items)",
            "events    \(s.events)",
            "density   \(String(format: "%.4f%%", s.density * 100))",
            "length    min \(l.min)  p5 \(l.p5)  p25 \(l.p25)  median \(l.p50)  p75 \(l.p75)  p95 \(l.p95)  p99 \(l.p99)  max \(l.max)  mean \(String(format: "%.1f", l.mean))",
            "top 1%    \(String(format: "%.1f%%", s.topOnePercentShare * 100)) of events on the most popular 1% of items",
            "once      \(s.itemsSeenOnce) items seen only once",
        ]
        if let first = s.firstEvent, let last = s.lastEvent, let days = s.spanDays {
            lines.append("time      \(first) … \(last) (\(String(format: "%.1f", days)) days)")
        } else {
            lines.append("time      no timestamps")
        }
        if let types = s.eventTypes {
            let total = max(1, s.events)
            lines.append("types     " + types.map { "\($0.name) \($0.events) (\(String(format: "%.1f%%", Double($0.events) * 100 / Double(total))))" }.joined(separator: ", "))
        }
        if let values = s.values {
            lines.append("values    min \(String(format: "%g", values.min))  mean \(String(format: "%.3g", values.mean))  max \(String(format: "%g", values.max))")
        }
        for attribute in data.itemAttributes {
            let withValues = attribute.itemsWithValues
            let mean = withValues == 0 ? 0 : Double(attribute.values.count) / Double(withValues)
            lines.append("attribute \(attribute.name): \(attribute.vocabulary.count) values on \(withValues) of \(s.items) items (\(String(format: "%.1f", mean)) per item)")
        }
        if let parent = data.manifest.parent {
            lines.append("ids like  \(parent.path) (items 1…\(parent.items) keep its ids, \(parent.absentItems) of them absent here; "
                         + "\(parent.newItems) new items)")
        }
        print(lines.joined(separator: "\n"))
    }
}
