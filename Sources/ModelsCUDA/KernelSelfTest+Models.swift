import CUDA
import Core
import Engine
import Models

extension KernelSelfTest {
    /// Every family's step on the GPU against its CPU model: a training step and scoring each.
    public var modelChecks: [Check] {
        [("lstm_training_step", lstmTrainingStep, 1e-3), ("lstm_scoring", lstmScoring, 1e-4),
         ("sasrec_training_step", sasrecTrainingStep, 1e-3), ("sasrec_scoring", sasrecScoring, 1e-4),
         ("gru4rec_training_step", gru4recTrainingStep, 1e-3), ("gru4rec_scoring", gru4recScoring, 1e-4)]
    }

    /// The kernel checks and the model checks: what `doctor` runs on every GPU.
    public func runAll() -> [Result] { run(adding: modelChecks) }
}

/// Whole models on the GPU against the same models on the CPU: a training step's loss and
/// every parameter's gradient, and the scores of a batch of histories.
extension KernelSelfTest {
    /// A small seed LSTM and a batch of left-padded windows of different lengths (one empty,
    /// a few context-only targets), the same on both sides.
    static func lstmCase() -> (model: LSTMRecommender, inputs: [Int32], targets: [Int32], rows: Int, steps: Int) {
        let configuration = LSTMRecommender.Configuration(vocabulary: 41, embeddingSize: 8, hiddenSize: 12, layers: 2)
        let model = LSTMRecommender(configuration: configuration, seed: 7)
        let (inputs, targets) = windows(rows: 7, steps: 11, items: 40, emptyRow: 3, seed: 8)
        return (model, inputs, targets, 7, 11)
    }

    /// `rows` left-padded windows of random lengths over ids 1…`items` (row `emptyRow` all
    /// padding), with next-item targets of which about one in eight is 0 (a context-only position).
    static func windows(rows: Int, steps: Int, items: Int, emptyRow: Int, seed: UInt64) -> (inputs: [Int32], targets: [Int32]) {
        var random = SeededRandom(seed: seed)
        var inputs = [Int32](repeating: 0, count: rows * steps), targets = inputs
        for row in 0..<rows {
            let length = row == emptyRow ? 0 : 1 + Int(random.next() % UInt64(steps))
            for t in (steps - length)..<steps {
                inputs[row * steps + t] = Int32(1 + random.next() % UInt64(items))
                targets[row * steps + t] = random.next() % 8 == 0 ? 0 : Int32(1 + random.next() % UInt64(items))
            }
        }
        return (inputs, targets)
    }

    /// Largest |a − b| over the largest |b|: a gradient's error relative to its scale.
    static func scaledError(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        let scale = max(b.map { abs($0) }.max() ?? 0, .leastNormalMagnitude)
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
    }

    /// The LSTM's training step on the GPU (`CUDALSTMStep`) against `LSTMRecommender.trainStep`.
    func lstmTrainingStep() throws -> Float {
        let (model, inputs, targets, rows, steps) = Self.lstmCase()
        let device = try CUDALSTMStep(configuration: model.configuration, parameters: model.parameters, context: context)
        return try Self.compareTrainingStep(model, on: device, inputs: inputs, targets: targets, rows: rows, steps: steps)
    }

    /// The LSTM's scores of every item on the GPU against the CPU's.
    func lstmScoring() throws -> Float {
        let (model, inputs, _, rows, steps) = Self.lstmCase()
        let device = try CUDALSTMStep(configuration: model.configuration, parameters: model.parameters, context: context)
        return try Self.compareScoring(model, on: device, histories: inputs, rows: rows, steps: steps)
    }

