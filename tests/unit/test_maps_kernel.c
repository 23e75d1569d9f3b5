/* bpfbox — test_maps_kernel.c: bpfbox's maps against the running kernel's.
 *
 * The same map is created twice — bpfbox_map__new() and libbpf's
 * bpf_map_create() — and the same operations run on both; return codes
 * (and values, where the kernel defines them) must agree.  Covered:
 *  - creation: a table of attribute sets with the errno the kernel
 *    returns (also checked on bpfbox alone when bpf() is not allowed);
 *  - random operation sequences on array, percpu_array, hash (all
 *    flavours), LPM trie (including the post-order of get_next_key),
 *    queue, stack; the element sets must match at the end;
 *  - LRU eviction for a sequential pattern (on one CPU, where the kernel's
 *    LRU is deterministic), bloom filter, batches, pointer maps, the
 *    user-space errors of ringbuf/perf/prog_array, permission flags.
 * Only this test links libbpf; the maps layer does not.  Without bpf()
 * (no privilege, seccomp, old kernel) the comparisons print a SKIP line.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "bpfbox/maps.h"

static bool have_kernel;
static int ncpus = 1;
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int kerr(int r)
{
	return r < 0 ? -errno : r;
}

/* ---- the pair: one bpfbox map, one kernel map --------------------------------- */

struct pair {
	struct bpfbox_map *m;
	int fd;
};

static int kcreate(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags,
		   uint64_t extra, int inner_fd, const char *name)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags, .map_extra = extra,
		    .inner_map_fd = (uint32_t)inner_fd);
	int fd = bpf_map_create((enum bpf_map_type)type, name, ks, vs, max, &o);
	return fd < 0 ? -errno : fd;
}

static struct bpfbox_log *create_log; /* where ocreate's refusals go */

static int ocreate(struct bpfbox_map **m, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max,
		   uint32_t flags, uint64_t extra, struct bpfbox_map *inner, const char *name)
{
	BPFBOX_OPTS(bpfbox_map_opts, o, .type = type, .key_size = ks, .value_size = vs,
		    .max_entries = max, .map_flags = flags, .map_extra = extra,
		    .nr_cpus = (uint32_t)ncpus, .inner_map = inner, .name = name, .log = create_log);
	*m = NULL;
	return bpfbox_map__new(m, &o);
}

static bool pair_new(struct pair *p, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max,
		     uint32_t flags)
{
	p->m = NULL;
	p->fd = -1;
	if (ocreate(&p->m, type, ks, vs, max, flags, 0, NULL, "pair"))
		return false;
	if (have_kernel) {
		p->fd = kcreate(type, ks, vs, max, flags, 0, 0, "pair");
		if (p->fd < 0) {
			printf("# kernel map type %u: %d\n", type, p->fd);
			bpfbox_map__free(p->m);
			return false;
		}
	}
	return true;
}

static void pair_free(struct pair *p)
{
	bpfbox_map__free(p->m);
	if (p->fd >= 0)
		close(p->fd);
}

/* ---- creation table ---------------------------------------------------------------- */

enum inner_kind { IN_NONE, IN_ARRAY, IN_PROG_ARRAY, IN_AOM, IN_RINGBUF, IN_QUEUE, IN_PERF, IN_HASH };

struct create_case {
	const char *what;
	uint32_t type, ks, vs, max, flags;
	uint64_t extra;
	int inner;
	int want;
	const char *name;
};

