// Exhaustive accuracy check of sweep_tanh_forward: every float, against tanh in double, in ulp
// of the correctly rounded result. Prints the largest error and how many inputs exceed 1 and 2
// ulp; exits non-zero if a NaN input does not give NaN or the largest error exceeds the bound
// stated in elementwise.c. Takes about a minute and a half. Checks the AVX2 kernel, or the one
// named: avx512 (the same values, 16 wide) or portable (glibc's tanhf).
//
//   cc -O2 -I Sources/CKernels/include -I Sources/CKernels tools/check_tanh.c \
//      Sources/CKernels/elementwise.c Sources/CKernels/kernel_path.c -lmvec -lm -o /tmp/check_tanh
//   /tmp/check_tanh [avx2|avx512|portable]

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "Elementwise.h"

static double ulp_error(float got, double want) {
    float rounded = (float)want;
    int exponent;
    frexpf(rounded == 0 ? 1e-45f : rounded, &exponent);
    double ulp = fabsf(rounded) < 1.17549435e-38f ? ldexp(1.0, -149) : ldexp(1.0, exponent - 24);
    return fabs((double)got - want) / ulp;
}

int main(int argc, char **argv) {
    sweep_kernel kernel = SWEEP_KERNEL_AVX2;
    char problem[256];
    if (argc > 1 && !sweep_kernel_from_name(argv[1], &kernel, problem, sizeof problem)) {
        printf("%s: %s\n", argv[1], problem);
        return 2;
    }
    enum { CHUNK = 1 << 20 };
    static float in[CHUNK], out[CHUNK];
    double worst = 0;
    float worst_x = 0;
    unsigned long long over1 = 0, over2 = 0, checked = 0;
    for (uint64_t start = 0; start < (1ULL << 32); start += CHUNK) {
        for (uint32_t k = 0; k < CHUNK; k++) {
            uint32_t bits = (uint32_t)(start + k);
            memcpy(&in[k], &bits, sizeof bits);
        }
        sweep_tanh_forward(kernel, in, out, CHUNK);
        for (uint32_t k = 0; k < CHUNK; k++) {
            if (isnan(in[k])) {
                if (!isnan(out[k])) {
                    printf("tanh(NaN) gave %g\n", out[k]);
                    return 1;
                }
                continue;
            }
            double error = ulp_error(out[k], tanh((double)in[k]));
            checked++;
            over1 += error > 1;
            over2 += error > 2;
            if (error > worst) {
                worst = error;
                worst_x = in[k];
            }
        }
    }
    printf("sweep_tanh_forward (%s): largest error %.3f ulp (at x = %.9g); %llu of %llu inputs over 1 ulp, %llu over 2 ulp\n",
           sweep_kernel_name(kernel), worst, worst_x, over1, checked, over2);
    return worst <= 5.25 ? 0 : 1;
}
