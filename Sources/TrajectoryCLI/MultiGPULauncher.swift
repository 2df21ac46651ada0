import ArgumentParser
import CUDA
import Foundation

/// `train --gpus N`: starts one `trajectory train` process per GPU (ranks 0 … N−1, rank r on
/// cuda:r) with the same arguments, waits for all of them, and stops the others when one
/// fails (they would otherwise wait for it in the next all-reduce forever). Rank 0 prints and
/// writes the run; the ranks meet through a rendezvous file holding NCCL's group id.
enum MultiGPULauncher {
    static func run(gpus: Int, arguments: [String]) throws {
        let devices = try CUDADevices.list()
        guard gpus <= devices.count else {
            throw ValidationError("--gpus \(gpus): this machine has \(devices.count) GPU\(devices.count == 1 ? "" : "s")")
        }
        _ = try NCCLGroup.version()  // NCCL must be there before any rank starts
        let rendezvous = NSTemporaryDirectory() + "trajectory-nccl-\(getpid())"
        try? FileManager.default.removeItem(atPath: rendezvous)
        defer { try? FileManager.default.removeItem(atPath: rendezvous) }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let shared = rankArguments(arguments)
        let ranks = try (0..<gpus).map { rank -> Process in
            let process = Process()
            process.executableURL = executable
            process.arguments = shared + ["--device", "cuda:\(rank)", "--rank", "\(rank)", "--gpus", "\(gpus)", "--rendezvous", rendezvous]
            if rank > 0 { process.standardOutput = FileHandle.nullDevice }
            try process.run()
            return process
        }
        var failed: (rank: Int, status: Int32)?
        while ranks.contains(where: \.isRunning) {
            if failed == nil, let rank = ranks.firstIndex(where: { !$0.isRunning && $0.terminationStatus != 0 }) {
                failed = (rank, ranks[rank].terminationStatus)
                for process in ranks where process.isRunning { process.terminate() }
            }
            usleep(100_000)
        }
        if failed == nil, let rank = ranks.firstIndex(where: { $0.terminationStatus != 0 }) { failed = (rank, ranks[rank].terminationStatus) }
        if let failed {
            throw ExitCode(failed.status == 0 ? 1 : failed.status)
        }
    }

    /// The launcher's own arguments without the ones each rank gets its own value for.
    static func rankArguments(_ arguments: [String]) -> [String] {
        var kept: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if ["--device", "--gpus", "--rank", "--rendezvous"].contains(argument) { skipNext = true; continue }
            if ["--device=", "--gpus=", "--rank=", "--rendezvous="].contains(where: argument.hasPrefix) { continue }
            kept.append(argument)
        }
        return kept
    }
}
