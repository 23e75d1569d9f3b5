/* bpfbox — maps/map.h: what the map families share (internal).
 *
 * Every map is a family struct whose first member is `struct bpfbox_map`
 * (the kernel's container_of pattern): array.c, hash.c, lpm.c, queue.c,
 * bloom.c, ringbuf.c, perf.c.  map.c owns creation (the attribute checks
 * common to all types, then the family's own `check` — the kernel's
 * map_alloc_check — then its `alloc`), the public entry points (permission
 * checks, then dispatch through `ops`), the generic batch and iteration
 * code, and reference counting.  An op left NULL gets the kernel's answer
 * for a map type without it (BPFBOX_ENOTSUPP on the user-space face).
 *
 * pool.c is the element store of hashes and LPM tries: fixed-size slots in
 * at most POOL_MAX_CHUNKS chunks (one chunk, allocated at creation, when
 * preallocated), recycled through a free list and never returned to the
 * allocator before the map is freed.  That is what keeps a value pointer a
 * program got from a lookup pointing at valid memory even after a
 * concurrent delete (the kernel uses RCU for this), and what makes
 * "is this address inside a live element?" a chunk search plus a
 * division.
 */
#ifndef BPFBOX_MAPS_MAP_H
#define BPFBOX_MAPS_MAP_H

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include "bpfbox/maps.h"
#include "util/util.h"

#define MAP_MAGIC 0x6270666dU /* "bpfm": bpfbox_map__update_ptr checks it */
#define MAP_PAGE_SIZE 4096u   /* the kernel's PAGE_SIZE on x86-64 */
#define MAP_KMALLOC_MAX (1u << 22) /* KMALLOC_MAX_SIZE (x86-64, 4 KiB pages) */
#define MAP_PCPU_MIN_UNIT (32u << 10) /* PCPU_MIN_UNIT_SIZE */
#define MAP_MAX_CPUS 4096u
#define MAP_DEFAULT_MEMORY_LIMIT (1ull << 30)
#define MAP_ACCESS_MASK \
	(BPFBOX_F_RDONLY | BPFBOX_F_WRONLY | BPFBOX_F_RDONLY_PROG | BPFBOX_F_WRONLY_PROG)

/* Round up to a multiple of 8, in the type of x (32 or 64 bits). */
#define ROUND8(x) (((x) + 7) & ~(__typeof__((x) + 7))7)

/* The creation attributes, after defaults. */
struct map_attr {
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint64_t map_extra;
	uint32_t nr_cpus;
	const char *name;
	struct bpfbox_map *inner;
	struct util_alloc alloc;
	uint64_t memory_limit;
	uint32_t perf_buffer_size;
	struct bpfbox_log *log;
};

struct map_ops {
	/* creation: the kernel's map_alloc_check, then map_alloc */
	int (*check)(const struct map_attr *a);
	int (*alloc)(const struct map_attr *a, struct bpfbox_map **out);
	void (*free)(struct bpfbox_map *m); /* family members only; may see a half-built map */

	/* user-space face; permissions and BPFBOX_F_LOCK are checked by map.c */
	int (*lookup)(struct bpfbox_map *m, const void *key, void *value);
	int (*update)(struct bpfbox_map *m, const void *key, const void *value, uint64_t flags);
	int (*delete)(struct bpfbox_map *m, const void *key);
	int (*get_next_key)(struct bpfbox_map *m, const void *key, void *next);
	int (*lookup_and_delete)(struct bpfbox_map *m, const void *key, void *value);
	int (*lookup_batch)(struct bpfbox_map *m, const struct bpfbox_map_batch *in,
			    struct bpfbox_map_batch *out, void *keys, void *values,
			    uint32_t *count, bool do_delete);
	bool generic_lookup_batch, generic_update_batch, generic_delete_batch;
	int (*iterate)(struct bpfbox_map *m, bpfbox_map_iter_fn cb, void *ud);
	int (*update_ptr)(struct bpfbox_map *m, const void *key, void *ptr, uint64_t flags);
	int (*lookup_ptr)(struct bpfbox_map *m, const void *key, void **ptr);

