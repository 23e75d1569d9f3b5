/* bpfbox — maps.h: the kernel's eBPF map types, in user space.
 *
 * A `bpfbox_map` is one map: an array, a hash, a ring buffer, ...  Its type
 * numbers, flags and error codes are the kernel's (include/uapi/linux/bpf.h),
 * so that a program and a loader written against the kernel behave the same
 * here.  A map has two faces, like in the kernel:
 *
 *  1. the user-space face (what the bpf() syscall does): lookup, update,
 *     delete, get_next_key, lookup_and_delete, batches and an iterator.
 *     These copy keys and values in and out.  For a per-CPU map the value
 *     buffer holds nr_cpus values, each rounded up to 8 bytes
 *     (bpfbox_map__value_buf_size() tells the size);
 *  2. the program face (what helpers call): bpfbox_map__elem() returns a
 *     pointer to the value storage itself, stable until the element is
 *     deleted; updates, push/pop/peek, ring buffer records, perf samples,
 *     tail-call and inner-map slots, for_each_map_elem.  Per-CPU maps take
 *     the index of the CPU the program runs on.
 *
 * Plus consumers (ring buffer, perf event array) and the checked-mode test
 * bpfbox_map__contains() the VM's region hook uses.
 *
 * Errors are the kernel's, including its internal ENOTSUPP (524) where
 * bpf() returns it to user space (BPFBOX_ENOTSUPP).  Where bpfbox differs
 * from the kernel the function's comment says so.
 *
 * Thread safety: every call may be made from several threads at once,
 * except that a ring buffer or perf event array has one consumer at a time
 * (concurrent consumers are serialised).  Hash maps lock per bucket stripe;
 * LRU hashes, queues, stacks and LPM tries lock per map.  Array values and
 * values updated in place are not updated atomically (the kernel's arrays
 * are not either): a reader through bpfbox_map__elem() may see a value
 * half-written by a concurrent update.  The user-space copies of hash, LRU,
 * LPM, queue and stack values are atomic with respect to each other.
 */
#ifndef BPFBOX_MAPS_H
#define BPFBOX_MAPS_H

#include "bpfbox/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the kernel's numbers ---------------------------------------------- */

/* Map types: enum bpf_map_type (values checked against <linux/bpf.h> in
 * tests/unit/test_maps.c).  bpfbox implements the ones marked '*'; creating
 * another returns -EOPNOTSUPP (unknown numbers: -EINVAL, like the kernel). */
enum bpfbox_map_type {
	BPFBOX_MAP_TYPE_UNSPEC = 0,
	BPFBOX_MAP_TYPE_HASH = 1,                 /* * */
	BPFBOX_MAP_TYPE_ARRAY = 2,                /* * */
	BPFBOX_MAP_TYPE_PROG_ARRAY = 3,           /* * values: opaque program pointers */
	BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY = 4,     /* * per-index sample queues */
	BPFBOX_MAP_TYPE_PERCPU_HASH = 5,          /* * */
	BPFBOX_MAP_TYPE_PERCPU_ARRAY = 6,         /* * */
	BPFBOX_MAP_TYPE_STACK_TRACE = 7,
	BPFBOX_MAP_TYPE_CGROUP_ARRAY = 8,         /* * values: cgroup directory fds */
	BPFBOX_MAP_TYPE_LRU_HASH = 9,             /* * */
	BPFBOX_MAP_TYPE_LRU_PERCPU_HASH = 10,     /* * */
	BPFBOX_MAP_TYPE_LPM_TRIE = 11,            /* * */
	BPFBOX_MAP_TYPE_ARRAY_OF_MAPS = 12,       /* * values: bpfbox_map pointers */
	BPFBOX_MAP_TYPE_HASH_OF_MAPS = 13,        /* * values: bpfbox_map pointers */
	BPFBOX_MAP_TYPE_DEVMAP = 14,
	BPFBOX_MAP_TYPE_SOCKMAP = 15,
	BPFBOX_MAP_TYPE_CPUMAP = 16,
	BPFBOX_MAP_TYPE_XSKMAP = 17,
	BPFBOX_MAP_TYPE_SOCKHASH = 18,
	BPFBOX_MAP_TYPE_CGROUP_STORAGE = 19,
	BPFBOX_MAP_TYPE_REUSEPORT_SOCKARRAY = 20,
	BPFBOX_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21,
	BPFBOX_MAP_TYPE_QUEUE = 22,               /* * */
	BPFBOX_MAP_TYPE_STACK = 23,               /* * */
	BPFBOX_MAP_TYPE_SK_STORAGE = 24,
	BPFBOX_MAP_TYPE_DEVMAP_HASH = 25,
	BPFBOX_MAP_TYPE_STRUCT_OPS = 26,
	BPFBOX_MAP_TYPE_RINGBUF = 27,             /* * */
	BPFBOX_MAP_TYPE_INODE_STORAGE = 28,
	BPFBOX_MAP_TYPE_TASK_STORAGE = 29,
	BPFBOX_MAP_TYPE_BLOOM_FILTER = 30,        /* * */
	BPFBOX_MAP_TYPE_USER_RINGBUF = 31,
	BPFBOX_MAP_TYPE_CGRP_STORAGE = 32,
	BPFBOX_MAP_TYPE_ARENA = 33,
	BPFBOX_MAP_TYPE__MAX
};

