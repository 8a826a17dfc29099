#ifndef SWEEP_THREAD_PLACEMENT_H
#define SWEEP_THREAD_PLACEMENT_H

#ifdef __cplusplus
extern "C" {
#endif

/// The CPUs the calling thread may run on, in increasing order: writes at most `capacity` of
/// them to `cpus` and returns how many there are (more than `capacity` when they did not all
/// fit), or -1 where they cannot be read (not Linux).
int sweep_allowed_cpus(int *cpus, int capacity);

/// Moves the calling thread onto `cpu`, then lets it run on every CPU it could before: the
/// scheduler is free to move it again, nothing stays pinned. Returns the CPU the thread ran on
/// while it was held to `cpu` (so `cpu`), or -1 when `cpu` is not one it may run on or the
/// affinity cannot be set (not Linux).
int sweep_move_thread_to_cpu(int cpu);

/// The CPU the calling thread runs on now, or -1 where it cannot be read.
int sweep_current_cpu(void);

/// The calling thread's id in the kernel (what /proc/self/task lists), or -1 (not Linux).
int sweep_current_thread_id(void);

/// The CPU thread `thread_id` of this process last ran on, from /proc/self/task/ID/stat, or -1
/// when there is no such thread or it cannot be read.
int sweep_thread_cpu(int thread_id);

/// How many times the calling thread has given up its CPU to wait (for a lock, a condition, I/O):
/// its voluntary context switches. -1 where they cannot be read (not Linux).
long sweep_thread_waits(void);

#ifdef __cplusplus
}
#endif

#endif
