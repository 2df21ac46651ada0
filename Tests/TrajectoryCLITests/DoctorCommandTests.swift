import Foundation
import Testing

/// `doctor` reports every part, with or without CUDA, and `--require-gpu` tells them apart.
@Suite struct DoctorCommandTests {
    typealias CLI = CommandLineTests

    @Test func doctorReportsTheMachine() throws {
        let outcome = try CLI.run(["doctor", "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect((report["blas"] as? String)?.contains("OpenBLAS") == true)
        #expect((report["cpuGemmGFLOPs"] as? Double ?? 0) > 1, "the CPU self-test product was wrong or absurdly slow")
        for key in ["driver", "nvrtc", "cublas", "nvml"] { #expect(!((report[key] as? String) ?? "").isEmpty, "\(key) not reported") }
        let gpus = report["gpus"] as? [[String: Any]] ?? []
        let required = try CLI.run(["doctor", "--require-gpu"])
        if gpus.isEmpty {
            // No driver or no GPU: said plainly, and --require-gpu fails.
            #expect((report["gpuError"] as? String ?? "GPUs: the driver sees none").isEmpty == false)
            #expect(required.status == 1)
            #expect(required.stdout.contains("GPUs: "))
        } else {
            #expect(required.status == 0, "\(required.stdout)")
        }
    }
}
