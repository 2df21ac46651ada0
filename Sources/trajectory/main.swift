import TrajectoryCLI

TrajectoryCommand.main()
