import Foundation
import Testing
@testable import SweepKit

/// The most room a spec's learning curves can take in the results database, and the warning
/// above 1 GB naming what makes it.
@Suite struct EpochHistoryEstimateTests {
    func spec(_ body: String, data: String = #""\#(SweepFixtures.smallData)""#) throws -> SweepSpec {
        try SweepFixtures.spec(#"{"name": "curves", "data": \#(data), "# + body + "}")
    }

    @Test func aRandomSearchIsBoundedByItsTrialsAndItsFixedEpochs() throws {
        let spec = try spec(#""method": "random", "trials": 100000, "fixed": {"hidden_layers": [4], "epochs": 1000000}, "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}"#)
        let estimate = EpochHistoryEstimate(spec: spec)
        // 100,000 trials × 1 fit × 10^6 epochs × 64 bytes = 6.4 · 10^12 bytes.
        #expect(estimate.bytes == 6.4e12)
        let warning = try #require(estimate.warning(for: spec))
        #expect(warning.contains("up to 6.4 TB"), "\(warning)")
        #expect(warning.contains(#"100,000 trials ("trials") × 1 fit each × up to 1,000,000 epochs a fit (fixed.epochs) × 64 bytes an epoch"#), "\(warning)")
    }

    @Test func aGridCountsItsCombinationsEveryFitAndTheMostEpochsItSearches() throws {
        let spec = try spec(
            #""fixed": {"hidden_layers": [4]}, "parameters": {"epochs": {"values": [1, 1000000]}, "lr": {"values": [0.01, 0.02, 0.03]}}"#,
            data: #"{"source": "\#(SweepFixtures.smallData)", "folds": 4}"#)
        let estimate = EpochHistoryEstimate(spec: spec)
        // 2 × 3 combinations × (4 folds + the final fit) × 10^6 epochs × 64 bytes = 1.92 · 10^9.
        #expect(estimate.trials == 6 && estimate.fitsPerTrial == 5 && estimate.epochsPerFit == 1_000_000)
        let warning = try #require(estimate.warning(for: spec))
        #expect(warning.contains("up to 1.9 GB"), "\(warning)")
        #expect(warning.contains("6 trials (every combination of the grid) × 5 fits each (data.folds 4 and the final fit) × up to 1,000,000 epochs a fit (parameters.epochs)"), "\(warning)")
    }

    /// A conditional epochs parameter leaves the other trials the fixed epochs, which may be more.
    @Test func theFixedEpochsCountWhereTheyAreMoreThanTheSearchedOnes() throws {
        let spec = try spec(#"""
            "method": "tpe", "trials": 2000, "repeats": 3, "fixed": {"hidden_layers": [4], "epochs": 400000},
            "parameters": {"optimizer": {"values": ["sgd", "adam"]}, "epochs": {"values": [10, 20], "when": {"optimizer": ["sgd"]}}}
            """#)
        let estimate = EpochHistoryEstimate(spec: spec)
        // 2,000 trials × 3 repeats × 400,000 epochs × 64 bytes = 1.536 · 10^11.
        #expect(estimate.bytes == 1.536e11)
        #expect(estimate.warning(for: spec)?.contains(#"3 fits each ("repeats": 3) × up to 400,000 epochs a fit (fixed.epochs)"#) == true)
    }

    /// The default sweep's 180 trials × 5 fits × at most 600 epochs × 64 bytes = 34.56 MB: no warning.
    @Test func aSweepUnder1GBIsNotWarnedOf() throws {
        let spec = try spec(
            #""fixed": {"hidden_layers": [4], "epochs": 600}, "parameters": {"lr": {"values": [\#((1...180).map { String(Double($0) / 1000) }.joined(separator: ", "))]}}"#,
            data: #"{"source": "\#(SweepFixtures.smallData)", "folds": 4}"#)
        #expect(EpochHistoryEstimate(spec: spec).bytes == 34_560_000)
        #expect(EpochHistoryEstimate(spec: spec).warning(for: spec) == nil)
        // With no epochs given, the default: 50.
        let defaulted = try self.spec(#""method": "random", "trials": 10, "parameters": {"lr": {"values": [0.01, 0.1]}}"#)
        #expect(EpochHistoryEstimate(spec: defaulted).epochsPerFit == TrainingConfiguration().epochs)
    }
}
