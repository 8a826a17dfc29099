import Datasets
import Foundation
import Testing
@testable import SweepKit

/// A sweep remembers its data's fingerprint and refuses to resume on other data.
@Suite struct DataFingerprintTests {
    private static let spec = Result {
        try SweepFixtures.spec("""
            {"name": "fingerprinted", "data": "\(SweepFixtures.smallData)", "method": "random", "trials": 4, "seed": 2,
             "fixed": {"hidden_layers": [4], "epochs": 1}, "parameters": {"lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1}}}
            """)
    }

    /// The spec's data, with the targets of rows `shuffled` rotated among themselves.
    private func data(shuffling shuffled: Range<Int>? = nil) throws -> PreparedData {
        let configuration = try Self.spec.get().data
        var dataset = try Dataset.load(source: configuration.source, target: configuration.target)
        if let shuffled {
            var targets = dataset.targets
            let rotated = Array(targets[shuffled].dropFirst()) + [targets[shuffled.lowerBound]]
            targets.replaceSubrange(shuffled, with: rotated)
            dataset.targets = targets
        }
        return try PreparedData.prepare(dataset, configuration)
    }

    private func run(_ data: PreparedData, store: any ResultStore, restart: Bool = false, budget: Int? = nil) async throws -> SweepRunSummary {
        try await SweepScheduler(
            spec: try Self.spec.get(), data: data, store: store,
            options: SweepRunOptions(jobs: 2, restart: restart, trialBudget: budget), stop: StopSignal()
        ).run()
    }

    @Test func theSameDataGivesTheSameFingerprintAndAnyChangeAnother() throws {
        let original = DataFingerprint.of(try data())
        #expect(DataFingerprint.of(try data()) == original)
        #expect(original.count == 16)
        // Three labels moved among three rows: the same values, other rows.
        #expect(DataFingerprint.of(try data(shuffling: 10..<13)) != original)
    }

    @Test func aSweepResumedOnChangedDataIsRefusedUntilRestart() async throws {
        let store = MemoryResultStore()
        _ = try await run(try data(), store: store, budget: 2)
        let fingerprint = try #require(try store.sweep(named: "fingerprinted")?.dataFingerprint)
        #expect(fingerprint == DataFingerprint.of(try data()))

        let error = await #expect(throws: SweepRunError.self) { _ = try await run(try data(shuffling: 0..<40), store: store) }
        #expect(error?.description.contains("changed since its trials were trained") == true, "\(String(describing: error))")
        #expect(try store.trials(sweep: "fingerprinted").count == 2)

        // The same data resumes; --restart starts again on the new data.
        #expect(try await run(try data(), store: store).trials.count == 4)
        let restarted = try await run(try data(shuffling: 0..<40), store: store, restart: true)
        #expect(restarted.trialsRun == 4)
        #expect(try store.sweep(named: "fingerprinted")?.dataFingerprint == DataFingerprint.of(try data(shuffling: 0..<40)))
    }

    @Test func aSweepStoredWithoutAFingerprintTakesTheDataItResumesOn() async throws {
        let store = MemoryResultStore()
        try store.createSweep(SweepRecord(name: "fingerprinted", specJSON: try Self.spec.get().canonicalJSON, created: Date(), status: .interrupted))
        _ = try await run(try data(), store: store)
        #expect(try store.sweep(named: "fingerprinted")?.dataFingerprint == DataFingerprint.of(try data()))
    }
}
