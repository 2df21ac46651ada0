/// Generates behaviour with real sequential signal, shaped like MovieLens-1M by default.
///
/// Items have Zipf popularity and belong to one of `clusters` taste groups; each user has a
/// taste group. Each item has a fixed list of successors (drawn by popularity, the j-th
/// weighted 1/(j+1)); a user's next item follows the current item's successors with
/// probability `followProbability`, and is otherwise drawn by popularity — from the user's
/// current interest group with probability `tasteProbability`, else from all items. The
/// interest starts at the user's taste group and drifts: at each step, with probability
/// `interestDrift`, it moves to another group (back to the taste group half the time), as
/// a viewer's mood moves between genres. With `tasteGroups` > 1 a user's taste is a weighted
/// mix of that many groups instead, and each popularity draw picks one of them by weight (a
/// viewer of dramas, comedies and thrillers); drift then replaces one group of the mix by a
/// random one (tastes change over months). The last item then shows one group of the mix and
/// the history shows all of them. Sequence lengths are lognormal. The interest makes
/// the recent history informative beyond the last item, and the taste the whole history: a
/// first-order chain sees only the last item. Because the process is known, the best possible ranking of the next item is known
/// too: `ceiling()` reports the HR@10 and NDCG@10 a perfect model would reach on the
/// leave-one-out test targets.
public struct SyntheticGenerator: Sendable {
    public struct Parameters: Sendable, Codable, Equatable {
        public var users = 6040
        public var items = 3416
        public var medianLength = 96.0
        public var lengthSigma = 1.05
        public var minLength = 20
        public var maxLength = 2000
        public var zipfExponent = 0.5
        public var successors = 24
        public var followProbability = 0.6
        /// Taste groups of items, and how often a popularity draw stays within the user's group.
        public var clusters = 20
        public var tasteProbability = 0.5
        /// Probability, at each step, that the user's current interest moves to another group.
        public var interestDrift = 0.0
        /// Taste groups per user. 1: one taste group and a moving interest, as described above;
        /// more: a weighted mix of distinct groups (weights uniform on the simplex).
        public var tasteGroups = 1
        /// Whether a user may consume an item again (listening, shopping). MovieLens ratings:
        /// no, each movie is rated once, which a sequence model can learn and a Markov chain cannot.
        public var allowRepeats = true
        /// With repeats allowed: probability that a step consumes again one of the user's last
        /// `repeatWindow` items (the j-th most recent weighted 1/j), as listeners replay songs and
        /// shoppers re-buy. Only the user's own history tells which items these are.
        public var repeatProbability = 0.0
        public var repeatWindow = 20
        public var seed: UInt64 = 42
        /// First event time (unix seconds); users start within the following `startSpread`.
        public var startTime: Int64 = 956_703_932
        public var startSpreadSeconds: Int64 = 86_400 * 900

        public init() {}
    }

    public let parameters: Parameters
    /// Popularity probability of item `i` (index i-1).
    public let popularity: [Double]
    private let popularityCumulative: [Double]
    /// Successors of item i (index i-1), most likely first.
    public let successors: [[UInt32]]
    private let successorWeights: [Double]
    private let successorCumulative: [Double]
    /// Taste group of each item (index i-1), and popularity within each group.
    public let itemCluster: [Int]
    private let clusterPopularity: [[Double]]
    private let clusterItems: [[UInt32]]
    private let clusterCumulative: [[Double]]
    /// Position of each item (index i-1) within its group's lists.
    private let positionInCluster: [Int]
    /// For a re-consumption among the `count` most recent items (index count − 1): the weights'
    /// sum 1 + 1/2 + … + 1/count, and their cumulative shares (what a draw picks from).
    private let replayTotals: [Double]
    private let replayCumulatives: [[Double]]

