/* bpfbox — helpers/env.c: the helper environment, contracts, callbacks.
 *
 * What it does.  Holds what helpers need beyond their arguments: the
 * registry of maps and callbacks a program may name (two sorted pointer
 * sets under a rwlock), the VM region hook that admits accesses to map
 * values, the trace stream, the PRNG, and the machinery to run callbacks
 * (bpf_loop, bpf_for_each_map_elem).  Registers every helpers.def row in a
 * VM under its kernel number with its contract.
 *
 * Callbacks.  A callback is loaded as a program of its own: the whole
 * linked program, entered at the callback's function (the entry of
 * bpfbox_prog_opts).  Slot numbers are therefore the same as the main
 * program's, so an error inside a callback names the slot the disassembly
 * shows.  A helper runs it with
 * bpfbox_exec__call(): a nested call in the frame below its caller's, on
 * the same eBPF stack (callbacks receive pointers into the caller's
 * frame), with the run's context, granted memory and instruction budget,
 * on the engine the run uses (JIT code when the callback has it).  The
 * call counts against the 8 frames, so a callback recursing through
 * bpf_loop ends the run with an error instead of exhausting the host's
 * stack.  bpfbox_env__vm_opts() installs the VM's func_prog hook, which
 * tells the JIT which program a callback value runs, so compiling a
 * program compiles its callbacks.
 *
 * Invariants.  A map pointer a checked-mode program hands a helper is used
 * only if it is in the registry; a callback value only if it is a
 * registered descriptor with a loaded program.  Verified programs skip the
 * registry lookups (the verifier proves the types).
 *
 * Limits.  Registry lookups are O(log n) under a read lock; the region hook
 * asks each registered map in turn (few maps per object).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "hlp.h"

#define ENV_MAGIC 0x564e4558424650b0ull

/* ---- contracts ------------------------------------------------------------ */

static const struct hlp_contract contracts[] = {
#define HELPER(ID, NAME, RET, A1, A2, A3, A4, A5, FLAGS, TYPES, DOC) \
	{ ID, #NAME, RET, { A1, A2, A3, A4, A5 }, FLAGS, TYPES, DOC },
#include "helpers.def"
#undef HELPER
};

static const struct {
	uint32_t id;
	const char *name;
} all_names[] = {
#define HNAME(ID, NAME) { ID, #NAME },
#include "helper_names.def"
#undef HNAME
};

/* The public contract struct is this one: same layout, same values. */
_Static_assert(sizeof(struct bpfbox_helper_contract) == sizeof(struct hlp_contract), "layout");
_Static_assert(offsetof(struct bpfbox_helper_contract, args) == offsetof(struct hlp_contract, args),
	       "layout");
_Static_assert(offsetof(struct bpfbox_helper_contract, prog_types) ==
	       offsetof(struct hlp_contract, prog_types), "layout");
_Static_assert(offsetof(struct bpfbox_helper_contract, doc) == offsetof(struct hlp_contract, doc),
	       "layout");
#define SAME(a, b) _Static_assert((int)(a) == (int)(b), #a " == " #b)
SAME(BPFBOX_ARG_MAP_KEY, A_MAP_KEY);
SAME(BPFBOX_ARG_MEM_UNINIT_OR_NULL, A_MEM_UNINIT_OR_NULL);
SAME(BPFBOX_ARG_CTX, A_CTX);
SAME(BPFBOX_ARG_FUNC, A_FUNC);
SAME(BPFBOX_ARG_CONST_STR, A_CONST_STR);
SAME(BPFBOX_ARG_BTF_ID, A_BTF_ID);
SAME(BPFBOX_RET_MEM_OR_NULL, R_MEM_OR_NULL);
SAME(BPFBOX_RET_BTF_ID, R_BTF_ID);
SAME(BPFBOX_HF_GPL, HF_GPL);
SAME(BPFBOX_HF_NORETURN_OK, HF_NORETURN_OK);
SAME(BPFBOX_HF_LEAF, HF_LEAF);
#undef SAME

BPFBOX_API const struct bpfbox_helper_contract *bpfbox_helper__contract(uint32_t id)
{
	return (const struct bpfbox_helper_contract *)(const void *)hlp_contract(id);
}

const struct hlp_contract *hlp_contract(uint32_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(contracts); i++)
		if (contracts[i].id == id)
			return &contracts[i];
	return NULL;
}

