import Core
import CoreMetrics
import Datasets
import Foundation
import Prometheus
import Synchronization

/// The service's metrics, recorded through swift-metrics into its own Prometheus registry (no
/// process-global bootstrap, so several servers — or tests — never share counters).
public final class ServiceMetrics: Sendable {
    /// Where every metric lands; `GET /metrics` renders it.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let batchSize: CoreMetrics.Recorder
    private let queueWait: CoreMetrics.Timer
    private let batchCompute: CoreMetrics.Timer
    private let reloads: CoreMetrics.Counter
    private let residentMemory: CoreMetrics.Gauge
    private let modelLoaded: CoreMetrics.Gauge
    private let batchCap: CoreMetrics.Gauge
    private let modelInfo: Mutex<(id: String, gauge: CoreMetrics.Gauge)?> = Mutex(nil)
    private let requestMetrics = Mutex<[String: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    /// Requests handled and in flight, for the web page's live stats.
    private let totals = Mutex((requests: 0, errors: 0, predictions: 0))

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
            .map { Duration.nanoseconds(Int64($0 * 1e9)) }
        factory.durationHistogramBuckets = [
            "trajectory_http_request_duration_seconds": latencyBuckets,
            "trajectory_batch_queue_wait_seconds": latencyBuckets,
            "trajectory_batch_compute_seconds": latencyBuckets,
        ]
        factory.valueHistogramBuckets = ["trajectory_batch_size": [1, 2, 4, 8, 16, 32, 64, 128, 256]]
        self.factory = factory
        batchSize = Recorder(label: "trajectory_batch_size", dimensions: [], aggregate: true, factory: factory)
        queueWait = CoreMetrics.Timer(label: "trajectory_batch_queue_wait_seconds", dimensions: [], factory: factory)
        batchCompute = CoreMetrics.Timer(label: "trajectory_batch_compute_seconds", dimensions: [], factory: factory)
        reloads = CoreMetrics.Counter(label: "trajectory_model_reloads_total", dimensions: [], factory: factory)
        residentMemory = CoreMetrics.Gauge(label: "trajectory_process_resident_memory_bytes", dimensions: [], factory: factory)
        modelLoaded = CoreMetrics.Gauge(label: "trajectory_model_loaded_timestamp_seconds", dimensions: [], factory: factory)
        batchCap = CoreMetrics.Gauge(label: "trajectory_batch_cap", dimensions: [], factory: factory)
    }

    /// One finished HTTP request: `route` is the route's pattern (`/v1/users/{id}/events`), never the raw path.
    public func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        let key = "\(method) \(route) \(status)"
        let (counter, timer) = requestMetrics.withLock { cache in
            if let found = cache[key] { return found }
            let dimensions = [("method", method), ("route", route), ("status", String(status))]
            let made = (CoreMetrics.Counter(label: "trajectory_http_requests_total", dimensions: dimensions, factory: factory),
                        CoreMetrics.Timer(label: "trajectory_http_request_duration_seconds", dimensions: dimensions, factory: factory))
            cache[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(Int64(seconds * 1e9))
        totals.withLock {
            $0.requests += 1
            if status >= 500 { $0.errors += 1 }
        }
    }

    /// One micro-batch of the prediction batcher.
    public func recordBatch(_ report: PredictionBatcher.BatchReport) {
        batchSize.record(report.size)
        queueWait.recordNanoseconds(Int64(report.oldestWait * 1e9))
        batchCompute.recordNanoseconds(Int64(report.compute * 1e9))
        totals.withLock { $0.predictions += report.size }
    }

    /// Most predictions the batcher puts in one forward pass now (`--max-batch`, or the model's measured cap).
    public func recordBatchCap(_ size: Int) {
        batchCap.record(size)
    }

    /// The model now served (`trajectory_model_info{model="…"} 1`, the previous one's series set to 0).
    public func recordModel(_ card: ModelCard, reload: Bool) {
        if reload { reloads.increment() }
        modelLoaded.record(Date().timeIntervalSince1970)
        modelInfo.withLock { info in
            if let old = info, old.id != card.id { old.gauge.record(0) }
            let gauge = CoreMetrics.Gauge(label: "trajectory_model_info", dimensions: [("model", card.id), ("kind", card.kind)], factory: factory)
            gauge.record(1)
            info = (card.id, gauge)
        }
    }

    /// Totals for the web page: requests, 5xx answers, predictions ranked.
    public var totalsSnapshot: (requests: Int, errors: Int, predictions: Int) { totals.withLock { $0 } }

    /// The Prometheus text exposition of every metric, process memory refreshed first.
    public func render() -> String {
        if let bytes = MemoryUsage.residentBytes() { residentMemory.record(Double(bytes.current)) }
        return registry.emitToString()
    }
}
