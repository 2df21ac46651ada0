import Core
import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to its dtype, shape and byte range, then the raw data.
/// Tensors are read as Float32 (F32 as is; F16, BF16 and F64 converted).
public enum Safetensors {
    /// One tensor read from a file.
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// Errors naming the file and what is wrong with it.
    public enum FormatError: Error, CustomStringConvertible, Equatable {
        case corrupt(path: String, reason: String)

        public var description: String {
            switch self {
            case .corrupt(let path, let reason): return "\(path): not a valid safetensors file: \(reason)"
            }
        }
    }

    /// All tensors in `path`, and the header's `__metadata__` strings.
    public static func read(path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        func corrupt(_ reason: String) -> FormatError { .corrupt(path: path, reason: reason) }
        let (header, dataStart) = try self.header(bytes, path: path)
        let dataLength = bytes.count - dataStart
        var tensors: [String: Tensor] = [:]
        let metadata = metadataStrings(header)
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offsets.count == 2 else {
                throw corrupt("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            let count = shape.reduce(1, *)
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            case "F64": width = 8
            default: throw corrupt("tensor '\(name)' has dtype \(dtype); only F32, F16, BF16 and F64 are read")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] == offsets[0] + count * width else {
                throw corrupt("tensor '\(name)': \(offsets) does not hold \(count) values of \(dtype)")
            }
            guard offsets[1] <= dataLength else {
                throw corrupt("tensor '\(name)' ends at byte \(offsets[1]) of \(dataLength) (truncated file)")
            }
            let base = bytes.baseAddress! + dataStart + offsets[0]
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                switch dtype {
                case "F32": values[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                case "F64": values[i] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                case "BF16": values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
                default: values[i] = Float(Float16(bitPattern: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
                }
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    /// The header's `__metadata__` strings alone: the tensors' data is not read.
    public static func metadata(path: String) throws -> [String: String] {
        let file = try MappedFile(path: path)
        return metadataStrings(try header(file.bytes, path: path).header)
    }

    /// The parsed JSON header of a safetensors file and where its data starts.
    private static func header(_ bytes: UnsafeRawBufferPointer, path: String) throws -> (header: [String: Any], dataStart: Int) {
        func corrupt(_ reason: String) -> FormatError { .corrupt(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw corrupt("shorter than its 8-byte header length (\(bytes.count) bytes)") }
        let headerLength = Int(bytes.loadUnaligned(as: UInt64.self).littleEndian)
        guard headerLength > 0, headerLength <= bytes.count - 8, headerLength < 100_000_000 else {
            throw corrupt("header length \(headerLength) does not fit in \(bytes.count) bytes (truncated?)")
        }
        let headerData = Data(bytes[8..<(8 + headerLength)])
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw corrupt("the header is not a JSON object")
        }
        return (header, 8 + headerLength)
    }

    private static func metadataStrings(_ header: [String: Any]) -> [String: String] {
        var metadata: [String: String] = [:]
        if let entries = header["__metadata__"] as? [String: Any] {
            for (key, text) in entries { metadata[key] = text as? String ?? "\(text)" }
        }
        return metadata
    }

    /// Writes F32 tensors (in the order given) atomically: temporary file, fsync, rename.
    public static func write(path: String, tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)],
                             metadata: [String: String] = [:]) throws {
        var header = "{"
        var offset = 0
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{" + metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",") + "}"
            first = false
        }
        for tensor in tensors {
            precondition(tensor.values.count == tensor.shape.reduce(1, *), "\(tensor.name): shape does not match its values")
            let end = offset + tensor.values.count * 4
            header += (first ? "" : ",") + "\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            first = false
            offset = end
        }
        header += "}"
        // Pad the header with spaces so the data starts 8-byte aligned.
        while (header.utf8.count % 8) != 0 { header += " " }
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + header.utf8.count + offset)
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        for tensor in tensors {
            bytes.append(contentsOf: UnsafeRawBufferPointer(tensor.values))
        }
        try bytes.withUnsafeBytes { try AtomicOutput.replaceFile(path, $0) }
    }

    private static func jsonString(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
