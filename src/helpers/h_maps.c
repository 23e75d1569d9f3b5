/* bpfbox — helpers/h_maps.c: map, tail-call, callback, ring buffer and perf
 * helpers.
 *
 * Each helper validates its arguments the way the kernel's verifier would
 * have before the call (a registered map, readable key of key_size bytes,
 * ...) when the program runs in checked mode, then calls the maps layer's
 * program face, whose return codes are the kernel's.  Per-CPU maps use the
 * CPU the hook says the program runs on (hlp_cpu).
 *
 * Differences from the kernel, all because user space has no verifier-
 * time types yet: map-in-map lookups return the inner map handle (as the
 * kernel does) and that handle is usable because the loader registered
 * it; bpf_ringbuf_submit/discard find the record's map among the
 * registered ring buffers in checked mode (verified programs trust the
 * record header, as the kernel does).
 */
#include <string.h>
#include "hlp.h"

static bool is_percpu(uint32_t t)
{
	return t == BPFBOX_MAP_TYPE_PERCPU_ARRAY || t == BPFBOX_MAP_TYPE_PERCPU_HASH ||
	       t == BPFBOX_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_map_in_map(uint32_t t)
{
	return t == BPFBOX_MAP_TYPE_ARRAY_OF_MAPS || t == BPFBOX_MAP_TYPE_HASH_OF_MAPS;
}

/* The CPU copy a program touches: the running CPU for per-CPU maps, 0 for
 * the others (whose single value must not be offset by a CPU index). */
static uint32_t map_cpu(struct bpfbox_exec *ex, struct bpfbox_map *m)
{
	return is_percpu(bpfbox_map__type(m)) ? hlp_cpu(ex, bpfbox_map__nr_cpus(m)) : 0;
}

#define MAP_OR_RET(m, r, name, ret)                 \
	struct bpfbox_map *m = hlp_map(ex, (r), name); \
	if (!m)                                         \
		return (ret)

/* The lookup itself, for a map and key already proven (the leaf variant
 * verified JIT code calls directly, bpfbox_vm__set_helper_leaf). */
uint64_t hlp_map_lookup_elem_leaf(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				  struct bpfbox_exec *ex)
{
	struct bpfbox_map *m = (struct bpfbox_map *)(uintptr_t)r1;
	const void *key = (const void *)(uintptr_t)r2;
	uint32_t t = bpfbox_map__type(m);
	if (is_map_in_map(t))
		return (uint64_t)(uintptr_t)bpfbox_map__get_ptr(m, key);
	uint32_t cpu = is_percpu(t) ? hlp_cpu(ex, bpfbox_map__nr_cpus(m)) : 0;
	return (uint64_t)(uintptr_t)bpfbox_map__elem(m, key, cpu);
}

bpfbox_helper_fn hlp_map_lookup_elem_bind(uint64_t map)
{
	struct bpfbox_map *m = (struct bpfbox_map *)(uintptr_t)map;
	if (is_map_in_map(bpfbox_map__type(m)))
		return NULL; /* the helper returns the inner map, not the slot */
	bpfbox_map_lookup_fn f = bpfbox_map__lookup_fn(m);
	/* called as a leaf: (r1, r2) are (map, key) and its result is r0 */
	return f ? (bpfbox_helper_fn)(void (*)(void))f : NULL;
}

uint64_t hlp_map_lookup_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	/* a verified program's map and key are proven */
	if (bpfbox_exec__checked(ex)) {
		struct bpfbox_map *m = hlp_map(ex, r1, "map_lookup_elem");
		if (!m || hlp_mem(ex, r2, bpfbox_map__key_size(m), false, "map_lookup_elem", "key"))
			return 0;
	}
	return hlp_map_lookup_elem_leaf(r1, r2, r3, r4, r5, ex);
}

uint64_t hlp_map_lookup_percpu_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				    uint64_t r5, struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "map_lookup_percpu_elem", 0);
	if (hlp_mem(ex, r2, bpfbox_map__key_size(m), false, "map_lookup_percpu_elem", "key"))
		return 0;
	if (!is_percpu(bpfbox_map__type(m)) || (uint32_t)r3 >= bpfbox_map__nr_cpus(m))
		return 0;
	return (uint64_t)(uintptr_t)bpfbox_map__elem(m, (const void *)(uintptr_t)r2, (uint32_t)r3);
}

uint64_t hlp_map_update_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "map_update_elem", (uint64_t)-EFAULT);
	if (hlp_mem(ex, r2, bpfbox_map__key_size(m), false, "map_update_elem", "key") ||
	    hlp_mem(ex, r3, bpfbox_map__value_size(m), false, "map_update_elem", "value"))
		return (uint64_t)-EFAULT;
	return (uint64_t)(int64_t)bpfbox_map__update_elem(m, (const void *)(uintptr_t)r2,
							  (const void *)(uintptr_t)r3, r4,
							  map_cpu(ex, m));
}

