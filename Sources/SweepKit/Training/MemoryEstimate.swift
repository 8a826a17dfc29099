import Foundation
import NeuralNet

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory one trial's training takes, estimated from its configuration and the shape of
/// its data before anything is allocated, so that a network the machine cannot hold is refused
/// with a message instead of being killed (or trapping) after minutes of swapping.
///
/// With P the parameter count, R = max(b, e) the rows a layer's buffers are sized for (b the
/// training batch, min(batch_size, rows); e the evaluation chunk, min(512, rows)), and 4-byte
/// floats:
///
///     parameters    4P   weights and biases (BatchNorm's γ and β, PReLU's slope included)
///     gradients     4P   one per parameter
///     optimizer     4P × slots: Adam/AdamW 2, RMSprop 1 (+1 with momentum), Adagrad 1,
///                        SGD 0 (1 with momentum)
///     copies        4P × (1 + early stopping): the trained weights handed back, and the best
///                        epoch's snapshot when early stopping is on
///     activations   4R × Σ per layer: Linear out + ∂in, BatchNorm 3 × width, activation
///                        2 × width, Dropout 3 × width, the output's 3 × width, the batch's
///                        features and targets, and the evaluation chunk's
///
/// One worker trains one fit at a time, so a sweep of `jobs` workers holds `jobs` of these, and
/// the data once: the table as read plus one copy per fold (and per final fit) of its features,
/// targets and row indices. The estimate leaves out allocator slack and the program itself
/// (`programBytes` stands for them), so it is a floor, not a ceiling.
///
/// It is a pure function of its inputs: the scheduler and `sweep validate` can ask it about
/// every proposed configuration without touching the data.
public struct MemoryEstimate: Sendable, Equatable {
    /// Weights and biases (and BatchNorm's, PReLU's), counted in floats.
    public let parameterCount: Double
    /// The optimizer's per-parameter state, in parameter-sized slots.
    public let optimizerSlots: Int
    /// Extra copies of the weights a fit keeps (its result, early stopping's best epoch).
    public let weightCopies: Int
    /// Rows each layer's buffers are sized for.
    public let bufferRows: Int
    /// Bytes of every layer's per-row buffers for `bufferRows` rows.
    public let activationBytes: Double
    /// Bytes of the prepared data, shared by every worker.
    public let dataBytes: Double

    /// The code, the runtime and the allocator's slack, which no formula above counts.
    public static let programBytes: Double = 64 * 1024 * 1024

    /// The share of physical memory a run may plan to use; the rest is the system's and the
    /// estimate's margin.
    public static let usableShare = 0.9

    /// Estimates a trial of `configuration` on a table of `rows` rows of `featureCount`
    /// features, with `outputWidth` outputs (the class count for multiclass, else 1).
    public init(configuration: TrainingConfiguration, featureCount: Int, outputWidth: Int, rows: Int) {
        let floatBytes = 4.0
        let rows = max(rows, 1)
        let trainingRows = min(max(configuration.batchSize, 1), rows)
        let evaluationRows = min(512, rows)
        let bufferRows = max(trainingRows, evaluationRows)
        let hidden = configuration.hiddenLayers.map(Double.init)
        let inputs = [Double(featureCount)] + hidden
        let outputs = Double(outputWidth)

        var parameters = 0.0
        var widthsPerRow = 0.0
        for (input, width) in zip(inputs, hidden) {
            parameters += input * width + width
            widthsPerRow += width + input  // Linear's output and ∂input
            if configuration.batchNorm {
                parameters += 2 * width
                widthsPerRow += 3 * width  // output, ∂input, the normalised input
            }
            if configuration.activation == .prelu { parameters += 1 }
            widthsPerRow += 2 * width  // the activation's output and ∂input
            if configuration.dropout > 0 { widthsPerRow += 3 * width }  // output, ∂input, mask
        }
        let lastWidth = inputs.last ?? Double(featureCount)
        parameters += lastWidth * outputs + outputs
        widthsPerRow += outputs + lastWidth  // the output Linear
        widthsPerRow += 3 * outputs  // the output activation's output and ∂input, ∂loss/∂output
        // The batch's features and targets, and the evaluation chunk's.
        let inputBytes = floatBytes * (Double(trainingRows) + Double(evaluationRows)) * (Double(featureCount) + 1)

        let optimizer = configuration.optimizer
        let momentum = optimizer.momentum ?? (optimizer.kind == .momentum ? 0.9 : 0)
        optimizerSlots = switch optimizer.kind {
        case .adam, .adamw: 2
        case .rmsprop: momentum > 0 ? 2 : 1
        case .adagrad: 1
        case .sgd, .momentum: momentum > 0 ? 1 : 0
        }
        weightCopies = 1 + (configuration.earlyStopping == nil ? 0 : 1)
        parameterCount = parameters
        self.bufferRows = bufferRows
        activationBytes = floatBytes * Double(bufferRows) * widthsPerRow + inputBytes

        // The table as read (features, target, line number) and each fold's copy of it
        // (features, target, row index).
        let copies = Double(configuration.data.folds.map { $0 + 1 } ?? 1)
        let rowBytes = floatBytes * (Double(featureCount) + 1) + 8
        dataBytes = (1 + copies) * Double(rows) * rowBytes
    }

