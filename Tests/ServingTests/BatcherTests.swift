import Foundation
import Synchronization
import Testing
import Models
@testable import Serving

/// Micro-batching: concurrent requests share forward passes and get the answers they would alone.
@Suite struct BatcherTests {
    @Test func concurrentRequestsAreCoalescedAndAnsweredAsAlone() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let model = try ServingModel(run: fixture.run)
        let sizes = Mutex<[Int]>([])
        let batcher = PredictionBatcher(maxBatch: 8, maxWait: .zero) { report in sizes.withLock { $0.append(report.size) } }
        defer { batcher.stop() }
        let queries = (0..<32).map { i in
            PredictionQuery(ids: model.resolve((0...(i % 5)).map { fixture.knownItems[($0 + i) % fixture.knownItems.count] }).ids,
                            k: 5, excludeSeen: i % 2 == 0)
        }
        let alone = queries.map { model.rank([$0])[0] }

        batcher.hold()
        let answers = try await withThrowingTaskGroup(of: (Int, [RecommendedItem]).self) { group in
            for (index, query) in queries.enumerated() { group.addTask { (index, await batcher.rank(query, with: model)) } }
            while batcher.queued < queries.count { try await Task.sleep(for: .milliseconds(1)) }
            batcher.release()
            var answers = [[RecommendedItem]](repeating: [], count: queries.count)
            for try await (index, items) in group { answers[index] = items }
            return answers
        }
        for (index, (coalesced, single)) in zip(answers, alone).enumerated() {
            #expect(sameRanking(coalesced, single), "query \(index): \(coalesced) vs \(single)")
        }
        #expect(sizes.withLock { $0 } == [8, 8, 8, 8])
    }

    @Test func topKWithAHeapMatchesTheSortedList() {
        var generator = SystemRandomNumberGenerator()
        let scores = (0..<5000).map { _ in Float(Int.random(in: 0..<400, using: &generator)) / 7 }
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        for k in [1, 10, 32, 33, 100, 1000] {
            #expect(TopK.select(scores, k: k) == Array(order.prefix(k)), "k \(k)")
        }
        #expect(TopK.select(scores, range: 100..<200, k: 40) == Array(scores[100..<200].indices.sorted {
            scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(40).map { $0 - 100 }))
    }
}
