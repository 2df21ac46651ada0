import ArgumentParser
import Core
import Datasets
import Engine
import Foundation
import Models
import Training
import Runs

/// `trajectory bench`: measure this machine — request latency of a model, matrix-product speed.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure single-request latency of a trained model, or the speed of the matrix products.",
        discussion: """
        Examples:
          trajectory bench latency runs/lstm --history-length 50      # median and p99 per request
          trajectory bench latency runs/sasrec --batch 1,4,16,64      # cost per history by batch size
          trajectory bench gemm --items 3416                          # GFLOP/s on the seed model's shapes
        """,
        subcommands: [Latency.self, Gemm.self]
    )

    struct Latency: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time requests: the most recent items of random users → scores → top-k, one batch at a time.",
            discussion: """
            With --batch 1 (the default) a call is one request, as a lone client sees it. Larger batches show
            what micro-batching buys: one line per size with the time per call and per history, the curve
            `serve`'s batcher rides on under load.
            """)

        @Argument(help: "A run directory.")
        var runDirectory: String

        @Option(parsing: .unconditional, help: "Items per request history.")
        var historyLength = 50

        @Option(parsing: .unconditional, help: "Timed requests (after 20 warm-up requests).")
        var requests = 200

        @Option(parsing: .unconditional, help: "Items returned per request.")
        var k = 10

        @Option(parsing: .unconditional, help: "Threads for matrix products.")
        var threads = 1

        @Option(parsing: .unconditional, help: "Histories ranked per call; a comma-separated list measures each size in turn.",
                transform: { text in
                    try text.split(separator: ",").map { part in
                        guard let size = Int(part.trimmingCharacters(in: .whitespaces)), size >= 1 else {
                            throw ValidationError("--batch takes positive integers separated by commas, got '\(text)'")
                        }
                        return size
                    }
                })
        var batch: [Int] = [1]

        func run() throws {
            BLAS.setThreads(threads)
            try reportingErrors {
                let (model, dataset, _) = try ModelLoader.load(run: runDirectory)
                var random = SeededRandom(seed: 7)
                let long = (0..<dataset.sequenceCount).filter { dataset.range(ofSequence: $0).count >= historyLength }
                guard !long.isEmpty else { throw DatasetError.invalidOption("no user has \(historyLength) items") }
                let ranker = Ranker(scorer: model, maxLength: historyLength)
                for size in batch {
                    var times: [Double] = []
                    for request in 0..<(requests + 20) {
                        let queries = (0..<size).map { _ in
                            let user = long[Int(random.next() % UInt64(long.count))]
                            return Ranker.Query(ids: Array(dataset.sequence(user).suffix(historyLength)).map { Int32($0) }, k: k, excludeSeen: false)
                        }
                        let started = DispatchTime.now().uptimeNanoseconds
                        let tops = ranker.rank(queries)
                        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
                        precondition(tops.count == size && tops.allSatisfy { $0.count == k })
                        if request >= 20 { times.append(elapsed) }
                    }
                    times.sort()
                    let median = times[times.count / 2]
                    let p99 = times[min(times.count - 1, Int((Double(times.count) * 0.99).rounded(.up)) - 1)]
                    print(#"{"history_length": \#(historyLength), "batch": \#(size), "requests": \#(requests), "median_ms": \#(String(format: "%.4f", median)), "p99_ms": \#(String(format: "%.4f", p99)), "median_ms_per_history": \#(String(format: "%.4f", median / Double(size)))}"#)
                }
            }
        }
    }

    struct Gemm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "GFLOP/s of the matrix products of the seed model's training step (B=128, T=200).")

        @Option(parsing: .unconditional, help: "Items in the catalogue (the output layer's width).")
        var items = 3416

        @Option(parsing: .unconditional, help: "Threads for matrix products.")
        var threads = availableCoresForHelp()

        func run() throws {
            BLAS.setThreads(threads)
            let positions = 25_600, hidden = 256, gates = 1024, v = items + 1, chunk = 613
            let a = FloatBuffer(count: positions * gates), w = FloatBuffer(count: v * hidden), logits = FloatBuffer(count: chunk * v)
            for i in 0..<a.count { a.pointer[i] = Float(i % 7) * 0.01 }
            for i in 0..<w.count { w.pointer[i] = Float(i % 5) * 0.01 }
            func measure(_ name: String, flops: Double, _ body: () -> Void) {
                body()
                var best = Double.infinity
                for _ in 0..<3 {
                    let started = DispatchTime.now().uptimeNanoseconds
                    body()
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
                }
                print(#"{"product": "\#(name)", "gflops": \#(String(format: "%.1f", flops / best / 1e9)), "seconds": \#(String(format: "%.4f", best))}"#)
            }
            let chunks = (positions + chunk - 1) / chunk
            measure("output logits \(positions)x\(v)x\(hidden)", flops: 2.0 * Double(positions * v * hidden)) {
                for c in 0..<chunks {
                    let n = min(chunk, positions - c * chunk)
                    BLAS.gemm(transposeB: true, m: n, n: v, k: hidden, a: a.pointer + c * chunk * hidden, lda: hidden, b: w.pointer, ldb: hidden, c: logits.pointer, ldc: v)
                }
            }
            measure("output weight gradient \(v)x\(hidden)x\(positions)", flops: 2.0 * Double(positions * v * hidden)) {
                for c in 0..<chunks {
                    let n = min(chunk, positions - c * chunk)
                    BLAS.gemm(transposeA: true, m: v, n: hidden, k: n, a: logits.pointer, lda: v, b: a.pointer + c * chunk * hidden, ldb: hidden, beta: 1, c: w.pointer, ldc: hidden)
                }
            }
            let g = FloatBuffer(count: positions * gates), x = FloatBuffer(count: positions * hidden), wih = FloatBuffer(count: gates * hidden)
            measure("lstm input projection \(positions)x\(gates)x\(hidden)", flops: 2.0 * Double(positions * gates * hidden)) {
                BLAS.gemm(transposeB: true, m: positions, n: gates, k: hidden, a: x.pointer, lda: hidden, b: wih.pointer, ldb: hidden, c: g.pointer, ldc: gates)
            }
            measure("lstm recurrent step 128x\(gates)x\(hidden) x200", flops: 2.0 * Double(200 * 128 * gates * hidden)) {
                for t in 0..<200 {
                    BLAS.gemm(transposeB: true, m: 128, n: gates, k: hidden, a: x.pointer + t * 128 * hidden, lda: hidden, b: wih.pointer, ldb: hidden, beta: 1, c: g.pointer + t * 128 * gates, ldc: gates)
                }
            }
        }
    }
}

