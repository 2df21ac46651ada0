import Foundation
import Testing
@testable import TrajectoryCLI

/// `--device` on train, evaluate and predict: the CPU by default, `auto` falls back to it, and a
/// GPU that cannot be used (or a model that cannot run there) is a clear error before anything
/// is written.
@Suite struct DeviceOptionTests {
    typealias CLI = CommandLineTests

    /// Whether this machine has a usable NVIDIA driver (never this project's CPU hosts).
    static let hasDriver = ((try? CLI.run(["doctor", "--json"]))?.stdout).map { !$0.contains("\"gpus\":[]") && $0.contains("\"gpus\"") } ?? false

    @Test func devicesAreChosenOrRefusedClearly() throws {
        let scratch = CLI.Scratch()
        let data = scratch.path + "/ds"
        #expect(try CLI.run(["synth", "--out", data, "--users", "60", "--items", "30", "--median-length", "8", "--min-length", "3"]).status == 0)
        let small = ["--epochs", "1", "--embedding-size", "8", "--hidden-size", "8", "--threads", "1"]

        let auto = try CLI.run(["train", data, "--out", scratch.path + "/auto", "--device", "auto"] + small)
        #expect(auto.status == 0, "\(auto.stderr)")
        let evaluated = try CLI.run(["evaluate", scratch.path + "/auto", "--device", "auto", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.hasPrefix("{"))

        let precisionOnCPU = try CLI.run(["train", data, "--out", scratch.path + "/bf16", "--precision", "bf16"] + small)
        #expect(precisionOnCPU.status != 0)
        #expect(precisionOnCPU.stderr.contains("needs --device cuda"), "\(precisionOnCPU.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/bf16/config.json"))

        let gpusOnCPU = try CLI.run(["train", data, "--out", scratch.path + "/gpus", "--gpus", "2"] + small)
        #expect(gpusOnCPU.status != 0)
        #expect(gpusOnCPU.stderr.contains("--gpus needs --device cuda"), "\(gpusOnCPU.stderr)")

        let notADevice = try CLI.run(["evaluate", scratch.path + "/auto", "--device", "gpu"])
        #expect(notADevice.status != 0)
        #expect(notADevice.stderr.contains("--device"))

        let sasrec = try CLI.run(["train", data, "--out", scratch.path + "/sasrec", "--model", "sasrec", "--loss", "sampled", "--device", "cuda"]
                                 + small.prefix(2))
        #expect(sasrec.status != 0)
        #expect(sasrec.stderr.contains("SASRec's sampled losses do not run on CUDA"), "\(sasrec.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/sasrec/config.json"))

        if !Self.hasDriver {
            // No driver here: the error names what is missing, and no run directory is left behind.
            let cuda = try CLI.run(["train", data, "--out", scratch.path + "/cuda", "--device", "cuda"] + small)
            #expect(cuda.status != 0)
            #expect(cuda.stderr.contains("libcuda"), "\(cuda.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/cuda/config.json"))
            let gpus = try CLI.run(["train", data, "--out", scratch.path + "/gpus", "--device", "cuda", "--gpus", "2"] + small)
            #expect(gpus.status != 0)
            #expect(gpus.stderr.contains("libcuda"), "\(gpus.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/gpus"))
            let predict = try CLI.run(["predict", scratch.path + "/auto", "--user", "1", "--device", "cuda:1"])
            #expect(predict.status != 0)
            #expect(predict.stderr.contains("libcuda"), "\(predict.stderr)")
            let serve = try CLI.run(["serve", scratch.path + "/auto", "--device", "cuda", "--no-auth", "--port", "0"])
            #expect(serve.status != 0)
            #expect(serve.stderr.contains("libcuda"), "\(serve.stderr)")
        }
    }

    /// Each rank gets the launcher's arguments with its own device, rank and group settings.
    @Test func ranksGetTheirOwnDeviceAndRank() {
        let given = ["train", "data", "--device", "cuda", "--gpus", "4", "--epochs", "3", "--device=cuda:0", "--out", "runs/x"]
        #expect(MultiGPULauncher.rankArguments(given) == ["train", "data", "--epochs", "3", "--out", "runs/x"])
        #expect(DeviceChoice(argument: "cuda:3") == .cuda(ordinal: 3))
        #expect(DeviceChoice(argument: "cuda:-1") == nil)
    }
}