#define T(x) BPFBOX_MAP_TYPE_##x
#define F(x) BPFBOX_F_##x
static const struct create_case cases[] = {
	{ "array ok", T(ARRAY), 4, 8, 4, 0, 0, 0, 0, NULL },
	{ "array key 8", T(ARRAY), 8, 8, 4, 0, 0, 0, -EINVAL, NULL },
	{ "array value 0", T(ARRAY), 4, 0, 4, 0, 0, 0, -EINVAL, NULL },
	{ "array max 0", T(ARRAY), 4, 8, 0, 0, 0, 0, -EINVAL, NULL },
	{ "array NO_PREALLOC", T(ARRAY), 4, 8, 4, F(NO_PREALLOC), 0, 0, -EINVAL, NULL },
	{ "array PRESERVE_ELEMS", T(ARRAY), 4, 8, 4, F(PRESERVE_ELEMS), 0, 0, -EINVAL, NULL },
	{ "array ZERO_SEED", T(ARRAY), 4, 8, 4, F(ZERO_SEED), 0, 0, -EINVAL, NULL },
	{ "array unknown flag", T(ARRAY), 4, 8, 4, 1u << 13, 0, 0, -EINVAL, NULL },
	{ "array MMAPABLE|RDONLY_PROG", T(ARRAY), 4, 8, 4, F(MMAPABLE) | F(RDONLY_PROG), 0, 0, 0, NULL },
	{ "array INNER_MAP", T(ARRAY), 4, 8, 4, F(INNER_MAP), 0, 0, 0, NULL },
	{ "array RDONLY|WRONLY", T(ARRAY), 4, 8, 4, F(RDONLY) | F(WRONLY), 0, 0, -EINVAL, NULL },
	{ "array RDONLY_PROG|WRONLY_PROG", T(ARRAY), 4, 8, 4, F(RDONLY_PROG) | F(WRONLY_PROG), 0, 0,
	  -EINVAL, NULL },
	{ "array map_extra", T(ARRAY), 4, 8, 4, 0, 1, 0, -EINVAL, NULL },
	{ "array value 2^31", T(ARRAY), 4, 1u << 31, 1, 0, 0, 0, -E2BIG, NULL },
	{ "array NUMA_NODE", T(ARRAY), 4, 8, 4, F(NUMA_NODE), 0, 0, 0, NULL },
	{ "percpu_array NUMA_NODE", T(PERCPU_ARRAY), 4, 8, 4, F(NUMA_NODE), 0, 0, -EINVAL, NULL },
	{ "percpu_array value 32K", T(PERCPU_ARRAY), 4, 32768, 4, 0, 0, 0, 0, NULL },
	{ "percpu_array value 32K+1", T(PERCPU_ARRAY), 4, 32769, 4, 0, 0, 0, -E2BIG, NULL },
	{ "percpu_array MMAPABLE", T(PERCPU_ARRAY), 4, 8, 4, F(MMAPABLE), 0, 0, -EINVAL, NULL },
	{ "hash ok", T(HASH), 4, 8, 4, 0, 0, 0, 0, NULL },
	{ "hash key 0", T(HASH), 0, 8, 4, 0, 0, 0, -EINVAL, NULL },
	{ "hash value 0", T(HASH), 4, 0, 4, 0, 0, 0, -EINVAL, NULL },
	{ "hash max 0", T(HASH), 4, 8, 0, 0, 0, 0, -EINVAL, NULL },
	{ "hash MMAPABLE", T(HASH), 4, 8, 4, F(MMAPABLE), 0, 0, -EINVAL, NULL },
	{ "hash NO_COMMON_LRU", T(HASH), 4, 8, 4, F(NO_COMMON_LRU), 0, 0, -EINVAL, NULL },
	{ "hash map_extra", T(HASH), 4, 8, 4, 0, 1, 0, -EINVAL, NULL },
	{ "hash key+value limit", T(HASH), 4, (1u << 22) - 52, 1, F(NO_PREALLOC), 0, 0, -E2BIG, NULL },
	{ "hash key+value limit - 1", T(HASH), 4, (1u << 22) - 53, 1, F(NO_PREALLOC), 0, 0, 0, NULL },
	{ "hash max 2^27+1", T(HASH), 4, 4, (1u << 27) + 1, F(NO_PREALLOC), 0, 0, -E2BIG, NULL },
	{ "hash max 2^31+1", T(HASH), 4, 4, (1u << 31) + 1, F(NO_PREALLOC), 0, 0, -E2BIG, NULL },
	{ "percpu_hash value 32K+1", T(PERCPU_HASH), 4, 32769, 4, 0, 0, 0, -E2BIG, NULL },
	{ "percpu_hash NUMA", T(PERCPU_HASH), 4, 8, 4, F(NUMA_NODE), 0, 0, -EINVAL, NULL },
	{ "lru NO_PREALLOC", T(LRU_HASH), 4, 8, 4, F(NO_PREALLOC), 0, 0, -BPFBOX_ENOTSUPP, NULL },
	{ "lru NO_COMMON_LRU", T(LRU_HASH), 4, 8, 3, F(NO_COMMON_LRU), 0, 0, 0, NULL },
	{ "lru NO_COMMON_LRU|NUMA", T(LRU_HASH), 4, 8, 4, F(NO_COMMON_LRU) | F(NUMA_NODE), 0, 0, -EINVAL,
	  NULL },
	{ "lru_percpu ok", T(LRU_PERCPU_HASH), 4, 8, 4, 0, 0, 0, 0, NULL },
	{ "lpm ok", T(LPM_TRIE), 8, 8, 4, F(NO_PREALLOC), 0, 0, 0, NULL },
	{ "lpm prealloc", T(LPM_TRIE), 8, 8, 4, 0, 0, 0, -EINVAL, NULL },
	{ "lpm key 4", T(LPM_TRIE), 4, 8, 4, F(NO_PREALLOC), 0, 0, -EINVAL, NULL },
	{ "lpm key 260", T(LPM_TRIE), 260, 8, 4, F(NO_PREALLOC), 0, 0, 0, NULL },
	{ "lpm key 261", T(LPM_TRIE), 261, 8, 4, F(NO_PREALLOC), 0, 0, -EINVAL, NULL },
	{ "lpm value 0", T(LPM_TRIE), 8, 0, 4, F(NO_PREALLOC), 0, 0, -EINVAL, NULL },
	{ "lpm value max", T(LPM_TRIE), 8, 4194024, 4, F(NO_PREALLOC), 0, 0, 0, NULL },
	{ "lpm value max+1", T(LPM_TRIE), 8, 4194025, 4, F(NO_PREALLOC), 0, 0, -EINVAL, NULL },
	{ "lpm ZERO_SEED", T(LPM_TRIE), 8, 8, 4, F(NO_PREALLOC) | F(ZERO_SEED), 0, 0, -EINVAL, NULL },
	{ "lpm max 0", T(LPM_TRIE), 8, 8, 0, F(NO_PREALLOC), 0, 0, -EINVAL, NULL },
	{ "queue ok", T(QUEUE), 0, 8, 4, 0, 0, 0, 0, NULL },
	{ "queue key 4", T(QUEUE), 4, 8, 4, 0, 0, 0, -EINVAL, NULL },
	{ "queue value 0", T(QUEUE), 0, 0, 4, 0, 0, 0, -EINVAL, NULL },
	{ "queue NO_PREALLOC", T(QUEUE), 0, 8, 4, F(NO_PREALLOC), 0, 0, -EINVAL, NULL },
	{ "stack value 4M+1", T(STACK), 0, (1u << 22) + 1, 4, 0, 0, 0, -E2BIG, NULL },
	{ "bloom ok", T(BLOOM_FILTER), 0, 8, 100, 0, 3, 0, 0, NULL },
	{ "bloom extra 16", T(BLOOM_FILTER), 0, 8, 100, 0, 16, 0, -EINVAL, NULL },
	{ "bloom key 4", T(BLOOM_FILTER), 0 + 4, 8, 100, 0, 0, 0, -EINVAL, NULL },
	{ "bloom value 4M+1", T(BLOOM_FILTER), 0, (1u << 22) + 1, 100, 0, 0, 0, -E2BIG, NULL },
	{ "bloom NO_PREALLOC", T(BLOOM_FILTER), 0, 8, 100, F(NO_PREALLOC), 0, 0, -EINVAL, NULL },
	{ "bloom ZERO_SEED", T(BLOOM_FILTER), 0, 8, 100, F(ZERO_SEED), 0, 0, 0, NULL },
	{ "bloom max 0", T(BLOOM_FILTER), 0, 8, 0, 0, 0, 0, -EINVAL, NULL },
	{ "ringbuf ok", T(RINGBUF), 0, 0, 4096, 0, 0, 0, 0, NULL },
	{ "ringbuf 3 pages", T(RINGBUF), 0, 0, 3 * 4096, 0, 0, 0, -EINVAL, NULL },
	{ "ringbuf half a page", T(RINGBUF), 0, 0, 2048, 0, 0, 0, -EINVAL, NULL },
	{ "ringbuf value 4", T(RINGBUF), 0, 4, 4096, 0, 0, 0, -EINVAL, NULL },
	{ "ringbuf RDONLY_PROG", T(RINGBUF), 0, 0, 4096, F(RDONLY_PROG), 0, 0, -EINVAL, NULL },
	{ "ringbuf NUMA", T(RINGBUF), 0, 0, 4096, F(NUMA_NODE), 0, 0, 0, NULL },
	{ "perf ok", T(PERF_EVENT_ARRAY), 4, 4, 4, 0, 0, 0, 0, NULL },
	{ "perf value 8", T(PERF_EVENT_ARRAY), 4, 8, 4, 0, 0, 0, -EINVAL, NULL },
	{ "perf PRESERVE_ELEMS", T(PERF_EVENT_ARRAY), 4, 4, 4, F(PRESERVE_ELEMS), 0, 0, 0, NULL },
	{ "prog_array RDONLY_PROG", T(PROG_ARRAY), 4, 4, 4, F(RDONLY_PROG), 0, 0, -EINVAL, NULL },
	{ "prog_array MMAPABLE", T(PROG_ARRAY), 4, 4, 4, F(MMAPABLE), 0, 0, -EINVAL, NULL },
	{ "prog_array value 8", T(PROG_ARRAY), 4, 8, 4, 0, 0, 0, -EINVAL, NULL },
	{ "aom no template", T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, IN_NONE, -EBADF, NULL },
	{ "aom array template", T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, IN_ARRAY, 0, NULL },
	{ "aom value 8", T(ARRAY_OF_MAPS), 4, 8, 4, 0, 0, IN_ARRAY, -EINVAL, NULL },
	{ "aom INNER_MAP", T(ARRAY_OF_MAPS), 4, 4, 4, F(INNER_MAP), 0, IN_ARRAY, -EINVAL, NULL },
	{ "aom prog_array template", T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, IN_PROG_ARRAY, -BPFBOX_ENOTSUPP,
	  NULL },
	{ "aom nested template", T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, IN_AOM, -EINVAL, NULL },
	{ "aom ringbuf template", T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, IN_RINGBUF, 0, NULL },
	{ "aom queue template", T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, IN_QUEUE, 0, NULL },
	{ "aom perf template", T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, IN_PERF, 0, NULL },
	{ "hom hash template", T(HASH_OF_MAPS), 4, 4, 4, 0, 0, IN_HASH, 0, NULL },
	{ "hom NO_PREALLOC", T(HASH_OF_MAPS), 4, 4, 4, F(NO_PREALLOC), 0, IN_HASH, 0, NULL },
	{ "hom value 8", T(HASH_OF_MAPS), 4, 8, 4, 0, 0, IN_HASH, -EINVAL, NULL },
	{ "unknown type 99", 99, 4, 8, 4, 0, 0, 0, -EINVAL, NULL },
	{ "name with a space", T(HASH), 4, 8, 4, 0, 0, 0, -EINVAL, "bad name" },
	{ "name with . and _", T(HASH), 4, 8, 4, 0, 0, 0, 0, "x.y_z" },
	{ "name with -", T(HASH), 4, 8, 4, 0, 0, 0, -EINVAL, "a-b" },
};