const char *hlp_name(uint32_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_names); i++)
		if (all_names[i].id == id)
			return all_names[i].name;
	return NULL;
}

BPFBOX_API const char *bpfbox_helper__name(uint32_t id) { return hlp_name(id); }

BPFBOX_API int bpfbox_helper__id(const char *name)
{
	if (!name)
		return -1;
	if (!strncmp(name, "bpf_", 4))
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(all_names); i++)
		if (!strcmp(all_names[i].name, name))
			return (int)all_names[i].id;
	return -1;
}

BPFBOX_API bool bpfbox_helper__implemented(uint32_t id) { return hlp_contract(id) != NULL; }

/* ---- pointer sets ------------------------------------------------------------ */

static size_t set_find(const struct hlp_ptrset *s, const void *p)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)s->slot[mid] < (uintptr_t)p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool set_has(const struct hlp_ptrset *s, const void *p)
{
	size_t i = set_find(s, p);
	return i < s->n && s->slot[i] == p;
}

static int set_add(struct bpfbox_env *env, struct hlp_ptrset *s, void *p)
{
	size_t i = set_find(s, p);
	if (i < s->n && s->slot[i] == p)
		return -EEXIST;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		void **n = util_realloc(&env->alloc, s->slot, s->cap * sizeof(void *),
					ncap * sizeof(void *));
		if (!n)
			return -ENOMEM;
		s->slot = n;
		s->cap = ncap;
	}
	memmove(&s->slot[i + 1], &s->slot[i], (s->n - i) * sizeof(void *));
	s->slot[i] = p;
	s->n++;
	return 0;
}

static int set_del(struct hlp_ptrset *s, const void *p)
{
	size_t i = set_find(s, p);
	if (i >= s->n || s->slot[i] != p)
		return -ENOENT;
	memmove(&s->slot[i], &s->slot[i + 1], (s->n - i - 1) * sizeof(void *));
	s->n--;
	return 0;
}

/* ---- the environment ---------------------------------------------------------- */

struct env_box {
	uint64_t magic;
	struct bpfbox_env env;
};

static struct env_box *box_of(struct bpfbox_env *env)
{
	return (struct env_box *)((char *)env - offsetof(struct env_box, env));
}

BPFBOX_API int bpfbox_env__new(struct bpfbox_env **out, const struct bpfbox_env_opts *opts)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!OPTS_VALID(opts, bpfbox_env_opts))
		return -EINVAL;
	struct util_alloc a;
	util_alloc_init(&a, OPTS_GET(opts, alloc, NULL), OPTS_GET(opts, alloc_ud, NULL));
	struct env_box *box = util_calloc(&a, 1, sizeof(*box));
	if (!box)
		return -ENOMEM;
	box->magic = ENV_MAGIC;
	struct bpfbox_env *env = &box->env;
	env->alloc = a;
	env->trace_out = OPTS_GET(opts, trace_out, NULL);
	env->prandom = OPTS_GET(opts, prandom_seed, 0);
	if (!env->prandom) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		env->prandom = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec ^
			       (uint64_t)getpid() << 32;
	}
	env->nr_cpus = OPTS_GET(opts, nr_cpus, 0);
	if (!env->nr_cpus) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		env->nr_cpus = n > 0 ? (uint32_t)n : 1;
	}
	env->enforce_gpl = OPTS_GET(opts, enforce_gpl, false);
	pthread_rwlock_init(&env->lock, NULL);
	pthread_mutex_init(&env->trace_lock, NULL);
	*out = env;
	return 0;
}

BPFBOX_API void bpfbox_env__free(struct bpfbox_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->maps.n; i++)
		bpfbox_map__free(env->maps.slot[i]);
	while (env->cbs.n)
		bpfbox_env__callback_free(env, env->cbs.slot[env->cbs.n - 1]);
	util_free(&env->alloc, env->maps.slot, env->maps.cap * sizeof(void *));
	util_free(&env->alloc, env->cbs.slot, env->cbs.cap * sizeof(void *));
	pthread_rwlock_destroy(&env->lock);
	pthread_mutex_destroy(&env->trace_lock);
	struct util_alloc a = env->alloc;
	util_free(&a, box_of(env), sizeof(struct env_box));
}