    /// A training step's loss and every gradient on `device` against the model's own step on the CPU.
    static func compareTrainingStep<Model: TrainableModel>(_ model: Model, on device: StepAccelerator, inputs: [Int32], targets: [Int32],
                                                           rows: Int, steps: Int) throws -> Float {
        let workspace = model.makeWorkspace(rows: rows, steps: steps)
        model.parameters.zeroGradients()
        let cpu = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { t in
                model.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: rows, steps: steps, workspace: workspace,
                                gradientScale: { 1 / Float($0) })
            }
        }
        let expected = Array(model.parameters.gradients.buffer)
        model.parameters.zeroGradients()
        let gpu = try inputs.withUnsafeBufferPointer { i in
            try targets.withUnsafeBufferPointer { t in
                try device.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: rows, steps: steps, parameters: model.parameters,
                                     seed: 1, gradientScale: { 1 / Float($0) })
            }
        }
        guard gpu.targets == cpu.targets else { return .infinity }
        let lossError = Float(abs(gpu.loss - cpu.loss) / max(1, abs(cpu.loss)))
        return max(lossError, scaledError(Array(model.parameters.gradients.buffer), expected))
    }

    /// Scores of every item for each history on `device` against the model's CPU scores.
    static func compareScoring<Model: TrainableModel>(_ model: Model, on device: StepAccelerator, histories: [Int32], rows: Int, steps: Int) throws -> Float {
        let v = model.vocabulary
        var expected = [Float](repeating: 0, count: rows * v), scores = expected
        histories.withUnsafeBufferPointer { i in
            expected.withUnsafeMutableBufferPointer { model.score(histories: i.baseAddress!, rows: rows, steps: steps, scores: $0.baseAddress!) }
        }
        try histories.withUnsafeBufferPointer { i in
            try scores.withUnsafeMutableBufferPointer {
                try device.score(histories: i.baseAddress!, rows: rows, steps: steps, parameters: model.parameters, scores: $0.baseAddress!)
            }
        }
        return error(scores, expected)
    }
}

extension KernelSelfTest {
    /// A small SASRec (2 blocks, 2 heads, no dropout so both sides compute the same function,
    /// seen items left out of the loss) and windows longer than its positions, one of them empty.
    static func sasrecCase() -> (model: SASRec, inputs: [Int32], targets: [Int32], rows: Int, steps: Int) {
        var configuration = SASRec.Configuration(vocabulary: 37, maxLength: 10, hiddenSize: 8, blocks: 2, heads: 2, dropout: 0)
        configuration.excludeSeenFromLoss = true
        let model = SASRec(configuration: configuration, seed: 9)
        let (inputs, targets) = windows(rows: 6, steps: 12, items: 36, emptyRow: 2, seed: 10)
        return (model, inputs, targets, 6, 12)
    }

    /// SASRec's training step on the GPU (`CUDASASRecStep`) against `SASRec.trainStep`.
    func sasrecTrainingStep() throws -> Float {
        let (model, inputs, targets, rows, steps) = Self.sasrecCase()
        let device = try CUDASASRecStep(configuration: model.configuration, parameters: model.parameters, context: context)
        return try Self.compareTrainingStep(model, on: device, inputs: inputs, targets: targets, rows: rows, steps: steps)
    }

    /// SASRec's scores of every item on the GPU against the CPU's.
    func sasrecScoring() throws -> Float {
        let (model, inputs, _, rows, steps) = Self.sasrecCase()
        let device = try CUDASASRecStep(configuration: model.configuration, parameters: model.parameters, context: context)
        return try Self.compareScoring(model, on: device, histories: inputs, rows: rows, steps: steps)
    }
}

extension KernelSelfTest {
    /// A small two-layer GRU4Rec without dropout (both sides then compute the same function).
    static func gru4recCase() -> (model: GRU4Rec, inputs: [Int32], targets: [Int32], rows: Int, steps: Int) {
        let model = GRU4Rec(configuration: GRU4Rec.Configuration(vocabulary: 33, embeddingSize: 8, hiddenSize: 12, layers: 2, dropout: 0), seed: 11)
        let (inputs, targets) = windows(rows: 7, steps: 9, items: 32, emptyRow: 5, seed: 12)
        return (model, inputs, targets, 7, 9)
    }

    /// GRU4Rec's training step on the GPU (`CUDAGRU4RecStep`) against `GRU4Rec.trainStep`.
    func gru4recTrainingStep() throws -> Float {
        let (model, inputs, targets, rows, steps) = Self.gru4recCase()
        let device = try CUDAGRU4RecStep(configuration: model.configuration, parameters: model.parameters, context: context)
        return try Self.compareTrainingStep(model, on: device, inputs: inputs, targets: targets, rows: rows, steps: steps)
    }

    /// GRU4Rec's scores of every item on the GPU against the CPU's.
    func gru4recScoring() throws -> Float {
        let (model, inputs, _, rows, steps) = Self.gru4recCase()
        let device = try CUDAGRU4RecStep(configuration: model.configuration, parameters: model.parameters, context: context)
        return try Self.compareScoring(model, on: device, histories: inputs, rows: rows, steps: steps)
    }
}
