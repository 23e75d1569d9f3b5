/* bpfbox — maps/array.c: array, percpu_array, prog_array, array_of_maps.
 *
 * An array is max_entries values, each rounded up to 8 bytes, allocated
 * and zeroed at creation; every index always exists, so delete is -EINVAL
 * and lookups never fail inside the range.  A per-CPU array keeps nr_cpus
 * copies of each value side by side (index-major), which makes the
 * user-space value buffer — nr_cpus values of round_up(value_size, 8)
 * bytes — one contiguous copy.
 *
 * Values are updated with memcpy and no lock, like the kernel's arrays: a
 * reader (a program through the value pointer, or a concurrent user-space
 * lookup) may see a value half-written.  Programs that need atomicity use
 * atomic instructions on the value, as they do in the kernel.
 *
 * prog_array and array_of_maps hold pointers instead of values (the
 * kernel's fd arrays, whose slots user space fills with fds): slots are
 * read and exchanged atomically.  array_of_maps takes a reference on each
 * map stored and checks it against the template; prog_array stores
 * opaque pointers (the tail-call targets) and never dereferences them.
 *
 * contains() is O(1): one subtraction and one division locate the value.
 */
#include "map.h"

struct array_map {
	struct bpfbox_map map;
	uint8_t *values;    /* value maps */
	void **ptrs;        /* pointer maps */
	uint64_t bytes;     /* size of values/ptrs */
	uint32_t elem_size; /* round_up(value_size, 8) */
	uint32_t copies;    /* nr_cpus for per-CPU arrays, else 1 */
	bool percpu;
};

#define ARR(m) ((struct array_map *)(m))

static int array_check(const struct map_attr *a)
{
	return map_array_check(a);
}

/* The kernel's fd_array_map_alloc_check, for the pointer arrays. */
static int fd_array_check(const struct map_attr *a)
{
	if (a->value_size != 4)
		return map_reject(a, -EINVAL, "value_size %u (must be 4: the slots hold handles)",
				  a->value_size);
	if (a->map_flags & (BPFBOX_F_RDONLY_PROG | BPFBOX_F_WRONLY_PROG))
		return map_reject(a, -EINVAL, "map_flags: RDONLY_PROG/WRONLY_PROG not supported here");
	return map_array_check(a);
}

static int aom_check(const struct map_attr *a)
{
	int err = fd_array_check(a);
	return err ? err : map_inner_check(a);
}

static void array_free(struct bpfbox_map *m)
{
	struct array_map *am = ARR(m);
	if (am->ptrs && m->type == BPFBOX_MAP_TYPE_ARRAY_OF_MAPS)
		for (uint32_t i = 0; i < m->max_entries; i++)
			map_put(am->ptrs[i]);
	map_zfree(m, am->values, am->bytes);
	map_zfree(m, am->ptrs, am->bytes);
}

static int array_alloc_common(const struct map_attr *a, const struct map_ops *ops,
			      struct bpfbox_map **out, bool ptrs)
{
	struct bpfbox_map *m = map_container_new(a, ops, sizeof(struct array_map));
	if (!m)
		return -ENOMEM;
	struct array_map *am = ARR(m);
	am->elem_size = ROUND8(a->value_size);
	am->percpu = a->type == BPFBOX_MAP_TYPE_PERCPU_ARRAY;
	am->copies = am->percpu ? a->nr_cpus : 1;
	if (ptrs)
		am->bytes = (uint64_t)a->max_entries * sizeof(void *);
	else
		am->bytes = (uint64_t)a->max_entries * am->elem_size * am->copies;
	uint64_t bytes = am->bytes;
	void *p = bytes <= m->memory_limit ? map_zalloc(m, bytes) : NULL;
	if (!p) {
		map_put(m);
		return map_reject(a, -ENOMEM, "%llu bytes of values: above the memory limit "
				  "or out of memory", (unsigned long long)bytes);
	}
	if (ptrs)
		am->ptrs = p;
	else
		am->values = p;
	*out = m;
	return 0;
}

static int array_alloc(const struct map_attr *a, struct bpfbox_map **out)
{
	/* array and percpu_array share their operations (the value area
	 * knows its copies per element) */
	return array_alloc_common(a, &map_array_ops, out, false);
}

static int prog_array_alloc(const struct map_attr *a, struct bpfbox_map **out)
{
	return array_alloc_common(a, &map_prog_array_ops, out, true);
}

