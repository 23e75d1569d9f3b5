// SPDX-License-Identifier: GPL-2.0
/* core_structs.bpf.c — CO-RE ("compile once, run everywhere") without
 * vmlinux.h: the program declares only the kernel fields it uses, with
 * __attribute__((preserve_access_index)), and the loader moves every
 * access to where the *target* kernel has the field (bpfbox: the running
 * kernel's /sys/kernel/btf/vmlinux, or --btf FILE).  One program per
 * relocation kind, each returning the relocated value, so a test can
 * compare it with the target BTF (tests/unit/test_core.c does, against this
 * kernel and against a hand-made BTF with shifted offsets):
 *
 *   field byte offset / size / existence / signedness   bpf_core_field_*()
 *   bitfields (byte offset, size, left and right shift) BPF_CORE_READ_BITFIELD_PROBED
 *   type id (local, target) / existence / size          bpf_core_type_*()
 *   enum value existence / value                        bpf_core_enum_value*()
 *   flavors: task_struct___old / ___new match task_struct (the suffix after
 *            the last "___" is ignored), guarded by bpf_core_field_exists()
 *   poisoning: the read of a field no target has sits in dead code (guarded
 *            by its existence check), so the program still loads and runs.
 *
 * core_checks asks only kernel-independent questions, so its expected
 * result holds on every kernel (and test_examples runs it in this one).
 */
#include "expect.h"
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	char comm[16];
} __attribute__((preserve_access_index));

/* flavors: two layouts of one kernel type across kernel versions */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

struct task_struct___new {
	unsigned int __state;
} __attribute__((preserve_access_index));

/* a field no kernel has: relocations on it are poisoned */
struct task_struct___nope {
	int bpfbox_missing;
} __attribute__((preserve_access_index));

/* bitfields at other offsets than the kernel's */
struct perf_event_attr {
	__u32 type;
	__u64 disabled : 1, inherit : 1, pinned : 1, exclusive : 1, exclude_user : 1,
		exclude_kernel : 1, exclude_hv : 1, exclude_idle : 1, mmap : 1, comm : 1;
} __attribute__((preserve_access_index));

/* a type of our own: in no kernel, present in the hand-made BTF */
struct bpfbox_core_bits {
	int lo : 3;
	unsigned int mid : 7;
	long long big : 40;
	short arr[4];
} __attribute__((preserve_access_index));

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
	BPFBOX_PIDTYPE_NOPE, /* in no kernel */
};

/* ---- field relocations ------------------------------------------------------------ */

SEC("syscall") int off_pid(void *ctx) { return bpf_core_field_offset(struct task_struct, pid); }
SEC("syscall") int off_tgid(void *ctx) { return bpf_core_field_offset(struct task_struct, tgid); }
SEC("syscall") int off_parent(void *ctx)
{
	return bpf_core_field_offset(struct task_struct, real_parent);
}
SEC("syscall") int off_comm3(void *ctx) { return bpf_core_field_offset(struct task_struct, comm[3]); }
SEC("syscall") int size_comm(void *ctx) { return bpf_core_field_size(struct task_struct, comm); }
SEC("syscall") int size_parent(void *ctx)
{
	return bpf_core_field_size(struct task_struct, real_parent);
}
SEC("syscall") int signed_pid(void *ctx)
{
	struct task_struct *t = 0;
	return __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED);
}
SEC("syscall") int signed_type(void *ctx)
{
	struct perf_event_attr *a = 0;
	return __builtin_preserve_field_info(a->type, BPF_FIELD_SIGNED);
}
SEC("syscall") int exists_pid(void *ctx) { return bpf_core_field_exists(struct task_struct, pid); }
SEC("syscall") int exists_missing(void *ctx)
{
	return bpf_core_field_exists(struct task_struct___nope, bpfbox_missing);
}

/* ---- bitfields: the relocated shifts read the target's bits from ctx ---------------------- */

/* (probed reads: the kernel refuses loads through a ctx pointer moved by a
 * relocated offset, and bpf_probe_read_kernel of the ctx works in both) */
