import Foundation
import Testing
@testable import NeuralNet

/// Every input the engine refuses comes back as a thrown `NeuralNetError` — never a crash —
/// whose message says what is wrong and what is allowed.
@Suite("Bad inputs are refused with helpful errors")
struct BadInputTests {
    // MARK: Shapes

    @Test func linearGivenTheWrongColumnCountSaysWhatItExpects() throws {
        let layer = try Linear(inputCount: 3, outputCount: 2)
        expectNeuralNetError(.shapeMismatch, mentioning: ["Linear expects 3 input columns", "2×4"]) {
            try layer.forward(Matrix(rows: 2, columns: 4), context: ExecutionContext())
        }
    }

    @Test func networkGivenTheWrongFeatureCountSaysHowManyItExpects() throws {
        let network = try Network(NetworkDescription(inputWidth: 5, hiddenWidths: [4], outputWidth: 3), seed: 0)
        expectNeuralNetError(.shapeMismatch, mentioning: ["expects 5 input features", "2×4"]) {
            try network.forward(Matrix(rows: 2, columns: 4))
        }
        expectNeuralNetError(.shapeMismatch, mentioning: ["at least one input row"]) {
            try network.forward(Matrix(rows: 0, columns: 5))
        }
    }

    @Test func lossGivenMismatchedRowsSaysBothCounts() throws {
        expectNeuralNetError(.shapeMismatch, mentioning: ["mse", "one target row per prediction row", "3 predictions", "2 targets"]) {
            _ = try Loss.mse.evaluate(prediction: Matrix(rows: 3, columns: 2), target: Matrix(rows: 2, columns: 2))
        }
        expectNeuralNetError(.shapeMismatch, mentioning: ["cross_entropy", "3 predictions", "4 targets"]) {
            _ = try Loss.crossEntropy.evaluate(prediction: Matrix(rows: 3, columns: 2), target: Matrix(rows: 4, columns: 1))
        }
    }

    @Test func lossGivenMisshapenTargetsOrGradientSaysWhatShapeItNeeds() throws {
        expectNeuralNetError(.shapeMismatch, mentioning: ["l1", "shaped like the predictions", "3×2", "3×1"]) {
            _ = try Loss.l1.evaluate(prediction: Matrix(rows: 3, columns: 2), target: Matrix(rows: 3, columns: 1))
        }
        expectNeuralNetError(.shapeMismatch, mentioning: ["one class index per row", "3 target columns"]) {
            _ = try Loss.crossEntropy.evaluate(prediction: Matrix(rows: 2, columns: 3), target: Matrix(rows: 2, columns: 3))
        }
        expectNeuralNetError(.shapeMismatch, mentioning: ["gradient needs 2 columns", "has 3"]) {
            _ = try Loss.mse.evaluate(
                prediction: Matrix(rows: 3, columns: 2), target: Matrix(rows: 3, columns: 2),
                gradient: Matrix(rows: 3, columns: 3))
        }
    }

