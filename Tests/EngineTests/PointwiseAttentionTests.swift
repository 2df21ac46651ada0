import Foundation
import Core
import Testing
import TestSupport
@testable import Engine

/// HSTU's pointwise attention over packed sequences against finite differences and a direct
/// computation; row stride wider than d, as in the model (Q, K, V are columns of one projection).
@Suite struct PointwiseAttentionTests {
    static let d = 4, stride = 12, normalizer: Float = 8

    /// Lengths 3, 70 and 1 (70 crosses a query tile), two heads: dQ, dK, dV and the bias gradient.
    @Test func gradientsMatchFiniteDifferences() {
        let d = Self.d, stride = Self.stride
        let segments = CausalSelfAttention.Segments(lengths: [3, 70, 1], heads: 2)
        let p = segments.rows
        let projection = FloatBuffer(GradientCheck.random(p * stride, seed: 1))
        let bias = FloatBuffer(GradientCheck.random(70, seed: 2, scale: 0.5))
        let r = GradientCheck.random(p * d, seed: 4)
        let out = FloatBuffer(count: p * d), scores = FloatBuffer(count: segments.probabilityCount)
        let q = projection.pointer, k = projection.pointer + d, v = projection.pointer + 2 * d
        func loss() -> Double {
            PointwiseAttention.forward(query: q, key: k, value: v, stride: stride, output: out.pointer, scores: scores.pointer,
                                       bias: bias.pointer, normalizer: Self.normalizer, segments: segments, channels: d, threads: 2)
            return GradientCheck.dot(out.pointer, r)
        }
        _ = loss()
        // Columns 3d..<4d are nobody's: they must stay as they were.
        let gradient = FloatBuffer([Float](repeating: 7, count: p * stride)), biasGradient = FloatBuffer(count: 70)
        biasGradient.pointer.update(repeating: 0, count: 70)
        let outputGradient = FloatBuffer(r)
        PointwiseAttention.backward(outputGradient: outputGradient.pointer, query: q, key: k, value: v, stride: stride,
                                    scores: scores.pointer, normalizer: Self.normalizer, queryGradient: gradient.pointer,
                                    keyGradient: gradient.pointer + d, valueGradient: gradient.pointer + 2 * d,
                                    biasGradient: biasGradient.pointer, segments: segments, channels: d, threads: 2)
        let analytic = gradient.array
        #expect((0..<p).allSatisfy { row in (3 * d..<stride).allSatisfy { analytic[row * stride + $0] == 7 } })
        // Checked in place: the untouched columns have a zero numeric gradient, so they are left out.
        var worst: Float = 0
        for row in 0..<p {
            let offset = row * stride
            worst = max(worst, GradientCheck.worstError(values: projection.pointer + offset, count: 3 * d,
                                                        analytic: Array(analytic[offset..<(offset + 3 * d)]), step: 1e-2, loss: loss))
        }
        #expect(worst < 2e-2)
        #expect(GradientCheck.worstError(values: bias.pointer, count: 70, analytic: biasGradient.array, step: 1e-2, loss: loss) < 2e-2)
    }

    /// out_i = Σ_{j≤i} SiLU(q_i·k_j + bias[i−j]) / N · v_j per head; the last-query path agrees.
    @Test func forwardMatchesDirectComputation() {
        let d = 6, heads = 3, dh = 2, stride = 3 * d
        let segments = CausalSelfAttention.Segments(lengths: [5, 67], heads: heads)
        let p = segments.rows
        let projection = FloatBuffer(GradientCheck.random(p * stride, seed: 5))
        let bias = FloatBuffer(GradientCheck.random(67, seed: 6))
        let q = projection.pointer, k = projection.pointer + d, v = projection.pointer + 2 * d
        let out = FloatBuffer(count: p * d), scores = FloatBuffer(count: segments.probabilityCount)
        PointwiseAttention.forward(query: q, key: k, value: v, stride: stride, output: out.pointer, scores: scores.pointer,
                                   bias: bias.pointer, normalizer: 10, segments: segments, channels: d, threads: 1)
        var worst: Double = 0
        var expectedLast: [[Double]] = []
        for (s, n) in segments.lengths.enumerated() {
            let o = segments.starts[s]
            var last = [Double](repeating: 0, count: d)
            for head in 0..<heads {
                for i in 0..<n {
                    let weights = (0...i).map { j -> Double in
                        let z = (0..<dh).reduce(0.0) { $0 + Double(q[(o + i) * stride + head * dh + $1] * k[(o + j) * stride + head * dh + $1]) }
                            + Double(bias.pointer[i - j])
                        return z / (1 + Foundation.exp(-z)) / 10
                    }
                    for c in 0..<dh {
                        let expected = (0...i).reduce(0.0) { $0 + weights[$1] * Double(v[(o + $1) * stride + head * dh + c]) }
                        worst = max(worst, abs(expected - Double(out.pointer[(o + i) * d + head * dh + c])))
                        if i == n - 1 { last[head * dh + c] = expected }
                    }
                }
            }
            expectedLast.append(last)
        }
        #expect(worst < 1e-5)
        // Row s of the compact query matrix is sequence s's last query.
        let lastQueries = FloatBuffer(count: 2 * stride), lastOut = FloatBuffer(count: 2 * d), scratch = FloatBuffer(count: 67)
        for (s, n) in segments.lengths.enumerated() {
            (lastQueries.pointer + s * stride).update(from: q + (segments.starts[s] + n - 1) * stride, count: d)
        }
        PointwiseAttention.lastQueryForward(query: lastQueries.pointer, queryStride: stride, key: k, value: v, stride: stride,
                                            output: lastOut.pointer, bias: bias.pointer, normalizer: 10, scratch: scratch.pointer,
                                            segments: segments, channels: d)
        let lastWorst = (0..<2).flatMap { s in (0..<d).map { abs(expectedLast[s][$0] - Double(lastOut.pointer[s * d + $0])) } }.max()!
        #expect(lastWorst < 1e-5)
    }
}
