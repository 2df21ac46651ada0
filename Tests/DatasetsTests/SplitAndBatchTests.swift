import Testing
@testable import Datasets

@Suite struct SplitAndBatchTests {
    /// Sequences: user 1 → 10 items, user 2 → 3 items, user 3 → 2 items, times one day apart.
    static func smallDataset(_ dir: TemporaryDirectory) throws -> Dataset {
        var text = "user,item,timestamp\n"
        var day = 0
        for (user, length) in [(1, 10), (2, 3), (3, 2)] {
            for k in 0..<length {
                day += 1
                text += "\(user),\(user * 100 + k),\(day * 86_400)\n"
            }
        }
        return try prepareSequences([dir.file("s.csv", text)], in: dir).dataset
    }

    @Test func leaveOneOutHoldsOutTheLastTwoItems() throws {
        let dir = TemporaryDirectory()
        let dataset = try Self.smallDataset(dir)
        let split = DatasetSplit.leaveOneOut(dataset)
        #expect(split.training.map(\.range) == [0..<8, 10..<11, 13..<15])
        #expect(split.validation.map(\.history) == [0..<8, 10..<11])
        #expect(split.validation.map(\.target) == [dataset.items[8], dataset.items[11]])
        #expect(split.test.map(\.history) == [0..<9, 10..<12])
        #expect(split.test.map(\.target) == [dataset.items[9], dataset.items[12]])
    }

    @Test func globalTemporalSplitCutsAtTimes() throws {
        let dir = TemporaryDirectory()
        let dataset = try Self.smallDataset(dir)
        // Days 1…15; validation from day 9, test from day 12.
        let split = try DatasetSplit.globalTemporal(dataset, validationFrom: 9 * 86_400, testFrom: 12 * 86_400)
        #expect(split.training.map(\.range) == [0..<8])
        // Day 11 is user 2's first event: nothing to rank it from (cold start); so is day 14 for user 3.
        #expect(split.validation.map(\.target) == [dataset.items[8], dataset.items[9]])
        #expect(split.validation.first?.history == 0..<8)
        #expect(split.test.map(\.history) == [10..<11, 10..<12, 13..<14])
        #expect(split.coldStartCases == 2)
        let first = try DatasetSplit.globalTemporal(dataset, validationFrom: 9 * 86_400, testFrom: 12 * 86_400, targets: .first)
        #expect(first.validation.map(\.target) == [dataset.items[8]])
        #expect(first.test.map(\.history) == [10..<11, 13..<14])
    }

    @Test func temporalSplitNeedsTimes() throws {
        let dir = TemporaryDirectory()
        let dataset = try prepareSequences([dir.file("p.txt", "1 a\n1 b\n1 c\n")], in: dir).dataset
        #expect(throws: DatasetError.self) { _ = try DatasetSplit.globalTemporal(dataset, validationFraction: 0.1, testFraction: 0.1) }
    }

    @Test func latestWindowsAreLeftPaddedAndShifted() throws {
        let dir = TemporaryDirectory()
        let dataset = try Self.smallDataset(dir)
        let split = DatasetSplit.leaveOneOut(dataset)
        let batcher = TrainingBatcher(dataset: dataset, spans: split.training, batchSize: 2, maxLength: 4)
        #expect(batcher.windowCount == 2)  // the 1-item span of user 2 cannot train
        var inputs = [Int32](repeating: -1, count: 8)
        var targets = [Int32](repeating: -1, count: 8)
        let rows = inputs.withUnsafeMutableBufferPointer { i in targets.withUnsafeMutableBufferPointer { t in batcher.fill(batch: 0, inputs: i, targets: t) } }
        #expect(rows == 2)
        let item = { (index: Int) in Int32(dataset.items[index]) }
        // User 1 trains on items 0…7: the 4 most recent targets are items 4…7.
        #expect(Array(inputs[0..<4]) == [item(3), item(4), item(5), item(6)])
        #expect(Array(targets[0..<4]) == [item(4), item(5), item(6), item(7)])
        // User 3 has 2 items: one input, one target, left padded.
        #expect(Array(inputs[4..<8]) == [0, 0, 0, item(13)])
        #expect(Array(targets[4..<8]) == [0, 0, 0, item(14)])
    }

    @Test func slidingWindowsCoverLongHistories() throws {
        let dir = TemporaryDirectory()
        let dataset = try Self.smallDataset(dir)
        let spans = [TrainingSpan(sequence: 0, range: 0..<10)]
        let batcher = TrainingBatcher(dataset: dataset, spans: spans, batchSize: 4, maxLength: 3, windows: .sliding(stride: 3))
        #expect(batcher.windowCount == 3)  // windows ending at 10, 7, 4 (ending at 1 has no target)
        var inputs = [Int32](repeating: 0, count: 12)
        var targets = [Int32](repeating: 0, count: 12)
        _ = inputs.withUnsafeMutableBufferPointer { i in targets.withUnsafeMutableBufferPointer { t in batcher.fill(batch: 0, inputs: i, targets: t) } }
        let item = { (index: Int) in Int32(dataset.items[index]) }
        #expect(Array(targets[0..<3]) == [item(7), item(8), item(9)])
        #expect(Array(targets[3..<6]) == [item(4), item(5), item(6)])
        #expect(Array(targets[6..<9]) == [item(1), item(2), item(3)])
        #expect(Array(inputs[6..<9]) == [item(0), item(1), item(2)])
        #expect(Array(targets[9..<12]) == [0, 0, 0])  // past the last window: zero rows
        // Every target position of the span appears exactly once.
        let covered = Set(targets.filter { $0 != 0 })
        #expect(covered.count == 9)
    }

    @Test func shuffleIsSeededAndAPermutation() throws {
        let dir = TemporaryDirectory()
        let dataset = try Self.smallDataset(dir)
        let spans = [TrainingSpan(sequence: 0, range: 0..<10)]
        func targetsAfterShuffle(_ seed: UInt64) -> [Int32] {
            var batcher = TrainingBatcher(dataset: dataset, spans: spans, batchSize: 9, maxLength: 1, windows: .sliding(stride: 1))
            batcher.shuffle(seed: seed)
            var inputs = [Int32](repeating: 0, count: 9)
            var targets = [Int32](repeating: 0, count: 9)
            _ = inputs.withUnsafeMutableBufferPointer { i in targets.withUnsafeMutableBufferPointer { t in batcher.fill(batch: 0, inputs: i, targets: t) } }
            return targets
        }
        #expect(targetsAfterShuffle(1) == targetsAfterShuffle(1))
        #expect(targetsAfterShuffle(1) != targetsAfterShuffle(2))
        #expect(Set(targetsAfterShuffle(1)) == Set((1..<10).map { Int32(dataset.items[$0]) }))
    }

    @Test func evaluationHistoriesKeepTheMostRecentItems() throws {
        let dir = TemporaryDirectory()
        let dataset = try Self.smallDataset(dir)
        let split = DatasetSplit.leaveOneOut(dataset)
        var inputs = [Int32](repeating: -1, count: 6)
        var targets = [Int32](repeating: -1, count: 2)
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { t in
                _ = EvaluationBatcher.fill(split.test[...], dataset: dataset, maxLength: 3, inputs: i, targets: t)
            }
        }
        let item = { (index: Int) in Int32(dataset.items[index]) }
        #expect(inputs == [item(6), item(7), item(8), 0, item(10), item(11)])
        #expect(targets == [item(9), item(12)])
    }
}
