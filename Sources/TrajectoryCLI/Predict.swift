import ArgumentParser
import Datasets
import Engine
import Foundation
import Models
import Training
import Runs

/// `trajectory predict`: the most likely next items after a history.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict the next items after a history (original item ids in, ids and titles out).",
        discussion: """
        MODEL is a run directory, or a safetensors checkpoint (for example a PyTorch \
        state_dict() saved with safetensors) together with --dataset for its item ids.
        Unknown item ids in --history are reported and skipped.

        Examples:
          trajectory predict runs/lstm --history 1193,661,914 --k 10
          trajectory predict runs/lstm --user 42 --exclude-seen
          trajectory predict lstm.safetensors --dataset data/ml1m --history 1,2,3
        """
    )

    @Argument(help: "A run directory or a .safetensors checkpoint.")
    var model: String

    @Option(help: "Comma-separated original item ids, oldest first; ITEM:EVENT gives an item's event type (e.g. sku-9:cart), read by models trained with --features event.")
    var history: String?

    @Option(help: "An original user id: predict after that user's whole history in the dataset.")
    var user: String?

    @Option(parsing: .unconditional, help: "How many items to return.")
    var k = 10

    @Flag(help: "Leave out items already in the history.")
    var excludeSeen = false

    @Option(help: "The dataset directory (needed with a bare checkpoint; overrides a run's).")
    var dataset: String?

    @Option(parsing: .unconditional, help: "Most recent history items a bare checkpoint's model sees (a run reads its own training window).")
    var maxLength = TrainingOptions.defaultMaxLength

    @OptionGroup var placement: DeviceOption

    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        if (history == nil) == (user == nil) { throw ValidationError("give exactly one of --history and --user") }
        if k < 1 { throw ValidationError("--k must be at least 1") }
        if !(1...(1 << 20)).contains(maxLength) { throw ValidationError("--max-length must be between 1 and 1048576, got \(maxLength)") }
    }

    func run() throws {
        BLAS.setThreads(1)
        try reportingErrors {
            let network: any TrainableModel
            let data: Dataset
            var steps = maxLength
            if model.hasSuffix(".safetensors") {
                guard let dataset else { throw ValidationError("a bare checkpoint needs --dataset for its item ids") }
                data = try Dataset(directory: dataset)
                network = try ModelLoader.load(checkpoint: model, dataset: data)
            } else {
                let loaded = try ModelLoader.load(run: model, datasetOverride: dataset)
                (network, data) = (loaded.0, loaded.1)
                steps = loaded.2.training.maxLength
            }
            _ = try placement.device.attach(network)
            let table = try data.itemTable()
            var idByOriginal: [String: Int32] = [:]
            for (index, original) in table.originals.enumerated() { idByOriginal[original] = Int32(index + 1) }

            var ids: [Int32] = []
            var unknown: [String] = []
            var events: [UInt8]?, times: [Int64]?
            if let history {
                var given: [UInt8] = []
                for token in history.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !token.isEmpty {
                    // ITEM:EVENT when EVENT is one of the dataset's event types (ids may hold colons themselves).
                    var item = token, event: UInt8 = 0
                    if let colon = token.lastIndex(of: ":"), let type = try? data.eventTypeId(named: String(token[token.index(after: colon)...])) {
                        item = String(token[..<colon])
                        event = type
                    }
                    if let id = idByOriginal[item] { ids.append(id); given.append(event) } else { unknown.append(item) }
                }
                if given.contains(where: { $0 != 0 }) { events = given }
            } else if let user {
                let users = try data.userTable()
                guard let sequence = users.lastIndex(where: { $0.user == user }) else {
                    throw DatasetError.invalidOption("user '\(user)' is not in \(data.directory)")
                }
                ids = data.sequence(sequence).map { Int32($0) }
                let range = data.range(ofSequence: sequence)
                events = data.events.map { all in range.map { all[$0] } }
                times = data.times.map { all in range.map { all[$0] } }
            }
            if !unknown.isEmpty { printError("skipped unknown item ids: \(unknown.joined(separator: ", "))") }
            guard !ids.isEmpty else { throw DatasetError.invalidOption("no known items in the history") }

            let top = Ranker(scorer: network, maxLength: steps).rank([Ranker.Query(ids: ids, k: k, excludeSeen: excludeSeen, events: events, times: times)])[0]
            if json.enabled {
                let items = top.map { ["item": table.originals[$0.id - 1], "title": table.titles[$0.id - 1], "score": Double($0.score)] as [String: Any] }
                let object: [String: Any] = ["items": items, "unknown": unknown, "history_used": min(ids.count, steps)]
                print(try JSONOutputOption.text(object: object))
            } else {
                for (rank, item) in top.enumerated() {
                    let title = table.titles[item.id - 1]
                    print("\(rank + 1)\t\(table.originals[item.id - 1])\t\(String(format: "%.4f", item.score))\(title.isEmpty ? "" : "\t" + title)")
                }
            }
        }
    }
}
