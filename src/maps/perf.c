/* bpfbox — maps/perf.c: perf_event_array.
 *
 * In the kernel each index of a perf event array holds a perf event (one
 * per CPU, opened by user space), and bpf_perf_event_output() appends a
 * raw sample to that event's mmap'ed ring.  bpfbox has no perf events, so
 * the map itself keeps one sample ring per index (allocated on the first
 * sample, perf_buffer_size bytes), and the consumer reads them all.
 *
 * A ring holds records [u32 type][u32 size][data, rounded up to 8]: a
 * sample, or a "lost" record carrying the number of samples dropped since
 * the previous record (the kernel's PERF_RECORD_LOST, written as soon as
 * there is room again, so the consumer learns of a gap where it happened).
 * As with the kernel's raw samples, a sample's size is padded so that
 * size + 4 is a multiple of 8, and the consumer sees the padded size.
 *
 * Producers of one index serialise on its mutex (the kernel's perf ring
 * is per CPU, so its producers never race); the consumer reads without
 * it: the producer publishes `head` with a release store after writing,
 * the consumer publishes `tail` after reading, exactly a single-producer
 * single-consumer ring.  Like ringbuf.c, the ring memory is twice the
 * ring size so that no record wraps.  Every sample wakes a poller (the
 * libbpf perf_buffer default, wakeup_events = 1).
 */
#include <time.h>
#include "map.h"

#define PERF_SAMPLE 1u
#define PERF_LOST 2u
#define PERF_DEFAULT_BUF (64u << 10)

struct perf_slot {
	pthread_mutex_t lock;
	uint8_t *buf;       /* atomic pointer; 2 * cap bytes */
	uint64_t head, tail; /* atomic */
	uint64_t lost;      /* samples dropped, not yet reported; under lock */
};

struct perf_map {
	struct bpfbox_map map;
	struct perf_slot *slots;
	uint32_t nslots_init;
	uint32_t cap;
	pthread_mutex_t cons_lock;
	bool cons_init;
	struct map_wake wake;
};

#define PM(m) ((struct perf_map *)(m))

static int perf_check(const struct map_attr *a)
{
	if (a->value_size != 4)
		return map_reject(a, -EINVAL, "value_size %u (must be 4)", a->value_size);
	if (a->map_flags & (BPFBOX_F_RDONLY_PROG | BPFBOX_F_WRONLY_PROG))
		return map_reject(a, -EINVAL, "map_flags: RDONLY_PROG/WRONLY_PROG not supported here");
	int err = map_array_check(a);
	if (err)
		return err;
	uint32_t c = a->perf_buffer_size;
	if (c && (c < 4096 || (c & (c - 1))))
		return map_reject(a, -EINVAL, "perf_buffer_size %u (a power of 2, at least 4096)", c);
	return 0;
}

static void perf_free(struct bpfbox_map *m)
{
	struct perf_map *pm = PM(m);
	for (uint32_t i = 0; i < pm->nslots_init; i++) {
		pthread_mutex_destroy(&pm->slots[i].lock);
		map_zfree(m, pm->slots[i].buf, 2ull * pm->cap);
	}
	map_zfree(m, pm->slots, (uint64_t)m->max_entries * sizeof(struct perf_slot));
	if (pm->cons_init)
		pthread_mutex_destroy(&pm->cons_lock);
	map_wake_fini(&pm->wake);
}

static int perf_alloc(const struct map_attr *a, struct bpfbox_map **out)
{
	struct bpfbox_map *m = map_container_new(a, &map_perf_ops, sizeof(struct perf_map));
	if (!m)
		return -ENOMEM;
	struct perf_map *pm = PM(m);
	pm->cap = a->perf_buffer_size ? a->perf_buffer_size : PERF_DEFAULT_BUF;
	pm->slots = map_zalloc(m, (uint64_t)a->max_entries * sizeof(struct perf_slot));
	bool ok = pm->slots != NULL;
	for (; ok && pm->nslots_init < a->max_entries; pm->nslots_init++)
		ok = !pthread_mutex_init(&pm->slots[pm->nslots_init].lock, NULL);
	ok = ok && !pthread_mutex_init(&pm->cons_lock, NULL) && (pm->cons_init = true) &&
	     !map_wake_init(&pm->wake);
	if (!ok) {
		map_put(m);
		return map_reject(a, -ENOMEM, "out of memory or above the memory limit");
	}
	*out = m;
	return 0;
}

static void put_record(uint8_t *p, uint32_t type, uint32_t size, const void *data,
		       uint32_t data_len)
{
	memcpy(p, &type, 4);
	memcpy(p + 4, &size, 4);
	if (data_len)
		memcpy(p + 8, data, data_len);
	memset(p + 8 + data_len, 0, ROUND8(size) - data_len);
}