	/* program face */
	void *(*elem)(struct bpfbox_map *m, const void *key, uint32_t cpu);
	/* elem(m, key, 0) as one function of m, or NULL (bpfbox_map__lookup_fn) */
	bpfbox_map_lookup_fn (*lookup_fn)(const struct bpfbox_map *m);
	int (*update_elem)(struct bpfbox_map *m, const void *key, const void *value,
			   uint64_t flags, uint32_t cpu);
	int (*delete_elem)(struct bpfbox_map *m, const void *key);
	int (*push)(struct bpfbox_map *m, const void *value, uint64_t flags);
	int (*pop)(struct bpfbox_map *m, void *value);
	int (*peek)(struct bpfbox_map *m, void *value);
	void *(*get_ptr)(struct bpfbox_map *m, const void *key);
	long (*for_each_elem)(struct bpfbox_map *m, bpfbox_map_elem_fn cb, void *ud, uint32_t cpu);
	bool (*contains)(const struct bpfbox_map *m, uint64_t addr, uint64_t len);
};

struct bpfbox_map {
	uint32_t magic;
	int refcnt; /* atomic */
	const struct map_ops *ops;
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint64_t map_extra;
	uint32_t nr_cpus;
	uint32_t value_buf_size; /* user-space value buffer */
	char *name;              /* never NULL */
	size_t name_size;
	size_t container_size;
	struct util_alloc alloc;
	uint64_t memory_limit;
	uint64_t mem_used; /* atomic: bytes charged through map_zalloc */
	struct bpfbox_map *inner; /* map-in-map template (referenced) */
};

