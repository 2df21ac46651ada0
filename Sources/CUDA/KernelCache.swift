import Foundation
import Synchronization

/// The engine's kernels compiled once per GPU architecture: in memory for the process, and as
/// PTX files under `~/.cache/trajectory/kernels` (or `$TRAJECTORY_KERNEL_CACHE`) across runs, so
/// NVRTC runs only when the kernels, the architecture or NVRTC itself changed.
public enum KernelCache {
    private static let compiled = Mutex<[String: String]>([:])

    /// PTX of `CUDAKernelSource.engine` for `device`'s architecture.
    public static func ptx(for device: GPUInfo) throws -> String {
        let architecture = device.architecture
        if let ptx = compiled.withLock({ $0[architecture] }) { return ptx }
        let nvrtc = try NVRTC.version()
        let key = fingerprint(CUDAKernelSource.engine + "|\(architecture)|nvrtc \(nvrtc.major).\(nvrtc.minor)")
        let file = directory.appendingPathComponent("engine-\(architecture)-\(key).ptx")
        let ptx: String
        if let cached = try? String(contentsOf: file, encoding: .utf8), !cached.isEmpty {
            ptx = cached
        } else {
            ptx = try NVRTC.compile(CUDAKernelSource.engine, name: "engine.cu", architecture: architecture)
            // A cache that cannot be written only costs the next run a compile.
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let temporary = file.appendingPathExtension("tmp-\(getpid())")
            if (try? ptx.write(to: temporary, atomically: false, encoding: .utf8)) != nil, rename(temporary.path, file.path) != 0 {
                try? FileManager.default.removeItem(at: temporary)
            }
        }
        compiled.withLock { $0[architecture] = ptx }
        return ptx
    }

    /// Where the PTX files go.
    public static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["TRAJECTORY_KERNEL_CACHE"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/trajectory/kernels")
    }

    /// FNV-1a, 64 bits, as hex: names a cache file after what it was compiled from.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
