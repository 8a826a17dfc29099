import Foundation
import SweepKit

/// The lock a `sweep run` holds on its sweep while it runs: an advisory `flock` on a file beside
/// the database. The kernel drops it when the process ends, however it ends, so:
/// - a second `sweep run` of the same sweep is refused while the first lives, instead of
///   training the same pending trials twice;
/// - `sweep list`, `leaderboard`, `report` and the dashboard can tell a sweep that is running
///   from one whose process was killed (`kill -9`, a crash, a power cut), which the database
///   alone cannot: its status stays `running` until the sweep is run again.
///
/// The lock file is named after the database's resolved path (symbolic links followed), so that
/// every spelling of the database, a link to it included, meets the same lock: named after the
/// path as given, a run through a link trained the same trials as a run beside it. (A hard link
/// is another name of the same file that no path resolves to; two runs through two hard links
/// are not told apart.)
///
/// The file is deleted when the lock is released, so finished runs leave nothing beside the
/// database (one killed outright leaves it, for the next run to reuse). Deleting it is safe
/// because a process that takes the lock then checks that the path still names the file it
/// locked: one that opened the file just before its holder deleted it tries again on a new one.
public final class SweepRunLock {
    private let descriptor: Int32
    private let path: String

    /// Why the lock file could not be made, with the system's reason.
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot create the run lock \(path): \(reason)" }
    }

    /// The lock file of `sweep` in the database at `databasePath`: beside the database's resolved
    /// path, with the sweep's name percent-encoded so that every name gives a distinct, valid
    /// file name.
    public static func path(databasePath: String, sweep: String) -> String {
        let safe = sweep.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "sweep"
        return "\(resolved(databasePath)).run-\(safe).lock"
    }

    /// The path with its symbolic links followed, as far as it exists: the file's, or its
    /// folder's with the file's name when there is no file yet; as given when neither resolves.
    static func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let url = URL(fileURLWithPath: path)
        guard let folder = realpath(url.deletingLastPathComponent().path, nil) else { return path }
        defer { free(folder) }
        return URL(fileURLWithPath: String(cString: folder)).appendingPathComponent(url.lastPathComponent).path
    }

    /// Takes the lock, or returns nil when another process holds it.
    /// - Throws: `Failure` when the lock file cannot be made, with the system's reason.
    public init?(databasePath: String, sweep: String) throws(Failure) {
        let path = Self.path(databasePath: databasePath, sweep: sweep)
        while true {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
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
    public static func isHeld(databasePath: String, sweep: String) -> Bool {
        let descriptor = open(path(databasePath: databasePath, sweep: sweep), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_SH | LOCK_NB) != 0
    }
}

/// A sweep's status as a person should see it: `running` only while a process runs it.
public struct LiveSweepStatus: Sendable, Hashable, CustomStringConvertible {
    /// The stored status, or `interrupted` for a sweep stored as running whose processes are gone.
    public var status: SweepStatus
    /// The live workers of a running sweep in a shared store.
    public var workers: Int?
    /// Stored as running, but no process runs it.
    public var endedUnseen: Bool

    public var description: String {
        if endedUnseen { return "\(status.rawValue) (its process ended without finishing; sweep run resumes it)" }
        if let workers { return "\(status.rawValue) (\(workers) worker\(workers == 1 ? "" : "s"))" }
        return status.rawValue
    }
}

extension ResultStoreLocation {
    /// The status of `sweep` in `store` (opened from here): for a file, running while a process
    /// holds its run lock; in a shared store, while a worker beats its heartbeat.
    public func liveStatus(of sweep: SweepRecord, in store: any ResultStore) -> LiveSweepStatus {
        guard sweep.status == .running else { return LiveSweepStatus(status: sweep.status, endedUnseen: false) }
        switch self {
        case .postgres:
            let workers = ((store as? any SharedTrialStore).flatMap { try? $0.liveWorkers(sweep: sweep.name) }) ?? 0
            if workers > 0 { return LiveSweepStatus(status: .running, workers: workers, endedUnseen: false) }
        case .sqlite(let path):
            if SweepRunLock.isHeld(databasePath: path, sweep: sweep.name) { return LiveSweepStatus(status: .running, endedUnseen: false) }
        }
        return LiveSweepStatus(status: .interrupted, endedUnseen: true)
    }
}
