import Foundation
import NeuralNet

/// A dimension as TPE models it: Optuna's distribution of the parameter, on its coordinate.
enum ParzenDomain: Sendable, Hashable {
    /// One of `count` listed values, by index (`CategoricalDistribution`).
    case categorical(count: Int)
    /// A number in [low, high]; with a step, only low + k·step (`IntDistribution`, or
    /// `FloatDistribution(step=q)`); with `log`, modelled on the logarithm (`log=True`).
    case numerical(low: Double, high: Double, step: Double?, log: Bool)

    /// The domain of a parameter, or nil when it can take a single value (Optuna asks no sampler
    /// for such a parameter: `distribution.single()`).
    init?(_ parameter: SearchParameter) {
        switch parameter {
        case .values(let values):
            guard values.count > 1 else { return nil }
            self = .categorical(count: values.count)
        case .uniform(let minimum, let maximum):
            self = .numerical(low: minimum, high: maximum, step: nil, log: false)
        case .logUniform(let minimum, let maximum):
            self = .numerical(low: minimum, high: maximum, step: nil, log: true)
        case .integerUniform(let minimum, let maximum):
            self = .numerical(low: Double(minimum), high: Double(maximum), step: 1, log: false)
        case .integerLogUniform(let minimum, let maximum):
            self = .numerical(low: Double(minimum), high: Double(maximum), step: 1, log: true)
        case .quantizedUniform(let minimum, let maximum, let quantum):
            let range = parameter.steppedRange(minimum: minimum, maximum: maximum, quantum: quantum)
            guard range.low < range.high else { return nil }
            self = .numerical(low: range.low, high: range.high, step: quantum, log: false)
        }
    }

    /// Whether a stored coordinate belongs to the domain; others (none, unless the space
    /// changed under a stored trial) are not observations.
    func contains(_ coordinate: Double) -> Bool {
        switch self {
        case .categorical(let count):
            coordinate >= 0 && coordinate < Double(count) && coordinate == coordinate.rounded()
        case .numerical(let low, let high, let step, _):
            coordinate >= low - (step ?? 0) / 2 && coordinate <= high + (step ?? 0) / 2
        }
    }

    /// Where the kernels live: the bounds widened by half a step for stepped values (each value
    /// owns the interval around it), then the logarithm for log scales.
    var kernelBounds: (low: Double, high: Double) {
        guard case .numerical(var low, var high, let step, let log) = self else { return (0, 0) }
        if let step {
            low -= step / 2
            high += step / 2
        }
        return log ? (Foundation.log(low), Foundation.log(high)) : (low, high)
    }
}

/// One dimension's kernels: a bandwidth and centre per kernel for a number (in the kernel space
/// of `ParzenDomain.kernelBounds`), a probability per choice and kernel for a list.
struct ParzenKernels: Sendable {
    let domain: ParzenDomain
    let centres: [Double]
    let bandwidths: [Double]
    /// The kernels by increasing centre, equal centres in kernel order (numbers only).
    var byCentre: [Int] = []
    /// Kernel k's probability of choice c at [k · count + c].
    var probabilities: [Double] = []
}

