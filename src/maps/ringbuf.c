/* bpfbox — maps/ringbuf.c: ringbuf (BPF_MAP_TYPE_RINGBUF).
 *
 * The kernel's design, in user space: a power-of-two data area of
 * max_entries bytes with three 64-bit positions that only grow —
 * producer (next free byte), consumer (next byte to read) and pending (the
 * oldest record that may still be reserved).  A record is an 8-byte header
 * (u32 length with the BUSY and DISCARD bits, u32 offset) followed by the
 * data, the whole rounded up to 8 bytes.
 *
 *  - reserve (many producers): under the producer lock, advance pending
 *    past committed records, refuse when the new record would make the
 *    ring hold more than size - 1 bytes counted from the consumer or
 *    from pending, write the header with BUSY set, publish the new
 *    producer position.  The lock is held for a few stores only.
 *  - submit/discard: no lock: clear BUSY (and set DISCARD) with a release
 *    store of the header.  Wake the consumer when asked
 *    (BPF_RB_FORCE_WAKEUP), never when told not to (BPF_RB_NO_WAKEUP),
 *    otherwise when the consumer has read everything before this record —
 *    the kernel's rule, which wakes it once per batch.
 *  - consume (one consumer): from the consumer position, stop at the first
 *    BUSY record, skip DISCARD records, hand the others to the callback in
 *    place, then publish the new consumer position (release), which is
 *    what frees the space for producers.  Records thus come out in ring
 *    (reservation) order and each only once it and all before it are
 *    committed: what programs see is what the consumer sees.
 *
 * The kernel maps the data pages twice in a row so that a record crossing
 * the end is contiguous.  bpfbox allocates twice the size instead: a
 * record starts at position & (size - 1) and simply runs on past `size`;
 * the bytes it covers beyond the end correspond to the start of the ring,
 * which no other record can use while it is there.  Only the record's
 * owner and the consumer touch its bytes, so the two views never need to
 * agree.
 *
 * The data area is preceded by a pointer to the ring, and each header's
 * second word is the record's offset in the area, so submit(NULL map,
 * sample) can find the ring from the record alone, as the kernel does
 * with its page offset.
 *
 * Wakeups (struct map_wake) work like an edge-triggered epoll: poll()
 * sleeps until a producer woke it or the timeout, clears the flag, and
 * consumes.  A wakeup that happens while the consumer is busy is not lost:
 * the flag stays set for the next poll.
 */
#include <time.h>
#include "map.h"

#define RB_MAX_RECORD (UINT32_MAX / 4) /* RINGBUF_MAX_RECORD_SZ */

struct ringbuf {
	struct bpfbox_map map;
	uint8_t *raw;  /* a back-pointer to this struct, then the data */
	uint8_t *data; /* 2 * size bytes */
	uint64_t size, mask;
	uint64_t prod_pos, cons_pos, pending_pos; /* atomic */
	pthread_mutex_t prod_lock, cons_lock;
	int init; /* how many of the locks were initialised */
	struct map_wake wake;
};

#define RB(m) ((struct ringbuf *)(m))

static int rb_check(const struct map_attr *a)
{
	if (a->map_flags & ~BPFBOX_F_NUMA_NODE)
		return map_reject(a, -EINVAL, "map_flags 0x%x not allowed (allowed: NUMA_NODE)",
				  a->map_flags);
	if (a->key_size || a->value_size)
		return map_reject(a, -EINVAL, "key_size and value_size must be 0");
	if (!a->max_entries || (a->max_entries & (a->max_entries - 1)) ||
	    a->max_entries % MAP_PAGE_SIZE)
		return map_reject(a, -EINVAL, "max_entries %u (must be a power of 2 multiple "
				  "of the page size %u)", a->max_entries, MAP_PAGE_SIZE);
	return 0;
}

