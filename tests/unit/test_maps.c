/* bpfbox — test_maps.c: map semantics, one type at a time.
 *
 * What each map type must do, written from the kernel's behaviour (the
 * differential test test_maps_kernel.c checks the same facts against the
 * running kernel when bpf() is allowed): the UAPI numbers, creation checks,
 * flags and error codes, iteration order where the kernel defines it
 * (arrays, LPM post-order), the program face (in-place pointers, per-CPU
 * copies), checked-mode contains(), ring buffer and perf consumers, the
 * allocator hook (every allocation through it, none leaked, every
 * allocation failure handled).
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/bpf.h>
#include "check.h"
#include "bpfbox/maps.h"

/* ---- the UAPI numbers ------------------------------------------------------ */

#define SAME(a, b) _Static_assert((long long)(a) == (long long)(b), #a " != " #b)
SAME(BPFBOX_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH);
SAME(BPFBOX_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY);
SAME(BPFBOX_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_PROG_ARRAY);
SAME(BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
SAME(BPFBOX_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH);
SAME(BPFBOX_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY);
SAME(BPFBOX_MAP_TYPE_STACK_TRACE, BPF_MAP_TYPE_STACK_TRACE);
SAME(BPFBOX_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_CGROUP_ARRAY);
SAME(BPFBOX_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_HASH);
SAME(BPFBOX_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH);
SAME(BPFBOX_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_LPM_TRIE);
SAME(BPFBOX_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_ARRAY_OF_MAPS);
SAME(BPFBOX_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS);
SAME(BPFBOX_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP);
SAME(BPFBOX_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_SOCKMAP);
SAME(BPFBOX_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_CPUMAP);
SAME(BPFBOX_MAP_TYPE_XSKMAP, BPF_MAP_TYPE_XSKMAP);
SAME(BPFBOX_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_SOCKHASH);
SAME(BPFBOX_MAP_TYPE_CGROUP_STORAGE, BPF_MAP_TYPE_CGROUP_STORAGE);
SAME(BPFBOX_MAP_TYPE_REUSEPORT_SOCKARRAY, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
SAME(BPFBOX_MAP_TYPE_PERCPU_CGROUP_STORAGE, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
SAME(BPFBOX_MAP_TYPE_QUEUE, BPF_MAP_TYPE_QUEUE);
SAME(BPFBOX_MAP_TYPE_STACK, BPF_MAP_TYPE_STACK);
SAME(BPFBOX_MAP_TYPE_SK_STORAGE, BPF_MAP_TYPE_SK_STORAGE);
SAME(BPFBOX_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_DEVMAP_HASH);
SAME(BPFBOX_MAP_TYPE_STRUCT_OPS, BPF_MAP_TYPE_STRUCT_OPS);
SAME(BPFBOX_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_RINGBUF);
SAME(BPFBOX_MAP_TYPE_INODE_STORAGE, BPF_MAP_TYPE_INODE_STORAGE);
SAME(BPFBOX_MAP_TYPE_TASK_STORAGE, BPF_MAP_TYPE_TASK_STORAGE);
SAME(BPFBOX_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_BLOOM_FILTER);
SAME(BPFBOX_MAP_TYPE_USER_RINGBUF, BPF_MAP_TYPE_USER_RINGBUF);
SAME(BPFBOX_ANY, BPF_ANY);
SAME(BPFBOX_NOEXIST, BPF_NOEXIST);
SAME(BPFBOX_EXIST, BPF_EXIST);
SAME(BPFBOX_F_LOCK, BPF_F_LOCK);
SAME(BPFBOX_F_NO_PREALLOC, BPF_F_NO_PREALLOC);
SAME(BPFBOX_F_NO_COMMON_LRU, BPF_F_NO_COMMON_LRU);
SAME(BPFBOX_F_NUMA_NODE, BPF_F_NUMA_NODE);
SAME(BPFBOX_F_RDONLY, BPF_F_RDONLY);
SAME(BPFBOX_F_WRONLY, BPF_F_WRONLY);
SAME(BPFBOX_F_STACK_BUILD_ID, BPF_F_STACK_BUILD_ID);
SAME(BPFBOX_F_ZERO_SEED, BPF_F_ZERO_SEED);
SAME(BPFBOX_F_RDONLY_PROG, BPF_F_RDONLY_PROG);
SAME(BPFBOX_F_WRONLY_PROG, BPF_F_WRONLY_PROG);
SAME(BPFBOX_F_CLONE, BPF_F_CLONE);
SAME(BPFBOX_F_MMAPABLE, BPF_F_MMAPABLE);
SAME(BPFBOX_F_PRESERVE_ELEMS, BPF_F_PRESERVE_ELEMS);
SAME(BPFBOX_F_INNER_MAP, BPF_F_INNER_MAP);
SAME(BPFBOX_F_INDEX_MASK, BPF_F_INDEX_MASK);
SAME(BPFBOX_F_CURRENT_CPU, BPF_F_CURRENT_CPU);
SAME(BPFBOX_F_CTXLEN_MASK, BPF_F_CTXLEN_MASK);
SAME(BPFBOX_RB_NO_WAKEUP, BPF_RB_NO_WAKEUP);
SAME(BPFBOX_RB_FORCE_WAKEUP, BPF_RB_FORCE_WAKEUP);
SAME(BPFBOX_RB_AVAIL_DATA, BPF_RB_AVAIL_DATA);
SAME(BPFBOX_RB_RING_SIZE, BPF_RB_RING_SIZE);
SAME(BPFBOX_RB_CONS_POS, BPF_RB_CONS_POS);
SAME(BPFBOX_RB_PROD_POS, BPF_RB_PROD_POS);
SAME(BPFBOX_RINGBUF_BUSY_BIT, BPF_RINGBUF_BUSY_BIT);
SAME(BPFBOX_RINGBUF_DISCARD_BIT, BPF_RINGBUF_DISCARD_BIT);
SAME(BPFBOX_RINGBUF_HDR_SZ, BPF_RINGBUF_HDR_SZ);

/* ---- a counting allocator: leaks and fail-the-Nth -------------------------- */

struct counting {
	long live_blocks;
	long long live_bytes;
	long calls;
	long fail_at; /* fail the fail_at'th allocation (1-based); 0: never */
};

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct counting *c = ud;
	if (nsize == 0) {
		if (ptr) {
			c->live_blocks--;
			c->live_bytes -= (long long)osize;
		}
		free(ptr);
		return NULL;
	}
	c->calls++;
	if (c->fail_at && c->calls == c->fail_at)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	if (!ptr)
		c->live_blocks++;
	c->live_bytes += (long long)nsize - (long long)(ptr ? osize : 0);
	return p;
}

/* ---- helpers ------------------------------------------------------------------ */

#define NCPU 4

static struct bpfbox_map *mkx(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max,
			      uint32_t flags, uint64_t extra, struct bpfbox_map *inner, int *errp)
{
	BPFBOX_OPTS(bpfbox_map_opts, o, .type = type, .key_size = ks, .value_size = vs,
		    .max_entries = max, .map_flags = flags, .map_extra = extra, .nr_cpus = NCPU,
		    .inner_map = inner, .name = "t");
	struct bpfbox_map *m = NULL;
	int err = bpfbox_map__new(&m, &o);
	if (errp)
		*errp = err;
	return m;
}

static struct bpfbox_map *mk(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	int err;
	struct bpfbox_map *m = mkx(type, ks, vs, max, flags, 0, NULL, &err);
	if (!m)
		printf("# create type %u failed: %d\n", type, err);
	return m;
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- creation --------------------------------------------------------------- */

static void test_create(void)
{
	char buf[512];
	struct bpfbox_log log = { .buf = buf, .size = sizeof(buf), .level = 0 };
	BPFBOX_OPTS(bpfbox_map_opts, o, .type = BPFBOX_MAP_TYPE_ARRAY, .key_size = 8,
		    .value_size = 8, .max_entries = 4, .name = "cfg", .log = &log);
	struct bpfbox_map *m = (void *)1;
	CHECK(bpfbox_map__new(&m, &o) == -EINVAL && m == NULL, "array key_size 8 refused");
	CHECK(strstr(buf, "map 'cfg' (array): key_size 8 (must be 4)") != NULL,
	      "the log names the attribute: %s", buf);

	/* an options struct from a newer caller: unknown non-zero tail refused */
	struct {
		struct bpfbox_map_opts o;
		uint64_t future;
	} big = { .o = { .sz = sizeof(big), .type = BPFBOX_MAP_TYPE_ARRAY, .key_size = 4,
			 .value_size = 4, .max_entries = 1 },
		  .future = 1 };
	CHECK(bpfbox_map__new(&m, &big.o) == -EINVAL, "opts with a non-zero unknown tail refused");
	big.future = 0;
	CHECK(bpfbox_map__new(&m, &big.o) == 0, "opts with a zero unknown tail accepted");
	bpfbox_map__free(m);

	int err;
	m = mkx(BPFBOX_MAP_TYPE_STACK_TRACE, 4, 8, 4, 0, 0, NULL, &err);
	CHECK(!m && err == -EOPNOTSUPP, "a kernel type bpfbox lacks: -EOPNOTSUPP (%d)", err);
	m = mkx(99, 4, 8, 4, 0, 0, NULL, &err);
	CHECK(!m && err == -EINVAL, "an unknown type: -EINVAL (%d)", err);

	BPFBOX_OPTS(bpfbox_map_opts, bad, .type = BPFBOX_MAP_TYPE_HASH, .key_size = 4,
		    .value_size = 4, .max_entries = 1, .name = "bad name");
	CHECK(bpfbox_map__new(&m, &bad) == -EINVAL, "a name with a space refused");

	/* getters */
	m = mk(BPFBOX_MAP_TYPE_PERCPU_HASH, 6, 12, 10, BPFBOX_F_NO_PREALLOC);
	CHECK(m && bpfbox_map__type(m) == BPFBOX_MAP_TYPE_PERCPU_HASH && bpfbox_map__key_size(m) == 6 &&
	      bpfbox_map__value_size(m) == 12 && bpfbox_map__max_entries(m) == 10 &&
	      bpfbox_map__flags(m) == BPFBOX_F_NO_PREALLOC && bpfbox_map__nr_cpus(m) == NCPU &&
	      !strcmp(bpfbox_map__name(m), "t") && bpfbox_map__value_buf_size(m) == NCPU * 16,
	      "getters (per-CPU value buffer = nr_cpus * round_up(12, 8))");
	bpfbox_map__free(m);
	CHECK(!strcmp(bpfbox_map_type_name(BPFBOX_MAP_TYPE_LRU_PERCPU_HASH), "lru_percpu_hash") &&
	      bpfbox_map_type_name(1000) == NULL, "type names");

	/* nr_cpus 0: the online CPUs */
	BPFBOX_OPTS(bpfbox_map_opts, pc, .type = BPFBOX_MAP_TYPE_PERCPU_ARRAY, .key_size = 4,
		    .value_size = 4, .max_entries = 1);
	CHECK(bpfbox_map__new(&m, &pc) == 0 && bpfbox_map__nr_cpus(m) >= 1,
	      "nr_cpus 0 means the online CPUs (%u)", m ? bpfbox_map__nr_cpus(m) : 0);
	bpfbox_map__free(m);

	/* LRU with NO_COMMON_LRU: max_entries rounded up to a multiple of nr_cpus */
	m = mk(BPFBOX_MAP_TYPE_LRU_HASH, 4, 4, 5, BPFBOX_F_NO_COMMON_LRU);
	CHECK(m && bpfbox_map__max_entries(m) == 8, "NO_COMMON_LRU rounds max_entries 5 to 8 (4 CPUs)");
	bpfbox_map__free(m);

	/* memory limit */
	BPFBOX_OPTS(bpfbox_map_opts, lim, .type = BPFBOX_MAP_TYPE_ARRAY, .key_size = 4,
		    .value_size = 1024, .max_entries = 1024, .memory_limit = 512 * 1024);
	CHECK(bpfbox_map__new(&m, &lim) == -ENOMEM, "a map above its memory limit: -ENOMEM");
	lim.memory_limit = 2 << 20;
	CHECK(bpfbox_map__new(&m, &lim) == 0, "the same map under a larger limit");
	bpfbox_map__free(m);
}

/* ---- array ------------------------------------------------------------------------ */

static long sum_cb(struct bpfbox_map *m, const void *key, void *value, void *ud)
{
	uint32_t k;
	memcpy(&k, key, 4);
	*(uint64_t *)ud += *(uint64_t *)value + k * 1000;
	return k == 2; /* stop at index 2 */
}

static void test_array(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	if (!m)
		return;
	uint32_t k = 1, n;
	uint64_t v = 0x1122334455667788ull, out = 0;
	CHECK(bpfbox_map__lookup(m, &k, &out) == 0 && out == 0, "array values start zeroed");
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_ANY) == 0, "update ANY");
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_EXIST) == 0, "update EXIST");
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_NOEXIST) == -EEXIST, "update NOEXIST: -EEXIST");
	CHECK(bpfbox_map__update(m, &k, &v, 3) == -EINVAL, "update flags 3: -EINVAL");
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_F_LOCK) == -EINVAL, "update F_LOCK: -EINVAL");
	CHECK(bpfbox_map__lookup(m, &k, &out) == 0 && out == v, "lookup gets the value back");
	k = 4;
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_NOEXIST) == -E2BIG,
	      "index out of range is -E2BIG before flags are looked at");
	CHECK(bpfbox_map__lookup(m, &k, &out) == -ENOENT, "lookup out of range: -ENOENT");
	CHECK(bpfbox_map__delete(m, &k) == -EINVAL, "delete: -EINVAL");
	CHECK(bpfbox_map__lookup_and_delete(m, &k, &out) == -BPFBOX_ENOTSUPP,
	      "lookup_and_delete: ENOTSUPP (524)");
	CHECK(bpfbox_map__get_next_key(m, NULL, &n) == 0 && n == 0, "get_next_key(NULL) = 0");
	k = 2;
	CHECK(bpfbox_map__get_next_key(m, &k, &n) == 0 && n == 3, "get_next_key(2) = 3");
	k = 3;
	CHECK(bpfbox_map__get_next_key(m, &k, &n) == -ENOENT, "get_next_key(last): -ENOENT");
	k = 77;
	CHECK(bpfbox_map__get_next_key(m, &k, &n) == 0 && n == 0, "get_next_key(77) = 0");

	/* program face: the pointer is the storage */
	k = 3;
	uint64_t *p = bpfbox_map__elem(m, &k, 0);
	CHECK(p != NULL, "elem(3)");
	if (p) {
		*p = 42;
		CHECK(bpfbox_map__lookup(m, &k, &out) == 0 && out == 42, "a write through elem() is seen");
		CHECK(bpfbox_map__contains(m, (uintptr_t)p, 8, true), "contains: the whole value");
		CHECK(bpfbox_map__contains(m, (uintptr_t)p + 4, 4, false), "contains: its tail");
		CHECK(!bpfbox_map__contains(m, (uintptr_t)p + 4, 8, false), "contains: past the end");
		CHECK(!bpfbox_map__contains(m, (uintptr_t)p - 1, 2, false), "contains: across two values");
		CHECK(!bpfbox_map__contains(m, (uintptr_t)p + 8, 1, false), "contains: past the array");
	}
	k = 4;
	CHECK(bpfbox_map__elem(m, &k, 0) == NULL, "elem out of range: NULL");
	CHECK(bpfbox_map__delete_elem(m, &k) == -EINVAL, "delete_elem: -EINVAL");
	uint64_t sum = 0;
	long it = bpfbox_map__for_each_elem(m, sum_cb, &sum, 0, 0);
	CHECK(it == 3 && sum == v + 1000 + 2000, "for_each_elem stops when the callback says 1 (%ld)", it);
	CHECK(bpfbox_map__for_each_elem(m, sum_cb, &sum, 1, 0) == -EINVAL, "for_each_elem flags: -EINVAL");

	/* value_size not a multiple of 8: contains() stops at value_size */
	struct bpfbox_map *m3 = mk(BPFBOX_MAP_TYPE_ARRAY, 4, 3, 2, 0);
	if (m3) {
		k = 1;
		uint8_t *q = bpfbox_map__elem(m3, &k, 0);
		CHECK(q && bpfbox_map__contains(m3, (uintptr_t)q, 3, true) &&
		      !bpfbox_map__contains(m3, (uintptr_t)q, 4, true) &&
		      !bpfbox_map__contains(m3, (uintptr_t)q - 5, 1, true),
		      "contains: a 3-byte value in its 8-byte slot");
		bpfbox_map__free(m3);
	}

	/* batch: the kernel's generic batch semantics */
	uint32_t keys[8], cnt = 4;
	uint64_t vals[8];
	struct bpfbox_map_batch cur;
	CHECK(bpfbox_map__lookup_batch(m, NULL, &cur, keys, vals, &cnt, NULL) == 0 && cnt == 4 &&
	      keys[0] == 0 && keys[3] == 3 && vals[1] == v,
	      "lookup_batch of exactly max_entries: 0, 4 entries");
	cnt = 4;
	CHECK(bpfbox_map__lookup_batch(m, &cur, &cur, keys, vals, &cnt, NULL) == -ENOENT && cnt == 0,
	      "the next batch: -ENOENT, 0 entries");
	cnt = 3;
	CHECK(bpfbox_map__lookup_batch(m, NULL, &cur, keys, vals, &cnt, NULL) == 0 && cnt == 3,
	      "batch of 3");
	cnt = 3;
	CHECK(bpfbox_map__lookup_batch(m, &cur, &cur, keys, vals, &cnt, NULL) == -ENOENT && cnt == 1 &&
	      keys[0] == 3, "then -ENOENT with the last entry");
	cnt = 0;
	CHECK(bpfbox_map__lookup_batch(m, NULL, &cur, keys, vals, &cnt, NULL) == 0, "count 0: 0");
	BPFBOX_OPTS(bpfbox_map_batch_opts, bo, .elem_flags = BPFBOX_NOEXIST);
	cnt = 2;
	CHECK(bpfbox_map__update_batch(m, keys, vals, &cnt, &bo) == -EINVAL,
	      "update_batch elem_flags NOEXIST: -EINVAL (kernel)");
	uint32_t uk[3] = { 0, 1, 9 };
	uint64_t uv[3] = { 7, 8, 9 };
	cnt = 3;
	CHECK(bpfbox_map__update_batch(m, uk, uv, &cnt, NULL) == -E2BIG && cnt == 2,
	      "update_batch stops at the bad index: -E2BIG, count 2");
	cnt = 1;
	CHECK(bpfbox_map__delete_batch(m, uk, &cnt, NULL) == -BPFBOX_ENOTSUPP, "delete_batch: ENOTSUPP");
	cnt = 1;
	CHECK(bpfbox_map__lookup_and_delete_batch(m, NULL, &cur, keys, vals, &cnt, NULL) ==
		      -BPFBOX_ENOTSUPP, "lookup_and_delete_batch: ENOTSUPP");
	bpfbox_map__free(m);
}

