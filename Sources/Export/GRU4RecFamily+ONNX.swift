import Engine
import Models
import ONNXProto

/// GRU4Rec in ONNX: Gather (item embedding) → one ONNX `GRU` per layer (no biases, reset gate
/// applied after the hidden product, as PyTorch's `linear_before_reset`) → Gemm (dense) →
/// scores against the item embeddings. PyTorch's gates (r, z, n) are reordered to ONNX's (z, r, h).
extension GRU4Rec.Configuration: ONNXExportable {
    public static var tiedOutputTensor: String? { "item_embedding.weight" }

    public func addScores(to graph: inout ONNXGraphBuilder, window: ONNXWindow, parameters: ParameterSet) -> String {
        let pytorchGates = ["r", "z", "n"], onnxGates = ["z", "r", "n"]
        let embedding = graph.weight("item_embedding.weight", from: parameters)
        var x = graph.reversedTimeMajorInputs(window, table: embedding)
        var last = ""
        for layer in 0..<layers {
            let w = graph.recurrentWeight("gru_layers.weight_ih_l\(layer)", parameters: parameters, gates: pytorchGates, as: onnxGates)
            let r = graph.recurrentWeight("gru_layers.weight_hh_l\(layer)", parameters: parameters, gates: pytorchGates, as: onnxGates)
            let outputs = graph.node("GRU", [x, w, r, "", window.lengths], outputs: 2, name: "gru_l\(layer)", attributes: [
                ONNXGraphBuilder.attribute("hidden_size", int: hiddenSize), ONNXGraphBuilder.attribute("direction", string: "reverse"),
                ONNXGraphBuilder.attribute("linear_before_reset", int: 1),
            ])
            x = graph.op("Squeeze", [outputs[0], graph.int64s("direction_axis", [1])], name: "gru_states_l\(layer)")
            last = outputs[1]
        }
        let state = graph.op("Squeeze", [last, graph.int64s("first_axis", [0])], name: "last_state")
        let projected = graph.op("Gemm", [state, graph.weight("dense.weight", from: parameters), graph.weight("dense.bias", from: parameters)],
                                 name: "projected", ONNXGraphBuilder.attribute("transB", int: 1))
        return graph.op("Gemm", [projected, window.outputRows ?? embedding], name: "logits", ONNXGraphBuilder.attribute("transB", int: 1))
    }
}
