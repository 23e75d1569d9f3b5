/* bpfbox — maps/map.c: creation, dispatch and the generic operations.
 *
 * Creation follows the kernel's map_create(): the checks every type shares
 * (map_extra only for bloom filters, RDONLY with WRONLY, the name's
 * characters), then the type's own check (the kernel's map_alloc_check,
 * in the family file), then its allocation.  Every refusal names the
 * attribute in the caller's log, and returns the errno the kernel returns
 * for the same attributes — tests/unit/test_maps_kernel.c compares them.
 *
 * The public entry points then do what the bpf() syscall does before it
 * reaches a map's ops: permission checks (BPF_F_RDONLY/WRONLY for user
 * space, BPF_F_RDONLY_PROG/WRONLY_PROG for programs), the BPF_F_LOCK check
 * (bpfbox has no BTF spin locks, so a BPF_F_LOCK request is always
 * -EINVAL, which is the kernel's answer for a value without a lock), and
 * the kernel's answer for an op the type does not have.
 *
 * Generic batches (the kernel's generic_map_*_batch) work through
 * get_next_key + lookup and carry the last key in the opaque cursor; hash
 * maps have their own bucket-wise batch in hash.c.
 *
 * Maps are reference counted so that an outer map can keep its inner maps
 * alive; the count is the only state two maps share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "map.h"

static const struct {
	const char *name;
	const struct map_ops *ops;
} map_types[BPFBOX_MAP_TYPE__MAX] = {
	[BPFBOX_MAP_TYPE_UNSPEC] = { "unspec", NULL },
	[BPFBOX_MAP_TYPE_HASH] = { "hash", &map_htab_ops },
	[BPFBOX_MAP_TYPE_ARRAY] = { "array", &map_array_ops },
	[BPFBOX_MAP_TYPE_PROG_ARRAY] = { "prog_array", &map_prog_array_ops },
	[BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY] = { "perf_event_array", &map_perf_ops },
	[BPFBOX_MAP_TYPE_PERCPU_HASH] = { "percpu_hash", &map_htab_ops },
	[BPFBOX_MAP_TYPE_PERCPU_ARRAY] = { "percpu_array", &map_array_ops },
	[BPFBOX_MAP_TYPE_STACK_TRACE] = { "stack_trace", NULL },
	[BPFBOX_MAP_TYPE_CGROUP_ARRAY] = { "cgroup_array", &map_cgroup_array_ops },
	[BPFBOX_MAP_TYPE_LRU_HASH] = { "lru_hash", &map_htab_ops },
	[BPFBOX_MAP_TYPE_LRU_PERCPU_HASH] = { "lru_percpu_hash", &map_htab_ops },
	[BPFBOX_MAP_TYPE_LPM_TRIE] = { "lpm_trie", &map_lpm_ops },
	[BPFBOX_MAP_TYPE_ARRAY_OF_MAPS] = { "array_of_maps", &map_array_of_maps_ops },
	[BPFBOX_MAP_TYPE_HASH_OF_MAPS] = { "hash_of_maps", &map_hash_of_maps_ops },
	[BPFBOX_MAP_TYPE_DEVMAP] = { "devmap", NULL },
	[BPFBOX_MAP_TYPE_SOCKMAP] = { "sockmap", NULL },
	[BPFBOX_MAP_TYPE_CPUMAP] = { "cpumap", NULL },
	[BPFBOX_MAP_TYPE_XSKMAP] = { "xskmap", NULL },
	[BPFBOX_MAP_TYPE_SOCKHASH] = { "sockhash", NULL },
	[BPFBOX_MAP_TYPE_CGROUP_STORAGE] = { "cgroup_storage", NULL },
	[BPFBOX_MAP_TYPE_REUSEPORT_SOCKARRAY] = { "reuseport_sockarray", NULL },
	[BPFBOX_MAP_TYPE_PERCPU_CGROUP_STORAGE] = { "percpu_cgroup_storage", NULL },
	[BPFBOX_MAP_TYPE_QUEUE] = { "queue", &map_queue_ops },
	[BPFBOX_MAP_TYPE_STACK] = { "stack", &map_queue_ops },
	[BPFBOX_MAP_TYPE_SK_STORAGE] = { "sk_storage", NULL },
	[BPFBOX_MAP_TYPE_DEVMAP_HASH] = { "devmap_hash", NULL },
	[BPFBOX_MAP_TYPE_STRUCT_OPS] = { "struct_ops", NULL },
	[BPFBOX_MAP_TYPE_RINGBUF] = { "ringbuf", &map_ringbuf_ops },
	[BPFBOX_MAP_TYPE_INODE_STORAGE] = { "inode_storage", NULL },
	[BPFBOX_MAP_TYPE_TASK_STORAGE] = { "task_storage", NULL },
	[BPFBOX_MAP_TYPE_BLOOM_FILTER] = { "bloom_filter", &map_bloom_ops },
	[BPFBOX_MAP_TYPE_USER_RINGBUF] = { "user_ringbuf", NULL },
	[BPFBOX_MAP_TYPE_CGRP_STORAGE] = { "cgrp_storage", NULL },
	[BPFBOX_MAP_TYPE_ARENA] = { "arena", NULL },
};

BPFBOX_API const char *bpfbox_map_type_name(uint32_t type)
{
	return type < BPFBOX_MAP_TYPE__MAX ? map_types[type].name : NULL;
}

/* ---- shared helpers ------------------------------------------------------ */