BPFBOX_API int bpfbox_map__perf_event_output(struct bpfbox_map *m, uint64_t flags, uint32_t cpu,
					     const void *data, uint64_t size)
{
	if (!m || m->type != BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	struct perf_map *pm = PM(m);
	if (flags & ~BPFBOX_F_INDEX_MASK)
		return -EINVAL;
	uint64_t idx = flags & BPFBOX_F_INDEX_MASK;
	if (idx == BPFBOX_F_CURRENT_CPU)
		idx = cpu;
	if (idx >= m->max_entries)
		return -E2BIG;
	struct perf_slot *s = &pm->slots[idx];
	if (size >= pm->cap) {
		/* can never fit: counted lost, like a full ring */
		pthread_mutex_lock(&s->lock);
		s->lost++;
		pthread_mutex_unlock(&s->lock);
		return -ENOSPC;
	}
	/* the raw sample's size, padded so that size + 4 is a multiple of 8 */
	uint64_t padded = ROUND8(size + 4) - 4;
	uint64_t len = 8 + ROUND8(padded);
	pthread_mutex_lock(&s->lock);
	if (!s->buf) {
		uint8_t *b = map_zalloc(m, 2ull * pm->cap);
		if (!b) {
			pthread_mutex_unlock(&s->lock);
			return -ENOMEM;
		}
		__atomic_store_n(&s->buf, b, __ATOMIC_RELEASE);
	}
	uint64_t tail = __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE);
	uint64_t head = s->head;
	uint64_t need = len + (s->lost ? 16 : 0);
	if (head + need - tail > pm->cap) {
		s->lost++;
		pthread_mutex_unlock(&s->lock);
		return -ENOSPC;
	}
	uint64_t mask = pm->cap - 1;
	if (s->lost) {
		put_record(s->buf + (head & mask), PERF_LOST, 8, &s->lost, 8);
		head += 16;
		s->lost = 0;
	}
	put_record(s->buf + (head & mask), PERF_SAMPLE, (uint32_t)padded, data, (uint32_t)size);
	__atomic_store_n(&s->head, head + len, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->lock);

	map_wake_notify(&pm->wake);
	return 0;
}

BPFBOX_API int bpfbox_perf__consume(struct bpfbox_map *m, bpfbox_perf_sample_fn sample_cb,
				    bpfbox_perf_lost_fn lost_cb, void *ud)
{
	if (!m || m->type != BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	struct perf_map *pm = PM(m);
	uint64_t mask = pm->cap - 1;
	int cnt = 0;
	pthread_mutex_lock(&pm->cons_lock);
	for (uint32_t i = 0; i < m->max_entries; i++) {
		struct perf_slot *s = &pm->slots[i];
		uint8_t *buf = __atomic_load_n(&s->buf, __ATOMIC_ACQUIRE);
		if (!buf)
			continue;
		uint64_t head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
		uint64_t tail = s->tail;
		while (tail < head) {
			uint8_t *p = buf + (tail & mask);
			uint32_t type, size;
			memcpy(&type, p, 4);
			memcpy(&size, p + 4, 4);
			if (type == PERF_SAMPLE) {
				cnt++;
				if (sample_cb)
					sample_cb(ud, (int)i, p + 8, size);
			} else if (lost_cb) {
				uint64_t n;
				memcpy(&n, p + 8, 8);
				lost_cb(ud, (int)i, n);
			}
			tail += 8 + ROUND8(size);
			__atomic_store_n(&s->tail, tail, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&pm->cons_lock);
	return cnt;
}

BPFBOX_API int bpfbox_perf__poll(struct bpfbox_map *m, bpfbox_perf_sample_fn sample_cb,
				 bpfbox_perf_lost_fn lost_cb, void *ud, int timeout_ms)
{
	if (!m || m->type != BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY)
		return -EINVAL;
	bool n = map_wake_wait(&PM(m)->wake, timeout_ms);
	return n ? bpfbox_perf__consume(m, sample_cb, lost_cb, ud) : 0;
}

static int perf_get_next_key(struct bpfbox_map *m, const void *key, void *next)
{
	uint32_t i = UINT32_MAX, n;
	if (key)
		memcpy(&i, key, 4);
	if (i >= m->max_entries)
		n = 0;
	else if (i == m->max_entries - 1)
		return -ENOENT;
	else
		n = i + 1;
	memcpy(next, &n, 4);
	return 0;
}

static int perf_update(struct bpfbox_map *m, const void *key, const void *value, uint64_t flags)
{
	return -EOPNOTSUPP; /* the kernel stores perf event fds; bpfbox owns the rings */
}

static int perf_delete(struct bpfbox_map *m, const void *key)
{
	return -EOPNOTSUPP;
}

const struct map_ops map_perf_ops = {
	.check = perf_check,
	.alloc = perf_alloc,
	.free = perf_free,
	.update = perf_update,
	.delete = perf_delete,
	.get_next_key = perf_get_next_key,
};
