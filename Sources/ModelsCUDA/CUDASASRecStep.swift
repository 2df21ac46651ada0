import CUDA
import Core
import Engine
import Models

/// SASRec's training step (full-softmax loss) and scoring on one GPU, mirroring
/// `SASRec.forward` / `SASRec.backward` op for op with cuBLAS and the engine's kernels.
/// Unlike the CPU, which packs sequences without their padding, the GPU works on the padded
/// [B, T] batch as PyTorch does: padded queries get zero attention and no loss, padded keys
/// are masked, so the padding changes no result. Dropout masks come from the kernels' counter
/// hash, so a GPU run draws different masks from a CPU run of the same seed.
public final class CUDASASRecStep: StepAccelerator, @unchecked Sendable {
    public let configuration: SASRec.Configuration
    /// The GPU's index (as `nvidia-smi` and NVML count them).
    public var gpuIndex: Int { context.device.index }
    public var deviceName: String { runtime.deviceName }
    private let runtime: CUDARuntime
    private var context: CUDAContext { runtime.context }
    private var blas: CUBLAS { runtime.blas }
    private let parameters: DeviceParameters
    private var buffers: Buffers?

    /// Activations of one block (probability-sized buffers are [B, heads, T, T]).
    private final class Block {
        let input, attentionNorm, attentionMean, attentionInverseStd, query, key, value, attended: DeviceBuffer
        let probabilities, dropped, attentionMask: DeviceBuffer
        let residual, ffnNorm, ffnMean, ffnInverseStd, inner, activated, innerMask, outerMask: DeviceBuffer

        init(positions n: Int, channels d: Int, probabilityCount: Int, context: CUDAContext) throws {
            func buffer(_ count: Int) throws -> DeviceBuffer { try context.allocate(floats: count) }
            input = try buffer(n * d); attentionNorm = try buffer(n * d); attentionMean = try buffer(n); attentionInverseStd = try buffer(n)
            query = try buffer(n * d); key = try buffer(n * d); value = try buffer(n * d); attended = try buffer(n * d)
            probabilities = try buffer(probabilityCount); dropped = try buffer(probabilityCount); attentionMask = try buffer(probabilityCount)
            residual = try buffer(n * d); ffnNorm = try buffer(n * d); ffnMean = try buffer(n); ffnInverseStd = try buffer(n)
            inner = try buffer(n * d); activated = try buffer(n * d); innerMask = try buffer(n * d); outerMask = try buffer(n * d)
        }
    }

    /// Everything a batch of `rows` windows of `steps` positions needs, reallocated for larger batches.
    private final class Buffers {
        let rows, steps: Int
        let ids, positions, targets, pads, losses: DeviceBuffer
        let embeddingMask, positionRows, finalInput, output, outputMean, outputInverseStd: DeviceBuffer
        let blocks: [Block]
        let gradient, scratchA, scratchB, scratchC, scratchD, probabilityGradient: DeviceBuffer
        let logits: DeviceBuffer
        let chunkRows: Int

        init(rows: Int, steps: Int, configuration c: SASRec.Configuration, context: CUDAContext) throws {
            self.rows = rows
            self.steps = steps
            let n = rows * steps, d = c.hiddenSize, probabilityCount = rows * c.heads * steps * steps
            func buffer(_ count: Int) throws -> DeviceBuffer { try context.allocate(floats: count) }
            ids = try buffer(n); positions = try buffer(n); targets = try buffer(n); pads = try buffer(rows); losses = try buffer(n)
            embeddingMask = try buffer(n * d); positionRows = try buffer(n * d); finalInput = try buffer(n * d)
            output = try buffer(n * d); outputMean = try buffer(n); outputInverseStd = try buffer(n)
            blocks = try (0..<c.blocks).map { _ in try Block(positions: n, channels: d, probabilityCount: probabilityCount, context: context) }
            gradient = try buffer(n * d); scratchA = try buffer(n * d); scratchB = try buffer(n * d)
            scratchC = try buffer(n * d); scratchD = try buffer(n * d); probabilityGradient = try buffer(probabilityCount)
            chunkRows = max(1, min(n, (1 << 26) / max(1, c.vocabulary)))
            logits = try buffer(chunkRows * c.vocabulary)
        }

        func blockInput(_ b: Int) -> DeviceBuffer { b < blocks.count ? blocks[b].input : finalInput }
    }

