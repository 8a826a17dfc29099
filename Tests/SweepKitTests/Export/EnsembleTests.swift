import Datasets
import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// An ensemble's native prediction against expectations computed here from the members'
/// weights with Foundation's `exp` (no engine code): networks without hidden layers, so each
/// member is z = (x − mean) / std, logits = W·z + b.
@Suite struct EnsembleTests {
    /// A member with no hidden layer: `weights` row-major [outputs × 2], its own standardisation.
    static func linear(
        task: TaskKind, weights: [Float], bias: [Float], means: [Float]? = nil, deviations: [Float]? = nil,
        targetScale: TargetScale? = nil
    ) -> TrainedModel {
        let outputs = bias.count
        return TrainedModel(
            network: NetworkDescription(
                inputWidth: 2, hiddenWidths: [], outputWidth: outputs,
                output: task == .multiclass ? .softmax : (task == .binary ? .sigmoid : .identity)),
            tensors: [
                NamedTensor(name: "0.weight", shape: [outputs, 2], values: weights),
                NamedTensor(name: "0.bias", shape: [outputs], values: bias),
            ],
            task: task, featureNames: ["a", "b"], targetName: "y",
            classLabels: task == .multiclass ? ["0", "1", "2"] : (task == .binary ? ["0", "1"] : []),
            standardizer: means.map { Standardizer(means: $0, standardDeviations: deviations!) }, targetScale: targetScale)
    }

