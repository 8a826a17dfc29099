import ArgumentParser
import CKernels
import Foundation
import NeuralNet
import SweepKit

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training speed against PyTorch and JAX, how cost grows, and sweep throughput.",
        discussion: """
            Build with `swift build -c release` first: a debug build is many times slower. PyTorch and JAX run from tools/.venv (create it with tools/setup-python-env.sh); without it their columns are skipped. The trials run on the kernels SWEEP_KERNEL names (portable, avx2, avx512), else the widest this processor has; the report gives one core's measured peak for each, and the reference trial on each other one. Writes BENCHMARKS.md (see --output; --quick writes none unless --output is given) and prints a JSON copy.
            """)

    @Flag(help: "A short run that checks the command works (fewer epochs, no PyTorch/JAX, small sweep). Its figures are not worth keeping, so it writes a Markdown report only when --output is given.")
    var quick = false

    @Flag(help: "Time only the reference trial (and PyTorch and JAX when present), print it, and leave the Markdown report alone.")
    var referenceOnly = false

    @Option(help: "The phone-price CSV; the built-in data stands in when it is missing.")
    var data = "../shared/data/phone_price.csv"

    @Option(help: "The Python with torch and jax (from tools/setup-python-env.sh).")
    var python = "tools/.venv/bin/python"

    @Option(help: "Where to write the Markdown report (default: BENCHMARKS.md; with --quick, none).")
    var output: String?

    @Option(help: "Also write the JSON report to this file.")
    var json: String?

    @Flag(help: "Instead of speed: TPE against random search over several sweep seeds (its own section of the report).")
    var search = false

    @Flag(help: "Instead of speed: the epochs each pruner saves and what it costs in accuracy (its own section of the report).")
    var pruning = false

    @Option(help: "Sweep seeds for --search (default 10) and --pruning (default 5).")
    var seeds: Int?

    func validate() throws {
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1, got \(seeds)") }
        if search && pruning { throw ValidationError("--search and --pruning run separately; pass one of them") }
    }

    // For working on one shape: `--scaling width:1024,batch:1` times only those rows of the
    // scaling tables (with PyTorch and JAX when present), prints them and writes nothing.
    @Option(help: .hidden)
    var scaling: String?

    func run() async throws {
        if search || pruning {
            try await runSearchOrPruning()
            return
        }
        var report = BenchReport(quick: quick)
        let source = FileManager.default.fileExists(atPath: data) ? data : "builtin:phone-price?rows=1600"
        if source != data { Terminal.note("note: \(data) not found; using \(source)") }
        report.dataSource = source
        do {
            report.kernelPath = try KernelPath.checkedSelection()
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        report.processor = ProcessorInfo.read()
        Terminal.note("processor: \(report.processor.summary); kernels \(report.kernelPath.name)")
        report.peaks = KernelPath.supported.map { path in (path, measurePeak(path)) }
        for (path, flops) in report.peaks {
            Terminal.note("peak of one core, \(path.name): \(String(format: "%.1f", flops / 1e9)) GFLOP/s")
        }
        #if DEBUG
        Terminal.note("warning: this is a debug build; build with `swift build -c release` for meaningful figures")
        report.buildMode = "debug"
        #endif

        let split = try prepare(source)
        if let scaling {
            for item in scaling.split(separator: ",") {
                let parts = item.split(separator: ":")
                guard parts.count == 2, let value = Int(parts[1]), value > 0, ["width", "batch"].contains(parts[0]) else {
                    Terminal.error("--scaling takes width:N and batch:N items separated by commas, got '\(item)'")
                    throw ExitCode(2)
                }
                let row = try scalingRow(width: parts[0] == "width" ? value : nil, batch: parts[0] == "batch" ? value : nil, data: split)
                if parts[0] == "width" { report.widthRows.append(row) } else { report.batchRows.append(row) }
            }
            print(report.table())
            return
        }
        let reference = BenchShape(hidden: [128, 256], batch: 32, epochs: quick ? 5 : 50)
        Terminal.note("reference trial: 20 → 128 → 256 → 4, Adam, batch 32, \(reference.epochs) epochs on \(split.folds[0].train.rowCount) rows")
        report.reference = try measure(reference, data: split, repeats: quick ? 1 : 3)
        report.layerProducts = measureLayerProducts(path: report.kernelPath)
        report.adamStepSeconds = try measureAdamStep(path: report.kernelPath)
        report.weightUpdate = measureWeightUpdate(path: report.kernelPath)
        report.productRepeats = productRepeats
        let havePython = !quick && FileManager.default.isExecutableFile(atPath: python)
        if havePython {
            report.pytorch = runPython("tools/bench_torch.py", shape: reference, repeats: 3)
            report.jax = runPython("tools/bench_jax.py", shape: reference, repeats: 3)
        } else if !quick {
            Terminal.note("note: \(python) not found; PyTorch and JAX skipped (run tools/setup-python-env.sh)")
        }

        if referenceOnly {
            print(report.table())
            if let json { try? report.json().write(toFile: json, atomically: true, encoding: .utf8) }
            return
        }
        if !quick {
            for path in KernelPath.supported where path != report.kernelPath {
                Terminal.note("reference trial on the \(path.name) kernels (SWEEP_KERNEL=\(path.rawValue))…")
                if let seconds = referenceSeconds(forcing: path, source: source) { report.referenceByPath.append((path, seconds)) }
            }
        }

        for width in quick ? [32, 256] : [32, 64, 128, 256, 512, 1024] {
            report.widthRows.append(try scalingRow(width: width, batch: nil, data: split))
        }
        for batch in quick ? [8, 128] : [1, 8, 32, 128, 1280] {
            report.batchRows.append(try scalingRow(width: nil, batch: batch, data: split))
        }

        let trials = quick ? 8 : 40
        // The median of eleven runs by wall time. How long the last fits run alone varies from run
        // to run, and the fastest run would be the one where it happened to be shortest. The
        // three sweeps run in turn, round after round, so that a spell in which the machine runs
        // slower (its speed moves) slows each of them alike and the ratios between them hold.
        // Last in each round, the --jobs 2 sweep again with its results kept in memory: what
        // remains outside training without SQLite's writes, so that the report can tell storing
        // from the rest.
        let configurations = [(jobs: 1, inMemory: false), (jobs: 2, inMemory: false), (jobs: 2, inMemory: true)]
        var runs = Array(repeating: [SweepTiming](), count: configurations.count)
        let rounds = quick ? 1 : 11
        for round in 1...rounds {
            Terminal.note("\(trials)-trial sweeps with --jobs 1, --jobs 2 and --jobs 2 with results in memory, round \(round) of \(rounds)…")
            for (index, configuration) in configurations.enumerated() {
                runs[index].append(try runSweep(trials: trials, jobs: configuration.jobs, source: source, resultsInMemory: configuration.inMemory))
            }
        }
        for configurationRuns in runs {
            var median = configurationRuns.sorted { $0.wallSeconds < $1.wallSeconds }[configurationRuns.count / 2]
            // The range is of the runs that had the machine to themselves, when any did
            // (BenchReport.busyMachineNote).
            let quiet = configurationRuns.filter { ($0.othersShare ?? 0) < BenchReport.busyMachineShare }
            let shares = (quiet.isEmpty ? configurationRuns : quiet).map(\.outsideShare)
            median.outsideShareRange = shares.min()!...shares.max()!
            median.mostOthersShare = configurationRuns.compactMap(\.othersShare).max()
            median.busyRuns = configurationRuns.count - quiet.count
            report.sweeps.append(median)
        }

        let busyRuns = report.sweeps.map(\.busyRuns).reduce(0, +)
        if busyRuns > 0 {
            Terminal.note("note: other programs took \(Int(BenchReport.busyMachineShare * 100))% or more of the CPU during \(busyRuns) sweep run\(busyRuns == 1 ? "" : "s"); rerun on a quiet machine for figures of the sweep's own")
        }
        let markdown = report.markdown()
        print(report.table())
        let jsonText = report.json()
        print(jsonText)
        // A quick run's figures would overwrite the committed report with meaningless ones.
        let markdownPath = output ?? (quick ? nil : "BENCHMARKS.md")
        do {
            if let markdownPath {
                // The --search and --pruning sections stay as they were.
                var document = markdown
                for (name, content) in ReportSections.sections(in: (try? String(contentsOfFile: markdownPath, encoding: .utf8)) ?? "") {
                    document = ReportSections.replacing(name, with: content, in: document)
                }
                try document.write(toFile: markdownPath, atomically: true, encoding: .utf8)
            }
            if let json { try jsonText.write(toFile: json, atomically: true, encoding: .utf8) }
        } catch {
            Terminal.error("cannot write the report: \(error.localizedDescription)")
            throw ExitCode(1)
        }
        if let markdownPath { Terminal.note("wrote \(markdownPath)") }
    }

    /// `--search` or `--pruning`: sweeps in this process, their section of the report.
    private func runSearchOrPruning() async throws {
        let sources = ["builtin:phone-price"] + (FileManager.default.fileExists(atPath: data) ? [data] : [])
        if sources.count == 1 { Terminal.note("note: \(data) not found; only the built-in data is used") }
        let benchmark = SearchBenchmark(
            sources: sources, seeds: seeds ?? (quick ? 1 : (search ? 10 : 5)), jobs: ProcessInfo.processInfo.activeProcessorCount,
            quick: quick)
        let section: (name: String, text: String)
        if search {
            var results: [(source: String, runs: [SearchBenchmark.SearchRun])] = []
            for source in sources { results.append((source, try await benchmark.runSearch(source: source))) }
            section = ("search", benchmark.searchSection(results))
        } else {
            let source = sources.last!
            section = ("pruning", benchmark.pruningSection(try await benchmark.runPruning(source: source), source: source))
        }
        print(section.text)
        guard let path = output ?? (quick ? nil : "BENCHMARKS.md") else { return }
        do {
            try ReportSections.write(section.name, section.text, toFile: path)
        } catch {
            Terminal.error("cannot write the report: \(error.localizedDescription)")
            throw ExitCode(1)
        }
        Terminal.note("wrote the \(section.name) section of \(path)")
    }

    /// The best of 25 runs of `sweep_peak_flops` (3 to 6 ms each), after 0.1 s of the same work to
    /// bring the core to speed: a run that shared its core with another program measures less,
    /// never more, and short runs are more often undisturbed.
    private func measurePeak(_ path: KernelPath) -> Double {
        let warmUp = DispatchTime.now().uptimeNanoseconds
        while DispatchTime.now().uptimeNanoseconds - warmUp < 100_000_000 { _ = sweep_peak_flops(path.kernel, 100_000) }
        return (0..<(quick ? 5 : 25)).map { _ in sweep_peak_flops(path.kernel, 2_000_000) }.max() ?? 0
    }

    /// The reference network's 128 → 256 layer's three products, each called as the trial calls
    /// it (batch 32, ReLU fused into the forward product and into ∂x) and timed on its own, with
    /// its operands in cache: the fastest of 300 runs of 20 calls.
    private func measureLayerProducts(path: KernelPath) -> [ProductTiming] {
        let rows = 32, inputs = 128, outputs = 256
        var generator = SplitMix64(seed: 9)
        func random(_ rows: Int, _ columns: Int) -> Matrix {
            let matrix = Matrix(rows: rows, columns: columns)
            for index in 0..<matrix.count { matrix.pointer[index] = Float(generator.nextUnitDouble() * 2 - 1) }
            return matrix
        }
        let workspace = GemmWorkspace(kernelPath: path)
        let x = random(rows, inputs), weight = random(outputs, inputs), bias = random(1, outputs)
        let h = Matrix(rows: rows, columns: outputs), dz = random(rows, outputs)
        let dW = Matrix(rows: outputs, columns: inputs), dx = Matrix(rows: rows, columns: inputs)
        let gate = random(rows, inputs)
        let flops = Double(2 * rows * inputs * outputs)
        let repeats = productRepeats
        return [
            ProductTiming(name: "forward h = relu(x·Wᵀ + b)", shape: "32×128 · (256×128)ᵀ", flops: flops, seconds: fastest(repeats: repeats) {
                workspace.multiply(x, byTransposed: weight, bias: bias, intoLeakyReLU: h, slope: 0)
            }),
            ProductTiming(name: "∂W = ∂zᵀ·x", shape: "(32×256)ᵀ · 32×128", flops: flops, seconds: fastest(repeats: repeats) {
                workspace.multiply(dz, transposingFirst: true, by: x, into: dW)
            }),
            ProductTiming(name: "∂x = ∂z·W through the ReLU below", shape: "32×256 · 256×128", flops: flops, seconds: fastest(repeats: repeats) {
                workspace.multiply(dz, by: weight, into: dx, throughLeakyReLUWhere: gate, slope: 0)
            }),
        ]
    }

    /// One Adam step over the reference network's 36,740 parameters (its weights, gradients and
    /// both moments: 588 KB), timed on its own as the products are.
    private func measureAdamStep(path: KernelPath) throws -> Double {
        let description = NetworkDescription(
            inputWidth: 20, hiddenWidths: [128, 256], outputWidth: 4, activation: .relu, initializer: .kaimingNormal)
        let network = try Network(description, seed: 1, kernelPath: path)
        var generator = SplitMix64(seed: 2)
        // Gradients of the size training sees; zeros would let the moments decay into subnormals.
        for parameter in network.parameters() {
            for index in 0..<parameter.count {
                parameter.gradient.pointer[index] = Float(generator.nextUnitDouble() * 2 - 1) * 1e-2
            }
        }
        let adam = Adam(parameters: network.parameters(), learningRate: 1e-3, kernelPath: path)
        return fastest(repeats: productRepeats) { adam.step() }
    }

    /// The 128 → 256 layer's ∂W and Adam's step on its 32,768 weights in one pass, as the trial
    /// runs them (`Adam.updateWeight`), and Adam's step on those weights alone, each timed as the
    /// products are.
    private func measureWeightUpdate(path: KernelPath) -> WeightUpdateTiming {
        let rows = 32, inputs = 128, outputs = 256
        var generator = SplitMix64(seed: 10)
        func random(_ rows: Int, _ columns: Int, scale: Float = 1) -> Matrix {
            let matrix = Matrix(rows: rows, columns: columns)
            for index in 0..<matrix.count { matrix.pointer[index] = Float(generator.nextUnitDouble() * 2 - 1) * scale }
            return matrix
        }
        let weight = Parameter(name: "weight", shape: [outputs, inputs])
        for index in 0..<weight.count { weight.value.pointer[index] = Float(generator.nextUnitDouble() * 2 - 1) * 0.1 }
        // ∂z of the size training sees, so that the moments stay clear of subnormals.
        let dz = random(rows, outputs, scale: 1e-2), x = random(rows, inputs)
        let workspace = GemmWorkspace(kernelPath: path)
        let adam = Adam(parameters: [weight], learningRate: 1e-3, kernelPath: path)
        let fused = fastest(repeats: productRepeats) {
            adam.beginStep()
            _ = adam.updateWeight(weight, outputGradient: dz, input: x, workspace: workspace)
            adam.finishStep()
        }
        return WeightUpdateTiming(fusedSeconds: fused, adamAloneSeconds: fastest(repeats: productRepeats) { adam.step() })
    }

    /// Runs of 20 calls that `measureLayerProducts` and `measureAdamStep` keep the fastest of.
    var productRepeats: Int { quick ? 20 : 300 }

    /// Seconds per call of `body`: the fastest of `repeats` runs of 20 calls, after 20 to warm up.
    private func fastest(repeats: Int, _ body: () -> Void) -> Double {
        for _ in 0..<20 { body() }
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<20 { body() }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 20e9)
        }
        return best
    }

    /// A row of the scaling tables: two hidden layers of `width` at batch 32, or the reference
    /// network at `batch`; PyTorch and JAX too when tools/.venv is there.
    private func scalingRow(width: Int?, batch: Int?, data: PreparedData) throws -> BenchRow {
        let shape = width.map { BenchShape(hidden: [$0, $0], batch: 32, epochs: scaledEpochs(width: $0)) }
            ?? BenchShape(hidden: [128, 256], batch: batch ?? 32, epochs: scaledEpochs(batch: batch ?? 32))
        let label = width.map { "width \($0)" } ?? "batch \(shape.batch)"
        Terminal.note("\(label)…")
        var row = BenchRow(label: label, shape: shape, project: try measure(shape, data: data, repeats: quick ? 1 : 2))
        if !quick && FileManager.default.isExecutableFile(atPath: python) {
            row.pytorch = runPython("tools/bench_torch.py", shape: shape, repeats: 2)
            row.jax = runPython("tools/bench_jax.py", shape: shape, repeats: 2)
        }
        return row
    }

    private func scaledEpochs(width: Int) -> Int {
        if quick { return 1 }
        switch width {
        case ...64: return 20
        case ...128: return 10
        case ...256: return 5
        case ...512: return 2
        default: return 1
        }
    }

    private func scaledEpochs(batch: Int) -> Int {
        if quick { return 1 }
        switch batch {
        case ...1: return 1
        case ...8: return 5
        case ...32: return 10
        case ...128: return 20
        default: return 50
        }
    }

    private func prepare(_ source: String) throws -> PreparedData {
        var configuration = DataConfiguration()
        configuration.source = source
        configuration.testFraction = 0.2
        configuration.validationFraction = 0
        configuration.splitSeed = 88
        do {
            return try PreparedData.load(configuration)
        } catch {
            Terminal.error("data: \(error.description)")
            throw ExitCode(2)
        }
    }

    /// Trains `shape` with the project's trainer and keeps the fastest of `repeats` runs.
    private func measure(_ shape: BenchShape, data: PreparedData, repeats: Int) throws -> Timing {
        var configuration = TrainingConfiguration()
        configuration.data = data.configuration
        configuration.hiddenLayers = shape.hidden
        configuration.activation = .relu
        configuration.initializer = .kaimingNormal
        configuration.optimizer = OptimizerConfiguration(kind: .adam, learningRate: 1e-3)
        configuration.batchSize = shape.batch
        configuration.epochs = shape.epochs
        var best = Double.infinity
        var accuracy: Double?
        for _ in 0..<repeats {
            let result = try Trainer(configuration: configuration, data: data).run()
            // The epochs only, as the PyTorch and JAX scripts time them: building and initialising
            // the network (a million normal draws at width 1024) and the final test are not timed.
            best = min(best, result.epochs.reduce(0) { $0 + $1.seconds })
            accuracy = result.test?.accuracy
        }
        let rows = data.folds[0].train.rowCount
        return Timing(seconds: best, steps: shape.steps(rows: rows), samples: rows * shape.epochs, flops: shape.flops(rows: rows), testAccuracy: accuracy)
    }

    /// The reference trial's seconds with SWEEP_KERNEL=`path`, from `sweep bench --reference-only`
    /// in a child process (the kernel path is the process's); nil (with a note) when it fails.
    private func referenceSeconds(forcing path: KernelPath, source: String) -> Double? {
        let jsonPath = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-bench-\(getpid())-\(path.rawValue).json").path
        defer { unlink(jsonPath) }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard let result = try? runProcess(
                executable, ["bench", "--reference-only", "--data", source, "--python", "/nonexistent", "--json", jsonPath],
                environment: ["SWEEP_KERNEL": path.rawValue]),
            result.status == 0, let contents = FileManager.default.contents(atPath: jsonPath),
            let object = try? JSONSerialization.jsonObject(with: contents) as? [String: Any],
            let reference = object["reference"] as? [String: Any], let seconds = reference["seconds"] as? Double
        else {
            Terminal.note("note: the reference trial on the \(path.name) kernels failed; skipped")
            return nil
        }
        return seconds
    }

    /// Runs a tools/ reference script; nil (with a note) when it fails.
    private func runPython(_ script: String, shape: BenchShape, repeats: Int) -> Timing? {
        let arguments = [
            script, "--data", data, "--hidden", shape.hidden.map(String.init).joined(separator: ","),
            "--batch", String(shape.batch), "--epochs", String(shape.epochs), "--repeats", String(repeats),
        ]
        guard let result = try? runProcess(python, arguments), result.status == 0,
            let line = result.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let seconds = object["seconds"] as? Double, let steps = object["steps"] as? Int
        else {
            Terminal.note("note: \(script) failed for \(shape.hidden) batch \(shape.batch); skipped")
            return nil
        }
        let rows = 1280
        return Timing(
            seconds: seconds, steps: steps, samples: rows * shape.epochs, flops: shape.flops(rows: rows),
            testAccuracy: object["test_accuracy"] as? Double, version: object["version"] as? String)
    }

    /// Runs a sweep in a child process so that its peak memory is its own.
    private func runSweep(trials: Int, jobs: Int, source: String, resultsInMemory: Bool) throws -> SweepTiming {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-bench-\(getpid())-\(jobs)")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The default sweep's search space (sweeps/phone-price.json), sampled at random: trials of
        // the size users run, each 4-fold cross-validated and refitted.
        let spec = """
            {"name": "bench", "data": {"source": "\(source)", "folds": 4, "split_seed": 88},
             "method": "random", "trials": \(trials), "seed": 3,
             "fixed": {"hidden_layers": [32], "activation": "tanh", "batch_size": 64, "epochs": \(quick ? 5 : 40)},
             "parameters": {
               "optimizer": {"values": [{"name": "sgd", "lr": 0.1}, {"name": "momentum", "lr": 0.02},
                 {"name": "adagrad", "lr": 0.05}, {"name": "rmsprop", "lr": 0.002}, {"name": "adam", "lr": 0.005}]},
               "schedule": {"values": ["none", {"name": "step", "step_size": 10, "gamma": 0.5},
                 {"name": "multistep", "milestones": [20, 30], "gamma": 0.3}, {"name": "exponential", "gamma": 0.95}]},
               "initializer": {"values": ["kaiming_normal", "xavier_normal"]},
               "dropout": {"values": [0, 0.2]},
               "batch_norm": {"values": [false, true]}}}
            """
        let specPath = directory.appendingPathComponent("spec.json").path
        let statsPath = directory.appendingPathComponent("stats.json").path
        try spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let stealBefore = MachineCPU.stolenSeconds()
        let busyBefore = MachineCPU.busySeconds()
        let started = DispatchTime.now().uptimeNanoseconds
        let result = try runProcess(executable, [
            "run", specPath, "--db", directory.appendingPathComponent("bench.sqlite").path,
            "--jobs", String(jobs), "--quiet", "--stats-json", statsPath,
        ] + (resultsInMemory ? ["--results-in-memory"] : []))
        let processSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let steal = stealBefore.flatMap { before in MachineCPU.stolenSeconds().map { max(0, $0 - before) } }
        let others = busyBefore.flatMap { before in
            MachineCPU.busySeconds().map { MachineCPU.othersShare(busy: $0 - before, child: result.cpuSeconds, seconds: processSeconds) }
        }
        guard result.status == 0, let stats = FileManager.default.contents(atPath: statsPath),
            let object = try? JSONSerialization.jsonObject(with: stats) as? [String: Any],
            let wall = object["wall_seconds"] as? Double, let training = object["training_seconds"] as? Double,
            let trainingCPU = object["training_cpu_seconds"] as? Double,
            let workers = object["worker_seconds"] as? Double, let window = object["worker_window_seconds"] as? Double,
            let sharedFits = object["shared_fits"] as? Int
        else {
            Terminal.error("the benchmark sweep failed:\n\(result.output)")
            throw ExitCode(1)
        }
        return SweepTiming(
            jobs: jobs, resultsInMemory: resultsInMemory, trials: trials, wallSeconds: wall, trainingSeconds: training, trainingCPUSeconds: trainingCPU,
            workerSeconds: workers, workerWindowSeconds: window, sharedFits: sharedFits,
            peakMegabytes: Double(result.peakKilobytes) / 1024, stolenSeconds: steal, othersShare: others)
    }
}

