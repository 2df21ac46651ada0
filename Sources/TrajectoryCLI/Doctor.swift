import ArgumentParser
import CUDA
import ModelsCUDA
import Engine
import Foundation

/// `trajectory doctor`: what this machine offers Trajectory (CPU, BLAS, CUDA, GPUs), each checked.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the CPU, BLAS, CUDA libraries and GPUs, with a matrix-product self-test on each.",
        discussion: """
        Reports the CPU and OpenBLAS (with a measured sgemm), then the NVIDIA driver, NVRTC, \
        cuBLAS and NVML as found at run time (nothing links against CUDA: a missing library \
        is reported, not fatal), and for each GPU its name, memory and compute capability, an \
        sgemm through cuBLAS checked against the CPU, and the engine's kernels compiled with \
        NVRTC, each checked against the CPU op it mirrors. Libraries outside the loader's path are found through \
        TRAJECTORY_CUDA_LIBRARY_PATH (colon-separated directories).

        Examples:
          trajectory doctor
          trajectory doctor --json
          trajectory doctor --require-gpu     # exit 1 unless a GPU passed every check
        """
    )

    @OptionGroup var json: JSONOutputOption

    @Flag(help: "Exit with status 1 unless at least one GPU passed every check.")
    var requireGPU = false

    @Option(parsing: .unconditional, help: "Threads for the CPU matrix product.")
    var threads = availableCoresForHelp()

    func run() throws {
        BLAS.setThreads(threads)
        var report = DoctorReport()
        report.cpu = Self.cpuName()
        report.cores = ProcessInfo.processInfo.activeProcessorCount
        report.blas = BLAS.configuration
        report.cpuGemmGFLOPs = Self.cpuGemm()
        report.driver = CUDALibraries.loadReport(.driver)
        report.nvrtc = CUDALibraries.loadReport(.nvrtc)
        report.cublas = CUDALibraries.loadReport(.cublas)
        report.nvml = CUDALibraries.loadReport(.nvml)
        if let (major, minor) = try? NVRTC.version() { report.nvrtc += " (NVRTC \(major).\(minor))" }
        if let version = try? CUDADevices.driverVersion() { report.cudaVersion = "\(version / 1000).\(version % 1000 / 10)" }
        let monitor = try? GPUMonitor()
        report.driverVersion = try? monitor?.driverVersion()
        do {
            for device in try CUDADevices.list() {
                report.gpus.append(GPUCheck.run(device, monitor: monitor))
            }
        } catch {
            report.gpuError = "\(error)"
        }
        if json.enabled {
            print(try JSONOutputOption.text(report, pretty: true))
        } else {
            print(report.text)
        }
        if requireGPU && !report.gpus.contains(where: \.passed) {
            throw ExitCode(1)
        }
    }

    static func cpuName() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown CPU"
    }

    /// GFLOP/s of a 1024³ sgemm (best of 3), after checking a product against a direct sum.
    static func cpuGemm() -> Double {
        let n = 1024
        let a = FloatBuffer((0..<(n * n)).map { Float(($0 * 7919) % 997) / 997 - 0.5 })
        let b = FloatBuffer((0..<(n * n)).map { Float(($0 * 104_729) % 991) / 991 - 0.5 })
        let c = FloatBuffer(count: n * n)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            BLAS.gemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let expected = (0..<n).reduce(0.0) { $0 + Double(a.pointer[5 * n + $1]) * Double(b.pointer[$1 * n + 9]) }
        guard abs(Double(c.pointer[5 * n + 9]) - expected) < 1e-3 else { return 0 }
        return 2 * Double(n * n * n) / best / 1e9
    }
}

/// Everything `doctor` found.
struct DoctorReport: Codable {
    var version = trajectoryVersion
    var cpu = ""
    var cores = 0
    var blas = ""
    var cpuGemmGFLOPs = 0.0
    var driver = ""
    var driverVersion: String?
    var cudaVersion: String?
    var nvrtc = ""
    var cublas = ""
    var nvml = ""
    var gpus: [GPUCheck] = []
    var gpuError: String?

