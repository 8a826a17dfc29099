import ArgumentParser

@main
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Find the best fully-connected network for a tabular task by training many configurations at once.",
        discussion: """
            Quick start (built-in phone-price data, no download needed):
              sweep run sweeps/phone-price.json    run the default grid
              sweep auto DATA.csv                  any CSV to a model within 5 minutes
              sweep leaderboard                    rank the latest sweep
              sweep export -o best.safetensors     the best model, for PyTorch
              sweep report -o report.html          see it: plots, curves, the best model
              sweep train                          train one configuration
            Results go to results/sweeps.sqlite (--db to change).
            """,
        subcommands: [
            RunCommand.self, AutoCommand.self, LeaderboardCommand.self, ExportCommand.self, PredictCommand.self,
            ReportCommand.self, DashboardCommand.self, ListCommand.self, CopyCommand.self, ValidateCommand.self, TrainCommand.self, BenchCommand.self,
        ]
    )

    /// The argument parser's own `main` (parse, run, report an error), then one check for every
    /// command that what it printed reached standard output: `print` drops failed writes, so a
    /// table cut short by a full disk or a closed pipe would otherwise end with status 0. The
    /// message adds what the command did all the same (`Terminal.doneDespiteOutput`).
    /// Commands that write a file's worth at once (predict, export, report) use `OutputFile`.
    static func main() async {
        await main(nil)
        do {
            try Terminal.flushStandardOutput()
        } catch {
            let done = Terminal.doneDespiteOutput.withLock { $0 }
            Terminal.error(error.description + (done.map { "; " + $0 } ?? ""))
            exit(withError: ExitCode(1))
        }
    }
}
