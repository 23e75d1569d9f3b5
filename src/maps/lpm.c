/* bpfbox — maps/lpm.c: lpm_trie (longest-prefix match).
 *
 * Keys are `struct { u32 prefixlen; u8 data[key_size - 4]; }`, data in
 * network (most significant bit first) order.  The trie is a binary,
 * path-compressed trie like the kernel's: a node holds a prefix (length
 * and data) and two children indexed by the first bit after its prefix;
 * a node that only joins two subtrees is an "intermediate" node, not an
 * entry, and always has two children.  Lookup walks down while the node's
 * whole prefix matches the key and remembers the last entry passed: that
 * is the longest matching prefix.  Entries hold their value after the data.
 *
 * Kernel behaviour kept: BPF_F_NO_PREALLOC is required; prefixlen above
 * 8 * (key_size - 4) is -EINVAL for update and delete (a lookup with it
 * finds nothing); BPF_NOEXIST/BPF_EXIST are honoured (-EEXIST/-ENOENT);
 * inserting a new entry into a full trie is -ENOSPC while replacing one is
 * allowed; get_next_key returns entries in post-order (longer prefixes
 * before the prefixes containing them, 0-branch before 1-branch), starting
 * over at the first entry for a NULL or absent key; only the first
 * prefixlen bits of a key matter when matching, but an inserted key's data
 * is stored (and returned by get_next_key) as given.
 *
 * Nodes come from a growing pool (pool.c) of at most 2 * max_entries
 * slots (entries plus intermediates), so a value pointer stays valid
 * memory after a delete.  A read-write lock guards the trie: lookups and
 * copies share it, updates and deletes take it exclusively.
 */
#include "map.h"

#define LPM_DATA_MAX 256
#define LPM_VALUE_MAX (MAP_KMALLOC_MAX - LPM_DATA_MAX - 24)
#define LPM_IM 1u /* intermediate node */

struct lpm_node {
	struct lpm_node *child[2]; /* child[0] doubles as the free-list link */
	uint32_t prefixlen;
	uint32_t flags;
	uint32_t live; /* atomic: 1 while the node is an entry of the trie */
	uint32_t pad;
	uint8_t data[]; /* data_size bytes, then the value at value_off */
};

struct lpm_trie {
	struct bpfbox_map map;
	struct map_pool pool;
	pthread_rwlock_t lock;
	bool lock_init;
	struct lpm_node *root;
	uint32_t n_entries;
	uint32_t data_size, max_prefixlen, value_off;
};

#define LPM(m) ((struct lpm_trie *)(m))

static int lpm_check(const struct map_attr *a)
{
	const uint32_t mask = BPFBOX_F_NO_PREALLOC | BPFBOX_F_NUMA_NODE | MAP_ACCESS_MASK;
	if (a->max_entries == 0)
		return map_reject(a, -EINVAL, "max_entries 0");
	if (!(a->map_flags & BPFBOX_F_NO_PREALLOC))
		return map_reject(a, -EINVAL, "map_flags: lpm_trie requires BPF_F_NO_PREALLOC");
	if ((a->map_flags & ~mask) || !map_flags_access_ok(a->map_flags))
		return map_reject(a, -EINVAL, "map_flags 0x%x not allowed (allowed: 0x%x)",
				  a->map_flags, mask);
	if (a->key_size < 4 + 1 || a->key_size > 4 + LPM_DATA_MAX)
		return map_reject(a, -EINVAL, "key_size %u (must be 4 + 1..%u data bytes)",
				  a->key_size, LPM_DATA_MAX);
	if (a->value_size < 1 || a->value_size > LPM_VALUE_MAX)
		return map_reject(a, -EINVAL, "value_size %u (must be 1..%u)", a->value_size,
				  LPM_VALUE_MAX);
	return 0;
}

static void lpm_free(struct bpfbox_map *m)
{
	struct lpm_trie *t = LPM(m);
	pool_fini(&t->pool);
	if (t->lock_init)
		pthread_rwlock_destroy(&t->lock);
}

