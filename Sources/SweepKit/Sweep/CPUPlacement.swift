import CKernels

/// Where a worker's thread trains. Linux wakes a thread that waited (for its first job, a lock
/// another worker held) on the CPU of the thread that woke it, and its load balancer can take
/// tens of milliseconds to move it off again: traced with `perf sched`, a two-job sweep's workers
/// shared one core for up to 33 ms of its 0.6 s while the other core idled. So a worker moves its
/// thread to a CPU of its own before its first fit and before any fit its thread waited before
/// (`waits()`), and leaves it free in between: nothing is pinned, and the scheduler still moves
/// it when another program needs that core.
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

    /// Moves the calling thread to the `index`-th of its allowed CPUs (modulo their number) and
    /// frees it again; returns that CPU, or nil when there is only one or the move failed.
    @discardableResult
    static func start(onAllowedCPU index: Int) -> Int? {
        let cpus = allowedCPUs()
        guard cpus.count > 1 else { return nil }
        let cpu = cpus[index % cpus.count]
        return sweep_move_thread_to_cpu(Int32(cpu)) == cpu ? cpu : nil
    }

    /// How many times the calling thread has waited (`sweep_thread_waits`); nil where unknown.
    static func waits() -> Int? {
        let waits = sweep_thread_waits()
        return waits < 0 ? nil : waits
    }
}
