import Foundation
import Models
import Synchronization
import Runs

/// The model being served, swapped atomically on reload. Requests take the current model once
/// and finish with it, so a reload never fails a request in flight.
public final class ModelHolder: Sendable {
    /// The run directory models are loaded from.
    public let runPath: String
    private let state: Mutex<ServingModel>
    /// Puts each loaded model on its device (nil: the CPU).
    private let placeModel: (@Sendable (any TrainableModel) throws -> Void)?
    /// Whether loads time the batch curve (not when `--max-batch` fixes the cap).
    private let measuresBatchCurve: Bool

    public init(run runPath: String, placeModel: (@Sendable (any TrainableModel) throws -> Void)? = nil,
                measuresBatchCurve: Bool = true) throws {
        self.runPath = runPath
        self.placeModel = placeModel
        self.measuresBatchCurve = measuresBatchCurve
        state = Mutex(try ServingModel(run: runPath, placeModel: placeModel, measuresBatchCurve: measuresBatchCurve))
    }

    /// The model to use for the next request.
    public var current: ServingModel { state.withLock { $0 } }

    /// Loads the run's best checkpoint again and swaps it in. Returns the previous and new model's cards.
    /// A load that fails leaves the current model serving and throws.
    @discardableResult
    public func reload() async throws -> (previous: ModelCard, current: ModelCard) {
        let path = runPath, placeModel = placeModel, outgoing = current, measures = measuresBatchCurve
        let fresh = try await Task.detached(priority: .utility) {
            try ServingModel(run: path, placeModel: placeModel, previous: outgoing, measuresBatchCurve: measures)
        }.value
        let previous = state.withLock { model -> ServingModel in
            let old = model
            model = fresh
            return old
        }
        return (previous.card, fresh.card)
    }

    /// Modification time of the checkpoint a reload would load, to notice new ones.
    public func checkpointStamp() -> Date? {
        try? FileManager.default.attributesOfItem(atPath: RunDirectory(path: runPath).checkpointPath(.best))[.modificationDate] as? Date
    }
}
