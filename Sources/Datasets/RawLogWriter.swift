import Core
import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Writes generated histories as a raw log in one of the input formats `prepare` reads,
/// so that generated data exercises the readers. A path ending in `.gz` is gzip-compressed.
///
/// Per format: movielens `u::i::rating::seconds`; csv with a header and ISO-8601 times;
/// tsv `u<TAB>i<TAB>rating<TAB>seconds`; jsonl with millisecond times; pairs `u i`;
/// sequences `u i i …`. Timed formats shuffle each user's lines (as ratings.dat is), so
/// reading them back depends on sorting by time.
public struct RawLogWriter {
    public var format: LogFormat
    public var seed: UInt64 = 7

    public init(format: LogFormat, seed: UInt64 = 7) {
        self.format = format
        self.seed = seed
    }

    public func write(_ users: [SyntheticGenerator.UserHistory], to path: String) throws {
        guard format != .auto else { throw DatasetError.invalidOption("choose a concrete format to write") }
        let sink = try ByteSink(path: path)
        var random = SeededRandom(seed: seed)
        var line: [UInt8] = []
        line.reserveCapacity(4096)
        if format == .csv { try sink.write(Array("user_id,item_id,rating,timestamp\n".utf8)) }
        var order: [Int] = []
        for (index, user) in users.enumerated() {
            let userId = UInt64(index + 1)
            if format == .sequences {
                line.removeAll(keepingCapacity: true)
                appendDecimal(userId, to: &line)
                for item in user.items { line.append(0x20); appendDecimal(UInt64(item), to: &line) }
                line.append(0x0a)
                try sink.write(line)
                continue
            }
            order = Array(user.items.indices)
            if format != .pairs {
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
            }
            for k in order {
                line.removeAll(keepingCapacity: true)
                let item = UInt64(user.items[k])
                let time = user.times[k]
                let rating = 1 + random.next() % 5
                switch format {
                case .movielens:
                    appendDecimal(userId, to: &line); line += [0x3a, 0x3a]
                    appendDecimal(item, to: &line); line += [0x3a, 0x3a]
                    appendDecimal(rating, to: &line); line += [0x3a, 0x3a]
                    appendDecimal(UInt64(time), to: &line)
                case .csv:
                    appendDecimal(userId, to: &line); line.append(0x2c)
                    appendDecimal(item, to: &line); line.append(0x2c)
                    appendDecimal(rating, to: &line); line.append(0x2c)
                    line += Array(TimestampParser.iso8601String(unixSeconds: time).utf8)
                case .tsv:
                    appendDecimal(userId, to: &line); line.append(0x09)
                    appendDecimal(item, to: &line); line.append(0x09)
                    appendDecimal(rating, to: &line); line.append(0x09)
                    appendDecimal(UInt64(time), to: &line)
                case .jsonl:
                    line += Array("{\"user_id\": ".utf8); appendDecimal(userId, to: &line)
                    line += Array(", \"item_id\": ".utf8); appendDecimal(item, to: &line)
                    line += Array(", \"rating\": ".utf8); appendDecimal(rating, to: &line)
                    line += Array(", \"timestamp\": ".utf8); appendDecimal(UInt64(time) * 1000, to: &line)
                    line.append(UInt8(ascii: "}"))
                case .pairs:
                    appendDecimal(userId, to: &line); line.append(0x20)
                    appendDecimal(item, to: &line)
                case .auto, .sequences:
                    break
                }
                line.append(0x0a)
                try sink.write(line)
            }
        }
        try sink.close()
    }
}

/// Appends the decimal digits of `value`.
@inline(__always)
func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
    if value < 10 { bytes.append(UInt8(ascii: "0") + UInt8(value)); return }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var v = value
    withUnsafeMutableBytes(of: &digits) { buffer in
        while v > 0 { buffer[count] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; count += 1 }
        for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[i]) }
    }
}

/// A buffered output file, gzip-compressed when its name ends in `.gz`; written to a
/// temporary name and renamed on `close()`.
final class ByteSink {
    private let path: String
    private let temporary: String
    private var buffer: [UInt8] = []
    private var fd: Int32 = -1
    private var gz: gzFile?

    init(path: String) throws {
        self.path = path
        temporary = path + ".partial-\(getpid())"
        if path.hasSuffix(".gz") {
            gz = gzopen(temporary, "wb6")
            guard gz != nil else { throw DatasetError.writeFailed(path: path, reason: systemErrorMessage()) }
        } else {
            fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw DatasetError.writeFailed(path: path, reason: systemErrorMessage()) }
        }
        buffer.reserveCapacity(1 << 22)
    }

    deinit {
        if let gz { gzclose(gz) }
        if fd >= 0 { Glibc.close(fd) }
    }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 22 { try flush() }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { raw in
            if let gz {
                guard gzwrite(gz, raw.baseAddress, UInt32(raw.count)) == Int32(raw.count) else {
                    throw DatasetError.writeFailed(path: path, reason: "gzip write failed")
                }
            } else {
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    guard n > 0 else { throw DatasetError.writeFailed(path: path, reason: systemErrorMessage()) }
                    offset += n
                }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if let gz {
            gzclose(gz)
            self.gz = nil
        } else {
            fsync(fd)
            Glibc.close(fd)
            fd = -1
        }
        guard rename(temporary, path) == 0 else { throw DatasetError.writeFailed(path: path, reason: systemErrorMessage()) }
    }
}
