/// How a model is trained to rank the next item. The seed LSTM and GRU4Rec train with the full
/// softmax; SASRec has all three.
public enum TrainingLoss: String, Codable, Sendable, CaseIterable {
    /// Cross-entropy over the whole catalogue at every position (the default: best quality).
    case fullSoftmax = "full"
    /// Cross-entropy over the target and `negatives` sampled items, logQ-corrected (large catalogues).
    case sampledSoftmax = "sampled"
    /// Binary cross-entropy against one sampled negative per position (the original paper's loss).
    case binaryCrossEntropy = "bce"
}
