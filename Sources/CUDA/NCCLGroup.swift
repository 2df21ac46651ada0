import CCUDA
import Foundation

/// This process's place in a group of GPUs that sum their gradients with NCCL, one process
/// per GPU. Rank 0 makes the group's id and writes it to the `rendezvous` file (atomically);
/// the other ranks wait for that file, then all join. With one rank it is the same code path
/// and the sum is the identity.
public final class NCCLGroup: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    let context: CUDAContext
    private let api: CCUDANCCLAPI
    private let communicator: ncclComm_t?
    private var buffer: DeviceBuffer?

    /// NCCL's version as an integer (e.g. 22703 for 2.27.3).
    public static func version() throws -> Int {
        let api = try CUDALibraries.nccl.get()
        var version: Int32 = 0
        try check(api.ncclGetVersion(&version), "ncclGetVersion", api)
        return Int(version)
    }

    public init(rank: Int, size: Int, rendezvous: String, context: CUDAContext, timeout: TimeInterval = 300) throws {
        precondition(rank >= 0 && rank < size)
        self.rank = rank
        self.size = size
        self.context = context
        api = try CUDALibraries.nccl.get()
        var id = CCUDANCCLUniqueId()
        let idSize = MemoryLayout<CCUDANCCLUniqueId>.size
        if rank == 0 {
            try check(api.ncclGetUniqueId(&id), "ncclGetUniqueId", api)
            let bytes = withUnsafeBytes(of: id) { Data($0) }
            let temporary = rendezvous + ".tmp-\(getpid())"
            try bytes.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, rendezvous) == 0 else { throw CUDAError.nccl(call: "rendezvous", message: "cannot write \(rendezvous)") }
        } else {
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                if let bytes = FileManager.default.contents(atPath: rendezvous), bytes.count == idSize {
                    withUnsafeMutableBytes(of: &id) { target in bytes.withUnsafeBytes { target.copyMemory(from: $0) } }
                    break
                }
                guard Date() < deadline else { throw CUDAError.nccl(call: "rendezvous", message: "rank 0 wrote no group id to \(rendezvous) in \(Int(timeout)) s") }
                usleep(20_000)
            }
        }
        try context.makeCurrent()
        var communicator: ncclComm_t?
        try check(api.ncclCommInitRank(&communicator, Int32(size), id, Int32(rank)), "ncclCommInitRank(rank \(rank) of \(size))", api)
        self.communicator = communicator
    }

    deinit { _ = api.ncclCommDestroy(communicator) }

    /// Replaces `count` host values by their sum over every rank (all ranks must call it in the same order).
    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        try context.makeCurrent()
        if buffer == nil || buffer!.count < count { buffer = try context.allocate(floats: count) }
        let buffer = buffer!
        try context.copy(values, count: count, to: buffer)
        try check(api.ncclAllReduce(UnsafeRawPointer(bitPattern: UInt(buffer.pointer)), UnsafeMutableRawPointer(bitPattern: UInt(buffer.pointer)),
                                    count, CCUDA_NCCL_FLOAT32, CCUDA_NCCL_SUM, communicator, nil), "ncclAllReduce", api)
        try context.copy(buffer, count: count, to: values)  // a synchronous copy: waits for the all-reduce
    }
}

private func check(_ result: ncclResult_t, _ call: @autoclosure () -> String, _ api: CCUDANCCLAPI) throws {
    guard result != 0 else { return }
    let message = api.ncclGetErrorString(result).map { String(cString: $0) } ?? "error \(result)"
    throw CUDAError.nccl(call: call(), message: message)
}
