/* bpfbox — prog_types.h: eBPF program types and attach points.
 *
 * Numbers are the kernel UAPI's (enum bpf_prog_type) so that objects,
 * the kernel backend and bpfbox agree.  A program's type decides what its
 * context (r1) is, which helpers it may call and what it must return; the
 * ELF loader derives it from the section name the way libbpf does.
 */
#ifndef BPFBOX_PROG_TYPES_H
#define BPFBOX_PROG_TYPES_H

#ifdef __cplusplus
extern "C" {
#endif

enum bpfbox_prog_type {
	BPFBOX_PROG_TYPE_UNSPEC = 0, /* raw programs: r1 = memory, r2 = its length */
	BPFBOX_PROG_TYPE_SOCKET_FILTER = 1,
	BPFBOX_PROG_TYPE_KPROBE = 2,
	BPFBOX_PROG_TYPE_SCHED_CLS = 3,
	BPFBOX_PROG_TYPE_SCHED_ACT = 4,
	BPFBOX_PROG_TYPE_TRACEPOINT = 5,
	BPFBOX_PROG_TYPE_XDP = 6,
	BPFBOX_PROG_TYPE_PERF_EVENT = 7,
	BPFBOX_PROG_TYPE_CGROUP_SKB = 8,
	BPFBOX_PROG_TYPE_CGROUP_SOCK = 9,
	BPFBOX_PROG_TYPE_LWT_IN = 10,
	BPFBOX_PROG_TYPE_LWT_OUT = 11,
	BPFBOX_PROG_TYPE_LWT_XMIT = 12,
	BPFBOX_PROG_TYPE_SOCK_OPS = 13,
	BPFBOX_PROG_TYPE_SK_SKB = 14,
	BPFBOX_PROG_TYPE_CGROUP_DEVICE = 15,
	BPFBOX_PROG_TYPE_SK_MSG = 16,
	BPFBOX_PROG_TYPE_RAW_TRACEPOINT = 17,
	BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR = 18,
	BPFBOX_PROG_TYPE_LWT_SEG6LOCAL = 19,
	BPFBOX_PROG_TYPE_LIRC_MODE2 = 20,
	BPFBOX_PROG_TYPE_SK_REUSEPORT = 21,
	BPFBOX_PROG_TYPE_FLOW_DISSECTOR = 22,
	BPFBOX_PROG_TYPE_CGROUP_SYSCTL = 23,
	BPFBOX_PROG_TYPE_RAW_TRACEPOINT_WRITABLE = 24,
	BPFBOX_PROG_TYPE_CGROUP_SOCKOPT = 25,
	BPFBOX_PROG_TYPE_TRACING = 26,
	BPFBOX_PROG_TYPE_STRUCT_OPS = 27,
	BPFBOX_PROG_TYPE_EXT = 28,
	BPFBOX_PROG_TYPE_LSM = 29,
	BPFBOX_PROG_TYPE_SK_LOOKUP = 30,
	BPFBOX_PROG_TYPE_SYSCALL = 31,
	BPFBOX_PROG_TYPE_NETFILTER = 32,
	BPFBOX_PROG_TYPE__COUNT
};

/* Canonical lower-case name ("xdp", "tracepoint", "socket_filter", ...), as
 * bpftool prints them; NULL for an unknown number. */
const char *bpfbox_prog_type__name(int type) __attribute__((visibility("default")));
/* Inverse of bpfbox_prog_type__name; -1 when unknown. */
int bpfbox_prog_type__from_name(const char *name) __attribute__((visibility("default")));

#ifdef __cplusplus
}
#endif
#endif
