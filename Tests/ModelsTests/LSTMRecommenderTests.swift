import Core
import Engine
import Testing
import TestSupport
@testable import Models

@Suite struct LSTMRecommenderTests {
    static let configuration = LSTMRecommender.Configuration(vocabulary: 7, embeddingSize: 4, hiddenSize: 6, layers: 2)
    // Three left-padded windows of 4 steps; targets are the next items.
    static let inputs: [Int32] = [0, 0, 3, 5, 1, 2, 3, 4, 0, 6, 6, 2]
    static let targets: [Int32] = [0, 0, 5, 1, 2, 3, 4, 6, 0, 6, 2, 1]

    @Test func parameterNamesAndShapesArePyTorchs() {
        let model = LSTMRecommender(configuration: Self.configuration, seed: 1)
        #expect(model.parameters.tensors.map(\.name) == [
            "embedding.weight",
            "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
            "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1",
            "fc.weight", "fc.bias",
        ])
        #expect(model.parameters.spec("lstm.weight_ih_l0").shape == [24, 4])
        #expect(model.parameters.spec("lstm.weight_ih_l1").shape == [24, 6])
        #expect(model.parameters.spec("fc.weight").shape == [7, 6])
        // The padding row starts at zero.
        #expect((0..<4).allSatisfy { model.parameters.value("embedding.weight")[$0] == 0 })
    }

    /// The whole model's gradient against finite differences of its loss.
    @Test func wholeModelGradientCheck() {
        let model = LSTMRecommender(configuration: Self.configuration, seed: 2)
        let workspace = model.makeWorkspace(rows: 3, steps: 4)
        func loss() -> Double {
            Self.inputs.withUnsafeBufferPointer { i in
                Self.targets.withUnsafeBufferPointer { t in model.loss(inputs: i.baseAddress!, targets: t.baseAddress!, rows: 3, steps: 4, workspace: workspace) }
            }
        }
        model.parameters.zeroGradients()
        let result = Self.inputs.withUnsafeBufferPointer { i in
            Self.targets.withUnsafeBufferPointer { t in
                model.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: 3, steps: 4, workspace: workspace, gradientScale: { _ in 1 })
            }
        }
        #expect(result.targets == 9)
        #expect(abs(result.loss - loss()) < 1e-5)
        for tensor in model.parameters.tensors {
            let analytic = Array(UnsafeBufferPointer(start: model.parameters.gradients.pointer + tensor.offset, count: tensor.count))
            var values = model.parameters.values.pointer + tensor.offset
            var count = tensor.count
            if tensor.name == "embedding.weight" {
                // Row 0 is padding and never learns; compare the others.
                values += 4
                count -= 4
            }
            let start = tensor.name == "embedding.weight" ? 4 : 0
            let worst = GradientCheck.worstError(values: values, count: count, analytic: Array(analytic[start...]), loss: loss)
            #expect(worst < 1e-2, "\(tensor.name): \(worst)")
        }
    }

    /// Scores for a batch equal scores for each history alone, whatever its padding.
    @Test func scoringIsIndependentOfBatchAndPadding() {
        let model = LSTMRecommender(configuration: Self.configuration, seed: 3)
        var batch = [Float](repeating: 0, count: 3 * 7)
        Self.inputs.withUnsafeBufferPointer { i in model.score(histories: i.baseAddress!, rows: 3, steps: 4, scores: &batch) }
        let histories: [[Int32]] = [[3, 5], [1, 2, 3, 4], [6, 6, 2]]
        for (row, history) in histories.enumerated() {
            var single = [Float](repeating: 0, count: 7)
            let padded = [Int32](repeating: 0, count: 6 - history.count) + history
            padded.withUnsafeBufferPointer { model.score(histories: $0.baseAddress!, rows: 1, steps: 6, scores: &single) }
            for k in 0..<7 { #expect(abs(single[k] - batch[row * 7 + k]) < 1e-5) }
        }
    }
}