int map_reject(const struct map_attr *a, int err, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	const char *tn = bpfbox_map_type_name(a->type);
	bpfbox_log__printf(a->log, BPFBOX_LOG_ERROR, "map '%s' (%s): %s",
			   a->name ? a->name : "", tn ? tn : "?", why);
	return err;
}

bool map_flags_access_ok(uint32_t flags)
{
	return (flags & (BPFBOX_F_RDONLY_PROG | BPFBOX_F_WRONLY_PROG)) !=
	       (BPFBOX_F_RDONLY_PROG | BPFBOX_F_WRONLY_PROG);
}

bool map_is_percpu(uint32_t type)
{
	return type == BPFBOX_MAP_TYPE_PERCPU_ARRAY || type == BPFBOX_MAP_TYPE_PERCPU_HASH ||
	       type == BPFBOX_MAP_TYPE_LRU_PERCPU_HASH;
}

bool map_is_map(const void *p)
{
	return p && ((const struct bpfbox_map *)p)->magic == MAP_MAGIC;
}

/* A 64-bit multiply-xorshift mixer (random seeds). */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
}

uint32_t map_random_seed(const void *salt)
{
	uint32_t s = 0;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint32_t)mix64((uint64_t)(uintptr_t)salt ^ (uint64_t)ts.tv_nsec ^
				    ((uint64_t)ts.tv_sec << 30));
	}
	return s;
}

struct bpfbox_map *map_container_new(const struct map_attr *a, const struct map_ops *ops,
				     size_t size)
{
	struct bpfbox_map *m = util_calloc(&a->alloc, 1, size);
	if (!m)
		return NULL;
	m->magic = MAP_MAGIC;
	m->refcnt = 1;
	m->ops = ops;
	m->type = a->type;
	m->key_size = a->key_size;
	m->value_size = a->value_size;
	m->max_entries = a->max_entries;
	m->map_flags = a->map_flags;
	m->map_extra = a->map_extra;
	m->nr_cpus = a->nr_cpus;
	m->value_buf_size = map_is_percpu(a->type) ? a->nr_cpus * ROUND8(a->value_size)
						   : a->value_size;
	m->container_size = size;
	m->alloc = a->alloc;
	m->memory_limit = a->memory_limit;
	m->mem_used = size;
	size_t n = a->name ? strlen(a->name) : 0;
	m->name_size = n + 1;
	m->name = util_malloc(&a->alloc, n + 1);
	if (!m->name) {
		util_free(&a->alloc, m, size);
		return NULL;
	}
	memcpy(m->name, a->name ? a->name : "", n);
	m->name[n] = 0;
	if (a->inner)
		m->inner = bpfbox_map__get(a->inner);
	return m;
}

void *map_zalloc(struct bpfbox_map *m, uint64_t size)
{
	uint64_t used = __atomic_add_fetch(&m->mem_used, size, __ATOMIC_RELAXED);
	if (used > m->memory_limit || size > SIZE_MAX) {
		__atomic_sub_fetch(&m->mem_used, size, __ATOMIC_RELAXED);
		return NULL;
	}
	void *p = util_calloc(&m->alloc, 1, (size_t)size);
	if (!p)
		__atomic_sub_fetch(&m->mem_used, size, __ATOMIC_RELAXED);
	return p;
}

