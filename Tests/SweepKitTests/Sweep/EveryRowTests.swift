import Foundation
import Testing
@testable import SweepKit

/// `test_fraction: 0` with k-fold: the cross-validated metric is the estimate and the final
/// model trains on every labelled row.
@Suite struct EveryRowTests {
    @Test func withFoldsTheFinalFitTrainsOnEveryRowAndNothingIsHeldOut() async throws {
        let spec = try SweepFixtures.spec("""
            {"name": "every-row", "data": {"source": "\(SweepFixtures.smallData)", "test_fraction": 0, "folds": 3},
             "fixed": {"hidden_layers": [8], "epochs": 2}, "parameters": {"lr": {"values": [0.01]}}}
            """)
        let data = try PreparedData.load(spec.data)
        let final = try #require(data.finalFit)
        // 400 rows, none held out: the final fit trains on all of them; the folds cover them too.
        #expect(final.train.rowCount == 400 && final.test.isEmpty)
        #expect(data.folds.map(\.validation.rowCount).reduce(0, +) == 400)
        let summary = try await SweepScheduler(
            spec: spec, data: data, store: MemoryResultStore(), options: SweepRunOptions(jobs: 1), stop: StopSignal()
        ).run()
        let trial = try #require(summary.trials.first)
        #expect(trial.status == .complete)
        #expect(trial.metrics[MetricName.validationAccuracy.rawValue] != nil)
        #expect(trial.metrics[MetricName.testAccuracy.rawValue] == nil)
    }

    @Test func withoutFoldsNothingWouldBeLeftToEstimateWithAndItIsRefused() {
        let problems = SweepFixtures.problems(#"{"name": "x", "data": {"source": "builtin:phone-price", "test_fraction": 0}}"#)
        #expect(problems.contains { $0.path == "$.data.test_fraction" && $0.message.contains("set data.folds") }, "\(problems)")
    }
}
