import Foundation

/// The trial plans a spec made while it was checked (`SweepSpec.checkCombinations`: every trial
/// of a grid or random sweep up to 1,000, TPE's random start), kept for the sweep to start them
/// with instead of making each one again. A plan depends only on the spec, the trial's number and
/// its parameters, and a spec's settings never change, so a kept plan is used only for the same
/// number with the same parameters; any other proposal (a TPE trial after its start, a grid on
/// resume) is planned as before.
///
/// Making a plan reads its configuration and writes it as canonical JSON, about 0.2 ms between
/// two fits of a sweep, where the code and data it needs are out of the caches, and all of it
/// time a worker does not train. Shared by the copies of one spec; one lock guards it.
final class CheckedPlans: @unchecked Sendable {
    private let lock = NSLock()
    private var plans: [Int: TrialPlan] = [:]

    /// The plan kept for trial `number`, when it was made from these parameters.
    func plan(number: Int, parameters: [String: JSONValue]) -> TrialPlan? {
        lock.withLock {
            guard let plan = plans[number], case .object(let kept) = plan.parameters, kept == parameters else { return nil }
            return plan
        }
    }

    func keep(_ plan: TrialPlan) {
        lock.withLock { plans[plan.number] = plan }
    }
}
