import ArgumentParser

@main
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Find the best fully-connected network for a tabular task by training many configurations at once.",
        discussion: """
            Quick start (no download needed, uses the built-in phone-price data):
              sweep run sweeps/phone-price.json     train the default grid, results in results/sweeps.sqlite
              sweep leaderboard                     rank the trials of the latest sweep
              sweep export -o best.safetensors      write the best model for PyTorch
              sweep train                           train one configuration and watch it learn
            """,
        subcommands: [
            RunCommand.self, LeaderboardCommand.self, ExportCommand.self, PredictCommand.self,
            ListCommand.self, ValidateCommand.self, TrainCommand.self,
        ]
    )
}
