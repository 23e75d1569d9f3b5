/* bpfbox — maps/queue.c: queue (FIFO) and stack (LIFO).
 *
 * Both are a ring of max_entries + 1 slots of value_size bytes (one slot
 * stays empty to tell full from empty, as in the kernel): `head` is where
 * the next value goes, `tail` the oldest value.  A queue pops at tail, a
 * stack at head - 1.  Pushing onto a full map fails with -E2BIG unless the
 * flags say BPF_EXIST, which drops the oldest value (tail) to make room —
 * for a stack too.  Keys do not exist: user space pushes with update(NULL
 * key), peeks with lookup, pops with lookup_and_delete; delete and
 * get_next_key are -EINVAL.
 *
 * One mutex per map guards head, tail and the copies (the kernel uses a
 * raw spinlock; it returns -EBUSY when an NMI finds it taken, which cannot
 * happen here).
 */
#include "map.h"

struct qs_map {
	struct bpfbox_map map;
	pthread_mutex_t lock;
	bool lock_init;
	uint8_t *elems;
	uint64_t bytes;
	uint32_t size; /* max_entries + 1 */
	uint32_t head, tail;
	bool stack;
};

#define QS(m) ((struct qs_map *)(m))

static int qs_check(const struct map_attr *a)
{
	const uint32_t mask = BPFBOX_F_NUMA_NODE | MAP_ACCESS_MASK;
	if (a->max_entries == 0)
		return map_reject(a, -EINVAL, "max_entries 0");
	if (a->key_size != 0)
		return map_reject(a, -EINVAL, "key_size %u (must be 0)", a->key_size);
	if (a->value_size == 0)
		return map_reject(a, -EINVAL, "value_size 0");
	if ((a->map_flags & ~mask) || !map_flags_access_ok(a->map_flags))
		return map_reject(a, -EINVAL, "map_flags 0x%x not allowed (allowed: 0x%x)",
				  a->map_flags, mask);
	if (a->value_size > MAP_KMALLOC_MAX)
		return map_reject(a, -E2BIG, "value_size %u above %u", a->value_size,
				  MAP_KMALLOC_MAX);
	return 0;
}

static void qs_free(struct bpfbox_map *m)
{
	struct qs_map *q = QS(m);
	if (q->lock_init)
		pthread_mutex_destroy(&q->lock);
	map_zfree(m, q->elems, q->bytes);
}

static int qs_alloc(const struct map_attr *a, struct bpfbox_map **out)
{
	uint64_t size = (uint64_t)a->max_entries + 1;
	uint64_t bytes = size * a->value_size;
	if (bytes > a->memory_limit || size > UINT32_MAX)
		return map_reject(a, -ENOMEM, "%llu bytes: above the memory limit",
				  (unsigned long long)bytes);
	struct bpfbox_map *m = map_container_new(a, &map_queue_ops, sizeof(struct qs_map));
	if (!m)
		return -ENOMEM;
	struct qs_map *q = QS(m);
	q->stack = a->type == BPFBOX_MAP_TYPE_STACK;
	q->size = (uint32_t)size;
	q->bytes = bytes;
	q->elems = map_zalloc(m, bytes);
	if (!q->elems || pthread_mutex_init(&q->lock, NULL)) {
		map_put(m);
		return map_reject(a, -ENOMEM, "out of memory");
	}
	q->lock_init = true;
	*out = m;
	return 0;
}

static inline uint8_t *at(struct qs_map *q, uint32_t i)
{
	return q->elems + (size_t)i * q->map.value_size;
}

static int qs_push(struct bpfbox_map *m, const void *value, uint64_t flags)
{
	struct qs_map *q = QS(m);
	if ((flags & BPFBOX_NOEXIST) || flags > BPFBOX_EXIST)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	if ((q->head + 1) % q->size == q->tail) {
		if (!(flags & BPFBOX_EXIST)) {
			pthread_mutex_unlock(&q->lock);
			return -E2BIG;
		}
		q->tail = (q->tail + 1) % q->size; /* drop the oldest */
	}
	memcpy(at(q, q->head), value, m->value_size);
	q->head = (q->head + 1) % q->size;
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static int qs_take(struct bpfbox_map *m, void *value, bool remove)
{
	struct qs_map *q = QS(m);
	pthread_mutex_lock(&q->lock);
	if (q->head == q->tail) {
		pthread_mutex_unlock(&q->lock);
		return -ENOENT;
	}
	uint32_t i = q->stack ? (q->head + q->size - 1) % q->size : q->tail;
	memcpy(value, at(q, i), m->value_size);
	if (remove) {
		if (q->stack)
			q->head = i;
		else
			q->tail = (q->tail + 1) % q->size;
	}
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static int qs_pop(struct bpfbox_map *m, void *value)
{
	return qs_take(m, value, true);
}

static int qs_peek(struct bpfbox_map *m, void *value)
{
	return qs_take(m, value, false);
}

static int qs_lookup(struct bpfbox_map *m, const void *key, void *value)
{
	return qs_take(m, value, false);
}

static int qs_update(struct bpfbox_map *m, const void *key, const void *value, uint64_t flags)
{
	return qs_push(m, value, flags);
}

static int qs_lookup_and_delete(struct bpfbox_map *m, const void *key, void *value)
{
	return qs_take(m, value, true);
}

static int qs_einval(struct bpfbox_map *m, const void *key)
{
	return -EINVAL;
}

static int qs_get_next_key(struct bpfbox_map *m, const void *key, void *next)
{
	return -EINVAL;
}

static int qs_update_elem(struct bpfbox_map *m, const void *key, const void *value,
			  uint64_t flags, uint32_t cpu)
{
	return -EINVAL; /* programs push; the kernel's update op says -EINVAL */
}

const struct map_ops map_queue_ops = {
	.check = qs_check,
	.alloc = qs_alloc,
	.free = qs_free,
	.lookup = qs_lookup,
	.update = qs_update,
	.delete = qs_einval,
	.get_next_key = qs_get_next_key,
	.lookup_and_delete = qs_lookup_and_delete,
	.update_elem = qs_update_elem,
	.delete_elem = qs_einval,
	.push = qs_push,
	.pop = qs_pop,
	.peek = qs_peek,
};
