import Datasets
import Models

/// The per-position feature buffers a batch of `cells` inputs needs for a model that reads
/// `features` (event types and/or time gaps), owned here and freed with the value; nil when the
/// model reads none. The batchers fill `buffers`; the model reads them through `window`.
final class FeatureWindowBuffers {
    let buffers: FeatureBuffers
    let window: FeatureWindow

    init?(for features: InputFeatures?, cells: Int) {
        guard let features, features.needsWindow else { return nil }
        let events = features.eventTypes != nil ? UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, cells)) : nil
        let gaps = features.timeGap ? UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, cells)) : nil
        events?.initialize(repeating: 0)
        gaps?.initialize(repeating: 0)
        buffers = FeatureBuffers(events: events, gaps: gaps)
        window = FeatureWindow(events: events.map { UnsafePointer($0.baseAddress!) }, gaps: gaps.map { UnsafePointer($0.baseAddress!) })
    }

    deinit {
        buffers.events?.deallocate()
        buffers.gaps?.deallocate()
    }
}