    /// Estimates a trial of `configuration` on prepared data.
    public init(configuration: TrainingConfiguration, data: PreparedData) {
        let fold = data.folds.first
        let rows = (fold?.train.rowCount ?? 0) + (fold?.validation.rowCount ?? 0) + (fold?.test.rowCount ?? 0)
        self.init(configuration: configuration, featureCount: data.featureNames.count, outputWidth: data.outputWidth, rows: rows)
    }

    /// Bytes of the weights alone.
    public var parameterBytes: Double { 4 * parameterCount }

    /// Bytes one fit in flight holds: weights, gradients, optimizer state, copies, activations.
    public var trialBytes: Double {
        parameterBytes * Double(2 + optimizerSlots + weightCopies) + activationBytes
    }

    /// Bytes a run of `jobs` workers needs: the program, the data once, a fit per worker.
    public func totalBytes(jobs: Int) -> Double {
        Self.programBytes + dataBytes + Double(max(jobs, 1)) * trialBytes
    }

    /// The bytes a run may plan to use on a machine with `physicalBytes` of memory.
    public static func usableBytes(physicalBytes: Double) -> Double {
        physicalBytes * usableShare
    }

    /// Refuses a run of `jobs` workers that needs more than `usableShare` of `physicalBytes`.
    ///
    /// - Throws: `MemoryLimitError` saying what the run needs, broken down, and the limit.
    public func check(jobs: Int = 1, physicalBytes: Double = MachineMemory.physicalBytes) throws(MemoryLimitError) {
        let needed = totalBytes(jobs: jobs)
        guard needed <= Self.usableBytes(physicalBytes: physicalBytes) else {
            throw MemoryLimitError(estimate: self, jobs: jobs, neededBytes: needed, physicalBytes: physicalBytes)
        }
    }
}

/// A run that cannot fit the machine's memory, with the numbers that say why.
public struct MemoryLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    public let estimate: MemoryEstimate
    public let jobs: Int
    public let neededBytes: Double
    public let physicalBytes: Double

    public var description: String {
        let estimate = self.estimate
        let weights = memoryText(estimate.parameterBytes)
        let perParameter = "\(2 + estimate.optimizerSlots + estimate.weightCopies) × \(weights)"
        let jobsText = jobs > 1 ? ", times \(jobs) jobs training at once" : ""
        let usable = memoryText(MemoryEstimate.usableBytes(physicalBytes: physicalBytes))
        return "this configuration needs about \(memoryText(neededBytes)) of memory to train: "
            + "\(wholeNumberText(estimate.parameterCount)) parameters (\(perParameter) for weights, gradients, optimizer state and copies), "
            + "\(memoryText(estimate.activationBytes)) of activations for \(estimate.bufferRows) rows at a time\(jobsText), "
            + "and \(memoryText(estimate.dataBytes)) of data; "
            + "this machine has \(memoryText(physicalBytes)) and a run may plan on \(Int(MemoryEstimate.usableShare * 100))% of it (\(usable)). "
            + "Use fewer or narrower hidden layers\(jobs > 1 ? ", fewer --jobs" : ""), or a smaller batch_size if the activations dominate."
    }
}

/// The machine's memory, as the kernel reports it.
public enum MachineMemory {
    /// Physical memory in bytes: /proc/meminfo's MemTotal, lowered to the cgroup's limit when a
    /// container sets one, else sysconf's page count times the page size.
    public static let physicalBytes: Double = {
        var total = meminfoTotal() ?? sysconfTotal()
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                let limit = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 {
                total = min(total, limit)
            }
        }
        return total
    }()

    private static func meminfoTotal() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") })
        else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let kilobytes = Double(fields[1]) else { return nil }
        return kilobytes * 1024
    }

    private static func sysconfTotal() -> Double {
        let pages = Double(sysconf(Int32(_SC_PHYS_PAGES)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        return pages > 0 && pageSize > 0 ? pages * pageSize : Double(8 << 30)
    }
}

/// Bytes as people read them: "512 MB", "19.5 GB", "3.2 TB" (powers of 1000, as `free -h` does not).
func memoryText(_ bytes: Double) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = bytes
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    if unit == 0 { return "\(Int(value)) bytes" }
    return String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
}

/// 2500100004 as "2,500,100,004"; beyond Int, in scientific notation.
func wholeNumberText(_ value: Double) -> String {
    guard value < 9e18 else { return String(format: "%.3g", value) }
    return Int(value).formatted()
}
