import Core
import Engine
import Foundation

/// Each GPU kernel against the CPU op it mirrors, run on a GPU: what `trajectory doctor` does
/// on every GPU it finds (the device machines have no Swift toolchain, so the check ships in
/// the binary), and what the CUDA tests call where a GPU is present.
public struct KernelSelfTest {
    /// One kernel's check: passed, and the largest error against the CPU.
    public struct Result: Sendable, Codable, Equatable {
        public var name: String
        public var passed: Bool
        public var maxError: Float
    }

    public let context: CUDAContext
    let module: CUDAModule

    /// Compiles the engine's kernels for `context`'s GPU and loads them.
    public init(context: CUDAContext) throws {
        self.context = context
        module = try context.loadModule(ptx: try NVRTC.compile(CUDAKernelSource.engine, name: "engine.cu",
                                                                architecture: context.device.architecture))
    }

    /// One check: its name, the largest error it measures, and the error allowed.
    public typealias Check = (name: String, measure: () throws -> Float, tolerance: Float)

    /// The engine's kernels against the CPU ops they mirror.
    public var kernelChecks: [Check] {
        [
            ("softmax_cross_entropy", softmaxCrossEntropy, 1e-5), ("layer_norm", layerNorm, 1e-4), ("adam_update", adam, 1e-5),
            ("embedding", embedding, 1e-6), ("gelu", gelu, 1e-5), ("relu", relu, 0), ("add_bias", addBias, 1e-6),
            ("lstm_cell", lstmCell, 1e-5), ("gru_cell", gruCell, 1e-5), ("dropout", dropout, 0),
            ("causal_attention", causalAttention, 1e-5), ("gradient_norm", gradientNorm, 1e-5),
            ("cublas_gemm", gemm, 1e-4), ("cublas_gemm_tf32", gemmTF32, 1e-2), ("cublas_gemm_bf16", gemmBF16, 5e-2),
            ("cublas_gemm_fp16", gemmFP16, 1e-2),
        ]
    }

    /// Runs the kernel checks and `more` (whole models' steps, from `ModelsCUDA`); a check that
    /// throws counts as failed.
    public func run(adding more: [Check] = []) -> [Result] {
        let checks = kernelChecks + more
        return checks.map { name, check, tolerance in
            do {
                let error = try check()
                return Result(name: name, passed: error <= tolerance, maxError: error)
            } catch {
                return Result(name: name + " (\(error))", passed: false, maxError: .infinity)
            }
        }
    }

    /// Largest |a − b| / max(1, |b|).
    public static func error(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
    }

