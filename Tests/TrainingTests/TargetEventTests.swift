import Core
@testable import Datasets
import Foundation
import Testing
@testable import Models
@testable import Training
import Runs

/// `train --target-event buy`: every event is input, only buys are targets; validation and test
/// hold out each user's last two buys; baselines and seen-item exclusion follow the same task.
@Suite struct TargetEventTests {
    /// u: view a, cart a, buy a, view b, cart b, view c, buy b, view d. v: view a, buy a (one buy).
    /// w: views only. Items by first appearance: a=1, b=2, c=3, d=4.
    static let log = """
        user,item,event,ts
        u,a,view,1
        u,a,cart,2
        u,a,buy,3
        u,b,view,4
        u,b,cart,5
        u,c,view,6
        u,b,buy,7
        u,d,view,8
        v,a,view,1
        v,a,buy,2
        w,c,view,1
        w,d,view,2

        """

    static func dataset(in dir: String) throws -> Dataset {
        try log.write(toFile: dir + "/log.csv", atomically: true, encoding: .utf8)
        var preparer = Preparer()
        preparer.force = true
        preparer.read.event = ColumnSpec("event")
        _ = try preparer.run(inputs: [dir + "/log.csv"], output: dir + "/data")
        return try Dataset(directory: dir + "/data")
    }

    static func withDataset(_ body: (Dataset) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "target-event-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(try dataset(in: dir))
    }

    @Test func theLastTwoBuysAreHeldOutWithEveryEarlierEventAsHistory() throws {
        try Self.withDataset { dataset in
            let buy = try dataset.eventTypeId(named: "buy")
            let split = try DatasetSplit.leaveOneOut(dataset, targetEvent: buy)
            let u = dataset.range(ofSequence: 0), v = dataset.range(ofSequence: 1)
            // u's buys are at offsets 2 (a) and 6 (b): validation ranks a after view a, cart a; test ranks b after six events.
            #expect(split.validation == [EvaluationCase(sequence: 0, history: u.lowerBound..<(u.lowerBound + 2), target: 1)])
            #expect(split.test == [EvaluationCase(sequence: 0, history: u.lowerBound..<(u.lowerBound + 6), target: 2)])
            // u trains on what precedes its validation buy; v (one buy) trains on all of it; w (no buy) is left out.
            #expect(split.training == [TrainingSpan(sequence: 0, range: u.lowerBound..<(u.lowerBound + 2)), TrainingSpan(sequence: 1, range: v)])
            #expect(throws: DatasetError.self) { _ = try dataset.eventTypeId(named: "refund") }
        }
    }

    @Test func onlyPositionsFollowedByABuyAreTrainingTargets() throws {
        try Self.withDataset { dataset in
            let buy = try dataset.eventTypeId(named: "buy")
            let whole = TrainingSpan(sequence: 0, range: dataset.range(ofSequence: 0))
            let batcher = TrainingBatcher(dataset: dataset, spans: [whole], batchSize: 1, maxLength: 8, targetEvent: buy)
            var inputs = [Int32](repeating: 0, count: 8), targets = [Int32](repeating: 0, count: 8)
            inputs.withUnsafeMutableBufferPointer { i in targets.withUnsafeMutableBufferPointer { t in _ = batcher.fill(batch: 0, inputs: i, targets: t) } }
            // Inputs: the first seven events (left-padded by one); targets only where the next event is a buy.
            #expect(inputs == [0, 1, 1, 1, 2, 2, 3, 2])
            #expect(targets == [0, 0, 1, 0, 0, 0, 2, 0])
            #expect(batcher.targetCount(batch: 0) == 2)
            // A span without a buy gives no window at all.
            let views = TrainingBatcher(dataset: dataset, spans: [TrainingSpan(sequence: 2, range: dataset.range(ofSequence: 2))],
                                        batchSize: 1, maxLength: 8, targetEvent: buy)
            #expect(views.windowCount == 0)
        }
    }

    @Test func baselinesLearnTheNextBuy() throws {
        try Self.withDataset { dataset in
            let buy = try dataset.eventTypeId(named: "buy")
            let training = [TrainingSpan(sequence: 0, range: dataset.range(ofSequence: 0))]
            // Popularity of buys: a and b once each; views and carts do not count.
            #expect(PopularityModel(dataset: dataset, training: training, targetEvent: buy).counts == [0, 1, 1, 0, 0])
            #expect(PopularityModel(dataset: dataset, training: training).counts == [0, 3, 3, 1, 1])
            // Markov into buys: after a cart of a comes a buy of a; after c (viewed) a buy of b.
            let markov = MarkovModel(dataset: dataset, training: training, targetEvent: buy)
            var scores = [Float](repeating: 0, count: 5)
            var history: [Int32] = [3]
            history.withUnsafeBufferPointer { h in scores.withUnsafeMutableBufferPointer { markov.score(histories: h.baseAddress!, rows: 1, steps: 1, scores: $0.baseAddress!) } }
            #expect(scores.firstIndex(of: scores.max()!) == 2)
            history = [4]  // d was never followed by a buy: popularity of buys only
            history.withUnsafeBufferPointer { h in scores.withUnsafeMutableBufferPointer { markov.score(histories: h.baseAddress!, rows: 1, steps: 1, scores: $0.baseAddress!) } }
            // Tolerance: scores are products of counts and a scale, compared across CPUs.
            #expect(abs(scores[3]) < 1e-6 && abs(scores[4]) < 1e-6 && scores[1] > 1e-6)
        }
    }

    @Test func excludingSeenItemsLeavesOutWhatWasBoughtNotWhatWasViewed() throws {
        try Self.withDataset { dataset in
            let buy = try dataset.eventTypeId(named: "buy")
            let cases = try DatasetSplit.leaveOneOut(dataset, targetEvent: buy).test  // u: target b after a bought, b carted, c viewed
            // Scores item i as i: d (4) and c (3) beat b (2); a (1) does not.
            final class ById: NextItemScorer {
                let vocabulary = 5
                func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
                    for row in 0..<rows { for item in 0..<5 { scores[row * 5 + item] = Float(item) } }
                }
            }
            let all = Evaluator(maxLength: 8, excludeSeen: true).evaluate(ById(), dataset: dataset, cases: cases)
            let bought = Evaluator(maxLength: 8, excludeSeen: true, targetEvent: buy).evaluate(ById(), dataset: dataset, cases: cases)
            #expect(all.mrr == 1.0 / 2)     // every history item excluded: c goes, d beats b
            #expect(bought.mrr == 1.0 / 3)  // only the bought a is excluded: c and d beat b
        }
    }
}
