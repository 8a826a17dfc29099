import Foundation
import Testing
import SweepKit

/// `--keep-weights` on every backend: the ranking chooses which trials keep their models, the
/// store drops the others.
struct KeepWeightsTests {
    private func keep(_ count: Int, by metric: MetricName, in store: any ResultStore) throws {
        let ranking = TrialRanking(metric: SweepMetric(name: metric, maximize: metric.prefersLarger))
        let kept = ranking.best(count, of: try store.trials(sweep: "phone-price"))
        try store.keepWeights(sweep: "phone-price", of: Set(kept))
    }

    /// Stores one trial per entry, each with a model; `nil` accuracy leaves the metric out.
    private func storeTrials(
        _ trials: [(status: TrialStatus, accuracy: Double?, loss: Double?)], in store: any ResultStore
    ) throws {
        try store.createSweep(Sample.sweep())
        let model = try Sample.model()
        for (index, trial) in trials.enumerated() {
            var record = Sample.completeRecord(index + 1)
            record.status = trial.status
            record.metrics = [:]
            record.metrics[MetricName.validationAccuracy.rawValue] = trial.accuracy
            record.metrics[MetricName.validationLoss.rawValue] = trial.loss
            try store.finish(sweep: "phone-price", record: record, epochs: [], model: model)
        }
    }

    private func trialsWithModels(in store: any ResultStore) throws -> [Int] {
        try store.trials(sweep: "phone-price").map(\.number).filter { try store.model(sweep: "phone-price", trial: $0) != nil }
    }

    @Test(arguments: StoreBackend.allCases)
    func keepsTheMostAccurateCompleteTrials(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try storeTrials([
            (.complete, 0.70, 0.9), (.complete, 0.95, 0.2), (.complete, .nan, .nan), (.complete, 0.80, 0.5),
            (.diverged, 0.99, 0.1), (.complete, .infinity, 0.3),
        ], in: store)

        try keep(2, by: .validationAccuracy, in: store)

        // Larger is better: 0.95 (trial 2), 0.80 (trial 4); the diverged 0.99 and ∞ do not count.
        #expect(try trialsWithModels(in: store) == [2, 4])
    }

    @Test(arguments: StoreBackend.allCases)
    func keepsTheLowestLossWithNonFiniteAndMissingValuesLast(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try storeTrials([
            (.complete, 0.9, -.infinity), (.complete, 0.9, nil), (.complete, 0.9, 0.4), (.complete, 0.9, .nan),
            (.complete, 0.9, 0.4), (.complete, 0.9, 0.1),
        ], in: store)

        try keep(3, by: .validationLoss, in: store)

        // Smaller is better: 0.1 (trial 6), then the tie at 0.4 in trial order (3, 5); −∞ is not a result.
        #expect(try trialsWithModels(in: store) == [3, 5, 6])

        try keep(5, by: .validationLoss, in: store)
        // Only three models are left to keep; nothing comes back.
        #expect(try trialsWithModels(in: store) == [3, 5, 6])
    }

    @Test(arguments: StoreBackend.allCases)
    func nonFiniteTrialsKeepWeightsOnlyWhenThereIsRoom(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try storeTrials([(.complete, nil, .nan), (.complete, nil, 0.5), (.complete, nil, .infinity)], in: store)

        try keep(2, by: .validationLoss, in: store)

        // 0.5 first, then the non-finite ones by trial number.
        #expect(try trialsWithModels(in: store) == [1, 2])
    }

    @Test(arguments: StoreBackend.allCases)
    func keepingNoneDropsEveryModelOfThatSweepOnly(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try storeTrials([(.complete, 0.9, 0.1), (.complete, 0.8, 0.2)], in: store)
        try store.createSweep(Sample.sweep("other"))
        try store.finish(sweep: "other", record: Sample.completeRecord(1), epochs: [], model: try Sample.model())

        try keep(0, by: .validationAccuracy, in: store)

        #expect(try trialsWithModels(in: store).isEmpty)
        #expect(try store.model(sweep: "other", trial: 1) != nil)
        #expect(try store.trials(sweep: "phone-price").count == 2)  // records stay, only weights go
    }
}