/* Update flags (BPF_ANY, ...). */
#define BPFBOX_ANY 0ULL     /* create or update */
#define BPFBOX_NOEXIST 1ULL /* create only: -EEXIST when present */
#define BPFBOX_EXIST 2ULL   /* update only: -ENOENT when absent */
#define BPFBOX_F_LOCK 4ULL  /* bpf_spin_lock'ed copy: bpfbox has no BTF
			     * spin locks, so this is always -EINVAL, as the
			     * kernel says for a value without one */

/* Creation flags (map_flags). */
#define BPFBOX_F_NO_PREALLOC (1U << 0)
#define BPFBOX_F_NO_COMMON_LRU (1U << 1)
#define BPFBOX_F_NUMA_NODE (1U << 2)
#define BPFBOX_F_RDONLY (1U << 3)       /* user space may not write */
#define BPFBOX_F_WRONLY (1U << 4)       /* user space may not read */
#define BPFBOX_F_STACK_BUILD_ID (1U << 5)
#define BPFBOX_F_ZERO_SEED (1U << 6)    /* hash/bloom seed 0: repeatable order */
#define BPFBOX_F_RDONLY_PROG (1U << 7)  /* programs may not write */
#define BPFBOX_F_WRONLY_PROG (1U << 8)  /* programs may not read */
#define BPFBOX_F_CLONE (1U << 9)
#define BPFBOX_F_MMAPABLE (1U << 10)
#define BPFBOX_F_PRESERVE_ELEMS (1U << 11)
#define BPFBOX_F_INNER_MAP (1U << 12)

/* perf_event_output flags. */
#define BPFBOX_F_INDEX_MASK 0xffffffffULL
#define BPFBOX_F_CURRENT_CPU BPFBOX_F_INDEX_MASK
#define BPFBOX_F_CTXLEN_MASK (0xfffffULL << 32)

/* Ring buffer: submit/output flags, query selectors, record header. */
#define BPFBOX_RB_NO_WAKEUP (1ULL << 0)
#define BPFBOX_RB_FORCE_WAKEUP (1ULL << 1)
#define BPFBOX_RB_AVAIL_DATA 0
#define BPFBOX_RB_RING_SIZE 1
#define BPFBOX_RB_CONS_POS 2
#define BPFBOX_RB_PROD_POS 3
#define BPFBOX_RINGBUF_BUSY_BIT (1U << 31)
#define BPFBOX_RINGBUF_DISCARD_BIT (1U << 30)
#define BPFBOX_RINGBUF_HDR_SZ 8

/* The kernel's internal "operation not supported" errno, which bpf()
 * returns for an operation a map type lacks (not EOPNOTSUPP = 95). */
#define BPFBOX_ENOTSUPP 524

