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
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: Self.describe(error))
        }
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
