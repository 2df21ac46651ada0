import Core
import Testing
@testable import Engine

#if canImport(Glibc)
import Glibc
#endif

@Suite struct KernelTests {
    @Test func fastMathMatchesLibm() {
        var worstExp: Float = 0, worstSigmoid: Float = 0, worstTanh: Float = 0
        var x: Float = -20
        while x < 20 {
            let e = FastMath.exp(x)
            worstExp = max(worstExp, abs(e - expf(x)) / expf(x))
            worstSigmoid = max(worstSigmoid, abs(FastMath.sigmoid(x) - 1 / (1 + expf(-x))))
            worstTanh = max(worstTanh, abs(FastMath.tanh(x) - tanhf(x)) / max(abs(tanhf(x)), 1e-30))
            x += 0.0137
        }
        #expect(worstExp < 5e-7)
        #expect(worstSigmoid < 5e-7)
        #expect(worstTanh < 5e-6)
        #expect(FastMath.exp(-200) == 0 || FastMath.exp(-200) < 1e-37)
        #expect(FastMath.exp(200).isFinite)
    }

    @Test func packedLayoutOrdersLongestFirstAndSkipsPadding() {
        // Rows: [0 0 5], [0 7 8], [1 2 3], [0 0 0]
        let ids: [Int32] = [0, 0, 5, 0, 7, 8, 1, 2, 3, 0, 0, 0]
        let layout = ids.withUnsafeBufferPointer { PackedLayout(paddedIds: $0.baseAddress!, rows: 4, steps: 3) }
        #expect(layout.order == [2, 1, 0, 3])
        #expect(layout.active == [1, 2, 3])
        #expect(layout.offsets == [0, 1, 3, 6])
        var packed = [Int32](repeating: -1, count: layout.total)
        ids.withUnsafeBufferPointer { source in packed.withUnsafeMutableBufferPointer { layout.pack(source.baseAddress!, into: $0.baseAddress!) } }
        #expect(packed == [1, 2, 7, 3, 8, 5])
    }

    /// Two Adam steps against values worked out by hand from torch.optim.Adam's update rule.
    @Test func adamMatchesPyTorchsUpdate() {
        let parameters = FloatBuffer([1.0, -2.0])
        let optimizer = AdamOptimizer(parameterCount: 2, learningRate: 0.1)
        let gradients = FloatBuffer([0.5, -1.0])
        optimizer.update(parameters: parameters.pointer, gradients: gradients.pointer, count: 2)
        // Step 1: m̂ = g, v̂ = g², so the step is lr · sign(g) (up to eps).
        #expect(abs(parameters.pointer[0] - 0.9) < 1e-6)
        #expect(abs(parameters.pointer[1] - -1.9) < 1e-6)
        gradients.pointer[0] = -0.5
        optimizer.update(parameters: parameters.pointer, gradients: gradients.pointer, count: 2)
        // m = 0.9·0.05 + 0.1·(−0.5) = −0.005; v = 0.999·0.00025 + 0.001·0.25 = 0.00049975
        let m = -0.005 / (1 - 0.81), v = 0.000_499_75 / (1 - 0.998_001)
        let expected = 0.9 - 0.1 * m / (v.squareRoot() + 1e-8)
        #expect(abs(Double(parameters.pointer[0]) - expected) < 1e-5)
    }

    @Test func adamWDecaysWeightsApartFromTheGradient() {
        let parameters = FloatBuffer([2.0])
        let optimizer = AdamOptimizer(parameterCount: 1, learningRate: 0.1, weightDecay: 0.5)
        let gradients = FloatBuffer([0])
        optimizer.update(parameters: parameters.pointer, gradients: gradients.pointer, count: 1)
        #expect(abs(parameters.pointer[0] - 2.0 * (1 - 0.05)) < 1e-6)
    }

    @Test func clippingScalesToTheMaximumNorm() {
        let gradients = FloatBuffer([3, 4])
        let norm = clipGradientNorm(gradients.pointer, count: 2, maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(gradients.pointer[0] - 0.6) < 1e-5 && abs(gradients.pointer[1] - 0.8) < 1e-5)
        let small = FloatBuffer([0.3, 0.4])
        clipGradientNorm(small.pointer, count: 2, maxNorm: 1)
        #expect(small.array == [0.3, 0.4])
    }
}

@Suite struct SpinTeamTests {
    /// Every part runs once per job, and callers on several threads take turns without losing a job.
    @Test func concurrentCallersEachGetWholeJobs() async {
        let team = SpinTeam.shared(size: 2)
        await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<4 {
                group.addTask {
                    var ok = true
                    for job in 0..<500 {
                        let marks = UnsafeMutablePointer<Int>.allocate(capacity: team.size)
                        marks.initialize(repeating: 0, count: team.size)
                        team.run { part in marks[part] += caller * 1000 + job + 1 }
                        ok = ok && (0..<team.size).allSatisfy { marks[$0] == caller * 1000 + job + 1 }
                        marks.deallocate()
                    }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    /// A barrier inside a job keeps the parts in step: each phase sees the others' writes.
    @Test func barrierSeparatesPhases() {
        let team = SpinTeam.shared(size: 2)
        let barrier = SpinBarrier(parties: team.size)
        let values = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        values.initialize(repeating: 0, count: 2)
        defer { values.deallocate() }
        nonisolated(unsafe) let shared = values
        nonisolated(unsafe) var mismatches = 0
        team.run { part in
            for phase in 0..<1000 {
                shared[part] = phase
                barrier.wait(phase: 2 * phase)
                if shared[1 - part] != phase { mismatches += 1 }
                barrier.wait(phase: 2 * phase + 1)
            }
        }
        #expect(mismatches == 0)
    }
}

@Suite struct NestedParallelismTests {
    /// A loop inside one part of a parallel loop runs serially on that part's thread, and the
    /// mark is gone once the outer loop returns.
    @Test func innerLoopsRunSerially() {
        #expect(!isInsideParallelWork)
        let inner = parallelMap(4) { _ -> (Bool, Int) in
            var parts = 0
            parallelStripes(1000, stripes: 4) { _ in parts += 1 }
            return (isInsideParallelWork, parts)
        }
        #expect(inner.allSatisfy { $0.0 && $0.1 == 1 })
        #expect(!isInsideParallelWork)
    }
}

@Suite struct HalfMatrixVectorTests {
    /// The single-request product with fp16 weights equals the fp32 product of the same
    /// (fp16-rounded) weights, whatever the shape (tails of rows and columns included).
    @Test(arguments: [(37, 45), (512, 256), (4, 16), (3, 7)]) func matchesFloatProductOfRoundedWeights(rows: Int, columns: Int) {
        var random = SeededRandom(seed: UInt64(rows * 1000 + columns))
        let weights = (0..<(rows * columns)).map { _ in Float16(Float(random.unit() * 2 - 1) * 0.1) }
        let x = (0..<columns).map { _ in Float(random.unit() * 2 - 1) }
        let rounded = weights.map { Float($0) }
        var expected = [Float](repeating: 0, count: rows), actual = expected
        rounded.withUnsafeBufferPointer { w in
            LSTMSingleSequence.matrixVector(rows: rows, columns: columns, matrix: w.baseAddress!, vector: x, output: &expected)
        }
        weights.withUnsafeBufferPointer { w in
            LSTMSingleSequence.halfMatrixVector(rows: rows, columns: columns, matrix: w.baseAddress!, vector: x, output: &actual)
        }
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5, "largest difference \(worst)")
    }
}