    public static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float(random.unit() * 2 - 1) * scale }
    }

    static func blocks(_ n: Int) -> (Int, Int, Int) { ((n + 255) / 256, 1, 1) }

    func softmaxCrossEntropy() throws -> Float {
        let (rows, v) = (5, 300)
        let logits = Self.random(rows * v, seed: 1, scale: 3), bias = Self.random(v, seed: 2)
        let targets: [Int32] = [4, 0, 299, 1, 150]  // row 1 is context only
        let deviceLogits = try context.upload(logits), loss = try context.allocate(floats: rows)
        try module.launch(.softmaxCrossEntropy, grid: (rows, 1, 1), block: (256, 1, 1),
                          arguments: [.buffer(deviceLogits), .buffer(try context.upload(bias)), .buffer(try context.upload(targets)),
                                      .buffer(loss), .int32(Int32(rows)), .int32(Int32(v)), .float(0.5), .int32(1)])
        try context.synchronize()
        let gradient = try context.download(deviceLogits), losses = try context.download(loss)
        var expectedGradient: [Float] = [], expectedLoss: [Float] = []
        for r in 0..<rows {
            let z = (0..<v).map { Double(logits[r * v + $0] + bias[$0]) }
            let m = z.max()!, sum = z.reduce(0) { $0 + exp($1 - m) }
            let target = Int(targets[r])
            expectedLoss.append(target == 0 ? 0 : Float(log(sum) + m - z[target]))
            expectedGradient += (0..<v).map { j in target == 0 ? 0 : Float(0.5 * exp(z[j] - m) / sum) - (j == target ? 0.5 : 0) }
        }
        return max(Self.error(gradient, expectedGradient), Self.error(losses, expectedLoss) / 10)
    }

    func layerNorm() throws -> Float {
        let (rows, c) = (7, 64)
        let x = Self.random(rows * c, seed: 3, scale: 2), w = Self.random(c, seed: 4), b = Self.random(c, seed: 5)
        let dy = Self.random(rows * c, seed: 6)
        var y = [Float](repeating: 0, count: rows * c), mean = [Float](repeating: 0, count: rows), rstd = mean
        var dx = [Float](repeating: 0.25, count: rows * c), dw = [Float](repeating: 0, count: c), db = dw
        LayerNorm.forward(output: &y, mean: &mean, inverseStd: &rstd, input: x, weight: w, bias: b, rows: rows, channels: c)
        LayerNorm.backward(inputGradient: &dx, weightGradient: &dw, biasGradient: &db, outputGradient: dy, input: x, weight: w,
                           mean: mean, inverseStd: rstd, rows: rows, channels: c)
        let gx = try context.upload(x), gw = try context.upload(w), gb = try context.upload(b), gy = try context.allocate(floats: rows * c)
        let gMean = try context.allocate(floats: rows), gRstd = try context.allocate(floats: rows)
        try module.launch(.layerNormForward, grid: (rows, 1, 1), block: (64, 1, 1),
                          arguments: [.buffer(gy), .buffer(gMean), .buffer(gRstd), .buffer(gx), .buffer(gw), .buffer(gb),
                                      .int32(Int32(rows)), .int32(Int32(c)), .float(1e-5)])
        let gdx = try context.upload([Float](repeating: 0.25, count: rows * c))
        let gdw = try context.upload([Float](repeating: 0, count: c)), gdb = try context.upload([Float](repeating: 0, count: c))
        try module.launch(.layerNormBackward, grid: (rows, 1, 1), block: (64, 1, 1),
                          arguments: [.buffer(gdx), .buffer(gdw), .buffer(gdb), .buffer(try context.upload(dy)), .buffer(gx), .buffer(gw),
                                      .buffer(gMean), .buffer(gRstd), .int32(Int32(rows)), .int32(Int32(c))])
        try context.synchronize()
        return [Self.error(try context.download(gy), y), Self.error(try context.download(gdx), dx),
                Self.error(try context.download(gdw), dw), Self.error(try context.download(gdb), db)].max()!
    }

    func adam() throws -> Float {
        let n = 1000
        let parameters = Self.random(n, seed: 7), gradients = Self.random(n, seed: 8)
        let optimizer = AdamOptimizer(parameterCount: n, learningRate: 1e-2, weightDecay: 0.1)
        var expected = parameters
        optimizer.update(parameters: &expected, gradients: gradients, count: n)
        let p = try context.upload(parameters)
        let m = try context.upload([Float](repeating: 0, count: n)), v = try context.upload([Float](repeating: 0, count: n))
        // Step 1: stepSize = lr / (1 − β1), root2 = √(1 − β2), decay = 1 − lr · weight decay.
        try module.launch(.adamUpdate, grid: Self.blocks(n), block: (256, 1, 1),
                          arguments: [.buffer(p), .buffer(try context.upload(gradients)), .buffer(m), .buffer(v), .int32(Int32(n)),
                                      .float(1e-2 / (1 - 0.9)), .float(0.9), .float(0.999), .float(1e-8),
                                      .float((1 - 0.999 as Float).squareRoot()), .float(1 - 1e-2 * 0.1)])
        try context.synchronize()
        return max(Self.error(try context.download(p), expected), Self.error(try context.download(m), optimizer.firstMoment.array))
    }

    func embedding() throws -> Float {
        let (vocabulary, c) = (10, 8)
        let table = Self.random(vocabulary * c, seed: 9)
        let ids: [Int32] = [3, 0, 3, 9, 1]
        let dout = Self.random(ids.count * c, seed: 10)
        var out = [Float](repeating: 0, count: ids.count * c), dtable = [Float](repeating: 0, count: vocabulary * c)
        Embedding.forward(output: &out, ids: ids, count: ids.count, weight: table, channels: c)
        Embedding.backward(weightGradient: &dtable, outputGradient: dout, ids: ids, count: ids.count, channels: c)
        let gids = try context.upload(ids), gout = try context.allocate(floats: ids.count * c)
        let gtable = try context.upload([Float](repeating: 0, count: vocabulary * c))
        try module.launch(.embeddingForward, grid: Self.blocks(ids.count * c), block: (256, 1, 1),
                          arguments: [.buffer(gout), .buffer(gids), .buffer(try context.upload(table)), .int32(Int32(ids.count)), .int32(Int32(c))])
        try module.launch(.embeddingBackward, grid: Self.blocks(ids.count * c), block: (256, 1, 1),
                          arguments: [.buffer(gtable), .buffer(try context.upload(dout)), .buffer(gids), .int32(Int32(ids.count)), .int32(Int32(c))])
        try context.synchronize()
        return max(Self.error(try context.download(gout), out), Self.error(try context.download(gtable), dtable))
    }

    func gelu() throws -> Float {
        let n = 513
        let x = Self.random(n, seed: 11, scale: 4), dy = Self.random(n, seed: 12)
        var y = [Float](repeating: 0, count: n), dx = y
        GELU.forward(output: &y, input: x, count: n)
        GELU.backward(inputGradient: &dx, outputGradient: dy, input: x, count: n)
        let gx = try context.upload(x), gy = try context.allocate(floats: n), gdx = try context.allocate(floats: n)
        try module.launch(.geluForward, grid: Self.blocks(n), block: (256, 1, 1), arguments: [.buffer(gy), .buffer(gx), .int32(Int32(n))])
        try module.launch(.geluBackward, grid: Self.blocks(n), block: (256, 1, 1),
                          arguments: [.buffer(gdx), .buffer(try context.upload(dy)), .buffer(gx), .int32(Int32(n))])
        try context.synchronize()
        return max(Self.error(try context.download(gy), y), Self.error(try context.download(gdx), dx))
    }

    func relu() throws -> Float {
        let n = 300
        let x = Self.random(n, seed: 13), dy = Self.random(n, seed: 14)
        let gx = try context.upload(x), gy = try context.allocate(floats: n), gdx = try context.allocate(floats: n)
        try module.launch(.reluForward, grid: Self.blocks(n), block: (256, 1, 1), arguments: [.buffer(gy), .buffer(gx), .int32(Int32(n))])
        try module.launch(.reluBackward, grid: Self.blocks(n), block: (256, 1, 1),
                          arguments: [.buffer(gdx), .buffer(try context.upload(dy)), .buffer(gx), .int32(Int32(n))])
        try context.synchronize()
        return max(Self.error(try context.download(gy), x.map { max(0, $0) }),
                   Self.error(try context.download(gdx), zip(x, dy).map { $0 > 0 ? $1 : 0 }))
    }

    func addBias() throws -> Float {
        let (rows, columns) = (9, 37)
        let x = Self.random(rows * columns, seed: 15), bias = Self.random(columns, seed: 16)
        let gx = try context.upload(x), gdb = try context.upload([Float](repeating: 1, count: columns))
        try module.launch(.addBias, grid: Self.blocks(rows * columns), block: (256, 1, 1),
                          arguments: [.buffer(gx), .buffer(try context.upload(bias)), .int32(Int32(rows)), .int32(Int32(columns))])
        try module.launch(.biasBackward, grid: Self.blocks(columns), block: (256, 1, 1),
                          arguments: [.buffer(gdb), .buffer(try context.upload(x)), .int32(Int32(rows)), .int32(Int32(columns))])
        try context.synchronize()
        let expectedSums = (0..<columns).map { c in 1 + (0..<rows).reduce(Float(0)) { $0 + x[$1 * columns + c] } }
        return max(Self.error(try context.download(gx), (0..<(rows * columns)).map { x[$0] + bias[$0 % columns] }),
                   Self.error(try context.download(gdb), expectedSums))
    }

    static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    /// One LSTM step forward and backward against the cell's equations (PyTorch's i, f, g, o).
    func lstmCell() throws -> Float {
        let (rows, h) = (3, 40)
        let preactivations = Self.random(rows * 4 * h, seed: 20, scale: 2), cPrevious = Self.random(rows * h, seed: 21)
        let dh = Self.random(rows * h, seed: 22), dcNext = Self.random(rows * h, seed: 23)
        var activated = preactivations, c = cPrevious, hidden = [Float](repeating: 0, count: rows * h)
        var dgates = [Float](repeating: 0, count: rows * 4 * h), dcPrevious = dcNext
        for r in 0..<rows {
            for j in 0..<h {
                let base = r * 4 * h, k = r * h + j
                let i = Self.sigmoid(preactivations[base + j]), f = Self.sigmoid(preactivations[base + h + j])
                let g = tanhf(preactivations[base + 2 * h + j]), o = Self.sigmoid(preactivations[base + 3 * h + j])
                (activated[base + j], activated[base + h + j], activated[base + 2 * h + j], activated[base + 3 * h + j]) = (i, f, g, o)
                c[k] = f * cPrevious[k] + i * g
                let tc = tanhf(c[k])
                hidden[k] = o * tc
                let dcell = dcNext[k] + dh[k] * o * (1 - tc * tc)
                dgates[base + j] = dcell * g * i * (1 - i)
                dgates[base + h + j] = dcell * cPrevious[k] * f * (1 - f)
                dgates[base + 2 * h + j] = dcell * i * (1 - g * g)
                dgates[base + 3 * h + j] = dh[k] * tc * o * (1 - o)
                dcPrevious[k] = dcell * f
            }
        }
        let gGates = try context.upload(preactivations), gc = try context.upload(cPrevious), gh = try context.allocate(floats: rows * h)
        try module.launch(.lstmCellForward, grid: Self.blocks(rows * h), block: (256, 1, 1),
                          arguments: [.buffer(gGates), .buffer(gc), .buffer(gh), .int32(Int32(rows)), .int32(Int32(h))])
        let gdGates = try context.allocate(floats: rows * 4 * h), gdc = try context.upload(dcNext)
        try module.launch(.lstmCellBackward, grid: Self.blocks(rows * h), block: (256, 1, 1),
                          arguments: [.buffer(gdGates), .buffer(gdc), .buffer(gGates), .buffer(try context.upload(cPrevious)), .buffer(gc),
                                      .buffer(try context.upload(dh)), .int32(Int32(rows)), .int32(Int32(h))])
        try context.synchronize()
        return [Self.error(try context.download(gGates), activated), Self.error(try context.download(gc), c),
                Self.error(try context.download(gh), hidden), Self.error(try context.download(gdGates), dgates),
                Self.error(try context.download(gdc), dcPrevious)].max()!
    }

    /// One GRU step forward and backward against the cell's equations (PyTorch's r, z, n).
    func gruCell() throws -> Float {
        let (rows, h) = (3, 40)
        let inputGates = Self.random(rows * 3 * h, seed: 24, scale: 2), hiddenGates = Self.random(rows * 3 * h, seed: 25, scale: 2)
        let hPrevious = Self.random(rows * h, seed: 26), dh = Self.random(rows * h, seed: 27)
        var activated = inputGates, hidden = [Float](repeating: 0, count: rows * h)
        var dInput = [Float](repeating: 0, count: rows * 3 * h), dHidden = dInput, dhPrevious = hidden
        for r in 0..<rows {
            for j in 0..<h {
                let base = r * 3 * h, k = r * h + j
                let reset = Self.sigmoid(inputGates[base + j] + hiddenGates[base + j])
                let update = Self.sigmoid(inputGates[base + h + j] + hiddenGates[base + h + j])
                let hn = hiddenGates[base + 2 * h + j]
                let candidate = tanhf(inputGates[base + 2 * h + j] + reset * hn)
                (activated[base + j], activated[base + h + j], activated[base + 2 * h + j]) = (reset, update, candidate)
                hidden[k] = (1 - update) * candidate + update * hPrevious[k]
                let dn = dh[k] * (1 - update) * (1 - candidate * candidate)
                let dz = dh[k] * (hPrevious[k] - candidate) * update * (1 - update)
                let dr = dn * hn * reset * (1 - reset)
                (dInput[base + j], dInput[base + h + j], dInput[base + 2 * h + j]) = (dr, dz, dn)
                (dHidden[base + j], dHidden[base + h + j], dHidden[base + 2 * h + j]) = (dr, dz, dn * reset)
                dhPrevious[k] = dh[k] * update
            }
        }
        let gInput = try context.upload(inputGates), gHidden = try context.upload(hiddenGates), gPrevious = try context.upload(hPrevious)
        let gh = try context.allocate(floats: rows * h)
        try module.launch(.gruCellForward, grid: Self.blocks(rows * h), block: (256, 1, 1),
                          arguments: [.buffer(gInput), .buffer(gHidden), .buffer(gPrevious), .buffer(gh), .int32(Int32(rows)), .int32(Int32(h))])
        let gdInput = try context.allocate(floats: rows * 3 * h), gdHidden = try context.allocate(floats: rows * 3 * h)
        let gdPrevious = try context.allocate(floats: rows * h)
        try module.launch(.gruCellBackward, grid: Self.blocks(rows * h), block: (256, 1, 1),
                          arguments: [.buffer(gdInput), .buffer(gdHidden), .buffer(gdPrevious), .buffer(gInput), .buffer(gHidden),
                                      .buffer(gPrevious), .buffer(try context.upload(dh)), .int32(Int32(rows)), .int32(Int32(h))])
        try context.synchronize()
        return [Self.error(try context.download(gInput), activated), Self.error(try context.download(gh), hidden),
                Self.error(try context.download(gdInput), dInput), Self.error(try context.download(gdHidden), dHidden),
                Self.error(try context.download(gdPrevious), dhPrevious)].max()!
    }

    /// Inverted dropout: every mask value 0 or 1/(1 − p), the kept share near 1 − p, the same
    /// mask for the same seed, and backward multiplying by it. Returns 0 or 1 (failed).
    func dropout() throws -> Float {
        let (n, p): (Int, Float) = (100_000, 0.3)
        let x = Self.random(n, seed: 28), dy = Self.random(n, seed: 29)
        func run() throws -> ([Float], [Float]) {
            let values = try context.upload(x), mask = try context.allocate(floats: n)
            try module.launch(.dropoutForward, grid: Self.blocks(n), block: (256, 1, 1),
                              arguments: [.buffer(values), .buffer(mask), .int32(Int32(n)), .float(p), .int32(12345), .int32(678)])
            try context.synchronize()
            return (try context.download(values), try context.download(mask))
        }
        let (y, mask) = try run()
        let scale = 1 / (1 - p)
        let kept = mask.filter { $0 != 0 }.count
        guard mask.allSatisfy({ $0 == 0 || $0 == scale }), abs(Float(kept) / Float(n) - (1 - p)) < 0.01,
              zip(zip(x, mask), y).allSatisfy({ $0.0 * $0.1 == $1 }), try run().1 == mask else { return 1 }
        let gradient = try context.upload(dy)
        try module.launch(.dropoutBackward, grid: Self.blocks(n), block: (256, 1, 1),
                          arguments: [.buffer(gradient), .buffer(try context.upload(mask)), .int32(Int32(n))])
        try context.synchronize()
        return try context.download(gradient) == zip(dy, mask).map { $0 * $1 } ? 0 : 1
    }

    /// Attention probabilities for left-padded windows (scores from a batched cuBLAS product
    /// Q·Kᵀ), forward and backward, against the masked softmax computed directly.
    func causalAttention() throws -> Float {
        let (batch, heads, t, d) = (3, 2, 9, 4)
        let pads: [Int32] = [0, 4, 8]
        let scale = 1 / Float(d).squareRoot()
        let q = Self.random(batch * heads * t * d, seed: 30), k = Self.random(batch * heads * t * d, seed: 31)
        let dp = Self.random(batch * heads * t * t, seed: 32)
        var probabilities = [Float](repeating: 0, count: batch * heads * t * t), dScores = probabilities
        for bh in 0..<(batch * heads) {
            let pad = Int(pads[bh / heads])
            for query in pad..<t {
                let keys = pad...query
                let raw = keys.map { key in (0..<d).reduce(Float(0)) { $0 + q[(bh * t + query) * d + $1] * k[(bh * t + key) * d + $1] } * scale }
                let maximum = raw.max()!
                let e = raw.map { expf($0 - maximum) }
                let sum = e.reduce(0, +)
                for (n, key) in keys.enumerated() { probabilities[(bh * t + query) * t + key] = e[n] / sum }
                let row = (bh * t + query) * t
                let dot = (0..<t).reduce(Float(0)) { $0 + dp[row + $1] * probabilities[row + $1] }
                for key in 0..<t { dScores[row + key] = scale * probabilities[row + key] * (dp[row + key] - dot) }
            }
        }
        let gq = try context.upload(q), gk = try context.upload(k), scores = try context.allocate(floats: batch * heads * t * t)
        try CUBLAS(context: context).gemmBatched(transposeB: true, m: t, n: t, k: d, a: gq, lda: d, strideA: t * d, b: gk, ldb: d,
                                                 strideB: t * d, c: scores, ldc: t, strideC: t * t, batches: batch * heads)
        try module.launch(.causalSoftmaxForward, grid: (batch * heads * t, 1, 1), block: (32, 1, 1),
                          arguments: [.buffer(scores), .buffer(try context.upload(pads)), .int32(Int32(batch * heads)), .int32(Int32(heads)),
                                      .int32(Int32(t)), .float(scale)])
        let gradient = try context.upload(dp)
        try module.launch(.causalSoftmaxBackward, grid: (batch * heads * t, 1, 1), block: (32, 1, 1),
                          arguments: [.buffer(gradient), .buffer(scores), .int32(Int32(batch * heads * t)), .int32(Int32(t)), .float(scale)])
        try context.synchronize()
        // Rows of padded queries are all zero in both.
        for bh in 0..<(batch * heads) { for query in 0..<Int(pads[bh / heads]) { for key in 0..<t { dScores[(bh * t + query) * t + key] = 0 } } }
        return max(Self.error(try context.download(scores), probabilities), Self.error(try context.download(gradient), dScores))
    }

    /// The global norm's sum of squares in block partial sums, and scaling, against the CPU.
    func gradientNorm() throws -> Float {
        let n = 70_001
        let x = Self.random(n, seed: 33)
        let gx = try context.upload(x), partial = try context.allocate(floats: 64)
        try module.launch(.sumOfSquares, grid: (64, 1, 1), block: (256, 1, 1), arguments: [.buffer(partial), .buffer(gx), .int64(Int64(n))])
        try module.launch(.scaleValues, grid: Self.blocks(n), block: (256, 1, 1), arguments: [.buffer(gx), .int64(Int64(n)), .float(0.5)])
        try context.synchronize()
        let sum = try context.download(partial).reduce(0.0) { $0 + Double($1) }
        let expected = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        return max(Float(abs(sum - expected) / expected), Self.error(try context.download(gx), x.map { $0 * 0.5 }))
    }

    /// cuBLAS in every transpose combination against OpenBLAS, row-major.
    func gemm() throws -> Float { try gemm(precision: .fp32) }

    /// The same with tensor-core products (`--precision`): inputs rounded to TF32, bf16 or fp16.
    func gemmTF32() throws -> Float { try gemm(precision: .tf32) }
    func gemmBF16() throws -> Float { try gemm(precision: .bf16) }
    func gemmFP16() throws -> Float { try gemm(precision: .fp16) }

    func gemm(precision: Precision) throws -> Float {
        let (m, n, k) = (33, 17, 65)
        let blas = try CUBLAS(context: context)
        blas.precision = precision
        var worst: Float = 0
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Self.random(m * k, seed: 17), b = Self.random(k * n, seed: 18), c = Self.random(m * n, seed: 19)
            let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
            var expected = c
            BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
                      beta: 2, c: &expected, ldc: n)
            let gc = try context.upload(c)
            try blas.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                          a: try context.upload(a), lda: lda, b: try context.upload(b), ldb: ldb, beta: 2, c: gc, ldc: n)
            try context.synchronize()
            worst = max(worst, Self.error(try context.download(gc), expected))
        }
        return worst
    }
}
