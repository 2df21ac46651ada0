import CUDA
import Testing

/// fp16 loss scaling (host side, no GPU needed): clean gradients are unscaled and added, an
/// overflow adds nothing and halves the scale, and clean runs grow it back.
@Suite struct LossScalerTests {
    @Test func scaleFollowsOverflowsAndCleanRuns() {
        var scaler = LossScaler(scale: 1024, growthInterval: 3)
        var total: [Float] = [1, 1]
        let clean: [Float] = [512, -2048]
        let added = clean.withUnsafeBufferPointer { g in total.withUnsafeMutableBufferPointer { scaler.unscale(g, addingTo: $0.baseAddress!) } }
        #expect(added)
        #expect(total == [1.5, -1])
        let overflow: [Float] = [.infinity, 3]
        let dropped = overflow.withUnsafeBufferPointer { g in total.withUnsafeMutableBufferPointer { scaler.unscale(g, addingTo: $0.baseAddress!) } }
        #expect(!dropped)
        #expect(total == [1.5, -1])
        #expect(scaler.scale == 512)
        #expect(scaler.droppedSteps == 1)
        let nan: [Float] = [.nan, 0]
        _ = nan.withUnsafeBufferPointer { g in total.withUnsafeMutableBufferPointer { scaler.unscale(g, addingTo: $0.baseAddress!) } }
        #expect(scaler.scale == 256)
        for _ in 0..<3 {
            _ = clean.withUnsafeBufferPointer { g in total.withUnsafeMutableBufferPointer { scaler.unscale(g, addingTo: $0.baseAddress!) } }
        }
        #expect(scaler.scale == 512)
        #expect(scaler.cleanSteps == 0)
    }

    @Test func precisionsNameTheirComputeModes() {
        #expect(Precision.allCases.map(\.rawValue) == ["fp32", "tf32", "bf16", "fp16"])
    }
}
