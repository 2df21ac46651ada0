import Foundation
import Testing

/// `train`, `evaluate`, `predict` and `bench` run as a user would.
@Suite struct TrainingCommandTests {
    typealias CLI = CommandLineTests

    /// A tiny dataset and a one-epoch run in a scratch directory.
    static func trainedRun() throws -> (CLI.Scratch, String, String) {
        let scratch = CLI.Scratch()
        let data = scratch.path + "/data", run = scratch.path + "/run"
        #expect(try CLI.run(["synth", "--out", data, "--users", "120", "--items", "40", "--median-length", "12", "--min-length", "4"]).status == 0)
        let train = try CLI.run(["train", data, "--out", run, "--epochs", "2", "--max-length", "10", "--embedding-size", "8", "--hidden-size", "8", "--batch-size", "32"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("epoch 2:"))
        return (scratch, data, run)
    }

    @Test func trainEvaluatePredictEndToEnd() throws {
        let (scratch, data, run) = try Self.trainedRun()
        for file in ["config.json", "model.safetensors", "best.safetensors", "optimizer.safetensors", "metrics.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: run + "/" + file), "\(file) missing")
        }
        let evaluation = try CLI.run(["evaluate", run, "--json"])
        #expect(evaluation.status == 0)
        let metrics = try JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any]
        #expect(metrics?["cases"] as? Int == 120)
        #expect(metrics?["HR@10"] is Double)
        let baseline = try CLI.run(["evaluate", data, "--baseline", "markov", "--split", "valid"])
        #expect(baseline.status == 0 && baseline.stdout.contains("markov valid"))

        let predict = try CLI.run(["predict", run, "--history", "3,nope,7", "--k", "5", "--json"])
        #expect(predict.status == 0)
        #expect(predict.stderr.contains("skipped unknown item ids: nope"))
        let answer = try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [String: Any]
        #expect((answer?["items"] as? [Any])?.count == 5)
        #expect(answer?["unknown"] as? [String] == ["nope"])
        #expect(try CLI.run(["predict", run, "--user", "1", "--exclude-seen"]).status == 0)
        let latency = try CLI.run(["bench", "latency", run, "--history-length", "3", "--requests", "5"])
        #expect(latency.status == 0 && latency.stdout.contains("median_ms"))
        _ = scratch
    }