SEC("syscall") int bf_inherit(struct perf_event_attr *a)
{
	return BPF_CORE_READ_BITFIELD_PROBED(a, inherit);
}
SEC("syscall") int bf_comm(struct perf_event_attr *a) { return BPF_CORE_READ_BITFIELD_PROBED(a, comm); }
SEC("syscall") int bf_lshift(void *ctx)
{
	struct perf_event_attr *a = 0;
	return __builtin_preserve_field_info(a->exclude_hv, BPF_FIELD_LSHIFT_U64);
}
SEC("syscall") int bf_rshift(void *ctx)
{
	struct perf_event_attr *a = 0;
	return __builtin_preserve_field_info(a->exclude_hv, BPF_FIELD_RSHIFT_U64);
}
SEC("syscall") int bf_off(void *ctx)
{
	struct perf_event_attr *a = 0;
	return __builtin_preserve_field_info(a->exclude_hv, BPF_FIELD_BYTE_OFFSET);
}
SEC("syscall") int bf_size(void *ctx)
{
	struct perf_event_attr *a = 0;
	return __builtin_preserve_field_info(a->exclude_hv, BPF_FIELD_BYTE_SIZE);
}
/* signed bitfields of a type only the hand-made BTF has (guarded: the
 * kernel has no such type, so these read nothing there) */
SEC("syscall") int bits_lo(struct bpfbox_core_bits *b)
{
	if (!bpf_core_field_exists(b->lo))
		return -1000;
	return BPF_CORE_READ_BITFIELD_PROBED(b, lo);
}
SEC("syscall") int bits_big(struct bpfbox_core_bits *b)
{
	if (!bpf_core_field_exists(b->big))
		return -1000;
	return BPF_CORE_READ_BITFIELD_PROBED(b, big) >> 8;
}
SEC("syscall") int bits_arr2(struct bpfbox_core_bits *b)
{
	if (!bpf_core_field_exists(b->arr))
		return -1000;
	return BPF_CORE_READ(b, arr[2]);
}

/* ---- type relocations ----------------------------------------------------------------- */

SEC("syscall") int type_size(void *ctx) { return bpf_core_type_size(struct task_struct); }
SEC("syscall") int type_exists(void *ctx) { return bpf_core_type_exists(struct task_struct); }
SEC("syscall") int type_nope(void *ctx) { return bpf_core_type_exists(struct bpfbox_core_bits); }
SEC("syscall") int type_id_local(void *ctx) { return bpf_core_type_id_local(struct task_struct); }
SEC("syscall") int type_id_target(void *ctx) { return bpf_core_type_id_kernel(struct task_struct); }

/* ---- enum relocations ------------------------------------------------------------------ */

SEC("syscall") int enum_sid(void *ctx) { return bpf_core_enum_value(enum pid_type, PIDTYPE_SID); }
SEC("syscall") int enum_max(void *ctx) { return bpf_core_enum_value(enum pid_type, PIDTYPE_MAX); }
SEC("syscall") int enum_nope(void *ctx)
{
	return bpf_core_enum_value_exists(enum pid_type, BPFBOX_PIDTYPE_NOPE);
}

/* ---- flavors ------------------------------------------------------------------------------ */

/* the task's state, wherever this kernel keeps it: 1 (__state) or 2 (state) */
SEC("syscall") int flavor(void *ctx)
{
	if (bpf_core_field_exists(struct task_struct___new, __state))
		return 1;
	if (bpf_core_field_exists(struct task_struct___old, state))
		return 2;
	return 0;
}

SEC("syscall") int flavor_off(void *ctx)
{
	if (bpf_core_field_exists(struct task_struct___new, __state))
		return bpf_core_field_offset(struct task_struct___new, __state);
	return bpf_core_field_offset(struct task_struct___old, state);
}

/* ---- everything that holds on any kernel ------------------------------------------------- */

// bpfbox-test: prog=core_checks expect=511
SEC("syscall")
int core_checks(void *ctx)
{
	__u32 ok = 0;
	struct task_struct___nope *n = ctx;

	CHECK(0, bpf_core_field_exists(struct task_struct, pid));
	CHECK(1, !bpf_core_field_exists(struct task_struct___nope, bpfbox_missing));
	CHECK(2, bpf_core_type_exists(struct task_struct));
	CHECK(3, bpf_core_field_exists(struct task_struct___new, __state) !=
		 bpf_core_field_exists(struct task_struct___old, state));
	CHECK(4, bpf_core_enum_value(enum pid_type, PIDTYPE_TGID) == 1);
	CHECK(5, !bpf_core_enum_value_exists(enum pid_type, BPFBOX_PIDTYPE_NOPE));
	CHECK(6, bpf_core_field_size(struct task_struct, comm) == 16);
	CHECK(7, bpf_core_field_offset(struct task_struct, tgid) >
		 bpf_core_field_offset(struct task_struct, pid));
	/* dead code: the field exists nowhere, its read is poisoned but never runs */
	if (bpf_core_field_exists(n->bpfbox_missing))
		return n->bpfbox_missing;
	CHECK(8, 1);
	return ok;
}
