import Foundation
import Testing
import SweepKit

/// Sweeps on every backend: creation, status, listing and deletion.
struct SweepRecordTests {
    @Test(arguments: StoreBackend.allCases)
    func createdSweepReadsBackUnchanged(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        let sweep = Sample.sweep()

        try store.createSweep(sweep)

        #expect(try store.sweep(named: sweep.name) == sweep)
        #expect(try store.sweep(named: "other") == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func creatingASweepTwiceThrowsAndKeepsTheFirst(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        let first = Sample.sweep()
        try store.createSweep(first)

        var second = first
        second.specJSON = "{}"
        #expect(storeError { try store.createSweep(second) } == .sweepAlreadyExists(first.name))
        #expect(try store.sweep(named: first.name) == first)
    }

    @Test(arguments: StoreBackend.allCases)
    func aGrownSweepKeepsItsNewSpecAndFingerprint(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        var sweep = Sample.sweep()
        sweep.dataFingerprint = nil
        try store.createSweep(sweep)

        try store.updateSweep("phone-price", specJSON: #"{"name":"phone-price","trials":9}"#, dataFingerprint: "fedcba9876543210")

        let stored = try #require(try store.sweep(named: "phone-price"))
        #expect(stored.specJSON == #"{"name":"phone-price","trials":9}"#)
        #expect(stored.dataFingerprint == "fedcba9876543210")
        #expect(stored.created == sweep.created && stored.status == sweep.status)
    }

    @Test(arguments: StoreBackend.allCases)
    func sweepStatusChangesAndAMissingSweepIsReported(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())

        for status in SweepStatus.allCases {
            try store.setSweepStatus("phone-price", status)
            #expect(try store.sweep(named: "phone-price")?.status == status)
        }
        #expect(storeError { try store.setSweepStatus("missing", .complete) } == .sweepNotFound("missing"))
    }

    @Test(arguments: StoreBackend.allCases)
    func sweepsListsEachSweepOldestFirstWithItsTrialCounts(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        let later = Sample.sweep("later", created: Sample.created.addingTimeInterval(60))
        let earlier = Sample.sweep("earlier", status: .complete)
        try store.createSweep(later)
        try store.createSweep(earlier)
        for plan in Sample.plans(1...4) { try store.startTrial(sweep: "later", plan: plan, at: Sample.created) }
        try store.interruptRunningTrials(sweep: "later")
        try store.startTrial(sweep: "later", plan: Sample.plan(2), at: Sample.created)
        try store.finish(sweep: "later", record: Sample.completeRecord(3), epochs: [], model: nil)

        let overviews = try store.sweeps()

        #expect(overviews.map(\.sweep) == [earlier, later])
        #expect(overviews[0].trialCounts.isEmpty)
        #expect(overviews[1].trialCounts == [.interrupted: 2, .running: 1, .complete: 1])
        #expect(overviews[1].totalTrials == 4)
    }

    @Test(arguments: StoreBackend.allCases)
    func deletingASweepRemovesItsTrialsEpochsAndModelsOnly(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        let model = try Sample.model()
        for name in ["doomed", "kept"] {
            try store.createSweep(Sample.sweep(name))
            for plan in Sample.plans(1...2) { try store.startTrial(sweep: name, plan: plan, at: Sample.created) }
            try store.finish(sweep: name, record: Sample.completeRecord(1), epochs: Sample.epochs(), model: model)
        }

        try store.deleteSweep(named: "doomed")

        #expect(try store.sweep(named: "doomed") == nil)
        #expect(try store.trials(sweep: "doomed").isEmpty)
        #expect(try store.epochs(sweep: "doomed", trial: 1).isEmpty)
        #expect(try store.model(sweep: "doomed", trial: 1) == nil)
        #expect(try store.sweeps().map(\.sweep.name) == ["kept"])
        #expect(try store.trials(sweep: "kept").count == 2)
        #expect(try store.epochs(sweep: "kept", trial: 1).count == Sample.epochs().count)
        #expect(try store.model(sweep: "kept", trial: 1) != nil)

        // A name that was deleted can be used again, from nothing.
        try store.createSweep(Sample.sweep("doomed"))
        #expect(try store.trials(sweep: "doomed").isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func deletingAMissingSweepDoesNothing(backend: StoreBackend) throws {
        let directory = try TemporaryDirectory()
        let store = try backend.makeStore(in: directory)
        try store.createSweep(Sample.sweep())

        try store.deleteSweep(named: "missing")

        #expect(try store.sweeps().count == 1)
    }
}
