import Foundation
import Core
import Testing
import TestSupport
@testable import Engine

/// Causal self-attention over packed sequences against finite differences and a direct
/// computation.
@Suite struct AttentionTests {
    /// Lengths 3, 70 and 1 (70 crosses a query tile), two heads, with and without dropout.
    @Test(arguments: [Float(0), Float(0.3)]) func gradientsMatchFiniteDifferences(dropout: Float) {
        let d = 4
        let segments = CausalSelfAttention.Segments(lengths: [3, 70, 1], heads: 2)
        let p = segments.rows
        let q = FloatBuffer(GradientCheck.random(p * d, seed: 1)), k = FloatBuffer(GradientCheck.random(p * d, seed: 2))
        let v = FloatBuffer(GradientCheck.random(p * d, seed: 3))
        let r = GradientCheck.random(p * d, seed: 4)
        let out = FloatBuffer(count: p * d)
        let probabilities = FloatBuffer(count: segments.probabilityCount), mask = FloatBuffer(count: segments.probabilityCount)
        func loss() -> Double {
            CausalSelfAttention.forward(query: q.pointer, key: k.pointer, value: v.pointer, output: out.pointer, probabilities: probabilities.pointer,
                                        mask: mask.pointer, dropout: dropout, seed: 9, segments: segments, channels: d, threads: 2)
            return GradientCheck.dot(out.pointer, r)
        }
        _ = loss()
        let dq = FloatBuffer(count: p * d), dk = FloatBuffer(count: p * d), dv = FloatBuffer(count: p * d), dOut = FloatBuffer(r)
        CausalSelfAttention.backward(outputGradient: dOut.pointer, query: q.pointer, key: k.pointer, value: v.pointer,
                                     probabilities: probabilities.pointer, mask: dropout > 0 ? mask.pointer : nil,
                                     queryGradient: dq.pointer, keyGradient: dk.pointer, valueGradient: dv.pointer,
                                     segments: segments, channels: d, threads: 2)
        // The same seed draws the same dropout mask, so the loss is a smooth function of the inputs.
        #expect(GradientCheck.worstError(values: q.pointer, count: p * d, analytic: dq.array, step: 1e-2, loss: loss) < 2e-2)
        #expect(GradientCheck.worstError(values: k.pointer, count: p * d, analytic: dk.array, step: 1e-2, loss: loss) < 2e-2)
        #expect(GradientCheck.worstError(values: v.pointer, count: p * d, analytic: dv.array, step: 1e-2, loss: loss) < 2e-2)
    }

    /// Each output row is the softmax-weighted mean of the values at and before it, per head.
    @Test func forwardMatchesDirectComputation() {
        let d = 6, heads = 3, dh = 2
        let segments = CausalSelfAttention.Segments(lengths: [5, 67], heads: heads)
        let p = segments.rows
        let q = FloatBuffer(GradientCheck.random(p * d, seed: 5)), k = FloatBuffer(GradientCheck.random(p * d, seed: 6))
        let v = FloatBuffer(GradientCheck.random(p * d, seed: 7))
        let out = FloatBuffer(count: p * d), probabilities = FloatBuffer(count: segments.probabilityCount)
        CausalSelfAttention.forward(query: q.pointer, key: k.pointer, value: v.pointer, output: out.pointer, probabilities: probabilities.pointer,
                                    mask: nil, dropout: 0, seed: 0, segments: segments, channels: d, threads: 1)
        var worst: Double = 0
        for (s, n) in segments.lengths.enumerated() {
            let o = segments.starts[s]
            for head in 0..<heads {
                for i in 0..<n {
                    var scores = (0...i).map { j in
                        (0..<dh).reduce(0.0) { $0 + Double(q.pointer[(o + i) * d + head * dh + $1] * k.pointer[(o + j) * d + head * dh + $1]) } / Double(dh).squareRoot()
                    }
                    let largest = scores.max()!
                    scores = scores.map { Foundation.exp($0 - largest) }
                    let total = scores.reduce(0, +)
                    for c in 0..<dh {
                        let expected = (0...i).reduce(0.0) { $0 + scores[$1] / total * Double(v.pointer[(o + $1) * d + head * dh + c]) }
                        worst = max(worst, abs(expected - Double(out.pointer[(o + i) * d + head * dh + c])))
                    }
                }
            }
        }
        #expect(worst < 1e-5)
    }
}
