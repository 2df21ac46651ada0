/// The figures `trajectory info` shows about a dataset.
public struct DatasetStatistics: Codable, Sendable, Equatable {
    public var users: Int
    public var items: Int
    public var events: Int
    /// Sequence length percentiles: min, p5, p25, p50, p75, p95, p99, max; and the mean.
    public var sequenceLength: LengthPercentiles
    /// Share of events on the most popular 1% of items (at least one item).
    public var topOnePercentShare: Double
    /// Items seen exactly once (items with none occur only in datasets prepared `--like` another).
    public var itemsSeenOnce: Int
    /// Events / (users × items).
    public var density: Double
    /// First and last event time (ISO-8601, UTC), when the dataset has times.
    public var firstEvent: String?
    public var lastEvent: String?
    public var spanDays: Double?
    /// Events per event type, in id order, when the dataset has event types.
    public var eventTypes: [Manifest.EventType]?
    /// Min, mean and max of the per-event values, when the dataset has them.
    public var values: ValueSummary?

    public struct ValueSummary: Codable, Sendable, Equatable {
        public var min: Double
        public var mean: Double
        public var max: Double
    }

    public struct LengthPercentiles: Codable, Sendable, Equatable {
        public var min: Int
        public var p5: Int
        public var p25: Int
        public var p50: Int
        public var p75: Int
        public var p95: Int
        public var p99: Int
        public var max: Int
        public var mean: Double
    }

    /// Computes the statistics in one pass over the mapped data.
    public init(dataset: Dataset) {
        users = dataset.sequenceCount
        items = dataset.itemCount
        events = dataset.eventCount
        var lengths = (0..<users).map { dataset.range(ofSequence: $0).count }
        lengths.sort()
        func percentile(_ p: Double) -> Int {
            guard !lengths.isEmpty else { return 0 }
            let rank = Int((p / 100 * Double(lengths.count - 1)).rounded())
            return lengths[rank]
        }
        sequenceLength = LengthPercentiles(min: lengths.first ?? 0, p5: percentile(5), p25: percentile(25), p50: percentile(50),
                                           p75: percentile(75), p95: percentile(95), p99: percentile(99), max: lengths.last ?? 0,
                                           mean: users == 0 ? 0 : Double(events) / Double(users))
        var counts = dataset.itemEventCounts()
        counts.removeFirst()
        itemsSeenOnce = counts.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        counts.sort(by: >)
        let top = max(1, (items + 99) / 100)
        topOnePercentShare = events == 0 ? 0 : Double(counts.prefix(top).reduce(0, +)) / Double(events)
        density = users == 0 || items == 0 ? 0 : Double(events) / (Double(users) * Double(items))
        if let times = dataset.times, let first = times.min(), let last = times.max() {
            firstEvent = TimestampParser.iso8601String(unixSeconds: first)
            lastEvent = TimestampParser.iso8601String(unixSeconds: last)
            spanDays = (Double(last) - Double(first)) / 86_400  // Doubles: damaged times must not overflow
        }
        if let events = dataset.events {
            var perType = [Int](repeating: 0, count: dataset.eventTypes.count + 1)
            for event in events { perType[Int(event)] += 1 }
            eventTypes = dataset.eventTypes.enumerated().map { Manifest.EventType(name: $1, events: perType[$0 + 1]) }
        }
        if let values = dataset.values, let low = values.min(), let high = values.max() {
            self.values = ValueSummary(min: Double(low), mean: values.reduce(0.0) { $0 + Double($1) } / Double(values.count), max: Double(high))
        }
    }
}
