import Testing
@testable import NeuralNet

/// Every analytic backward pass against central finite differences of its own forward pass.
///
/// A layer is checked through the scalar L = Σ output ⊙ R for a fixed random R, so ∂L/∂output
/// is exactly R and every output element weighs differently: a backward pass that swaps,
/// drops or misscales any element's contribution shows up. Each input and parameter element
/// xᵢ is then moved to xᵢ ± h and (L(xᵢ + h) − L(xᵢ − h)) / 2h compared with the analytic ∂L/∂xᵢ.
/// Every check runs on each kernel path this processor has.
@Suite("Gradients agree with finite differences")
struct GradientCheckTests {
    // MARK: Linear

    @Test(arguments: KernelPath.supported)
    func linearGradientsForInputWeightAndBiasMatchFiniteDifferences(path: KernelPath) throws {
        var generator = SplitMix64(seed: 1)
        let layer = try Linear(inputCount: 4, outputCount: 3, initializer: .pytorchDefault, generator: &generator)
        let input = randomMatrix(rows: 5, columns: 4, in: -1.5...1.5, using: &generator)
        let context = ExecutionContext(mode: .training, kernelPath: path)
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context)
    }

    // MARK: Activations

    @Test(arguments: [
        ElementwiseActivation.Function.sigmoid, .tanh, .relu, .leakyReLU(negativeSlope: 0.1), .identity,
    ], KernelPath.supported)
    func elementwiseActivationGradientsMatchFiniteDifferences(function: ElementwiseActivation.Function, path: KernelPath) throws {
        var generator = SplitMix64(seed: 2)
        let layer = try ElementwiseActivation(function, width: 5)
        // |z| ≥ 0.2 keeps every z ± h on one side of relu's and leaky_relu's kink at 0.
        let input = randomMatrixAwayFromZero(rows: 4, columns: 5, using: &generator)
        let context = ExecutionContext(mode: .training, kernelPath: path)
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context)
    }

    @Test(arguments: KernelPath.supported)
    func preluGradientsForInputAndSlopeMatchFiniteDifferences(path: KernelPath) throws {
        var generator = SplitMix64(seed: 3)
        let layer = try PReLU(width: 5, initialSlope: 0.3)
        let input = randomMatrixAwayFromZero(rows: 4, columns: 5, using: &generator)
        // Half the inputs should be negative, or the slope's gradient Σ_{z≤0} ∂a·z is not exercised.
        #expect(input.values.contains { $0 < 0 } && input.values.contains { $0 > 0 })
        let context = ExecutionContext(mode: .training, kernelPath: path)
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context)
    }

    @Test(arguments: KernelPath.supported)
    func softmaxGradientsMatchFiniteDifferences(path: KernelPath) throws {
        var generator = SplitMix64(seed: 4)
        let layer = try Softmax(width: 4)
        let input = randomMatrix(rows: 5, columns: 4, in: -2...2, using: &generator)
        let context = ExecutionContext(mode: .training, kernelPath: path)
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context)
    }

    @Test(arguments: KernelPath.supported)
    func ordinalThresholdGradientsForScoreAndBiasMatchFiniteDifferences(path: KernelPath) throws {
        var generator = SplitMix64(seed: 6)
        let layer = try OrdinalThresholds(classCount: 4)
        let input = randomMatrix(rows: 5, columns: 1, in: -2...2, using: &generator)
        let context = ExecutionContext(mode: .training, kernelPath: path)
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context)
    }

    @Test(arguments: KernelPath.supported)
    func ordinalProbabilityGradientsMatchFiniteDifferences(path: KernelPath) throws {
        var generator = SplitMix64(seed: 7)
        let layer = try OrdinalProbabilities(classCount: 4)
        let input = randomMatrix(rows: 5, columns: 3, in: -2...2, using: &generator)
        let context = ExecutionContext(mode: .training, kernelPath: path)
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context)
    }

    // MARK: Dropout

    @Test(arguments: KernelPath.supported)
    func dropoutInTrainingGradientsMatchFiniteDifferencesWhenTheMaskSeedIsFixed(path: KernelPath) throws {
        var generator = SplitMix64(seed: 5)
        let layer = try Dropout(probability: 0.4, width: 6)
        let context = ExecutionContext(mode: .training, kernelPath: path)
        let input = randomMatrix(rows: 5, columns: 6, in: -1.5...1.5, using: &generator)
        let maskSeed: UInt64 = 17
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context) {
            context.generator = SplitMix64(seed: maskSeed)
        }
        // Both kinds of mask entry must occur, or the check above proved nothing about dropout:
        // 0 for a dropped unit and 1/(1 − 0.4) for a kept one.
        let mask = layer.lastMask.values
        #expect(mask.contains(0))
        #expect(mask.contains(1 / (1 - 0.4 as Float)))
        #expect(mask.allSatisfy { $0 == 0 || $0 == 1 / (1 - 0.4 as Float) })
    }

    /// The mask is one `nextUnitFloat()` draw per element, in order, compared with p: the vector
    /// kernels that draw four (AVX2) or eight (AVX-512) at a time must give exactly that on every
    /// path, and leave the generator where the draws leave it. p = 0.5 puts the threshold on a
    /// whole multiple of 2⁻²⁴, 0.3 between two. Widths leave every remainder of 4 and 8.
    @Test(arguments: [Float(0.5), 0.3, 0.9], KernelPath.supported)
    func dropoutMaskIsTheGeneratorsDrawsInOrder(probability: Float, path: KernelPath) throws {
        for width in [1, 3, 4, 5, 7, 8, 9, 13, 15, 64] {
            let layer = try Dropout(probability: probability, width: width)
            let context = ExecutionContext(mode: .training, seed: 99, kernelPath: path)
            var reference = context.generator
            let rows = 7
            try layer.forward(Matrix(rows: rows, columns: width, values: Array(repeating: 1, count: rows * width)), context: context)

            let scale = 1 / (1 - probability)
            let expected = (0..<(rows * width)).map { _ in reference.nextUnitFloat() < probability ? 0 : scale }
            #expect(layer.lastMask.values == expected, "width \(width)")
            #expect(context.generator == reference, "width \(width)")
        }
    }

    // MARK: BatchNorm1d

    @Test(arguments: KernelPath.supported)
    func batchNormInTrainingGradientsForInputScaleAndShiftMatchFiniteDifferences(path: KernelPath) throws {
        var generator = SplitMix64(seed: 6)
        let layer = try BatchNorm1d(features: 4)
        try layer.scale.value.assign([1.3, -0.7, 0.5, 2.0])
        try layer.shift.value.assign([0.1, -0.4, 0.8, 0.0])
        // Columns with different means and spreads, so that x̂ is far from x.
        let input = randomMatrix(rows: 6, columns: 4, in: -1...1, using: &generator)
        for row in 0..<input.rows {
            for column in 0..<input.columns {
                input[row, column] = input[row, column] * Float(column + 1) + Float(column) - 1
            }
        }
        let context = ExecutionContext(mode: .training, kernelPath: path)
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context)
    }

    @Test(arguments: KernelPath.supported)
    func batchNormInEvaluationGradientsForInputScaleAndShiftMatchFiniteDifferences(path: KernelPath) throws {
        var generator = SplitMix64(seed: 7)
        let layer = try BatchNorm1d(features: 4)
        try layer.scale.value.assign([1.3, -0.7, 0.5, 2.0])
        try layer.shift.value.assign([0.1, -0.4, 0.8, 0.0])
        try layer.setRunningStatistics(mean: [0.5, -1.0, 0.0, 2.0], variance: [0.25, 2.0, 1.0, 4.0], batchesTracked: 3)
        let input = randomMatrix(rows: 3, columns: 4, in: -2...2, using: &generator)
        let context = ExecutionContext(mode: .evaluation, kernelPath: path)
        try expectLayerGradientsMatchFiniteDifferences(layer, input: input, context: context)
    }

    // MARK: Losses

    @Test(arguments: Loss.allCases, KernelPath.supported)
    func lossGradientsMatchFiniteDifferences(loss: Loss, path: KernelPath) throws {
        let (prediction, target) = lossInputs(for: loss)
        let gradient = Matrix(rows: prediction.rows, columns: prediction.columns)
        _ = try loss.evaluate(prediction: prediction, target: target, gradient: gradient, kernelPath: path)
        // Loss gradients carry the 1/N of the mean (N = 20 elements, or 4 rows for
        // cross-entropy), so they are a few hundredths; the absolute allowance shrinks with them.
        // The loss is a Float of order 1 whose rounding noise of ~1e-7 becomes ~5e-6 after the
        // division by 2h, well below 2e-4.
        try expectGradientMatchesFiniteDifferences(
            of: prediction, analytic: gradient.values, named: "∂\(loss.rawValue)/∂prediction",
            tolerance: Tolerance(relative: 1e-2, absolute: 2e-4)
        ) {
            Double(try loss.evaluate(prediction: prediction, target: target, kernelPath: path))
        }
    }

    @Test func smoothL1WithASmallBetaGradientsMatchFiniteDifferencesOnBothBranches() throws {
        let beta: Float = 0.5
        // Differences of 0.2 and −0.3 fall in the quadratic branch |d| < β; 0.9 and −1.4 in the linear one.
        let prediction = try Matrix([[0.2, 0.7], [1.9, -1.4]])
        let target = try Matrix([[0.0, 1.0], [1.0, 0.0]])
        let gradient = Matrix(rows: 2, columns: 2)
        _ = try Loss.smoothL1.evaluate(prediction: prediction, target: target, gradient: gradient, smoothL1Beta: beta)
        try expectGradientMatchesFiniteDifferences(
            of: prediction, analytic: gradient.values, named: "∂smooth_l1/∂prediction",
            tolerance: Tolerance(relative: 1e-2, absolute: 2e-4)
        ) {
            Double(try Loss.smoothL1.evaluate(prediction: prediction, target: target, smoothL1Beta: beta))
        }
    }

    // MARK: Whole networks

    @Test(arguments: NetworkGradientCase.all, KernelPath.supported)
    func everyNetworkParameterGradientMatchesFiniteDifferences(_ example: NetworkGradientCase, path: KernelPath) throws {
        let network = try Network(example.architecture, seed: 11, kernelPath: path)
        var generator = SplitMix64(seed: 12)
        let batch = 8
        let input = randomMatrix(rows: batch, columns: example.architecture.inputWidth, in: -2...2, using: &generator)
        let target = example.target(rows: batch, using: &generator)
        if example.mode == .evaluation {
            // Move the running statistics away from their initial 0 and 1 before evaluating.
            for _ in 0..<3 { try network.forward(input) }
            network.eval()
        }
        let maskSeed: UInt64 = 13

        func loss() throws -> Double {
            network.context.generator = SplitMix64(seed: maskSeed)
            let prediction = try network.forward(input, applyingOutputActivation: example.appliesOutputActivation)
            return Double(try example.loss.evaluate(prediction: prediction, target: target, kernelPath: path))
        }

        network.context.generator = SplitMix64(seed: maskSeed)
        let prediction = try network.forward(input, applyingOutputActivation: example.appliesOutputActivation)
        // The network's own gradient matrix is as wide as its logits; an ordinal output's
        // probabilities are one wider.
        let predictionGradient = Matrix(rows: 0, columns: prediction.columns)
        let baseLoss = try example.loss.evaluate(
            prediction: prediction, target: target, gradient: predictionGradient, kernelPath: path)
        network.backward(input, outputGradient: predictionGradient, throughOutputActivation: example.appliesOutputActivation)
        let parameters = network.parameters()
        let analytic = parameters.map(\.gradient.values)

        if example.architecture.dropout > 0, example.mode == .training {
            // Without re-seeding a new mask is drawn and the loss moves: dropout really is on,
            // so fixing its seed is what makes the finite differences meaningful.
            let lossWithAnotherMask = try example.loss.evaluate(
                prediction: try network.forward(input, applyingOutputActivation: example.appliesOutputActivation),
                target: target, kernelPath: path)
            #expect(lossWithAnotherMask != baseLoss)
        }

        var checkedElements = 0, skippedElements = 0
        for (index, parameter) in parameters.enumerated() {
            skippedElements += try expectGradientMatchesFiniteDifferences(
                of: parameter.value, analytic: analytic[index], named: "parameter \(index) (\(parameter.name) \(parameter.shape))",
                step: example.step, tolerance: Tolerance(relative: 1e-2, absolute: 2e-4), requireNonZero: false,
                kinkSides: { kinkSides(of: network) }, loss: loss)
            checkedElements += parameter.count
        }
        #expect(checkedElements == network.parameterCount)
        // Skipping is for the odd pre-activation within a step of 0, not a way to pass: over 60
        // seeds at most 9% of a network's elements straddled a kink.
        #expect(skippedElements * 5 <= network.parameterCount, "\(skippedElements) elements straddled a kink")
        // A good share of the gradient must stand well above the absolute allowance of 2e-4, or
        // agreement would be cheap.
        let clearlyNonZero = analytic.joined().filter { abs($0) > 2e-3 }.count
        #expect(clearlyNonZero * 4 > network.parameterCount)
    }
}

