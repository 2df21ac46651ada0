import Core
import Engine
import Foundation

/// Model weights as safetensors with PyTorch's tensor names.
public enum Checkpoint {
    /// Writes every tensor of `parameters` (atomically) with `metadata`.
    public static func save(_ parameters: ParameterSet, to path: String, metadata: [String: String] = [:]) throws {
        let tensors = parameters.tensors.map { spec in
            (name: spec.name, shape: spec.shape, values: UnsafeBufferPointer(start: parameters.values.pointer + spec.offset, count: spec.count))
        }
        try Safetensors.write(path: path, tensors: tensors, metadata: metadata.merging(["format": "pt"]) { a, _ in a })
    }

    /// Loads every tensor of `parameters` from `path` (names may be `aliases`); returns the metadata.
    /// Missing tensors and shape mismatches are errors that say which tensor and why.
    /// With `grownRows`, those tensors (a model's item-indexed ones) hold exactly `rows` rows in the
    /// checkpoint — a smaller catalogue's — and only those rows are loaded; the rest keep their values.
    @discardableResult
    public static func load(into parameters: ParameterSet, from path: String, aliases: [String: String] = [:],
                            grownRows: (tensors: [String], rows: Int)? = nil) throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: path) else { throw TrainingError.checkpoint(path: path, reason: "no such checkpoint") }
        let (stored, metadata): ([String: Safetensors.Tensor], [String: String])
        do {
            (stored, metadata) = try Safetensors.read(path: path)
        } catch Safetensors.FormatError.corrupt(_, let reason) {
            throw TrainingError.checkpoint(path: path, reason: "not a valid safetensors file: " + reason)
        }
        var byName = stored
        for (alias, name) in aliases where byName[name] == nil { byName[name] = byName[alias] }
        for spec in parameters.tensors {
            guard let tensor = byName[spec.name] else {
                throw TrainingError.checkpoint(path: path, reason: "no tensor '\(spec.name)' (it has: \(stored.keys.sorted().joined(separator: ", ")))")
            }
            let count = try loadableCount(spec, storedShape: tensor.shape, grownRows: grownRows, path: path)
            guard tensor.values.allSatisfy({ $0.isFinite }) else {
                throw TrainingError.checkpoint(path: path, reason: "tensor '\(spec.name)' holds NaN or infinite values")
            }
            tensor.values.withUnsafeBufferPointer { (parameters.values.pointer + spec.offset).update(from: $0.baseAddress!, count: count) }
        }
        return metadata
    }

    /// How many leading values of tensor `spec` a stored tensor of `storedShape` provides: all of
    /// them when the shapes agree, or for a `grownRows` tensor its stored rows. Anything else is
    /// an error naming the tensor (and, for the seed model's item tensors, the two catalogue sizes).
    public static func loadableCount(_ spec: TensorSpec, storedShape: [Int], grownRows: (tensors: [String], rows: Int)?, path: String) throws -> Int {
        if let grownRows, grownRows.tensors.contains(spec.name) {
            guard storedShape.count == spec.shape.count, storedShape.dropFirst() == spec.shape.dropFirst(),
                  storedShape[0] == grownRows.rows, grownRows.rows <= spec.shape[0] else {
                throw TrainingError.checkpoint(path: path, reason: "tensor '\(spec.name)' has shape \(storedShape), expected \(grownRows.rows) rows of \(Array(spec.shape.dropFirst()))")
            }
            return storedShape.reduce(1, *)
        }
        guard storedShape == spec.shape else {
            var reason = "tensor '\(spec.name)' has shape \(storedShape), the model expects \(spec.shape)"
            if spec.name.hasSuffix("embedding.weight") || spec.name.hasPrefix("fc.") {
                reason += ": the checkpoint was trained on \(storedShape[0] - 1) items and this dataset has \(spec.shape[0] - 1)"
            }
            throw TrainingError.checkpoint(path: path, reason: reason)
        }
        return spec.count
    }
}
