import CCUDA
import Engine
import Foundation

/// What every model's GPU step needs: the GPU's context, a cuBLAS handle multiplying in the
/// chosen precision, and the engine's kernels (compiled once per architecture, `KernelCache`),
/// with the two launch shapes the steps use.
public final class CUDARuntime {
    public let context: CUDAContext
    public let blas: CUBLAS
    public let module: CUDAModule
    /// E.g. "cuda:0 (NVIDIA H100 80GB HBM3)".
    public let deviceName: String
    /// One step or scoring at a time: a model's step shares its activation buffers.
    private let lock = NSLock()

    public init(context: CUDAContext, precision: Precision) throws {
        self.context = context
        deviceName = "cuda:\(context.device.index) (\(context.device.name))"
        blas = try CUBLAS(context: context)
        blas.precision = precision
        module = try context.loadModule(ptx: try KernelCache.ptx(for: context.device))
    }

    /// One thread per element, 256 to a block.
    public func launch(_ kernel: EngineKernel, elements: Int, _ arguments: [KernelArgument]) throws {
        if elements == 0 { return }
        try module.launch(kernel, grid: ((elements + 255) / 256, 1, 1), block: (256, 1, 1), arguments: arguments)
    }

    /// One block of `threads` (a multiple of 32) per row: softmax and layer-norm rows.
    public func launchRows(_ kernel: EngineKernel, rows: Int, threads: Int = 64, _ arguments: [KernelArgument]) throws {
        if rows == 0 { return }
        try module.launch(kernel, grid: (rows, 1, 1), block: (threads, 1, 1), arguments: arguments)
    }

    /// db[c] += Σ_rows dy[r, c] for `columns` columns (one thread per column).
    public func biasBackward(_ biasGradient: CUdeviceptr, _ outputGradient: CUdeviceptr, rows: Int, columns: Int) throws {
        try module.launch(.biasBackward, grid: ((columns + 255) / 256, 1, 1), block: (256, 1, 1), arguments: [
            .address(biasGradient), .address(outputGradient), .int32(Int32(rows)), .int32(Int32(columns)),
        ])
    }

    /// Runs `body` alone on this runtime, with the context current on the calling thread
    /// (the trainer and the evaluator may call from different threads).
    public func exclusively<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        try context.makeCurrent()
        return try body()
    }

    /// The output layer fused with the loss, chunk by chunk, as `SoftmaxCrossEntropy` does on the
    /// CPU: logits = input · Wᵀ (+ bias), then `beforeSoftmax(first row, rows)` (e.g. masking),
    /// then the loss per row into `losses` and scale · (softmax − onehot) in place, then
    /// dW += dLogitsᵀ · input (and db), inputGradient = dLogits · W. `input` has `n` rows of `width`.
    public func softmaxCrossEntropy(input: CUdeviceptr, rows n: Int, width: Int, weight: CUdeviceptr, bias: CUdeviceptr?, vocabulary v: Int,
                             targets: DeviceBuffer, losses: DeviceBuffer, logits: DeviceBuffer, chunkRows: Int, scale: Float,
                             weightGradient: CUdeviceptr, biasGradient: CUdeviceptr?, inputGradient: CUdeviceptr,
                             beforeSoftmax: ((Int, Int) throws -> Void)? = nil) throws {
        var start = 0
        while start < n {
            let count = min(chunkRows, n - start)
            let rows = input + CUdeviceptr(start * width * 4)
            try blas.gemm(transposeB: true, m: count, n: v, k: width, a: rows, lda: width, b: weight, ldb: width, c: logits.pointer, ldc: v)
            try beforeSoftmax?(start, count)
            try launchRows(.softmaxCrossEntropy, rows: count, threads: 256, [
                .buffer(logits), .address(bias ?? 0), .address(targets.address(start)), .address(losses.address(start)),
                .int32(Int32(count)), .int32(Int32(v)), .float(scale), .int32(1),
            ])
            try blas.gemm(transposeA: true, m: v, n: width, k: count, a: logits.pointer, lda: v, b: rows, ldb: width,
                          beta: 1, c: weightGradient, ldc: width)
            if let biasGradient { try biasBackward(biasGradient, logits.pointer, rows: count, columns: v) }
            try blas.gemm(m: count, n: width, k: v, a: logits.pointer, lda: v, b: weight, ldb: width,
                          c: inputGradient + CUdeviceptr(start * width * 4), ldc: width)
            start += count
        }
    }

    /// The sum of the first `count` values of `losses`, on the host.
    public func sum(_ losses: DeviceBuffer, count: Int) throws -> Double {
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { try context.copy(losses, count: count, to: $0.baseAddress!) }
        return values.reduce(0.0) { $0 + Double($1) }
    }

    /// Scores of the histories still running at `layout`'s last step: their rows of `states`
    /// ([total, width], packed) against `weight` [V, width] (+ `bias`), written to the rows of
    /// `scores` they came from (`layout.order`); other rows of `scores` are left as they are.
    public func scoreLastStep(layout: PackedLayout, states: DeviceBuffer, width: Int, weight: CUdeviceptr, bias: CUdeviceptr?, vocabulary v: Int,
                       logits: DeviceBuffer, chunkRows: Int, scores: UnsafeMutablePointer<Float>) throws {
        let running = layout.active.last ?? 0, last = layout.offsets[layout.steps - 1]
        var chunk = [Float](repeating: 0, count: min(chunkRows, running) * v)
        var start = 0
        while start < running {
            let n = min(chunkRows, running - start)
            try blas.gemm(transposeB: true, m: n, n: v, k: width, a: states.address((last + start) * width), lda: width,
                          b: weight, ldb: width, c: logits.pointer, ldc: v)
            if let bias { try launch(.addBias, elements: n * v, [.buffer(logits), .address(bias), .int32(Int32(n)), .int32(Int32(v))]) }
            try chunk.withUnsafeMutableBufferPointer { try context.copy(logits, count: n * v, to: $0.baseAddress!) }
            for r in 0..<n {
                chunk.withUnsafeBufferPointer { (scores + layout.order[start + r] * v).update(from: $0.baseAddress! + r * v, count: v) }
            }
            start += n
        }
    }
}

extension PackedLayout {
    /// `targets` in packed order, and how many are items (0 marks padding or a context-only position).
    public func packedTargets(_ targets: UnsafePointer<Int32>) -> (values: [Int32], count: Int) {
        var values = [Int32](repeating: 0, count: total)
        values.withUnsafeMutableBufferPointer { pack(targets, into: $0.baseAddress!) }
        return (values, values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) })
    }
}
