import Testing
@testable import NeuralNet

/// BatchNorm1d against PyTorch's `nn.BatchNorm1d` (batchnorm.json): the training output and
/// gradients, the running statistics and batch count, evaluation with the running statistics and
/// the statistics after a sequence of three batches. The cases include the minimum batch of two
/// rows and inputs scaled by 10 and shifted by 3.
@Suite struct GoldenBatchNormTests {
    struct BatchNormCase: Decodable, Sendable, CustomTestStringConvertible {
        let features: Int
        let epsilon: Double
        let momentum: Double
        let input: FixtureTensor
        let weight: FixtureTensor
        let bias: FixtureTensor
        let outputGradient: FixtureTensor
        let training: Training
        let evaluation: Evaluation
        let sequence: BatchSequence

        struct Training: Decodable, Sendable {
            let output: FixtureTensor
            let inputGradient: FixtureTensor
            let weightGradient: FixtureTensor
            let biasGradient: FixtureTensor
            let runningMean: FixtureTensor
            let runningVariance: FixtureTensor
            let batchesTracked: Int

            enum CodingKeys: String, CodingKey {
                case output, inputGradient = "grad_input", weightGradient = "grad_weight", biasGradient = "grad_bias"
                case runningMean = "running_mean", runningVariance = "running_var"
                case batchesTracked = "num_batches_tracked"
            }
        }

        struct Evaluation: Decodable, Sendable {
            let input: FixtureTensor
            let output: FixtureTensor

            enum CodingKeys: String, CodingKey {
                case input = "x", output
            }
        }

        struct BatchSequence: Decodable, Sendable {
            let batches: [FixtureTensor]
            let runningMean: FixtureTensor
            let runningVariance: FixtureTensor

            enum CodingKeys: String, CodingKey {
                case batches, runningMean = "running_mean", runningVariance = "running_var"
            }
        }

        enum CodingKeys: String, CodingKey {
            case features, epsilon = "eps", momentum, input = "x", weight, bias, outputGradient = "grad_output"
            case training = "train", evaluation = "eval", sequence
        }

        var testDescription: String { "BatchNorm1d(\(features)) on \(input.rows) rows" }

        func makeLayer() throws -> BatchNorm1d {
            try BatchNorm1d(features: features, epsilon: Float(epsilon), momentum: Float(momentum))
        }

        /// The layer with PyTorch's γ and β after one training forward pass over `x`.
        func trainedLayer(context: ExecutionContext) throws -> BatchNorm1d {
            let layer = try makeLayer()
            try weight.load(into: layer.scale)
            try bias.load(into: layer.shift)
            try layer.forward(try input.matrix(), context: context)
            return layer
        }
    }

    struct Document: Decodable {
        let cases: [BatchNormCase]
    }

    static func cases() throws -> [BatchNormCase] {
        try Fixtures.load(Document.self, from: "batchnorm.json").cases
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func trainingNormalizesWithTheBatchMeanAndBiasedVariance(_ golden: BatchNormCase, path: KernelPath) throws {
        let layer = try golden.trainedLayer(context: ExecutionContext(mode: .training, seed: 0, kernelPath: path))
        // layer.train(); layer(x) in PyTorch.
        expectClose(layer.output, golden.training.output, named: "output")
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func trainingBackwardMatchesPyTorchsGradients(_ golden: BatchNormCase, path: KernelPath) throws {
        let context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
        let layer = try golden.trainedLayer(context: context)
        layer.backward(try golden.input.matrix(), outputGradient: try golden.outputGradient.matrix(), context: context)
        // x.grad, weight.grad and bias.grad after (output · grad_output).sum().backward(); ∂x flows
        // through the batch mean and variance as well.
        expectClose(layer.inputGradient, golden.training.inputGradient, named: "∂x")
        expectClose(layer.scale.gradient.values, golden.training.weightGradient, named: "∂γ")
        expectClose(layer.shift.gradient.values, golden.training.biasGradient, named: "∂β")
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func oneTrainingBatchMovesRunningStatisticsTowardTheUnbiasedBatchStatistics(_ golden: BatchNormCase, path: KernelPath) throws {
        let layer = try golden.trainedLayer(context: ExecutionContext(mode: .training, seed: 0, kernelPath: path))
        // running = 0.9·(0 or 1) + 0.1·(batch mean or n/(n−1)·biased variance), from PyTorch.
        expectClose(layer.runningMean, golden.training.runningMean, named: "running_mean")
        expectClose(layer.runningVariance, golden.training.runningVariance, named: "running_var")
        // num_batches_tracked counts training forward passes: 1 after one batch.
        #expect(layer.batchesTracked == golden.training.batchesTracked)
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func evaluationNormalizesWithTheRunningStatistics(_ golden: BatchNormCase, path: KernelPath) throws {
        let context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
        let layer = try golden.trainedLayer(context: context)
        context.mode = .evaluation
        try layer.forward(try golden.evaluation.input.matrix(), context: context)
        // layer.eval(); layer(eval_x) after the one training batch.
        expectClose(layer.output, golden.evaluation.output, named: "evaluation output")
        #expect(layer.batchesTracked == golden.training.batchesTracked, "evaluation must not count as a batch")
    }

    @Test(arguments: try cases(), KernelPath.supported)
    func runningStatisticsAfterThreeBatchesMatchPyTorch(_ golden: BatchNormCase, path: KernelPath) throws {
        let context = ExecutionContext(mode: .training, seed: 0, kernelPath: path)
        let layer = try golden.makeLayer()
        for batch in golden.sequence.batches {
            try layer.forward(try batch.matrix(), context: context)
        }
        // A fresh nn.BatchNorm1d after three training forward passes (momentum 0.1 each time).
        expectClose(layer.runningMean, golden.sequence.runningMean, named: "running_mean")
        expectClose(layer.runningVariance, golden.sequence.runningVariance, named: "running_var")
        // PyTorch adds 1 to num_batches_tracked per training forward pass.
        #expect(layer.batchesTracked == golden.sequence.batches.count)
    }
}
