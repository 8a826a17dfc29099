import ArgumentParser
import Datasets
import Foundation
import Synchronization
import SweepKit
import SweepStore

struct AutoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auto",
        abstract: "From a CSV to a model: infer the task, search networks and linear models within a time budget, export the best.",
        discussion: """
            sweep auto reads the CSV, infers the task from the target (the last column unless --target names another; --task sets the task), and writes a spec sized from the data to sweeps/auto-NAME.json (--spec to choose): TPE over linear models and networks of 1-3 hidden layers (their widths, activation, batch norm and dropout; optimizer, learning rate and weight decay on log scales, batch size, and for three or more classes the loss: cross-entropy or ordinal), early stopping, median and fold pruning, scored by k-fold cross-validation over every row. It runs that sweep within the budget: it starts trials until all but a tenth of the budget (at least 2 s, at most 30 s) has passed since training began, stops the trials still running halfway through that tenth of the budget counted from the command's start (stored as interrupted, they run again when the sweep continues), and leaves the rest to the export. It exports the fold models of the best 5 trials (--ensemble K for another number), trained again as the sweep trained them until the budget's end (those of fewer trials, or the best trial's final model alone, when the time left is too short), as one safetensors model averaging their predictions: on held-out rows this did better than the best trial's final model, or the average of the best trials' final models (BENCHMARKS.md).

            Ctrl-C or SIGTERM stops the sweep's running trials and writes the best completed trial's final model at once (no ensemble: nothing is trained again), or no model when no trial completed, and ends with exit status 130; a second Ctrl-C quits at once, leaving no model file. What it prints continues the sweep for what was left of the budget. Once the search is over, Ctrl-C ends the export's training of fold models at once, as the budget's end would, writes what it has and ends with exit status 130.

            The spec is an ordinary one: `sweep run sweeps/auto-NAME.json --timeout 10m` continues the same sweep, and running sweep auto again on the same file does the same; --restart starts it again, discarding its trials (after the data changed, say).
            """)

    @Argument(help: "A CSV with a header row and numeric columns.")
    var data: String

    @Option(help: "The target column (default: the last).")
    var target: String?

    @Option(help: ArgumentHelp("The task: binary, multiclass or regression (default: inferred from the target's values).", valueName: "task"))
    var task: TaskKind?

    // Optional, so that what stops the search can be named as the default or as given.
    @Option(help: ArgumentHelp("How long the command may take, search and export, e.g. 90s, 5m, 1h (default: \(AutoCommand.defaultBudget)).", valueName: "duration"))
    var budget: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Export the fold models of the best K trials, averaged (1: the best trial's).", valueName: "K"))
    var ensemble = AutoCommand.defaultEnsembleSize

    @Option(help: ArgumentHelp("The sweep's name (default: auto- and the file's name); the spec and the model are named after it.", valueName: "name"))
    var name: String?

    @Option(help: "Where to write the spec (default: sweeps/auto-NAME.json).")
    var spec: String?

    @Option(name: .shortAndLong, help: "The model file to write (default: auto-NAME.safetensors).")
    var output: String?

    @OptionGroup var store: StoreOptions

    @Option(parsing: .unconditional, help: "Trials trained at once (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Print only the summaries.")
    var quiet = false

    @Flag(help: "Start the sweep again: discard its stored trials (say, after the data changed) and replace its spec file.")
    var restart = false

    /// The time budget without --budget.
    static let defaultBudget = "5m"
    /// The shortest budget kept: `searchSeconds` is never under 1 s, and 2 s follow it.
    static let minimumBudget = 3.0
    /// The trials whose fold models the export averages unless --ensemble says otherwise
    /// (BENCHMARKS.md, quality).
    static let defaultEnsembleSize = 5
    /// At 5 folds, the most members a model file holds (`ModelFile.maximumMemberCount`).
    static let maximumEnsembleSize = ModelFile.maximumMemberCount / 5

    /// How long the search starts trials, from when it can (the data read and the sweep set up):
    /// a tenth of the budget (at least 2 s, at most 30 s) is kept for the trials still running
    /// then, and the export.
    static func searchSeconds(budget: Double) -> Double { max(1, budget - max(2, min(30, budget * 0.1))) }

    /// When the trials still running are stopped, from the command's start (to run again when
    /// the sweep continues; no trial starts after it either, however long reading the data took):
    /// half of what the search leaves is theirs, and the rest the export's, which trains again
    /// only the fold models that time allows. A trial on large data can take minutes, which the
    /// budget would otherwise overrun by as much.
    static func trialSeconds(budget: Double) -> Double {
        let search = searchSeconds(budget: budget)
        return search + max(0, budget - search) / 2
    }

    private var budgetText: String { budget ?? Self.defaultBudget }

    func validate() throws {
        guard let seconds = parseDuration(budgetText) else {
            throw ValidationError(durationRefusal("--budget", budgetText, examples: "90s, 5m or 1h"))
        }
        // The search starts trials for at least a second, and the trials still running then and
        // the export have 2 s: a shorter budget would be overrun, not kept.
        guard seconds >= Self.minimumBudget else {
            throw ValidationError("--budget must be at least \(Int(Self.minimumBudget))s (a second of search, and 2 s for the trials then running and the export), got '\(budgetText)'")
        }
        guard ensemble >= 1, ensemble <= Self.maximumEnsembleSize else {
            throw ValidationError("--ensemble must be between 1 and \(Self.maximumEnsembleSize), got \(ensemble)")
        }
        try RunCommand.checkJobs(jobs)
        if let name, let problem = SweepSpec.nameProblem(name) {
            throw ValidationError("--name \(problem)")
        }
    }

    func run() async throws {
        try requireUTF8Arguments()
        let started = Date()
        let auto: AutoSpec
        var dataset: Dataset?  // handed to the sweep, which keeps only its prepared folds
        (auto, dataset) = try plan()
        let specPath = spec ?? "sweeps/\(auto.name).json"
        let modelPath = output ?? "\(auto.name).safetensors"
        // Every destination is checked before the spec is written or a trial trained, so that
        // none replaces a file the user keeps, or another of them (by any spelling, even before
        // it exists).
        let model: OutputFile
        do {
            model = try OutputFile(modelPath, example: "model.safetensors")
            try model.refuseReplacing([(data, "the data"), (specPath, "the spec")] + store.databaseFiles, with: "the model")
            try model.refuseSharing([(specPath, "the spec")] + store.databaseFiles, with: "the model")
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        // Its progress, leaderboard and summary go there: the model's bytes would be mixed in.
        if model.isStandardOutput {
            Terminal.error("-o '\(modelPath)' is standard output, where sweep auto prints what it does; write the model to a file (-o model.safetensors), or send it there afterwards with sweep export \(auto.name) -o -\(store.databaseOption)")
            throw ExitCode(2)
        }
        let specLocation = FileLocation(path: specPath)
        if let database = store.databaseFiles.first(where: { FileLocation(path: $0.path) == specLocation }) {
            Terminal.error("--spec '\(specPath)' is also where the sweep writes \(database.role) ('\(database.path)'); name another file with --spec PATH or --db PATH")
            throw ExitCode(2)
        }
        // Checked before the spec is touched: --restart replaced the spec of a sweep another
        // process was running, and then the run was refused.
        if case .sqlite(let path) = store.location, SweepRunLock.isHeld(databasePath: path, sweep: auto.name) {
            Terminal.error("sweep '\(auto.name)' is running in another process (\(store.shownLocation)); wait for it or stop it, then run again, or give this one its own name with --name")
            throw ExitCode(2)
        }
        try writeSpec(auto.json(), named: auto.name, to: specPath)
        let budgetSeconds = parseDuration(budgetText)!
        print("sweep auto: \(data)")
        for line in auto.summary { print("  \(line)") }
        print("  budget: \(formatDuration(budgetSeconds)) (trials start for \(formatDuration(Self.searchSeconds(budget: budgetSeconds))) of training, those still running at \(formatDuration(Self.trialSeconds(budget: budgetSeconds))) are stopped, and the export has the rest)")
        print("  spec: \(specPath) (sweep run \(shellWord(specPath)) continues or grows it)")

        var arguments = [specPath, "--db", store.databasePath, "--timeout", String(Self.searchSeconds(budget: budgetSeconds)), "--export-follows"]
        if let jobs { arguments += ["--jobs", String(jobs)] }
        if quiet { arguments.append("--quiet") }
        if restart { arguments.append("--restart") }
        let run = try RunCommand.parse(arguments)
        // --timeout counts from when the sweep starts training; the stop from the command's start,
        // before the data is read and the sweep set up, which on large data takes a while.
        // Ctrl-C's handlers last until the command ends: a first one after the sweep ends the
        // export's training at once, as the budget's end does, and a second one quits while the
        // best model so far is written.
        let stop = StopSignal()
        let exporting = Mutex(false)
        let signals = installStopHandlers(stop) {
            exporting.withLock { $0 } ? "exporting what is trained so far" : "letting running trials end cleanly"
        }
        defer { signals.forEach { $0.cancel() } }
        // From the moment the trials have ended, before the summary, a Ctrl-C stops the export.
        // The table read to write the spec is the sweep's data: prepared, not read again, and
        // the export trains fold models again on what the trials trained on.
        let (summary, trainedOn) = try await run.runSweep(
            stopAt: started.addingTimeInterval(Self.trialSeconds(budget: budgetSeconds)), stop: stop,
            searchEnded: { exporting.withLock { $0 = true } }, dataset: dataset.take())
        if summary.interrupted {
            try exportInterrupted(
                summary, sweep: auto.name, specPath: specPath, modelPath: modelPath,
                secondsLeft: budgetSeconds - Date().timeIntervalSince(started))
        }
        if summary.remainingTrials > 0 {
            print(stopLine(remainingTrials: summary.remainingTrials, stoppedTrials: summary.trialsStopped, specPath: specPath))
        }

        let results = try store.openStore(mustExist: true, forReading: true)
        let record = try resolveSweep(auto.name, in: results)
        let sweepSpec = try storedSpec(record)
        let trials = try results.trials(sweep: auto.name)
        let ranking = TrialRanking(metric: sweepSpec.metric)
        let usable = trials.filter { ranking.hasFiniteMetric($0) }.count
        guard usable > 0 else {
            // Trials that all diverged or failed need other advice than more time.
            let board = Leaderboard(trials: trials, metric: sweepSpec.metric)
            if case .noneUsable? = board.shortfall {
                Terminal.error(noUsableTrialMessage(board, sweep: auto.name, store: store))
            } else {
                Terminal.error("no trial completed within \(budgetText); give a longer --budget")
            }
            throw ExitCode(1)
        }
        if usable < ensemble {
            Terminal.note("only \(usable) trials completed: the ensemble has the fold models of at most \(usable)")
        }
        let members = affordableMembers(
            upTo: min(ensemble, usable), trials: trials, spec: sweepSpec, secondsLeft: budgetSeconds - Date().timeIntervalSince(started))
        let export = try ExportCommand.parse(
            [auto.name, "--db", store.databasePath, "-o", modelPath] + (members > 0 ? ["--ensemble", String(members), "--folds"] : []))
        // The estimate above is only that: training again stops at the budget's end in any case.
        try export.run(until: started.addingTimeInterval(budgetSeconds), interrupted: { stop.isRaised }, trainedOn: trainedOn)
        print(timeLine(seconds: Date().timeIntervalSince(started), budget: budgetSeconds))
        print("predict with: sweep predict \(shellWord(modelPath)) NEW.csv")
        if stop.isRaised {
            // The model is whole, from what was trained again by then; the status says it was cut short.
            Terminal.note("interrupted during the export: \(modelPath) holds what was trained by then")
            throw ExitCode(130)
        }
    }

    /// How long the command took against its budget, and, past it, what ran after the budget's
    /// end: the work that is not cut short (storing the stopped trials, reading the data for the
    /// export, writing the model).
    func timeLine(seconds: Double, budget: Double) -> String {
        // Past it by less than the tenth of a second shown is within it.
        guard seconds - budget >= 0.05 else { return "took \(formatDuration(min(seconds, budget))) of the \(formatDuration(budget)) budget" }
        return "took \(formatDuration(seconds)), \(formatDuration(seconds - budget)) past the \(formatDuration(budget)) budget: "
            + "storing the stopped trials and writing the model are not cut short at its end"
    }

    /// What stopped the search with trials to go: the time budget, named as given or as the
    /// default, never a `--timeout` the user did not give; `stoppedTrials` of them were stopped
    /// while training.
    func stopLine(remainingTrials: Int, stoppedTrials: Int = 0, specPath: String) -> String {
        let budgetName = budget.map { "the time budget (--budget \($0))" }
            ?? "sweep auto's default time budget of \(Self.defaultBudget) (--budget sets another)"
        let stopped = switch stoppedTrials {
        case 0: ""
        case 1: " (1 of them stopped while training, to run again)"
        default: " (\(stoppedTrials) of them stopped while training, to run again)"
        }
        return "stopped by \(budgetName) with \(remainingTrials) trials to go\(stopped): `\(continuingCommand(specPath: specPath))` continues the sweep"
    }

    /// After Ctrl-C or SIGTERM stopped the sweep: writes the best complete trial's final model,
    /// as `sweep export` does (the stored weights: nothing is trained again, since the user wants
    /// to stop), or nothing when no trial completed; says so, and how to continue, and ends with
    /// exit status 130, as an interrupted `sweep run` does. A second Ctrl-C quits at once
    /// (`installStopHandlers`, still in place), leaving no model file rather than half of one.
    private func exportInterrupted(_ summary: SweepRunSummary, sweep name: String, specPath: String, modelPath: String, secondsLeft: Double) throws -> Never {
        let completed = summary.trials.filter { $0.status == .complete }.count
        var metricName = ""
        var written: String?
        // Stopped before any trial completed, the database may not hold the sweep yet.
        if completed > 0 {
            let metric = try storedSpec(resolveSweep(name, in: store.openStore(mustExist: true, forReading: true))).metric
            metricName = metric.name.rawValue
            if let best = TrialRanking(metric: metric).best(of: summary.trials) {
                Terminal.note("writing the best of the completed trials, trial \(best.number), to \(modelPath) (press Ctrl-C again to quit at once)")
                // The sweep checked the database before it ran: checking it again would read the whole file.
                try ExportCommand.parse([name, "--db", store.databasePath, "-o", modelPath, "--trial", String(best.number)])
                    .run(until: nil, checkingIntegrity: false)
                written = "trial \(best.number) (\(metricName) \(format(best.metrics[metricName])))"
            }
        }
        Terminal.note(interruptedLine(
            completedTrials: completed, written: written, metricName: metricName, modelPath: modelPath,
            remainingTrials: summary.remainingTrials, secondsLeft: secondsLeft, specPath: specPath))
        if written != nil { print("predict with: sweep predict \(shellWord(modelPath)) NEW.csv") }
        throw ExitCode(130)
    }

    /// What Ctrl-C or SIGTERM left: how many trials completed, the model written from the best
    /// of them (`written`: its trial and metric) or none, and the commands that continue the
    /// sweep for what was left of the budget (the spec has thousands of trials, which a bare
    /// `sweep run SPEC` would all run).
    func interruptedLine(
        completedTrials: Int, written: String?, metricName: String, modelPath: String, remainingTrials: Int, secondsLeft: Double,
        specPath: String
    ) -> String {
        let timeLeft = Self.continuingDuration(secondsLeft: secondsLeft)
        let what = if let written {
            "interrupted after \(Self.trialCount(completedTrials)) completed: \(modelPath) holds the best of them, \(written), as a single model (its final fit), not the ensemble of fold models the export would have built"
        } else {
            completedTrials == 0
                ? "interrupted before any trial completed, so no model was written"
                : "interrupted after \(Self.trialCount(completedTrials)) completed, none with a finite \(metricName), so no model was written"
        }
        return what + ". `\(continuingCommand(specPath: specPath, timeout: timeLeft))` continues the sweep for what was left of the budget (\(remainingTrials) trials to go), "
            + "and sweep auto again with --budget \(timeLeft) continues it and exports"
    }

    /// "1 trial", "39 trials".
    private static func trialCount(_ count: Int) -> String { count == 1 ? "1 trial" : "\(count) trials" }

    /// The shortest continuation suggested: a shorter search would hardly start a trial.
    static let minimumContinuationSeconds = 10.0

    /// What was left of the budget as a duration `--timeout` and `--budget` read: whole seconds
    /// rounded up, whole minutes (rounded up) from two minutes, and at least
    /// `minimumContinuationSeconds`.
    static func continuingDuration(secondsLeft: Double) -> String {
        let seconds = max(minimumContinuationSeconds, secondsLeft.isFinite ? secondsLeft.rounded(.up) : 0)
        // Printed from the Double: what is left of a --budget 1e300 is beyond Int.
        return seconds < 120 ? String(format: "%.0fs", seconds) : String(format: "%.0fm", (seconds / 60).rounded(.up))
    }

    /// The command that continues the sweep for a while: its spec, run with a time limit.
    private func continuingCommand(specPath: String, timeout: String = "10m") -> String {
        return "sweep run \(shellWord(specPath))\(store.databaseOption) --timeout \(timeout)"
    }

    /// How many of the best trials' fold models the export can train again within what is left
    /// of the budget, judged by the time those trials' fits took in the sweep: up to `limit`, or
    /// 0 when not even the best trial's fit, and the best trial's final model goes alone.
    private func affordableMembers(upTo limit: Int, trials: [TrialRecord], spec: SweepSpec, secondsLeft: Double) -> Int {
        let threads = Double(ProcessInfo.processInfo.activeProcessorCount)
        let scoringShare = Double(spec.scoringFits) / Double(spec.scoringFits + 1)
        var count = 0, seconds = 0.0
        for trial in TrialRanking(metric: spec.metric).rankedWithFiniteMetric(trials).prefix(limit) {
            seconds += (trial.trainSeconds ?? 0) * scoringShare / threads
            guard seconds <= secondsLeft else { break }
            count += 1
        }
        if count < limit {
            Terminal.note(count == 0
                ? "no time left in the budget to train fold models again: exporting the best trial's final model alone"
                : "the budget leaves time to train the fold models of the best \(count) trials again, not \(limit)")
        }
        return count
    }

    /// The data's shape and task, and the spec made from them; and the data as read, which the
    /// sweep prepares rather than reading it again.
    private func plan() throws -> (AutoSpec, Dataset) {
        try refuseStream(data)
        let dataset: Dataset
        let task: TaskKind
        do {
            dataset = try Dataset.load(source: data, target: target)
            task = try dataset.resolveTask(requested: self.task)
            _ = try dataset.validateClassification(as: task)
            try dataset.checkFeaturesVary()
        } catch {
            Terminal.error("\(error.description)")
            throw ExitCode(2)
        }
        let auto = AutoSpec(
            name: name ?? AutoSpec.name(forSource: data), source: data, target: dataset.targetName, task: task,
            rowCount: dataset.rowCount, featureCount: dataset.featureCount)
        if auto.rowCount < 4 * auto.folds {
            Terminal.error("'\(data)' has \(auto.rowCount) rows; sweep auto scores by \(auto.folds)-fold cross-validation and needs at least \(4 * auto.folds)")
            throw ExitCode(2)
        }
        if task.isClassification, let warning = rareClassesWarning(dataset, folds: auto.folds) {
            Terminal.note(warning)
        }
        return (auto, dataset)
    }

    /// Refuses data that cannot be read a second time, a pipe such as `<(zcat data.csv.gz)` or a
    /// device, before anything is written: the spec names its data, for `sweep run SPEC` (and
    /// sweep auto again) to continue the sweep and `sweep export` to train fold models again.
    private func refuseStream(_ path: String) throws {
        var status = stat()
        guard !path.hasPrefix("builtin:"), stat(path, &status) == 0 else { return }
        let kind = switch status.st_mode & S_IFMT {
        case S_IFIFO: "a pipe"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFSOCK: "a socket"
        default: ""
        }
        guard !kind.isEmpty else { return }
        Terminal.error(
            "'\(path)' is \(kind), which can be read only once; the spec sweep auto writes names its data, for sweep run to continue the sweep and sweep export to train fold models again. Save it to a file first (e.g. zcat data.csv.gz > data.csv) and pass that")
        throw ExitCode(2)
    }

    /// A warning naming the classes with fewer rows than folds, nil when there is none. Such a
    /// class is missing from the training rows of a fold that validates it, and a class of one
    /// row is often a typo (as scikit-learn's StratifiedKFold warns).
    private func rareClassesWarning(_ dataset: Dataset, folds: Int) -> String? {
        var rowsOfClass: [Float: [Int]] = [:]
        for (row, value) in dataset.targets.enumerated() { rowsOfClass[value, default: []].append(row) }
        let rare = rowsOfClass.filter { $0.value.count < folds }.sorted { $0.key < $1.key }
        guard !rare.isEmpty else { return nil }
        let listed = rare.prefix(5).map { label, rows in
            let lines = rows.map { String(dataset.lineNumbers[$0]) }.joined(separator: ", ")
            return "\(ClassEncoding(classLabels: [label]).labelNames[0]) (\(rows.count) row\(rows.count == 1 ? ", line" : "s, lines") \(lines))"
        }.joined(separator: ", ") + (rare.count > 5 ? " and \(rare.count - 5) more" : "")
        return "warning: \(shownList([dataset.targetName])) has \(rare.count == 1 ? "a class" : "classes") with fewer rows than the \(folds) folds: \(listed). "
            + "A fold that validates such a row trains on too few of its class, or none; if it is a typo, fix it, else more rows of it would help"
    }
}

extension TaskKind: ExpressibleByArgument {}