    /// Every model kind trains, evaluates, predicts (also from its bare checkpoint) and shows up in `compare`.
    @Test func everyModelKindEndToEndAndCompared() throws {
        let scratch = CLI.Scratch()
        let data = scratch.path + "/data"
        #expect(try CLI.run(["synth", "--out", data, "--users", "120", "--items", "40", "--median-length", "12", "--min-length", "4"]).status == 0)
        var runs: [String] = []
        for (model, extra) in [("sasrec", ["--hidden-size", "8", "--heads", "2", "--loss", "sampled", "--negatives", "8", "--sampler", "popularity"]),
                               ("gru4rec", ["--embedding-size", "8", "--hidden-size", "8"]),
                               ("hstu", ["--hidden-size", "8", "--heads", "2"])] {
            let run = scratch.path + "/" + model
            let train = try CLI.run(["train", data, "--model", model, "--out", run, "--epochs", "2", "--max-length", "10", "--batch-size", "32"] + extra)
            #expect(train.status == 0, "\(model): \(train.stderr)")
            #expect(try CLI.run(["evaluate", run, "--filter-seen"]).status == 0)
            let predict = try CLI.run(["predict", run, "--history", "3,7", "--k", "5", "--json"])
            #expect(predict.status == 0, "\(model): \(predict.stderr)")
            let bare = try CLI.run(["predict", run + "/best.safetensors", "--dataset", data, "--history", "3,7", "--k", "5", "--json"])
            #expect(bare.status == 0 && bare.stdout == predict.stdout, "\(model): \(bare.stderr)")
            runs.append(run)
        }
        let compare = try CLI.run(["compare"] + runs + ["--test"])
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.contains("| sasrec |") && compare.stdout.contains("| gru4rec |") && compare.stdout.contains("| hstu |")
                && compare.stdout.contains("filtered NDCG@10"))
        let json = try CLI.run(["compare"] + runs + ["--json"])
        let lines = json.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 3 && lines.allSatisfy { ($0["epochs"] as? Int) == 2 })
        // A time limit: the epochs are planned from measured times (as many as fit, here at most 1000).
        let timed = try CLI.run(["train", data, "--model", "hstu", "--out", scratch.path + "/timed", "--time-limit", "2s", "--epochs", "1000",
                                 "--max-length", "10", "--hidden-size", "8", "--batch-size", "32", "--patience", "1000"])
        #expect(timed.status == 0 && timed.stderr.contains("time limit 2s:"), "\(timed.stderr)")
        #expect(!timed.stderr.contains("epoch 1000:"))
        let badLimit = try CLI.run(["train", data, "--time-limit", "20 minutes", "--out", scratch.path + "/refused"])
        #expect(badLimit.status == 64 && badLimit.stderr.contains("--time-limit"))
        // A loss the model does not have is refused before anything is written.
        let refused = try CLI.run(["train", data, "--model", "lstm", "--loss", "bce", "--out", scratch.path + "/refused"])
        #expect(refused.status == 64 && refused.stderr.contains("--loss"))
    }

    /// SASRec takes its sparse-data defaults on short histories and keeps its own on long ones;
    /// flags still win.
    @Test func sasrecDefaultsFollowHistoryLength() throws {
        let scratch = CLI.Scratch()
        func configuration(medianLength: Int, extra: [String] = []) throws -> [String: Any] {
            let data = scratch.path + "/data-\(medianLength)", run = scratch.path + "/run-\(medianLength)-\(extra.count)"
            if !FileManager.default.fileExists(atPath: data) {
                // Items enough for 60-event histories without repeats (a user consumes at most half the catalogue).
                #expect(try CLI.run(["synth", "--out", data, "--users", "60", "--items", "200", "--median-length", "\(medianLength)",
                                     "--min-length", "4"]).status == 0)
            }
            let train = try CLI.run(["train", data, "--model", "sasrec", "--out", run, "--epochs", "1", "--hidden-size", "8", "--batch-size", "32"] + extra)
            #expect(train.status == 0, "\(train.stderr)")
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any]
            return config?["sasrec"] as? [String: Any] ?? [:]
        }
        let short = try configuration(medianLength: 8)
        #expect(short["dropout"] as? Double == 0.5)
        #expect(short["maxLength"] as? Int == 50)
        #expect(short["excludeSeenFromLoss"] as? Bool == false)
        let long = try configuration(medianLength: 60)
        #expect(long["dropout"] as? Double == 0.2)
        #expect(long["maxLength"] as? Int == 200)
        let given = try configuration(medianLength: 8, extra: ["--dropout", "0.1", "--max-length", "30", "--exclude-seen-from-loss", "on"])
        #expect(given["dropout"] as? Double == 0.1)
        #expect(given["maxLength"] as? Int == 30)
        #expect(given["excludeSeenFromLoss"] as? Bool == true)
    }

    @Test func badRunsAndCheckpointsAreClearErrors() throws {
        let (scratch, data, run) = try Self.trainedRun()
        // An existing run is not overwritten by accident.
        let again = try CLI.run(["train", data, "--out", run, "--epochs", "1"])
        #expect(again.status != 0 && again.stderr.contains("--resume"))
        // A truncated checkpoint.
        let best = run + "/best.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: best))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: best))
        let truncated = try CLI.run(["predict", run, "--history", "3"])
        #expect(truncated.status == 65)
        #expect(truncated.stderr.contains("best.safetensors") && truncated.stderr.contains("truncated"))
        // A dataset with another vocabulary.
        let other = scratch.path + "/other"
        #expect(try CLI.run(["synth", "--out", other, "--users", "50", "--items", "30", "--median-length", "8", "--min-length", "4"]).status == 0)
        let mismatch = try CLI.run(["predict", run + "/model.safetensors", "--dataset", other, "--history", "3"])
        #expect(mismatch.status == 65 && mismatch.stderr.contains("vocabularies differ"))
        // No known items at all.
        let unknown = try CLI.run(["predict", run + "/model.safetensors", "--dataset", data, "--history", "x,y"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no known items"))
        // Not a run.
        let notARun = try CLI.run(["evaluate", scratch.path])
        #expect(notARun.status == 65 && notARun.stderr.contains("config.json"))
    }
}

/// `trajectory report` and the report `train` writes: a self-contained page with every plot,
/// opened in headless Chromium (screenshot: .build/screenshots/report.png).
@Suite struct ReportCommandTests {
    typealias CLI = CommandLineTests
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func reportOfTwoRunsDrawsEveryPlot() throws {
        let scratch = CLI.Scratch()
        let data = scratch.path + "/data"
        #expect(try CLI.run(["synth", "--out", data, "--users", "120", "--items", "40", "--median-length", "12", "--min-length", "4"]).status == 0)
        var runs: [String] = []
        for model in ["lstm", "gru4rec"] {
            let run = scratch.path + "/" + model
            let train = try CLI.run(["train", data, "--model", model, "--out", run, "--epochs", "3", "--max-length", "10", "--batch-size", "32",
                                     "--embedding-size", "8", "--hidden-size", "8"])
            #expect(train.status == 0, "\(train.stderr)")
            #expect(FileManager.default.fileExists(atPath: run + "/report.html"), "train writes a report")
            runs.append(run)
        }
        let out = scratch.path + "/report.html"
        let report = try CLI.run(["report"] + runs + ["--test", "--out", out])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 == 8, "six training plots and two data plots")
        #expect(html.contains("Training loss per step") && html.contains("Learning rate"))
        #expect(html.components(separatedBy: "<polyline").count - 1 >= 5 * 2, "a line per run in each training plot")
        #expect(html.contains("<td>popularity</td>") && html.contains("<td>Markov</td>") && html.contains("<td>lstm</td>"))
        #expect(!html.contains("http://") && !html.contains("https://") || !html.contains("src=\"http"), "nothing fetched")
        #expect(!html.contains("no data"))
        let infoPage = scratch.path + "/data.html"
        #expect(try CLI.run(["info", data, "--html", infoPage]).status == 0)
        #expect(try String(contentsOfFile: infoPage, encoding: .utf8).components(separatedBy: "<svg").count - 1 == 2)

        if let chromium = Self.chromium {
            let screenshot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../.build/screenshots/report.png").standardized.path
            try FileManager.default.createDirectory(atPath: (screenshot as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: screenshot)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                                 "--user-data-dir=" + scratch.path + "/chromium", "--window-size=1240,1900", "--screenshot=" + screenshot, "file://" + out]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            let size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
            #expect(size > 50_000, "Chromium rendered the report to \(screenshot)")
        }
    }
}
