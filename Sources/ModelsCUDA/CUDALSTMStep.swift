import CUDA
import Core
import Engine
import Models

/// The seed LSTM's training step and scoring on one GPU, mirroring `LSTMRecommender` and
/// `LSTMLayer` on the CPU op for op: the same packed layout (padding never computed), cuBLAS
/// for every product, the engine's kernels (`CUDAKernelSource`) for the rest. Parameters and
/// gradients live on the device in the CPU's flat layout; each step uploads the weights the
/// CPU optimizer just wrote and adds the device's gradient into `ParameterSet.gradients`.
public final class CUDALSTMStep: StepAccelerator, @unchecked Sendable {
    public let configuration: LSTMRecommender.Configuration
    /// The GPU's index (as `nvidia-smi` and NVML count them).
    public var gpuIndex: Int { context.device.index }
    public var deviceName: String { runtime.deviceName }
    private let runtime: CUDARuntime
    private var context: CUDAContext { runtime.context }
    private var blas: CUBLAS { runtime.blas }
    private let parameters: DeviceParameters
    private var buffers: Buffers?

    /// Activations for up to `positions` packed positions, reallocated when a batch needs more.
    private final class Buffers {
        let positions: Int
        let ids, targets, losses, embedded, upper, lower, cellGradient, logits: DeviceBuffer
        let gates, cells, previousCells, hidden, previousHidden: [DeviceBuffer]
        let chunkRows: Int

        init(positions p: Int, configuration c: LSTMRecommender.Configuration, context: CUDAContext) throws {
            positions = p
            let h = c.hiddenSize, width = max(c.hiddenSize, c.embeddingSize)
            ids = try context.allocate(floats: p)
            targets = try context.allocate(floats: p)
            losses = try context.allocate(floats: p)
            embedded = try context.allocate(floats: p * c.embeddingSize)
            upper = try context.allocate(floats: p * width)
            lower = try context.allocate(floats: p * width)
            cellGradient = try context.allocate(floats: p * h)
            func perLayer(_ count: Int) throws -> [DeviceBuffer] { try (0..<c.layers).map { _ in try context.allocate(floats: count) } }
            gates = try perLayer(p * 4 * h)
            cells = try perLayer(p * h)
            previousCells = try perLayer(p * h)
            hidden = try perLayer(p * h)
            previousHidden = try perLayer(p * h)
            // Logits in chunks of at most 2²⁶ floats (256 MB), as the CPU's fused softmax does in smaller ones.
            chunkRows = max(1, min(p, (1 << 26) / max(1, c.vocabulary)))
            logits = try context.allocate(floats: chunkRows * c.vocabulary)
        }
    }

    /// Compiles the kernels for `context`'s GPU and allocates the parameters of a model laid out as `parameters`.
    public init(configuration: LSTMRecommender.Configuration, parameters: ParameterSet, precision: Precision = .fp32, context: CUDAContext) throws {
        self.configuration = configuration
        runtime = try CUDARuntime(context: context, precision: precision)
        self.parameters = try DeviceParameters(parameters, precision: precision, context: context)
    }

    private func value(_ name: String) -> DevicePointer { parameters.value(name) }
    private func gradient(_ name: String) -> DevicePointer { parameters.gradient(name) }

