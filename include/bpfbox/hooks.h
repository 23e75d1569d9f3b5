/* bpfbox — hooks.h: real events for programs, in user space.
 *
 * eBPF programs run when a hook fires.  This header gives them hooks that
 * need neither root nor the kernel's eBPF:
 *
 *  - syscall tracing of a command (`bpfbox trace`): a `bpfbox_tracer` runs
 *    a command (or attaches to a process) under ptrace and runs the
 *    programs attached to syscall tracepoints — syscalls/sys_enter_NAME,
 *    syscalls/sys_exit_NAME, raw_syscalls/sys_enter|sys_exit and the raw
 *    tracepoints sys_enter|sys_exit — with the context laid out byte for
 *    byte like the kernel's tracepoint record, and with the helpers seeing
 *    the traced task (pid, comm, uid, its memory for probe_read_user and
 *    probe_write_user, send_signal);
 *  - tracepoint formats: the kernel's record layout of each syscall event
 *    (a generated x86-64 table, so no tracefs is needed), for the tracer
 *    and for the verifier's context checks;
 *  - packets: sources (pcap/pcapng files through libpcap, live capture on an
 *    interface through AF_PACKET), a pcap sink, and the XDP / __sk_buff
 *    contexts packet programs run with (`bpfbox xdp`, `filter`, `tc`);
 *  - outputs: ring buffer and perf event array records printed while the
 *    hook runs, as hex or decoded with the object's BTF (text or JSON).
 *
 * Thread safety: each handle is used by one thread at a time.
 */
#ifndef BPFBOX_HOOKS_H
#define BPFBOX_HOOKS_H

#include <stdio.h>
#include "bpfbox/common.h"
#include "bpfbox/helpers.h"
#include "bpfbox/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfbox_object;
struct btf;

/* ---- tracepoint formats ------------------------------------------------------ */

#define BPFBOX_TP_MAX_FIELDS 12

struct bpfbox_tp_field {
	const char *name;   /* "common_pid", "__syscall_nr", "filename", "ret", "args", ... */
	const char *type;   /* the C type as the kernel's format file spells it */
	uint16_t offset;
	uint16_t size;
	bool is_signed;
};

/* One event's record, as /sys/kernel/tracing/events/CATEGORY/NAME/format
 * describes it.  Strings are static (never freed). */
struct bpfbox_tp_format {
	const char *category;  /* "syscalls" or "raw_syscalls" */
	const char *name;      /* "sys_enter_openat", "sys_exit", ... */
	int syscall_nr;        /* x86-64 number; -1 for raw_syscalls */
	bool exit;             /* a sys_exit event (else sys_enter) */
	uint32_t size;         /* bytes of the record (the program's context) */
	uint32_t nargs;        /* sys_enter_NAME: arguments of the syscall */
	uint32_t nfields;
	struct bpfbox_tp_field fields[BPFBOX_TP_MAX_FIELDS];
};

/* Describe "syscalls/sys_enter_openat", "syscalls/sys_exit_read",
 * "raw_syscalls/sys_enter" or "raw_syscalls/sys_exit" (a leading
 * "tracepoint/" or "tp/" is accepted).  Fills *out (fields in offset
 * order, the four common_* first).  Returns 0, -ENOENT (no such event in
 * the x86-64 table), -EINVAL (NULL arguments). */
BPFBOX_API int bpfbox_tp_format__lookup(const char *event, struct bpfbox_tp_format *out);

/* Name of x86-64 syscall `nr` as its tracepoints spell it ("openat",
 * "newstat"), or NULL when it has no syscall tracepoint. */
BPFBOX_API const char *bpfbox_syscall__name(int nr);
/* Number of a syscall by its tracepoint name, or -ENOENT. */
BPFBOX_API int bpfbox_syscall__nr(const char *name);