static void make_inner(int kind, struct bpfbox_map **m, int *fd)
{
	static const struct {
		uint32_t type, ks, vs, max;
	} spec[] = {
		[IN_ARRAY] = { T(ARRAY), 4, 8, 4 },     [IN_PROG_ARRAY] = { T(PROG_ARRAY), 4, 4, 4 },
		[IN_RINGBUF] = { T(RINGBUF), 0, 0, 4096 }, [IN_QUEUE] = { T(QUEUE), 0, 8, 4 },
		[IN_PERF] = { T(PERF_EVENT_ARRAY), 4, 4, 4 }, [IN_HASH] = { T(HASH), 4, 8, 4 },
	};
	*m = NULL;
	*fd = -1;
	if (kind == IN_NONE)
		return;
	if (kind == IN_AOM) {
		struct bpfbox_map *a;
		int afd = -1;
		make_inner(IN_ARRAY, &a, &afd);
		ocreate(m, T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, a, "aom");
		bpfbox_map__free(a);
		if (have_kernel) {
			*fd = kcreate(T(ARRAY_OF_MAPS), 4, 4, 4, 0, 0, afd, "aom");
			close(afd);
		}
		return;
	}
	ocreate(m, spec[kind].type, spec[kind].ks, spec[kind].vs, spec[kind].max, 0, 0, NULL, "in");
	if (have_kernel)
		*fd = kcreate(spec[kind].type, spec[kind].ks, spec[kind].vs, spec[kind].max, 0, 0, 0, "in");
}

static void test_create_table(void)
{
	int ours_bad = 0, kern_bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct create_case *c = &cases[i];
		struct bpfbox_map *inner, *m = NULL;
		int ifd;
		make_inner(c->inner, &inner, &ifd);
		const char *nm = c->name ? c->name : "t";
		char lbuf[256] = "";
		struct bpfbox_log log = { .buf = lbuf, .size = sizeof(lbuf) };
		create_log = &log;
		int o = ocreate(&m, c->type, c->ks, c->vs, c->max, c->flags, c->extra, inner, nm);
		create_log = NULL;
		bpfbox_map__free(m);
		bpfbox_map__free(inner);
		CHECK(o == c->want, "create %s: bpfbox %d, expected %d", c->what, o, c->want);
		/* a refusal says why, in one line naming the map; success says nothing */
		CHECK(o ? (strstr(lbuf, "map '") == lbuf && strchr(lbuf, '\n') == lbuf + strlen(lbuf) - 1)
			: lbuf[0] == 0,
		      "create %s: log \"%.*s\"", c->what, lbuf[0] ? (int)strlen(lbuf) - 1 : 0, lbuf);
		ours_bad += o != c->want;
		if (have_kernel) {
			/* no template for a map-in-map: a closed fd (fd 0 would be stdin,
			 * which the kernel refuses with -EINVAL instead) */
			bool mim = c->type == T(ARRAY_OF_MAPS) || c->type == T(HASH_OF_MAPS);
			int k = kcreate(c->type, c->ks, c->vs, c->max, c->flags, c->extra,
					ifd >= 0 ? ifd : mim ? -1 : 0, nm);
			if (k >= 0) {
				close(k);
				k = 0;
			}
			CHECK(k == c->want, "create %s: kernel %d, expected %d", c->what, k, c->want);
			kern_bad += k != c->want;
		}
		if (ifd >= 0)
			close(ifd);
	}
	if (!have_kernel)
		SKIP("creation table against the kernel: bpf() not permitted here");
}

/* ---- random operation sequences ---------------------------------------------------------- */

/* Compare one operation's results; count mismatches quietly, report a few. */
static int mism;
#define AGREE(o, k, ...)                                                                \
	do {                                                                            \
		int _o = (o), _k = (k);                                                 \
		CHECK_QUIET(_o == _k, __VA_ARGS__);                                     \
		if (_o != _k && mism++ < 5)                                             \
			printf("#   bpfbox %d, kernel %d\n", _o, _k);                       \
	} while (0)

static uint64_t rand_flags(void)
{
	static const uint64_t f[] = { BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3, BPF_F_LOCK };
	return f[rnd() % 6];
}

/* Keys and values for generic ops: key_size bytes drawn from a small space
 * (so that operations meet), value bytes random. */
