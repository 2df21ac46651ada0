import Foundation
import Testing

/// The behaviour-aware path as a user runs it: a funnel log with event types and categories,
/// `train --target-event buy --features …`, evaluation, baselines, and the errors that name what is wrong.
@Suite struct BehaviourCommandTests {
    typealias CLI = CommandLineTests

    @Test func aShopLogTrainsOnTheNextBuyWithFeatures() throws {
        let scratch = CLI.Scratch()
        let log = scratch.path + "/shop.csv", data = scratch.path + "/shop", run = scratch.path + "/run"
        #expect(try CLI.run(["synth", "--funnel", "--out", log, "--users", "150", "--items", "60", "--clusters", "5"]).status == 0)
        let prepare = try CLI.run(["prepare", log, "--out", data, "--event", "event", "--attribute", "category"])
        #expect(prepare.status == 0, "\(prepare.stderr)")
        #expect(prepare.stdout.contains("event types: view") && prepare.stdout.contains("attribute category: 5 values"))

        let train = try CLI.run(["train", data, "--out", run, "--model", "sasrec", "--target-event", "buy", "--features", "event,time-gap,category",
                                 "--epochs", "2", "--max-length", "20", "--hidden-size", "8", "--batch-size", "32"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("features in \(data): event, time-gap, category; used: event, time-gap, category"))
        #expect(train.stdout.contains("target: the next buy"))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any]
        let features = config?["features"] as? [String: Any]
        #expect(features?["eventTypes"] as? [String] == ["view", "cart", "buy"] && features?["timeGap"] as? Bool == true)
        #expect((config?["training"] as? [String: Any])?["targetEvent"] as? String == "buy")

        let evaluation = try CLI.run(["evaluate", run, "--json"])
        #expect(evaluation.status == 0, "\(evaluation.stderr)")
        let buyers = try JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any]
        #expect((buyers?["cases"] as? Int ?? 0) > 0 && (buyers?["cases"] as? Int ?? 0) < 150, "only users with two buys are test cases")
        let markov = try CLI.run(["evaluate", data, "--baseline", "markov", "--target-event", "buy", "--json"])
        #expect(markov.status == 0)
        let baseline = try JSONSerialization.jsonObject(with: Data(markov.stdout.utf8)) as? [String: Any]
        #expect(baseline?["cases"] as? Int == buyers?["cases"] as? Int)
        let plain = try CLI.run(["predict", run, "--history", "i1,i2", "--k", "3", "--json"])
        let withEvents = try CLI.run(["predict", run, "--history", "i1:view,i2:cart", "--k", "3", "--json"])
        #expect(plain.status == 0 && withEvents.status == 0, "\(withEvents.stderr)")
        func scores(_ output: String) -> [String: Double] {
            let items = (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
            return Dictionary(items.compactMap { item in (item["item"] as? String).flatMap { id in (item["score"] as? Double).map { (id, $0) } } }) { a, _ in a }
        }
        // Event types move the scores by far more than float noise (1e-4), on any CPU.
        let before = scores(plain.stdout), after = scores(withEvents.stdout)
        let moved = after.map { abs($0.value - (before[$0.key] ?? .infinity)) }.max() ?? 0
        #expect(moved > 1e-4, "event types change the scores of a model that reads them")
        #expect(try CLI.run(["predict", run, "--user", "u1", "--k", "3"]).status == 0)

        // What cannot be done says why.
        let unknownFeature = try CLI.run(["train", data, "--out", run + "-x", "--model", "sasrec", "--features", "brand", "--epochs", "1"])
        #expect(unknownFeature.status != 0 && unknownFeature.stderr.contains("it has: event, time-gap, category"))
        let gpu = try CLI.run(["train", data, "--out", run + "-y", "--features", "event", "--device", "cuda", "--epochs", "1"])
        #expect(gpu.status != 0 && gpu.stderr.contains("train on the CPU"))
        let unknownType = try CLI.run(["train", data, "--out", run + "-z", "--target-event", "refund", "--epochs", "1"])
        #expect(unknownType.status != 0 && unknownType.stderr.contains("no event type 'refund'"))
    }
}