    /// Compiles the kernels for `context`'s GPU and allocates a model laid out as `parameters`.
    /// Only the full-softmax loss runs here (the sampled losses stay on the CPU).
    public init(configuration: SASRec.Configuration, parameters: ParameterSet, precision: Precision = .fp32, context: CUDAContext) throws {
        guard configuration.loss == .fullSoftmax else { throw CUDAError.unsupported("SASRec's \(configuration.loss.rawValue) loss on CUDA (only --loss full runs there)") }
        self.configuration = configuration
        runtime = try CUDARuntime(context: context, precision: precision)
        self.parameters = try DeviceParameters(parameters, precision: precision, context: context)
    }

    private func value(_ name: String, _ offset: Int = 0) -> DevicePointer { parameters.value(name, offset) }
    private func gradient(_ name: String, _ offset: Int = 0) -> DevicePointer { parameters.gradient(name, offset) }

    private func buffers(rows: Int, steps: Int) throws -> Buffers {
        if let buffers, buffers.rows >= rows, buffers.steps == steps { return buffers }
        buffers = nil
        let fresh = try Buffers(rows: rows, steps: steps, configuration: configuration, context: context)
        buffers = fresh
        return fresh
    }

    /// The batch's most recent `maxLength` columns, uploaded: ids, positions (0 for padding, as
    /// the CPU numbers them otherwise), targets and each window's padding. Returns the columns kept.
    private func upload(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>?, rows: Int, steps: Int, buffers b: Buffers?) throws -> (steps: Int, pads: [Int32], targets: [Int32]) {
        let t = min(steps, configuration.maxLength), skipped = steps - t
        var ids = [Int32](repeating: 0, count: rows * t), positions = ids, kept = ids, pads = [Int32](repeating: 0, count: rows)
        for r in 0..<rows {
            var pad = 0
            while pad < t && inputs[r * steps + skipped + pad] == 0 { pad += 1 }
            pads[r] = Int32(pad)
            for column in pad..<t {
                ids[r * t + column] = inputs[r * steps + skipped + column]
                positions[r * t + column] = Int32(configuration.maxLength - t + 1 + column)
                if let targets { kept[r * t + column] = targets[r * steps + skipped + column] }
            }
        }
        if let b {
            try ids.withUnsafeBufferPointer { try context.copy($0.baseAddress!, count: rows * t, to: b.ids) }
            try positions.withUnsafeBufferPointer { try context.copy($0.baseAddress!, count: rows * t, to: b.positions) }
            try kept.withUnsafeBufferPointer { try context.copy($0.baseAddress!, count: rows * t, to: b.targets) }
            try pads.withUnsafeBufferPointer { try context.copy($0.baseAddress!, count: rows, to: b.pads) }
        }
        return (t, pads, kept)
    }

    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          parameters: ParameterSet, seed: UInt64, gradientScale: (Int) -> Float) throws -> (loss: Double, targets: Int) {
        try runtime.exclusively {
            let t = min(steps, configuration.maxLength)
            let b = try buffers(rows: rows, steps: t)
            let kept = try upload(inputs: inputs, targets: targets, rows: rows, steps: steps, buffers: b).targets
            let targetCount = kept.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
            if targetCount == 0 { return (0, 0) }
            try self.parameters.upload(parameters)
            try self.parameters.zeroGradients()
            var random = SeededRandom(seed: seed)
            try forward(rows: rows, steps: t, buffers: b, dropout: configuration.dropout, random: &random)
            // Full softmax against the tied item embeddings, the items already in each window left out when asked.
            let c = configuration
            let n = rows * t, v = c.vocabulary
            let dOutput = b.scratchB
            try runtime.softmaxCrossEntropy(
                input: b.output.pointer, rows: n, width: c.hiddenSize, weight: value("item_emb.weight"), bias: nil, vocabulary: v,
                targets: b.targets, losses: b.losses, logits: b.logits, chunkRows: b.chunkRows, scale: gradientScale(targetCount) * self.parameters.lossScale,
                weightGradient: gradient("item_emb.weight"), biasGradient: nil, inputGradient: dOutput.pointer,
                beforeSoftmax: c.excludeSeenFromLoss ? { start, count in
                    try self.runtime.launchRows(.maskHistoryLogits, rows: count, [
                        .buffer(b.logits), .buffer(b.ids), .buffer(b.targets), .int32(Int32(count)), .int32(Int32(t)), .int32(Int32(v)),
                        .int32(Int32(start)),
                    ])
                } : nil)
            try backward(rows: rows, steps: t, outputGradient: dOutput, buffers: b)
            try self.parameters.addGradients(to: parameters)
            return (try runtime.sum(b.losses, count: n), targetCount)
        }
    }

    /// Dropout in place on `count` values, its mask kept; seeds drawn from `random` as the CPU draws them per site.
    private func dropout(_ values: DevicePointer, mask: DeviceBuffer, count: Int, probability: Float, random: inout SeededRandom) throws {
        let seed = random.next()
        try runtime.launch(.dropoutForward, elements: count, [
            .address(values), .buffer(mask), .int32(Int32(count)), .float(probability), .int32(Int32(bitPattern: UInt32(truncatingIfNeeded: seed))),
            .int32(Int32(bitPattern: UInt32(truncatingIfNeeded: seed >> 32))),
        ])
    }

    /// y = x · Wᵀ + b for `rows` rows of `d` channels (W: d × d at `weight`).
    private func linear(_ output: DevicePointer, _ input: DevicePointer, weight: DevicePointer, bias: DevicePointer, rows: Int, beta: Float = 0) throws {
        let d = configuration.hiddenSize
        try blas.gemm(transposeB: true, m: rows, n: d, k: d, a: input, lda: d, b: weight, ldb: d, beta: beta, c: output, ldc: d)
        try runtime.launch(.addBias, elements: rows * d, [.address(output), .address(bias), .int32(Int32(rows)), .int32(Int32(d))])
    }

    private func layerNorm(_ output: DeviceBuffer, mean: DeviceBuffer, inverseStd: DeviceBuffer, input: DeviceBuffer, name: String, rows: Int) throws {
        try runtime.launchRows(.layerNormForward, rows: rows, [
            .buffer(output), .buffer(mean), .buffer(inverseStd), .buffer(input), .address(value(name + ".weight")), .address(value(name + ".bias")),
            .int32(Int32(rows)), .int32(Int32(configuration.hiddenSize)), .float(configuration.layerNormEpsilon),
        ])
    }

    /// The forward pass over the padded batch (as `SASRec.forward`), with dropout when `dropout` > 0.
    private func forward(rows: Int, steps t: Int, buffers b: Buffers, dropout p: Float, random: inout SeededRandom) throws {
        let c = configuration
        let n = rows * t, d = c.hiddenSize, heads = c.heads, dh = d / heads
        let x0 = b.blockInput(0)
        try runtime.launch(.embeddingForward, elements: n * d, [.buffer(x0), .buffer(b.ids), .address(value("item_emb.weight")), .int32(Int32(n)), .int32(Int32(d))])
        try runtime.launch(.scaleValues, elements: n * d, [.buffer(x0), .int64(Int64(n * d)), .float(Float(d).squareRoot())])
        try runtime.launch(.embeddingForward, elements: n * d, [.buffer(b.positionRows), .buffer(b.positions), .address(value("pos_emb.weight")), .int32(Int32(n)), .int32(Int32(d))])
        try runtime.launch(.addScaled, elements: n * d, [.buffer(x0), .buffer(b.positionRows), .int64(Int64(n * d)), .float(1)])
        if p > 0 { try dropout(x0.pointer, mask: b.embeddingMask, count: n * d, probability: p, random: &random) }
        let probabilityCount = rows * heads * t * t
        for (index, a) in b.blocks.enumerated() {
            let inWeight = "attn.\(index).in_proj.weight", inBias = "attn.\(index).in_proj.bias"
            try layerNorm(a.attentionNorm, mean: a.attentionMean, inverseStd: a.attentionInverseStd, input: a.input, name: "attn_ln.\(index)", rows: n)
            // The reference's quirk, kept: queries from the normalised input, keys and values from the input itself.
            try linear(a.query.pointer, a.attentionNorm.pointer, weight: value(inWeight), bias: value(inBias), rows: n)
            try linear(a.key.pointer, a.input.pointer, weight: value(inWeight, d * d), bias: value(inBias, d), rows: n)
            try linear(a.value.pointer, a.input.pointer, weight: value(inWeight, 2 * d * d), bias: value(inBias, 2 * d), rows: n)
            for h in 0..<heads {
                try blas.gemmBatched(transposeB: true, m: t, n: t, k: dh, a: a.query.address(h * dh), lda: d, strideA: t * d,
                                     b: a.key.address(h * dh), ldb: d, strideB: t * d, c: a.probabilities.address(h * t * t), ldc: t,
                                     strideC: heads * t * t, batches: rows)
            }
            try runtime.launchRows(.causalSoftmaxForward, rows: rows * heads * t, threads: 128, [
                .buffer(a.probabilities), .buffer(b.pads), .int32(Int32(rows * heads)), .int32(Int32(heads)), .int32(Int32(t)),
                .float(1 / Float(dh).squareRoot()),
            ])
            var used = a.probabilities
            if p > 0 {
                try context.copy(from: a.probabilities.pointer, to: a.dropped.pointer, count: probabilityCount)
                try dropout(a.dropped.pointer, mask: a.attentionMask, count: probabilityCount, probability: p, random: &random)
                used = a.dropped
            }
            for h in 0..<heads {
                try blas.gemmBatched(m: t, n: dh, k: t, a: used.address(h * t * t), lda: t, strideA: heads * t * t,
                                     b: a.value.address(h * dh), ldb: d, strideB: t * d, c: a.attended.address(h * dh), ldc: d,
                                     strideC: t * d, batches: rows)
            }
            // residual = q + attended · W_oᵀ + b_o
            try context.copy(from: a.attentionNorm.pointer, to: a.residual.pointer, count: n * d)
            try linear(a.residual.pointer, a.attended.pointer, weight: value("attn.\(index).out_proj.weight"), bias: value("attn.\(index).out_proj.bias"),
                       rows: n, beta: 1)
            try layerNorm(a.ffnNorm, mean: a.ffnMean, inverseStd: a.ffnInverseStd, input: a.residual, name: "ffn_ln.\(index)", rows: n)
            try linear(a.inner.pointer, a.ffnNorm.pointer, weight: value("ffn.\(index).0.weight"), bias: value("ffn.\(index).0.bias"), rows: n)
            try runtime.launch(.reluForward, elements: n * d, [.buffer(a.activated), .buffer(a.inner), .int32(Int32(n * d))])
            if p > 0 { try dropout(a.activated.pointer, mask: a.innerMask, count: n * d, probability: p, random: &random) }
            // next = ffnNorm + dropout(activated · W₂ᵀ + b₂)
            let next = b.blockInput(index + 1)
            try linear(next.pointer, a.activated.pointer, weight: value("ffn.\(index).3.weight"), bias: value("ffn.\(index).3.bias"), rows: n)
            if p > 0 { try dropout(next.pointer, mask: a.outerMask, count: n * d, probability: p, random: &random) }
            try runtime.launch(.addScaled, elements: n * d, [.buffer(next), .buffer(a.ffnNorm), .int64(Int64(n * d)), .float(1)])
        }
        try layerNorm(b.output, mean: b.outputMean, inverseStd: b.outputInverseStd, input: b.finalInput, name: "last_ln", rows: n)
    }

    /// dLoss/dx += dLoss/dy · W and dW += dyᵀ · x, db += Σ dy, for y = x · Wᵀ + b over `rows` rows.
    private func linearBackward(inputGradient: DevicePointer?, accumulate: Bool = false, outputGradient: DevicePointer, input: DevicePointer,
                                weight: String, bias: String, weightOffset: Int = 0, biasOffset: Int = 0, rows: Int) throws {
        let d = configuration.hiddenSize
        if let inputGradient {
            try blas.gemm(m: rows, n: d, k: d, a: outputGradient, lda: d, b: value(weight, weightOffset), ldb: d, beta: accumulate ? 1 : 0,
                          c: inputGradient, ldc: d)
        }
        try blas.gemm(transposeA: true, m: d, n: d, k: rows, a: outputGradient, lda: d, b: input, ldb: d, beta: 1, c: gradient(weight, weightOffset), ldc: d)
        try runtime.biasBackward(gradient(bias, biasOffset), outputGradient, rows: rows, columns: d)
    }

    private func layerNormBackward(inputGradient: DeviceBuffer, outputGradient: DeviceBuffer, input: DeviceBuffer, mean: DeviceBuffer,
                                   inverseStd: DeviceBuffer, name: String, rows: Int) throws {
        try runtime.launchRows(.layerNormBackward, rows: rows, [
            .buffer(inputGradient), .address(gradient(name + ".weight")), .address(gradient(name + ".bias")), .buffer(outputGradient),
            .buffer(input), .address(value(name + ".weight")), .buffer(mean), .buffer(inverseStd), .int32(Int32(rows)),
            .int32(Int32(configuration.hiddenSize)),
        ])
    }

    /// Backpropagates dLoss/dOutput to every parameter (as `SASRec.backward`).
    private func backward(rows: Int, steps t: Int, outputGradient: DeviceBuffer, buffers b: Buffers) throws {
        let c = configuration
        let n = rows * t, d = c.hiddenSize, count = n * d, heads = c.heads, dh = d / heads
        let dropout = c.dropout > 0
        let dX = b.gradient, dA = b.scratchA, dB = b.scratchB, dC = b.scratchC, dD = b.scratchD, dP = b.probabilityGradient
        try context.zero(dX.pointer, count: count)
        try layerNormBackward(inputGradient: dX, outputGradient: outputGradient, input: b.finalInput, mean: b.outputMean,
                              inverseStd: b.outputInverseStd, name: "last_ln", rows: n)
        for index in stride(from: c.blocks - 1, through: 0, by: -1) {
            let a = b.blocks[index]
            // out = f + drop₂(r · W₂ᵀ + b₂): df = dX, dInner₂ = dX ⊙ mask₂.
            try context.copy(from: dX.pointer, to: dA.pointer, count: count)
            if dropout { try runtime.launch(.dropoutBackward, elements: count, [.buffer(dA), .buffer(a.outerMask), .int32(Int32(count))]) }
            try linearBackward(inputGradient: dB.pointer, outputGradient: dA.pointer, input: a.activated.pointer,
                               weight: "ffn.\(index).3.weight", bias: "ffn.\(index).3.bias", rows: n)
            // activated = drop₁(relu(inner)).
            try runtime.launch(.reluBackward, elements: count, [.buffer(dB), .buffer(dB), .buffer(a.inner), .int32(Int32(count))])
            if dropout { try runtime.launch(.dropoutBackward, elements: count, [.buffer(dB), .buffer(a.innerMask), .int32(Int32(count))]) }
            try linearBackward(inputGradient: dX.pointer, accumulate: true, outputGradient: dB.pointer, input: a.ffnNorm.pointer,
                               weight: "ffn.\(index).0.weight", bias: "ffn.\(index).0.bias", rows: n)
            // f = LN(residual).
            try context.zero(dC.pointer, count: count)
            try layerNormBackward(inputGradient: dC, outputGradient: dX, input: a.residual, mean: a.ffnMean, inverseStd: a.ffnInverseStd,
                                  name: "ffn_ln.\(index)", rows: n)
            // residual = q + attended · W_oᵀ + b_o: dq = dResidual.
            try linearBackward(inputGradient: dA.pointer, outputGradient: dC.pointer, input: a.attended.pointer,
                               weight: "attn.\(index).out_proj.weight", bias: "attn.\(index).out_proj.bias", rows: n)
            // Attention: dA holds dAttended; dQ → dB, dK → dD, dV → dX (spent).
            let used = dropout ? a.dropped : a.probabilities
            for h in 0..<heads {
                try blas.gemmBatched(transposeB: true, m: t, n: t, k: dh, a: dA.address(h * dh), lda: d, strideA: t * d,
                                     b: a.value.address(h * dh), ldb: d, strideB: t * d, c: dP.address(h * t * t), ldc: t,
                                     strideC: heads * t * t, batches: rows)
                try blas.gemmBatched(transposeA: true, m: t, n: dh, k: t, a: used.address(h * t * t), lda: t, strideA: heads * t * t,
                                     b: dA.address(h * dh), ldb: d, strideB: t * d, c: dX.address(h * dh), ldc: d, strideC: t * d, batches: rows)
            }
            let probabilityCount = rows * heads * t * t
            if dropout {
                try runtime.launch(.dropoutBackward, elements: probabilityCount, [.buffer(dP), .buffer(a.attentionMask), .int32(Int32(probabilityCount))])
            }
            try runtime.launchRows(.causalSoftmaxBackward, rows: rows * heads * t, threads: 128, [
                .buffer(dP), .buffer(a.probabilities), .int32(Int32(rows * heads * t)), .int32(Int32(t)), .float(1 / Float(dh).squareRoot()),
            ])
            for h in 0..<heads {
                try blas.gemmBatched(m: t, n: dh, k: t, a: dP.address(h * t * t), lda: t, strideA: heads * t * t,
                                     b: a.key.address(h * dh), ldb: d, strideB: t * d, c: dB.address(h * dh), ldc: d, strideC: t * d, batches: rows)
                try blas.gemmBatched(transposeA: true, m: t, n: dh, k: t, a: dP.address(h * t * t), lda: t, strideA: heads * t * t,
                                     b: a.query.address(h * dh), ldb: d, strideB: t * d, c: dD.address(h * dh), ldc: d, strideC: t * d, batches: rows)
            }
            let inWeight = "attn.\(index).in_proj.weight", inBias = "attn.\(index).in_proj.bias"
            // Q = q W_qᵀ + b_q: dq (dC) += dQ · W_q.
            try linearBackward(inputGradient: dC.pointer, accumulate: true, outputGradient: dB.pointer, input: a.attentionNorm.pointer,
                               weight: inWeight, bias: inBias, rows: n)
            // K and V from the block input x: dx = dK · W_k + dV · W_v (into dA, then the norm adds its part).
            try linearBackward(inputGradient: dA.pointer, outputGradient: dD.pointer, input: a.input.pointer, weight: inWeight, bias: inBias,
                               weightOffset: d * d, biasOffset: d, rows: n)
            try linearBackward(inputGradient: dA.pointer, accumulate: true, outputGradient: dX.pointer, input: a.input.pointer,
                               weight: inWeight, bias: inBias, weightOffset: 2 * d * d, biasOffset: 2 * d, rows: n)
            // q = LN(x).
            try layerNormBackward(inputGradient: dA, outputGradient: dC, input: a.input, mean: a.attentionMean, inverseStd: a.attentionInverseStd,
                                  name: "attn_ln.\(index)", rows: n)
            try context.copy(from: dA.pointer, to: dX.pointer, count: count)
        }
        // x₀ = drop(E[id] · √d + P[pos]); padding (id 0, position 0) gets no gradient.
        if dropout { try runtime.launch(.dropoutBackward, elements: count, [.buffer(dX), .buffer(b.embeddingMask), .int32(Int32(count))]) }
        try runtime.launch(.embeddingBackward, elements: count, [.address(gradient("pos_emb.weight")), .buffer(dX), .buffer(b.positions), .int32(Int32(n)), .int32(Int32(d))])
        try runtime.launch(.scaleValues, elements: count, [.buffer(dX), .int64(Int64(count)), .float(Float(d).squareRoot())])
        try runtime.launch(.embeddingBackward, elements: count, [.address(gradient("item_emb.weight")), .buffer(dX), .buffer(b.ids), .int32(Int32(n)), .int32(Int32(d))])
    }

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, parameters: ParameterSet,
                      scores: UnsafeMutablePointer<Float>) throws {
        try runtime.exclusively {
            let c = configuration
            let v = c.vocabulary, d = c.hiddenSize
            let t = min(steps, c.maxLength)
            try self.parameters.upload(parameters)
            var start = 0
            while start < rows {
                let count = min(SASRec.scoringRows, rows - start)
                let b = try buffers(rows: count, steps: t)
                let pads = try upload(inputs: histories + start * steps, targets: nil, rows: count, steps: steps, buffers: b).pads
                var random = SeededRandom(seed: 0)
                try forward(rows: count, steps: t, buffers: b, dropout: 0, random: &random)
                // Each window's last position: rows t·d floats apart in the output.
                var chunkStart = 0
                while chunkStart < count {
                    let n = min(b.chunkRows, count - chunkStart)
                    try blas.gemm(transposeB: true, m: n, n: v, k: d, a: b.output.address(((chunkStart + 1) * t - 1) * d), lda: t * d,
                                  b: value("item_emb.weight"), ldb: d, c: b.logits.pointer, ldc: v)
                    try context.copy(b.logits, count: n * v, to: scores + (start + chunkStart) * v)
                    chunkStart += n
                }
                // An empty history scores every item 0, as on the CPU.
                for r in 0..<count where Int(pads[r]) == t { (scores + (start + r) * v).update(repeating: 0, count: v) }
                start += count
            }
        }
    }
}

extension SASRec.Configuration: CUDAFamily {
    public var cudaProblem: String? {
        loss == .fullSoftmax ? nil : "--device cuda: SASRec's sampled losses do not run on CUDA (--loss full does); use --device cpu for them"
    }

    public func makeCUDAStep(parameters: ParameterSet, precision: Precision, context: CUDAContext) throws -> any CUDAModelStep {
        try CUDASASRecStep(configuration: self, parameters: parameters, precision: precision, context: context)
    }
}
