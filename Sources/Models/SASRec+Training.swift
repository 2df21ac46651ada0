import Core
import Engine

/// SASRec's training step: the forward pass with dropout, the full-softmax cross-entropy
/// against the tied item embeddings, and the backward pass through every block.
extension SASRec: TrainableModel {
    /// Sampled losses drawing by popularity draw in proportion to the training counts.
    public func prepareForTraining(itemCounts: () -> [Int]) {
        if configuration.loss != .fullSoftmax && configuration.sampler == .popularity { useSampler(NegativeSampler(counts: itemCounts())) }
        if featureEmbedding?.features.scoresWithAttributes == true && configuration.loss == .fullSoftmax {
            tiedOutput.prepare(itemCounts: itemCounts(), width: configuration.hiddenSize)
        }
    }

    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          workspace w: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        if let accelerator {
            return accelerator.trainStepOrStop(inputs: inputs, targets: targets, rows: rows, steps: steps, parameters: parameters,
                                               seed: stepSeed, gradientScale: gradientScale)
        }
        precondition(rows <= w.rows && steps <= w.steps && w.training, "batch larger than its workspace")
        let segments = pack(inputs: inputs, targets: targets, rows: rows, steps: steps, workspace: w)
        let p = segments.rows
        if p == 0 { return (0, 0) }
        let targetCount = SampledLosses.targetCount(w.targets, rows: p)
        if targetCount == 0 { return (0, 0) }
        forward(segments: segments, workspace: w, training: true)
        let c = configuration
        let d = c.hiddenSize
        let dOutput = w.scratchB.pointer
        // Scores against the item rows, or with attributes against item + attribute rows.
        let (items, itemGradient) = tiedOutput.training()
        var random = SeededRandom(seed: stepSeed ^ 0x5DEE_CE66_D1CE_5EED)
        let loss: Double
        switch c.loss {
        case .fullSoftmax:
            var exclude: ((Int, UnsafeMutablePointer<Float>) -> Void)?
            let output = tiedOutput
            if !output.untrainedItems.isEmpty { exclude = { _, logits in output.excludeUntrained(logits) } }
            if c.excludeSeenFromLoss {
                let seen = SeenItemExclusion(segments: segments, ids: w.ids, targets: w.targets)
                exclude = { row, logits in
                    output.excludeUntrained(logits)
                    seen.apply(row: row, logits: logits)
                }
            }
            loss = SoftmaxCrossEntropy.forwardBackward(
                hidden: w.output.pointer, targets: w.targets, rows: p, channels: d, weight: items, bias: nil, vocabulary: c.vocabulary,
                logits: w.logits.pointer, chunkRows: w.chunkRows, gradientScale: gradientScale(targetCount),
                weightGradient: itemGradient, biasGradient: nil, hiddenGradient: dOutput, exclude: exclude)
        case .sampledSoftmax:
            let k = c.negatives, sampler = self.sampler
            let negatives = (0..<k).map { _ in sampler.draw(&random) }
            loss = SampledLosses.sampledSoftmax(
                hidden: w.output.pointer, targets: w.targets, rows: p, channels: d, weight: items, negatives: negatives,
                logExpectedCounts: negatives.map { sampler.logExpectedCount($0, sampleSize: k) },
                targetLogExpectedCount: { sampler.logExpectedCount($0, sampleSize: k) },
                scale: gradientScale(targetCount), hiddenGradient: dOutput, weightGradient: itemGradient,
                logits: w.logits.pointer, chunkRows: max(1, w.logits.count / max(1, k)))
        case .binaryCrossEntropy:
            for row in 0..<p {
                var negative = sampler.draw(&random)
                while negative == w.targets[row] && c.vocabulary > 2 { negative = sampler.draw(&random) }
                w.negatives[row] = negative
            }
            loss = SampledLosses.binaryCrossEntropy(
                hidden: w.output.pointer, targets: w.targets, negatives: w.negatives, rows: p, channels: d, weight: items,
                scale: gradientScale(targetCount), hiddenGradient: dOutput, weightGradient: itemGradient)
        }
        tiedOutput.finishTraining()
        backward(segments: segments, outputGradient: dOutput, workspace: w)
        return (loss, targetCount)
    }

    /// The summed loss of a batch without dropout or gradients (tests, validation loss).
    public func loss(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace) -> Double {
        let segments = pack(inputs: inputs, targets: targets, rows: rows, steps: steps, workspace: w)
        if segments.rows == 0 { return 0 }
        forward(segments: segments, workspace: w, training: false)
        return SoftmaxCrossEntropy.forwardBackward(
            hidden: w.output.pointer, targets: w.targets, rows: segments.rows, channels: configuration.hiddenSize,
            weight: tiedOutput.fresh(), bias: nil, vocabulary: configuration.vocabulary,
            logits: w.logits.pointer, chunkRows: w.chunkRows)
    }

    /// Backpropagates dLoss/dOutput (the final norm's output) to every parameter.
    func backward(segments: CausalSelfAttention.Segments, outputGradient: UnsafeMutablePointer<Float>, workspace w: Workspace) {
        let c = configuration
        let d = c.hiddenSize, p = segments.rows, count = p * d
        func value(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
        func gradient(_ name: String) -> UnsafeMutablePointer<Float> { parameters.gradient(name) }
        // dX: the gradient of the current block's output, carried down the stack.
        let dX = w.gradient.pointer
        dX.update(repeating: 0, count: count)
        LayerNorm.backward(inputGradient: dX, weightGradient: gradient("last_ln.weight"), biasGradient: gradient("last_ln.bias"),
                           outputGradient: outputGradient, input: w.finalInput.pointer, weight: value("last_ln.weight"),
                           mean: w.outputMean.pointer, inverseStd: w.outputInverseStd.pointer, rows: p, channels: d)
        let dA = w.scratchA.pointer, dB = w.scratchB.pointer, dC = w.scratchC.pointer, dD = w.scratchD.pointer
        for b in stride(from: c.blocks - 1, through: 0, by: -1) {
            let a = w.blocks[b]
            // out = f + drop₂(r · W₂ᵀ + b₂): df = dX, dInner₂ = dX ⊙ mask₂.
            let dOuter = dA
            for i in 0..<count { dOuter[i] = dX[i] * a.outerMask.pointer[i] }
            let dF = dX  // df accumulates in place: it starts as dX
            let dActivated = dB
            Linear.backward(inputGradient: dActivated, weightGradient: gradient("ffn.\(b).3.weight"), biasGradient: gradient("ffn.\(b).3.bias"),
                            outputGradient: dOuter, input: a.activated.pointer, weight: value("ffn.\(b).3.weight"), rows: p, inputs: d, outputs: d)
            // activated = drop₁(relu(inner)).
            for i in 0..<count { dActivated[i] = a.inner.pointer[i] > 0 ? dActivated[i] * a.innerMask.pointer[i] : 0 }
            Linear.backward(inputGradient: dF, weightGradient: gradient("ffn.\(b).0.weight"), biasGradient: gradient("ffn.\(b).0.bias"),
                            outputGradient: dActivated, input: a.ffnNorm.pointer, weight: value("ffn.\(b).0.weight"),
                            rows: p, inputs: d, outputs: d, accumulateInput: true)
            // f = LN(residual).
            let dResidual = dC
            dResidual.update(repeating: 0, count: count)
            LayerNorm.backward(inputGradient: dResidual, weightGradient: gradient("ffn_ln.\(b).weight"), biasGradient: gradient("ffn_ln.\(b).bias"),
                               outputGradient: dF, input: a.residual.pointer, weight: value("ffn_ln.\(b).weight"),
                               mean: a.ffnMean.pointer, inverseStd: a.ffnInverseStd.pointer, rows: p, channels: d)
            // residual = q + attended · W_oᵀ + b_o: dq = dResidual.
            let dAttended = dA
            Linear.backward(inputGradient: dAttended, weightGradient: gradient("attn.\(b).out_proj.weight"), biasGradient: gradient("attn.\(b).out_proj.bias"),
                            outputGradient: dResidual, input: a.attended.pointer, weight: value("attn.\(b).out_proj.weight"), rows: p, inputs: d, outputs: d)
            let dQuery = dB, dKey = dD, dValue = dX  // dX (= dF) is spent
            CausalSelfAttention.backward(outputGradient: dAttended, query: a.query.pointer, key: a.key.pointer, value: a.value.pointer,
                                         probabilities: a.probabilities.pointer, mask: c.dropout > 0 ? a.attentionMask.pointer : nil,
                                         queryGradient: dQuery, keyGradient: dKey, valueGradient: dValue,
                                         segments: segments, channels: d, threads: BLAS.processThreads)
            let inWeight = value("attn.\(b).in_proj.weight"), inBias = gradient("attn.\(b).in_proj.bias")
            let inGradient = gradient("attn.\(b).in_proj.weight")
            // Q = q W_qᵀ + b_q: dq (dResidual) += dQ · W_q.
            Linear.backward(inputGradient: dResidual, weightGradient: inGradient, biasGradient: inBias, outputGradient: dQuery,
                            input: a.attentionNorm.pointer, weight: inWeight, rows: p, inputs: d, outputs: d, accumulateInput: true)
            // K and V from the block input x: dx = dK · W_k + dV · W_v (into dA, then the norm adds its part).
            let dInput = dA
            Linear.backward(inputGradient: dInput, weightGradient: inGradient + d * d, biasGradient: inBias + d, outputGradient: dKey,
                            input: a.input.pointer, weight: inWeight + d * d, rows: p, inputs: d, outputs: d)
            Linear.backward(inputGradient: dInput, weightGradient: inGradient + 2 * d * d, biasGradient: inBias + 2 * d, outputGradient: dValue,
                            input: a.input.pointer, weight: inWeight + 2 * d * d, rows: p, inputs: d, outputs: d, accumulateInput: true)
            // q = LN(x).
            LayerNorm.backward(inputGradient: dInput, weightGradient: gradient("attn_ln.\(b).weight"), biasGradient: gradient("attn_ln.\(b).bias"),
                               outputGradient: dResidual, input: a.input.pointer, weight: value("attn_ln.\(b).weight"),
                               mean: a.attentionMean.pointer, inverseStd: a.attentionInverseStd.pointer, rows: p, channels: d)
            dX.update(from: dInput, count: count)
        }
        // x₀ = drop(E[id] · √d + P[pos]).
        let scale = Float(d).squareRoot()
        let dItems = gradient("item_emb.weight"), dPositions = gradient("pos_emb.weight")
        let masked = w.featureGradient.pointer
        for row in 0..<p {
            let g = dX + row * d, m = w.embeddingMask.pointer + row * d
            let item = dItems + Int(w.ids[row]) * d, position = dPositions + Int(w.positions[row]) * d
            for j in 0..<d {
                let value = g[j] * m[j]
                item[j] += value * scale
                position[j] += value
                masked[j] = value
            }
            featureEmbedding?.backward(masked, cell: Int(w.cells[row]), item: Int(w.ids[row]))
        }
    }
}
