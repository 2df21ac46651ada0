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

    @Test func aLoneRequestIsRankedInlineAndAnsweredAsAlone() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let model = try ServingModel(run: fixture.run)
        let sizes = Mutex<[Int]>([])
        let batcher = PredictionBatcher { report in sizes.withLock { $0.append(report.size) } }
        defer { batcher.stop() }
        let query = PredictionQuery(ids: model.resolve(Array(fixture.knownItems.prefix(3))).ids, k: 5, excludeSeen: true)
        let inline = await batcher.rank(query, with: model)
        #expect(sameRanking(inline, model.rank([query])[0]))
        #expect(sizes.withLock { $0 } == [1])
        #expect(batcher.queued == 0)
    }

    @Test func theMeasuredCapSplitsABacklog() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let model = try ServingModel(run: fixture.run)
        #expect(!model.batchCurve.points.isEmpty && model.batchCurve.points[0].size == 1)
        #expect((1...64).contains(model.preferredBatch))
        let sizes = Mutex<[Int]>([])
        let batcher = PredictionBatcher { report in sizes.withLock { $0.append(report.size) } }
        defer { batcher.stop() }
        let query = PredictionQuery(ids: model.resolve(Array(fixture.knownItems.prefix(2))).ids, k: 3, excludeSeen: false)
        let count = 2 * model.preferredBatch + 1
        batcher.hold()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count { group.addTask { _ = await batcher.rank(query, with: model) } }
            while batcher.queued < count { try await Task.sleep(for: .milliseconds(1)) }
            batcher.release()
            try await group.waitForAll()
        }
        #expect(sizes.withLock { $0 } == [model.preferredBatch, model.preferredBatch, 1])
    }

    @Test func aReloadOfTheSameNetworkKeepsItsBatchCurve() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let first = try ServingModel(run: fixture.run)
        let reloaded = try ServingModel(run: fixture.run, previous: first)
        // Copied, not measured again (a measurement under load would differ): the same numbers exactly.
        #expect(reloaded.batchCurve.points.map(\.seconds) == first.batchCurve.points.map(\.seconds))
        #expect(reloaded.preferredBatch == first.preferredBatch)
        // A fixed --max-batch: nothing is timed.
        let unmeasured = try ServingModel(run: fixture.run, measuresBatchCurve: false)
        #expect(unmeasured.batchCurve.points.isEmpty && unmeasured.preferredBatch == 1)
    }

    @Test func preferredBatchIsTheKneeGrownWhilePassesStayShort() {
        func curve(_ milliseconds: [Double]) -> BatchCurve {
            BatchCurve(points: zip(BatchCurve.sizes, milliseconds).map { BatchCurve.Point(size: $0, seconds: $1 / 1000) })
        }
        // SASRec-like: cheapest per history from 4 on; passes under 1 ms up to 8.
        #expect(curve([0.12, 0.18, 0.29, 0.63, 1.19, 2.66, 4.88]).preferredBatch() == 8)
        // A slow model (passes over 1 ms from the start) batches up to its knee, 32.
        #expect(curve([1.5, 2.0, 2.6, 3.6, 5.6, 9.8, 19.4]).preferredBatch() == 32)
        // Measuring stopped early (a pass over 50 ms): the knee among what was measured.
        #expect(curve([40, 60]).preferredBatch() == 2)
        #expect(BatchCurve(points: []).preferredBatch() == 1)
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
