/* bpfbox — helpers/helpers.h: helper contracts as data.
 *
 * The kernel describes every helper with a `bpf_func_proto`: what each
 * argument register must hold and what r0 holds afterwards.  bpfbox keeps
 * the same information in helpers.def, one row per helper it implements,
 * and everything reads it from there: the VM registration (number ->
 * function), the verifier (which checks each call against the row), the
 * disassembler and messages (names).  Adding a helper is adding a row and
 * its function.
 */
#ifndef BPFBOX_HELPERS_INTERNAL_H
#define BPFBOX_HELPERS_INTERNAL_H

#include <stdint.h>
#include <stdbool.h>
#include "bpfbox/vm.h"
#include "bpfbox/prog_types.h"

/* What an argument register must hold (the kernel's ARG_* kinds). */
enum hlp_arg {
	A_NONE = 0,        /* not an argument: the register is ignored (and clobbered) */
	A_ANY,             /* any initialised value */
	A_MAP,             /* a map pointer (lddw map) */
	A_MAP_KEY,         /* pointer to key_size readable bytes, map in arg 1 */
	A_MAP_VALUE,       /* pointer to value_size readable bytes, map in arg 1 */
	A_MAP_VALUE_UNINIT,/* pointer to value_size writable bytes (pop/peek) */
	A_MEM,             /* pointer to readable memory; its size is the next argument */
	A_MEM_OR_NULL,     /* same, or NULL (with size 0) */
	A_MEM_UNINIT,      /* pointer to writable memory, may be uninitialised; size next */
	A_MEM_UNINIT_OR_NULL,
	A_SIZE,            /* constant-bounded size > 0 of the previous memory argument */
	A_SIZE_OR_ZERO,    /* same, may be 0 */
	A_ALLOC_SIZE,      /* constant size of memory the helper returns (ringbuf reserve) */
	A_CTX,             /* the program's context pointer, unmodified */
	A_FUNC,            /* a callback: lddw of a subprogram (src 4) */
	A_STACK_OR_NULL,   /* pointer to the stack, or NULL (callback context) */
	A_RINGBUF_MEM,     /* a record from ringbuf_reserve (the reference is released) */
	A_SPIN_LOCK,       /* pointer to a struct bpf_spin_lock in a map value */
	A_CONST_STR,       /* pointer into a read-only map value holding a NUL-terminated string */
	A_LONG_PTR,        /* pointer to 8 writable bytes (result out-parameter) */
	A_BTF_ID,          /* a kernel object pointer (task_struct, ...): passed through */
};

/* What r0 holds after the call. */
enum hlp_ret {
	R_INT = 0,           /* a scalar */
	R_VOID,              /* nothing meaningful (r0 unreadable after the call) */
	R_MAP_VALUE_OR_NULL, /* pointer to a value of the map in arg 1, or NULL */
	R_MEM_OR_NULL,       /* pointer to A_ALLOC_SIZE bytes, or NULL (acquires a reference) */
	R_BTF_ID,            /* kernel object pointer (get_current_task_btf) */
};

/* Helper flags. */
enum hlp_flag {
	HF_GPL = 1u << 0,         /* gpl_only in the kernel: needs a GPL-compatible license */
	HF_PKT_CHANGE = 1u << 1,  /* may move packet data: packet pointers are invalid after it */
	HF_RELEASE = 1u << 2,     /* releases the reference in its A_RINGBUF_MEM argument */
	HF_CALLBACK = 1u << 3,    /* calls an A_FUNC callback (bpf_loop, for_each_map_elem) */
	HF_NORETURN_OK = 1u << 4, /* may not return (tail_call on success) */
	HF_LEAF = 1u << 5,        /* its own leaf (bpfbox_vm__set_helper_leaf): it never stops
				   * the run, calls nothing back and needs no call site, so
				   * verified JIT code calls it bare, as the kernel does */
};

/* Which program types may call a helper: a bit per enum bpfbox_prog_type. */
#define PT(t) (1ull << BPFBOX_PROG_TYPE_##t)
#define T_ALL (~0ull)
#define T_TRACE (PT(KPROBE) | PT(TRACEPOINT) | PT(PERF_EVENT) | PT(RAW_TRACEPOINT) | \
		 PT(RAW_TRACEPOINT_WRITABLE) | PT(TRACING) | PT(LSM) | PT(UNSPEC))
#define T_SKB (PT(SOCKET_FILTER) | PT(SCHED_CLS) | PT(SCHED_ACT) | PT(CGROUP_SKB) | \
	       PT(LWT_IN) | PT(LWT_OUT) | PT(LWT_XMIT) | PT(SK_SKB) | PT(UNSPEC))
#define T_TC (PT(SCHED_CLS) | PT(SCHED_ACT) | PT(UNSPEC))
#define T_XDP (PT(XDP) | PT(UNSPEC))
#define T_NET (T_SKB | T_XDP)

struct hlp_contract {
	uint32_t id;
	const char *name;     /* without the bpf_ prefix: "map_lookup_elem" */
	uint8_t ret;          /* enum hlp_ret */
	uint8_t args[5];      /* enum hlp_arg */
	uint32_t flags;       /* enum hlp_flag */
	uint64_t prog_types;  /* PT() bits */
	const char *doc;      /* one line */
};

/* The contract of helper `id`, or NULL when bpfbox does not implement it. */
const struct hlp_contract *hlp_contract(uint32_t id);
/* The kernel's name of helper `id` (any helper the UAPI knows), or NULL. */
const char *hlp_name(uint32_t id);

#endif
