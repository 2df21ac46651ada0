import Foundation
import Testing

/// The update loop as a user runs it: prepare --like → train --from --window → evaluate --since → predict.
@Suite struct IncrementalCommandTests {
    typealias CLI = CommandLineTests
    static let day = 86_400
    static let start = 975_628_800  // 2000-12-01

    /// A ratings log: 80 users over items i0…i29 on days 0…9; with `newer`, days 10 and 11
    /// add items fresh0…fresh4 (fresh k followed by fresh k+1). Ratings of 1 are noise that
    /// `--min-rating 2` drops.
    static func log(newer: Bool) -> String {
        var text = "user,item,rating,timestamp\n"
        for user in 0..<80 {
            for k in 0..<12 {
                text += "u\(user),i\((user + k * 7) % 30),\(k % 5 == 4 ? 1 : 4),\(start + (k * 10 / 12) * day + user)\n"
            }
            guard newer else { continue }
            for k in 0..<3 { text += "u\(user),fresh\((user + k) % 3 + k),4,\(start + 10 * day + k * 3600 + user)\n" }
        }
        return text
    }

    @Test func prepareLikeTrainFromWindowEvaluateSincePredict() throws {
        let scratch = CLI.Scratch()
        let path = scratch.path
        try Data(Self.log(newer: false).utf8).write(to: URL(fileURLWithPath: path + "/old.csv"))
        try Data(Self.log(newer: true).utf8).write(to: URL(fileURLWithPath: path + "/all.csv"))
        #expect(try CLI.run(["prepare", path + "/old.csv", "--out", path + "/old", "--min-rating", "2"]).status == 0)
        let train = try CLI.run(["train", path + "/old", "--model", "sasrec", "--out", path + "/run-old", "--epochs", "2", "--max-length", "10",
                                 "--hidden-size", "8", "--batch-size", "32"])
        #expect(train.status == 0, "\(train.stderr)")

        // The newer log, prepared like the old dataset: same ids, --min-rating inherited, new items appended.
        let prepare = try CLI.run(["prepare", path + "/all.csv", "--like", path + "/old", "--out", path + "/all", "--json"])
        #expect(prepare.status == 0, "\(prepare.stderr)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(prepare.stdout.utf8)) as? [String: Any])
        let parent = try #require(manifest["parent"] as? [String: Any])
        #expect(parent["newItems"] as? Int == 5)
        #expect(parent["items"] as? Int == 30)
        #expect(((manifest["options"] as? [String: Any])?["read"] as? [String: Any])?["minRating"] as? Double == 2)
        #expect((manifest["dropped"] as? [String: Any])?["belowMinRating"] as? Int == 80 * 2)

        let warm = try CLI.run(["train", path + "/all", "--from", path + "/run-old", "--out", path + "/run-new", "--window", "2d", "--epochs", "2"])
        #expect(warm.status == 0, "\(warm.stderr)")
        #expect(warm.stdout.contains("warm start from") && warm.stdout.contains("30 known items, 5 new"), "\(warm.stdout)")
        #expect(warm.stdout.contains("window: the last 2 days"), "\(warm.stdout)")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/run-new/config.json"))) as? [String: Any])
        #expect(config["model"] as? String == "sasrec")
        #expect((config["warmStart"] as? [String: Any])?["items"] as? Int == 30)
        #expect(((config["sasrec"] as? [String: Any])?["hiddenSize"]) as? Int == 8)

        let recent = try CLI.run(["evaluate", path + "/run-new", "--since", "2000-12-11", "--json"])
        #expect(recent.status == 0, "\(recent.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(recent.stdout.utf8)) as? [String: Any])?["users"] as? Int == 80)
        let predict = try CLI.run(["predict", path + "/run-new", "--history", "i3,fresh1", "--k", "5", "--json"])
        #expect(predict.status == 0 && !predict.stderr.contains("unknown"), "\(predict.stderr)")
        _ = scratch
    }

    @Test func warmStartMistakesAreClearErrors() throws {
        let scratch = CLI.Scratch()
        let path = scratch.path
        try Data(Self.log(newer: false).utf8).write(to: URL(fileURLWithPath: path + "/old.csv"))
        try Data(Self.log(newer: true).utf8).write(to: URL(fileURLWithPath: path + "/all.csv"))
        #expect(try CLI.run(["prepare", path + "/old.csv", "--out", path + "/old"]).status == 0)
        #expect(try CLI.run(["prepare", path + "/all.csv", "--out", path + "/unrelated"]).status == 0)
        #expect(try CLI.run(["train", path + "/old", "--out", path + "/run-old", "--epochs", "1", "--max-length", "10",
                             "--embedding-size", "8", "--hidden-size", "8"]).status == 0)

        let architecture = try CLI.run(["train", path + "/old", "--from", path + "/run-old", "--out", path + "/x", "--hidden-size", "16"])
        #expect(architecture.status != 0 && architecture.stderr.contains("--hidden-size: the model's settings come from the --from run"), "\(architecture.stderr)")
        let otherIds = try CLI.run(["train", path + "/unrelated", "--from", path + "/run-old", "--out", path + "/x"])
        #expect(otherIds.status != 0 && otherIds.stderr.contains("--like"), "\(otherIds.stderr)")
        let otherModel = try CLI.run(["train", path + "/old", "--from", path + "/run-old", "--model", "gru4rec", "--out", path + "/x"])
        #expect(otherModel.status != 0 && otherModel.stderr.contains("holds a lstm model"), "\(otherModel.stderr)")
        let badWindow = try CLI.run(["train", path + "/old", "--out", path + "/x", "--window", "lately"])
        #expect(badWindow.status != 0 && badWindow.stderr.contains("--window 'lately'"), "\(badWindow.stderr)")
        let noParent = try CLI.run(["prepare", path + "/all.csv", "--like", path + "/missing", "--out", path + "/y"])
        #expect(noParent.status != 0 && noParent.stderr.contains("not a dataset directory"), "\(noParent.stderr)")
        _ = scratch
    }
}
