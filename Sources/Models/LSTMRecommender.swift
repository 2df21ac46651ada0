import Core
import Engine

/// The reference workflow's model, exactly: Embedding(V, E) → LSTM(E → H, L layers,
/// batch-first) → Linear(H, V), logits at every position, full-softmax cross-entropy on the
/// next item. Parameter names and layouts are PyTorch's `state_dict()` of that module.
public final class LSTMRecommender: NextItemScorer, @unchecked Sendable {
    public struct Configuration: Codable, Sendable, Equatable {
        /// Items + 1 (row 0 is padding).
        public var vocabulary: Int
        public var embeddingSize = 128
        public var hiddenSize = 256
        public var layers = 2

        public init(vocabulary: Int, embeddingSize: Int = 128, hiddenSize: Int = 256, layers: Int = 2) {
            self.vocabulary = vocabulary
            self.embeddingSize = embeddingSize
            self.hiddenSize = hiddenSize
            self.layers = layers
        }
    }

    public let configuration: Configuration
    public let parameters: ParameterSet
    /// Where training steps and scoring run when not on the CPU (`--device cuda`); nil = the CPU.
    public var accelerator: StepAccelerator?
    public var vocabulary: Int { configuration.vocabulary }
    private let lstm: [LSTMLayer]

    /// The `state_dict()` names and shapes, in PyTorch's order.
    public static func parameterSpecs(_ c: Configuration) -> [(name: String, shape: [Int])] {
        var specs: [(String, [Int])] = [("embedding.weight", [c.vocabulary, c.embeddingSize])]
        for layer in 0..<c.layers {
            let input = layer == 0 ? c.embeddingSize : c.hiddenSize
            specs += [("lstm.weight_ih_l\(layer)", [4 * c.hiddenSize, input]), ("lstm.weight_hh_l\(layer)", [4 * c.hiddenSize, c.hiddenSize]),
                      ("lstm.bias_ih_l\(layer)", [4 * c.hiddenSize]), ("lstm.bias_hh_l\(layer)", [4 * c.hiddenSize])]
        }
        specs += [("fc.weight", [c.vocabulary, c.hiddenSize]), ("fc.bias", [c.vocabulary])]
        return specs
    }

    /// A model initialised as PyTorch initialises these modules, from `seed`.
    public init(configuration: Configuration, seed: UInt64, features: InputFeatures? = nil) {
        self.configuration = configuration
        let parameters = ParameterSet(configuration.parameterSpecs(features: features))
        self.parameters = parameters
        featureEmbedding = InputFeatureEmbedding.make(features: features, width: configuration.embeddingSize, parameters: parameters)
        lstm = (0..<configuration.layers).map {
            LSTMLayer(inputSize: $0 == 0 ? configuration.embeddingSize : configuration.hiddenSize, hiddenSize: configuration.hiddenSize)
        }
        var random = SeededRandom(seed: seed)
        for tensor in parameters.tensors {
            let values = parameters.values.pointer + tensor.offset
            if tensor.name == "embedding.weight" {
                for i in 0..<tensor.count { values[i] = Float(random.normal()) }
                (values).update(repeating: 0, count: configuration.embeddingSize)  // padding row
            } else {
                // nn.LSTM: U(±1/√H); nn.Linear(H, V), weight and bias: U(±1/√fan_in), fan_in = H too.
                let bound = 1 / Float(configuration.hiddenSize).squareRoot()
                for i in 0..<tensor.count { values[i] = Float(random.unit() * 2 - 1) * bound }
            }
        }
        featureEmbedding?.initialise(random: &random)
    }

    /// Adds event types, time gaps and item attributes to the embedded inputs (`train --features`).
    /// A model with features takes the plain paths: no per-item projection table (its rows
    /// would miss the features), no row shares, and scoring through the training forward pass.
    public let featureEmbedding: InputFeatureEmbedding?

    private func weights(_ layer: Int, in buffer: FloatBuffer) -> LSTMLayer.Weights {
        func pointer(_ name: String) -> UnsafeMutablePointer<Float> { buffer.pointer + parameters.spec(name).offset }
        return LSTMLayer.Weights(inputHidden: pointer("lstm.weight_ih_l\(layer)"), hiddenHidden: pointer("lstm.weight_hh_l\(layer)"),
                                 inputBias: pointer("lstm.bias_ih_l\(layer)"), hiddenBias: pointer("lstm.bias_hh_l\(layer)"))
    }

