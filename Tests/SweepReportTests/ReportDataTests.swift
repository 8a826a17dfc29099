import Foundation
import Testing
@testable import SweepKit
@testable import SweepReport

/// What the report's page is given to draw: values only where there are numbers, axes for the
/// searched settings, effects labelled by method, learning curves marked where trials stopped.
@Suite struct ReportDataTests {
    private func report(_ specText: String, _ trials: [TrialRecord], epochs: [Int: [EpochRecord]] = [:], options: ReportOptions = ReportOptions()) throws -> SweepReport {
        let spec = try ReportFixtures.spec(specText)
        let (store, record) = try ReportFixtures.store(spec, trials, epochs: epochs)
        var options = options
        options.evaluatesBestModel = false
        return try SweepReport(store: store, sweep: record, options: options)
    }

    private func sgd(_ lr: Double) -> [String: JSONValue] { ["optimizer": .string("sgd"), "momentum": .number(0.9), "lr": .number(lr)] }

    @Test func aDivergedOrFailedTrialHasNoValueEvenWhenItsRecordHoldsANumber() throws {
        let trials = [
            ReportFixtures.trial(1, sgd(0.01), accuracy: 0.80),
            // A diverged trial that kept the accuracy of its last finite epoch, higher than any.
            ReportFixtures.trial(2, sgd(0.09), accuracy: 0.95, status: .diverged, extra: ["validation_loss": .nan]),
            ReportFixtures.trial(3, sgd(0.02), accuracy: nil, status: .failed, error: "out of memory"),
            ReportFixtures.trial(4, sgd(0.03), accuracy: .nan),
            ReportFixtures.trial(5, sgd(0.04), accuracy: .infinity),
            ReportFixtures.trial(6, sgd(0.05), accuracy: 0.90, status: .pruned),
        ]
        let report = try report(ReportFixtures.randomSpecText, trials)
        let byNumber = Dictionary(uniqueKeysWithValues: report.trials.map { ($0.number, $0) })
        #expect(byNumber[1]?.value == 0.8)
        for number in [2, 3, 6] {
            #expect(byNumber[number]?.value == nil)
            #expect(byNumber[number]?.valueText == nil)
        }
        #expect(byNumber[2]?.status == "diverged")
        #expect(byNumber[3]?.status == "failed")
        #expect(byNumber[3]?.error == "out of memory")
        #expect(byNumber[4]?.value == nil && byNumber[4]?.valueText == "NaN")
        #expect(byNumber[5]?.value == nil && byNumber[5]?.valueText == "inf")
        #expect(report.bestTrial == 1)
        #expect(report.bestSoFar == [BestStep(trial: 1, value: 0.8)])
        // In the JSON the page reads, none of them carries a value.
        let json = try #require(try JSONSerialization.jsonObject(with: ReportPage.encodedJSON(report)) as? [String: Any])
        let rows = try #require(json["trials"] as? [[String: Any]])
        for row in rows where (row["number"] as? Int) != 1 { #expect(row["value"] == nil, "trial \(row["number"] ?? "?")") }
        // "NaN" appears once, as trial 4's text; never as a number (JSONSerialization read it).
        #expect(String(decoding: try ReportPage.encodedJSON(report), as: UTF8.self).components(separatedBy: "NaN").count == 2)
    }

    @Test func searchedSettingsBecomeAxes() throws {
        let trials = [
            ReportFixtures.trial(1, sgd(0.01), accuracy: 0.8),
            ReportFixtures.trial(2, ["optimizer": .string("adam"), "lr": .number(0.001)], accuracy: 0.7),
        ]
        let report = try report(ReportFixtures.randomSpecText, trials)
        // Settings in name order: lr, momentum, optimizer.
        #expect(report.parameters.map(\.name) == ["lr", "momentum", "optimizer"])
        let lr = report.parameters[0], momentum = report.parameters[1], optimizer = report.parameters[2]
        #expect(lr.kind == .log && lr.minimum == 0.0001 && lr.maximum == 0.1 && !lr.conditional)
        #expect(momentum.kind == .categorical && momentum.labels == ["0.5", "0.9"] && momentum.conditional)
        #expect(optimizer.labels == ["sgd", "adam"])
        // Coordinates: the number, the index of the value, nil where the trial has no momentum.
        #expect(report.trials[0].parameters == [0.01, 1, 0])
        #expect(report.trials[1].parameters == [0.001, nil, 1])
    }

    @Test func aLayerListIsADepthAxisAndAWidthAxis() throws {
        let spec = """
            {"name": "report-layers", "data": "builtin:phone-price?rows=200", "method": "random", "trials": 100,
             "parameters": {"hidden_layers": {"depth": {"values": [0, 1, 2]}, "width": {"distribution": "int_log_uniform", "min": 8, "max": 256}}}}
            """
        func layers(_ widths: [Double]) -> [String: JSONValue] { ["hidden_layers": .array(widths.map { .number($0) })] }
        let trials = [
            ReportFixtures.trial(1, layers([16, 64]), accuracy: 0.8),
            ReportFixtures.trial(2, layers([200]), accuracy: 0.7),
            ReportFixtures.trial(3, layers([]), accuracy: 0.6),
        ]
        let report = try report(spec, trials)
        #expect(report.parameters.map(\.name) == ["hidden_layers depth", "hidden_layers width"])
        let depth = report.parameters[0], width = report.parameters[1]
        // Depth: the depths the trials hold; width: the geometric mean of the widths, on a log range.
        #expect(depth.kind == .categorical && depth.labels == ["0", "1", "2"])
        #expect(width.kind == .log && width.minimum == 32 && width.maximum == 200)
        #expect(report.trials.map(\.parameters) == [[2, 32], [1, 200], [0, nil]])
    }

    @Test func gridsGetMainEffectsWithIntervalsAndRandomSweepsAnImportanceEstimate() throws {
        let adam: JSONValue = .object(["name": .string("adam"), "lr": .number(0.005)])
        var grid: [TrialRecord] = []
        for (index, (optimizer, dropout, accuracy)) in [
            (JSONValue.string("sgd"), 0.0, 0.80), (.string("sgd"), 0.2, 0.82), (adam, 0.0, 0.90), (adam, 0.2, 0.94),
        ].enumerated() {
            grid.append(ReportFixtures.trial(index + 1, ["optimizer": optimizer, "dropout": .number(dropout)], accuracy: accuracy))
        }
        let gridReport = try report(ReportFixtures.gridSpecText, grid)
        #expect(gridReport.effects.kind == "main_effects")
        let optimizer = try #require(gridReport.effects.mainEffects?.first { $0.setting == "optimizer" })
        #expect(optimizer.levels.map(\.label) == ["sgd", "adam(lr=0.005)"])
        // adam's mean (0.90 + 0.94) / 2 = 0.92 minus sgd's (0.80 + 0.82) / 2 = 0.81.
        #expect(abs((optimizer.effect ?? 0) - 0.11) < 1e-9)
        #expect(optimizer.levels.allSatisfy { $0.lower != nil && $0.upper != nil })

        let randomReport = try report(ReportFixtures.randomSpecText, Array(ReportFixtures.manyTrials(60)))
        #expect(randomReport.effects.kind == "importance")
        #expect(randomReport.effects.title.contains("estimate"))
        #expect(Set(randomReport.effects.importance?.map(\.setting) ?? []) == ["lr", "momentum", "optimizer"])
    }

    @Test func anImportanceEstimateOverManyTrialsIsFittedToASampleAndSaysSo() throws {
        var options = ReportOptions()
        options.importanceTrialLimit = 100
        let report = try report(ReportFixtures.randomSpecText, ReportFixtures.manyTrials(400), options: options)
        #expect(report.effects.kind == "importance")
        #expect(report.effects.note?.contains("fitted to") == true)
    }

    @Test func aSweepWithoutTestRowsHasNoTestMetricToShow() throws {
        let specText = """
            {"name": "every-row", "data": {"source": "builtin:phone-price?rows=200", "test_fraction": 0, "folds": 3},
             "parameters": {"lr": {"values": [0.01, 0.1]}}}
            """
        let trial = ReportFixtures.trial(1, ["lr": .number(0.01)], accuracy: 0.8)
        let everyRow = try report(specText, [trial])
        #expect(everyRow.sweep.testMetric == nil)
        #expect(everyRow.trials.allSatisfy { $0.testValue == nil })
        #expect(try report(ReportFixtures.randomSpecText, [trial]).sweep.testMetric == "test_accuracy")
    }

    @Test func aTrialThatDivergedInTheFirstEpochOfAFitIsMarkedInThatFitNotTheLastOneStored() throws {
        let specText = """
            {"name": "report-folds", "data": {"source": "builtin:phone-price?rows=200", "folds": 4}, "method": "random",
             "trials": 10, "fixed": {"epochs": 3}, "parameters": {"lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1}}}
            """
        var diverged = ReportFixtures.trial(1, ["lr": .number(0.09)], accuracy: nil, status: .diverged)
        diverged.divergedEpoch = 1
        // Folds 1 and 2 trained their 3 epochs; fold 3's first epoch diverged, so none of it is stored.
        let epochs = (1...2).flatMap { fold in (1...3).map { ReportFixtures.epoch(fold: fold, $0, loss: 1, accuracy: 0.5) } }
        let report = try report(specText, [diverged], epochs: [1: epochs])
        #expect(report.curves.map(\.trial) == [1])
        #expect(report.curves[0].stoppedAt == StopPoint(fit: 3, epoch: 1, plannedEpochs: 3))
        // As the trials table (and the leaderboard) say it.
        #expect(report.trials.first?.epochsText == "1/3 in fit 3")
    }

    @Test func learningCurvesShowTheBestTrialsAndMarkWhereAPrunedTrialStopped() throws {
        let trials = [
            ReportFixtures.trial(1, sgd(0.01), accuracy: 0.8),
            ReportFixtures.trial(2, sgd(0.02), accuracy: 0.9),
            ReportFixtures.trial(3, sgd(0.03), accuracy: 0.6, status: .pruned),
        ]
        let epochs: [Int: [EpochRecord]] = [
            1: [ReportFixtures.epoch(fold: 1, 1, loss: 1, accuracy: 0.5), ReportFixtures.epoch(fold: 1, 2, loss: 0.8, accuracy: 0.8)],
            2: [ReportFixtures.epoch(fold: 1, 1, loss: 1, accuracy: 0.6), ReportFixtures.epoch(fold: 1, 2, loss: .nan, accuracy: 0.9)],
            3: [ReportFixtures.epoch(fold: 1, 1, loss: 1.2, accuracy: 0.6)],
        ]
        let report = try report(ReportFixtures.randomSpecText, trials, epochs: epochs)
        // The best first, then the pruned trial.
        #expect(report.curves.map(\.trial) == [2, 1, 3])
        #expect(report.curves[0].stoppedAt == nil)
        // The default of 50 epochs was planned; the pruner stopped it after epoch 1 of fit 1.
        #expect(report.curves[2].stoppedAt == StopPoint(fit: 1, epoch: 1, plannedEpochs: 50))
        // A loss that was not a number is a gap, not a point.
        #expect(report.curves[0].fits[0].trainLoss == [1, nil])
        #expect(report.trials.first { $0.number == 3 }?.epochsText == "1/50 in fit 1")
        #expect(report.sweep.shortfall == nil)
    }

    @Test func aDivergedTrialsEpochsSayWhereItDiverged() throws {
        var diverged = ReportFixtures.trial(2, sgd(0.09), accuracy: nil, status: .diverged)
        diverged.divergedEpoch = 3
        var first = ReportFixtures.trial(3, sgd(0.5), accuracy: nil, status: .diverged)
        first.divergedEpoch = 1
        let epochs: [Int: [EpochRecord]] = [
            2: [ReportFixtures.epoch(fold: 1, 1, loss: 1, accuracy: 0.5), ReportFixtures.epoch(fold: 1, 2, loss: 0.9, accuracy: 0.6)],
        ]
        let report = try report(ReportFixtures.randomSpecText, [ReportFixtures.trial(1, sgd(0.01), accuracy: 0.8), diverged, first], epochs: epochs)
        // The default of 50 epochs was planned; the loss became NaN in epoch 3 (two stored) and in
        // epoch 1 (none stored).
        #expect(report.trials.first { $0.number == 2 }?.epochsText == "3/50 in fit 1")
        #expect(report.trials.first { $0.number == 3 }?.epochsText == "1/50 in fit 1")
        #expect(report.sweep.shortfall == nil)
    }

    @Test func aSweepWithNoCompleteTrialStillMakesAReport() throws {
        let trials = [
            ReportFixtures.trial(1, sgd(0.01), accuracy: nil, status: .running),
            ReportFixtures.trial(2, sgd(0.09), accuracy: nil, status: .diverged),
        ]
        let report = try report(ReportFixtures.randomSpecText, trials)
        #expect(report.bestTrial == nil)
        #expect(report.bestSoFar.isEmpty)
        #expect(report.effects.kind == "none")
        #expect(report.sweep.statusCounts == ["running": 1, "diverged": 1])
        #expect(report.sweep.shortfall?.contains("has no complete trial yet (1 of its 2 trials still to run or finish)") == true)
        let page = String(decoding: try ReportPage.html(for: report), as: UTF8.self)
        #expect(page.contains("\"best_trial\"") == false)
    }

    @Test func theRevisionChangesWhenATrialFinishes() throws {
        let spec = try ReportFixtures.spec(ReportFixtures.randomSpecText)
        let record = ReportFixtures.record(spec)
        let before = SweepReport.revision(of: record, counts: [.complete: 3, .running: 2])
        #expect(before != SweepReport.revision(of: record, counts: [.complete: 4, .running: 1]))
        #expect(before == SweepReport.revision(of: record, counts: [.running: 2, .complete: 3]))
    }
}