/* Tail calls per run (the kernel's MAX_TAIL_CALL_CNT); the VM enforces it. */
#define BPFBOX_MAX_TAIL_CALL_CNT 33

/* ---- creation ------------------------------------------------------------ */

struct bpfbox_map;

struct bpfbox_map_opts {
	size_t sz;
	uint32_t type;         /* enum bpfbox_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;    /* BPFBOX_F_* */
	uint64_t map_extra;    /* bloom filter: number of hash functions (0: 5) */
	const char *name;      /* copied; [A-Za-z0-9_.]*, may be NULL */
	/* Per-CPU maps keep this many copies of each value (0: the number of
	 * online CPUs).  Programs pass a CPU index below it. */
	uint32_t nr_cpus;
	/* Map-in-map: the template inner maps must match (type, key and value
	 * size, flags; max_entries too for arrays unless the template has
	 * BPFBOX_F_INNER_MAP).  The new map keeps a reference to it. */
	struct bpfbox_map *inner_map;
	bpfbox_alloc_fn alloc; /* NULL: realloc/free; used for every allocation */
	void *alloc_ud;
	struct bpfbox_log *log; /* why creation was refused; may be NULL */
	/* Refuse (-ENOMEM) a map whose storage would exceed this many bytes
	 * (0: 1 GiB).  The kernel's limit is the memory cgroup. */
	uint64_t memory_limit;
	/* Perf event array: bytes of sample buffer per index (0: 64 KiB; a
	 * power of two, at least 4096). */
	uint32_t perf_buffer_size;
};
#define bpfbox_map_opts__last_field perf_buffer_size

/* Create a map.  Attributes are checked like the kernel's map_create()
 * (per-type key/value sizes, flags, max_entries, map_extra, name); a
 * refusal is -EINVAL (or -E2BIG, BPFBOX_ENOTSUPP, -EBADF for a missing
 * inner map template, ... as the kernel says) with a line in opts->log
 * naming the attribute.  Returns 0 and *out (release with
 * bpfbox_map__free), -EINVAL, -E2BIG, -ENOMEM, -EOPNOTSUPP (a kernel type
 * bpfbox does not implement). */
BPFBOX_API int bpfbox_map__new(struct bpfbox_map **out, const struct bpfbox_map_opts *opts);

/* Release the caller's reference (NULL is fine).  Maps are reference
 * counted: an array/hash of maps holds a reference to each map stored in
 * it and to its template, so a map lives until its last holder lets go.
 * Pointers stored in a prog_array are not owned and never dereferenced. */
BPFBOX_API void bpfbox_map__free(struct bpfbox_map *map);
/* Take another reference (returns map). */
BPFBOX_API struct bpfbox_map *bpfbox_map__get(struct bpfbox_map *map);

/* ---- attributes (borrowed, never fail) ------------------------------------ */

BPFBOX_API uint32_t bpfbox_map__type(const struct bpfbox_map *map);
BPFBOX_API uint32_t bpfbox_map__key_size(const struct bpfbox_map *map);
BPFBOX_API uint32_t bpfbox_map__value_size(const struct bpfbox_map *map);
BPFBOX_API uint32_t bpfbox_map__max_entries(const struct bpfbox_map *map);
BPFBOX_API uint32_t bpfbox_map__flags(const struct bpfbox_map *map);
BPFBOX_API uint64_t bpfbox_map__map_extra(const struct bpfbox_map *map);
BPFBOX_API uint32_t bpfbox_map__nr_cpus(const struct bpfbox_map *map);
BPFBOX_API const char *bpfbox_map__name(const struct bpfbox_map *map); /* "" when unnamed */
/* Bytes of the user-space value buffer: nr_cpus * round_up(value_size, 8)
 * for per-CPU maps, else value_size. */
BPFBOX_API uint32_t bpfbox_map__value_buf_size(const struct bpfbox_map *map);
/* The inner-map template of a map-in-map (borrowed), else NULL. */
BPFBOX_API struct bpfbox_map *bpfbox_map__inner_map(const struct bpfbox_map *map);
/* Name of a map type ("hash", "lru_percpu_hash", ...), or NULL. */
BPFBOX_API const char *bpfbox_map_type_name(uint32_t type);

