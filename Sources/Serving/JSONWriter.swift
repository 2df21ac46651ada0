import Hummingbird
import NIOCore

/// A minimal JSON writer for the hot answers (predictions): Foundation's JSONEncoder spends
/// more time per prediction than the model does (dynamic casts, boxing per value).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string, escaped per RFC 8259.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let digits: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          digits[Int(byte >> 4)], digits[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func number(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    /// Shortest round-trip decimal; non-finite values (never produced for returned items) become null.
    mutating func number(_ value: Double) {
        if value.isFinite { bytes.append(contentsOf: value.description.utf8) } else { raw("null") }
    }

    mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

    mutating func strings(_ values: [String]) {
        raw("[")
        for (index, value) in values.enumerated() {
            if index > 0 { raw(",") }
            string(value)
        }
        raw("]")
    }

    /// An HTTP 200 with this JSON as body.
    func response() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension PredictResponse: ResponseGenerator {
    func write(into json: inout JSONWriter) {
        json.raw("{\"items\":[")
        for (index, item) in items.enumerated() {
            json.raw(index == 0 ? "{\"item\":" : ",{\"item\":")
            json.string(item.item)
            if let title = item.title {
                json.raw(",\"title\":")
                json.string(title)
            }
            json.raw(",\"score\":")
            json.number(item.score)
            json.raw("}")
        }
        json.raw("],\"model\":")
        json.string(model)
        json.raw(",\"unknown\":")
        json.strings(unknown)
        json.raw(",\"history_used\":")
        json.number(historyUsed)
        json.raw(",\"source\":")
        json.string(source)
        if let unknownEvents {
            json.raw(",\"unknown_events\":")
            json.strings(unknownEvents)
        }
        json.raw("}")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = JSONWriter(capacity: 64 + items.count * 64)
        write(into: &json)
        return json.response()
    }
}

extension BatchPredictResponse: ResponseGenerator {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = JSONWriter(capacity: 64 + results.count * 700)
        json.raw("{\"results\":[")
        for (index, result) in results.enumerated() {
            if index > 0 { json.raw(",") }
            result.write(into: &json)
        }
        json.raw("]}")
        return json.response()
    }
}

extension UserRecommendationsResponse: ResponseGenerator {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = JSONWriter()
        json.raw("{\"user\":")
        json.string(user)
        json.raw(",\"history_length\":")
        json.number(historyLength)
        json.raw(",\"prediction\":")
        prediction.write(into: &json)
        json.raw("}")
        return json.response()
    }
}
