// Where a sweep worker's thread starts (SweepKit's CPUPlacement). Linux only: elsewhere both
// calls report that they cannot.
#define _GNU_SOURCE
#include "ThreadPlacement.h"

#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>

int sweep_allowed_cpus(int *cpus, int capacity) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed)) continue;
        if (count < capacity) cpus[count] = cpu;
        count++;
    }
    return count;
}

int sweep_move_thread_to_cpu(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -1;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || !CPU_ISSET(cpu, &allowed)) return -1;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    // The kernel moves the thread before the call returns when its CPU is not in the set.
    if (sched_setaffinity(0, sizeof one, &one) != 0) return -1;
    int ran = sched_getcpu();
    sched_setaffinity(0, sizeof allowed, &allowed);
    return ran;
}

long sweep_thread_waits(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_THREAD, &usage) != 0) return -1;
    return usage.ru_nvcsw;
}

#else

long sweep_thread_waits(void) {
    return -1;
}

int sweep_allowed_cpus(int *cpus, int capacity) {
    (void)cpus;
    (void)capacity;
    return -1;
}

int sweep_move_thread_to_cpu(int cpu) {
    (void)cpu;
    return -1;
}

#endif
