import Core
import Datasets
import Engine
import Foundation
import Models
import ONNXProto
import Runs
import SwiftProtobuf

/// Writes a trained run's model as an ONNX model that ranks as `predict` does.
///
/// The graph's input is `items`, int64 [batch, length]: internal item ids (line i of the
/// dataset's items.tsv is id i; the ids also travel in the model's metadata as
/// `trajectory.item_ids`), oldest first, each row left-padded with 0 so that its latest item is
/// in the last column. Rows longer than the run's window keep their latest items, as
/// `predict` does. Outputs: `scores` [batch, vocabulary] (column i is item i; column 0, the
/// padding id, is −∞, and with `excludeSeen` so are the row's own items), and with `topK`,
/// `top_items` (int64 ids), `top_scores` and `top_ids` (the original ids, strings) [batch, k].
public enum ONNXExporter {
    /// The ONNX operator set the graphs use (17: LayerNormalization is an operator from 17 on).
    public static let opset: Int64 = 17
    /// The IR version written: 8, what opset 17 needs, so that older runtimes load the file too.
    public static let irVersion: Int64 = 8

    /// What to export besides the scores.
    public struct Options: Sendable {
        /// Adds `top_items`, `top_scores` and `top_ids` with this many items per row.
        public var topK: Int?
        /// Masks each row's own items in `scores` (and so in the top k), like `--exclude-seen`.
        public var excludeSeen = false
        /// Which checkpoint of the run.
        public var weights = ModelLoader.Weights.best

        public init(topK: Int? = nil, excludeSeen: Bool = false, weights: ModelLoader.Weights = .best) {
            self.topK = topK
            self.excludeSeen = excludeSeen
            self.weights = weights
        }
    }

    /// Why a run cannot be exported.
    public enum ExportError: Error, CustomStringConvertible, Equatable {
        case unsupportedFamily(String)
        case invalidTopK(k: Int, items: Int)

        public var description: String {
            switch self {
            case .unsupportedFamily(let family): "the \(family) family has no ONNX export yet"
            case .invalidTopK(let k, let items): "--top-k must be between 1 and the catalogue's \(items) items, got \(k)"
            }
        }
    }

    /// The model of the run at `path` as an ONNX model, and its window (most recent items used).
    public static func model(run path: String, options: Options = Options()) throws -> (model: Onnx_ModelProto, window: Int) {
        let loaded = try ModelLoader.loadWithVocabulary(run: path, weights: options.weights)
        let settings = loaded.configuration.settings
        guard let family = settings as? any ONNXExportable else { throw ExportError.unsupportedFamily(loaded.configuration.model) }
        let window = min(loaded.configuration.training.maxLength, settings.fixedPositions ?? Int.max)
        var model = try model(family: family, parameters: loaded.model.parameters, window: window, itemIds: loaded.vocabulary.originals,
                              features: loaded.model.featureEmbedding, options: options)
        model.metadataProps += [("trajectory.run", path), ("trajectory.weights", options.weights.rawValue)].map(entry)
        return (model, window)
    }