/* ---- the syscall tracer -------------------------------------------------------
 *
 * Design (the tracer's .c file explains more):
 *  - spawn: fork; the child waits until bpfbox has PTRACE_SEIZEd it
 *    (options EXITKILL, TRACESECCOMP, TRACEFORK/VFORK/CLONE/EXEC,
 *    TRACESYSGOOD), installs a seccomp filter returning SECCOMP_RET_TRACE
 *    for exactly the syscalls that have a program attached (every syscall
 *    when a raw_syscalls/raw_tp program is attached) and SECCOMP_RET_ALLOW
 *    for the rest, then execs CMD.  Untraced syscalls never stop: the
 *    kernel's seccomp action cache answers them without running the
 *    filter.  A traced syscall stops once at entry (seccomp stop) and, when
 *    a sys_exit program wants it, once more at exit (PTRACE_SYSCALL);
 *  - attach to a running process (-p): no filter can be installed into it
 *    (it would outlive bpfbox, and RET_TRACE without a tracer fails the
 *    syscall), so every syscall of it stops and those without programs are
 *    resumed at once; bpfbox detaches cleanly when stopped;
 *  - if bpfbox dies, PTRACE_O_EXITKILL kills a spawned command (its
 *    filter would make traced syscalls fail with ENOSYS without us); an
 *    attached (-p) process is detached by the kernel and continues.
 */

struct bpfbox_tracer;

/* What the traced task looks like to programs calling get_current_task()
 * when the tracer has no task BTF (bpfbox_tracer_opts.task_btf): a
 * synthesized view; kernel programs that read the kernel's task_struct at
 * its offsets read outside it and get -EFAULT and zeroes. */
struct bpfbox_task_view {
	uint32_t pid, tgid, ppid;
	uint32_t uid, gid;
	char comm[16];
};

struct bpfbox_tracer_opts {
	size_t sz;
	struct bpfbox_log *log;   /* why attach/spawn failed (one line) */
	int engine;               /* enum bpfbox_engine for runs */
	uint64_t insn_budget;     /* checked-mode budget per run (0: the VM's) */
	FILE *trace_out;          /* trace_printk lines (NULL: the env's / stdout) */
	/* Called after each stop whose programs ran (e.g. to print ring buffer
	 * records in order with the command's output).  May be NULL. */
	void (*after_event)(void *ud);
	/* Called when a program stops with an error (fault, budget): `msg` is
	 * the run's log line.  The program is detached from every event; the
	 * command continues.  NULL: the message goes to opts->log. */
	void (*on_fault)(void *ud, const char *prog, const char *section, int err,
			 const char *msg);
	void *ud;
	/* Stop on every syscall even when a filter could skip it (benchmarks:
	 * the cost of a stop without programs). */
	bool all_syscalls;
	/* The BTF the programs' CO-RE relocations were resolved against (a
	 * libbpf struct btf *, borrowed: bpfbox_object__target_btf).  Given,
	 * get_current_task returns a task_struct laid out by it — pid, tgid,
	 * comm, real_parent/parent (a view of the parent process), group_leader,
	 * cred/real_cred (uid, gid, euid, ...), zeros elsewhere — so
	 * BPF_CORE_READ(task, real_parent, tgid) reads the tracee's values.
	 * NULL: the small struct bpfbox_task_view. */
	const struct btf *task_btf;
};
#define bpfbox_tracer_opts__last_field task_btf

/* Create a tracer.  0 and *out (free with bpfbox_tracer__free), -EINVAL,
 * -ENOMEM. */
BPFBOX_API int bpfbox_tracer__new(struct bpfbox_tracer **out,
				  const struct bpfbox_tracer_opts *opts);
/* Free it (NULL is fine).  A running command is killed first (SIGKILL);
 * an attached process is detached. */
BPFBOX_API void bpfbox_tracer__free(struct bpfbox_tracer *t);

/* Attach `prog` (borrowed: it must outlive the tracer) to the event its
 * section names: "tracepoint/syscalls/sys_enter_NAME" (or sys_exit_NAME;
 * "tp/" is the same), "tracepoint/raw_syscalls/sys_enter|sys_exit",
 * "raw_tracepoint/sys_enter|sys_exit" ("raw_tp/", and "tp_btf/" which
 * gets the same context).  Tracepoint programs get the record
 * (bpfbox_tp_format__lookup); raw ones get { u64 regs; u64 id_or_ret },
 * where regs points to a copy of the task's struct pt_regs.  Before
 * spawn/attach_pid only.  Returns 0; -ENOENT (no such syscall event),
 * -EOPNOTSUPP (a section bpfbox trace cannot attach, e.g. kprobe/),
 * -EBUSY (already tracing), -ENOMEM; one line in the log. */
BPFBOX_API int bpfbox_tracer__attach(struct bpfbox_tracer *t, struct bpfbox_prog *prog,
				     const char *section);

