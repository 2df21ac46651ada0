import ArgumentParser
import Foundation
import CUDA
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

    static let help = ArgumentHelp("Where the model runs: cpu, cuda (the first GPU), cuda:N, or auto (a GPU when one is usable and the model runs there, else the CPU). CUDA runs the seed LSTM, GRU4Rec and SASRec (full-softmax loss).",
                                   valueName: "device")

    /// Puts `model` on the chosen device and says where it runs ("cpu" or the GPU's name).
    /// `.cuda` fails with what is missing (driver, GPU, NVRTC, cuBLAS) or why the model cannot run there.
    /// `precision` is how the GPU multiplies (the CPU always computes in fp32).
    func attach(_ model: AnyObject, precision: Precision = .fp32) throws -> String {
        switch self {
        case .cpu:
            return "cpu"
        case .cuda(let ordinal):
            return try Self.attachCUDA(model, ordinal: ordinal, precision: precision)
        case .auto:
            guard Self.runsOnCUDA(model), let devices = try? CUDADevices.list(), !devices.isEmpty else { return "cpu" }
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

    /// Whether `model` has a CUDA implementation (the seed LSTM, GRU4Rec; SASRec with the full softmax).
    static func runsOnCUDA(_ model: AnyObject) -> Bool {
        if model is LSTMRecommender || model is GRU4Rec { return true }
        if let sasrec = model as? SASRec { return sasrec.configuration.loss == .fullSoftmax }
        return false
    }

    /// Fails early, with the same messages as `attach`, when a `.cuda` choice cannot run `model`
    /// (lstm, sasrec, gru4rec; `fullSoftmax`: SASRec's loss is the full softmax).
    func check(model: String, fullSoftmax: Bool = true) throws {
        guard case .cuda(let ordinal) = self else { return }
        guard model == "lstm" || model == "gru4rec" || (model == "sasrec" && fullSoftmax) else {
            throw ValidationError("--device cuda: SASRec's sampled losses do not run on CUDA (--loss full does); use --device cpu for them")
        }
        let devices = try CUDADevices.list()
        guard ordinal < devices.count else {
            throw ValidationError("--device cuda:\(ordinal): this machine has \(devices.count) GPU\(devices.count == 1 ? "" : "s")")
        }
    }

    private static func attachCUDA(_ model: AnyObject, ordinal: Int, precision: Precision) throws -> String {
        let gpu = DeviceChoice.cuda(ordinal: ordinal)
        let name: String
        switch model {
        case let lstm as LSTMRecommender:
            try gpu.check(model: "lstm")
            let step = try CUDALSTMStep(configuration: lstm.configuration, parameters: lstm.parameters, precision: precision,
                                        context: try CUDAContext(ordinal: ordinal))
            (lstm.accelerator, name) = (step, step.deviceName)
        case let sasrec as SASRec:
            try gpu.check(model: "sasrec", fullSoftmax: sasrec.configuration.loss == .fullSoftmax)
            let step = try CUDASASRecStep(configuration: sasrec.configuration, parameters: sasrec.parameters, precision: precision,
                                          context: try CUDAContext(ordinal: ordinal))
            (sasrec.accelerator, name) = (step, step.deviceName)
        case let gru as GRU4Rec:
            try gpu.check(model: "gru4rec")
            let step = try CUDAGRU4RecStep(configuration: gru.configuration, parameters: gru.parameters, precision: precision,
                                           context: try CUDAContext(ordinal: ordinal))
            (gru.accelerator, name) = (step, step.deviceName)
        default:
            try gpu.check(model: "another model")
            return ""
        }
        return name + (precision == .fp32 ? "" : ", \(precision.rawValue) products")
    }

    /// The GPU a model was put on, for progress lines.
    static func gpuIndex(of model: AnyObject) -> Int? {
        ((model as? LSTMRecommender)?.accelerator as? CUDALSTMStep)?.gpuIndex ?? ((model as? SASRec)?.accelerator as? CUDASASRecStep)?.gpuIndex
            ?? ((model as? GRU4Rec)?.accelerator as? CUDAGRU4RecStep)?.gpuIndex
    }
}

extension Precision: ExpressibleByArgument {
    static let help = ArgumentHelp("How a GPU multiplies matrices: fp32, tf32, bf16 or fp16 (tensor cores, fp32 accumulation; weights, gradients and Adam stay fp32, fp16 adds dynamic loss scaling). The CPU computes in fp32.",
                                   valueName: "precision")
}
