/* bpfbox — object/secdef.c: section names -> program types, and the names
 * of program types.
 *
 * libbpf decides a program's type from its ELF section name: `SEC("xdp")`
 * is an XDP program, `SEC("tp/syscalls/sys_enter_openat")` a tracepoint
 * whose attach target follows the prefix.  The table below is that rule as
 * data, one row per prefix, in libbpf's matching order (longer, more
 * specific names first where prefixes nest, e.g. "raw_tp.w" before
 * "raw_tp").  A row marked PFX matches "NAME" and "NAME/anything" (the
 * rest is the attach target); an exact row matches only "NAME".  Unknown
 * names give -ENOENT and UNSPEC, which bpfbox still runs with the raw
 * calling convention.
 *
 * The program type names are bpftool's (`bpftool prog` prints them).
 */
#include <errno.h>
#include <string.h>
#include "obj.h"
#include "bpfbox/prog_types.h"

enum { EXACT = 0, PFX = 1 };

static const struct sec_def {
	const char *name;
	int type;
	int match;
} sec_defs[] = {
	{ "socket", BPFBOX_PROG_TYPE_SOCKET_FILTER, PFX },
	{ "sk_reuseport/migrate", BPFBOX_PROG_TYPE_SK_REUSEPORT, EXACT },
	{ "sk_reuseport", BPFBOX_PROG_TYPE_SK_REUSEPORT, EXACT },
	{ "kprobe", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "uprobe", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "uprobe.s", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "kretprobe", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "uretprobe", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "uretprobe.s", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "kprobe.multi", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "kretprobe.multi", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "uprobe.multi", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "uretprobe.multi", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "ksyscall", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "kretsyscall", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "usdt", BPFBOX_PROG_TYPE_KPROBE, PFX },
	{ "tc/ingress", BPFBOX_PROG_TYPE_SCHED_CLS, EXACT },
	{ "tc/egress", BPFBOX_PROG_TYPE_SCHED_CLS, EXACT },
	{ "tcx/ingress", BPFBOX_PROG_TYPE_SCHED_CLS, EXACT },
	{ "tcx/egress", BPFBOX_PROG_TYPE_SCHED_CLS, EXACT },
	{ "tc", BPFBOX_PROG_TYPE_SCHED_CLS, PFX },
	{ "classifier", BPFBOX_PROG_TYPE_SCHED_CLS, PFX },
	{ "action", BPFBOX_PROG_TYPE_SCHED_ACT, PFX },
	{ "tracepoint", BPFBOX_PROG_TYPE_TRACEPOINT, PFX },
	{ "tp", BPFBOX_PROG_TYPE_TRACEPOINT, PFX },
	{ "raw_tracepoint.w", BPFBOX_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, PFX },
	{ "raw_tp.w", BPFBOX_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, PFX },
	{ "raw_tracepoint", BPFBOX_PROG_TYPE_RAW_TRACEPOINT, PFX },
	{ "raw_tp", BPFBOX_PROG_TYPE_RAW_TRACEPOINT, PFX },
	{ "tp_btf", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "fentry", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "fmod_ret", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "fexit", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "fentry.s", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "fmod_ret.s", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "fexit.s", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "iter", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "iter.s", BPFBOX_PROG_TYPE_TRACING, PFX },
	{ "freplace", BPFBOX_PROG_TYPE_EXT, PFX },
	{ "lsm", BPFBOX_PROG_TYPE_LSM, PFX },
	{ "lsm.s", BPFBOX_PROG_TYPE_LSM, PFX },
	{ "lsm_cgroup", BPFBOX_PROG_TYPE_LSM, PFX },
	{ "struct_ops", BPFBOX_PROG_TYPE_STRUCT_OPS, PFX },
	{ "struct_ops.s", BPFBOX_PROG_TYPE_STRUCT_OPS, PFX },
	{ "sk_lookup", BPFBOX_PROG_TYPE_SK_LOOKUP, EXACT },
	{ "xdp.frags/devmap", BPFBOX_PROG_TYPE_XDP, EXACT },
	{ "xdp/devmap", BPFBOX_PROG_TYPE_XDP, EXACT },
	{ "xdp.frags/cpumap", BPFBOX_PROG_TYPE_XDP, EXACT },
	{ "xdp/cpumap", BPFBOX_PROG_TYPE_XDP, EXACT },
	{ "xdp.frags", BPFBOX_PROG_TYPE_XDP, EXACT },
	{ "xdp", BPFBOX_PROG_TYPE_XDP, PFX },
	{ "perf_event", BPFBOX_PROG_TYPE_PERF_EVENT, EXACT },
	{ "lwt_in", BPFBOX_PROG_TYPE_LWT_IN, EXACT },
	{ "lwt_out", BPFBOX_PROG_TYPE_LWT_OUT, EXACT },
	{ "lwt_xmit", BPFBOX_PROG_TYPE_LWT_XMIT, EXACT },
	{ "lwt_seg6local", BPFBOX_PROG_TYPE_LWT_SEG6LOCAL, EXACT },
	{ "sockops", BPFBOX_PROG_TYPE_SOCK_OPS, EXACT },
	{ "sk_skb/stream_parser", BPFBOX_PROG_TYPE_SK_SKB, EXACT },
	{ "sk_skb/stream_verdict", BPFBOX_PROG_TYPE_SK_SKB, EXACT },
	{ "sk_skb", BPFBOX_PROG_TYPE_SK_SKB, PFX },
	{ "sk_msg", BPFBOX_PROG_TYPE_SK_MSG, EXACT },
	{ "lirc_mode2", BPFBOX_PROG_TYPE_LIRC_MODE2, EXACT },
	{ "flow_dissector", BPFBOX_PROG_TYPE_FLOW_DISSECTOR, EXACT },
	{ "cgroup_skb/ingress", BPFBOX_PROG_TYPE_CGROUP_SKB, EXACT },
	{ "cgroup_skb/egress", BPFBOX_PROG_TYPE_CGROUP_SKB, EXACT },
	{ "cgroup/skb", BPFBOX_PROG_TYPE_CGROUP_SKB, EXACT },
	{ "cgroup/sock_create", BPFBOX_PROG_TYPE_CGROUP_SOCK, EXACT },
	{ "cgroup/sock_release", BPFBOX_PROG_TYPE_CGROUP_SOCK, EXACT },
	{ "cgroup/sock", BPFBOX_PROG_TYPE_CGROUP_SOCK, EXACT },
	{ "cgroup/post_bind4", BPFBOX_PROG_TYPE_CGROUP_SOCK, EXACT },
	{ "cgroup/post_bind6", BPFBOX_PROG_TYPE_CGROUP_SOCK, EXACT },
	{ "cgroup/bind4", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/bind6", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/connect4", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/connect6", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/connect_unix", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/sendmsg4", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/sendmsg6", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/sendmsg_unix", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/recvmsg4", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/recvmsg6", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/recvmsg_unix", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/getpeername4", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/getpeername6", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/getsockname4", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/getsockname6", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, EXACT },
	{ "cgroup/sysctl", BPFBOX_PROG_TYPE_CGROUP_SYSCTL, EXACT },
	{ "cgroup/getsockopt", BPFBOX_PROG_TYPE_CGROUP_SOCKOPT, EXACT },
	{ "cgroup/setsockopt", BPFBOX_PROG_TYPE_CGROUP_SOCKOPT, EXACT },
	{ "cgroup/dev", BPFBOX_PROG_TYPE_CGROUP_DEVICE, EXACT },
	{ "syscall", BPFBOX_PROG_TYPE_SYSCALL, EXACT },
	{ "netfilter", BPFBOX_PROG_TYPE_NETFILTER, EXACT },
};