/* The context size a program attached to `section` gets (for the
 * verifier), or a negative errno as bpfbox_tracer__attach. */
BPFBOX_API int bpfbox_tracer__ctx_size(const char *section);

/* Start argv[0] (searched in PATH) with argv, traced.  Returns 0 with the
 * command started (its pid: bpfbox_tracer__pid), -EBUSY, -ENOENT when
 * nothing is attached, or the errno of fork/ptrace.  A command that cannot
 * be executed exits 127 (bpfbox_tracer__exec_errno says why). */
BPFBOX_API int bpfbox_tracer__spawn(struct bpfbox_tracer *t, char *const argv[]);

/* Attach to every thread of running process `pid`.  0, -ESRCH, -EPERM,
 * -EBUSY. */
BPFBOX_API int bpfbox_tracer__attach_pid(struct bpfbox_tracer *t, int pid);

/* Handle events until every traced task is gone (spawned command and all
 * its descendants exited) or, for an attached process, until
 * bpfbox_tracer__stop() asked to detach.  *wstatus (may be NULL) receives
 * the wait status of the spawned command (0 for an attached process).
 * Returns 0 or a negative errno (waitpid failure). */
BPFBOX_API int bpfbox_tracer__run(struct bpfbox_tracer *t, int *wstatus);

/* Ask run() to detach from an attached process and return.  Safe in a
 * signal handler (install it without SA_RESTART so waitpid is interrupted).
 * No effect on a spawned command (forward the signal to it instead). */
BPFBOX_API void bpfbox_tracer__stop(struct bpfbox_tracer *t);

/* The spawned command's / attached process's pid (0 before). */
BPFBOX_API int bpfbox_tracer__pid(const struct bpfbox_tracer *t);
/* The errno of a failed exec of the command (0 when it ran). */
BPFBOX_API int bpfbox_tracer__exec_errno(const struct bpfbox_tracer *t);

struct bpfbox_tracer_stats {
	size_t sz;
	uint64_t stops;       /* ptrace stops handled */
	uint64_t syscall_stops; /* of which syscall entries and exits */
	uint64_t runs;        /* program runs */
	uint64_t faults;      /* programs detached after an error */
	uint64_t tasks;       /* threads and processes seen */
};
#define bpfbox_tracer_stats__last_field tasks
BPFBOX_API void bpfbox_tracer__stats(const struct bpfbox_tracer *t,
				     struct bpfbox_tracer_stats *st);

/* ---- outputs: ring buffers and perf event arrays -------------------------------- */

struct bpfbox_outputs;

struct bpfbox_outputs_opts {
	size_t sz;
	FILE *out;               /* NULL: stdout */
	bool json;               /* one JSON object per line */
	/* Decode every record as this BTF struct/union (NULL: automatic — the
	 * object's one named struct whose size is the record's size, else the
	 * one that ends in a char array the record stops inside of, else
	 * hex).  A record shorter than the type is decoded when it stops
	 * inside the type's trailing char array. */
	const char *record_type;
	/* Where record types are looked up (a libbpf struct btf *, borrowed:
	 * it must outlive the outputs), instead of the object's BTF — for a
	 * struct the object's BTF lacks.  NULL: the object's. */
	const struct btf *record_btf;
};
#define bpfbox_outputs_opts__last_field record_btf

/* Collect the ring buffers and perf event arrays of a loaded object
 * (borrowed: it must outlive the outputs).  0 and *out, -EINVAL, -ENOMEM,
 * -ENOENT (record_type names no struct in the object's BTF). */
BPFBOX_API int bpfbox_outputs__new(struct bpfbox_outputs **out, struct bpfbox_object *obj,
				   const struct bpfbox_outputs_opts *opts);
BPFBOX_API void bpfbox_outputs__free(struct bpfbox_outputs *o);
/* Consume and print every pending record.  Lines:
 *   MAP: {field=value, ...}          (decoded)
 *   MAP: 01 02 ...                   (hex)
 *   MAP[cpu N]: ... / MAP: lost N samples   (perf event arrays)
 *   {"map":"MAP","type":"event","data":{...}} / {"map":"MAP","hex":"0102"}   (json)
 * Returns the number of records printed, or a negative errno. */
BPFBOX_API int bpfbox_outputs__drain(struct bpfbox_outputs *o);
/* Whether the object has any ring buffer or perf event array. */
BPFBOX_API bool bpfbox_outputs__any(const struct bpfbox_outputs *o);

