import ArgumentParser
import Core
import Export
import Foundation
import Runs

/// `trajectory export`: a run's model as ONNX, or as a Triton model repository.
struct ExportModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's model as ONNX (for ONNX Runtime) or as a Triton model repository.",
        discussion: """
        The model ranks as `predict` does. Input `items`: int64 [batch, length], the items' \
        internal ids (id i is line i of the dataset's items.tsv; the model's metadata \
        `trajectory.item_ids` lists them), oldest first, each row left-padded with 0 so its \
        latest item is in the last column; only the run's window of latest items is read. \
        Output `scores`: float [batch, items + 1], column i for item i (column 0 is padding, \
        -inf). With --top-k K also `top_items` (ids), `top_scores` and `top_ids` (original ids). \
        A run trained --features also takes `events` (event type ids, 1-based, names in the \
        metadata's `trajectory.event_types`; 0 unknown) and/or `times` (unix seconds), int64 \
        [batch, length] aligned with `items`; its item attributes are inside the model. \
        Opset \(ONNXExporter.opset), IR version \(ONNXExporter.irVersion); batch and length are dynamic.

        Examples:
          trajectory export runs/sasrec --out sasrec.onnx
          trajectory export runs/sasrec --out sasrec.onnx --top-k 10 --exclude-seen
          trajectory export runs/sasrec --format triton --out models --name sasrec --top-k 10
          tritonserver --model-repository models
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx, triton
    }

    @Argument(help: ArgumentHelp("The run directory.", valueName: "run"))
    var runDirectory: String

    @Option(help: "onnx: one model file; triton: a model repository folder (NAME/config.pbtxt, NAME/1/model.onnx).")
    var format: Format = .onnx

    @Option(help: "The .onnx file, or the repository folder with --format triton.")
    var out: String

    @Option(parsing: .unconditional, help: "Also output the top K items per row (top_items, top_scores, top_ids).")
    var topK: Int?

    @Flag(help: "Mask each row's own items (the whole row, not only the window), as predict --exclude-seen.")
    var excludeSeen = false

    @Option(help: "Weights of the run: best (validation NDCG@10) or last.")
    var weights: ModelLoader.Weights = .best

    @Option(help: "The model's name in the Triton repository.")
    var name = "trajectory"

    @Option(parsing: .unconditional, help: "Triton's max_batch_size (requests it batches together).")
    var maxBatchSize = 64

    @Flag(help: "Replace an existing output (a repository folder only if it holds nothing but this model).")
    var force = false

    func validate() throws {
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if !(1...(1 << 16)).contains(maxBatchSize) { throw ValidationError("--max-batch-size must be between 1 and 65536, got \(maxBatchSize)") }
        if name.isEmpty || name.contains("/") || name.hasPrefix(".") { throw ValidationError("--name must be a plain folder name, got '\(name)'") }
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            let options = ONNXExporter.Options(topK: topK, excludeSeen: excludeSeen, weights: weights)
            let (model, window) = try ONNXExporter.model(run: runDirectory, options: options)
            let written: String
            switch format {
            case .onnx:
                if FileManager.default.fileExists(atPath: out) && !force { throw FileError.exists(path: out) }
                try ONNXExporter.write(model, to: out)
                written = out
            case .triton:
                try TritonRepository.write(model, name: name, to: out, force: force)
                written = out + "/" + name + "/1/model.onnx"
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: written)[.size] as? Int) ?? 0
            let outputs = model.graph.output.map(\.name).joined(separator: ", ")
            print("wrote \(written) (\(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB, opset \(ONNXExporter.opset)) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            print("input items int64 [batch, length] (latest \(window) used); outputs \(outputs)")
            if format == .triton { print("serve it: tritonserver --model-repository \(out)") }
        }
    }
}
