/* bpfbox — maps/hash.c: hash, percpu_hash, lru_hash, lru_percpu_hash,
 * hash_of_maps.
 *
 * A hash map is a power-of-two array of bucket chains (n_buckets =
 * roundup_pow_of_two(max_entries), as in the kernel) over a pool of
 * elements (pool.c).  An element is a header, the key rounded up to 8
 * bytes, then the value: one value rounded to 8, nr_cpus of them for the
 * per-CPU types, or a map pointer for hash_of_maps.  By default the pool is
 * preallocated at creation (the kernel's default); BPF_F_NO_PREALLOC grows
 * it on demand.  Either way max_entries elements at most: inserting one
 * more is -E2BIG.
 *
 * Concurrency.  Buckets are guarded by striped mutexes (bucket b uses lock
 * b mod nlocks, nlocks <= 256), which plays the part of the kernel's
 * per-bucket spinlocks: updates, deletes and lookups of keys in different
 * stripes proceed in parallel.  A program's lookup (bpfbox_map__elem) of
 * a plain or per-CPU hash takes no lock, as the kernel's under RCU: each
 * stripe has a sequence count, odd while an element is being unlinked
 * from one of its chains; the reader walks the chain (next pointers and
 * hashes read atomically) and keeps what it found only if the count was
 * even and unchanged, else it walks again (and after a few tries takes
 * the lock).  Walking a chain that changes under it is memory-safe
 * because elements are never freed while the map lives (pool.c): a reader
 * that followed an element into its new chain just tries again.  Inserts
 * need no count: a fully written element is published by one release
 * store of its bucket's head.  User-space lookups take the stripe lock;
 * their copies of values are made under it, so they are atomic with
 * respect to user-space updates.  An
 * existing element is updated in place (the kernel swaps in a new element
 * for non-per-CPU maps): a program reading the value through its pointer
 * may see a half-written value, as with arrays.  Bucket heads are also
 * read without the lock (atomically) to skip empty buckets quickly.
 *
 * LRU.  The LRU types use a single lock (nlocks = 1) that also guards one
 * list of all elements, most recently used first.  A program lookup
 * (bpfbox_map__elem) or any update moves the element to the front; a
 * user-space lookup does not (the kernel's syscall lookup does not set the
 * reference bit either).  When the map is full, inserting a new key evicts
 * the element at the back — exactly the least recently used, one at a
 * time.  The kernel approximates this with per-CPU free lists, active and
 * inactive lists and batch eviction (LOCAL_FREE_TARGET = 128), so it may
 * evict earlier and in a different order; an LRU map never holds more than
 * max_entries elements in either.  BPF_F_NO_COMMON_LRU is accepted and
 * rounds max_entries up to a multiple of nr_cpus like the kernel, but
 * keeps one common list.
 *
 * bpf_for_each_map_elem walks the pool rather than the buckets, holding no
 * lock while the callback runs (it may update or delete); like the
 * kernel's RCU walk over preallocated elements, an element deleted and
 * reused meanwhile may be visited with its new key.  The user-space
 * iterator copies each bucket under its lock instead.
 *
 * Iteration (get_next_key, batches) walks buckets in index order; the
 * kernel's order differs because its hash function and seed differ.
 * BPF_F_ZERO_SEED makes ours repeatable.
 */
#include "map.h"

struct htab_elem {
	struct htab_elem *next; /* bucket chain; free-list link while free (pool.c) */
	struct htab_elem *lru_prev, *lru_next;
	uint32_t hash;
	uint32_t live; /* atomic; 1 while linked into a bucket */
	uint8_t data[]; /* key (rounded to 8), then the value area */
};

struct htab {
	struct bpfbox_map map;
	struct map_pool pool;
	struct htab_elem **buckets;
	uint32_t n_buckets;
	uint32_t nlocks; /* power of two */
	pthread_mutex_t *locks;
	uint32_t *seqs;  /* per stripe: odd while a chain of it is changing */
	uint32_t nlocks_init;
	uint32_t seed;
	uint32_t count; /* atomic: live elements */
	uint32_t key_round;
	uint32_t stride; /* bytes per value copy */
	uint32_t copies; /* nr_cpus for per-CPU maps, else 1 */
	bool percpu, lru, ptrs;
	struct htab_elem *lru_head, *lru_tail; /* under locks[0] */
};

