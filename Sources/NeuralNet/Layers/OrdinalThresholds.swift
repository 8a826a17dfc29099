import Foundation

/// An ordinal output for K ordered classes: CORAL (Cao, Mirjalili & Raschka, 2020, "Rank
/// consistent ordinal regression for neural networks"), as the `coral-pytorch` package builds it.
///
/// The network ends in one score s (a Linear of width 1); this layer adds K−1 learned thresholds,
/// z_k = s + b_k, the logits of "the class is above k". One weight vector for every threshold
/// is what makes the model ordinal: a softmax output learns K unrelated directions, this one a
/// single ranking of the rows. Gradients: ∂s = Σ_k ∂z_k, ∂b_k = Σ_rows ∂z_k. Exported as a
/// module whose only parameter is named `bias` (shape [K−1]) and whose forward is `x + bias`.
public final class OrdinalThresholds: Layer {
    public let typeName = "OrdinalThresholds"
    public var inputWidth: Int { 1 }
    public let outputWidth: Int
    public let bias: Parameter
    public let output: Matrix
    public let inputGradient: Matrix

    /// Thresholds for `classCount` classes (at least two), initialised as coral-pytorch's
    /// `arange(K−1, 0, −1) / (K−1)`: [1, 2/3, 1/3] for four classes, highest for the lowest cut.
    public init(classCount: Int) throws(NeuralNetError) {
        guard classCount >= 2 else {
            throw .invalidValue(setting: "ordinal class count", value: "\(classCount)", allowed: "must be at least 2")
        }
        outputWidth = classCount - 1
        bias = Parameter(name: "bias", shape: [outputWidth])
        for k in 0..<outputWidth { bias.value.pointer[k] = Float(outputWidth - k) / Float(outputWidth) }
        output = Matrix(rows: 0, columns: outputWidth)
        inputGradient = Matrix(rows: 0, columns: 1)
    }

    public var parameters: [Parameter] { [bias] }

    public func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError) {
        try checkInput(input)
        output.resize(rows: input.rows)
        let s = input.pointer, b = bias.value.pointer, z = output.pointer
        for row in 0..<input.rows {
            for k in 0..<outputWidth { z[row * outputWidth + k] = s[row] + b[k] }
        }
    }

    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        inputGradient.resize(rows: input.rows)
        let dz = outputGradient.pointer, ds = inputGradient.pointer, db = bias.gradient.pointer
        for k in 0..<outputWidth { db[k] = 0 }
        for row in 0..<input.rows {
            var total: Float = 0
            for k in 0..<outputWidth {
                let value = dz[row * outputWidth + k]
                total += value
                db[k] += value
            }
            ds[row] = total
        }
    }
}

/// The class probabilities of an ordinal output (`OrdinalThresholds`' K−1 logits in, K
/// probabilities out): with c_k = σ(z_k), the probability that the class is above k,
/// P(0) = 1 − c_0, P(k) = c_{k−1} − c_k, P(K−1) = c_{K−2}. They sum to 1; a probability is
/// negative only where thresholds are out of order, which training drives out (CORAL's rank
/// consistency). Backward: ∂z_k = σ'(z_k)·(∂P_{k+1} − ∂P_k).
public final class OrdinalProbabilities: Layer {
    /// Short enough for the summary's 20-character column, as PyTorch module names are.
    public let typeName = "OrdinalOutput"
    public let inputWidth: Int
    public var outputWidth: Int { inputWidth + 1 }
    public let output: Matrix
    public let inputGradient: Matrix

    public init(classCount: Int) throws(NeuralNetError) {
        guard classCount >= 2 else {
            throw .invalidValue(setting: "ordinal class count", value: "\(classCount)", allowed: "must be at least 2")
        }
        inputWidth = classCount - 1
        output = Matrix(rows: 0, columns: classCount)
        inputGradient = Matrix(rows: 0, columns: classCount - 1)
    }

    public func forward(_ input: Matrix, context: ExecutionContext) throws(NeuralNetError) {
        try checkInput(input)
        output.resize(rows: input.rows)
        for row in 0..<input.rows {
            Self.probabilities(
                logits: input.pointer + row * inputWidth, into: output.pointer + row * outputWidth, thresholds: inputWidth)
        }
    }

    public func backward(_ input: Matrix, outputGradient: Matrix, context: ExecutionContext) {
        inputGradient.resize(rows: input.rows)
        for row in 0..<input.rows {
            let z = input.pointer + row * inputWidth
            let dp = outputGradient.pointer + row * outputWidth
            let dz = inputGradient.pointer + row * inputWidth
            for k in 0..<inputWidth {
                let c = sigmoid(z[k])
                dz[k] = c * (1 - c) * (dp[k + 1] - dp[k])
            }
        }
    }

    /// One row's K probabilities from its K−1 logits.
    @inline(__always)
    static func probabilities(logits z: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>, thresholds: Int) {
        var above: Float = 1
        for k in 0..<thresholds {
            let c = sigmoid(z[k])
            p[k] = above - c
            above = c
        }
        p[thresholds] = above
    }

    /// The most probable class of one row from its K−1 logits (the first, on a tie), as the
    /// argmax of `probabilities` picks it.
    public static func predictedClass(logits z: UnsafePointer<Float>, thresholds: Int) -> Int {
        var best = 0
        var bestProbability = -Float.infinity
        var above: Float = 1
        for k in 0...thresholds {
            let c: Float = k < thresholds ? sigmoid(z[k]) : 0
            let probability = above - c
            if probability > bestProbability {
                best = k
                bestProbability = probability
            }
            above = c
        }
        return best
    }
}

@inline(__always)
private func sigmoid(_ z: Float) -> Float {
    z >= 0 ? 1 / (1 + expf(-z)) : expf(z) / (1 + expf(z))
}