/* Print `size` bytes at `data` as BTF type `type_id` of `btf` (a struct
 * btf * from libbpf, e.g. bpfbox_object__btf): {a=1, s="x", arr=[1, 2]}
 * or, json, {"a":1,"s":"x","arr":[1,2]}.  Char arrays print as strings
 * (up to the first NUL), pointers in hex, enums by name when known.
 * Returns 0, -EINVAL (type unknown or larger than size). */
BPFBOX_API int bpfbox_btf__print_data(FILE *f, const void *btf, uint32_t type_id,
				      const void *data, size_t size, bool json);

/* ---- packets -------------------------------------------------------------------- */

/* One packet from a source.  `data` is borrowed until the next call. */
struct bpfbox_pktrec {
	const uint8_t *data;
	uint32_t caplen;     /* bytes in data */
	uint32_t len;        /* bytes on the wire */
	int64_t ts_sec;
	uint32_t ts_frac;    /* microseconds, or nanoseconds for a nanosecond source */
	uint32_t ifindex;    /* live: the interface; files: 1 */
	uint16_t protocol;   /* live: sll_protocol (network order); files: the EtherType */
	uint8_t pkttype;     /* PACKET_HOST, PACKET_BROADCAST, ... (files: PACKET_HOST) */
};

struct bpfbox_pktsrc;

struct bpfbox_pktsrc_opts {
	size_t sz;
	struct bpfbox_log *log;  /* why the source could not be opened */
	int timeout_ms;          /* live: next() returns 0 after this long idle (0: 100) */
	bool promisc;            /* live: promiscuous mode */
};
#define bpfbox_pktsrc_opts__last_field promisc

/* Open a pcap or pcapng file (libpcap).  0 and *out, -ENOENT/-EACCES,
 * -EINVAL (not a capture file). */
BPFBOX_API int bpfbox_pktsrc__open_file(struct bpfbox_pktsrc **out, const char *path,
					const struct bpfbox_pktsrc_opts *opts);
/* Capture live on interface `ifname` (AF_PACKET, all protocols, inbound
 * packets only: what XDP would see).  Needs CAP_NET_RAW.  0 and *out,
 * -ENODEV, -EPERM, ... */
BPFBOX_API int bpfbox_pktsrc__open_iface(struct bpfbox_pktsrc **out, const char *ifname,
					 const struct bpfbox_pktsrc_opts *opts);
BPFBOX_API void bpfbox_pktsrc__close(struct bpfbox_pktsrc *src);
/* The next packet: 1 and *rec; 0 at the end of a file, or after the idle
 * timeout of a live source; -EINTR (a signal interrupted the wait), or a
 * negative errno. */
BPFBOX_API int bpfbox_pktsrc__next(struct bpfbox_pktsrc *src, struct bpfbox_pktrec *rec);
/* DLT_* link type (1: Ethernet), snapshot length, nanosecond timestamps. */
BPFBOX_API int bpfbox_pktsrc__linktype(const struct bpfbox_pktsrc *src);
BPFBOX_API uint32_t bpfbox_pktsrc__snaplen(const struct bpfbox_pktsrc *src);
BPFBOX_API bool bpfbox_pktsrc__nsec(const struct bpfbox_pktsrc *src);
/* Live sources: the interface index; files: 1. */
BPFBOX_API uint32_t bpfbox_pktsrc__ifindex(const struct bpfbox_pktsrc *src);
/* Transmit a frame on interface `ifindex` (0: the source's) — XDP_TX and
 * XDP_REDIRECT in live mode.  0, -EOPNOTSUPP (a file source), or the
 * errno of sendto. */
BPFBOX_API int bpfbox_pktsrc__send(struct bpfbox_pktsrc *src, uint32_t ifindex,
				   const void *data, uint32_t len);

/* A pcap file being written (libpcap's format; same byte order, link
 * type, snapshot length and timestamp precision as given, so a file
 * copied packet by packet comes out byte-identical). */
struct bpfbox_pktsink;
BPFBOX_API int bpfbox_pktsink__open(struct bpfbox_pktsink **out, const char *path, int linktype,
				    uint32_t snaplen, bool nsec);
