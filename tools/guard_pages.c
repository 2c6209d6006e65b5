/* A guard page after every aligned block, for shrinking a heap overrun to its call.

   torch's CPU allocator and oneDNN's scratchpads take their memory from posix_memalign.
   Preloaded, this library serves every such block from its own mapping, ending where an
   inaccessible page begins: a kernel that writes (or reads) past the block faults in the
   call that does it, instead of corrupting the heap for a later call to trip over. The
   bytes between the block's end and the page, left by rounding to the alignment, are
   filled with 0xCD and checked when the block is freed. New blocks read 0x5A, as under
   glibc's malloc perturbation. Build and use (docs/never-flaky.md):

     cc -O2 -shared -fPIC -o /tmp/guard_pages.so tools/guard_pages.c -ldl -lpthread
     LD_PRELOAD=/tmp/guard_pages.so python repro.py

   A debugging tool, not part of a run: every block costs two mappings and a page. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOTS (1u << 20)
#define FREED ((void *)1)

typedef struct {
  void *user;
  char *base;
  size_t length, size, slack;
} block;

static block blocks[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void (*real_free)(void *);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static size_t page;

static void bind_real(void) {
  if (page) return;
  real_free = dlsym(RTLD_NEXT, "free");
  real_realloc = dlsym(RTLD_NEXT, "realloc");
  real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
  page = (size_t)sysconf(_SC_PAGESIZE);
}

static size_t slot_of(const void *p) {
  return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 44) & (SLOTS - 1);
}

static block *find(const void *p) {
  for (size_t i = slot_of(p);; i = (i + 1) & (SLOTS - 1)) {
    if (blocks[i].user == p) return &blocks[i];
    if (blocks[i].user == NULL) return NULL;
  }
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  bind_real();
  if (size == 0) return real_posix_memalign(out, alignment, size);
  size_t body = (size + alignment - 1) / alignment * alignment;
  size_t pages = (body + page - 1) / page;
  size_t length = (pages + 1) * page;
  char *base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return real_posix_memalign(out, alignment, size);
  mprotect(base + pages * page, page, PROT_NONE);
  char *user = base + pages * page - body;
  memset(user, 0x5A, size);
  memset(user + size, 0xCD, body - size);
  pthread_mutex_lock(&lock);
  size_t i = slot_of(user);
  while (blocks[i].user != NULL && blocks[i].user != FREED) i = (i + 1) & (SLOTS - 1);
  blocks[i] = (block){user, base, length, size, body - size};
  pthread_mutex_unlock(&lock);
  *out = user;
  return 0;
}

static int release(void *p) {
  pthread_mutex_lock(&lock);
  block *b = find(p);
  if (b == NULL) {
    pthread_mutex_unlock(&lock);
    return 0;
  }
  block gone = *b;
  b->user = FREED;
  pthread_mutex_unlock(&lock);
  const unsigned char *tail = (const unsigned char *)gone.user + gone.size;
  for (size_t k = 0; k < gone.slack; k++)
    if (tail[k] != 0xCD) {
      fprintf(stderr, "guard_pages: a write past a block of %zu bytes, %zu bytes after its end\n",
              gone.size, k);
      abort();
    }
  munmap(gone.base, gone.length);
  return 1;
}

void free(void *p) {
  bind_real();
  if (p != NULL && release(p)) return;
  real_free(p);
}

void *realloc(void *p, size_t size) {
  bind_real();
  if (p != NULL) {
    pthread_mutex_lock(&lock);
    block *b = find(p);
    size_t old = b ? b->size : 0;
    pthread_mutex_unlock(&lock);
    if (b != NULL) {
      void *moved = malloc(size);
      if (moved != NULL) memcpy(moved, p, old < size ? old : size);
      free(p);
      return moved;
    }
  }
  return real_realloc(p, size);
}
