import Testing
@testable import Datasets

/// `train --window`: which targets a run trains on, and how the batcher leaves the rest as context.
@Suite struct TrainingWindowTests {
    static let day: Int64 = 86_400

    @Test func argumentsParse() {
        #expect(TrainingWindow(argument: "90d") == .recent(seconds: 90 * Self.day))
        #expect(TrainingWindow(argument: "12h") == .recent(seconds: 12 * 3600))
        #expect(TrainingWindow(argument: "2000-12-01") == .since(unixSeconds: 975_628_800))
        #expect(TrainingWindow(argument: "2000-12-01T06:00:00Z") == .since(unixSeconds: 975_628_800 + 6 * 3600))
        #expect(TrainingWindow(argument: "50") == .lastEvents(50))
        #expect(TrainingWindow(argument: "0") == nil)
        #expect(TrainingWindow(argument: "soon") == nil)
        #expect(TrainingWindow(argument: "10ms") == nil)  // under a second is not a useful window
    }

    @Test func lastEventsKeepsEachSequencesNewestTargets() throws {
        let dir = TemporaryDirectory()
        let dataset = try SplitAndBatchTests.smallDataset(dir)
        let split = DatasetSplit.leaveOneOut(dataset)
        let recent = try split.restricted(to: .lastEvents(3), dataset: dataset)
        // Spans 0..<8 and 13..<15 keep their whole history as context; 10..<11 had no target at all.
        #expect(recent.training.map(\.range) == [0..<8, 13..<15])
        #expect(recent.training.map(\.targetsFrom) == [5, 14])
        #expect(recent.training.map(\.targetCount) == [3, 1])
        #expect(recent.validation == split.validation)
        #expect(recent.test == split.test)
    }

    @Test func aTimeWindowCutsTargetsAndValidationByTime() throws {
        let dir = TemporaryDirectory()
        let dataset = try SplitAndBatchTests.smallDataset(dir)  // events on days 1…15
        let split = DatasetSplit.leaveOneOut(dataset)
        let sinceDay7 = try split.restricted(to: .since(unixSeconds: 7 * Self.day), dataset: dataset)
        #expect(sinceDay7.training.map(\.targetsFrom) == [6, 14])
        #expect(sinceDay7.validation == split.validation)  // days 9 and 12: both in the window
        let sinceDay10 = try split.restricted(to: .since(unixSeconds: 10 * Self.day), dataset: dataset)
        #expect(sinceDay10.training.map(\.range) == [13..<15])
        #expect(sinceDay10.validation.map(\.target) == [dataset.items[11]])
        // Six days back from the newest event (day 15) is day 9: user 1's training events are all older.
        let lastSixDays = try split.restricted(to: .recent(seconds: 6 * Self.day), dataset: dataset)
        #expect(lastSixDays.training.map(\.range) == [13..<15])
        #expect(lastSixDays.test == split.test)
    }

    @Test func timeWindowsNeedTimes() throws {
        let dir = TemporaryDirectory()
        let dataset = try prepareSequences([dir.file("p.txt", "1 a\n1 b\n1 c\n1 d\n")], in: dir).dataset
        let split = DatasetSplit.leaveOneOut(dataset)
        #expect(throws: DatasetError.self) { try split.restricted(to: .recent(seconds: 86_400), dataset: dataset) }
        #expect(try split.restricted(to: .lastEvents(1), dataset: dataset).training.map(\.targetCount) == [1])
    }

    @Test func theBatcherPadsTargetsBeforeTheWindowAndCountsOnlyTheRest() throws {
        let dir = TemporaryDirectory()
        let dataset = try SplitAndBatchTests.smallDataset(dir)
        let spans = try DatasetSplit.leaveOneOut(dataset).restricted(to: .lastEvents(3), dataset: dataset).training
        let batcher = TrainingBatcher(dataset: dataset, spans: [spans[0]], batchSize: 1, maxLength: 4)
        let inputs = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 4), targets = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 4)
        defer { inputs.deallocate(); targets.deallocate() }
        #expect(batcher.fill(batch: 0, inputs: inputs, targets: targets) == 1)
        let items = dataset.items
        #expect(Array(inputs) == (3...6).map { Int32(items[$0]) })
        #expect(Array(targets) == [0] + (5...7).map { Int32(items[$0]) })
        #expect(batcher.targetCount(batch: 0) == 3)
    }

    @Test func slidingWindowsWithoutTargetsAreLeftOut() throws {
        let dir = TemporaryDirectory()
        let dataset = try SplitAndBatchTests.smallDataset(dir)
        let spans = try DatasetSplit.leaveOneOut(dataset).restricted(to: .lastEvents(3), dataset: dataset).training
        // Span 0..<8, stride 2: windows end at 8 and 6 (targets 5…7 and 5); the one ending at 4 has none.
        let batcher = TrainingBatcher(dataset: dataset, spans: [spans[0]], batchSize: 4, maxLength: 3, windows: .sliding(stride: 2))
        #expect(batcher.windowCount == 2)
        #expect(batcher.targetCount(batch: 0) == 3 + 1)
    }
}
