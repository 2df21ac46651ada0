/// The engine's GPU kernels as CUDA C, compiled at run time by NVRTC (`NVRTC.compile`) for
/// the GPU at hand. Each mirrors a CPU op in Sources/Engine with the same row-major layouts,
/// so the CUDA backend and the CPU one can be checked against each other op by op.
/// Matrix products are not here: they go to cuBLAS.
public enum CUDAKernelSource {
    /// Every kernel, one translation unit: Sources/CUDA/Resources/engine.cu, embedded in the
    /// binary at build time.
    public static let engine = String(decoding: PackageResources.engine_cu, as: UTF8.self)

    /// The names of the kernels in `engine` (`EngineKernel.all`'s).
    public static var kernelNames: [String] { EngineKernel.all.map(\.name) }
}