static void rand_key(uint8_t *k, uint32_t ks, uint32_t space)
{
	memset(k, 0, ks);
	uint32_t v = (uint32_t)(rnd() % space);
	memcpy(k, &v, ks < 4 ? ks : 4);
}

static void compare_ops(struct pair *p, uint32_t ks, uint32_t key_space, int steps, const char *what,
			bool next_key_order)
{
	uint32_t vsz = bpfbox_map__value_buf_size(p->m);
	uint8_t key[264], nk_o[264], nk_k[264], vo[4096], vk[4096], vin[4096];
	mism = 0;
	for (int s = 0; s < steps; s++) {
		rand_key(key, ks, key_space);
		for (uint32_t i = 0; i < vsz; i++)
			vin[i] = (uint8_t)rnd();
		memset(vo, 0, vsz);
		memset(vk, 0, vsz);
		switch (rnd() % 6) {
		case 0:
		case 1: {
			uint64_t fl = rand_flags();
			AGREE(bpfbox_map__update(p->m, key, vin, fl),
			      kerr(bpf_map_update_elem(p->fd, key, vin, fl)), "%s: update flags %llu (step %d)",
			      what, (unsigned long long)fl, s);
			break;
		}
		case 2:
			AGREE(bpfbox_map__delete(p->m, key), kerr(bpf_map_delete_elem(p->fd, key)),
			      "%s: delete (step %d)", what, s);
			break;
		case 3: {
			int a = bpfbox_map__lookup(p->m, key, vo);
			int b = kerr(bpf_map_lookup_elem(p->fd, key, vk));
			AGREE(a, b, "%s: lookup (step %d)", what, s);
			if (!a && !b)
				AGREE(memcmp(vo, vk, vsz), 0, "%s: looked-up value (step %d)", what, s);
			break;
		}
		case 4: {
			int a = bpfbox_map__lookup_and_delete(p->m, key, vo);
			int b = kerr(bpf_map_lookup_and_delete_elem(p->fd, key, vk));
			AGREE(a, b, "%s: lookup_and_delete (step %d)", what, s);
			if (!a && !b)
				AGREE(memcmp(vo, vk, vsz), 0, "%s: value of lookup_and_delete (step %d)", what, s);
			break;
		}
		default: {
			/* hash orders differ: only NULL (first key) is comparable */
			bool null = !next_key_order || rnd() % 2;
			int a = bpfbox_map__get_next_key(p->m, null ? NULL : key, nk_o);
			int b = kerr(bpf_map_get_next_key(p->fd, null ? NULL : key, nk_k));
			AGREE(a, b, "%s: get_next_key (step %d)", what, s);
			if (!a && !b && next_key_order)
				AGREE(memcmp(nk_o, nk_k, ks), 0, "%s: next key (step %d)", what, s);
		}
		}
	}
	CHECK(mism == 0, "%s: %d random operations agree with the kernel", what, steps);
}

/* The element sets must match: walk the kernel map, look each key up in
 * ours, and count both. */
static int count_cb(const void *key, const void *value, void *ud)
{
	(*(int *)ud)++;
	return 0;
}

static void compare_sets(struct pair *p, uint32_t ks, const char *what)
{
	uint32_t vsz = bpfbox_map__value_buf_size(p->m);
	uint8_t key[264], prev[264], vo[4096], vk[4096];
	int n = 0, bad = 0, ours = 0;
	void *pk = NULL;
	while (bpf_map_get_next_key(p->fd, pk, key) == 0 && n < 100000) {
		if (bpf_map_lookup_elem(p->fd, key, vk) || bpfbox_map__lookup(p->m, key, vo) ||
		    memcmp(vo, vk, vsz))
			bad++;
		memcpy(prev, key, ks);
		pk = prev;
		n++;
	}
	bpfbox_map__for_each(p->m, count_cb, &ours);
	CHECK(bad == 0 && ours == n, "%s: the same %d elements with the same values (%d differ, bpfbox has %d)",
	      what, n, bad, ours);
}

static void test_sequences(void)
{
	if (!have_kernel) {
		SKIP("random operation sequences against the kernel: bpf() not permitted here");
		return;
	}
	struct pair p;
	if (pair_new(&p, T(ARRAY), 4, 12, 16, 0)) {
		compare_ops(&p, 4, 20, 3000, "array", true);
		compare_sets(&p, 4, "array");
		pair_free(&p);
	}
	if (pair_new(&p, T(PERCPU_ARRAY), 4, 12, 8, 0)) {
		compare_ops(&p, 4, 10, 2000, "percpu_array", true);
		compare_sets(&p, 4, "percpu_array");
		pair_free(&p);
	}
	static const struct {
		uint32_t type, flags, ks;
		const char *what;
	} hashes[] = {
		{ T(HASH), 0, 4, "hash" },
		{ T(HASH), F(NO_PREALLOC), 4, "hash no-prealloc" },
		{ T(HASH), 0, 13, "hash 13-byte keys" },
		{ T(PERCPU_HASH), 0, 4, "percpu_hash" },
		{ T(PERCPU_HASH), F(NO_PREALLOC), 4, "percpu_hash no-prealloc" },
	};
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		if (!pair_new(&p, hashes[i].type, hashes[i].ks, 12, 24, hashes[i].flags))
			continue;
		compare_ops(&p, hashes[i].ks, 40, 4000, hashes[i].what, false);
		compare_sets(&p, hashes[i].ks, hashes[i].what);
		pair_free(&p);
	}
}

/* ---- LPM: random prefixes, lookups, and the whole get_next_key order ---------------------- */