/* ---- user-space face (the bpf() syscall's semantics; copies) --------------- */

/* Copy the value of `key` into `value` (value_buf_size bytes).  Queue,
 * stack: peek (key NULL); bloom filter: `value` is the probe, 0 when maybe
 * present.  LPM trie: longest-prefix match.  LRU: does not count as a use
 * (like the kernel's syscall lookup).  Returns 0, -ENOENT, -EPERM
 * (BPFBOX_F_WRONLY), BPFBOX_ENOTSUPP (ringbuf, perf event array),
 * -EOPNOTSUPP (prog_array and map-in-map: use lookup_ptr; the kernel
 * returns an id there). */
BPFBOX_API int bpfbox_map__lookup(struct bpfbox_map *map, const void *key, void *value);

/* Create or replace `key` with `value` (value_buf_size bytes) according to
 * flags (BPFBOX_ANY / NOEXIST / EXIST).  Queue/stack/bloom: push (key
 * NULL; a full queue or stack with BPFBOX_EXIST drops its oldest value).
 * Returns 0, -EINVAL (flags), -EEXIST, -ENOENT, -E2BIG (full, or array
 * index out of range), -ENOSPC (LPM trie full), -EPERM (BPFBOX_F_RDONLY),
 * BPFBOX_ENOTSUPP, -EOPNOTSUPP (pointer maps: use update_ptr). */
BPFBOX_API int bpfbox_map__update(struct bpfbox_map *map, const void *key, const void *value,
				  uint64_t flags);

/* Delete `key`.  Returns 0, -ENOENT, -EINVAL (arrays, queues), -E2BIG
 * (prog_array/array_of_maps index out of range), -EOPNOTSUPP (bloom; perf
 * event array, whose slots are not fds here), -EPERM, BPFBOX_ENOTSUPP. */
BPFBOX_API int bpfbox_map__delete(struct bpfbox_map *map, const void *key);

/* The key after `key` (NULL or a key not in the map: the first key) into
 * next_key.  Returns 0, -ENOENT (no more), -EINVAL (queue/stack),
 * -EOPNOTSUPP (bloom), BPFBOX_ENOTSUPP (ringbuf), -EPERM.  Order: index
 * order for arrays, bucket order for hashes (differs from the kernel's,
 * whose hash is seeded differently), post-order for LPM tries (same as the
 * kernel's). */
BPFBOX_API int bpfbox_map__get_next_key(struct bpfbox_map *map, const void *key, void *next_key);

/* Copy then delete: hash family (key), queue/stack pop (key NULL).
 * Returns 0, -ENOENT, -EPERM, BPFBOX_ENOTSUPP (other types, as the kernel). */
BPFBOX_API int bpfbox_map__lookup_and_delete(struct bpfbox_map *map, const void *key,
					      void *value);

/* Map-in-map and prog_array slots hold pointers: bpfbox_map handles
 * (checked against the template; the outer map takes a reference) or
 * opaque program pointers (never dereferenced).  update_ptr is BPFBOX_ANY;
 * _flags takes NOEXIST/EXIST for hash_of_maps (arrays accept only ANY, as
 * in the kernel).  Returns 0, -EINVAL (NULL ptr, bad flags, incompatible
 * inner map), -E2BIG (index out of range, or hash full), -EEXIST, -ENOENT,
 * -EOPNOTSUPP (not a pointer map), -EPERM. */
BPFBOX_API int bpfbox_map__update_ptr(struct bpfbox_map *map, const void *key, void *ptr);
BPFBOX_API int bpfbox_map__update_ptr_flags(struct bpfbox_map *map, const void *key, void *ptr,
					    uint64_t flags);
/* Read a pointer slot into *ptr (borrowed).  0, -ENOENT, -EOPNOTSUPP, -EPERM. */
BPFBOX_API int bpfbox_map__lookup_ptr(struct bpfbox_map *map, const void *key, void **ptr);

