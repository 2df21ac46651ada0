import Engine
import Models
import ONNXProto

/// The seed LSTM in ONNX: Gather (embedding) → one ONNX `LSTM` per layer → Gemm (fc), as
/// `LSTMRecommender` scores. PyTorch's gates (i, f, g, o) are reordered to ONNX's (i, o, f, c).
extension LSTMRecommender.Configuration: ONNXExportable {
    public static var tiedOutputTensor: String? { nil }

    public func addScores(to graph: inout ONNXGraphBuilder, window: ONNXWindow, parameters: ParameterSet) -> String {
        let pytorchGates = ["i", "f", "g", "o"], onnxGates = ["i", "o", "f", "g"]
        var x = graph.reversedTimeMajorInputs(window, table: graph.weight("embedding.weight", from: parameters))
        var last = ""
        for layer in 0..<layers {
            let w = graph.recurrentWeight("lstm.weight_ih_l\(layer)", parameters: parameters, gates: pytorchGates, as: onnxGates)
            let r = graph.recurrentWeight("lstm.weight_hh_l\(layer)", parameters: parameters, gates: pytorchGates, as: onnxGates)
            let b = graph.op("Concat", [graph.recurrentWeight("lstm.bias_ih_l\(layer)", parameters: parameters, gates: pytorchGates, as: onnxGates),
                                        graph.recurrentWeight("lstm.bias_hh_l\(layer)", parameters: parameters, gates: pytorchGates, as: onnxGates)],
                             name: "lstm_bias_l\(layer)", ONNXGraphBuilder.attribute("axis", int: 1))
            let outputs = graph.node("LSTM", [x, w, r, b, window.lengths], outputs: 2, name: "lstm_l\(layer)", attributes: [
                ONNXGraphBuilder.attribute("hidden_size", int: hiddenSize), ONNXGraphBuilder.attribute("direction", string: "reverse"),
            ])
            // Y is [length, 1 direction, batch, hidden]; Y_h [1, batch, hidden] is the state after the latest item.
            x = graph.op("Squeeze", [outputs[0], graph.int64s("direction_axis", [1])], name: "lstm_states_l\(layer)")
            last = outputs[1]
        }
        let state = graph.op("Squeeze", [last, graph.int64s("first_axis", [0])], name: "last_state")
        return graph.op("Gemm", [state, graph.weight("fc.weight", from: parameters), graph.weight("fc.bias", from: parameters)],
                        name: "logits", ONNXGraphBuilder.attribute("transB", int: 1))
    }
}
