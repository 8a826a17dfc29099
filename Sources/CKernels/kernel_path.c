// Which instruction set the kernels run on: what the processor supports, and the one the process
// uses by default, read once from SWEEP_KERNEL. Nothing here changes after it is first read, so
// the choice is a property of the process, like the processor itself; code that wants another
// path (the tests) passes it to each call instead.

#include "KernelPath.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sweep_kernel_supported(sweep_kernel kernel) {
    switch (kernel) {
    case SWEEP_KERNEL_PORTABLE: return 1;
#if defined(__x86_64__) || defined(__i386__)
    // __builtin_cpu_supports also asks the operating system (XGETBV) whether it saves the
    // registers: a processor with AVX-512 under a kernel that does not has no AVX-512 here.
    case SWEEP_KERNEL_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SWEEP_KERNEL_AVX512:
        return sweep_kernel_supported(SWEEP_KERNEL_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq");
#endif
    default: return 0;
    }
}

sweep_kernel sweep_kernel_widest(void) {
    if (sweep_kernel_supported(SWEEP_KERNEL_AVX512)) return SWEEP_KERNEL_AVX512;
    if (sweep_kernel_supported(SWEEP_KERNEL_AVX2)) return SWEEP_KERNEL_AVX2;
    return SWEEP_KERNEL_PORTABLE;
}

const char *sweep_kernel_name(sweep_kernel kernel) {
    switch (kernel) {
    case SWEEP_KERNEL_AVX512: return "avx512";
    case SWEEP_KERNEL_AVX2: return "avx2-fma";
    default: return "portable";
    }
}

int sweep_kernel_from_name(const char *value, sweep_kernel *kernel, char *problem, size_t problem_size) {
    *kernel = sweep_kernel_widest();
    if (problem_size > 0) problem[0] = 0;
    if (!value || !*value) return 1;
    static const struct {
        const char *name;
        sweep_kernel kernel;
        const char *needs;
    } names[] = {
        {"portable", SWEEP_KERNEL_PORTABLE, ""},
        {"avx2", SWEEP_KERNEL_AVX2, "AVX2 and FMA"},
        {"avx512", SWEEP_KERNEL_AVX512, "AVX-512 F, VL, BW and DQ"},
    };
    const char *allowed = sweep_kernel_supported(SWEEP_KERNEL_AVX512) ? "portable, avx2 or avx512"
                          : sweep_kernel_supported(SWEEP_KERNEL_AVX2) ? "portable or avx2"
                                                                      : "portable";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(value, names[i].name) != 0) continue;
        if (sweep_kernel_supported(names[i].kernel)) {
            *kernel = names[i].kernel;
            return 1;
        }
        snprintf(problem, problem_size, "this processor lacks %s; use %s, or unset it", names[i].needs, allowed);
        return 0;
    }
    snprintf(problem, problem_size, "not a kernel path; use %s, or unset it", allowed);
    return 0;
}

// The selection, made once on first use (pthread_once orders it before every reader).
static pthread_once_t selection_once = PTHREAD_ONCE_INIT;
static sweep_kernel selected;
static char problem[256], requested[64];
static int has_problem;

static void select_once(void) {
    const char *value = getenv("SWEEP_KERNEL");
    if (value) snprintf(requested, sizeof requested, "%s", value);
    has_problem = !sweep_kernel_from_name(value, &selected, problem, sizeof problem);
}

sweep_kernel sweep_kernel_selected(void) {
    pthread_once(&selection_once, select_once);
    return selected;
}

const char *sweep_kernel_selection_problem(void) {
    pthread_once(&selection_once, select_once);
    return has_problem ? problem : NULL;
}

const char *sweep_kernel_requested(void) {
    pthread_once(&selection_once, select_once);
    return requested[0] ? requested : NULL;
}
