import Foundation
import Testing
@testable import Datasets

@Suite struct SyntheticTests {
    static func smallParameters() -> SyntheticGenerator.Parameters {
        var p = SyntheticGenerator.Parameters()
        p.users = 300
        p.items = 200
        p.medianLength = 30
        p.minLength = 5
        p.maxLength = 200
        return p
    }

    @Test func sameSeedSameData() {
        let a = SyntheticGenerator(parameters: Self.smallParameters()).generate()
        let b = SyntheticGenerator(parameters: Self.smallParameters()).generate()
        #expect(a.map(\.items) == b.map(\.items))
        #expect(a.map(\.times) == b.map(\.times))
        var other = Self.smallParameters()
        other.seed = 43
        #expect(SyntheticGenerator(parameters: other).generate().map(\.items) != a.map(\.items))
    }

    @Test func shapeFollowsTheParameters() {
        let histories = SyntheticGenerator(parameters: Self.smallParameters()).generate()
        #expect(histories.count == 300)
        #expect(histories.allSatisfy { (5...200).contains($0.items.count) })
        #expect(histories.allSatisfy { $0.items.allSatisfy { (1...200).contains($0) } })
        #expect(histories.allSatisfy { zip($0.times, $0.times.dropFirst()).allSatisfy { $0 < $1 } })
        let median = histories.map(\.items.count).sorted()[150]
        #expect((20...45).contains(median))
    }

    @Test func withoutRepeatsEveryUserConsumesAnItemOnce() {
        var parameters = Self.smallParameters()
        parameters.allowRepeats = false
        parameters.interestDrift = 0.05
        let histories = SyntheticGenerator(parameters: parameters).generate()
        #expect(histories.allSatisfy { Set($0.items).count == $0.items.count })
        #expect(histories.allSatisfy { $0.items.count <= 100 })  // at most half the catalogue
        // With repeats (the default of the parameters), some users do repeat.
        #expect(SyntheticGenerator(parameters: Self.smallParameters()).generate().contains { Set($0.items).count < $0.items.count })
    }

    @Test func interestsDriftAwayFromTheTasteAndBack() {
        var parameters = Self.smallParameters()
        parameters.interestDrift = 0.1
        let histories = SyntheticGenerator(parameters: parameters).generate()
        let steps = histories.reduce(0) { $0 + $1.interests.count }
        let away = histories.reduce(0) { total, user in total + user.interests.filter { $0 != user.taste }.count }
        // Stationary share away from the taste group: about half the time after a drift, minus
        // the drifts that land on it; well inside 10 %…60 % for 20 groups.
        #expect(Double(away) / Double(steps) > 0.1 && Double(away) / Double(steps) < 0.6)
        #expect(SyntheticGenerator(parameters: Self.smallParameters()).generate().allSatisfy { user in user.interests.allSatisfy { $0 == user.taste } })
        let generator = SyntheticGenerator(parameters: parameters)
        let ceiling = generator.ceiling(histories)
        #expect(ceiling.hitRate > 0 && ceiling.hitRate < 1)
    }

    @Test func tasteMixesDrawFromSeveralGroupsPerUser() {
        var parameters = Self.smallParameters()
        parameters.tasteGroups = 3
        parameters.followProbability = 0.1
        parameters.tasteProbability = 1
        let generator = SyntheticGenerator(parameters: parameters)
        let histories = generator.generate()
        #expect(histories.allSatisfy { $0.mixGroups.count == 3 && abs($0.mixWeights.reduce(0, +) - 1) < 1e-9 })
        // Without drift, every popularity draw stays within the user's three groups: a user's
        // items come from about three groups (successor draws, one in ten, may leave them).
        let groupsPerUser = histories.map { user in Set(user.items.map { generator.itemCluster[Int($0) - 1] }).count }
        let typical = groupsPerUser.sorted()[groupsPerUser.count / 2]
        #expect((3...6).contains(typical), "median groups per user \(typical)")
        // One group per user (the default) keeps older seeds' data unchanged.
        var single = parameters
        single.tasteGroups = 1
        #expect(SyntheticGenerator(parameters: single).generate().allSatisfy { $0.mixGroups.isEmpty })
        let ceiling = generator.ceiling(histories)
        #expect(ceiling.hitRate > 0 && ceiling.hitRate < 1)
    }

    @Test func replaysComeFromTheUsersRecentItems() {
        var parameters = Self.smallParameters()
        parameters.repeatProbability = 0.5
        let histories = SyntheticGenerator(parameters: parameters).generate()
        var steps = 0, recent = 0
        for user in histories {
            for index in 1..<user.items.count {
                steps += 1
                if user.items[max(0, index - 20)..<index].contains(user.items[index]) { recent += 1 }
            }
        }
        // Half the steps replay one of the last 20 items; a few more land there by chance.
        #expect(Double(recent) / Double(steps) > 0.45 && Double(recent) / Double(steps) < 0.7, "\(recent) of \(steps)")
        // A perfect model knows which items are replayed: the ceiling rises with replays.
        let generator = SyntheticGenerator(parameters: parameters)
        let withoutReplays = SyntheticGenerator(parameters: Self.smallParameters())
        #expect(generator.ceiling(histories).ndcg > withoutReplays.ceiling(withoutReplays.generate()).ndcg + 0.05)
    }

    @Test func ceilingIsWellAbovePopularity() {
        let generator = SyntheticGenerator(parameters: Self.smallParameters())
        let histories = generator.generate()
        let ceiling = generator.ceiling(histories)
        // Popularity's HR@10: rank every target by popularity alone.
        let top10 = Set((1...200).sorted { generator.popularity[$0 - 1] > generator.popularity[$1 - 1] }.prefix(10).map(UInt32.init))
        let popularityHits = Double(histories.filter { top10.contains($0.items.last!) }.count) / Double(histories.count)
        #expect(ceiling.hitRate > popularityHits + 0.15)
        #expect(ceiling.hitRate < 1)
        #expect(ceiling.ndcg > 0 && ceiling.ndcg < ceiling.hitRate)
    }

    /// synth → raw log in every format → prepare gives the sequences synth writes directly.
    @Test(arguments: [LogFormat.movielens, .csv, .tsv, .jsonl, .pairs, .sequences])
    func roundTripThroughEveryFormat(format: LogFormat) throws {
        let dir = TemporaryDirectory()
        let histories = SyntheticGenerator(parameters: Self.smallParameters()).generate()
        var direct = Preparer()
        direct.force = true
        _ = try direct.write(SyntheticGenerator.eventLog(histories), output: dir.path + "/direct")
        let expected = try originalSequences(Dataset(directory: dir.path + "/direct"))
        #expect(expected.count == 300)

        let raw = dir.path + "/log." + format.rawValue + (format == .csv ? ".csv.gz" : "")
        try RawLogWriter(format: format).write(histories, to: raw)
        let read = try prepareSequences([raw], in: dir, out: "read")
        #expect(read.summary.manifest.sources[0].format == format.rawValue)
        #expect(read.sequences == expected)
        let directDataset = try Dataset(directory: dir.path + "/direct")
        if read.summary.manifest.hasTimes {
            #expect(Array(read.dataset.times!) == Array(directDataset.times!))
        }
        #expect(Array(read.dataset.items) == Array(directDataset.items))
    }
}
