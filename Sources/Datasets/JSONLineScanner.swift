/// Finds the values of a few top-level keys in one JSON object per line, without building
/// the whole object. Nested objects and arrays are skipped; string values are unescaped.
struct JSONLineScanner {
    /// The keys wanted, as UTF-8 bytes.
    let keys: [[UInt8]]
    /// The value of each wanted key on the last scanned line (nil: absent or null).
    private(set) var values: [[UInt8]?]
    private var buffer: [UInt8] = []

    init(keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }
        values = Array(repeating: nil, count: keys.count)
    }

    /// Scans `line`; returns a reason when it is not a JSON object.
    mutating func scan(_ line: UnsafeRawBufferPointer) -> String? {
        for k in values.indices { values[k] = nil }
        var i = 0
        let n = line.count
        func skipSpace() { while i < n && (line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0d) { i += 1 } }
        skipSpace()
        guard i < n, line[i] == UInt8(ascii: "{") else { return "not a JSON object" }
        i += 1
        skipSpace()
        if i < n && line[i] == UInt8(ascii: "}") { return nil }
        while true {
            skipSpace()
            guard i < n, line[i] == UInt8(ascii: "\"") else { return "expected a key at column \(i + 1)" }
            guard let key = readString(line, &i) else { return "unterminated string at column \(i + 1)" }
            skipSpace()
            guard i < n, line[i] == UInt8(ascii: ":") else { return "expected ':' at column \(i + 1)" }
            i += 1
            skipSpace()
            guard i < n else { return "missing value at column \(i + 1)" }
            let wanted = keys.firstIndex(of: key)
            let byte = line[i]
            if byte == UInt8(ascii: "\"") {
                guard let value = readString(line, &i) else { return "unterminated string at column \(i + 1)" }
                if let wanted { values[wanted] = value }
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                guard skipNested(line, &i) else { return "unbalanced brackets" }
            } else {
                let start = i
                while i < n && line[i] != UInt8(ascii: ",") && line[i] != UInt8(ascii: "}") && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
                let literal = Array(UnsafeRawBufferPointer(rebasing: line[start..<i]))
                if literal.isEmpty { return "missing value at column \(start + 1)" }
                if let wanted, literal != Array("null".utf8) { values[wanted] = literal }
            }
            skipSpace()
            guard i < n else { return "unterminated object" }
            if line[i] == UInt8(ascii: ",") { i += 1; continue }
            if line[i] == UInt8(ascii: "}") { i += 1; break }
            return "expected ',' or '}' at column \(i + 1)"
        }
        skipSpace()
        return i == n ? nil : "text after the object at column \(i + 1)"
    }

    /// Reads a string starting at the quote at `i`; leaves `i` after the closing quote.
    private mutating func readString(_ line: UnsafeRawBufferPointer, _ i: inout Int) -> [UInt8]? {
        let n = line.count
        i += 1
        buffer.removeAll(keepingCapacity: true)
        while i < n {
            let byte = line[i]
            if byte == UInt8(ascii: "\"") { i += 1; return buffer }
            if byte == UInt8(ascii: "\\") {
                guard i + 1 < n else { return nil }
                let escaped = line[i + 1]
                i += 2
                switch escaped {
                case UInt8(ascii: "n"): buffer.append(0x0a)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "r"): buffer.append(0x0d)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0c)
                case UInt8(ascii: "u"):
                    guard i + 4 <= n, let code = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: line[i..<(i + 4)]), as: UTF8.self), radix: 16) else { return nil }
                    i += 4
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    buffer.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: buffer.append(escaped)
                }
                continue
            }
            buffer.append(byte)
            i += 1
        }
        return nil
    }

    private func skipNested(_ line: UnsafeRawBufferPointer, _ i: inout Int) -> Bool {
        let n = line.count
        var depth = 0
        var inString = false
        while i < n {
            let byte = line[i]
            if inString {
                if byte == UInt8(ascii: "\\") { i += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 { i += 1; return true }
            }
            i += 1
        }
        return false
    }
}
