import CCUDA
import Foundation

/// One GPU's primary context (the one the runtime API and PyTorch share): device memory,
/// kernels loaded from PTX, launches and synchronisation.
/// A device address (the driver API's `CUdeviceptr`), so code beyond the backend needs no C types.
public typealias DevicePointer = CUdeviceptr

public final class CUDAContext: @unchecked Sendable {
    public let device: GPUInfo
    let api: CCUDADriverAPI
    private let handle: CUdevice
    private let context: CUcontext?

    /// Retains GPU `ordinal`'s primary context and makes it current on this thread.
    public init(ordinal: Int = 0) throws {
        api = try CUDALibraries.driver.get()
        try CUDADevices.initialise(api)
        device = try CUDADevices.info(ordinal: ordinal, api)
        var handle: CUdevice = 0
        try check(api.cuDeviceGet(&handle, Int32(ordinal)), "cuDeviceGet(\(ordinal))", api)
        self.handle = handle
        var context: CUcontext?
        try check(api.cuDevicePrimaryCtxRetain(&context, handle), "cuDevicePrimaryCtxRetain", api)
        self.context = context
        try makeCurrent()
    }

    deinit { _ = api.cuDevicePrimaryCtxRelease(handle) }

    /// Binds the context to the calling thread (each thread that launches must do this once).
    public func makeCurrent() throws {
        try check(api.cuCtxSetCurrent(context), "cuCtxSetCurrent", api)
    }

    /// Waits for all work queued on the device.
    public func synchronize() throws {
        try check(api.cuCtxSynchronize(), "cuCtxSynchronize", api)
    }

    /// Free and total device memory in bytes.
    public func memory() throws -> (free: Int, total: Int) {
        var free = 0, total = 0
        try check(api.cuMemGetInfo(&free, &total), "cuMemGetInfo", api)
        return (free, total)
    }

    /// `count` uninitialised floats on the device.
    public func allocate(floats count: Int) throws -> DeviceBuffer {
        var pointer: CUdeviceptr = 0
        try check(api.cuMemAlloc(&pointer, max(1, count) * 4), "cuMemAlloc(\(count * 4) bytes)", api)
        return DeviceBuffer(pointer: pointer, count: count, context: self)
    }

    /// A device copy of `values`.
    public func upload(_ values: [Float]) throws -> DeviceBuffer { try copyToDevice(values) }

    /// A device copy of integer `values` (ids, targets).
    public func upload(_ values: [Int32]) throws -> DeviceBuffer { try copyToDevice(values) }

    /// Buffers are counted in 4-byte elements, floats or 32-bit integers alike.
    private func copyToDevice<Element: BitwiseCopyable>(_ values: [Element]) throws -> DeviceBuffer {
        precondition(MemoryLayout<Element>.stride == 4)
        let buffer = try allocate(floats: values.count)
        try values.withUnsafeBytes { try check(api.cuMemcpyHtoD(buffer.pointer, $0.baseAddress, $0.count), "cuMemcpyHtoD", api) }
        return buffer
    }

    /// The values of `buffer`, copied to the host.
    public func download(_ buffer: DeviceBuffer) throws -> [Float] {
        var values = [Float](repeating: 0, count: buffer.count)
        try values.withUnsafeMutableBytes { try check(api.cuMemcpyDtoH($0.baseAddress, buffer.pointer, $0.count), "cuMemcpyDtoH", api) }
        return values
    }

    /// Copies `count` host values into `buffer` from element `offset` on.
    public func copy<Element: BitwiseCopyable>(_ values: UnsafePointer<Element>, count: Int, to buffer: DeviceBuffer, at offset: Int = 0) throws {
        precondition(MemoryLayout<Element>.stride == 4 && offset + count <= buffer.count)
        try check(api.cuMemcpyHtoD(buffer.address(offset), values, count * 4), "cuMemcpyHtoD", api)
    }

    /// Copies `count` values of `buffer` from element `offset` on to the host (waits for the device).
    public func copy<Element: BitwiseCopyable>(_ buffer: DeviceBuffer, at offset: Int = 0, count: Int, to values: UnsafeMutablePointer<Element>) throws {
        precondition(MemoryLayout<Element>.stride == 4 && offset + count <= buffer.count)
        try check(api.cuMemcpyDtoH(values, buffer.address(offset), count * 4), "cuMemcpyDtoH", api)
    }