static void test_lpm(void)
{
	if (!have_kernel) {
		SKIP("lpm_trie against the kernel: bpf() not permitted here");
		return;
	}
	struct pair p;
	if (!pair_new(&p, T(LPM_TRIE), 8, 4, 40, F(NO_PREALLOC)))
		return;
	mism = 0;
	for (int s = 0; s < 6000; s++) {
		uint8_t k[8];
		uint32_t plen = (uint32_t)(rnd() % 36); /* sometimes > 32 */
		uint32_t addr = (uint32_t)rnd() & 0xf0c0f000u;
		memcpy(k, &plen, 4);
		k[4] = (uint8_t)(addr >> 24), k[5] = (uint8_t)(addr >> 16);
		k[6] = (uint8_t)(addr >> 8), k[7] = (uint8_t)addr;
		uint32_t v = (uint32_t)rnd(), vo = 0, vk = 0;
		switch (rnd() % 4) {
		case 0:
		case 1: {
			uint64_t fl = rand_flags();
			AGREE(bpfbox_map__update(p.m, k, &v, fl), kerr(bpf_map_update_elem(p.fd, k, &v, fl)),
			      "lpm: update /%u flags %llu (step %d)", plen, (unsigned long long)fl, s);
			break;
		}
		case 2:
			AGREE(bpfbox_map__delete(p.m, k), kerr(bpf_map_delete_elem(p.fd, k)),
			      "lpm: delete /%u (step %d)", plen, s);
			break;
		default: {
			int a = bpfbox_map__lookup(p.m, k, &vo), b = kerr(bpf_map_lookup_elem(p.fd, k, &vk));
			AGREE(a, b, "lpm: lookup /%u (step %d)", plen, s);
			if (!a && !b)
				AGREE(vo == vk, 1, "lpm: matched value (step %d)", s);
		}
		}
		if (s % 500 == 0) {
			/* the whole post-order walk, from NULL and from absent keys */
			uint8_t ko[8], kk[8], po[8], pk[8];
			bool first = true;
			int steps = 0;
			for (;;) {
				int a = bpfbox_map__get_next_key(p.m, first ? NULL : po, ko);
				int b = kerr(bpf_map_get_next_key(p.fd, first ? NULL : pk, kk));
				AGREE(a, b, "lpm: get_next_key walk (step %d)", s);
				if (a || b || steps++ > 100)
					break;
				if (memcmp(ko, kk, 8) && getenv("LPMDBG"))
					printf("#  walk %d: ours /%u %02x%02x%02x%02x kernel /%u %02x%02x%02x%02x\n", steps,
					       *(uint32_t *)ko, ko[4], ko[5], ko[6], ko[7], *(uint32_t *)kk, kk[4],
					       kk[5], kk[6], kk[7]);
				AGREE(memcmp(ko, kk, 8), 0, "lpm: get_next_key order (step %d)", s);
				memcpy(po, ko, 8);
				memcpy(pk, kk, 8);
				first = false;
			}
			int a = bpfbox_map__get_next_key(p.m, k, ko), b = kerr(bpf_map_get_next_key(p.fd, k, kk));
			AGREE(a, b, "lpm: get_next_key of a random key (step %d)", s);
			if (!a && !b)
				AGREE(memcmp(ko, kk, 8), 0, "lpm: next of a random key (step %d)", s);
		}
	}
	CHECK(mism == 0, "lpm: 6000 random updates/deletes/lookups and post-order walks agree");
	/* batch through both */
	uint8_t ko[40 * 8], kk[40 * 8];
	uint32_t vo[40], vk[40], co = 40, ck = 40;
	struct bpfbox_map_batch b;
	uint64_t kb;
	int a = bpfbox_map__lookup_batch(p.m, NULL, &b, ko, vo, &co, NULL);
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	int kr = kerr(bpf_map_lookup_batch(p.fd, NULL, &kb, kk, vk, &ck, &bo));
	CHECK(a == kr && co == ck && !memcmp(ko, kk, co * 8) && !memcmp(vo, vk, co * 4),
	      "lpm lookup_batch: %d/%d, %u/%u entries, same order", a, kr, co, ck);
	pair_free(&p);
}

/* ---- queue, stack, bloom ------------------------------------------------------------------------ */

static void test_queue_stack(void)
{
	if (!have_kernel) {
		SKIP("queue/stack/bloom against the kernel: bpf() not permitted here");
		return;
	}
	for (int st = 0; st < 2; st++) {
		struct pair p;
		const char *what = st ? "stack" : "queue";
		if (!pair_new(&p, st ? T(STACK) : T(QUEUE), 0, 8, 5, 0))
			continue;
		mism = 0;
		for (int s = 0; s < 3000; s++) {
			uint64_t v = rnd(), vo = 0, vk = 0;
			switch (rnd() % 4) {
			case 0:
			case 1: {
				uint64_t fl = rand_flags();
				AGREE(bpfbox_map__update(p.m, NULL, &v, fl),
				      kerr(bpf_map_update_elem(p.fd, NULL, &v, fl)), "%s: push flags %llu (step %d)",
				      what, (unsigned long long)fl, s);
				break;
			}
			case 2: {
				int a = bpfbox_map__lookup_and_delete(p.m, NULL, &vo);
				int b = kerr(bpf_map_lookup_and_delete_elem(p.fd, NULL, &vk));
				AGREE(a, b, "%s: pop (step %d)", what, s);
				if (!a && !b)
					AGREE(vo == vk, 1, "%s: popped value (step %d)", what, s);
				break;
			}
			default: {
				int a = bpfbox_map__lookup(p.m, NULL, &vo);
				int b = kerr(bpf_map_lookup_elem(p.fd, NULL, &vk));
				AGREE(a, b, "%s: peek (step %d)", what, s);
				if (!a && !b)
					AGREE(vo == vk, 1, "%s: peeked value (step %d)", what, s);
			}
			}
		}
		uint64_t x;
		AGREE(bpfbox_map__delete(p.m, NULL), kerr(bpf_map_delete_elem(p.fd, NULL)), "%s: delete", what);
		AGREE(bpfbox_map__get_next_key(p.m, NULL, &x), kerr(bpf_map_get_next_key(p.fd, NULL, &x)),
		      "%s: get_next_key", what);
		CHECK(mism == 0, "%s: 3000 random pushes/pops/peeks agree with the kernel", what);
		pair_free(&p);
	}
	/* bloom: what is defined (inserted values, errors) */
	struct pair p;
	BPFBOX_OPTS(bpfbox_map_opts, bo, .type = T(BLOOM_FILTER), .value_size = 8, .max_entries = 100,
		    .map_extra = 3);
	if (bpfbox_map__new(&p.m, &bo))
		return;
	p.fd = kcreate(T(BLOOM_FILTER), 0, 8, 100, 0, 3, 0, "bl");
	mism = 0;
	for (uint64_t v = 0; v < 100; v++) {
		uint64_t fl = rand_flags();
		AGREE(bpfbox_map__update(p.m, NULL, &v, fl), kerr(bpf_map_update_elem(p.fd, NULL, &v, fl)),
		      "bloom: push flags %llu", (unsigned long long)fl);
		if (fl == 0)
			AGREE(bpfbox_map__lookup(p.m, NULL, &v), kerr(bpf_map_lookup_elem(p.fd, NULL, &v)),
			      "bloom: peek of a pushed value");
	}
	uint64_t x = 0;
	AGREE(bpfbox_map__delete(p.m, NULL), kerr(bpf_map_delete_elem(p.fd, NULL)), "bloom: delete");
	AGREE(bpfbox_map__get_next_key(p.m, NULL, &x), kerr(bpf_map_get_next_key(p.fd, NULL, &x)),
	      "bloom: get_next_key");
	AGREE(bpfbox_map__lookup_and_delete(p.m, NULL, &x), kerr(bpf_map_lookup_and_delete_elem(p.fd, NULL, &x)),
	      "bloom: lookup_and_delete");
	CHECK(mism == 0, "bloom: pushes, peeks of pushed values, errors agree with the kernel");
	pair_free(&p);
}