/// The machine's CPU time as /proc/stat counts it, to tell what other programs took while a
/// benchmark ran: a sweep on 2 cores measured while a compiler ran beside it spent half its
/// capacity "outside training".
enum MachineCPU {
    /// The machine's line of /proc/stat, summed over its CPUs: user, nice, system, idle, iowait,
    /// irq, softirq, steal, …, in ticks of 1/100 s. Nil where there is no such file.
    private static func ticks() -> [Double]? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        return ticks.count >= 8 ? ticks : nil
    }

    /// Seconds the machine's CPUs have been busy since boot: the user, nice, system, irq and
    /// softirq columns (not idle, I/O wait or the hypervisor's steal).
    static func busySeconds() -> Double? {
        ticks().map { ($0[0] + $0[1] + $0[2] + $0[5] + $0[6]) / 100 }
    }

    /// Seconds the hypervisor has taken from the machine's virtual CPUs since boot (steal).
    static func stolenSeconds() -> Double? { ticks().map { $0[7] / 100 } }

    /// The share of the machine's CPU capacity over `seconds` that was busy with something other
    /// than a child that ran `child` CPU seconds in that time, given `busy` seconds of the
    /// machine's: other programs, and the kernel's own threads (never below 0).
    static func othersShare(busy: Double, child: Double, seconds: Double) -> Double {
        let capacity = seconds * Double(ProcessInfo.processInfo.activeProcessorCount)
        return capacity > 0 ? max(0, busy - child) / capacity : 0
    }
}

