import Foundation
import NeuralNet
import Testing
@testable import SweepKit

@Suite("TPE sampler: startup, determinism and what it learns")
struct TPESamplerTests {
    // MARK: Helpers

    static func space(_ dimensions: [SearchDimension]) -> SearchSpace {
        SearchSpace(dimensions: dimensions, layerLists: [:])
    }

    /// The space of a TPE spec's `parameters`, read as `sweep run` reads it.
    static func specSpace(_ parameters: String) throws -> SearchSpace {
        try SweepFixtures.spec("""
            {"name": "tpe", "data": "\(SweepFixtures.smallData)", "method": "tpe", "trials": 200, "seed": 3,
             "fixed": {"epochs": 1}, "parameters": \(parameters)}
            """).space
    }

    /// A history of complete trials numbered from 1, best (lowest loss) first, ties by number.
    static func history(_ trials: [(point: SearchPoint, loss: Double)], status: (Int) -> TrialStatus = { _ in .complete }) -> SearchHistory {
        let finished = trials.enumerated().map { index, trial in
            FinishedTrial(number: index + 1, point: trial.point, status: status(index + 1), loss: trial.loss)
        }
        let order: [TrialStatus: Int] = [.complete: 0, .pruned: 1, .diverged: 2]
        let ranked = finished.sorted { (order[$0.status]!, $0.loss, $0.number) < (order[$1.status]!, $1.loss, $1.number) }
        return SearchHistory(taken: Set(finished.map(\.point)), finished: ranked)
    }

    /// Trial `first` … `first + count − 1`'s proposals from one history (each number has its own draws).
    static func proposals(_ sampler: TPESampler, _ history: SearchHistory, count: Int = 100, first: Int = 1000, seed: UInt64 = 11) -> [SearchPoint] {
        (first..<(first + count)).map { sampler.propose(trial: $0, seed: seed, history: history)! }
    }

    static func share<T>(_ items: [T], _ predicate: (T) -> Bool) -> Double {
        Double(items.filter(predicate).count) / Double(items.count)
    }

    static func options(multivariate: Bool = false) -> TPEOptions {
        var options = TPEOptions()
        options.multivariate = multivariate
        return options
    }

    /// A layer list, a JSON-bundle list, a conditional number, a log number and a q-step.
    static let mixedParameters = """
        {"hidden_layers": {"depth": {"values": [1, 2, 3]}, "width": {"distribution": "int_log_uniform", "min": 8, "max": 256}},
         "optimizer": {"values": ["sgd", {"name": "adam", "lr": 0.005}, {"name": "rmsprop"}]},
         "momentum": {"distribution": "uniform", "min": 0.5, "max": 0.99, "when": {"optimizer": ["sgd"]}},
         "lr": {"distribution": "log_uniform", "min": 0.0001, "max": 0.1},
         "dropout": {"distribution": "q_uniform", "min": 0, "max": 0.5, "q": 0.1}}
        """

    /// A history over `space`: its random sweep's first `count` points, scored by `loss`.
    static func randomHistory(_ space: SearchSpace, count: Int, seed: UInt64 = 5, loss: (SearchPoint) -> Double) -> SearchHistory {
        let random = RandomSampler(space: space)
        return history((1...count).map { number in
            let point = random.propose(trial: number, seed: seed, history: .empty)!
            return (point, loss(point))
        })
    }

    // MARK: Startup and determinism

    @Test func startupTrialsAreTheRandomSweepsPoints() throws {
        let space = try Self.specSpace(Self.mixedParameters)
        let sampler = TPESampler(space: space, options: TPEOptions())
        let random = RandomSampler(space: space)
        let full = Self.randomHistory(space, count: 12) { $0["lr"]! }
        for visible in 0..<10 {
            // Fewer than startup_trials (10) finished trials: RandomSampler's point, exactly.
            let history = SearchHistory(taken: full.taken, finished: Array(full.finished.prefix(visible)))
            for number in [1, 7, 10, 11, 250] {
                #expect(sampler.propose(trial: number, seed: 9, history: history) == random.propose(trial: number, seed: 9, history: .empty))
            }
        }
        let learned = (20..<30).map { sampler.propose(trial: $0, seed: 9, history: full) }
        #expect(learned != (20..<30).map { random.propose(trial: $0, seed: 9, history: .empty) })
    }

