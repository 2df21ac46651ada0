import Core
import Datasets
import Foundation
import Testing
@testable import Models
@testable import Training
import Runs

/// Full-ranking evaluation: exact ranks, seen-item filtering, batch-size independence.
@Suite struct EvaluatorTests {
    /// Scores item i as i, except that it puts the history's items on top.
    final class FavoursHistory: NextItemScorer {
        let vocabulary: Int
        init(vocabulary: Int) { self.vocabulary = vocabulary }
        func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
            for row in 0..<rows {
                for item in 0..<vocabulary { scores[row * vocabulary + item] = Float(item) }
                for t in 0..<steps where histories[row * steps + t] != 0 {
                    scores[row * vocabulary + Int(histories[row * steps + t])] = 1000
                }
            }
        }
    }

    static func dataset(in dir: String) throws -> Dataset {
        // Items are numbered by first appearance: a=1, b=2, c=3, d=4, e=5.
        let log = dir + "/log.txt"
        try "u a\nu b\nu c\nu d\nv e\nv a\nv d\n".write(toFile: log, atomically: true, encoding: .utf8)
        var preparer = Preparer()
        preparer.force = true
        _ = try preparer.run(inputs: [log], output: dir + "/data")
        return try Dataset(directory: dir + "/data")
    }

    @Test func ranksCountStrictlyHigherScoresAndFilteringDropsTheHistory() throws {
        let dir = NSTemporaryDirectory() + "evaluator-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataset = try Self.dataset(in: dir)
        let cases = DatasetSplit.leaveOneOut(dataset).test  // u: history a b c → d; v: e a → d
        let scorer = FavoursHistory(vocabulary: dataset.itemCount + 1)
        let plain = Evaluator(maxLength: 5).evaluate(scorer, dataset: dataset, cases: cases)
        // u: a, b, c (1000) and e (5) beat d (4) → rank 4. v: e, a (1000) beat d → rank 2.
        #expect(plain.mrr == (1.0 / 5 + 1.0 / 3) / 2)
        #expect(plain.hitRate5 == 1 && plain.hitRate10 == 1)
        #expect(plain.ndcg5 == (1 / log2(6.0) + 1 / log2(4.0)) / 2)
        let filtered = Evaluator(maxLength: 5, excludeSeen: true).evaluate(scorer, dataset: dataset, cases: cases)
        // Without the history, d (4) is beaten only by e (5) for u; for v nothing beats it.
        #expect(filtered.mrr == (1.0 / 2 + 1.0) / 2)
        #expect(filtered.seenExcluded)
    }

    @Test func resultsDoNotDependOnTheBatchSize() throws {
        let dir = NSTemporaryDirectory() + "evaluator-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var parameters = SyntheticGenerator.Parameters()
        parameters.users = 150
        parameters.items = 80
        parameters.medianLength = 20
        parameters.minLength = 5
        var preparer = Preparer()
        preparer.force = true
        _ = try preparer.write(SyntheticGenerator.eventLog(SyntheticGenerator(parameters: parameters).generate()), output: dir + "/data")
        let dataset = try Dataset(directory: dir + "/data")
        let model = LSTMRecommender(configuration: .init(vocabulary: dataset.itemCount + 1, embeddingSize: 8, hiddenSize: 16, layers: 2), seed: 5)
        let cases = DatasetSplit.leaveOneOut(dataset).test
        let reference = Evaluator(maxLength: 30, batchSize: 150, excludeSeen: true).evaluate(model, dataset: dataset, cases: cases)
        // Another batch size is another matrix height, so scores may differ in the last bits
        // (OpenBLAS kernel edges); a rank can then move only where two scores tie to ~1e-7.
        // Allow one case's worth (1/cases) in each metric; a batching bug moves many cases.
        let oneCase = 1.0 / Double(reference.cases) + 1e-12
        for batchSize in [1, 7, 64] {
            let metrics = Evaluator(maxLength: 30, batchSize: batchSize, excludeSeen: true).evaluate(model, dataset: dataset, cases: cases)
            #expect(metrics.cases == reference.cases)
            let pairs = [(metrics.hitRate5, reference.hitRate5), (metrics.hitRate10, reference.hitRate10), (metrics.hitRate20, reference.hitRate20),
                         (metrics.ndcg5, reference.ndcg5), (metrics.ndcg10, reference.ndcg10), (metrics.ndcg20, reference.ndcg20),
                         (metrics.mrr, reference.mrr)]
            #expect(pairs.allSatisfy { abs($0 - $1) <= oneCase }, "batch size \(batchSize): \(metrics) vs \(reference)")
        }
    }

    @Test func topKIsOrderedAndSkipsExcludedItems() {
        let scores: [Float] = [-.infinity, 0.5, 3, 2, 3, -.infinity, 1]
        #expect(TopK.select(scores, k: 3) == [2, 4, 3])
        #expect(TopK.select(scores, k: 10) == [2, 4, 3, 6, 1])
    }

    /// Epochs under a time limit: what fits in what is left, never fewer than done (or one),
    /// never more than --epochs; without a limit, --epochs.
    @Test func epochsFittingATimeLimit() {
        var options = TrainingOptions()
        options.epochs = 45
        #expect(options.epochsFitting(done: 3, elapsed: 30, secondsPerEpoch: 10) == 45)
        options.timeLimit = 100
        #expect(options.epochsFitting(done: 0, elapsed: 0, secondsPerEpoch: 10) == 10)
        #expect(options.epochsFitting(done: 3, elapsed: 30, secondsPerEpoch: 11) == 9)
        #expect(options.epochsFitting(done: 0, elapsed: 0, secondsPerEpoch: 500) == 1)
        #expect(options.epochsFitting(done: 4, elapsed: 120, secondsPerEpoch: 30) == 4)
        #expect(options.epochsFitting(done: 0, elapsed: 0, secondsPerEpoch: 1e-9) == 45)
    }

    @Test func learningRateSchedules() {
        var options = TrainingOptions()
        options.learningRate = 1
        options.warmupSteps = 10
        #expect(options.learningRate(step: 0, totalSteps: 110) == 0.1)
        #expect(options.learningRate(step: 50, totalSteps: 110) == 1)
        options.schedule = .linear
        #expect(abs(options.learningRate(step: 60, totalSteps: 110) - 0.5) < 1e-6)
        options.schedule = .cosine
        #expect(abs(options.learningRate(step: 60, totalSteps: 110) - 0.5) < 1e-6)
        #expect(options.learningRate(step: 110, totalSteps: 110) < 1e-6)
    }
}

@Suite struct RankCountTests {
    /// The vectorised count equals a plain loop, ties and tails included.
    @Test func countAboveMatchesAPlainLoop() {
        var random = SeededRandom(seed: 11)
        let scores = (0..<1003).map { _ in Float(Int(random.next() % 50)) / 7 }
        for threshold in [Float(-1), 0, 3, 3.5, 7, 100] {
            let expected = scores.filter { $0 > threshold }.count
            let counted = scores.withUnsafeBufferPointer { Evaluator.countAbove(threshold, in: $0.baseAddress!, count: $0.count) }
            #expect(counted == expected)
        }
    }
}