static int count_cb(const void *key, const void *value, void *ud)
{
	(*(int *)ud)++;
	return 0;
}

static void test_percpu_array(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0);
	if (!m)
		return;
	/* user space: nr_cpus values, each rounded up to 8 bytes */
	uint64_t buf[NCPU], out[NCPU];
	for (int i = 0; i < NCPU; i++)
		buf[i] = 0xa0 + i;
	uint32_t k = 1;
	CHECK(bpfbox_map__update(m, &k, buf, BPFBOX_ANY) == 0, "percpu update of all copies");
	for (uint32_t c = 0; c < NCPU; c++) {
		uint32_t *p = bpfbox_map__elem(m, &k, c);
		CHECK(p && *p == 0xa0 + c, "elem(cpu %u) sees its copy", c);
	}
	CHECK(bpfbox_map__elem(m, &k, NCPU) == NULL, "elem(cpu = nr_cpus): NULL");
	uint32_t one = 0x55;
	CHECK(bpfbox_map__update_elem(m, &k, &one, 0, 2) == 0, "program update of cpu 2's copy");
	CHECK(bpfbox_map__update_elem(m, &k, &one, 0, NCPU) == -EINVAL, "program update of cpu 4: -EINVAL");
	CHECK(bpfbox_map__lookup(m, &k, out) == 0 && out[0] == 0xa0 && out[1] == 0xa1 &&
	      out[2] == 0x55 && out[3] == 0xa3, "user lookup: only cpu 2 changed");
	uint32_t *p1 = bpfbox_map__elem(m, &k, 1);
	CHECK(p1 && bpfbox_map__contains(m, (uintptr_t)p1, 4, true) &&
	      !bpfbox_map__contains(m, (uintptr_t)p1, 5, true), "contains: one CPU's value");
	int n = 0;
	CHECK(bpfbox_map__for_each(m, count_cb, &n) == 0 && n == 2, "iterate: 2 indexes");
	bpfbox_map__free(m);
	int err;
	m = mkx(BPFBOX_MAP_TYPE_PERCPU_ARRAY, 4, (32 << 10) + 1, 1, 0, 0, NULL, &err);
	CHECK(!m && err == -E2BIG, "percpu value above 32 KiB: -E2BIG");
}

