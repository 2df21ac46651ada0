import Core

/// The output layer fused with softmax and cross-entropy, computed in row chunks so the
/// [N, V] logits matrix is never held whole: per chunk, logits = hidden · Wᵀ + b, then the
/// loss and dLogits = softmax − onehot in place, then dW, db and dHidden from that chunk.
/// This is what keeps 10⁵–10⁶-item catalogues trainable.
public enum SoftmaxCrossEntropy {
    /// Rows per chunk so that one chunk of logits holds about `budget` floats.
    public static func chunkRows(vocabulary: Int, budget: Int = 1 << 21) -> Int {
        max(1, min(4096, budget / max(1, vocabulary)))
    }

    /// Sums the cross-entropy of `rows` targets. With gradients requested, adds
    /// `gradientScale` × dLoss/dW (and /db) and writes `gradientScale` × dLoss/dHidden.
    /// `logits` needs chunkRows × V floats. `exclude(row, logits)` may set logits of items
    /// that row's softmax should leave out to −∞ (never the target's); they get no gradient.
    @discardableResult
    public static func forwardBackward(hidden: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows n: Int, channels c: Int,
                                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, vocabulary v: Int,
                                       logits: UnsafeMutablePointer<Float>, chunkRows: Int,
                                       gradientScale: Float = 1,
                                       weightGradient: UnsafeMutablePointer<Float>? = nil, biasGradient: UnsafeMutablePointer<Float>? = nil,
                                       hiddenGradient: UnsafeMutablePointer<Float>? = nil,
                                       exclude: ((_ row: Int, _ logits: UnsafeMutablePointer<Float>) -> Void)? = nil) -> Double {
        if let targetRows = rowsWithTargets(targets, count: n) {
            return maskedForwardBackward(hidden: hidden, targets: targets, rows: n, targetRows: targetRows, channels: c, weight: weight,
                                         bias: bias, vocabulary: v, logits: logits, chunkRows: chunkRows, gradientScale: gradientScale,
                                         weightGradient: weightGradient, biasGradient: biasGradient, hiddenGradient: hiddenGradient,
                                         exclude: exclude)
        }
        var total = 0.0
        var start = 0
        let wantsGradients = weightGradient != nil
        while start < n {
            let count = min(chunkRows, n - start)
            // The bias is added in the softmax's first pass rather than copied into every row first.
            Linear.forward(output: logits, input: hidden + start * c, weight: weight, bias: nil, rows: count, inputs: c, outputs: v)
            if let exclude { for r in 0..<count { exclude(start + r, logits + r * v) } }
            total += softmaxInPlace(logits: logits, bias: bias, targets: targets + start, rows: count, vocabulary: v,
                                    gradientScale: wantsGradients ? gradientScale : nil)
            if let weightGradient {
                Linear.backward(inputGradient: hiddenGradient.map { $0 + start * c }, weightGradient: weightGradient,
                                biasGradient: biasGradient, outputGradient: logits, input: hidden + start * c, weight: weight,
                                rows: count, inputs: c, outputs: v)
            }
            start += count
        }
        return total
    }

    /// The rows whose target is an item, or nil when every row's is (target 0 marks a
    /// context-only position, e.g. before a training window).
    static func rowsWithTargets(_ targets: UnsafePointer<Int32>, count n: Int) -> [Int]? {
        var first = 0
        while first < n && targets[first] != 0 { first += 1 }
        if first == n { return nil }
        return (0..<n).filter { targets[$0] != 0 }
    }

