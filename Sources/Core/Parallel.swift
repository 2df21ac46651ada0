import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The number of worker threads to use: the cores this process may run on.
public func availableCores() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// Computes `body(i)` for `i` in `0..<count` on all cores and returns the results in order.
public func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    if count == 0 { return [] }
    if count == 1 || isInsideParallelWork { return (0..<count).map(body) }
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer { results.deallocate() }
    nonisolated(unsafe) let slots = results
    // The workers only run while this call waits, so `body` never outlives it.
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: count) { index in
            markingParallelWork { slots[index] = body(index) }
        }
    }
    // Move the results out (no copies, so arrays inside stay uniquely referenced) and leave nil behind.
    let values = (0..<count).map { results[$0].take()! }
    results.deinitialize()
    return values
}

/// Runs `body` over `0..<count` split into one contiguous stripe per core.
public func parallelStripes(_ count: Int, minimumPerStripe: Int = 1, _ body: (Range<Int>) -> Void) {
    parallelStripes(count, stripes: max(1, min(availableCores(), count / max(1, minimumPerStripe))), body)
}

/// Runs `body` over `0..<count` split into `stripes` contiguous stripes, one per worker.
public func parallelStripes(_ count: Int, stripes: Int, _ body: (Range<Int>) -> Void) {
    let stripes = max(1, min(stripes, count))
    if stripes == 1 || isInsideParallelWork { body(0..<count); return }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: stripes) { stripe in
            markingParallelWork { body((count * stripe / stripes)..<(count * (stripe + 1) / stripes)) }
        }
    }
}

/// Marks threads that are running one part of a parallel loop.
private let insideParallelWorkKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

/// True on a thread that runs one part of `parallelMap` / `parallelStripes`. Loops nested in
/// such a part run serially: the outer loop already holds every core, and a second level
/// would only add dispatch and contention (e.g. a softmax inside a per-core training shard).
public var isInsideParallelWork: Bool { pthread_getspecific(insideParallelWorkKey) != nil }

/// Runs `body` marked as one part of a parallel loop (see `isInsideParallelWork`).
public func markingParallelWork<T>(_ body: () throws -> T) rethrows -> T {
    let previous = pthread_getspecific(insideParallelWorkKey)
    pthread_setspecific(insideParallelWorkKey, UnsafeRawPointer(bitPattern: 1))
    defer { pthread_setspecific(insideParallelWorkKey, previous) }
    return try body()
}
