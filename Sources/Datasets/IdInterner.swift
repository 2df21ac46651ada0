/// Maps 64-bit keys to dense ids 0, 1, 2… in order of first insertion.
///
/// Open addressing with linear probing and a multiplicative hash: several times faster than
/// `Dictionary` on the millions of lookups a log needs, and it stores 12 bytes a key.
public struct IdInterner: Sendable {
    private var slotKeys: [UInt64]
    private var slotIds: [UInt32]
    private var mask: Int
    /// The keys in order of their ids.
    public private(set) var keys: [UInt64] = []

    private static let emptyId = UInt32.max

    /// Creates an interner sized for about `capacity` keys.
    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slotKeys = [UInt64](repeating: 0, count: size)
        slotIds = [UInt32](repeating: Self.emptyId, count: size)
        mask = size - 1
    }

    /// The number of distinct keys seen.
    public var count: Int { keys.count }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The id of `key`, assigning the next id if it is new.
    @inline(__always)
    public mutating func intern(_ key: UInt64) -> UInt32 {
        var index = slot(for: key)
        while true {
            let id = slotIds[index]
            if id == Self.emptyId { break }
            if slotKeys[index] == key { return id }
            index = (index + 1) & mask
        }
        let id = UInt32(keys.count)
        slotKeys[index] = key
        slotIds[index] = id
        keys.append(key)
        if keys.count * 2 > slotIds.count { grow() }
        return id
    }

    /// The id of `key`, or nil when it was never interned.
    public func lookup(_ key: UInt64) -> UInt32? {
        var index = slot(for: key)
        while true {
            let id = slotIds[index]
            if id == Self.emptyId { return nil }
            if slotKeys[index] == key { return id }
            index = (index + 1) & mask
        }
    }

    private mutating func grow() {
        let size = slotIds.count * 2
        slotKeys = [UInt64](repeating: 0, count: size)
        slotIds = [UInt32](repeating: Self.emptyId, count: size)
        mask = size - 1
        for (id, key) in keys.enumerated() {
            var index = slot(for: key)
            while slotIds[index] != Self.emptyId { index = (index + 1) & mask }
            slotKeys[index] = key
            slotIds[index] = UInt32(id)
        }
    }
}
