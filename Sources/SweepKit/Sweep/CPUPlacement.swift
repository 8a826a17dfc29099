import CKernels
import Foundation

/// Where a worker's thread trains. Linux wakes a thread that waited (for its first job, a lock
/// another worker held) on the CPU of the thread that woke it, and its load balancer can take
/// tens of milliseconds to move it off again: traced with `perf sched`, a two-job sweep's workers
/// shared one core for up to 33 ms of its 0.6 s while the other core idled. So before its first
/// fit, and before any fit its thread waited before (`waits()`), a worker that finds itself on
/// the CPU of another of the sweep's workers moves to one none of them is on
/// (`WorkerThreads.separate`). Nothing is pinned: the thread is free again at once, and the
/// scheduler still moves it when another program needs that core.
enum CPUPlacement {
    /// The CPUs this thread may run on (its affinity, a container's CPU set), in order; empty
    /// where they cannot be read.
    static func allowedCPUs() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 64)
        var count = Int(sweep_allowed_cpus(&cpus, Int32(cpus.count)))
        if count > cpus.count {
            cpus = [Int32](repeating: 0, count: count)
            count = Int(sweep_allowed_cpus(&cpus, Int32(cpus.count)))
        }
        return count <= 0 ? [] : cpus.prefix(min(count, cpus.count)).map(Int.init)
    }

    /// Where worker `index`, on CPU `current`, should move, or nil to stay: only off a CPU
    /// another of the sweep's workers is on (`others`), and only to an allowed one none of them
    /// is on, its own (the index-th allowed CPU) when that is free. Other programs' threads are
    /// not counted: processes sharing a sweep each part their own workers, and the scheduler
    /// balances the rest as it would.
    static func target(worker index: Int, on current: Int, others: [Int], allowed: [Int]) -> Int? {
        guard others.contains(current), !allowed.isEmpty else { return nil }
        let free = allowed.filter { $0 != current && !others.contains($0) }
        let own = allowed[index % allowed.count]
        return free.contains(own) ? own : free.first
    }

    /// Moves the calling thread onto `cpu` and frees it again; whether it ran there.
    static func move(to cpu: Int) -> Bool { sweep_move_thread_to_cpu(Int32(cpu)) == cpu }

    /// How many times the calling thread has waited (`sweep_thread_waits`); nil where unknown.
    static func waits() -> Int? {
        let waits = sweep_thread_waits()
        return waits < 0 ? nil : waits
    }
}

/// The threads of a sweep's workers, so that a worker can tell whether another is on its CPU.
final class WorkerThreads: @unchecked Sendable {
    // Guarded by `lock`: each worker's thread id, or -1 before it registers.
    private let lock = NSLock()
    private var ids: [Int32]

    init(count: Int) { ids = Array(repeating: -1, count: count) }

    /// Records the calling thread as worker `index`'s.
    func register(_ index: Int) {
        let id = sweep_current_thread_id()
        lock.withLock { ids[index] = id }
    }

    /// The CPUs the other workers' threads are on now (or last ran on, if they wait).
    func cpus(otherThan index: Int) -> [Int] {
        let others = lock.withLock { ids.indices.filter { $0 != index && ids[$0] > 0 }.map { ids[$0] } }
        return others.map { Int(sweep_thread_cpu($0)) }.filter { $0 >= 0 }
    }

    /// Moves the calling thread, worker `index`'s, off a CPU another worker is on
    /// (`CPUPlacement.target`); returns the CPU it moved to, or nil when it stayed.
    @discardableResult
    func separate(_ index: Int) -> Int? {
        let current = Int(sweep_current_cpu())
        guard current >= 0, ids.count > 1,
            let cpu = CPUPlacement.target(worker: index, on: current, others: cpus(otherThan: index), allowed: CPUPlacement.allowedCPUs()),
            CPUPlacement.move(to: cpu)
        else { return nil }
        return cpu
    }
}