/// A Parzen estimator: a weighted mixture of product kernels, one kernel per observation and
/// one for the prior, over one dimension (independent TPE) or several (multivariate TPE).
/// TPE fits one to the good trials, l(x), and one to the others, g(x).
///
/// p(x) = Σₖ wₖ Πᵢ Kₖᵢ(xᵢ), with the weights of the observations and the prior's
/// `priorWeight`, normalised to sum to 1. Per dimension, as Optuna 5.1.0's `_ParzenEstimator`
/// (`optuna/samplers/_tpe/parzen_estimator.py`):
/// - numbers: a normal kernel at each observation (at its logarithm on a log scale) truncated to
///   the range, with bandwidth σ = max(gap to the left neighbour, gap to the right neighbour)
///   among the sorted observations and the range's ends; without `considerEndpoints` the
///   outermost observations use their inner gap only. σ is clipped to [range / min(100, n + 2),
///   range] with `magicClip` (Optuna's `consider_magic_clip`), to [1e-12, range] without. The
///   prior is a kernel at the centre of the range with σ = range. Stepped values (integers,
///   q-steps) get the kernel's mass over [x − step/2, x + step/2], the range widened by half a
///   step at each end (Optuna's discretised truncated normals).
/// - lists: kernel k puts probability (1 + priorWeight/(n + 1)) / (1 + C·priorWeight/(n + 1)) on
///   its observed choice and priorWeight/(n + 1) / (same) on each of the C choices otherwise;
///   the prior kernel is uniform. With no observation the estimator is the prior alone.
///
/// Optuna 5.1.0 uses these neighbour-gap bandwidths for multivariate estimators too (earlier
/// versions used a Scott-like rule there, σ = 0.2 · n^(−1/(d + 4)) · range).
///
/// Where this differs from Optuna, on purpose: equal observations take their neighbour gaps in
/// trial order (numpy's `argsort` is not stable, and its order depends on the machine), draws
/// are kept in [low, high] (exp(log high) can round past high), and kernels more than e⁻⁴⁰ below
/// the largest are left out of the log-sum (a change below 5e-15).
///
/// Bergstra, Bardenet, Bengio & Kégl, "Algorithms for Hyper-Parameter Optimization", NeurIPS
/// 2011; Watanabe, "Tree-Structured Parzen Estimator: Understanding Its Algorithm Components and
/// Their Roles for Better Empirical Performance", arXiv:2304.11127, 2023.
struct ParzenEstimator: Sendable {
    /// The mixture weights, the prior's last.
    let weights: [Double]
    let dimensions: [ParzenKernels]

    /// - Parameters:
    ///   - observations: per dimension, the coordinate of each observation, in the same
    ///     observation order (trial number order, which the weights follow).
    ///   - weights: one per observation (`TPESampler.defaultWeights`).
    init(observations: [[Double]], domains: [ParzenDomain], weights observationWeights: [Double], options: TPEOptions) {
        precondition(observations.count == domains.count, "one observation column per dimension")
        let count = observations.first?.count ?? 0
        precondition(observationWeights.count == count, "one weight per observation")
        var weights = count == 0 ? [1.0] : observationWeights + [options.priorWeight]
        // Summed in order, so that the same observations always give the same weights.
        let total = weights.reduce(0, +)
        for k in weights.indices { weights[k] /= total }
        self.weights = weights
        dimensions = zip(observations, domains).map { column, domain in
            switch domain {
            case .categorical(let choices):
                Self.categoricalKernels(column, choices: choices, domain: domain, options: options)
            case .numerical:
                Self.numericalKernels(column, domain: domain, options: options)
            }
        }
    }

    var kernelCount: Int { weights.count }

    private static func categoricalKernels(_ observed: [Double], choices: Int, domain: ParzenDomain, options: TPEOptions) -> ParzenKernels {
        guard !observed.isEmpty else {
            return ParzenKernels(domain: domain, centres: [], bandwidths: [], probabilities: Array(repeating: 1 / Double(choices), count: choices))
        }
        let kernels = observed.count + 1
        let share = options.priorWeight / Double(kernels)
        var probabilities = [Double](repeating: share, count: kernels * choices)
        for (k, choice) in observed.enumerated() { probabilities[k * choices + Int(choice)] += 1 }
        for k in 0..<kernels {
            let row = k * choices
            let sum = probabilities[row..<(row + choices)].reduce(0, +)
            for c in 0..<choices { probabilities[row + c] /= sum }
        }
        return ParzenKernels(domain: domain, centres: [], bandwidths: [], probabilities: probabilities)
    }