/* ---- hash ---------------------------------------------------------------------------- */

static int collect_cb(const void *key, const void *value, void *ud)
{
	uint32_t k;
	uint64_t v;
	memcpy(&k, key, 4);
	memcpy(&v, value, 8);
	uint8_t *seen = ud;
	if (k < 256 && v == (uint64_t)k * 3)
		seen[k]++;
	else
		seen[255] = 100; /* a bad element */
	return 0;
}

static long delete_odd_cb(struct bpfbox_map *m, const void *key, void *value, void *ud)
{
	uint32_t k;
	memcpy(&k, key, 4);
	if (k & 1)
		bpfbox_map__delete_elem(m, key);
	return 0;
}

static void test_hash_flavour(uint32_t flags, const char *what)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_HASH, 4, 8, 64, flags | BPFBOX_F_ZERO_SEED);
	if (!m)
		return;
	uint32_t k;
	uint64_t v, out;
	int bad = 0;
	for (k = 0; k < 64; k++) {
		v = (uint64_t)k * 3;
		if (bpfbox_map__update(m, &k, &v, BPFBOX_NOEXIST))
			bad++;
	}
	CHECK(bad == 0, "%s: 64 inserts into a 64-entry map", what);
	k = 64;
	v = 1;
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_ANY) == -E2BIG, "%s: the 65th: -E2BIG", what);
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_EXIST) == -ENOENT, "%s: EXIST on a missing key: -ENOENT", what);
	k = 5;
	v = 15;
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_ANY) == 0, "%s: replacing when full is fine", what);
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_NOEXIST) == -EEXIST, "%s: NOEXIST on a present key", what);
	CHECK(bpfbox_map__update(m, &k, &v, 3) == -EINVAL, "%s: flags 3", what);
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_F_LOCK) == -EINVAL, "%s: F_LOCK", what);

	/* get_next_key visits every key exactly once */
	uint8_t seen[256] = { 0 };
	uint32_t cur, nxt;
	int steps = 0, err;
	const void *prev = NULL;
	while ((err = bpfbox_map__get_next_key(m, prev, &nxt)) == 0 && steps < 1000) {
		if (nxt < 256)
			seen[nxt]++;
		cur = nxt;
		prev = &cur;
		steps++;
	}
	int once = 0;
	for (int i = 0; i < 64; i++)
		once += seen[i] == 1;
	CHECK(err == -ENOENT && steps == 64 && once == 64, "%s: get_next_key walks 64 keys once", what);
	k = 1000;
	CHECK(bpfbox_map__get_next_key(m, &k, &nxt) == 0 && bpfbox_map__get_next_key(m, NULL, &cur) == 0 &&
	      nxt == cur, "%s: get_next_key(absent) is the first key", what);

	memset(seen, 0, sizeof(seen));
	CHECK(bpfbox_map__for_each(m, collect_cb, seen) == 0 && seen[255] == 0 && seen[0] == 1 &&
	      seen[63] == 1, "%s: iterate sees each element with its value", what);

	/* the program face */
	k = 7;
	uint64_t *p = bpfbox_map__elem(m, &k, 0);
	CHECK(p && *p == 21, "%s: elem() points at the value", what);
	if (p) {
		*p = 99;
		CHECK(bpfbox_map__lookup(m, &k, &out) == 0 && out == 99, "%s: written in place", what);
		CHECK(bpfbox_map__contains(m, (uintptr_t)p, 8, true), "%s: contains the live value", what);
		CHECK(!bpfbox_map__contains(m, (uintptr_t)p - 4, 8, false), "%s: not the key", what);
		CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_EXIST) == 0 && *p == v,
		      "%s: an update keeps the element where it is", what);
	}
	CHECK(bpfbox_map__lookup_and_delete(m, &k, &out) == 0 && out == v, "%s: lookup_and_delete", what);
	CHECK(p && !bpfbox_map__contains(m, (uintptr_t)p, 8, false), "%s: a deleted value is not contained", what);
	CHECK(bpfbox_map__lookup(m, &k, &out) == -ENOENT && bpfbox_map__delete(m, &k) == -ENOENT,
	      "%s: gone", what);
	CHECK(bpfbox_map__elem(m, &k, 0) == NULL, "%s: elem() of a missing key", what);
	v = 1;
	CHECK(bpfbox_map__update_elem(m, &k, &v, BPFBOX_NOEXIST, 0) == 0 &&
	      bpfbox_map__delete_elem(m, &k) == 0, "%s: program update/delete", what);
	/* A program on another CPU updates the one value of a plain hash (a
	 * per-CPU offset here once wrote past the element). */
	v = 77;
	CHECK(bpfbox_map__update_elem(m, &k, &v, BPFBOX_NOEXIST, 3) == 0 &&
	      bpfbox_map__lookup(m, &k, &out) == 0 && out == 77 &&
	      bpfbox_map__delete_elem(m, &k) == 0, "%s: program update from cpu 3", what);

	/* for_each_elem may delete as it goes */
	long it = bpfbox_map__for_each_elem(m, delete_odd_cb, NULL, 0, 0);
	int left = 0;
	CHECK(bpfbox_map__for_each(m, count_cb, &left) == 0, "%s: iterate", what);
	CHECK(it == 63 && left == 32, "%s: for_each_elem visited 63, deleting the odd keys (%ld, %d left)",
	      what, it, left);

	/* batches: whole buckets; -ENOENT at the end; lookup_and_delete empties */
	uint32_t keys[64], cnt, total = 0;
	uint64_t vals[64];
	struct bpfbox_map_batch in, out_b;
	const struct bpfbox_map_batch *inp = NULL;
	int rounds = 0;
	do {
		cnt = 5;
		err = bpfbox_map__lookup_batch(m, inp, &out_b, keys, vals, &cnt, NULL);
		if (err == -ENOSPC) {
			/* a bucket with more than 5 entries: ask for more room */
			cnt = 64;
			err = bpfbox_map__lookup_batch(m, inp, &out_b, keys, vals, &cnt, NULL);
		}
		total += cnt;
		in = out_b;
		inp = &in;
		rounds++;
	} while (err == 0 && rounds < 100);
	CHECK(err == -ENOENT && total == 32, "%s: lookup_batch in 5s covers all 32 (%u, err %d)", what, total, err);
	BPFBOX_OPTS(bpfbox_map_batch_opts, bf, .flags = 1);
	cnt = 5;
	CHECK(bpfbox_map__lookup_batch(m, NULL, &out_b, keys, vals, &cnt, &bf) == -EINVAL,
	      "%s: hash lookup_batch flags: -EINVAL", what);
	in.opaque[0] = 1u << 20;
	cnt = 5;
	CHECK(bpfbox_map__lookup_batch(m, &in, &out_b, keys, vals, &cnt, NULL) == -ENOENT && cnt == 0,
	      "%s: a cursor past the last bucket: -ENOENT", what);
	cnt = 64;
	CHECK(bpfbox_map__lookup_and_delete_batch(m, NULL, &out_b, keys, vals, &cnt, NULL) == -ENOENT &&
	      cnt == 32, "%s: lookup_and_delete_batch takes all 32", what);
	int rest = 0;
	bpfbox_map__for_each(m, count_cb, &rest);
	CHECK(rest == 0, "%s: and the map is empty", what);
	uint32_t bk[3] = { 1, 2, 3 };
	uint64_t bv[3] = { 3, 6, 9 };
	cnt = 3;
	CHECK(bpfbox_map__update_batch(m, bk, bv, &cnt, NULL) == 0 && cnt == 3, "%s: update_batch", what);
	bk[1] = 50;
	cnt = 3;
	CHECK(bpfbox_map__delete_batch(m, bk, &cnt, NULL) == -ENOENT && cnt == 1,
	      "%s: delete_batch stops at the missing key (count 1)", what);
	bpfbox_map__free(m);
}

