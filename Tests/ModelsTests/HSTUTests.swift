import Core
import Engine
import Foundation
import Testing
import TestSupport
@testable import Models

@Suite struct HSTUTests {
    // Three left-padded windows of 4 steps; targets are the next items.
    static let inputs: [Int32] = [0, 0, 3, 5, 1, 2, 3, 4, 0, 6, 6, 2]
    static let targets: [Int32] = [0, 0, 5, 1, 2, 3, 4, 6, 0, 6, 2, 1]

    static func model(heads: Int, seed: UInt64 = 2) -> HSTU {
        var configuration = HSTU.Configuration(vocabulary: 7, maxLength: 4, hiddenSize: 4, blocks: 2, heads: heads, dropout: 0, temperature: 1)
        configuration.layerNormEpsilon = 1e-5
        let model = HSTU(configuration: configuration, seed: seed)
        // Larger weights than the initialisation's 0.02, so every path carries a visible gradient
        // and the item rows' norms are far above the finite-difference step (padding rows stay zero).
        var random = SeededRandom(seed: 5)
        for tensor in model.parameters.tensors {
            let first = tensor.name.hasSuffix("_emb.weight") ? tensor.shape[1] : 0
            for i in first..<tensor.count { model.parameters.value(tensor.name)[i] = Float(random.unit() - 0.5) * 1.2 }
        }
        return model
    }

    /// The whole model's gradient against finite differences of its loss (no dropout), one and two heads.
    @Test(arguments: [1, 2]) func wholeModelGradientCheck(heads: Int) {
        let model = Self.model(heads: heads)
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
        #expect(abs(result.loss - loss()) < 1e-4)
        for tensor in model.parameters.tensors {
            let analytic = Array(UnsafeBufferPointer(start: model.parameters.gradients.pointer + tensor.offset, count: tensor.count))
            // Padding rows are never looked up and never scored.
            let skip = tensor.name.hasSuffix("_emb.weight") ? 4 : 0
            // A smaller step than SASRec's: the cosine logits over a temperature curve more sharply.
            let worst = GradientCheck.worstError(values: model.parameters.values.pointer + tensor.offset + skip, count: tensor.count - skip,
                                                 analytic: Array(analytic[skip...]), step: 3e-3, loss: loss)
            // Float32 losses: 3 % at this step (the PyTorch parity test in float64 is the tight check).
            #expect(worst < 3e-2, "\(tensor.name): \(worst)")
        }
    }

    /// A history scores the same alone as in a padded batch, and scores are cosines over the temperature.
    @Test func scoresDoNotDependOnPaddingOrBatch() {
        let model = Self.model(heads: 2)
        // A fourth, empty history scores zero (and does not disturb the others).
        var batch = [Float](repeating: 1, count: 4 * 7)
        (Self.inputs + [0, 0, 0, 0]).withUnsafeBufferPointer { model.score(histories: $0.baseAddress!, rows: 4, steps: 4, scores: &batch) }
        #expect(batch[21...].allSatisfy { $0 == 0 })
        let history: [Int32] = [6, 6, 2]
        var single = [Float](repeating: 0, count: 7)
        history.withUnsafeBufferPointer { model.score(histories: $0.baseAddress!, rows: 1, steps: 3, scores: &single) }
        #expect(GradientCheck.relativeError(single, Array(batch[14..<21])) < 1e-5)
        #expect(batch.allSatisfy { abs($0) <= 1 / model.configuration.temperature + 1e-3 })
    }

    /// Leaving seen items out of the softmax lowers the loss but keeps a target seen before.
    @Test func excludingSeenItemsFromTheLoss() {
        var configuration = HSTU.Configuration(vocabulary: 9, maxLength: 5, hiddenSize: 4, blocks: 1, heads: 1, dropout: 0)
        let inputs: [Int32] = [1, 2, 3, 4, 2], targets: [Int32] = [2, 3, 4, 2, 8]
        func trainLoss() -> Double {
            let model = HSTU(configuration: configuration, seed: 3)
            let workspace = model.makeWorkspace(rows: 1, steps: 5)
            return inputs.withUnsafeBufferPointer { i in
                targets.withUnsafeBufferPointer { t in
                    model.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: 1, steps: 5, workspace: workspace, gradientScale: { _ in 1 }).loss
                }
            }
        }
        let plain = trainLoss()
        configuration.excludeSeenFromLoss = true
        let excluded = trainLoss()
        #expect(excluded.isFinite && excluded < plain - 0.1, "\(excluded) vs \(plain)")
    }

    /// Loss, every gradient and the last position's logits equal the PyTorch reference's
    /// (scripts/fixtures/make_hstu_fixtures.py runs scripts/reference/hstu_ref.py in float64).
    @Test func lossGradientsAndLogitsMatchPyTorch() throws {
        let (tensors, _) = try Safetensors.read(path: PyTorchParity.fixtures + "/hstu_parity.safetensors")
        let items = try #require(tensors["param.item_emb.weight"])
        let positions = try #require(tensors["param.pos_emb.weight"])
        let configuration = HSTU.Configuration(vocabulary: items.shape[0], maxLength: positions.shape[0] - 1, hiddenSize: items.shape[1],
                                               blocks: 2, heads: 2, dropout: 0, temperature: 0.5)
        let model = HSTU(configuration: configuration, seed: 0)
        try PyTorchParity.check(model, fixture: tensors, sameTensorNames: true)
    }
}