// MARK: - Network cases

/// One network, loss and mode to check end to end.
struct NetworkGradientCase: Sendable, CustomTestStringConvertible {
    let architecture: NetworkDescription
    let loss: Loss
    let appliesOutputActivation: Bool
    let mode: Mode
    /// The finite-difference step: 1e-3 for piecewise-linear activations, so that few
    /// pre-activations cross the kink at 0 when one weight moves; 3e-3 for BatchNorm in
    /// training, whose batch statistics curve the loss enough that h = 1e-2 leaves a truncation
    /// error of 0.4%.
    let step: Float
    let testDescription: String

    static let all: [NetworkGradientCase] = [
        NetworkGradientCase(
            architecture: NetworkDescription(
                inputWidth: 5, hiddenWidths: [7, 6], outputWidth: 3, activation: .tanh, dropout: 0.3, batchNorm: true),
            loss: .crossEntropy, appliesOutputActivation: false, mode: .training, step: 3e-3,
            testDescription: "tanh, BatchNorm and dropout in training, cross-entropy on logits"),
        NetworkGradientCase(
            architecture: NetworkDescription(
                inputWidth: 5, hiddenWidths: [7, 6], outputWidth: 3, activation: .tanh, dropout: 0.3, batchNorm: true),
            loss: .crossEntropy, appliesOutputActivation: false, mode: .evaluation, step: 1e-2,
            testDescription: "tanh, BatchNorm and dropout in evaluation, cross-entropy on logits"),
        NetworkGradientCase(
            architecture: NetworkDescription(
                inputWidth: 4, hiddenWidths: [6], outputWidth: 3, activation: .sigmoid, batchNorm: true, output: .softmax),
            loss: .mse, appliesOutputActivation: true, mode: .training, step: 1e-2,
            testDescription: "sigmoid and BatchNorm, mean squared error through the softmax"),
        NetworkGradientCase(
            architecture: NetworkDescription(
                inputWidth: 4, hiddenWidths: [6, 5], outputWidth: 1, activation: .prelu, dropout: 0.2, output: .sigmoid),
            loss: .binaryCrossEntropy, appliesOutputActivation: true, mode: .training, step: 1e-3,
            testDescription: "PReLU and dropout, BCE through the sigmoid"),
        NetworkGradientCase(
            architecture: NetworkDescription(
                inputWidth: 4, hiddenWidths: [6], outputWidth: 2, activation: .leakyReLU, negativeSlope: 0.1,
                batchNorm: true, output: .identity),
            loss: .smoothL1, appliesOutputActivation: true, mode: .training, step: 1e-3,
            testDescription: "leaky ReLU and BatchNorm, smooth L1 regression"),
        NetworkGradientCase(
            architecture: NetworkDescription(
                inputWidth: 5, hiddenWidths: [6], outputWidth: 4, activation: .tanh, dropout: 0.2, output: .ordinal),
            loss: .ordinal, appliesOutputActivation: false, mode: .training, step: 1e-2,
            testDescription: "tanh and dropout, the ordinal loss on the thresholds' logits"),
        NetworkGradientCase(
            architecture: NetworkDescription(inputWidth: 4, hiddenWidths: [], outputWidth: 3, output: .ordinal),
            loss: .mse, appliesOutputActivation: true, mode: .training, step: 1e-2,
            testDescription: "a linear ordinal model, mean squared error through its class probabilities"),
    ]