static bool region_hook(void *ud, uint64_t addr, uint64_t len, bool write)
{
	struct bpfbox_env *env = ud;
	bool ok = false;
	pthread_rwlock_rdlock(&env->lock);
	for (size_t i = 0; i < env->maps.n && !ok; i++)
		ok = bpfbox_map__contains(env->maps.slot[i], addr, len, write);
	pthread_rwlock_unlock(&env->lock);
	return ok;
}

/* The VM's func_prog hook: the program a registered callback value runs. */
static struct bpfbox_prog *func_prog(void *ud, uint64_t value)
{
	struct bpfbox_env *env = ud;
	struct bpfbox_callback *cb = (struct bpfbox_callback *)(uintptr_t)value;
	pthread_rwlock_rdlock(&env->lock);
	struct bpfbox_prog *p = set_has(&env->cbs, cb) ? cb->prog : NULL;
	pthread_rwlock_unlock(&env->lock);
	return p;
}

BPFBOX_API void bpfbox_env__vm_opts(struct bpfbox_env *env, struct bpfbox_vm_opts *vo)
{
	if (!env || !vo)
		return;
	vo->region_hook = region_hook;
	vo->region_hook_ud = env;
	/* older callers' opts may end before the field */
	if (vo->sz >= offsetof(struct bpfbox_vm_opts, func_prog_ud) + sizeof(vo->func_prog_ud)) {
		vo->func_prog = func_prog;
		vo->func_prog_ud = env;
	}
}

BPFBOX_API int bpfbox_env__attach(struct bpfbox_env *env, struct bpfbox_vm *vm)
{
	static const struct {
		uint32_t id;
		const char *name;
		bpfbox_helper_fn fn;
		unsigned flags;
	} fns[] = {
#define HELPER(ID, NAME, RET, A1, A2, A3, A4, A5, FLAGS, TYPES, DOC) { ID, #NAME, hlp_##NAME, FLAGS },
#include "helpers.def"
#undef HELPER
	};
	/* variants verified JIT code calls directly (they never stop the run),
	 * besides the HF_LEAF helpers, which are their own */
	static const struct {
		uint32_t id;
		bpfbox_helper_fn leaf;
		bpfbox_helper_bind_fn bind;
	} leaves[] = {
		{ 1, hlp_map_lookup_elem_leaf, hlp_map_lookup_elem_bind },
	};
	if (!env || !vm)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
		int err = bpfbox_vm__set_helper(vm, fns[i].id, fns[i].name, fns[i].fn,
						hlp_contract(fns[i].id));
		if (!err && (fns[i].flags & HF_LEAF))
			err = bpfbox_vm__set_helper_leaf(vm, fns[i].id, fns[i].fn);
		if (err)
			return err;
	}
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++) {
		int err = bpfbox_vm__set_helper_leaf(vm, leaves[i].id, leaves[i].leaf);
		if (!err && leaves[i].bind)
			err = bpfbox_vm__set_helper_bind(vm, leaves[i].id, leaves[i].bind);
		if (err)
			return err;
	}
	return 0;
}

BPFBOX_API struct bpfbox_env *bpfbox_env__of(struct bpfbox_exec *ex)
{
	return hlp_env(ex);
}

struct bpfbox_env *hlp_env(struct bpfbox_exec *ex)
{
	struct bpfbox_prog *p = ex ? bpfbox_exec__prog(ex) : NULL;
	void *owner = p ? bpfbox_prog__owner(p) : NULL;
	if (!owner)
		return NULL;
	struct env_box *box = (struct env_box *)((char *)owner - offsetof(struct env_box, env));
	return box->magic == ENV_MAGIC ? owner : NULL;
}

BPFBOX_API int bpfbox_env__add_map(struct bpfbox_env *env, struct bpfbox_map *map)
{
	if (!env || !map)
		return -EINVAL;
	pthread_rwlock_wrlock(&env->lock);
	int err = set_add(env, &env->maps, map);
	pthread_rwlock_unlock(&env->lock);
	if (!err)
		bpfbox_map__get(map);
	return err;
}

