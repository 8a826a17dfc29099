import Foundation
import SweepKit

/// The lock a `sweep run` holds on its sweep while it runs: an advisory `flock` on a file beside
/// the database. The kernel drops it when the process ends, however it ends, so:
/// - a second `sweep run` of the same sweep is refused while the first lives, instead of
///   training the same pending trials twice;
/// - `sweep list` and `sweep leaderboard` can tell a sweep that is running from one whose
///   process was killed (`kill -9`, a crash, a power cut), which the database alone cannot: its
///   status stays `running` until the sweep is run again.
///
/// The file is deleted when the lock is released, so finished runs leave nothing beside the
/// database (one killed outright leaves it, for the next run to reuse). Deleting it is safe
/// because a process that takes the lock then checks that the path still names the file it
/// locked: one that opened the file just before its holder deleted it tries again on a new one.
final class SweepRunLock {
    private let descriptor: Int32
    private let path: String

    /// The lock file of `sweep` in the database at `databasePath`: the sweep's name, percent-
    /// encoded so that every name gives a distinct, valid file name.
    static func path(databasePath: String, sweep: String) -> String {
        let safe = sweep.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "sweep"
        return "\(databasePath).run-\(safe).lock"
    }

    /// Takes the lock, or returns nil when another process holds it.
    init?(databasePath: String, sweep: String) throws {
        let path = Self.path(databasePath: databasePath, sweep: sweep)
        while true {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                close(descriptor)
                return nil
            }
            if Self.names(path, descriptor) {
                self.descriptor = descriptor
                self.path = path
                return
            }
            // Its holder deleted it between our open and our lock: that run has ended.
            close(descriptor)
        }
    }

    deinit {
        // Deleted while still held, so that no process can lock this file once it is gone.
        unlink(path)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Whether `path` is the file open as `descriptor` (same device and inode).
    private static func names(_ path: String, _ descriptor: Int32) -> Bool {
        var opened = stat(), named = stat()
        guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
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
    /// The sweep's status as the database has it, except that a sweep marked running whose
    /// processes are gone shows as interrupted: for a file, no process holds its run lock; in a
    /// shared store, no worker beats its heartbeat.
    func shownStatus(of sweep: SweepRecord, in store: any ResultStore) -> String {
        guard sweep.status == .running else { return sweep.status.rawValue }
        if let shared = store as? any SharedTrialStore {
            let workers = (try? shared.liveWorkers(sweep: sweep.name)) ?? 0
            if workers > 0 { return "\(sweep.status.rawValue) (\(workers) worker\(workers == 1 ? "" : "s"))" }
        } else if SweepRunLock.isHeld(databasePath: databasePath, sweep: sweep.name) {
            return sweep.status.rawValue
        }
        return "\(SweepStatus.interrupted.rawValue) (its process ended without finishing; sweep run resumes it)"
    }
}
