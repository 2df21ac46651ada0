import ArgumentParser
import CUDA
import ModelsCUDA
import Models

/// Where `train` runs: threads, device, precision and the multi-GPU launch.
struct TrainingDeviceOptions: ParsableArguments {
    @OptionGroup var threadsOption: ThreadsOption

    @OptionGroup var placement: DeviceOption

    var threads: Int { threadsOption.threads }
    var device: DeviceChoice { placement.device }

    @Option(help: Precision.help)
    var precision: Precision = .fp32

    @Option(parsing: .unconditional, help: "Train on N GPUs of this machine (with --device cuda): one process per GPU, the gradient summed with NCCL after every step; each GPU takes --batch-size rows, so a step covers N times as many. --gpus 1 runs the same path on one GPU.")
    var gpus: Int?

    /// Set by `--gpus` on the processes it starts: this one's rank, and the file where rank 0 leaves NCCL's group id.
    @Option(parsing: .unconditional, help: .hidden)
    var rank: Int?

    @Option(help: .hidden)
    var rendezvous: String?

    func validate() throws {
        if let gpus {
            guard gpus >= 1 else { throw ValidationError("--gpus must be positive") }
            guard device == .cuda(ordinal: 0) || rank != nil else { throw ValidationError("--gpus needs --device cuda (the ranks take cuda:0 … cuda:\(gpus - 1))") }
        }
    }

    /// Fails, before anything is written, when a model of `settings` cannot train where asked.
    func check(_ settings: any ModelFamily) throws {
        if device == .cpu && precision != .fp32 { throw ValidationError("--precision \(precision.rawValue) needs --device cuda (the CPU computes in fp32)") }
        try device.check(settings)
    }
}
