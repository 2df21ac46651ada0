import Engine

/// Runs a model's training step and its scoring on another processor (a GPU), over the same
/// flat parameter layout as the CPU: the weights go there from `ParameterSet.values`, the
/// gradient comes back into `ParameterSet.gradients`. The trainer, the optimizer, checkpoints
/// and early stopping stay as they are, so a checkpoint is the same file on either device.
public protocol StepAccelerator: AnyObject {
    /// Where the work runs, e.g. "cuda:0 (NVIDIA H100 80GB HBM3)".
    var deviceName: String { get }

    /// Adds `gradientScale(targets)` × the gradient of the batch's summed loss to
    /// `parameters.gradients`; returns that summed loss and the number of targets. `seed`
    /// draws the step's dropout masks (their values differ from the CPU's draws).
    func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                   parameters: ParameterSet, seed: UInt64, gradientScale: (Int) -> Float) throws -> (loss: Double, targets: Int)

    /// Scores of every id for each of `rows` left-padded histories (as `NextItemScorer.score`).
    func score(histories: UnsafePointer<Int32>, rows: Int, steps: Int, parameters: ParameterSet,
               scores: UnsafeMutablePointer<Float>) throws
}

extension StepAccelerator {
    /// `trainStep` for the models' own (non-throwing) `trainStep`: a device that fails mid-run
    /// stops the process with what failed where; the last checkpoint on disk is intact.
    func trainStepOrStop(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                         parameters: ParameterSet, seed: UInt64, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int) {
        do {
            return try trainStep(inputs: inputs, targets: targets, rows: rows, steps: steps, parameters: parameters, seed: seed,
                                 gradientScale: gradientScale)
        } catch {
            fatalError("training step on \(deviceName) failed: \(error)")
        }
    }

    /// `score` for the models' own (non-throwing) `score`.
    func scoreOrStop(histories: UnsafePointer<Int32>, rows: Int, steps: Int, parameters: ParameterSet, scores: UnsafeMutablePointer<Float>) {
        do {
            try score(histories: histories, rows: rows, steps: steps, parameters: parameters, scores: scores)
        } catch {
            fatalError("scoring on \(deviceName) failed: \(error)")
        }
    }
}

/// A model whose training steps and scoring can run on an accelerator (`--device cuda`).
public protocol AcceleratedModel: TrainableModel {
    /// Where the steps run when not on the CPU; nil = the CPU.
    var accelerator: StepAccelerator? { get set }
}