/* Batch operations (the kernel's BPF_MAP_*_BATCH).  `count` is in: room
 * in keys/values (entries), out: entries processed.  The cursor is opaque:
 * pass in = NULL to start, and the previous call's `out` to continue.
 * Lookup returns 0 when it filled `count` entries, -ENOENT when it reached
 * the end (count may be > 0 in that last call), -ENOSPC when a hash
 * bucket holds more entries than `count` (count = 0).  Hash maps walk
 * whole buckets (a batch never splits one); arrays and LPM tries walk
 * keys.  Update/delete stop at the first error and return it, count =
 * entries done.  opts->elem_flags: only BPFBOX_F_LOCK (always -EINVAL
 * here, see above) — the kernel rejects BPFBOX_NOEXIST/EXIST in batches
 * too; opts->flags must be 0 for hash lookups.
 * Supported like the kernel: lookup: array, percpu_array, hash family,
 * lpm; lookup_and_delete: hash family; update: array, percpu_array, hash
 * family, lpm; delete: hash family, lpm.  Others: BPFBOX_ENOTSUPP
 * (pointer maps: -EOPNOTSUPP). */
struct bpfbox_map_batch {
	uint64_t opaque[33];
};
struct bpfbox_map_batch_opts {
	size_t sz;
	uint64_t elem_flags;
	uint64_t flags;
};
#define bpfbox_map_batch_opts__last_field flags

BPFBOX_API int bpfbox_map__lookup_batch(struct bpfbox_map *map, const struct bpfbox_map_batch *in,
					struct bpfbox_map_batch *out, void *keys, void *values,
					uint32_t *count, const struct bpfbox_map_batch_opts *opts);
BPFBOX_API int bpfbox_map__lookup_and_delete_batch(struct bpfbox_map *map,
						   const struct bpfbox_map_batch *in,
						   struct bpfbox_map_batch *out, void *keys,
						   void *values, uint32_t *count,
						   const struct bpfbox_map_batch_opts *opts);
BPFBOX_API int bpfbox_map__update_batch(struct bpfbox_map *map, const void *keys,
					const void *values, uint32_t *count,
					const struct bpfbox_map_batch_opts *opts);
BPFBOX_API int bpfbox_map__delete_batch(struct bpfbox_map *map, const void *keys,
					uint32_t *count, const struct bpfbox_map_batch_opts *opts);

/* Visit every element with copies of key and value (value_buf_size bytes;
 * pointer maps: a void * holding the pointer).  cb returns 0 to go on,
 * anything else to stop; that value is returned.  Elements added or
 * deleted during the walk may or may not be seen; none is seen twice
 * unless it was deleted and re-added.  Returns 0, cb's value, -EPERM,
 * -EOPNOTSUPP (queue, stack, bloom, ringbuf, perf event array). */
typedef int (*bpfbox_map_iter_fn)(const void *key, const void *value, void *ud);
BPFBOX_API int bpfbox_map__for_each(struct bpfbox_map *map, bpfbox_map_iter_fn cb, void *ud);

/* ---- program face (what helpers call; in place, no copies) ---------------- */

/* Pointer to the value of `key` (for per-CPU maps: CPU `cpu`'s copy), or
 * NULL (absent, out of range, cpu >= nr_cpus, or a type programs cannot
 * look up: queue, stack, bloom, ringbuf, perf, pointer maps).  The pointer
 * stays valid (as memory) for the map's lifetime and holds this key's
 * value until the element is deleted.  LRU: counts as a use.  LPM:
 * longest-prefix match. */
BPFBOX_API void *bpfbox_map__elem(struct bpfbox_map *map, const void *key, uint32_t cpu);

/* bpfbox_map__elem(map, key, 0) as one direct function of this map, for
 * code generators that bind a program's lookups to their map when it is
 * known at compile time (the kernel's verifier does the same with its
 * map_gen_lookup): NULL for maps whose lookup depends on the CPU (per-CPU
 * maps) and for types without one (pointer maps and those programs
 * cannot look up).  The function stays valid for the map's lifetime. */
typedef void *(*bpfbox_map_lookup_fn)(struct bpfbox_map *map, const void *key);
BPFBOX_API bpfbox_map_lookup_fn bpfbox_map__lookup_fn(const struct bpfbox_map *map);

