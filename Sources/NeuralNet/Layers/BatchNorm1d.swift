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
    public private(set) var runningMean: [Float]
    public private(set) var runningVariance: [Float]
    public private(set) var batchesTracked: Int = 0
    public let output: Matrix
    public let inputGradient: Matrix
    /// x̂ from the last forward pass.
    private let lastNormalized: Matrix
    /// 1/√(σ² + ε) per feature from the last forward pass (batch or running variance).
    private var lastInverseDeviation: [Float]
    private var lastMode: Mode = .training
    private var columnSums: [Float]
    private var columnSecondSums: [Float]

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
        runningMean = Array(repeating: 0, count: features)
        runningVariance = Array(repeating: 1, count: features)
        output = Matrix(rows: 0, columns: features)
        inputGradient = Matrix(rows: 0, columns: features)
        lastNormalized = Matrix(rows: 0, columns: features)
        lastInverseDeviation = Array(repeating: 1, count: features)
        columnSums = Array(repeating: 0, count: features)
        columnSecondSums = Array(repeating: 0, count: features)
    }

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
        runningMean = mean
        runningVariance = variance
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
        let x = input.pointer
        if context.mode == .training {
            columnSums.withUnsafeMutableBufferPointer { mean in
                columnSecondSums.withUnsafeMutableBufferPointer { variance in
                    // Two passes (mean, then squared deviations) keep the variance accurate.
                    mean.update(repeating: 0)
                    variance.update(repeating: 0)
                    for row in 0..<rows {
                        let source = x + row * width
                        for j in 0..<width { mean[j] += source[j] }
                    }
                    let inverseRows = 1 / Float(rows)
                    for j in 0..<width { mean[j] *= inverseRows }
                    for row in 0..<rows {
                        let source = x + row * width
                        for j in 0..<width {
                            let deviation = source[j] - mean[j]
                            variance[j] += deviation * deviation
                        }
                    }
                    for j in 0..<width { variance[j] *= inverseRows }
                    let unbiasing = Float(rows) / Float(rows - 1)
                    for j in 0..<width {
                        lastInverseDeviation[j] = 1 / (variance[j] + epsilon).squareRoot()
                        runningMean[j] = (1 - momentum) * runningMean[j] + momentum * mean[j]
                        runningVariance[j] = (1 - momentum) * runningVariance[j] + momentum * variance[j] * unbiasing
                    }
                }
            }
            batchesTracked += 1
            normalize(input, mean: columnSums)
        } else {
            for j in 0..<width { lastInverseDeviation[j] = 1 / (runningVariance[j] + epsilon).squareRoot() }
            normalize(input, mean: runningMean)
        }
    }

    private func normalize(_ input: Matrix, mean: [Float]) {
        let width = inputWidth
        let x = input.pointer, normalized = lastNormalized.pointer, y = output.pointer
        let gamma = scale.value.pointer, beta = shift.value.pointer
        mean.withUnsafeBufferPointer { mean in
            lastInverseDeviation.withUnsafeBufferPointer { inverse in
                for row in 0..<input.rows {
                    let offset = row * width
                    for j in 0..<width {
                        let value = (x[offset + j] - mean[j]) * inverse[j]
                        normalized[offset + j] = value
                        y[offset + j] = gamma[j] * value + beta[j]
                    }
                }
            }
        }
    }

    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        let rows = input.rows, width = inputWidth
        inputGradient.resize(rows: rows)
        let dy = outputGradient.pointer, normalized = lastNormalized.pointer, dx = inputGradient.pointer
        let gamma = scale.value.pointer, dGamma = scale.gradient.pointer, dBeta = shift.gradient.pointer
        dGamma.update(repeating: 0, count: width)
        dBeta.update(repeating: 0, count: width)
        for row in 0..<rows {
            let offset = row * width
            for j in 0..<width {
                dGamma[j] += dy[offset + j] * normalized[offset + j]
                dBeta[j] += dy[offset + j]
            }
        }
        lastInverseDeviation.withUnsafeBufferPointer { inverse in
            if lastMode == .training {
                let n = Float(rows)
                for row in 0..<rows {
                    let offset = row * width
                    for j in 0..<width {
                        let factor = gamma[j] * inverse[j] / n
                        dx[offset + j] = factor * (n * dy[offset + j] - dBeta[j] - normalized[offset + j] * dGamma[j])
                    }
                }
            } else {
                for row in 0..<rows {
                    let offset = row * width
                    for j in 0..<width { dx[offset + j] = dy[offset + j] * gamma[j] * inverse[j] }
                }
            }
        }
    }
}
