import Foundation
import SweepKit

/// The lock a `sweep run` holds on its sweep while it runs: an advisory `flock` on a file beside
/// the database. The kernel drops it when the process ends, however it ends, so:
/// - a second `sweep run` of the same sweep is refused while the first lives, instead of
///   training the same pending trials twice;
/// - `sweep list` and `sweep leaderboard` can tell a sweep that is running from one whose
///   process was killed (`kill -9`, a crash, a power cut), which the database alone cannot: its
///   status stays `running` until the sweep is run again.
final class SweepRunLock {
    private let descriptor: Int32

    /// The lock file of `sweep` in the database at `databasePath`: the sweep's name, percent-
    /// encoded so that every name gives a distinct, valid file name.
    static func path(databasePath: String, sweep: String) -> String {
        let safe = sweep.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "sweep"
        return "\(databasePath).run-\(safe).lock"
    }

    /// Takes the lock, or returns nil when another process holds it.
    init?(databasePath: String, sweep: String) throws {
        let path = Self.path(databasePath: databasePath, sweep: sweep)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Whether a live process holds the lock of `sweep`.
    static func isHeld(databasePath: String, sweep: String) -> Bool {
        let descriptor = open(path(databasePath: databasePath, sweep: sweep), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_SH | LOCK_NB) != 0
    }
}

extension StoreOptions {
    /// The sweep's status as the database has it, except that a sweep marked running whose process
    /// is gone shows as interrupted.
    func shownStatus(of sweep: SweepRecord) -> String {
        guard sweep.status == .running, !SweepRunLock.isHeld(databasePath: databasePath, sweep: sweep.name) else {
            return sweep.status.rawValue
        }
        return "\(SweepStatus.interrupted.rawValue) (its process ended without finishing; sweep run resumes it)"
    }
}
