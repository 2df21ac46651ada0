import Core
import Datasets
import Engine

/// The inputs a model reads besides item ids (`train --features`), recorded in config.json.
/// Every family adds them the same way, through `InputFeatureEmbedding`: to each input item's
/// embedding row it adds its event type's row, its time gap's row and the mean of its
/// attribute values' rows. Row 0 of every table stands for "unknown" and stays zero, so a
/// history without event types or times (a request that does not send them) reads as ids only.
public struct InputFeatures: Codable, Sendable, Equatable {
    /// The dataset's event type names (the table has one more row), when event types are an input.
    public var eventTypes: [String]?
    /// Whether the time since the previous event (`TimeGap` buckets) is an input.
    public var timeGap = false
    /// Item attributes that are inputs, with their vocabulary sizes when trained.
    public var attributes: [Attribute] = []
    /// Whether a family with tied output embeddings also scores each item with its attribute
    /// rows (score = h · (E[i] + A[i])), so an item unseen in training ranks by its attributes.
    /// Absent in runs written before this existed: off.
    public var attributesAtOutput: Bool? = nil

    public struct Attribute: Codable, Sendable, Equatable {
        public var name: String
        public var values: Int
        public init(name: String, values: Int) {
            self.name = name
            self.values = values
        }
    }

    public init(eventTypes: [String]? = nil, timeGap: Bool = false, attributes: [Attribute] = [], attributesAtOutput: Bool? = nil) {
        self.eventTypes = eventTypes
        self.timeGap = timeGap
        self.attributes = attributes
        self.attributesAtOutput = attributesAtOutput
    }

    /// Whether scores use the items' attribute rows too (`attributesAtOutput`, with attributes).
    public var scoresWithAttributes: Bool { attributesAtOutput == true && !attributes.isEmpty }

    /// The feature names as `--features` takes them: event, time-gap, and attribute names.
    public var names: [String] {
        (eventTypes != nil ? ["event"] : []) + (timeGap ? ["time-gap"] : []) + attributes.map(\.name)
    }

    /// The features `names` select from what `dataset` has, or an error naming what is missing.
    public static func resolve(_ names: [String], dataset: Dataset) throws -> InputFeatures {
        var features = InputFeatures()
        for name in names {
            switch name {
            case "event":
                guard dataset.events != nil else { throw DatasetError.invalidOption("--features event: \(dataset.directory) has no event types (prepare --event COLUMN)") }
                features.eventTypes = dataset.eventTypes
            case "time-gap":
                guard dataset.times != nil else { throw DatasetError.invalidOption("--features time-gap: \(dataset.directory) has no timestamps") }
                features.timeGap = true
            default:
                guard let attribute = dataset.itemAttributes.first(where: { $0.name == name }) else {
                    let known = ["event", "time-gap"] + dataset.itemAttributes.map(\.name)
                    throw DatasetError.invalidOption("--features \(name): not a feature of \(dataset.directory) (it has: \(known.joined(separator: ", ")))")
                }
                features.attributes.append(Attribute(name: name, values: attribute.vocabulary.count))
            }
        }
        if !features.attributes.isEmpty { features.attributesAtOutput = true }
        return features
    }

    /// What `dataset` offers, for `train` to say: every name `resolve` would accept.
    public static func available(in dataset: Dataset) -> [String] {
        (dataset.events != nil ? ["event"] : []) + (dataset.times != nil ? ["time-gap"] : []) + dataset.itemAttributes.map(\.name)
    }

    /// The tables, for inputs of `width` channels, in layout order after the family's own tensors.
    public func parameterSpecs(width: Int) -> [(name: String, shape: [Int])] {
        var specs: [(String, [Int])] = []
        if let eventTypes { specs.append(("features.event.weight", [eventTypes.count + 1, width])) }
        if timeGap { specs.append(("features.time_gap.weight", [TimeGap.buckets, width])) }
        for attribute in attributes { specs.append(("features.attribute.\(attribute.name).weight", [attribute.values + 1, width])) }
        return specs
    }

    /// Whether the model needs per-position event types or time gaps with its inputs.
    public var needsWindow: Bool { eventTypes != nil || timeGap }
}

/// Per-position features of the batch a model is about to read, in its inputs' (rows × steps)
/// layout (`FeatureBuffers` filled by the batchers). Set on a model before `trainStep` or `score`.
public struct FeatureWindow {
    public var events: UnsafePointer<UInt8>?
    public var gaps: UnsafePointer<UInt8>?

    public init(events: UnsafePointer<UInt8>?, gaps: UnsafePointer<UInt8>?) {
        self.events = events
        self.gaps = gaps
    }
}