static int lpm_alloc(const struct map_attr *a, struct bpfbox_map **out)
{
	struct bpfbox_map *m = map_container_new(a, &map_lpm_ops, sizeof(struct lpm_trie));
	if (!m)
		return -ENOMEM;
	struct lpm_trie *t = LPM(m);
	t->data_size = a->key_size - 4;
	t->max_prefixlen = t->data_size * 8;
	t->value_off = ROUND8(t->data_size);
	uint64_t cap = (uint64_t)a->max_entries * 2;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	int err = pool_init(&t->pool, m, sizeof(struct lpm_node) + t->value_off + a->value_size,
			    (uint32_t)cap, offsetof(struct lpm_node, live), false);
	if (err || pthread_rwlock_init(&t->lock, NULL)) {
		map_put(m);
		return map_reject(a, -ENOMEM, "out of memory");
	}
	t->lock_init = true;
	*out = m;
	return 0;
}

/* ---- bits ------------------------------------------------------------------------ */

static inline uint32_t key_prefixlen(const void *key)
{
	uint32_t p;
	memcpy(&p, key, 4);
	return p;
}

static inline const uint8_t *key_data(const void *key)
{
	return (const uint8_t *)key + 4;
}

static inline unsigned bit_at(const uint8_t *data, uint32_t i)
{
	return (data[i / 8] >> (7 - i % 8)) & 1;
}

/* Number of leading bits node and key share, up to the shorter prefix. */
static uint32_t match_len(const struct lpm_node *n, uint32_t kplen, const uint8_t *kd)
{
	uint32_t limit = n->prefixlen < kplen ? n->prefixlen : kplen, i = 0;
	while (i + 8 <= limit && n->data[i / 8] == kd[i / 8])
		i += 8;
	while (i < limit && bit_at(n->data, i) == bit_at(kd, i))
		i++;
	return i;
}

static inline uint8_t *node_value(const struct lpm_trie *t, struct lpm_node *n)
{
	return n->data + t->value_off;
}

/* ---- lookup ----------------------------------------------------------------------- */

/* Longest-prefix match; lock held (either way). */
static struct lpm_node *lpm_match(struct lpm_trie *t, const void *key)
{
	uint32_t kplen = key_prefixlen(key);
	const uint8_t *kd = key_data(key);
	struct lpm_node *found = NULL;
	if (kplen > t->max_prefixlen)
		return NULL;
	for (struct lpm_node *n = t->root; n;) {
		uint32_t m = match_len(n, kplen, kd);
		if (m < n->prefixlen)
			break;
		if (!(n->flags & LPM_IM))
			found = n;
		if (n->prefixlen >= kplen)
			break;
		n = n->child[bit_at(kd, n->prefixlen)];
	}
	return found;
}

static int lpm_lookup(struct bpfbox_map *m, const void *key, void *value)
{
	struct lpm_trie *t = LPM(m);
	pthread_rwlock_rdlock(&t->lock);
	struct lpm_node *n = lpm_match(t, key);
	if (n)
		memcpy(value, node_value(t, n), m->value_size);
	pthread_rwlock_unlock(&t->lock);
	return n ? 0 : -ENOENT;
}

static void *lpm_elem(struct bpfbox_map *m, const void *key, uint32_t cpu)
{
	struct lpm_trie *t = LPM(m);
	pthread_rwlock_rdlock(&t->lock);
	struct lpm_node *n = lpm_match(t, key);
	pthread_rwlock_unlock(&t->lock);
	return n ? node_value(t, n) : NULL;
}

/* ---- update ------------------------------------------------------------------------ */

static struct lpm_node *new_node(struct lpm_trie *t, uint32_t plen, const uint8_t *data,
				 int *err)
{
	struct lpm_node *n = pool_get(&t->pool, err);
	if (!n)
		return NULL;
	n->child[0] = n->child[1] = NULL;
	n->prefixlen = plen;
	n->flags = 0;
	memcpy(n->data, data, t->data_size);
	return n;
}

static void free_node(struct lpm_trie *t, struct lpm_node *n)
{
	pool_set_live(&t->pool, n, 0);
	pool_put(&t->pool, n);
}