    /// Copies `count` elements between device addresses (queued in order with launches).
    public func copy(from source: CUdeviceptr, to destination: CUdeviceptr, count: Int) throws {
        if count == 0 { return }
        try check(api.cuMemcpyDtoD(destination, source, count * 4), "cuMemcpyDtoD", api)
    }

    /// Sets `count` 4-byte elements from `address` on to zero.
    public func zero(_ address: CUdeviceptr, count: Int) throws {
        if count == 0 { return }
        try check(api.cuMemsetD32(address, 0, count), "cuMemsetD32", api)
    }

    /// Loads PTX (from `NVRTC.compile`); the driver compiles it for this GPU.
    public func loadModule(ptx: String) throws -> CUDAModule {
        var module: CUmodule?
        try ptx.withCString { try check(api.cuModuleLoadData(&module, $0), "cuModuleLoadData", api) }
        return CUDAModule(module: module, context: self)
    }
}

/// Device memory of `count` floats, freed with the value.
public final class DeviceBuffer: @unchecked Sendable {
    public let pointer: CUdeviceptr
    public let count: Int
    let context: CUDAContext

    init(pointer: CUdeviceptr, count: Int, context: CUDAContext) {
        self.pointer = pointer
        self.count = count
        self.context = context
    }

    deinit { _ = context.api.cuMemFree(pointer) }

    /// The device address of element `offset` (4-byte elements).
    public func address(_ offset: Int = 0) -> CUdeviceptr {
        precondition(offset >= 0 && offset <= count)
        return pointer + CUdeviceptr(offset * 4)
    }
}

/// A kernel argument, passed by value as the kernel's C signature declares it.
public enum KernelArgument: Sendable {
    case buffer(DeviceBuffer)
    /// A device address inside a buffer (`DeviceBuffer.address`); the caller keeps the buffer alive.
    case address(CUdeviceptr)
    case int32(Int32)
    /// A C `long` (64 bits here): element counts past 2³¹.
    case int64(Int64)
    case float(Float)
}

/// A loaded PTX module and its kernels.
public final class CUDAModule: @unchecked Sendable {
    private let module: CUmodule?
    let context: CUDAContext

    init(module: CUmodule?, context: CUDAContext) {
        self.module = module
        self.context = context
    }

    deinit { _ = context.api.cuModuleUnload(module) }

    /// Launches `kernel` on a `grid` of `block`-sized blocks and returns without waiting.
    /// Arguments that do not match the kernel's C signature are refused before the driver sees them.
    public func launch(_ kernel: EngineKernel, grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int = 0,
                       arguments: [KernelArgument]) throws {
        guard kernel.accepts(arguments) else {
            throw CUDAError.arguments(kernel: kernel.name, expected: "\(kernel.parameters)", given: "\(arguments.map(\.parameter))")
        }
        let api = context.api
        var function: CUfunction?
        try check(api.cuModuleGetFunction(&function, module, kernel.name), "cuModuleGetFunction(\(kernel.name))", api)
        // Each argument lives in its own 8-byte slot; the launch takes a pointer to each slot.
        let slots = UnsafeMutableRawPointer.allocate(byteCount: max(1, arguments.count) * 8, alignment: 8)
        defer { slots.deallocate() }
        var pointers: [UnsafeMutableRawPointer?] = []
        for (index, argument) in arguments.enumerated() {
            let slot = slots + index * 8
            switch argument {
            case .buffer(let buffer): slot.storeBytes(of: buffer.pointer, as: CUdeviceptr.self)
            case .address(let address): slot.storeBytes(of: address, as: CUdeviceptr.self)
            case .int32(let value): slot.storeBytes(of: value, as: Int32.self)
            case .int64(let value): slot.storeBytes(of: value, as: Int64.self)
            case .float(let value): slot.storeBytes(of: value, as: Float.self)
            }
            pointers.append(slot)
        }
        try pointers.withUnsafeMutableBufferPointer { parameters in
            try check(api.cuLaunchKernel(function, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2), UInt32(block.0), UInt32(block.1),
                                         UInt32(block.2), UInt32(sharedBytes), nil, parameters.baseAddress, nil),
                      "cuLaunchKernel(\(kernel.name))", api)
        }
        withExtendedLifetime(arguments) {}
    }
}