    /// Targets the loss accepts: class indices, 0/1 labels or real values.
    func target(rows: Int, using generator: inout SplitMix64) -> Matrix {
        switch loss {
        case .crossEntropy, .ordinal:
            let classes = architecture.outputWidth
            return try! Matrix(rows: rows, columns: 1, values: (0..<rows).map { Float($0 % classes) })
        case .binaryCrossEntropy, .binaryCrossEntropyWithLogits:
            return try! Matrix(
                rows: rows, columns: architecture.outputWidth,
                values: (0..<rows * architecture.outputWidth).map { Float($0 % 2) })
        default:
            return randomMatrix(rows: rows, columns: architecture.outputWidth, in: -1...1, using: &generator)
        }
    }
}

// MARK: - Finite-difference machinery

/// How closely an analytic derivative must agree with its central difference:
/// |analytic − numeric| ≤ relative · max(|analytic|, |numeric|) + absolute.
///
/// Forward passes run in Float32 (unit roundoff 6e-8), so a loss of order 1 carries rounding
/// noise of about 1e-6, which a central difference with h = 1e-2 divides by 2h into ~5e-5; the
/// truncation error h²·f‴/6 of the smooth functions here is of the same order. Measured worst
/// cases: 1.4e-4 relative for the layers (BatchNorm), 1.4e-3 relative for the losses (BCE near
/// p = 0.15), 7e-5 absolute for whole networks. The defaults (1e-2 relative, 1e-3 absolute
/// against layer gradients of order 0.1–1) leave an order of magnitude of room, while a wrong
/// formula — a missing term, a transposed weight, a lost 1/n — is off by tens of percent.
private struct Tolerance {
    var relative: Double = 1e-2
    var absolute: Double = 1e-3
}