/* ---- LRU: a sequential pattern on one CPU ---------------------------------------------------- */

static void test_lru(void)
{
	if (!have_kernel) {
		SKIP("LRU against the kernel: bpf() not permitted here");
		return;
	}
	/* the kernel's LRU lists are per CPU: stay on one for a repeatable result */
	cpu_set_t old, one;
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	struct pair p;
	if (pair_new(&p, T(LRU_HASH), 4, 8, 4, 0)) {
		uint64_t v = 0;
		for (uint32_t i = 0; i < 10; i++) {
			bpfbox_map__update(p.m, &i, &v, 0);
			bpf_map_update_elem(p.fd, &i, &v, 0);
		}
		uint32_t z = 6; /* a user-space lookup is not a use, in both */
		bpfbox_map__lookup(p.m, &z, &v);
		bpf_map_lookup_elem(p.fd, &z, &v);
		for (uint32_t i = 10; i < 12; i++) {
			bpfbox_map__update(p.m, &i, &v, 0);
			bpf_map_update_elem(p.fd, &i, &v, 0);
		}
		int mo = 0, mk = 0;
		for (uint32_t i = 0; i < 12; i++) {
			mo |= (bpfbox_map__lookup(p.m, &i, &v) == 0) << i;
			mk |= (bpf_map_lookup_elem(p.fd, &i, &v) == 0) << i;
		}
		CHECK(mo == mk, "LRU: 12 sequential inserts into 4: the same survivors (0x%x, kernel 0x%x)", mo, mk);
		pair_free(&p);
	}
	sched_setaffinity(0, sizeof(old), &old);
}

/* ---- batches -------------------------------------------------------------------------------------- */

static void test_batches(void)
{
	if (!have_kernel) {
		SKIP("batch operations against the kernel: bpf() not permitted here");
		return;
	}
	LIBBPF_OPTS(bpf_map_batch_opts, kb0);
	LIBBPF_OPTS(bpf_map_batch_opts, kbf, .elem_flags = BPF_NOEXIST);
	BPFBOX_OPTS(bpfbox_map_batch_opts, ob0);
	BPFBOX_OPTS(bpfbox_map_batch_opts, obf, .elem_flags = BPFBOX_NOEXIST);
	uint32_t keys[64], kko[64], kkk[64];
	uint64_t vals[64], vvo[64], vvk[64];
	for (uint32_t i = 0; i < 64; i++)
		keys[i] = i * 3, vals[i] = i * 1000;
	mism = 0;
	/* array: every count, walking the cursor, in both */
	struct pair p;
	if (pair_new(&p, T(ARRAY), 4, 8, 10, 0)) {
		uint32_t c1 = 4, c2 = 4;
		AGREE(bpfbox_map__update_batch(p.m, keys, vals, &c1, &ob0),
		      kerr(bpf_map_update_batch(p.fd, keys, vals, &c2, &kb0)), "array update_batch");
		AGREE(c1, c2, "array update_batch count");
		c1 = c2 = 8; /* keys 12, 15, 18, 21 are out of range */
		AGREE(bpfbox_map__update_batch(p.m, keys, vals, &c1, &ob0),
		      kerr(bpf_map_update_batch(p.fd, keys, vals, &c2, &kb0)), "array update_batch past the end");
		AGREE(c1, c2, "array update_batch past the end: count");
		c1 = c2 = 2;
		AGREE(bpfbox_map__update_batch(p.m, keys, vals, &c1, &obf),
		      kerr(bpf_map_update_batch(p.fd, keys, vals, &c2, &kbf)), "array update_batch NOEXIST");
		for (uint32_t want = 1; want <= 11; want++) {
			struct bpfbox_map_batch bo;
			uint32_t kbat = 0;
			bool first = true;
			for (int round = 0; round < 20; round++) {
				uint32_t co = want, ck = want;
				int a = bpfbox_map__lookup_batch(p.m, first ? NULL : &bo, &bo, kko, vvo, &co, &ob0);
				int b = kerr(bpf_map_lookup_batch(p.fd, first ? NULL : &kbat, &kbat, kkk, vvk, &ck,
								  &kb0));
				AGREE(a, b, "array lookup_batch of %u, round %d", want, round);
				AGREE(co, ck, "array lookup_batch of %u, round %d: count", want, round);
				if (co == ck)
					AGREE(memcmp(kko, kkk, co * 4) || memcmp(vvo, vvk, co * 8), 0,
					      "array lookup_batch of %u: entries", want);
				first = false;
				if (a || b)
					break;
			}
		}
		uint32_t c = 3, d = 3;
		AGREE(bpfbox_map__delete_batch(p.m, keys, &c, &ob0), kerr(bpf_map_delete_batch(p.fd, keys, &d, &kb0)),
		      "array delete_batch");
		pair_free(&p);
	}
	/* hash: drain with lookup_and_delete_batch of various sizes; totals and errors agree */
	for (uint32_t want = 1; want <= 9; want += 4) {
		if (!pair_new(&p, T(HASH), 4, 8, 40, 0))
			break;
		uint32_t c1 = 30, c2 = 30;
		AGREE(bpfbox_map__update_batch(p.m, keys, vals, &c1, &ob0),
		      kerr(bpf_map_update_batch(p.fd, keys, vals, &c2, &kb0)), "hash update_batch");
		c1 = c2 = 2;
		AGREE(bpfbox_map__update_batch(p.m, keys, vals, &c1, &obf),
		      kerr(bpf_map_update_batch(p.fd, keys, vals, &c2, &kbf)), "hash update_batch NOEXIST");
		uint32_t to = 0, tk = 0;
		int eo = 0, ek = 0;
		struct bpfbox_map_batch bo;
		uint32_t kbat = 0;
		for (int r = 0; r < 100 && eo != -ENOENT; r++) {
			uint32_t co = want;
			eo = bpfbox_map__lookup_and_delete_batch(p.m, r ? &bo : NULL, &bo, kko, vvo, &co, &ob0);
			if (eo == -ENOSPC) {
				co = 64;
				eo = bpfbox_map__lookup_and_delete_batch(p.m, r ? &bo : NULL, &bo, kko, vvo, &co, &ob0);
			}
			to += co;
		}
		for (int r = 0; r < 100 && ek != -ENOENT; r++) {
			uint32_t ck = want;
			ek = kerr(bpf_map_lookup_and_delete_batch(p.fd, r ? &kbat : NULL, &kbat, kkk, vvk, &ck, &kb0));
			if (ek == -ENOSPC) {
				ck = 64;
				ek = kerr(bpf_map_lookup_and_delete_batch(p.fd, r ? &kbat : NULL, &kbat, kkk, vvk,
									  &ck, &kb0));
			}
			tk += ck;
		}
		AGREE(eo, ek, "hash lookup_and_delete_batch of %u: ends with", want);
		AGREE(to, tk, "hash lookup_and_delete_batch of %u: total", want);
		uint32_t x, cz = 0, ck0 = 0;
		AGREE(bpfbox_map__get_next_key(p.m, NULL, &x), kerr(bpf_map_get_next_key(p.fd, NULL, &x)),
		      "hash drained");
		AGREE(bpfbox_map__lookup_batch(p.m, NULL, &bo, kko, vvo, &cz, &ob0),
		      kerr(bpf_map_lookup_batch(p.fd, NULL, &kbat, kkk, vvk, &ck0, &kb0)), "hash batch count 0");
		c1 = c2 = 3;
		uint32_t dk[3] = { 0, 3, 999 };
		bpfbox_map__update_batch(p.m, keys, vals, &c1, &ob0);
		c1 = 3;
		bpf_map_update_batch(p.fd, keys, vals, &c2, &kb0);
		c2 = 3;
		AGREE(bpfbox_map__delete_batch(p.m, dk, &c1, &ob0), kerr(bpf_map_delete_batch(p.fd, dk, &c2, &kb0)),
		      "hash delete_batch with a missing key");
		AGREE(c1, c2, "hash delete_batch count");
		pair_free(&p);
	}
	/* types without batches */
	static const struct {
		uint32_t type, ks, vs, max, flags;
	} nob[] = { { T(QUEUE), 0, 8, 4, 0 }, { T(RINGBUF), 0, 0, 4096, 0 }, { T(PERCPU_ARRAY), 4, 8, 4, 0 } };
	for (size_t i = 0; i < 3; i++) {
		if (!pair_new(&p, nob[i].type, nob[i].ks, nob[i].vs, nob[i].max, nob[i].flags))
			continue;
		uint32_t c1 = 1, c2 = 1, kbat;
		struct bpfbox_map_batch bo;
		AGREE(bpfbox_map__delete_batch(p.m, keys, &c1, &ob0), kerr(bpf_map_delete_batch(p.fd, keys, &c2, &kb0)),
		      "type %u delete_batch", nob[i].type);
		c1 = c2 = 1;
		AGREE(bpfbox_map__lookup_and_delete_batch(p.m, NULL, &bo, kko, vvo, &c1, &ob0),
		      kerr(bpf_map_lookup_and_delete_batch(p.fd, NULL, &kbat, kkk, vvk, &c2, &kb0)),
		      "type %u lookup_and_delete_batch", nob[i].type);
		pair_free(&p);
	}
	CHECK(mism == 0, "batches: results and counts agree with the kernel");
}

