/// A fast path for the most common body, `{"history": ["1193", 661, …], "k": 10, "exclude_seen": true}`:
/// decoding it with JSONDecoder costs about as much as ranking it. The scanner accepts only the
/// plain cases (strings without escapes, integers, booleans, null, known keys once each) and
/// returns nil for anything else, which then goes through JSONDecoder, so every error message
/// and every corner of JSON stays JSONDecoder's.
enum PredictRequestScanner {
    static func scan(_ bytes: UnsafeRawBufferPointer) -> PredictRequest? {
        var scanner = Cursor(bytes: bytes)
        return scanner.request()
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func literal(_ text: StaticString) -> Bool {
            skipSpace()
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
        }

        /// A string without escapes (a backslash or a control character: nil).
        mutating func plainString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }

        /// An integer without fraction or exponent that fits in Int64.
        mutating func integer() -> Int64? {
            skipSpace()
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
            let start = index
            var value: Int64 = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
                if overflowA || overflowB { return nil }
                value = sum
                index += 1
            }
            guard index > start, index - start == 1 || bytes[start] != 0x30 else { return nil }  // no leading zeros
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { return nil }
            return negative ? -value : value
        }

        mutating func request() -> PredictRequest? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var history: [String]?, k: Int?, excludeSeen: Bool?
            var seenK = false, seenExclude = false
            if !take(UInt8(ascii: "}")) {
                repeat {
                    guard let key = plainString(), take(UInt8(ascii: ":")) else { return nil }
                    switch key {
                    case "history" where history == nil:
                        guard let items = idList() else { return nil }
                        history = items
                    case "k" where !seenK:
                        seenK = true
                        if literal("null") { break }
                        guard let value = integer(), let small = Int(exactly: value) else { return nil }
                        k = small
                    case "exclude_seen" where !seenExclude:
                        seenExclude = true
                        if literal("true") { excludeSeen = true } else if literal("false") { excludeSeen = false } else if !literal("null") { return nil }
                    default:
                        return nil
                    }
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "}")) else { return nil }
            }
            skipSpace()
            guard index == bytes.count, let history else { return nil }
            return PredictRequest(history: history, k: k, excludeSeen: excludeSeen)
        }

        mutating func idList() -> [String]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var ids: [String] = []
            if take(UInt8(ascii: "]")) { return ids }
            repeat {
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "\"") {
                    guard let text = plainString() else { return nil }
                    ids.append(text)
                } else {
                    guard let number = integer(), JSONSafeInteger.contains(number) else { return nil }
                    ids.append(String(number))
                }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? ids : nil
        }
    }
}
