import Datasets
import Foundation
import NeuralNet
import Testing
@testable import SweepKit

/// The standardisation is fitted on the training rows only and saved with the model, so that the
/// model can be run on raw rows later.
@Suite struct StandardizationTests {
    static let json = #"{"data": "\#(smallPhoneSource)", "hidden_layers": [8], "lr": 0.01, "epochs": 3}"#

    @Test func modelCarriesTheTrainingRowsMeansAndDeviations() throws {
        let parsed = try configuration(Self.json)
        let data = try PreparedData.load(parsed.data)
        let result = try Trainer(configuration: parsed, data: data).run()
        let raw = try Dataset.load(source: smallPhoneSource)
        let trainRows = try #require(data.folds.first).train.rowIndices

        let standardizer = try #require(result.model?.standardizer)
        #expect(standardizer.featureCount == 20)
        for column in 0..<raw.featureCount {
            let values = trainRows.map { Double(raw.featureRow($0)[$0 * raw.featureCount + column]) }
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            // Stored as Float: equal to the Double statistics up to Float rounding (2⁻²⁴ relative).
            #expect(abs(Double(standardizer.means[column]) - mean) <= 1e-6 * max(1, abs(mean)))
            #expect(abs(Double(standardizer.standardDeviations[column]) - deviation) <= 1e-6 * max(1, deviation))
        }
    }

    @Test func standardisationIsNotFittedOnAllRows() throws {
        let parsed = try configuration(Self.json)
        let data = try PreparedData.load(parsed.data)
        let result = try Trainer(configuration: parsed, data: data).run()
        let raw = try Dataset.load(source: smallPhoneSource)

        // ram (column 13) spans 256…3998: the 120 held-out rows move its mean by far more than
        // Float rounding, so fitting on every row would show here.
        let ram = try #require(raw.featureIndex(named: "ram"))
        let allRowsMean = raw.featureColumn(ram).reduce(0.0) { $0 + Double($1) } / Double(raw.rowCount)
        let stored = Double(try #require(result.model?.standardizer).means[ram])
        #expect(abs(stored - allRowsMean) > 1)
    }

    @Test func modelRunOnRawTestRowsReproducesTheTestAccuracy() throws {
        let parsed = try configuration(Self.json)
        let data = try PreparedData.load(parsed.data)
        let result = try Trainer(configuration: parsed, data: data).run()
        let model = try #require(result.model)
        let raw = try Dataset.load(source: smallPhoneSource)
        let testRows = try #require(data.folds.first).test.rowIndices

        // What a user of the exported model does: standardise raw rows with the saved
        // statistics, run the network, take the arg-max.
        var features = testRows.flatMap { raw.featureRow($0) }
        try #require(model.standardizer).apply(toFeatures: &features)
        let input = Matrix(rows: testRows.count, columns: raw.featureCount)
        try input.assign(features)
        let output = try model.makeNetwork().forward(input)
        var correct = 0
        for (position, row) in testRows.enumerated() {
            let scores = (0..<4).map { output.pointer[position * 4 + $0] }
            let predicted = scores.indices.max { scores[$0] < scores[$1] }
            if let predicted, Float(predicted) == raw.targets[row] { correct += 1 }
        }
        #expect(Double(correct) / Double(testRows.count) == result.test?.accuracy)
    }

    @Test func standardizeFalseLeavesTheModelWithoutAStandardizer() throws {
        let result = try train(
            #"{"data": {"source": "\#(smallPhoneSource)", "standardize": false}, "hidden_layers": [8], "epochs": 1}"#)

        #expect(result.status == .complete)
        #expect(result.model != nil)
        #expect(result.model?.standardizer == nil)
    }

    @Test func preparedPartsAreStandardisedWithTheTrainingStatistics() throws {
        let data = try PreparedData.load(try configuration(Self.json).data)
        let fold = try #require(data.folds.first)

        // Standardised training columns have mean 0 and (population) deviation 1.
        for column in 0..<fold.train.featureCount {
            let values = (0..<fold.train.rowCount).map { fold.train.features[$0 * fold.train.featureCount + column] }
            let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
            #expect(abs(mean) < 1e-5)
            #expect(abs(standardDeviation(values) - 1) < 1e-4)
        }
    }
}
