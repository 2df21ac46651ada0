import Core
import Foundation
import Testing
import TestSupport
@testable import Engine

/// Rows whose target is 0 are context only (e.g. before a training window): every loss must
/// give them no loss and no gradient, and treat the other rows exactly as it would alone.
@Suite struct ContextRowTests {
    static let (n, c, v) = (6, 3, 9)
    /// Rows 0, 1 and 4 are context.
    static let targets: [Int32] = [0, 0, 5, 8, 0, 2]
    static var targetRows: [Int] { (0..<n).filter { targets[$0] != 0 } }

    /// The rows of `values` (width `width`) that have a target, packed.
    static func packed(_ values: UnsafePointer<Float>, width: Int) -> [Float] {
        targetRows.flatMap { row in (0..<width).map { values[row * width + $0] } }
    }

    @Test(arguments: [1, 2, 16]) func softmaxCrossEntropy(chunkRows: Int) {
        let hidden = FloatBuffer(GradientCheck.random(Self.n * Self.c, seed: 41)), w = FloatBuffer(GradientCheck.random(Self.v * Self.c, seed: 42))
        let b = FloatBuffer(GradientCheck.random(Self.v, seed: 43))
        let logits = FloatBuffer(count: Self.n * Self.v)
        var excludedRows: [Int] = []
        func run(hidden: UnsafePointer<Float>, targets: [Int32], rows: Int, dh: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>,
                 db: UnsafeMutablePointer<Float>) -> Double {
            targets.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.forwardBackward(hidden: hidden, targets: $0.baseAddress!, rows: rows, channels: Self.c, weight: w.pointer,
                                                    bias: b.pointer, vocabulary: Self.v, logits: logits.pointer, chunkRows: chunkRows,
                                                    gradientScale: 0.5, weightGradient: dw, biasGradient: db, hiddenGradient: dh,
                                                    exclude: { row, _ in excludedRows.append(row) })
            }
        }
        let dh = FloatBuffer(GradientCheck.random(Self.n * Self.c, seed: 44))  // stale values must be overwritten
        let dw = FloatBuffer(count: Self.v * Self.c), db = FloatBuffer(count: Self.v)
        let loss = run(hidden: hidden.pointer, targets: Self.targets, rows: Self.n, dh: dh.pointer, dw: dw.pointer, db: db.pointer)
        #expect(excludedRows == Self.targetRows)  // the exclusion callback sees the original row numbers

        let alone = FloatBuffer(Self.packed(hidden.pointer, width: Self.c))
        let m = Self.targetRows.count
        let dhAlone = FloatBuffer(count: m * Self.c), dwAlone = FloatBuffer(count: Self.v * Self.c), dbAlone = FloatBuffer(count: Self.v)
        let lossAlone = run(hidden: alone.pointer, targets: Self.targetRows.map { Self.targets[$0] }, rows: m,
                            dh: dhAlone.pointer, dw: dwAlone.pointer, db: dbAlone.pointer)
        #expect(abs(loss - lossAlone) < 1e-6)
        // Same rows through products of another height (M): OpenBLAS may pick another kernel
        // edge, so the rows agree to rounding (values are O(1): 1e-6 absolute), not bit for bit.
        #expect(zip(Self.packed(dh.pointer, width: Self.c), dhAlone.array).allSatisfy { abs($0 - $1) < 1e-6 })
        for row in [0, 1, 4] { #expect((0..<Self.c).allSatisfy { dh[row * Self.c + $0] == 0 }) }
        #expect(zip(dw.array, dwAlone.array).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(zip(db.array, dbAlone.array).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func sampledSoftmax() {
        let hidden = FloatBuffer(GradientCheck.random(Self.n * Self.c, seed: 45)), w = FloatBuffer(GradientCheck.random(Self.v * Self.c, seed: 46))
        let negatives: [Int32] = [2, 4, 7]
        let logits = FloatBuffer(count: Self.n * negatives.count)
        func run(hidden: UnsafePointer<Float>, targets: [Int32], rows: Int, dh: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>) -> Double {
            targets.withUnsafeBufferPointer {
                SampledLosses.sampledSoftmax(hidden: hidden, targets: $0.baseAddress!, rows: rows, channels: Self.c, weight: w.pointer,
                                             negatives: negatives, logExpectedCounts: [0.1, 0.2, 0.3], targetLogExpectedCount: { _ in 0.2 },
                                             scale: 1, hiddenGradient: dh, weightGradient: dw, logits: logits.pointer, chunkRows: 4)
            }
        }
        let dh = FloatBuffer(GradientCheck.random(Self.n * Self.c, seed: 47)), dw = FloatBuffer(count: Self.v * Self.c)
        let loss = run(hidden: hidden.pointer, targets: Self.targets, rows: Self.n, dh: dh.pointer, dw: dw.pointer)
        let alone = FloatBuffer(Self.packed(hidden.pointer, width: Self.c))
        let m = Self.targetRows.count
        let dhAlone = FloatBuffer(count: m * Self.c), dwAlone = FloatBuffer(count: Self.v * Self.c)
        let lossAlone = run(hidden: alone.pointer, targets: Self.targetRows.map { Self.targets[$0] }, rows: m, dh: dhAlone.pointer, dw: dwAlone.pointer)
        #expect(abs(loss - lossAlone) < 1e-6)
        #expect(zip(Self.packed(dh.pointer, width: Self.c), dhAlone.array).allSatisfy { abs($0 - $1) < 1e-6 })
        for row in [0, 1, 4] { #expect((0..<Self.c).allSatisfy { dh[row * Self.c + $0] == 0 }) }
        #expect(zip(dw.array, dwAlone.array).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func binaryCrossEntropy() {
        let hidden = FloatBuffer(GradientCheck.random(Self.n * Self.c, seed: 48)), w = FloatBuffer(GradientCheck.random(Self.v * Self.c, seed: 49))
        let negatives: [Int32] = [3, 3, 1, 6, 7, 4]
        let dh = FloatBuffer(GradientCheck.random(Self.n * Self.c, seed: 50)), dw = FloatBuffer(count: Self.v * Self.c)
        let loss = Self.targets.withUnsafeBufferPointer { t in
            negatives.withUnsafeBufferPointer { g in
                SampledLosses.binaryCrossEntropy(hidden: hidden.pointer, targets: t.baseAddress!, negatives: g.baseAddress!, rows: Self.n,
                                                 channels: Self.c, weight: w.pointer, scale: 1, hiddenGradient: dh.pointer, weightGradient: dw.pointer)
            }
        }
        var reference = 0.0
        for row in Self.targetRows {
            let score = { (item: Int32) in (0..<Self.c).reduce(0.0) { $0 + Double(hidden[row * Self.c + $1] * w[Int(item) * Self.c + $1]) } }
            reference += log(1 + exp(-score(Self.targets[row]))) + log(1 + exp(score(negatives[row])))
        }
        #expect(abs(loss - reference) < 1e-4)
        for row in [0, 1, 4] { #expect((0..<Self.c).allSatisfy { dh[row * Self.c + $0] == 0 }) }
        // Rows 3 and 7 are only the context rows' negatives: no gradient reaches them.
        #expect((0..<Self.c).allSatisfy { dw[3 * Self.c + $0] == 0 })
        #expect(Self.targets.withUnsafeBufferPointer { SampledLosses.targetCount($0.baseAddress!, rows: Self.n) } == 3)
    }
}
