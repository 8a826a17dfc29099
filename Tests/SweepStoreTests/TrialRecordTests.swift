import Datasets
import Foundation
import NeuralNet
import Testing
import SweepKit

/// Trials on every backend: planning, running, finishing and resuming.
struct TrialRecordTests {
    @Test(arguments: StoreBackend.allCases)
    func startedTrialsReadBackWithTheirPlans(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        let plans = Sample.plans(1...3) + [Sample.plan(4, seed: 0), Sample.plan(5, seed: .max)]

        for plan in plans.reversed() { try store.startTrial(sweep: "phone-price", plan: plan, at: Sample.created) }

        let trials = try store.trials(sweep: "phone-price")
        #expect(trials.map(\.plan) == plans)  // ordered by number, seeds above Int64.max intact
        #expect(trials.allSatisfy { sameRecord($0, TrialRecord(plan: $0.plan, status: .running, startedAt: Sample.created)) })
    }

    @Test(arguments: StoreBackend.allCases)
    func startingATrialLeavesTheOthersUnchanged(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        try store.startTrial(sweep: "phone-price", plan: Sample.plan(1), at: Sample.created)
        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: Sample.epochs(), model: try Sample.model())
        let before = try store.trials(sweep: "phone-price")

        try store.startTrial(sweep: "phone-price", plan: Sample.plan(2), at: Sample.created)

