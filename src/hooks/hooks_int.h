/* bpfbox — hooks/hooks_int.h: what the hooks layer's files share (and its
 * unit tests reach). */
#ifndef BPFBOX_HOOKS_INT_H
#define BPFBOX_HOOKS_INT_H

#include "bpfbox/hooks.h"
#include "util/util.h"

/* Syscall numbers the tables cover (x86-64 numbers are below 512; the x32
 * bit and i386 numbers are not traced). */
#define HK_NR_MAX 512

/* Offsets in the kernel's syscall tracepoint records. */
#define HK_TP_COMMON_TYPE 0
#define HK_TP_COMMON_FLAGS 2
#define HK_TP_COMMON_PREEMPT 3
#define HK_TP_COMMON_PID 4
#define HK_TP_NR 8       /* int __syscall_nr (syscalls events), long id (raw_syscalls) */
#define HK_TP_ARGS 16    /* sys_enter: unsigned long args, 8 bytes each */
#define HK_TP_RET 16     /* sys_exit: long ret */
#define HK_TP_MAX_SIZE 64 /* raw_syscalls/sys_enter: 16 + 6 * 8 */

/* Event kinds a program attaches to. */
enum hk_kind {
	HK_SYS_ENTER = 0,  /* syscalls/sys_enter_NAME */
	HK_SYS_EXIT,       /* syscalls/sys_exit_NAME */
	HK_RAW_ENTER,      /* raw_syscalls/sys_enter (tracepoint record) */
	HK_RAW_EXIT,       /* raw_syscalls/sys_exit */
	HK_RAWTP_ENTER,    /* raw_tp/sys_enter: { regs, id } */
	HK_RAWTP_EXIT,     /* raw_tp/sys_exit: { regs, ret } */
};

/* Parse a program section into an event: 0 with *kind and *nr (-1 for
 * the raw events), -ENOENT (unknown syscall), -EOPNOTSUPP (not a syscall
 * event).  `why` (may be NULL) receives a reason. */
int hk_parse_section(const char *section, int *kind, int *nr, char *why, size_t whysz);

/* Build the record of a syscall tracepoint into buf (HK_TP_MAX_SIZE
 * bytes, zeroed first): `type` is common_type, pid the thread, nr the
 * syscall; args (sys_enter) or ret (sys_exit).  Returns the record size. */
uint32_t hk_tp_build(uint8_t *buf, int kind, uint16_t type, uint32_t pid, int nr,
		     const uint64_t args[6], int64_t ret);

/* Arguments of syscall nr per the table (-1: no tracepoint). */
int hk_syscall_nargs(int nr);

/* The tracefs id of an event ("syscalls/sys_enter_read"), or 0 when
 * tracefs is not readable. */
uint16_t hk_tp_id(const char *category, const char *name);

/* A task_struct laid out by a target BTF (taskview.c): what
 * get_current_task returns in `bpfbox trace` when the object has one. */
struct btf;
struct hk_taskview;
struct hk_task_facts {
	uint32_t pid, tgid, ppid, uid, gid;
	char comm[16];
};
/* 0 and *out, -ENOENT (no struct task_struct in btf), -ENOMEM. */
int hk_taskview_new(const struct btf *btf, struct hk_taskview **out);
void hk_taskview_free(struct hk_taskview *v);
/* The task's address (what get_current_task returns). */
uint64_t hk_taskview_addr(const struct hk_taskview *v);
/* Write the task's facts (and its parent's, read from /proc) into the views. */
void hk_taskview_fill(struct hk_taskview *v, const struct hk_task_facts *f);
/* Read [addr, addr+len) of the views: 1 done, -EFAULT an address in or just
 * past a view that the layout does not cover, 0 not a view address. */
int hk_taskview_read(const struct hk_taskview *v, uint64_t addr, void *dst, size_t len);

#endif
