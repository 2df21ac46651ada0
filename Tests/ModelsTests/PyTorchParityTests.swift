import Engine
import Foundation
import TestSupport
import Testing
@testable import Models
import Runs

/// The seed model against PyTorch, on fixtures written by scripts/fixtures/make_fixtures.py.
@Suite struct PyTorchParityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path


    @Test func lossGradientsAndLogitsMatchPyTorch() throws {
        let (tensors, _) = try Safetensors.read(path: Self.fixtures + "/lstm_parity.safetensors")
        let embedding = try #require(tensors["param.embedding.weight"])
        let configuration = LSTMRecommender.Configuration(vocabulary: embedding.shape[0], embeddingSize: embedding.shape[1],
                                                          hiddenSize: try #require(tensors["param.lstm.weight_hh_l0"]).shape[1], layers: 2)
        let model = LSTMRecommender(configuration: configuration, seed: 0)
        try PyTorchParity.check(model, fixture: tensors, sameTensorNames: false)
    }

    /// A state_dict saved with safetensors in PyTorch predicts PyTorch's top-10.
    @Test func pyTorchStateDictPredictsPyTorchsTopTen() throws {
        let (expected, _) = try Safetensors.read(path: Self.fixtures + "/lstm_predict.safetensors")
        let (state, _) = try Safetensors.read(path: Self.fixtures + "/lstm_state_dict.safetensors")
        let vocabulary = try #require(state["embedding.weight"]).shape[0]
        let model = LSTMRecommender(configuration: .init(vocabulary: vocabulary, embeddingSize: 8, hiddenSize: 12, layers: 2), seed: 0)
        try Checkpoint.load(into: model.parameters, from: Self.fixtures + "/lstm_state_dict.safetensors")
        let history = try #require(expected["history"]).values.map { Int32($0) }
        var scores = [Float](repeating: 0, count: vocabulary)
        history.withUnsafeBufferPointer { model.score(histories: $0.baseAddress!, rows: 1, steps: history.count, scores: &scores) }
        scores[0] = -.infinity
        #expect(TopK.select(scores, k: 10) == (try #require(expected["top10"])).values.map { Int($0) })
        // A single request multiplies by half-precision recurrent weights (LSTMSingleSequence), so
        // its scores are PyTorch's to about 1e-4 relative rather than 1e-5; batches stay fp32 (above).
        #expect(GradientCheck.relativeError(Array(scores[1...]), try #require(expected["scores"]).values) < 1e-3)
    }
}
