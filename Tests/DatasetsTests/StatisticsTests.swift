import Testing
@testable import Datasets

@Suite struct StatisticsTests {
    @Test func figuresOfASmallDataset() throws {
        let dir = TemporaryDirectory()
        var text = "user,item,timestamp\n"
        // 4 users with 1, 2, 3 and 10 events; item "hot" (every other event) takes 9 of the 16.
        let lengths = [1, 2, 3, 10]
        var t = 0
        for (user, length) in lengths.enumerated() {
            for k in 0..<length {
                t += 86_400
                text += "\(user),\(k % 2 == 0 ? "hot" : "i\(user)-\(k)"),\(t)\n"
            }
        }
        let result = try prepareSequences([dir.file("s.csv", text)], in: dir)
        let stats = DatasetStatistics(dataset: result.dataset)
        #expect(stats.users == 4)
        #expect(stats.events == 16)
        #expect(stats.items == 1 + 0 + 1 + 1 + 5)
        #expect(stats.sequenceLength.min == 1)
        #expect(stats.sequenceLength.max == 10)
        #expect(stats.sequenceLength.p50 == 3)
        #expect(stats.sequenceLength.mean == 4)
        #expect(stats.topOnePercentShare == 9.0 / 16.0)
        #expect(stats.itemsSeenOnce == 7)
        #expect(stats.spanDays == 15)
        #expect(stats.firstEvent == "1970-01-02T00:00:00Z")
    }
}
