import Foundation
import Testing
@testable import SweepKit

/// `data.folds: k` trains k times, each fold validating on its own share of the non-test rows,
/// then once more on all non-test rows (fold 0) for the tested and exported model.
@Suite struct CrossValidationTests {
    static let threeFolds =
        #"{"data": {"source": "\#(smallPhoneSource)", "folds": 3}, "hidden_layers": [8], "lr": 0.01, "epochs": 2}"#

    @Test func threeFoldsPartitionTheNonTestRows() throws {
        let data = try PreparedData.load(try configuration(Self.threeFolds).data)

        #expect(data.folds.count == 3)
        // test_fraction 0.2 of 100 rows per class holds out 80 rows; the other 320 are dealt
        // round-robin to the folds, per class 27 + 27 + 26.
        let test = Set(try #require(data.folds.first).test.rowIndices)
        #expect(test.count == 80)
        var validated: [Int] = []
        for fold in data.folds {
            #expect(Set(fold.test.rowIndices) == test)
            #expect(Set(fold.train.rowIndices).isDisjoint(with: fold.validation.rowIndices))
            #expect(Set(fold.train.rowIndices).isDisjoint(with: test))
            #expect(fold.train.rowCount + fold.validation.rowCount == 320)
            validated += fold.validation.rowIndices
        }
        // Every non-test row is validated exactly once.
        #expect(validated.count == 320)
        #expect(Set(validated).count == 320)
        #expect(Set(validated).isDisjoint(with: test))
        #expect(data.folds.map(\.validation.rowCount) == [108, 108, 104])
        // The final fit trains on every non-test row and keeps the same test rows.
        let final = try #require(data.finalFit)
        #expect(Set(final.train.rowIndices) == Set(validated))
        #expect(Set(final.test.rowIndices) == test)
        #expect(final.validation.isEmpty)
    }

    @Test func everyFoldsEpochsAreRecordedThenTheFinalFitsAndAModelIsKept() throws {
        let batches = BatchCounter()
        let result = try train(Self.threeFolds, observe: batches.observe)

        #expect(result.status == .complete)
        #expect(result.epochs.map(\.fold) == [1, 1, 2, 2, 3, 3, 0, 0])
        #expect(result.epochs.map(\.epoch) == [1, 2, 1, 2, 1, 2, 1, 2])
        #expect(Set(batches.events.map(\.fold)) == [0, 1, 2, 3])
        // The final fit has no validation rows, so its epochs carry no validation metric.
        #expect(result.epochs.filter { $0.fold == 0 }.allSatisfy { $0.validationLoss == nil })
        #expect(result.model != nil)
        #expect(result.validation?.accuracy != nil)
        #expect(result.test?.accuracy != nil)
        // Folds stop at different best epochs, so no single epoch is "the" best one.
        #expect(result.bestEpoch == nil)
    }

    @Test func crossValidatedValidationIsTheMeanOverFolds() throws {
        let result = try train(Self.threeFolds)

        // Without early stopping each fold's final validation is its last epoch's, so the
        // reported loss is the mean of the three last-epoch validation losses.
        let lastLosses = result.epochs.filter { $0.epoch == 2 && $0.fold > 0 }.compactMap(\.validationLoss)
        #expect(lastLosses.count == 3)
        let mean = lastLosses.reduce(0, +) / 3
        #expect(abs(try #require(result.validation?.loss) - mean) < 1e-12)
    }

    @Test func theTestedModelIsTheFinalFitOnAllNonTestRows() throws {
        let data = try PreparedData.load(try configuration(Self.threeFolds).data)
        let result = try train(Self.threeFolds)
        let model = try #require(result.model)
        let final = try #require(data.finalFit)

        // The exported standardisation is the one fitted on every non-test row, not a fold's.
        #expect(model.standardizer == final.standardizer)
        #expect(data.folds.allSatisfy { $0.standardizer != final.standardizer })
        // And the reported test metric is that model's: re-evaluating it gives the same loss.
        let trainer = try Trainer(configuration: try configuration(Self.threeFolds), data: data)
        let retested = try trainer.evaluate(try model.makeNetwork(), on: final.test)
        #expect(retested.loss == result.test?.loss)
    }
}
