import Export
import Foundation
import ONNXProto
import Testing

/// The Triton configuration lists the model's inputs and outputs without the batch dimension.
@Suite struct TritonRepositoryTests {
    @Test func theConfigurationListsEveryTensorWithoutTheBatchDimension() throws {
        var graph = ONNXGraphBuilder(name: "test")
        let items = graph.input("items", type: .int64, dimensions: [.named("batch"), .named("length")])
        let scores = graph.op("Cast", [items], name: "scores_raw", ONNXGraphBuilder.attribute("to", int: Onnx_TensorProto.DataType.float.rawValue))
        graph.output(scores, as: "scores", type: .float, dimensions: [.named("batch"), .fixed(7)])
        var model = Onnx_ModelProto()
        model.graph = graph.graph
        let text = TritonRepository.configuration(for: model, name: "ranker", maxBatchSize: 32)
        #expect(text.contains("name: \"ranker\""))
        #expect(text.contains("backend: \"onnxruntime\""))
        #expect(text.contains("max_batch_size: 32"))
        #expect(text.contains("name: \"items\"\n    data_type: TYPE_INT64\n    dims: [ -1 ]"))
        #expect(text.contains("name: \"scores\"\n    data_type: TYPE_FP32\n    dims: [ 7 ]"))
    }
}
