import Foundation
import Testing
@testable import Datasets

/// Every input format and its options, on small hand-written logs.
@Suite struct ReaderTests {
    @Test func movieLensRatingsSortedByTimeWithinUser() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("ratings.dat", """
        1::1193::5::978300760
        1::661::3::978302109
        1::914::3::978301968
        2::1357::5::978298709
        2::3068::4::978299000
        """)
        let result = try prepareSequences([path], in: dir)
        #expect(result.summary.manifest.sources[0].format == "movielens")
        #expect(result.sequences == [["1193", "914", "661"], ["1357", "3068"]])
        #expect(result.users == ["1", "2"])
        #expect(Array(result.dataset.times!) == [978_300_760, 978_301_968, 978_302_109, 978_298_709, 978_299_000])
    }

    @Test func semicolonSeparatedFilesAreRecognisedFromTheirLines() throws {
        let dir = TemporaryDirectory()
        // Diginetica's shape: sessionId;userId;timeframe;eventdate;itemId
        let csv = dir.file("views.csv", "sessionId;userId;timeframe;eventdate;itemId\n1;;100;2016-05-09;81766\n1;;200;2016-05-09;31331\n2;;50;2016-05-10;32118\n")
        let result = try prepareSequences([csv], in: dir) { preparer in
            preparer.read.user = ColumnSpec("sessionId")
            preparer.read.item = ColumnSpec("itemId")
            preparer.read.time = ColumnSpec("timeframe")
        }
        #expect(result.sequences == [["81766", "31331"], ["32118"]])
        let plain = dir.file("pipes.txt", "u1|a|100\nu1|b|101\nu2|a|102\n")
        #expect(try prepareSequences([plain], in: dir, out: "p").sequences == [["a", "b"], ["a"]])
    }

    @Test func csvWithHeaderColumnsByName() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("events.csv", """
        timestamp,visitorid,event,itemid
        1433221332117,257597,view,355908
        1433224214164,992329,view,248676
        1433221999827,257597,addtocart,248676
        1433221955914,257597,transaction,99
        """)
        let result = try prepareSequences([path], in: dir) { p in
            p.read.user = ColumnSpec("visitorid")
            p.read.item = ColumnSpec("itemid")
            p.read.time = ColumnSpec("timestamp")
            p.read.event = ColumnSpec("event")
            p.read.keepEvents = ["view", "addtocart"]
        }
        #expect(result.sequences == [["355908", "248676"], ["248676"]])
        #expect(result.summary.manifest.dropped.filteredEventTypes == 1)
    }

    @Test func csvWithoutHeaderColumnsByIndexAndOtherDelimiter() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("log.txt", """
        x;5;u1;2020-01-02
        x;7;u1;2020-01-01
        x;5;u2;2020-01-03
        """)
        let result = try prepareSequences([path], in: dir) { p in
            p.read.format = .csv
            p.read.delimiter = ";"
            p.read.header = .no
            p.read.user = ColumnSpec("3")
            p.read.item = ColumnSpec("2")
            p.read.time = ColumnSpec("4")
        }
        #expect(result.sequences == [["7", "5"], ["5"]])
        #expect(result.users == ["u1", "u2"])
    }

    @Test func unfamiliarHeaderIsRecognisedByItsNonNumericFields() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("h.csv", "who,what\n1,10\n1,11\n2,10\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.sequences == [["10", "11"], ["10"]])
        #expect(result.summary.manifest.dropped.malformedLines == 0)
    }

    @Test func keepEventsFindsAnEventColumnByItsName() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("ev.csv", "user,item,event,timestamp\n1,a,view,1\n1,b,buy,2\n1,c,cart,3\n")
        let result = try prepareSequences([path], in: dir) { $0.read.keepEvents = ["view", "cart"] }
        #expect(result.sequences == [["a", "c"]])
    }

    @Test func csvQuotedFieldsKeepDelimitersAndQuotes() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("q.csv", #"""
        user,item,time
        "a,1","say ""hi""",1
        "a,1",plain,2
        """#)
        let result = try prepareSequences([path], in: dir)
        #expect(result.sequences == [["say \"hi\"", "plain"]])
        #expect(result.users == ["a,1"])
    }

    @Test func tsvWithoutHeaderUsesUserItemRatingTime() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.summary.manifest.sources[0].format == "tsv")
        #expect(result.sequences == [["377", "242"], ["302"]])
    }

    @Test func minimumRatingDropsLowRatings() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("r.dat", "1::10::5::100\n1::11::2::101\n1::12::4::102\n")
        let result = try prepareSequences([path], in: dir) { $0.read.minRating = 4 }
        #expect(result.sequences == [["10", "12"]])
        #expect(result.summary.manifest.dropped.belowMinRating == 1)
    }

    @Test func jsonLinesWithStringIdsEscapesAndNesting() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("e.jsonl", #"""
        {"user": "alice", "item": "sku-1", "ts": "2024-05-01T10:00:00Z", "meta": {"a": [1, {"b": "}"}]}}
        {"user": "alice", "item": "sku-\u00e9\"2", "ts": "2024-05-01T09:00:00Z"}
        {"ts": "2024-05-01T11:00:00Z", "item": "sku-1", "user": "bob", "extra": null}
        """#)
        let result = try prepareSequences([path], in: dir)
        #expect(result.summary.manifest.sources[0].format == "jsonl")
        #expect(result.sequences == [["sku-é\"2", "sku-1"], ["sku-1"]])
        #expect(result.users == ["alice", "bob"])
    }

    @Test func jsonLinesNumericValuesAndChosenFields() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("e.ndjson", """
        {"customer": 7, "product": 70, "when": 1700000000.5}
        {"customer": 7, "product": 71, "when": 1700000000.25}
        """)
        let result = try prepareSequences([path], in: dir) { p in
            p.read.user = ColumnSpec("customer")
            p.read.item = ColumnSpec("product")
            p.read.time = ColumnSpec("when")
        }
        #expect(result.sequences == [["71", "70"]])
    }

    @Test func pairsKeepFileOrder() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("pairs.txt", "1 5\n2 6\n1 3\n1 5\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.summary.manifest.sources[0].format == "pairs")
        #expect(result.summary.manifest.hasTimes == false)
        // Without times a repeat is not a duplicate: both 5s stay.
        #expect(result.sequences == [["5", "3", "5"], ["6"]])
    }

    @Test func pairsWithTimeColumn() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("pairs.txt", "1 5 200\n1 3 100\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.sequences == [["3", "5"]])
    }

    @Test func sequencesOneUserPerLine() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("Beauty.txt", "1 1 2 3 4 5\n2 6 7 8 9 10 4 11\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.summary.manifest.sources[0].format == "sequences")
        #expect(result.sequences == [["1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10", "4", "11"]])
        // Items are numbered by first appearance.
        #expect(Array(result.dataset.sequence(1)) == [6, 7, 8, 9, 10, 4, 11])
    }

    @Test func gzipInputIsReadDirectly() throws {
        let dir = TemporaryDirectory()
        let plain = dir.file("r.dat", "1::10::5::100\n1::11::2::101\n2::10::4::102\n")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", plain]
        try gzip.run()
        gzip.waitUntilExit()
        let result = try prepareSequences([plain + ".gz"], in: dir)
        #expect(result.summary.manifest.sources[0].gzip)
        #expect(result.sequences == [["10", "11"], ["10"]])
    }

    @Test func crlfLineEndingsAndBlankLines() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("w.csv", "user,item,timestamp\r\n1,a,1\r\n\r\n1,b,2\r\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.sequences == [["a", "b"]])
        #expect(result.summary.manifest.dropped.malformedLines == 0)
    }

    @Test func severalInputsAreReadInOrder() throws {
        let dir = TemporaryDirectory()
        let first = dir.file("a.txt", "1 1\n1 2\n")
        let second = dir.file("b.txt", "1 3\n2 1\n")
        let result = try prepareSequences([first, second], in: dir)
        #expect(result.sequences == [["1", "2", "3"], ["1"]])
        #expect(result.summary.manifest.sources.count == 2)
    }

    @Test func leadingZerosKeepIdsDistinct() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("z.txt", "u 007\nu 7\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.sequences == [["007", "7"]])
    }

    @Test func unknownColumnIsAClearError() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("e.csv", "user,item\n1,2\n")
        #expect(throws: DatasetError.unknownColumn(path: path, column: "product", available: ["user", "item"])) {
            _ = try prepareSequences([path], in: dir) { $0.read.item = ColumnSpec("product") }
        }
        #expect(!dir.exists("ds"))
    }

    @Test func missingFileIsAClearError() throws {
        let dir = TemporaryDirectory()
        #expect(throws: DatasetError.unreadable(path: dir.path + "/nope.dat", reason: "no such file")) {
            _ = try prepareSequences([dir.path + "/nope.dat"], in: dir)
        }
    }

    @Test func latin1AndUtf8TitlesAreBothRead() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("r.dat", "1::73::5::1\n1::74::5::2\n1::75::5::3\n")
        // "Misérables" in Latin-1 (0xE9) on one line and UTF-8 (0xC3 0xA9) in another file.
        let latin1 = dir.file("movies.dat", bytes: Array("73::Mis".utf8) + [0xE9] + Array("rables, Les (1995)::Drama\n74::Plain (1990)::Comedy\n".utf8))
        let utf8 = dir.file("movies.csv", "movieId,title,genres\n73,Misérables (UTF-8),Drama\n75,\"Comma, The (1999)\",Comedy\n")
        let fromLatin1 = try prepareSequences([log], in: dir, out: "a") { $0.itemMeta = latin1 }
        let titles = try fromLatin1.dataset.itemTable().titles
        #expect(titles == ["Misérables, Les (1995)", "Plain (1990)", ""])
        #expect(fromLatin1.summary.manifest.titledItems == 2)
        let fromUtf8 = try prepareSequences([log], in: dir, out: "b") { $0.itemMeta = utf8 }
        #expect(try fromUtf8.dataset.itemTable().titles == ["Misérables (UTF-8)", "", "Comma, The (1999)"])
    }
}
