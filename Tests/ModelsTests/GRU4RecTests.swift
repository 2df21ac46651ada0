import Core
import Engine
import Foundation
import Testing
import TestSupport
@testable import Models

@Suite struct GRU4RecTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let inputs: [Int32] = [0, 0, 3, 5, 1, 2, 3, 4, 0, 6, 6, 2]
    static let targets: [Int32] = [0, 0, 5, 1, 2, 3, 4, 6, 0, 6, 2, 1]

    /// The whole model's gradient against finite differences of its loss (no dropout).
    @Test func wholeModelGradientCheck() {
        let model = GRU4Rec(configuration: .init(vocabulary: 7, embeddingSize: 4, hiddenSize: 10, layers: 2, dropout: 0), seed: 2)
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
            let worst = GradientCheck.worstError(values: model.parameters.values.pointer + tensor.offset, count: tensor.count,
                                                 analytic: analytic, step: 1e-2, loss: loss)
            #expect(worst < 2e-2, "\(tensor.name): \(worst)")
        }
    }

    /// Loss, gradients and last logits equal PyTorch's (scripts/fixtures/make_gru4rec_fixtures.py).
    @Test func lossGradientsAndLogitsMatchPyTorch() throws {
        let (tensors, _) = try Safetensors.read(path: Self.fixtures + "/gru4rec_parity.safetensors")
        let items = try #require(tensors["param.item_embedding.weight"])
        let recurrent = try #require(tensors["param.gru_layers.weight_hh_l0"])
        let model = GRU4Rec(configuration: .init(vocabulary: items.shape[0], embeddingSize: items.shape[1], hiddenSize: recurrent.shape[1],
                                                 layers: 2, dropout: 0), seed: 0)
        try PyTorchParity.check(model, fixture: tensors, sameTensorNames: true)
    }
}