BPFBOX_API int bpfbox_env__remove_map(struct bpfbox_env *env, struct bpfbox_map *map)
{
	if (!env || !map)
		return -EINVAL;
	pthread_rwlock_wrlock(&env->lock);
	int err = set_del(&env->maps, map);
	pthread_rwlock_unlock(&env->lock);
	if (!err)
		bpfbox_map__free(map);
	return err;
}

BPFBOX_API bool bpfbox_env__has_map(struct bpfbox_env *env, const void *map)
{
	if (!env)
		return false;
	pthread_rwlock_rdlock(&env->lock);
	bool ok = set_has(&env->maps, map);
	pthread_rwlock_unlock(&env->lock);
	return ok;
}

BPFBOX_API void bpfbox_env__set_trace_out(struct bpfbox_env *env, FILE *f)
{
	if (env)
		env->trace_out = f;
}

/* ---- services for helpers ----------------------------------------------------- */

struct bpfbox_map *hlp_map(struct bpfbox_exec *ex, uint64_t r, const char *helper)
{
	struct bpfbox_map *m = (struct bpfbox_map *)(uintptr_t)r;
	if (!bpfbox_exec__checked(ex) && m)
		return m;
	struct bpfbox_env *env = hlp_env(ex);
	if (!env) {
		bpfbox_exec__abort(ex, -EINVAL, "bpf_%s: the program has no helper environment (maps "
				   "come from a loaded object)", helper);
		return NULL;
	}
	if (!m || !bpfbox_env__has_map(env, m)) {
		bpfbox_exec__abort(ex, -EFAULT, "bpf_%s: 0x%llx is not a map of this program", helper,
				   (unsigned long long)r);
		return NULL;
	}
	return m;
}

int hlp_mem(struct bpfbox_exec *ex, uint64_t addr, uint64_t len, bool write, const char *helper,
	    const char *arg)
{
	if (!bpfbox_exec__check_mem(ex, addr, len, write))
		return 0;
	bpfbox_exec__abort(ex, -EFAULT, "bpf_%s: %s [0x%llx, +%llu) is not memory the program may %s",
			   helper, arg, (unsigned long long)addr, (unsigned long long)len,
			   write ? "write" : "read");
	return -EFAULT;
}

BPFBOX_API void bpfbox_hook_env__self(struct bpfbox_hook_env *h)
{
	if (!h)
		return;
	size_t sz = h->sz ? h->sz : sizeof(*h);
	memset(h, 0, sz < sizeof(*h) ? sz : sizeof(*h));
	h->sz = sz;
	h->pid = (uint32_t)syscall(SYS_gettid);
	h->tgid = (uint32_t)getpid();
	h->uid = (uint32_t)getuid();
	h->gid = (uint32_t)getgid();
	h->cpu = -1;
	char comm[17] = { 0 };
	if (prctl(PR_GET_NAME, comm, 0, 0, 0) == 0)
		memcpy(h->comm, comm, sizeof(h->comm) - 1);
}

const struct bpfbox_hook_env *hlp_task(struct bpfbox_exec *ex, struct bpfbox_hook_env *tmp)
{
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	if (h && h->sz >= offsetof(struct bpfbox_hook_env, cpu) + sizeof(h->cpu))
		return h;
	tmp->sz = sizeof(*tmp);
	bpfbox_hook_env__self(tmp);
	return tmp;
}

uint32_t hlp_cpu(struct bpfbox_exec *ex, uint32_t n)
{
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	int cpu = h && h->sz >= offsetof(struct bpfbox_hook_env, cpu) + sizeof(h->cpu) ? h->cpu : -1;
	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		cpu = 0;
	return n ? (uint32_t)cpu % n : (uint32_t)cpu;
}

/* ---- callbacks ------------------------------------------------------------------ */

BPFBOX_API int bpfbox_env__callback_new(struct bpfbox_env *env, struct bpfbox_callback **out)
{
	if (!env || !out)
		return -EINVAL;
	struct bpfbox_callback *cb = util_calloc(&env->alloc, 1, sizeof(*cb));
	if (!cb)
		return -ENOMEM;
	cb->env = env;
	pthread_rwlock_wrlock(&env->lock);
	int err = set_add(env, &env->cbs, cb);
	pthread_rwlock_unlock(&env->lock);
	if (err) {
		util_free(&env->alloc, cb, sizeof(*cb));
		return err;
	}
	*out = cb;
	return 0;
}

