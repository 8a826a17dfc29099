import ArgumentParser
import Foundation
import SweepKit
import SweepReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a sweep's report: one self-contained HTML file with its plots, trials and spec.",
        discussion: """
            The file holds everything inline (no network, no CDN): the optimisation history, parallel coordinates, the parameter effects (a grid's main effects, an importance estimate for random and TPE sweeps), slices, the learning curves of the best trials (pruned and diverged ones marked where they stopped), the best model on the test rows (confusion matrix, or predicted against actual), the sortable trials table and the spec. Sweeps of thousands of trials have their heavy plots drawn from a sample that keeps the best trials and every status.
            """)

    @Argument(help: "The sweep name (default: the most recent sweep).")
    var sweep: String?

    @OptionGroup var store: StoreOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The HTML file to write; - for standard output.", valueName: "file"))
    var output = "report.html"

    func validate() throws {
        if output.isEmpty { throw ValidationError("-o needs a file name, or - for standard output") }
    }

    func run() throws {
        // The destination is checked before the database is read, so a bad path costs nothing.
        let destination: OutputFile
        do {
            destination = try OutputFile(output, example: "report.html")
            try destination.refuseReplacing(store.databaseFiles, with: "the report")
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        let results = try store.openStore(mustExist: true, forReading: true)
        var record = try resolveSweep(sweep, in: results)
        // Shown interrupted, not running, when its process has gone (killed, crashed).
        record.status = store.location.liveStatus(of: record, in: results).status
        do {
            try destination.refuseReplacing(dataFiles(of: try storedSpec(record)), with: "the report")
        } catch let error as OutputFileError {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        let page: Data
        let report: SweepReport
        do {
            var options = ReportOptions()
            options.databaseOption = store.databaseOption
            report = try SweepReport(store: results, sweep: record, options: options)
            page = try ReportPage.html(for: report)
        } catch {
            Terminal.error("cannot make the report of sweep '\(record.name)': \(error)")
            throw ExitCode(1)
        }
        do {
            try destination.write([UInt8](page))
        } catch {
            Terminal.error(error.description)
            throw ExitCode(1)
        }
        guard !destination.isStandardOutput else { return }
        let size = ByteCountFormatter.string(fromByteCount: Int64(page.count), countStyle: .file)
        print("wrote \(output) (\(size)): sweep '\(record.name)', \(report.sweep.trialCount) trials" + (report.bestTrial.map { ", best trial \($0)" } ?? ""))
        if let note = report.bestModel.note, report.bestTrial != nil { Terminal.note("note: no best-model section: \(note)") }
    }
}
