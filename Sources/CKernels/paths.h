// Private to CKernels: the instruction sets of the vector paths (KernelPath.h), for functions
// written for one of them.
#ifndef SWEEP_PATHS_H
#define SWEEP_PATHS_H

#include "KernelPath.h"

#if defined(__x86_64__) || defined(__i386__)
#define SWEEP_X86 1
#endif

#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))

#endif