static void test_hash(void)
{
	test_hash_flavour(0, "hash");
	test_hash_flavour(BPFBOX_F_NO_PREALLOC, "hash no-prealloc");

	/* a bucket bigger than the batch: -ENOSPC with count 0 */
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_HASH, 4, 4, 1, 0);
	if (m) {
		uint32_t k = 1, v = 2, keys[2], vals[2], cnt = 1;
		struct bpfbox_map_batch b;
		bpfbox_map__update(m, &k, &v, 0);
		CHECK(bpfbox_map__lookup_batch(m, NULL, &b, keys, vals, &cnt, NULL) == -ENOENT && cnt == 1,
		      "one bucket, one entry: -ENOENT and 1");
		bpfbox_map__free(m);
	}
	m = mk(BPFBOX_MAP_TYPE_HASH, 4, 4, 2, BPFBOX_F_ZERO_SEED);
	if (m) {
		/* two keys in the same bucket (n_buckets = 2): find them by trying */
		uint32_t a = 0, b = 1, v = 0, keys[4], vals[4], cnt;
		struct bpfbox_map_batch cur;
		bpfbox_map__update(m, &a, &v, 0);
		for (; b < 1000; b++) {
			if (bpfbox_map__update(m, &b, &v, 0))
				break;
			cnt = 1;
			int err = bpfbox_map__lookup_batch(m, NULL, &cur, keys, vals, &cnt, NULL);
			if (err == -ENOSPC)
				break;
			bpfbox_map__delete(m, &b);
		}
		cnt = 1;
		CHECK(bpfbox_map__lookup_batch(m, NULL, &cur, keys, vals, &cnt, NULL) == -ENOSPC && cnt == 0,
		      "a 2-entry bucket into a 1-entry batch: -ENOSPC, count 0");
		bpfbox_map__free(m);
	}

	/* key/value size limits (the kernel's kmalloc limit) */
	int err;
	m = mkx(BPFBOX_MAP_TYPE_HASH, 4, (1u << 22) - 52, 1, 0, 0, NULL, &err);
	CHECK(!m && err == -E2BIG, "hash key+value at KMALLOC_MAX_SIZE - 48: -E2BIG");
	m = mkx(BPFBOX_MAP_TYPE_HASH, 4, (1u << 22) - 53, 1, BPFBOX_F_NO_PREALLOC, 0, NULL, &err);
	CHECK(m && !err, "one byte less is fine");
	bpfbox_map__free(m);
	m = mkx(BPFBOX_MAP_TYPE_HASH, 4, 4, (1u << 27) + 1, BPFBOX_F_NO_PREALLOC, 0, NULL, &err);
	CHECK(!m && err == -E2BIG, "hash max_entries 2^27 + 1: -E2BIG (2^28 buckets)");

	/* percpu hash: program update of a new key zeroes the other copies */
	m = mk(BPFBOX_MAP_TYPE_PERCPU_HASH, 4, 4, 8, 0);
	if (m) {
		uint32_t k = 9, v = 0x77;
		uint64_t out[NCPU], all[NCPU] = { 1, 2, 3, 4 };
		CHECK(bpfbox_map__update_elem(m, &k, &v, 0, 1) == 0, "percpu hash: program insert on cpu 1");
		CHECK(bpfbox_map__lookup(m, &k, out) == 0 && out[0] == 0 && out[1] == 0x77 && out[2] == 0 &&
		      out[3] == 0, "other copies zero");
		CHECK(bpfbox_map__update(m, &k, all, BPFBOX_EXIST) == 0, "user update of every copy");
		uint32_t *p = bpfbox_map__elem(m, &k, 3);
		CHECK(p && *p == 4, "elem(cpu 3)");
		CHECK(p && bpfbox_map__contains(m, (uintptr_t)p, 4, false) &&
		      !bpfbox_map__contains(m, (uintptr_t)p + 2, 4, false), "contains: one copy");
		CHECK(bpfbox_map__elem(m, &k, NCPU) == NULL, "elem(cpu = nr_cpus): NULL");
		CHECK(bpfbox_map__lookup_and_delete(m, &k, out) == 0 && out[3] == 4,
		      "lookup_and_delete copies every CPU");
		bpfbox_map__free(m);
	}
}

static void test_lru(void)
{
	/* inserting 0..9 into 4 entries keeps 6..9 (the kernel does the same) */
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_LRU_HASH, 4, 8, 4, 0);
	if (!m)
		return;
	uint64_t v = 0, out;
	for (uint32_t i = 0; i < 10; i++)
		bpfbox_map__update(m, &i, &v, 0);
	int present = 0;
	for (uint32_t i = 0; i < 10; i++)
		present += (bpfbox_map__lookup(m, &i, &out) == 0) << i;
	CHECK(present == 0x3c0, "LRU: 0..9 into 4 leaves 6..9 (mask 0x%x)", present);
	/* a user-space lookup is not a use; a program lookup is */
	uint32_t k = 6;
	bpfbox_map__lookup(m, &k, &out);
	k = 7;
	CHECK(bpfbox_map__elem(m, &k, 0) != NULL, "elem(7) refreshes 7");
	k = 10;
	bpfbox_map__update(m, &k, &v, 0); /* evicts 6: least recently used */
	k = 11;
	bpfbox_map__update(m, &k, &v, 0); /* evicts 8 */
	present = 0;
	for (uint32_t i = 0; i < 12; i++)
		present += (bpfbox_map__lookup(m, &i, &out) == 0) << i;
	CHECK(present == ((1 << 7) | (1 << 9) | (1 << 10) | (1 << 11)),
	      "LRU: evicts 6 then 8, keeps the refreshed 7 (mask 0x%x)", present);
	k = 7;
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_NOEXIST) == -EEXIST, "LRU NOEXIST present: -EEXIST");
	k = 100;
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_EXIST) == -ENOENT, "LRU EXIST missing: -ENOENT");
	bpfbox_map__free(m);
	int err;
	m = mkx(BPFBOX_MAP_TYPE_LRU_HASH, 4, 4, 4, BPFBOX_F_NO_PREALLOC, 0, NULL, &err);
	CHECK(!m && err == -BPFBOX_ENOTSUPP, "LRU + NO_PREALLOC: ENOTSUPP");

	m = mk(BPFBOX_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 2, 0);
	if (m) {
		uint32_t a = 1, b = 2, c = 3, one = 1;
		bpfbox_map__update_elem(m, &a, &one, 0, 0);
		bpfbox_map__update_elem(m, &b, &one, 0, 1);
		bpfbox_map__elem(m, &a, 0);
		bpfbox_map__update_elem(m, &c, &one, 0, 2);
		uint64_t out4[NCPU];
		CHECK(bpfbox_map__lookup(m, &a, out4) == 0 && bpfbox_map__lookup(m, &b, out4) == -ENOENT &&
		      bpfbox_map__lookup(m, &c, out4) == 0 && out4[2] == 1 && out4[0] == 0,
		      "LRU per-CPU evicts the least recently used");
		bpfbox_map__free(m);
	}
}

/* ---- LPM trie -------------------------------------------------------------------------- */

struct lpm4 {
	uint32_t prefixlen;
	uint8_t d[4];
};

