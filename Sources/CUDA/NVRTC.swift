import CCUDA
import Foundation

/// NVRTC: compiles CUDA C source to PTX at run time, so kernels ship as source inside the
/// binary and are built for whatever GPU the machine has.
public enum NVRTC {
    /// NVRTC's version (major, minor).
    public static func version() throws -> (major: Int, minor: Int) {
        let api = try CUDALibraries.nvrtc.get()
        var major: Int32 = 0, minor: Int32 = 0
        try check(api.nvrtcVersion(&major, &minor), "nvrtcVersion", api)
        return (Int(major), Int(minor))
    }

    /// Compiles `source` (a translation unit named `name` in messages) for `architecture`
    /// (a virtual architecture such as `compute_80`, which the driver JIT-compiles for the GPU
    /// at hand) and returns the PTX. A rejected source throws `CUDAError.compile` with the log.
    public static func compile(_ source: String, name: String, architecture: String = "compute_80",
                               options extra: [String] = []) throws -> String {
        let api = try CUDALibraries.nvrtc.get()
        var program: nvrtcProgram?
        try check(api.nvrtcCreateProgram(&program, source, name, 0, nil, nil), "nvrtcCreateProgram", api)
        defer { _ = api.nvrtcDestroyProgram(&program) }
        let options = ["--gpu-architecture=\(architecture)", "--std=c++17", "-default-device"] + extra
        let cOptions = options.map { strdup($0) }
        defer { cOptions.forEach { free($0) } }
        let status = cOptions.map { UnsafePointer($0) }.withUnsafeBufferPointer {
            api.nvrtcCompileProgram(program, Int32($0.count), $0.baseAddress)
        }
        if status != 0 {
            throw CUDAError.compile(program: name, log: log(of: program, api) + "(\(message(status, api)))")
        }
        var size = 0
        try check(api.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize", api)
        var ptx = [CChar](repeating: 0, count: size + 1)
        try check(api.nvrtcGetPTX(program, &ptx), "nvrtcGetPTX", api)
        return ptx.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private static func log(of program: nvrtcProgram?, _ api: CCUDANVRTCAPI) -> String {
        var size = 0
        guard api.nvrtcGetProgramLogSize(program, &size) == 0, size > 1 else { return "" }
        var text = [CChar](repeating: 0, count: size + 1)
        guard api.nvrtcGetProgramLog(program, &text) == 0 else { return "" }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private static func message(_ status: nvrtcResult, _ api: CCUDANVRTCAPI) -> String {
        api.nvrtcGetErrorString(status).map { String(cString: $0) } ?? "NVRTC error \(status)"
    }

    private static func check(_ status: nvrtcResult, _ call: String, _ api: CCUDANVRTCAPI) throws {
        guard status != 0 else { return }
        throw CUDAError.compile(program: call, log: message(status, api))
    }
}
