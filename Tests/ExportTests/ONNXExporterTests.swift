import Export
import Foundation
import Models
import ONNXProto
import Testing

/// The exported graphs' interface, metadata and serialization. That ONNX Runtime ranks with them
/// as `predict` does is checked in python/tests/test_onnx.py (onnxruntime is a Python package).
@Suite struct ONNXExporterTests {
    static let families: [any ONNXExportable] = [
        LSTMRecommender.Configuration(vocabulary: 9, embeddingSize: 4, hiddenSize: 6, layers: 2),
        GRU4Rec.Configuration(vocabulary: 9, embeddingSize: 4, hiddenSize: 6, layers: 2),
        SASRec.Configuration(vocabulary: 9, maxLength: 5, hiddenSize: 4, blocks: 2, heads: 2),
    ]
    static let itemIds = (1...8).map { "item-\($0)" }

    static func export(_ family: any ONNXExportable, options: ONNXExporter.Options) throws -> Onnx_ModelProto {
        let model = family.makeModel(seed: 1)
        return try ONNXExporter.model(family: family, parameters: model.parameters, window: 5, itemIds: itemIds, options: options)
    }

    @Test(arguments: 0..<3)
    func everyFamilyHasTheDocumentedInterface(index: Int) throws {
        let family = Self.families[index]
        let model = try Self.export(family, options: .init(topK: 3))
        #expect(model.opsetImport.map(\.version) == [ONNXExporter.opset])
        #expect(model.irVersion == ONNXExporter.irVersion)
        #expect(model.graph.input.map(\.name) == ["items"])
        #expect(model.graph.output.map(\.name) == ["scores", "top_scores", "top_items", "top_ids"])
        let scores = model.graph.output[0].type.tensorType.shape.dim
        #expect(scores.map(\.dimParam) == ["batch", ""] && scores[1].dimValue == 9)
        let metadata = Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) })
        #expect(metadata["trajectory.family"] == type(of: family).name)
        #expect(metadata["trajectory.window"] == "5")
        #expect(metadata["trajectory.item_ids"] == Self.itemIds.joined(separator: "\n") + "\n")
        // Every node's inputs are produced before it (or are inputs or initializers): a valid topological order.
        var known = Set(model.graph.input.map(\.name) + model.graph.initializer.map(\.name) + [""])
        for node in model.graph.node {
            for input in node.input { #expect(known.contains(input), "\(node.opType) reads \(input) before it exists") }
            known.formUnion(node.output)
        }
        for output in model.graph.output { #expect(known.contains(output.name)) }
    }

    @Test func weightsTravelAsRawLittleEndianFloats() throws {
        let family = Self.families[2]
        let network = family.makeModel(seed: 1)
        let model = try ONNXExporter.model(family: family, parameters: network.parameters, window: 5, itemIds: Self.itemIds)
        let embedding = try #require(model.graph.initializer.first { $0.name == "item_emb.weight" })
        #expect(embedding.dims == [9, 4])
        let values = embedding.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values == Array(UnsafeBufferPointer(start: network.parameters.value("item_emb.weight"), count: 36)))
    }

    @Test func theModelSurvivesSerialization() throws {
        let model = try Self.export(Self.families[0], options: .init(topK: 2, excludeSeen: true))
        let bytes: Data = try model.serializedBytes()
        let parsed = try Onnx_ModelProto(serializedBytes: bytes)
        #expect(parsed == model)
        #expect(parsed.graph.node.contains { $0.opType == "ScatterElements" }, "exclude-seen masks the row's items")
    }

    /// A model that reads features takes `events` and `times` beside `items` and names its event types.
    @Test func inputFeaturesBecomeGraphInputs() throws {
        let features = InputFeatures(eventTypes: ["view", "cart"], timeGap: true)
        let family = SASRec.Configuration(vocabulary: 9, maxLength: 5, hiddenSize: 4, blocks: 1, heads: 1)
        let network = family.makeModel(seed: 1, features: features)
        let model = try ONNXExporter.model(family: family, parameters: network.parameters, window: 5, itemIds: Self.itemIds,
                                           features: network.featureEmbedding)
        #expect(model.graph.input.map(\.name) == ["items", "events", "times"])
        let metadata = Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) })
        #expect(metadata["trajectory.features"] == "event,time-gap")
        #expect(metadata["trajectory.event_types"] == "view\ncart")
    }

    @Test func aTopKOutsideTheCatalogueIsRefused() {
        #expect(throws: ONNXExporter.ExportError.invalidTopK(k: 9, items: 8)) { try Self.export(Self.families[0], options: .init(topK: 9)) }
        #expect(throws: ONNXExporter.ExportError.invalidTopK(k: 0, items: 8)) { try Self.export(Self.families[0], options: .init(topK: 0)) }
    }

    @Test func lstmGatesAreReorderedToONNXsOrder() throws {
        let family = LSTMRecommender.Configuration(vocabulary: 3, embeddingSize: 1, hiddenSize: 1, layers: 1)
        let network = family.makeModel(seed: 1)
        // PyTorch's rows i, f, g, o hold 1, 2, 3, 4; ONNX wants i, o, f, c (= g).
        let weights = network.parameters.value("lstm.weight_ih_l0")
        for gate in 0..<4 { weights[gate] = Float(gate + 1) }
        let model = try ONNXExporter.model(family: family, parameters: network.parameters, window: 5, itemIds: ["a", "b"])
        let tensor = try #require(model.graph.initializer.first { $0.name == "lstm.weight_ih_l0" })
        #expect(tensor.dims == [1, 4, 1])
        #expect(tensor.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == [1, 4, 2, 3])
    }
}