#define HT(m) ((struct htab *)(m))

static inline uint8_t *elem_value(const struct htab *h, struct htab_elem *e)
{
	return e->data + h->key_round;
}

static inline pthread_mutex_t *bucket_lock(struct htab *h, uint32_t b)
{
	return &h->locks[b & (h->nlocks - 1)];
}

static inline struct htab_elem *bucket_head(struct htab *h, uint32_t b)
{
	return __atomic_load_n(&h->buckets[b], __ATOMIC_ACQUIRE);
}

static inline void set_bucket_head(struct htab *h, uint32_t b, struct htab_elem *e)
{
	__atomic_store_n(&h->buckets[b], e, __ATOMIC_RELEASE);
}

/* ---- creation ------------------------------------------------------------------ */

static int htab_check(const struct map_attr *a)
{
	bool hom = a->type == BPFBOX_MAP_TYPE_HASH_OF_MAPS;
	if (hom && a->value_size != 4)
		return map_reject(a, -EINVAL, "value_size %u (must be 4: the slots hold handles)",
				  a->value_size);
	int err = map_htab_check(a);
	if (!err && hom)
		err = map_inner_check(a);
	return err;
}

static void htab_free(struct bpfbox_map *m)
{
	struct htab *h = HT(m);
	if (h->ptrs && h->buckets)
		for (uint32_t b = 0; b < h->n_buckets; b++)
			for (struct htab_elem *e = h->buckets[b]; e; e = e->next) {
				void *p;
				memcpy(&p, elem_value(h, e), sizeof(p));
				map_put(p);
			}
	pool_fini(&h->pool);
	for (uint32_t i = 0; i < h->nlocks_init; i++)
		pthread_mutex_destroy(&h->locks[i]);
	map_zfree(m, h->locks, (uint64_t)h->nlocks * sizeof(pthread_mutex_t));
	map_zfree(m, h->seqs, (uint64_t)h->nlocks * sizeof(uint32_t));
	map_zfree(m, h->buckets, (uint64_t)h->n_buckets * sizeof(*h->buckets));
}

static uint32_t roundup_pow2(uint32_t x)
{
	uint32_t r = 1;
	while (r < x)
		r <<= 1;
	return r;
}

static int htab_alloc(const struct map_attr *a0, struct bpfbox_map **out)
{
	struct map_attr a = *a0;
	if (a.map_flags & BPFBOX_F_NO_COMMON_LRU) {
		/* the kernel gives every CPU's list the same number of elements */
		uint64_t up = ((uint64_t)a.max_entries + a.nr_cpus - 1) / a.nr_cpus * a.nr_cpus;
		a.max_entries = up <= UINT32_MAX ? (uint32_t)up
						 : a.max_entries / a.nr_cpus * a.nr_cpus;
	}
	if (a.max_entries > (1u << 31))
		return map_reject(&a, -E2BIG, "max_entries %u too big", a.max_entries);
	uint32_t n_buckets = roundup_pow2(a.max_entries);
	/* the kernel's 16-byte buckets must stay below 4 GiB */
	if (n_buckets > UINT32_MAX / 16)
		return map_reject(&a, -E2BIG, "max_entries %u: too many buckets", a.max_entries);

	const struct map_ops *ops = a.type == BPFBOX_MAP_TYPE_HASH_OF_MAPS ? &map_hash_of_maps_ops
									   : &map_htab_ops;
	struct bpfbox_map *m = map_container_new(&a, ops, sizeof(struct htab));
	if (!m)
		return -ENOMEM;
	struct htab *h = HT(m);
	h->percpu = map_is_percpu(a.type);
	h->lru = a.type == BPFBOX_MAP_TYPE_LRU_HASH || a.type == BPFBOX_MAP_TYPE_LRU_PERCPU_HASH;
	h->ptrs = a.type == BPFBOX_MAP_TYPE_HASH_OF_MAPS;
	h->copies = h->percpu ? a.nr_cpus : 1;
	h->stride = h->ptrs ? (uint32_t)sizeof(void *) : ROUND8(a.value_size);
	h->key_round = ROUND8(a.key_size);
	h->n_buckets = n_buckets;
	h->nlocks = h->lru ? 1 : (n_buckets < 256 ? n_buckets : 256);
	h->seed = (a.map_flags & BPFBOX_F_ZERO_SEED) ? 0 : map_random_seed(h);
	int err = -ENOMEM;
	h->locks = map_zalloc(m, (uint64_t)h->nlocks * sizeof(pthread_mutex_t));
	h->seqs = map_zalloc(m, (uint64_t)h->nlocks * sizeof(uint32_t));
	h->buckets = map_zalloc(m, (uint64_t)n_buckets * sizeof(*h->buckets));
	if (!h->locks || !h->seqs || !h->buckets)
		goto fail;
	for (; h->nlocks_init < h->nlocks; h->nlocks_init++)
		if (pthread_mutex_init(&h->locks[h->nlocks_init], NULL))
			goto fail;
	size_t slot = sizeof(struct htab_elem) + h->key_round + (size_t)h->stride * h->copies;
	bool prealloc = !(a.map_flags & BPFBOX_F_NO_PREALLOC);
	err = pool_init(&h->pool, m, slot, a.max_entries, offsetof(struct htab_elem, live),
			prealloc);
	if (err)
		goto fail;
	*out = m;
	return 0;
fail:
	map_put(m);
	return map_reject(&a, err, "%s", "out of memory or above the memory limit");
}

