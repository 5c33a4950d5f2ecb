// Counts the calls to malloc and its relatives a process makes and prints the total at exit, so
// bench/reference_bench.py can report allocations per run: loaded with LD_PRELOAD around
// modelwatch-reference-bench at two iteration counts, the difference divided by the difference
// in runs is what one run allocates (the caller's input dictionary included). It also keeps the
// bytes the heap holds (malloc_usable_size of every live block), which the bench reads through
// modelwatch_heap_bytes to say what a loaded model holds without the page granularity of RSS.
#define _GNU_SOURCE
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static atomic_long calls;
static atomic_long heap;

long modelwatch_heap_bytes(void) { return atomic_load(&heap); }

static void *held(void *pointer) {
    if (pointer) atomic_fetch_add(&heap, (long)malloc_usable_size(pointer));
    return pointer;
}

static void released(void *pointer) {
    if (pointer) atomic_fetch_sub(&heap, (long)malloc_usable_size(pointer));
}

void *malloc(size_t size) {
    atomic_fetch_add(&calls, 1);
    return held(__libc_malloc(size));
}

void *calloc(size_t count, size_t size) {
    atomic_fetch_add(&calls, 1);
    return held(__libc_calloc(count, size));
}

void *realloc(void *pointer, size_t size) {
    atomic_fetch_add(&calls, 1);
    long before = pointer ? (long)malloc_usable_size(pointer) : 0;
    void *result = __libc_realloc(pointer, size);
    if (result || size == 0) atomic_fetch_sub(&heap, before);
    return held(result);
}

void *memalign(size_t alignment, size_t size) {
    atomic_fetch_add(&calls, 1);
    return held(__libc_memalign(alignment, size));
}

void *aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void **pointer, size_t alignment, size_t size) {
    *pointer = memalign(alignment, size);
    return *pointer ? 0 : 12;
}

void free(void *pointer) {
    released(pointer);
    __libc_free(pointer);
}

__attribute__((destructor)) static void report(void) { fprintf(stderr, "malloc-calls %ld\n", atomic_load(&calls)); }
