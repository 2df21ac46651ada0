import Foundation
import Testing
@testable import Datasets

/// Malformed lines: skipped and counted with file:line, or fatal under --strict.
@Suite struct BadInputTests {
    @Test func malformedLinesAreCountedWithFileAndLine() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("bad.dat", """
        1::10::5::100
        1::11
        1::12::5::yesterday
        ::13::5::103
        1::14::x::104
        1::15::5::105
        """)
        let result = try prepareSequences([path], in: dir) { $0.read.minRating = 1 }
        let m = result.summary.manifest
        #expect(result.sequences == [["10", "15"]])
        #expect(m.dropped.malformedLines == 4)
        #expect(m.badLines.map(\.line) == [2, 3, 4, 5])
        #expect(m.badLines[0].file == path)
        #expect(m.badLines[0].reason.contains("fields"))
        #expect(m.badLines[1].reason.contains("yesterday"))
        #expect(m.badLines[2].reason.contains("user"))
        #expect(m.badLines[3].reason.contains("rating"))
    }

    /// Report row P19: a tab inside a quoted CSV id was stored as a space, so "c<TAB>d" and
    /// "c d" became one item. Such ids are malformed lines now; a newline inside quotes names its cause.
    @Test func idsWithTabsAndQuotedNewlinesAreMalformedLines() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("quoted.csv", "user_id,item_id,rating,timestamp\n1,a,5,100\n1,\"c\td\",5,101\n1,\"c d\",5,102\n1,\"x\ny\",5,103\n")
        let result = try prepareSequences([path], in: dir)
        let m = result.summary.manifest
        #expect(result.sequences == [["a", "c d"]])
        #expect(m.badLines.first?.line == 3)
        #expect(m.badLines.first?.reason.contains("tab") == true, "\(m.badLines)")
        #expect(m.badLines.contains { $0.reason.contains("may not span lines") }, "\(m.badLines)")
    }

    @Test func onlyTheFirstTenAreKeptButAllAreCounted() throws {
        let dir = TemporaryDirectory()
        var text = "user,item,timestamp\n"
        for i in 0..<25 { text += "1,\(i),\(i)\n1,\(i)\n" }
        let result = try prepareSequences([dir.file("many.csv", text)], in: dir)
        #expect(result.summary.manifest.dropped.malformedLines == 25)
        #expect(result.summary.manifest.badLines.count == 10)
        #expect(result.summary.manifest.badLines.first?.line == 3)
    }

    @Test func lineNumbersStayRightAcrossBlocks() throws {
        let dir = TemporaryDirectory()
        var text = ""
        for i in 1...5000 { text += i == 4321 ? "broken\n" : "1 \(i)\n" }
        let path = dir.file("long.txt", text)
        var reader = LogReader(options: ReadOptions())
        reader.blockSize = 1000  // many blocks, parsed in parallel batches
        let log = try reader.read(paths: [path])
        #expect(log.malformedLines == 1)
        #expect(log.firstBadLines == [BadLine(file: path, line: 4321, reason: "expected at least 2 fields, found 1")])
        #expect(log.eventCount == 4999)
    }

    @Test func strictStopsAtTheFirstMalformedLine() throws {
        let dir = TemporaryDirectory()
        var text = ""
        for i in 1...3000 { text += (i == 2500 || i == 2900) ? "1::x\n" : "1::\(i)::5::\(i)\n" }
        let path = dir.file("strict.dat", text)
        var reader = LogReader(options: ReadOptions(), strict: true)
        reader.blockSize = 4096
        #expect(throws: DatasetError.malformedLine(path: path, line: 2500, reason: "expected at least 4 fields, found 2")) {
            _ = try reader.read(paths: [path])
        }
        #expect(throws: DatasetError.self) {
            _ = try prepareSequences([path], in: dir) { $0.strict = true }
        }
        #expect(!dir.exists("ds"))
    }

    @Test func existingOutputIsReplacedOnlyWithForce() throws {
        let dir = TemporaryDirectory()
        let first = dir.file("a.txt", "1 a\n")
        let second = dir.file("b.txt", "1 b\n")
        _ = try prepareSequences([first], in: dir)
        var preparer = Preparer()
        #expect(throws: DatasetError.outputExists(path: dir.path + "/ds")) {
            _ = try preparer.run(inputs: [second], output: dir.path + "/ds")
        }
        #expect(try originalSequences(Dataset(directory: dir.path + "/ds")) == [["a"]])
        preparer.force = true
        _ = try preparer.run(inputs: [second], output: dir.path + "/ds")
        #expect(try originalSequences(Dataset(directory: dir.path + "/ds")) == [["b"]])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func corruptDatasetsAreRejectedWithTheFileNamed() throws {
        let dir = TemporaryDirectory()
        _ = try prepareSequences([dir.file("a.txt", "1 a\n1 b\n2 a\n")], in: dir)
        let items = dir.path + "/ds/items.bin"
        let truncated = try Data(contentsOf: URL(fileURLWithPath: items)).dropLast(2)
        try truncated.write(to: URL(fileURLWithPath: items))
        #expect(throws: DatasetError.self) { _ = try Dataset(directory: dir.path + "/ds") }
        do {
            _ = try Dataset(directory: dir.path + "/ds")
        } catch let error as DatasetError {
            #expect(error.description.contains("items.bin"))
        }
        #expect(throws: DatasetError.self) { _ = try Dataset(directory: dir.path) }
    }
}