    /// `forwardBackward` over the rows that have a target only: they are gathered into
    /// contiguous chunks (so the output layer does no work for context rows), and context
    /// rows get zero loss and a zero hidden gradient. Allocates its gather buffers, once per call.
    static func maskedForwardBackward(hidden: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows n: Int, targetRows: [Int],
                                      channels c: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, vocabulary v: Int,
                                      logits: UnsafeMutablePointer<Float>, chunkRows: Int, gradientScale: Float,
                                      weightGradient: UnsafeMutablePointer<Float>?, biasGradient: UnsafeMutablePointer<Float>?,
                                      hiddenGradient: UnsafeMutablePointer<Float>?,
                                      exclude: ((_ row: Int, _ logits: UnsafeMutablePointer<Float>) -> Void)?) -> Double {
        let m = targetRows.count
        let capacity = max(1, min(chunkRows, m))
        let gathered = FloatBuffer(count: capacity * c)
        let gatheredGradient = FloatBuffer(count: hiddenGradient == nil ? 0 : capacity * c)
        var gatheredTargets = [Int32](repeating: 0, count: capacity)
        hiddenGradient?.update(repeating: 0, count: n * c)
        var total = 0.0
        var start = 0
        while start < m {
            let count = min(chunkRows, m - start)
            for r in 0..<count {
                let row = targetRows[start + r]
                (gathered.pointer + r * c).update(from: hidden + row * c, count: c)
                gatheredTargets[r] = targets[row]
            }
            Linear.forward(output: logits, input: gathered.pointer, weight: weight, bias: nil, rows: count, inputs: c, outputs: v)
            if let exclude { for r in 0..<count { exclude(targetRows[start + r], logits + r * v) } }
            total += gatheredTargets.withUnsafeBufferPointer {
                softmaxInPlace(logits: logits, bias: bias, targets: $0.baseAddress!, rows: count, vocabulary: v,
                               gradientScale: weightGradient != nil ? gradientScale : nil)
            }
            if let weightGradient {
                Linear.backward(inputGradient: hiddenGradient == nil ? nil : gatheredGradient.pointer, weightGradient: weightGradient,
                                biasGradient: biasGradient, outputGradient: logits, input: gathered.pointer, weight: weight,
                                rows: count, inputs: c, outputs: v)
                if let hiddenGradient {
                    for r in 0..<count { (hiddenGradient + targetRows[start + r] * c).update(from: gatheredGradient.pointer + r * c, count: c) }
                }
            }
            start += count
        }
        return total
    }

    /// Replaces each row of logits by (softmax − onehot(target)) × scale when `gradientScale` is set;
    /// returns the summed loss −log softmax[target].
    static func softmaxInPlace(logits: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, targets: UnsafePointer<Int32>,
                               rows: Int, vocabulary v: Int, gradientScale: Float?) -> Double {
        typealias V = FastMath.Vector
        let lossPerRow = UnsafeMutableBufferPointer<Double>.allocate(capacity: rows)
        defer { lossPerRow.deallocate() }
        let vectorEnd = v / 8 * 8
        parallelRows(rows, work: rows * v) { range in
            for r in range {
                let row = logits + r * v
                var maxVector = V(repeating: -.infinity)
                var j = 0
                while j < vectorEnd {
                    var x = load(row + j)
                    if let bias {
                        x += load(bias + j)
                        store(x, row + j)
                    }
                    maxVector = maxVector.replacing(with: x, where: x .> maxVector)
                    j += 8
                }
                var maximum = maxVector.max()
                while j < v {
                    if let bias { row[j] += bias[j] }
                    maximum = max(maximum, row[j])
                    j += 1
                }
                let target = Int(targets[r])
                let targetLogit = row[target]
                var sumVector = V()
                j = 0
                while j < vectorEnd {
                    let e = FastMath.exp(load(row + j) - maximum)
                    if gradientScale != nil { store(e, row + j) }
                    sumVector += e
                    j += 8
                }
                var sum = Double(sumVector.sum())
                while j < v {
                    let e = FastMath.exp(row[j] - maximum)
                    if gradientScale != nil { row[j] = e }
                    sum += Double(e)
                    j += 1
                }
                lossPerRow[r] = log(sum) + Double(maximum) - Double(targetLogit)
                if let scale = gradientScale {
                    let factor = V(repeating: scale / Float(sum))
                    j = 0
                    while j < vectorEnd { store(load(row + j) * factor, row + j); j += 8 }
                    while j < v { row[j] *= factor[0]; j += 1 }
                    row[target] -= scale
                }
            }
        }
        return lossPerRow.reduce(0, +)
    }
}

#if canImport(Glibc)
import Glibc
#endif
