import CCUDA

/// What every model's GPU step needs: the GPU's context, a cuBLAS handle multiplying in the
/// chosen precision, and the engine's kernels (compiled once per architecture, `KernelCache`),
/// with the two launch shapes the steps use.
final class CUDARuntime {
    let context: CUDAContext
    let blas: CUBLAS
    let module: CUDAModule
    /// E.g. "cuda:0 (NVIDIA H100 80GB HBM3)".
    let deviceName: String

    init(context: CUDAContext, precision: Precision) throws {
        self.context = context
        deviceName = "cuda:\(context.device.index) (\(context.device.name))"
        blas = try CUBLAS(context: context)
        blas.precision = precision
        module = try context.loadModule(ptx: try KernelCache.ptx(for: context.device))
    }

    /// One thread per element, 256 to a block.
    func launch(_ kernel: String, elements: Int, _ arguments: [KernelArgument]) throws {
        if elements == 0 { return }
        try module.launch(kernel, grid: ((elements + 255) / 256, 1, 1), block: (256, 1, 1), arguments: arguments)
    }

    /// One block of `threads` (a multiple of 32) per row: softmax and layer-norm rows.
    func launchRows(_ kernel: String, rows: Int, threads: Int = 64, _ arguments: [KernelArgument]) throws {
        if rows == 0 { return }
        try module.launch(kernel, grid: (rows, 1, 1), block: (threads, 1, 1), arguments: arguments)
    }

    /// db[c] += Σ_rows dy[r, c] for `columns` columns (one thread per column).
    func biasBackward(_ biasGradient: CUdeviceptr, _ outputGradient: CUdeviceptr, rows: Int, columns: Int) throws {
        try module.launch("bias_backward", grid: ((columns + 255) / 256, 1, 1), block: (256, 1, 1), arguments: [
            .address(biasGradient), .address(outputGradient), .int32(Int32(rows)), .int32(Int32(columns)),
        ])
    }
}
