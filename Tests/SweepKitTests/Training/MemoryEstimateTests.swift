import Datasets
import Foundation
import NeuralNet
import Testing
@testable import SweepKit

@Suite struct MemoryEstimateTests {
    private func configuration(_ json: String) throws -> TrainingConfiguration {
        try TrainingConfiguration.parse(Data(json.utf8), source: "estimate")
    }

    /// The network the trainer would build for `configuration` on 20 features and `outputs` outputs.
    private func network(_ configuration: TrainingConfiguration, outputs: Int) throws -> Network {
        try Network(NetworkDescription(
            inputWidth: 20, hiddenWidths: configuration.hiddenLayers, outputWidth: outputs,
            activation: configuration.activation, dropout: configuration.dropout, batchNorm: configuration.batchNorm), seed: 0)
    }

    @Test(arguments: [
        #"{}"#,
        #"{"hidden_layers": [7]}"#,
        #"{"hidden_layers": [], "activation": "prelu"}"#,
        #"{"hidden_layers": [16, 8, 4], "batch_norm": true, "activation": "prelu", "dropout": 0.5}"#,
    ])
    func theParameterCountIsTheNetworksOwn(json: String) throws {
        let parsed = try configuration(json)
        let estimate = MemoryEstimate(configuration: parsed, featureCount: 20, outputWidth: 4, rows: 1000)
        #expect(estimate.parameterCount == Double(try network(parsed, outputs: 4).parameterCount))
    }

    @Test func thePriceNetworkNeedsWellUnderAGigabyte() throws {
        // 20 → 128 → 256 → 4: 2,688 + 33,024 + 1,028 = 36,740 parameters, 147 KB each copy.
        let estimate = MemoryEstimate(configuration: TrainingConfiguration(), featureCount: 20, outputWidth: 4, rows: 2000)
        #expect(estimate.parameterCount == 36_740)
        // Adam: weights, gradients, two moments and the trained copy.
        #expect(estimate.optimizerSlots == 2 && estimate.weightCopies == 1)
        #expect(estimate.totalBytes(jobs: 2) < 100e6)
        try estimate.check(jobs: 2, physicalBytes: 1e9)
    }