static struct lpm4 pfx(unsigned a, unsigned b, unsigned c, unsigned d, uint32_t len)
{
	struct lpm4 k = { len, { (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d } };
	return k;
}

/* Reference model: entries as (prefix, len, value); longest match by scan. */
struct ref_entry {
	uint32_t addr, len, value;
	bool used;
};

static bool ref_covers(uint32_t net, uint32_t len, uint32_t addr)
{
	return len == 0 || ((net ^ addr) >> (32 - len)) == 0;
}

static void test_lpm(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_LPM_TRIE, 8, 4, 16, BPFBOX_F_NO_PREALLOC);
	if (!m)
		return;
	struct lpm4 k;
	uint32_t v, out;
	k = pfx(192, 168, 0, 0, 16), v = 16;
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_NOEXIST) == 0, "lpm insert /16");
	k = pfx(192, 168, 1, 0, 24), v = 24;
	bpfbox_map__update(m, &k, &v, 0);
	k = pfx(192, 168, 128, 0, 24), v = 128;
	bpfbox_map__update(m, &k, &v, 0);
	k = pfx(192, 168, 0, 0, 24), v = 0;
	bpfbox_map__update(m, &k, &v, 0);
	k = pfx(10, 0, 0, 0, 8), v = 8;
	bpfbox_map__update(m, &k, &v, 0);

	k = pfx(192, 168, 1, 77, 32);
	CHECK(bpfbox_map__lookup(m, &k, &out) == 0 && out == 24, "192.168.1.77 -> /24");
	k = pfx(192, 168, 200, 1, 32);
	CHECK(bpfbox_map__lookup(m, &k, &out) == 0 && out == 16, "192.168.200.1 -> /16");
	k = pfx(11, 0, 0, 1, 32);
	CHECK(bpfbox_map__lookup(m, &k, &out) == -ENOENT, "11.0.0.1: no match");
	k = pfx(192, 168, 1, 77, 40);
	CHECK(bpfbox_map__lookup(m, &k, &out) == -ENOENT, "prefixlen 40 > 32: no match");
	k = pfx(192, 168, 1, 77, 20);
	CHECK(bpfbox_map__lookup(m, &k, &out) == 0 && out == 16, "a /20 lookup key matches the /16");
	uint32_t *pv;
	k = pfx(10, 1, 2, 3, 32);
	pv = bpfbox_map__elem(m, &k, 0);
	CHECK(pv && *pv == 8 && bpfbox_map__contains(m, (uintptr_t)pv, 4, true) &&
	      !bpfbox_map__contains(m, (uintptr_t)pv, 5, true), "elem() and contains()");

	/* post-order: the kernel's documented example order */
	struct lpm4 want[] = { pfx(192, 168, 0, 0, 24), pfx(192, 168, 1, 0, 24),
			       pfx(192, 168, 128, 0, 24), pfx(192, 168, 0, 0, 16),
			       pfx(10, 0, 0, 0, 8) };
	/* 10/8 starts with bit 0, 192.168/16 with bit 1: 10/8 comes first */
	struct lpm4 order[5] = { want[4], want[0], want[1], want[2], want[3] };
	struct lpm4 cur, nxt;
	const void *prev = NULL;
	int i = 0, ok = 1, err;
	while ((err = bpfbox_map__get_next_key(m, prev, &nxt)) == 0 && i < 10) {
		if (i >= 5 || memcmp(&nxt, &order[i], sizeof(nxt)))
			ok = 0;
		cur = nxt;
		prev = &cur;
		i++;
	}
	CHECK(ok && i == 5 && err == -ENOENT, "get_next_key: post-order (%d keys)", i);
	k = pfx(1, 2, 3, 4, 32);
	CHECK(bpfbox_map__get_next_key(m, &k, &nxt) == 0 && !memcmp(&nxt, &order[0], sizeof(nxt)),
	      "get_next_key(absent) = the first");
	k = pfx(1, 2, 3, 4, 33);
	CHECK(bpfbox_map__get_next_key(m, &k, &nxt) == 0 && !memcmp(&nxt, &order[0], sizeof(nxt)),
	      "get_next_key(prefixlen > max) = the first");

	/* flags and errors */
	k = pfx(192, 168, 1, 0, 24), v = 1;
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_NOEXIST) == -EEXIST, "lpm NOEXIST present: -EEXIST");
	k = pfx(172, 16, 0, 0, 12);
	CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_EXIST) == -ENOENT, "lpm EXIST missing: -ENOENT");
	k.prefixlen = 33;
	CHECK(bpfbox_map__update(m, &k, &v, 0) == -EINVAL && bpfbox_map__delete(m, &k) == -EINVAL,
	      "lpm prefixlen 33: -EINVAL");
	CHECK(bpfbox_map__update(m, &k, &v, 4) == -EINVAL, "lpm flags F_LOCK: -EINVAL");
	k = pfx(192, 168, 0, 0, 17);
	CHECK(bpfbox_map__delete(m, &k) == -ENOENT, "delete of an absent prefix");
	k = pfx(192, 168, 0, 0, 16);
	CHECK(bpfbox_map__delete(m, &k) == 0, "delete /16");
	k = pfx(192, 168, 200, 1, 32);
	CHECK(bpfbox_map__lookup(m, &k, &out) == -ENOENT, "192.168.200.1 no longer matches");
	k = pfx(192, 168, 1, 1, 32);
	CHECK(bpfbox_map__lookup(m, &k, &out) == 0 && out == 24, "the /24 still does");
	CHECK(bpfbox_map__lookup_and_delete(m, &k, &out) == -BPFBOX_ENOTSUPP, "lpm lookup_and_delete: ENOTSUPP");
	bpfbox_map__free(m);

	/* full: new entries -ENOSPC, replacing is fine */
	m = mk(BPFBOX_MAP_TYPE_LPM_TRIE, 8, 4, 2, BPFBOX_F_NO_PREALLOC);
	if (m) {
		k = pfx(1, 0, 0, 0, 8);
		bpfbox_map__update(m, &k, &v, 0);
		k = pfx(2, 0, 0, 0, 8);
		bpfbox_map__update(m, &k, &v, 0);
		k = pfx(3, 0, 0, 0, 8);
		CHECK(bpfbox_map__update(m, &k, &v, 0) == -ENOSPC, "lpm full: -ENOSPC");
		CHECK(bpfbox_map__update(m, &k, &v, BPFBOX_EXIST) == -ENOENT, "lpm full, EXIST missing: -ENOENT");
		k = pfx(2, 0, 0, 0, 8);
		CHECK(bpfbox_map__update(m, &k, &v, 0) == 0, "lpm full: replace ok");
		bpfbox_map__free(m);
	}

	/* random against the reference model */
	m = mk(BPFBOX_MAP_TYPE_LPM_TRIE, 8, 4, 64, BPFBOX_F_NO_PREALLOC);
	if (!m)
		return;
	struct ref_entry ref[64] = { 0 };
	int mism = 0, nref = 0;
	for (int step = 0; step < 20000; step++) {
		uint64_t r = rnd();
		/* few distinct prefixes so that inserts, replaces and deletes meet */
		uint32_t len = (uint32_t)(r % 33);
		uint32_t addr = (uint32_t)(rnd() & 0xf0f00000u);
		uint32_t net = len ? addr & (uint32_t)(~0ull << (32 - len)) : 0;
		struct lpm4 kk = { len, { (uint8_t)(net >> 24), (uint8_t)(net >> 16), (uint8_t)(net >> 8),
					  (uint8_t)net } };
		int slot = -1, freeslot = -1;
		for (int j = 0; j < 64; j++) {
			if (ref[j].used && ref[j].addr == net && ref[j].len == len)
				slot = j;
			if (!ref[j].used && freeslot < 0)
				freeslot = j;
		}
		int op = (int)((r >> 40) % 3);
		if (op == 0) {
			uint32_t val = (uint32_t)(r >> 8);
			int e = bpfbox_map__update(m, &kk, &val, BPFBOX_ANY);
			int want_e = slot >= 0 ? 0 : nref == 64 ? -ENOSPC : 0;
			if (e != want_e)
				mism++;
			if (!e) {
				if (slot < 0) {
					slot = freeslot;
					nref++;
				}
				ref[slot] = (struct ref_entry){ net, len, val, true };
			}
		} else if (op == 1) {
			int e = bpfbox_map__delete(m, &kk);
			if (e != (slot >= 0 ? 0 : -ENOENT))
				mism++;
			if (slot >= 0) {
				ref[slot].used = false;
				nref--;
			}
		} else {
			uint32_t a = (uint32_t)rnd() & 0xf0f0ffffu;
			struct lpm4 q = { 32, { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
						(uint8_t)a } };
			int best = -1;
			for (int j = 0; j < 64; j++)
				if (ref[j].used && ref_covers(ref[j].addr, ref[j].len, a) &&
				    (best < 0 || ref[j].len > ref[best].len))
					best = j;
			int e = bpfbox_map__lookup(m, &q, &out);
			bool good = best < 0 ? e == -ENOENT : (e == 0 && out == ref[best].value);
			CHECK_QUIET(good, "lpm lookup of 0x%08x at step %d", a, step);
			mism += !good;
		}
	}
	CHECK(mism == 0, "lpm: 20000 random inserts/deletes/lookups agree with a linear scan (%d off)", mism);
	int nit = 0;
	bpfbox_map__for_each(m, count_cb, &nit);
	CHECK(nit == nref, "lpm iterate: %d entries (model %d)", nit, nref);
	/* batch through the whole trie */
	struct lpm4 keys[64];
	uint32_t vals[64], cnt = 64;
	struct bpfbox_map_batch b;
	err = bpfbox_map__lookup_batch(m, NULL, &b, keys, vals, &cnt, NULL);
	CHECK((err == -ENOENT || (err == 0 && cnt == 64)) && (int)cnt == nref, "lpm lookup_batch: %u", cnt);
	uint32_t dc = cnt;
	CHECK(bpfbox_map__delete_batch(m, keys, &dc, NULL) == 0 && dc == cnt, "lpm delete_batch all");
	CHECK(bpfbox_map__get_next_key(m, NULL, &nxt) == -ENOENT, "lpm empty: get_next_key -ENOENT");
	bpfbox_map__free(m);
}

/* ---- queue / stack / bloom -------------------------------------------------------------- */

static void test_queue_stack(void)
{
	for (int s = 0; s < 2; s++) {
		uint32_t type = s ? BPFBOX_MAP_TYPE_STACK : BPFBOX_MAP_TYPE_QUEUE;
		const char *nm = s ? "stack" : "queue";
		struct bpfbox_map *m = mk(type, 0, 4, 3, 0);
		if (!m)
			continue;
		uint32_t v, out;
		CHECK(bpfbox_map__lookup(m, NULL, &out) == -ENOENT, "%s: peek empty: -ENOENT", nm);
		for (v = 1; v <= 3; v++)
			bpfbox_map__update(m, NULL, &v, 0);
		v = 4;
		CHECK(bpfbox_map__update(m, NULL, &v, 0) == -E2BIG, "%s: full: -E2BIG", nm);
		CHECK(bpfbox_map__update(m, NULL, &v, BPFBOX_NOEXIST) == -EINVAL, "%s: NOEXIST: -EINVAL", nm);
		CHECK(bpfbox_map__update(m, NULL, &v, BPFBOX_EXIST) == 0, "%s: EXIST drops the oldest", nm);
		CHECK(bpfbox_map__lookup(m, NULL, &out) == 0 && out == (s ? 4u : 2u), "%s: peek", nm);
		uint32_t got[4] = { 0 };
		for (int i = 0; i < 3; i++)
			bpfbox_map__lookup_and_delete(m, NULL, &got[i]);
		CHECK(s ? (got[0] == 4 && got[1] == 3 && got[2] == 2) : (got[0] == 2 && got[1] == 3 && got[2] == 4),
		      "%s: pop order %u %u %u", nm, got[0], got[1], got[2]);
		CHECK(bpfbox_map__lookup_and_delete(m, NULL, &out) == -ENOENT, "%s: pop empty", nm);
		CHECK(bpfbox_map__delete(m, NULL) == -EINVAL && bpfbox_map__get_next_key(m, NULL, &out) == -EINVAL,
		      "%s: delete/get_next_key: -EINVAL", nm);
		v = 9;
		CHECK(bpfbox_map__push_elem(m, &v, 0) == 0 && bpfbox_map__peek_elem(m, &out) == 0 && out == 9 &&
		      bpfbox_map__pop_elem(m, &out) == 0 && bpfbox_map__pop_elem(m, &out) == -ENOENT,
		      "%s: program push/peek/pop", nm);
		CHECK(bpfbox_map__update_elem(m, NULL, &v, 0, 0) == -EINVAL && bpfbox_map__elem(m, NULL, 0) == NULL,
		      "%s: program update/lookup are not for queues", nm);
		uint32_t cnt = 1, kk[1], vv[1];
		CHECK(bpfbox_map__lookup_batch(m, NULL, NULL, kk, vv, &cnt, NULL) == -BPFBOX_ENOTSUPP,
		      "%s: batch: ENOTSUPP", nm);
		bpfbox_map__free(m);
	}
}