    /// W·((x − mean) / std) + b in Double.
    static func logits(_ x: [Double], weights: [Double], bias: [Double], means: [Double] = [0, 0], deviations: [Double] = [1, 1]) -> [Double] {
        let z = zip(zip(x, means), deviations).map { ($0.0 - $0.1) / $1 }
        return bias.indices.map { output in bias[output] + (0..<2).reduce(0) { $0 + weights[output * 2 + $1] * z[$1] } }
    }

    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max()!
        let exps = logits.map { exp($0 - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    static let rows: [[Double]] = [[3, 2], [1, 4], [-2, 0.5]]

    @Test func aMulticlassEnsembleAveragesTheMembersSoftmaxProbabilities() throws {
        let first = Self.linear(task: .multiclass, weights: [1, 0, 0, 1, 1, 1], bias: [0, 0, -1], means: [1, 2], deviations: [2, 1])
        let second = Self.linear(task: .multiclass, weights: [0, 1, 1, 0, 0, 0], bias: [0.5, 0, 0])
        let ensemble = try Ensemble(members: [.init(model: first, trial: 1), .init(model: second, trial: 2)])
        let outputs = try EnsemblePredictor(ensemble).predict(features: Self.rows.flatMap { $0.map(Float.init) }, rowCount: 3)
        #expect(outputs.count == 9)
        for (row, x) in Self.rows.enumerated() {
            let p = Self.softmax(Self.logits(x, weights: [1, 0, 0, 1, 1, 1], bias: [0, 0, -1], means: [1, 2], deviations: [2, 1]))
            let q = Self.softmax(Self.logits(x, weights: [0, 1, 1, 0, 0, 0], bias: [0.5, 0, 0]))
            for k in 0..<3 {
                #expect(abs(Double(outputs[row * 3 + k]) - (p[k] + q[k]) / 2) < 1e-6)
            }
        }
        // Row [3, 2]: the first member sees z = [1, 0], logits [1, 0, 0], softmax [e, 1, 1] / (e + 2)
        // = [0.576117, 0.211942, 0.211942]; the second sees logits [2.5, 3, 0], softmax
        // [0.366198, 0.603751, 0.030059]. Their mean is [0.471158, 0.407847, 0.121000]: class 0,
        // although the second member alone would say class 1.
        #expect(abs(outputs[0] - 0.471158) < 1e-5 && abs(outputs[1] - 0.407847) < 1e-5 && abs(outputs[2] - 0.121000) < 1e-5)
        #expect(EnsemblePredictor.predictedClass(Array(outputs[0..<3]), task: .multiclass) == 0)
    }

    /// A linear ordinal member: score s = w·z + c, thresholds b, three classes.
    static func ordinal(weights: [Float], scoreBias: Float, thresholds: [Float], task: TaskKind = .multiclass) -> TrainedModel {
        TrainedModel(
            network: NetworkDescription(inputWidth: 2, hiddenWidths: [], outputWidth: 3, output: .ordinal),
            tensors: [
                NamedTensor(name: "0.weight", shape: [1, 2], values: weights),
                NamedTensor(name: "0.bias", shape: [1], values: [scoreBias]),
                NamedTensor(name: "1.bias", shape: [2], values: thresholds),
            ],
            task: task, featureNames: ["a", "b"], targetName: "y", classLabels: ["0", "1", "2"], standardizer: nil,
            targetScale: nil)
    }

    /// P(0) = 1 − σ(s + b₀), P(1) = σ(s + b₀) − σ(s + b₁), P(2) = σ(s + b₁), in Double.
    static func ordinalProbabilities(_ x: [Double], weights: [Double], scoreBias: Double, thresholds: [Double]) -> [Double] {
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        let s = weights[0] * x[0] + weights[1] * x[1] + scoreBias
        let above = thresholds.map { sigmoid(s + $0) }
        return [1 - above[0], above[0] - above[1], above[1]]
    }

    /// An ordinal member's class probabilities average with a softmax member's, class by class.
    @Test func anEnsembleAveragesAnOrdinalMembersClassProbabilitiesWithASoftmaxMembers() throws {
        let softmax = Self.linear(task: .multiclass, weights: [0, 1, 1, 0, 0, 0], bias: [0.5, 0, 0])
        let ordinal = Self.ordinal(weights: [1, -0.5], scoreBias: 0.25, thresholds: [1, -1])
        let ensemble = try Ensemble(members: [.init(model: softmax, trial: 1), .init(model: ordinal, trial: 2)])
        let outputs = try EnsemblePredictor(ensemble).predict(features: Self.rows.flatMap { $0.map(Float.init) }, rowCount: 3)
        #expect(outputs.count == 9)
        for (row, x) in Self.rows.enumerated() {
            let p = Self.softmax(Self.logits(x, weights: [0, 1, 1, 0, 0, 0], bias: [0.5, 0, 0]))
            let q = Self.ordinalProbabilities(x, weights: [1, -0.5], scoreBias: 0.25, thresholds: [1, -1])
            #expect(abs(q.reduce(0, +) - 1) < 1e-12)
            for k in 0..<3 {
                #expect(abs(Double(outputs[row * 3 + k]) - (p[k] + q[k]) / 2) < 1e-6)
            }
        }
        // Row [3, 2]: s = 3 − 1 + 0.25 = 2.25; σ(3.25) = 0.962673, σ(1.25) = 0.777300, so the
        // ordinal member says [0.037327, 0.185373, 0.777300]: class 2, where the softmax member
        // says class 1 ([0.366192, 0.603749, 0.030059]). The mean, [0.201760, 0.394561, 0.403679],
        // is class 2.
        #expect(abs(outputs[0] - 0.201760) < 1e-5 && abs(outputs[1] - 0.394561) < 1e-5 && abs(outputs[2] - 0.403679) < 1e-5)
        #expect(EnsemblePredictor.predictedClass(Array(outputs[0..<3]), task: .multiclass) == 2)
    }

    /// An ordinal model's file reads back and predicts as written; an ordinal output on a task
    /// that is not multiclass is a damaged file.
    @Test func anOrdinalModelFileRoundTripsAndAnOrdinalBinaryModelIsRefused() throws {
        let model = Self.ordinal(weights: [1, -0.5], scoreBias: 0.25, thresholds: [1, -1])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ordinal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.safetensors").path
        try ModelFile(model: model, metrics: [:], split: DataConfiguration(), sweepName: "s", trialNumber: 1, dataFingerprint: nil).encoded()
            .write(to: URL(fileURLWithPath: path))
        let read = try ModelFile.read(path: path)
        #expect(read.ensemble.members[0].model.network.output == .ordinal)
        let outputs = try EnsemblePredictor(read.ensemble).predict(features: [3, 2], rowCount: 1)
        #expect(abs(outputs[0] - 0.037327) < 1e-5 && abs(outputs[1] - 0.185373) < 1e-5 && abs(outputs[2] - 0.777300) < 1e-5)

        var (tensors, metadata) = try SafeTensors.decode(try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        metadata["sweep.task"] = "binary"
        metadata["sweep.class_labels"] = #"["0","1"]"#
        var architecture = try #require(try JSONSerialization.jsonObject(with: Data(metadata["sweep.architecture"]!.utf8)) as? [String: Any])
        architecture["output_width"] = 2
        metadata["sweep.architecture"] = String(decoding: try JSONSerialization.data(withJSONObject: architecture), as: UTF8.self)
        tensors.sort { $0.name < $1.name }
        let damaged = directory.appendingPathComponent("binary.safetensors").path
        try SafeTensors.encode(tensors, metadata: metadata).write(to: URL(fileURLWithPath: damaged))
        #expect {
            _ = try ModelFile.read(path: damaged)
        } throws: { error in
            String(describing: error).contains("its binary task does not fit its ordinal output")
        }
    }

    @Test func aBinaryEnsembleAveragesTheProbabilityOfClassOne() throws {
        let first = Self.linear(task: .binary, weights: [1, 0], bias: [0])
        let second = Self.linear(task: .binary, weights: [0, 1], bias: [-1])
        let ensemble = try Ensemble(members: [.init(model: first, trial: 1), .init(model: second, trial: 2)])
        #expect(ensemble.outputWidth == 1)
        let outputs = try EnsemblePredictor(ensemble).predict(features: Self.rows.flatMap { $0.map(Float.init) }, rowCount: 3)
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        for (row, x) in Self.rows.enumerated() {
            #expect(abs(Double(outputs[row]) - (sigmoid(x[0]) + sigmoid(x[1] - 1)) / 2) < 1e-6)
        }
        // Row [3, 2]: (σ(3) + σ(1)) / 2 = (0.952574 + 0.731059) / 2 = 0.841817: class 1.
        #expect(abs(outputs[0] - 0.841817) < 1e-5)
        #expect(EnsemblePredictor.predictedClass([outputs[0]], task: .binary) == 1)
        // Row [-2, 0.5]: (σ(−2) + σ(−0.5)) / 2 = (0.119203 + 0.377541) / 2 = 0.248372: class 0.
        #expect(EnsemblePredictor.predictedClass([outputs[2]], task: .binary) == 0)
    }

    @Test func aRegressionEnsembleAveragesPredictionsInTheTargetsUnits() throws {
        // The first member learnt z-scores of a target with mean 10 and std 4; the second the raw target.
        let first = Self.linear(
            task: .regression, weights: [2, -1], bias: [0.5], means: [1, 2], deviations: [2, 1],
            targetScale: TargetScale(mean: 10, standardDeviation: 4))
        let second = Self.linear(task: .regression, weights: [1, 1], bias: [0])
        let ensemble = try Ensemble(members: [.init(model: first, trial: 1), .init(model: second, trial: 2)])
        let outputs = try EnsemblePredictor(ensemble).predict(features: Self.rows.flatMap { $0.map(Float.init) }, rowCount: 3)
        for (row, x) in Self.rows.enumerated() {
            let scaled = Self.logits(x, weights: [2, -1], bias: [0.5], means: [1, 2], deviations: [2, 1])[0] * 4 + 10
            let raw = x[0] + x[1]
            #expect(abs(Double(outputs[row]) - (scaled + raw) / 2) < 1e-5)
        }
        // Row [3, 2]: z = [1, 0], output 2.5, prediction 2.5 · 4 + 10 = 20; the second says 5; mean 12.5.
        #expect(outputs[0] == 12.5)
    }

    @Test func aFileRoundTripKeepsEveryMemberAndItsPrefixedTensors() throws {
        let first = Self.linear(task: .multiclass, weights: [1, 0, 0, 1, 1, 1], bias: [0, 0, -1], means: [1, 2], deviations: [2, 1])
        let second = Self.linear(task: .multiclass, weights: [0, 1, 1, 0, 0, 0], bias: [0.5, 0, 0])
        let ensemble = try Ensemble(members: [
            .init(model: first, trial: 3, fit: 1, metrics: ["validation_accuracy": 0.5]), .init(model: second, trial: 3, fit: 2),
        ])
        let file = ModelFile(ensemble: ensemble, metrics: ["test_accuracy": 0.75], split: DataConfiguration(), sweepName: "s", dataFingerprint: nil)
        let bytes = try file.encoded()
        let names = try SafeTensors.decode(bytes, path: "memory").tensors.map(\.name).sorted()
        #expect(names == ["member0.0.bias", "member0.0.weight", "member1.0.bias", "member1.0.weight"])

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID().uuidString).safetensors").path
        try bytes.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let read = try ModelFile.read(path: path)
        #expect(read.isEnsemble)
        #expect(read.ensemble.members.map(\.trial) == [3, 3])
        #expect(read.ensemble.members.map(\.fit) == [1, 2])
        #expect(read.ensemble.members[0].model.standardizer == first.standardizer)
        // Tensors are stored in name order.
        #expect(read.ensemble.members[1].model.tensors.sorted { $0.name < $1.name }.map(\.values) == second.tensors.sorted { $0.name < $1.name }.map(\.values))
        #expect(read.metrics["test_accuracy"] == 0.75)
        // A single model's file keeps its unprefixed names and reads back as one model.
        let single = try ModelFile(model: first, metrics: [:], split: DataConfiguration(), sweepName: "s", trialNumber: 4, dataFingerprint: nil).encoded()
        #expect(try SafeTensors.decode(single, path: "memory").tensors.map(\.name).sorted() == ["0.bias", "0.weight"])
    }

    @Test func anEnsembleFileWithTensorsOfNoListedMemberIsRefused() throws {
        let first = Self.linear(task: .binary, weights: [1, 0], bias: [0])
        let second = Self.linear(task: .binary, weights: [0, 1], bias: [-1])
        let file = ModelFile(
            ensemble: try Ensemble(members: [.init(model: first, trial: 1), .init(model: second, trial: 2)]), metrics: [:],
            split: DataConfiguration(), sweepName: "s", dataFingerprint: nil)
        var (tensors, metadata) = try SafeTensors.decode(try file.encoded(), path: "memory")
        // The metadata now lists member 0 only; member 1's tensors are left over.
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(metadata["sweep.ensemble"]!.utf8)) as? [String: Any])
        let members = try #require(listed["members"] as? [Any])
        metadata["sweep.ensemble"] = String(
            decoding: try JSONSerialization.data(withJSONObject: ["combine": "mean_probability", "members": [members[0]]]), as: UTF8.self)
        tensors.sort { $0.name < $1.name }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stray-\(UUID().uuidString).safetensors").path
        try SafeTensors.encode(tensors, metadata: metadata).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try ModelFile.read(path: path)
        } throws: { error in
            String(describing: error).contains("2 of its tensors belong to no ensemble member")
        }
    }

    @Test func membersThatPredictDifferentThingsAreRefused() throws {
        let multiclass = Self.linear(task: .multiclass, weights: [1, 0, 0, 1, 1, 1], bias: [0, 0, -1])
        let binary = Self.linear(task: .binary, weights: [1, 0], bias: [0])
        #expect(throws: EnsembleError.self) { try Ensemble(members: [.init(model: multiclass, trial: 1), .init(model: binary, trial: 2)]) }
        #expect(throws: EnsembleError.self) { try Ensemble(members: []) }
    }

    /// The fold models trained again are the fits the sweep scored the trial with: the same
    /// validation metrics, fold by fold.
    @Test func aFoldEnsembleRetrainsTheFitsThatScoredTheTrial() throws {
        let parsed = try configuration(
            #"{"data": {"source": "\#(smallPhoneSource)", "folds": 3}, "hidden_layers": [8], "epochs": 3, "batch_size": 32, "seed": 5}"#)
        let data = try PreparedData.load(parsed.data)
        let trainer = try Trainer(configuration: parsed, data: data)
        let result = try trainer.run()
        let fits = try trainer.scoringFitModels(threads: 2)
        #expect(fits.map(\.index) == [0, 1, 2])
        #expect(fits.map { $0.validation?.accuracy } == result.foldValidations.map(\.accuracy))
        #expect(fits.map { $0.validation?.loss } == result.foldValidations.map(\.loss))
    }

    /// Fold models trained again until a stop (`sweep auto`'s budget): those of the best trials
    /// whose fits were all trained by then, best first, or none.
    @Test func foldModelsTrainedUntilAStopAreThoseOfTheBestTrialsDoneByThen() throws {
        let quick = try configuration(
            #"{"data": {"source": "\#(smallPhoneSource)", "folds": 3}, "hidden_layers": [8], "epochs": 2, "batch_size": 32, "seed": 5}"#)
        // 100,000 epochs of batches of one row: its fits would train for hours.
        let endless = try configuration(
            #"{"data": {"source": "\#(smallPhoneSource)", "folds": 3}, "hidden_layers": [8], "epochs": 100000, "batch_size": 1, "seed": 6}"#)
        let data = try PreparedData.load(quick.data)
        func trial(_ number: Int, _ configuration: TrainingConfiguration, accuracy: Double) -> TrialRecord {
            let plan = TrialPlan(number: number, parameters: .object([:]), configurationJSON: "{}", seed: configuration.seed, configuration: configuration)
            return TrialRecord(plan: plan, status: .complete, metrics: [MetricName.validationAccuracy.rawValue: accuracy])
        }
        let metric = SweepMetric(name: .validationAccuracy, maximize: true)
        let trials = [trial(1, endless, accuracy: 0.8), trial(2, quick, accuracy: 0.9), trial(3, quick, accuracy: 0.7)]

        // Never stopped: what the export without a deadline trains (the endless trial left out).
        let quickOnes = [trials[1], trials[2]]
        let whole = try #require(try Ensemble.folds(ofBest: 2, of: quickOnes, metric: metric, data: data, threads: 2, until: { false }))
        let unbounded = try Ensemble.folds(ofBest: 2, of: quickOnes, metric: metric, data: data, threads: 2)
        #expect(whole.members.map(\.trial) == [2, 2, 2, 3, 3, 3] && whole.members.map(\.trial) == unbounded.members.map(\.trial))
        #expect(whole.members.map(\.fit) == unbounded.members.map(\.fit))

        // Stopped from the start: not even the best trial's.
        #expect(try Ensemble.folds(ofBest: 3, of: trials, metric: metric, data: data, threads: 2, until: { true }) == nil)

        // Stopped while the second best, the endless one, trains: the best trial's alone. Its
        // fits take milliseconds; the stop comes later on a machine busy with other tests.
        for delay in [1.0, 5, 30] {
            let stopAt = Date().addingTimeInterval(delay)
            let partial = try Ensemble.folds(ofBest: 3, of: trials, metric: metric, data: data, threads: 2, until: { Date() >= stopAt })
            if partial == nil, delay < 30 { continue }
            #expect(partial?.members.map(\.trial) == [2, 2, 2])
            // Asked before every batch, the stop ends the endless fits at once.
            #expect(Date().timeIntervalSince(stopAt) < 10)
            break
        }
    }
}