uint64_t hlp_map_delete_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "map_delete_elem", (uint64_t)-EFAULT);
	if (hlp_mem(ex, r2, bpfbox_map__key_size(m), false, "map_delete_elem", "key"))
		return (uint64_t)-EFAULT;
	return (uint64_t)(int64_t)bpfbox_map__delete_elem(m, (const void *)(uintptr_t)r2);
}

uint64_t hlp_map_push_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "map_push_elem", (uint64_t)-EFAULT);
	if (hlp_mem(ex, r2, bpfbox_map__value_size(m), false, "map_push_elem", "value"))
		return (uint64_t)-EFAULT;
	return (uint64_t)(int64_t)bpfbox_map__push_elem(m, (const void *)(uintptr_t)r2, r3);
}

uint64_t hlp_map_pop_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "map_pop_elem", (uint64_t)-EFAULT);
	if (hlp_mem(ex, r2, bpfbox_map__value_size(m), true, "map_pop_elem", "value"))
		return (uint64_t)-EFAULT;
	int err = bpfbox_map__pop_elem(m, (void *)(uintptr_t)r2);
	/* the verifier counts the value as written: an empty queue writes
	 * zeros (the kernel leaves it as it was) */
	if (err)
		hlp_zero((void *)(uintptr_t)r2, bpfbox_map__value_size(m));
	return (uint64_t)(int64_t)err;
}

uint64_t hlp_map_peek_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "map_peek_elem", (uint64_t)-EFAULT);
	/* a bloom filter reads the probe value; a queue/stack writes it */
	bool write = bpfbox_map__type(m) != BPFBOX_MAP_TYPE_BLOOM_FILTER;
	if (hlp_mem(ex, r2, bpfbox_map__value_size(m), write, "map_peek_elem", "value"))
		return (uint64_t)-EFAULT;
	int err = bpfbox_map__peek_elem(m, (void *)(uintptr_t)r2);
	if (err && write) /* as pop: written on every path */
		hlp_zero((void *)(uintptr_t)r2, bpfbox_map__value_size(m));
	return (uint64_t)(int64_t)err;
}

/* ---- tail calls ---------------------------------------------------------------- */

uint64_t hlp_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r2, "tail_call", (uint64_t)-EINVAL);
	if (bpfbox_map__type(m) != BPFBOX_MAP_TYPE_PROG_ARRAY) {
		bpfbox_exec__abort(ex, -EINVAL, "bpf_tail_call: map '%s' is not a prog array",
				   bpfbox_map__name(m));
		return (uint64_t)-EINVAL;
	}
	uint32_t index = (uint32_t)r3;
	if (index >= bpfbox_map__max_entries(m))
		return (uint64_t)-ENOENT; /* the kernel falls through, as here */
	struct bpfbox_prog *target = bpfbox_map__get_ptr(m, &index);
	if (!target)
		return (uint64_t)-ENOENT;
	if (bpfbox_prog__vm(target) != bpfbox_prog__vm(bpfbox_exec__prog(ex))) {
		bpfbox_exec__abort(ex, -EINVAL, "bpf_tail_call: slot %u holds a program of another VM",
				   index);
		return (uint64_t)-EINVAL;
	}
	return (uint64_t)(int64_t)bpfbox_exec__tail_call(ex, target);
}

/* ---- callbacks ------------------------------------------------------------------ */

struct loop_ud {
	uint64_t n, ctx;
};

static long loop_body(struct hlp_cb_run *run, void *ud)
{
	struct loop_ud *L = ud;
	for (uint64_t i = 0; i < L->n; i++) {
		uint64_t a[4] = { i, L->ctx, 0, 0 }, r0;
		if (hlp_cb_call(run, a, NULL, 0, &r0))
			return -1;
		if (r0)
			return (long)(i + 1);
	}
	return (long)L->n;
}

uint64_t hlp_loop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		  struct bpfbox_exec *ex)
{
	if (r4)
		return (uint64_t)-EINVAL;
	if (r1 > HLP_LOOP_MAX)
		return (uint64_t)-E2BIG;
	struct loop_ud L = { r1, r3 };
	if (!r1)
		return 0;
	return (uint64_t)hlp_with_callback(ex, r2, "loop", loop_body, &L);
}

struct each_ud {
	struct bpfbox_map *map;
	uint64_t ctx;
	uint64_t flags;
	uint32_t cpu;
	bool failed;
	bool value_writable;
	struct hlp_cb_run *run;
};

static long each_elem(struct bpfbox_map *map, const void *key, void *value, void *ud)
{
	struct each_ud *E = ud;
	uint64_t a[4] = { (uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)key,
			  (uint64_t)(uintptr_t)value, E->ctx };
	struct hlp_region extra[2] = {
		{ (void *)(uintptr_t)key, bpfbox_map__key_size(map), false },
		{ value, bpfbox_map__value_size(map), E->value_writable },
	};
	uint64_t r0;
	if (hlp_cb_call(E->run, a, extra, 2, &r0)) {
		E->failed = true;
		return 1;
	}
	return r0 ? 1 : 0;
}

