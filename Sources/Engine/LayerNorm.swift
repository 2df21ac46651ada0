/// Layer normalisation over the last dimension C: y = (x − mean) / sqrt(var + eps) · weight + bias.
/// Keeps mean and 1/std per row for the backward pass.
public enum LayerNorm {
    public static func forward(output: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>,
                               input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               rows n: Int, channels c: Int, epsilon: Float = 1e-5) {
        parallelRows(n, work: n * c) { range in
            for r in range {
                let x = input + r * c
                let y = output + r * c
                // Eight lanes at a time where the width allows (every model here uses multiples
                // of 8): scalar float sums do not vectorise, and this runs for every position.
                let wide = c & ~7
                var sum8 = SIMD8<Float>()
                for j in stride(from: 0, to: wide, by: 8) { sum8 += UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) }
                var sum = sum8.sum()
                for j in wide..<c { sum += x[j] }
                let m = sum / Float(c)
                var variance8 = SIMD8<Float>()
                for j in stride(from: 0, to: wide, by: 8) {
                    let d = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) - m
                    variance8.addProduct(d, d)
                }
                var variance = variance8.sum()
                for j in wide..<c { let d = x[j] - m; variance += d * d }
                let s = 1 / (variance / Float(c) + epsilon).squareRoot()
                for j in stride(from: 0, to: wide, by: 8) {
                    let xv = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
                    let w = UnsafeRawPointer(weight + j).loadUnaligned(as: SIMD8<Float>.self)
                    let b = UnsafeRawPointer(bias + j).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(y + j).storeBytes(of: (xv - m) * s * w + b, as: SIMD8<Float>.self)
                }
                for j in wide..<c { y[j] = (x[j] - m) * s * weight[j] + bias[j] }
                mean[r] = m
                inverseStd[r] = s
            }
        }
    }

    /// Adds dInput (accumulates, as the input usually also feeds a residual path), dWeight and dBias.
    public static func backward(inputGradient: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                                biasGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>, rows n: Int, channels c: Int) {
        typealias V = SIMD8<Float>
        func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
        let wide = c & ~7  // eight lanes at a time; the scalar tails below cover other widths
        for r in 0..<n {
            let x = input + r * c, dy = outputGradient + r * c, dx = inputGradient + r * c
            let m = mean[r], s = inverseStd[r]
            var sumDyW = V(), sumDyWXhat = V()
            for j in stride(from: 0, to: wide, by: 8) {
                let xhat = (load(x + j) - m) * s
                let g = load(dy + j)
                let dyw = g * load(weight + j)
                sumDyW += dyw
                sumDyWXhat.addProduct(dyw, xhat)
                store(load(weightGradient + j) + g * xhat, weightGradient + j)
                store(load(biasGradient + j) + g, biasGradient + j)
            }
            var meanDyW = sumDyW.sum()
            var meanDyWXhat = sumDyWXhat.sum()
            for j in wide..<c {
                let xhat = (x[j] - m) * s
                let dyw = dy[j] * weight[j]
                meanDyW += dyw
                meanDyWXhat += dyw * xhat
                weightGradient[j] += dy[j] * xhat
                biasGradient[j] += dy[j]
            }
            meanDyW /= Float(c)
            meanDyWXhat /= Float(c)
            for j in stride(from: 0, to: wide, by: 8) {
                let xhat = (load(x + j) - m) * s
                store(load(dx + j) + (load(dy + j) * load(weight + j) - meanDyW - xhat * meanDyWXhat) * s, dx + j)
            }
            for j in wide..<c {
                let xhat = (x[j] - m) * s
                dx[j] += (dy[j] * weight[j] - meanDyW - xhat * meanDyWXhat) * s
            }
        }
    }
}
