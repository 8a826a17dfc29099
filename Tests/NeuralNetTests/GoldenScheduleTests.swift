import Foundation
import Testing
@testable import NeuralNet

/// Learning-rate schedules against `torch.optim.lr_scheduler` (schedules.json): the rate during
/// each of 30 epochs with `scheduler.step()` at the end of every epoch, base rate 0.1.
@Suite struct GoldenScheduleTests {
    /// A scheduler's keyword arguments, with PyTorch's names.
    struct Options: Decodable, Sendable {
        let stepSize: Int?
        let gamma: Double?
        let milestones: [Int]?
        let maximumEpochs: Int?
        let minimumRate: Double?
        let startFactor: Double?
        let endFactor: Double?
        let totalEpochs: Int?

        enum CodingKeys: String, CodingKey {
            case stepSize = "step_size", gamma, milestones, maximumEpochs = "T_max", minimumRate = "eta_min"
            case startFactor = "start_factor", endFactor = "end_factor", totalEpochs = "total_iters"
        }
    }

    struct ScheduleCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let scheduler: String?
        let options: Options
        let baseRate: Double
        let epochs: Int
        let rates: [Double]

        enum CodingKeys: String, CodingKey {
            case name, scheduler, options, baseRate = "base_lr", epochs, rates = "lrs"
        }

        var testDescription: String { name }

        /// The engine schedule for the PyTorch scheduler class and its options.
        func schedule() throws -> LearningRateSchedule {
            func required<Value>(_ value: Value?, _ key: String) throws -> Value {
                guard let value else { throw FixtureError("\(name) has no option '\(key)'") }
                return value
            }
            switch scheduler {
            case nil:
                return .none
            case "StepLR":
                return .step(stepSize: try required(options.stepSize, "step_size"), gamma: try required(options.gamma, "gamma"))
            case "MultiStepLR":
                return .multiStep(milestones: try required(options.milestones, "milestones"), gamma: try required(options.gamma, "gamma"))
            case "ExponentialLR":
                return .exponential(gamma: try required(options.gamma, "gamma"))
            case "CosineAnnealingLR":
                return .cosine(maximumEpochs: try required(options.maximumEpochs, "T_max"), minimumRate: options.minimumRate ?? 0)
            case "LinearLR":
                return .linear(
                    startFactor: try required(options.startFactor, "start_factor"),
                    endFactor: try required(options.endFactor, "end_factor"),
                    totalEpochs: try required(options.totalEpochs, "total_iters"))
            case let other?:
                throw FixtureError("unknown scheduler '\(other)' in schedules.json")
            }
        }
    }

    struct Document: Decodable {
        let cases: [ScheduleCase]
    }

    static func cases() throws -> [ScheduleCase] {
        try Fixtures.load(Document.self, from: "schedules.json").cases
    }

    @Test(arguments: try cases())
    func learningRateOfEveryEpochMatchesTorchScheduler(_ golden: ScheduleCase) throws {
        let schedule = try golden.schedule()
        try schedule.validate()
        let rates = (0..<golden.epochs).map { schedule.learningRate(epoch: $0, baseRate: golden.baseRate) }
        // optimizer.param_groups[0]['lr'] during epochs 0…29, as PyTorch computed it.
        expectClose(rates.map(Float.init), golden.rates.map(Float.init), named: "\(golden.name) lr")
    }

    @Test(arguments: try cases())
    func scheduleDecodedFromPyTorchsNamesGivesTheSameRates(_ golden: ScheduleCase) throws {
        // A spec may name a schedule by its PyTorch class and keyword arguments.
        var object: [String: Any] = ["name": golden.scheduler ?? "none"]
        let options = golden.options
        if let value = options.stepSize { object["step_size"] = value }
        if let value = options.gamma { object["gamma"] = value }
        if let value = options.milestones { object["milestones"] = value }
        if let value = options.maximumEpochs { object["T_max"] = value }
        if let value = options.minimumRate { object["eta_min"] = value }
        if let value = options.startFactor { object["start_factor"] = value }
        if let value = options.endFactor { object["end_factor"] = value }
        if let value = options.totalEpochs { object["total_iters"] = value }
        let data = try JSONSerialization.data(withJSONObject: object)
        let decoded = try JSONDecoder().decode(LearningRateSchedule.self, from: data)
        #expect(decoded == (try golden.schedule()))
    }
}
