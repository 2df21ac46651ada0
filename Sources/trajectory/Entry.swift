import TrajectoryCLI

/// The `trajectory` executable: parses the command line and runs the (possibly async) subcommand.
@main
enum Entry {
    static func main() async {
        BLASKernels.restartWithFasterKernelsIfNeeded()
        await TrajectoryCommand.main()
    }
}
