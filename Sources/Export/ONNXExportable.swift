import Engine
import Models
import ONNXProto

/// A model family that can write its forward pass as an ONNX graph. Each family's conformance
/// (`LSTMFamily+ONNX.swift`, …) mirrors its scoring code in Sources/Models; `ONNXExporter` adds
/// what every family shares (the window, masking, top-k) around it.
public protocol ONNXExportable: ModelFamily {
    /// Adds the nodes from `window` to every item's score after each history's latest item
    /// ([batch, vocabulary] float32), reading the weights from `parameters`; returns its name.
    func addScores(to graph: inout ONNXGraphBuilder, window: ONNXWindow, parameters: ParameterSet) -> String
    /// The item table its scores are tied to (it then reads `window.outputRows`), or nil (untied).
    static var tiedOutputTensor: String? { get }
}

/// The histories a family's graph reads: item ids as int64 [batch, length], each row
/// left-padded with 0 so that its latest item is in the last column, length ≤ the run's window.
public struct ONNXWindow {
    /// int64 [batch, length].
    public var items: String
    /// int32 [batch]: each row's items that are not padding.
    public var lengths: String
    /// float [batch, length, input width]: what the run's input features add to each input row
    /// (event type, time gap, item attributes; zero for padding), or nil for ids only.
    public var featureRows: String? = nil
    /// [vocabulary, width]: the rows a tied family scores against when the run scores with
    /// attributes (item + attribute rows); nil: the item embeddings themselves.
    public var outputRows: String? = nil
}

extension ONNXGraphBuilder {
    /// `parameters`' tensor `name` as an initializer of its own shape.
    mutating func weight(_ name: String, from parameters: ParameterSet) -> String {
        let spec = parameters.spec(name)
        return weight(name, shape: spec.shape, values: UnsafeBufferPointer(start: parameters.value(name), count: spec.count))
    }

    /// A [rows, columns] tensor of `parameters` transposed to [columns, rows] (a MatMul's right operand).
    mutating func transposedWeight(_ name: String, rows: Int, columns: Int, from pointer: UnsafePointer<Float>) -> String {
        var transposed = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns { transposed[c * rows + r] = pointer[r * columns + c] }
        }
        return weight(name + ".T", shape: [columns, rows], values: transposed)
    }

    /// The histories reversed in time and time-major ([length, batch]): each row becomes
    /// latest-first with its padding at the end, which is what an ONNX LSTM/GRU with
    /// `direction = reverse` and `sequence_lens` reads as the history oldest-first from a zero
    /// state, padding skipped (as the CPU models skip it).
    mutating func reversedTimeMajor(_ window: ONNXWindow) -> String {
        let reversed = op("Slice", [window.items, int64s("minus_one", [-1]), int64s("before_start", [Int64.min]),
                                    int64s("time_axis", [1]), int64s("backwards", [-1])], name: "reversed_items")
        return op("Transpose", [reversed], name: "time_major_items", Self.attribute("perm", ints: [1, 0]))
    }

    /// The embedded inputs of a recurrent family, time-major and reversed as `reversedTimeMajor`
    /// ([length, batch, width]): the table's rows plus the window's feature rows, if any.
    mutating func reversedTimeMajorInputs(_ window: ONNXWindow, table: String) -> String {
        let embedded = op("Gather", [table, reversedTimeMajor(window)], name: "embedded")
        guard let features = window.featureRows else { return embedded }
        let reversed = op("Slice", [features, int64s("minus_one", [-1]), int64s("before_start", [Int64.min]),
                                    int64s("time_axis", [1]), int64s("backwards", [-1])], name: "reversed_features")
        let timeMajor = op("Transpose", [reversed], name: "time_major_features", Self.attribute("perm", ints: [1, 0, 2]))
        return op("Add", [embedded, timeMajor], name: "embedded_with_features")
    }

    /// Reorders the gate blocks of a recurrent weight: rows are `from.count` blocks of `block`
    /// rows each (PyTorch's order), written in `to`'s order (ONNX's), with a leading
    /// direction axis of 1.
    mutating func recurrentWeight(_ name: String, parameters: ParameterSet, gates from: [String], as to: [String]) -> String {
        let spec = parameters.spec(name)
        let block = spec.shape[0] / from.count, width = spec.count / spec.shape[0]
        let source = parameters.value(name)
        var reordered = [Float](repeating: 0, count: spec.count)
        for (index, gate) in to.enumerated() {
            let sourceBlock = from.firstIndex(of: gate)!
            for i in 0..<(block * width) { reordered[index * block * width + i] = source[sourceBlock * block * width + i] }
        }
        return weight(name, shape: [1] + spec.shape, values: reordered)
    }
}
