import Foundation
import Testing
@testable import SweepKit

/// How the training rows are cut into mini-batches, counted through the `.batch` events.
@Suite struct BatchTests {
    static func configuration(batchSize: Int, epochs: Int = 2, batchNorm: Bool = false) -> String {
        #"{"data": "\#(smallPhoneSource)", "hidden_layers": [4], "epochs": \#(epochs), "batch_size": \#(batchSize), "batch_norm": \#(batchNorm)}"#
    }

    @Test func batchSizeOfAllTrainingRowsGivesOneBatchPerEpoch() throws {
        let batches = BatchCounter()
        let result = try train(Self.configuration(batchSize: smallPhoneTrainingRowCount), observe: batches.observe)

        #expect(result.status == .complete)
        #expect(batches.events.count == 2)
        for epoch in 1...2 {
            #expect(batches.batches(inEpoch: epoch).map(\.batch) == [1])
            #expect(batches.batches(inEpoch: epoch).map(\.batchCount) == [1])
        }
    }

    @Test func batchSizeLargerThanTheTrainingRowsAlsoGivesOneBatch() throws {
        let batches = BatchCounter()
        let result = try train(Self.configuration(batchSize: 10_000, epochs: 1), observe: batches.observe)

        #expect(result.status == .complete)
        #expect(batches.events.count == 1)
    }

    @Test func batchSizeOneGivesOneBatchPerTrainingRow() throws {
        let batches = BatchCounter()
        let result = try train(Self.configuration(batchSize: 1, epochs: 1), observe: batches.observe)

        #expect(result.status == .complete)
        #expect(batches.events.count == smallPhoneTrainingRowCount)
        #expect(batches.batches(inEpoch: 1).map(\.batch) == Array(1...smallPhoneTrainingRowCount))
        #expect(batches.events.allSatisfy { $0.batchCount == smallPhoneTrainingRowCount })
    }

    @Test func lastPartialBatchIsKept() throws {
        // 280 = 8 · 32 + 24: eight full batches and a ninth of 24 rows.
        let batches = BatchCounter()
        let result = try train(Self.configuration(batchSize: 32), observe: batches.observe)

        #expect(result.status == .complete)
        for epoch in 1...2 {
            #expect(batches.batches(inEpoch: epoch).map(\.batch) == Array(1...9))
            #expect(batches.batches(inEpoch: epoch).allSatisfy { $0.batchCount == 9 })
        }
        // The training accuracy counts every row once: a whole number of rows out of 280.
        for record in result.epochs {
            let correct = try #require(record.trainMetric) * Double(smallPhoneTrainingRowCount)
            #expect(abs(correct - correct.rounded()) < 1e-9)
        }
    }

    @Test func batchNormDropsALastBatchOfOneRowAndStillTrains() throws {
        // 280 = 9 · 31 + 1: nine full batches and one row left over, which BatchNorm cannot
        // normalise in training mode (a batch of one has no variance).
        let withBatchNorm = BatchCounter()
        let result = try train(Self.configuration(batchSize: 31, batchNorm: true), observe: withBatchNorm.observe)

        #expect(result.status == .complete)
        #expect(result.model != nil)
        #expect(result.epochs.allSatisfy { $0.trainLoss.isFinite })
        for epoch in 1...2 {
            #expect(withBatchNorm.batches(inEpoch: epoch).map(\.batch) == Array(1...9))
            #expect(withBatchNorm.batches(inEpoch: epoch).allSatisfy { $0.batchCount == 9 })
        }
    }

    @Test func withoutBatchNormALastBatchOfOneRowIsKept() throws {
        // The same 280 = 9 · 31 + 1 rows: the single leftover row is a tenth batch.
        let batches = BatchCounter()
        let result = try train(Self.configuration(batchSize: 31), observe: batches.observe)

        #expect(result.status == .complete)
        #expect(batches.batches(inEpoch: 1).map(\.batch) == Array(1...10))
        #expect(batches.batches(inEpoch: 1).allSatisfy { $0.batchCount == 10 })
    }

    /// Batches that are all one row cannot train with batch norm. The refusal names the settings
    /// that avoid it, not the engine's evaluation mode, which a configuration cannot switch to.
    @Test func batchNormWithBatchesOfOneRowIsRefusedWithTheSettingsThatAvoidIt() throws {
        let error = #expect(throws: TrainingError.batchNormNeedsTwoRows(batchSize: 1, trainingRows: smallPhoneTrainingRowCount)) {
            try train(Self.configuration(batchSize: 1, epochs: 1, batchNorm: true))
        }
        let message = error?.description ?? ""
        #expect(message.contains("set batch_size to 2 or more, or batch_norm to false"), "\(message)")
        #expect(!message.contains("evaluation mode"), "\(message)")
    }

    @Test func batchNormOnATrainingPartOfOneRowIsRefusedWithTheSettingsThatAvoidIt() throws {
        let directory = try TemporaryDirectory()
        // 5 rows: 1 test, 3 validation, and 1 left to train on.
        let csv = try directory.write("x,y\n1,0.5\n2,1.5\n3,2.5\n4,3.1\n5,4.2\n", named: "five.csv")
        let json = #"{"data": {"source": "\#(csv)", "task": "regression", "test_fraction": 0.2, "validation_fraction": 0.6}, "batch_norm": true, "hidden_layers": [2], "epochs": 1}"#
        let error = #expect(throws: TrainingError.batchNormNeedsTwoRows(batchSize: 32, trainingRows: 1)) { try train(json) }
        #expect(error?.description.contains("the training part has 1 row") == true, "\(String(describing: error))")
        #expect(error?.description.contains("or set batch_norm to false") == true)
    }

    @Test func batchNormWithEvenlyDividedRowsKeepsEveryBatch() throws {
        // 280 = 10 · 28: no leftover row, nothing to drop.
        let batches = BatchCounter()
        let result = try train(Self.configuration(batchSize: 28, epochs: 1, batchNorm: true), observe: batches.observe)

        #expect(result.status == .complete)
        #expect(batches.events.count == 10)
    }
}
