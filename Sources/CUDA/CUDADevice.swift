import CCUDA
import Foundation

/// One GPU as the driver describes it (what `torch.cuda.get_device_properties` tells).
public struct GPUInfo: Sendable, Codable, Equatable {
    public var index: Int
    public var name: String
    public var memoryBytes: Int
    /// "9.0" for an H100.
    public var computeCapability: String
    public var multiprocessors: Int

    /// The NVRTC virtual architecture for this GPU (`compute_90`).
    public var architecture: String { "compute_" + computeCapability.replacingOccurrences(of: ".", with: "") }
}

/// The driver and the GPUs it sees.
public enum CUDADevices {
    /// Initialises the driver (once) and returns its CUDA version (12040 = 12.4).
    public static func driverVersion() throws -> Int {
        let api = try CUDALibraries.driver.get()
        try initialise(api)
        var version: Int32 = 0
        try check(api.cuDriverGetVersion(&version), "cuDriverGetVersion", api)
        return Int(version)
    }

    /// Every GPU the driver sees.
    public static func list() throws -> [GPUInfo] {
        let api = try CUDALibraries.driver.get()
        try initialise(api)
        var count: Int32 = 0
        try check(api.cuDeviceGetCount(&count), "cuDeviceGetCount", api)
        return try (0..<Int(count)).map { try info(ordinal: $0, api) }
    }

    static func info(ordinal: Int, _ api: CCUDADriverAPI) throws -> GPUInfo {
        var device: CUdevice = 0
        try check(api.cuDeviceGet(&device, Int32(ordinal)), "cuDeviceGet(\(ordinal))", api)
        var name = [CChar](repeating: 0, count: 256)
        try check(api.cuDeviceGetName(&name, Int32(name.count), device), "cuDeviceGetName", api)
        var memory = 0
        try check(api.cuDeviceTotalMem(&memory, device), "cuDeviceTotalMem", api)
        func attribute(_ attribute: Int32) throws -> Int {
            var value: Int32 = 0
            try check(api.cuDeviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute(\(attribute))", api)
            return Int(value)
        }
        let major = try attribute(Int32(CCUDA_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR))
        let minor = try attribute(Int32(CCUDA_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR))
        return GPUInfo(index: ordinal, name: name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, memoryBytes: memory,
                       computeCapability: "\(major).\(minor)", multiprocessors: try attribute(Int32(CCUDA_ATTRIBUTE_MULTIPROCESSOR_COUNT)))
    }

    /// cuInit; calling it again is harmless.
    static func initialise(_ api: CCUDADriverAPI) throws {
        try check(api.cuInit(0), "cuInit", api)
    }
}
