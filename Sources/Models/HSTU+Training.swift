import Core
import Engine

/// HSTU's training step: the forward pass with dropout, the full-softmax cross-entropy of the
/// cosine logits against every item, and the backward pass through every layer.
extension HSTU: TrainableModel {
    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          workspace w: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        precondition(rows <= w.rows && steps <= w.steps && w.training, "batch larger than its workspace")
        let segments = pack(inputs: inputs, targets: targets, rows: rows, steps: steps, workspace: w)
        let p = segments.rows
        if p == 0 { return (0, 0) }
        let targetCount = SampledLosses.targetCount(w.targets, rows: p)
        if targetCount == 0 { return (0, 0) }
        forward(segments: segments, workspace: w, training: true)
        let c = configuration
        let d = c.hiddenSize, v = c.vocabulary
        normalizeItems(workspace: w)
        w.itemGradient.pointer.update(repeating: 0, count: v * d)
        let seen = c.excludeSeenFromLoss ? SeenItemExclusion(segments: segments, ids: w.ids, targets: w.targets) : nil
        let dHidden = w.scratchA.pointer
        let loss = SoftmaxCrossEntropy.forwardBackward(
            hidden: w.hidden.pointer, targets: w.targets, rows: p, channels: d, weight: w.items.pointer, bias: nil, vocabulary: v,
            logits: w.logits.pointer, chunkRows: w.chunkRows, gradientScale: gradientScale(targetCount),
            weightGradient: w.itemGradient.pointer, biasGradient: nil, hiddenGradient: dHidden,
            exclude: { row, logits in
                // The padding row (zero, so a logit of 0) is not an item.
                logits[0] = -.infinity
                seen?.apply(row: row, logits: logits)
            })
        // Through the items' normalisation into their embeddings (which also feed the input).
        RowL2Norm.backward(inputGradient: parameters.gradient("item_emb.weight"), outputGradient: w.itemGradient.pointer,
                           output: w.items.pointer, inverseNorm: w.itemInverseNorm.pointer, rows: v, channels: d, accumulate: true)
        backward(segments: segments, hiddenGradient: dHidden, workspace: w)
        return (loss, targetCount)
    }

    /// The summed loss of a batch without dropout or gradients (tests, validation loss).
    public func loss(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace) -> Double {
        let segments = pack(inputs: inputs, targets: targets, rows: rows, steps: steps, workspace: w)
        if segments.rows == 0 { return 0 }
        forward(segments: segments, workspace: w, training: false)
        normalizeItems(workspace: w)
        return SoftmaxCrossEntropy.forwardBackward(
            hidden: w.hidden.pointer, targets: w.targets, rows: segments.rows, channels: configuration.hiddenSize,
            weight: w.items.pointer, bias: nil, vocabulary: configuration.vocabulary, logits: w.logits.pointer, chunkRows: w.chunkRows,
            exclude: { _, logits in logits[0] = -.infinity })
    }

    /// Backpropagates dLoss/dHidden (the normalised states over the temperature) to every parameter.
    func backward(segments: CausalSelfAttention.Segments, hiddenGradient: UnsafeMutablePointer<Float>, workspace w: Workspace) {
        let c = configuration
        let d = c.hiddenSize, p = segments.rows, count = p * d
        func value(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
        func gradient(_ name: String) -> UnsafeMutablePointer<Float> { parameters.gradient(name) }
        let inverseTemperature = 1 / c.temperature
        for i in 0..<count { hiddenGradient[i] *= inverseTemperature }
        // dX: the gradient of the current layer's output, carried down the stack.
        let dX = w.gradient.pointer
        RowL2Norm.backward(inputGradient: dX, outputGradient: hiddenGradient, output: w.output.pointer,
                           inverseNorm: w.outputInverseNorm.pointer, rows: p, channels: d)
        let dGated = w.scratchA.pointer, dNorm = w.scratchB.pointer, dAttended = w.scratchC.pointer
        let dWide = w.wideGradient.pointer
        let junkWeight = discardedGradient.pointer, junkBias = discardedGradient.pointer + d
        for b in stride(from: c.blocks - 1, through: 0, by: -1) {
            let a = w.layers[b]
            let h = a.activated.pointer
            // next = x + gated · W_oᵀ + b_o: dx = dX (the residual), dGated = dX · W_o.
            Linear.backward(inputGradient: dGated, weightGradient: gradient("hstu.\(b).o.weight"), biasGradient: gradient("hstu.\(b).o.bias"),
                            outputGradient: dX, input: a.gated.pointer, weight: value("hstu.\(b).o.weight"), rows: p, inputs: d, outputs: d)
            if c.dropout > 0 { Dropout.backward(gradient: dGated, mask: a.gateMask.pointer, count: count) }
            // gated = u ⊙ LN(a): du into the wide gradient's u columns, dLN(a) = dGated ⊙ u.
            let norm = a.attendedNorm.pointer
            for r in 0..<p {
                let g = dGated + r * d, n = norm + r * d, u = h + r * 4 * d, du = dWide + r * 4 * d, dn = dNorm + r * d
                for j in 0..<d {
                    du[j] = g[j] * n[j]
                    dn[j] = g[j] * u[j]
                }
            }
            dAttended.update(repeating: 0, count: count)
            LayerNorm.backward(inputGradient: dAttended, weightGradient: junkWeight, biasGradient: junkBias, outputGradient: dNorm,
                               input: a.attended.pointer, weight: unitWeight.pointer, mean: a.attendedMean.pointer,
                               inverseStd: a.attendedInverseStd.pointer, rows: p, channels: d)
            PointwiseAttention.backward(outputGradient: dAttended, query: h + 2 * d, key: h + 3 * d, value: h + d, stride: 4 * d,
                                        scores: a.scores.pointer, normalizer: Float(c.maxLength),
                                        queryGradient: dWide + 2 * d, keyGradient: dWide + 3 * d, valueGradient: dWide + d,
                                        biasGradient: gradient("hstu.\(b).rel_pos_bias"), segments: segments, channels: d,
                                        threads: BLAS.processThreads)
            SiLU.backward(inputGradient: dWide, outputGradient: dWide, input: a.projection.pointer, count: 4 * count)
            // projection = LN(x) · W_uvqkᵀ; dx += LN'(dWide · W_uvqk).
            Linear.backward(inputGradient: dNorm, weightGradient: gradient("hstu.\(b).uvqk.weight"), biasGradient: nil,
                            outputGradient: dWide, input: a.normalized.pointer, weight: value("hstu.\(b).uvqk.weight"),
                            rows: p, inputs: d, outputs: 4 * d)
            LayerNorm.backward(inputGradient: dX, weightGradient: junkWeight, biasGradient: junkBias, outputGradient: dNorm,
                               input: a.input.pointer, weight: unitWeight.pointer, mean: a.inputMean.pointer,
                               inverseStd: a.inputInverseStd.pointer, rows: p, channels: d)
        }
        // x₀ = drop(E[id] · √d + P[pos]).
        let scale = Float(d).squareRoot()
        let dItems = gradient("item_emb.weight"), dPositions = gradient("pos_emb.weight")
        for row in 0..<p {
            let g = dX + row * d, m = w.embeddingMask.pointer + row * d
            let item = dItems + Int(w.ids[row]) * d, position = dPositions + Int(w.positions[row]) * d
            for j in 0..<d {
                let value = g[j] * m[j]
                item[j] += value * scale
                position[j] += value
            }
        }
    }
}