/* Log "map 'name' (type): <why>" at error level and return err. */
int map_reject(const struct map_attr *a, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool map_flags_access_ok(uint32_t flags);
bool map_is_percpu(uint32_t type);

/* Allocate the family struct (zeroed, `size` bytes, starting with a
 * struct bpfbox_map) and fill the common fields.  NULL on -ENOMEM. */
struct bpfbox_map *map_container_new(const struct map_attr *a, const struct map_ops *ops,
				     size_t size);
/* Zeroed memory charged to the map's memory limit; NULL when over the
 * limit or out of memory.  map_zfree uncharges. */
void *map_zalloc(struct bpfbox_map *m, uint64_t size);
void map_zfree(struct bpfbox_map *m, void *p, uint64_t size);

/* Checks shared by families (the kernel's fd-array and map-in-map rules). */
int map_array_check(const struct map_attr *a);
int map_htab_check(const struct map_attr *a);
int map_inner_check(const struct map_attr *a);
/* May `inner` be stored in outer map `m`?  0 or -EINVAL. */
int map_inner_compatible(const struct bpfbox_map *m, const struct bpfbox_map *inner);
/* A pointer claimed to be a bpfbox_map: is it one (magic)? */
bool map_is_map(const void *p);
void map_put(struct bpfbox_map *m);

/* Seeded hash of n bytes (hash maps, bloom filter); seed 0 is repeatable.
 * Our own multiply-xorshift hash (nothing outside the process sees its
 * values, so it need not be the kernel's jhash), inline because a program's
 * map lookup is mostly this: one multiply per 8 bytes of key, the tail read
 * in fixed-size pieces, then a final avalanche so that the low bits (the
 * bucket index) depend on every key bit. */
static inline uint32_t map_hash(const void *p, size_t n, uint32_t seed)
{
	const uint8_t *b = p;
	uint64_t h = (((uint64_t)seed << 32) | (uint32_t)n) * 0x9e3779b97f4a7c15ull;
	for (; n >= 8; b += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	if (n) {
		uint64_t w = 0;
		if (n & 4) {
			uint32_t x;
			memcpy(&x, b, 4);
			w = x;
			b += 4;
		}
		if (n & 2) {
			uint16_t x;
			memcpy(&x, b, 2);
			w = (w << 16) | x;
			b += 2;
		}
		if (n & 1)
			w = (w << 8) | *b;
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	}
	h ^= h >> 29;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 32;
	return (uint32_t)h;
}
uint32_t map_random_seed(const void *salt);

/* Does [addr, addr+len) lie in [base, base+size)? (overflow-safe) */
static inline bool map_range_in(uint64_t addr, uint64_t len, const void *base, uint64_t size)
{
	uint64_t b = (uint64_t)(uintptr_t)base;
	return addr >= b && len <= size && addr - b <= size - len;
}

/* ---- pool.c ------------------------------------------------------------ */

#define POOL_MAX_CHUNKS 40

struct pool_chunk {
	uint8_t *base;
	uint32_t nslots;
	uint32_t used; /* atomic: slots handed out by bumping (the rest are zero) */
};

/* Slot layout is the family's, with two rules: the first 8 bytes are the
 * free-list link while a slot is free, and the 32-bit word at `live_off`
 * is 1 exactly while the slot holds a live element (read atomically by
 * contains() and for_each without locks). */
struct map_pool {
	struct bpfbox_map *map;
	size_t slot_size;
	uint32_t capacity;
	uint32_t live_off;
	uint32_t nchunks;   /* atomic: chunks[0..nchunks) are published */
	struct pool_chunk chunks[POOL_MAX_CHUNKS];
	void *free_head;
	pthread_mutex_t lock;
};

int pool_init(struct map_pool *p, struct bpfbox_map *m, size_t slot_size, uint32_t capacity,
	      uint32_t live_off, bool prealloc);
void pool_fini(struct map_pool *p);
/* A free slot (contents unspecified, live word 0), or NULL with *err set:
 * -E2BIG when `capacity` slots are in use, -ENOMEM. */
void *pool_get(struct map_pool *p, int *err);
/* Return a slot whose live word the caller already cleared. */
void pool_put(struct map_pool *p, void *slot);
/* The slot containing addr, or NULL. */
void *pool_find(const struct map_pool *p, uint64_t addr);
/* Iterate handed-out slots: call with *chunk = *idx = 0; returns the next
 * slot or NULL at the end (live or not: check the live word). */
void *pool_next(const struct map_pool *p, uint32_t *chunk, uint32_t *idx);
static inline bool pool_slot_live(const struct map_pool *p, const void *slot)
{
	return __atomic_load_n((const uint32_t *)((const uint8_t *)slot + p->live_off),
			       __ATOMIC_ACQUIRE) != 0;
}
static inline void pool_set_live(const struct map_pool *p, void *slot, uint32_t v)
{
	__atomic_store_n((uint32_t *)((uint8_t *)slot + p->live_off), v, __ATOMIC_RELEASE);
}

/* ---- consumer wake-ups (ring buffer, perf event array) -------------------
 * A mutex, a condition variable on the monotonic clock (timeouts immune to
 * clock changes) and a "notified" flag, like an edge-triggered epoll: a
 * wake-up while the consumer is busy stays set for its next wait. */
struct map_wake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool notified;
	uint8_t init; /* 1: lock, 2: lock and cond initialised */
};
/* 0, or -ENOMEM (then map_wake_fini undoes what was done). */
int map_wake_init(struct map_wake *w);
void map_wake_fini(struct map_wake *w);
void map_wake_notify(struct map_wake *w);
/* Wait until notified (timeout_ms < 0: forever, 0: do not wait); returns
 * whether it was, and clears the flag. */
bool map_wake_wait(struct map_wake *w, int timeout_ms);

/* ---- the families' operation tables ------------------------------------- */

extern const struct map_ops map_array_ops, map_prog_array_ops,
	map_array_of_maps_ops, map_perf_ops, map_htab_ops, map_hash_of_maps_ops, map_lpm_ops, map_queue_ops,
	map_bloom_ops, map_ringbuf_ops, map_cgroup_array_ops;

#endif
