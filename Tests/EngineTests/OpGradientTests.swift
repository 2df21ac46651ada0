import Core
import Testing
import TestSupport
@testable import Engine

/// Every op's backward pass against finite differences, at tiny sizes.
@Suite struct OpGradientTests {
    @Test func linear() {
        let (n, i, o) = (3, 5, 4)
        let x = FloatBuffer(GradientCheck.random(n * i, seed: 1))
        let w = FloatBuffer(GradientCheck.random(o * i, seed: 2))
        let b = FloatBuffer(GradientCheck.random(o, seed: 3))
        let r = GradientCheck.random(n * o, seed: 4)
        let y = FloatBuffer(count: n * o)
        func loss() -> Double {
            Linear.forward(output: y.pointer, input: x.pointer, weight: w.pointer, bias: b.pointer, rows: n, inputs: i, outputs: o)
            return GradientCheck.dot(y.pointer, r)
        }
        _ = loss()
        let dy = FloatBuffer(r), dx = FloatBuffer(count: n * i), dw = FloatBuffer(count: o * i), db = FloatBuffer(count: o)
        Linear.backward(inputGradient: dx.pointer, weightGradient: dw.pointer, biasGradient: db.pointer, outputGradient: dy.pointer,
                        input: x.pointer, weight: w.pointer, rows: n, inputs: i, outputs: o)
        #expect(GradientCheck.worstError(values: x.pointer, count: n * i, analytic: dx.array, loss: loss) < 1e-3)
        #expect(GradientCheck.worstError(values: w.pointer, count: o * i, analytic: dw.array, loss: loss) < 1e-3)
        #expect(GradientCheck.worstError(values: b.pointer, count: o, analytic: db.array, loss: loss) < 1e-3)
    }

    /// SiLU over 21 values (the 8-lane path and the scalar tail), in place as the models call it.
    @Test func silu() {
        let n = 21
        let x = FloatBuffer(GradientCheck.random(n, seed: 31, scale: 4))
        let r = GradientCheck.random(n, seed: 32)
        let y = FloatBuffer(count: n)
        func loss() -> Double {
            SiLU.forward(output: y.pointer, input: x.pointer, count: n)
            return GradientCheck.dot(y.pointer, r)
        }
        _ = loss()
        #expect((0..<n).allSatisfy { abs(y.pointer[$0] - SiLU.value(x.pointer[$0])) < 1e-5 })
        let dx = FloatBuffer(r)
        SiLU.backward(inputGradient: dx.pointer, outputGradient: dx.pointer, input: x.pointer, count: n)
        #expect(GradientCheck.worstError(values: x.pointer, count: n, analytic: dx.array, step: 1e-3, loss: loss) < 1e-2)
    }

