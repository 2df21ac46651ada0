import Foundation
import Training
import Runs

/// Training progress: a live bar on a terminal, plain log lines otherwise.
final class ProgressDisplay {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast
    /// The GPU's utilisation and memory when training runs on one (e.g. "GPU 87% 12.3/79.6 GiB").
    private let gpuStatus: (() -> String?)?
    private var lastGPUStatus = ""
    private var lastGPUSample = Date.distantPast

    init(gpuStatus: (() -> String?)? = nil) {
        self.gpuStatus = gpuStatus
    }

    /// The GPU's status, sampled at most once a second (NVML's own period is about that).
    private var gpu: String {
        guard let gpuStatus else { return "" }
        if Date().timeIntervalSince(lastGPUSample) >= 1 {
            lastGPUSample = Date()
            lastGPUStatus = gpuStatus().map { "  " + $0 } ?? ""
        }
        return lastGPUStatus
    }

    func show(_ event: TrainingEvent) {
        switch event {
        case .step(let epoch, let step, let steps, let loss, let rate, let left):
            if isTerminal {
                let width = 24
                let filled = width * step / max(1, steps)
                let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                write("\r\u{1B}[2Kepoch \(epoch) \(bar) \(step)/\(steps)  loss \(format(loss))  \(Int(rate)) events/s  ETA \(duration(left))\(gpu)")
            } else if Date().timeIntervalSince(lastLine) >= 10 || step == steps {
                lastLine = Date()
                write("epoch \(epoch) step \(step)/\(steps) loss \(format(loss)) \(Int(rate)) events/s eta \(duration(left))\(gpu)\n")
            }
        case .epoch(let epoch, let loss, let seconds, let validation, let improved):
            if isTerminal { write("\r\u{1B}[2K") }
            write("epoch \(epoch): loss \(format(loss)), \(String(format: "%.1f", seconds)) s, validation \(validation.summary)\(improved ? "  *best*" : "")\n")
        case .earlyStop(let epoch, let best):
            write("early stop after epoch \(epoch): no better validation NDCG@10 since epoch \(best)\n")
        case .plan(let epochs, let seconds, let limit):
            if isTerminal { write("\r\u{1B}[2K") }
            write("time limit \(duration(limit)): \(epochs) epoch\(epochs == 1 ? "" : "s") of ~\(duration(seconds)) fit; the schedule ends at epoch \(epochs)\n")
        }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
    private func format(_ x: Double) -> String { String(format: "%.4f", x) }
    private func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