BPFBOX_API uint64_t bpfbox_callback__value(const struct bpfbox_callback *cb)
{
	return (uint64_t)(uintptr_t)cb;
}

BPFBOX_API struct bpfbox_prog *bpfbox_callback__prog(const struct bpfbox_callback *cb)
{
	return cb ? cb->prog : NULL;
}

BPFBOX_API void bpfbox_callback__set_verified(struct bpfbox_callback *cb, bool v)
{
	if (!cb || !cb->prog)
		return;
	bpfbox_prog__set_verified(cb->prog, v);
	/* A callback's stack reads were judged with the program that calls
	 * it: that program's mark decides whether its frames are zeroed
	 * (bpfbox_exec__call carries the run's mark into the nested call). */
	bpfbox_prog__set_zero_stack(cb->prog, false);
}

BPFBOX_API void bpfbox_env__callback_free(struct bpfbox_env *env, struct bpfbox_callback *cb)
{
	if (!env || !cb)
		return;
	pthread_rwlock_wrlock(&env->lock);
	set_del(&env->cbs, cb);
	pthread_rwlock_unlock(&env->lock);
	bpfbox_prog__free(cb->prog);
	util_free(&env->alloc, cb, sizeof(*cb));
}

BPFBOX_API int bpfbox_callback__load(struct bpfbox_callback *cb, struct bpfbox_vm *vm,
				     const struct bpfbox_insn *insns, size_t n, size_t entry,
				     const struct bpfbox_prog_opts *popts)
{
	if (!cb || !vm || !insns || entry >= n || cb->prog || !OPTS_VALID(popts, bpfbox_prog_opts))
		return -EINVAL;
	/* the whole program, entered at the function */
	struct bpfbox_prog_opts po;
	memset(&po, 0, sizeof(po));
	if (popts)
		memcpy(&po, popts, popts->sz < sizeof(po) ? popts->sz : sizeof(po));
	po.sz = sizeof(po);
	po.entry = entry;
	return bpfbox_prog__load(vm, insns, n, &po, &cb->prog);
}

/* ---- running callbacks ------------------------------------------------------------ */

struct hlp_cb_run {
	struct bpfbox_exec *ex;
	struct bpfbox_prog *prog;
	const char *helper;
};

long hlp_with_callback(struct bpfbox_exec *ex, uint64_t fn, const char *helper, hlp_cb_body body,
		       void *ud)
{
	struct bpfbox_env *env = hlp_env(ex);
	struct bpfbox_callback *cb = (struct bpfbox_callback *)(uintptr_t)fn;
	if (!env) {
		bpfbox_exec__abort(ex, -EINVAL, "bpf_%s: the program has no helper environment",
				   helper);
		return -EINVAL;
	}
	pthread_rwlock_rdlock(&env->lock);
	struct bpfbox_prog *prog = set_has(&env->cbs, cb) ? cb->prog : NULL;
	pthread_rwlock_unlock(&env->lock);
	if (!prog) {
		bpfbox_exec__abort(ex, -EFAULT, "bpf_%s: 0x%llx is not a callback function", helper,
				   (unsigned long long)fn);
		return -EFAULT;
	}
	struct hlp_cb_run run = { ex, prog, helper };
	return body(&run, ud);
}

int hlp_cb_call(struct hlp_cb_run *run, const uint64_t a[4], const struct hlp_region *extra,
		unsigned nextra, uint64_t *r0)
{
	struct bpfbox_exec *ex = run->ex;
	unsigned granted = 0;
	int err = 0;
	for (; granted < nextra && !err; granted++)
		if (extra[granted].p && extra[granted].len &&
		    bpfbox_exec__grant(ex, extra[granted].p, extra[granted].len, extra[granted].writable)) {
			bpfbox_exec__abort(ex, -ENOSPC, "bpf_%s: too many regions", run->helper);
			err = -ENOSPC;
			break;
		}
	if (!err)
		err = bpfbox_exec__call(ex, run->prog, a[0], a[1], a[2], a[3], 0, r0);
	while (granted--)
		if (extra[granted].p && extra[granted].len)
			bpfbox_exec__revoke(ex, extra[granted].p);
	return err;
}