/* ---- pointer maps, special types, permissions ------------------------------------------------------ */

static void test_special(void)
{
	if (!have_kernel) {
		SKIP("pointer maps, ringbuf/perf errors, permissions against the kernel: bpf() not permitted here");
		return;
	}
	mism = 0;
	uint32_t k0 = 0, k1 = 1, k9 = 9, id;
	uint64_t v[8] = { 0 };
	/* array_of_maps with an array template of 4 entries */
	struct bpfbox_map *tmpl, *same, *bigger, *hash, *rdprog;
	int tfd = kcreate(T(ARRAY), 4, 8, 4, 0, 0, 0, "t");
	int sfd = kcreate(T(ARRAY), 4, 8, 4, 0, 0, 0, "s");
	int bfd = kcreate(T(ARRAY), 4, 8, 5, 0, 0, 0, "b");
	int hfd = kcreate(T(HASH), 4, 8, 4, 0, 0, 0, "h");
	int rfd = kcreate(T(ARRAY), 4, 8, 4, F(RDONLY_PROG), 0, 0, "r");
	ocreate(&tmpl, T(ARRAY), 4, 8, 4, 0, 0, NULL, "t");
	ocreate(&same, T(ARRAY), 4, 8, 4, 0, 0, NULL, "s");
	ocreate(&bigger, T(ARRAY), 4, 8, 5, 0, 0, NULL, "b");
	ocreate(&hash, T(HASH), 4, 8, 4, 0, 0, NULL, "h");
	ocreate(&rdprog, T(ARRAY), 4, 8, 4, F(RDONLY_PROG), 0, NULL, "r");
	struct bpfbox_map *aom;
	ocreate(&aom, T(ARRAY_OF_MAPS), 4, 4, 2, 0, 0, tmpl, "aom");
	int afd = kcreate(T(ARRAY_OF_MAPS), 4, 4, 2, 0, 0, tfd, "aom");
	AGREE(bpfbox_map__update_ptr(aom, &k0, bigger), kerr(bpf_map_update_elem(afd, &k0, &bfd, 0)),
	      "aom: inner array of another size");
	AGREE(bpfbox_map__update_ptr(aom, &k0, hash), kerr(bpf_map_update_elem(afd, &k0, &hfd, 0)),
	      "aom: inner hash for an array template");
	AGREE(bpfbox_map__update_ptr(aom, &k0, rdprog), kerr(bpf_map_update_elem(afd, &k0, &rfd, 0)),
	      "aom: inner with other flags");
	AGREE(bpfbox_map__update_ptr_flags(aom, &k0, same, BPF_NOEXIST),
	      kerr(bpf_map_update_elem(afd, &k0, &sfd, BPF_NOEXIST)), "aom: NOEXIST");
	AGREE(bpfbox_map__update_ptr(aom, &k9, same), kerr(bpf_map_update_elem(afd, &k9, &sfd, 0)),
	      "aom: index out of range");
	AGREE(bpfbox_map__update_ptr(aom, &k0, same), kerr(bpf_map_update_elem(afd, &k0, &sfd, 0)), "aom: ok");
	void *ptr;
	AGREE(bpfbox_map__lookup_ptr(aom, &k1, &ptr), kerr(bpf_map_lookup_elem(afd, &k1, &id)),
	      "aom: lookup of an empty slot");
	AGREE(bpfbox_map__lookup_ptr(aom, &k0, &ptr), kerr(bpf_map_lookup_elem(afd, &k0, &id)), "aom: lookup");
	AGREE(bpfbox_map__delete(aom, &k0), kerr(bpf_map_delete_elem(afd, &k0)), "aom: delete");
	AGREE(bpfbox_map__delete(aom, &k0), kerr(bpf_map_delete_elem(afd, &k0)), "aom: delete again");
	AGREE(bpfbox_map__delete(aom, &k9), kerr(bpf_map_delete_elem(afd, &k9)), "aom: delete out of range");
	uint32_t nk1, nk2;
	AGREE(bpfbox_map__get_next_key(aom, &k1, &nk1), kerr(bpf_map_get_next_key(afd, &k1, &nk2)),
	      "aom: get_next_key of the last");
	/* hash_of_maps: flags count there */
	struct bpfbox_map *hom;
	ocreate(&hom, T(HASH_OF_MAPS), 4, 4, 2, 0, 0, hash, "hom");
	int homfd = kcreate(T(HASH_OF_MAPS), 4, 4, 2, 0, 0, hfd, "hom");
	AGREE(bpfbox_map__update_ptr_flags(hom, &k0, hash, BPF_EXIST),
	      kerr(bpf_map_update_elem(homfd, &k0, &hfd, BPF_EXIST)), "hom: EXIST on a missing key");
	AGREE(bpfbox_map__update_ptr(hom, &k0, hash), kerr(bpf_map_update_elem(homfd, &k0, &hfd, 0)), "hom: ok");
	AGREE(bpfbox_map__update_ptr_flags(hom, &k0, hash, BPF_NOEXIST),
	      kerr(bpf_map_update_elem(homfd, &k0, &hfd, BPF_NOEXIST)), "hom: NOEXIST on a present key");
	AGREE(bpfbox_map__update_ptr(hom, &k0, same), kerr(bpf_map_update_elem(homfd, &k0, &sfd, 0)),
	      "hom: an array for a hash template");
	AGREE(bpfbox_map__delete(hom, &k1), kerr(bpf_map_delete_elem(homfd, &k1)), "hom: delete missing");
	AGREE(bpfbox_map__lookup_and_delete(hom, &k0, v), kerr(bpf_map_lookup_and_delete_elem(homfd, &k0, v)),
	      "hom: lookup_and_delete");
	bpfbox_map__free(hom);
	bpfbox_map__free(aom);
	bpfbox_map__free(tmpl);
	bpfbox_map__free(same);
	bpfbox_map__free(bigger);
	bpfbox_map__free(hash);
	bpfbox_map__free(rdprog);
	int fds[] = { tfd, sfd, bfd, hfd, rfd, afd, homfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);

	/* user-space errors of the special types */
	static const struct {
		uint32_t type, ks, vs, max;
	} sp[] = { { T(RINGBUF), 0, 0, 4096 }, { T(PERF_EVENT_ARRAY), 4, 4, 4 }, { T(PROG_ARRAY), 4, 4, 4 },
		   { T(PERCPU_ARRAY), 4, 8, 4 }, { T(LPM_TRIE), 8, 8, 4 } };
	for (size_t i = 0; i < sizeof(sp) / sizeof(sp[0]); i++) {
		struct pair p;
		if (!pair_new(&p, sp[i].type, sp[i].ks, sp[i].vs, sp[i].max,
			      sp[i].type == T(LPM_TRIE) ? F(NO_PREALLOC) : 0))
			continue;
		uint8_t key[8] = { 0 }, nk[8];
		void *kp = sp[i].ks ? key : NULL;
		if (sp[i].type != T(PROG_ARRAY)) /* the kernel returns an id there; bpfbox has lookup_ptr */
			AGREE(bpfbox_map__lookup(p.m, kp, v), kerr(bpf_map_lookup_elem(p.fd, kp, v)),
			      "type %u: lookup", sp[i].type);
		AGREE(bpfbox_map__get_next_key(p.m, NULL, nk), kerr(bpf_map_get_next_key(p.fd, NULL, nk)),
		      "type %u: get_next_key", sp[i].type);
		if (sp[i].type != T(PERF_EVENT_ARRAY)) /* bpfbox's perf slots are not fds */
			AGREE(bpfbox_map__delete(p.m, kp), kerr(bpf_map_delete_elem(p.fd, kp)), "type %u: delete",
			      sp[i].type);
		AGREE(bpfbox_map__lookup_and_delete(p.m, kp, v), kerr(bpf_map_lookup_and_delete_elem(p.fd, kp, v)),
		      "type %u: lookup_and_delete", sp[i].type);
		if (sp[i].type == T(RINGBUF))
			AGREE(bpfbox_map__update(p.m, kp, v, 0), kerr(bpf_map_update_elem(p.fd, kp, v, 0)),
			      "ringbuf: update");
		pair_free(&p);
	}

	/* permissions */
	static const uint32_t pf[] = { F(RDONLY), F(WRONLY), F(RDONLY_PROG), F(WRONLY_PROG) };
	for (size_t i = 0; i < 4; i++) {
		struct pair p;
		if (!pair_new(&p, T(HASH), 4, 8, 4, pf[i]))
			continue;
		uint32_t nk;
		AGREE(bpfbox_map__update(p.m, &k0, v, 0), kerr(bpf_map_update_elem(p.fd, &k0, v, 0)),
		      "flags 0x%x: update", pf[i]);
		AGREE(bpfbox_map__lookup(p.m, &k0, v), kerr(bpf_map_lookup_elem(p.fd, &k0, v)), "flags 0x%x: lookup",
		      pf[i]);
		AGREE(bpfbox_map__get_next_key(p.m, NULL, &nk), kerr(bpf_map_get_next_key(p.fd, NULL, &nk)),
		      "flags 0x%x: get_next_key", pf[i]);
		AGREE(bpfbox_map__lookup_and_delete(p.m, &k0, v), kerr(bpf_map_lookup_and_delete_elem(p.fd, &k0, v)),
		      "flags 0x%x: lookup_and_delete", pf[i]);
		AGREE(bpfbox_map__delete(p.m, &k0), kerr(bpf_map_delete_elem(p.fd, &k0)), "flags 0x%x: delete", pf[i]);
		pair_free(&p);
	}
	CHECK(mism == 0, "pointer maps, special types and permission flags agree with the kernel");
}

int main(void)
{
	int n = libbpf_num_possible_cpus();
	ncpus = n > 0 ? n : 1;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
	if (fd >= 0) {
		have_kernel = true;
		close(fd);
		printf("# kernel bpf() available; %d possible CPUs\n", ncpus);
	} else {
		printf("# kernel bpf() not available: %s\n", strerror(errno));
	}
	test_create_table();
	test_sequences();
	test_lpm();
	test_queue_stack();
	test_lru();
	test_batches();
	test_special();
	return check_summary();
}