    private func buffers(positions: Int) throws -> Buffers {
        if let buffers, buffers.positions >= positions { return buffers }
        buffers = nil  // free the old ones first
        let fresh = try Buffers(positions: positions, configuration: configuration, context: context)
        buffers = fresh
        return fresh
    }

    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          parameters: ParameterSet, seed: UInt64 = 0, gradientScale: (Int) -> Float) throws -> (loss: Double, targets: Int) {
        try runtime.exclusively {
            let layout = PackedLayout(paddedIds: inputs, rows: rows, steps: steps)
            let p = layout.total
            if p == 0 { return (0, 0) }
            let (packedTargets, targetCount) = layout.packedTargets(targets)
            if targetCount == 0 { return (0, 0) }
            let b = try buffers(positions: p)
            try forward(inputs: inputs, layout: layout, parameters: parameters, buffers: b)
            try packedTargets.withUnsafeBufferPointer { try context.copy($0.baseAddress!, count: p, to: b.targets) }
            try self.parameters.zeroGradients()
            let c = configuration
            let top = c.layers - 1
            try runtime.softmaxCrossEntropy(input: b.hidden[top].pointer, rows: p, width: c.hiddenSize, weight: value("fc.weight"),
                                            bias: value("fc.bias"), vocabulary: c.vocabulary, targets: b.targets, losses: b.losses,
                                            logits: b.logits, chunkRows: b.chunkRows, scale: gradientScale(targetCount) * self.parameters.lossScale,
                                            weightGradient: gradient("fc.weight"), biasGradient: gradient("fc.bias"), inputGradient: b.upper.pointer)
            // Layers top to bottom; each one's input gradient is the hidden gradient of the one below.
            var upper = b.upper, lower = b.lower
            for layer in stride(from: top, through: 0, by: -1) {
                let input = layer == 0 ? b.embedded : b.hidden[layer - 1]
                try backward(layer: layer, layout: layout, input: input, hiddenGradient: upper, inputGradient: lower, buffers: b)
                swap(&upper, &lower)
            }
            try runtime.launch(.embeddingBackward, elements: p * c.embeddingSize, [
                .address(gradient("embedding.weight")), .buffer(upper), .buffer(b.ids), .int32(Int32(p)), .int32(Int32(c.embeddingSize)),
            ])
            try self.parameters.addGradients(to: parameters)
            return (try runtime.sum(b.losses, count: p), targetCount)
        }
    }

    /// Uploads the weights and the packed ids, then runs the embedding and every layer.
    private func forward(inputs: UnsafePointer<Int32>, layout: PackedLayout, parameters: ParameterSet, buffers b: Buffers) throws {
        let p = layout.total
        try self.parameters.upload(parameters)
        var ids = [Int32](repeating: 0, count: p)
        ids.withUnsafeMutableBufferPointer { layout.pack(inputs, into: $0.baseAddress!) }
        try ids.withUnsafeBufferPointer { try context.copy($0.baseAddress!, count: p, to: b.ids) }
        let c = configuration
        try runtime.launch(.embeddingForward, elements: p * c.embeddingSize, [
            .buffer(b.embedded), .buffer(b.ids), .address(value("embedding.weight")), .int32(Int32(p)), .int32(Int32(c.embeddingSize)),
        ])
        for layer in 0..<c.layers {
            try forward(layer: layer, layout: layout, input: layer == 0 ? b.embedded : b.hidden[layer - 1], buffers: b)
        }
    }

    /// One layer over time (as `LSTMLayer.forward`): the input projection of all positions in one
    /// product, then per step the recurrent product of the rows that continue and the cell.
    /// Also keeps, per position, the cell and hidden state it started from (zero for a
    /// sequence's first item), which the backward pass needs.
    private func forward(layer: Int, layout: PackedLayout, input: DeviceBuffer, buffers b: Buffers) throws {
        let h = configuration.hiddenSize, g4 = 4 * h, p = layout.total
        let inputSize = layer == 0 ? configuration.embeddingSize : h
        let gates = b.gates[layer], cells = b.cells[layer], hidden = b.hidden[layer]
        let previousCells = b.previousCells[layer], previousHidden = b.previousHidden[layer]
        try blas.gemm(transposeB: true, m: p, n: g4, k: inputSize, a: input.pointer, lda: inputSize, b: value("lstm.weight_ih_l\(layer)"),
                      ldb: inputSize, c: gates.pointer, ldc: g4)
        for bias in ["lstm.bias_ih_l\(layer)", "lstm.bias_hh_l\(layer)"] {
            try runtime.launch(.addBias, elements: p * g4, [.buffer(gates), .address(value(bias)), .int32(Int32(p)), .int32(Int32(g4))])
        }
        for t in 0..<layout.steps {
            let (rows, here, previousRows, previous) = layout.step(t)
            if rows == 0 { continue }
            // Row r of step t continues row r of step t-1 (the first previousRows rows of that step).
            try blas.gemm(transposeB: true, m: previousRows, n: g4, k: h, a: hidden.address(previous * h), lda: h,
                          b: value("lstm.weight_hh_l\(layer)"), ldb: h, beta: 1, c: gates.address(here * g4), ldc: g4)
            // The cell, which also keeps the state each row started from for the backward pass.
            try runtime.launch(.lstmCellForwardStep, elements: rows * h, [
                .address(gates.address(here * g4)), .address(cells.address(previous * h)), .address(hidden.address(previous * h)),
                .int32(Int32(previousRows)), .address(previousCells.address(here * h)), .address(previousHidden.address(here * h)),
                .address(cells.address(here * h)), .address(hidden.address(here * h)), .int32(Int32(rows)), .int32(Int32(h)),
            ])
        }
    }

    /// Backpropagation through time for one layer (as `LSTMLayer.backward`): `hiddenGradient`
    /// [P, H] holds dLoss/dh from above and receives the recurrent part step by step; the gates
    /// become dGates; then dW_hh, dW_ih, both biases and `inputGradient` [P, I] in whole products.
    private func backward(layer: Int, layout: PackedLayout, input: DeviceBuffer, hiddenGradient: DeviceBuffer, inputGradient: DeviceBuffer,
                          buffers b: Buffers) throws {
        let h = configuration.hiddenSize, g4 = 4 * h, p = layout.total
        let inputSize = layer == 0 ? configuration.embeddingSize : h
        let gates = b.gates[layer], dc = b.cellGradient
        try context.zero(dc.pointer, count: p * h)
        for t in stride(from: layout.steps - 1, through: 0, by: -1) {
            let (rows, here, previousRows, previous) = layout.step(t)
            if rows == 0 { continue }
            // dGates overwrite the activations in place (each thread reads its four gates before writing them).
            try runtime.launch(.lstmCellBackward, elements: rows * h, [
                .address(gates.address(here * g4)), .address(dc.address(here * h)), .address(gates.address(here * g4)),
                .address(b.previousCells[layer].address(here * h)), .address(b.cells[layer].address(here * h)),
                .address(hiddenGradient.address(here * h)), .int32(Int32(rows)), .int32(Int32(h)),
            ])
            if previousRows > 0 {
                // dh_{t-1} += dGates_t · W_hh and dc_{t-1} = dc · f, for the rows that continue.
                try blas.gemm(m: previousRows, n: h, k: g4, a: gates.address(here * g4), lda: g4, b: value("lstm.weight_hh_l\(layer)"), ldb: h,
                              beta: 1, c: hiddenGradient.address(previous * h), ldc: h)
                try context.copy(from: dc.address(here * h), to: dc.address(previous * h), count: previousRows * h)
            }
        }
        try blas.gemm(transposeA: true, m: g4, n: h, k: p, a: gates.pointer, lda: g4, b: b.previousHidden[layer].pointer, ldb: h,
                      beta: 1, c: gradient("lstm.weight_hh_l\(layer)"), ldc: h)
        try blas.gemm(transposeA: true, m: g4, n: inputSize, k: p, a: gates.pointer, lda: g4, b: input.pointer, ldb: inputSize,
                      beta: 1, c: gradient("lstm.weight_ih_l\(layer)"), ldc: inputSize)
        try blas.gemm(m: p, n: inputSize, k: g4, a: gates.pointer, lda: g4, b: value("lstm.weight_ih_l\(layer)"), ldb: inputSize,
                      c: inputGradient.pointer, ldc: inputSize)
        for bias in ["lstm.bias_ih_l\(layer)", "lstm.bias_hh_l\(layer)"] {
            try runtime.biasBackward(gradient(bias), gates.pointer, rows: p, columns: g4)
        }
    }

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, parameters: ParameterSet,
                      scores: UnsafeMutablePointer<Float>) throws {
        try runtime.exclusively {
            let c = configuration
            let v = c.vocabulary
            let bias = parameters.value("fc.bias")
            for row in 0..<rows { (scores + row * v).update(from: bias, count: v) }  // empty histories score the bias alone
            let layout = PackedLayout(paddedIds: histories, rows: rows, steps: steps)
            if layout.total == 0 || (layout.active.last ?? 0) == 0 { return }
            let b = try buffers(positions: layout.total)
            try forward(inputs: histories, layout: layout, parameters: parameters, buffers: b)
            try runtime.scoreLastStep(layout: layout, states: b.hidden[c.layers - 1], width: c.hiddenSize, weight: value("fc.weight"),
                                      bias: value("fc.bias"), vocabulary: v, logits: b.logits, chunkRows: b.chunkRows, scores: scores)
        }
    }
}

extension LSTMRecommender.Configuration: CUDAFamily {
    public func makeCUDAStep(parameters: ParameterSet, precision: Precision, context: CUDAContext) throws -> any CUDAModelStep {
        try CUDALSTMStep(configuration: self, parameters: parameters, precision: precision, context: context)
    }
}
