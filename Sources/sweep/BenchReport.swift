import Foundation
import NeuralNet

/// The figures `sweep bench` measured, as a terminal table, JSON and BENCHMARKS.md.
struct BenchReport {
    var quick: Bool
    var dataSource = ""
    /// The kernels the trials ran on (`KernelPath.selected`).
    var kernelPath = KernelPath.portable
    var processor = ProcessorInfo()
    /// One core's measured peak in FLOP/s for each kernel path the processor runs, narrowest first.
    var peaks: [(path: KernelPath, flops: Double)] = []
    var buildMode = "release"
    var reference: Timing?
    /// The reference trial's seconds on the other kernel paths (child processes with SWEEP_KERNEL).
    var referenceByPath: [(path: KernelPath, seconds: Double)] = []
    /// The 128 → 256 layer's three products, each timed on its own.
    var layerProducts: [ProductTiming] = []
    /// One Adam step over the reference network's parameters, timed on its own.
    var adamStepSeconds: Double?
    /// The 128 → 256 layer's ∂W with Adam's step on its weights in one pass, as the trial runs
    /// them, and that step on its own.
    var weightUpdate: WeightUpdateTiming?
    /// The runs of 20 calls the products and Adam's step are the fastest of.
    var productRepeats = 0
    var pytorch: Timing?
    var jax: Timing?
    var widthRows: [BenchRow] = []
    var batchRows: [BenchRow] = []
    var sweeps: [SweepTiming] = []
    let date = Date()

    var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// The measured peak of the kernels in use, in FLOP/s.
    private var kernelPeak: Double? { peaks.first { $0.path == kernelPath }?.flops }

    /// The measured peak of the widest kernels the processor runs, and which they are.
    private var widestPeak: (path: KernelPath, flops: Double)? { peaks.last }

    /// `gigaflops` as a share of the kernels' peak, and of the widest peak.
    private func shareOfKernelPeak(_ gigaflops: Double) -> Double? { kernelPeak.map { gigaflops * 1e9 / $0 } }
    private func shareOfWidestPeak(_ gigaflops: Double) -> Double? { widestPeak.map { gigaflops * 1e9 / $0.flops } }

    private func percent(_ share: Double?) -> String { share.map { fixed($0 * 100, 0) + "%" } ?? "-" }

    /// The scaling rows and their JAX ratios, the slowest against JAX first.
    private var rowsAgainstJAX: [(row: BenchRow, ratio: Double)] {
        (widthRows + batchRows).compactMap { row in ratio(row.project, row.jax).map { (row, $0) } }.sorted { $0.ratio > $1.ratio }
    }

    private func fixed(_ value: Double?, _ digits: Int = 2) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    private func ratio(_ project: Timing?, _ other: Timing?) -> Double? {
        guard let project, let other else { return nil }
        return project.seconds / other.seconds
    }

    /// The sweep timed with `jobs` workers writing to SQLite, as users run it.
    private func stored(jobs: Int) -> SweepTiming? {
        sweeps.first { $0.jobs == jobs && !$0.resultsInMemory }
    }

    /// The --jobs 2 sweep timed with its results kept in memory.
    private var inMemory: SweepTiming? { sweeps.first { $0.resultsInMemory } }

    private var speedUp: Double? {
        guard let one = stored(jobs: 1), let two = stored(jobs: 2) else { return nil }
        return two.trialsPerMinute / one.trialsPerMinute
    }