static void rb_free(struct bpfbox_map *m)
{
	struct ringbuf *rb = RB(m);
	if (rb->init > 0)
		pthread_mutex_destroy(&rb->prod_lock);
	if (rb->init > 1)
		pthread_mutex_destroy(&rb->cons_lock);
	map_wake_fini(&rb->wake);
	map_zfree(m, rb->raw, rb->size * 2 + 8);
}

static int rb_alloc(const struct map_attr *a, struct bpfbox_map **out)
{
	uint64_t size = a->max_entries;
	if (size * 2 + 8 > a->memory_limit)
		return map_reject(a, -ENOMEM, "%llu bytes: above the memory limit",
				  (unsigned long long)size * 2);
	struct bpfbox_map *m = map_container_new(a, &map_ringbuf_ops, sizeof(struct ringbuf));
	if (!m)
		return -ENOMEM;
	struct ringbuf *rb = RB(m);
	rb->size = size;
	rb->mask = size - 1;
	rb->raw = map_zalloc(m, size * 2 + 8);
	if (rb->raw) {
		rb->data = rb->raw + 8;
		memcpy(rb->raw, &rb, sizeof(rb));
	}
	bool ok = rb->raw && !pthread_mutex_init(&rb->prod_lock, NULL) && ++rb->init &&
		  !pthread_mutex_init(&rb->cons_lock, NULL) && ++rb->init &&
		  !map_wake_init(&rb->wake);
	if (!ok) {
		map_put(m);
		return map_reject(a, -ENOMEM, "out of memory");
	}
	*out = m;
	return 0;
}

static inline uint32_t *hdr_at(struct ringbuf *rb, uint64_t pos)
{
	return (uint32_t *)(rb->data + (pos & rb->mask));
}

static inline uint64_t rec_len(uint32_t hdr)
{
	return ROUND8((uint64_t)(hdr & ~(BPFBOX_RINGBUF_BUSY_BIT | BPFBOX_RINGBUF_DISCARD_BIT)) +
		      BPFBOX_RINGBUF_HDR_SZ);
}

static struct ringbuf *as_rb(struct bpfbox_map *m)
{
	return m && m->type == BPFBOX_MAP_TYPE_RINGBUF ? RB(m) : NULL;
}