static int lpm_update(struct bpfbox_map *m, const void *key, const void *value, uint64_t flags)
{
	struct lpm_trie *t = LPM(m);
	uint32_t kplen = key_prefixlen(key);
	const uint8_t *kd = key_data(key);
	if (flags > BPFBOX_EXIST)
		return -EINVAL;
	if (kplen > t->max_prefixlen)
		return -EINVAL;
	int err = 0;
	pthread_rwlock_wrlock(&t->lock);
	struct lpm_node **slot = &t->root, *n;
	uint32_t m_len = 0;
	/* descend while the node's prefix is a proper prefix of the key */
	while ((n = *slot)) {
		m_len = match_len(n, kplen, kd);
		if (n->prefixlen != m_len || n->prefixlen == kplen || n->prefixlen == t->max_prefixlen)
			break;
		slot = &n->child[bit_at(kd, n->prefixlen)];
	}
	bool exact = n && n->prefixlen == m_len && n->prefixlen == kplen;
	if (exact && !(n->flags & LPM_IM)) {
		/* an existing entry: replace its value in place; the key's bits
		 * past prefixlen are the new key's, as when the kernel swaps in
		 * a new node (they do not affect matching) */
		if (flags == BPFBOX_NOEXIST) {
			err = -EEXIST;
		} else {
			memcpy(n->data, kd, t->data_size);
			memcpy(node_value(t, n), value, m->value_size);
		}
		goto out;
	}
	if (flags == BPFBOX_EXIST) {
		err = -ENOENT;
		goto out;
	}
	if (t->n_entries == m->max_entries) {
		err = -ENOSPC;
		goto out;
	}
	struct lpm_node *nn = new_node(t, kplen, kd, &err);
	if (!nn)
		goto out;
	memcpy(node_value(t, nn), value, m->value_size);
	if (!n) {
		/* an empty slot */
		*slot = nn;
	} else if (exact) {
		/* an intermediate node with this prefix becomes an entry */
		nn->child[0] = n->child[0];
		nn->child[1] = n->child[1];
		*slot = nn;
		free_node(t, n);
	} else if (m_len == kplen) {
		/* the new prefix contains the node: it goes above it */
		nn->child[bit_at(n->data, kplen)] = n;
		*slot = nn;
	} else {
		/* they differ at bit m_len: join them under an intermediate node */
		struct lpm_node *im = new_node(t, m_len, n->data, &err);
		if (!im) {
			pool_put(&t->pool, nn);
			goto out;
		}
		im->flags = LPM_IM;
		unsigned b = bit_at(kd, m_len);
		im->child[b] = nn;
		im->child[!b] = n;
		*slot = im;
	}
	pool_set_live(&t->pool, nn, 1);
	t->n_entries++;
out:
	pthread_rwlock_unlock(&t->lock);
	return err;
}