static long each_body(struct hlp_cb_run *run, void *ud)
{
	struct each_ud *E = ud;
	E->run = run;
	long n = bpfbox_map__for_each_elem(E->map, each_elem, E, E->flags, E->cpu);
	return E->failed ? -1 : n;
}

uint64_t hlp_for_each_map_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "for_each_map_elem", (uint64_t)-EINVAL);
	if (r4)
		return (uint64_t)-EINVAL;
	struct each_ud E = { .map = m, .ctx = r3, .flags = r4,
			     .cpu = map_cpu(ex, m),
			     .value_writable = !(bpfbox_map__flags(m) & BPFBOX_F_RDONLY_PROG) };
	return (uint64_t)hlp_with_callback(ex, r2, "for_each_map_elem", each_body, &E);
}

/* ---- ring buffer ---------------------------------------------------------------- */

static struct bpfbox_map *ringbuf_of(struct bpfbox_exec *ex, struct bpfbox_env *env,
				     void *sample, const char *helper)
{
	if (!env) {
		bpfbox_exec__abort(ex, -EINVAL, "bpf_%s: the program has no helper environment",
				   helper);
		return NULL;
	}
	struct bpfbox_map *found = NULL;
	pthread_rwlock_rdlock(&env->lock);
	for (size_t i = 0; i < env->maps.n && !found; i++) {
		struct bpfbox_map *m = env->maps.slot[i];
		if (bpfbox_map__type(m) == BPFBOX_MAP_TYPE_RINGBUF &&
		    bpfbox_map__contains(m, (uint64_t)(uintptr_t)sample, 1, true))
			found = m;
	}
	pthread_rwlock_unlock(&env->lock);
	if (!found)
		bpfbox_exec__abort(ex, -EFAULT, "bpf_%s: 0x%llx is not a reserved ring buffer record",
				   helper, (unsigned long long)(uintptr_t)sample);
	return found;
}

uint64_t hlp_ringbuf_reserve(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "ringbuf_reserve", 0);
	if (bpfbox_map__type(m) != BPFBOX_MAP_TYPE_RINGBUF)
		return 0;
	void *p = bpfbox_ringbuf__reserve(m, r2, r3);
	if (p && bpfbox_exec__grant(ex, p, r2, true)) {
		bpfbox_ringbuf__discard(m, p, BPFBOX_RB_NO_WAKEUP);
		return 0;
	}
	return (uint64_t)(uintptr_t)p;
}

static uint64_t ringbuf_commit(struct bpfbox_exec *ex, uint64_t r1, uint64_t r2, bool submit)
{
	const char *name = submit ? "ringbuf_submit" : "ringbuf_discard";
	void *sample = (void *)(uintptr_t)r1;
	struct bpfbox_map *m = NULL;
	if (bpfbox_exec__checked(ex) && !(m = ringbuf_of(ex, hlp_env(ex), sample, name)))
		return 0;
	int err = submit ? bpfbox_ringbuf__submit(m, sample, r2)
			 : bpfbox_ringbuf__discard(m, sample, r2);
	if (err && m) {
		bpfbox_exec__abort(ex, -EFAULT, "bpf_%s: 0x%llx is not the start of a reserved record",
				   name, (unsigned long long)r1);
		return 0;
	}
	bpfbox_exec__revoke(ex, sample);
	return 0;
}

uint64_t hlp_ringbuf_submit(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	return ringbuf_commit(ex, r1, r2, true);
}

uint64_t hlp_ringbuf_discard(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	return ringbuf_commit(ex, r1, r2, false);
}

uint64_t hlp_ringbuf_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "ringbuf_output", (uint64_t)-EINVAL);
	if (hlp_mem(ex, r2, r3, false, "ringbuf_output", "data"))
		return (uint64_t)-EFAULT;
	if (bpfbox_map__type(m) != BPFBOX_MAP_TYPE_RINGBUF)
		return (uint64_t)-EINVAL;
	return (uint64_t)(int64_t)bpfbox_ringbuf__output(m, (const void *)(uintptr_t)r2, r3, r4);
}

uint64_t hlp_ringbuf_query(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r1, "ringbuf_query", 0);
	if (bpfbox_map__type(m) != BPFBOX_MAP_TYPE_RINGBUF)
		return 0;
	return bpfbox_ringbuf__query(m, r2);
}

/* ---- perf events ---------------------------------------------------------------- */

uint64_t hlp_perf_event_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       struct bpfbox_exec *ex)
{
	MAP_OR_RET(m, r2, "perf_event_output", (uint64_t)-EINVAL);
	if (hlp_mem(ex, r4, r5, false, "perf_event_output", "data"))
		return (uint64_t)-EFAULT;
	if (bpfbox_map__type(m) != BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY)
		return (uint64_t)-EINVAL;
	return (uint64_t)(int64_t)bpfbox_map__perf_event_output(m, r3, hlp_cpu(ex, 0),
								(const void *)(uintptr_t)r4, r5);
}
