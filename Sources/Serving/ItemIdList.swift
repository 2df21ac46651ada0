/// A JSON list of original item ids that accepts strings and integers alike (`["1193", 661]`):
/// ids are strings in the logs, but a client holding MovieLens ids will send numbers.
/// Anything else (booleans, fractions, objects, null) is a 400 naming the element.
struct ItemIdList: Codable, Sendable {
    var ids: [String]

    init(_ ids: [String]) { self.ids = ids }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        var ids: [String] = []
        while !container.isAtEnd {
            if let text = try? container.decode(String.self) {
                ids.append(text)
            } else if let number = try? container.decode(Int64.self) {
                ids.append(String(number))
            } else {
                let path = container.codingPath.map(\.stringValue).joined(separator: ".")
                throw DecodingError.dataCorrupted(.init(
                    codingPath: container.codingPath,
                    debugDescription: "\(path)[\(container.currentIndex)] is not an item id (a string or an integer)"))
            }
        }
        self.ids = ids
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(ids)
    }
}