    private static func numericalKernels(_ observed: [Double], domain: ParzenDomain, options: TPEOptions) -> ParzenKernels {
        guard case .numerical(_, _, _, let log) = domain else { preconditionFailure("a numerical domain") }
        let (low, high) = domain.kernelBounds
        let centres = log ? observed.map { Foundation.log($0) } : observed
        let n = centres.count
        // A stable order, so that equal observations get their bandwidths in trial order
        // (numpy's default sort leaves that order to its implementation).
        var pairs = centres.enumerated().map { ($1, $0) }
        pairs.sort { $0 < $1 }
        let order = pairs.map(\.1)
        let sorted = [low] + pairs.map(\.0) + [high]
        var bandwidths = [Double](repeating: 0, count: n)
        for (rank, index) in order.enumerated() {
            let position = rank + 1
            var bandwidth = max(sorted[position] - sorted[position - 1], sorted[position + 1] - sorted[position])
            // Without the endpoints, the outermost observations look inward only.
            if !options.considerEndpoints && n >= 2 {
                if rank == 0 { bandwidth = sorted[2] - sorted[1] }
                if rank == n - 1 { bandwidth = sorted[n] - sorted[n - 1] }
            }
            bandwidths[index] = bandwidth
        }
        let widest = high - low
        // Optuna's "magic clip": no bandwidth below the range split n + 2 ways (100 at most), so
        // that a few close observations do not make needle-thin kernels.
        let narrowest = options.magicClip ? widest / min(100, Double(n + 2)) : 1e-12
        for i in bandwidths.indices { bandwidths[i] = min(max(bandwidths[i], narrowest), widest) }
        // The prior sits at the centre of the range: its place among the sorted kernels.
        let prior = 0.5 * (low + high)
        var byCentre = order
        byCentre.insert(n, at: pairs.firstIndex { $0.0 > prior } ?? n)
        return ParzenKernels(domain: domain, centres: centres + [prior], bandwidths: bandwidths + [widest], byCentre: byCentre)
    }
}

// MARK: Density

extension ParzenEstimator {
    /// log p(x) at each candidate (`candidates[dimension][j]`), as Optuna's `log_pdf`: on a log
    /// scale the density is the one of the logarithm, which cancels in the ratio l(x)/g(x).
    func logDensities(of candidates: [[Double]]) -> [Double] {
        let candidateCount = candidates.first?.count ?? 0
        let kernels = kernelCount
        guard candidateCount > 0 else { return [] }
        // terms[j · kernels + k] = log wₖ + Σᵢ log Kₖᵢ(xⱼᵢ)
        var terms = [Double](repeating: 0, count: candidateCount * kernels)
        let logWeights = weights.map { Foundation.log($0) }
        for j in 0..<candidateCount {
            for k in 0..<kernels { terms[j * kernels + k] = logWeights[k] }
        }
        for (column, kernelSet) in zip(candidates, dimensions) {
            switch kernelSet.domain {
            case .categorical(let choices):
                let logProbabilities = kernelSet.probabilities.map { Foundation.log($0) }
                let rows = logProbabilities.count / choices
                for j in 0..<candidateCount {
                    let choice = Int(column[j])
                    for k in 0..<kernels { terms[j * kernels + k] += logProbabilities[(rows == 1 ? 0 : k) * choices + choice] }
                }
            case .numerical(_, _, let step, let log):
                if let step { addDiscreteLogMasses(column, kernelSet, step: step, log: log, to: &terms) }
                else { addContinuousLogDensities(column, kernelSet, log: log, to: &terms) }
            }
        }
        return (0..<candidateCount).map { j in
            let row = terms[(j * kernels)..<((j + 1) * kernels)]
            var largest = row.max() ?? -.infinity
            // Every kernel at zero density: log 0, not (−∞) − (−∞).
            if largest == -.infinity { largest = 0 }
            // The largest term adds 1 to the sum; 1,000 terms below e⁻⁴⁰ add less than 5e-15,
            // and leaving them out spares exp its slow path for results that underflow.
            var sum = 0.0
            for term in row where term - largest > -40 { sum += Foundation.exp(term - largest) }
            return Foundation.log(sum) + largest
        }
    }

