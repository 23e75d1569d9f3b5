/* bpfbox — helpers.h: the kernel's helper functions, in user space.
 *
 * Programs call helpers by the kernel's numbers (`call 1` is
 * bpf_map_lookup_elem).  A `bpfbox_env` ("helper environment") is what
 * those helpers work with:
 *
 *  - the registry of maps and callbacks programs may name: a map pointer a
 *    program passes to a helper must be one registered here (checked mode
 *    refuses anything else, so a forged pointer aborts the run with a
 *    message instead of crashing the host);
 *  - the VM region hook that lets checked-mode programs touch the map
 *    values lookups return (bpfbox_env__vm_opts);
 *  - where bpf_trace_printk lines go, and the default "current task".
 *
 * Typical use:
 *
 *   struct bpfbox_env *env;  bpfbox_env__new(&env, NULL);
 *   BPFBOX_OPTS(bpfbox_vm_opts, vo);  bpfbox_env__vm_opts(env, &vo);
 *   struct bpfbox_vm *vm;    bpfbox_vm__new(&vm, &vo);
 *   bpfbox_env__attach(env, vm);          // registers every helper
 *   ... bpfbox_object__load(obj, vm, env, NULL); run programs ...
 *   bpfbox_object__free(obj); bpfbox_vm__free(vm); bpfbox_env__free(env);
 *
 * "The current task".  Helpers such as get_current_pid_tgid, get_current_comm,
 * probe_read_user or send_signal act on the task the event belongs to.  The
 * hook that runs a program describes it with a `struct bpfbox_hook_env`
 * passed as the run's `hook` (bpfbox_run_opts.hook); without one, the
 * current task is this process (the calling thread), with two safety
 * limits: probe_read_* reads this process's memory through
 * process_vm_readv (a bad address is -EFAULT, never a crash), and
 * probe_write_user only writes memory the program may write anyway.
 *
 * Thread safety: programs using one env may run on several threads.
 * Registering and unregistering maps and callbacks takes a lock and may
 * happen while programs run; freeing a map a running program uses is the
 * caller's bug.
 */
#ifndef BPFBOX_HELPERS_H
#define BPFBOX_HELPERS_H

#include <stdio.h>
#include "bpfbox/common.h"
#include "bpfbox/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfbox_env;
struct bpfbox_map;
struct bpfbox_callback;

/* ---- the current task and the event: what a hook supplies --------------- */

/* A packet a hook hands to a program (XDP / tc).  The helpers that move or
 * resize packet data (xdp_adjust_head/meta/tail, skb_change_tail, ...)
 * change these offsets inside `buf` and then call `sync` so the hook can
 * rewrite the program's context (data/data_end pointers). */
struct bpfbox_pkt {
	uint8_t *buf;        /* the buffer: headroom + packet + tailroom */
	uint32_t cap;        /* bytes in buf */
	uint32_t meta;       /* offset of data_meta (== data when no metadata) */
	uint32_t data;       /* offset of the first packet byte */
	uint32_t data_end;   /* offset past the last packet byte */
	bool xdp;            /* an XDP buffer (else a tc/socket skb) */
	uint32_t hash;       /* flow hash (get_hash_recalc) */
	uint32_t ifindex;    /* redirect target chosen by the program (0 none) */
	uint64_t redirect_flags;
	void (*sync)(void *ud, struct bpfbox_pkt *pkt); /* may be NULL */
	void *sync_ud;
};

struct bpfbox_hook_env {
	size_t sz;
	uint32_t pid;        /* thread id (the kernel's pid) */
	uint32_t tgid;       /* process id */
	uint32_t uid, gid;
	char comm[16];
	int32_t cpu;         /* CPU index for per-CPU maps and get_smp_processor_id; <0: current */
	uint64_t cgroup_id;
	uint64_t func_ip;    /* get_func_ip */
	uint64_t cookie;     /* get_attach_cookie */
	uint64_t task;       /* get_current_task: address of a task view (0: none) */
	void *ud;            /* passed to the callbacks */
	/* Read `len` bytes of the task's memory at addr (user: user memory,
	 * else "kernel" memory, i.e. the hook's synthesized views).  Returns
	 * 0 or a negative errno.  NULL: this process (process_vm_readv). */
	int (*read_mem)(void *ud, uint64_t addr, void *dst, size_t len, bool user);
	/* Write the task's user memory.  NULL: refused (-EPERM) unless the
	 * address is memory the program may write. */
	int (*write_mem)(void *ud, uint64_t addr, const void *src, size_t len);
	/* Send signal `sig` to the task (thread: only the thread).  NULL: -EPERM. */
	int (*send_signal)(void *ud, uint32_t sig, bool thread);
	/* Fill up to `max` return addresses of the task's stack (user or
	 * kernel); returns how many, or a negative errno.  NULL: -EFAULT. */
	int (*get_stack)(void *ud, uint64_t *ips, uint32_t max, bool user);
	struct bpfbox_pkt *pkt; /* the packet of an XDP/tc event, else NULL */
	FILE *trace_out;     /* trace_printk lines of this run (NULL: the env's) */
};
#define bpfbox_hook_env__last_field trace_out