/// Runs a program, capturing its output, and reports its peak resident memory and the CPU time
/// it used (user and system). `environment` adds to (or replaces in) this process's environment.
func runProcess(
    _ path: String, _ arguments: [String], environment: [String: String] = [:]
) throws -> (status: Int32, output: String, peakKilobytes: Int, cpuSeconds: Double) {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-bench-output-\(getpid())").path
    defer { unlink(outputPath) }
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var variables = ProcessInfo.processInfo.environment
    variables.merge(environment) { _, new in new }
    let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { envp.forEach { free($0) } }
    var child: pid_t = 0
    let spawned = posix_spawnp(&child, path, &actions, nil, argv, envp)
    guard spawned == 0 else {
        throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOENT)
    }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(child, &status, 0, &usage) < 0 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return (exitStatus, output, Int(usage.ru_maxrss), seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// The processor as /proc/cpuinfo names it, and the instruction sets the kernels care about.
struct ProcessorInfo {
    var modelName = "unknown processor"
    var vendor = ""
    var family: Int?
    var model: Int?
    var stepping: Int?
    /// The flags of the kernel paths (KernelPath), those this processor has.
    var flags: [String] = []

    static let relevantFlags = ["fma", "avx2", "avx512f", "avx512vl", "avx512bw", "avx512dq"]

    /// The first processor's entry of /proc/cpuinfo; the unknown processor where there is none.
    static func read() -> ProcessorInfo {
        var info = ProcessorInfo()
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return info }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { if !fields.isEmpty { break } else { continue } }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            fields[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        info.modelName = fields["model name"] ?? info.modelName
        info.vendor = fields["vendor_id"] ?? ""
        info.family = fields["cpu family"].flatMap { Int($0) }
        info.model = fields["model"].flatMap { Int($0) }
        info.stepping = fields["stepping"].flatMap { Int($0) }
        let present = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
        info.flags = relevantFlags.filter(present.contains)
        return info
    }

    /// AMD's families name their core generation (Family 17h is Zen to Zen 2, 19h Zen 3 and 4,
    /// 1Ah Zen 5); Intel's do not, so none is given. Of family 19h only Zen 4 has AVX-512.
    var generation: String? {
        guard vendor == "AuthenticAMD", let family else { return nil }
        switch family {
        case 0x17: return "Zen, Zen+ or Zen 2"
        case 0x19: return flags.contains("avx512f") ? "Zen 4" : "Zen 3, or Zen 4 with AVX-512 hidden"
        case 0x1A: return "Zen 5"
        default: return nil
        }
    }

    /// "AMD EPYC (AuthenticAMD family 26 model 2 stepping 1, Zen 5; fma avx2 avx512f …)".
    var summary: String {
        var identity = [vendor, family.map { "family \($0)" }, model.map { "model \($0)" }, stepping.map { "stepping \($0)" }]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        if let generation { identity += identity.isEmpty ? generation : ", \(generation)" }
        let flagText = flags.isEmpty ? "none of fma, avx2, avx512f" : flags.joined(separator: " ")
        return "\(modelName) (\(identity.isEmpty ? "" : identity + "; ")\(flagText))"
    }
}

/// One matrix product timed on its own (`BenchCommand.measureLayerProducts`).
struct ProductTiming {
    var name: String
    var shape: String
    var flops: Double
    var seconds: Double

    var gigaflops: Double { flops / seconds / 1e9 }
}

/// The reference layer's ∂W and Adam's step on its weights in one pass, and that step alone.
struct WeightUpdateTiming {
    var fusedSeconds: Double
    var adamAloneSeconds: Double
}

struct BenchShape {
    var hidden: [Int]
    var batch: Int
    var epochs: Int

    var widths: [Int] { [20] + hidden + [4] }

    func steps(rows: Int) -> Int { (rows + batch - 1) / batch * epochs }

    /// 2·in·out per sample per Linear forward, three times that with backward.
    func flops(rows: Int) -> Double {
        let perSample = zip(widths, widths.dropFirst()).reduce(0) { $0 + 2 * $1.0 * $1.1 }
        return Double(3 * perSample) * Double(rows * epochs)
    }
}

struct Timing {
    var seconds: Double
    var steps: Int
    var samples: Int
    var flops: Double
    var testAccuracy: Double?
    var version: String?

    var stepMicroseconds: Double { seconds / Double(steps) * 1e6 }
    var samplesPerSecond: Double { Double(samples) / seconds }
    var gigaflops: Double { flops / seconds / 1e9 }
}

struct BenchRow {
    var label: String
    var shape: BenchShape
    var project: Timing
    var pytorch: Timing?
    var jax: Timing?
}

struct SweepTiming {
    var jobs: Int
    /// Results kept in memory (`sweep run --results-in-memory`) instead of written to SQLite.
    var resultsInMemory = false
    var trials: Int
    var wallSeconds: Double
    /// Fits' training, by the clock (`SweepRunSummary.trainingSeconds`).
    var trainingSeconds: Double
    /// The CPU time the training threads ran in those fits (`SweepRunSummary.trainingCPUSeconds`).
    var trainingCPUSeconds: Double
    /// Seconds the workers ran, summed over workers (`SweepRunSummary.workerSeconds`).
    var workerSeconds: Double
    /// First worker start to last worker end (`SweepRunSummary.workerWindowSeconds`).
    var workerWindowSeconds: Double
    /// Fits trained by a worker other than the one that started their trial.
    var sharedFits: Int
    var peakMegabytes: Double
    /// Seconds the hypervisor took from the machine's CPUs during the run (all of them, to
    /// 1/100 s), or nil where unknown.
    var stolenSeconds: Double?
    /// The share of the machine's CPU that other programs (and the kernel) took while the sweep
    /// ran (`MachineCPU.othersShare`), to 1/100 s; nil where unknown.
    var othersShare: Double?
    /// The lowest and highest `outsideShare` of the runs this one is the median of.
    var outsideShareRange: ClosedRange<Double>?
    /// Of the runs this one is the median of: how many shared the machine with other programs
    /// (`BenchReport.busyMachineShare` of its CPU or more), and the most any run's took.
    var busyRuns = 0
    var mostOthersShare: Double?

    var trialsPerMinute: Double { Double(trials) / wallSeconds * 60 }
    /// The capacity of the run: every worker for the whole wall time.
    var workerCapacity: Double { wallSeconds * Double(jobs) }
    /// Worker capacity not spent training: the four shares below together. Training is counted
    /// as the training threads' CPU time, so a fit's thread waiting for its core counts outside.
    var outsideShare: Double { max(0, 1 - trainingCPUSeconds / workerCapacity) }
    /// `outsideShare` with training counted by the clock, as this report did before: the CPU
    /// other threads take from a running fit then counts as training.
    var outsideShareByClock: Double { max(0, 1 - trainingSeconds / workerCapacity) }
    /// Time within fits when their thread was ready but another had its core: with a core per
    /// job, storing results (the results actor runs on Swift's shared threads), other programs
    /// or the hypervisor.
    var displacedShare: Double { max(0, trainingSeconds - trainingCPUSeconds) / workerCapacity }
    /// Workers between fits: handing out plans, handing results to the results actor, progress.
    var betweenFitsShare: Double { max(0, workerSeconds - trainingSeconds) / workerCapacity }
    /// Workers that ran out of fits to train, idle while the last ones finish.
    var idleAtEndShare: Double { max(0, workerWindowSeconds * Double(jobs) - workerSeconds) / workerCapacity }
    /// Before the first worker starts (creating the sweep and its pending trials) and after the
    /// last one ends (the final status and reading the results back).
    var setUpShare: Double { max(0, wallSeconds - workerWindowSeconds) * Double(jobs) / workerCapacity }
}
