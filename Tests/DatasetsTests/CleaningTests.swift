import Core
import Testing
@testable import Datasets

/// Each cleaning step of `prepare`, on logs small enough to check by hand.
@Suite struct CleaningTests {
    @Test func exactDuplicatesAreDroppedUnlessKept() throws {
        let dir = TemporaryDirectory()
        // Line 4 repeats line 1 exactly; line 3 has the same item at another time (a real repeat).
        let path = dir.file("d.csv", "user,item,timestamp\n1,a,10\n1,b,10\n1,a,20\n1,a,10\n")
        let cleaned = try prepareSequences([path], in: dir, out: "a")
        #expect(cleaned.sequences == [["a", "b", "a"]])
        #expect(cleaned.summary.manifest.dropped.duplicates == 1)
        let kept = try prepareSequences([path], in: dir, out: "b") { $0.cleaning.dropDuplicates = false }
        #expect(kept.sequences == [["a", "b", "a", "a"]])
    }

    @Test func dateOnlyTimesKeepSameDayRepeats() throws {
        let dir = TemporaryDirectory()
        // Two views of item a on one day: with dates only they cannot be told from duplicates.
        let path = dir.file("v.csv", "user,item,date\n1,a,2016-05-09\n1,b,2016-05-09\n1,a,2016-05-09\n1,c,2016-05-10\n")
        let result = try prepareSequences([path], in: dir) { $0.read.time = ColumnSpec("date") }
        #expect(result.sequences == [["a", "b", "a", "c"]])
        #expect(result.summary.manifest.dropped.duplicates == 0)
        #expect(result.summary.manifest.dayResolutionTimes == true)
        // With a time of day, the same rows are duplicates again.
        let timed = dir.file("w.csv", "user,item,date\n1,a,2016-05-09T10:00:00Z\n1,b,2016-05-09T10:00:00Z\n1,a,2016-05-09T10:00:00Z\n")
        let dropped = try prepareSequences([timed], in: dir, out: "w") { $0.read.time = ColumnSpec("date") }
        #expect(dropped.sequences == [["a", "b"]])
        #expect(dropped.summary.manifest.dayResolutionTimes == nil)
    }

    @Test func tiesInTimeKeepFileOrder() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.csv", "user,item,timestamp\n1,c,5\n1,a,5\n1,b,5\n1,z,1\n")
        #expect(try prepareSequences([path], in: dir).sequences == [["z", "c", "a", "b"]])
    }

    @Test func consecutiveRepeatsCollapse() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("r.txt", "1 a\n1 a\n1 b\n1 a\n1 a\n1 a\n")
        let result = try prepareSequences([path], in: dir) { $0.cleaning.collapseRepeats = true }
        #expect(result.sequences == [["a", "b", "a"]])
        #expect(result.summary.manifest.dropped.repeats == 3)
    }

    @Test func sessionsAreCutAtGapsLongerThanTheLimit() throws {
        let dir = TemporaryDirectory()
        // Gaps: 1800 s (exactly the limit: same session), 1801 s (new session), 10 s.
        let path = dir.file("s.csv", "user,item,timestamp\n1,a,0\n1,b,1800\n1,c,3601\n1,d,3611\n2,e,0\n")
        let result = try prepareSequences([path], in: dir) { $0.cleaning.sessionGapMilliseconds = 1_800_000 }
        #expect(result.sequences == [["a", "b"], ["c", "d"], ["e"]])
        #expect(result.users == ["1", "1", "2"])
        #expect(try result.dataset.userTable().map(\.session) == [0, 1, 0])
        #expect(result.summary.manifest.counts.originalUsers == 2)
    }

    @Test func sessionsNeedTimes() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("p.txt", "1 a\n")
        #expect(throws: DatasetError.self) {
            _ = try prepareSequences([path], in: dir) { $0.cleaning.sessionGapMilliseconds = 1000 }
        }
    }

    @Test func capKeepsTheMostRecentEvents() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("c.txt", "1 a\n1 b\n1 c\n1 d\n2 e\n")
        let result = try prepareSequences([path], in: dir) { $0.cleaning.maxEventsPerSequence = 2 }
        #expect(result.sequences == [["c", "d"], ["e"]])
        #expect(result.summary.manifest.dropped.capped == 2)
    }

    @Test func kCoreReachesItsFixedPoint() throws {
        // With min 2 per user and per item: item x (once) goes, which leaves user 3 with one
        // event, so user 3 goes, which leaves item y with one event, so y goes, and user 2 then
        // has only z... One pass is not enough; the fixed point is users 1 and 4 over items a, b.
        let dir = TemporaryDirectory()
        let path = dir.file("k.txt", """
        1 a
        1 b
        4 a
        4 b
        3 x
        3 y
        2 y
        2 z
        5 z
        """)
        let result = try prepareSequences([path], in: dir) { p in
            p.cleaning.minSequenceEvents = 2
            p.cleaning.minItemEvents = 2
        }
        #expect(result.sequences == [["a", "b"], ["a", "b"]])
        #expect(result.users == ["1", "4"])
        #expect(result.summary.report.coreIterations > 2)
        #expect(result.summary.manifest.dropped.coreItems == 3)
    }

    @Test func kCoreOutputSatisfiesTheCoreOnRandomData() throws {
        let dir = TemporaryDirectory()
        var random = SeededRandom(seed: 3)
        var text = ""
        for _ in 0..<4000 {
            let user = random.next() % 400
            let item = Int(pow(Double(random.next() % 10_000) / 10_000, 3) * 600)
            text += "\(user) \(item)\n"
        }
        let path = dir.file("rand.txt", text)
        let result = try prepareSequences([path], in: dir) { p in
            p.cleaning.minSequenceEvents = 5
            p.cleaning.minItemEvents = 5
        }
        var itemCounts: [String: Int] = [:]
        for sequence in result.sequences {
            #expect(sequence.count >= 5)
            for item in sequence { itemCounts[item, default: 0] += 1 }
        }
        #expect(itemCounts.values.allSatisfy { $0 >= 5 })
        #expect(!result.sequences.isEmpty)
        // Brute force: repeat until stable, on the original pairs, gives the same size.
        var pairs = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        while true {
            var users: [String: Int] = [:], items: [String: Int] = [:]
            for p in pairs { users[p[0], default: 0] += 1; items[p[1], default: 0] += 1 }
            let kept = pairs.filter { users[$0[0]]! >= 5 && items[$0[1]]! >= 5 }
            if kept.count == pairs.count { break }
            pairs = kept
        }
        #expect(pairs.count == result.dataset.eventCount)
    }

    @Test func everythingFilteredIsAnErrorWithNoOutput() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("few.txt", "1 a\n2 b\n")
        #expect(throws: DatasetError.self) {
            _ = try prepareSequences([path], in: dir) { $0.cleaning.minSequenceEvents = 3 }
        }
        #expect(!dir.exists("ds"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
    }
}

import Foundation
