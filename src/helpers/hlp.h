/* bpfbox — helpers/hlp.h: what the helper implementations share.
 *
 * Every helper is `uint64_t hlp_NAME(r1, r2, r3, r4, r5, ex)` (the VM's
 * bpfbox_helper_fn), declared here from helpers.def so a row without its
 * function fails to link.  The services below are the ones every helper
 * needs to be safe in checked mode:
 *
 *  - hlp_env(ex): the environment the program was loaded with (its owner);
 *  - hlp_map(ex, r): the map a register names, or abort the run when the
 *    value is not a map the environment registered (a forged pointer);
 *  - hlp_mem(ex, addr, len, write): check a memory argument against the
 *    regions the program may touch (no-op for verified programs), aborting
 *    the run with a message naming the helper when it may not;
 *  - hlp_task(ex): the current task (the run's hook env, or this process).
 */
#ifndef BPFBOX_HLP_H
#define BPFBOX_HLP_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "bpfbox/helpers.h"
#include "bpfbox/maps.h"
#include "helpers.h"
#include "bpfbox/vm.h"
#include "util/util.h"

#define HLP_LOOP_MAX (1u << 23) /* bpf_loop's nr_loops limit (the kernel's) */
#define HLP_HZ 1000            /* jiffies64 tick rate (the kernel's CONFIG_HZ varies) */

struct hlp_ptrset {
	void **slot;
	size_t cap, n;
};

struct bpfbox_env {
	struct util_alloc alloc;
	FILE *trace_out;
	uint64_t prandom;          /* splitmix64 state, advanced atomically */
	uint32_t nr_cpus;
	bool enforce_gpl;
	pthread_rwlock_t lock;     /* maps and callbacks */
	struct hlp_ptrset maps;
	struct hlp_ptrset cbs;
	pthread_mutex_t trace_lock;
};

struct bpfbox_callback {
	struct bpfbox_env *env;
	struct bpfbox_prog *prog;
};

/* Helper prototypes, one per helpers.def row. */
#define HELPER(ID, NAME, RET, A1, A2, A3, A4, A5, FLAGS, TYPES, DOC) \
	uint64_t hlp_##NAME(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, struct bpfbox_exec *);
#include "helpers.def"
#undef HELPER
/* Leaf variants for verified code (bpfbox_vm__set_helper_leaf). */
uint64_t hlp_map_lookup_elem_leaf(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
				  struct bpfbox_exec *);
/* map_lookup_elem bound to one map (bpfbox_vm__set_helper_bind): the
 * map's own lookup when it has one for programs (bpfbox_map__lookup_fn). */
bpfbox_helper_fn hlp_map_lookup_elem_bind(uint64_t map);

/* memset(p, 0, n) that is defined for p == NULL when n == 0 (a program may
 * pass a NULL buffer of size 0). */
static inline void hlp_zero(void *p, uint64_t n)
{
	if (n)
		memset(p, 0, n);
}

struct bpfbox_env *hlp_env(struct bpfbox_exec *ex);
/* The map r names (registered in the run's env), else abort: NULL. */
struct bpfbox_map *hlp_map(struct bpfbox_exec *ex, uint64_t r, const char *helper);
/* 0, or abort the run (-EFAULT) naming the helper and argument. */
int hlp_mem(struct bpfbox_exec *ex, uint64_t addr, uint64_t len, bool write, const char *helper,
	    const char *arg);
/* The run's task/event description; `tmp` holds the default when the run
 * has none. */
const struct bpfbox_hook_env *hlp_task(struct bpfbox_exec *ex, struct bpfbox_hook_env *tmp);
/* CPU index for per-CPU maps: the hook's, else the running CPU, modulo n. */
uint32_t hlp_cpu(struct bpfbox_exec *ex, uint32_t n);
/* Write a trace_pipe line "<comm>-<pid> [<cpu>] ....: bpf_trace_printk: msg". */
void hlp_trace_line(struct bpfbox_exec *ex, const char *msg, size_t len);
/* Format like the kernel's bstr_printf for trace_printk/snprintf: `fmt`
 * (len bytes, checked), u64 args.  Returns the length written (not counting
 * the NUL) or a negative errno (-EINVAL bad format, -EFAULT bad %s). */
long hlp_format(struct bpfbox_exec *ex, char *out, size_t outsz, const char *fmt, size_t fmtlen,
		const uint64_t *args, uint32_t nargs, const char *helper);

/* Callback runs (env.c), through the VM's nested calls. */
struct hlp_cb_run;
typedef long (*hlp_cb_body)(struct hlp_cb_run *run, void *ud);
/* Validate callback value `fn` and call body(run, ud); returns body's
 * value, or a negative errno after aborting the run. */
long hlp_with_callback(struct bpfbox_exec *ex, uint64_t fn, const char *helper, hlp_cb_body body,
		       void *ud);
/* Call the callback with r1..r4 = a[0..3] (bpfbox_exec__call); extra
 * regions (key/value memory) are granted for this call.  0 and *r0, or a
 * negative errno (the run is already stopped with it). */
struct hlp_region {
	void *p;
	uint64_t len;
	bool writable;
};
int hlp_cb_call(struct hlp_cb_run *run, const uint64_t a[4], const struct hlp_region *extra,
		unsigned nextra, uint64_t *r0);

#endif
