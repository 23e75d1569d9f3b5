/* bpfbox — maps/bloom.c: bloom_filter.
 *
 * A bit array and k hash functions (k = map_extra & 0xf, 5 when 0).
 * Pushing a value sets k bits; peeking answers "maybe present" (0) when
 * all k are set and "certainly absent" (-ENOENT) otherwise — false
 * positives are possible, false negatives are not.  Values cannot be
 * removed or enumerated.
 *
 * Size, as in the kernel: max_entries * k * 7 / 5 bits (about n*k/ln 2,
 * which minimises false positives), rounded up to a power of two, at least
 * 64 bits; when that overflows or passes 2^31 bits the array has 2^32
 * bits.  Hash function i is our seeded hash with seed + i (the kernel uses
 * jhash; only the false-positive rate depends on the choice).
 *
 * Bits are set with atomic OR and read with atomic loads, so pushes and
 * peeks need no lock; a peek racing a push of the same value may answer
 * either way, as in the kernel.
 */
#include "map.h"

struct bloom_map {
	struct bpfbox_map map;
	uint64_t *bits;
	uint64_t bytes;
	uint32_t mask; /* bit index mask */
	uint32_t nr_hash;
	uint32_t seed;
};

#define BL(m) ((struct bloom_map *)(m))

static int bloom_check(const struct map_attr *a)
{
	const uint32_t mask = BPFBOX_F_NUMA_NODE | BPFBOX_F_ZERO_SEED | MAP_ACCESS_MASK;
	if (a->value_size > MAP_KMALLOC_MAX)
		return map_reject(a, -E2BIG, "value_size %u above %u", a->value_size,
				  MAP_KMALLOC_MAX);
	if (a->key_size != 0)
		return map_reject(a, -EINVAL, "key_size %u (must be 0)", a->key_size);
	if (a->value_size == 0)
		return map_reject(a, -EINVAL, "value_size 0");
	if (a->max_entries == 0)
		return map_reject(a, -EINVAL, "max_entries 0");
	if ((a->map_flags & ~mask) || !map_flags_access_ok(a->map_flags))
		return map_reject(a, -EINVAL, "map_flags 0x%x not allowed (allowed: 0x%x)",
				  a->map_flags, mask);
	if (a->map_extra & ~0xfull)
		return map_reject(a, -EINVAL, "map_extra 0x%llx: the number of hash functions "
				  "is 0..15", (unsigned long long)a->map_extra);
	return 0;
}

static void bloom_free(struct bpfbox_map *m)
{
	map_zfree(m, BL(m)->bits, BL(m)->bytes);
}

static int bloom_alloc(const struct map_attr *a, struct bpfbox_map **out)
{
	uint32_t k = (uint32_t)a->map_extra;
	if (!k)
		k = 5;
	uint64_t nr_bits = (uint64_t)a->max_entries * k;
	uint64_t mask;
	if (nr_bits > UINT32_MAX || (nr_bits / 5) * 7 > UINT32_MAX ||
	    (nr_bits = nr_bits / 5 * 7) > (1ull << 31)) {
		mask = UINT32_MAX;
		nr_bits = 1ull << 32;
	} else {
		if (nr_bits <= 64)
			nr_bits = 64;
		else {
			uint64_t r = 1;
			while (r < nr_bits)
				r <<= 1;
			nr_bits = r;
		}
		mask = nr_bits - 1;
	}
	uint64_t bytes = nr_bits / 8;
	if (bytes > a->memory_limit)
		return map_reject(a, -ENOMEM, "%llu bytes of bits: above the memory limit",
				  (unsigned long long)bytes);
	struct bpfbox_map *m = map_container_new(a, &map_bloom_ops, sizeof(struct bloom_map));
	if (!m)
		return -ENOMEM;
	struct bloom_map *bl = BL(m);
	bl->mask = (uint32_t)mask;
	bl->nr_hash = k;
	bl->seed = (a->map_flags & BPFBOX_F_ZERO_SEED) ? 0 : map_random_seed(bl);
	bl->bytes = bytes;
	bl->bits = map_zalloc(m, bytes);
	if (!bl->bits) {
		map_put(m);
		return map_reject(a, -ENOMEM, "out of memory");
	}
	*out = m;
	return 0;
}

static inline uint32_t bit_of(struct bloom_map *bl, const void *value, uint32_t i)
{
	return map_hash(value, bl->map.value_size, bl->seed + i) & bl->mask;
}

static int bloom_push(struct bpfbox_map *m, const void *value, uint64_t flags)
{
	struct bloom_map *bl = BL(m);
	if (flags != BPFBOX_ANY)
		return -EINVAL;
	for (uint32_t i = 0; i < bl->nr_hash; i++) {
		uint32_t b = bit_of(bl, value, i);
		__atomic_fetch_or(&bl->bits[b / 64], 1ull << (b % 64), __ATOMIC_RELAXED);
	}
	return 0;
}

static int bloom_peek(struct bpfbox_map *m, void *value)
{
	struct bloom_map *bl = BL(m);
	for (uint32_t i = 0; i < bl->nr_hash; i++) {
		uint32_t b = bit_of(bl, value, i);
		if (!(__atomic_load_n(&bl->bits[b / 64], __ATOMIC_RELAXED) & (1ull << (b % 64))))
			return -ENOENT;
	}
	return 0;
}

static int bloom_lookup(struct bpfbox_map *m, const void *key, void *value)
{
	return bloom_peek(m, value);
}

static int bloom_update(struct bpfbox_map *m, const void *key, const void *value, uint64_t flags)
{
	return bloom_push(m, value, flags);
}

static int bloom_eopnotsupp(struct bpfbox_map *m, const void *key)
{
	return -EOPNOTSUPP;
}

static int bloom_get_next_key(struct bpfbox_map *m, const void *key, void *next)
{
	return -EOPNOTSUPP;
}

static int bloom_pop(struct bpfbox_map *m, void *value)
{
	return -EOPNOTSUPP;
}

static int bloom_update_elem(struct bpfbox_map *m, const void *key, const void *value,
			     uint64_t flags, uint32_t cpu)
{
	return -EINVAL;
}

const struct map_ops map_bloom_ops = {
	.check = bloom_check,
	.alloc = bloom_alloc,
	.free = bloom_free,
	.lookup = bloom_lookup,
	.update = bloom_update,
	.delete = bloom_eopnotsupp,
	.get_next_key = bloom_get_next_key,
	.update_elem = bloom_update_elem,
	.delete_elem = bloom_eopnotsupp,
	.push = bloom_push,
	.pop = bloom_pop,
	.peek = bloom_peek,
};
