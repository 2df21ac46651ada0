/// Original ids (user and item ids as written in the log) as 64-bit keys.
///
/// A canonical decimal token (digits, no leading zero, at most 18 digits) is its own value,
/// so numeric ids cost no string work. Any other token is interned as a string and its key
/// is `stringTag | index`. "007" and "7" therefore stay distinct ids, as they are in the log.
public enum OriginalIdKey {
    /// The bit that marks a key as an index into a string table.
    public static let stringTag: UInt64 = 1 << 63

    /// The numeric key of `token`, or nil when the token is not a canonical decimal number.
    @inline(__always)
    public static func numeric(_ token: UnsafeRawBufferPointer) -> UInt64? {
        let count = token.count
        if count == 0 || count > 18 { return nil }
        if count > 1 && token[0] == UInt8(ascii: "0") { return nil }
        var value: UInt64 = 0
        for byte in token {
            let digit = byte &- UInt8(ascii: "0")
            if digit > 9 { return nil }
            value = value &* 10 &+ UInt64(digit)
        }
        return value
    }
}

/// A string table for non-numeric original ids, shared by all inputs of one run.
public struct OriginalIdStrings: Sendable {
    private var indexByString: [String: UInt32] = [:]
    /// The strings, in order of their index.
    public private(set) var strings: [String] = []

    public init() {}

    /// The key for `string`, adding it if new.
    public mutating func key(for string: String) -> UInt64 {
        if let index = indexByString[string] { return OriginalIdKey.stringTag | UInt64(index) }
        let index = UInt32(strings.count)
        strings.append(string)
        indexByString[string] = index
        return OriginalIdKey.stringTag | UInt64(index)
    }

    /// The key for `string` if it was seen.
    public func existingKey(for string: String) -> UInt64? {
        indexByString[string].map { OriginalIdKey.stringTag | UInt64($0) }
    }

    /// The key of a raw token: numeric when canonical, else looked up or added as a string.
    public mutating func key(for token: UnsafeRawBufferPointer) -> UInt64 {
        if let value = OriginalIdKey.numeric(token) { return value }
        return key(for: String(decoding: token, as: UTF8.self))
    }

    /// The text of a key, as it was written in the log.
    public func text(of key: UInt64) -> String {
        if key & OriginalIdKey.stringTag != 0 { return strings[Int(key & ~OriginalIdKey.stringTag)] }
        return String(key)
    }
}
