import Foundation
import ONNXProto

/// Builds an ONNX graph one node at a time, naming values as it goes, so a family's export reads
/// like its forward pass: `let h = graph.op("MatMul", [x, w])`. Weights become initializers
/// (little-endian float32 raw data); constants become small initializers too.
public struct ONNXGraphBuilder {
    /// The graph so far.
    public private(set) var graph = Onnx_GraphProto()
    private var used: Set<String> = []

    public init(name: String) {
        graph.name = name
    }

    /// A value name not used yet, from `hint` ("x" → "x", then "x_1", "x_2", …).
    public mutating func fresh(_ hint: String) -> String {
        var name = hint, suffix = 0
        while used.contains(name) {
            suffix += 1
            name = "\(hint)_\(suffix)"
        }
        used.insert(name)
        return name
    }

    // MARK: Inputs, outputs, initializers

    /// A graph input of `type` with `dimensions` (a name for a dynamic size, a number for a fixed one).
    public mutating func input(_ name: String, type: Onnx_TensorProto.DataType, dimensions: [ONNXDimension]) -> String {
        let name = fresh(name)
        graph.input.append(Self.valueInfo(name, type: type, dimensions: dimensions))
        return name
    }

    /// Declares `value` a graph output named `name` (renamed through an Identity if it differs).
    public mutating func output(_ value: String, as name: String, type: Onnx_TensorProto.DataType, dimensions: [ONNXDimension]) {
        precondition(value == name || !used.contains(name), "output name \(name) is taken")
        let outputName = value == name ? name : op("Identity", [value], name: name)
        graph.output.append(Self.valueInfo(outputName, type: type, dimensions: dimensions))
    }

    /// A float32 initializer of `shape` holding `values` (row-major).
    public mutating func weight(_ name: String, shape: [Int], values: UnsafeBufferPointer<Float>) -> String {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        var tensor = Onnx_TensorProto()
        tensor.name = fresh(name)
        tensor.dims = shape.map(Int64.init)
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        // ONNX raw data is little-endian, as this machine is.
        tensor.rawData = Data(buffer: values)
        graph.initializer.append(tensor)
        return tensor.name
    }

    /// `weight` from an array.
    public mutating func weight(_ name: String, shape: [Int], values: [Float]) -> String {
        values.withUnsafeBufferPointer { weight(name, shape: shape, values: $0) }
    }

    /// An int64 constant: a 1-D tensor of `values`, or a scalar when `scalar` is set.
    public mutating func int64s(_ name: String, _ values: [Int64], scalar: Bool = false) -> String {
        precondition(!scalar || values.count == 1)
        var tensor = Onnx_TensorProto()
        tensor.name = fresh(name)
        tensor.dims = scalar ? [] : [Int64(values.count)]
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.int64Data = values
        graph.initializer.append(tensor)
        return tensor.name
    }

    /// A float32 scalar constant.
    public mutating func scalar(_ name: String, _ value: Float) -> String {
        var tensor = Onnx_TensorProto()
        tensor.name = fresh(name)
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.floatData = [value]
        graph.initializer.append(tensor)
        return tensor.name
    }

    /// Adds a tensor built elsewhere as an initializer (its name from `fresh`).
    mutating func appendInitializer(_ tensor: Onnx_TensorProto) {
        graph.initializer.append(tensor)
    }

    // MARK: Nodes

    /// Adds an `operation` node and returns its `outputs` value names.
    public mutating func node(_ operation: String, _ inputs: [String], outputs: Int, name: String? = nil,
                              attributes: [Onnx_AttributeProto] = []) -> [String] {
        var node = Onnx_NodeProto()
        node.opType = operation
        node.input = inputs
        let base = name ?? operation.lowercased()
        node.output = (0..<outputs).map { fresh(outputs == 1 ? base : "\(base)_out\($0)") }
        node.name = node.output[0] + "_node"
        node.attribute = attributes
        graph.node.append(node)
        return node.output
    }

    /// Adds a single-output `operation` node and returns its output's name.
    public mutating func op(_ operation: String, _ inputs: [String], name: String? = nil, _ attributes: Onnx_AttributeProto...) -> String {
        node(operation, inputs, outputs: 1, name: name, attributes: attributes)[0]
    }

    // MARK: Attributes

    public static func attribute(_ name: String, int value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    public static func attribute(_ name: String, ints values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    public static func attribute(_ name: String, float value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    public static func attribute(_ name: String, string value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }

    static func valueInfo(_ name: String, type: Onnx_TensorProto.DataType, dimensions: [ONNXDimension]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dimensions.map { dimension in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch dimension {
            case .fixed(let size): dim.dimValue = Int64(size)
            case .named(let name): dim.dimParam = name
            }
            return dim
        }
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(type.rawValue)
        tensorType.shape = shape
        var valueType = Onnx_TypeProto()
        valueType.tensorType = tensorType
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = valueType
        return info
    }
}

/// One dimension of a graph input or output: fixed, or named and dynamic ("batch").
public enum ONNXDimension: Sendable, Equatable {
    case fixed(Int)
    case named(String)
}
