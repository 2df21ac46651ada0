import Datasets

/// A JSON list of history entries: original item ids as strings or integers (`["1193", 661]`:
/// ids are strings in the logs, but a client holding MovieLens ids will send numbers), or
/// objects that also say what the user did and when (`{"item": "sku-9", "event": "cart",
/// "ts": "2026-11-28T10:00:00Z"}`, `ts` as ISO-8601 or unix seconds), for models that read
/// event types and time gaps. Anything else (booleans, fractions, null, an object without an
/// item, an unreadable time) is a 400 naming the element.
struct ItemIdList: Codable, Sendable {
    var ids: [String]
    /// Each entry's event type name, when any entry gave one.
    var events: [String?]?
    /// Each entry's unix time, when any entry gave one.
    var times: [Int64?]?

    init(_ ids: [String]) { self.ids = ids }

    private struct Entry: Decodable {
        var item: String
        var event: String?
        var ts: Int64?

        enum CodingKeys: String, CodingKey { case item, event, ts }

        private struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let keys = try decoder.container(keyedBy: AnyKey.self)
            if let extra = keys.allKeys.first(where: { CodingKeys(stringValue: $0.stringValue) == nil }) {
                throw DecodingError.dataCorruptedError(forKey: extra, in: keys, debugDescription: "unknown field '\(extra.stringValue)' (item, event, ts)")
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // Present means a value: `"event": null` or `"ts": null` is not a type or a time.
            for key in [CodingKeys.event, .ts] where container.contains(key) {
                if try container.decodeNil(forKey: key) {
                    throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.stringValue) must not be null (leave it out)")
                }
            }
            if let text = try? container.decode(String.self, forKey: .item) {
                item = text
            } else {
                item = String(try JSONSafeInteger.decode(container, forKey: .item))
            }
            event = try container.decodeIfPresent(String.self, forKey: .event)
            if (try? container.decodeIfPresent(Int64.self, forKey: .ts)) != nil {
                ts = try JSONSafeInteger.decode(container, forKey: .ts)
            } else if let text = try container.decodeIfPresent(String.self, forKey: .ts) {
                guard let seconds = TimestampParser.unixSeconds(text) else {
                    throw DecodingError.dataCorruptedError(forKey: .ts, in: container, debugDescription: "'\(text)' is not a time (ISO-8601 or unix seconds)")
                }
                ts = seconds
            }
        }
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        var ids: [String] = [], events: [String?] = [], times: [Int64?] = []
        while !container.isAtEnd {
            if let text = try? container.decode(String.self) {
                ids.append(text)
                events.append(nil)
                times.append(nil)
            } else if let number = try? container.decode(Int64.self), JSONSafeInteger.contains(number) {
                ids.append(String(number))
                events.append(nil)
                times.append(nil)
            } else if let entry = try? container.decode(Entry.self) {
                ids.append(entry.item)
                events.append(entry.event)
                times.append(entry.ts)
            } else {
                let path = container.codingPath.map(\.stringValue).joined(separator: ".")
                throw DecodingError.dataCorrupted(.init(
                    codingPath: container.codingPath,
                    debugDescription: "\(path)[\(container.currentIndex)] is not a history entry (an item id, a string or an integer, or {\"item\", \"event\", \"ts\"})"))
            }
        }
        self.ids = ids
        self.events = events.contains { $0 != nil } ? events : nil
        self.times = times.contains { $0 != nil } ? times : nil
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(ids)
    }
}