/* Fill *h with this process and the calling thread (pid, tgid, uid, gid,
 * comm, cpu = current).  Callbacks are left NULL (the defaults above). */
BPFBOX_API void bpfbox_hook_env__self(struct bpfbox_hook_env *h);

/* ---- the environment ----------------------------------------------------- */

struct bpfbox_env_opts {
	size_t sz;
	bpfbox_alloc_fn alloc;   /* NULL: realloc/free */
	void *alloc_ud;
	FILE *trace_out;         /* bpf_trace_printk lines; NULL: stdout */
	uint64_t prandom_seed;   /* get_prandom_u32 seed; 0: from the clock */
	uint32_t nr_cpus;        /* CPUs of per-CPU maps; 0: online CPUs */
	/* Stop a run that calls a gpl_only helper from a program whose object
	 * is not GPL-compatible, like the kernel's loader (default false:
	 * bpfbox cannot know the license of raw programs). */
	bool enforce_gpl;
};
#define bpfbox_env_opts__last_field enforce_gpl

/* Create an environment.  0 and *out (free with bpfbox_env__free), -EINVAL,
 * -ENOMEM. */
BPFBOX_API int bpfbox_env__new(struct bpfbox_env **out, const struct bpfbox_env_opts *opts);
/* Free it (NULL is fine): releases its references to registered maps and
 * frees remaining callbacks.  The VMs using it must no longer run. */
BPFBOX_API void bpfbox_env__free(struct bpfbox_env *env);

/* Set vo->region_hook/region_hook_ud so checked-mode programs of a VM
 * created with *vo may access values of the env's maps, and
 * vo->func_prog/func_prog_ud (when vo->sz has room for them) so the JIT
 * finds the programs of the env's callbacks. */
BPFBOX_API void bpfbox_env__vm_opts(struct bpfbox_env *env, struct bpfbox_vm_opts *vo);

/* Register every helper bpfbox implements (helpers.def) in `vm` under its
 * kernel number and name, with its contract.  Helpers registered later by
 * the host replace these.  0 or -EINVAL. */
BPFBOX_API int bpfbox_env__attach(struct bpfbox_env *env, struct bpfbox_vm *vm);

/* The env of a run (the owner of its program), or NULL when the program
 * was loaded without one.  For host helpers that want to use env services. */
BPFBOX_API struct bpfbox_env *bpfbox_env__of(struct bpfbox_exec *ex);

/* Maps programs may name.  add takes a reference (bpfbox_map__get) until
 * remove or env free.  0, -EEXIST (already there: no second reference),
 * -ENOMEM; remove: 0 or -ENOENT. */
BPFBOX_API int bpfbox_env__add_map(struct bpfbox_env *env, struct bpfbox_map *map);
BPFBOX_API int bpfbox_env__remove_map(struct bpfbox_env *env, struct bpfbox_map *map);
BPFBOX_API bool bpfbox_env__has_map(struct bpfbox_env *env, const void *map);

/* Where trace_printk lines go (NULL: stdout). */
BPFBOX_API void bpfbox_env__set_trace_out(struct bpfbox_env *env, FILE *f);

/* ---- callbacks (bpf_loop, bpf_for_each_map_elem) ---------------------------
 *
 * A callback is a function of a program referenced with `lddw rX, func`
 * (BPF_PSEUDO_FUNC).  The loader creates one per referenced function:
 * bpfbox_env__callback_new() gives a registered descriptor whose value
 * (bpfbox_callback__value) is what that lddw loads, then
 * bpfbox_callback__load() makes it runnable: `insns` is the whole linked
 * program and `entry` the slot of the function.  Helpers accept only
 * registered descriptors.  A callback runs as a nested call of the run
 * (bpfbox_exec__call): in the frame below its caller's on the same stack,
 * with the caller's stack, context, granted memory and instruction budget,
 * on JIT code when it has some (bpfbox_prog__jit of the program that uses
 * it compiles it too, through the func_prog hook bpfbox_env__vm_opts
 * installs); nesting (a callback calling bpf_loop) counts against the 8
 * frames. */
BPFBOX_API int bpfbox_env__callback_new(struct bpfbox_env *env, struct bpfbox_callback **out);
BPFBOX_API uint64_t bpfbox_callback__value(const struct bpfbox_callback *cb);
/* Load the callback's code into vm (popts: name, log, lddw resolver, owner
 * as for bpfbox_prog__load).  0, or the load's error. */
