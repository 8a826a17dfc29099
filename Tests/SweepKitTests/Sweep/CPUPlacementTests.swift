import CKernels
import Foundation
import Testing
@testable import SweepKit

/// A worker's thread moves to a CPU of its own as it starts and stays free to move after.
/// The reference is the kernel's own account: `Cpus_allowed_list` in /proc/thread-self/status.
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

    @Test func movesToTheIndexedCPUAndLeavesTheThreadFree() async throws {
        let results = try await Self.onOwnThread { () throws -> [(index: Int, cpu: Int?, allowedAfter: [Int])] in
            let allowed = try Self.kernelsAllowedList()
            return try (0..<2 * allowed.count + 1).map { index in
                let cpu = CPUPlacement.start(onAllowedCPU: index)
                return (index, cpu, try Self.kernelsAllowedList())
            }
        }
        let allowed = try await Self.onOwnThread { try Self.kernelsAllowedList() }
        for (index, cpu, allowedAfter) in results {
            // With one CPU there is nowhere to move; otherwise index wraps round the allowed ones.
            #expect(cpu == (allowed.count > 1 ? allowed[index % allowed.count] : nil), "index \(index)")
            #expect(allowedAfter == allowed, "the thread is left free to run on every allowed CPU")
        }
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
}