/* ---- the core: find, insert, delete under the bucket lock ---------------------- */

/* Key equality; the common key sizes without a call to memcmp. */
static inline bool key_eq(const void *a, const void *b, uint32_t n)
{
	if (n == 4) {
		uint32_t x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return x == y;
	}
	if (n == 8) {
		uint64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	return !memcmp(a, b, n);
}

static struct htab_elem *find(struct htab *h, uint32_t b, const void *key, uint32_t hash,
			      struct htab_elem **prev)
{
	struct htab_elem *p = NULL;
	for (struct htab_elem *e = h->buckets[b]; e; p = e, e = e->next)
		if (e->hash == hash && key_eq(e->data, key, h->map.key_size)) {
			if (prev)
				*prev = p;
			return e;
		}
	return NULL;
}

static void lru_unlink(struct htab *h, struct htab_elem *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		h->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		h->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(struct htab *h, struct htab_elem *e)
{
	e->lru_prev = NULL;
	e->lru_next = h->lru_head;
	if (h->lru_head)
		h->lru_head->lru_prev = e;
	else
		h->lru_tail = e;
	h->lru_head = e;
}

static void lru_touch(struct htab *h, struct htab_elem *e)
{
	if (h->lru_head != e) {
		lru_unlink(h, e);
		lru_push_front(h, e);
	}
}

/* Remove e (found with predecessor prev) from bucket b.  Lock held.  The
 * stripe's count is odd meanwhile, so a lock-free reader that saw the
 * chain before or during the change walks it again. */
static void unlink_elem(struct htab *h, uint32_t b, struct htab_elem *e, struct htab_elem *prev)
{
	uint32_t *seq = &h->seqs[b & (h->nlocks - 1)];
	uint32_t sq = *seq;
	__atomic_store_n(seq, sq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE); /* odd before the chain changes */
	if (prev)
		__atomic_store_n(&prev->next, e->next, __ATOMIC_RELAXED);
	else
		set_bucket_head(h, b, e->next);
	__atomic_store_n(seq, sq + 2, __ATOMIC_RELEASE);
	pool_set_live(&h->pool, e, 0);
	__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
	if (h->lru)
		lru_unlink(h, e);
}

/* LRU: take the least recently used element out to reuse its slot.  The
 * single map lock is held. */
static struct htab_elem *lru_evict(struct htab *h)
{
	struct htab_elem *v = h->lru_tail;
	if (!v)
		return NULL;
	uint32_t b = v->hash & (h->n_buckets - 1);
	struct htab_elem *prev = NULL;
	for (struct htab_elem *e = h->buckets[b]; e != v; e = e->next)
		prev = e;
	unlink_elem(h, b, v, prev);
	return v;
}

enum upd_mode {
	UPD_USER, /* value_buf_size bytes: every CPU's copy */
	UPD_PROG, /* one value_size value for copy `cpu` */
	UPD_PTR,  /* a pointer */
};

static void write_value(struct htab *h, struct htab_elem *e, const void *src, enum upd_mode mode,
			uint32_t cpu, bool fresh, void **old_ptr)
{
	uint8_t *v = elem_value(h, e);
	switch (mode) {
	case UPD_USER:
		memcpy(v, src, h->map.value_buf_size);
		break;
	case UPD_PROG:
		/* Only per-CPU maps have a copy per CPU: a plain hash has one
		 * value whatever CPU the program runs on. */
		if (fresh && h->percpu)
			memset(v, 0, (size_t)h->stride * h->copies);
		memcpy(v + (h->percpu ? (size_t)cpu * h->stride : 0), src, h->map.value_size);
		break;
	case UPD_PTR:
		if (old_ptr && !fresh)
			memcpy(old_ptr, v, sizeof(void *));
		memcpy(v, &src, sizeof(void *));
		break;
	}
}

static int update_core(struct htab *h, const void *key, const void *src, uint64_t flags,
		       enum upd_mode mode, uint32_t cpu, void **old_ptr)
{
	if (flags > BPFBOX_EXIST)
		return -EINVAL;
	if (mode == UPD_PROG && cpu >= h->copies && h->percpu)
		return -EINVAL;
	uint32_t hash = map_hash(key, h->map.key_size, h->seed);
	uint32_t b = hash & (h->n_buckets - 1);
	int err = 0;
	pthread_mutex_lock(bucket_lock(h, b));
	struct htab_elem *e = find(h, b, key, hash, NULL);
	if (e && flags == BPFBOX_NOEXIST) {
		err = -EEXIST;
		goto out;
	}
	if (!e && flags == BPFBOX_EXIST) {
		err = -ENOENT;
		goto out;
	}
	if (e) {
		write_value(h, e, src, mode, cpu, false, old_ptr);
		if (h->lru)
			lru_touch(h, e);
		goto out;
	}
	e = pool_get(&h->pool, &err);
	if (!e && h->lru && err == -E2BIG)
		e = lru_evict(h);
	if (!e)
		goto out;
	err = 0;
	__atomic_store_n(&e->hash, hash, __ATOMIC_RELAXED);
	memcpy(e->data, key, h->map.key_size);
	write_value(h, e, src, mode, cpu, true, NULL);
	__atomic_store_n(&e->next, h->buckets[b], __ATOMIC_RELAXED);
	set_bucket_head(h, b, e); /* publishes the element (release) */
	pool_set_live(&h->pool, e, 1);
	__atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED);
	if (h->lru)
		lru_push_front(h, e);
out:
	pthread_mutex_unlock(bucket_lock(h, b));
	return err;
}

/* Delete key; copy its value (value_buf_size bytes) or pointer first when
 * asked. */
static int delete_core(struct htab *h, const void *key, void *copy, void **old_ptr)
{
	uint32_t hash = map_hash(key, h->map.key_size, h->seed);
	uint32_t b = hash & (h->n_buckets - 1);
	pthread_mutex_lock(bucket_lock(h, b));
	struct htab_elem *prev = NULL, *e = find(h, b, key, hash, &prev);
	if (!e) {
		pthread_mutex_unlock(bucket_lock(h, b));
		return -ENOENT;
	}
	if (copy)
		memcpy(copy, elem_value(h, e), h->map.value_buf_size);
	if (old_ptr)
		memcpy(old_ptr, elem_value(h, e), sizeof(void *));
	unlink_elem(h, b, e, prev);
	pthread_mutex_unlock(bucket_lock(h, b));
	pool_put(&h->pool, e);
	return 0;
}

/* ---- user-space face ------------------------------------------------------------ */

static int htab_lookup(struct bpfbox_map *m, const void *key, void *value)
{
	struct htab *h = HT(m);
	if (h->ptrs)
		return -EOPNOTSUPP; /* the kernel returns an id; bpfbox has lookup_ptr */
	uint32_t hash = map_hash(key, m->key_size, h->seed);
	uint32_t b = hash & (h->n_buckets - 1);
	pthread_mutex_lock(bucket_lock(h, b));
	struct htab_elem *e = find(h, b, key, hash, NULL);
	if (e)
		memcpy(value, elem_value(h, e), m->value_buf_size);
	pthread_mutex_unlock(bucket_lock(h, b));
	return e ? 0 : -ENOENT;
}

static int htab_update(struct bpfbox_map *m, const void *key, const void *value, uint64_t flags)
{
	if (HT(m)->ptrs)
		return -EOPNOTSUPP; /* the kernel takes an fd; bpfbox has update_ptr */
	return update_core(HT(m), key, value, flags, UPD_USER, 0, NULL);
}

static int htab_delete(struct bpfbox_map *m, const void *key)
{
	struct htab *h = HT(m);
	void *old = NULL;
	int err = delete_core(h, key, NULL, h->ptrs ? &old : NULL);
	if (!err && h->ptrs)
		map_put(old);
	return err;
}

static int htab_lookup_and_delete(struct bpfbox_map *m, const void *key, void *value)
{
	if (HT(m)->ptrs)
		return -BPFBOX_ENOTSUPP;
	return delete_core(HT(m), key, value, NULL);
}

static int htab_get_next_key(struct bpfbox_map *m, const void *key, void *next)
{
	struct htab *h = HT(m);
	uint32_t b = 0;
	if (key) {
		uint32_t hash = map_hash(key, m->key_size, h->seed);
		uint32_t kb = hash & (h->n_buckets - 1);
		pthread_mutex_lock(bucket_lock(h, kb));
		struct htab_elem *e = find(h, kb, key, hash, NULL);
		if (e && e->next) {
			memcpy(next, e->next->data, m->key_size);
			pthread_mutex_unlock(bucket_lock(h, kb));
			return 0;
		}
		pthread_mutex_unlock(bucket_lock(h, kb));
		/* not found: start over from the first bucket, like the kernel */
		b = e ? kb + 1 : 0;
	}
	for (; b < h->n_buckets; b++) {
		if (!bucket_head(h, b))
			continue;
		pthread_mutex_lock(bucket_lock(h, b));
		struct htab_elem *e = h->buckets[b];
		if (e)
			memcpy(next, e->data, m->key_size);
		pthread_mutex_unlock(bucket_lock(h, b));
		if (e)
			return 0;
	}
	return -ENOENT;
}

/* The kernel's htab_map_lookup_batch: whole buckets at a time, the cursor
 * is the next bucket index. */
static int htab_lookup_batch(struct bpfbox_map *m, const struct bpfbox_map_batch *in,
			     struct bpfbox_map_batch *out, void *keys, void *values,
			     uint32_t *count, bool del)
{
	struct htab *h = HT(m);
	uint32_t max = *count, total = 0;
	if (!max)
		return 0;
	*count = 0;
	uint64_t batch = in ? in->opaque[0] : 0;
	if (batch >= h->n_buckets)
		return -ENOENT;
	int ret = 0;
	for (;;) {
		uint32_t cnt = 0;
		struct htab_elem *freed = NULL;
		if (bucket_head(h, (uint32_t)batch)) {
			uint32_t b = (uint32_t)batch;
			pthread_mutex_lock(bucket_lock(h, b));
			for (struct htab_elem *e = h->buckets[b]; e; e = e->next)
				cnt++;
			if (cnt > max - total) {
				if (total == 0)
					ret = -ENOSPC;
				pthread_mutex_unlock(bucket_lock(h, b));
				break;
			}
			uint32_t i = total;
			for (struct htab_elem *e = h->buckets[b]; e; e = e->next, i++) {
				memcpy((uint8_t *)keys + (size_t)i * m->key_size, e->data, m->key_size);
				memcpy((uint8_t *)values + (size_t)i * m->value_buf_size,
				       elem_value(h, e), m->value_buf_size);
			}
			if (del) {
				while (h->buckets[b]) {
					struct htab_elem *e = h->buckets[b];
					unlink_elem(h, b, e, NULL);
					e->lru_next = freed; /* unlinked: reuse as a list link */
					freed = e;
				}
			}
			pthread_mutex_unlock(bucket_lock(h, b));
			while (freed) {
				struct htab_elem *n = freed->lru_next;
				freed->lru_next = NULL;
				pool_put(&h->pool, freed);
				freed = n;
			}
		}
		total += cnt;
		batch++;
		if (batch >= h->n_buckets) {
			ret = -ENOENT;
			break;
		}
	}
	*count = total;
	if (out)
		out->opaque[0] = batch;
	return ret;
}

/* User-space iteration: copy a bucket under its lock, call back without. */
static int htab_iterate(struct bpfbox_map *m, bpfbox_map_iter_fn cb, void *ud)
{
	struct htab *h = HT(m);
	size_t vsz = h->ptrs ? sizeof(void *) : m->value_buf_size;
	size_t esz = ROUND8(m->key_size) + ROUND8((uint32_t)vsz);
	uint8_t *buf = NULL;
	size_t cap = 0;
	int ret = 0;
	for (uint32_t b = 0; b < h->n_buckets && !ret; b++) {
		if (!bucket_head(h, b))
			continue;
		uint32_t cnt;
		for (;;) {
			pthread_mutex_lock(bucket_lock(h, b));
			cnt = 0;
			for (struct htab_elem *e = h->buckets[b]; e; e = e->next)
				cnt++;
			if ((size_t)cnt * esz <= cap)
				break;
			pthread_mutex_unlock(bucket_lock(h, b));
			size_t ncap = (size_t)cnt * esz * 2;
			uint8_t *nb = util_realloc(&m->alloc, buf, cap, ncap);
			if (!nb) {
				util_free(&m->alloc, buf, cap);
				return -ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		uint8_t *p = buf;
		for (struct htab_elem *e = h->buckets[b]; e; e = e->next, p += esz) {
			memcpy(p, e->data, m->key_size);
			memcpy(p + ROUND8(m->key_size), elem_value(h, e), vsz);
		}
		pthread_mutex_unlock(bucket_lock(h, b));
		p = buf;
		for (uint32_t i = 0; i < cnt && !ret; i++, p += esz)
			ret = cb(p, p + ROUND8(m->key_size), ud);
	}
	util_free(&m->alloc, buf, cap);
	return ret;
}

static int htab_update_ptr(struct bpfbox_map *m, const void *key, void *ptr, uint64_t flags)
{
	struct htab *h = HT(m);
	if (map_inner_compatible(m, ptr))
		return -EINVAL;
	bpfbox_map__get(ptr);
	void *old = NULL;
	int err = update_core(h, key, ptr, flags, UPD_PTR, 0, &old);
	if (err)
		map_put(ptr);
	else
		map_put(old);
	return err;
}

static int htab_lookup_ptr(struct bpfbox_map *m, const void *key, void **ptr)
{
	struct htab *h = HT(m);
	uint32_t hash = map_hash(key, m->key_size, h->seed);
	uint32_t b = hash & (h->n_buckets - 1);
	pthread_mutex_lock(bucket_lock(h, b));
	struct htab_elem *e = find(h, b, key, hash, NULL);
	if (e)
		memcpy(ptr, elem_value(h, e), sizeof(void *));
	pthread_mutex_unlock(bucket_lock(h, b));
	return e ? 0 : -ENOENT;
}

/* ---- program face ---------------------------------------------------------------- */

/* find() without the lock, for non-LRU maps (see the essay).  The walk is
 * bounded: a chain seen while elements move may not end. */
static struct htab_elem *find_nolock(struct htab *h, uint32_t b, const void *key, uint32_t hash)
{
	const uint32_t *seq = &h->seqs[b & (h->nlocks - 1)];
	for (int tries = 0; tries < 8; tries++) {
		uint32_t s0 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
		if (s0 & 1)
			continue;
		struct htab_elem *found = NULL;
		uint32_t steps = 0;
		for (struct htab_elem *e = bucket_head(h, b); e && steps <= h->map.max_entries;
		     e = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE), steps++)
			if (__atomic_load_n(&e->hash, __ATOMIC_RELAXED) == hash &&
			    key_eq(e->data, key, h->map.key_size)) {
				found = e;
				break;
			}
		__atomic_thread_fence(__ATOMIC_ACQUIRE); /* the walk's loads before the re-check */
		if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s0)
			return found;
	}
	pthread_mutex_lock(bucket_lock(h, b));
	struct htab_elem *e = find(h, b, key, hash, NULL);
	pthread_mutex_unlock(bucket_lock(h, b));
	return e;
}

static void *htab_elem(struct bpfbox_map *m, const void *key, uint32_t cpu)
{
	struct htab *h = HT(m);
	if (h->ptrs || (h->percpu && cpu >= h->copies))
		return NULL;
	uint32_t hash = map_hash(key, m->key_size, h->seed);
	uint32_t b = hash & (h->n_buckets - 1);
	struct htab_elem *e;
	if (h->lru) {
		pthread_mutex_lock(bucket_lock(h, b));
		e = find(h, b, key, hash, NULL);
		if (e)
			lru_touch(h, e);
		pthread_mutex_unlock(bucket_lock(h, b));
	} else {
		e = find_nolock(h, b, key, hash);
	}
	if (!e)
		return NULL;
	return elem_value(h, e) + (h->percpu ? (size_t)cpu * h->stride : 0);
}

/* htab_elem of a plain hash map (not LRU, not per-CPU, not of maps): the
 * hash, then the lock-free walk */
static void *htab_elem_plain(struct bpfbox_map *m, const void *key)
{
	struct htab *h = HT(m);
	uint32_t hash = map_hash(key, m->key_size, h->seed);
	struct htab_elem *e = find_nolock(h, hash & (h->n_buckets - 1), key, hash);
	return e ? elem_value(h, e) : NULL;
}

static bpfbox_map_lookup_fn htab_lookup_fn(const struct bpfbox_map *m)
{
	const struct htab *h = HT(m);
	return h->ptrs || h->percpu || h->lru ? NULL : htab_elem_plain;
}

static void *htab_get_ptr(struct bpfbox_map *m, const void *key)
{
	void *p = NULL;
	if (!HT(m)->ptrs || htab_lookup_ptr(m, key, &p))
		return NULL;
	return p;
}

static int htab_update_elem(struct bpfbox_map *m, const void *key, const void *value,
			    uint64_t flags, uint32_t cpu)
{
	if (HT(m)->ptrs)
		return -EOPNOTSUPP;
	return update_core(HT(m), key, value, flags, UPD_PROG, cpu, NULL);
}

static int htab_delete_elem(struct bpfbox_map *m, const void *key)
{
	if (HT(m)->ptrs)
		return -EOPNOTSUPP;
	return delete_core(HT(m), key, NULL, NULL);
}

/* bpf_for_each_map_elem: walk the pool, not the buckets, so that no lock
 * is held while the callback runs (it may update or delete). */
static long htab_for_each_elem(struct bpfbox_map *m, bpfbox_map_elem_fn cb, void *ud,
			       uint32_t cpu)
{
	struct htab *h = HT(m);
	if (h->ptrs)
		return -EOPNOTSUPP;
	size_t off = h->percpu ? (size_t)cpu * h->stride : 0;
	uint32_t c = 0, i = 0;
	long n = 0;
	struct htab_elem *e;
	while ((e = pool_next(&h->pool, &c, &i))) {
		if (!pool_slot_live(&h->pool, e))
			continue;
		n++;
		if (cb(m, e->data, elem_value(h, e) + off, ud))
			break;
	}
	return n;
}

static bool htab_contains(const struct bpfbox_map *m, uint64_t addr, uint64_t len)
{
	const struct htab *h = (const struct htab *)m;
	if (h->ptrs)
		return false;
	struct htab_elem *e = pool_find(&h->pool, addr);
	if (!e || !pool_slot_live(&h->pool, e))
		return false;
	uint8_t *v = elem_value(h, e);
	if (!map_range_in(addr, len, v, (uint64_t)h->stride * h->copies))
		return false;
	uint64_t in = (addr - (uint64_t)(uintptr_t)v) % h->stride;
	return in + len <= m->value_size;
}

const struct map_ops map_htab_ops = {
	.check = htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = htab_lookup,
	.update = htab_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.lookup_and_delete = htab_lookup_and_delete,
	.lookup_batch = htab_lookup_batch,
	.generic_update_batch = true,
	.generic_delete_batch = true,
	.iterate = htab_iterate,
	.elem = htab_elem,
	.lookup_fn = htab_lookup_fn,
	.update_elem = htab_update_elem,
	.delete_elem = htab_delete_elem,
	.for_each_elem = htab_for_each_elem,
	.contains = htab_contains,
};

const struct map_ops map_hash_of_maps_ops = {
	.check = htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = htab_lookup,
	.update = htab_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.lookup_and_delete = htab_lookup_and_delete,
	.iterate = htab_iterate,
	.update_ptr = htab_update_ptr,
	.lookup_ptr = htab_lookup_ptr,
	.get_ptr = htab_get_ptr,
};
