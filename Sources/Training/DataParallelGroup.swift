/// Data parallelism over processes, one per GPU: this process's `rank` among `size`, and the
/// collective that sums a gradient over the ranks (NCCL's all-reduce). Optimizer step s of an
/// epoch covers micro-batch groups s·size … s·size + size − 1, one per rank; every rank scales
/// its loss by the targets of the whole step, so the summed gradient is the mean over all of
/// them (one step of a batch `size` times larger). Every rank then applies the same Adam
/// update and keeps the same weights; rank 0 alone writes the run directory.
public struct DataParallelGroup {
    public let rank: Int
    public let size: Int
    /// Replaces the `count` values at the pointer by their sum over the ranks.
    public let sum: (UnsafeMutablePointer<Float>, Int) throws -> Void

    public init(rank: Int, size: Int, sum: @escaping (UnsafeMutablePointer<Float>, Int) throws -> Void) {
        precondition(size >= 1 && rank >= 0 && rank < size)
        self.rank = rank
        self.size = size
        self.sum = sum
    }

    /// The micro-batch groups of optimizer step `step` (one per rank; groups past the epoch's
    /// last are empty, so every rank takes part in every step's sum).
    public func groups(step: Int, groupCount: Int) -> [Int] {
        (0..<size).map { step * size + $0 }.filter { $0 < groupCount }
    }

    /// Optimizer steps per epoch for `groupCount` micro-batch groups.
    public func steps(groupCount: Int) -> Int { (groupCount + size - 1) / size }
}
