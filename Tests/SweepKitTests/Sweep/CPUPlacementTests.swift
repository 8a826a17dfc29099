import CKernels
import Foundation
import Testing
@testable import SweepKit

/// A worker's thread moves off another worker's CPU and stays free to move after. The reference
/// is the kernel's own account: /proc/thread-self/status and /proc/self/task/ID/stat.
@Suite struct CPUPlacementTests {
    /// The calling thread's allowed CPUs as the kernel lists them ("0-3,6"), expanded.
    private static func kernelsAllowedList() throws -> [Int] {
        let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        return line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
            .split(separator: ",").flatMap { range -> [Int] in
                let ends = range.split(separator: "-").compactMap { Int($0) }
                return Array(ends[0]...ends[ends.count - 1])
            }
    }

    /// Runs `body` on a thread of its own, as a worker's, so the test runner's threads keep
    /// their placement whatever it does.
    private static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    @Test func readsTheCPUsTheKernelAllows() async throws {
        let (ours, kernels) = try await Self.onOwnThread { (CPUPlacement.allowedCPUs(), try Self.kernelsAllowedList()) }
        #expect(ours == kernels)
        #expect(!ours.isEmpty)
    }

    @Test func movesToEachAllowedCPUAndLeavesTheThreadFree() async throws {
        let (allowed, results) = try await Self.onOwnThread { () throws -> ([Int], [(cpu: Int, moved: Bool, allowedAfter: [Int])]) in
            let allowed = try Self.kernelsAllowedList()
            return (allowed, try allowed.map { cpu in (cpu, CPUPlacement.move(to: cpu), try Self.kernelsAllowedList()) })
        }
        for (cpu, moved, allowedAfter) in results {
            #expect(moved, "moved to CPU \(cpu)")
            #expect(allowedAfter == allowed, "the thread is left free to run on every allowed CPU")
        }
    }

    /// Moves only off another worker's CPU, only onto a CPU no worker is on, its own when free.
    @Test func aWorkerMovesOnlyOffAnotherWorkersCPU() {
        let four = [0, 1, 2, 3]
        #expect(CPUPlacement.target(worker: 1, on: 1, others: [0], allowed: four) == nil, "alone on its CPU: stays")
        #expect(CPUPlacement.target(worker: 1, on: 0, others: [0], allowed: four) == 1, "shares: to its own CPU")
        #expect(CPUPlacement.target(worker: 2, on: 0, others: [0, 2], allowed: four) == 1, "its own is taken: the first free one")
        #expect(CPUPlacement.target(worker: 0, on: 0, others: [0], allowed: four) == 1, "it is on its own CPU, shared: to a free one")
        #expect(CPUPlacement.target(worker: 1, on: 0, others: [0, 1], allowed: [0, 1]) == nil, "no CPU free: stays")
        #expect(CPUPlacement.target(worker: 1, on: 3, others: [3], allowed: [3]) == nil, "one CPU: stays")
        // A CPU set of a container: the index counts allowed CPUs, not CPU numbers.
        #expect(CPUPlacement.target(worker: 1, on: 4, others: [4], allowed: [4, 6, 7]) == 6)
    }

    @Test func refusesACPUTheThreadMayNotRunOn() async throws {
        let (refused, negative, allowedAfter, allowed) = try await Self.onOwnThread {
            let allowed = try Self.kernelsAllowedList()
            let outside = Int32(allowed.max()! + 1)
            return (sweep_move_thread_to_cpu(outside), sweep_move_thread_to_cpu(-1), try Self.kernelsAllowedList(), allowed)
        }
        #expect(refused == -1)
        #expect(negative == -1)
        #expect(allowedAfter == allowed)
    }

    /// The thread's voluntary context switches, as the kernel counts them in
    /// /proc/thread-self/status.
    private static func kernelsVoluntarySwitches() throws -> Int {
        let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") })
        return try #require(Int(line.dropFirst("voluntary_ctxt_switches:".count).trimmingCharacters(in: .whitespaces)))
    }

    @Test func countsTheThreadsWaits() async throws {
        let (before, kernels, after, afterSleeping) = try await Self.onOwnThread {
            let before = try #require(CPUPlacement.waits())
            let kernels = try Self.kernelsVoluntarySwitches()
            let after = try #require(CPUPlacement.waits())
            usleep(2_000)
            return (before, kernels, after, try #require(CPUPlacement.waits()))
        }
        #expect(before <= kernels && kernels <= after, "the kernel's count lies between two of ours")
        #expect(afterSleeping > after, "sleeping is a wait")
    }

    /// A thread blocked on a semaphore, with its kernel id and the CPU it last ran on as
    /// /proc/self/task/ID/stat gives them (field 39, counted after the name's last ')').
    /// It registers as worker `index` of `threads` first.
    private static func blockedThread(worker index: Int, of threads: WorkerThreads) async throws -> (id: Int32, cpu: Int, release: DispatchSemaphore) {
        let release = DispatchSemaphore(value: 0)
        let id = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread {
                threads.register(index)
                continuation.resume(returning: sweep_current_thread_id())
                release.wait()
            }.start()
        }
        // It may not have blocked yet; once it has, its CPU stays put.
        var state = ""
        for _ in 0..<1000 {
            let stat = try String(contentsOfFile: "/proc/self/task/\(id)/stat", encoding: .utf8)
            let fields = stat[stat.range(of: ")", options: .backwards)!.upperBound...].split(separator: " ")
            state = String(fields[0])
            if state == "S" { return (id, try #require(Int(fields[36])), release) }
            usleep(1000)
        }
        Issue.record("the thread never blocked (state \(state))")
        throw CancellationError()
    }

    @Test func readsAnotherWorkersCPUAndItsOwnId() async throws {
        let threads = WorkerThreads(count: 3)
        let (id, cpu, release) = try await Self.blockedThread(worker: 2, of: threads)
        defer { release.signal() }
        #expect(sweep_thread_cpu(id) == Int32(cpu))
        #expect(sweep_thread_cpu(0) == -1)
        #expect(sweep_thread_cpu(Int32.max) == -1)
        // Worker 1 has not registered; worker 2 waits on `cpu`.
        #expect(threads.cpus(otherThan: 0) == [cpu])
        #expect(threads.cpus(otherThan: 2) == [])

        let (ownId, kernelsId) = try await Self.onOwnThread { () throws -> (Int32, Int32) in
            let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Pid:") })
            return (sweep_current_thread_id(), try #require(Int32(line.dropFirst("Pid:".count).trimmingCharacters(in: .whitespaces))))
        }
        #expect(ownId == kernelsId)
        #expect(WorkerThreads(count: 1).separate(0) == nil, "a sweep's only worker never moves")
    }
}
