import CCUDA
import Foundation

/// What went wrong with CUDA, naming the library or call.
public enum CUDAError: Error, CustomStringConvertible, Equatable {
    /// A library could not be loaded (not installed, too old, no GPU driver on this machine).
    case unavailable(library: String, reason: String)
    /// A driver API call failed.
    case driver(call: String, code: Int32, message: String)
    /// NVRTC rejected a kernel source; `log` is the compiler's message.
    case compile(program: String, log: String)
    /// A cuBLAS call failed.
    case cublas(call: String, status: Int32)
    /// NVML failed.
    case nvml(call: String, code: Int32)
    /// Something the CUDA backend does not run (yet).
    case unsupported(String)
    /// An NCCL call failed.
    case nccl(call: String, message: String)
    /// A launch whose arguments do not match the kernel's C signature (a bug in the caller).
    case arguments(kernel: String, expected: String, given: String)

    public var description: String {
        switch self {
        case .unavailable(let library, let reason): return "\(library) is not available: \(reason)"
        case .unsupported(let what): return "not supported: \(what)"
        case .nccl(let call, let message): return "\(call) failed: \(message)"
        case .driver(let call, let code, let message): return "\(call) failed: \(message) (CUDA error \(code))"
        case .compile(let program, let log): return "NVRTC could not compile \(program):\n\(log)"
        case .cublas(let call, let status): return "\(call) failed (cuBLAS status \(status))"
        case .nvml(let call, let code): return "\(call) failed (NVML error \(code))"
        case .arguments(let kernel, let expected, let given): return "\(kernel) takes (\(expected)), was launched with (\(given))"
        }
    }
}

/// The CUDA libraries, each loaded at most once, on first use. Nothing links against CUDA:
/// on a machine without it these are errors that say which library is missing.
public enum CUDALibraries {
    /// Directories to look in after the loader's own search path: the colon-separated
    /// `TRAJECTORY_CUDA_LIBRARY_PATH` (e.g. a pip wheel's `nvidia/cuda_nvrtc/lib`), then a CUDA
    /// toolkit's usual places (its libraries are often not on the loader's path).
    public static var searchPath: String? {
        let toolkit = "/usr/local/cuda/lib64:/usr/local/cuda/targets/x86_64-linux/lib"
        guard let given = ProcessInfo.processInfo.environment["TRAJECTORY_CUDA_LIBRARY_PATH"], !given.isEmpty else { return toolkit }
        return given + ":" + toolkit
    }

    /// The driver API (libcuda.so.1, installed with the NVIDIA driver).
    public static let driver: Result<CCUDADriverAPI, CUDAError> = load("libcuda (the NVIDIA driver)") { ccuda_load_driver(&$0, $1, $2, $3) }
    /// NVRTC, the run-time CUDA C compiler.
    public static let nvrtc: Result<CCUDANVRTCAPI, CUDAError> = load("libnvrtc (CUDA run-time compiler)") { ccuda_load_nvrtc(&$0, $1, $2, $3) }
    /// cuBLAS.
    public static let cublas: Result<CCUDACUBLASAPI, CUDAError> = load("libcublas") { ccuda_load_cublas(&$0, $1, $2, $3) }
    /// NVML (GPU utilisation and memory).
    public static let nvml: Result<CCUDANVMLAPI, CUDAError> = load("libnvidia-ml (NVML)") { ccuda_load_nvml(&$0, $1, $2, $3) }
    /// NCCL (all-reduce between GPUs; pip's nvidia-nccl-cu12 or the CUDA toolkit's).
    public static let nccl: Result<CCUDANCCLAPI, CUDAError> = load("libnccl (NCCL)") { ccuda_load_nccl(&$0, $1, $2, $3) }

    /// The libraries `doctor` reports on.
    public enum Library: CaseIterable, Sendable {
        case driver, nvrtc, cublas, nvml
    }

    /// "loaded from PATH" for a library that loaded, else why it did not.
    public static func loadReport(_ library: Library) -> String {
        func report<API>(_ result: Result<API, CUDAError>, _ index: Int32) -> String {
            switch result {
            case .success: return "loaded from " + path(of: index)
            case .failure(let error): return "\(error)"
            }
        }
        switch library {
        case .driver: return report(driver, Int32(CCUDA_LIBRARY_DRIVER))
        case .nvrtc: return report(nvrtc, Int32(CCUDA_LIBRARY_NVRTC))
        case .cublas: return report(cublas, Int32(CCUDA_LIBRARY_CUBLAS))
        case .nvml: return report(nvml, Int32(CCUDA_LIBRARY_NVML))
        }
    }

    /// The file each loaded library came from.
    public static func path(of library: Int32) -> String { String(cString: ccuda_loaded_path(library)) }

    private static func load<API>(_ name: String, _ loader: (inout API, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>, Int) -> Int32)
        -> Result<API, CUDAError> {
        var api = zeroed(API.self)
        var error = [CChar](repeating: 0, count: 1024)
        let loaded = error.withUnsafeMutableBufferPointer { buffer in
            if let searchPath { return searchPath.withCString { loader(&api, $0, buffer.baseAddress!, buffer.count) } }
            return loader(&api, nil, buffer.baseAddress!, buffer.count)
        }
        guard loaded == 1 else { return .failure(.unavailable(library: name, reason: error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })) }
        return .success(api)
    }

    private static func zeroed<T>(_ type: T.Type) -> T {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
        defer { pointer.deallocate() }
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
        return pointer.load(as: T.self)
    }
}

/// Throws `CUDAError.driver` for a failed driver call, with the driver's own message.
@inline(__always)
func check(_ result: CUresult, _ call: @autoclosure () -> String, _ api: CCUDADriverAPI) throws {
    guard result != 0 else { return }
    var text: UnsafePointer<CChar>?
    _ = api.cuGetErrorString(result, &text)
    throw CUDAError.driver(call: call(), code: result, message: text.map { String(cString: $0) } ?? "unknown error")
}
