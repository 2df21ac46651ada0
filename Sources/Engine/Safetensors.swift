import CZlib
import Core
import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to its dtype, shape and byte range, then the raw data.
/// Tensors are read as Float32 (F32 as is; F16, BF16 and F64 converted).
///
/// Every number in a file is untrusted: header lengths, shapes and offsets are checked with
/// overflow-safe arithmetic against the file's size, so a damaged file is an error, never a trap.
/// Files Trajectory writes carry a CRC-32 of their tensor data in the metadata
/// (`trajectory.crc32`), checked on every read: flipped bytes are refused instead of served.
public enum Safetensors {
    /// The metadata key holding the CRC-32 (zlib's, as 8 hex digits) of the bytes after the header.
    public static let checksumKey = "trajectory.crc32"
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
        var metadata = metadataStrings(header)
        let expectedChecksum = metadata.removeValue(forKey: checksumKey)
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shapeList = entry["shape"] as? [Any], let offsetList = entry["data_offsets"] as? [Any] else {
                throw corrupt("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            // `as? Int` refuses anything not exactly an integer that fits (1e30, 2.5, 2^64).
            let shape = shapeList.compactMap { $0 as? Int }, offsets = offsetList.compactMap { $0 as? Int }
            guard shape.count == shapeList.count, offsets.count == 2, offsetList.count == 2 else {
                throw corrupt("tensor '\(name)': shape \(shapeList) or data_offsets \(offsetList) are not integers")
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            case "F64": width = 8
            default: throw corrupt("tensor '\(name)' has dtype \(dtype); only F32, F16, BF16 and F64 are read")
            }
            // The value count and byte range, refused as soon as they exceed the file (no overflow).
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard dimension >= 0, !overflow, product <= dataLength / width else {
                    throw corrupt("tensor '\(name)' has shape \(shape): more values than the file's \(dataLength) data bytes hold")
                }
                count = product
            }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == count * width else {
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
        // After the layout checks, so a truncated file is reported as truncated.
        if let expected = expectedChecksum {
            let actual = crc32Hex(UnsafeRawBufferPointer(rebasing: bytes[dataStart...]))
            guard actual == expected.lowercased() else {
                throw corrupt("the tensor data is damaged (CRC-32 \(actual), written as \(expected))")
            }
        }
        return (tensors, metadata)
    }

    /// The header's `__metadata__` strings alone: the tensors' data is not read.
    public static func metadata(path: String) throws -> [String: String] {
        let file = try MappedFile(path: path)
        var metadata = metadataStrings(try header(file.bytes, path: path).header)
        metadata[checksumKey] = nil
        return metadata
    }

    /// The parsed JSON header of a safetensors file and where its data starts.
    private static func header(_ bytes: UnsafeRawBufferPointer, path: String) throws -> (header: [String: Any], dataStart: Int) {
        func corrupt(_ reason: String) -> FormatError { .corrupt(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw corrupt("shorter than its 8-byte header length (\(bytes.count) bytes)") }
        let storedLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard storedLength > 0, storedLength <= UInt64(bytes.count - 8), storedLength < 100_000_000 else {
            throw corrupt("header length \(storedLength) does not fit in \(bytes.count) bytes (truncated?)")
        }
        let headerLength = Int(storedLength)
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
        var checksum = crc32(0, nil, 0)
        for tensor in tensors { checksum = crc32Update(checksum, UnsafeRawBufferPointer(tensor.values)) }
        let metadata = metadata.merging([checksumKey: String(format: "%08x", checksum)]) { _, new in new }
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

    /// zlib's CRC-32 of `bytes`, as 8 lowercase hex digits.
    static func crc32Hex(_ bytes: UnsafeRawBufferPointer) -> String {
        String(format: "%08x", crc32Update(crc32(0, nil, 0), bytes))
    }

    private static func crc32Update(_ crc: UInt, _ bytes: UnsafeRawBufferPointer) -> UInt {
        var crc = crc, offset = 0
        while offset < bytes.count {
            let length = min(bytes.count - offset, 1 << 30)
            crc = crc32(crc, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(length))
            offset += length
        }
        return crc
    }

    private static func jsonString(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