void map_zfree(struct bpfbox_map *m, void *p, uint64_t size)
{
	if (!p)
		return;
	util_free(&m->alloc, p, (size_t)size);
	__atomic_sub_fetch(&m->mem_used, size, __ATOMIC_RELAXED);
}

/* ---- checks shared by several families ------------------------------------ */

/* The kernel's array_map_alloc_check (arrays, and after the fd-array rules
 * below, prog/perf/map-in-map arrays). */
int map_array_check(const struct map_attr *a)
{
	const uint32_t mask = BPFBOX_F_NUMA_NODE | BPFBOX_F_MMAPABLE | MAP_ACCESS_MASK |
			      BPFBOX_F_PRESERVE_ELEMS | BPFBOX_F_INNER_MAP;
	bool percpu = a->type == BPFBOX_MAP_TYPE_PERCPU_ARRAY;
	if (a->max_entries == 0)
		return map_reject(a, -EINVAL, "max_entries 0");
	if (a->key_size != 4)
		return map_reject(a, -EINVAL, "key_size %u (must be 4)", a->key_size);
	if (a->value_size == 0)
		return map_reject(a, -EINVAL, "value_size 0");
	if (a->map_flags & ~mask)
		return map_reject(a, -EINVAL, "map_flags 0x%x not allowed (allowed: 0x%x)",
				  a->map_flags, mask);
	if (!map_flags_access_ok(a->map_flags))
		return map_reject(a, -EINVAL, "map_flags: RDONLY_PROG with WRONLY_PROG");
	if (percpu && (a->map_flags & BPFBOX_F_NUMA_NODE))
		return map_reject(a, -EINVAL, "map_flags: NUMA_NODE on a per-CPU map");
	if (a->type != BPFBOX_MAP_TYPE_ARRAY &&
	    (a->map_flags & (BPFBOX_F_MMAPABLE | BPFBOX_F_INNER_MAP)))
		return map_reject(a, -EINVAL, "map_flags: MMAPABLE/INNER_MAP only for arrays");
	if (a->type != BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY && (a->map_flags & BPFBOX_F_PRESERVE_ELEMS))
		return map_reject(a, -EINVAL, "map_flags: PRESERVE_ELEMS only for perf_event_array");
	if (a->value_size > INT32_MAX)
		return map_reject(a, -E2BIG, "value_size %u above INT_MAX", a->value_size);
	if (percpu && ROUND8(a->value_size) > MAP_PCPU_MIN_UNIT)
		return map_reject(a, -E2BIG, "value_size %u above the per-CPU limit %u",
				  a->value_size, MAP_PCPU_MIN_UNIT);
	return 0;
}

/* The kernel's htab_map_alloc_check. */
int map_htab_check(const struct map_attr *a)
{
	const uint32_t mask = BPFBOX_F_NO_PREALLOC | BPFBOX_F_NO_COMMON_LRU |
			      BPFBOX_F_NUMA_NODE | MAP_ACCESS_MASK | BPFBOX_F_ZERO_SEED;
	bool percpu = a->type == BPFBOX_MAP_TYPE_PERCPU_HASH ||
		      a->type == BPFBOX_MAP_TYPE_LRU_PERCPU_HASH;
	bool lru = a->type == BPFBOX_MAP_TYPE_LRU_HASH ||
		   a->type == BPFBOX_MAP_TYPE_LRU_PERCPU_HASH;
	bool prealloc = !(a->map_flags & BPFBOX_F_NO_PREALLOC);
	bool percpu_lru = a->map_flags & BPFBOX_F_NO_COMMON_LRU;
	bool numa = a->map_flags & BPFBOX_F_NUMA_NODE;
	if ((a->map_flags & ~mask) || !map_flags_access_ok(a->map_flags))
		return map_reject(a, -EINVAL, "map_flags 0x%x not allowed (allowed: 0x%x)",
				  a->map_flags, mask);
	if (!lru && percpu_lru)
		return map_reject(a, -EINVAL, "map_flags: NO_COMMON_LRU only for LRU hashes");
	if (lru && !prealloc)
		return map_reject(a, -BPFBOX_ENOTSUPP, "map_flags: LRU hashes are preallocated "
				  "(NO_PREALLOC not supported)");
	if (numa && (percpu || percpu_lru))
		return map_reject(a, -EINVAL, "map_flags: NUMA_NODE with per-CPU values or LRU lists");
	if (a->max_entries == 0)
		return map_reject(a, -EINVAL, "max_entries 0");
	if (a->key_size == 0)
		return map_reject(a, -EINVAL, "key_size 0");
	if (a->value_size == 0)
		return map_reject(a, -EINVAL, "value_size 0");
	/* the kernel: the element (48-byte header) must fit one kmalloc */
	if ((uint64_t)a->key_size + a->value_size >= MAP_KMALLOC_MAX - 48)
		return map_reject(a, -E2BIG, "key_size + value_size %llu too big (at most %u)",
				  (unsigned long long)a->key_size + a->value_size,
				  MAP_KMALLOC_MAX - 48 - 1);
	if (percpu && ROUND8(a->value_size) > MAP_PCPU_MIN_UNIT)
		return map_reject(a, -E2BIG, "value_size %u above the per-CPU limit %u",
				  a->value_size, MAP_PCPU_MIN_UNIT);
	return 0;
}