/// Runs `layer` forward on `input`, backpropagates R through it for L = Σ output ⊙ R, and
/// checks ∂L/∂input and every parameter's gradient element by element. `beforeEachForward`
/// runs before every forward pass (to re-seed a dropout mask).
private func expectLayerGradientsMatchFiniteDifferences(
    _ layer: any Layer, input: Matrix, context: ExecutionContext, step: Float = 1e-2,
    sourceLocation: SourceLocation = #_sourceLocation, beforeEachForward: () -> Void = {}
) throws {
    beforeEachForward()
    try layer.forward(input, context: context)
    var generator = SplitMix64(seed: 2024)
    let outputWeights = randomMatrix(rows: layer.output.rows, columns: layer.outputWidth, in: -1...1, using: &generator)
    layer.backward(input, outputGradient: outputWeights, context: context)
    let inputGradient = layer.inputGradient.values
    let parameterGradients = layer.parameters.map(\.gradient.values)

    func loss() throws -> Double {
        beforeEachForward()
        try layer.forward(input, context: context)
        return weightedSum(layer.output, weights: outputWeights)
    }

    try expectGradientMatchesFiniteDifferences(
        of: input, analytic: inputGradient, named: "∂L/∂input of \(layer.typeName)", step: step,
        sourceLocation: sourceLocation, loss: loss)
    for (parameter, gradient) in zip(layer.parameters, parameterGradients) {
        try expectGradientMatchesFiniteDifferences(
            of: parameter.value, analytic: gradient, named: "∂L/∂\(parameter.name) of \(layer.typeName)", step: step,
            sourceLocation: sourceLocation, loss: loss)
    }
}

