import ArgumentParser

/// The `trajectory` command: raw behaviour logs in, next-item predictions out.
public struct TrajectoryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trajectory",
        abstract: "Learn from behaviour logs and predict what each user does next.",
        discussion: """
        A typical session:
          trajectory synth --out data/synth.dat --format movielens   # or bring your own log
          trajectory prepare data/synth.dat --out data/synth --min-user-events 5 --min-item-events 5
          trajectory info data/synth
          trajectory train data/synth --out runs/lstm
          trajectory evaluate runs/lstm --exclude-seen
          trajectory predict runs/lstm --history 12,7,301 --k 10
          trajectory keys create --run runs/lstm --name web     # prints a key once
          trajectory serve runs/lstm --port 8080                # HTTP API, web page, /metrics
        """,
        version: trajectoryVersion,
        subcommands: [Prepare.self, Info.self, Synth.self, Train.self, Evaluate.self, Compare.self, Predict.self, Report.self, ExportModel.self, Serve.self, Keys.self, Bench.self, Doctor.self]
    )

    public init() {}
}

/// The version printed by `--version`.
public let trajectoryVersion = "0.1.0"
