/* bpfbox — maps/pool.c: the element store of hash maps and LPM tries.
 *
 * A pool hands out fixed-size slots, at most `capacity` at a time.  Slots
 * live in chunks: a preallocated pool (the kernel's default for hashes) has
 * one chunk of `capacity` slots from the start; a growing pool
 * (BPF_F_NO_PREALLOC, LPM tries) adds chunks as needed, each as large as
 * all the previous ones together (64 slots first), so there are O(log n)
 * chunks and finding the chunk of an address is a short scan.
 *
 * Invariants:
 *  - memory is never returned to the allocator before pool_fini: a freed
 *    slot goes on the free list and is reused.  A value pointer a program
 *    holds therefore always points at memory of this map, even after the
 *    element was deleted (then it sees whatever element reuses the slot —
 *    the kernel's preallocated hashes behave the same);
 *  - chunks[0..nchunks) and each chunk's slot count are written before
 *    nchunks is published (release), so lock-free readers (contains,
 *    for_each) that load nchunks with acquire see complete chunk entries;
 *    a chunk's `used` (slots handed out by bumping) only grows;
 *  - slots never handed out are zero (chunks are zeroed), so their live
 *    word reads 0.
 * The free list and the bump index are protected by the pool lock.
 */
#include "map.h"

int pool_init(struct map_pool *p, struct bpfbox_map *m, size_t slot_size, uint32_t capacity,
	      uint32_t live_off, bool prealloc)
{
	memset(p, 0, sizeof(*p));
	p->map = m;
	p->slot_size = (slot_size + 7) & ~(size_t)7;
	p->capacity = capacity;
	p->live_off = live_off;
	if (pthread_mutex_init(&p->lock, NULL))
		return -ENOMEM;
	if (prealloc) {
		uint8_t *b = map_zalloc(m, (uint64_t)p->slot_size * capacity);
		if (!b) {
			pthread_mutex_destroy(&p->lock);
			p->map = NULL;
			return -ENOMEM;
		}
		p->chunks[0].base = b;
		p->chunks[0].nslots = capacity;
		p->nchunks = 1;
	}
	return 0;
}

void pool_fini(struct map_pool *p)
{
	if (!p->map)
		return;
	for (uint32_t i = 0; i < p->nchunks; i++)
		map_zfree(p->map, p->chunks[i].base, (uint64_t)p->slot_size * p->chunks[i].nslots);
	pthread_mutex_destroy(&p->lock);
	p->map = NULL;
}

static uint32_t pool_total(const struct map_pool *p)
{
	uint64_t t = 0;
	for (uint32_t i = 0; i < p->nchunks; i++)
		t += p->chunks[i].nslots;
	return (uint32_t)t;
}

void *pool_get(struct map_pool *p, int *err)
{
	void *slot = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->free_head) {
		slot = p->free_head;
		memcpy(&p->free_head, slot, sizeof(void *));
		goto out;
	}
	uint32_t n = p->nchunks;
	if (n && p->chunks[n - 1].used < p->chunks[n - 1].nslots) {
		struct pool_chunk *c = &p->chunks[n - 1];
		slot = c->base + (size_t)c->used * p->slot_size;
		__atomic_store_n(&c->used, c->used + 1, __ATOMIC_RELEASE);
		goto out;
	}
	/* every slot handed out is in use: grow, or the map is full */
	uint32_t total = pool_total(p);
	if (total >= p->capacity || n == POOL_MAX_CHUNKS) {
		*err = -E2BIG;
		goto out;
	}
	uint32_t want = total < 64 ? 64 : total;
	if (want > p->capacity - total)
		want = p->capacity - total;
	uint8_t *b = map_zalloc(p->map, (uint64_t)p->slot_size * want);
	if (!b) {
		*err = -ENOMEM;
		goto out;
	}
	p->chunks[n].base = b;
	p->chunks[n].nslots = want;
	p->chunks[n].used = 1;
	__atomic_store_n(&p->nchunks, n + 1, __ATOMIC_RELEASE);
	slot = b;
out:
	pthread_mutex_unlock(&p->lock);
	return slot;
}

void pool_put(struct map_pool *p, void *slot)
{
	pthread_mutex_lock(&p->lock);
	memcpy(slot, &p->free_head, sizeof(void *));
	p->free_head = slot;
	pthread_mutex_unlock(&p->lock);
}

void *pool_find(const struct map_pool *p, uint64_t addr)
{
	uint32_t n = __atomic_load_n(&p->nchunks, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++) {
		const struct pool_chunk *c = &p->chunks[i];
		uint64_t base = (uint64_t)(uintptr_t)c->base;
		if (addr >= base && addr - base < (uint64_t)p->slot_size * c->nslots)
			return c->base + (addr - base) / p->slot_size * p->slot_size;
	}
	return NULL;
}

void *pool_next(const struct map_pool *p, uint32_t *chunk, uint32_t *idx)
{
	uint32_t n = __atomic_load_n(&p->nchunks, __ATOMIC_ACQUIRE);
	while (*chunk < n) {
		const struct pool_chunk *c = &p->chunks[*chunk];
		/* slots past `used` were never handed out */
		uint32_t lim = __atomic_load_n(&c->used, __ATOMIC_ACQUIRE);
		if (*idx < lim)
			return c->base + (size_t)(*idx)++ * p->slot_size;
		(*chunk)++;
		*idx = 0;
	}
	return NULL;
}