/* bpf_map_update_elem from a program: `value` is ONE value_size value; on a
 * per-CPU map it goes to `cpu`'s copy (a new element's other copies are
 * zeroed).  Returns like bpfbox_map__update, -EPERM for
 * BPFBOX_F_RDONLY_PROG maps, -EINVAL for cpu >= nr_cpus and for queue,
 * stack and bloom (programs push; the kernel's update op says -EINVAL),
 * -EOPNOTSUPP for types programs cannot update (pointer maps, ringbuf,
 * perf event array). */
BPFBOX_API int bpfbox_map__update_elem(struct bpfbox_map *map, const void *key, const void *value,
				       uint64_t flags, uint32_t cpu);
/* bpf_map_delete_elem.  Returns like bpfbox_map__delete; -EPERM for
 * BPFBOX_F_RDONLY_PROG. */
BPFBOX_API int bpfbox_map__delete_elem(struct bpfbox_map *map, const void *key);

/* bpf_map_push_elem / pop / peek (queue, stack; bloom: push and peek).
 * push flags: BPFBOX_ANY, or BPFBOX_EXIST to drop the oldest value when
 * full (bloom: BPFBOX_ANY only).  Returns 0, -E2BIG (full), -ENOENT
 * (empty; bloom: not present), -EINVAL, -EOPNOTSUPP, -EPERM. */
BPFBOX_API int bpfbox_map__push_elem(struct bpfbox_map *map, const void *value, uint64_t flags);
BPFBOX_API int bpfbox_map__pop_elem(struct bpfbox_map *map, void *value);
BPFBOX_API int bpfbox_map__peek_elem(struct bpfbox_map *map, void *value);

/* The pointer stored in a prog_array / map-in-map slot (tail calls, inner
 * map lookups), or NULL.  Borrowed: valid while it stays in the slot. */
BPFBOX_API void *bpfbox_map__get_ptr(struct bpfbox_map *map, const void *key);

/* bpf_for_each_map_elem: call cb(map, key, value, ud) for each element of
 * an array, percpu_array or hash-family map (per-CPU maps: `cpu`'s copy),
 * in place.  cb returns 0 to go on, 1 (non-zero) to stop; cb may update or
 * delete elements of this map.  Returns the number of elements visited
 * (including the one that stopped), -EINVAL (flags != 0, cpu out of
 * range), -EOPNOTSUPP (other types; the kernel's verifier refuses them). */
typedef long (*bpfbox_map_elem_fn)(struct bpfbox_map *map, const void *key, void *value,
				   void *ud);
BPFBOX_API long bpfbox_map__for_each_elem(struct bpfbox_map *map, bpfbox_map_elem_fn cb, void *ud,
					  uint64_t flags, uint32_t cpu);

/* Checked mode: true when [addr, addr+len) lies entirely inside ONE live
 * value of this map — an array index's value, an allocated hash or LPM
 * element's value (one CPU's copy for per-CPU maps), a reserved and not
 * yet submitted ring buffer record.  A write to a BPFBOX_F_RDONLY_PROG map
 * and a read of a BPFBOX_F_WRONLY_PROG map are refused.  O(1) for arrays
 * and preallocated hashes, O(log n) for growing pools (NO_PREALLOC hashes,
 * LPM tries), O(records in flight) for ring buffers. */
BPFBOX_API bool bpfbox_map__contains(const struct bpfbox_map *map, uint64_t addr, uint64_t len,
				     bool write);

/* ---- ring buffer ------------------------------------------------------------ */

/* Reserve a record of `size` bytes (bpf_ringbuf_reserve): a pointer to
 * 8-byte-aligned writable memory, or NULL (flags != 0, size too big, ring
 * full).  The record must be submitted or discarded. */
