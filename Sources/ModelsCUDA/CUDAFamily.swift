import CUDA
import Engine
import Models

/// A model family whose steps run on CUDA. Each family's conformance sits in its CUDA step's
/// file; `--device` finds the family's step through this protocol and nothing else.
public protocol CUDAFamily: ModelFamily {
    /// Why these settings cannot run on CUDA (said as a command-line error), or nil.
    var cudaProblem: String? { get }
    /// The family's step on the GPU of `context`, over the model's flat `parameters`.
    func makeCUDAStep(parameters: ParameterSet, precision: Precision, context: CUDAContext) throws -> any CUDAModelStep
}

extension CUDAFamily {
    public var cudaProblem: String? { nil }
}

/// A model's step on one GPU.
public protocol CUDAModelStep: StepAccelerator {
    /// The GPU's index (for NVML readings in progress lines).
    var gpuIndex: Int { get }
}

extension CUDALSTMStep: CUDAModelStep {}
extension CUDASASRecStep: CUDAModelStep {}
extension CUDAGRU4RecStep: CUDAModelStep {}
