/// The engine's GPU kernels as CUDA C, compiled at run time by NVRTC (`NVRTC.compile`) for
/// the GPU at hand. Each mirrors a CPU op in Sources/Engine with the same row-major layouts,
/// so the CUDA backend and the CPU one can be checked against each other op by op.
/// Matrix products are not here: they go to cuBLAS.
public enum CUDAKernelSource {
    /// Every kernel, one translation unit: Sources/CUDA/Resources/engine.cu, embedded in the
    /// binary at build time.
    public static let engine = String(decoding: PackageResources.engine_cu, as: UTF8.self)

    /// The names of the kernels in `engine` (what `CUDAModule.launch` is called with).
    public static let kernelNames = ["add_bias", "bias_backward", "relu_forward", "relu_backward", "gelu_forward", "gelu_backward",
                                     "adam_update", "embedding_forward", "embedding_backward", "softmax_cross_entropy",
                                     "layer_norm_forward", "layer_norm_backward", "dropout_forward", "dropout_backward",
                                     "lstm_cell_forward", "lstm_cell_backward", "gru_cell_forward", "gru_cell_backward",
                                     "causal_softmax_forward", "causal_softmax_backward", "sum_of_squares", "scale_values",
                                     "add_scaled", "mask_history_logits", "lstm_cell_forward_step"]
}
