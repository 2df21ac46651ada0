import Foundation
import Testing
@testable import Engine

@Suite struct SafetensorsTests {
    static func scratch() -> String {
        let path = NSTemporaryDirectory() + "safetensors-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func roundTripKeepsNamesShapesValuesAndMetadata() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a: [Float] = [1, -2.5, 3, 4, 5, 6]
        let b: [Float] = [0.125]
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try Safetensors.write(path: dir + "/m.safetensors", tensors: [("lstm.weight_ih_l0", [2, 3], pa), ("fc.bias", [1], pb)],
                                      metadata: ["format": "pt", "note": "quote \" and é"])
            }
        }
        let (tensors, metadata) = try Safetensors.read(path: dir + "/m.safetensors")
        #expect(tensors["lstm.weight_ih_l0"] == Safetensors.Tensor(shape: [2, 3], values: a))
        #expect(tensors["fc.bias"] == Safetensors.Tensor(shape: [1], values: b))
        #expect(metadata == ["format": "pt", "note": "quote \" and é"])
        // Data begins 8-byte aligned.
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.safetensors"))
        let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
    }

    /// A file as another writer would lay it out, with half-precision tensors.
    @Test func readsHalfPrecisionAndBFloat16() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}"#
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8)
        // F16 1.0 = 0x3C00, -2.0 = 0xC000; BF16 1.5 = 0x3FC0, 3.0 = 0x4040 (little-endian).
        bytes += [0x00, 0x3C, 0x00, 0xC0, 0xC0, 0x3F, 0x40, 0x40]
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/half.safetensors"))
        let (tensors, _) = try Safetensors.read(path: dir + "/half.safetensors")
        #expect(tensors["h"]?.values == [1, -2])
        #expect(tensors["b"]?.values == [1.5, 3])
    }

    @Test func truncatedAndCorruptFilesAreRejectedWithTheReason() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let values: [Float] = Array(repeating: 1, count: 100)
        try values.withUnsafeBufferPointer { try Safetensors.write(path: dir + "/ok.safetensors", tensors: [("w", [10, 10], $0)]) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir + "/ok.safetensors"))
        try whole.dropLast(40).write(to: URL(fileURLWithPath: dir + "/truncated.safetensors"))
        do {
            _ = try Safetensors.read(path: dir + "/truncated.safetensors")
            Issue.record("a truncated file was accepted")
        } catch let error as Safetensors.FormatError {
            #expect(error.description.contains("truncated"))
        }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/tiny.safetensors"))
        #expect(throws: Safetensors.FormatError.self) { _ = try Safetensors.read(path: dir + "/tiny.safetensors") }
        var garbage = whole
        garbage.replaceSubrange(8..<12, with: Array("xxxx".utf8))
        try garbage.write(to: URL(fileURLWithPath: dir + "/garbage.safetensors"))
        #expect(throws: Safetensors.FormatError.self) { _ = try Safetensors.read(path: dir + "/garbage.safetensors") }
        #expect(throws: (any Error).self) { _ = try Safetensors.read(path: dir + "/missing.safetensors") }
    }
}
