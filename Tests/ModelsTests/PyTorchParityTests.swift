import Engine
import Foundation
import TestSupport
import Testing
@testable import Models
import Runs

/// The seed model against PyTorch, on fixtures written by scripts/make_fixtures.py.
@Suite struct PyTorchParityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path


    @Test func lossGradientsAndLogitsMatchPyTorch() throws {
        let (tensors, _) = try Safetensors.read(path: Self.fixtures + "/lstm_parity.safetensors")
        let embedding = try #require(tensors["param.embedding.weight"])
        let configuration = LSTMRecommender.Configuration(vocabulary: embedding.shape[0], embeddingSize: embedding.shape[1],
                                                          hiddenSize: try #require(tensors["param.lstm.weight_hh_l0"]).shape[1], layers: 2)
        let model = LSTMRecommender(configuration: configuration, seed: 0)
        for spec in model.parameters.tensors {
            let values = try #require(tensors["param." + spec.name], "fixture lacks \(spec.name)")
            #expect(values.shape == spec.shape)
            values.values.withUnsafeBufferPointer { model.parameters.value(spec.name).update(from: $0.baseAddress!, count: spec.count) }
        }
        let inputsTensor = try #require(tensors["inputs"])
        let (rows, steps) = (inputsTensor.shape[0], inputsTensor.shape[1])
        let inputs = inputsTensor.values.map { Int32($0) }
        let targets = try #require(tensors["targets"]).values.map { Int32($0) }
        let workspace = model.makeWorkspace(rows: rows, steps: steps)
        model.parameters.zeroGradients()
        let result = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { t in
                model.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: rows, steps: steps, workspace: workspace,
                                gradientScale: { 1 / Float($0) })
            }
        }
        let loss = Float(result.loss) / Float(result.targets)
        let expectedLoss = try #require(tensors["loss"]).values[0]
        #expect(abs(loss - expectedLoss) / expectedLoss < 1e-5)
        for spec in model.parameters.tensors {
            let expected = try #require(tensors["grad." + spec.name]).values
            let actual = Array(UnsafeBufferPointer(start: model.parameters.gradient(spec.name), count: spec.count))
            // Compare gradients relative to the tensor's largest gradient (tiny entries carry rounding noise).
            let worst = GradientCheck.errorRelativeToLargest(actual, expected)
            #expect(worst < 1e-4, "\(spec.name): \(worst)")
        }
        var scores = [Float](repeating: 0, count: rows * configuration.vocabulary)
        inputs.withUnsafeBufferPointer { model.score(histories: $0.baseAddress!, rows: rows, steps: steps, scores: &scores) }
        #expect(GradientCheck.relativeError(scores, try #require(tensors["last_logits"]).values) < 1e-4)
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