BPFBOX_API int bpfbox_sec_name__parse(const char *sec, int *prog_type, const char **prefix,
				      const char **attach)
{
	const struct sec_def *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; sec && i < ARRAY_SIZE(sec_defs); i++) {
		const struct sec_def *d = &sec_defs[i];
		size_t n = strlen(d->name);
		if (strncmp(sec, d->name, n))
			continue;
		bool ok = d->match == PFX ? sec[n] == 0 || sec[n] == '/' : sec[n] == 0;
		/* the longest matching name wins ("uprobe.s/..." is not "uprobe") */
		if (ok && n > best_len) {
			best = d;
			best_len = n;
		}
	}
	if (prog_type)
		*prog_type = best ? best->type : BPFBOX_PROG_TYPE_UNSPEC;
	if (prefix)
		*prefix = best ? best->name : "";
	if (attach) {
		const char *a = "";
		if (best && best->match == PFX && sec[best_len] == '/')
			a = sec + best_len + 1;
		*attach = a;
	}
	return best ? 0 : -ENOENT;
}

static const char *const type_names[BPFBOX_PROG_TYPE__COUNT] = {
	[BPFBOX_PROG_TYPE_UNSPEC] = "unspec",
	[BPFBOX_PROG_TYPE_SOCKET_FILTER] = "socket_filter",
	[BPFBOX_PROG_TYPE_KPROBE] = "kprobe",
	[BPFBOX_PROG_TYPE_SCHED_CLS] = "sched_cls",
	[BPFBOX_PROG_TYPE_SCHED_ACT] = "sched_act",
	[BPFBOX_PROG_TYPE_TRACEPOINT] = "tracepoint",
	[BPFBOX_PROG_TYPE_XDP] = "xdp",
	[BPFBOX_PROG_TYPE_PERF_EVENT] = "perf_event",
	[BPFBOX_PROG_TYPE_CGROUP_SKB] = "cgroup_skb",
	[BPFBOX_PROG_TYPE_CGROUP_SOCK] = "cgroup_sock",
	[BPFBOX_PROG_TYPE_LWT_IN] = "lwt_in",
	[BPFBOX_PROG_TYPE_LWT_OUT] = "lwt_out",
	[BPFBOX_PROG_TYPE_LWT_XMIT] = "lwt_xmit",
	[BPFBOX_PROG_TYPE_SOCK_OPS] = "sock_ops",
	[BPFBOX_PROG_TYPE_SK_SKB] = "sk_skb",
	[BPFBOX_PROG_TYPE_CGROUP_DEVICE] = "cgroup_device",
	[BPFBOX_PROG_TYPE_SK_MSG] = "sk_msg",
	[BPFBOX_PROG_TYPE_RAW_TRACEPOINT] = "raw_tracepoint",
	[BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR] = "cgroup_sock_addr",
	[BPFBOX_PROG_TYPE_LWT_SEG6LOCAL] = "lwt_seg6local",
	[BPFBOX_PROG_TYPE_LIRC_MODE2] = "lirc_mode2",
	[BPFBOX_PROG_TYPE_SK_REUSEPORT] = "sk_reuseport",
	[BPFBOX_PROG_TYPE_FLOW_DISSECTOR] = "flow_dissector",
	[BPFBOX_PROG_TYPE_CGROUP_SYSCTL] = "cgroup_sysctl",
	[BPFBOX_PROG_TYPE_RAW_TRACEPOINT_WRITABLE] = "raw_tracepoint_writable",
	[BPFBOX_PROG_TYPE_CGROUP_SOCKOPT] = "cgroup_sockopt",
	[BPFBOX_PROG_TYPE_TRACING] = "tracing",
	[BPFBOX_PROG_TYPE_STRUCT_OPS] = "struct_ops",
	[BPFBOX_PROG_TYPE_EXT] = "ext",
	[BPFBOX_PROG_TYPE_LSM] = "lsm",
	[BPFBOX_PROG_TYPE_SK_LOOKUP] = "sk_lookup",
	[BPFBOX_PROG_TYPE_SYSCALL] = "syscall",
	[BPFBOX_PROG_TYPE_NETFILTER] = "netfilter",
};

const char *bpfbox_prog_type__name(int type)
{
	return type >= 0 && type < BPFBOX_PROG_TYPE__COUNT ? type_names[type] : NULL;
}

int bpfbox_prog_type__from_name(const char *name)
{
	for (int i = 0; name && i < BPFBOX_PROG_TYPE__COUNT; i++)
		if (type_names[i] && !strcmp(type_names[i], name))
			return i;
	return -1;
}