    /// Activations and scratch for batches of up to `rows` × `steps` positions, allocated once.
    public final class Workspace: @unchecked Sendable {
        public let rows: Int
        public let steps: Int
        let hiddenSize: Int
        let packedInputs: UnsafeMutablePointer<Int32>
        let packedTargets: UnsafeMutablePointer<Int32>
        let embedded: FloatBuffer
        let gates: [FloatBuffer]
        let cells: [FloatBuffer]
        let tanhCells: [FloatBuffer]
        let hidden: [FloatBuffer]
        /// Each packed position's place in the (rows × steps) window, for its features.
        let packedCells: UnsafeMutablePointer<Int32>
        let upperGradient: FloatBuffer
        let lowerGradient: FloatBuffer
        let recurrentScratch: FloatBuffer
        let logits: FloatBuffer
        let chunkRows: Int

        /// The first layer's input projection per item and its gradient, for batches with more
        /// positions than items (allocated on first use).
        var projectionTable: FloatBuffer?
        var projectionTableGradient: FloatBuffer?
        /// What each core's share of a data-parallel step needs for itself (allocated on first use;
        /// the activations are shared: each share uses its own range of packed positions).
        var shards: [ShardBuffers] = []

        init(configuration c: LSTMRecommender.Configuration, rows: Int, steps: Int) {
            self.rows = rows
            self.steps = steps
            hiddenSize = c.hiddenSize
            let positions = rows * steps
            let h = c.hiddenSize
            packedInputs = .allocate(capacity: positions)
            packedTargets = .allocate(capacity: positions)
            packedCells = .allocate(capacity: max(1, positions))
            embedded = FloatBuffer(count: positions * c.embeddingSize)
            func perLayer(_ count: Int) -> [FloatBuffer] { (0..<c.layers).map { _ in FloatBuffer(count: count) } }
            gates = perLayer(positions * 4 * h)
            cells = perLayer(positions * h)
            tanhCells = perLayer(positions * h)
            hidden = perLayer(positions * h)
            let gradientCount = positions * max(h, c.embeddingSize)
            upperGradient = FloatBuffer(count: gradientCount)
            lowerGradient = FloatBuffer(count: gradientCount)
            recurrentScratch = FloatBuffer(count: 2 * rows * h)
            chunkRows = SoftmaxCrossEntropy.chunkRows(vocabulary: c.vocabulary)
            logits = FloatBuffer(count: chunkRows * c.vocabulary)
        }

        deinit {
            packedInputs.deallocate()
            packedTargets.deallocate()
            packedCells.deallocate()
        }

        /// Layer `layer`'s activations from packed position `base` on.
        func activations(_ layer: Int, from base: Int = 0) -> LSTMLayer.Activations {
            let h = hiddenSize
            return LSTMLayer.Activations(gates: gates[layer].pointer + base * 4 * h, cells: cells[layer].pointer + base * h,
                                         tanhCells: tanhCells[layer].pointer + base * h, hidden: hidden[layer].pointer + base * h)
        }

        /// Buffers for `count` shares, creating the missing ones.
        func shardBuffers(_ count: Int, configuration c: LSTMRecommender.Configuration, parameterCount: Int) -> [ShardBuffers] {
            while shards.count < count {
                shards.append(ShardBuffers(configuration: c, rows: rows, steps: steps, parameterCount: parameterCount))
            }
            return Array(shards.prefix(count))
        }
    }

    /// One core's share of a data-parallel training step: its rows (left-padded, copied out of the
    /// batch), its own gradients in the parameters' flat layout, and its own scratch.
    final class ShardBuffers: @unchecked Sendable {
        let inputs: UnsafeMutablePointer<Int32>
        let targets: UnsafeMutablePointer<Int32>
        let gradients: FloatBuffer
        let recurrentScratch: FloatBuffer
        let logits: FloatBuffer
        /// Per-item sums of the first layer's dGates, when the step uses the projection table.
        var tableGradient: FloatBuffer?

