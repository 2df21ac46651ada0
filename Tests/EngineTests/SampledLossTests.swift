import Core
import Foundation
import Testing
import TestSupport
@testable import Engine

@Suite struct SampledLossTests {
    static let (n, d, v) = (4, 3, 9)
    static let targets: [Int32] = [1, 5, 8, 5]

    /// With every item sampled once and a uniform sampler (log expected count 0), the sampled
    /// softmax is the full softmax over the items.
    @Test func sampledSoftmaxOverEveryItemIsTheFullSoftmax() {
        let hidden = FloatBuffer(GradientCheck.random(Self.n * Self.d, seed: 1))
        let weight = FloatBuffer(GradientCheck.random(Self.v * Self.d, seed: 2))
        let negatives = (1..<Int32(Self.v)).map { $0 }
        let logits = FloatBuffer(count: Self.n * negatives.count)
        let loss = Self.targets.withUnsafeBufferPointer { t in
            SampledLosses.sampledSoftmax(hidden: hidden.pointer, targets: t.baseAddress!, rows: Self.n, channels: Self.d, weight: weight.pointer,
                                         negatives: negatives, logExpectedCounts: negatives.map { _ in 0 }, targetLogExpectedCount: { _ in 0 },
                                         scale: 1, hiddenGradient: nil, weightGradient: nil, logits: logits.pointer, chunkRows: 3)
        }
        var reference = 0.0
        for r in 0..<Self.n {
            let scores = (1..<Self.v).map { item in (0..<Self.d).reduce(0.0) { $0 + Double(hidden[r * Self.d + $1] * weight[item * Self.d + $1]) } }
            let target = Int(Self.targets[r]) - 1
            reference += log(scores.map { exp($0) }.reduce(0, +)) - scores[target]
        }
        #expect(abs(loss - reference) < 1e-4)
    }

    @Test func sampledSoftmaxGradientsMatchFiniteDifferences() {
        let hidden = FloatBuffer(GradientCheck.random(Self.n * Self.d, seed: 3))
        let weight = FloatBuffer(GradientCheck.random(Self.v * Self.d, seed: 4))
        let negatives: [Int32] = [2, 5, 7, 2]  // repeats and a target among them
        let corrections: [Float] = [0.1, -0.2, 0.3, 0.1]
        let logits = FloatBuffer(count: Self.n * negatives.count)
        func loss(_ dh: UnsafeMutablePointer<Float>? = nil, _ dw: UnsafeMutablePointer<Float>? = nil) -> Double {
            Self.targets.withUnsafeBufferPointer { t in
                SampledLosses.sampledSoftmax(hidden: hidden.pointer, targets: t.baseAddress!, rows: Self.n, channels: Self.d, weight: weight.pointer,
                                             negatives: negatives, logExpectedCounts: corrections, targetLogExpectedCount: { Float($0) * 0.01 },
                                             scale: 1, hiddenGradient: dh, weightGradient: dw, logits: logits.pointer, chunkRows: 3)
            }
        }
        let dh = FloatBuffer(count: Self.n * Self.d), dw = FloatBuffer(count: Self.v * Self.d)
        _ = loss(dh.pointer, dw.pointer)
        #expect(GradientCheck.worstError(values: hidden.pointer, count: Self.n * Self.d, analytic: dh.array, loss: { loss() }) < 1e-2)
        #expect(GradientCheck.worstError(values: weight.pointer, count: Self.v * Self.d, analytic: dw.array, loss: { loss() }) < 1e-2)
    }

    @Test func binaryCrossEntropyGradientsMatchFiniteDifferences() {
        let hidden = FloatBuffer(GradientCheck.random(Self.n * Self.d, seed: 5))
        let weight = FloatBuffer(GradientCheck.random(Self.v * Self.d, seed: 6))
        let negatives: [Int32] = [3, 2, 5, 7]
        func loss(_ dh: UnsafeMutablePointer<Float>? = nil, _ dw: UnsafeMutablePointer<Float>? = nil) -> Double {
            Self.targets.withUnsafeBufferPointer { t in
                negatives.withUnsafeBufferPointer { g in
                    SampledLosses.binaryCrossEntropy(hidden: hidden.pointer, targets: t.baseAddress!, negatives: g.baseAddress!, rows: Self.n,
                                                     channels: Self.d, weight: weight.pointer, scale: 1, hiddenGradient: dh, weightGradient: dw)
                }
            }
        }
        let dh = FloatBuffer(count: Self.n * Self.d), dw = FloatBuffer(count: Self.v * Self.d)
        let value = loss(dh.pointer, dw.pointer)
        // −log σ(s⁺) − log(1 − σ(s⁻)) at the first row, directly.
        func score(_ r: Int, _ item: Int32) -> Double { (0..<Self.d).reduce(0.0) { $0 + Double(hidden[r * Self.d + $1] * weight[Int(item) * Self.d + $1]) } }
        let direct = (0..<Self.n).reduce(0.0) { sum, r in
            sum - log(1 / (1 + exp(-score(r, Self.targets[r])))) - log(1 - 1 / (1 + exp(-score(r, negatives[r]))))
        }
        #expect(abs(value - direct) < 1e-4)
        #expect(GradientCheck.worstError(values: hidden.pointer, count: Self.n * Self.d, analytic: dh.array, loss: { loss() }) < 1e-2)
        #expect(GradientCheck.worstError(values: weight.pointer, count: Self.v * Self.d, analytic: dw.array, loss: { loss() }) < 1e-2)
    }
}
