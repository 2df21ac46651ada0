import Core
import Datasets
import Engine
import Foundation
import Testing
import TestSupport
@testable import Models

/// `train --features`: event types, time gaps and item attributes added at a model's input.
@Suite struct InputFeatureTests {
    static let inputs: [Int32] = [0, 0, 3, 5, 1, 2, 3, 4, 0, 6, 6, 2]
    static let targets: [Int32] = [0, 0, 5, 1, 2, 3, 4, 6, 0, 6, 2, 1]
    static let events: [UInt8] = [0, 0, 1, 2, 1, 1, 3, 2, 0, 2, 3, 1]
    static let gaps: [UInt8] = [0, 0, 1, 7, 1, 20, 3, 33, 0, 1, 2, 9]
    static let features = InputFeatures(eventTypes: ["view", "cart", "buy"], timeGap: true, attributes: [.init(name: "category", values: 3)],
                                        attributesAtOutput: true)
    /// Items 1…6: categories {1}, {2}, {1, 3}, {}, {3}, {2}.
    static let category = StoredItemAttribute(name: "category", vocabulary: ["a", "b", "c"], offsets: [0, 1, 2, 4, 4, 5, 6], values: [1, 2, 1, 3, 3, 2])

    static func model() -> SASRec {
        var configuration = SASRec.Configuration(vocabulary: 7, maxLength: 4, hiddenSize: 4, blocks: 1, heads: 1, dropout: 0)
        configuration.layerNormEpsilon = 1e-5
        let model = SASRec(configuration: configuration, seed: 2, features: features)
        model.featureEmbedding!.attach(attributes: [category])
        return model
    }

    @Test func theFeatureTablesFollowTheModelsAndStartAtZeroForUnknown() {
        let model = Self.model()
        let names = model.parameters.tensors.map(\.name)
        #expect(Array(names.suffix(3)) == ["features.event.weight", "features.time_gap.weight", "features.attribute.category.weight"])
        #expect(model.parameters.spec("features.time_gap.weight").shape == [TimeGap.buckets, 4])
        for name in names.suffix(3) { #expect((0..<4).allSatisfy { model.parameters.value(name)[$0] == 0 }, "\(name) row 0") }
        // The family's own tensors are initialised as without features.
        let plain = SASRec(configuration: model.configuration, seed: 2)
        #expect(Array(UnsafeBufferPointer(start: plain.parameters.values.pointer, count: plain.parameters.parameterCount))
                == Array(UnsafeBufferPointer(start: model.parameters.values.pointer, count: plain.parameters.parameterCount)))
    }