static int lpm_delete(struct bpfbox_map *m, const void *key)
{
	struct lpm_trie *t = LPM(m);
	uint32_t kplen = key_prefixlen(key);
	const uint8_t *kd = key_data(key);
	if (kplen > t->max_prefixlen)
		return -EINVAL;
	pthread_rwlock_wrlock(&t->lock);
	struct lpm_node **slot = &t->root, **pslot = NULL, *n, *parent = NULL;
	uint32_t m_len = 0;
	while ((n = *slot)) {
		m_len = match_len(n, kplen, kd);
		if (n->prefixlen != m_len || n->prefixlen == kplen)
			break;
		parent = n;
		pslot = slot;
		slot = &n->child[bit_at(kd, n->prefixlen)];
	}
	if (!n || n->prefixlen != kplen || m_len != kplen || (n->flags & LPM_IM)) {
		pthread_rwlock_unlock(&t->lock);
		return -ENOENT;
	}
	t->n_entries--;
	if (n->child[0] && n->child[1]) {
		/* still joins two subtrees: keep it as an intermediate node */
		pool_set_live(&t->pool, n, 0);
		n->flags |= LPM_IM;
	} else if (parent && (parent->flags & LPM_IM) && !n->child[0] && !n->child[1]) {
		/* a leaf under an intermediate: the sibling takes the parent's place */
		*pslot = parent->child[parent->child[0] == n ? 1 : 0];
		free_node(t, parent);
		free_node(t, n);
	} else {
		*slot = n->child[0] ? n->child[0] : n->child[1];
		free_node(t, n);
	}
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

/* ---- iteration (post-order) --------------------------------------------------------- */

/* The first node of a subtree in post-order: its deepest leftmost leaf
 * (always an entry: intermediate nodes have two children). */
static struct lpm_node *first_postorder(struct lpm_node *n, struct lpm_node **stack, uint32_t *sp)
{
	for (;;) {
		stack[(*sp)++] = n;
		struct lpm_node *c = n->child[0] ? n->child[0] : n->child[1];
		if (!c)
			return n;
		n = c;
	}
}

static int lpm_get_next_key(struct bpfbox_map *m, const void *key, void *next)
{
	struct lpm_trie *t = LPM(m);
	/* a path holds at most max_prefixlen + 1 nodes */
	size_t ssz = sizeof(struct lpm_node *) * ((size_t)t->max_prefixlen + 2);
	struct lpm_node **stack = util_malloc(&m->alloc, ssz);
	if (!stack)
		return -ENOMEM;
	uint32_t sp = 0;
	int err = 0;
	struct lpm_node *n = NULL;
	pthread_rwlock_rdlock(&t->lock);
	if (!t->root) {
		err = -ENOENT;
		goto out;
	}
	if (key && key_prefixlen(key) <= t->max_prefixlen) {
		uint32_t kplen = key_prefixlen(key), m_len = 0;
		const uint8_t *kd = key_data(key);
		for (n = t->root; n;) {
			stack[sp++] = n;
			m_len = match_len(n, kplen, kd);
			if (n->prefixlen != m_len || n->prefixlen == kplen)
				break;
			n = n->child[bit_at(kd, n->prefixlen)];
		}
		if (n && n->prefixlen == m_len && n->prefixlen == kplen && !(n->flags & LPM_IM)) {
			/* found: its post-order successor, skipping intermediates */
			for (;;) {
				struct lpm_node *cur = stack[--sp];
				if (!sp) {
					err = -ENOENT; /* the root was the last */
					goto out;
				}
				struct lpm_node *p = stack[sp - 1];
				if (p->child[0] == cur && p->child[1]) {
					n = first_postorder(p->child[1], stack, &sp);
					break;
				}
				if (!(p->flags & LPM_IM)) {
					n = p;
					break;
				}
			}
			goto copy;
		}
		sp = 0;
	}
	n = first_postorder(t->root, stack, &sp);
copy:
	memcpy(next, &n->prefixlen, 4);
	memcpy((uint8_t *)next + 4, n->data, t->data_size);
out:
	pthread_rwlock_unlock(&t->lock);
	util_free(&m->alloc, stack, ssz);
	return err;
}

/* User-space iteration: snapshot under the read lock, then call back. */
static int lpm_iterate(struct bpfbox_map *m, bpfbox_map_iter_fn cb, void *ud)
{
	struct lpm_trie *t = LPM(m);
	size_t esz = ROUND8(m->key_size) + ROUND8(m->value_size);
	pthread_rwlock_rdlock(&t->lock);
	uint32_t cnt = t->n_entries;
	size_t bytes = (size_t)cnt * esz;
	uint8_t *buf = cnt ? util_malloc(&m->alloc, bytes) : NULL;
	if (cnt && !buf) {
		pthread_rwlock_unlock(&t->lock);
		return -ENOMEM;
	}
	uint32_t i = 0, c = 0, idx = 0;
	struct lpm_node *n;
	while ((n = pool_next(&t->pool, &c, &idx)) && i < cnt) {
		if (!pool_slot_live(&t->pool, n))
			continue;
		uint8_t *p = buf + (size_t)i++ * esz;
		memcpy(p, &n->prefixlen, 4);
		memcpy(p + 4, n->data, t->data_size);
		memcpy(p + ROUND8(m->key_size), node_value(t, n), m->value_size);
	}
	pthread_rwlock_unlock(&t->lock);
	int ret = 0;
	for (uint32_t j = 0; j < i && !ret; j++)
		ret = cb(buf + (size_t)j * esz, buf + (size_t)j * esz + ROUND8(m->key_size), ud);
	util_free(&m->alloc, buf, bytes);
	return ret;
}

static int lpm_update_elem(struct bpfbox_map *m, const void *key, const void *value,
			   uint64_t flags, uint32_t cpu)
{
	return lpm_update(m, key, value, flags);
}

static bool lpm_contains(const struct bpfbox_map *m, uint64_t addr, uint64_t len)
{
	const struct lpm_trie *t = (const struct lpm_trie *)m;
	struct lpm_node *n = pool_find(&t->pool, addr);
	return n && pool_slot_live(&t->pool, n) &&
	       map_range_in(addr, len, node_value(t, n), m->value_size);
}

const struct map_ops map_lpm_ops = {
	.check = lpm_check,
	.alloc = lpm_alloc,
	.free = lpm_free,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.get_next_key = lpm_get_next_key,
	.generic_lookup_batch = true,
	.generic_update_batch = true,
	.generic_delete_batch = true,
	.iterate = lpm_iterate,
	.elem = lpm_elem,
	.update_elem = lpm_update_elem,
	.delete_elem = lpm_delete,
	.contains = lpm_contains,
};