/// The op every family calls at its input: x += E_event[e] + E_gap[g] + mean over the item's
/// attribute values a of E_a[a], and its backward pass into those tables.
public final class InputFeatureEmbedding: @unchecked Sendable {
    public let features: InputFeatures
    let width: Int
    /// The model's parameters, which hold the feature tables.
    public let parameters: ParameterSet
    /// Each attribute's values per item (from the dataset; empty rows until `attach`).
    private var attributeRows: [StoredItemAttribute?]
    /// The batch about to be read.
    public var window: FeatureWindow?
    /// The tables' values and gradients (the parameter buffers never move).
    private let eventTable: (values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>)?
    private let gapTable: (values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>)?
    private let attributeTables: [(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>)]

    /// The embedding for `features`, or nil when there are none (the model reads item ids only).
    public static func make(features: InputFeatures?, width: Int, parameters: ParameterSet) -> InputFeatureEmbedding? {
        guard let features, !features.names.isEmpty else { return nil }
        return InputFeatureEmbedding(features: features, width: width, parameters: parameters)
    }

    public init(features: InputFeatures, width: Int, parameters: ParameterSet) {
        self.features = features
        self.width = width
        self.parameters = parameters
        attributeRows = Array(repeating: nil, count: features.attributes.count)
        func table(_ name: String) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) { (parameters.value(name), parameters.gradient(name)) }
        eventTable = features.eventTypes == nil ? nil : table("features.event.weight")
        gapTable = features.timeGap ? table("features.time_gap.weight") : nil
        attributeTables = features.attributes.map { table("features.attribute.\($0.name).weight") }
        eventRows = (features.eventTypes?.count ?? 0) + 1
    }

    /// Rows of the event table: a type added to the data after training reads as unknown.
    private let eventRows: Int

    /// The tables start small and random, as an embedding does, except row 0 ("unknown"): zero.
    public func initialise(random: inout SeededRandom) {
        for spec in features.parameterSpecs(width: width) {
            let values = parameters.value(spec.name)
            let count = spec.shape.reduce(1, *)
            for i in 0..<count { values[i] = i < width ? 0 : Float(random.normal()) * 0.02 }
        }
    }

    /// Uses `dataset`'s item attributes (their value ids must fit the tables: the run's dataset, or one prepared `--like` it).
    public func attach(dataset: Dataset) throws {
        for attribute in features.attributes where !dataset.itemAttributes.contains(where: { $0.name == attribute.name }) {
            throw DatasetError.invalidOption("the model reads item attribute '\(attribute.name)', which \(dataset.directory) does not have")
        }
        attach(attributes: dataset.itemAttributes)
    }

    /// Uses these item attributes' values (those the model reads; value ids past its tables are skipped).
    public func attach(attributes: [StoredItemAttribute]) {
        for (index, attribute) in features.attributes.enumerated() {
            attributeRows[index] = attributes.first { $0.name == attribute.name }
        }
    }

    @inline(__always)
    private func event(_ cell: Int) -> Int { Int(window?.events?[cell] ?? 0) }
    @inline(__always)
    private func gap(_ cell: Int) -> Int { Int(window?.gaps?[cell] ?? 0) }

    /// Adds the features of input `cell` (its place in the window) for `item` to `x` (`width` values).
    public func add(to x: UnsafeMutablePointer<Float>, cell: Int, item: Int) {
        let d = width
        if let eventTable {
            let e = event(cell)
            if e > 0 && e < eventRows { let row = eventTable.values + e * d; for j in 0..<d { x[j] += row[j] } }
        }
        if let gapTable {
            let g = gap(cell)
            if g > 0 { let row = gapTable.values + g * d; for j in 0..<d { x[j] += row[j] } }
        }
        addAttributes(to: x, item: item)
    }

    /// Adds the mean of `item`'s attribute rows (per attribute) to `x`.
    public func addAttributes(to x: UnsafeMutablePointer<Float>, item: Int) {
        let d = width
        for (index, attribute) in features.attributes.enumerated() {
            guard let stored = attributeRows[index], item > 0, item < stored.offsets.count else { continue }
            let values = stored.values(ofItem: item)
            guard !values.isEmpty else { continue }
            let table = attributeTables[index].values, share = 1 / Float(values.count)
            for value in values where Int(value) <= attribute.values {
                let row = table + Int(value) * d
                for j in 0..<d { x[j] += row[j] * share }
            }
        }
    }

    /// Accumulates the gradient `g` of input `cell`'s embedding row into the feature tables.
    public func backward(_ g: UnsafePointer<Float>, cell: Int, item: Int) {
        let d = width
        if let eventTable {
            let e = event(cell)
            if e > 0 && e < eventRows { let row = eventTable.gradients + e * d; for j in 0..<d { row[j] += g[j] } }
        }
        if let gapTable {
            let t = gap(cell)
            if t > 0 { let row = gapTable.gradients + t * d; for j in 0..<d { row[j] += g[j] } }
        }
        backwardAttributes(g, item: item)
    }

    /// Accumulates the gradient `g` of `item`'s mean attribute row into the attribute tables.
    public func backwardAttributes(_ g: UnsafePointer<Float>, item: Int) {
        let d = width
        for (index, attribute) in features.attributes.enumerated() {
            guard let stored = attributeRows[index], item > 0, item < stored.offsets.count else { continue }
            let values = stored.values(ofItem: item)
            guard !values.isEmpty else { continue }
            let table = attributeTables[index].gradients, share = 1 / Float(values.count)
            for value in values where Int(value) <= attribute.values {
                let row = table + Int(value) * d
                for j in 0..<d { row[j] += g[j] * share }
            }
        }
    }

    /// The output table of a tied family that scores with attributes: `items` ([vocabulary,
    /// width]) plus each item's mean attribute rows, into `table`.
    public func composeOutputTable(items: UnsafePointer<Float>, vocabulary: Int, into table: UnsafeMutablePointer<Float>) {
        table.update(from: items, count: vocabulary * width)
        for item in 1..<max(1, vocabulary) { addAttributes(to: table + item * width, item: item) }
    }

    /// The gradient of that table (`tableGradient`) into the item table's gradient and the attribute tables'.
    public func backwardOutputTable(_ tableGradient: UnsafePointer<Float>, vocabulary: Int, itemGradient: UnsafeMutablePointer<Float>) {
        for i in 0..<(vocabulary * width) { itemGradient[i] += tableGradient[i] }
        for item in 1..<max(1, vocabulary) { backwardAttributes(tableGradient + item * width, item: item) }
    }
}

