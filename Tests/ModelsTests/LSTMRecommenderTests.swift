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

    /// The whole model's gradient against finite differences of its loss, both with the first
    /// layer's input projection looked up per item (7 items < 9 positions) and computed per position.
    @Test(arguments: [7, 16]) func wholeModelGradientCheck(vocabulary: Int) {
        var configuration = Self.configuration
        configuration.vocabulary = vocabulary
        let model = LSTMRecommender(configuration: configuration, seed: 2)
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
        // The padding row never learns.
        #expect((0..<4).allSatisfy { model.parameters.gradient("embedding.weight")[$0] == 0 })
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

    /// Scores for a batch (the step-by-step pass, split over cores when large enough) equal
    /// scores for each history alone (the single-request pass), whatever its padding. Hidden
    /// size 40 puts 20 units on each core, so the vector and the scalar paths both run.
    @Test(arguments: [6, 40]) func scoringIsIndependentOfBatchAndPadding(hiddenSize: Int) {
        var configuration = Self.configuration
        configuration.hiddenSize = hiddenSize
        let model = LSTMRecommender(configuration: configuration, seed: 3)
        let histories: [[Int32]] = [[3, 5], [1, 2, 3, 4], [6, 6, 2], []]
        let rows = 8 * histories.count
        let inputs = (0..<rows).flatMap { row in
            let history = histories[row % histories.count]
            return [Int32](repeating: 0, count: 4 - history.count) + history
        }
        var batch = [Float](repeating: 0, count: rows * 7)
        inputs.withUnsafeBufferPointer { i in model.score(histories: i.baseAddress!, rows: rows, steps: 4, scores: &batch) }
        for row in 0..<rows {
            let history = histories[row % histories.count]
            var single = [Float](repeating: 0, count: 7)
            let padded = [Int32](repeating: 0, count: 6 - history.count) + history
            padded.withUnsafeBufferPointer { model.score(histories: $0.baseAddress!, rows: 1, steps: 6, scores: &single) }
            for k in 0..<7 { #expect(abs(single[k] - batch[row * 7 + k]) < 1e-5) }
            if history.isEmpty {
                // Nothing to go on: the output bias alone.
                for k in 0..<7 { #expect(single[k] == model.parameters.value("fc.bias")[k]) }
            }
        }
    }
}