        let after = try store.trials(sweep: "phone-price")
        #expect(sameRecords(Array(after.prefix(1)), before))
        #expect(sameRecord(after.last, TrialRecord(plan: Sample.plan(2), status: .running, startedAt: Sample.created)))
        #expect(try store.epochs(sweep: "phone-price", trial: 1).count == Sample.epochs().count)
        #expect(try store.model(sweep: "phone-price", trial: 1) != nil)
    }

    /// What a resumed sweep skips: complete, pruned, failed and diverged trials; pending, running
    /// and interrupted ones run again.
    @Test(arguments: StoreBackend.allCases)
    func finalTrialNumbersAreTheCompleteFailedAndDivergedOnes(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        for plan in Sample.plans(1...6) { try store.startTrial(sweep: "phone-price", plan: plan, at: Sample.created) }
        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: [], model: nil)
        try store.finish(sweep: "phone-price", record: Sample.divergedRecord(2), epochs: [], model: nil)
        var failed = TrialRecord(plan: Sample.plan(3), status: .failed)
        failed.errorMessage = "boom"
        try store.finish(sweep: "phone-price", record: failed, epochs: [], model: nil)
        try store.startTrial(sweep: "phone-price", plan: Sample.plan(4), at: Sample.created)
        try store.startTrial(sweep: "phone-price", plan: Sample.plan(5), at: Sample.created)
        try store.interruptRunningTrials(sweep: "phone-price")
        try store.startTrial(sweep: "phone-price", plan: Sample.plan(4), at: Sample.created)
        var pruned = Sample.completeRecord(6)
        pruned.status = .pruned
        try store.finish(sweep: "phone-price", record: pruned, epochs: [], model: nil)

        #expect(try store.finalTrialNumbers(sweep: "phone-price") == [1, 2, 3, 6])
        #expect(try store.finalTrialNumbers(sweep: "missing") == [])
    }

    @Test(arguments: StoreBackend.allCases)
    func writesIntoAMissingSweepThrowSweepNotFound(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        let missing = ResultStoreError.sweepNotFound("missing")

        #expect(storeError { try store.updateSweep("missing", specJSON: "{}", dataFingerprint: "0") } == missing)
        #expect(storeError { try store.startTrial(sweep: "missing", plan: Sample.plan(1), at: Sample.created) } == missing)
        #expect(storeError { try store.finish(sweep: "missing", record: Sample.completeRecord(1), epochs: [], model: nil) } == missing)
        #expect(storeError { try store.interruptRunningTrials(sweep: "missing") } == missing)
        #expect(storeError { try store.keepWeights(sweep: "missing", of: [1]) } == missing)
        // Reads answer what is there: nothing.
        #expect(try store.trials(sweep: "missing").isEmpty)
        #expect(try store.epochs(sweep: "missing", trial: 1).isEmpty)
        #expect(try store.model(sweep: "missing", trial: 1) == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func startingAStoredTrialAgainStartsAFreshAttempt(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        try store.startTrial(sweep: "phone-price", plan: Sample.plan(1), at: Sample.created)
        var interrupted = Sample.completeRecord(1)
        interrupted.status = .interrupted
        interrupted.foldMetrics = [["validation_loss": 0.5], ["validation_loss": 0.25]]
        try store.finish(sweep: "phone-price", record: interrupted, epochs: Sample.epochs(), model: try Sample.model())
        let start = Date(timeIntervalSince1970: 1_700_000_999.5)

        try store.startTrial(sweep: "phone-price", plan: Sample.plan(1), at: start)

        let trial = try #require(try store.trials(sweep: "phone-price").first)
        #expect(sameRecord(trial, TrialRecord(plan: Sample.plan(1), status: .running, startedAt: start)))
        #expect(trial.foldMetrics.isEmpty)
        #expect(try store.epochs(sweep: "phone-price", trial: 1).isEmpty)
        #expect(try store.model(sweep: "phone-price", trial: 1) == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func finishedTrialReadsBackEveryField(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        for plan in Sample.plans(1...2) { try store.startTrial(sweep: "phone-price", plan: plan, at: Sample.created) }
        try store.startTrial(sweep: "phone-price", plan: Sample.plan(1), at: Sample.created)
        let record = Sample.completeRecord(1)
        let model = try Sample.model()

        try store.finish(sweep: "phone-price", record: record, epochs: Sample.epochs(), model: model)

        let trials = try store.trials(sweep: "phone-price")
        #expect(sameRecord(trials.first, record))
        #expect(sameEpochs(try store.epochs(sweep: "phone-price", trial: 1), Sample.epochs()))
        #expect(sameModel(try store.model(sweep: "phone-price", trial: 1), model))
        #expect(try store.model(sweep: "phone-price", trial: 2) == nil)
        #expect(try store.epochs(sweep: "phone-price", trial: 2).isEmpty)
    }

    /// 2 folds of 41 epochs: the SQLite store inserts them 32, 8 and 1 rows at a time, so every
    /// chunk size and the switch between them is read back here.
    @Test(arguments: StoreBackend.allCases)
    func manyEpochsReadBackInOrder(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        for plan in Sample.plans(1...1) { try store.startTrial(sweep: "phone-price", plan: plan, at: Sample.created) }
        let epochs = Sample.epochs(count: 41, folds: 2) + Sample.nonFiniteEpochs.map { epoch in
            var moved = epoch
            moved.fold = 3
            return moved
        }

        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: epochs, model: nil)

        #expect(sameEpochs(try store.epochs(sweep: "phone-price", trial: 1), epochs))
    }

    /// A duplicate inside a multi-row insert is reported as such, and nothing is kept.
    @Test(arguments: StoreBackend.allCases)
    func duplicateAmongManyEpochsIsReported(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        for plan in Sample.plans(1...1) { try store.startTrial(sweep: "phone-price", plan: plan, at: Sample.created) }
        var epochs = Sample.epochs(count: 40, folds: 1)
        epochs[20] = epochs[5]

        let error = storeError {
            try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: epochs, model: nil)
        }

        #expect(error == .duplicateEpoch(sweep: "phone-price", trial: 1, fold: 1, epoch: 6))
        #expect(try store.epochs(sweep: "phone-price", trial: 1).isEmpty)
    }

    /// A worker's finished trial and its next trial's running mark go in one call: both are
    /// stored, or (the finish refused) neither.
    @Test(arguments: StoreBackend.allCases)
    func finishingThenStartingStoresBothOrNeither(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        try store.startTrial(sweep: "phone-price", plan: Sample.plan(1), at: Sample.created)
        let next = Date(timeIntervalSince1970: 1_700_000_123.5)

        try store.finish(
            sweep: "phone-price", record: Sample.completeRecord(1), epochs: Sample.epochs(), model: nil,
            thenStart: Sample.plan(2), at: next)

        var trials = try store.trials(sweep: "phone-price")
        #expect(trials.map(\.number) == [1, 2])
        #expect(sameRecord(trials[0], Sample.completeRecord(1)))
        #expect(sameRecord(trials[1], TrialRecord(plan: Sample.plan(2), status: .running, startedAt: next)))
        #expect(try store.epochs(sweep: "phone-price", trial: 1) == Sample.epochs())

        var twice = Sample.epochs(count: 4, folds: 1)
        twice[3] = twice[0]
        let error = storeError {
            try store.finish(
                sweep: "phone-price", record: Sample.completeRecord(2), epochs: twice, model: nil, thenStart: Sample.plan(3), at: next)
        }
        #expect(error == .duplicateEpoch(sweep: "phone-price", trial: 2, fold: 1, epoch: 1))
        trials = try store.trials(sweep: "phone-price")
        #expect(trials.map(\.number) == [1, 2] && trials[1].status == .running)
    }

    /// The SQLite store keeps each model column's JSON for every value it wrote and reuses it;
    /// models that differ in each column, written in turn and again, must each read back as
    /// written.
    @Test(arguments: StoreBackend.allCases)
    func modelsThatDifferInEveryColumnReadBackAsWritten(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        for plan in Sample.plans(1...4) { try store.startTrial(sweep: "phone-price", plan: plan, at: Sample.created) }
        let first = try Sample.model()
        var second = try Sample.model(standardizer: Standardizer(means: [0, 0, 1], standardDeviations: [1, 1, 1]))
        second.featureNames = ["a", "b", "c"]
        second.classLabels = ["low", "mid", "high"]
        second.network.negativeSlope = 0.5
        second.tensors = try Network(second.network, seed: 8).namedTensors()
        var third = second
        third.standardizer = nil

        let models = [first, second, first, third]
        for (index, model) in models.enumerated() {
            try store.finish(sweep: "phone-price", record: Sample.completeRecord(index + 1), epochs: [], model: model)
        }

        for (index, model) in models.enumerated() {
            #expect(sameModel(try store.model(sweep: "phone-price", trial: index + 1), model))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func storedModelRebuildsItsNetwork(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        let model = try Sample.model(standardizer: nil)
        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: [], model: model)

        let stored = try #require(try store.model(sweep: "phone-price", trial: 1))

        #expect(stored.standardizer == nil)
        #expect(try stored.makeNetwork().namedTensors() == model.tensors)
    }

    @Test(arguments: StoreBackend.allCases)
    func nonFiniteMetricsAndEpochValuesSurvive(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        let record = Sample.divergedRecord(1)

        try store.finish(sweep: "phone-price", record: record, epochs: Sample.nonFiniteEpochs, model: nil)

        let stored = try #require(try store.trials(sweep: "phone-price").first)
        #expect(sameRecord(stored, record))
        #expect(stored.metrics["validation_loss"]?.isNaN == true)
        #expect(stored.metrics["train_loss"] == .infinity)
        #expect(stored.metrics["best_validation_metric"] == -.infinity)
        #expect(stored.metrics["validation_accuracy"] == 0)  // zero, not absent
        #expect(stored.trainSeconds == 0)
        let epochs = try store.epochs(sweep: "phone-price", trial: 1)
        #expect(sameEpochs(epochs, Sample.nonFiniteEpochs))
        #expect(epochs.first?.validationLoss == nil)  // absent, not zero
        #expect(epochs.first?.validationMetric == 0)
        #expect(epochs.last?.validationLoss == -.infinity)
    }

    @Test(arguments: StoreBackend.allCases)
    func finishAgainReplacesMetricsEpochsAndModel(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: Sample.epochs(count: 5), model: try Sample.model())
        let second = Sample.divergedRecord(1)

        try store.finish(sweep: "phone-price", record: second, epochs: Sample.nonFiniteEpochs, model: nil)

        #expect(sameRecords(try store.trials(sweep: "phone-price"), [second]))  // no metric of the first left
        #expect(sameEpochs(try store.epochs(sweep: "phone-price", trial: 1), Sample.nonFiniteEpochs))
        #expect(try store.model(sweep: "phone-price", trial: 1) == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func finishReturnsEpochsInFoldThenEpochOrder(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())

        try store.finish(sweep: "phone-price", record: Sample.completeRecord(1), epochs: Sample.epochs().reversed(), model: nil)

        #expect(sameEpochs(try store.epochs(sweep: "phone-price", trial: 1), Sample.epochs()))
    }

    /// The second epoch 2 of fold 1 fails after the trial row and its metrics are written, so
    /// in SQLite this proves the rollback of a half-done transaction.
    @Test(arguments: StoreBackend.allCases)
    func failedFinishLeavesTheTrialAsItWas(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        for plan in Sample.plans(1...1) { try store.startTrial(sweep: "phone-price", plan: plan, at: Sample.created) }
        try store.startTrial(sweep: "phone-price", plan: Sample.plan(1), at: Sample.created)
        let before = try store.trials(sweep: "phone-price")
        let epochs = Sample.epochs(count: 3, folds: 1)

        let error = storeError {
            try store.finish(
                sweep: "phone-price", record: Sample.completeRecord(1), epochs: epochs + [epochs[1]], model: try Sample.model())
        }

        #expect(error == .duplicateEpoch(sweep: "phone-price", trial: 1, fold: 1, epoch: 2))
        #expect(sameRecords(try store.trials(sweep: "phone-price"), before))
        #expect(try store.epochs(sweep: "phone-price", trial: 1).isEmpty)
        #expect(try store.model(sweep: "phone-price", trial: 1) == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func finishStoresATrialThatWasNeverPlanned(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        let record = Sample.completeRecord(7)

        try store.finish(sweep: "phone-price", record: record, epochs: [], model: nil)

        #expect(sameRecords(try store.trials(sweep: "phone-price"), [record]))
    }

    @Test(arguments: StoreBackend.allCases)
    func interruptingMarksOnlyRunningTrials(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())
        try store.createSweep(Sample.sweep("other"))
        for trial in 1...3 { try store.startTrial(sweep: "phone-price", plan: Sample.plan(trial), at: Sample.created) }
        try store.startTrial(sweep: "other", plan: Sample.plan(1), at: Sample.created)
        try store.finish(sweep: "phone-price", record: Sample.completeRecord(3), epochs: [], model: nil)

        let count = try store.interruptRunningTrials(sweep: "phone-price")

        #expect(count == 2)
        #expect(try store.trials(sweep: "phone-price").map(\.status) == [.interrupted, .interrupted, .complete])
        #expect(try store.trials(sweep: "phone-price").first?.startedAt == Sample.created)
        #expect(try store.trials(sweep: "other").map(\.status) == [.running])
        #expect(try store.interruptRunningTrials(sweep: "phone-price") == 0)
    }
}
