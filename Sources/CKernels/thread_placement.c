// Which CPU a sweep worker's thread runs on, and moving it off another worker's (SweepKit's
// CPUPlacement). Linux only: elsewhere every call reports that it cannot.
#define _GNU_SOURCE
#include "ThreadPlacement.h"

#ifdef __linux__
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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

int sweep_current_cpu(void) {
    return sched_getcpu();
}

int sweep_current_thread_id(void) {
    return (int)syscall(SYS_gettid);
}

int sweep_thread_cpu(int thread_id) {
    if (thread_id <= 0) return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", thread_id);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    char line[1024];
    size_t length = fread(line, 1, sizeof line - 1, file);
    fclose(file);
    line[length] = 0;
    // "pid (comm) state ppid …": the name may hold spaces and parentheses, so count the fields
    // after its last ')'. The CPU is field 39 of the line, the 37th after the name.
    char *field = strrchr(line, ')');
    if (!field) return -1;
    for (int index = 0; index < 37; index++) {
        field = strchr(field + 1, ' ');
        if (!field) return -1;
    }
    int cpu = -1;
    return sscanf(field + 1, "%d", &cpu) == 1 ? cpu : -1;
}

long sweep_thread_waits(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_THREAD, &usage) != 0) return -1;
    return usage.ru_nvcsw;
}

#else

int sweep_current_cpu(void) {
    return -1;
}

int sweep_current_thread_id(void) {
    return -1;
}

int sweep_thread_cpu(int thread_id) {
    (void)thread_id;
    return -1;
}

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