    /// Unit rows, their backward pass accumulated onto what the gradient held, and a zero row left at zero.
    @Test func rowL2Norm() {
        let (n, c) = (3, 5)
        let x = FloatBuffer(GradientCheck.random(n * c, seed: 33))
        (x.pointer + c).update(repeating: 0, count: c)
        let r = GradientCheck.random(n * c, seed: 34)
        let y = FloatBuffer(count: n * c), inverse = FloatBuffer(count: n)
        func loss() -> Double {
            RowL2Norm.forward(output: y.pointer, inverseNorm: inverse.pointer, input: x.pointer, rows: n, channels: c)
            return GradientCheck.dot(y.pointer, r)
        }
        _ = loss()
        #expect(Array(y.buffer[c..<(2 * c)]) == [Float](repeating: 0, count: c))
        for row in [0, 2] {
            let norm = (0..<c).reduce(Float(0)) { $0 + y.pointer[row * c + $1] * y.pointer[row * c + $1] }
            #expect(abs(norm - 1) < 1e-5)
        }
        let dy = FloatBuffer(r), dx = FloatBuffer([Float](repeating: 0.5, count: n * c))
        RowL2Norm.backward(inputGradient: dx.pointer, outputGradient: dy.pointer, output: y.pointer, inverseNorm: inverse.pointer,
                           rows: n, channels: c, accumulate: true)
        let analytic = dx.array.map { $0 - 0.5 }
        for row in [0, 2] {
            #expect(GradientCheck.worstError(values: x.pointer + row * c, count: c, analytic: Array(analytic[(row * c)..<((row + 1) * c)]),
                                             step: 1e-3, loss: loss) < 1e-2)
        }
    }

    @Test func embeddingSkipsPadding() {
        let (v, c) = (5, 3)
        let ids: [Int32] = [2, 0, 2, 4]
        let w = FloatBuffer(GradientCheck.random(v * c, seed: 5))
        let r = GradientCheck.random(ids.count * c, seed: 6)
        let y = FloatBuffer(count: ids.count * c)
        func loss() -> Double {
            ids.withUnsafeBufferPointer { Embedding.forward(output: y.pointer, ids: $0.baseAddress!, count: ids.count, weight: w.pointer, channels: c) }
            return GradientCheck.dot(y.pointer, r)
        }
        _ = loss()
        #expect(Array(y.buffer[3..<6]) == Array(w.buffer[0..<3]))
        let dw = FloatBuffer(count: v * c)
        let dy = FloatBuffer(r)
        ids.withUnsafeBufferPointer { Embedding.backward(weightGradient: dw.pointer, outputGradient: dy.pointer, ids: $0.baseAddress!, count: ids.count, channels: c) }
        // Row 0 (padding) gets no gradient, unlike the finite difference.
        #expect(Array(dw.buffer[0..<3]) == [0, 0, 0])
        #expect(GradientCheck.worstError(values: w.pointer + c, count: (v - 1) * c, analytic: Array(dw.buffer[c...]), loss: loss) < 1e-3)
    }

    @Test func lstmThroughTimeWithRaggedLengths() {
        // H = 10 exercises the 8-lane path and the scalar tail.
        let (inputs, hidden) = (3, 10)
        let layout = PackedLayout(lengths: [2, 4, 1], steps: 4)
        let p = layout.total
        let layer = LSTMLayer(inputSize: inputs, hiddenSize: hidden)
        let x = FloatBuffer(GradientCheck.random(p * inputs, seed: 7))
        let wih = FloatBuffer(GradientCheck.random(4 * hidden * inputs, seed: 8, scale: 0.5))
        let whh = FloatBuffer(GradientCheck.random(4 * hidden * hidden, seed: 9, scale: 0.5))
        let bih = FloatBuffer(GradientCheck.random(4 * hidden, seed: 10, scale: 0.5))
        let bhh = FloatBuffer(GradientCheck.random(4 * hidden, seed: 11, scale: 0.5))
        let weights = LSTMLayer.Weights(inputHidden: wih.pointer, hiddenHidden: whh.pointer, inputBias: bih.pointer, hiddenBias: bhh.pointer)
        let gates = FloatBuffer(count: p * 4 * hidden), cells = FloatBuffer(count: p * hidden)
        let tanhCells = FloatBuffer(count: p * hidden), h = FloatBuffer(count: p * hidden)
        let activations = LSTMLayer.Activations(gates: gates.pointer, cells: cells.pointer, tanhCells: tanhCells.pointer, hidden: h.pointer)
        let r = GradientCheck.random(p * hidden, seed: 12)
        func loss() -> Double {
            layer.forward(layout: layout, input: x.pointer, weights: weights, activations: activations)
            return GradientCheck.dot(h.pointer, r)
        }
        _ = loss()
        let grads = (FloatBuffer(count: 4 * hidden * inputs), FloatBuffer(count: 4 * hidden * hidden), FloatBuffer(count: 4 * hidden), FloatBuffer(count: 4 * hidden))
        let gradientWeights = LSTMLayer.Weights(inputHidden: grads.0.pointer, hiddenHidden: grads.1.pointer, inputBias: grads.2.pointer, hiddenBias: grads.3.pointer)
        let dh = FloatBuffer(r), dx = FloatBuffer(count: p * inputs), scratch = FloatBuffer(count: 2 * 3 * hidden)
        layer.backward(layout: layout, input: x.pointer, weights: weights, gradients: gradientWeights, activations: activations,
                       hiddenGradient: dh.pointer, inputGradient: dx.pointer, recurrentScratch: scratch.pointer)
        #expect(GradientCheck.worstError(values: x.pointer, count: p * inputs, analytic: dx.array, loss: loss) < 5e-3)
        #expect(GradientCheck.worstError(values: wih.pointer, count: wih.count, analytic: grads.0.array, loss: loss) < 5e-3)
        #expect(GradientCheck.worstError(values: whh.pointer, count: whh.count, analytic: grads.1.array, loss: loss) < 5e-3)
        #expect(GradientCheck.worstError(values: bih.pointer, count: bih.count, analytic: grads.2.array, loss: loss) < 5e-3)
        #expect(GradientCheck.worstError(values: bhh.pointer, count: bhh.count, analytic: grads.3.array, loss: loss) < 5e-3)
    }

    @Test func gruThroughTimeWithRaggedLengthsAndBiases() {
        // H = 10 exercises the 8-lane path and the scalar tail.
        let (inputs, hidden) = (3, 10)
        let layout = PackedLayout(lengths: [2, 4, 1], steps: 4)
        let p = layout.total
        let layer = GRULayer(inputSize: inputs, hiddenSize: hidden)
        let x = FloatBuffer(GradientCheck.random(p * inputs, seed: 27))
        let wih = FloatBuffer(GradientCheck.random(3 * hidden * inputs, seed: 28, scale: 0.5))
        let whh = FloatBuffer(GradientCheck.random(3 * hidden * hidden, seed: 29, scale: 0.5))
        let bih = FloatBuffer(GradientCheck.random(3 * hidden, seed: 30, scale: 0.5))
        let bhh = FloatBuffer(GradientCheck.random(3 * hidden, seed: 31, scale: 0.5))
        let weights = GRULayer.Weights(inputHidden: wih.pointer, hiddenHidden: whh.pointer, inputBias: bih.pointer, hiddenBias: bhh.pointer)
        let inputGates = FloatBuffer(count: p * 3 * hidden), hiddenGates = FloatBuffer(count: p * 3 * hidden), h = FloatBuffer(count: p * hidden)
        let activations = GRULayer.Activations(inputGates: inputGates.pointer, hiddenGates: hiddenGates.pointer, hidden: h.pointer)
        let r = GradientCheck.random(p * hidden, seed: 32)
        func loss() -> Double {
            layer.forward(layout: layout, input: x.pointer, weights: weights, activations: activations)
            return GradientCheck.dot(h.pointer, r)
        }
        _ = loss()
        let grads = (FloatBuffer(count: 3 * hidden * inputs), FloatBuffer(count: 3 * hidden * hidden), FloatBuffer(count: 3 * hidden), FloatBuffer(count: 3 * hidden))
        let gradientWeights = GRULayer.Weights(inputHidden: grads.0.pointer, hiddenHidden: grads.1.pointer, inputBias: grads.2.pointer, hiddenBias: grads.3.pointer)
        let dh = FloatBuffer(r), dx = FloatBuffer(count: p * inputs), scratch = FloatBuffer(count: 3 * hidden)
        layer.backward(layout: layout, input: x.pointer, weights: weights, gradients: gradientWeights, activations: activations,
                       hiddenGradient: dh.pointer, inputGradient: dx.pointer, recurrentScratch: scratch.pointer)
        #expect(GradientCheck.worstError(values: x.pointer, count: p * inputs, analytic: dx.array, loss: loss) < 5e-3)
        #expect(GradientCheck.worstError(values: wih.pointer, count: wih.count, analytic: grads.0.array, loss: loss) < 5e-3)
        #expect(GradientCheck.worstError(values: whh.pointer, count: whh.count, analytic: grads.1.array, loss: loss) < 5e-3)
        #expect(GradientCheck.worstError(values: bih.pointer, count: bih.count, analytic: grads.2.array, loss: loss) < 5e-3)
        #expect(GradientCheck.worstError(values: bhh.pointer, count: bhh.count, analytic: grads.3.array, loss: loss) < 5e-3)
    }

    /// Excluded items leave the softmax: the loss is the cross-entropy over the other items,
    /// and the excluded logits get no gradient.
    @Test func softmaxCrossEntropyWithExclusions() {
        let (n, c, v) = (4, 3, 8)
        let hidden = FloatBuffer(GradientCheck.random(n * c, seed: 33)), w = FloatBuffer(GradientCheck.random(v * c, seed: 34))
        let targets: [Int32] = [2, 5, 7, 1]
        let excluded: [[Int]] = [[1, 3], [], [0, 2, 6], [4]]
        let logits = FloatBuffer(count: 2 * v)
        func loss(_ dh: UnsafeMutablePointer<Float>? = nil, _ dw: UnsafeMutablePointer<Float>? = nil) -> Double {
            targets.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.forwardBackward(hidden: hidden.pointer, targets: $0.baseAddress!, rows: n, channels: c, weight: w.pointer,
                                                    bias: nil, vocabulary: v, logits: logits.pointer, chunkRows: 2,
                                                    weightGradient: dw, hiddenGradient: dh,
                                                    exclude: { row, logits in for item in excluded[row] { logits[item] = -.infinity } })
            }
        }
        var reference = 0.0
        for row in 0..<n {
            let kept = (0..<v).filter { !excluded[row].contains($0) }
            let z = kept.map { k in (0..<c).reduce(0.0) { $0 + Double(hidden.pointer[row * c + $1]) * Double(w.pointer[k * c + $1]) } }
            let target = kept.firstIndex(of: Int(targets[row]))!
            reference += log(z.map { exp($0) }.reduce(0, +)) - z[target]
        }
        let dh = FloatBuffer(count: n * c), dw = FloatBuffer(count: v * c)
        #expect(abs(loss(dh.pointer, dw.pointer) - reference) < 1e-4)
        #expect(GradientCheck.worstError(values: hidden.pointer, count: n * c, analytic: dh.array, loss: { loss() }) < 2e-3)
        #expect(GradientCheck.worstError(values: w.pointer, count: v * c, analytic: dw.array, loss: { loss() }) < 2e-3)
    }

    @Test func softmaxCrossEntropyIsChunkInvariantAndCorrect() {
        let (n, c, v) = (5, 4, 7)
        let hidden = FloatBuffer(GradientCheck.random(n * c, seed: 13))
        let w = FloatBuffer(GradientCheck.random(v * c, seed: 14))
        let b = FloatBuffer(GradientCheck.random(v, seed: 15))
        let targets: [Int32] = [1, 6, 3, 3, 2]
        let logits = FloatBuffer(count: n * v)
        func loss(chunk: Int = 2) -> Double {
            targets.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.forwardBackward(hidden: hidden.pointer, targets: $0.baseAddress!, rows: n, channels: c, weight: w.pointer,
                                                    bias: b.pointer, vocabulary: v, logits: logits.pointer, chunkRows: chunk)
            }
        }
        // Naive reference.
        var reference = 0.0
        for row in 0..<n {
            var z = [Double](repeating: 0, count: v)
            for k in 0..<v { z[k] = Double(b[k]); for j in 0..<c { z[k] += Double(hidden.pointer[row * c + j]) * Double(w.pointer[k * c + j]) } }
            let m = z.max()!
            reference += log(z.map { exp($0 - m) }.reduce(0, +)) + m - z[Int(targets[row])]
        }
        #expect(abs(loss() - reference) < 1e-4)
        #expect(abs(loss(chunk: 1) - loss(chunk: 5)) < 1e-5)
        let dw = FloatBuffer(count: v * c), db = FloatBuffer(count: v), dh = FloatBuffer(count: n * c)
        targets.withUnsafeBufferPointer {
            _ = SoftmaxCrossEntropy.forwardBackward(hidden: hidden.pointer, targets: $0.baseAddress!, rows: n, channels: c, weight: w.pointer,
                                                    bias: b.pointer, vocabulary: v, logits: logits.pointer, chunkRows: 2,
                                                    weightGradient: dw.pointer, biasGradient: db.pointer, hiddenGradient: dh.pointer)
        }
        #expect(GradientCheck.worstError(values: hidden.pointer, count: n * c, analytic: dh.array, loss: { loss() }) < 2e-3)
        #expect(GradientCheck.worstError(values: w.pointer, count: v * c, analytic: dw.array, loss: { loss() }) < 2e-3)
        #expect(GradientCheck.worstError(values: b.pointer, count: v, analytic: db.array, loss: { loss() }) < 2e-3)
    }

    /// Width 6 runs the scalar path only; 20 the eight-lane path and a tail.
    @Test(arguments: [6, 20]) func layerNorm(c: Int) {
        let n = 3
        let x = FloatBuffer(GradientCheck.random(n * c, seed: 16, scale: 2))
        let w = FloatBuffer(GradientCheck.random(c, seed: 17))
        let b = FloatBuffer(GradientCheck.random(c, seed: 18))
        let y = FloatBuffer(count: n * c), mean = FloatBuffer(count: n), rstd = FloatBuffer(count: n)
        let r = GradientCheck.random(n * c, seed: 19)
        func loss() -> Double {
            LayerNorm.forward(output: y.pointer, mean: mean.pointer, inverseStd: rstd.pointer, input: x.pointer, weight: w.pointer, bias: b.pointer, rows: n, channels: c)
            return GradientCheck.dot(y.pointer, r)
        }
        _ = loss()
        let dx = FloatBuffer(count: n * c), dw = FloatBuffer(count: c), db = FloatBuffer(count: c), dy = FloatBuffer(r)
        LayerNorm.backward(inputGradient: dx.pointer, weightGradient: dw.pointer, biasGradient: db.pointer, outputGradient: dy.pointer,
                           input: x.pointer, weight: w.pointer, mean: mean.pointer, inverseStd: rstd.pointer, rows: n, channels: c)
        #expect(GradientCheck.worstError(values: x.pointer, count: n * c, analytic: dx.array, step: 1e-3, loss: loss) < 1e-2)
        #expect(GradientCheck.worstError(values: w.pointer, count: c, analytic: dw.array, loss: loss) < 1e-3)
        #expect(GradientCheck.worstError(values: b.pointer, count: c, analytic: db.array, loss: loss) < 1e-3)
    }

    @Test func reluAndGelu() {
        let count = 12
        // Keep inputs away from ReLU's kink.
        let x = FloatBuffer(GradientCheck.random(count, seed: 20, scale: 2).map { abs($0) < 0.05 ? 0.3 : $0 })
        let y = FloatBuffer(count: count)
        let r = GradientCheck.random(count, seed: 21)
        for kind in ["relu", "gelu"] {
            func loss() -> Double {
                if kind == "relu" { ReLU.forward(output: y.pointer, input: x.pointer, count: count) } else { GELU.forward(output: y.pointer, input: x.pointer, count: count) }
                return GradientCheck.dot(y.pointer, r)
            }
            _ = loss()
            let dx = FloatBuffer(count: count), dy = FloatBuffer(r)
            if kind == "relu" { ReLU.backward(inputGradient: dx.pointer, outputGradient: dy.pointer, input: x.pointer, count: count) }
            else { GELU.backward(inputGradient: dx.pointer, outputGradient: dy.pointer, input: x.pointer, count: count) }
            #expect(GradientCheck.worstError(values: x.pointer, count: count, analytic: dx.array, step: 1e-3, loss: loss) < 1e-2, "\(kind)")
        }
        // GELU(1) = Φ(1) ≈ 0.841345
        let one = FloatBuffer([1]), out = FloatBuffer(count: 1)
        GELU.forward(output: out.pointer, input: one.pointer, count: 1)
        #expect(abs(out[0] - 0.841_345) < 1e-5)
    }

    @Test func dropoutKeepsTheExpectationAndMasksGradients() {
        let count = 100_000
        let values = FloatBuffer([Float](repeating: 1, count: count))
        let mask = FloatBuffer(count: count)
        var random = SeededRandom(seed: 22)
        Dropout.forward(values: values.pointer, mask: mask.pointer, count: count, probability: 0.2, random: &random)
        let mean = values.array.reduce(0, +) / Float(count)
        #expect(abs(mean - 1) < 0.01)
        let dropped = values.array.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / Double(count) - 0.2) < 0.01)
        let gradient = FloatBuffer([Float](repeating: 2, count: count))
        Dropout.backward(gradient: gradient.pointer, mask: mask.pointer, count: count)
        #expect(zip(gradient.array, values.array).allSatisfy { $0 == 2 * $1 })
    }
}

extension FloatBuffer {
    subscript(_ index: Int) -> Float { pointer[index] }
}

#if canImport(Glibc)
import Glibc
#endif
