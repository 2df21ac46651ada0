import Foundation
import Testing
@testable import Datasets

/// What the reader does with a log's raw bytes: a UTF-8 byte-order mark (EF BB BF, as Windows
/// tools and Excel write) is not data, in any format; NUL bytes make an id malformed; a line
/// longer than a block is read whole, in linear time.
@Suite struct RawBytesTests {
    static let mark: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func withMark(_ dir: TemporaryDirectory, _ name: String, _ text: String) -> String {
        dir.file(name, bytes: mark + Array(text.utf8))
    }

    @Test func movieLensKeepsTheFirstUserWhole() throws {
        let dir = TemporaryDirectory()
        let path = Self.withMark(dir, "ratings.dat", "1::10::5::100\n1::11::5::101\n2::10::5::102\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.users == ["1", "2"])
        #expect(result.sequences == [["10", "11"], ["10"]])
    }

    @Test func tsvWithoutHeaderKeepsTheFirstLine() throws {
        let dir = TemporaryDirectory()
        let path = Self.withMark(dir, "events.tsv", "1\t10\t5\t100\n1\t11\t5\t101\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.sequences == [["10", "11"]])
    }

    @Test func csvHeaderNamesAreFoundByName() throws {
        let dir = TemporaryDirectory()
        let path = Self.withMark(dir, "events.csv", "user_id,item_id,timestamp\nu1,a,100\nu1,b,101\n")
        let result = try prepareSequences([path], in: dir) { preparer in
            preparer.read.user = ColumnSpec("user_id")
            preparer.read.item = ColumnSpec("item_id")
            preparer.read.time = ColumnSpec("timestamp")
        }
        #expect(result.sequences == [["a", "b"]])
    }

    @Test func jsonLinesReadTheFirstObject() throws {
        let dir = TemporaryDirectory()
        let path = Self.withMark(dir, "events.jsonl", "{\"user\": \"u\", \"item\": \"a\", \"ts\": 100}\n{\"user\": \"u\", \"item\": \"b\", \"ts\": 101}\n")
        let result = try prepareSequences([path], in: dir)
        #expect(result.summary.manifest.dropped.malformedLines == 0)
        #expect(result.sequences == [["a", "b"]])
    }

    @Test func idsWithNulBytesAreMalformedLines() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("nul.dat", bytes: Array("1::10::5::100\n1::1".utf8) + [0] + Array("1::5::101\n1::12::5::102\n".utf8))
        let result = try prepareSequences([path], in: dir)
        #expect(result.sequences == [["10", "12"]])
        #expect(result.summary.manifest.badLines.first?.reason == "item id holds a NUL byte")
    }

    /// One long line is read in time linear in its length: the reader searched the whole block
    /// for a newline after every 64 KiB read (a 32 MB line took 10.8 s). Checked by counting
    /// the work, not by timing: the line is split correctly and the file read to its end.
    @Test func aLineLongerThanABlockIsReadWhole() throws {
        let dir = TemporaryDirectory()
        let long = String(repeating: "x", count: 3 << 20)
        let path = dir.file("long.dat", "1::10::5::100\n1::\(long)::5::101\n1::12::5::102\n")
        let reader = try LineBlockReader(path: path)
        var lines = 0, bytes = 0
        while let block = try reader.nextBlock(size: 1 << 16) {
            lines += block.split(separator: UInt8(ascii: "\n")).count
            bytes += block.count
        }
        #expect(lines == 3)
        #expect(bytes == (3 << 20) + 40)
    }
}