    @Test func matrixGivenTheWrongNumberOfValuesSaysHowManyItNeeds() {
        expectNeuralNetError(.shapeMismatch, mentioning: ["5 values", "2×3", "needs 6"]) {
            _ = try Matrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5])
        }
        expectNeuralNetError(.shapeMismatch, mentioning: ["-1×2", "must not be negative"]) {
            _ = try Matrix(rows: -1, columns: 2, values: [])
        }
        expectNeuralNetError(.shapeMismatch, mentioning: ["row 1 has 3 values", "row 0 has 2", "same length"]) {
            _ = try Matrix([[1, 2], [3, 4, 5]])
        }
        expectNeuralNetError(.shapeMismatch, mentioning: ["3 values", "2×2", "needs 4"]) {
            try Matrix(rows: 2, columns: 2).assign([1, 2, 3])
        }
    }

    // MARK: Settings out of range

    @Test(arguments: [Float(-0.1), 1.0, 1.5, .nan])
    func dropoutProbabilityOutsideZeroToOneIsRefused(probability: Float) {
        expectNeuralNetError(.invalidValue, mentioning: ["dropout probability", "\(probability)", "[0, 1)"]) {
            _ = try Dropout(probability: probability, width: 4)
        }
        expectNeuralNetError(.invalidValue, mentioning: ["dropout", "\(probability)", "[0, 1)"]) {
            _ = try Network(NetworkDescription(inputWidth: 3, hiddenWidths: [4], outputWidth: 2, dropout: probability), seed: 0)
        }
    }

    @Test(arguments: [0, -3])
    func nonPositiveHiddenWidthIsRefusedNamingTheLayer(width: Int) {
        expectNeuralNetError(.invalidValue, mentioning: ["hidden layer 2 width", "\(width)", "positive integer"]) {
            _ = try Network(NetworkDescription(inputWidth: 3, hiddenWidths: [4, width], outputWidth: 2), seed: 0)
        }
    }

    @Test func nonPositiveInputOrOutputWidthIsRefused() {
        expectNeuralNetError(.invalidValue, mentioning: ["input width", "0", "positive integer"]) {
            _ = try Network(NetworkDescription(inputWidth: 0, hiddenWidths: [4], outputWidth: 2), seed: 0)
        }
        expectNeuralNetError(.invalidValue, mentioning: ["output width", "-1", "positive integer"]) {
            _ = try Network(NetworkDescription(inputWidth: 3, hiddenWidths: [4], outputWidth: -1), seed: 0)
        }
        expectNeuralNetError(.invalidValue, mentioning: ["Linear input width", "0", "positive integer"]) {
            _ = try Linear(inputCount: 0, outputCount: 2)
        }
        expectNeuralNetError(.invalidValue, mentioning: ["BatchNorm1d features", "positive integer"]) {
            _ = try BatchNorm1d(features: 0)
        }
        expectNeuralNetError(.invalidValue, mentioning: ["PReLU width", "positive integer"]) {
            _ = try PReLU(width: -2)
        }
    }

    @Test func negativeLeakyReLUSlopeIsRefused() {
        expectNeuralNetError(.invalidValue, mentioning: ["negative_slope", "-0.5", "zero or positive"]) {
            _ = try Network(
                NetworkDescription(inputWidth: 3, hiddenWidths: [4], outputWidth: 2, activation: .leakyReLU, negativeSlope: -0.5),
                seed: 0)
        }
    }

    // MARK: Unknown names

    @Test func unknownActivationNameListsTheKnownOnes() {
        expectNeuralNetError(.unknownName, mentioning: ["unknown activation 'swish'", "relu, sigmoid, tanh, leaky_relu, prelu"]) {
            _ = try Activation(validating: "swish")
        }
        expectNeuralNetError(.unknownName, mentioning: ["unknown output activation 'softplus'", "softmax, sigmoid, identity"]) {
            _ = try OutputActivation(validating: "softplus")
        }
    }

    @Test func unknownInitializerNameListsTheKnownOnes() {
        expectNeuralNetError(.unknownName, mentioning: ["unknown initializer 'orthogonal'", "kaiming_normal", "xavier_uniform", "pytorch_default"]) {
            _ = try Initializer(name: "orthogonal")
        }
        expectNeuralNetError(.unknownName, mentioning: ["unknown initializer 'lecun'"]) {
            _ = try JSONDecoder().decode(Initializer.self, from: Data(#"{"name": "lecun"}"#.utf8))
        }
    }

    @Test func unknownOptimizerNameListsTheKnownOnes() {
        expectNeuralNetError(.unknownName, mentioning: ["unknown optimizer 'lbfgs'", "sgd, momentum, adagrad, rmsprop, adam, adamw"]) {
            _ = try OptimizerKind(validating: "lbfgs")
        }
    }

    @Test func unknownLossNameListsTheKnownOnes() {
        expectNeuralNetError(.unknownName, mentioning: ["unknown loss 'hinge'", "cross_entropy, bce, bce_with_logits, l1, mse, smooth_l1"]) {
            _ = try Loss(validating: "hinge")
        }
    }

    @Test func unknownScheduleNameInJSONListsTheKnownOnes() {
        expectNeuralNetError(.unknownName, mentioning: ["unknown learning-rate schedule 'cyclic'", "none, step, multistep, exponential, cosine, linear"]) {
            _ = try JSONDecoder().decode(LearningRateSchedule.self, from: Data(#"{"name": "cyclic", "gamma": 0.5}"#.utf8))
        }
        expectNeuralNetError(.unknownName, mentioning: ["unknown learning-rate schedule 'onecycle'"]) {
            _ = try JSONDecoder().decode(LearningRateSchedule.self, from: Data(#""onecycle""#.utf8))
        }
    }

    @Test func unknownNamesInsideANetworkDescriptionOrOptimizerJSONAreNamedWithTheKnownOnes() {
        let network = #"""
            {"input_width": 3, "hidden_widths": [4], "output_width": 2, "activation": "swish", "negative_slope": 0.01,
             "initializer": "kaiming_normal", "dropout": 0, "batch_norm": false, "output": "softmax"}
            """#
        expectNeuralNetError(.unknownName, mentioning: ["unknown activation 'swish'", "leaky_relu"]) {
            _ = try JSONDecoder().decode(NetworkDescription.self, from: Data(network.utf8))
        }
        expectNeuralNetError(.unknownName, mentioning: ["unknown optimizer 'adamax'", "adamw"]) {
            _ = try JSONDecoder().decode(OptimizerConfiguration.self, from: Data(#"{"name": "adamax", "lr": 0.01}"#.utf8))
        }
        expectNeuralNetError(.unknownName, mentioning: ["unknown loss 'hinge'", "smooth_l1"]) {
            _ = try JSONDecoder().decode([Loss].self, from: Data(#"["mse", "hinge"]"#.utf8))
        }
    }

    // MARK: BatchNorm1d and batch size

    @Test func batchNormInTrainingOnABatchOfOneIsRefusedButWorksInEvaluation() throws {
        let layer = try BatchNorm1d(features: 3)
        let single = try Matrix([[1, 2, 3]])
        expectNeuralNetError(.batchTooSmallForBatchNorm, mentioning: ["BatchNorm1d(3)", "at least 2 rows", "evaluation mode"]) {
            try layer.forward(single, context: ExecutionContext(mode: .training))
        }
        try layer.forward(single, context: ExecutionContext(mode: .evaluation))
        // Fresh running statistics (mean 0, variance 1) leave x at x/√(1 + 1e-5).
        #expect(layer.output.values.map { ($0 * 1000).rounded() / 1000 } == [1, 2, 3])
    }

    @Test func networkWithBatchNormOnABatchOfOneIsRefusedInTrainingButPredictsInEvaluation() throws {
        let network = try Network(
            NetworkDescription(inputWidth: 3, hiddenWidths: [4], outputWidth: 2, batchNorm: true), seed: 0)
        let single = try Matrix([[1, 2, 3]])
        expectNeuralNetError(.batchTooSmallForBatchNorm, mentioning: ["at least 2 rows", "batch size of 2 or more"]) {
            try network.forward(single)
        }
        network.eval()
        let probabilities = try network.forward(single).values
        #expect(probabilities.count == 2)
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-6)  // a softmax row sums to 1
    }

    // MARK: Optimizer options

    @Test(arguments: [Float(0), -0.1, .nan, .infinity])
    func nonPositiveLearningRateIsRefused(rate: Float) {
        expectNeuralNetError(.invalidValue, mentioning: ["learning rate (lr)", "\(rate)", "positive"]) {
            _ = try OptimizerConfiguration(kind: .adam, learningRate: rate).makeOptimizer(for: [])
        }
    }

    @Test(arguments: [Float(1), 1.5, -0.1])
    func momentumOutsideZeroToOneIsRefused(momentum: Float) {
        expectNeuralNetError(.invalidValue, mentioning: ["momentum", "\(momentum)", "[0, 1)"]) {
            try OptimizerConfiguration(kind: .momentum, momentum: momentum).validate()
        }
    }

    @Test(arguments: [[Float(0.9), 1.0], [-0.1, 0.999], [1.2, 0.999], [0.9]])
    func betasOutOfRangeAreRefused(betas: [Float]) {
        expectNeuralNetError(.invalidValue, mentioning: ["betas", "two numbers in [0, 1)"]) {
            try OptimizerConfiguration(kind: .adam, betas: betas).validate()
        }
    }

    @Test func nesterovWithoutMomentumOrWithDampeningIsRefused() {
        expectNeuralNetError(.invalidValue, mentioning: ["nesterov", "momentum > 0", "dampening 0"]) {
            try OptimizerConfiguration(kind: .sgd, nesterov: true).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["nesterov", "dampening 0"]) {
            try OptimizerConfiguration(kind: .momentum, dampening: 0.5, nesterov: true).validate()
        }
        // SGD named "momentum" has momentum 0.9 by default, so Nesterov is allowed.
        #expect(throws: Never.self) { try OptimizerConfiguration(kind: .momentum, nesterov: true).validate() }
    }

    @Test func otherOptimizerOptionsOutOfRangeAreRefused() {
        expectNeuralNetError(.invalidValue, mentioning: ["eps", "0.0", "positive"]) {
            try OptimizerConfiguration(kind: .rmsprop, epsilon: 0).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["alpha", "1.0", "[0, 1)"]) {
            try OptimizerConfiguration(kind: .rmsprop, alpha: 1).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["weight_decay", "-0.01", "zero or positive"]) {
            try OptimizerConfiguration(kind: .adamw, weightDecay: -0.01).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["dampening", "1.5", "[0, 1]"]) {
            try OptimizerConfiguration(kind: .momentum, dampening: 1.5).validate()
        }
    }

    // MARK: Schedule options

    @Test func stepScheduleWithStepSizeZeroIsRefused() {
        expectNeuralNetError(.invalidValue, mentioning: ["step_size", "0", "positive number of epochs"]) {
            try LearningRateSchedule.step(stepSize: 0, gamma: 0.5).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["step_size", "positive number of epochs"]) {
            _ = try JSONDecoder().decode(LearningRateSchedule.self, from: Data(#"{"name": "step", "step_size": 0}"#.utf8))
        }
    }

    @Test(arguments: [0.0, -0.5, .nan])
    func scheduleGammaThatIsNotPositiveIsRefused(gamma: Double) {
        expectNeuralNetError(.invalidValue, mentioning: ["step schedule gamma", "\(gamma)", "positive"]) {
            try LearningRateSchedule.step(stepSize: 5, gamma: gamma).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["exponential schedule gamma", "\(gamma)", "positive"]) {
            try LearningRateSchedule.exponential(gamma: gamma).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["multistep schedule gamma", "positive"]) {
            try LearningRateSchedule.multiStep(milestones: [2, 4], gamma: gamma).validate()
        }
    }

    @Test func otherScheduleOptionsOutOfRangeAreRefused() {
        expectNeuralNetError(.invalidValue, mentioning: ["milestones", "[4, 2]", "increasing"]) {
            try LearningRateSchedule.multiStep(milestones: [4, 2], gamma: 0.1).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["T_max", "0", "positive"]) {
            try LearningRateSchedule.cosine(maximumEpochs: 0, minimumRate: 0).validate()
        }
        expectNeuralNetError(.invalidValue, mentioning: ["linear schedule factors", "start_factor in (0, 1]"]) {
            try LearningRateSchedule.linear(startFactor: 0, endFactor: 1, totalEpochs: 5).validate()
        }
    }

    // MARK: Loss inputs

    @Test(arguments: [Float(3), -1, 1.5])
    func crossEntropyTargetOutsideTheClassesIsRefused(label: Float) throws {
        let logits = try Matrix([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]])
        let target = try Matrix([[0], [label]])
        expectNeuralNetError(.invalidValue, mentioning: ["cross_entropy target", "\(label) in row 1", "class index from 0 to 2"]) {
            _ = try Loss.crossEntropy.evaluate(prediction: logits, target: target)
        }
    }

    @Test func bceGivenAValueOutsideZeroToOneSuggestsTheLogitsLoss() throws {
        let prediction = try Matrix([[0.5, 1.5]])
        let target = try Matrix([[1, 0]])
        expectNeuralNetError(.invalidValue, mentioning: ["bce input", "element 1", "[0, 1]", "bce_with_logits"]) {
            _ = try Loss.binaryCrossEntropy.evaluate(prediction: prediction, target: target)
        }
    }

    @Test func smoothL1WithANonPositiveBetaIsRefused() throws {
        let values = try Matrix([[0.5, 1.5]])
        expectNeuralNetError(.invalidValue, mentioning: ["smooth_l1 beta", "0.0", "positive"]) {
            _ = try Loss.smoothL1.evaluate(prediction: values, target: values, smoothL1Beta: 0)
        }
    }

    // MARK: Initializer options

    @Test func initializerOptionsOutOfRangeAreRefused() {
        expectNeuralNetError(.invalidValue, mentioning: ["uniform initializer bounds", "a=0.5, b=0.1", "a < b"]) {
            _ = try JSONDecoder().decode(Initializer.self, from: Data(#"{"name": "uniform", "a": 0.5, "b": 0.1}"#.utf8))
        }
        expectNeuralNetError(.invalidValue, mentioning: ["normal initializer std", "0.0", "positive"]) {
            var generator = SplitMix64(seed: 0)
            _ = try Linear(
                inputCount: 2, outputCount: 2, initializer: .normal(mean: 0, standardDeviation: 0), generator: &generator)
        }
        expectNeuralNetError(.invalidValue, mentioning: ["xavier initializer gain", "-1.0", "positive"]) {
            _ = try Network(
                NetworkDescription(inputWidth: 2, hiddenWidths: [2], outputWidth: 2, initializer: .xavierUniform(gain: -1)),
                seed: 0)
        }
    }
}

// MARK: - Checking errors

/// The case of `NeuralNetError` a test expects, without its payload.
enum ErrorCase: Equatable {
    case shapeMismatch, invalidValue, unknownName, batchTooSmallForBatchNorm

    init(_ error: NeuralNetError) {
        switch error {
        case .shapeMismatch: self = .shapeMismatch
        case .invalidValue: self = .invalidValue
        case .unknownName: self = .unknownName
        case .batchTooSmallForBatchNorm: self = .batchTooSmallForBatchNorm
        }
    }
}

/// Expects `body` to throw a `NeuralNetError` of `expectedCase` whose description contains
/// every one of `phrases`.
func expectNeuralNetError(
    _ expectedCase: ErrorCase, mentioning phrases: [String], sourceLocation: SourceLocation = #_sourceLocation,
    performing body: () throws -> Void
) {
    let thrown = #expect(throws: NeuralNetError.self, sourceLocation: sourceLocation) { try body() }
    guard let error = thrown else { return }
    #expect(ErrorCase(error) == expectedCase, "got \(error)", sourceLocation: sourceLocation)
    let message = String(describing: error)
    for phrase in phrases {
        #expect(message.contains(phrase), "«\(message)» should mention «\(phrase)»", sourceLocation: sourceLocation)
    }
}
