import Foundation
@testable import Datasets

/// A fresh temporary directory for one test, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "trajectory-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` inside the directory and returns its path.
    @discardableResult
    func file(_ name: String, _ text: String) -> String {
        let full = path + "/" + name
        try! Data(text.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }

    /// Writes raw bytes to `name`.
    @discardableResult
    func file(_ name: String, bytes: [UInt8]) -> String {
        let full = path + "/" + name
        try! Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + name) }
}

/// Prepares `inputs` with `configure` applied and returns the dataset's sequences as original ids.
func prepareSequences(_ inputs: [String], in directory: TemporaryDirectory, out: String = "ds",
                      configure: (inout Preparer) -> Void = { _ in }) throws -> (sequences: [[String]], users: [String], dataset: Dataset, summary: PrepareSummary) {
    var preparer = Preparer()
    preparer.force = true
    configure(&preparer)
    let summary = try preparer.run(inputs: inputs, output: directory.path + "/" + out)
    let dataset = try Dataset(directory: directory.path + "/" + out)
    return (try originalSequences(dataset), try dataset.userTable().map(\.user), dataset, summary)
}

/// All sequences of a dataset, as original item ids.
func originalSequences(_ dataset: Dataset) throws -> [[String]] {
    let originals = try dataset.itemTable().originals
    return (0..<dataset.sequenceCount).map { s in dataset.sequence(s).map { originals[Int($0) - 1] } }
}
