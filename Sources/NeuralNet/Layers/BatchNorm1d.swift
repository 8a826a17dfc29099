import CKernels
import Foundation

/// Batch normalisation over the rows of a [batch, features] matrix, PyTorch's `nn.BatchNorm1d`.
///
/// Training: x̂ = (x − μ_B)/√(σ²_B + ε) with the batch mean and *biased* variance, y = γx̂ + β;
/// the running statistics move by `momentum` towards μ_B and the *unbiased* variance
/// σ²_B·n/(n−1). Evaluation: the running statistics replace the batch's.
/// Backward (training): ∂γ = Σ ∂y·x̂, ∂β = Σ ∂y, ∂x = γ/(n√(σ²+ε)) · (n∂y − ∂β − x̂∂γ).
/// Ioffe & Szegedy, "Batch Normalization", ICML 2015.
public final class BatchNorm1d: Layer {
    public let typeName = "BatchNorm1d"
    public let inputWidth: Int
    public var outputWidth: Int { inputWidth }
    public let epsilon: Float
    public let momentum: Float
    public let scale: Parameter
    public let shift: Parameter
    public private(set) var batchesTracked: Int = 0
    public let output: Matrix
    public let inputGradient: Matrix
    /// Running mean and (unbiased) variance, 1 × features each.
    private let runningMeanStorage: Matrix
    private let runningVarianceStorage: Matrix
    /// x̂ from the last forward pass.
    private let lastNormalized: Matrix
    /// 1/√(σ² + ε) per feature from the last forward pass (batch or running variance).
    private let lastInverseDeviation: Matrix
    private var lastMode: Mode = .training
    /// The last training batch's mean and biased variance.
    private let batchMean: Matrix
    private let batchVariance: Matrix

    public init(features: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) throws(NeuralNetError) {
        try requirePositive(features, "BatchNorm1d features")
        guard epsilon > 0 else {
            throw .invalidValue(setting: "BatchNorm1d eps", value: "\(epsilon)", allowed: "must be positive")
        }
        guard momentum >= 0, momentum <= 1 else {
            throw .invalidValue(setting: "BatchNorm1d momentum", value: "\(momentum)", allowed: "must be in [0, 1]")
        }
        inputWidth = features
        self.epsilon = epsilon
        self.momentum = momentum
        scale = Parameter(name: "weight", shape: [features])
        scale.value.fill(1)
        shift = Parameter(name: "bias", shape: [features])
        runningMeanStorage = Matrix(rows: 1, columns: features, repeating: 0)
        runningVarianceStorage = Matrix(rows: 1, columns: features, repeating: 1)
        output = Matrix(rows: 0, columns: features)
        inputGradient = Matrix(rows: 0, columns: features)
        lastNormalized = Matrix(rows: 0, columns: features)
        lastInverseDeviation = Matrix(rows: 1, columns: features, repeating: 1)
        batchMean = Matrix(rows: 1, columns: features)
        batchVariance = Matrix(rows: 1, columns: features)
    }

    public var runningMean: [Float] { runningMeanStorage.values }
    public var runningVariance: [Float] { runningVarianceStorage.values }

    public var parameters: [Parameter] { [scale, shift] }

    public var buffers: [Buffer] {
        [
            Buffer(name: "running_mean", shape: [inputWidth], values: runningMean),
            Buffer(name: "running_var", shape: [inputWidth], values: runningVariance),
            Buffer(name: "num_batches_tracked", shape: [], values: [Float(batchesTracked)]),
        ]
    }

    /// Restores running statistics, e.g. from an exported model.
    public func setRunningStatistics(mean: [Float], variance: [Float], batchesTracked: Int) throws(NeuralNetError) {
        guard mean.count == inputWidth, variance.count == inputWidth else {
            throw .shapeMismatch("BatchNorm1d(\(inputWidth)) running statistics need \(inputWidth) values each")
        }
        try runningMeanStorage.assign(mean)
        try runningVarianceStorage.assign(variance)
        self.batchesTracked = batchesTracked
    }

    public func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError) {
        try checkInput(input)
        let rows = input.rows, width = inputWidth
        lastMode = context.mode
        if context.mode == .training, rows < 2 {
            throw .batchTooSmallForBatchNorm(layer: "BatchNorm1d(\(width))")
        }
        output.resize(rows: rows)
        lastNormalized.resize(rows: rows)
        let mean: Matrix
        if context.mode == .training {
            sweep_batch_norm_statistics(
                context.kernel, input.pointer, rows, width, epsilon, momentum, batchMean.pointer,
                batchVariance.pointer, lastInverseDeviation.pointer, runningMeanStorage.pointer, runningVarianceStorage.pointer)
            batchesTracked += 1
            mean = batchMean
        } else {
            let variance = runningVarianceStorage.pointer, inverse = lastInverseDeviation.pointer
            for j in 0..<width { inverse[j] = 1 / (variance[j] + epsilon).squareRoot() }
            mean = runningMeanStorage
        }
        sweep_batch_norm_normalize(
            context.kernel, input.pointer, rows, width, mean.pointer, lastInverseDeviation.pointer,
            scale.value.pointer, shift.value.pointer, lastNormalized.pointer, output.pointer)
    }

    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        inputGradient.resize(rows: input.rows)
        sweep_batch_norm_backward(
            context.kernel, outputGradient.pointer, lastNormalized.pointer, input.rows, inputWidth,
            scale.value.pointer, lastInverseDeviation.pointer, lastMode == .training ? 1 : 0, scale.gradient.pointer,
            shift.gradient.pointer, inputGradient.pointer)
    }
}