/* The kernel's bpf_map_meta_alloc: the template an outer map's inner maps
 * are checked against. */
int map_inner_check(const struct map_attr *a)
{
	if (!a->inner || !map_is_map(a->inner))
		return map_reject(a, -EBADF, "inner_map: a template map is required");
	if (a->inner->inner)
		return map_reject(a, -EINVAL, "inner_map: a map-in-map cannot be an inner map");
	if (a->inner->type == BPFBOX_MAP_TYPE_PROG_ARRAY)
		return map_reject(a, -BPFBOX_ENOTSUPP, "inner_map: prog_array cannot be an inner map");
	return 0;
}

int map_inner_compatible(const struct bpfbox_map *m, const struct bpfbox_map *inner)
{
	const struct bpfbox_map *t = m->inner;
	if (!map_is_map(inner) || !t)
		return -EINVAL;
	if (inner->type != t->type || inner->key_size != t->key_size ||
	    inner->value_size != t->value_size || inner->map_flags != t->map_flags)
		return -EINVAL;
	/* arrays also compare max_entries, unless the template opted out */
	bool array = t->type == BPFBOX_MAP_TYPE_ARRAY || t->type == BPFBOX_MAP_TYPE_PERCPU_ARRAY;
	if (array && !(t->map_flags & BPFBOX_F_INNER_MAP) && inner->max_entries != t->max_entries)
		return -EINVAL;
	return 0;
}

/* ---- creation -------------------------------------------------------------- */

static bool name_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.';
		if (!ok || n >= 255)
			return false;
	}
	return true;
}

BPFBOX_API int bpfbox_map__new(struct bpfbox_map **out, const struct bpfbox_map_opts *opts)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!opts || !OPTS_VALID(opts, bpfbox_map_opts))
		return -EINVAL;
	struct map_attr a = { 0 };
	a.type = OPTS_GET(opts, type, 0);
	a.key_size = OPTS_GET(opts, key_size, 0);
	a.value_size = OPTS_GET(opts, value_size, 0);
	a.max_entries = OPTS_GET(opts, max_entries, 0);
	a.map_flags = OPTS_GET(opts, map_flags, 0);
	a.map_extra = OPTS_GET(opts, map_extra, 0);
	a.name = OPTS_GET(opts, name, NULL);
	a.nr_cpus = OPTS_GET(opts, nr_cpus, 0);
	a.inner = OPTS_GET(opts, inner_map, NULL);
	util_alloc_init(&a.alloc, OPTS_GET(opts, alloc, NULL), OPTS_GET(opts, alloc_ud, NULL));
	a.log = OPTS_GET(opts, log, NULL);
	a.memory_limit = OPTS_GET(opts, memory_limit, 0);
	if (!a.memory_limit)
		a.memory_limit = MAP_DEFAULT_MEMORY_LIMIT;
	a.perf_buffer_size = OPTS_GET(opts, perf_buffer_size, 0);

	if (a.type != BPFBOX_MAP_TYPE_BLOOM_FILTER && a.map_extra)
		return map_reject(&a, -EINVAL, "map_extra 0x%llx (only bloom filters use it)",
				  (unsigned long long)a.map_extra);
	if ((a.map_flags & BPFBOX_F_RDONLY) && (a.map_flags & BPFBOX_F_WRONLY))
		return map_reject(&a, -EINVAL, "map_flags: RDONLY with WRONLY");
	if (a.type == BPFBOX_MAP_TYPE_UNSPEC || a.type >= BPFBOX_MAP_TYPE__MAX)
		return map_reject(&a, -EINVAL, "unknown map type %u", a.type);
	const struct map_ops *ops = map_types[a.type].ops;
	if (!ops)
		return map_reject(&a, -EOPNOTSUPP, "map type not implemented by bpfbox");
	if (a.name && !name_ok(a.name))
		return map_reject(&a, -EINVAL, "name: only [A-Za-z0-9_.], at most 255 characters");
	if (a.nr_cpus == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		a.nr_cpus = n > 0 ? (uint32_t)(n < MAP_MAX_CPUS ? n : MAP_MAX_CPUS) : 1;
	}
	if (a.nr_cpus > MAP_MAX_CPUS)
		return map_reject(&a, -EINVAL, "nr_cpus %u above %u", a.nr_cpus, MAP_MAX_CPUS);
	int err = ops->check(&a);
	if (err)
		return err;
	struct bpfbox_map *m = NULL;
	err = ops->alloc(&a, &m);
	if (err)
		return err;
	*out = m;
	return 0;
}

