#include "AllocationCounter.h"

#include <errno.h>  // also defines __GLIBC__ on glibc systems
#include <stddef.h>

#if defined(__linux__) && defined(__GLIBC__)

// glibc's allocator under its internal names. They stay reachable when the process defines
// its own malloc, and calling them directly cannot re-enter the hooks below.
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

// initial-exec: the variables live in the executable's static TLS block, so touching them
// never calls __tls_get_addr, which may itself allocate.
static _Thread_local long allocationCount __attribute__((tls_model("initial-exec")));
static _Thread_local int counting __attribute__((tls_model("initial-exec")));

static inline void record(void) {
    if (counting) allocationCount += 1;
}

void allocation_counter_start(void) {
    allocationCount = 0;
    counting = 1;
}

long allocation_counter_stop(void) {
    counting = 0;
    return allocationCount;
}

int allocation_counter_is_available(void) { return 1; }

void *malloc(size_t size) {
    record();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    record();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    // realloc(p, 0) frees; everything else may allocate.
    if (pointer == NULL || size != 0) record();
    return __libc_realloc(pointer, size);
}

void *reallocarray(void *pointer, size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(pointer, total);
}

void free(void *pointer) {
    __libc_free(pointer);
}

void *memalign(size_t alignment, size_t size) {
    record();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    record();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    record();
    int saved = errno;
    void *pointer = __libc_memalign(alignment, size);
    errno = saved;
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *valloc(size_t size) {
    record();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    record();
    return __libc_pvalloc(size);
}

#else

// No interposition on this platform: report that, so tests do not mistake silence for zero.
void allocation_counter_start(void) {}
long allocation_counter_stop(void) { return 0; }
int allocation_counter_is_available(void) { return 0; }

#endif
