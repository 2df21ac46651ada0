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

@Suite struct LSTMDataParallelStepTests {
    /// A batch of `rows` left-padded windows of random lengths (some empty), with a few
    /// context-only positions (target 0), over `vocabulary` − 1 items.
    static func batch(rows: Int, steps: Int, vocabulary: Int, seed: UInt64) -> (inputs: [Int32], targets: [Int32], lengths: [Int]) {
        var random = SeededRandom(seed: seed)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var inputs = [Int32](repeating: 0, count: rows * steps), targets = inputs
        var lengths = [Int]()
        for row in 0..<rows {
            let length = row % 7 == 3 ? 0 : 1 + below(steps)
            lengths.append(length)
            for t in (steps - length)..<steps {
                inputs[row * steps + t] = Int32(1 + below(vocabulary - 1))
                targets[row * steps + t] = below(10) == 0 ? 0 : Int32(1 + below(vocabulary - 1))
            }
        }
        return (inputs, targets, lengths)
    }

    /// Shares of the rows on separate cores, each with its own gradients, give the loss and the
    /// gradients of one shared pass (up to summation order), with the projection table (few
    /// items) and without it (more items than positions), and add to gradients already there.
    @Test(arguments: [(31, 2), (31, 3), (3000, 2)]) func sharesMatchOnePass(vocabulary: Int, shares: Int) {
        let configuration = LSTMRecommender.Configuration(vocabulary: vocabulary, embeddingSize: 8, hiddenSize: 12, layers: 2)
        let rows = 26, steps = 90
        let (inputs, targets, lengths) = Self.batch(rows: rows, steps: steps, vocabulary: vocabulary, seed: 5)
        func step(shares: Int) -> (loss: Double, targets: Int, gradients: [Float]) {
            let model = LSTMRecommender(configuration: configuration, seed: 3)
            let workspace = model.makeWorkspace(rows: rows, steps: steps)
            let gradients = model.parameters.gradients
            for i in 0..<gradients.count { gradients.pointer[i] = Float(i % 5) * 0.01 }  // an earlier micro-batch's
            let result = inputs.withUnsafeBufferPointer { i in
                targets.withUnsafeBufferPointer { t in
                    shares == 1
                        ? model.serialTrainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: rows, steps: steps, workspace: workspace,
                                                gradientScale: { 1 / Float($0) })
                        : model.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: rows, steps: steps, lengths: lengths,
                                          shareCount: shares, workspace: workspace, gradientScale: { 1 / Float($0) })
                }
            }
            return (result.loss, result.targets, Array(gradients.buffer))
        }
        let one = step(shares: 1), many = step(shares: shares)
        #expect(many.targets == one.targets)
        #expect(abs(many.loss - one.loss) <= 1e-5 * abs(one.loss))
        let scale = one.gradients.map { abs($0) }.max()!
        let worst = zip(one.gradients, many.gradients).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-5 * scale, "largest gradient difference \(worst) of \(scale)")
    }
}