static int aom_alloc(const struct map_attr *a, struct bpfbox_map **out)
{
	return array_alloc_common(a, &map_array_of_maps_ops, out, true);
}

static inline uint32_t key_index(const void *key)
{
	uint32_t i;
	memcpy(&i, key, 4);
	return i;
}

static inline uint8_t *slot(struct array_map *am, uint32_t i)
{
	return am->values + (size_t)i * am->elem_size * am->copies;
}

/* ---- value arrays ------------------------------------------------------------ */

static int array_lookup(struct bpfbox_map *m, const void *key, void *value)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -ENOENT;
	memcpy(value, slot(ARR(m), i), m->value_buf_size);
	return 0;
}

static int array_update_flags(struct bpfbox_map *m, uint32_t i, uint64_t flags)
{
	if (flags > BPFBOX_EXIST)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	if (flags == BPFBOX_NOEXIST)
		return -EEXIST; /* all elements already exist */
	return 0;
}

static int array_update(struct bpfbox_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t i = key_index(key);
	int err = array_update_flags(m, i, flags);
	if (err)
		return err;
	memcpy(slot(ARR(m), i), value, m->value_buf_size);
	return 0;
}

static int array_delete(struct bpfbox_map *m, const void *key)
{
	return -EINVAL;
}

static int array_get_next_key(struct bpfbox_map *m, const void *key, void *next)
{
	uint32_t i = key ? key_index(key) : UINT32_MAX;
	uint32_t n;
	if (i >= m->max_entries)
		n = 0;
	else if (i == m->max_entries - 1)
		return -ENOENT;
	else
		n = i + 1;
	memcpy(next, &n, 4);
	return 0;
}

static int array_iterate(struct bpfbox_map *m, bpfbox_map_iter_fn cb, void *ud)
{
	struct array_map *am = ARR(m);
	for (uint32_t i = 0; i < m->max_entries; i++) {
		int r = cb(&i, slot(am, i), ud);
		if (r)
			return r;
	}
	return 0;
}

static void *array_elem(struct bpfbox_map *m, const void *key, uint32_t cpu)
{
	struct array_map *am = ARR(m);
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return NULL;
	if (!am->percpu)
		return slot(am, i);
	return cpu < am->copies ? slot(am, i) + (size_t)cpu * am->elem_size : NULL;
}

/* array_elem for one copy: a bound check and a multiply */
static void *array_elem_one(struct bpfbox_map *m, const void *key)
{
	uint32_t i = key_index(key);
	return i < m->max_entries ? slot(ARR(m), i) : NULL;
}

static bpfbox_map_lookup_fn array_lookup_fn(const struct bpfbox_map *m)
{
	return ARR(m)->percpu ? NULL : array_elem_one;
}

static int array_update_elem(struct bpfbox_map *m, const void *key, const void *value,
			     uint64_t flags, uint32_t cpu)
{
	struct array_map *am = ARR(m);
	uint32_t i = key_index(key);
	int err = array_update_flags(m, i, flags);
	if (err)
		return err;
	if (am->percpu) {
		if (cpu >= am->copies)
			return -EINVAL;
		memcpy(slot(am, i) + (size_t)cpu * am->elem_size, value, m->value_size);
	} else {
		memcpy(slot(am, i), value, m->value_size);
	}
	return 0;
}

static long array_for_each_elem(struct bpfbox_map *m, bpfbox_map_elem_fn cb, void *ud,
				uint32_t cpu)
{
	struct array_map *am = ARR(m);
	size_t off = am->percpu ? (size_t)cpu * am->elem_size : 0;
	long n = 0;
	for (uint32_t i = 0; i < m->max_entries; i++) {
		uint32_t key = i;
		n++;
		if (cb(m, &key, slot(am, i) + off, ud))
			break;
	}
	return n;
}

static bool array_contains(const struct bpfbox_map *m, uint64_t addr, uint64_t len)
{
	const struct array_map *am = (const struct array_map *)m;
	if (!map_range_in(addr, len, am->values, am->bytes))
		return false;
	/* inside one value: the offset within its 8-byte-rounded slot */
	uint64_t in = (addr - (uint64_t)(uintptr_t)am->values) % am->elem_size;
	return in + len <= m->value_size;
}

/* ---- pointer arrays ------------------------------------------------------------ */