/// Compares `analytic[i]` with the central difference of `loss` in `values[i]`, for every i.
/// `requireNonZero` also demands some element well above the absolute tolerance, so that an
/// all-zero gradient cannot pass by being small.
///
/// `kinkSides`, read after each evaluation of `loss`, gives the side of 0 that every input of a
/// piecewise-linear activation is on. An element whose ±step moves any of them across the kink
/// is skipped, since no derivative exists there to compare; the count of skipped elements is
/// returned.
@discardableResult
private func expectGradientMatchesFiniteDifferences(
    of values: Matrix, analytic: [Float], named name: String, step: Float = 1e-2,
    tolerance: Tolerance = Tolerance(), requireNonZero: Bool = true, kinkSides: (() -> [Bool])? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, loss: () throws -> Double
) throws -> Int {
    guard analytic.count == values.count else {
        Issue.record("\(name) has \(analytic.count) elements for \(values.count) values", sourceLocation: sourceLocation)
        return 0
    }
    _ = try loss()
    let unperturbedSides = kinkSides?()
    var skipped = 0
    if requireNonZero {
        let largest = analytic.map { abs(Double($0)) }.max() ?? 0
        #expect(largest > 10 * tolerance.absolute, "\(name) is too small to tell right from wrong", sourceLocation: sourceLocation)
    }
    var mismatches: [String] = []
    for index in 0..<values.count {
        var crossesKink = false
        let numeric = try centralDifference(at: values.pointer + index, step: step) {
            let value = try loss()
            if let kinkSides, kinkSides() != unperturbedSides { crossesKink = true }
            return value
        }
        if crossesKink {
            skipped += 1
            continue
        }
        let exact = Double(analytic[index])
        let allowed = tolerance.relative * max(abs(exact), abs(numeric)) + tolerance.absolute
        // Written so that a NaN on either side fails.
        if !(abs(exact - numeric) <= allowed) {
            mismatches.append("[\(index)] analytic \(exact), numeric \(numeric)")
        }
    }
    #expect(
        mismatches.isEmpty,
        "\(name): \(mismatches.count) of \(values.count) elements disagree: \(mismatches.prefix(6).joined(separator: "; "))",
        sourceLocation: sourceLocation)
    return skipped
}

