import Foundation
import Testing
@testable import Datasets

/// `prepare --event COL --value COL`: each event's type and strength travel with it through
/// time ordering and cleaning, into events.bin and values.bin.
@Suite struct EventColumnTests {
    /// u1's events out of time order, a view and a cart of one item at one second, and an exact
    /// duplicate; u2 views then buys the same item; u3 views one item twice; a value that is not a number.
    static let log = """
        user,item,event,ts,price
        u1,a,view,100,1.5
        u1,a,cart,100,1.5
        u1,a,view,100,1.5
        u1,b,view,90,2
        u2,c,view,50,3
        u2,c,buy,60,3.25
        u2,a,view,70,x
        u3,b,view,10,2
        u3,b,view,11,4

        """

    static func events(_ dataset: Dataset) -> [[String]] {
        let types = dataset.eventTypes
        return (0..<dataset.sequenceCount).map { s in dataset.range(ofSequence: s).map { types[Int(dataset.events![$0]) - 1] } }
    }

    @Test func typesAndValuesFollowTheirEventsThroughCleaning() throws {
        let dir = TemporaryDirectory()
        let prepared = try prepareSequences([dir.file("log.csv", Self.log)], in: dir) {
            $0.read.event = ColumnSpec("event")
            $0.read.value = ColumnSpec("price")
            $0.cleaning.collapseRepeats = true
        }
        // Time order; the exact duplicate dropped, the cart at the same second kept; a repeat
        // collapses only when the type repeats too (u2's view then buy stay, u3's two views do not).
        #expect(prepared.sequences == [["b", "a", "a"], ["c", "c"], ["b"]])
        #expect(Self.events(prepared.dataset) == [["view", "view", "cart"], ["view", "buy"], ["view"]])
        #expect(Array(prepared.dataset.values!) == [2, 1.5, 1.5, 3, 3.25, 2])
        let manifest = prepared.summary.manifest
        #expect(manifest.eventTypes == [.init(name: "view", events: 4), .init(name: "cart", events: 1), .init(name: "buy", events: 1)])
        #expect(manifest.hasValues == true)
        #expect(manifest.dropped.malformedLines == 1 && manifest.dropped.duplicates == 1 && manifest.dropped.repeats == 1)
        #expect(manifest.badLines.first?.reason.contains("value 'x'") == true)
        let statistics = DatasetStatistics(dataset: prepared.dataset)
        #expect(statistics.eventTypes?.map(\.events) == [4, 1, 1])
        #expect(statistics.values?.max == 3.25)
    }

    @Test func keepEventsFiltersAndStoresTheKeptTypes() throws {
        let dir = TemporaryDirectory()
        let prepared = try prepareSequences([dir.file("log.csv", Self.log)], in: dir) {
            $0.read.event = ColumnSpec("event")
            $0.read.keepEvents = ["cart", "buy"]
        }
        #expect(prepared.sequences == [["a"], ["c"]])
        #expect(prepared.dataset.eventTypes == ["cart", "buy"])
        #expect(prepared.dataset.values == nil)
    }

    @Test func withoutAnEventColumnNothingChanges() throws {
        let dir = TemporaryDirectory()
        let prepared = try prepareSequences([dir.file("log.csv", Self.log)], in: dir)
        #expect(prepared.dataset.events == nil && prepared.dataset.values == nil)
        #expect(prepared.summary.manifest.eventTypes == nil && prepared.summary.manifest.hasValues == nil)
        #expect(!dir.exists("ds/events.bin") && !dir.exists("ds/values.bin"))
        // Without types, the view and the cart at one second are duplicates of each other.
        #expect(prepared.sequences == [["b", "a"], ["c", "c", "a"], ["b", "b"]])
    }

    @Test func jsonLinesCarryTypesAndValuesToo() throws {
        let dir = TemporaryDirectory()
        let log = """
            {"user": "u1", "item": "a", "event": "view", "ts": 1, "seconds": 30}
            {"user": "u1", "item": "b", "event": "play", "ts": 2, "seconds": 12.5}

            """
        let prepared = try prepareSequences([dir.file("log.jsonl", log)], in: dir) {
            $0.read.event = ColumnSpec("event")
            $0.read.value = ColumnSpec("seconds")
        }
        #expect(Self.events(prepared.dataset) == [["view", "play"]])
        #expect(Array(prepared.dataset.values!) == [30, 12.5])
    }

    @Test func aLikeDatasetKeepsTheParentsEventTypeIds() throws {
        let dir = TemporaryDirectory()
        _ = try prepareSequences([dir.file("old.csv", "user,item,event,ts\n1,a,view,1\n1,b,cart,2\n")], in: dir, out: "old") {
            $0.read.event = ColumnSpec("event")
        }
        // The newer log meets its types in another order, and one is new.
        let child = try prepareSequences([dir.file("new.csv", "user,item,event,ts\n1,a,buy,1\n1,b,cart,2\n1,c,view,3\n")], in: dir, out: "new") {
            $0.read.event = ColumnSpec("event")
            $0.like = dir.path + "/old"
        }
        #expect(child.dataset.eventTypes == ["view", "cart", "buy"])
        #expect(Array(child.dataset.events!) == [3, 2, 1])
        #expect(child.summary.manifest.eventTypes?.map(\.events) == [1, 1, 1])
    }

    @Test func moreThan255EventTypesAreRefusedNamingTheColumn() throws {
        let dir = TemporaryDirectory()
        let lines = (0..<300).map { "u\($0 % 7),i\($0 % 11),type-\($0),\($0)" }.joined(separator: "\n")
        #expect {
            _ = try prepareSequences([dir.file("log.csv", "user,item,event,ts\n" + lines + "\n")], in: dir) { $0.read.event = ColumnSpec("event") }
        } throws: { error in
            "\(error)".contains("more than 255 distinct values") && "\(error)".contains("--event")
        }
    }

    @Test func aDamagedEventsFileIsRefusedOnOpening() throws {
        let dir = TemporaryDirectory()
        _ = try prepareSequences([dir.file("log.csv", Self.log)], in: dir) { $0.read.event = ColumnSpec("event") }
        let path = dir.path + "/ds/events.bin"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[1] = 9
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { _ = try Dataset(directory: dir.path + "/ds") } throws: { error in
            "\(error)".contains("events.bin") && "\(error)".contains("event type 9 at event 1")
        }
        try Data(bytes.dropLast()).write(to: URL(fileURLWithPath: path))
        #expect { _ = try Dataset(directory: dir.path + "/ds") } throws: { error in "\(error)".contains("events.bin") }
    }
}
