/// Vectorised exp, sigmoid and tanh on 8 lanes, accurate to a few ulp (Cephes polynomial
/// for exp with range reduction by ln 2). libm's scalar expf would cost more than the
/// matrix products around it in the LSTM gates and the softmax.
public enum FastMath {
    public typealias Vector = SIMD8<Float>

    @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        // Clamp to the range where expf is finite and normal (NaN passes through). `replacing`
        // inlines to vector blends; pointwiseMin/Max stay generic calls.
        let low = Vector(repeating: -87.3), high = Vector(repeating: 88.3)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // n = round(x / ln2) with the 1.5·2²³ trick (adding it pushes the fraction out; stays in
        // vector registers, unlike rounded(), which becomes a libm call per lane).
        let magic = Vector(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_04 + magic
        let n = shifted - magic
        // r = x − n·ln2, with ln2 split in two parts for accuracy.
        var r = clamped - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        let r2 = r * r
        var p = Vector(repeating: 1.987_569_1e-4)
        p = p * r + 1.398_199_9e-3
        p = p * r + 8.333_452e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_5e-1
        p = p * r + 5.000_000_1e-1
        let y = p * r2 + r + 1
        // 2ⁿ from the exponent bits: the low mantissa bits of `shifted` hold n.
        let bits = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return y * unsafeBitCast(bits, to: Vector.self)
    }

    @inline(__always)
    public static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + exp(-x))
    }

    @inline(__always)
    public static func tanh(_ x: Vector) -> Vector {
        // tanh(x) = 1 - 2 / (exp(2x) + 1), exact at the extremes; small |x| uses x·(1 - x²/3 …) to keep relative accuracy.
        let e = exp(x * 2)
        let big = 1 - 2 / (e + 1)
        let x2 = x * x
        let small = x * (1 + x2 * (-0.333_333_33 + x2 * (0.133_333_33 + x2 * -0.053_968_25)))
        return big.replacing(with: small, where: abs(x) .< 0.05)
    }

    /// Scalar versions (same formulas) for tails.
    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(Vector(repeating: x))[0] }
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { sigmoid(Vector(repeating: x))[0] }
    @inline(__always)
    public static func tanh(_ x: Float) -> Float { tanh(Vector(repeating: x))[0] }
}

@inline(__always)
func abs(_ v: SIMD8<Float>) -> SIMD8<Float> {
    v.replacing(with: -v, where: v .< 0)
}
