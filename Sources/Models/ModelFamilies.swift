/// Every model family this build has: `train --model`, config.json, the checkpoint loader and
/// device attachment find families here and nowhere else. A new family adds one line.
public enum ModelFamilies {
    public static let all: [any ModelFamily.Type] = [
        LSTMRecommender.Configuration.self,
        SASRec.Configuration.self,
        GRU4Rec.Configuration.self,
        HSTU.Configuration.self,
    ]

    /// The family called `name` (`lstm`, `sasrec`, …), or nil.
    public static func named(_ name: String) -> (any ModelFamily.Type)? {
        all.first { $0.name == name }
    }

    /// The families' names, in registry order, e.g. "lstm, sasrec, gru4rec".
    public static var names: String { all.map { $0.name }.joined(separator: ", ") }

    /// The family the seed workflow trains when none is named.
    public static let defaultName = "lstm"
}