    public init(parameters: Parameters) {
        self.parameters = parameters
        var random = SeededRandom(seed: parameters.seed)
        let n = parameters.items
        // Popularity by rank, assigned to a random permutation of the ids.
        var byRank = (0..<n).map { 1 / pow(Double($0 + 1), parameters.zipfExponent) }
        let total = byRank.reduce(0, +)
        byRank = byRank.map { $0 / total }
        var ids = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { ids.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        var popularity = [Double](repeating: 0, count: n)
        for rank in 0..<n { popularity[ids[rank]] = byRank[rank] }
        self.popularity = popularity
        var cumulative = popularity
        for i in 1..<n { cumulative[i] += cumulative[i - 1] }
        cumulative[n - 1] = 1
        popularityCumulative = cumulative

        let count = min(parameters.successors, n - 1)
        var lists: [[UInt32]] = []
        lists.reserveCapacity(n)
        for item in 0..<n {
            var chosen: [UInt32] = []
            var seen = Set<Int>([item])
            while chosen.count < count {
                let candidate = random.draw(cumulative: cumulative)
                if seen.insert(candidate).inserted { chosen.append(UInt32(candidate + 1)) }
            }
            lists.append(chosen)
        }
        successors = lists
        let weights = (0..<count).map { 1 / Double($0 + 1) }
        let weightTotal = weights.reduce(0, +)
        successorWeights = weights.map { $0 / weightTotal }
        var successorCumulative = successorWeights
        for j in 1..<max(1, count) { successorCumulative[j] += successorCumulative[j - 1] }
        if count > 0 { successorCumulative[count - 1] = 1 }
        self.successorCumulative = successorCumulative

        let clusterCount = max(1, parameters.clusters)
        let clusters = (0..<n).map { _ in Int(random.next() % UInt64(clusterCount)) }
        itemCluster = clusters
        var members = [[UInt32]](repeating: [], count: clusterCount)
        var positions = [Int](repeating: 0, count: n)
        for item in 0..<n {
            positions[item] = members[clusters[item]].count
            members[clusters[item]].append(UInt32(item + 1))
        }
        positionInCluster = positions
        var totals: [Double] = [], cumulatives: [[Double]] = []
        var harmonic = 0.0
        for count in 1...max(1, parameters.repeatWindow) {
            harmonic += 1 / Double(count)
            var running = 0.0
            var cumulative = (0..<count).map { running += 1 / Double($0 + 1) / harmonic; return running }
            cumulative[count - 1] = 1
            totals.append(harmonic)
            cumulatives.append(cumulative)
        }
        replayTotals = totals
        replayCumulatives = cumulatives
        var within = [[Double]](repeating: [], count: clusterCount)
        var withinCumulative = [[Double]](repeating: [], count: clusterCount)
        for c in 0..<clusterCount {
            let mass = members[c].reduce(0) { $0 + popularity[Int($1) - 1] }
            within[c] = members[c].map { mass > 0 ? popularity[Int($0) - 1] / mass : 0 }
            var running = 0.0
            withinCumulative[c] = within[c].map { running += $0; return running }
            if !withinCumulative[c].isEmpty { withinCumulative[c][withinCumulative[c].count - 1] = 1 }
        }
        clusterItems = members
        clusterPopularity = within
        clusterCumulative = withinCumulative
    }

    /// One generated user: item ids (1-based) and unix times in seconds, oldest first, and taste group.
    public struct UserHistory: Sendable {
        public var items: [UInt32]
        public var times: [Int64]
        public var taste: Int
        /// The interest group each item was drawn under (the taste group when nothing drifts);
        /// with several taste groups, the group of the mix the latest popularity draw used.
        public var interests: [Int] = []
        /// With several taste groups: the mix in force when the second-to-last item was drawn
        /// (groups and weights); what a perfect model knows before the test target.
        public var mixGroups: [Int] = []
        public var mixWeights: [Double] = []
    }

    /// How many recent items a re-consumption picks from when `available` items came before.
    private func replayCount(available: Int) -> Int { max(1, min(replayTotals.count, available)) }

    /// The probability that a re-consumption after `history` (oldest first) gives `item`.
    private func repeatProbability(of item: UInt32, after history: ArraySlice<UInt32>) -> Double {
        let count = replayCount(available: history.count)
        let total = replayTotals[count - 1]
        var p = 0.0
        for j in 0..<min(count, history.count) where history[history.endIndex - 1 - j] == item { p += 1 / Double(j + 1) / total }
        return p
    }

    /// A mix of distinct taste groups, weights uniform on the simplex (normalised exponentials).
    private func drawMix(random: inout SeededRandom) -> (groups: [Int], weights: [Double]) {
        let clusterCount = max(1, parameters.clusters)
        let count = min(max(1, parameters.tasteGroups), clusterCount)
        var groups: [Int] = []
        while groups.count < count {
            let group = Int(random.next() % UInt64(clusterCount))
            if !groups.contains(group) { groups.append(group) }
        }
        var weights = (0..<count).map { _ in -log(max(random.unit(), 1e-12)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        return (groups, weights)
    }

    /// The slot of the mix a popularity draw uses, by weight.
    private func drawSlot(_ weights: [Double], random: inout SeededRandom) -> Int {
        var u = random.unit()
        for (slot, weight) in weights.enumerated() {
            u -= weight
            if u < 0 { return slot }
        }
        return weights.count - 1
    }

    /// An item drawn by popularity, within `taste`'s group with probability `tasteProbability`.
    private func drawByPopularity(taste: Int, random: inout SeededRandom) -> UInt32 {
        if random.unit() < parameters.tasteProbability && !clusterItems[taste].isEmpty {
            return clusterItems[taste][random.draw(cumulative: clusterCumulative[taste])]
        }
        return UInt32(random.draw(cumulative: popularityCumulative) + 1)
    }

    /// Generates all users' histories, in user order (user u has original id u+1).
    public func generate() -> [UserHistory] {
        var random = SeededRandom(seed: parameters.seed &+ 0x5EED)
        var users: [UserHistory] = []
        users.reserveCapacity(parameters.users)
        let mu = log(parameters.medianLength)
        for _ in 0..<parameters.users {
            let drawn = exp(mu + parameters.lengthSigma * random.normal()).rounded()
            // Without repeats a user can consume at most every item; half of them keeps the draws cheap
            // (ML-1M's most active user rated 62 % of its movies).
            let longest = parameters.allowRepeats ? parameters.maxLength : max(parameters.minLength, min(parameters.maxLength, parameters.items / 2))
            let length = Int(min(Double(longest), max(Double(parameters.minLength), drawn)))
            var items = [UInt32]()
            var times = [Int64]()
            items.reserveCapacity(length)
            times.reserveCapacity(length)
            var time = parameters.startTime + Int64(random.unit() * Double(parameters.startSpreadSeconds))
            let clusterCount = max(1, parameters.clusters)
            let taste = Int(random.next() % UInt64(clusterCount))
            var interest = taste
            var interests = [Int]()
            var seen = Set<UInt32>()
            interests.reserveCapacity(length)
            // A mix is drawn only with several groups, so one group keeps older seeds' data.
            let mixing = parameters.tasteGroups > 1
            var mix = mixing ? drawMix(random: &random) : (groups: [taste], weights: [1.0])
            var mixBeforeLast = mix
            if mixing { interest = mix.groups[drawSlot(mix.weights, random: &random)] }
            var current = drawByPopularity(taste: interest, random: &random)
            for step in 0..<length {
                if step > 0 {
                    if step == length - 1 { mixBeforeLast = mix }
                    // Drawn only when drifting is on, so the default keeps older seeds' data.
                    if parameters.interestDrift > 0 && random.unit() < parameters.interestDrift {
                        if mixing {
                            mix.groups[Int(random.next() % UInt64(mix.groups.count))] = Int(random.next() % UInt64(clusterCount))
                        } else {
                            interest = random.unit() < 0.5 ? taste : Int(random.next() % UInt64(clusterCount))
                        }
                    }
                    // Without repeats the whole step is drawn again until it gives an unseen item
                    // (each draw is one try: with repeats allowed, the data of older seeds is unchanged).
                    let previous = current
                    var tries = 0
                    // Drawn only when re-consumption is on, so older seeds keep their data.
                    if parameters.allowRepeats && parameters.repeatProbability > 0 && random.unit() < parameters.repeatProbability {
                        current = items[items.count - 1 - random.draw(cumulative: replayCumulatives[replayCount(available: items.count) - 1])]
                    } else { repeat {
                        if random.unit() < parameters.followProbability {
                            current = successors[Int(previous) - 1][random.draw(cumulative: successorCumulative)]
                        } else {
                            if mixing { interest = mix.groups[drawSlot(mix.weights, random: &random)] }
                            current = drawByPopularity(taste: interest, random: &random)
                        }
                        tries += 1
                    } while !parameters.allowRepeats && seen.contains(current) && tries < 200 }
                    // Mostly minutes apart; now and then days apart (so sessions exist).
                    if random.unit() < 0.03 {
                        time += 86_400 + Int64(random.unit() * 86_400 * 20)
                    } else {
                        time += 20 + Int64(random.unit() * 900)
                    }
                }
                items.append(current)
                times.append(time)
                interests.append(interest)
                if !parameters.allowRepeats { seen.insert(current) }
            }
            var history = UserHistory(items: items, times: times, taste: taste, interests: interests)
            if mixing {
                history.mixGroups = mixBeforeLast.groups
                history.mixWeights = mixBeforeLast.weights
            }
            users.append(history)
        }
        return users
    }

    /// The probability that a popularity draw under interest `group` gives item `index` (0-based).
    private func drawProbability(_ index: Int, group: Int) -> Double {
        var draw = (1 - parameters.tasteProbability) * popularity[index]
        if itemCluster[index] == group {
            draw += parameters.tasteProbability * clusterPopularity[group][positionInCluster[index]]
        } else if clusterItems[group].isEmpty {
            draw += parameters.tasteProbability * popularity[index]
        }
        return draw
    }

    /// The true probability that `next` follows `current` for a user of group `taste` whose
    /// interest was `interest` at `current` (the interest may drift before `next` is drawn).
    public func transitionProbability(from current: UInt32, to next: UInt32, taste: Int, interest: Int? = nil) -> Double {
        let index = Int(next) - 1
        let interest = interest ?? taste
        let drift = parameters.interestDrift
        var draw = (1 - drift) * drawProbability(index, group: interest)
        if drift > 0 {
            // A drift goes back to the taste group half the time, else to a uniformly drawn group.
            let clusterCount = Double(max(1, parameters.clusters))
            var anyGroup = (1 - parameters.tasteProbability) * popularity[index]
            anyGroup += parameters.tasteProbability * clusterPopularity[itemCluster[index]][positionInCluster[index]] / clusterCount
            draw += drift * (0.5 * drawProbability(index, group: taste) + 0.5 * anyGroup)
        }
        var p = (1 - parameters.followProbability) * draw
        if let j = successors[Int(current) - 1].firstIndex(of: next) { p += parameters.followProbability * successorWeights[j] }
        return p
    }

    /// The true probability that `next` follows `current` for a user whose taste mix was
    /// `groups`/`weights` when `current` was drawn (a drift may replace one group before `next`).
    public func transitionProbability(from current: UInt32, to next: UInt32, groups: [Int], weights: [Double]) -> Double {
        let index = Int(next) - 1
        let taste = parameters.tasteProbability
        let withinGroup = clusterPopularity[itemCluster[index]][positionInCluster[index]]
        var share = 0.0
        for (group, weight) in zip(groups, weights) where group == itemCluster[index] { share += weight }
        let kept = (1 - taste) * popularity[index] + taste * share * withinGroup
        // A drift replaces a uniformly chosen slot by a uniformly drawn group.
        let slots = Double(max(1, groups.count))
        let clusterCount = Double(max(1, parameters.clusters))
        let drifted = (1 - taste) * popularity[index] + taste * withinGroup * ((1 - 1 / slots) * share + 1 / (slots * clusterCount))
        let drift = parameters.interestDrift
        var p = (1 - parameters.followProbability) * ((1 - drift) * kept + drift * drifted)
        if let j = successors[Int(current) - 1].firstIndex(of: next) { p += parameters.followProbability * successorWeights[j] }
        return p
    }

    /// HR@10 and NDCG@10 of the generator's own next-item probabilities on the leave-one-out
    /// test targets (users with at least 3 events; full ranking, no seen-item filtering).
    public func ceiling(_ users: [UserHistory], k: Int = 10) -> (hitRate: Double, ndcg: Double) {
        var hits = 0.0
        var gain = 0.0
        var evaluated = 0
        let n = parameters.items
        for user in users where user.items.count >= 3 {
            let previous = user.items[user.items.count - 2]
            let target = user.items[user.items.count - 1]
            // The interest the previous item was drawn under: known to the generator, hidden from models.
            let interest = user.interests.count >= 2 ? user.interests[user.interests.count - 2] : user.taste
            let process: (UInt32) -> Double = user.mixGroups.isEmpty
                ? { transitionProbability(from: previous, to: $0, taste: user.taste, interest: interest) }
                : { transitionProbability(from: previous, to: $0, groups: user.mixGroups, weights: user.mixWeights) }
            let history = user.items.dropLast()
            let replay = parameters.allowRepeats ? parameters.repeatProbability : 0
            let probability: (UInt32) -> Double = replay == 0 ? process
                : { replay * repeatProbability(of: $0, after: history) + (1 - replay) * process($0) }
            let targetScore = probability(target)
            var rank = 0
            // Without repeats the process never gives a seen item again: those rank below every other.
            let seen: Set<UInt32> = parameters.allowRepeats ? [] : Set(user.items.dropLast())
            for item in 1...n where !seen.contains(UInt32(item))
                && probability(UInt32(item)) > targetScore {
                rank += 1
                if rank >= k { break }
            }
            evaluated += 1
            if rank < k {
                hits += 1
                gain += 1 / log2(Double(rank) + 2)
            }
        }
        return evaluated == 0 ? (0, 0) : (hits / Double(evaluated), gain / Double(evaluated))
    }

    /// The histories as an in-memory event log, as if read from a file.
    public static func eventLog(_ users: [UserHistory]) -> EventLog {
        var log = EventLog()
        for (index, user) in users.enumerated() {
            for (item, time) in zip(user.items, user.times) {
                log.append(userKey: UInt64(index + 1), itemKey: UInt64(item), milliseconds: time * 1000)
            }
        }
        log.sources = [SourceInfo(path: "synth", bytes: 0, sha256: "", format: "synthetic", gzip: false, lines: 0, events: log.eventCount)]
        return log
    }
}

#if canImport(Glibc)
import Core
import Glibc
#endif
