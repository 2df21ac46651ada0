import Engine
import Foundation

/// OpenBLAS chooses its kernels by CPU model when it loads and falls back to generic SSE3 code
/// ("Prescott") on models it does not know: newer CPUs and virtual machines that report a generic
/// model. On such a 2-core Sapphire Rapids VM the matrix products ran 6–8× slower than with the
/// AVX-512 kernels the CPU has (`bench gemm`: 33–47 vs 267–295 GFLOP/s). OPENBLAS_CORETYPE picks the
/// kernels, but only before the library initialises, so the process starts itself again with it.
public enum BLASKernels {
    /// The kernel set the CPU's features allow when OpenBLAS fell back to generic code, else nil.
    static func betterCoreType(current: String, cpuFlags: Set<Substring>) -> String? {
        guard current.lowercased() == "prescott" else { return nil }
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags from /proc/cpuinfo (empty where unavailable).
    static func cpuFlags() -> Set<Substring> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " "))
    }

    /// Restarts this process with OPENBLAS_CORETYPE set when OpenBLAS chose generic kernels for a
    /// CPU that has better ones. Does nothing when the variable is already set (by the user, or
    /// by the restart itself) or when the restart fails (the process then runs as it would have).
    public static func restartWithFasterKernelsIfNeeded() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let core = betterCoreType(current: BLAS.coreName, cpuFlags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