static int ptr_array_update(struct bpfbox_map *m, const void *key, void *ptr, uint64_t flags)
{
	struct array_map *am = ARR(m);
	uint32_t i = key_index(key);
	if (flags != BPFBOX_ANY)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	bool maps = m->type == BPFBOX_MAP_TYPE_ARRAY_OF_MAPS;
	if (maps) {
		if (map_inner_compatible(m, ptr))
			return -EINVAL;
		bpfbox_map__get(ptr);
	}
	void *old = __atomic_exchange_n(&am->ptrs[i], ptr, __ATOMIC_ACQ_REL);
	if (maps)
		map_put(old);
	return 0;
}

static int ptr_array_delete(struct bpfbox_map *m, const void *key)
{
	struct array_map *am = ARR(m);
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -E2BIG;
	void *old = __atomic_exchange_n(&am->ptrs[i], NULL, __ATOMIC_ACQ_REL);
	if (!old)
		return -ENOENT;
	if (m->type == BPFBOX_MAP_TYPE_ARRAY_OF_MAPS)
		map_put(old);
	return 0;
}

static int ptr_array_lookup_ptr(struct bpfbox_map *m, const void *key, void **ptr)
{
	uint32_t i = key_index(key);
	void *p = i < m->max_entries ? __atomic_load_n(&ARR(m)->ptrs[i], __ATOMIC_ACQUIRE) : NULL;
	if (!p)
		return -ENOENT;
	*ptr = p;
	return 0;
}

static void *ptr_array_get_ptr(struct bpfbox_map *m, const void *key)
{
	uint32_t i = key_index(key);
	return i < m->max_entries ? __atomic_load_n(&ARR(m)->ptrs[i], __ATOMIC_ACQUIRE) : NULL;
}

static int ptr_array_lookup(struct bpfbox_map *m, const void *key, void *value)
{
	return -EOPNOTSUPP; /* the kernel returns an id; bpfbox has lookup_ptr */
}

static int ptr_array_update_copy(struct bpfbox_map *m, const void *key, const void *value,
				 uint64_t flags)
{
	return -EOPNOTSUPP; /* the kernel takes an fd; bpfbox has update_ptr */
}

static int ptr_array_iterate(struct bpfbox_map *m, bpfbox_map_iter_fn cb, void *ud)
{
	for (uint32_t i = 0; i < m->max_entries; i++) {
		void *p = __atomic_load_n(&ARR(m)->ptrs[i], __ATOMIC_ACQUIRE);
		if (!p)
			continue;
		int r = cb(&i, &p, ud);
		if (r)
			return r;
	}
	return 0;
}

const struct map_ops map_array_ops = {
	.check = array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = array_get_next_key,
	.generic_lookup_batch = true,
	.generic_update_batch = true,
	.iterate = array_iterate,
	.elem = array_elem,
	.lookup_fn = array_lookup_fn,
	.update_elem = array_update_elem,
	.delete_elem = array_delete,
	.for_each_elem = array_for_each_elem,
	.contains = array_contains,
};

/* cgroup arrays hold what user space put there (cgroup directory fds, as
 * with the kernel's BPF_MAP_UPDATE_ELEM) for bpf_current_task_under_cgroup
 * to read; programs cannot look them up (no .elem), like the kernel's. */
const struct map_ops map_cgroup_array_ops = {
	.check = fd_array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = array_get_next_key,
	.iterate = array_iterate,
};

const struct map_ops map_prog_array_ops = {
	.check = fd_array_check,
	.alloc = prog_array_alloc,
	.free = array_free,
	.lookup = ptr_array_lookup,
	.update = ptr_array_update_copy,
	.delete = ptr_array_delete,
	.get_next_key = array_get_next_key,
	.iterate = ptr_array_iterate,
	.update_ptr = ptr_array_update,
	.lookup_ptr = ptr_array_lookup_ptr,
	.get_ptr = ptr_array_get_ptr,
};

const struct map_ops map_array_of_maps_ops = {
	.check = aom_check,
	.alloc = aom_alloc,
	.free = array_free,
	.lookup = ptr_array_lookup,
	.update = ptr_array_update_copy,
	.delete = ptr_array_delete,
	.get_next_key = array_get_next_key,
	.iterate = ptr_array_iterate,
	.update_ptr = ptr_array_update,
	.lookup_ptr = ptr_array_lookup_ptr,
	.get_ptr = ptr_array_get_ptr,
};
