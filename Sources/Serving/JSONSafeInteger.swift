/// Integers a JSON document carries exactly (within ±(2^53 − 1)): the range the API documents
/// for item ids and times, so that every client reads back the number it sent.
enum JSONSafeInteger {
    static let limit: Int64 = (1 << 53) - 1

    static func contains(_ value: Int64) -> Bool { (-limit...limit).contains(value) }

    /// `value` decoded from `container` at `key`, refused outside the range with a message naming the field.
    static func decode<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, forKey key: Key) throws -> Int64 {
        let value = try container.decode(Int64.self, forKey: key)
        guard contains(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.stringValue) \(value) is outside ±(2^53 − 1)")
        }
        return value
    }
}