static void test_bloom(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_BLOOM_FILTER, 0, 8, 1000, BPFBOX_F_ZERO_SEED);
	if (!m)
		return;
	int miss = 0, fp = 0;
	for (uint64_t v = 0; v < 1000; v++)
		bpfbox_map__update(m, NULL, &v, 0);
	for (uint64_t v = 0; v < 1000; v++)
		miss += bpfbox_map__lookup(m, NULL, &v) != 0;
	for (uint64_t v = 1000; v < 11000; v++)
		fp += bpfbox_map__peek_elem(m, &v) == 0;
	CHECK(miss == 0, "bloom: no false negatives");
	/* 5 hashes, 1000 * 5 * 7 / 5 -> 8192 bits: about 2% false positives */
	CHECK(fp < 600, "bloom: false positives %d / 10000", fp);
	uint64_t v = 1;
	CHECK(bpfbox_map__update(m, NULL, &v, BPFBOX_EXIST) == -EINVAL &&
	      bpfbox_map__update(m, NULL, &v, BPFBOX_NOEXIST) == -EINVAL, "bloom: only BPF_ANY");
	CHECK(bpfbox_map__delete(m, NULL) == -EOPNOTSUPP && bpfbox_map__get_next_key(m, NULL, &v) == -EOPNOTSUPP,
	      "bloom: delete/get_next_key: -EOPNOTSUPP");
	CHECK(bpfbox_map__pop_elem(m, &v) == -EOPNOTSUPP, "bloom: pop: -EOPNOTSUPP");
	CHECK(bpfbox_map__lookup_and_delete(m, NULL, &v) == -BPFBOX_ENOTSUPP, "bloom: lookup_and_delete: ENOTSUPP");
	bpfbox_map__free(m);
	int err;
	m = mkx(BPFBOX_MAP_TYPE_BLOOM_FILTER, 0, 4, 10, 0, 16, NULL, &err);
	CHECK(!m && err == -EINVAL, "bloom: map_extra 16: -EINVAL");
	m = mkx(BPFBOX_MAP_TYPE_BLOOM_FILTER, 0, 4, 10, 0, 1, NULL, &err);
	CHECK(m && bpfbox_map__map_extra(m) == 1, "bloom: 1 hash function");
	bpfbox_map__free(m);
}

/* ---- ring buffer ------------------------------------------------------------------------ */

struct rb_seen {
	int n;
	uint32_t sizes[64];
	uint8_t first[64];
	uint64_t sum;
};

static int rb_cb(void *ud, void *data, uint32_t size)
{
	struct rb_seen *s = ud;
	if (s->n < 64) {
		s->sizes[s->n] = size;
		s->first[s->n] = size ? *(uint8_t *)data : 0;
	}
	for (uint32_t i = 0; i < size; i++)
		s->sum += ((uint8_t *)data)[i];
	s->n++;
	return 0;
}

static void test_ringbuf(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
	if (!m)
		return;
	struct rb_seen s = { 0 };
	uint8_t *a = bpfbox_ringbuf__reserve(m, 10, 0);
	uint8_t *b = bpfbox_ringbuf__reserve(m, 3, 0);
	uint8_t *c = bpfbox_ringbuf__reserve(m, 5, 0);
	CHECK(a && b && c && ((uintptr_t)a % 8) == 0 && b - a == 24 && c - b == 16,
	      "reserve: 8-byte headers, 8-byte aligned records");
	CHECK(bpfbox_ringbuf__reserve(m, 1, 1) == NULL, "reserve flags != 0: NULL");
	CHECK(bpfbox_ringbuf__query(m, BPFBOX_RB_PROD_POS) == 24 + 16 + 16 &&
	      bpfbox_ringbuf__query(m, BPFBOX_RB_AVAIL_DATA) == 56 &&
	      bpfbox_ringbuf__query(m, BPFBOX_RB_RING_SIZE) == 4096 &&
	      bpfbox_ringbuf__query(m, BPFBOX_RB_CONS_POS) == 0 && bpfbox_ringbuf__query(m, 99) == 0,
	      "query");
	CHECK(bpfbox_map__contains(m, (uintptr_t)b, 3, true) && !bpfbox_map__contains(m, (uintptr_t)b, 4, true),
	      "contains: a reserved record, not past it");
	if (a && b && c) {
		memset(a, 1, 10);
		memset(b, 2, 3);
		memset(c, 3, 5);
		CHECK(bpfbox_ringbuf__submit(m, c, 0) == 0, "submit the third");
		CHECK(bpfbox_ringbuf__consume(m, rb_cb, &s) == 0, "the first is still reserved: nothing to read");
		CHECK(bpfbox_ringbuf__discard(m, b, 0) == 0, "discard the second");
		CHECK(!bpfbox_map__contains(m, (uintptr_t)b, 3, true), "a discarded record is not contained");
		CHECK(bpfbox_ringbuf__submit(m, b, 0) == -EINVAL, "submitting it again: -EINVAL");
		CHECK(bpfbox_ringbuf__submit(m, a + 1, 0) == -EINVAL, "a pointer inside a record: -EINVAL");
		CHECK(bpfbox_ringbuf__submit(NULL, a, 0) == 0, "submit with the map found from the header");
		CHECK(bpfbox_ringbuf__consume(m, rb_cb, &s) == 2 && s.n == 2 && s.sizes[0] == 10 &&
		      s.first[0] == 1 && s.sizes[1] == 5 && s.first[1] == 3,
		      "consume: ring order, the discarded one skipped");
		CHECK(bpfbox_ringbuf__query(m, BPFBOX_RB_AVAIL_DATA) == 0 &&
		      bpfbox_ringbuf__query(m, BPFBOX_RB_CONS_POS) == 56, "consumer caught up");
	}
	CHECK(bpfbox_ringbuf__reserve(m, 4096 - 8, 0) == NULL, "a record of the whole ring: NULL");
	void *big = bpfbox_ringbuf__reserve(m, 4096 - 16, 0);
	CHECK(big != NULL, "a record of the ring minus 8 (spans the end, contiguous)");
	CHECK(bpfbox_ringbuf__reserve(m, 1, 0) == NULL, "then the ring is full");
	CHECK(bpfbox_ringbuf__output(m, "x", 1, 0) == -EAGAIN, "output when full: -EAGAIN");
	CHECK(bpfbox_ringbuf__output(m, "x", 1, 4) == -EINVAL, "output flags 4: -EINVAL");
	if (big) {
		memset(big, 7, 4096 - 16);
		bpfbox_ringbuf__submit(m, big, 0);
	}
	s.n = 0;
	s.sum = 0;
	CHECK(bpfbox_ringbuf__consume(m, rb_cb, &s) == 1 && s.sum == 7ull * (4096 - 16),
	      "the wrapped record reads back whole");

	/* many laps of odd sizes: every byte comes back */
	uint64_t sent = 0;
	int nrec = 0, lost = 0;
	s.n = 0;
	s.sum = 0;
	for (int i = 0; i < 3000; i++) {
		uint8_t tmp[300];
		uint32_t sz = (uint32_t)(rnd() % 300);
		for (uint32_t j = 0; j < sz; j++)
			tmp[j] = (uint8_t)rnd();
		int e = bpfbox_ringbuf__output(m, tmp, sz, BPFBOX_RB_NO_WAKEUP);
		if (e == -EAGAIN) {
			bpfbox_ringbuf__consume(m, rb_cb, &s);
			e = bpfbox_ringbuf__output(m, tmp, sz, BPFBOX_RB_NO_WAKEUP);
		}
		if (e) {
			lost++;
			continue;
		}
		nrec++;
		for (uint32_t j = 0; j < sz; j++)
			sent += tmp[j];
	}
	bpfbox_ringbuf__consume(m, rb_cb, &s);
	CHECK(lost == 0 && s.n == nrec && s.sum == sent, "3000 records over many laps: all data back");

	/* wakeups: poll(timeout 0) returns only when a producer woke it.  The
	 * records above woke it already: that notification is still pending. */
	CHECK(bpfbox_ringbuf__poll(m, rb_cb, &s, 0) == 0, "a pending wakeup from earlier, nothing left");
	s.n = 0;
	bpfbox_ringbuf__output(m, "a", 1, BPFBOX_RB_NO_WAKEUP);
	CHECK(bpfbox_ringbuf__poll(m, rb_cb, &s, 0) == 0 && s.n == 0, "NO_WAKEUP: poll is not woken");
	bpfbox_ringbuf__output(m, "b", 1, BPFBOX_RB_FORCE_WAKEUP);
	CHECK(bpfbox_ringbuf__poll(m, rb_cb, &s, 0) == 2 && s.n == 2, "FORCE_WAKEUP: poll consumes both");
	bpfbox_ringbuf__output(m, "c", 1, 0);
	bpfbox_ringbuf__output(m, "d", 1, 0);
	CHECK(bpfbox_ringbuf__poll(m, rb_cb, &s, 0) == 2, "default: the first record after a caught-up consumer wakes it");
	void *r1 = bpfbox_ringbuf__reserve(m, 1, 0);
	void *r2 = bpfbox_ringbuf__reserve(m, 1, 0);
	bpfbox_ringbuf__submit(m, r2, 0); /* not at the consumer position: no wakeup */
	CHECK(bpfbox_ringbuf__poll(m, rb_cb, &s, 0) == 0, "default: a later record does not wake");
	bpfbox_ringbuf__submit(m, r1, 0);
	CHECK(bpfbox_ringbuf__poll(m, rb_cb, &s, 1000) == 2, "committing the one at the consumer wakes it");
	bpfbox_map__free(m);

	int err;
	m = mkx(BPFBOX_MAP_TYPE_RINGBUF, 0, 0, 4096 * 3, 0, 0, NULL, &err);
	CHECK(!m && err == -EINVAL, "ringbuf size not a power of 2: -EINVAL");
	m = mkx(BPFBOX_MAP_TYPE_RINGBUF, 0, 0, 2048, 0, 0, NULL, &err);
	CHECK(!m && err == -EINVAL, "ringbuf below a page: -EINVAL");
	m = mk(BPFBOX_MAP_TYPE_RINGBUF, 0, 0, 8192, 0);
	if (m) {
		CHECK(bpfbox_map__lookup(m, NULL, NULL) == -BPFBOX_ENOTSUPP &&
		      bpfbox_map__update(m, NULL, NULL, 0) == -BPFBOX_ENOTSUPP &&
		      bpfbox_map__get_next_key(m, NULL, NULL) == -BPFBOX_ENOTSUPP,
		      "ringbuf: no element ops (ENOTSUPP)");
		CHECK(bpfbox_ringbuf__reserve(m, 8192, 0) == NULL, "reserve larger than the ring: NULL");
		bpfbox_map__free(m);
	}
}

