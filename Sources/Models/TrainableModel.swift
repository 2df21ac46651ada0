import Engine

/// A neural next-item model the trainer can fit: parameters in one flat buffer, a workspace
/// allocated once per batch shape, and a fused forward + backward step.
public protocol TrainableModel: NextItemScorer {
    associatedtype Workspace
    var parameters: ParameterSet { get }
    /// Other names the same tensors go by in checkpoints written elsewhere (e.g. the PyTorch
    /// peer's `emb.weight` for `embedding.weight`).
    static var checkpointAliases: [String: String] { get }
    /// The tensors whose rows are indexed by item id (row 0 = padding): what grows when the
    /// catalogue grows, and what a warm start copies row by row.
    static var itemRowTensors: [String] { get }
    func makeWorkspace(rows: Int, steps: Int) -> Workspace
    /// Adds `gradientScale(targets)` × the gradient of the summed next-item loss of the batch;
    /// returns that summed loss and the number of targets.
    func trainStep(inputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, rows: Int, steps: Int,
                   workspace: Workspace, gradientScale: (Int) -> Float) -> (loss: Double, targets: Int)
    /// Seeds the random draws (dropout) of the next `trainStep`, so a run is reproducible and
    /// a resumed run draws what an uninterrupted one would have.
    func reseed(_ seed: UInt64)
}

extension TrainableModel {
    public func reseed(_ seed: UInt64) {}
}

extension LSTMRecommender: TrainableModel {
    public static var itemRowTensors: [String] { ["embedding.weight", "fc.weight", "fc.bias"] }

    public static var checkpointAliases: [String: String] {
        ["emb.weight": "embedding.weight", "out.weight": "fc.weight", "out.bias": "fc.bias"]
    }
}
