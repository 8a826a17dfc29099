import Foundation
import SweepKit

/// A trial's epochs as one blob (schema v5's `trial_epochs.history`): for each epoch, in the order
/// given, eight little-endian IEEE 754 doubles, `[fold, epoch, train_loss, train_metric,
/// validation_loss, validation_metric, learning_rate, seconds]`: 64 bytes an epoch. NaN is stored
/// as the quiet NaN `0x7FF8000000000000`; an absent value (a metric not measured) as the NaN
/// `absent`, which no arithmetic produces. In Python:
/// `numpy.frombuffer(history, "<f8").reshape(-1, 8)`, with NaN for both.
///
/// A row per epoch cost an insert into a table and its index for each of a trial's 200 epochs,
/// and JSON text cost as much again to format the numbers; storing comes out of training when
/// every core trains (`--jobs 2` on 2 cores). The blob is written as the bytes of the numbers.
enum EpochHistory {
    static let valuesPerEpoch = 8
    static let bytesPerEpoch = valuesPerEpoch * MemoryLayout<UInt64>.size
    /// The bits of an absent value: a quiet NaN with a payload.
    static let absent: UInt64 = 0x7FF8_0000_A85E_0000
    private static let nan: UInt64 = 0x7FF8_0000_0000_0000

    static func blob(of epochs: [EpochRecord]) -> Data {
        var bytes = [UInt8](repeating: 0, count: epochs.count * bytesPerEpoch)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            func put(_ value: Double?) {
                let bits = value.map { $0.isNaN ? nan : $0.bitPattern } ?? absent
                buffer.storeBytes(of: bits.littleEndian, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            for epoch in epochs {
                put(Double(epoch.fold))
                put(Double(epoch.epoch))
                put(epoch.trainLoss)
                put(epoch.trainMetric)
                put(epoch.validationLoss)
                put(epoch.validationMetric)
                put(epoch.learningRate)
                put(epoch.seconds)
            }
        }
        return Data(bytes)
    }

    /// Reads a blob back.
    ///
    /// - Throws: `SQLiteResultStoreError.corrupt` when its length is not a whole number of
    ///   epochs, a fold or epoch is not a whole number, or a required value is absent.
    static func epochs(from blob: Data) throws -> [EpochRecord] {
        guard blob.count % bytesPerEpoch == 0 else {
            throw SQLiteResultStoreError.corrupt("an epoch history of \(blob.count) bytes is not a whole number of \(bytesPerEpoch)-byte epochs")
        }
        return try blob.withUnsafeBytes { buffer in
            try (0..<blob.count / bytesPerEpoch).map { index in
                func value(_ position: Int) -> Double? {
                    let bits = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index * bytesPerEpoch + position * 8, as: UInt64.self))
                    return bits == absent ? nil : Double(bitPattern: bits)
                }
                func required(_ position: Int, _ name: String) throws -> Double {
                    guard let number = value(position) else { throw SQLiteResultStoreError.corrupt("epoch \(index + 1) of a history has no \(name)") }
                    return number
                }
                func whole(_ position: Int, _ name: String) throws -> Int {
                    let number = try required(position, name)
                    guard number == number.rounded(), number >= 0, number <= 1e15 else {
                        throw SQLiteResultStoreError.corrupt("epoch \(index + 1) of a history has \(name) \(number)")
                    }
                    return Int(number)
                }
                return EpochRecord(
                    fold: try whole(0, "fold"), epoch: try whole(1, "epoch number"), trainLoss: try required(2, "train loss"),
                    trainMetric: value(3), validationLoss: value(4), validationMetric: value(5),
                    learningRate: try required(6, "learning rate"), seconds: try required(7, "seconds"))
            }
        }
    }
}