    /// Gives the feature tables' known rows (row 0 stays zero) random values, takes one training
    /// step with the test window, and checks every tensor's gradient against finite differences
    /// of `loss` (the first `skip(name)` values of a tensor are rows never looked up).
    static func checkGradients<Model: TrainableModel>(_ model: Model, random: inout SeededRandom, skip: (String) -> Int = { _ in 0 },
                                                      loss lossOf: @escaping (UnsafePointer<Int32>, UnsafePointer<Int32>, Model.Workspace) -> Double) {
        for name in ["features.event.weight", "features.time_gap.weight", "features.attribute.category.weight"] {
            let spec = model.parameters.spec(name)
            for i in 4..<spec.count { model.parameters.value(name)[i] = Float(random.normal()) * 0.5 }
        }
        let workspace = model.makeWorkspace(rows: 3, steps: 4)
        events.withUnsafeBufferPointer { e in
            gaps.withUnsafeBufferPointer { g in
                model.featureEmbedding!.window = FeatureWindow(events: e.baseAddress, gaps: g.baseAddress)
                defer { model.featureEmbedding!.window = nil }
                func loss() -> Double {
                    inputs.withUnsafeBufferPointer { i in targets.withUnsafeBufferPointer { t in lossOf(i.baseAddress!, t.baseAddress!, workspace) } }
                }
                model.parameters.zeroGradients()
                let result = inputs.withUnsafeBufferPointer { i in
                    targets.withUnsafeBufferPointer { t in
                        model.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: 3, steps: 4, workspace: workspace, gradientScale: { _ in 1 })
                    }
                }
                #expect(abs(result.loss - loss()) < 1e-4)
                for tensor in model.parameters.tensors {
                    let analytic = Array(UnsafeBufferPointer(start: model.parameters.gradients.pointer + tensor.offset, count: tensor.count))
                    let skipped = skip(tensor.name)
                    let worst = GradientCheck.worstError(values: model.parameters.values.pointer + tensor.offset + skipped, count: tensor.count - skipped,
                                                         analytic: Array(analytic[skipped...]), step: 1e-2, loss: loss)
                    #expect(worst < 2e-2, "\(tensor.name): \(worst)")
                }
            }
        }
    }

    /// Every tensor's gradient, the feature tables' included, against finite differences of the loss.
    @Test func wholeModelGradientCheckWithFeatures() {
        let model = Self.model()
        // Move the norms and biases away from 1 and 0, where mistakes hide.
        var random = SeededRandom(seed: 5)
        for tensor in model.parameters.tensors where tensor.shape.count == 1 {
            for i in 0..<tensor.count { model.parameters.value(tensor.name)[i] += Float(random.unit() - 0.5) * 0.4 }
        }
        Self.checkGradients(model, random: &random, skip: { $0 == "pos_emb.weight" ? 4 : 0 }) { i, t, w in
            model.loss(inputs: i, targets: t, rows: 3, steps: 4, workspace: w)
        }
        // The features are read: the event table's rows 1…3 get gradients, row 0 (unknown) none.
        let eventGradient = model.parameters.gradient("features.event.weight")
        #expect((0..<4).allSatisfy { eventGradient[$0] == 0 } && (4..<16).contains { eventGradient[$0] != 0 })
    }

    @Test func scoresChangeWithTheFeaturesAndAnUnknownWindowReadsAsIdsPlusAttributes() {
        let model = Self.model()
        for name in ["features.event.weight", "features.time_gap.weight"] {
            let spec = model.parameters.spec(name)
            var random = SeededRandom(seed: 9)
            for i in 4..<spec.count { model.parameters.value(name)[i] = Float(random.normal()) }
        }
        func scores() -> [Float] {
            var out = [Float](repeating: 0, count: 3 * 7)
            Self.inputs.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { model.score(histories: i.baseAddress!, rows: 3, steps: 4, scores: $0.baseAddress!) } }
            return out
        }
        let unknown = scores()
        let withFeatures = Self.events.withUnsafeBufferPointer { e in
            Self.gaps.withUnsafeBufferPointer { g in
                model.featureEmbedding!.window = FeatureWindow(events: e.baseAddress, gaps: g.baseAddress)
                defer { model.featureEmbedding!.window = nil }
                return scores()
            }
        }
        // Stated tolerances: the features move scores by far more than float noise (1e-3), and
        // scoring again without a window agrees with the first pass to 1e-6 of the largest score.
        #expect(zip(unknown, withFeatures).map { abs($0 - $1) }.max()! > 1e-3)
        #expect(GradientCheck.errorRelativeToLargest(scores(), unknown) < 1e-6, "no window: the same scores again")
    }

    static func lstm() -> LSTMRecommender {
        let configuration = LSTMRecommender.Configuration(vocabulary: 7, embeddingSize: 4, hiddenSize: 5, layers: 2)
        let model = LSTMRecommender(configuration: configuration, seed: 3, features: features)
        model.featureEmbedding!.attach(attributes: [category])
        return model
    }

    /// The seed LSTM through the same op: every gradient, the feature tables' included.
    @Test func lstmGradientCheckWithFeatures() {
        let model = Self.lstm()
        var random = SeededRandom(seed: 6)
        Self.checkGradients(model, random: &random) { i, t, w in model.loss(inputs: i, targets: t, rows: 3, steps: 4, workspace: w) }
    }

    /// GRU4Rec through the same op (no dropout, so the loss is deterministic).
    @Test func gru4recGradientCheckWithFeatures() {
        let model = GRU4Rec(configuration: GRU4Rec.Configuration(vocabulary: 7, embeddingSize: 4, hiddenSize: 5, layers: 1, dropout: 0),
                            seed: 4, features: Self.features)
        model.featureEmbedding!.attach(attributes: [Self.category])
        var random = SeededRandom(seed: 7)
        Self.checkGradients(model, random: &random) { i, t, w in model.loss(inputs: i, targets: t, rows: 3, steps: 4, workspace: w) }
    }

    /// With all-zero feature tables the feature path scores as the fast paths do.
    @Test func lstmFeatureScoringMatchesThePlainPathWhenTheFeaturesAreZero() {
        let plain = LSTMRecommender(configuration: LSTMRecommender.Configuration(vocabulary: 7, embeddingSize: 4, hiddenSize: 5, layers: 2), seed: 3)
        let featured = Self.lstm()
        for name in ["features.event.weight", "features.time_gap.weight", "features.attribute.category.weight"] {
            featured.parameters.value(name).update(repeating: 0, count: featured.parameters.spec(name).count)
        }
        func scores(_ model: LSTMRecommender, rows: Int) -> [Float] {
            var out = [Float](repeating: 0, count: rows * 7)
            Self.inputs.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { model.score(histories: i.baseAddress!, rows: rows, steps: 4, scores: $0.baseAddress!) } }
            return out
        }
        for rows in [1, 3] {
            #expect(GradientCheck.errorRelativeToLargest(scores(featured, rows: rows), scores(plain, rows: rows)) < 1e-4, "\(rows) rows")
        }
    }

    /// The ranker builds the same feature window from a query's events and times as the batchers do.
    @Test func theRankerPassesEachQuerysEventsAndTimeGaps() {
        let model = Self.model()
        for name in ["features.event.weight", "features.time_gap.weight"] {
            var random = SeededRandom(seed: 11)
            for i in 4..<model.parameters.spec(name).count { model.parameters.value(name)[i] = Float(random.normal()) }
        }
        // History 1, 2, 3 (events view, cart, buy; 0 s, 60 s, one day later), in a window of 4.
        let history: [Int32] = [0, 1, 2, 3], events: [UInt8] = [0, 1, 2, 3]
        let gaps: [UInt8] = [0, TimeGap.first, TimeGap.bucket(seconds: 60), TimeGap.bucket(seconds: 86_400)]
        var expected = [Float](repeating: 0, count: 7)
        events.withUnsafeBufferPointer { e in
            gaps.withUnsafeBufferPointer { g in
                model.featureEmbedding!.window = FeatureWindow(events: e.baseAddress, gaps: g.baseAddress)
                history.withUnsafeBufferPointer { h in expected.withUnsafeMutableBufferPointer { model.score(histories: h.baseAddress!, rows: 1, steps: 4, scores: $0.baseAddress!) } }
                model.featureEmbedding!.window = nil
            }
        }
        let ranker = Ranker(scorer: model, maxLength: 4)
        let top = ranker.rank([Ranker.Query(ids: [1, 2, 3], k: 6, excludeSeen: false, events: [1, 2, 3], times: [1000, 1060, 87_460])])[0]
        for (id, score) in top { #expect(abs(score - expected[id]) < 1e-5, "item \(id)") }
        let plain = ranker.rank([Ranker.Query(ids: [1, 2, 3], k: 6, excludeSeen: false)])[0]
        let plainById = Dictionary(uniqueKeysWithValues: plain.map { ($0.id, $0.score) })
        #expect(top.map { abs($0.score - (plainById[$0.id] ?? .nan)) }.max()! > 1e-3, "without events and times the features read as unknown")
    }

    /// An item without a training event keeps a zero item row and is left out of the training
    /// softmax: it scores by its attribute rows alone.
    @Test func untrainedItemsScoreByTheirAttributesAlone() {
        let model = Self.model()
        // Item 5 (category c) never occurs in training; the others do.
        model.prepareForTraining { [0, 3, 2, 2, 1, 0, 4] }
        let item = model.parameters.value("item_emb.weight") + 5 * 4
        #expect((0..<4).allSatisfy { item[$0] == 0 })
        let workspace = model.makeWorkspace(rows: 3, steps: 4)
        let inputs: [Int32] = [0, 1, 2, 3, 0, 0, 4, 6, 1, 2, 3, 4], targets: [Int32] = [0, 2, 3, 4, 0, 0, 6, 1, 2, 3, 4, 6]
        model.parameters.zeroGradients()
        _ = inputs.withUnsafeBufferPointer { i in targets.withUnsafeBufferPointer { t in
            model.trainStep(inputs: i.baseAddress!, targets: t.baseAddress!, rows: 3, steps: 4, workspace: workspace, gradientScale: { _ in 1 })
        } }
        let gradient = model.parameters.gradient("item_emb.weight") + 5 * 4
        // (−∞ logits give exp() = 0 up to the fast exp's floor, ~1e-38.)
        #expect((0..<4).allSatisfy { abs(gradient[$0]) < 1e-20 }, "no push-down of an item it never saw")
        // Its score is the history state against its category row (c: value 3).
        var scores = [Float](repeating: 0, count: 7)
        inputs.withUnsafeBufferPointer { i in scores.withUnsafeMutableBufferPointer { model.score(histories: i.baseAddress!, rows: 1, steps: 4, scores: $0.baseAddress!) } }
        #expect(scores[5] != 0)
    }

    @Test func timeGapsFallIntoLogBuckets() {
        #expect(TimeGap.bucket(seconds: 0) == 2)
        #expect(TimeGap.bucket(seconds: -5) == 2)
        #expect(TimeGap.bucket(seconds: 1) == 3)
        #expect(TimeGap.bucket(seconds: 60) == 7)        // 2 + ⌊log₂ 61⌋
        #expect(TimeGap.bucket(seconds: 86_400) == 18)   // a day
        #expect(TimeGap.bucket(seconds: .max) == UInt8(TimeGap.buckets - 1))
    }
}
