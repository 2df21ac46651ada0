import Datasets
import Foundation
import Testing
@testable import Models
@testable import Training
import Runs

/// Data parallelism as the GPUs run it (one process per GPU, gradients summed by NCCL),
/// here with two threads and an in-process sum: the same weights as one process taking both
/// ranks' micro-batches in one step, and only rank 0 writes the run.
@Suite(.serialized) struct DataParallelTests {
    /// Sums each call's values over `size` threads, like an all-reduce.
    final class InProcessSum: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var arrived = 0, generation = 0
        private var total: [Float] = []
        private var departed = 0

        init(size: Int) { self.size = size }

        func sum(_ values: UnsafeMutablePointer<Float>, count: Int) {
            condition.lock()
            defer { condition.unlock() }
            while departed > 0 { condition.wait() }  // the previous round is still being read
            if arrived == 0 { total = [Float](repeating: 0, count: count) }
            for i in 0..<count { total[i] += values[i] }
            arrived += 1
            let round = generation
            if arrived == size {
                generation += 1
                departed = size
                condition.broadcast()
            } else {
                while generation == round { condition.wait() }
            }
            for i in 0..<count { values[i] = total[i] }
            departed -= 1
            if departed == 0 {
                arrived = 0
                condition.broadcast()
            }
        }
    }

    @Test func twoRanksMatchOneProcessWithTheirBatchesAccumulated() throws {
        let dir = TrainingTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (dataset, _) = try TrainingTests.smallDataset(in: dir, users: 300)
        let split = DatasetSplit.leaveOneOut(dataset)
        var options = TrainingTests.options(epochs: 2)
        options.batchSize = 32

        // One process: each step takes two micro-batches of 32.
        var alone = options
        alone.batchSize = 64
        alone.accumulate = 2
        let single = TrainingTests.smallModel(dataset)
        try RunDirectory(path: dir + "/single").create()
        _ = try Trainer(model: single, dataset: dataset, split: split, options: alone, run: RunDirectory(path: dir + "/single")).train()

        // Two ranks, one micro-batch of 32 each per step.
        let group = InProcessSum(size: 2)
        let models = [TrainingTests.smallModel(dataset), TrainingTests.smallModel(dataset)]
        try RunDirectory(path: dir + "/ranks").create()
        let failures = NSLock()
        nonisolated(unsafe) var errors: [any Error] = []
        let finished = DispatchSemaphore(value: 0)
        let rankOptions = options
        let data = (dataset, split)
        for rank in 0..<2 {
            let model = models[rank]
            Thread {
                do {
                    let trainer = Trainer(model: model, dataset: data.0, split: data.1, options: rankOptions, run: RunDirectory(path: dir + "/ranks"))
                    trainer.dataParallel = DataParallelGroup(rank: rank, size: 2) { group.sum($0, count: $1) }
                    _ = try trainer.train()
                } catch {
                    failures.lock(); errors.append(error); failures.unlock()
                }
                finished.signal()
            }.start()
        }
        finished.wait()
        finished.wait()
        #expect(errors.isEmpty, "\(errors)")

        let worst = zip(single.parameters.values.array, models[0].parameters.values.array).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4, "rank 0 vs one process: \(worst)")
        let apart = zip(models[0].parameters.values.array, models[1].parameters.values.array).map { abs($0 - $1) }.max() ?? 0
        #expect(apart == 0, "the ranks' weights differ by up to \(apart)")
        // Rank 0 wrote the run, once per epoch.
        let metrics = try String(contentsOfFile: dir + "/ranks/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 2)
    }

    @Test func stepsCoverEveryGroupOnce() {
        let group = DataParallelGroup(rank: 1, size: 3) { _, _ in }
        #expect(group.steps(groupCount: 7) == 3)
        let covered = (0..<3).flatMap { group.groups(step: $0, groupCount: 7) }
        #expect(covered == Array(0..<7))
        #expect(group.groups(step: 2, groupCount: 7) == [6])
    }
}
