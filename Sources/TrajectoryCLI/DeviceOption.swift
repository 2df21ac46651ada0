import ArgumentParser
import Foundation
import CUDA
import ModelsCUDA
import Models

/// `--device cpu | cuda | cuda:N | auto`: where a model's training steps and scoring run.
/// Checkpoints are the same files either way (the GPU holds the CPU's flat parameter layout).
enum DeviceChoice: Equatable, ExpressibleByArgument, CustomStringConvertible {
    case cpu
    case cuda(ordinal: Int)
    /// The first GPU when one is usable (driver, NVRTC, cuBLAS) and the model runs there, else the CPU.
    case auto

    init?(argument: String) {
        switch argument {
        case "cpu": self = .cpu
        case "auto": self = .auto
        case "cuda": self = .cuda(ordinal: 0)
        default:
            guard argument.hasPrefix("cuda:"), let ordinal = Int(argument.dropFirst(5)), ordinal >= 0 else { return nil }
            self = .cuda(ordinal: ordinal)
        }
    }

    var description: String {
        switch self {
        case .cpu: return "cpu"
        case .auto: return "auto"
        case .cuda(let ordinal): return "cuda:\(ordinal)"
        }
    }

    static let help = ArgumentHelp("Where the model runs: cpu, cuda (the first GPU), cuda:N, or auto (a GPU when one is usable and the model runs there, else the CPU). CUDA runs every family with a CUDA step: \(ModelFamilies.all.filter { $0 is any CUDAFamily.Type }.map { $0.name }.joined(separator: ", ")); settings a step cannot run (such as sampled losses) are refused with the reason.",
                                   valueName: "device")

    /// Puts `model` on the chosen device and says where it runs ("cpu" or the GPU's name).
    /// `.cuda` fails with what is missing (driver, GPU, NVRTC, cuBLAS) or why the model cannot run there.
    /// `precision` is how the GPU multiplies (the CPU always computes in fp32).
    func attach(_ model: any TrainableModel, precision: Precision = .fp32) throws -> String {
        switch self {
        case .cpu:
            return "cpu"
        case .cuda(let ordinal):
            return try Self.attachCUDA(model, ordinal: ordinal, precision: precision)
        case .auto:
            guard model.featureEmbedding == nil, Self.runsOnCUDA(model.configuration), let devices = try? CUDADevices.list(), !devices.isEmpty else { return "cpu" }
            return (try? Self.attachCUDA(model, ordinal: 0, precision: precision)) ?? "cpu"
        }
    }

    /// A progress-line reading of GPU `index` from NVML ("GPU 87% 12.3/79.6 GiB"), or nil where NVML is missing.
    static func statusReader(gpu index: Int) -> (() -> String?)? {
        guard let monitor = try? GPUMonitor() else { return nil }
        return {
            guard let sample = try? monitor.sample(index: index) else { return nil }
            let gib = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_073_741_824) }
            return "GPU \(sample.utilisation)% \(gib(sample.usedBytes))/\(gib(sample.totalBytes)) GiB"
        }
    }

    /// Whether a model of `settings` has a CUDA step it can run.
    static func runsOnCUDA(_ settings: any ModelFamily) -> Bool {
        guard let family = settings as? any CUDAFamily else { return false }
        return family.cudaProblem == nil
    }

    /// Fails early, with the same messages as `attach`, when a `.cuda` choice cannot run a
    /// model of `settings`: a family without a CUDA step, settings it cannot run, no such GPU.
    func check(_ settings: any ModelFamily) throws {
        guard case .cuda(let ordinal) = self else { return }
        guard let family = settings as? any CUDAFamily else {
            throw ValidationError("--device cuda: \(type(of: settings).name) has no CUDA step; use --device cpu")
        }
        if let problem = family.cudaProblem { throw ValidationError(problem) }
        let devices = try CUDADevices.list()
        guard ordinal < devices.count else {
            throw ValidationError("--device cuda:\(ordinal): this machine has \(devices.count) GPU\(devices.count == 1 ? "" : "s")")
        }
    }

    private static func attachCUDA(_ model: any TrainableModel, ordinal: Int, precision: Precision) throws -> String {
        try DeviceChoice.cuda(ordinal: ordinal).check(model.configuration)
        if let features = model.featureEmbedding?.features {
            throw ValidationError("--device cuda: the model reads input features (\(features.names.joined(separator: ", "))), which run on the CPU only for now; use --device cpu")
        }
        guard let family = model.configuration as? any CUDAFamily, let accelerated = model as? any AcceleratedModel else {
            throw ValidationError("--device cuda: \(model.family.name) has no CUDA step; use --device cpu")
        }
        let step = try family.makeCUDAStep(parameters: model.parameters, precision: precision, context: try CUDAContext(ordinal: ordinal))
        accelerated.accelerator = step
        return step.deviceName + (precision == .fp32 ? "" : ", \(precision.rawValue) products")
    }

    /// The GPU a model was put on, for progress lines.
    static func gpuIndex(of model: any TrainableModel) -> Int? {
        ((model as? any AcceleratedModel)?.accelerator as? any CUDAModelStep)?.gpuIndex
    }
}

extension Precision: ExpressibleByArgument {
    static let help = ArgumentHelp("How a GPU multiplies matrices: fp32, tf32, bf16 or fp16 (tensor cores, fp32 accumulation; weights, gradients and Adam stay fp32, fp16 adds dynamic loss scaling). The CPU computes in fp32.",
                                   valueName: "precision")
}
