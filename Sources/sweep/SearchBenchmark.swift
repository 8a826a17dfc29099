import Foundation
import SweepKit

/// `sweep bench --search` and `sweep bench --pruning`: how much a smarter search and pruning buy,
/// measured on real sweeps in this process (results kept in memory), written as sections of
/// BENCHMARKS.md that the speed benchmark leaves alone.
struct SearchBenchmark {
    /// The data sets: the built-in data and the phone-price CSV when it is there.
    let sources: [String]
    let seeds: Int
    let jobs: Int
    let quick: Bool

    // MARK: TPE against random search

    /// Six searched settings and a layer list: learning rate and weight decay on a log scale,
    /// depth and each layer's width (log scale), dropout, optimizer and activation.
    func searchSpec(method: String, trials: Int, seed: Int, source: String, lag: Int = 8) -> String {
        """
        {"name": "bench-\(method)-\(seed)", "data": {"source": "\(source)", "test_fraction": 0.2, "folds": \(folds), "split_seed": 88},
         "method": "\(method)", "trials": \(trials), "seed": \(seed), "sampler": {"lag": \(lag)},
         "metric": {"name": "validation_accuracy", "goal": "maximize"},
         "fixed": {"epochs": \(epochs), "batch_size": 64},
         "parameters": {
           "hidden_layers": {"depth": {"values": [1, 2, 3]}, "width": {"distribution": "int_log_uniform", "min": 8, "max": 256}},
           "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.3},
           "weight_decay": {"distribution": "log_uniform", "min": 0.000001, "max": 0.1},
           "dropout": {"distribution": "uniform", "min": 0, "max": 0.5},
           "optimizer": {"values": ["adam", "sgd", "rmsprop", "adagrad"]},
           "activation": {"values": ["relu", "tanh", "sigmoid"]}}}
        """
    }

    /// One seed's sweeps on one data set: random search, and TPE at each lag.
    struct SearchRun: Sendable {
        var seed: Int
        /// Best validation accuracy so far, after each trial in number order.
        var random: [Double]
        /// By lag.
        var tpe: [Int: [Double]]
        /// Test accuracy of the best trial of the whole random sweep, and of each TPE's first 60.
        var randomTest: Double?
        var tpeTest: [Int: Double]
        var randomSeconds: Double
        var tpeSeconds: [Int: Double]

        var target: Double { random.last ?? .nan }
        /// The first trial at which TPE's best reached the random sweep's best; nil if never.
        func tpeTrialsToTarget(lag: Int) -> Int? { tpe[lag]?.firstIndex { $0 >= target }.map { $0 + 1 } }
        var randomTrialsToTarget: Int? { random.firstIndex { $0 >= target }.map { $0 + 1 } }
    }

    var randomTrials: Int { quick ? 12 : 200 }
    var tpeTrials: Int { quick ? 12 : 100 }
    var budget: Int { quick ? 12 : 60 }
    var folds: Int { quick ? 2 : 5 }
    var epochs: Int { quick ? 3 : 30 }
    /// The default lag (reproducible for --jobs up to 9), 1 (up to 2 jobs, as this benchmark
    /// runs) and 0 (one trial at a time, as Optuna's TPE runs sequentially; its sweeps run with
    /// --jobs 1): the lag is what reproducibility under parallelism costs TPE.
    var lags: [Int] { [8, 1, 0] }

    func runSearch(source: String) async throws -> [SearchRun] {
        var runs: [SearchRun] = []
        let ranking = TrialRanking(metric: SweepMetric(name: .validationAccuracy, maximize: true))
        for seed in 0..<seeds {
            Terminal.note("search on \(source), seed \(seed): random (\(randomTrials) trials) and TPE (\(tpeTrials), lags \(lags.map(String.init).joined(separator: " and ")))…")
            let (random, randomSeconds) = try await sweep(searchSpec(method: "random", trials: randomTrials, seed: seed, source: source))
            var run = SearchRun(
                seed: seed, random: bestSoFar(random), tpe: [:],
                randomTest: ranking.best(of: random)?.metrics[MetricName.testAccuracy.rawValue], tpeTest: [:],
                randomSeconds: randomSeconds, tpeSeconds: [:])
            for lag in lags {
                let (tpe, seconds) = try await sweep(
                    searchSpec(method: "tpe", trials: tpeTrials, seed: seed, source: source, lag: lag), jobs: min(jobs, lag + 1))
                run.tpe[lag] = bestSoFar(tpe)
                run.tpeTest[lag] = ranking.best(of: Array(tpe.prefix(budget)))?.metrics[MetricName.testAccuracy.rawValue]
                run.tpeSeconds[lag] = seconds
            }
            runs.append(run)
        }
        return runs
    }

