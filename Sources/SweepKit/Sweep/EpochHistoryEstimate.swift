import Foundation

/// The most room a sweep's learning curves can take in its results database: every fit of every
/// trial stores each epoch it trains (`trial_epochs`, eight doubles an epoch), so
///
///     bytes ≤ trials × fits per trial × epochs per fit × 64
///
/// with the trials a grid enumerates or a random or TPE search's `trials`, the fits of a trial
/// (`SweepSpec.fitsPerTrial`) and the most epochs a fit may train (fixed or searched). Early
/// stopping and pruning end fits sooner, so this is a bound, not a forecast; PostgreSQL, which
/// stores a row an epoch, takes more.
public struct EpochHistoryEstimate: Sendable, Hashable {
    /// Bytes an epoch takes in an SQLite results database: eight little-endian doubles
    /// (SweepStore's `EpochHistory`, whose tests hold it to this figure).
    public static let bytesPerEpoch = 64
    /// Above this bound `sweep validate` and `sweep run` warn: 1 GB.
    public static let warningBytes = 1e9

    public let trials: Int
    public let fitsPerTrial: Int
    public let epochsPerFit: Int
    /// Where the most epochs come from, as the spec names it (`fixed.epochs`, `parameters.epochs`),
    /// or nil for the default.
    public let epochsSetting: String?

    public init(spec: SweepSpec) {
        trials = spec.trialCount
        fitsPerTrial = spec.fitsPerTrial
        // A checked spec's epochs are whole numbers up to TrainingConfiguration.maximumEpochs.
        func whole(_ value: JSONValue) -> Int? {
            guard case .number(let number) = value, number.isFinite, abs(number) < 1e15 else { return nil }
            return Int(number)
        }
        let fixed = spec.fixed["epochs"].flatMap(whole)
        let searched = spec.space.dimension(named: "epochs")?.parameter.representativeValues.compactMap(whole).max()
        let fixedOrDefault = fixed ?? TrainingConfiguration().epochs
        if let searched, searched >= fixedOrDefault {
            (epochsPerFit, epochsSetting) = (searched, "parameters.epochs")
        } else {
            (epochsPerFit, epochsSetting) = (fixedOrDefault, fixed == nil ? nil : "fixed.epochs")
        }
    }

    /// The bound in bytes (a Double: 100,000 trials of many fits of 10^6 epochs pass 2^63 bytes).
    public var bytes: Double {
        Double(trials) * Double(fitsPerTrial) * Double(epochsPerFit) * Double(Self.bytesPerEpoch)
    }

    /// What to warn of when the bound is above `warningBytes`, naming the settings that make it;
    /// nil below.
    public func warning(for spec: SweepSpec) -> String? {
        guard bytes > Self.warningBytes else { return nil }
        let trialText = spec.method == .grid
            ? "\(trials.formatted()) trials (every combination of the grid)"
            : "\(trials.formatted()) trials (\"trials\")"
        let fitText: String
        switch (spec.data.folds, spec.repeats) {
        case (nil, 1): fitText = "1 fit each"
        case (nil, let repeats): fitText = "\(fitsPerTrial) fits each (\"repeats\": \(repeats))"
        case (let folds?, 1): fitText = "\(fitsPerTrial) fits each (data.folds \(folds) and the final fit)"
        case (let folds?, let repeats): fitText = "\(fitsPerTrial) fits each (data.folds \(folds) × \"repeats\" \(repeats), and the final fit)"
        }
        let epochText = "up to \(epochsPerFit.formatted()) epochs a fit (\(epochsSetting ?? "the default"))"
        return "the sweep's epoch history (its learning curves) may take up to \(memoryText(bytes)) of the results database: "
            + "\(trialText) × \(fitText) × \(epochText) × \(Self.bytesPerEpoch) bytes an epoch. "
            + "If that is not meant, lower epochs or trials (early stopping, \"patience\", and a pruner end fits sooner, but the database must have the room)"
    }
}