BPFBOX_API void *bpfbox_ringbuf__reserve(struct bpfbox_map *m, uint64_t size, uint64_t flags)
{
	struct ringbuf *rb = as_rb(m);
	if (!rb || flags || size > RB_MAX_RECORD)
		return NULL;
	uint64_t len = ROUND8(size + BPFBOX_RINGBUF_HDR_SZ);
	if (len > rb->mask + 1)
		return NULL;
	pthread_mutex_lock(&rb->prod_lock);
	uint64_t cons = __atomic_load_n(&rb->cons_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = rb->prod_pos;
	uint64_t pend = rb->pending_pos;
	while (pend < prod) {
		uint32_t h = __atomic_load_n(hdr_at(rb, pend), __ATOMIC_ACQUIRE);
		if (h & BPFBOX_RINGBUF_BUSY_BIT)
			break;
		pend += rec_len(h);
	}
	__atomic_store_n(&rb->pending_pos, pend, __ATOMIC_RELEASE);
	uint64_t nprod = prod + len;
	if (nprod - cons > rb->mask || nprod - pend > rb->mask) {
		pthread_mutex_unlock(&rb->prod_lock);
		return NULL;
	}
	uint32_t *h = hdr_at(rb, prod);
	h[1] = (uint32_t)((prod & rb->mask) / 8); /* pg_off: lets submit find the ring */
	__atomic_store_n(&h[0], (uint32_t)size | BPFBOX_RINGBUF_BUSY_BIT, __ATOMIC_RELEASE);
	__atomic_store_n(&rb->prod_pos, nprod, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&rb->prod_lock);
	return (uint8_t *)h + BPFBOX_RINGBUF_HDR_SZ;
}

static void rb_wake(struct ringbuf *rb)
{
	map_wake_notify(&rb->wake);
}

/* Is sample the data of a reserved (BUSY) record of rb? */
static bool rb_sample_ok(struct ringbuf *rb, const void *sample)
{
	uint64_t a = (uint64_t)(uintptr_t)sample, base = (uint64_t)(uintptr_t)rb->data;
	if (a < base + BPFBOX_RINGBUF_HDR_SZ || (a - base) % 8)
		return false;
	uint64_t off = a - base - BPFBOX_RINGBUF_HDR_SZ;
	if (off > rb->mask)
		return false;
	const uint32_t *h = (const uint32_t *)(rb->data + off);
	uint32_t v = __atomic_load_n(&h[0], __ATOMIC_ACQUIRE);
	return (v & BPFBOX_RINGBUF_BUSY_BIT) && h[1] == off / 8 && rec_len(v) <= rb->size;
}

static int rb_commit(struct bpfbox_map *m, void *sample, uint64_t flags, bool discard)
{
	struct ringbuf *rb;
	uint32_t *h = (uint32_t *)((uint8_t *)sample - BPFBOX_RINGBUF_HDR_SZ);
	if (m) {
		rb = as_rb(m);
		if (!rb || !sample || !rb_sample_ok(rb, sample))
			return -EINVAL;
	} else {
		/* the kernel's way: the header says where the data area starts,
		 * and the word before the data area points back at the ring */
		if (!sample)
			return -EINVAL;
		uint8_t *data = (uint8_t *)h - (size_t)h[1] * 8;
		memcpy(&rb, data - sizeof(rb), sizeof(rb));
		if (!map_is_map(rb) || rb->map.type != BPFBOX_MAP_TYPE_RINGBUF ||
		    !rb_sample_ok(rb, sample))
			return -EINVAL;
	}
	uint32_t v = __atomic_load_n(&h[0], __ATOMIC_RELAXED);
	v &= ~BPFBOX_RINGBUF_BUSY_BIT;
	if (discard)
		v |= BPFBOX_RINGBUF_DISCARD_BIT;
	__atomic_store_n(&h[0], v, __ATOMIC_RELEASE);
	uint64_t rec_off = (uint64_t)((uint8_t *)h - rb->data);
	uint64_t cons_off = __atomic_load_n(&rb->cons_pos, __ATOMIC_ACQUIRE) & rb->mask;
	if (flags & BPFBOX_RB_FORCE_WAKEUP)
		rb_wake(rb);
	else if (cons_off == rec_off && !(flags & BPFBOX_RB_NO_WAKEUP))
		rb_wake(rb);
	return 0;
}

BPFBOX_API int bpfbox_ringbuf__submit(struct bpfbox_map *m, void *sample, uint64_t flags)
{
	return rb_commit(m, sample, flags, false);
}

BPFBOX_API int bpfbox_ringbuf__discard(struct bpfbox_map *m, void *sample, uint64_t flags)
{
	return rb_commit(m, sample, flags, true);
}

BPFBOX_API int bpfbox_ringbuf__output(struct bpfbox_map *m, const void *data, uint64_t size,
				      uint64_t flags)
{
	if (!as_rb(m) || (flags & ~(BPFBOX_RB_NO_WAKEUP | BPFBOX_RB_FORCE_WAKEUP)))
		return -EINVAL;
	void *rec = bpfbox_ringbuf__reserve(m, size, 0);
	if (!rec)
		return -EAGAIN;
	if (size)
		memcpy(rec, data, size);
	return rb_commit(m, rec, flags, false);
}

BPFBOX_API uint64_t bpfbox_ringbuf__query(struct bpfbox_map *m, uint64_t flag)
{
	struct ringbuf *rb = as_rb(m);
	if (!rb)
		return 0;
	uint64_t cons = __atomic_load_n(&rb->cons_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(&rb->prod_pos, __ATOMIC_ACQUIRE);
	switch (flag) {
	case BPFBOX_RB_AVAIL_DATA:
		return prod - cons;
	case BPFBOX_RB_RING_SIZE:
		return rb->size;
	case BPFBOX_RB_CONS_POS:
		return cons;
	case BPFBOX_RB_PROD_POS:
		return prod;
	default:
		return 0;
	}
}

BPFBOX_API int bpfbox_ringbuf__consume(struct bpfbox_map *m, bpfbox_ringbuf_fn cb, void *ud)
{
	struct ringbuf *rb = as_rb(m);
	if (!rb || !cb)
		return -EINVAL;
	int cnt = 0;
	pthread_mutex_lock(&rb->cons_lock);
	uint64_t cons = rb->cons_pos;
	bool more = true;
	while (more) {
		more = false;
		uint64_t prod = __atomic_load_n(&rb->prod_pos, __ATOMIC_ACQUIRE);
		while (cons < prod) {
			uint32_t *h = hdr_at(rb, cons);
			uint32_t v = __atomic_load_n(h, __ATOMIC_ACQUIRE);
			if (v & BPFBOX_RINGBUF_BUSY_BIT)
				goto done;
			more = true;
			uint64_t next = cons + rec_len(v);
			if (!(v & BPFBOX_RINGBUF_DISCARD_BIT)) {
				int r = cb(ud, (uint8_t *)h + BPFBOX_RINGBUF_HDR_SZ,
					   v & ~(BPFBOX_RINGBUF_BUSY_BIT | BPFBOX_RINGBUF_DISCARD_BIT));
				cnt++;
				if (r < 0) {
					__atomic_store_n(&rb->cons_pos, next, __ATOMIC_RELEASE);
					pthread_mutex_unlock(&rb->cons_lock);
					return r;
				}
			}
			cons = next;
			__atomic_store_n(&rb->cons_pos, cons, __ATOMIC_RELEASE);
		}
	}
done:
	pthread_mutex_unlock(&rb->cons_lock);
	return cnt;
}

BPFBOX_API int bpfbox_ringbuf__poll(struct bpfbox_map *m, bpfbox_ringbuf_fn cb, void *ud,
				    int timeout_ms)
{
	struct ringbuf *rb = as_rb(m);
	if (!rb || !cb)
		return -EINVAL;
	if (!map_wake_wait(&rb->wake, timeout_ms))
		return 0;
	return bpfbox_ringbuf__consume(m, cb, ud);
}

/* A reserved record containing [addr, addr+len)?  Walks the records from
 * pending (the oldest that may be reserved) to the producer position. */
static bool rb_contains(const struct bpfbox_map *cm, uint64_t addr, uint64_t len)
{
	struct ringbuf *rb = RB((struct bpfbox_map *)cm);
	if (!map_range_in(addr, len, rb->data, rb->size * 2))
		return false;
	bool found = false;
	pthread_mutex_lock(&rb->prod_lock);
	for (uint64_t p = rb->pending_pos; p < rb->prod_pos;) {
		uint32_t v = __atomic_load_n(hdr_at(rb, p), __ATOMIC_ACQUIRE);
		uint8_t *d = (uint8_t *)hdr_at(rb, p) + BPFBOX_RINGBUF_HDR_SZ;
		uint32_t sz = v & ~(BPFBOX_RINGBUF_BUSY_BIT | BPFBOX_RINGBUF_DISCARD_BIT);
		if ((v & BPFBOX_RINGBUF_BUSY_BIT) && map_range_in(addr, len, d, sz)) {
			found = true;
			break;
		}
		p += rec_len(v);
	}
	pthread_mutex_unlock(&rb->prod_lock);
	return found;
}

const struct map_ops map_ringbuf_ops = {
	.check = rb_check,
	.alloc = rb_alloc,
	.free = rb_free,
	.contains = rb_contains,
};
