import Core
import Foundation
import ONNXProto

/// A Triton Inference Server model repository for an exported model: `NAME/config.pbtxt` and
/// `NAME/1/model.onnx`, ready for `tritonserver --model-repository DIR` (ONNX Runtime backend,
/// dynamic batching). Triton adds the batch dimension itself, so the config lists the others.
public enum TritonRepository {
    /// config.pbtxt for `model` served as `name`, batching up to `maxBatchSize` requests.
    public static func configuration(for model: Onnx_ModelProto, name: String, maxBatchSize: Int = 64) -> String {
        func tensor(_ info: Onnx_ValueInfoProto) -> String {
            let type: String
            switch Onnx_TensorProto.DataType(rawValue: Int(info.type.tensorType.elemType)) {
            case .int64: type = "TYPE_INT64"
            case .float: type = "TYPE_FP32"
            case .string: type = "TYPE_STRING"
            default: type = "TYPE_INVALID"
            }
            // The first dimension is the batch, which Triton adds; a named one is variable (-1).
            let dims = info.type.tensorType.shape.dim.dropFirst().map { $0.dimParam.isEmpty ? String($0.dimValue) : "-1" }
            return "  {\n    name: \"\(info.name)\"\n    data_type: \(type)\n    dims: [ \(dims.joined(separator: ", ")) ]\n  }"
        }
        return """
            name: "\(name)"
            backend: "onnxruntime"
            max_batch_size: \(maxBatchSize)
            input [
            \(model.graph.input.map(tensor).joined(separator: ",\n"))
            ]
            output [
            \(model.graph.output.map(tensor).joined(separator: ",\n"))
            ]
            dynamic_batching {
              max_queue_delay_microseconds: 500
            }
            instance_group [
              { kind: KIND_CPU, count: 1 }
            ]

            """
    }

    /// Writes the repository folder `directory` holding model `name` (built under a temporary
    /// name and renamed into place; an existing folder is replaced only with `force`).
    public static func write(_ model: Onnx_ModelProto, name: String, to directory: String, force: Bool) throws {
        if force {
            try AtomicOutput.checkReplaceable(directory, marker: name, kind: "Triton model repository", ownedNames: [name])
        }
        let temporary = try AtomicOutput.makeTemporaryDirectory(for: directory)
        do {
            let version = temporary + "/\(name)/1"
            try FileManager.default.createDirectory(atPath: version, withIntermediateDirectories: true)
            try ONNXExporter.write(model, to: version + "/model.onnx")
            try AtomicOutput.writeText(temporary + "/\(name)/config.pbtxt", configuration(for: model, name: name))
            try AtomicOutput.commitDirectory(temporary, to: directory, force: force)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