    /// Adds log of the truncated normal density, (−z²/2 − log √(2π) − log σ − log mass of the
    /// range), for each candidate and kernel.
    private func addContinuousLogDensities(_ column: [Double], _ kernelSet: ParzenKernels, log: Bool, to terms: inout [Double]) {
        let (low, high) = kernelSet.domain.kernelBounds
        let kernels = kernelCount
        let inverseBandwidths = kernelSet.bandwidths.map { 1 / $0 }
        let constants = kernelSet.centres.indices.map { k in
            let centre = kernelSet.centres[k], bandwidth = kernelSet.bandwidths[k]
            return -TruncatedNormal.logNormalizer - Foundation.log(bandwidth)
                - TruncatedNormal.logMass((low - centre) / bandwidth, (high - centre) / bandwidth)
        }
        for (j, coordinate) in column.enumerated() {
            let x = log ? Foundation.log(coordinate) : coordinate
            let outside = !(x >= low && x <= high)
            for k in 0..<kernels {
                let z = (x - kernelSet.centres[k]) * inverseBandwidths[k]
                terms[j * kernels + k] += outside ? -.infinity : -0.5 * z * z + constants[k]
            }
        }
    }

    /// Adds log of the kernel's mass over the candidate's step, [x − step/2, x + step/2], less
    /// the log of its mass over the widened range. Candidates repeat and kernels share centres
    /// and bandwidths, so each distinct (edge, kernel) tail is computed once.
    private func addDiscreteLogMasses(_ column: [Double], _ kernelSet: ParzenKernels, step: Double, log: Bool, to terms: inout [Double]) {
        let (low, high) = kernelSet.domain.kernelBounds
        let kernels = kernelCount
        let transform: (Double) -> Double = log ? { Foundation.log($0) } : { $0 }
        let values = distinctSorted(column)
        // Neighbouring integers share an edge; the edges in increasing order.
        let edges = distinctSorted(values.flatMap { [transform($0 - step / 2), transform($0 + step / 2)] })
        let left = values.map { firstIndex(of: transform($0 - step / 2), in: edges) }
        let right = values.map { firstIndex(of: transform($0 + step / 2), in: edges) }
        let distinct = distinctKernels(kernelSet)
        var logMasses = [Double](repeating: 0, count: values.count * distinct.kernels.count)
        var tails = [Double](repeating: 0, count: edges.count)
        // NaN: not needed, as the tail itself is representable.
        var logTails = [Double](repeating: .nan, count: edges.count)
        var scaled = [Double](repeating: 0, count: edges.count)
        for (u, kernel) in distinct.kernels.enumerated() {
            let (centre, bandwidth) = kernel
            for e in edges.indices {
                let z = (edges[e] - centre) / bandwidth
                scaled[e] = z
                // Far out, erfc underflows (through its slow path); the logarithm keeps the digits.
                if abs(z) > TruncatedNormal.farTail {
                    tails[e] = 0
                    logTails[e] = TruncatedNormal.logFarTail(abs(z))
                } else {
                    tails[e] = TruncatedNormal.tail(z)
                    logTails[e] = .nan
                }
            }
            let rangeMass = TruncatedNormal.logMass((low - centre) / bandwidth, (high - centre) / bandwidth)
            for v in values.indices {
                let a = left[v], b = right[v]
                logMasses[v * distinct.kernels.count + u] = TruncatedNormal.logMass(
                    scaled[a], scaled[b], tailA: tails[a], tailB: tails[b], logTailA: logTails[a], logTailB: logTails[b]) - rangeMass
            }
        }
        for (j, coordinate) in column.enumerated() {
            let row = firstIndex(of: coordinate, in: values) * distinct.kernels.count
            for k in 0..<kernels { terms[j * kernels + k] += logMasses[row + distinct.index[k]] }
        }
    }

