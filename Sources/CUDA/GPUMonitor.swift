import CCUDA

/// GPU utilisation and memory from NVML, for progress lines and `doctor`.
public final class GPUMonitor: @unchecked Sendable {
    private let api: CCUDANVMLAPI

    public init() throws {
        api = try CUDALibraries.nvml.get()
        let status = api.nvmlInit()
        guard status == 0 else { throw CUDAError.nvml(call: "nvmlInit", code: status) }
    }

    deinit { _ = api.nvmlShutdown() }

    /// The installed driver's version string (e.g. "580.65.06").
    public func driverVersion() throws -> String {
        var text = [CChar](repeating: 0, count: 96)
        let status = api.nvmlSystemGetDriverVersion(&text, UInt32(text.count))
        guard status == 0 else { throw CUDAError.nvml(call: "nvmlSystemGetDriverVersion", code: status) }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// GPU `index`'s utilisation (percent of time a kernel ran, last sample period) and memory in use.
    public func sample(index: Int) throws -> (utilisation: Int, usedBytes: Int, totalBytes: Int) {
        var device: nvmlDevice_t?
        var status = api.nvmlDeviceGetHandleByIndex(UInt32(index), &device)
        guard status == 0 else { throw CUDAError.nvml(call: "nvmlDeviceGetHandleByIndex(\(index))", code: status) }
        var utilisation = CCUDANVMLUtilization()
        status = api.nvmlDeviceGetUtilizationRates(device, &utilisation)
        guard status == 0 else { throw CUDAError.nvml(call: "nvmlDeviceGetUtilizationRates", code: status) }
        var memory = CCUDANVMLMemory()
        status = api.nvmlDeviceGetMemoryInfo(device, &memory)
        guard status == 0 else { throw CUDAError.nvml(call: "nvmlDeviceGetMemoryInfo", code: status) }
        return (Int(utilisation.gpu), Int(memory.used), Int(memory.total))
    }
}