/// (L(x + h) − L(x − h)) / (x₊ − x₋), dividing by the steps Float actually took rather than 2h,
/// and restoring the element afterwards.
private func centralDifference(at element: UnsafeMutablePointer<Float>, step: Float, loss: () throws -> Double) throws -> Double {
    let original = element.pointee
    let plus = original + step, minus = original - step
    element.pointee = plus
    let lossAbove = try loss()
    element.pointee = minus
    let lossBelow = try loss()
    element.pointee = original
    return (lossAbove - lossBelow) / (Double(plus) - Double(minus))
}

/// For every relu, leaky_relu and PReLU layer of `network`, whether each of its inputs is above 0.
private func kinkSides(of network: Network) -> [Bool] {
    var sides: [Bool] = []
    for (index, layer) in network.layers.enumerated() where index > 0 {
        let isPiecewiseLinear: Bool
        switch layer {
        case is PReLU: isPiecewiseLinear = true
        case let activation as ElementwiseActivation:
            if case .leakyReLU = activation.function { isPiecewiseLinear = true } else { isPiecewiseLinear = activation.function == .relu }
        default: isPiecewiseLinear = false
        }
        if isPiecewiseLinear { sides += network.layers[index - 1].output.values.map { $0 > 0 } }
    }
    return sides
}

/// Σ output ⊙ weights, accumulated in Double.
private func weightedSum(_ output: Matrix, weights: Matrix) -> Double {
    precondition(output.count == weights.count)
    var total: Double = 0
    for index in 0..<output.count { total += Double(output.pointer[index]) * Double(weights.pointer[index]) }
    return total
}

