#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

// Counts heap allocations made by the calling thread, for tests that prove a code path
// allocates nothing. On Linux/glibc this target defines the allocation functions themselves
// (malloc, calloc, realloc, the aligned variants and free), which takes precedence over libc's
// for the whole test process, and forwards each call to glibc's own allocator. Swift's
// swift_slowAlloc, Foundation and the C++ runtime all allocate through these entry points.
//
// Counting is per thread: other tests running in parallel on other threads do not disturb
// the count. free is forwarded but not counted.

#ifdef __cplusplus
extern "C" {
#endif

/// Zeroes this thread's count and starts counting its allocations.
void allocation_counter_start(void);

/// Stops counting on this thread and returns the number of allocations it made since
/// `allocation_counter_start`.
long allocation_counter_stop(void);

/// Whether allocations are actually intercepted on this platform. When false the counter
/// always reports 0, so tests must check this before trusting a zero.
int allocation_counter_is_available(void);

#ifdef __cplusplus
}
#endif

#endif
