#ifndef SWEEP_KERNEL_PATH_H
#define SWEEP_KERNEL_PATH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction sets the kernels are written for, narrowest first. Every entry point takes one:
/// each path is complete on its own (the AVX-512 path runs AVX2 code only where its own tiles do
/// not fit: the forward product of a batch of 16 or 48 rows, and turning a first layer's ∂W
/// round), so tests can run the same computation on every path the processor has, side by side.
/// AVX-512 means F, VL, BW and DQ (every AVX-512 processor since Skylake-SP and Zen 4); AVX2
/// means AVX2 and FMA (Haswell, Zen 1).
typedef enum sweep_kernel {
    SWEEP_KERNEL_PORTABLE = 0,
    SWEEP_KERNEL_AVX2 = 1,
    SWEEP_KERNEL_AVX512 = 2,
} sweep_kernel;

/// Whether this processor (and its operating system) can run `kernel`.
int sweep_kernel_supported(sweep_kernel kernel);

/// The widest path this processor supports.
sweep_kernel sweep_kernel_widest(void);

/// The path calls run by default: the one the environment variable SWEEP_KERNEL names
/// ("portable", "avx2", "avx512") when the processor supports it, else the widest. Read once,
/// the first time it is asked for, and never changed.
sweep_kernel sweep_kernel_selected(void);

/// Why SWEEP_KERNEL was not followed ("this processor lacks …; use …, or unset it", or "not a
/// kernel path; …"), or NULL when it was, or is not set. Read with `sweep_kernel_selected`.
const char *sweep_kernel_selection_problem(void);

/// SWEEP_KERNEL's value as `sweep_kernel_selected` read it (at most 63 bytes), or NULL if unset.
const char *sweep_kernel_requested(void);

/// The path SWEEP_KERNEL=`value` gives on this processor: the one it names, returning 1, or (a
/// name that is not a path, or a path this processor lacks) the widest, returning 0 with the
/// reason in `problem`. NULL or "" gives the widest.
int sweep_kernel_from_name(const char *value, sweep_kernel *kernel, char *problem, size_t problem_size);

/// "avx512", "avx2-fma" or "portable".
const char *sweep_kernel_name(sweep_kernel kernel);

#ifdef __cplusplus
}
#endif

#endif