    /// The ONNX model of `family` with `parameters`, reading the latest `window` items of each
    /// row, and with `features` (a run trained `--features`) its event types and times too.
    public static func model(family: any ONNXExportable, parameters: ParameterSet, window: Int, itemIds: [String],
                             features: InputFeatureEmbedding? = nil, options: Options = Options()) throws -> Onnx_ModelProto {
        let vocabulary = family.vocabulary
        if let k = options.topK, !(1...(vocabulary - 1)).contains(k) { throw ExportError.invalidTopK(k: k, items: vocabulary - 1) }
        var graph = ONNXGraphBuilder(name: "trajectory_\(type(of: family).name)")
        let items = graph.input("items", type: .int64, dimensions: [.named("batch"), .named("length")])
        let kept = graph.op("Slice", [items, graph.int64s("window_start", [-Int64(window)]), graph.int64s("window_end", [Int64.max]),
                                      graph.int64s("time_axis", [1])], name: "window")
        let notPadding = graph.op("Cast", [graph.op("Greater", [kept, graph.int64s("padding_id", [0], scalar: true)], name: "is_item")],
                                  name: "item_flags", ONNXGraphBuilder.attribute("to", int: Onnx_TensorProto.DataType.int32.rawValue))
        let lengths = graph.op("ReduceSum", [notPadding, graph.int64s("time_axis", [1])], name: "lengths", ONNXGraphBuilder.attribute("keepdims", int: 0))
        var inputs = ONNXWindow(items: kept, lengths: lengths)
        if let features {
            inputs.featureRows = ONNXFeatureInputs.add(to: &graph, features: features, items: items, window: window,
                                                       width: family.inputWidth, vocabulary: vocabulary)
            if features.features.scoresWithAttributes, let tied = type(of: family).tiedOutputTensor {
                var rows = [Float](repeating: 0, count: vocabulary * family.inputWidth)
                rows.withUnsafeMutableBufferPointer {
                    features.composeOutputTable(items: parameters.value(tied), vocabulary: vocabulary, into: $0.baseAddress!)
                }
                inputs.outputRows = graph.weight("output_rows", shape: [vocabulary, family.inputWidth], values: rows)
            }
        }
        let logits = family.addScores(to: &graph, window: inputs, parameters: parameters)

        // Padding is never an answer: −∞ in column 0, added so every other score stays exact.
        var paddingRow = [Float](repeating: 0, count: vocabulary)
        paddingRow[0] = -.infinity
        var scores = graph.op("Add", [logits, graph.weight("padding_mask", shape: [vocabulary], values: paddingRow)], name: "scores_unmasked")
        if options.excludeSeen {
            // Every id of the row (the whole history, not only the window; padding is id 0) → −∞.
            let minusInfinity = graph.op("Expand", [graph.scalar("minus_infinity", -.infinity), graph.op("Shape", [items], name: "items_shape")], name: "seen_scores")
            scores = graph.op("ScatterElements", [scores, items, minusInfinity], name: "scores_seen_masked", ONNXGraphBuilder.attribute("axis", int: 1))
        }
        graph.output(scores, as: "scores", type: .float, dimensions: [.named("batch"), .fixed(vocabulary)])
        if let k = options.topK {
            let top = graph.node("TopK", [scores, graph.int64s("k", [Int64(k)])], outputs: 2, name: "top", attributes: [
                ONNXGraphBuilder.attribute("axis", int: -1), ONNXGraphBuilder.attribute("largest", int: 1), ONNXGraphBuilder.attribute("sorted", int: 1),
            ])
            graph.output(top[0], as: "top_scores", type: .float, dimensions: [.named("batch"), .fixed(k)])
            graph.output(top[1], as: "top_items", type: .int64, dimensions: [.named("batch"), .fixed(k)])
            let ids = graph.strings("item_ids", [""] + itemIds)
            graph.output(graph.op("Gather", [ids, top[1]], name: "top_original_ids"), as: "top_ids", type: .string, dimensions: [.named("batch"), .fixed(k)])
        }

        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        var opsetImport = Onnx_OperatorSetIdProto()
        opsetImport.domain = ""
        opsetImport.version = opset
        model.opsetImport = [opsetImport]
        model.producerName = "trajectory"
        model.producerVersion = "1"
        model.docString = "Next-item scores of a Trajectory \(type(of: family).name) model (\(family.summary)). "
            + "Input items: int64 [batch, length], internal ids oldest first, left-padded with 0; the latest \(window) are used."
        model.graph = graph.graph
        var itemList = ""
        for id in itemIds { itemList += id + "\n" }
        model.metadataProps = [
            ("trajectory.family", type(of: family).name), ("trajectory.window", String(window)),
            ("trajectory.exclude_seen", String(options.excludeSeen)), ("trajectory.top_k", options.topK.map(String.init) ?? ""),
            ("trajectory.item_ids", itemList),
            ("trajectory.features", features?.features.names.joined(separator: ",") ?? ""),
            ("trajectory.event_types", (features?.features.eventTypes ?? []).joined(separator: "\n")),
        ].map(entry)
        return model
    }

    /// Writes `model` to `path` through a temporary file (a crash leaves the old file or none).
    public static func write(_ model: Onnx_ModelProto, to path: String) throws {
        let bytes: Data = try model.serializedBytes()
        try bytes.withUnsafeBytes { try AtomicOutput.replaceFile(path, $0) }
    }

    private static func entry(_ pair: (String, String)) -> Onnx_StringStringEntryProto {
        var entry = Onnx_StringStringEntryProto()
        entry.key = pair.0
        entry.value = pair.1
        return entry
    }
}

extension ONNXGraphBuilder {
    /// A 1-D string constant.
    mutating func strings(_ name: String, _ values: [String]) -> String {
        var tensor = Onnx_TensorProto()
        tensor.name = fresh(name)
        tensor.dims = [Int64(values.count)]
        tensor.dataType = Int32(Onnx_TensorProto.DataType.string.rawValue)
        tensor.stringData = values.map { Data($0.utf8) }
        appendInitializer(tensor)
        return tensor.name
    }
}
