import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A fixed team of threads for jobs too short for a thread pool (a matrix-vector product per
/// time step of one request). The caller runs part 0 itself; each helper runs one other part.
/// Helpers spin on an atomic counter for a short while after a job, so a following job
/// starts within a fraction of a microsecond, then sleep on a condition variable, so an idle
/// team costs nothing. Teams live as long as the process (`SpinTeam.shared`).
public final class SpinTeam: @unchecked Sendable {
    /// Parts per job: the caller and `size - 1` helpers.
    public let size: Int
    private let posted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Held for a whole job, so callers on several threads take turns.
    private let callerLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Spins (about 50 µs) before a helper goes to sleep.
    private static let spinLimit = 20_000

    private init(size: Int) {
        self.size = max(1, size)
        pthread_mutex_init(lock, nil)
        pthread_mutex_init(callerLock, nil)
        pthread_cond_init(wake, nil)
        for part in 1..<self.size {
            let context = Unmanaged.passRetained(HelperContext(team: self, part: part)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<HelperContext>.fromOpaque(raw!).takeRetainedValue()
                context.team.helperLoop(part: context.part)
                return nil
            }, context)
            precondition(status == 0, "cannot start a worker thread: \(String(cString: strerror(status)))")
            pthread_detach(thread)
        }
    }

    private final class HelperContext {
        let team: SpinTeam
        let part: Int
        init(team: SpinTeam, part: Int) { self.team = team; self.part = part }
    }

    private static let teams = Mutex<[Int: SpinTeam]>([:])

    /// The process's team of `size` parts, started on first use.
    public static func shared(size: Int) -> SpinTeam {
        teams.withLock { teams in
            if let team = teams[size] { return team }
            let team = SpinTeam(size: size)
            teams[size] = team
            return team
        }
    }

    /// Runs `body(part)` for every part in `0..<size` at once and returns when all are done.
    /// Concurrent callers take turns; `body` must not call `run` on the same team.
    public func run(_ body: (Int) -> Void) {
        if size == 1 { body(0); return }
        pthread_mutex_lock(callerLock)
        defer { pthread_mutex_unlock(callerLock) }
        withoutActuallyEscaping(body) { body in
            job = body
            let generation = posted.add(1, ordering: .sequentiallyConsistent).newValue
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(lock)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(lock)
            }
            body(0)
            let target = generation * (size - 1)
            while finished.load(ordering: .acquiring) < target {}
            job = nil
        }
    }

    private func helperLoop(part: Int) {
        var seen = 0
        while true {
            var spins = 0
            while posted.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < Self.spinLimit { continue }
                pthread_mutex_lock(lock)
                _ = sleepers.add(1, ordering: .sequentiallyConsistent)
                while posted.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wake, lock) }
                _ = sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(lock)
                spins = 0
            }
            seen += 1
            job!(part)
            _ = finished.add(1, ordering: .releasing)
        }
    }
}

/// A reusable barrier for the parts of one `SpinTeam` job: every part calls `wait()` at the
/// end of each phase and continues when all have arrived.
public final class SpinBarrier: @unchecked Sendable {
    private let arrived = Atomic<Int>(0)
    private let parties: Int

    public init(parties: Int) { self.parties = parties }

    /// Waits for all parties to finish phase `phase` (0, 1, 2, … in order).
    public func wait(phase: Int) {
        _ = arrived.add(1, ordering: .acquiringAndReleasing)
        let target = (phase + 1) * parties
        while arrived.load(ordering: .acquiring) < target {}
    }
}
