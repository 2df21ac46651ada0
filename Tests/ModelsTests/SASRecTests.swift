import Core
import Engine
import Foundation
import Testing
import TestSupport
@testable import Models

@Suite struct SASRecTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    // Three left-padded windows of 4 steps; targets are the next items.
    static let inputs: [Int32] = [0, 0, 3, 5, 1, 2, 3, 4, 0, 6, 6, 2]
    static let targets: [Int32] = [0, 0, 5, 1, 2, 3, 4, 6, 0, 6, 2, 1]


    /// The whole model's gradient against finite differences of its loss (no dropout), one and two heads.
    @Test(arguments: [1, 2]) func wholeModelGradientCheck(heads: Int) {
        var configuration = SASRec.Configuration(vocabulary: 7, maxLength: 4, hiddenSize: 4, blocks: 2, heads: heads, dropout: 0)
        configuration.layerNormEpsilon = 1e-5
        let model = SASRec(configuration: configuration, seed: 2)
        // Move the norms and biases away from 1 and 0, where mistakes hide.
        var random = SeededRandom(seed: 5)
        for tensor in model.parameters.tensors where tensor.shape.count == 1 {
            for i in 0..<tensor.count { model.parameters.value(tensor.name)[i] += Float(random.unit() - 0.5) * 0.4 }
        }
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
            // Padding rows of the input tables are never looked up (the item table still learns through the output).
            let skip = tensor.name == "pos_emb.weight" ? 4 : 0
            let worst = GradientCheck.worstError(values: model.parameters.values.pointer + tensor.offset + skip, count: tensor.count - skip,
                                                 analytic: Array(analytic[skip...]), step: 1e-2, loss: loss)
            #expect(worst < 2e-2, "\(tensor.name): \(worst)")
        }
    }

    /// Leaving seen items out of the softmax removes competitors (lower loss) but never the
    /// target, even when the target was seen before (finite loss).
    @Test func excludingSeenItemsFromTheLoss() {
        var configuration = SASRec.Configuration(vocabulary: 9, maxLength: 5, hiddenSize: 4, blocks: 1, heads: 1, dropout: 0)
        let inputs: [Int32] = [1, 2, 3, 4, 2], targets: [Int32] = [2, 3, 4, 2, 8]
        func trainLoss() -> Double {
            let model = SASRec(configuration: configuration, seed: 3)
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

    /// Loss, every gradient and the last position's logits equal the reference module's
    /// (scripts/fixtures/make_sasrec_fixtures.py runs ../shared/peer/pytorch/sasrec_ref.py's SASRec).
    @Test func lossGradientsAndLogitsMatchPyTorch() throws {
        let (tensors, _) = try Safetensors.read(path: Self.fixtures + "/sasrec_parity.safetensors")
        let items = try #require(tensors["param.item_emb.weight"])
        let positions = try #require(tensors["param.pos_emb.weight"])
        let configuration = SASRec.Configuration(vocabulary: items.shape[0], maxLength: positions.shape[0] - 1, hiddenSize: items.shape[1],
                                                 blocks: 2, heads: 2, dropout: 0)
        let model = SASRec(configuration: configuration, seed: 0)
        let scores = try PyTorchParity.check(model, fixture: tensors, sameTensorNames: true)
        // A request without padding scores as its padded row does (positions count from the end).
        let history: [Int32] = [12, 1]
        var single = [Float](repeating: 0, count: configuration.vocabulary)
        history.withUnsafeBufferPointer { model.score(histories: $0.baseAddress!, rows: 1, steps: 2, scores: &single) }
        #expect(GradientCheck.relativeError(single, Array(scores[(2 * configuration.vocabulary)...])) < 1e-4)
    }
}