    @Test func eachOptimizerCountsItsOwnState() throws {
        let slots = try ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw"].map { name in
            MemoryEstimate(configuration: try configuration(#"{"optimizer": "\#(name)"}"#), featureCount: 20, outputWidth: 4, rows: 100).optimizerSlots
        }
        // PyTorch's state per parameter: none, momentum_buffer, sum, square_avg, exp_avg and exp_avg_sq.
        #expect(slots == [0, 1, 1, 1, 2, 2])
        #expect(MemoryEstimate(configuration: try configuration(#"{"optimizer": {"name": "rmsprop", "momentum": 0.9}}"#), featureCount: 20, outputWidth: 4, rows: 100).optimizerSlots == 2)
        #expect(MemoryEstimate(configuration: try configuration(#"{"patience": 3}"#), featureCount: 20, outputWidth: 4, rows: 100).weightCopies == 2)
    }

    @Test func activationsGrowWithTheBatchUpToTheRowsAndNeverBelowTheEvaluationChunk() throws {
        func rows(_ batch: Int, rows: Int) throws -> Int {
            MemoryEstimate(configuration: try configuration(#"{"batch_size": \#(batch)}"#), featureCount: 20, outputWidth: 4, rows: rows).bufferRows
        }
        // Evaluation runs 512 rows at a time, so small batches still size the buffers for 512.
        #expect(try rows(32, rows: 2000) == 512)
        #expect(try rows(1000, rows: 2000) == 1000)
        #expect(try rows(1_000_000, rows: 2000) == 2000)
        #expect(try rows(32, rows: 100) == 100)
    }

    @Test func jobsMultiplyTheTrialButNotTheData() {
        let estimate = MemoryEstimate(configuration: TrainingConfiguration(), featureCount: 20, outputWidth: 4, rows: 100_000)
        #expect(estimate.totalBytes(jobs: 4) - estimate.totalBytes(jobs: 1) == 3 * estimate.trialBytes)
        #expect(estimate.totalBytes(jobs: 1) == MemoryEstimate.programBytes + estimate.dataBytes + estimate.trialBytes)
    }

    @Test func twoLayersOf50000AreRefusedWithTheNeedAndTheLimit() throws {
        let parsed = try configuration(#"{"hidden_layers": [50000, 50000]}"#)
        let estimate = MemoryEstimate(configuration: parsed, featureCount: 20, outputWidth: 4, rows: 2000)
        // 20·50000 + 50000 + 50000·50000 + 50000 + 50000·4 + 4 = 2,501,300,004 parameters, 10 GB
        // each for weights, gradients, Adam's two moments and the trained copy: 50 GB, and
        // 0.8 GB of activations for 512 rows; twice that for 2 jobs is 102 GB.
        #expect(estimate.parameterCount == 2_501_300_004)
        #expect(estimate.totalBytes(jobs: 1) > 50e9)
        do {
            try estimate.check(jobs: 2, physicalBytes: 32e9)
            Issue.record("a 100 GB run was accepted on a 32 GB machine")
        } catch {
            let message = error.description
            #expect(message.contains("needs about 102 GB") && message.contains("2,501,300,004 parameters"), "\(message)")
            #expect(message.contains("times 2 jobs") && message.contains("this machine has 32 GB") && message.contains("(29 GB)"), "\(message)")
            #expect(message.contains("fewer --jobs"), "\(message)")
        }
    }

    @Test func absurdNetworksAreEstimatedWithoutOverflow() throws {
        var huge = TrainingConfiguration()
        huge.hiddenLayers = Array(repeating: TrainingConfiguration.maximumLayerWidth, count: TrainingConfiguration.maximumDepth)
        huge.batchSize = Int.max
        let estimate = MemoryEstimate(configuration: huge, featureCount: 100_000, outputWidth: 20, rows: Int.max)
        #expect(estimate.totalBytes(jobs: Int.max).isFinite && estimate.totalBytes(jobs: Int.max) > 1e18)
        #expect(throws: MemoryLimitError.self) { try estimate.check(jobs: 1) }
    }

    @Test func theMachinesMemoryIsRead() {
        // Whatever the machine, it has more than 64 MB and less than 64 TB.
        #expect(MachineMemory.physicalBytes > 64e6 && MachineMemory.physicalBytes < 64e12)
    }

    @Test func preparedDataGivesTheEstimateItsShape() throws {
        var parsed = try configuration(#"{"data": "builtin:phone-price?rows=400", "hidden_layers": [8]}"#)
        let data = try PreparedData.load(parsed.data)
        let fromData = MemoryEstimate(configuration: parsed, data: data)
        #expect(fromData == MemoryEstimate(configuration: parsed, featureCount: 20, outputWidth: 4, rows: 400))
        parsed.data.folds = 4
        // One copy of the rows per fold and one for the final fit, plus the table as read.
        #expect(MemoryEstimate(configuration: parsed, featureCount: 20, outputWidth: 4, rows: 400).dataBytes == 6 * 400 * (4 * 21 + 8))
    }

    @Test func foldsWhoseCopiesCannotFitAreRefusedBeforeAnyIsMade() throws {
        let dataset = try Dataset.load(source: "builtin:phone-price?rows=400")
        var data = DataConfiguration()
        data.folds = 4
        // 4 folds, the final fit and the table: 6 × 400 rows × (21 floats + an index) = 220,800 bytes.
        var error: DatasetError?
        do {
            _ = try PreparedData.prepare(dataset, data, physicalBytes: 200_000)
        } catch let thrown {
            error = thrown
        }
        #expect(error == .foldCopiesTooLarge(source: "builtin:phone-price?rows=400", folds: 4, rowCount: 400, neededBytes: "221 KB", usableBytes: "180 KB"))
        #expect(error?.description.contains("Use fewer folds") == true)
        #expect(try PreparedData.prepare(dataset, data, physicalBytes: 300_000).folds.count == 4)
    }
}