private func randomMatrix(rows: Int, columns: Int, in range: ClosedRange<Float>, using generator: inout SplitMix64) -> Matrix {
    let matrix = Matrix(rows: rows, columns: columns)
    for index in 0..<matrix.count {
        matrix.pointer[index] = range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUnitFloat()
    }
    return matrix
}

/// Values with |x| in [0.2, 1.5] and either sign: far enough from 0 that x ± h never crosses it.
private func randomMatrixAwayFromZero(rows: Int, columns: Int, using generator: inout SplitMix64) -> Matrix {
    let matrix = randomMatrix(rows: rows, columns: columns, in: 0.2...1.5, using: &generator)
    for index in 0..<matrix.count where index % 2 == 1 || generator.nextUnitFloat() < 0.3 {
        matrix.pointer[index] = -matrix.pointer[index]
    }
    return matrix
}

/// A prediction and target for `loss`, 4×5 (20 elements), chosen away from the points where the
/// loss is not differentiable or its finite difference would be inaccurate.
private func lossInputs(for loss: Loss) -> (prediction: Matrix, target: Matrix) {
    var generator = SplitMix64(seed: 31)
    let rows = 4, columns = 5
    switch loss {
    case .crossEntropy:
        let logits = randomMatrix(rows: rows, columns: columns, in: -2...2, using: &generator)
        return (logits, try! Matrix(rows: rows, columns: 1, values: [0, 4, 2, 1]))
    case .ordinal:
        // Five threshold logits: six classes, the lowest and highest among the targets.
        let logits = randomMatrix(rows: rows, columns: columns, in: -3...3, using: &generator)
        return (logits, try! Matrix(rows: rows, columns: 1, values: [0, 5, 2, 3]))
    case .binaryCrossEntropy:
        // p in [0.15, 0.85] keeps log p and log(1 − p) far from their −100 clamp and their
        // steep ends; soft targets exercise both terms at once.
        let probabilities = randomMatrix(rows: rows, columns: columns, in: 0.15...0.85, using: &generator)
        let targets = randomMatrix(rows: rows, columns: columns, in: 0...1, using: &generator)
        return (probabilities, targets)
    case .binaryCrossEntropyWithLogits:
        let logits = randomMatrix(rows: rows, columns: columns, in: -3...3, using: &generator)
        let targets = randomMatrix(rows: rows, columns: columns, in: 0...1, using: &generator)
        return (logits, targets)
    case .l1:
        // |prediction − target| ≥ 0.2, away from |d|'s kink at 0.
        let targets = randomMatrix(rows: rows, columns: columns, in: -1...1, using: &generator)
        let offsets = randomMatrixAwayFromZero(rows: rows, columns: columns, using: &generator)
        return (sum(targets, offsets), targets)
    case .mse:
        return (
            randomMatrix(rows: rows, columns: columns, in: -2...2, using: &generator),
            randomMatrix(rows: rows, columns: columns, in: -2...2, using: &generator))
    case .smoothL1:
        // With β = 1, |d| in [0.2, 0.8] is the quadratic branch and [1.2, 2.0] the linear one;
        // both stay clear of the switch at |d| = β.
        let targets = randomMatrix(rows: rows, columns: columns, in: -1...1, using: &generator)
        let offsets = Matrix(rows: rows, columns: columns)
        for index in 0..<offsets.count {
            let magnitude = index % 2 == 0
                ? 0.2 + 0.6 * generator.nextUnitFloat()
                : 1.2 + 0.8 * generator.nextUnitFloat()
            offsets.pointer[index] = index % 3 == 0 ? -magnitude : magnitude
        }
        return (sum(targets, offsets), targets)
    }
}

private func sum(_ first: Matrix, _ second: Matrix) -> Matrix {
    let result = first.copy()
    for index in 0..<result.count { result.pointer[index] += second.pointer[index] }
    return result
}
