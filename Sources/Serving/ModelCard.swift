import Runs

/// What the service says about the model it serves (`GET /v1/model`, the web page's model card).
public struct ModelCard: Codable, Sendable {
    /// Changes whenever a different checkpoint is loaded: kind and checkpoint time.
    public var id: String
    /// The model family: lstm, sasrec, gru4rec or hstu.
    public var kind: String
    public var run: String
    public var checkpoint: String
    public var checkpointModified: String
    public var loadedAt: String
    /// The model's shape in a few words.
    public var settings: String
    /// The training settings in a few words.
    public var training: String
    public var trainedEpochs: Int
    public var bestEpoch: Int
    public var trainingSeconds: Double
    /// Validation metrics (full ranking) of the best epoch, when the run recorded them.
    public var validation: RankingMetrics?
    public var dataset: DatasetInfo
    public var maxLength: Int
    /// When the run was created.
    public var created: String

    public struct DatasetInfo: Codable, Sendable {
        public var path: String
        public var users: Int
        public var items: Int
        public var events: Int
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, run, checkpoint, settings, training, validation, dataset, created
        case checkpointModified = "checkpoint_modified"
        case loadedAt = "loaded_at"
        case trainedEpochs = "trained_epochs"
        case bestEpoch = "best_epoch"
        case trainingSeconds = "training_seconds"
        case maxLength = "max_length"
    }
}
