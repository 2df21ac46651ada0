import CBLAS
import Synchronization

/// Matrix products through OpenBLAS. Matrices are row-major; `transposeA`/`transposeB`
/// use A or B transposed. C = alpha · op(A) · op(B) + beta · C, with C of M×N and K the
/// shared dimension; `lda`, `ldb`, `ldc` are the row strides of the stored matrices.
public enum BLAS {
    @inline(__always)
    public static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for row in 0..<m { for col in 0..<n { c[row * ldc + col] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y, A row-major m×n (op = transpose when `transpose`).
    @inline(__always)
    public static func gemv(transpose: Bool = false, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// Runs `body` with OpenBLAS on one thread, for code that splits work over the cores itself
    /// and calls BLAS from each. Nested and concurrent uses are counted, so the thread count
    /// the process chose comes back when the last one ends.
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        singleThreadedUsers.withLock { state in
            if state.users == 0 {
                state.saved = threads
                setThreads(1)
            }
            state.users += 1
        }
        defer {
            singleThreadedUsers.withLock { state in
                state.users -= 1
                if state.users == 0 { setThreads(state.saved) }
            }
        }
        return try body()
    }

    /// The thread count the process chose (`threads` outside `singleThreaded`), which is how
    /// many cores code that splits work itself should use.
    public static var processThreads: Int {
        singleThreadedUsers.withLock { state in state.users > 0 ? state.saved : threads }
    }

    private static let singleThreadedUsers = Mutex<(users: Int, saved: Int)>((0, 1))

    /// Sets the number of threads OpenBLAS uses for one product.
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// The CPU kernel set OpenBLAS chose (e.g. "Haswell", "SkylakeX", "Zen", or "Prescott": generic).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration and the CPU kernel set it chose (for `doctor`).
    public static var configuration: String {
        "\(String(cString: openblas_get_config())), kernels for \(String(cString: openblas_get_corename()))"
    }

    /// The number of threads OpenBLAS uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
