import Foundation
import Hummingbird
import NIOCore

/// Decodes request bodies as JSON and says what is wrong in the API's terms: `history[0] must
/// be a string or an integer`, `k must be an integer, got 2.5`, `history is required`, rather
/// than Swift's `Type mismatch for key…, expected Dictionary<String, Any>`.
public struct ReadableJSONDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let data = Data(buffer.readableBytesView)
        if let problem = Self.fractionWhereIntegerExpected(data) { throw HTTPError(.badRequest, message: problem) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: Self.describe(error))
        }
    }

    /// The fields the API reads as integers (item ids may also be strings). JSONDecoder reads an
    /// exact fraction such as `753.0` or `1e2` as an integer; the schema says integer, so such a
    /// number is refused, naming it.
    static let integerFields: Set<String> = ["k", "history", "item", "timestamp"]

    /// "history[0] must be a string or an integer, got 753.0" for the first number written as a
    /// fraction or with an exponent where an integer is expected; nil otherwise (and for bodies
    /// that are not JSON: JSONDecoder says what is wrong with those).
    static func fractionWhereIntegerExpected(_ data: Data) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        func visit(_ value: Any, path: String, field: String?) -> String? {
            if let number = value as? NSNumber, let field, integerFields.contains(field) {
                let type = String(cString: number.objCType)
                guard type == "d" || type == "f" else { return nil }
                return "\(path) must be \(field == "k" || field == "timestamp" ? "an integer" : "a string or an integer"), got \(number)"
            }
            if let object = value as? [String: Any] {
                for key in object.keys.sorted() {
                    if let problem = visit(object[key]!, path: path.isEmpty ? key : path + "." + key, field: key) { return problem }
                }
            } else if let array = value as? [Any] {
                for (index, element) in array.enumerated() {
                    if let problem = visit(element, path: "\(path)[\(index)]", field: field) { return problem }
                }
            }
            return nil
        }
        return visit(root, path: "", field: nil)
    }

    /// One sentence naming the field (as a JSON path) and what it must be.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is Int.Type, is Int64.Type, is Int32.Type: return "an integer"
            case is Double.Type, is Float.Type: return "a number"
            case is Bool.Type: return "true or false"
            case is String.Type: return "a string"
            case is [Any].Type: return "an array"
            default: return String(describing: type).hasPrefix("Array") ? "an array" : "an object"
            }
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return field.isEmpty ? "the body must be a JSON object" : "\(field) must be \(kind(type))"
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return field.isEmpty ? "the body must not be empty" : "\(field) must be \(kind(type)), not null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty { return "the body is not valid JSON" }
            // Numbers that do not fit the field (2.5 or 1e29 for an integer k).
            return "\(field) has a value that does not fit: \(context.debugDescription)"
        @unknown default:
            return "the body does not match the request's schema"
        }
    }
}
