import ArgumentParser
import Engine

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
