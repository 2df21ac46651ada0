import Engine

/// A neural next-item model the trainer can fit: parameters in one flat buffer, a workspace
/// allocated once per batch shape, and a fused forward + backward step.
public protocol TrainableModel: NextItemScorer {
    associatedtype Workspace
    /// The model's family and settings.
    associatedtype Family: ModelFamily
    var configuration: Family { get }
    var parameters: ParameterSet { get }
    func makeWorkspace(rows: Int, steps: Int) -> Workspace
    /// Adds `gradientScale(targets)` × the gradient of the summed next-item loss of the batch;
    /// returns that summed loss and the number of targets.
    func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                   workspace: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int)
    /// Seeds the random draws (dropout) of the next `trainStep`, so a run is reproducible and
    /// a resumed run draws what an uninterrupted one would have.
    func reseed(_ seed: UInt64)
    /// Called once before training with the training split's events per item (e.g. for a
    /// popularity-weighted negative sampler); computed only if read.
    func prepareForTraining(itemCounts: () -> [Int])
}

extension TrainableModel {
    public func reseed(_ seed: UInt64) {}
    public func prepareForTraining(itemCounts: () -> [Int]) {}
}

extension TrainableModel {
    /// Other names the same tensors go by in checkpoints written elsewhere (the family's).
    public static var checkpointAliases: [String: String] { Family.checkpointAliases }
    /// The tensors whose rows are indexed by item id (the family's).
    public static var itemRowTensors: [String] { Family.itemRowTensors }
    /// The model's family.
    public var family: any ModelFamily.Type { Family.self }
}