/// The output rows of a family whose scores are tied to its item embeddings: the item table
/// itself, or, when the run scores with attributes (`scoresWithAttributes`), item rows plus
/// each item's mean attribute rows, so an item never seen in training still ranks by its
/// attributes. The composed table is rebuilt when the weights may have changed.
public final class TiedOutputTable: @unchecked Sendable {
    private let items: UnsafeMutablePointer<Float>
    private let itemGradient: UnsafeMutablePointer<Float>
    private let vocabulary: Int
    private let features: InputFeatureEmbedding?
    private var table: FloatBuffer?
    private var gradient: FloatBuffer?
    private var current = false

    public init(items: UnsafeMutablePointer<Float>, itemGradient: UnsafeMutablePointer<Float>, vocabulary: Int, features: InputFeatureEmbedding?) {
        self.items = items
        self.itemGradient = itemGradient
        self.vocabulary = vocabulary
        self.features = features?.features.scoresWithAttributes == true ? features : nil
    }

    private func composed() -> UnsafeMutablePointer<Float> {
        let buffer = table ?? FloatBuffer(count: vocabulary * features!.width)
        table = buffer
        if !current {
            features!.composeOutputTable(items: items, vocabulary: vocabulary, into: buffer.pointer)
            current = true
        }
        return buffer.pointer
    }

    /// The rows to score against (built once per change of the weights).
    public func scoring() -> UnsafeMutablePointer<Float> { features == nil ? items : composed() }

    /// The rows rebuilt from the current weights (tests that perturb weights between calls).
    public func fresh() -> UnsafeMutablePointer<Float> {
        current = false
        return scoring()
    }

    /// The rows and where their gradient goes for a training step: the item table's own
    /// gradient, or a zeroed buffer that `finishTraining` passes on. The weights change after
    /// the step, so the scoring rows are rebuilt next time.
    public func training() -> (rows: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        guard let features else { return (items, itemGradient) }
        current = false
        let rows = composed()
        current = false
        let buffer = gradient ?? FloatBuffer(count: vocabulary * features.width)
        gradient = buffer
        buffer.zero()
        return (rows, buffer.pointer)
    }

    /// Items without a training event (ids), when scoring with attributes: their item rows are
    /// zeroed and they are left out of every training softmax, so they keep scoring by their
    /// attributes alone instead of being pushed down as negatives they never had a chance against.
    public private(set) var untrainedItems: [Int32] = []

    /// Zeroes the item rows of items that `itemCounts` (training events per id) says never occur,
    /// and remembers them for `excludeUntrained`. Without attributes at the output: nothing.
    public func prepare(itemCounts: [Int], width: Int) {
        guard features != nil else { return }
        untrainedItems = itemCounts.indices.dropFirst().filter { itemCounts[$0] == 0 }.map { Int32($0) }
        for item in untrainedItems { (items + Int(item) * width).update(repeating: 0, count: width) }
        current = false
    }

    /// Masks the untrained items in one row of logits (a softmax's `exclude`).
    public func excludeUntrained(_ logits: UnsafeMutablePointer<Float>) {
        for item in untrainedItems { logits[Int(item)] = -.infinity }
    }

    /// Passes a training step's gradient of the composed rows to the item and attribute tables.
    public func finishTraining() {
        guard let features, let gradient else { return }
        features.backwardOutputTable(gradient.pointer, vocabulary: vocabulary, itemGradient: itemGradient)
    }
}