/* Append a packet: `data` (caplen bytes), wire length len, timestamp of rec. */
BPFBOX_API int bpfbox_pktsink__write(struct bpfbox_pktsink *s, const struct bpfbox_pktrec *rec,
				     const void *data, uint32_t caplen, uint32_t len);
/* Flush and close (NULL is fine).  0 or the errno of the last write. */
BPFBOX_API int bpfbox_pktsink__close(struct bpfbox_pktsink *s);

/* ---- packet contexts ------------------------------------------------------------ */

enum bpfbox_pkt_kind {
	BPFBOX_PKT_XDP = 0, /* struct xdp_md */
	BPFBOX_PKT_SKB = 1, /* struct __sk_buff (tc, socket filters) */
};

/* XDP actions and tc verdicts, the kernel's numbers. */
enum { BPFBOX_XDP_ABORTED = 0, BPFBOX_XDP_DROP, BPFBOX_XDP_PASS, BPFBOX_XDP_TX,
       BPFBOX_XDP_REDIRECT };
enum { BPFBOX_TC_ACT_UNSPEC = -1, BPFBOX_TC_ACT_OK = 0, BPFBOX_TC_ACT_RECLASSIFY,
       BPFBOX_TC_ACT_SHOT, BPFBOX_TC_ACT_PIPE, BPFBOX_TC_ACT_STOLEN, BPFBOX_TC_ACT_QUEUED,
       BPFBOX_TC_ACT_REPEAT, BPFBOX_TC_ACT_REDIRECT, BPFBOX_TC_ACT_TRAP };

/* The context of a packet program: a buffer mapped below 4 GiB holding the
 * context struct, headroom (256 bytes, for xdp_adjust_head/meta), the
 * packet and tailroom (for xdp_adjust_tail, skb_change_tail), so the
 * 32-bit data/data_end/data_meta fields hold real addresses and
 * `(void *)(long)ctx->data` works unmodified.  The helpers that move the
 * packet rewrite those fields through bpfbox_pkt.sync. */
struct bpfbox_pktctx;

struct bpfbox_pktctx_opts {
	size_t sz;
	uint32_t max_len;    /* largest packet (0: 65535) */
	uint32_t tailroom;   /* room to grow at the end (0: 512) */
};
#define bpfbox_pktctx_opts__last_field tailroom

BPFBOX_API int bpfbox_pktctx__new(struct bpfbox_pktctx **out, int kind,
				  const struct bpfbox_pktctx_opts *opts);
BPFBOX_API void bpfbox_pktctx__free(struct bpfbox_pktctx *c);
/* Put a packet in (copied; caplen bytes of rec, truncated to max_len) and
 * reset the context: xdp_md {data, data_end, data_meta = data,
 * ingress_ifindex = rec->ifindex, rx_queue_index 0}; __sk_buff {len,
 * pkt_type, protocol, ifindex, ingress_ifindex, data, data_end, data_meta,
 * wire_len, everything else 0}.  0 or -E2BIG. */
BPFBOX_API int bpfbox_pktctx__set(struct bpfbox_pktctx *c, const struct bpfbox_pktrec *rec);
/* Run `prog` on the packet.  `ro` (may be NULL) gives the engine, budget
 * and log; its mem/pkt/hook are set here (hook: `task` when given — a
 * filled bpfbox_hook_env whose pkt is replaced — else this process).
 * Returns bpfbox_prog__run's result. */
BPFBOX_API int bpfbox_pktctx__run(struct bpfbox_pktctx *c, struct bpfbox_prog *prog,
				  const struct bpfbox_run_opts *ro, struct bpfbox_hook_env *task,
				  uint64_t *r0);
/* The packet as the program left it (borrowed until the next set/run). */
BPFBOX_API const uint8_t *bpfbox_pktctx__data(const struct bpfbox_pktctx *c, uint32_t *len);
/* The context struct (xdp_md / __sk_buff) and the packet state (redirect
 * target, ...).  Borrowed. */
BPFBOX_API void *bpfbox_pktctx__ctx(const struct bpfbox_pktctx *c, size_t *len);
BPFBOX_API const struct bpfbox_pkt *bpfbox_pktctx__pkt(const struct bpfbox_pktctx *c);
/* Context size for the verifier (sizeof xdp_md = 24, __sk_buff = 192). */
BPFBOX_API uint32_t bpfbox_pktctx__ctx_size(int kind);

#ifdef __cplusplus
}
#endif
#endif
