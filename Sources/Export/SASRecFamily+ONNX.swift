import Engine
import Models
import ONNXProto

/// SASRec in ONNX, as `SASRec` scores: item embedding · √d plus learned positions (the latest
/// column has position maxLength), then per block q = LN(x), x = LN(q + attention(q, x)),
/// x = x + FFN(x), a final LN, and the last column's scores against the item embeddings.
/// Attention is causal and skips padded keys; a large negative number rather than −∞ masks
/// them, so rows that are all padding stay finite and never reach a real row as NaN.
extension SASRec.Configuration: ONNXExportable {
    public static var tiedOutputTensor: String? { "item_emb.weight" }

    public func addScores(to graph: inout ONNXGraphBuilder, window: ONNXWindow, parameters: ParameterSet) -> String {
        typealias G = ONNXGraphBuilder
        let d = hiddenSize, headWidth = hiddenSize / heads
        let itemEmbedding = graph.weight("item_emb.weight", from: parameters)

        // Positions maxLength − T + 1 … maxLength for a window of T columns.
        let length = graph.op("Gather", [graph.op("Shape", [window.items], name: "window_shape"), graph.int64s("length_index", [1], scalar: true)], name: "length")
        let end = graph.int64s("end_position", [Int64(maxLength + 1)], scalar: true)
        let positions = graph.op("Range", [graph.op("Sub", [end, length], name: "first_position"), end, graph.int64s("step", [1], scalar: true)], name: "positions")
        let items = graph.op("Mul", [graph.op("Gather", [itemEmbedding, window.items], name: "item_rows"), graph.scalar("sqrt_d", Float(d).squareRoot())], name: "scaled_items")
        var x = graph.op("Add", [items, graph.op("Gather", [graph.weight("pos_emb.weight", from: parameters), positions], name: "position_rows")], name: "embedded")
        if let features = window.featureRows { x = graph.op("Add", [x, features], name: "embedded_with_features") }

        // Additive masks: causal [T, T] (above the diagonal) and padded keys [batch, 1, 1, T].
        let hidden = graph.scalar("masked", -1e30)
        let square = graph.op("Concat", [graph.op("Unsqueeze", [length, graph.int64s("axis0", [0])], name: "length_1d"),
                                         graph.op("Unsqueeze", [length, graph.int64s("axis0", [0])], name: "length_1d")],
                              name: "square_shape", G.attribute("axis", int: 0))
        let causal = graph.op("Trilu", [graph.op("Expand", [hidden, square], name: "all_masked"), graph.int64s("above_diagonal", [1], scalar: true)],
                              name: "causal_mask", G.attribute("upper", int: 1))
        let padded = graph.op("Equal", [window.items, graph.int64s("padding_id", [0], scalar: true)], name: "padded")
        let keyMask = graph.op("Unsqueeze", [graph.op("Where", [padded, hidden, graph.scalar("open", 0)], name: "key_mask_2d"), graph.int64s("axes12", [1, 2])],
                               name: "key_mask")
        let mask = graph.op("Add", [causal, keyMask], name: "attention_mask")
        let headShape = graph.int64s("head_shape", [0, 0, Int64(heads), Int64(headWidth)])
        let modelShape = graph.int64s("model_shape", [0, 0, Int64(d)])

        func layerNorm(_ input: String, _ name: String) -> String {
            graph.op("LayerNormalization", [input, graph.weight(name + ".weight", from: parameters), graph.weight(name + ".bias", from: parameters)],
                     name: name, G.attribute("axis", int: -1), G.attribute("epsilon", float: layerNormEpsilon))
        }
        func linear(_ input: String, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, _ name: String) -> String {
            let product = graph.op("MatMul", [input, graph.transposedWeight(name + ".weight", rows: d, columns: d, from: weight)], name: name + "_product")
            return graph.op("Add", [product, graph.weight(name + ".bias", shape: [d], values: UnsafeBufferPointer(start: bias, count: d))], name: name)
        }

        for block in 0..<blocks {
            let q = layerNorm(x, "attn_ln.\(block)")
            let inWeight = parameters.value("attn.\(block).in_proj.weight"), inBias = parameters.value("attn.\(block).in_proj.bias")
            let query = linear(q, weight: inWeight, bias: inBias, "attn.\(block).q")
            let key = linear(x, weight: inWeight + d * d, bias: inBias + d, "attn.\(block).k")
            let value = linear(x, weight: inWeight + 2 * d * d, bias: inBias + 2 * d, "attn.\(block).v")
            // [batch, T, d] → [batch, heads, T, headWidth] (keys: [batch, heads, headWidth, T]).
            func heads(_ input: String, _ permutation: [Int], _ name: String) -> String {
                graph.op("Transpose", [graph.op("Reshape", [input, headShape], name: name + "_split")], name: name + "_heads", G.attribute("perm", ints: permutation))
            }
            let scores = graph.op("Add", [graph.op("Mul", [graph.op("MatMul", [heads(query, [0, 2, 1, 3], "q\(block)"), heads(key, [0, 2, 3, 1], "k\(block)")], name: "scores\(block)"),
                                                           graph.scalar("attention_scale", 1 / Float(headWidth).squareRoot())], name: "scaled_scores\(block)"), mask],
                                  name: "masked_scores\(block)")
            let weights = graph.op("Softmax", [scores], name: "attention\(block)", G.attribute("axis", int: -1))
            let attended = graph.op("MatMul", [weights, heads(value, [0, 2, 1, 3], "v\(block)")], name: "attended\(block)")
            let merged = graph.op("Reshape", [graph.op("Transpose", [attended], name: "attended_t\(block)", G.attribute("perm", ints: [0, 2, 1, 3])), modelShape],
                                  name: "merged\(block)")
            let out = linear(merged, weight: parameters.value("attn.\(block).out_proj.weight"), bias: parameters.value("attn.\(block).out_proj.bias"), "attn.\(block).out_proj")
            x = layerNorm(graph.op("Add", [q, out], name: "residual\(block)"), "ffn_ln.\(block)")
            let inner = graph.op("Relu", [linear(x, weight: parameters.value("ffn.\(block).0.weight"), bias: parameters.value("ffn.\(block).0.bias"), "ffn.\(block).0")],
                                 name: "ffn_inner\(block)")
            let ffn = linear(inner, weight: parameters.value("ffn.\(block).3.weight"), bias: parameters.value("ffn.\(block).3.bias"), "ffn.\(block).3")
            x = graph.op("Add", [x, ffn], name: "block\(block)")
        }
        let latest = graph.op("Slice", [x, graph.int64s("last_column", [-1]), graph.int64s("to_end", [Int64.max]), graph.int64s("time_axis", [1])], name: "latest")
        let state = layerNorm(graph.op("Squeeze", [latest, graph.int64s("time_axis", [1])], name: "latest_state"), "last_ln")
        return graph.op("Gemm", [state, window.outputRows ?? itemEmbedding], name: "logits", G.attribute("transB", int: 1))
    }
}
