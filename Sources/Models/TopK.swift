/// The indices of the k largest scores, best first (ties: lower index first).
public enum TopK {
    /// Over the whole array.
    public static func select(_ scores: [Float], k: Int) -> [Int] {
        select(scores, range: scores.indices, k: k)
    }

    /// Over `scores[range]`; the indices returned are relative to `range.lowerBound`.
    /// Scores of -∞ and NaN are never returned.
    public static func select(_ scores: [Float], range: Range<Int>, k: Int) -> [Int] {
        guard k > 0 else { return [] }
        return scores.withUnsafeBufferPointer { all in
            let base = all.baseAddress! + range.lowerBound
            return k <= 32 ? selectSmall(base, count: range.count, k: k) : selectWithHeap(base, count: range.count, k: k)
        }
    }

    /// A small sorted buffer beats anything cleverer for k ≪ V.
    private static func selectSmall(_ scores: UnsafePointer<Float>, count: Int, k: Int) -> [Int] {
        var best: [(score: Float, index: Int)] = []
        best.reserveCapacity(k + 1)
        for index in 0..<count {
            let score = scores[index]
            guard score > -.infinity else { continue }  // also skips NaN
            if best.count == k, let worst = best.last, !(score > worst.score) { continue }
            var position = best.count
            while position > 0 && best[position - 1].score < score { position -= 1 }
            best.insert((score, index), at: position)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.index)
    }

    /// A min-heap of the k best seen so far (its root the worst of them): O(V log k) for large k.
    private static func selectWithHeap(_ scores: UnsafePointer<Float>, count: Int, k: Int) -> [Int] {
        var heap: [(score: Float, index: Int)] = []
        heap.reserveCapacity(k)
        // "a is worse than b": lower score, or equal score and higher index.
        func worse(_ a: (score: Float, index: Int), _ b: (score: Float, index: Int)) -> Bool {
            a.score < b.score || (a.score == b.score && a.index > b.index)
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count && worse(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count && worse(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { return }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        for index in 0..<count {
            let score = scores[index]
            guard score > -.infinity else { continue }
            if heap.count < k {
                heap.append((score, index))
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard worse(heap[child], heap[parent]) else { break }
                    heap.swapAt(child, parent)
                    child = parent
                }
            } else if score > heap[0].score {
                heap[0] = (score, index)
                siftDown(0)
            }
        }
        return heap.sorted { worse($1, $0) }.map(\.index)
    }
}
