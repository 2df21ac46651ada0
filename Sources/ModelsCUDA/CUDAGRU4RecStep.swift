import CUDA
import Core
import Engine
import Models

/// GRU4Rec's training step and scoring on one GPU, mirroring `GRU4Rec` and `GRULayer` on the
/// CPU op for op over the same packed layout: embedding (dropout from the kernels' counter
/// hash), bias-free GRU layers (cuBLAS products, `gru_cell_forward/backward`), the dense
/// projection and the full softmax against the item embeddings.
public final class CUDAGRU4RecStep: StepAccelerator, @unchecked Sendable {
    public let configuration: GRU4Rec.Configuration
    /// The GPU's index (as `nvidia-smi` and NVML count them).
    public var gpuIndex: Int { context.device.index }
    public var deviceName: String { runtime.deviceName }
    private let runtime: CUDARuntime
    private var context: CUDAContext { runtime.context }
    private var blas: CUBLAS { runtime.blas }
    private let parameters: DeviceParameters
    private var buffers: Buffers?

    /// Activations for up to `positions` packed positions.
    private final class Buffers {
        let positions: Int
        let ids, targets, losses, embedded, dropoutMask, projected, projectedGradient, upper, lower, direct, logits: DeviceBuffer
        let inputGates, hiddenGates, hidden, previousHidden: [DeviceBuffer]
        let chunkRows: Int

        init(positions p: Int, configuration c: GRU4Rec.Configuration, context: CUDAContext) throws {
            positions = p
            let h = c.hiddenSize, e = c.embeddingSize, width = max(h, e)
            func buffer(_ count: Int) throws -> DeviceBuffer { try context.allocate(floats: count) }
            ids = try buffer(p); targets = try buffer(p); losses = try buffer(p)
            embedded = try buffer(p * e); dropoutMask = try buffer(p * e); projected = try buffer(p * e); projectedGradient = try buffer(p * e)
            upper = try buffer(p * width); lower = try buffer(p * width); direct = try buffer(p * h)
            func perLayer(_ count: Int) throws -> [DeviceBuffer] { try (0..<c.layers).map { _ in try buffer(count) } }
            inputGates = try perLayer(p * 3 * h); hiddenGates = try perLayer(p * 3 * h)
            hidden = try perLayer(p * h); previousHidden = try perLayer(p * h)
            chunkRows = max(1, min(p, (1 << 26) / max(1, c.vocabulary)))
            logits = try buffer(chunkRows * c.vocabulary)
        }
    }

    public init(configuration: GRU4Rec.Configuration, parameters: ParameterSet, precision: Precision = .fp32, context: CUDAContext) throws {
        self.configuration = configuration
        runtime = try CUDARuntime(context: context, precision: precision)
        self.parameters = try DeviceParameters(parameters, precision: precision, context: context)
    }

    private func value(_ name: String) -> DevicePointer { parameters.value(name) }
    private func gradient(_ name: String) -> DevicePointer { parameters.gradient(name) }