    @Test(arguments: [false, true])
    func sameInputsGiveTheSameProposalEvenConcurrently(multivariate: Bool) async throws {
        let space = try Self.specSpace(Self.mixedParameters)
        let sampler = TPESampler(space: space, options: Self.options(multivariate: multivariate))
        let history = Self.randomHistory(space, count: 60) { $0["lr"]! + ($0["dropout"] ?? 0) }
        let first = Self.proposals(sampler, history, count: 20)
        #expect(Self.proposals(sampler, history, count: 20) == first)
        let concurrent = await withTaskGroup(of: [SearchPoint].self) { group in
            for _ in 0..<4 { group.addTask { Self.proposals(sampler, history, count: 20) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(concurrent.allSatisfy { $0 == first })
        // Different seeds and numbers draw differently.
        #expect(Set(first).count > 15)
        #expect(sampler.propose(trial: 1000, seed: 12, history: history) != first[0])
    }

    @Test(arguments: [false, true])
    func dictionaryInsertionOrderChangesNothing(multivariate: Bool) throws {
        let space = try Self.specSpace(Self.mixedParameters)
        let sampler = TPESampler(space: space, options: Self.options(multivariate: multivariate))
        let history = Self.randomHistory(space, count: 40) { $0["lr"]! }
        // The same points rebuilt with keys inserted in another order into larger storage:
        // Swift seeds each dictionary's hashing apart, so their iteration orders differ.
        func rebuilt(_ point: SearchPoint, salt: Int) -> SearchPoint {
            var copy = SearchPoint(minimumCapacity: 64 + salt)
            for key in point.keys.sorted(by: salt % 2 == 0 ? (>) : (<)) { copy[key] = point[key] }
            return copy
        }
        let permuted = SearchHistory(
            taken: Set(history.taken.map { rebuilt($0, salt: 1) }),
            finished: history.finished.enumerated().map { index, trial in
                var copy = trial
                copy.point = rebuilt(trial.point, salt: index)
                return copy
            })
        #expect(history.finished.map { Array($0.point.keys) } != permuted.finished.map { Array($0.point.keys) })
        #expect(Self.proposals(sampler, permuted, count: 30) == Self.proposals(sampler, history, count: 30))
    }

    @Test func aProposalIsPinnedAcrossProcessesAndBuilds() {
        // No number may depend on the process (hash seeds, addresses) or the build: these are
        // this implementation's proposals for a fixed history, recorded once. A change here
        // changes the trials of every TPE sweep; update the values only on purpose.
        let space = Self.space([
            SearchDimension(name: "x", parameter: .uniform(minimum: 0, maximum: 1)),
            SearchDimension(name: "k", parameter: .values([.string("a"), .string("b"), .string("c")])),
            SearchDimension(name: "n", parameter: .integerLogUniform(minimum: 1, maximum: 64)),
        ])
        let history = Self.history((0..<30).map { i in
            let x = Double(i) / 29, k = Double(i % 3), n = Double(1 << (i % 7))
            return (["x": x, "k": k, "n": n], abs(x - 0.3) + (k == 1 ? 0 : 0.5))
        })
        let independent = TPESampler(space: space, options: Self.options()).propose(trial: 31, seed: 2024, history: history)!
        let joint = TPESampler(space: space, options: Self.options(multivariate: true)).propose(trial: 31, seed: 2024, history: history)!
        #expect(independent == ["x": 0.4274455599112646, "k": 1, "n": 11])
        #expect(joint == ["x": 0.4732005842483157, "k": 1, "n": 58])
    }

    // MARK: What it learns

    @Test(arguments: [false, true])
    func proposalsConcentrateWhereTheGoodTrialsCluster(multivariate: Bool) {
        let space = Self.space([SearchDimension(name: "x", parameter: .uniform(minimum: 0, maximum: 1))])
        let history = Self.history((0..<40).map { i in
            let x = (Double(i) + 0.5) / 40
            return (["x": x], abs(x - 0.3))
        })
        let proposals = Self.proposals(TPESampler(space: space, options: Self.options(multivariate: multivariate)), history)
        // A uniform draw lands in [0.2, 0.4] a fifth of the time.
        #expect(Self.share(proposals) { abs($0["x"]! - 0.3) <= 0.1 } > 0.8)
    }

    @Test(arguments: [false, true])
    func aChoiceThatAllGoodTrialsUsedIsProposedFarMoreThanByChance(multivariate: Bool) {
        let space = Self.space([SearchDimension(name: "k", parameter: .values((0..<4).map { .number(Double($0)) }))])
        let history = Self.history((0..<40).map { i in
            let choice = Double(i % 4)
            return (["k": choice], (choice == 2 ? 0 : 1) + Double(i) * 0.001)
        })
        let proposals = Self.proposals(TPESampler(space: space, options: Self.options(multivariate: multivariate)), history)
        // Chance is a quarter.
        #expect(Self.share(proposals) { $0["k"] == 2 } > 0.8)
    }

    @Test(arguments: [false, true])
    func aConditionalDimensionIsLearnedFromTheTrialsThatHaveIt(multivariate: Bool) {
        let space = Self.space([
            SearchDimension(name: "optimizer", parameter: .values([.string("sgd"), .string("adam"), .string("rmsprop")])),
            SearchDimension(name: "momentum", parameter: .uniform(minimum: 0.5, maximum: 0.99), conditions: [Condition(parent: "optimizer", coordinates: [0])]),
        ])
        let history = Self.history((0..<45).map { i in
            let optimizer = Double(i % 3)
            guard optimizer == 0 else { return (["optimizer": optimizer], 1 + Double(i) * 0.001) }
            let momentum = 0.5 + 0.49 * Double((i * 7) % 15) / 14
            return (["optimizer": 0, "momentum": momentum], abs(momentum - 0.9))
        })
        let proposals = Self.proposals(TPESampler(space: space, options: Self.options(multivariate: multivariate)), history)
        // A point carries momentum exactly when its optimizer is sgd.
        #expect(proposals.allSatisfy { ($0["momentum"] != nil) == ($0["optimizer"] == 0) })
        let sgd = proposals.filter { $0["optimizer"] == 0 }
        // Chance is a third for sgd, and 0.2 / 0.49 for momentum within 0.1 of 0.9.
        #expect(Double(sgd.count) / Double(proposals.count) > 0.7)
        #expect(Self.share(sgd) { abs($0["momentum"]! - 0.9) <= 0.1 } > 0.7)
    }

    @Test func multivariateTPELearnsWhatTheDimensionsDoTogether() {
        let space = Self.space([
            SearchDimension(name: "x", parameter: .uniform(minimum: 0, maximum: 1)),
            SearchDimension(name: "y", parameter: .uniform(minimum: 0, maximum: 1)),
        ])
        // Good trials lie along the diagonal, which every x and every y crosses: one dimension
        // at a time nothing is learned, jointly everything is.
        var generator = SplitMix64(seed: 1)
        let history = Self.history((0..<100).map { _ in
            let x = generator.nextUnitDouble(), y = generator.nextUnitDouble()
            return (["x": x, "y": y], abs(x - y))
        })
        func meanGap(multivariate: Bool) -> Double {
            let proposals = Self.proposals(TPESampler(space: space, options: Self.options(multivariate: multivariate)), history, count: 200)
            return proposals.map { abs($0["x"]! - $0["y"]!) }.reduce(0, +) / 200
        }
        let independent = meanGap(multivariate: false), joint = meanGap(multivariate: true)
        // Independent uniform x and y are 1/3 apart on average.
        #expect(independent > 0.2)
        #expect(joint < 0.5 * independent, "joint \(joint), independent \(independent)")
    }

    @Test func multivariateGroupsFollowTheConditionsOfTheSpace() throws {
        let space = try Self.specSpace(Self.mixedParameters)
        let history = Self.randomHistory(space, count: 60) { $0["lr"]! }
        let sampler = TPESampler(space: space, options: Self.options(multivariate: true))
        let observed = Observations(split: TPESampler.split(history.finished, gamma: 0.1), space: space, domains: sampler.domains)
        let groups = Set(observed.groups().map { Set($0.map { space.dimensions[$0].name }) })
        // Always present together: depth, width 1, dropout, lr, optimizer; each conditional
        // dimension alone (width 2 with depth ≥ 2, width 3 with depth 3, momentum with sgd).
        #expect(groups == [
            ["dropout", "hidden_layers.depth", "hidden_layers.width_1", "lr", "optimizer"],
            ["hidden_layers.width_2"], ["hidden_layers.width_3"], ["momentum"],
        ])
    }

    @Test func aDimensionNoTrialHasIsDrawnFromThePriorInMultivariateMode() {
        let space = Self.space([
            SearchDimension(name: "x", parameter: .uniform(minimum: 0, maximum: 1)),
            SearchDimension(name: "y", parameter: .integerUniform(minimum: 1, maximum: 10)),
        ])
        // Trials from before y was searched: they carry x only.
        let history = Self.history((0..<40).map { i in
            let x = (Double(i) + 0.5) / 40
            return (["x": x], abs(x - 0.7))
        })
        let proposals = Self.proposals(TPESampler(space: space, options: Self.options(multivariate: true)), history)
        #expect(Self.share(proposals) { abs($0["x"]! - 0.7) <= 0.1 } > 0.8)
        #expect(proposals.allSatisfy { (1...10).contains(Int($0["y"]!)) && $0["y"]! == $0["y"]!.rounded() })
        // The prior is a wide normal over [0.5, 10.5]: every value turns up in 100 draws.
        #expect(Set(proposals.map { $0["y"]! }).count >= 8)
    }

    @Test(arguments: [false, true])
    func layerListsAndJSONBundlesAreLearnedAndReadBackAsTheSamePoint(multivariate: Bool) throws {
        let space = try Self.specSpace(Self.mixedParameters)
        // Good: two layers, the first about 64 wide, Adam with its bundled lr.
        let history = Self.randomHistory(space, count: 80) { point in
            (point["hidden_layers.depth"] == 1 ? 0 : 1) + (point["optimizer"] == 1 ? 0 : 1)
                + abs(log2(point["hidden_layers.width_1"]!) - 6) / 5
        }
        let sampler = TPESampler(space: space, options: Self.options(multivariate: multivariate))
        let proposals = Self.proposals(sampler, history)
        for point in proposals {
            let parameters = space.parameters(for: point)
            guard case .array(let widths)? = parameters["hidden_layers"] else {
                Issue.record("no hidden_layers in \(parameters)")
                continue
            }
            #expect(widths.count == Int(point["hidden_layers.depth"]!) + 1)
            #expect(widths.allSatisfy { if case .number(let w) = $0 { w >= 8 && w <= 256 && w == w.rounded() } else { false } })
            // What is stored reads back as the proposed point: no value off its steps or range.
            #expect(space.point(of: .object(parameters)) == point)
        }
        let parameters = proposals.map { space.parameters(for: $0) }
        // Chance is a third for each.
        #expect(Self.share(parameters) { $0["optimizer"] == .object(["name": .string("adam"), "lr": .number(0.005)]) } > 0.6)
        #expect(Self.share(proposals) { $0["hidden_layers.depth"] == 1 } > 0.6)
        #expect(Self.share(proposals.filter { $0["hidden_layers.depth"] == 1 }) { abs(log2($0["hidden_layers.width_1"]!) - 6) <= 1 } > 0.5)
    }

    @Test func theConstantLiarSpreadsProposalsAwayFromThePendingTrials() {
        let space = Self.space([SearchDimension(name: "x", parameter: .uniform(minimum: 0, maximum: 1))])
        // Good trials near 0.7; the lag hides eight trials already proposed at 0.7.
        var history = Self.history((0..<40).map { i in
            let x = (Double(i) + 0.5) / 40
            return (["x": x], abs(x - 0.7))
        })
        history.pending = (41...48).map { PendingTrial(number: $0, point: ["x": 0.7]) }
        func nearPending(constantLiar: Bool) -> Double {
            var options = Self.options()
            options.constantLiar = constantLiar
            return Self.share(Self.proposals(TPESampler(space: space, options: options), history, count: 200)) { abs($0["x"]! - 0.7) < 0.02 }
        }
        let liar = nearPending(constantLiar: true), honest = nearPending(constantLiar: false)
        #expect(liar < 0.6 * honest, "with the constant liar \(liar), without \(honest)")
        // Without the liar, pending trials are not looked at at all.
        var withoutPending = history
        withoutPending.pending = []
        var options = Self.options()
        options.constantLiar = false
        let sampler = TPESampler(space: space, options: options)
        #expect(Self.proposals(sampler, history, count: 20) == Self.proposals(sampler, withoutPending, count: 20))
    }

    @Test func constantLiarIsOnByDefaultAndASpecCanTurnItOff() throws {
        #expect(TPEOptions().constantLiar)
        let spec = try SweepFixtures.spec("""
            {"name": "tpe", "data": "\(SweepFixtures.smallData)", "method": "tpe", "trials": 20,
             "sampler": {"constant_liar": false}, "fixed": {"epochs": 1}, "parameters": {"lr": {"values": [0.1, 0.01]}}}
            """)
        #expect(spec.tpe.constantLiar == false)
    }

    @Test func divergedTrialsAreNeverGoodAndPrunedOnesOnlyAfterTheCompleteOnes() {
        let point: SearchPoint = ["x": 0.5]
        // 30 finished trials: n_below = ⌈0.1 · 30⌉ = 3. One complete, one pruned, 28 diverged:
        // the good group holds the complete and the pruned trial, never a diverged one.
        let finished = [FinishedTrial(number: 17, point: point, status: .complete, loss: 1), FinishedTrial(number: 4, point: point, status: .pruned, loss: .nan)]
            + (1...30).filter { $0 != 17 && $0 != 4 }.map { FinishedTrial(number: $0, point: point, status: .diverged, loss: .nan) }
        let split = TPESampler.split(finished, gamma: 0.1)
        #expect(split.below.map(\.number) == [4, 17])
        #expect(split.above.map(\.number) == (1...30).filter { $0 != 17 && $0 != 4 })
        // Five more complete trials, better than 17: n_below = ⌈0.1 · 35⌉ = 4, all complete,
        // the four best, in number order; the pruned trial is not needed.
        let complete = [(33, 0.1), (31, 0.2), (35, 0.3), (32, 0.4), (34, 0.5)].map { FinishedTrial(number: $0.0, point: point, status: .complete, loss: $0.1) }
        let mixed = TPESampler.split(complete + finished, gamma: 0.1)
        #expect(mixed.below.map(\.number) == [31, 32, 33, 35])
    }

    @Test func tiesAreBrokenByTheRankingsOrder() {
        let point: SearchPoint = ["x": 0.5]
        // Ten trials, one good; trials 8 and 3 tie on the metric and the ranking put 8 first
        // (say, by its lower validation loss): 8 is the good trial.
        let numbers = [8, 3, 1, 2, 4, 5, 6, 7, 9, 10]
        let finished = numbers.enumerated().map { FinishedTrial(number: $1, point: point, status: .complete, loss: $0 < 2 ? 0.5 : Double($0)) }
        #expect(TPESampler.split(finished, gamma: 0.1).below.map(\.number) == [8])
    }

    @Test func singleValuedDimensionsTakeTheirOnlyValue() {
        let space = Self.space([
            SearchDimension(name: "only", parameter: .values([.string("relu")])),
            SearchDimension(name: "step", parameter: .quantizedUniform(minimum: 0.01, maximum: 0.04, quantum: 0.1)),
            SearchDimension(name: "x", parameter: .uniform(minimum: 0, maximum: 1)),
        ])
        let history = Self.history((0..<20).map { i in (["only": 0, "step": 0, "x": Double(i) / 20], Double(i)) })
        for multivariate in [false, true] {
            let proposals = Self.proposals(TPESampler(space: space, options: Self.options(multivariate: multivariate)), history, count: 10)
            #expect(proposals.allSatisfy { $0["only"] == 0 && $0["step"] == 0 && $0["x"] != nil })
        }
    }
}
