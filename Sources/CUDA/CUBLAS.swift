import CCUDA

/// A cuBLAS handle on a context; products in the engine's row-major convention.
public final class CUBLAS: @unchecked Sendable {
    private let api: CCUDACUBLASAPI
    private let handle: cublasHandle_t?
    let context: CUDAContext
    /// How the products multiply (data and accumulation stay fp32 in every mode).
    public var precision: Precision = .fp32

    public init(context: CUDAContext) throws {
        api = try CUDALibraries.cublas.get()
        self.context = context
        var handle: cublasHandle_t?
        let status = api.cublasCreate(&handle)
        guard status == 0 else { throw CUDAError.cublas(call: "cublasCreate", status: status) }
        self.handle = handle
    }

    deinit { _ = api.cublasDestroy(handle) }

    /// cuBLAS's version (e.g. 120904).
    public func version() throws -> Int {
        var version: Int32 = 0
        let status = api.cublasGetVersion(handle, &version)
        guard status == 0 else { throw CUDAError.cublas(call: "cublasGetVersion", status: status) }
        return Int(version)
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major (as `BLAS.gemm` on the CPU):
    /// cuBLAS is column-major, so it computes Cᵀ = op(B)ᵀ · op(A)ᵀ.
    public func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: DeviceBuffer, lda: Int, b: DeviceBuffer, ldb: Int, beta: Float = 0, c: DeviceBuffer, ldc: Int) throws {
        try gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: lda,
                 b: b.pointer, ldb: ldb, beta: beta, c: c.pointer, ldc: ldc)
    }

    /// The same product on device addresses (operands inside larger buffers); nothing happens when m, n or k is 0
    /// except C = beta · C when k is 0.
    public func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: CUdeviceptr, lda: Int, b: CUdeviceptr, ldb: Int, beta: Float = 0, c: CUdeviceptr, ldc: Int) throws {
        if m == 0 || n == 0 { return }
        var alpha = alpha, beta = beta
        if let computeType = precision.computeType {
            let status = api.cublasGemmEx(handle, Int32(transposeB ? CCUDA_CUBLAS_OP_T : CCUDA_CUBLAS_OP_N),
                                          Int32(transposeA ? CCUDA_CUBLAS_OP_T : CCUDA_CUBLAS_OP_N), Int32(n), Int32(m), Int32(k), &alpha,
                                          UnsafeRawPointer(bitPattern: UInt(b)), CCUDA_R_32F, Int32(ldb),
                                          UnsafeRawPointer(bitPattern: UInt(a)), CCUDA_R_32F, Int32(lda), &beta,
                                          UnsafeMutableRawPointer(bitPattern: UInt(c)), CCUDA_R_32F, Int32(ldc), computeType,
                                          CCUDA_CUBLAS_GEMM_DEFAULT)
            guard status == 0 else { throw CUDAError.cublas(call: "cublasGemmEx", status: status) }
            return
        }
        let status = api.cublasSgemm(handle, Int32(transposeB ? CCUDA_CUBLAS_OP_T : CCUDA_CUBLAS_OP_N),
                                     Int32(transposeA ? CCUDA_CUBLAS_OP_T : CCUDA_CUBLAS_OP_N), Int32(n), Int32(m), Int32(k), &alpha,
                                     UnsafePointer(bitPattern: UInt(b)), Int32(ldb), UnsafePointer(bitPattern: UInt(a)), Int32(lda),
                                     &beta, UnsafeMutablePointer(bitPattern: UInt(c)), Int32(ldc))
        guard status == 0 else { throw CUDAError.cublas(call: "cublasSgemm", status: status) }
    }

    /// `batches` independent row-major products C_i = alpha · op(A_i) · op(B_i) + beta · C_i, the
    /// i-th operands `stride…` floats after the first (attention's per-sequence, per-head products).
    public func gemmBatched(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: DeviceBuffer, lda: Int, strideA: Int, b: DeviceBuffer, ldb: Int, strideB: Int, beta: Float = 0,
                            c: DeviceBuffer, ldc: Int, strideC: Int, batches: Int) throws {
        try gemmBatched(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: lda, strideA: strideA,
                        b: b.pointer, ldb: ldb, strideB: strideB, beta: beta, c: c.pointer, ldc: ldc, strideC: strideC, batches: batches)
    }

    /// The same batched product on device addresses (operands inside larger buffers, e.g. one head's columns).
    public func gemmBatched(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: CUdeviceptr, lda: Int, strideA: Int, b: CUdeviceptr, ldb: Int, strideB: Int, beta: Float = 0,
                            c: CUdeviceptr, ldc: Int, strideC: Int, batches: Int) throws {
        if m == 0 || n == 0 || batches == 0 { return }
        var alpha = alpha, beta = beta
        if let computeType = precision.computeType {
            let status = api.cublasGemmStridedBatchedEx(handle, Int32(transposeB ? CCUDA_CUBLAS_OP_T : CCUDA_CUBLAS_OP_N),
                                                        Int32(transposeA ? CCUDA_CUBLAS_OP_T : CCUDA_CUBLAS_OP_N), Int32(n), Int32(m), Int32(k),
                                                        &alpha, UnsafeRawPointer(bitPattern: UInt(b)), CCUDA_R_32F, Int32(ldb), Int64(strideB),
                                                        UnsafeRawPointer(bitPattern: UInt(a)), CCUDA_R_32F, Int32(lda), Int64(strideA), &beta,
                                                        UnsafeMutableRawPointer(bitPattern: UInt(c)), CCUDA_R_32F, Int32(ldc), Int64(strideC),
                                                        Int32(batches), computeType, CCUDA_CUBLAS_GEMM_DEFAULT)
            guard status == 0 else { throw CUDAError.cublas(call: "cublasGemmStridedBatchedEx", status: status) }
            return
        }
        let status = api.cublasSgemmStridedBatched(handle, Int32(transposeB ? CCUDA_CUBLAS_OP_T : CCUDA_CUBLAS_OP_N),
                                                   Int32(transposeA ? CCUDA_CUBLAS_OP_T : CCUDA_CUBLAS_OP_N), Int32(n), Int32(m), Int32(k),
                                                   &alpha, UnsafePointer(bitPattern: UInt(b)), Int32(ldb), Int64(strideB),
                                                   UnsafePointer(bitPattern: UInt(a)), Int32(lda), Int64(strideA), &beta,
                                                   UnsafeMutablePointer(bitPattern: UInt(c)), Int32(ldc), Int64(strideC), Int32(batches))
        guard status == 0 else { throw CUDAError.cublas(call: "cublasSgemmStridedBatched", status: status) }
    }
}
