import Engine
import Foundation
import TestSupport
import Testing
@testable import Models

/// The PyTorch-parity check every family shares, on a fixture written by scripts/fixtures/make_*fixtures.py:
/// the fixture's `param.*` tensors go into `model`, one training step runs on its `inputs` and
/// `targets`, and the mean loss (1e-5 relative), every gradient (1e-4 of the tensor's largest)
/// and the last position's logits (1e-4 relative) must equal PyTorch's.
enum PyTorchParity {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// Runs the check; `sameTensorNames` also requires the model's tensors to be exactly the
    /// fixture's. Returns the scores of the fixture's rows (rows × vocabulary) for further checks.
    @discardableResult
    static func check<Model: TrainableModel>(_ model: Model, fixture tensors: [String: Safetensors.Tensor], sameTensorNames: Bool,
                                             sourceLocation: SourceLocation = #_sourceLocation) throws -> [Float] {
        if sameTensorNames {
            #expect(Set(model.parameters.tensors.map { "param." + $0.name }) == Set(tensors.keys.filter { $0.hasPrefix("param.") }),
                    sourceLocation: sourceLocation)
        }
        for spec in model.parameters.tensors {
            let values = try #require(tensors["param." + spec.name], "fixture lacks \(spec.name)", sourceLocation: sourceLocation)
            #expect(values.shape == spec.shape, sourceLocation: sourceLocation)
            values.values.withUnsafeBufferPointer { model.parameters.value(spec.name).update(from: $0.baseAddress!, count: spec.count) }
        }
        let inputsTensor = try #require(tensors["inputs"], sourceLocation: sourceLocation)
        let (rows, steps) = (inputsTensor.shape[0], inputsTensor.shape[1])
        let inputs = inputsTensor.values.map { Int32($0) }
        let targets = try #require(tensors["targets"], sourceLocation: sourceLocation).values.map { Int32($0) }
        let workspace = model.makeWorkspace(rows: rows, steps: steps)
        model.parameters.zeroGradients()
        let result = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { t in
                model.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: rows, steps: steps, workspace: workspace,
                                gradientScale: { 1 / Float($0) })
            }
        }
        let expectedLoss = try #require(tensors["loss"], sourceLocation: sourceLocation).values[0]
        #expect(abs(Float(result.loss) / Float(result.targets) - expectedLoss) / expectedLoss < 1e-5, sourceLocation: sourceLocation)
        for spec in model.parameters.tensors {
            let expected = try #require(tensors["grad." + spec.name], sourceLocation: sourceLocation).values
            let actual = Array(UnsafeBufferPointer(start: model.parameters.gradient(spec.name), count: spec.count))
            // Relative to the tensor's largest gradient: tiny entries carry rounding noise.
            let worst = GradientCheck.errorRelativeToLargest(actual, expected)
            #expect(worst < 1e-4, "\(spec.name): \(worst)", sourceLocation: sourceLocation)
        }
        var scores = [Float](repeating: 0, count: rows * model.vocabulary)
        inputs.withUnsafeBufferPointer { model.score(histories: $0.baseAddress!, rows: rows, steps: steps, scores: &scores) }
        let expected = try #require(tensors["last_logits"], sourceLocation: sourceLocation).values
        #expect(GradientCheck.relativeError(scores, expected) < 1e-4, sourceLocation: sourceLocation)
        return scores
    }
}
