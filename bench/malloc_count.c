// Counts the calls to malloc and its relatives a process makes and prints the total at exit, so
// bench/reference_bench.py can report allocations per run: loaded with LD_PRELOAD around
// modelwatch-reference-bench at two iteration counts, the difference divided by the difference
// in runs is what one run allocates (the caller's input dictionary included).
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_long calls;

void *malloc(size_t size) {
    atomic_fetch_add(&calls, 1);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    atomic_fetch_add(&calls, 1);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    atomic_fetch_add(&calls, 1);
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    atomic_fetch_add(&calls, 1);
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void **pointer, size_t alignment, size_t size) {
    *pointer = memalign(alignment, size);
    return *pointer ? 0 : 12;
}

__attribute__((destructor)) static void report(void) { fprintf(stderr, "malloc-calls %ld\n", atomic_load(&calls)); }
