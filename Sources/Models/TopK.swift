/// The indices of the k largest scores, best first (ties: lower index first).
public enum TopK {
    public static func select(_ scores: [Float], k: Int) -> [Int] {
        guard k > 0 else { return [] }
        // A small sorted buffer beats sorting the whole catalogue for k ≪ V.
        var best: [(score: Float, index: Int)] = []
        best.reserveCapacity(k + 1)
        for (index, score) in scores.enumerated() where !score.isNaN {
            if best.count == k, let worst = best.last, !(score > worst.score) { continue }
            var position = best.count
            while position > 0 && best[position - 1].score < score { position -= 1 }
            best.insert((score, index), at: position)
            if best.count > k { best.removeLast() }
        }
        return best.filter { $0.score > -.infinity }.map(\.index)
    }
}