        init(configuration c: LSTMRecommender.Configuration, rows: Int, steps: Int, parameterCount: Int) {
            inputs = .allocate(capacity: rows * steps)
            targets = .allocate(capacity: rows * steps)
            gradients = FloatBuffer(count: parameterCount)
            recurrentScratch = FloatBuffer(count: 2 * rows * c.hiddenSize)
            logits = FloatBuffer(count: SoftmaxCrossEntropy.chunkRows(vocabulary: c.vocabulary) * c.vocabulary)
        }

        deinit {
            inputs.deallocate()
            targets.deallocate()
        }
    }

    /// Data-parallel steps need at least this many rows per core …
    static let minimumRowsPerShare = 4
    /// … and this many positions in the batch; smaller steps run on shared products.
    static let minimumPositionsForShares = 1024

    public func makeWorkspace(rows: Int, steps: Int) -> Workspace {
        Workspace(configuration: configuration, rows: rows, steps: steps)
    }

    /// Embedding and LSTM layers over the packed batch. When the batch holds more positions than
    /// there are items, the first layer's input projection is computed once per item into a
    /// table (embedding · W_ih0ᵀ + biases) and looked up, which is cheaper forward and backward.
    private func forwardLayers(inputs: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace) -> (layout: PackedLayout, table: FloatBuffer?) {
        precondition(rows <= w.rows && steps == w.steps, "batch larger than its workspace")
        let layout = PackedLayout(paddedIds: inputs, rows: rows, steps: steps)
        let table = configuration.vocabulary < layout.total && featureEmbedding == nil ? filledProjectionTable(w) : nil
        forwardLayers(inputs: inputs, layout: layout, from: 0, table: table, workspace: w)
        return (layout, table)
    }

    /// The workspace's projection table, filled from the current weights.
    private func filledProjectionTable(_ w: Workspace) -> FloatBuffer {
        let buffer = w.projectionTable ?? FloatBuffer(count: configuration.vocabulary * 4 * configuration.hiddenSize)
        w.projectionTable = buffer
        fillProjectionTable(buffer)
        return buffer
    }

    /// The layers over `layout`'s rows of `inputs`, stored from packed position `base` on.
    /// `cellOffset` is the place of `inputs` in the feature window (scoring splits large batches).
    private func forwardLayers(inputs: UnsafePointer<Int32>, layout: PackedLayout, from base: Int, table: FloatBuffer?, workspace w: Workspace,
                               cellOffset: Int = 0) {
        let ids = w.packedInputs + base
        layout.pack(inputs, into: ids)
        let e = configuration.embeddingSize, h = configuration.hiddenSize
        if table == nil {
            Embedding.forward(output: w.embedded.pointer + base * e, ids: ids, count: layout.total,
                              weight: parameters.value("embedding.weight"), channels: e)
        }
        if let featureEmbedding {
            precondition(table == nil, "the projection table has no room for features")
            // Pack each input's window cell the way its id was packed, then add its features.
            let cells = (0..<Int32(layout.order.count * layout.steps)).map { Int32(cellOffset) + $0 }
            cells.withUnsafeBufferPointer { layout.pack($0.baseAddress!, into: w.packedCells + base) }
            for p in 0..<layout.total {
                featureEmbedding.add(to: w.embedded.pointer + (base + p) * e, cell: Int(w.packedCells[base + p]), item: Int(ids[p]))
            }
        }
        for (index, layer) in lstm.enumerated() {
            let projection: LSTMLayer.InputProjection
            if index == 0, let table {
                projection = .table(table.pointer, ids: ids)
            } else {
                projection = .compute(index == 0 ? w.embedded.pointer + base * e : w.hidden[index - 1].pointer + base * h)
            }
            layer.forward(layout: layout, projection: projection, weights: weights(index, in: parameters.values), activations: w.activations(index, from: base))
        }
    }