    var text: String {
        var lines = ["Trajectory \(version)",
                     "CPU: \(cpu), \(cores) cores",
                     "BLAS: \(blas); sgemm 1024³ \(cpuGemmGFLOPs > 0 ? String(format: "%.0f GFLOP/s", cpuGemmGFLOPs) : "WRONG RESULT")",
                     "NVIDIA driver: \(driver)" + (driverVersion.map { ", version \($0)" } ?? "") + (cudaVersion.map { ", CUDA \($0)" } ?? ""),
                     "NVRTC: \(nvrtc)", "cuBLAS: \(cublas)", "NVML: \(nvml)"]
        if let gpuError { lines.append("GPUs: none usable (\(gpuError))") }
        if gpuError == nil && gpus.isEmpty { lines.append("GPUs: the driver sees none") }
        for gpu in gpus { lines.append(gpu.text) }
        return lines.joined(separator: "\n")
    }
}

/// One GPU's description and self-tests.
struct GPUCheck: Codable {
    var device: GPUInfo
    var gemmTFLOPs: Double?
    var gemmMaxRelativeError: Double?
    var kernels: String = "not checked"
    var kernelChecks: [KernelSelfTest.Result] = []
    var utilisation: Int?
    var memoryUsedBytes: Int?
    var problems: [String] = []

    var passed: Bool { problems.isEmpty }

    var text: String {
        var line = "GPU \(device.index): \(device.name), \(String(format: "%.1f", Double(device.memoryBytes) / 1_073_741_824)) GiB, "
            + "compute capability \(device.computeCapability), \(device.multiprocessors) SMs"
        if let gemmTFLOPs, let error = gemmMaxRelativeError {
            line += String(format: "; cuBLAS sgemm 4096³ %.1f TFLOP/s (max relative error %.1e)", gemmTFLOPs, error)
        }
        line += "; kernels: \(kernels)"
        if let utilisation, let used = memoryUsedBytes {
            line += "; NVML: \(utilisation)% busy, \(String(format: "%.1f", Double(used) / 1_073_741_824)) GiB used"
        }
        return line + (problems.isEmpty ? "" : "\n  problems: " + problems.joined(separator: "; "))
    }

    static func run(_ device: GPUInfo, monitor: GPUMonitor?) -> GPUCheck {
        var check = GPUCheck(device: device)
        do {
            let context = try CUDAContext(ordinal: device.index)
            do {
                (check.gemmTFLOPs, check.gemmMaxRelativeError) = try gemm(context)
                if (check.gemmMaxRelativeError ?? 1) > 1e-3 { check.problems.append("cuBLAS sgemm disagrees with the CPU") }
            } catch {
                check.problems.append("cuBLAS: \(error)")
            }
            do {
                let results = try KernelSelfTest(context: context).runAll()
                let failed = results.filter { !$0.passed }
                check.kernels = "\(CUDAKernelSource.kernelNames.count) compiled for \(device.architecture); "
                    + "\(results.count - failed.count) of \(results.count) checks match the CPU ops"
                check.kernelChecks = results
                for result in failed { check.problems.append("\(result.name) differs from the CPU by \(result.maxError)") }
            } catch {
                check.kernels = "failed"
                check.problems.append("kernels: \(error)")
            }
        } catch {
            check.problems.append("context: \(error)")
        }
        if let sample = try? monitor?.sample(index: device.index) {
            check.utilisation = sample.utilisation
            check.memoryUsedBytes = sample.usedBytes
        }
        return check
    }

    /// TFLOP/s of a 4096³ sgemm (best of 5) and its largest relative error on 64 checked entries.
    static func gemm(_ context: CUDAContext) throws -> (Double, Double) {
        let n = 4096
        let aValues = (0..<(n * n)).map { Float(($0 * 7919) % 997) / 997 - 0.5 }
        let bValues = (0..<(n * n)).map { Float(($0 * 104_729) % 991) / 991 - 0.5 }
        let a = try context.upload(aValues), b = try context.upload(bValues), c = try context.allocate(floats: n * n)
        let blas = try CUBLAS(context: context)
        try blas.gemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
        try context.synchronize()
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            try blas.gemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
            try context.synchronize()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let product = try context.download(c)
        var worst = 0.0
        for probe in 0..<64 {
            let (i, j) = ((probe * 977) % n, (probe * 613) % n)
            let expected = (0..<n).reduce(0.0) { $0 + Double(aValues[i * n + $1]) * Double(bValues[$1 * n + j]) }
            worst = max(worst, abs(Double(product[i * n + j]) - expected) / max(1, abs(expected)))
        }
        return (2 * Double(n * n * n) / best / 1e12, worst)
    }
}
