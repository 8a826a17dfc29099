import AllocationCounter
import NeuralNet
import Testing
@testable import SweepKit

/// The real training loop allocates nothing per mini-batch: between two `.batch` events of one
/// epoch the trainer gathers the next batch, runs forward, loss, backward and the optimizer
/// step, and accumulates the epoch's metrics, all in memory it sized before.
///
/// Allocations are counted by the AllocationCounter test target, which replaces the process's
/// malloc family on Linux/glibc and counts per thread; `Trainer.run` calls `observe` on the
/// thread that trains.
@Suite(.enabled(if: allocation_counter_is_available() != 0, "allocations are intercepted on Linux/glibc only"))
struct AllocationTests {
    /// Counts the allocations of each step that lies between two batch events of the same epoch.
    /// The first step of an epoch follows per-epoch work (the schedule, reshuffling) and is not
    /// counted; the last batch event of an epoch is followed by validation, so no count starts there.
    final class StepAllocations {
        /// One count per counted step, in a buffer reserved up front so that recording a count
        /// never allocates while the next step is being counted.
        private(set) var counts: [Int] = []
        private var countingEpoch: Int?

        init(capacity: Int) {
            counts.reserveCapacity(capacity)
        }

        func observe(_ event: TrainingEvent) {
            guard case .batch(_, let epoch, let batch, let batchCount) = event else {
                if countingEpoch != nil {
                    _ = allocation_counter_stop()
                    countingEpoch = nil
                }
                return
            }
            if let started = countingEpoch {
                let count = allocation_counter_stop()
                countingEpoch = nil
                if started == epoch { counts.append(count) }
            }
            if batch < batchCount {
                countingEpoch = epoch
                allocation_counter_start()
            }
        }
    }

    /// The default price network ([128, 256], ReLU, Kaiming) with Adam, 32-row batches, on the
    /// small built-in data.
    static func priceConfiguration() -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        var data = DataConfiguration()
        data.source = smallPhoneSource
        configuration.data = data
        configuration.hiddenLayers = [128, 256]
        configuration.optimizer = OptimizerConfiguration(kind: .adam)
        configuration.batchSize = 32
        configuration.epochs = 2
        return configuration
    }

    /// 280 training rows in batches of 32: 8 full batches and a last one of 24 per epoch, so
    /// 9 batch events and 8 counted steps (batches 2...9, the last being the smaller one) in
    /// each of the 2 epochs.
    static let countedStepsPerRun = 2 * 8

    @Test(arguments: [false, true])
    func everyTrainingStepAfterTheFirstOfAnEpochAllocatesNothing(withBatchNormAndDropout: Bool) throws {
        var configuration = Self.priceConfiguration()
        if withBatchNormAndDropout {
            configuration.batchNorm = true
            configuration.dropout = 0.2
            configuration.activation = .prelu
        }
        let trainer = try Trainer(configuration: configuration, data: try PreparedData.load(configuration.data))
        let steps = StepAllocations(capacity: 64)

        let result = try trainer.run(observe: steps.observe)

        #expect(result.status == .complete)
        #expect(steps.counts.count == Self.countedStepsPerRun)
        #expect(steps.counts.allSatisfy { $0 == 0 }, "allocations per step: \(steps.counts)")
    }
}
