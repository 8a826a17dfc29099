import Datasets
import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// Valid configurations, in every form the JSON allows, read to the expected values.
@Suite struct ConfigurationParsingTests {
    @Test func emptyObjectGivesTheDefaults() throws {
        let parsed = try configuration("{}")

        #expect(parsed == TrainingConfiguration())
        #expect(parsed.data.source == "builtin:phone-price")
        #expect(parsed.hiddenLayers == [128, 256])
        #expect(parsed.optimizer == OptimizerConfiguration(kind: .adam))
        #expect(parsed.schedule == .none)
        #expect(parsed.loss == nil)
        #expect(parsed.earlyStopping == nil)
    }

    @Test func everyTopLevelSettingIsRead() throws {
        let parsed = try configuration(#"""
            {"hidden_layers": [32, 16], "activation": "leaky_relu", "negative_slope": 0.2,
             "dropout": 0.25, "batch_norm": true, "loss": "smooth_l1", "batch_size": 64,
             "epochs": 7, "seed": 12}
            """#)

        #expect(parsed.hiddenLayers == [32, 16])
        #expect(parsed.activation == .leakyReLU)
        #expect(parsed.negativeSlope == 0.2)
        #expect(parsed.dropout == 0.25)
        #expect(parsed.batchNorm)
        #expect(parsed.loss == .smoothL1)
        #expect(parsed.batchSize == 64)
        #expect(parsed.epochs == 7)
        #expect(parsed.seed == 12)
    }

    @Test func emptyHiddenLayersIsALinearModel() throws {
        #expect(try configuration(#"{"hidden_layers": []}"#).hiddenLayers == [])
    }

    @Test func dataAsAStringIsItsSourceWithDefaultSplits() throws {
        let data = try configuration(#"{"data": "builtin:phone-price?rows=400"}"#).data

        #expect(data.source == "builtin:phone-price?rows=400")
        #expect(data.testFraction == 0.2)
        #expect(data.validationFraction == 0.1)
        #expect(data.folds == nil)
        #expect(data.standardize)
    }

    @Test func dataAsAnObjectReadsEveryOption() throws {
        let data = try configuration(#"""
            {"data": {"source": "a.csv", "target": "y", "task": "regression", "test_fraction": 0.25,
             "validation_fraction": 0.15, "split_seed": 5, "folds": 4, "standardize": false}}
            """#).data

        #expect(data.source == "a.csv")
        #expect(data.target == "y")
        #expect(data.task == .regression)
        #expect(data.testFraction == 0.25)
        #expect(data.validationFraction == 0.15)
        #expect(data.splitSeed == 5)
        #expect(data.folds == 4)
        #expect(!data.standardize)
    }

    @Test func optimizerAsANameTakesTheShorthandOptions() throws {
        let parsed = try configuration(#"{"optimizer": "momentum", "lr": 0.05, "momentum": 0.8, "weight_decay": 0.001}"#)

        // Numbers are read as Double and stored as Float.
        #expect(parsed.optimizer == OptimizerConfiguration(kind: .momentum, learningRate: 0.05, momentum: 0.8, weightDecay: 0.001))
    }

    @Test func optimizerAsAnObjectReadsPyTorchsKeywordNames() throws {
        let parsed = try configuration(#"""
            {"optimizer": {"name": "adamw", "lr": 0.002, "betas": [0.8, 0.9], "eps": 1e-7, "weight_decay": 0.05}}
            """#)

        #expect(parsed.optimizer == OptimizerConfiguration(
            kind: .adamw, learningRate: 0.002, epsilon: 1e-7, betas: [0.8, 0.9], weightDecay: 0.05))
    }

    @Test func sgdObjectReadsMomentumDampeningAndNesterov() throws {
        let parsed = try configuration(#"{"optimizer": {"name": "sgd", "momentum": 0.9, "dampening": 0, "nesterov": true}}"#)

        #expect(parsed.optimizer == OptimizerConfiguration(kind: .sgd, momentum: 0.9, dampening: 0, nesterov: true))
    }

    /// The control for the refused options: each optimizer reads every option it takes.
    @Test(arguments: OptimizerKind.allCases)
    func eachOptimizerTakesEveryOptionItNames(kind: OptimizerKind) throws {
        let values = [
            "lr": "0.01", "momentum": "0.5", "dampening": "0", "nesterov": "true", "alpha": "0.9", "eps": "1e-7",
            "betas": "[0.8, 0.9]", "weight_decay": "0.001",
        ]
        let options = try kind.optionNames.map { "\"\($0)\": \(try #require(values[$0]))" }.joined(separator: ", ")
        let parsed = try configuration(#"{"optimizer": {"name": "\#(kind.rawValue)", \#(options)}}"#)

        #expect(parsed.optimizer.kind == kind)
        #expect(parsed.optimizer.learningRate == 0.01)
    }

    /// `momentum` beside the optimizer is a setting a sweep searches over several optimizers
    /// (`"when": {"optimizer": ["sgd", "adam"]}`): it is not refused with one that has no momentum.
    @Test func theMomentumShorthandBesideAnOptimizerWithoutMomentumIsAccepted() throws {
        let parsed = try configuration(#"{"optimizer": "adam", "momentum": 0.9}"#)

        #expect(parsed.optimizer.kind == .adam)
    }

    @Test func shorthandLearningRateOverridesTheOptimizerObjects() throws {
        let parsed = try configuration(#"{"optimizer": {"name": "rmsprop", "lr": 0.5, "alpha": 0.9}, "lr": 0.01}"#)

        #expect(parsed.optimizer == OptimizerConfiguration(kind: .rmsprop, learningRate: 0.01, alpha: 0.9))
    }

    @Test(arguments: [
        (#""xavier_uniform""#, Initializer.xavierUniform(gain: 1)),
        (#""he_normal""#, Initializer.kaimingNormal),
        (#""default""#, Initializer.pytorchDefault),
        (#"{"name": "normal", "mean": 0.5, "std": 0.2}"#, Initializer.normal(mean: 0.5, standardDeviation: 0.2)),
        (#"{"name": "uniform", "a": -0.1, "b": 0.1}"#, Initializer.uniform(lower: -0.1, upper: 0.1)),
        (#"{"name": "constant", "val": 0.3}"#, Initializer.constant(0.3)),
        (#"{"name": "xavier_normal", "gain": 2}"#, Initializer.xavierNormal(gain: 2)),
        (#"{"name": "kaiming_uniform"}"#, Initializer.kaimingUniform),
    ])
    func initializerNamesAndObjectsReadToTheirValues(json: String, expected: Initializer) throws {
        #expect(try configuration(#"{"initializer": \#(json)}"#).initializer == expected)
    }

    @Test(arguments: [
        (#""none""#, LearningRateSchedule.none),
        (#"{"name": "step", "step_size": 10, "gamma": 0.5}"#, LearningRateSchedule.step(stepSize: 10, gamma: 0.5)),
        // PyTorch's default gamma for StepLR and MultiStepLR is 0.1.
        (#"{"name": "step", "step_size": 3}"#, LearningRateSchedule.step(stepSize: 3, gamma: 0.1)),
        (#"{"name": "multistep", "milestones": [20, 40]}"#, LearningRateSchedule.multiStep(milestones: [20, 40], gamma: 0.1)),
        (#"{"name": "exponential", "gamma": 0.95}"#, LearningRateSchedule.exponential(gamma: 0.95)),
        (#"{"name": "cosine", "T_max": 50}"#, LearningRateSchedule.cosine(maximumEpochs: 50, minimumRate: 0)),
        (#"{"name": "cosine", "T_max": 50, "eta_min": 0.001}"#, LearningRateSchedule.cosine(maximumEpochs: 50, minimumRate: 0.001)),
        // LinearLR's defaults: start_factor 1/3, end_factor 1, total_iters 5.
        (#"{"name": "linear"}"#, LearningRateSchedule.linear(startFactor: 1.0 / 3.0, endFactor: 1, totalEpochs: 5)),
        (#"{"name": "linear", "start_factor": 0.1, "total_iters": 4}"#, LearningRateSchedule.linear(startFactor: 0.1, endFactor: 1, totalEpochs: 4)),
    ])
    func scheduleNamesAndObjectsReadToTheirValues(json: String, expected: LearningRateSchedule) throws {
        #expect(try configuration(#"{"schedule": \#(json)}"#).schedule == expected)
    }

    @Test func patienceTurnsOnEarlyStoppingOnValidationLoss() throws {
        #expect(try configuration(#"{"patience": 5}"#).earlyStopping == EarlyStopping(patience: 5, metric: .validationLoss))
    }

    @Test func earlyStoppingCanWatchAnotherValidationMetric() throws {
        let parsed = try configuration(#"{"patience": 2, "early_stopping_metric": "validation_accuracy"}"#)

        #expect(parsed.earlyStopping == EarlyStopping(patience: 2, metric: .validationAccuracy))
    }

    @Test func canonicalJSONDecodesBackToTheSameConfiguration() throws {
        // What a trial stores and its actor decodes again (TrialActor uses JSONDecoder).
        let parsed = try configuration(#"""
            {"data": {"source": "a.csv", "target": "y", "task": "binary", "folds": 3, "standardize": false},
             "hidden_layers": [8], "activation": "prelu", "initializer": {"name": "normal", "std": 0.05},
             "dropout": 0.1, "batch_norm": true, "loss": "bce", "optimizer": {"name": "sgd", "nesterov": true, "momentum": 0.9},
             "lr": 0.02, "schedule": {"name": "multistep", "milestones": [3, 6], "gamma": 0.5},
             "batch_size": 16, "epochs": 9, "patience": 2, "early_stopping_metric": "validation_accuracy", "seed": 77}
            """#)
        let decoded = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(parsed.canonicalJSON.utf8))

        #expect(decoded == parsed)
        #expect(parsed.canonicalJSON == decoded.canonicalJSON)
    }
}