    private func bestSoFar(_ trials: [TrialRecord]) -> [Double] {
        var best = -Double.infinity
        return trials.sorted { $0.number < $1.number }.map { trial in
            if trial.status == .complete, let value = trial.metrics[MetricName.validationAccuracy.rawValue], value.isFinite {
                best = max(best, value)
            }
            return best
        }
    }

    func searchSection(_ results: [(source: String, runs: [SearchRun])]) -> String {
        var lines = [
            "## Search: TPE against random search", "",
            "Measured by `sweep bench --search` on \(Self.today()), \(jobs) jobs. Each data set is swept with \(seeds) sweep seeds. For each seed:",
            "a random search of \(randomTrials) trials, and TPE searches of \(tpeTrials) trials (Optuna's defaults: 10 random trials first,",
            "γ = 0.1, 24 candidates, the constant liar over the trials the lag hides) with lag 8 (the default: the same sweep for any --jobs up to 9), lag 1 (the same sweep for",
            "--jobs 1 and 2, as here) and lag 0 (one trial at a time, as Optuna's TPE runs when it is not parallel; run with",
            "--jobs 1). The space: six settings and a layer list, depth 1–3 with each width log-uniform in 8–256,",
            "learning rate log-uniform in [1e-4, 0.3], weight decay log-uniform in [1e-6, 0.1], dropout uniform in [0, 0.5],",
            "optimizer (Adam, SGD, RMSprop, Adagrad) and activation (ReLU, tanh, sigmoid); \(epochs) epochs, batch 64, ranked by",
            "\(folds)-fold cross-validated accuracy on the non-test 80%. A seed's target is the best validation accuracy of its",
            "whole random search; \"trials to target\" is the first trial at which TPE's best reached it (— when it did not in",
            "\(tpeTrials)). The fold count and epochs were chosen on the built-in data's first five seeds; the CSV was not used to",
            "choose anything.", "",
        ]
        func median(_ values: [Int?]) -> Int? {
            let sorted = values.map { $0 ?? Int.max }.sorted()
            let middle = sorted[(sorted.count - 1) / 2]
            return middle == .max ? nil : middle
        }
        for (source, runs) in results {
            lines += ["### \(source)", ""]
            for lag in lags {
                let medianHit = median(runs.map { $0.tpeTrialsToTarget(lag: lag) })
                let met = medianHit.map { $0 <= budget } ?? false
                lines.append("- TPE with lag \(lag): median trials to reach the random search's best **\(medianHit.map(String.init) ?? "not reached")** (target ≤ \(budget): \(met ? "met" : "not met")).")
            }
            lines += [
                "",
                "| seed | random's best of \(randomTrials) | random reached it at trial | " + lags.map { "TPE lag \($0): trials to target | TPE lag \($0): best of \(budget)" }.joined(separator: " | ")
                    + " | test accuracy, random's best | " + lags.map { "test accuracy, TPE lag \($0)'s best of \(budget)" }.joined(separator: " | ") + " |",
                "| --- | --- | --- |" + String(repeating: " --- | --- |", count: lags.count) + " --- |" + String(repeating: " --- |", count: lags.count),
            ]
            for run in runs {
                var cells = [String(run.seed), format(run.target), run.randomTrialsToTarget.map(String.init) ?? "—"]
                for lag in lags {
                    let curve = run.tpe[lag] ?? []
                    cells.append(run.tpeTrialsToTarget(lag: lag).map(String.init) ?? "—")
                    cells.append(format(curve.count >= budget ? curve[budget - 1] : curve.last))
                }
                cells.append(format(run.randomTest))
                for lag in lags { cells.append(format(run.tpeTest[lag])) }
                lines.append("| " + cells.joined(separator: " | ") + " |")
            }
            lines += ["", "Median best validation accuracy so far, by trial (the trials-to-target curves):", ""]
            let checkpoints = [5, 10, 20, 30, 40, 60, 80, 100, 150, 200].filter { $0 <= max(randomTrials, tpeTrials) }
            lines.append("| trials | " + checkpoints.map(String.init).joined(separator: " | ") + " |")
            lines.append("| --- |" + String(repeating: " --- |", count: checkpoints.count))
            let series = [("random", runs.map(\.random))] + lags.map { lag in ("TPE, lag \(lag)", runs.map { $0.tpe[lag] ?? [] }) }
            for (name, curves) in series {
                let cells = checkpoints.map { n -> String in
                    let values = curves.compactMap { $0.count >= n ? $0[n - 1] : nil }.sorted()
                    return values.isEmpty ? "" : format(values[(values.count - 1) / 2])
                }
                lines.append("| \(name) | " + cells.joined(separator: " | ") + " |")
            }
            let randomTime = runs.map(\.randomSeconds).reduce(0, +)
            let tpeTimes = lags.map { lag in "TPE lag \(lag) \(formatDuration(runs.compactMap { $0.tpeSeconds[lag] }.reduce(0, +)))" }
            lines += ["", "Wall time: random \(formatDuration(randomTime)), " + tpeTimes.joined(separator: ", ") + " in all.", ""]
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Pruning

    /// The sweeps the pruning benchmark runs: the default grid's networks (sweeps/phone-price.json
    /// without its linear models, the founding comparison's 160 trials) and a random sweep, each
    /// with 100 epochs per fit.
    func pruningSpec(kind: String, pruner: String?, seed: Int, source: String) -> String {
        let prunerMember = pruner.map { #", "pruner": \#($0)"# } ?? ""
        let epochs = quick ? 6 : 100
        if kind == "grid" {
            // The default sweep's networks, with 100 epochs, this seed and the pruner.
            guard let text = FileManager.default.contents(atPath: "sweeps/phone-price.json"),
                case .object(var members)? = try? JSONValue.parse(text, source: "sweeps/phone-price.json"),
                case .object(var fixed)? = members["fixed"],
                case .object(let parameters)? = members["parameters"]
            else { return "{}" }
            let (networkParameters, networkLayers) = Self.networkBranch(of: parameters)
            fixed["epochs"] = .number(Double(epochs))
            if let networkLayers { fixed["hidden_layers"] = networkLayers }
            members["fixed"] = .object(fixed)
            members["parameters"] = .object(networkParameters)
            members["name"] = .string("bench-grid-\(seed)")
            members["seed"] = .number(Double(seed))
            members["data"] = .object([
                "source": .string(source), "test_fraction": .number(0.2), "folds": .number(4), "split_seed": .number(88),
            ])
            members["sampler"] = .object(["lag": .number(8)])
            if let pruner, let value = try? JSONValue.parse(Data(pruner.utf8), source: "pruner") { members["pruner"] = value }
            return JSONValue.object(members).canonicalText
        }
        return """
            {"name": "bench-random-\(seed)", "data": {"source": "\(source)", "test_fraction": 0.2, "folds": 3, "split_seed": 88},
             "method": "random", "trials": \(quick ? 12 : 100), "seed": \(seed), "sampler": {"lag": 8}\(prunerMember),
             "fixed": {"epochs": \(epochs), "batch_size": 64},
             "parameters": {
               "hidden_layers": {"depth": {"values": [1, 2]}, "width": {"distribution": "int_log_uniform", "min": 8, "max": 128}},
               "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.3},
               "weight_decay": {"distribution": "log_uniform", "min": 0.000001, "max": 0.01},
               "dropout": {"distribution": "uniform", "min": 0, "max": 0.4},
               "optimizer": {"values": ["adam", "sgd", "rmsprop"]},
               "activation": {"values": ["relu", "tanh"]}}}
            """
    }

    /// The parameters of a grid that searches `hidden_layers` as the trials with its first value
    /// (the default grid's 32-unit networks): the parameters that apply to them, unconditional, and
    /// that value, to be fixed. Without a searched layer list, the parameters as they are.
    static func networkBranch(of parameters: [String: JSONValue]) -> (parameters: [String: JSONValue], hiddenLayers: JSONValue?) {
        guard case .array(let layerLists)? = parameters["hidden_layers"]?["values"], let network = layerLists.first else {
            return (parameters, nil)
        }
        var kept: [String: JSONValue] = [:]
        for (name, parameter) in parameters where name != "hidden_layers" {
            guard case .object(var members) = parameter else { continue }
            if case .array(let allowed)? = members["when"]?["hidden_layers"] {
                guard allowed.contains(network) else { continue }
                members["when"] = nil
            }
            kept[name] = .object(members)
        }
        return (kept, network)
    }

    static let pruners: [(name: String, json: String?)] = [
        ("none", nil),
        ("median", #"{"name": "median", "startup_trials": 5, "warmup_epochs": 10}"#),
        ("asha", #"{"name": "asha", "min_epochs": 4, "reduction_factor": 3}"#),
        ("folds", #"{"name": "folds"}"#),
    ]

    struct PruningRun: Sendable {
        var kind: String
        var pruner: String
        var seed: Int
        var epochsTrained: Int
        var epochsUnpruned: Int
        var bestTest: Double?
        var bestValidation: Double?
        var seconds: Double
    }

    func runPruning(source: String) async throws -> [PruningRun] {
        var runs: [PruningRun] = []
        for kind in ["grid", "random"] {
            for seed in 0..<seeds {
                for pruner in Self.pruners {
                    Terminal.note("pruning: \(kind) sweep, seed \(seed), pruner \(pruner.name)…")
                    let text = pruningSpec(kind: kind, pruner: pruner.json, seed: seed, source: source)
                    let spec = try SweepSpec.parse(Data(text.utf8), source: "bench")
                    let (trials, seconds) = try await sweep(text)
                    let savings = PruningSavings(trials: trials, spec: spec)
                    let best = spec.ranking.best(of: trials)
                    runs.append(PruningRun(
                        kind: kind, pruner: pruner.name, seed: seed, epochsTrained: savings.trained,
                        epochsUnpruned: savings.unpruned, bestTest: best?.metrics[MetricName.testAccuracy.rawValue],
                        bestValidation: best?.metrics[MetricName.validationAccuracy.rawValue], seconds: seconds))
                }
            }
        }
        return runs
    }

    func pruningSection(_ runs: [PruningRun], source: String) -> String {
        var lines = [
            "## Pruning", "",
            "Measured by `sweep bench --pruning` on \(Self.today()), \(jobs) jobs, on \(source): the default grid's 160 networks (4-fold",
            "cross-validation) and a 100-trial random sweep (3-fold), \(quick ? 6 : 100) epochs per fit, each with \(seeds) sweep seeds, without a",
            "pruner and with each pruner (median: 5 startup trials, 10 warm-up epochs; asha: rungs from epoch 4, η = 3;",
            "folds: the paired test over finished folds), lag 8. \"Epochs\" counts every fit's epochs; \"unpruned\" is what the",
            "same sweep trains without the pruner. Test accuracy is that of the best trial by validation accuracy (320 test",
            "rows: one row is 0.31 points). \"Difference\" is the median over seeds of the pruned sweep's best test accuracy",
            "minus the unpruned sweep's on the same seed; \"difference of medians\" compares the two medians instead.", "",
            "| sweep | pruner | epochs trained (median) | fewer epochs than unpruned | best trial's test accuracy (median) | difference from unpruned, points (median) | difference of medians, points | wall time (median) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        func median(_ values: [Double]) -> Double {
            let sorted = values.filter { !$0.isNaN }.sorted()
            return sorted.isEmpty ? .nan : (sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        }
        /// A pruner's figures on one kind of sweep, each seed against the unpruned sweep of that seed.
        struct Summary {
            let pruner: String, epochs: Double, fewer: Double, difference: Double, test: Double, ofMedians: Double, seconds: Double
        }
        func summaries(_ kind: String) -> [Summary] {
            let unpruned = runs.filter { $0.kind == kind && $0.pruner == "none" }
            return Self.pruners.map(\.name).compactMap { pruner in
                let these = runs.filter { $0.kind == kind && $0.pruner == pruner }
                guard !these.isEmpty else { return nil }
                let base = { (run: PruningRun) in unpruned.first { $0.seed == run.seed } }
                let test = median(these.map { $0.bestTest ?? .nan })
                return Summary(
                    pruner: pruner, epochs: median(these.map { Double($0.epochsTrained) }),
                    fewer: median(these.map { 1 - Double($0.epochsTrained) / Double(max(base($0)?.epochsTrained ?? $0.epochsUnpruned, 1)) }),
                    difference: median(these.map { (($0.bestTest ?? .nan) - (base($0)?.bestTest ?? .nan)) * 100 }),
                    test: test, ofMedians: (test - median(unpruned.map { $0.bestTest ?? .nan })) * 100,
                    seconds: median(these.map(\.seconds)))
            }
        }
        let byKind = ["grid", "random"].map { ($0, summaries($0)) }
        for (kind, rows) in byKind {
            for row in rows {
                lines.append("| \(kind) | \(row.pruner) | \(Int(row.epochs)) | \(Int((row.fewer * 100).rounded()))% | \(format(row.test)) | \(String(format: "%+.2f", row.difference)) | \(String(format: "%+.2f", row.ofMedians)) | \(formatDuration(row.seconds)) |")
            }
        }
        lines.append("")
        for (kind, rows) in byKind {
            // The pruner that saves most while its median per-seed difference stays within 0.5 points.
            if let best = rows.filter({ $0.pruner != "none" && $0.difference >= -0.5 }).max(by: { $0.fewer < $1.fewer }) {
                let met = best.fewer >= 0.5
                lines.append("- \(kind): the best pruner within 0.5 points is **\(best.pruner)**, \(Int((best.fewer * 100).rounded()))% fewer epochs, \(String(format: "%+.2f", best.difference)) points (target: at least 50% fewer within 0.5 points: \(met ? "met" : "not met")).")
            } else {
                lines.append("- \(kind): no pruner stays within 0.5 points (target not met).")
            }
        }
        lines += ["", "The best trial's test accuracy per seed:", ""]
        let names = Self.pruners.map(\.name)
        lines.append("| sweep | seed | " + names.joined(separator: " | ") + " |")
        lines.append("| --- | --- | " + names.map { _ in "---" }.joined(separator: " | ") + " |")
        for kind in ["grid", "random"] {
            for seed in Set(runs.filter { $0.kind == kind }.map(\.seed)).sorted() {
                let cells = names.map { name in format(runs.first { $0.kind == kind && $0.seed == seed && $0.pruner == name }?.bestTest) }
                lines.append("| \(kind) | \(seed) | " + cells.joined(separator: " | ") + " |")
            }
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    // MARK: Running and writing

    /// Runs a sweep in memory; its trials in number order and the wall time.
    private func sweep(_ text: String, jobs: Int? = nil) async throws -> ([TrialRecord], Double) {
        let spec = try SweepSpec.parse(Data(text.utf8), source: "bench")
        let data = try PreparedData.load(spec.data)
        let start = Date()
        let summary = try await SweepScheduler(
            spec: spec, data: data, store: MemoryResultStore(), options: SweepRunOptions(jobs: jobs ?? self.jobs), stop: StopSignal()
        ).run()
        return (summary.trials, Date().timeIntervalSince(start))
    }

    static func today() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}

/// Sections of a Markdown report that different commands write: each between
/// `<!-- begin NAME -->` and `<!-- end NAME -->`, replaced in place or added at the end, so that
/// `sweep bench` and `sweep bench --search` each rewrite their own part of BENCHMARKS.md.
enum ReportSections {
    static func replacing(_ name: String, with content: String, in document: String) -> String {
        let begin = "<!-- begin \(name) -->", end = "<!-- end \(name) -->"
        let block = "\(begin)\n\(content.trimmingCharacters(in: .newlines))\n\(end)"
        if let start = document.range(of: begin), let stop = document.range(of: end, range: start.upperBound..<document.endIndex) {
            return document.replacingCharacters(in: start.lowerBound..<stop.upperBound, with: block)
        }
        let separator = document.isEmpty || document.hasSuffix("\n\n") ? "" : (document.hasSuffix("\n") ? "\n" : "\n\n")
        return document + separator + block + "\n"
    }

    /// The blocks of every section in `document`, to carry over when the rest is rewritten.
    static func sections(in document: String) -> [(name: String, content: String)] {
        var found: [(String, String)] = []
        var rest = document[...]
        while let begin = rest.range(of: "<!-- begin "), let close = rest.range(of: " -->", range: begin.upperBound..<rest.endIndex) {
            let name = String(rest[begin.upperBound..<close.lowerBound])
            guard let end = rest.range(of: "<!-- end \(name) -->", range: close.upperBound..<rest.endIndex) else { break }
            found.append((name, String(rest[close.upperBound..<end.lowerBound]).trimmingCharacters(in: .newlines)))
            rest = rest[end.upperBound...]
        }
        return found
    }

    /// Writes `content` as section `name` of the file at `path` (created if missing).
    static func write(_ name: String, _ content: String, toFile path: String) throws {
        let document = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        try replacing(name, with: content, in: document).write(toFile: path, atomically: true, encoding: .utf8)
    }
}