/* ---- perf event array ---------------------------------------------------------------------- */

struct perf_seen {
	int samples, lost_events, lost_at;
	uint64_t lost;
	int idx[64];
	uint32_t size[64];
	uint8_t first[64];
};

static void perf_sample(void *ud, int index, void *data, uint32_t size)
{
	struct perf_seen *s = ud;
	if (s->samples < 64) {
		s->idx[s->samples] = index;
		s->size[s->samples] = size;
		s->first[s->samples] = *(uint8_t *)data;
	}
	s->samples++;
}

static void perf_lost(void *ud, int index, uint64_t n)
{
	struct perf_seen *s = ud;
	s->lost += n;
	s->lost_events++;
	s->lost_at = s->samples;
}

static void test_perf(void)
{
	BPFBOX_OPTS(bpfbox_map_opts, o, .type = BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY, .key_size = 4,
		    .value_size = 4, .max_entries = 2, .nr_cpus = NCPU, .perf_buffer_size = 4096);
	struct bpfbox_map *m = NULL;
	CHECK(bpfbox_map__new(&m, &o) == 0, "perf_event_array with 4 KiB buffers");
	if (!m)
		return;
	struct perf_seen s = { 0 };
	uint8_t d[64];
	memset(d, 5, sizeof(d));
	CHECK(bpfbox_map__perf_event_output(m, 1, 0, d, 5) == 0, "output to index 1");
	CHECK(bpfbox_map__perf_event_output(m, BPFBOX_F_CURRENT_CPU, 0, d, 12) == 0,
	      "output to the current CPU (0)");
	CHECK(bpfbox_map__perf_event_output(m, BPFBOX_F_CURRENT_CPU, 3, d, 1) == -E2BIG,
	      "current CPU 3 >= max_entries: -E2BIG");
	CHECK(bpfbox_map__perf_event_output(m, 1ull << 40, 0, d, 1) == -EINVAL, "other flag bits: -EINVAL");
	CHECK(bpfbox_perf__consume(m, perf_sample, perf_lost, &s) == 2 && s.samples == 2 &&
	      s.idx[0] == 0 && s.size[0] == 12 && s.idx[1] == 1 && s.size[1] == 12,
	      "consume: index 0 then 1; 5 bytes padded to 12, 12 stays 12");
	/* fill index 0: then samples are lost, and the loss is reported in order */
	int ok = 0, full = 0;
	for (int i = 0; i < 200; i++) {
		d[0] = (uint8_t)i;
		int e = bpfbox_map__perf_event_output(m, 0, 0, d, 60);
		if (e == 0)
			ok++;
		else if (e == -ENOSPC)
			full++;
	}
	CHECK(ok > 0 && full > 0 && ok + full == 200, "a full buffer: -ENOSPC (%d ok, %d lost)", ok, full);
	memset(&s, 0, sizeof(s));
	bpfbox_perf__consume(m, perf_sample, perf_lost, &s);
	d[0] = 250;
	CHECK(bpfbox_map__perf_event_output(m, 0, 0, d, 60) == 0, "room again");
	bpfbox_perf__consume(m, perf_sample, perf_lost, &s);
	CHECK(s.samples == ok + 1 && s.lost == (uint64_t)full && s.lost_events == 1 &&
	      s.lost_at == ok && s.first[ok] == 250,
	      "samples, then one lost record (%llu), then the new sample", (unsigned long long)s.lost);
	CHECK(bpfbox_map__perf_event_output(m, 0, 0, d, 4096) == -ENOSPC, "a sample bigger than the buffer");
	memset(&s, 0, sizeof(s));
	CHECK(bpfbox_perf__poll(m, perf_sample, perf_lost, &s, 0) == 0 && s.lost == 0,
	      "poll: the lost sample alone wakes nobody");
	bpfbox_map__perf_event_output(m, 0, 0, d, 1);
	CHECK(bpfbox_perf__poll(m, perf_sample, perf_lost, &s, 1000) == 1 && s.lost == 1,
	      "poll after a sample: the loss, then the sample");
	uint32_t k = 0, n;
	CHECK(bpfbox_map__lookup(m, &k, &n) == -BPFBOX_ENOTSUPP && bpfbox_map__get_next_key(m, NULL, &n) == 0,
	      "perf: lookup ENOTSUPP, get_next_key like an array");
	bpfbox_map__free(m);
	int err;
	m = mkx(BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY, 4, 8, 2, 0, 0, NULL, &err);
	CHECK(!m && err == -EINVAL, "perf value_size 8: -EINVAL");
}

/* ---- pointer maps ------------------------------------------------------------------------- */

static void test_ptr_maps(void)
{
	struct bpfbox_map *pa = mk(BPFBOX_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
	if (!pa)
		return;
	int prog_a, prog_b;
	uint32_t k = 1;
	void *p;
	CHECK(bpfbox_map__update_ptr(pa, &k, &prog_a) == 0 && bpfbox_map__get_ptr(pa, &k) == &prog_a,
	      "prog_array: store and get a program pointer");
	CHECK(bpfbox_map__update_ptr_flags(pa, &k, &prog_b, BPFBOX_NOEXIST) == -EINVAL,
	      "prog_array: only BPF_ANY");
	CHECK(bpfbox_map__lookup_ptr(pa, &k, &p) == 0 && p == &prog_a, "lookup_ptr");
	CHECK(bpfbox_map__update_ptr(pa, &k, NULL) == -EINVAL, "a NULL pointer: -EINVAL");
	k = 4;
	CHECK(bpfbox_map__update_ptr(pa, &k, &prog_b) == -E2BIG && bpfbox_map__delete(pa, &k) == -E2BIG &&
	      bpfbox_map__get_ptr(pa, &k) == NULL, "index 4: -E2BIG / NULL");
	k = 2;
	CHECK(bpfbox_map__delete(pa, &k) == -ENOENT && bpfbox_map__lookup_ptr(pa, &k, &p) == -ENOENT,
	      "an empty slot: -ENOENT");
	k = 1;
	uint32_t v;
	CHECK(bpfbox_map__lookup(pa, &k, &v) == -EOPNOTSUPP && bpfbox_map__update(pa, &k, &v, 0) == -EOPNOTSUPP,
	      "value copies on pointer maps: -EOPNOTSUPP");
	CHECK(bpfbox_map__delete(pa, &k) == 0 && bpfbox_map__get_ptr(pa, &k) == NULL, "delete");
	int err;
	struct bpfbox_map *x = mkx(BPFBOX_MAP_TYPE_PROG_ARRAY, 4, 8, 4, 0, 0, NULL, &err);
	CHECK(!x && err == -EINVAL, "prog_array value_size 8: -EINVAL");

	/* map-in-map, with a counting allocator to see references at work */
	struct counting cnt = { 0 };
	BPFBOX_OPTS(bpfbox_map_opts, io, .type = BPFBOX_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8,
		    .max_entries = 4, .alloc = counting_alloc, .alloc_ud = &cnt);
	struct bpfbox_map *tmpl = NULL, *in1 = NULL, *in_bad = NULL;
	bpfbox_map__new(&tmpl, &io);
	bpfbox_map__new(&in1, &io);
	io.max_entries = 5;
	bpfbox_map__new(&in_bad, &io);
	struct bpfbox_map *aom = mkx(BPFBOX_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, 0, NULL, &err);
	CHECK(!aom && err == -EBADF, "array_of_maps without a template: -EBADF (like a bad inner_map_fd)");
	aom = mkx(BPFBOX_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, 0, tmpl, &err);
	CHECK(aom && bpfbox_map__inner_map(aom) == tmpl, "array_of_maps with a template");
	x = mkx(BPFBOX_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, 0, aom, &err);
	CHECK(!x && err == -EINVAL, "a map-in-map as template: -EINVAL");
	x = mkx(BPFBOX_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, 0, pa, &err);
	CHECK(!x && err == -BPFBOX_ENOTSUPP, "a prog_array as template: ENOTSUPP");
	if (aom) {
		k = 0;
		CHECK(bpfbox_map__update_ptr(aom, &k, in_bad) == -EINVAL, "an inner array of another size: -EINVAL");
		CHECK(bpfbox_map__update_ptr(aom, &k, pa) == -EINVAL, "a prog_array as inner: -EINVAL");
		CHECK(bpfbox_map__update_ptr(aom, &k, &prog_a) == -EINVAL, "not a map at all: -EINVAL");
		CHECK(bpfbox_map__update_ptr(aom, &k, in1) == 0 && bpfbox_map__get_ptr(aom, &k) == in1,
		      "store an inner map");
		long blocks = cnt.live_blocks;
		bpfbox_map__free(in1); /* the outer map still holds it */
		CHECK(cnt.live_blocks == blocks, "the outer map keeps the inner map alive");
		uint32_t ik = 2;
		uint64_t iv = 5;
		CHECK(bpfbox_map__update(bpfbox_map__get_ptr(aom, &k), &ik, &iv, 0) == 0, "and it works");
		CHECK(bpfbox_map__delete(aom, &k) == 0 && cnt.live_blocks < blocks,
		      "deleting it from the outer map frees it");
	}
	bpfbox_map__free(in_bad);
	struct bpfbox_map *hom = mkx(BPFBOX_MAP_TYPE_HASH_OF_MAPS, 4, 4, 2, 0, 0, tmpl, &err);
	CHECK(hom != NULL, "hash_of_maps");
	if (hom) {
		struct bpfbox_map *i2 = NULL;
		io.max_entries = 4;
		bpfbox_map__new(&i2, &io);
		k = 7;
		CHECK(bpfbox_map__update_ptr_flags(hom, &k, i2, BPFBOX_EXIST) == -ENOENT, "hom EXIST missing");
		CHECK(bpfbox_map__update_ptr(hom, &k, i2) == 0, "hom store");
		CHECK(bpfbox_map__update_ptr_flags(hom, &k, i2, BPFBOX_NOEXIST) == -EEXIST, "hom NOEXIST present");
		CHECK(bpfbox_map__get_ptr(hom, &k) == i2 && bpfbox_map__elem(hom, &k, 0) == NULL, "hom get_ptr");
		bpfbox_map__free(i2);
		bpfbox_map__free(hom); /* drops i2 too */
	}
	bpfbox_map__free(aom);
	bpfbox_map__free(tmpl);
	CHECK(cnt.live_blocks == 0 && cnt.live_bytes == 0, "every inner map freed (%ld blocks left)",
	      cnt.live_blocks);
	bpfbox_map__free(pa);
}

/* ---- permissions -------------------------------------------------------------------------- */

static void test_perms(void)
{
	uint32_t k = 0;
	uint64_t v = 1;
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_ARRAY, 4, 8, 2, BPFBOX_F_RDONLY);
	if (m) {
		CHECK(bpfbox_map__update(m, &k, &v, 0) == -EPERM && bpfbox_map__lookup(m, &k, &v) == 0,
		      "RDONLY: user update -EPERM, lookup fine");
		CHECK(bpfbox_map__update_elem(m, &k, &v, 0, 0) == 0, "RDONLY: programs may write");
		bpfbox_map__free(m);
	}
	m = mk(BPFBOX_MAP_TYPE_HASH, 4, 8, 2, BPFBOX_F_WRONLY);
	if (m) {
		CHECK(bpfbox_map__update(m, &k, &v, 0) == 0 && bpfbox_map__lookup(m, &k, &v) == -EPERM &&
		      bpfbox_map__get_next_key(m, NULL, &k) == -EPERM, "WRONLY: lookup/get_next_key -EPERM");
		bpfbox_map__free(m);
	}
	m = mk(BPFBOX_MAP_TYPE_ARRAY, 4, 8, 2, BPFBOX_F_RDONLY_PROG);
	if (m) {
		void *p = bpfbox_map__elem(m, &k, 0);
		CHECK(p && bpfbox_map__contains(m, (uintptr_t)p, 8, false) &&
		      !bpfbox_map__contains(m, (uintptr_t)p, 8, true), "RDONLY_PROG: contains refuses writes");
		CHECK(bpfbox_map__update_elem(m, &k, &v, 0, 0) == -EPERM && bpfbox_map__update(m, &k, &v, 0) == 0,
		      "RDONLY_PROG: program update -EPERM, user update fine");
		bpfbox_map__free(m);
	}
	m = mk(BPFBOX_MAP_TYPE_QUEUE, 0, 8, 2, BPFBOX_F_WRONLY_PROG);
	if (m) {
		CHECK(bpfbox_map__push_elem(m, &v, 0) == 0 && bpfbox_map__peek_elem(m, &v) == -EPERM,
		      "WRONLY_PROG: program peek -EPERM");
		bpfbox_map__free(m);
	}
}

