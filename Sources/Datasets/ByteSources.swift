import Core
import Crypto
import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// A sequential source of bytes.
protocol ByteSource {
    /// Reads up to `buffer.count` bytes; returns 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// The bytes of a file as stored on disk, hashed with SHA-256 as they pass.
final class FileByteSource: ByteSource {
    let path: String
    private let fd: Int32
    private var hasher = SHA256()
    /// Bytes read so far.
    private(set) var bytesRead = 0

    init(path: String) throws {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else { throw DatasetError.unreadable(path: path, reason: systemErrorMessage()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw DatasetError.unreadable(path: path, reason: "not a regular file") }
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DatasetError.unreadable(path: path, reason: systemErrorMessage()) }
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw DatasetError.unreadable(path: path, reason: systemErrorMessage())
            }
            if n > 0 {
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                bytesRead += n
            }
            return n
        }
    }

    /// Whether the file begins with the gzip magic bytes (read without moving the position).
    func startsWithGzipMagic() -> Bool {
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        return n == 2 && magic.0 == 0x1f && magic.1 == 0x8b
    }

    /// The SHA-256 of all bytes read, in lowercase hex.
    func digestHex() -> String {
        hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// The decompressed bytes of a gzip file (several concatenated members are read as one stream).
final class GzipByteSource: ByteSource {
    private let file: FileByteSource
    private var stream = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var finished = false

    init(file: FileByteSource) throws {
        self.file = file
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        // 15 + 16: a gzip header is expected.
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            throw DatasetError.unreadable(path: file.path, reason: "zlib initialisation failed (\(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 {
                let n = try file.read(into: input)
                if n == 0 {
                    if stream.total_out == 0 && stream.total_in == 0 { finished = true; break }
                    throw DatasetError.unreadable(path: file.path, reason: "truncated gzip stream")
                }
                stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = UInt32(n)
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                // Another member may follow; anything else after the end is an error.
                if stream.avail_in == 0 {
                    let n = try file.read(into: input)
                    if n == 0 { finished = true; break }
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = UInt32(n)
                }
                inflateReset(&stream)
                continue
            }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                let message = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                throw DatasetError.unreadable(path: file.path, reason: "corrupt gzip data: \(message)")
            }
        }
        return buffer.count - Int(stream.avail_out)
    }
}

/// Reads a log file (plain or gzip, told by its magic bytes) in blocks of whole lines.
final class LineBlockReader {
    /// The raw file, for its size and hash.
    let file: FileByteSource
    private var source: any ByteSource
    private var carry: [UInt8] = []
    private var atEnd = false
    /// Whether the file is gzip-compressed.
    let isGzip: Bool

    init(path: String) throws {
        let file = try FileByteSource(path: path)
        self.file = file
        isGzip = file.startsWithGzipMagic()
        source = isGzip ? try GzipByteSource(file: file) : file
    }

    /// The longest line read: longer ones are not a line-oriented log (a gzip bomb, a binary).
    static let maximumLineBytes = 256 << 20

    /// Whether the first bytes were read (a UTF-8 byte-order mark there is dropped).
    private var startedReading = false

    /// The next block of about `size` bytes holding only whole lines, or nil at the end.
    /// The last block may lack a final newline. A leading UTF-8 byte-order mark (EF BB BF, as
    /// Windows tools write) is dropped, so it never becomes part of the first id or header name.
    func nextBlock(size: Int) throws -> [UInt8]? {
        if atEnd && carry.isEmpty { return nil }
        var block = carry
        carry = []
        block.reserveCapacity(max(size, block.count) + 1)
        // The last newline seen and how far the block was searched: each byte is scanned once,
        // however long a line is (rescanning the whole block per read was quadratic).
        var lastNewline = block.lastIndex(of: UInt8(ascii: "\n"))
        while !atEnd {
            let start = block.count
            if start >= size, lastNewline != nil { break }
            if lastNewline == nil && start > Self.maximumLineBytes {
                throw DatasetError.unreadable(path: file.path, reason: "a line longer than \(Self.maximumLineBytes >> 20) MiB: not a line-oriented log")
            }
            let want = max(size - start, 1 << 16)
            block += repeatElement(0, count: want)
            let n = try block.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + want)]))
            }
            block.removeSubrange((start + n)...)
            if !startedReading && n > 0 {
                startedReading = true
                if block.starts(with: [0xEF, 0xBB, 0xBF]) { block.removeFirst(3) }
            }
            if let newline = block[min(start, block.count)...].lastIndex(of: UInt8(ascii: "\n")) { lastNewline = newline }
            if n == 0 { atEnd = true }
        }
        if !atEnd, let lastNewline {
            carry = Array(block[(lastNewline + 1)...])
            block.removeSubrange((lastNewline + 1)...)
        }
        return block.isEmpty && atEnd ? nil : block
    }
}