    /// One forward and backward pass over a batch of left-padded windows (rows × steps inputs
    /// and next-item targets, 0 = padding). Adds `gradientScale` × the gradient of the summed
    /// loss to `parameters.gradients`; returns the summed loss and the number of targets.
    ///
    /// With several cores and a large enough batch the step is data-parallel: each core takes a
    /// share of the rows (dealt longest first, so the shares hold about the same number of
    /// positions) through every layer with single-threaded products and its own gradient
    /// buffer, and the buffers are summed at the end. The cores then never wait for each other
    /// inside the 2 × 200 recurrent steps, where a shared product of ~60 rows would.
    public func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                          workspace w: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        invalidateCaches()  // the optimizer step that follows changes the weights
        if let accelerator {
            return accelerator.trainStepOrStop(inputs: inputs, targets: targets, rows: rows, steps: steps, parameters: parameters,
                                               seed: 0, gradientScale: gradientScale)
        }
        precondition(rows <= w.rows && steps == w.steps, "batch larger than its workspace")
        let lengths = (0..<rows).map { row in
            var t = 0
            while t < steps && inputs[row * steps + t] == 0 { t += 1 }
            return steps - t
        }
        let total = lengths.reduce(0, +)
        if total == 0 { return (0, 0) }
        let shareCount = min(BLAS.processThreads, availableCores(), rows / Self.minimumRowsPerShare)
        if shareCount < 2 || total < Self.minimumPositionsForShares || isInsideParallelWork || featureEmbedding != nil {
            return serialTrainStep(inputs: inputs, targets: targets, rows: rows, steps: steps, workspace: w, gradientScale: gradientScale)
        }
        return trainStep(inputs: inputs, targets: targets, rows: rows, steps: steps, lengths: lengths, shareCount: shareCount,
                         workspace: w, gradientScale: gradientScale)
    }

    /// The data-parallel step over `shareCount` shares (`lengths`: each row's non-padding length).
    func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int, lengths: [Int], shareCount: Int,
                   workspace w: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        let total = lengths.reduce(0, +)
        let table = configuration.vocabulary < total ? filledProjectionTable(w) : nil
        let shares = w.shardBuffers(shareCount, configuration: configuration, parameterCount: parameters.values.count)
        // Deal the rows longest first, round robin, and copy each share's rows out of the batch.
        let longestFirst = (0..<rows).sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        var shareRows = [Int](repeating: 0, count: shareCount)
        for (rank, row) in longestFirst.enumerated() {
            let share = shares[rank % shareCount], slot = shareRows[rank % shareCount]
            (share.inputs + slot * steps).update(from: inputs + row * steps, count: steps)
            (share.targets + slot * steps).update(from: targets + row * steps, count: steps)
            shareRows[rank % shareCount] += 1
        }
        // Forward, each share over its own range of packed positions.
        let layouts = (0..<shareCount).map { PackedLayout(paddedIds: shares[$0].inputs, rows: shareRows[$0], steps: steps) }
        var bases = [0]
        for layout in layouts.dropLast() { bases.append(bases.last! + layout.total) }
        let targetCounts = BLAS.singleThreaded {
            parallelMap(shareCount) { k in
                self.forwardLayers(inputs: shares[k].inputs, layout: layouts[k], from: bases[k], table: table, workspace: w)
                layouts[k].pack(shares[k].targets, into: w.packedTargets + bases[k])
                return SampledLosses.targetCount(w.packedTargets + bases[k], rows: layouts[k].total)
            }
        }
        let targetCount = targetCounts.reduce(0, +)
        if targetCount == 0 { return (0, 0) }
        let scale = gradientScale(targetCount)
        // Loss and backward; share 0 adds into the model's gradients, the others into their own.
        let losses = BLAS.singleThreaded {
            parallelMap(shareCount) { k in
                if k > 0 { shares[k].gradients.pointer.update(repeating: 0, count: shares[k].gradients.count) }
                return self.backwardLayers(layout: layouts[k], from: bases[k], table: table, gradientScale: scale, workspace: w,
                                           gradients: k == 0 ? self.parameters.gradients : shares[k].gradients,
                                           recurrentScratch: shares[k].recurrentScratch, logits: shares[k].logits,
                                           tableGradient: table == nil ? nil
                                               : k == 0 ? self.tableGradient(&w.projectionTableGradient) : self.tableGradient(&shares[k].tableGradient))
            }
        }
        let all = parameters.gradients.pointer
        for share in shares.dropFirst() {
            let own = share.gradients.pointer
            for i in 0..<parameters.values.count { all[i] += own[i] }
        }
        if table != nil {
            let dTable = tableGradient(&w.projectionTableGradient)
            for share in shares.dropFirst() {
                let own = share.tableGradient!.pointer
                for i in 0..<dTable.count { dTable.pointer[i] += own[i] }
            }
            tableBackward(tableGradient: dTable)
        }
        return (losses.reduce(0, +), targetCount)
    }

    /// The per-item table gradient held in `slot` (the workspace's, or a share's), allocated on first use.
    private func tableGradient(_ slot: inout FloatBuffer?) -> FloatBuffer {
        if let buffer = slot { return buffer }
        let buffer = FloatBuffer(count: configuration.vocabulary * 4 * configuration.hiddenSize)
        slot = buffer
        return buffer
    }

    /// The whole step on one set of buffers (one core's worth of rows, or products shared by the cores).
    func serialTrainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                                 workspace w: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        let (layout, table) = forwardLayers(inputs: inputs, rows: rows, steps: steps, workspace: w)
        layout.pack(targets, into: w.packedTargets)
        let targetCount = SampledLosses.targetCount(w.packedTargets, rows: layout.total)
        if targetCount == 0 { return (0, 0) }
        let dTable = table == nil ? nil : tableGradient(&w.projectionTableGradient)
        let loss = backwardLayers(layout: layout, from: 0, table: table, gradientScale: gradientScale(targetCount), workspace: w,
                                  gradients: parameters.gradients, recurrentScratch: w.recurrentScratch, logits: w.logits, tableGradient: dTable)
        if let dTable { tableBackward(tableGradient: dTable) }
        return (loss, targetCount)
    }

    /// The output layer's loss and the backward pass of every layer over `layout`'s packed
    /// positions from `base` on, adding into `gradients` (the parameters' flat layout). With the
    /// projection table, the first layer's dGates are summed per item into `tableGradient`
    /// (which `tableBackward` turns into the embedding's and W_ih0's gradients); otherwise the
    /// embedding's gradient goes into `gradients`. Returns the summed loss.
    private func backwardLayers(layout: PackedLayout, from base: Int, table: FloatBuffer?, gradientScale: Float, workspace w: Workspace,
                                gradients: FloatBuffer, recurrentScratch: FloatBuffer, logits: FloatBuffer, tableGradient: FloatBuffer?) -> Double {
        let c = configuration
        let h = c.hiddenSize, e = c.embeddingSize, total = layout.total
        let top = c.layers - 1
        let width = max(h, e)
        func gradient(_ name: String) -> UnsafeMutablePointer<Float> { gradients.pointer + parameters.spec(name).offset }
        let ids = w.packedInputs + base
        let loss = SoftmaxCrossEntropy.forwardBackward(
            hidden: w.hidden[top].pointer + base * h, targets: w.packedTargets + base, rows: total, channels: h,
            weight: parameters.value("fc.weight"), bias: parameters.value("fc.bias"), vocabulary: c.vocabulary,
            logits: logits.pointer, chunkRows: w.chunkRows, gradientScale: gradientScale,
            weightGradient: gradient("fc.weight"), biasGradient: gradient("fc.bias"),
            hiddenGradient: w.upperGradient.pointer + base * width)
        var upper = w.upperGradient.pointer + base * width, lower = w.lowerGradient.pointer + base * width
        for index in stride(from: top, through: 0, by: -1) {
            let input: UnsafePointer<Float>? = index > 0 ? UnsafePointer(w.hidden[index - 1].pointer + base * h)
                : table == nil ? UnsafePointer(w.embedded.pointer + base * e) : nil
            lstm[index].backward(layout: layout, input: input, weights: weights(index, in: parameters.values),
                                 gradients: weights(index, in: gradients), activations: w.activations(index, from: base),
                                 hiddenGradient: upper, inputGradient: lower, recurrentScratch: recurrentScratch.pointer)
            swap(&upper, &lower)
        }
        if let tableGradient {
            // Padding never occurs among packed ids, so the padding row gets no gradient.
            tableGradient.pointer.update(repeating: 0, count: tableGradient.count)
            Embedding.backward(weightGradient: tableGradient.pointer, outputGradient: w.gates[0].pointer + base * 4 * h, ids: ids,
                               count: total, channels: 4 * h)
        } else {
            Embedding.backward(weightGradient: gradient("embedding.weight"), outputGradient: upper, ids: ids, count: total, channels: e)
            if let featureEmbedding {
                for p in 0..<total { featureEmbedding.backward(upper + p * e, cell: Int(w.packedCells[base + p]), item: Int(ids[p])) }
            }
        }
        return loss
    }

    /// Gradients of the embedding and W_ih0 through the projection table, from the first
    /// layer's dGates summed per item (dTable): dW_ih0 += dTableᵀ · E and dE += dTable · W_ih0.
    private func tableBackward(tableGradient: FloatBuffer) {
        let c = configuration
        let g4 = 4 * c.hiddenSize, e = c.embeddingSize, v = c.vocabulary
        let dTable = tableGradient.pointer
        BLAS.gemm(transposeA: true, m: g4, n: e, k: v, a: dTable, lda: g4, b: parameters.value("embedding.weight"), ldb: e,
                  beta: 1, c: parameters.gradient("lstm.weight_ih_l0"), ldc: e)
        BLAS.gemm(m: v, n: e, k: g4, a: dTable, lda: g4, b: parameters.value("lstm.weight_ih_l0"), ldb: e,
                  beta: 1, c: parameters.gradient("embedding.weight"), ldc: e)
    }

    /// The summed loss of a batch, without gradients (validation loss, tests).
    public func loss(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int, workspace w: Workspace) -> Double {
        let layout = forwardLayers(inputs: inputs, rows: rows, steps: steps, workspace: w).layout
        layout.pack(targets, into: w.packedTargets)
        let c = configuration
        return SoftmaxCrossEntropy.forwardBackward(
            hidden: w.hidden[c.layers - 1].pointer, targets: w.packedTargets, rows: layout.total, channels: c.hiddenSize,
            weight: parameters.value("fc.weight"), bias: parameters.value("fc.bias"), vocabulary: c.vocabulary,
            logits: w.logits.pointer, chunkRows: w.chunkRows)
    }

    /// embedding · W_ih0ᵀ + b_ih0 + b_hh0 for every item ([V, 4H]), for scoring; rebuilt after training steps.
    private var inputProjectionTable: FloatBuffer?

    /// Drops caches derived from the weights; call after changing `parameters` other than by `trainStep`.
    public func invalidateCaches() {
        inputProjectionTable = nil
        stackedLayerWeights = nil
        singleSequenceCache = nil
    }

    /// The step-by-step pass's weights for layers above the first: [W_ih | W_hh] and b_ih + b_hh.
    private var stackedLayerWeights: (buffer: FloatBuffer, weights: [LSTMStack.LayerWeights])?

    private func stackedWeights() -> (buffer: FloatBuffer, weights: [LSTMStack.LayerWeights]) {
        if let cached = stackedLayerWeights { return cached }
        let c = configuration
        let h = c.hiddenSize, g4 = 4 * h
        let perLayer = g4 * 2 * h + g4
        let buffer = FloatBuffer(count: max(0, c.layers - 1) * perLayer)
        var weights = [LSTMStack.LayerWeights(matrix: parameters.value("lstm.weight_hh_l0"), bias: nil)]
        for layer in 1..<max(1, c.layers) {
            let matrix = buffer.pointer + (layer - 1) * perLayer, bias = matrix + g4 * 2 * h
            LSTMStack.stack(inputHidden: parameters.value("lstm.weight_ih_l\(layer)"), hiddenHidden: parameters.value("lstm.weight_hh_l\(layer)"),
                            hiddenSize: h, into: matrix)
            let ih = parameters.value("lstm.bias_ih_l\(layer)"), hh = parameters.value("lstm.bias_hh_l\(layer)")
            for j in 0..<g4 { bias[j] = ih[j] + hh[j] }
            weights.append(LSTMStack.LayerWeights(matrix: matrix, bias: bias))
        }
        stackedLayerWeights = (buffer, weights)
        return (buffer, weights)
    }

    private func projectionTable() -> FloatBuffer {
        if let table = inputProjectionTable { return table }
        let table = FloatBuffer(count: configuration.vocabulary * 4 * configuration.hiddenSize)
        fillProjectionTable(table)
        inputProjectionTable = table
        return table
    }

    /// embedding · W_ih0ᵀ + b_ih0 + b_hh0 for every item, into `table` [V, 4H].
    private func fillProjectionTable(_ table: FloatBuffer) {
        let c = configuration
        let g4 = 4 * c.hiddenSize
        let rows = table.pointer
        let ih = parameters.value("lstm.bias_ih_l0"), hh = parameters.value("lstm.bias_hh_l0")
        for j in 0..<g4 { rows[j] = ih[j] + hh[j] }
        for item in 1..<c.vocabulary { (rows + item * g4).update(from: rows, count: g4) }
        BLAS.gemm(transposeB: true, m: c.vocabulary, n: g4, k: c.embeddingSize, a: parameters.value("embedding.weight"), lda: c.embeddingSize,
                  b: parameters.value("lstm.weight_ih_l0"), ldb: c.embeddingSize, beta: 1, c: rows, ldc: g4)
    }

    public func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        if let accelerator {
            return accelerator.scoreOrStop(histories: histories, rows: rows, steps: steps, parameters: parameters, scores: scores)
        }
        if featureEmbedding != nil {
            featureScore(histories: histories, rows: rows, steps: steps, scores: scores)
            return
        }
        if rows == 1 {
            singleScore(history: histories, steps: steps, scores: scores)
            return
        }
        streamingScore(histories: histories, rows: rows, steps: steps, scores: scores)
    }

    /// Scores through the training forward pass (embedding plus features, no projection table),
    /// `featureScoringRows` histories at a time.
    private func featureScore(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        let c = configuration
        let chunk = min(rows, Self.featureScoringRows)
        if featureWorkspace == nil || featureWorkspace!.rows < chunk || featureWorkspace!.steps != steps {
            featureWorkspace = Workspace(configuration: c, rows: chunk, steps: steps)
        }
        let w = featureWorkspace!
        let last = FloatBuffer(count: chunk * c.hiddenSize)
        var start = 0
        while start < rows {
            let count = min(chunk, rows - start)
            let inputs = histories + start * steps
            let layout = PackedLayout(paddedIds: inputs, rows: count, steps: steps)
            last.pointer.update(repeating: 0, count: count * c.hiddenSize)  // empty histories score the bias alone
            if layout.total > 0 {
                forwardLayers(inputs: inputs, layout: layout, from: 0, table: nil, workspace: w, cellOffset: start * steps)
                // Every non-empty left-padded history ends at the last step.
                let running = layout.active.last ?? 0, lastStep = layout.offsets[layout.steps - 1]
                let top = w.hidden[c.layers - 1].pointer
                for r in 0..<running {
                    (last.pointer + layout.order[r] * c.hiddenSize).update(from: top + (lastStep + r) * c.hiddenSize, count: c.hiddenSize)
                }
            }
            Linear.forward(output: scores + start * c.vocabulary, input: last.pointer, weight: parameters.value("fc.weight"),
                           bias: parameters.value("fc.bias"), rows: count, inputs: c.hiddenSize, outputs: c.vocabulary)
            start += count
        }
    }

    static let featureScoringRows = 64
    private var featureWorkspace: Workspace?

    /// A single request: the cores split each step by hidden units (see `LSTMSingleSequence`).
    private func singleScore(history: UnsafePointer<Int32>, steps: Int, scores: UnsafeMutablePointer<Float>) {
        let c = configuration
        let h = c.hiddenSize, g4 = 4 * h, v = c.vocabulary
        var first = 0
        while first < steps && history[first] == 0 { first += 1 }
        let length = steps - first
        let bias = parameters.value("fc.bias"), output = parameters.value("fc.weight")
        guard length > 0 else { scores.update(from: bias, count: v); return }
        let table = projectionTable()
        let single = singleSequence()
        if singleBuffers == nil || singleBuffers!.steps < length {
            singleBuffers = (length, FloatBuffer(count: length * g4), FloatBuffer(count: length * h), FloatBuffer(count: length * h))
        }
        let buffers = singleBuffers!
        for t in 0..<length {
            (buffers.gates.pointer + t * g4).update(from: table.pointer + Int(history[first + t]) * g4, count: g4)
        }
        nonisolated(unsafe) let scores = scores
        BLAS.singleThreaded {
            let last = single.forward(steps: length, gates: buffers.gates.pointer, hidden: buffers.hidden.pointer, lowerHidden: buffers.lower.pointer)
            single.team.run { part in
                let items = (v * part / single.team.size)..<(v * (part + 1) / single.team.size)
                LSTMSingleSequence.matrixVector(rows: items.count, columns: h, matrix: output + items.lowerBound * h, vector: last,
                                                output: scores + items.lowerBound)
                for item in items { scores[item] += bias[item] }
            }
        }
    }

    private var singleBuffers: (steps: Int, gates: FloatBuffer, hidden: FloatBuffer, lower: FloatBuffer)?
    private var singleSequenceCache: LSTMSingleSequence?

    private func singleSequence() -> LSTMSingleSequence {
        let teamSize = max(1, min(BLAS.processThreads, availableCores()))
        if let cached = singleSequenceCache, cached.team.size == teamSize { return cached }
        let c = configuration
        let layers = 0..<c.layers
        let single = LSTMSingleSequence(
            hiddenSize: c.hiddenSize, hiddenHidden: layers.map { UnsafePointer(parameters.value("lstm.weight_hh_l\($0)")) },
            inputHidden: layers.map { UnsafePointer(parameters.value("lstm.weight_ih_l\($0)")) },
            inputBias: layers.map { UnsafePointer(parameters.value("lstm.bias_ih_l\($0)")) },
            hiddenBias: layers.map { UnsafePointer(parameters.value("lstm.bias_hh_l\($0)")) },
            team: SpinTeam.shared(size: teamSize))
        singleSequenceCache = single
        return single
    }

    /// Batches: each core runs the step-by-step pass over its own share of the histories with
    /// single-threaded products, so the cores never wait for each other within a step.
    private func streamingScore(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>) {
        let stripes = max(1, min(BLAS.processThreads, rows / 8))
        if stripes > 1 {
            BLAS.singleThreaded { streamingScore(histories: histories, rows: rows, steps: steps, scores: scores, stripes: stripes) }
        } else {
            streamingScore(histories: histories, rows: rows, steps: steps, scores: scores, stripes: 1)
        }
    }

    private func streamingScore(histories: UnsafePointer<Int32>, rows: Int, steps: Int, scores: UnsafeMutablePointer<Float>, stripes: Int) {
        let c = configuration
        let table = projectionTable()
        let stack = LSTMStack(layers: c.layers, hiddenSize: c.hiddenSize)
        let layerWeights = stackedWeights()
        nonisolated(unsafe) let scores = scores
        parallelStripes(rows, stripes: stripes) { range in
            let count = range.count
            let inputs = histories + range.lowerBound * steps
            let layout = PackedLayout(paddedIds: inputs, rows: count, steps: steps)
            let ids = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, layout.total))
            defer { ids.deallocate() }
            layout.pack(inputs, into: ids)
            let state = LSTMStack.State(rows: count, hiddenSize: c.hiddenSize, layers: c.layers)
            stack.forward(layout: layout, ids: ids, table: table.pointer, weights: layerWeights.weights, state: state)
            let last = FloatBuffer(count: count * c.hiddenSize)  // zero: empty histories score the bias alone
            let running = layout.active.last ?? 0
            for r in 0..<running {
                (last.pointer + layout.order[r] * c.hiddenSize).update(from: state.topHidden(row: r), count: c.hiddenSize)
            }
            Linear.forward(output: scores + range.lowerBound * c.vocabulary, input: last.pointer, weight: parameters.value("fc.weight"),
                           bias: parameters.value("fc.bias"), rows: count, inputs: c.hiddenSize, outputs: c.vocabulary)
        }
    }
}
