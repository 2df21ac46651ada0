/// Vectorised exp, sigmoid and tanh on 8 lanes, accurate to a few ulp (Cephes polynomial
/// for exp with range reduction by ln 2; a rational function for tanh and sigmoid). libm's
/// scalar expf would cost more than the matrix products around it in the LSTM gates and the softmax.
public enum FastMath {
    public typealias Vector = SIMD8<Float>

    @_transparent
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

    /// σ(x) = ½ + ½·tanh(x/2): one rational function and one division, no exponential.
    @_transparent
    public static func sigmoid(_ x: Vector) -> Vector {
        0.5 + 0.5 * tanh(0.5 * x)
    }

    /// A rational minimax approximation (odd degree-13 numerator over even degree-6
    /// denominator, as in Eigen) on x clamped to ±7.905, where tanh rounds to ±1 in Float;
    /// accurate to a few ulp. NaN passes through the clamps.
    @_transparent
    public static func tanh(_ x: Vector) -> Vector {
        let limit = Vector(repeating: 7.905_311_107_635_498)
        let clamped = x.replacing(with: -limit, where: x .< -limit).replacing(with: limit, where: x .> limit)
        let x2 = clamped * clamped
        var p = x2 * -2.760_768_477_423_55e-16 + 2.000_187_904_824_77e-13
        p = p * x2 + -8.604_671_522_137_35e-11
        p = p * x2 + 5.122_297_090_371_14e-08
        p = p * x2 + 1.485_722_357_179_79e-05
        p = p * x2 + 6.372_619_288_754_36e-04
        p = p * x2 + 4.893_524_558_917_86e-03
        p = p * clamped
        var q = x2 * 1.198_258_394_667_02e-06 + 1.185_347_056_866_54e-04
        q = q * x2 + 2.268_434_632_439_00e-03
        q = q * x2 + 4.893_525_185_543_85e-03
        return p / q
    }

    /// The sum of the lanes.
    @_transparent
    public static func sum(_ v: Vector) -> Float {
        let quad = v.lowHalf + v.highHalf
        let pair = quad.lowHalf + quad.highHalf
        return pair[0] + pair[1]
    }

    /// Scalar versions (same formulas) for tails.
    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(Vector(repeating: x))[0] }
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { sigmoid(Vector(repeating: x))[0] }
    @inline(__always)
    public static func tanh(_ x: Float) -> Float { tanh(Vector(repeating: x))[0] }
}
