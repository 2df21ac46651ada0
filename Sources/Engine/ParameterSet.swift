/// A named tensor inside a flat parameter buffer: PyTorch `state_dict()` name, shape, offset.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// All parameters of a model in one flat Float32 buffer, and their gradients in another of the
/// same layout. Layers hold offsets into it; the optimizer and gradient clipping are loops over
/// the flat buffers; an all-reduce would be one call on `gradients`.
public final class ParameterSet: @unchecked Sendable {
    public let values: FloatBuffer
    public let gradients: FloatBuffer
    public let tensors: [TensorSpec]
    private let indexByName: [String: Int]

    /// Lays out tensors in the order given.
    public init(_ specs: [(name: String, shape: [Int])]) {
        let (tensors, count) = Self.layout(specs)
        self.tensors = tensors
        values = FloatBuffer(count: count)
        gradients = FloatBuffer(count: count)
        indexByName = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    /// Where each tensor of `specs` lives in the flat buffer, and the buffer's length, without
    /// allocating it (e.g. to read another model's optimizer state).
    public static func layout(_ specs: [(name: String, shape: [Int])]) -> (tensors: [TensorSpec], count: Int) {
        var tensors: [TensorSpec] = []
        var offset = 0
        for spec in specs {
            let tensor = TensorSpec(name: spec.name, shape: spec.shape, offset: offset)
            tensors.append(tensor)
            // Keep every tensor 64-byte aligned (16 floats) for vector loads.
            offset += (tensor.count + 15) / 16 * 16
        }
        return (tensors, offset)
    }

    /// The spec of tensor `name`.
    public func spec(_ name: String) -> TensorSpec {
        guard let index = indexByName[name] else { preconditionFailure("no parameter named \(name)") }
        return tensors[index]
    }

    public func contains(_ name: String) -> Bool { indexByName[name] != nil }

    /// The values of tensor `name`.
    public func value(_ name: String) -> UnsafeMutablePointer<Float> { values.pointer + spec(name).offset }

    /// The gradient of tensor `name`.
    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> { gradients.pointer + spec(name).offset }

    /// Total number of parameters (without alignment padding).
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }

    public func zeroGradients() { gradients.zero() }
}