    private func buffers(positions: Int) throws -> Buffers {
        if let buffers, buffers.positions >= positions { return buffers }
        buffers = nil
        let fresh = try Buffers(positions: positions, configuration: configuration, context: context)
        buffers = fresh
        return fresh
    }

    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          parameters: ParameterSet, seed: UInt64, gradientScale: (Int) -> Float) throws -> (loss: Double, targets: Int) {
        try runtime.exclusively {
            let layout = PackedLayout(paddedIds: inputs, rows: rows, steps: steps)
            let p = layout.total
            if p == 0 { return (0, 0) }
            let (packedTargets, targetCount) = layout.packedTargets(targets)
            if targetCount == 0 { return (0, 0) }
            let b = try buffers(positions: p)
            try forward(inputs: inputs, layout: layout, parameters: parameters, buffers: b, dropoutSeed: seed)
            try packedTargets.withUnsafeBufferPointer { try context.copy($0.baseAddress!, count: p, to: b.targets) }
            try self.parameters.zeroGradients()
            // Full softmax of the projections against the item embeddings.
            let c = configuration
            let h = c.hiddenSize, e = c.embeddingSize, top = c.layers - 1
            try runtime.softmaxCrossEntropy(input: b.projected.pointer, rows: p, width: e, weight: value("item_embedding.weight"), bias: nil,
                                            vocabulary: c.vocabulary, targets: b.targets, losses: b.losses, logits: b.logits,
                                            chunkRows: b.chunkRows, scale: gradientScale(targetCount) * self.parameters.lossScale,
                                            weightGradient: gradient("item_embedding.weight"), biasGradient: nil,
                                            inputGradient: b.projectedGradient.pointer)
            // projected = hidden · W_denseᵀ + b: dHidden = dProjected · W_dense.
            try blas.gemm(m: p, n: h, k: e, a: b.projectedGradient.pointer, lda: e, b: value("dense.weight"), ldb: h, c: b.upper.pointer, ldc: h)
            try blas.gemm(transposeA: true, m: e, n: h, k: p, a: b.projectedGradient.pointer, lda: e, b: b.hidden[top].pointer, ldb: h,
                          beta: 1, c: gradient("dense.weight"), ldc: h)
            try runtime.biasBackward(gradient("dense.bias"), b.projectedGradient.pointer, rows: p, columns: e)
            var upper = b.upper, lower = b.lower
            for layer in stride(from: top, through: 0, by: -1) {
                try backward(layer: layer, layout: layout, input: layer == 0 ? b.embedded : b.hidden[layer - 1], hiddenGradient: upper,
                             inputGradient: lower, buffers: b)
                swap(&upper, &lower)
            }
            if c.dropout > 0 {
                try runtime.launch(.dropoutBackward, elements: p * e, [.buffer(upper), .buffer(b.dropoutMask), .int32(Int32(p * e))])
            }
            try runtime.launch(.embeddingBackward, elements: p * e, [
                .address(gradient("item_embedding.weight")), .buffer(upper), .buffer(b.ids), .int32(Int32(p)), .int32(Int32(e)),
            ])
            try self.parameters.addGradients(to: parameters)
            return (try runtime.sum(b.losses, count: p), targetCount)
        }
    }

    /// Uploads weights and ids, then the embedding (dropout when `dropoutSeed` is given), the
    /// GRU layers and the dense projection.
    private func forward(inputs: UnsafePointer<Int32>, layout: PackedLayout, parameters: ParameterSet, buffers b: Buffers, dropoutSeed: UInt64?) throws {
        let p = layout.total, c = configuration, e = c.embeddingSize, h = c.hiddenSize
        try self.parameters.upload(parameters)
        var ids = [Int32](repeating: 0, count: p)
        ids.withUnsafeMutableBufferPointer { layout.pack(inputs, into: $0.baseAddress!) }
        try ids.withUnsafeBufferPointer { try context.copy($0.baseAddress!, count: p, to: b.ids) }
        try runtime.launch(.embeddingForward, elements: p * e, [
            .buffer(b.embedded), .buffer(b.ids), .address(value("item_embedding.weight")), .int32(Int32(p)), .int32(Int32(e)),
        ])
        if let dropoutSeed, c.dropout > 0 {
            var random = SeededRandom(seed: dropoutSeed)
            let seed = random.next()
            try runtime.launch(.dropoutForward, elements: p * e, [
                .buffer(b.embedded), .buffer(b.dropoutMask), .int32(Int32(p * e)), .float(c.dropout),
                .int32(Int32(bitPattern: UInt32(truncatingIfNeeded: seed))), .int32(Int32(bitPattern: UInt32(truncatingIfNeeded: seed >> 32))),
            ])
        }
        for layer in 0..<c.layers {
            try forward(layer: layer, layout: layout, input: layer == 0 ? b.embedded : b.hidden[layer - 1], buffers: b)
        }
        try blas.gemm(transposeB: true, m: p, n: e, k: h, a: b.hidden[c.layers - 1].pointer, lda: h, b: value("dense.weight"), ldb: h,
                      c: b.projected.pointer, ldc: e)
        try runtime.launch(.addBias, elements: p * e, [.buffer(b.projected), .address(value("dense.bias")), .int32(Int32(p)), .int32(Int32(e))])
    }

    /// One bias-free GRU layer over time (as `GRULayer.forward`), also keeping each position's
    /// previous state (zero at a sequence's first item) for the backward pass.
    private func forward(layer: Int, layout: PackedLayout, input: DeviceBuffer, buffers b: Buffers) throws {
        let h = configuration.hiddenSize, g3 = 3 * h, p = layout.total
        let inputSize = layer == 0 ? configuration.embeddingSize : h
        let inputGates = b.inputGates[layer], hiddenGates = b.hiddenGates[layer], hidden = b.hidden[layer], previousHidden = b.previousHidden[layer]
        try blas.gemm(transposeB: true, m: p, n: g3, k: inputSize, a: input.pointer, lda: inputSize, b: value("gru_layers.weight_ih_l\(layer)"),
                      ldb: inputSize, c: inputGates.pointer, ldc: g3)
        for t in 0..<layout.steps {
            let (rows, here, previousRows, previous) = layout.step(t)
            if rows == 0 { continue }
            try context.copy(from: hidden.address(previous * h), to: previousHidden.address(here * h), count: previousRows * h)
            try context.zero(previousHidden.address((here + previousRows) * h), count: (rows - previousRows) * h)
            // Rows starting here have h = 0, so their hidden gates are zero (no biases).
            try context.zero(hiddenGates.address(here * g3), count: rows * g3)
            try blas.gemm(transposeB: true, m: previousRows, n: g3, k: h, a: previousHidden.address(here * h), lda: h,
                          b: value("gru_layers.weight_hh_l\(layer)"), ldb: h, c: hiddenGates.address(here * g3), ldc: g3)
            try runtime.launch(.gruCellForward, elements: rows * h, [
                .address(inputGates.address(here * g3)), .address(hiddenGates.address(here * g3)), .address(previousHidden.address(here * h)),
                .address(hidden.address(here * h)), .int32(Int32(rows)), .int32(Int32(h)),
            ])
        }
    }

    /// Backpropagation through time for one layer (as `GRULayer.backward`): `hiddenGradient`
    /// [P, H] holds dLoss/dh from above and receives, step by step, the direct path z · dh and
    /// the recurrent product; both gate buffers become their pre-activation gradients.
    private func backward(layer: Int, layout: PackedLayout, input: DeviceBuffer, hiddenGradient: DeviceBuffer, inputGradient: DeviceBuffer,
                          buffers b: Buffers) throws {
        let h = configuration.hiddenSize, g3 = 3 * h, p = layout.total
        let inputSize = layer == 0 ? configuration.embeddingSize : h
        let inputGates = b.inputGates[layer], hiddenGates = b.hiddenGates[layer]
        for t in stride(from: layout.steps - 1, through: 0, by: -1) {
            let (rows, here, previousRows, previous) = layout.step(t)
            if rows == 0 { continue }
            // In place: each thread reads its own gates before writing their gradients.
            try runtime.launch(.gruCellBackward, elements: rows * h, [
                .address(inputGates.address(here * g3)), .address(hiddenGates.address(here * g3)), .buffer(b.direct),
                .address(inputGates.address(here * g3)), .address(hiddenGates.address(here * g3)),
                .address(b.previousHidden[layer].address(here * h)), .address(hiddenGradient.address(here * h)),
                .int32(Int32(rows)), .int32(Int32(h)),
            ])
            if previousRows > 0 {
                // dh_{t-1} += z · dh_t + dGh_t · W_hh for the rows that continue.
                try runtime.launch(.addScaled, elements: previousRows * h, [
                    .address(hiddenGradient.address(previous * h)), .buffer(b.direct), .int64(Int64(previousRows * h)), .float(1),
                ])
                try blas.gemm(m: previousRows, n: h, k: g3, a: hiddenGates.address(here * g3), lda: g3, b: value("gru_layers.weight_hh_l\(layer)"),
                              ldb: h, beta: 1, c: hiddenGradient.address(previous * h), ldc: h)
            }
        }
        try blas.gemm(transposeA: true, m: g3, n: h, k: p, a: hiddenGates.pointer, lda: g3, b: b.previousHidden[layer].pointer, ldb: h,
                      beta: 1, c: gradient("gru_layers.weight_hh_l\(layer)"), ldc: h)
        try blas.gemm(m: p, n: inputSize, k: g3, a: inputGates.pointer, lda: g3, b: value("gru_layers.weight_ih_l\(layer)"), ldb: inputSize,
                      c: inputGradient.pointer, ldc: inputSize)
        try blas.gemm(transposeA: true, m: g3, n: inputSize, k: p, a: inputGates.pointer, lda: g3, b: input.pointer, ldb: inputSize,
                      beta: 1, c: gradient("gru_layers.weight_ih_l\(layer)"), ldc: inputSize)
    }

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, parameters: ParameterSet,
                      scores: UnsafeMutablePointer<Float>) throws {
        try runtime.exclusively {
            let c = configuration
            let v = c.vocabulary, e = c.embeddingSize
            // Empty histories score the dense bias against every item, as on the CPU.
            let bias = parameters.value("dense.bias"), items = parameters.value("item_embedding.weight")
            var biasScores = [Float](repeating: 0, count: v)
            for item in 0..<v { for j in 0..<e { biasScores[item] += items[item * e + j] * bias[j] } }
            for row in 0..<rows { biasScores.withUnsafeBufferPointer { (scores + row * v).update(from: $0.baseAddress!, count: v) } }
            let layout = PackedLayout(paddedIds: histories, rows: rows, steps: steps)
            if layout.total == 0 || (layout.active.last ?? 0) == 0 { return }
            let b = try buffers(positions: layout.total)
            try forward(inputs: histories, layout: layout, parameters: parameters, buffers: b, dropoutSeed: nil)
            try runtime.scoreLastStep(layout: layout, states: b.projected, width: e, weight: value("item_embedding.weight"), bias: nil,
                                      vocabulary: v, logits: b.logits, chunkRows: b.chunkRows, scores: scores)
        }
    }
}

extension GRU4Rec.Configuration: CUDAFamily {
    public func makeCUDAStep(parameters: ParameterSet, precision: Precision, context: CUDAContext) throws -> any CUDAModelStep {
        try CUDAGRU4RecStep(configuration: self, parameters: parameters, precision: precision, context: context)
    }
}
