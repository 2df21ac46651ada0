import Datasets
import Engine
import Models
import ONNXProto

/// The inputs of a run trained `--features` in its ONNX graph, computed as `InputFeatureEmbedding`
/// and the batchers do: `events` int64 [batch, length] (event type ids as in the metadata's
/// `trajectory.event_types`, 1-based; 0 unknown) and `times` int64 [batch, length] (unix seconds),
/// aligned with `items`; item attributes come from the item ids (a constant table of each item's
/// mean attribute row). The result is the rows to add to the embedded inputs, [batch, window, width].
enum ONNXFeatureInputs {
    static func add(to graph: inout ONNXGraphBuilder, features embedding: InputFeatureEmbedding, items: String, window: Int,
                    width: Int, vocabulary: Int) -> String? {
        typealias G = ONNXGraphBuilder
        let features = embedding.features
        func windowed(_ value: String, _ name: String) -> String {
            graph.op("Slice", [value, graph.int64s("window_start", [-Int64(window)]), graph.int64s("window_end", [Int64.max]),
                               graph.int64s("time_axis", [1])], name: name)
        }
        var parts: [String] = []
        if !features.attributes.isEmpty {
            // Each item's attribute rows, averaged per attribute, as the op adds them (computed by the op itself).
            let saved = embedding.window
            embedding.window = nil
            var table = [Float](repeating: 0, count: vocabulary * width)
            table.withUnsafeMutableBufferPointer { rows in
                for item in 1..<vocabulary { embedding.add(to: rows.baseAddress! + item * width, cell: 0, item: item) }
            }
            embedding.window = saved
            parts.append(graph.op("Gather", [graph.weight("features.attribute_rows", shape: [vocabulary, width], values: table),
                                             windowed(items, "attribute_items")], name: "attribute_rows"))
        }
        if let eventTypes = features.eventTypes {
            let events = graph.input("events", type: .int64, dimensions: [.named("batch"), .named("length")])
            // An id outside the table (a type the training data did not have) reads as unknown.
            let rows = Int64(eventTypes.count + 1)
            let valid = graph.op("And", [graph.op("GreaterOrEqual", [events, graph.int64s("zero", [0], scalar: true)], name: "event_not_negative"),
                                         graph.op("Less", [events, graph.int64s("event_rows", [rows], scalar: true)], name: "event_in_table")],
                                 name: "event_known")
            let ids = graph.op("Where", [valid, events, graph.int64s("zero", [0], scalar: true)], name: "event_ids")
            let table = graph.weight("features.event.weight", shape: [eventTypes.count + 1, width],
                                     values: UnsafeBufferPointer(start: parametersValue(embedding, "features.event.weight"), count: (eventTypes.count + 1) * width))
            parts.append(graph.op("Gather", [table, windowed(ids, "windowed_event_ids")], name: "event_rows"))
        }
        if features.timeGap {
            let times = graph.input("times", type: .int64, dimensions: [.named("batch"), .named("length")])
            // The previous column's time and item (the first column has none).
            let first = graph.op("Slice", [times, graph.int64s("from_0", [0]), graph.int64s("to_1", [1]), graph.int64s("time_axis", [1])], name: "first_time")
            let allButLast = graph.op("Slice", [times, graph.int64s("from_0", [0]), graph.int64s("to_minus_1", [-1]), graph.int64s("time_axis", [1])],
                                      name: "earlier_times")
            let previousTimes = graph.op("Concat", [first, allButLast], name: "previous_times", G.attribute("axis", int: 1))
            let itemsButLast = graph.op("Slice", [items, graph.int64s("from_0", [0]), graph.int64s("to_minus_1", [-1]), graph.int64s("time_axis", [1])],
                                        name: "earlier_items")
            let noItem = graph.op("Mul", [graph.op("Slice", [items, graph.int64s("from_0", [0]), graph.int64s("to_1", [1]), graph.int64s("time_axis", [1])],
                                                   name: "first_items"), graph.int64s("zero", [0], scalar: true)], name: "no_items")
            let previousItems = graph.op("Concat", [noItem, itemsButLast], name: "previous_items", G.attribute("axis", int: 1))
            // ⌊log₂(1 + gap)⌋ exactly: how many of 2¹ … 2³¹ are ≤ 1 + gap (TimeGap.bucket).
            let gap = graph.op("Max", [graph.op("Sub", [times, previousTimes], name: "gaps_signed"), graph.int64s("zero", [0], scalar: true)], name: "gaps")
            let onePlus = graph.op("Unsqueeze", [graph.op("Add", [gap, graph.int64s("one", [1], scalar: true)], name: "one_plus_gap"),
                                                 graph.int64s("last_axis", [-1])], name: "one_plus_gap_column")
            let powers = graph.int64s("powers_of_two", (1...31).map { Int64(1) << $0 })
            let log = graph.op("ReduceSum", [graph.op("Cast", [graph.op("GreaterOrEqual", [onePlus, powers], name: "reached")], name: "reached_counts",
                                                      G.attribute("to", int: Onnx_TensorProto.DataType.int64.rawValue)),
                                             graph.int64s("last_axis", [-1])], name: "log2_gap", G.attribute("keepdims", int: 0))
            let bucket = graph.op("Min", [graph.op("Add", [log, graph.int64s("two", [2], scalar: true)], name: "bucket_unclipped"),
                                          graph.int64s("last_bucket", [Int64(TimeGap.buckets - 1)], scalar: true)], name: "bucket_clipped")
            let isFirst = graph.op("Equal", [previousItems, graph.int64s("zero", [0], scalar: true)], name: "first_of_history")
            let withFirst = graph.op("Where", [isFirst, graph.int64s("first_bucket", [Int64(TimeGap.first)], scalar: true), bucket], name: "bucket_with_first")
            let padding = graph.op("Equal", [items, graph.int64s("zero", [0], scalar: true)], name: "padding_items")
            let buckets = graph.op("Where", [padding, graph.int64s("zero", [0], scalar: true), withFirst], name: "gap_buckets")
            let table = graph.weight("features.time_gap.weight", shape: [TimeGap.buckets, width],
                                     values: UnsafeBufferPointer(start: parametersValue(embedding, "features.time_gap.weight"), count: TimeGap.buckets * width))
            parts.append(graph.op("Gather", [table, windowed(buckets, "windowed_gap_buckets")], name: "gap_rows"))
        }
        guard var sum = parts.first else { return nil }
        for part in parts.dropFirst() { sum = graph.op("Add", [sum, part], name: "feature_rows") }
        return sum
    }

    private static func parametersValue(_ embedding: InputFeatureEmbedding, _ name: String) -> UnsafePointer<Float> {
        UnsafePointer(embedding.parameters.value(name))
    }
}
