import Core
import Foundation

/// Generates shop logs with view → cart → buy funnels, whose generating process makes the value
/// of each input feature known.
///
/// Items have a category and Zipf popularity within it; each user favours two categories
/// (weights 0.7 / 0.3; a view leaves them with probability `exploreProbability`). A user's
/// history is sessions: within one, views a few minutes apart; each view is carted (30 s
/// later) with probability `cartProbability`. Carts are bought, or abandoned: at the end of
/// the session each of its carts is bought with probability `buyNowProbability`; the others
/// wait, and are bought at the start of the user's next session with probability
/// `buyLaterProbability` if it begins within `cartLifetime` of the cart, and abandoned
/// otherwise. The next session starts after a few hours half the time, after days otherwise.
///
/// So the next buy is almost always an item the user carted and has not bought yet, recently:
/// the event type tells which items of the history are carts, the time gap whether they are
/// still alive, and an id-only model sees a cart as one more view. With `noSignal` the same
/// item sequences get event types drawn independently with the same frequencies (a buy is then
/// any item), the control on which features must not help.
public struct FunnelGenerator: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var users = 2000
        public var items = 1000
        public var categories = 20
        public var zipfExponent = 0.8
        /// Sessions per user: 1 + a geometric number with this mean.
        public var meanSessions = 6.0
        /// Views per session: 1 + a geometric number with this mean.
        public var meanViews = 5.0
        public var exploreProbability = 0.2
        public var cartProbability = 0.25
        public var buyNowProbability = 0.3
        public var buyLaterProbability = 0.7
        public var cartLifetimeSeconds: Int64 = 24 * 3600
        public var noSignal = false
        public var seed: UInt64 = 42
        public var startTime: Int64 = 1_700_000_000

        public init() {}
    }

    /// One event of a generated log.
    public struct Event: Sendable, Equatable {
        public var item: Int
        public var type: EventType
        public var time: Int64
    }

    public enum EventType: String, Sendable, CaseIterable {
        case view, cart, buy
    }

    public let parameters: Parameters
    /// Category of item i (index i − 1).
    public let itemCategory: [Int]
    private let categoryItems: [[Int]]
    private let categoryCumulative: [[Double]]

    public init(parameters: Parameters) {
        self.parameters = parameters
        var random = SeededRandom(seed: parameters.seed)
        let categories = max(1, parameters.categories)
        itemCategory = (0..<parameters.items).map { _ in Int(random.next() % UInt64(categories)) }
        var members = [[Int]](repeating: [], count: categories)
        for (index, category) in itemCategory.enumerated() { members[category].append(index + 1) }
        categoryItems = members
        categoryCumulative = members.map { items in
            var cumulative = (0..<items.count).map { 1 / pow(Double($0 + 1), parameters.zipfExponent) }
            for i in cumulative.indices.dropFirst() { cumulative[i] += cumulative[i - 1] }
            let total = cumulative.last ?? 1
            return cumulative.map { $0 / total }
        }
    }

    /// Every user's events, oldest first.
    public func generate() -> [[Event]] {
        var random = SeededRandom(seed: parameters.seed &+ 1)
        var users: [[Event]] = []
        users.reserveCapacity(parameters.users)
        for _ in 0..<parameters.users { users.append(user(random: &random)) }
        guard parameters.noSignal else { return users }
        // The control: the same items and times, event types drawn independently at the same rates.
        var counts = [Int](repeating: 0, count: EventType.allCases.count)
        for events in users { for event in events { counts[EventType.allCases.firstIndex(of: event.type)!] += 1 } }
        let total = Double(counts.reduce(0, +))
        var cumulative = counts.map { Double($0) / max(1, total) }
        for i in cumulative.indices.dropFirst() { cumulative[i] += cumulative[i - 1] }
        return users.map { events in events.map { Event(item: $0.item, type: EventType.allCases[random.draw(cumulative: cumulative)], time: $0.time) } }
    }

    private func user(random: inout SeededRandom) -> [Event] {
        let p = parameters
        let categories = categoryItems.count
        let favourite = Int(random.next() % UInt64(categories))
        let second = categories > 1 ? (favourite + 1 + Int(random.next() % UInt64(categories - 1))) % categories : favourite
        var time = p.startTime + Int64(random.unit() * 86_400 * 60)
        var events: [Event] = []
        var pending: [(item: Int, time: Int64)] = []
        let sessions = 1 + geometric(mean: p.meanSessions, random: &random)
        for session in 0..<sessions {
            if session > 0 {
                time += random.unit() < 0.5 ? Int64(3600 + random.unit() * 5 * 3600) : Int64(2 * 86_400 + random.unit() * 8 * 86_400)
            }
            // Carts still alive are bought (or not) first; the rest are abandoned.
            for cart in pending where time - cart.time <= p.cartLifetimeSeconds && random.unit() < p.buyLaterProbability {
                time += Int64(30 + random.unit() * 90)
                events.append(Event(item: cart.item, type: .buy, time: time))
            }
            pending = []
            var carted: [Int] = []
            for _ in 0..<(1 + geometric(mean: p.meanViews, random: &random)) {
                time += Int64(60 + random.unit() * 240)
                let category = random.unit() < p.exploreProbability ? Int(random.next() % UInt64(categories))
                    : (random.unit() < 0.7 ? favourite : second)
                let members = categoryItems[category]
                guard !members.isEmpty else { continue }
                let item = members[random.draw(cumulative: categoryCumulative[category])]
                events.append(Event(item: item, type: .view, time: time))
                if random.unit() < p.cartProbability && !carted.contains(item) {
                    time += 30
                    events.append(Event(item: item, type: .cart, time: time))
                    carted.append(item)
                }
            }
            for item in carted {
                if random.unit() < p.buyNowProbability {
                    time += Int64(60 + random.unit() * 120)
                    events.append(Event(item: item, type: .buy, time: time))
                } else {
                    pending.append((item, time))
                }
            }
        }
        return events
    }

    private func geometric(mean: Double, random: inout SeededRandom) -> Int {
        guard mean > 0 else { return 0 }
        let stop = 1 / (1 + mean)
        var count = 0
        while random.unit() >= stop && count < 10_000 { count += 1 }
        return count
    }

    /// The log as CSV: `user_id,item_id,event,timestamp,category` (ISO-8601 UTC times), users in order.
    public static func csv(_ users: [[Event]], itemCategory: [Int]) -> String {
        var text = "user_id,item_id,event,timestamp,category\n"
        for (user, events) in users.enumerated() {
            for event in events {
                text += "u\(user + 1),i\(event.item),\(event.type.rawValue),\(TimestampParser.iso8601String(unixSeconds: event.time)),c\(itemCategory[event.item - 1] + 1)\n"
            }
        }
        return text
    }
}