BPFBOX_API int bpfbox_callback__load(struct bpfbox_callback *cb, struct bpfbox_vm *vm,
				     const struct bpfbox_insn *insns, size_t n, size_t entry,
				     const struct bpfbox_prog_opts *popts);
/* The loaded program (NULL before load).  Borrowed. */
BPFBOX_API struct bpfbox_prog *bpfbox_callback__prog(const struct bpfbox_callback *cb);
/* Mark the callback verified along with its program.  Its stack zeroing
 * follows the program that calls it (the verifier judged the callback as
 * part of that program), so the callback's own mark is cleared. */
BPFBOX_API void bpfbox_callback__set_verified(struct bpfbox_callback *cb, bool v);
/* Unregister and free (its program too).  NULL is fine. */
BPFBOX_API void bpfbox_env__callback_free(struct bpfbox_env *env, struct bpfbox_callback *cb);

/* ---- helper contracts ------------------------------------------------------
 *
 * What a helper takes and returns, as data (the kernel's bpf_func_proto):
 * the verifier checks every call against it.  bpfbox's own helpers carry
 * theirs (src/helpers/helpers.def); a host registering its own helper with
 * bpfbox_vm__set_helper(vm, id, name, fn, &contract) describes it with this
 * struct (same layout and values as the helpers layer's internal one).
 * A helper registered without a contract runs unverified programs only. */

enum bpfbox_helper_arg {
	BPFBOX_ARG_NONE = 0, BPFBOX_ARG_ANY, BPFBOX_ARG_MAP, BPFBOX_ARG_MAP_KEY,
	BPFBOX_ARG_MAP_VALUE, BPFBOX_ARG_MAP_VALUE_UNINIT, BPFBOX_ARG_MEM,
	BPFBOX_ARG_MEM_OR_NULL, BPFBOX_ARG_MEM_UNINIT, BPFBOX_ARG_MEM_UNINIT_OR_NULL,
	BPFBOX_ARG_SIZE, BPFBOX_ARG_SIZE_OR_ZERO, BPFBOX_ARG_ALLOC_SIZE, BPFBOX_ARG_CTX,
	BPFBOX_ARG_FUNC, BPFBOX_ARG_STACK_OR_NULL, BPFBOX_ARG_RINGBUF_MEM, BPFBOX_ARG_SPIN_LOCK,
	BPFBOX_ARG_CONST_STR, BPFBOX_ARG_LONG_PTR, BPFBOX_ARG_BTF_ID,
};
enum bpfbox_helper_ret {
	BPFBOX_RET_INT = 0, BPFBOX_RET_VOID, BPFBOX_RET_MAP_VALUE_OR_NULL, BPFBOX_RET_MEM_OR_NULL,
	BPFBOX_RET_BTF_ID,
};
/* BPFBOX_HF_LEAF: the helper's function is also its leaf variant
 * (bpfbox_vm__set_helper_leaf): bpfbox_env__attach registers it as one. */
enum bpfbox_helper_flag {
	BPFBOX_HF_GPL = 1u << 0, BPFBOX_HF_PKT_CHANGE = 1u << 1, BPFBOX_HF_RELEASE = 1u << 2,
	BPFBOX_HF_CALLBACK = 1u << 3, BPFBOX_HF_NORETURN_OK = 1u << 4, BPFBOX_HF_LEAF = 1u << 5,
};
struct bpfbox_helper_contract {
	uint32_t id;
	const char *name;     /* without "bpf_" */
	uint8_t ret;          /* enum bpfbox_helper_ret */
	uint8_t args[5];      /* enum bpfbox_helper_arg */
	uint32_t flags;       /* enum bpfbox_helper_flag */
	uint64_t prog_types;  /* bit (1 << enum bpfbox_prog_type) per type that may call it */
	const char *doc;
};
/* The contract of one of bpfbox's helpers (borrowed), or NULL. */
BPFBOX_API const struct bpfbox_helper_contract *bpfbox_helper__contract(uint32_t id);


/* The kernel's name of helper `id` without the bpf_ prefix
 * ("map_lookup_elem"), for any helper the kernel UAPI knows; NULL when
 * unknown. */
BPFBOX_API const char *bpfbox_helper__name(uint32_t id);
/* The helper number of a name (with or without "bpf_"), or -1. */
BPFBOX_API int bpfbox_helper__id(const char *name);
/* Whether bpfbox implements helper `id`. */
BPFBOX_API bool bpfbox_helper__implemented(uint32_t id);

#ifdef __cplusplus
}
#endif
#endif
