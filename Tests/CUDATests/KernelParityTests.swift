import CUDA
import ModelsCUDA
import Foundation
import Testing

/// Whether a GPU is here to run kernels on (the device machine; never this project's CPU hosts).
enum GPUAvailability {
    static let count = (try? CUDADevices.list().count) ?? 0
}

/// Each kernel against the CPU op it mirrors (`KernelSelfTest`, which `trajectory doctor` also
/// runs on every GPU). Skipped where there is no GPU.
@Suite(.enabled(if: GPUAvailability.count > 0 && NVRTCAvailability.loaded, "no GPU or no NVRTC here"))
struct KernelParityTests {
    @Test func everyKernelMatchesItsCPUOp() throws {
        let results = try KernelSelfTest(context: try CUDAContext(ordinal: 0)).runAll()
        #expect(results.count == 22)
        for result in results { #expect(result.passed, "\(result.name): max error \(result.maxError)") }
    }
}
