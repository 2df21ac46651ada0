import Testing
@testable import TrajectoryCLI

/// OpenBLAS's generic fallback is replaced only by kernels the CPU's flags allow.
@Suite struct BLASKernelsTests {
    @Test func genericKernelsOnAModernCPUAreReplaced() {
        let sapphireRapids: Set<Substring> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]
        #expect(BLASKernels.betterCoreType(current: "Prescott", cpuFlags: sapphireRapids) == "SkylakeX")
        #expect(BLASKernels.betterCoreType(current: "Prescott", cpuFlags: ["avx", "avx2", "fma"]) == "Haswell")
    }

    @Test func aKnownCPUOrAnOldOneIsLeftAlone() {
        #expect(BLASKernels.betterCoreType(current: "Zen", cpuFlags: ["avx2", "fma", "avx512f"]) == nil)
        #expect(BLASKernels.betterCoreType(current: "SkylakeX", cpuFlags: ["avx2", "fma"]) == nil)
        #expect(BLASKernels.betterCoreType(current: "Prescott", cpuFlags: ["sse4_2", "avx"]) == nil)
        #expect(BLASKernels.betterCoreType(current: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")  // AVX-512 partly
    }
}
