import ArgumentParser
import Engine
import Foundation

/// `--threads N`: threads for matrix products (OpenBLAS), shared by the commands that score
/// or train on the CPU.
struct ThreadsOption: ParsableArguments {
    @Option(parsing: .unconditional, help: "Threads for matrix products.")
    var threads = availableCoresForHelp()

    func validate() throws {
        if !(1...1024).contains(threads) { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
    }

    /// Sets OpenBLAS's thread count for this process.
    func apply() { BLAS.setThreads(threads) }
}

/// `--device cpu | cuda | cuda:N | auto`: where a model runs, shared by the commands that run one.
struct DeviceOption: ParsableArguments {
    @Option(help: DeviceChoice.help)
    var device: DeviceChoice = .cpu
}

/// `--json`: machine-readable output instead of text, shared by every command that reports
/// something (the `trajectory` Python package and scripts read it).
struct JSONOutputOption: ParsableArguments {
    @Flag(name: .customLong("json"), help: "Print JSON instead of text, for scripts and notebooks.")
    var enabled = false

    /// `value` as JSON with sorted keys and unescaped slashes; `pretty` indents it (reports that
    /// people also read).
    static func text<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A `JSONSerialization` object (dictionaries of plain values) on one line, keys sorted.
    static func text(object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