    private func distinctSorted(_ items: [Double]) -> [Double] {
        var sorted = items.sorted()
        var kept = 0
        for item in sorted where kept == 0 || sorted[kept - 1] != item {
            sorted[kept] = item
            kept += 1
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }

    /// The index of `item` in the increasing list `sorted`, which holds it.
    private func firstIndex(of item: Double, in sorted: [Double]) -> Int {
        var low = 0, high = sorted.count - 1
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < item { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The distinct (centre, bandwidth) pairs of a dimension's kernels, and each kernel's pair.
    /// Kernels of one centre are neighbours in `byCentre`; among them, equal bandwidths are
    /// found by a scan, as a centre rarely holds more than a few distinct ones.
    private func distinctKernels(_ kernelSet: ParzenKernels) -> (kernels: [(Double, Double)], index: [Int]) {
        var kernels: [(Double, Double)] = []
        var index = [Int](repeating: 0, count: kernelSet.centres.count)
        var runStart = 0
        for k in kernelSet.byCentre {
            let pair = (kernelSet.centres[k], kernelSet.bandwidths[k])
            if kernels.last.map({ $0.0 != pair.0 }) ?? true { runStart = kernels.count }
            if let found = kernels[runStart...].firstIndex(where: { $0.1 == pair.1 }) {
                index[k] = found
            } else {
                index[k] = kernels.count
                kernels.append(pair)
            }
        }
        return (kernels, index)
    }
}

// MARK: Sampling

extension ParzenEstimator {
    /// `count` independent draws, `[dimension][j]`: a kernel by its weight, then each dimension
    /// from that kernel (Optuna's `_MixtureOfProductDistribution.sample`). Numbers are drawn by
    /// inverting the truncated normal's distribution, then mapped back from the logarithm,
    /// rounded to the nearest step and kept in [low, high].
    func sample(count: Int, using generator: inout SplitMix64) -> [[Double]] {
        var columns = dimensions.map { _ in [Double](repeating: 0, count: count) }
        var cumulative = weights
        for k in 1..<cumulative.count { cumulative[k] += cumulative[k - 1] }
        for j in 0..<count {
            let u = generator.nextUnitDouble() * cumulative[cumulative.count - 1]
            let kernel = min(cumulative.firstIndex { $0 > u } ?? cumulative.count - 1, kernelCount - 1)
            for (i, kernelSet) in dimensions.enumerated() {
                columns[i][j] = Self.draw(from: kernelSet, kernel: kernel, using: &generator)
            }
        }
        return columns
    }

    private static func draw(from kernelSet: ParzenKernels, kernel: Int, using generator: inout SplitMix64) -> Double {
        let q = generator.nextUnitDouble()
        switch kernelSet.domain {
        case .categorical(let choices):
            let row = kernelSet.probabilities.count == choices ? 0 : kernel * choices
            var cumulative = 0.0
            for c in 0..<(choices - 1) {
                cumulative += kernelSet.probabilities[row + c]
                if q < cumulative { return Double(c) }
            }
            return Double(choices - 1)
        case .numerical(let low, let high, let step, let log):
            let (kernelLow, kernelHigh) = kernelSet.domain.kernelBounds
            let centre = kernelSet.centres[kernel], bandwidth = kernelSet.bandwidths[kernel]
            let z = TruncatedNormal.quantile(q, a: (kernelLow - centre) / bandwidth, b: (kernelHigh - centre) / bandwidth)
            var x = centre + bandwidth * z
            if log { x = Foundation.exp(x) }
            if let step { x = low + ((x - low) / step).rounded(.toNearestOrEven) * step }
            // exp(log(high)) can round past high, and the space refuses values out of range.
            return min(max(x, low), high)
        }
    }
}