static void map_destroy(struct bpfbox_map *m)
{
	if (m->ops->free)
		m->ops->free(m);
	if (m->inner)
		map_put(m->inner);
	struct util_alloc al = m->alloc;
	util_free(&al, m->name, m->name_size);
	m->magic = 0;
	util_free(&al, m, m->container_size);
}

void map_put(struct bpfbox_map *m)
{
	if (m && __atomic_sub_fetch(&m->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		map_destroy(m);
}

BPFBOX_API void bpfbox_map__free(struct bpfbox_map *map)
{
	map_put(map);
}

BPFBOX_API struct bpfbox_map *bpfbox_map__get(struct bpfbox_map *map)
{
	if (map)
		__atomic_add_fetch(&map->refcnt, 1, __ATOMIC_RELAXED);
	return map;
}

/* ---- attributes -------------------------------------------------------------- */

BPFBOX_API uint32_t bpfbox_map__type(const struct bpfbox_map *m) { return m->type; }
BPFBOX_API uint32_t bpfbox_map__key_size(const struct bpfbox_map *m) { return m->key_size; }
BPFBOX_API uint32_t bpfbox_map__value_size(const struct bpfbox_map *m) { return m->value_size; }
BPFBOX_API uint32_t bpfbox_map__max_entries(const struct bpfbox_map *m) { return m->max_entries; }
BPFBOX_API uint32_t bpfbox_map__flags(const struct bpfbox_map *m) { return m->map_flags; }
BPFBOX_API uint64_t bpfbox_map__map_extra(const struct bpfbox_map *m) { return m->map_extra; }
BPFBOX_API uint32_t bpfbox_map__nr_cpus(const struct bpfbox_map *m) { return m->nr_cpus; }
BPFBOX_API const char *bpfbox_map__name(const struct bpfbox_map *m) { return m->name; }
BPFBOX_API uint32_t bpfbox_map__value_buf_size(const struct bpfbox_map *m) { return m->value_buf_size; }
BPFBOX_API struct bpfbox_map *bpfbox_map__inner_map(const struct bpfbox_map *m) { return m->inner; }

/* ---- user-space face ------------------------------------------------------------ */

#define CAN_READ(m) (!((m)->map_flags & BPFBOX_F_WRONLY))
#define CAN_WRITE(m) (!((m)->map_flags & BPFBOX_F_RDONLY))

BPFBOX_API int bpfbox_map__lookup(struct bpfbox_map *m, const void *key, void *value)
{
	if (!CAN_READ(m))
		return -EPERM;
	return m->ops->lookup ? m->ops->lookup(m, key, value) : -BPFBOX_ENOTSUPP;
}

BPFBOX_API int bpfbox_map__update(struct bpfbox_map *m, const void *key, const void *value,
				  uint64_t flags)
{
	if (!CAN_WRITE(m))
		return -EPERM;
	if (flags & BPFBOX_F_LOCK)
		return -EINVAL;
	return m->ops->update ? m->ops->update(m, key, value, flags) : -BPFBOX_ENOTSUPP;
}

BPFBOX_API int bpfbox_map__delete(struct bpfbox_map *m, const void *key)
{
	if (!CAN_WRITE(m))
		return -EPERM;
	return m->ops->delete ? m->ops->delete(m, key) : -BPFBOX_ENOTSUPP;
}

BPFBOX_API int bpfbox_map__get_next_key(struct bpfbox_map *m, const void *key, void *next_key)
{
	if (!CAN_READ(m))
		return -EPERM;
	return m->ops->get_next_key ? m->ops->get_next_key(m, key, next_key) : -BPFBOX_ENOTSUPP;
}

BPFBOX_API int bpfbox_map__lookup_and_delete(struct bpfbox_map *m, const void *key, void *value)
{
	if (!CAN_READ(m) || !CAN_WRITE(m))
		return -EPERM;
	return m->ops->lookup_and_delete ? m->ops->lookup_and_delete(m, key, value)
					 : -BPFBOX_ENOTSUPP;
}

BPFBOX_API int bpfbox_map__update_ptr_flags(struct bpfbox_map *m, const void *key, void *ptr,
					    uint64_t flags)
{
	if (!CAN_WRITE(m))
		return -EPERM;
	if (!m->ops->update_ptr)
		return -EOPNOTSUPP;
	if (!ptr)
		return -EINVAL;
	return m->ops->update_ptr(m, key, ptr, flags);
}

BPFBOX_API int bpfbox_map__update_ptr(struct bpfbox_map *m, const void *key, void *ptr)
{
	return bpfbox_map__update_ptr_flags(m, key, ptr, BPFBOX_ANY);
}

BPFBOX_API int bpfbox_map__lookup_ptr(struct bpfbox_map *m, const void *key, void **ptr)
{
	if (!CAN_READ(m))
		return -EPERM;
	if (!m->ops->lookup_ptr)
		return -EOPNOTSUPP;
	return m->ops->lookup_ptr(m, key, ptr);
}

/* ---- batches --------------------------------------------------------------------- */

static int batch_flags_ok(const struct bpfbox_map_batch_opts *opts, uint64_t *elem_flags,
			  uint64_t *flags)
{
	if (opts && !OPTS_VALID(opts, bpfbox_map_batch_opts))
		return -EINVAL;
	*elem_flags = OPTS_GET(opts, elem_flags, 0);
	*flags = OPTS_GET(opts, flags, 0);
	/* only BPF_F_LOCK is a valid element flag, and it needs a spin lock */
	if (*elem_flags)
		return -EINVAL;
	return 0;
}

static bool is_ptr_map(const struct bpfbox_map *m)
{
	return m->ops->update_ptr != NULL;
}

/* The kernel's generic_map_lookup_batch: get_next_key from the cursor's
 * key, copy, repeat; a key deleted between the two steps is retried. */
static int generic_lookup_batch(struct bpfbox_map *m, const struct bpfbox_map_batch *in,
				struct bpfbox_map_batch *out, void *keys, void *values,
				uint32_t *count)
{
	uint32_t max = *count, cp = 0;
	if (!max)
		return 0;
	*count = 0;
	if (m->key_size > sizeof(in->opaque))
		return -E2BIG;
	uint64_t kbuf[2][ARRAY_SIZE(in->opaque)];
	const void *prev = NULL;
	int cur = 0, err = 0, retry = 3;
	if (in) {
		memcpy(kbuf[1], in->opaque, m->key_size);
		prev = kbuf[1];
	}
	while (cp < max) {
		void *key = kbuf[cur];
		err = m->ops->get_next_key(m, prev, key);
		if (err)
			break;
		err = m->ops->lookup(m, key, (uint8_t *)values + (size_t)cp * m->value_buf_size);
		if (err == -ENOENT) {
			if (retry--)
				continue;
			err = -EINTR;
			break;
		}
		if (err)
			return err;
		memcpy((uint8_t *)keys + (size_t)cp * m->key_size, key, m->key_size);
		prev = key;
		cur ^= 1;
		retry = 3;
		cp++;
	}
	*count = cp;
	if (cp && out)
		memcpy(out->opaque, prev, m->key_size);
	return err;
}

static int do_lookup_batch(struct bpfbox_map *m, const struct bpfbox_map_batch *in,
			   struct bpfbox_map_batch *out, void *keys, void *values, uint32_t *count,
			   const struct bpfbox_map_batch_opts *opts, bool del)
{
	if (!count)
		return -EINVAL;
	if (!CAN_READ(m) || (del && !CAN_WRITE(m)))
		return -EPERM;
	if (is_ptr_map(m))
		return -EOPNOTSUPP;
	uint64_t ef, fl;
	if (m->ops->lookup_batch) {
		int err = batch_flags_ok(opts, &ef, &fl);
		if (err)
			return err;
		if (fl)
			return -EINVAL;
		return m->ops->lookup_batch(m, in, out, keys, values, count, del);
	}
	if (del || !m->ops->generic_lookup_batch)
		return -BPFBOX_ENOTSUPP;
	int err = batch_flags_ok(opts, &ef, &fl);
	if (err)
		return err;
	return generic_lookup_batch(m, in, out, keys, values, count);
}

BPFBOX_API int bpfbox_map__lookup_batch(struct bpfbox_map *m, const struct bpfbox_map_batch *in,
					struct bpfbox_map_batch *out, void *keys, void *values,
					uint32_t *count, const struct bpfbox_map_batch_opts *opts)
{
	return do_lookup_batch(m, in, out, keys, values, count, opts, false);
}

BPFBOX_API int bpfbox_map__lookup_and_delete_batch(struct bpfbox_map *m,
						   const struct bpfbox_map_batch *in,
						   struct bpfbox_map_batch *out, void *keys,
						   void *values, uint32_t *count,
						   const struct bpfbox_map_batch_opts *opts)
{
	return do_lookup_batch(m, in, out, keys, values, count, opts, true);
}

/* update_batch and delete_batch: element by element, stopping at the
 * first error with *count = the elements done (the kernel's generic batch
 * ops).  values == NULL: delete. */
static int do_write_batch(struct bpfbox_map *m, const void *keys, const void *values,
			  uint32_t *count, const struct bpfbox_map_batch_opts *opts)
{
	if (!count)
		return -EINVAL;
	if (!CAN_WRITE(m))
		return -EPERM;
	if (is_ptr_map(m))
		return -EOPNOTSUPP;
	if (!(values ? m->ops->generic_update_batch : m->ops->generic_delete_batch))
		return -BPFBOX_ENOTSUPP;
	uint64_t ef, fl;
	int err = batch_flags_ok(opts, &ef, &fl);
	if (err)
		return err;
	uint32_t max = *count, cp;
	if (!max)
		return 0;
	for (cp = 0; cp < max; cp++) {
		const uint8_t *k = (const uint8_t *)keys + (size_t)cp * m->key_size;
		err = values ? m->ops->update(m, k, (const uint8_t *)values + (size_t)cp * m->value_buf_size,
					      ef)
			     : m->ops->delete(m, k);
		if (err)
			break;
	}
	*count = cp;
	return err;
}

BPFBOX_API int bpfbox_map__update_batch(struct bpfbox_map *m, const void *keys, const void *values,
					uint32_t *count, const struct bpfbox_map_batch_opts *opts)
{
	if (!values)
		return -EINVAL;
	return do_write_batch(m, keys, values, count, opts);
}

BPFBOX_API int bpfbox_map__delete_batch(struct bpfbox_map *m, const void *keys, uint32_t *count,
					const struct bpfbox_map_batch_opts *opts)
{
	return do_write_batch(m, keys, NULL, count, opts);
}

BPFBOX_API int bpfbox_map__for_each(struct bpfbox_map *m, bpfbox_map_iter_fn cb, void *ud)
{
	if (!cb)
		return -EINVAL;
	if (!CAN_READ(m))
		return -EPERM;
	if (!m->ops->iterate)
		return -EOPNOTSUPP;
	return m->ops->iterate(m, cb, ud);
}

/* ---- program face ------------------------------------------------------------------ */

#define PROG_CAN_READ(m) (!((m)->map_flags & BPFBOX_F_WRONLY_PROG))
#define PROG_CAN_WRITE(m) (!((m)->map_flags & BPFBOX_F_RDONLY_PROG))

BPFBOX_API void *bpfbox_map__elem(struct bpfbox_map *m, const void *key, uint32_t cpu)
{
	return m->ops->elem ? m->ops->elem(m, key, cpu) : NULL;
}

BPFBOX_API bpfbox_map_lookup_fn bpfbox_map__lookup_fn(const struct bpfbox_map *m)
{
	return m && m->ops->lookup_fn ? m->ops->lookup_fn(m) : NULL;
}

BPFBOX_API int bpfbox_map__update_elem(struct bpfbox_map *m, const void *key, const void *value,
				       uint64_t flags, uint32_t cpu)
{
	if (!PROG_CAN_WRITE(m))
		return -EPERM;
	if (flags & BPFBOX_F_LOCK)
		return -EINVAL;
	return m->ops->update_elem ? m->ops->update_elem(m, key, value, flags, cpu)
				   : -EOPNOTSUPP;
}

BPFBOX_API int bpfbox_map__delete_elem(struct bpfbox_map *m, const void *key)
{
	if (!PROG_CAN_WRITE(m))
		return -EPERM;
	return m->ops->delete_elem ? m->ops->delete_elem(m, key) : -EOPNOTSUPP;
}

BPFBOX_API int bpfbox_map__push_elem(struct bpfbox_map *m, const void *value, uint64_t flags)
{
	if (!PROG_CAN_WRITE(m))
		return -EPERM;
	return m->ops->push ? m->ops->push(m, value, flags) : -EOPNOTSUPP;
}

BPFBOX_API int bpfbox_map__pop_elem(struct bpfbox_map *m, void *value)
{
	if (!PROG_CAN_WRITE(m) || !PROG_CAN_READ(m))
		return -EPERM;
	return m->ops->pop ? m->ops->pop(m, value) : -EOPNOTSUPP;
}

BPFBOX_API int bpfbox_map__peek_elem(struct bpfbox_map *m, void *value)
{
	if (!PROG_CAN_READ(m))
		return -EPERM;
	return m->ops->peek ? m->ops->peek(m, value) : -EOPNOTSUPP;
}

BPFBOX_API void *bpfbox_map__get_ptr(struct bpfbox_map *m, const void *key)
{
	return m->ops->get_ptr ? m->ops->get_ptr(m, key) : NULL;
}

BPFBOX_API long bpfbox_map__for_each_elem(struct bpfbox_map *m, bpfbox_map_elem_fn cb, void *ud,
					  uint64_t flags, uint32_t cpu)
{
	if (!m->ops->for_each_elem)
		return -EOPNOTSUPP;
	if (flags || !cb || cpu >= m->nr_cpus)
		return -EINVAL;
	return m->ops->for_each_elem(m, cb, ud, cpu);
}

BPFBOX_API bool bpfbox_map__contains(const struct bpfbox_map *m, uint64_t addr, uint64_t len,
				     bool write)
{
	if (!m || !m->ops->contains || len == 0)
		return false;
	if (write ? !PROG_CAN_WRITE(m) : !PROG_CAN_READ(m))
		return false;
	return m->ops->contains(m, addr, len);
}

/* ---- consumer wake-ups ------------------------------------------------------ */

int map_wake_init(struct map_wake *w)
{
	pthread_condattr_t ca;
	if (pthread_mutex_init(&w->lock, NULL))
		return -ENOMEM;
	w->init = 1;
	if (pthread_condattr_init(&ca))
		return -ENOMEM;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int err = pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		return -ENOMEM;
	w->init = 2;
	return 0;
}

void map_wake_fini(struct map_wake *w)
{
	if (w->init > 1)
		pthread_cond_destroy(&w->cond);
	if (w->init > 0)
		pthread_mutex_destroy(&w->lock);
	w->init = 0;
}

void map_wake_notify(struct map_wake *w)
{
	pthread_mutex_lock(&w->lock);
	w->notified = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

bool map_wake_wait(struct map_wake *w, int timeout_ms)
{
	struct timespec dl;
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&w->lock);
	while (!w->notified && timeout_ms != 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&w->cond, &w->lock);
		else if (pthread_cond_timedwait(&w->cond, &w->lock, &dl) == ETIMEDOUT)
			break;
	}
	bool r = w->notified;
	w->notified = false;
	pthread_mutex_unlock(&w->lock);
	return r;
}