BPFBOX_API void *bpfbox_ringbuf__reserve(struct bpfbox_map *map, uint64_t size, uint64_t flags);
/* Commit (submit) or drop (discard) a reserved record.  flags:
 * BPFBOX_RB_NO_WAKEUP (do not wake the consumer), BPFBOX_RB_FORCE_WAKEUP
 * (always wake it); default: wake it when it has consumed everything
 * before this record.  With map == NULL the map is found from the record
 * header, like the kernel (trusting the pointer: verified programs only);
 * with the map, `sample` is checked first.  Returns 0 or -EINVAL (not a
 * reserved record of this map). */
BPFBOX_API int bpfbox_ringbuf__submit(struct bpfbox_map *map, void *sample, uint64_t flags);
BPFBOX_API int bpfbox_ringbuf__discard(struct bpfbox_map *map, void *sample, uint64_t flags);
/* Reserve, copy, submit (bpf_ringbuf_output).  0, -EINVAL (flags),
 * -EAGAIN (no room). */
BPFBOX_API int bpfbox_ringbuf__output(struct bpfbox_map *map, const void *data, uint64_t size,
				      uint64_t flags);
/* bpf_ringbuf_query: BPFBOX_RB_AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS;
 * other values: 0. */
BPFBOX_API uint64_t bpfbox_ringbuf__query(struct bpfbox_map *map, uint64_t flag);

/* Consumer: cb(ud, data, size) for each committed record, in ring order
 * (the order of reservation, which is the order programs see their
 * records; a record still reserved holds back the ones after it, as in
 * the kernel), skipping discarded ones.  `data` is valid during the call.
 * A negative return from cb stops and is returned.  Returns the number of
 * records passed to cb, or a negative errno (-EINVAL: not a ringbuf). */
typedef int (*bpfbox_ringbuf_fn)(void *ud, void *data, uint32_t size);
BPFBOX_API int bpfbox_ringbuf__consume(struct bpfbox_map *map, bpfbox_ringbuf_fn cb, void *ud);
/* Wait until a producer woke the consumer (see submit's flags) or
 * timeout_ms passes (< 0: forever, 0: do not wait), then consume.
 * Returns the number of records consumed (0 on timeout) or a negative
 * errno.  Like epoll on the kernel's ring buffer, records committed with
 * BPFBOX_RB_NO_WAKEUP do not end the wait. */
BPFBOX_API int bpfbox_ringbuf__poll(struct bpfbox_map *map, bpfbox_ringbuf_fn cb, void *ud,
				    int timeout_ms);

/* ---- perf event array --------------------------------------------------- */

/* bpf_perf_event_output: append a sample to index (flags &
 * BPFBOX_F_INDEX_MASK), or to index `cpu` with BPFBOX_F_CURRENT_CPU.
 * Returns 0, -EINVAL (other flag bits), -E2BIG (index >= max_entries),
 * -ENOSPC (that index's buffer is full: the sample is counted lost),
 * -ENOMEM.  bpfbox keeps a buffer per index and does not require the
 * index to be the current CPU (the kernel's perf events are per CPU). */
BPFBOX_API int bpfbox_map__perf_event_output(struct bpfbox_map *map, uint64_t flags,
					     uint32_t cpu, const void *data, uint64_t size);

/* Consumer: sample_cb(ud, index, data, size) per sample, lost_cb(ud,
 * index, count) where samples were dropped (in stream order, like
 * PERF_RECORD_LOST).  As with the kernel's raw samples, `size` is the
 * output size padded so that size + 4 is a multiple of 8 (zero padding).
 * Either callback may be NULL.  Returns the number of samples delivered
 * or a negative errno. */
typedef void (*bpfbox_perf_sample_fn)(void *ud, int index, void *data, uint32_t size);
typedef void (*bpfbox_perf_lost_fn)(void *ud, int index, uint64_t count);
BPFBOX_API int bpfbox_perf__consume(struct bpfbox_map *map, bpfbox_perf_sample_fn sample_cb,
				    bpfbox_perf_lost_fn lost_cb, void *ud);
/* Wait for a sample (timeout_ms < 0: forever, 0: no wait), then consume. */
BPFBOX_API int bpfbox_perf__poll(struct bpfbox_map *map, bpfbox_perf_sample_fn sample_cb,
				 bpfbox_perf_lost_fn lost_cb, void *ud, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
