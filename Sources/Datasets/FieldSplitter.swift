/// Splits one line into fields, as byte ranges relative to the line start.
///
/// Lines are handed in without their newline; a trailing `\r` is removed by the caller.
struct FieldSplitter {
    enum Mode: Sendable, Equatable {
        /// One delimiter byte; `"` quotes fields (RFC 4180, `""` inside quotes is a quote).
        case byte(UInt8, quoted: Bool)
        /// A multi-byte delimiter such as MovieLens `::`.
        case string([UInt8])
        /// Runs of spaces and tabs.
        case whitespace
    }

    let mode: Mode
    /// Field ranges of the last split line: start and end offsets.
    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []
    /// Unescaped copy of the last quoted line, when it needed one; fields then point into it.
    private(set) var scratch: [UInt8] = []
    private(set) var usesScratch = false

    init(mode: Mode) {
        self.mode = mode
        starts.reserveCapacity(16)
        ends.reserveCapacity(16)
    }

    var count: Int { starts.count }

    /// Splits `line`. Returns false when quotes are unbalanced.
    mutating func split(_ line: UnsafeRawBufferPointer) -> Bool {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        usesScratch = false
        let n = line.count
        switch mode {
        case .byte(let delimiter, let quoted):
            if quoted && line.firstIndex(of: UInt8(ascii: "\"")) != nil {
                return splitQuoted(line, delimiter: delimiter)
            }
            var start = 0
            var i = 0
            while i < n {
                if line[i] == delimiter {
                    starts.append(start); ends.append(i)
                    start = i + 1
                }
                i += 1
            }
            starts.append(start); ends.append(n)
        case .string(let delimiter):
            let first = delimiter[0]
            let width = delimiter.count
            var start = 0
            var i = 0
            while i < n {
                if line[i] == first && i + width <= n && matches(line, at: i, delimiter) {
                    starts.append(start); ends.append(i)
                    i += width
                    start = i
                } else {
                    i += 1
                }
            }
            starts.append(start); ends.append(n)
        case .whitespace:
            var i = 0
            while i < n {
                while i < n && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
                if i == n { break }
                let start = i
                while i < n && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
                starts.append(start); ends.append(i)
            }
        }
        return true
    }

    @inline(__always)
    private func matches(_ line: UnsafeRawBufferPointer, at offset: Int, _ delimiter: [UInt8]) -> Bool {
        for k in 1..<delimiter.count where line[offset + k] != delimiter[k] { return false }
        return true
    }

    /// Quote-aware split that unescapes into `scratch`.
    private mutating func splitQuoted(_ line: UnsafeRawBufferPointer, delimiter: UInt8) -> Bool {
        usesScratch = true
        scratch.removeAll(keepingCapacity: true)
        let n = line.count
        var i = 0
        while true {
            let start = scratch.count
            if i < n && line[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < n {
                    if line[i] == UInt8(ascii: "\"") {
                        if i + 1 < n && line[i + 1] == UInt8(ascii: "\"") {
                            scratch.append(UInt8(ascii: "\"")); i += 2
                        } else {
                            i += 1; closed = true; break
                        }
                    } else {
                        scratch.append(line[i]); i += 1
                    }
                }
                if !closed { return false }
                // Anything between the closing quote and the delimiter is kept as written.
                while i < n && line[i] != delimiter { scratch.append(line[i]); i += 1 }
            } else {
                while i < n && line[i] != delimiter { scratch.append(line[i]); i += 1 }
            }
            starts.append(start); ends.append(scratch.count)
            if i >= n { break }
            i += 1  // the delimiter
            if i == n { starts.append(scratch.count); ends.append(scratch.count); break }
        }
        return true
    }

    /// Field `index` as bytes: valid until the next split. `line` must be the line last split.
    @inline(__always)
    func field(_ index: Int, in line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        if usesScratch {
            scratch.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[starts[index]..<ends[index]])) }
        } else {
            body(UnsafeRawBufferPointer(rebasing: line[starts[index]..<ends[index]]))
        }
    }

    /// Field `index` as text (invalid UTF-8 is read as Latin-1).
    func text(_ index: Int, in line: UnsafeRawBufferPointer) -> String {
        var result = ""
        field(index, in: line) { result = decodeText($0) }
        return result
    }
}

/// Decodes bytes as UTF-8, or as Latin-1 when they are not valid UTF-8
/// (old MovieLens files such as movies.dat and u.item are Latin-1).
public func decodeText(_ bytes: UnsafeRawBufferPointer) -> String {
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    var scalars = String.UnicodeScalarView()
    for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
    return String(scalars)
}