    func table() -> String {
        var lines: [String] = []
        lines.append("processor: \(processor.summary); kernels \(kernelPath.name)")
        if !peaks.isEmpty {
            lines.append("peak of one core: " + peaks.map { "\($0.path.name) \(fixed($0.flops / 1e9, 1)) GFLOP/s" }.joined(separator: ", "))
        }
        if let reference {
            lines.append("reference trial (20→128→256→4, Adam, batch 32, \(reference.steps) steps):")
            lines.append("  project  \(fixed(reference.seconds, 3)) s  \(fixed(reference.samplesPerSecond, 0)) samples/s  \(fixed(reference.gigaflops, 1)) GFLOP/s (\(percent(shareOfKernelPeak(reference.gigaflops))) of the \(kernelPath.name) peak)  test accuracy \(fixed(reference.testAccuracy, 4))")
            for (path, seconds) in referenceByPath {
                lines.append("  project on the \(path.name) kernels  \(fixed(seconds, 3)) s")
            }
            if let pytorch { lines.append("  PyTorch  \(fixed(pytorch.seconds, 3)) s  ratio project/PyTorch \(fixed(ratio(reference, pytorch), 3))") }
            if let jax { lines.append("  JAX      \(fixed(jax.seconds, 3)) s  ratio project/JAX \(fixed(ratio(reference, jax), 3))") }
        }
        for product in layerProducts {
            lines.append("  128→256 \(product.name): \(fixed(product.seconds * 1e6, 2)) µs, \(fixed(product.gigaflops, 1)) GFLOP/s, \(percent(shareOfWidestPeak(product.gigaflops))) of the \(widestPeak?.path.name ?? "") peak")
        }
        if let adamStepSeconds { lines.append("  Adam step over 36,740 parameters: \(fixed(adamStepSeconds * 1e6, 2)) µs") }
        if let weightUpdate {
            lines.append("  128→256 ∂W with Adam's step on its 32,768 weights, one pass: \(fixed(weightUpdate.fusedSeconds * 1e6, 2)) µs (Adam's step on them alone: \(fixed(weightUpdate.adamAloneSeconds * 1e6, 2)) µs)")
        }
        if !(widthRows + batchRows).isEmpty {
            lines.append("scaling (step time µs, GFLOP/s; ratios project/PyTorch, project/JAX):")
        }
        for row in widthRows + batchRows {
            lines.append("  \(row.label.padding(toLength: 11, withPad: " ", startingAt: 0)) \(fixed(row.project.stepMicroseconds, 1)) µs  \(fixed(row.project.gigaflops, 1)) GFLOP/s  \(fixed(ratio(row.project, row.pytorch), 3))  \(fixed(ratio(row.project, row.jax), 3))")
        }
        for sweep in sweeps {
            lines.append("sweep --jobs \(sweep.jobs)\(sweep.resultsInMemory ? " (results in memory)" : ""): \(sweep.trials) trials in \(fixed(sweep.wallSeconds)) s, \(fixed(sweep.trialsPerMinute, 1)) trials/min, outside training \(fixed(sweep.outsideShare * 100, 1))% (displaced within fits \(fixed(sweep.displacedShare * 100, 1))%, between fits \(fixed(sweep.betweenFitsShare * 100, 1))%, idle at the end \(fixed(sweep.idleAtEndShare * 100, 1))%, set-up and wrap-up \(fixed(sweep.setUpShare * 100, 1))%), \(sweep.sharedFits) shared fits, peak \(fixed(sweep.peakMegabytes, 1)) MB")
        }
        if let speedUp { lines.append("speed-up --jobs 2 / --jobs 1: \(fixed(speedUp))×") }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        func timing(_ value: Timing?) -> Any {
            guard let value else { return NSNull() }
            var object: [String: Any] = [
                "seconds": value.seconds, "steps": value.steps, "step_microseconds": value.stepMicroseconds,
                "samples_per_second": value.samplesPerSecond, "gflops": value.gigaflops,
            ]
            if let accuracy = value.testAccuracy { object["test_accuracy"] = accuracy }
            if let version = value.version { object["version"] = version }
            return object
        }
        func rows(_ rows: [BenchRow]) -> [Any] {
            rows.map { row in
                [
                    "label": row.label, "hidden": row.shape.hidden, "batch": row.shape.batch, "epochs": row.shape.epochs,
                    "project": timing(row.project), "pytorch": timing(row.pytorch), "jax": timing(row.jax),
                    "ratio_pytorch": ratio(row.project, row.pytorch) ?? NSNull(), "ratio_jax": ratio(row.project, row.jax) ?? NSNull(),
                ] as [String: Any]
            }
        }
        let object: [String: Any] = [
            "date": ISO8601DateFormatter().string(from: date), "cores": cores, "kernel": kernelPath.name,
            "cpu": [
                "model_name": processor.modelName, "vendor": processor.vendor, "family": processor.family ?? NSNull(),
                "model": processor.model ?? NSNull(), "stepping": processor.stepping ?? NSNull(), "flags": processor.flags,
            ] as [String: Any],
            "peak_gflops": Dictionary(uniqueKeysWithValues: peaks.map { ($0.path.name, $0.flops / 1e9) }),
            "reference_seconds_by_kernel": Dictionary(uniqueKeysWithValues: referenceByPath.map { ($0.path.name, $0.seconds) }),
            "layer_products": layerProducts.map { product in
                ["name": product.name, "shape": product.shape, "microseconds": product.seconds * 1e6, "gflops": product.gigaflops] as [String: Any]
            },
            "adam_step_microseconds": adamStepSeconds.map { $0 * 1e6 } ?? NSNull(),
            "weight_gradient_with_adam_microseconds": weightUpdate.map { $0.fusedSeconds * 1e6 } ?? NSNull(),
            "adam_step_on_that_weight_microseconds": weightUpdate.map { $0.adamAloneSeconds * 1e6 } ?? NSNull(),
            "build": buildMode, "quick": quick, "data": dataSource,
            "reference": timing(reference), "pytorch": timing(pytorch), "jax": timing(jax),
            "ratio_pytorch": ratio(reference, pytorch) ?? NSNull(), "ratio_jax": ratio(reference, jax) ?? NSNull(),
            "width_scaling": rows(widthRows), "batch_scaling": rows(batchRows),
            "sweeps": sweeps.map { sweep in
                [
                    "jobs": sweep.jobs, "results_in_memory": sweep.resultsInMemory, "trials": sweep.trials, "wall_seconds": sweep.wallSeconds,
                    "training_seconds": sweep.trainingSeconds, "training_cpu_seconds": sweep.trainingCPUSeconds,
                    "trials_per_minute": sweep.trialsPerMinute, "outside_training_share": sweep.outsideShare,
                    "displaced_share": sweep.displacedShare, "between_fits_share": sweep.betweenFitsShare,
                    "stolen_seconds": sweep.stolenSeconds ?? NSNull(),
                    "others_share": sweep.othersShare ?? NSNull(), "busy_runs": sweep.busyRuns,
                    "outside_training_share_range": sweep.outsideShareRange.map { [$0.lowerBound, $0.upperBound] } ?? NSNull(),
                    "idle_at_end_share": sweep.idleAtEndShare, "set_up_share": sweep.setUpShare,
                    "shared_fits": sweep.sharedFits, "peak_megabytes": sweep.peakMegabytes,
                ] as [String: Any]
            },
            "speed_up": speedUp ?? NSNull(),
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    func markdown() -> String {
        let day = ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let selection = kernelPath == widestPeak?.path ? "the widest this processor runs" : "forced by SWEEP_KERNEL"
        var text = """
            # Benchmarks

            Measured by `sweep bench`\(quick ? " --quick (short run: figures are indicative only)" : "") on \(day).
            Machine: \(processor.summary), \(cores) cores.
            Kernels: `\(kernelPath.name)` (\(selection)); \(buildMode) build; one thread per trial.
            Data: \(dataSource) (80/20 stratified split, seed 88, standardised; 1280 training rows).

            ## The core's peak

            One core's floating-point peak for each kernel path this processor runs, measured: independent
            multiply-add chains, enough to cover the instruction's latency, the best of 25 runs. The
            shares of peak below are of these figures.

            | kernels | instructions | GFLOP/s |
            | --- | --- | --- |

            """
        for (path, flops) in peaks.reversed() {
            let instructions: String
            switch path {
            case .avx512: instructions = "24 chains of FMAs on 16 floats (zmm)"
            case .avx2: instructions = "12 chains of FMAs on 8 floats (ymm)"
            case .portable: instructions = "12 chains of SSE2 multiply then add on 4 floats (baseline x86-64)"
            }
            text += "| \(path.name)\(path == kernelPath ? " (in use)" : "") | \(instructions) | \(fixed(flops / 1e9, 1)) |\n"
        }
        text += narrowAVX512Note
        let widestName = widestPeak?.path.name ?? "widest"
        text += """

            ## Reference trial

            20 → 128 → 256 → 4, ReLU, kaiming normal, Adam lr 1e-3, batch 32, 50 epochs = 2000 optimizer steps.
            FLOPs count 2·in·out per sample per Linear forward, three times that with backward.
            Seconds are the training epochs alone in every engine: building and initialising the network,
            JAX's compilation and the final test evaluation are not timed. The share of peak is of the
            \(widestName) peak, the widest this processor has.

            | engine | seconds | samples/s | GFLOP/s | share of peak | test accuracy | project / engine |
            | --- | --- | --- | --- | --- | --- | --- |

            """
        if let reference {
            text += "| sweep (\(kernelPath.name)) | \(fixed(reference.seconds, 3)) | \(fixed(reference.samplesPerSecond, 0)) | \(fixed(reference.gigaflops, 1)) | \(percent(shareOfWidestPeak(reference.gigaflops))) | \(fixed(reference.testAccuracy, 4)) | 1 |\n"
            for (path, seconds) in referenceByPath {
                let timing = Timing(seconds: seconds, steps: reference.steps, samples: reference.samples, flops: reference.flops)
                text += "| sweep (\(path.name), SWEEP_KERNEL=\(path.rawValue)) | \(fixed(seconds, 3)) | \(fixed(timing.samplesPerSecond, 0)) | \(fixed(timing.gigaflops, 1)) | \(percent(shareOfWidestPeak(timing.gigaflops))) | | \(fixed(reference.seconds / seconds, 3)) |\n"
            }
        }
        let pytorchName = ["PyTorch", pytorch?.version, "eager, 1 thread"].compactMap { $0 }.joined(separator: " ")
        let jaxName = ["JAX", jax?.version, "jit + scan, 1 thread"].compactMap { $0 }.joined(separator: " ")
        for (name, timing) in [(pytorchName, pytorch), (jaxName, jax)] {
            if let timing {
                text += "| \(name) | \(fixed(timing.seconds, 3)) | \(fixed(timing.samplesPerSecond, 0)) | \(fixed(timing.gigaflops, 1)) | \(percent(shareOfWidestPeak(timing.gigaflops))) | \(fixed(timing.testAccuracy, 4)) | \(fixed(ratio(reference, timing), 3)) |\n"
            } else {
                text += "| \(name) | not measured (tools/.venv missing) | | | | | |\n"
            }
        }
        if !layerProducts.isEmpty {
            text += """

                ## Where a step goes

                The 128 → 256 layer's three products (2.1 MFLOP each, 6.3 of the step's 7.0) and Adam's update,
                each called as the trial calls it and timed on its own with its operands in cache (the fastest
                of \(productRepeats) runs of 20 calls), on the `\(kernelPath.name)` kernels.

                """
            // A second share column only when the kernels in use are not the widest.
            let both = kernelPath != widestPeak?.path
            text += "\n| work | shapes | µs | GFLOP/s | share of the \(kernelPath.name) peak |\(both ? " share of the \(widestName) peak |" : "")\n"
            text += "| --- | --- | --- | --- | --- |\(both ? " --- |" : "")\n"
            for product in layerProducts {
                text += "| \(product.name) | \(product.shape) | \(fixed(product.seconds * 1e6, 2)) | \(fixed(product.gigaflops, 1)) | \(percent(shareOfKernelPeak(product.gigaflops))) |\(both ? " \(percent(shareOfWidestPeak(product.gigaflops))) |" : "")\n"
            }
            if let adamStepSeconds {
                text += "| Adam's step, 36,740 parameters | 588 KB of weights, gradients, moments | \(fixed(adamStepSeconds * 1e6, 2)) | | |\(both ? " |" : "")\n"
            }
            if let weightUpdate {
                text += "| Adam's step on the layer's 32,768 weights | 512 KB | \(fixed(weightUpdate.adamAloneSeconds * 1e6, 2)) | | |\(both ? " |" : "")\n"
                text += "| ∂W and that step in one pass, as the trial runs them | (32×256)ᵀ · 32×128 | \(fixed(weightUpdate.fusedSeconds * 1e6, 2)) | | |\(both ? " |" : "")\n"
            }
            if let reference {
                text += "\n" + stepAccount(reference)
            }
        }
        text += """

            ## How cost grows

            Two equal hidden layers at batch 32, then the reference network at other batch sizes. Step time
            is training seconds / optimizer steps (data gathering, loss and the optimizer included). The
            share of peak is of the \(kernelPath.name) peak.

            | shape | epochs | step time (µs) | GFLOP/s | share of peak | PyTorch step (µs) | JAX step (µs) | project / PyTorch | project / JAX |
            | --- | --- | --- | --- | --- | --- | --- | --- | --- |

            """
        for row in widthRows + batchRows {
            text += "| \(row.label) | \(row.shape.epochs) | \(fixed(row.project.stepMicroseconds, 1)) | \(fixed(row.project.gigaflops, 1)) | \(percent(shareOfKernelPeak(row.project.gigaflops))) | \(fixed(row.pytorch?.stepMicroseconds, 1)) | \(fixed(row.jax?.stepMicroseconds, 1)) | \(fixed(ratio(row.project, row.pytorch), 3)) | \(fixed(ratio(row.project, row.jax), 3)) |\n"
        }
        text += """

            ## Sweep throughput

            \(sweeps.first?.trials ?? 0) trials drawn at random from the default sweep's search space (5 optimizers, 4 schedules,
            2 initialisers, dropout, batch norm; 32 tanh units, 40 epochs, 4-fold cross-validation plus a final
            fit per trial) on \(dataSource), run as a child process, the median of eleven runs by wall time (the three sweeps below run in turn, eleven rounds). "Outside training" is
            the workers' capacity (jobs × wall time) not spent training, where training is the CPU time the
            training threads ran inside fits. It has four parts: time within fits when a training thread was
            ready but another thread had its core ("displaced": storing results runs on Swift's shared threads,
            and with one core per job it takes its CPU from training; a worker that finds its thread on another
            worker's core, before its first fit or after its thread waited, moves it to a free one, since Linux
            would wake both on one core and take tens of milliseconds to part them), workers between fits (handing out
            plans, handing results over, progress), workers idle at the end while the last fits finish, and
            setting the sweep up and wrapping it up. The wall time starts once the data is read and the spec
            checked; checking a random sweep's spec plans its trials (each one's configuration read and
            written as JSON, the plans a sweep starts its trials with), so that part of starting a trial is
            not in it. A worker with no trial left to start trains folds of the
            trials still running ("shared fits"), so a trial's five fits may end on both workers. The last
            row is the --jobs 2 sweep again with its results kept in memory instead of written to SQLite
            (a hidden option of `sweep run` for this measurement; nothing else differs), to tell the cost
            of storing from the rest.

            | jobs | wall (s) | trials/min | outside training | displaced within fits | between fits | idle at the end | set-up and wrap-up | shared fits | peak memory (MB) |
            | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |

            """
        for sweep in sweeps {
            text += "| \(sweep.jobs)\(sweep.resultsInMemory ? ", results in memory" : "") | \(fixed(sweep.wallSeconds)) | \(fixed(sweep.trialsPerMinute, 1)) | \(fixed(sweep.outsideShare * 100, 1))% | \(fixed(sweep.displacedShare * 100, 1))% | \(fixed(sweep.betweenFitsShare * 100, 1))% | \(fixed(sweep.idleAtEndShare * 100, 1))% | \(fixed(sweep.setUpShare * 100, 1))% | \(sweep.sharedFits) | \(fixed(sweep.peakMegabytes, 1)) |\n"
        }
        if let speedUp { text += "\nSpeed-up of --jobs 2 over --jobs 1: \(fixed(speedUp, 3))×.\n" }
        for sweep in sweeps {
            guard let range = sweep.outsideShareRange else { continue }
            let left = sweep.busyRuns == 0 ? "" : sweep.busyRuns >= roundsPerSweep ? " (every one on a busy machine)"
                : " (\(sweep.busyRuns) run\(sweep.busyRuns == 1 ? "" : "s") on a busy machine left out)"
            text += "Outside training with --jobs \(sweep.jobs)\(sweep.resultsInMemory ? " and results in memory" : "") ranged from \(fixed(range.lowerBound * 100, 1))% to \(fixed(range.upperBound * 100, 1))% over the runs\(left).\n"
        }
        text += busyMachineNote
        text += targetsSection()
        return text
    }

    /// Runs that shared the machine: another program's CPU counts as the sweep's time outside
    /// training, so a sweep run beside a compiler spent half its capacity "outside training".
    static let busyMachineShare = 0.10

    /// Runs of each sweep configuration (`sweep bench` runs them in eleven rounds, one when quick).
    private var roundsPerSweep: Int { quick ? 1 : 11 }

    /// What other programs took during the sweeps, and a warning when they took enough to
    /// distort them; empty where /proc/stat could not be read.
    var busyMachineNote: String {
        let most = sweeps.compactMap(\.mostOthersShare).max()
        guard let most else { return "" }
        let runs = sweeps.count * roundsPerSweep
        let busy = sweeps.map(\.busyRuns).reduce(0, +)
        guard busy > 0 else {
            return "Other programs and the kernel took at most \(fixed(most * 100, 1))% of the machine's CPU during any sweep run (from /proc/stat).\n"
        }
        return """
            **\(busy) of the \(runs) sweep runs shared the machine with other programs**, which took \(percent(Self.busyMachineShare)) or more of
            its CPU (up to \(fixed(most * 100, 1))%, from /proc/stat): a sweep's time outside training then counts theirs. The ranges
            above leave those runs out where others were quiet; the medians are by wall time over all runs. Rerun the bench on a
            quiet machine.

            """
    }

    /// Said under the peaks when the processor's AVX-512 is no wider than its AVX2 (Zen 4 runs each
    /// 512-bit instruction on two 256-bit halves): the issue's reason for AVX-512, a unit twice as
    /// wide, does not hold there, and the shares of "the AVX-512 peak" are shares of AVX2's too.
    var narrowAVX512Note: String {
        guard let wide = peaks.first(where: { $0.path == .avx512 })?.flops,
              let narrow = peaks.first(where: { $0.path == .avx2 })?.flops, wide < 1.25 * narrow else { return "" }
        return """

            This processor's AVX-512 peak is no higher than its AVX2 one (\(fixed(wide / 1e9, 1)) against \(fixed(narrow / 1e9, 1)) GFLOP/s):
            it runs each 512-bit instruction on 256-bit units, as AMD's Zen 4 does. The avx512 kernels gain here
            only from issuing half as many instructions, and a share of the AVX-512 peak below is about the
            same share of the AVX2 peak.

            """
    }

    /// A ratio against its target, to 3 decimals, or 4 when 3 would round a miss onto the target
    /// (0.6704 against 0.67 reads 0.6704, not 0.670 beside "not met").
    func ratioText(_ ratio: Double?, target: Double) -> String {
        guard let ratio else { return fixed(nil, 3) }
        return ratio > target && fixed(ratio, 3) == fixed(target, 3) ? fixed(ratio, 4) : fixed(ratio, 3)
    }

    /// The opening of the paragraph on time outside training at --jobs 2: why it is over 3% in
    /// the median run, or in some runs only, or (when the speed-up is what missed) where it goes.
    func outsideHeading(median: Double, worst: Double) -> String {
        if median >= 0.03 { return "Why time outside training is over 3% at --jobs 2 (median run):" }
        if worst >= 0.03 {
            return "Why time outside training is over 3% in some runs at --jobs 2 (\(fixed(median * 100, 1))% in the median run, \(fixed(worst * 100, 1))% in the worst): in the median run,"
        }
        return "Where time outside training goes at --jobs 2 (median run):"
    }

    /// Seconds a step's work takes, each part timed on its own as the trial runs it: the three
    /// products and Adam's step, or, when measured, ∂W with its weights' update in one pass in
    /// place of ∂W and the part of Adam's step on those weights.
    var stepWorkSeconds: Double? {
        guard let adamStepSeconds, layerProducts.count == 3 else { return nil }
        let products = layerProducts.reduce(0) { $0 + $1.seconds }
        guard let weightUpdate else { return products + adamStepSeconds }
        return products - layerProducts[1].seconds + weightUpdate.fusedSeconds + adamStepSeconds - weightUpdate.adamAloneSeconds
    }

    /// What a step of the reference trial spends its time on, from the parts timed on their own.
    func stepAccount(_ reference: Timing) -> String {
        let step = reference.seconds / Double(reference.steps) * 1e6
        let rest = """
            the 20 → 128 and 256 → 4 layers' products, the bias gradients, the loss, gathering the batch and
            the loop, and whatever the products lose in the trial to operands that are no longer in cache.

            """
        let products = layerProducts.reduce(0) { $0 + $1.seconds } * 1e6
        let adam = (adamStepSeconds ?? 0) * 1e6
        guard let weightUpdate, layerProducts.count == 3 else {
            return """
                A step of the reference trial took \(fixed(step, 1)) µs: the three products account for \(fixed(products, 1)) µs
                of it when timed on their own, Adam for \(fixed(adam, 1)) µs, and \(fixed(step - products - adam, 1)) µs is the rest:
                \(rest)
                """
        }
        let fused = weightUpdate.fusedSeconds * 1e6, alone = weightUpdate.adamAloneSeconds * 1e6
        let separate = layerProducts[1].seconds * 1e6 + alone
        let others = products - layerProducts[1].seconds * 1e6
        let otherAdam = adam - alone
        let howFused = kernelPath == .avx512
            ? "each tile's update runs while the next tile's products do, the divider's work beside the FMAs'"
            : "on the \(kernelPath.name) kernels the two run one after the other; the avx512 kernels interleave them"
        return """
            The trial computes ∂W and Adam's step on its weights in one pass (\(howFused)):
            \(fixed(fused, 1)) µs against \(fixed(separate, 1)) µs for ∂W and that step each on its own.
            A step of the reference trial took \(fixed(step, 1)) µs: the forward and ∂x products account for \(fixed(others, 1)) µs
            of it when timed on their own, ∂W with its weights' update \(fixed(fused, 1)) µs, Adam's step on the other 3,972
            parameters \(fixed(otherAdam, 1)) µs, and \(fixed(step - others - fused - otherAdam, 1)) µs is the rest:
            \(rest)
            """
    }

    /// Why faster kernels alone cannot meet the PyTorch target, when the measurements show it: the
    /// share of the peak the whole trial would need, and what the products and Adam, each timed on
    /// its own, already take of the time allowed. Empty when they leave room.
    func pytorchTargetBound(needed: Double, trial: Timing) -> String {
        guard let (widest, peak) = widestPeak, let work = stepWorkSeconds else { return "" }
        let neededShare = trial.flops / needed / peak
        let floor = work * Double(trial.steps)
        let parts = weightUpdate == nil
            ? "The three\nproducts and Adam's step, each timed on its own,"
            : "The three\nproducts and Adam's step, timed on their own as the trial runs them (∂W with its weights' update),"
        guard floor >= 0.9 * needed || neededShare >= 0.85 else { return "" }
        return """
            At the \(widest.name) peak measured above, the trial's \(fixed(trial.flops / 1e9, 1)) GFLOP would take \(fixed(trial.flops / peak, 3)) s,
            so the target asks for \(percent(neededShare)) of the peak over the whole trial, optimizer and all. \(parts)
            already take \(fixed(floor, 3)) s over its \(trial.steps) steps,
            \(percent(floor / needed)) of the time the target allows, before anything else a step does: on this
            machine no faster kernel meets it.

            """
    }

    /// The performance issues' targets against what was measured.
    private func targetsSection() -> String {
        func mark(_ met: Bool?) -> String { met.map { $0 ? "met" : "**not met**" } ?? "not measured" }
        let pytorchRatio = ratio(reference, pytorch)
        let jaxRatio = ratio(reference, jax)
        let two = stored(jobs: 2)
        let measured = sweeps.filter { !$0.resultsInMemory }
        let outside = measured.map(\.outsideShare).max()
        // The worst single run, which the median may hide.
        let worstOutside = measured.map { $0.outsideShareRange?.upperBound ?? $0.outsideShare }.max()
        let outsideMark: String = {
            guard let outside, let worstOutside else { return mark(nil) }
            if worstOutside < 0.03 { return mark(true) }
            return outside < 0.03 ? "met in the median run, **not in every run**" : mark(false)
        }()
        let avx512Peak = peaks.first { $0.path == .avx512 }?.flops
        let productShares = avx512Peak.map { peak in layerProducts.map { $0.gigaflops * 1e9 / peak } } ?? []
        let slowest = rowsAgainstJAX.first
        let avx2Seconds = kernelPath == .avx2 ? reference?.seconds : referenceByPath.first { $0.path == .avx2 }?.seconds
        var text = """

            ## Targets

            | target | measured | |
            | --- | --- | --- |
            | reference trial ≤ 0.1 × PyTorch eager | \(ratioText(pytorchRatio, target: 0.1)) | \(mark(pytorchRatio.map { $0 <= 0.1 })) |
            | reference trial ≤ 0.67 × JAX | \(ratioText(jaxRatio, target: 0.67)) | \(mark(jaxRatio.map { $0 <= 0.67 })) |
            | the 128 → 256 layer's three products ≥ 60% of the AVX-512 peak | \(productShares.isEmpty ? (avx512Peak == nil ? "no AVX-512 here" : "-") : productShares.map { percent($0) }.joined(separator: ", ")) | \(productShares.isEmpty ? "not measured" : mark(productShares.allSatisfy { $0 >= 0.6 })) |
            | no shape in the scaling tables slower than JAX | slowest: \(slowest.map { "\($0.row.label), \(fixed($0.ratio, 3))" } ?? "-") | \(mark(slowest.map { $0.ratio <= 1 })) |
            | --jobs 2 ≥ 1.9× the throughput of --jobs 1 | \(fixed(speedUp, 3))× | \(mark(speedUp.map { $0 >= 1.9 })) |
            | time outside training with --jobs 2 < 3% | \(fixed(outside.map { $0 * 100 }, 2))% (worst run \(fixed(worstOutside.map { $0 * 100 }, 2))%) | \(outsideMark) |
            | peak memory of a 2-job sweep < 150 MB | \(fixed(two?.peakMegabytes, 1)) MB | \(mark(two.map { $0.peakMegabytes < 150 })) |
            | no heap allocation inside a training step | 0 allocations per step | met: `AllocationTests` count them on every kernel path |
            | on an AVX2 machine nothing regresses | the reference trial on the avx2-fma kernels: \(fixed(avx2Seconds, 3)) s | not decided by this run: `tools/kernel_paths_before_avx512.py` times the portable and avx2-fma paths against the build before the AVX-512 kernels on one machine (its section below) |

            """
        for (engine, measured, target) in [("PyTorch", pytorchRatio, 0.1), ("JAX", jaxRatio, 0.67)] {
            guard let measured, abs(measured / target - 1) < 0.1 else { continue }
            text += """

                The \(engine) ratio is within 10% of its target, so the mark is this run's alone: on this
                machine \(engine)'s best-of-three time has moved by more than 10% from one run to the next,
                and the ratio with it. README.md gives the range over several runs.

                """
        }
        if let pytorchRatio, pytorchRatio > 0.1, let project = reference, let pytorch {
            let needed = pytorch.seconds / 10
            text += """

                Why the PyTorch target is not met: 0.1 × PyTorch needs the reference trial in \(fixed(needed, 3)) s,
                \(fixed((1 - needed / project.seconds) * 100, 1))% below this run. See "Where a step goes" for what a step spends its time on:
                the products are near the kernels' peak on their own, and Adam is bound by the divider.
                \(pytorchTargetBound(needed: needed, trial: project))
                """
        }
        if let slowest, slowest.ratio > 1 {
            text += """

                Why a shape is slower than JAX: \(slowest.row.label) ran at \(fixed(slowest.row.project.gigaflops, 1)) GFLOP/s, \(percent(shareOfKernelPeak(slowest.row.project.gigaflops))) of the
                \(kernelPath.name) peak, against JAX's \(fixed(slowest.row.jax?.gigaflops, 1)).

                """
        }
        if let two, (worstOutside ?? 0) >= 0.03 || (speedUp ?? 2) < 1.9 {
            let one = stored(jobs: 1)
            let perTrialCPU = two.displacedShare * two.workerCapacity / Double(max(two.trials, 1)) * 1000
            let trialMilliseconds = two.trainingCPUSeconds / Double(max(two.trials, 1)) * 1000
            let stolen = two.stolenSeconds.map { $0 > 0 ? " The hypervisor took \(fixed($0, 2)) s of CPU from the machine during the median run." : "" } ?? ""
            text += """

                \(outsideHeading(median: two.outsideShare, worst: worstOutside ?? two.outsideShare)) \(fixed(two.displacedShare * 100, 1))% is CPU that
                training threads lost inside their fits to other threads, most of it storing results: each
                trial's record, metrics, weights and epochs (one blob of 200 epochs: 4 folds and a final fit
                of 40) and the running mark of the trial the worker starts next, committed to SQLite with
                the other trials that end in the same quarter second, in one transaction. In this run the fits lost
                \(fixed(perTrialCPU, 2)) ms per trial. A trial trains for \(fixed(trialMilliseconds, 0)) ms of CPU, and with a core per job
                the storing can only take its CPU from training. \(fixed(two.betweenFitsShare * 100, 1))% is workers between fits
                (partly the storing again, when its thread takes the core just as a trial is handed over), \(fixed(two.idleAtEndShare * 100, 1))% the end of
                the sweep, where the last fit runs alone (on average half a fit, since idle workers take folds
                of running trials), and \(fixed(two.setUpShare * 100, 1))% setting up (creating the sweep and its
                pending trials) and wrapping up. With --jobs 1 the storing runs on the idle core and the share
                is \(fixed(one.map { $0.outsideShare * 100 }, 1))%. Trials that train longer make every part smaller
                in proportion. Counting training by the clock instead, as this report did before, the CPU that
                storing takes from a running fit would count as training, and the share would read \(fixed(two.outsideShareByClock * 100, 1))%.\(stolen)

                """
            if let memory = inMemory {
                let range = memory.outsideShareRange.map { ", \(fixed($0.lowerBound * 100, 1)) to \(fixed($0.upperBound * 100, 1))% over its runs" } ?? ""
                text += """

                    With its results kept in memory instead of written to SQLite, the same sweep spent \(fixed(memory.outsideShare * 100, 1))%
                    outside training in the median run (\(fixed(memory.displacedShare * 100, 1))% displaced within fits, \(fixed(memory.betweenFitsShare * 100, 1))% between fits,
                    \(fixed(memory.idleAtEndShare * 100, 1))% idle at the end, \(fixed(memory.setUpShare * 100, 1))% set-up and wrap-up\(range)). Storing in SQLite accounts for
                    about \(fixed(max(0, two.outsideShare - memory.outsideShare) * 100, 1)) points of the median run's share; the rest is there with nothing written to disk.

                    """
                if memory.outsideShare >= two.outsideShare {
                    // Runs of a sweep this short vary by more than storing costs.
                    text += """
                        In this run the sweep with nothing written spent as much or more outside training than the
                        one writing to SQLite: storing's share is smaller than the spread between runs here.

                        """
                } else if memory.outsideShare >= 0.03 {
                    text += """
                        So on this machine no cheaper way of storing would bring the share under 3%: the same
                        sweep with nothing written to disk is over it already.

                        """
                } else {
                    // What storing costs the workers per trial now, and what it could cost within 3%.
                    let perTrial = two.workerCapacity / Double(max(two.trials, 1)) * 1000
                    let now = max(0, two.outsideShare - memory.outsideShare) * perTrial
                    let allowed = (0.03 - memory.outsideShare) * perTrial
                    text += """
                        Under 3% would leave storing \(fixed(allowed, 2)) ms of the workers' time per trial; it takes \(fixed(now, 2)) ms.
                        Trials are committed together at most four times a second, so what is left is mostly each
                        trial's own rows: its weights and epochs fill a few pages of the write-ahead log apiece,
                        written on caches that training has just filled with its own data.

                        """
                }
            }
        }
        return text
    }
}
