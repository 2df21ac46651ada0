import CUDA
import Foundation
import Testing

/// Whether NVRTC can be loaded here, and whether the run insists on it (`make test` sets
/// TRAJECTORY_REQUIRE_NVRTC=1 after fetching it, so a missing compiler fails instead of skipping).
enum NVRTCAvailability {
    static let loaded = (try? CUDALibraries.nvrtc.get()) != nil
    static let required = ProcessInfo.processInfo.environment["TRAJECTORY_REQUIRE_NVRTC"] == "1"
}

/// The kernels compile with NVRTC, on any machine that has the compiler library (no GPU needed).
@Suite(.enabled(if: NVRTCAvailability.loaded || NVRTCAvailability.required, "NVRTC not found: run scripts/test/nvrtc.sh and set TRAJECTORY_CUDA_LIBRARY_PATH"))
struct KernelCompileTests {
    @Test(arguments: ["compute_80", "compute_90"])
    func everyKernelCompilesToPTX(architecture: String) throws {
        let ptx = try NVRTC.compile(CUDAKernelSource.engine, name: "engine.cu", architecture: architecture)
        #expect(ptx.contains(".target sm_\(architecture.dropFirst("compute_".count))"))
        for kernel in CUDAKernelSource.kernelNames {
            #expect(ptx.contains(".entry \(kernel)("), "no entry point for \(kernel)")
        }
    }

    @Test func aBrokenKernelGivesTheCompilersMessage() throws {
        #expect {
            _ = try NVRTC.compile("extern \"C\" __global__ void broken(float *x) { x[0] = undefined_name; }", name: "broken.cu")
        } throws: { error in
            guard case CUDAError.compile(let program, let log) = error else { return false }
            return program == "broken.cu" && log.contains("undefined_name")
        }
    }

    @Test func theCompilerReportsItsVersion() throws {
        let version = try NVRTC.version()
        #expect(version.major >= 11)
    }
}

/// Without the NVIDIA driver every entry point says which library is missing; with it, the
/// GPUs are listed.
@Suite struct DriverTests {
    @Test func devicesAreListedOrTheMissingDriverIsNamed() throws {
        switch CUDALibraries.driver {
        case .failure(let error):
            #expect("\(error)".contains("libcuda"))
            #expect(throws: CUDAError.self) { try CUDADevices.list() }
            #expect(throws: CUDAError.self) { try CUDAContext(ordinal: 0) }
        case .success:
            let devices = try CUDADevices.list()
            #expect(devices.allSatisfy { !$0.name.isEmpty && $0.memoryBytes > 0 && $0.multiprocessors > 0 })
            #expect(try CUDADevices.driverVersion() >= 11000)
        }
    }
}