/* ---- the allocator hook -------------------------------------------------------------------- */

struct mkspec {
	uint32_t type, ks, vs, max, flags;
	uint64_t extra;
};

static const struct mkspec every_type[] = {
	{ BPFBOX_MAP_TYPE_HASH, 4, 8, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_HASH, 4, 8, 16, BPFBOX_F_NO_PREALLOC, 0 },
	{ BPFBOX_MAP_TYPE_ARRAY, 4, 8, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_PROG_ARRAY, 4, 4, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0, 0 },
	{ BPFBOX_MAP_TYPE_PERCPU_HASH, 4, 8, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_LRU_HASH, 4, 8, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPFBOX_F_NO_PREALLOC, 0 },
	{ BPFBOX_MAP_TYPE_QUEUE, 0, 8, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_STACK, 0, 8, 16, 0, 0 },
	{ BPFBOX_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0 },
	{ BPFBOX_MAP_TYPE_BLOOM_FILTER, 0, 8, 16, 0, 3 },
};

/* Exercise a map a little so that lazy allocations happen too. */
static int exercise(struct bpfbox_map *m)
{
	uint8_t key[8] = { 32, 0, 0, 0, 1, 2, 3, 4 }, val[64] = { 0 };
	int err = 0;
	switch (bpfbox_map__type(m)) {
	case BPFBOX_MAP_TYPE_RINGBUF:
		err = bpfbox_ringbuf__output(m, val, 8, 0);
		break;
	case BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY:
		err = bpfbox_map__perf_event_output(m, 0, 0, val, 8);
		break;
	case BPFBOX_MAP_TYPE_PROG_ARRAY:
		err = bpfbox_map__update_ptr(m, val, val);
		break;
	case BPFBOX_MAP_TYPE_LPM_TRIE:
		err = bpfbox_map__update(m, key, val, 0);
		if (!err) {
			key[0] = 8;
			err = bpfbox_map__update(m, key, val, 0);
		}
		if (!err) {
			uint8_t nk[8];
			err = bpfbox_map__get_next_key(m, NULL, nk);
		}
		break;
	default:
		err = bpfbox_map__update(m, val, val, 0);
		if (!err && bpfbox_map__type(m) != BPFBOX_MAP_TYPE_QUEUE &&
		    bpfbox_map__type(m) != BPFBOX_MAP_TYPE_STACK &&
		    bpfbox_map__type(m) != BPFBOX_MAP_TYPE_BLOOM_FILTER) {
			int n = 0;
			err = bpfbox_map__for_each(m, count_cb, &n);
		}
	}
	return err;
}

static void test_alloc_hook(void)
{
	int leaks = 0, bad = 0, nfail = 0;
	for (size_t t = 0; t < sizeof(every_type) / sizeof(every_type[0]); t++) {
		const struct mkspec *sp = &every_type[t];
		/* fail every allocation in turn, until creating + using succeeds */
		for (long n = 1; n < 200; n++) {
			struct counting c = { .fail_at = n };
			BPFBOX_OPTS(bpfbox_map_opts, o, .type = sp->type, .key_size = sp->ks,
				    .value_size = sp->vs, .max_entries = sp->max, .map_flags = sp->flags,
				    .map_extra = sp->extra, .nr_cpus = 2, .alloc = counting_alloc,
				    .alloc_ud = &c, .perf_buffer_size = 4096);
			struct bpfbox_map *m = NULL;
			int err = bpfbox_map__new(&m, &o);
			if (!err)
				err = exercise(m);
			if (err && err != -ENOMEM && bad++ < 5)
				printf("# type %u fail_at %ld: %d\n", sp->type, n, err);
			if (err)
				nfail++;
			bpfbox_map__free(m);
			if (c.live_blocks || c.live_bytes)
				leaks++;
			if (!err && c.calls < n)
				break; /* no allocation failed: done with this type */
		}
	}
	CHECK(bad == 0, "every failed allocation gives -ENOMEM (%d other errors)", bad);
	CHECK(leaks == 0, "no allocation leaks, after success or failure (%d leaked)", leaks);
	CHECK(nfail > 20, "allocation failures were exercised (%d)", nfail);
}

/* ---- bound lookups (bpfbox_map__lookup_fn) ---------------------------------- */

/* f(m, key) must be bpfbox_map__elem(m, key, 0) for every key 0..2*max
 * (present, absent, out of range). */
static bool lookup_fn_agrees(struct bpfbox_map *m, bpfbox_map_lookup_fn f, uint32_t max)
{
	for (uint32_t k = 0; k < 2 * max; k++)
		if (f(m, &k) != bpfbox_map__elem(m, &k, 0))
			return false;
	return true;
}

static void test_lookup_fn(void)
{
	static const struct {
		uint32_t type;
		bool has;
		const char *what;
	} cases[] = {
		{ BPFBOX_MAP_TYPE_HASH, true, "hash" },
		{ BPFBOX_MAP_TYPE_ARRAY, true, "array" },
		{ BPFBOX_MAP_TYPE_LRU_HASH, false, "lru_hash (a lookup is a use: the generic path)" },
		{ BPFBOX_MAP_TYPE_PERCPU_HASH, false, "percpu_hash (depends on the CPU)" },
		{ BPFBOX_MAP_TYPE_PERCPU_ARRAY, false, "percpu_array (depends on the CPU)" },
		{ BPFBOX_MAP_TYPE_QUEUE, false, "queue (no lookup)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool queue = cases[i].type == BPFBOX_MAP_TYPE_QUEUE;
		struct bpfbox_map *m = mk(cases[i].type, queue ? 0 : 4, 8, 16, 0);
		if (!m) {
			CHECK(0, "create %s", cases[i].what);
			continue;
		}
		for (uint32_t k = 0; k < 16 && !queue; k += 3) { /* keys 0, 3, ..., 15 */
			uint64_t v[NCPU] = { 1000 + k, 2000 + k, 3000 + k, 4000 + k }; /* per-CPU: one each */
			bpfbox_map__update(m, &k, v, 0);
		}
		bpfbox_map_lookup_fn f = bpfbox_map__lookup_fn(m);
		CHECK(!f == !cases[i].has, "%s: %s", cases[i].what, f ? "a bound lookup" : "none");
		if (f)
			CHECK(lookup_fn_agrees(m, f, 16), "%s: the bound lookup returns elem(key, 0) for "
			      "present, absent and out-of-range keys", cases[i].what);
		bpfbox_map__free(m);
	}
	CHECK(bpfbox_map__lookup_fn(NULL) == NULL, "lookup_fn(NULL): NULL");
}

int main(void)
{
	test_create();
	test_array();
	test_percpu_array();
	test_hash();
	test_lru();
	test_lookup_fn();
	test_lpm();
	test_queue_stack();
	test_bloom();
	test_ringbuf();
	test_perf();
	test_ptr_maps();
	test_perms();
	test_alloc_hook();
	return check_summary();
}
