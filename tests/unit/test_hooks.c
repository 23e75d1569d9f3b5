/* bpfbox — tests/unit/test_hooks.c: the hooks layer's internals.
 *
 *  - tracepoint formats: the generated x86-64 table against the kernel's
 *    format files (every syscall event, field by field) when tracefs is
 *    mounted (else SKIP), plus fixed facts that hold without it;
 *  - the record builder's bytes; section-name parsing;
 *  - the tracer on real commands: exit status, the record a program reads
 *    (common_pid, __syscall_nr through trace_printk), a faulting program
 *    detached while the command goes on;
 *  - packet contexts (xdp_md / __sk_buff fields, helper-driven sync), the
 *    pcap sink and file source round trip, the BTF record printer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/btf.h>
#include "bpfbox/helpers.h"
#include "bpfbox/hooks.h"
#include "bpfbox/vm.h"
#include "hooks/hooks_int.h"
#include "check.h"

/* ---- tracepoint formats ---------------------------------------------------------- */

static void test_fixed_formats(void)
{
	struct bpfbox_tp_format f;
	CHECK(bpfbox_tp_format__lookup("syscalls/sys_enter_openat", &f) == 0, "lookup sys_enter_openat");
	CHECK(f.size == 48 && f.nargs == 4 && f.syscall_nr == 257 && !f.exit,
	      "sys_enter_openat: 48 bytes, 4 args, nr 257 (size %u nargs %u nr %d)", f.size, f.nargs,
	      f.syscall_nr);
	CHECK(f.nfields == 9 && !strcmp(f.fields[6].name, "filename") && f.fields[6].offset == 24 &&
	      !strcmp(f.fields[6].type, "const char *"), "openat field 'filename' at 24");
	CHECK(!strcmp(f.fields[3].name, "common_pid") && f.fields[3].offset == 4 &&
	      f.fields[3].is_signed, "common_pid at 4, signed");
	CHECK(!strcmp(f.name, "sys_enter_openat") && !strcmp(f.category, "syscalls"), "names");
	CHECK(bpfbox_tp_format__lookup("tp/syscalls/sys_exit_read", &f) == 0 && f.exit &&
	      f.size == 24 && f.syscall_nr == 0 && !strcmp(f.fields[5].name, "ret") &&
	      f.fields[5].offset == 16 && f.fields[5].is_signed, "sys_exit_read: long ret at 16");
	CHECK(bpfbox_tp_format__lookup("tracepoint/syscalls/sys_enter_getpid", &f) == 0 &&
	      f.size == 16 && f.nargs == 0, "sys_enter_getpid: 16 bytes, no args");
	CHECK(bpfbox_tp_format__lookup("raw_syscalls/sys_enter", &f) == 0 && f.size == 64 &&
	      f.syscall_nr == -1 && f.fields[4].size == 8 && f.fields[5].size == 48,
	      "raw_syscalls/sys_enter: id, args[6]");
	CHECK(bpfbox_tp_format__lookup("raw_syscalls/sys_exit", &f) == 0 && f.size == 24 && f.exit,
	      "raw_syscalls/sys_exit");
	CHECK(bpfbox_tp_format__lookup("syscalls/sys_enter_nosuch", &f) == -ENOENT, "unknown: -ENOENT");
	CHECK(bpfbox_tp_format__lookup("sched/sched_switch", &f) == -ENOENT, "other category: -ENOENT");
	CHECK(bpfbox_tp_format__lookup(NULL, &f) == -EINVAL, "NULL: -EINVAL");
	CHECK(bpfbox_syscall__nr("newstat") == 4 && !strcmp(bpfbox_syscall__name(4), "newstat"),
	      "event names: newstat is __NR_stat (4)");
	CHECK(bpfbox_syscall__nr("read") == 0 && bpfbox_syscall__nr("write") == 1 &&
	      bpfbox_syscall__nr("execve") == 59, "read 0, write 1, execve 59");
	CHECK(bpfbox_syscall__name(100000) == NULL && bpfbox_syscall__nr("bogus") == -ENOENT,
	      "unknown numbers and names");
}

/* Parse one tracefs format file: fields in order. */
struct ffield {
	char type[200], name[200];
	unsigned off, size, sgn;
};

static int parse_format(const char *path, struct ffield *out, int max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f) && n < max) {
		char *p = strstr(line, "field:");
		if (!p)
			continue;
		char decl[200];
		unsigned off, size, sgn;
		if (sscanf(p, "field:%199[^;]; offset:%u; size:%u; signed:%u;", decl, &off, &size,
			   &sgn) != 4)
			continue;
		/* split "const char * filename" / "unsigned long args[6]" */
		char *br = strchr(decl, '[');
		if (br)
			*br = 0;
		char *sp = decl + strlen(decl);
		while (sp > decl && sp[-1] != ' ' && sp[-1] != '*')
			sp--;
		snprintf(out[n].name, sizeof(out[n].name), "%s", sp);
		*sp = 0;
		size_t tl = strlen(decl);
		while (tl && decl[tl - 1] == ' ')
			decl[--tl] = 0;
		snprintf(out[n].type, sizeof(out[n].type), "%s", decl);
		out[n].off = off;
		out[n].size = size;
		out[n].sgn = sgn;
		n++;
	}
	fclose(f);
	return n;
}

static const char *tracefs(void)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	for (size_t i = 0; i < 2; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/events/syscalls/sys_enter_read/format", roots[i]);
		if (access(p, R_OK) == 0)
			return roots[i];
	}
	return NULL;
}

static int compare_event(const char *root, const char *cat, const char *name)
{
	char path[512], ev[256];
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", root, cat, name);
	snprintf(ev, sizeof(ev), "%s/%s", cat, name);
	struct ffield ff[16];
	int n = parse_format(path, ff, 16);
	struct bpfbox_tp_format f;
	int e = bpfbox_tp_format__lookup(ev, &f);
	if (e) {
		CHECK_QUIET(0, "%s: in tracefs but not in the generated table", ev);
		return 1;
	}
	bool same = n == (int)f.nfields;
	unsigned end = 0;
	for (int i = 0; same && i < n; i++) {
		const struct bpfbox_tp_field *x = &f.fields[i];
		same = !strcmp(x->name, ff[i].name) && !strcmp(x->type, ff[i].type) &&
		       x->offset == ff[i].off && x->size == ff[i].size &&
		       x->is_signed == (bool)ff[i].sgn;
		if (!same)
			printf("# %s field %d: table %s %s @%u/%u/%d, tracefs %s %s @%u/%u/%u\n", ev, i,
			       x->type, x->name, x->offset, x->size, x->is_signed, ff[i].type,
			       ff[i].name, ff[i].off, ff[i].size, ff[i].sgn);
		if (ff[i].off + ff[i].size > end)
			end = ff[i].off + ff[i].size;
	}
	/* the record's size: the last field's end, rounded like the C struct */
	unsigned want = (end + 7) & ~7u;
	CHECK_QUIET(same && n > 0, "%s: fields as in tracefs (%d vs %u)", ev, n, f.nfields);
	CHECK_QUIET(f.size == want, "%s: size %u, tracefs layout %u", ev, f.size, want);
	return 0;
}

static void test_tracefs_formats(void)
{
	const char *root = tracefs();
	if (!root && getuid() == 0) {
		/* tracefs may just not be mounted */
		mkdir("/sys/kernel/tracing", 0755);
		if (system("mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null") == 0)
			root = tracefs();
	}
	if (!root) {
		SKIP("tracepoint layouts vs tracefs: tracefs not mounted / no syscall events "
		     "(mount -t tracefs nodev /sys/kernel/tracing)");
		return;
	}
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/events/syscalls", root);
	DIR *d = opendir(dir);
	int events = 0, before = check_failed;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "sys_e", 5))
			continue;
		compare_event(root, "syscalls", de->d_name);
		events++;
	}
	if (d)
		closedir(d);
	compare_event(root, "raw_syscalls", "sys_enter");
	compare_event(root, "raw_syscalls", "sys_exit");
	CHECK(events > 100 && check_failed == before,
	      "%d syscall event formats of this kernel match the generated table byte for byte",
	      events);
	/* and the other way: every table row has its events here */
	int missing = 0;
	for (int nr = 0; nr < HK_NR_MAX; nr++) {
		const char *n = bpfbox_syscall__name(nr);
		if (!n)
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/events/syscalls/sys_enter_%s/format", root, n);
		if (access(p, R_OK))
			missing++;
	}
	CHECK(missing == 0, "every table row exists in tracefs (%d missing)", missing);
}

static void test_record_builder(void)
{
	uint8_t b[HK_TP_MAX_SIZE];
	uint64_t args[6] = { 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666 };
	uint32_t n = hk_tp_build(b, HK_SYS_ENTER, 0x1234, 4242, 257, args, 0);
	uint16_t type;
	int32_t pid, nr;
	uint64_t a2, a3;
	memcpy(&type, b, 2);
	memcpy(&pid, b + 4, 4);
	memcpy(&nr, b + 8, 4);
	memcpy(&a2, b + 32, 8);
	memcpy(&a3, b + 40, 8);
	CHECK(n == 48 && type == 0x1234 && pid == 4242 && nr == 257 && a2 == 0x3333 &&
	      a3 == 0x4444 && b[2] == 0 && b[3] == 0 && b[12] == 0,
	      "sys_enter_openat record: type, pid, nr, args at 16 + 8i, padding zero");
	n = hk_tp_build(b, HK_SYS_EXIT, 7, 1, 0, args, -14);
	int64_t ret;
	memcpy(&ret, b + 16, 8);
	CHECK(n == 24 && ret == -14, "sys_exit record: ret at 16");
	n = hk_tp_build(b, HK_RAW_ENTER, 7, 1, 59, args, 0);
	int64_t id;
	uint64_t a5;
	memcpy(&id, b + 8, 8);
	memcpy(&a5, b + 56, 8);
	CHECK(n == 64 && id == 59 && a5 == 0x6666, "raw sys_enter: long id at 8, args[5] at 56");
	n = hk_tp_build(b, HK_SYS_ENTER, 0, 1, 39 /* getpid */, args, 0);
	CHECK(n == 16, "getpid record: 16 bytes");
}

static void test_sections(void)
{
	int k, nr;
	CHECK(hk_parse_section("tracepoint/syscalls/sys_enter_read", &k, &nr, NULL, 0) == 0 &&
	      k == HK_SYS_ENTER && nr == 0, "tracepoint/syscalls/sys_enter_read");
	CHECK(hk_parse_section("tp/syscalls/sys_exit_openat", &k, &nr, NULL, 0) == 0 &&
	      k == HK_SYS_EXIT && nr == 257, "tp/syscalls/sys_exit_openat");
	CHECK(hk_parse_section("raw_tp/sys_enter", &k, &nr, NULL, 0) == 0 && k == HK_RAWTP_ENTER,
	      "raw_tp/sys_enter");
	CHECK(hk_parse_section("raw_tracepoint/sys_exit", &k, &nr, NULL, 0) == 0 &&
	      k == HK_RAWTP_EXIT, "raw_tracepoint/sys_exit");
	CHECK(hk_parse_section("tp_btf/sys_enter", &k, &nr, NULL, 0) == 0 && k == HK_RAWTP_ENTER,
	      "tp_btf/sys_enter");
	CHECK(hk_parse_section("tracepoint/raw_syscalls/sys_exit", &k, &nr, NULL, 0) == 0 &&
	      k == HK_RAW_EXIT, "tracepoint/raw_syscalls/sys_exit");
	char why[128];
	CHECK(hk_parse_section("kprobe/do_sys_open", &k, &nr, why, sizeof(why)) == -EOPNOTSUPP &&
	      strstr(why, "not a syscall tracepoint"), "kprobe: -EOPNOTSUPP with a reason");
	CHECK(hk_parse_section("tracepoint/sched/sched_switch", &k, &nr, NULL, 0) == -EOPNOTSUPP,
	      "other tracepoints: -EOPNOTSUPP");
	CHECK(hk_parse_section("tp/syscalls/sys_enter_nosuch", &k, &nr, NULL, 0) == -ENOENT,
	      "unknown syscall: -ENOENT");
	CHECK(bpfbox_tracer__ctx_size("tp/syscalls/sys_enter_openat") == 48 &&
	      bpfbox_tracer__ctx_size("raw_tp/sys_exit") == 16 &&
	      bpfbox_tracer__ctx_size("tp/raw_syscalls/sys_enter") == 64,
	      "context sizes for the verifier");
}

/* ---- the tracer ----------------------------------------------------------------------- */

#define INSN(c, d, s, o, i) ((struct bpfbox_insn){ .code = (c), .dst = (d), .src = (s), .off = (o), .imm = (i) })

struct fault_log {
	int n;
	char msg[256];
};

static void on_fault(void *ud, const char *prog, const char *section, int err, const char *msg)
{
	struct fault_log *F = ud;
	F->n++;
	snprintf(F->msg, sizeof(F->msg), "%s %s %d %s", prog, section, err, msg);
}

static void test_tracer(void)
{
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
	CHECK(bpfbox_env__new(&env, NULL) == 0, "env");
	BPFBOX_OPTS(bpfbox_vm_opts, vo);
	bpfbox_env__vm_opts(env, &vo);
	CHECK(bpfbox_vm__new(&vm, &vo) == 0 && bpfbox_env__attach(env, vm) == 0, "vm");
	/* sys_enter_write: trace_printk("%d %d", common_pid, __syscall_nr) */
	struct bpfbox_insn pr[] = {
		INSN(0x61, 3, 1, 4, 0),            /* r3 = *(u32 *)(r1 + 4)  common_pid */
		INSN(0x61, 4, 1, 8, 0),            /* r4 = *(u32 *)(r1 + 8)  __syscall_nr */
		INSN(0x62, 10, 0, -8, 0x25206425), /* "%d %" */
		INSN(0x62, 10, 0, -4, 0x64),       /* "d\0" */
		INSN(0xbf, 1, 10, 0, 0),           /* r1 = r10 */
		INSN(0x07, 1, 0, 0, -8),           /* r1 += -8 */
		INSN(0xb7, 2, 0, 0, 6),            /* r2 = 6 */
		INSN(0x85, 0, 0, 0, 6),            /* call trace_printk */
		INSN(0xb7, 0, 0, 0, 0),
		INSN(0x95, 0, 0, 0, 0),
	};
	struct bpfbox_insn bad[] = {
		INSN(0xb7, 1, 0, 0, 0),  /* r1 = 0 */
		INSN(0x79, 0, 1, 0, 0),  /* r0 = *(u64 *)(r1 + 0): a fault in checked mode */
		INSN(0x95, 0, 0, 0, 0),
	};
	struct bpfbox_insn nop[] = { INSN(0xb7, 0, 0, 0, 0), INSN(0x95, 0, 0, 0, 0) };
	struct bpfbox_prog *p1 = NULL, *p2 = NULL, *p3 = NULL;
	BPFBOX_OPTS(bpfbox_prog_opts, po, .name = "pr");
	CHECK(bpfbox_prog__load(vm, pr, 10, &po, &p1) == 0, "load printk prog");
	po.name = "bad";
	CHECK(bpfbox_prog__load(vm, bad, 3, &po, &p2) == 0, "load faulting prog");
	po.name = "nop";
	CHECK(bpfbox_prog__load(vm, nop, 2, &po, &p3) == 0, "load nop prog");

	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct fault_log F = { 0 };
	BPFBOX_OPTS(bpfbox_tracer_opts, to, .trace_out = mem, .on_fault = on_fault, .ud = &F);
	struct bpfbox_tracer *T;
	CHECK(bpfbox_tracer__new(&T, &to) == 0, "tracer");
	CHECK(bpfbox_tracer__attach(T, p1, "tracepoint/syscalls/sys_enter_write") == 0, "attach write");
	CHECK(bpfbox_tracer__attach(T, p2, "tp/syscalls/sys_enter_getppid") == 0, "attach getppid");
	CHECK(bpfbox_tracer__attach(T, p3, "kprobe/x") == -EOPNOTSUPP, "kprobe refused");
	char *argv[] = { "/bin/sh", "-c", "echo hi >/dev/null; echo $PPID >/dev/null; "
			 "/bin/sh -c 'echo child >/dev/null'; exit 3", NULL };
	CHECK(bpfbox_tracer__spawn(T, argv) == 0, "spawn sh");
	int pid = bpfbox_tracer__pid(T);
	int status = -1;
	CHECK(bpfbox_tracer__run(T, &status) == 0, "run");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3, "exit status 3 (status 0x%x)", status);
	fflush(mem);
	char want[64];
	snprintf(want, sizeof(want), "bpf_trace_printk: %d 1\n", pid);
	CHECK(buf && strstr(buf, want), "the program read common_pid and __syscall_nr from the "
	      "record: '%.*s'", (int)strlen(want) - 1, want);
	CHECK(buf && strstr(buf, " sh-"), "trace line names the task's comm");
	struct bpfbox_tracer_stats st = { .sz = sizeof(st) };
	bpfbox_tracer__stats(T, &st);
	CHECK(st.tasks >= 2 && st.runs >= 2, "the child shell was traced too (%llu tasks, %llu runs)",
	      (unsigned long long)st.tasks, (unsigned long long)st.runs);
	bpfbox_tracer__free(T);
	fclose(mem);
	free(buf);
	/* the faulting program: getppid is not traced by dash's $PPID (it reads
	 * it at startup), so use a command that certainly calls getppid */
	F.n = 0;
	BPFBOX_OPTS(bpfbox_tracer_opts, to2, .on_fault = on_fault, .ud = &F);
	CHECK(bpfbox_tracer__new(&T, &to2) == 0, "tracer 2");
	CHECK(bpfbox_tracer__attach(T, p2, "raw_tp/sys_enter") == 0, "attach faulting raw_tp");
	CHECK(bpfbox_tracer__attach(T, p3, "raw_tp/sys_exit") == 0, "attach nop raw_tp exit");
	char *argv2[] = { "/bin/sh", "-c", "exit 5", NULL };
	CHECK(bpfbox_tracer__spawn(T, argv2) == 0, "spawn");
	CHECK(bpfbox_tracer__run(T, &status) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 5,
	      "the command ran to its end with a faulting program attached");
	CHECK(F.n == 1 && strstr(F.msg, "bad raw_tp/sys_enter") && strstr(F.msg, "insn 1"),
	      "the fault was reported once, naming the instruction: %s", F.msg);
	bpfbox_tracer__stats(T, &st);
	CHECK(st.faults == 1 && st.runs > 2, "the program was detached; the others ran on");
	bpfbox_tracer__free(T);
	/* a command that cannot run */
	CHECK(bpfbox_tracer__new(&T, NULL) == 0, "tracer 3");
	bpfbox_tracer__attach(T, p3, "tp/syscalls/sys_enter_write");
	char *argv3[] = { "/nonexistent/cmd", NULL };
	CHECK(bpfbox_tracer__spawn(T, argv3) == 0 && bpfbox_tracer__run(T, &status) == 0,
	      "spawn of a missing command");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
	      bpfbox_tracer__exec_errno(T) == ENOENT, "exit 127 and ENOENT");
	bpfbox_tracer__free(T);
	bpfbox_prog__free(p1);
	bpfbox_prog__free(p2);
	bpfbox_prog__free(p3);
	bpfbox_vm__free(vm);
	bpfbox_env__free(env);
}

/* ---- packets ---------------------------------------------------------------------------- */

static void test_pktctx(void)
{
	struct bpfbox_pktctx *c;
	CHECK(bpfbox_pktctx__new(&c, BPFBOX_PKT_XDP, NULL) == 0, "xdp context");
	uint8_t pkt[60];
	for (int i = 0; i < 60; i++)
		pkt[i] = (uint8_t)i;
	pkt[12] = 0x08;
	pkt[13] = 0x00;
	struct bpfbox_pktrec rec = { .data = pkt, .caplen = 60, .len = 60, .ifindex = 7 };
	CHECK(bpfbox_pktctx__set(c, &rec) == 0, "set");
	size_t clen;
	uint32_t *x = bpfbox_pktctx__ctx(c, &clen);
	CHECK(clen == 24 && x[1] - x[0] == 60 && x[2] == x[0] && x[3] == 7,
	      "xdp_md: data_end - data = 60, data_meta = data, ingress_ifindex 7");
	CHECK((uint64_t)x[0] == (uint64_t)(uintptr_t)bpfbox_pktctx__data(c, NULL),
	      "xdp_md.data is the packet's real address (below 4 GiB)");
	/* a program: r0 = *(u8 *)(data + 13) via the context */
	struct bpfbox_vm *vm;
	CHECK(bpfbox_vm__new(&vm, NULL) == 0, "vm");
	struct bpfbox_insn p[] = {
		INSN(0x61, 2, 1, 0, 0),  /* r2 = ctx->data */
		INSN(0x71, 0, 2, 12, 0), /* r0 = *(u8 *)(r2 + 12) */
		INSN(0x72, 2, 0, 0, 0xab), /* *(u8 *)(r2 + 0) = 0xab */
		INSN(0x95, 0, 0, 0, 0),
	};
	struct bpfbox_prog *prog;
	CHECK(bpfbox_prog__load(vm, p, 4, NULL, &prog) == 0, "load");
	uint64_t r0 = 0;
	CHECK(bpfbox_pktctx__run(c, prog, NULL, NULL, &r0) == 0 && r0 == 8,
	      "a checked-mode program reads the packet through ctx->data");
	uint32_t dlen;
	const uint8_t *d = bpfbox_pktctx__data(c, &dlen);
	CHECK(dlen == 60 && d[0] == 0xab && d[1] == 1, "and its write is in the packet");
	/* the helpers move data through the pkt and sync the context */
	const struct bpfbox_pkt *pk = bpfbox_pktctx__pkt(c);
	struct bpfbox_pkt *mp = (struct bpfbox_pkt *)pk;
	mp->data -= 4;
	mp->meta = mp->data;
	mp->sync(mp->sync_ud, mp);
	CHECK(x[1] - x[0] == 64, "sync rewrites data/data_end after a head move");
	bpfbox_prog__free(prog);
	bpfbox_pktctx__free(c);
	CHECK(bpfbox_pktctx__new(&c, BPFBOX_PKT_SKB, NULL) == 0, "skb context");
	rec.pkttype = 3;
	CHECK(bpfbox_pktctx__set(c, &rec) == 0, "set skb");
	uint32_t *s = bpfbox_pktctx__ctx(c, &clen);
	CHECK(clen == 192 && s[0] == 60 && s[1] == 3 && s[4] == 0x0008 && s[10] == 7 && s[9] == 7 &&
	      s[20] - s[19] == 60 && s[40] == 60,
	      "__sk_buff: len, pkt_type, protocol (network order), ifindex, data, wire_len");
	struct bpfbox_pktrec big = { .data = pkt, .caplen = 70000, .len = 70000 };
	CHECK(bpfbox_pktctx__set(c, &big) == -E2BIG, "a packet above max_len: -E2BIG");
	bpfbox_pktctx__free(c);
	bpfbox_vm__free(vm);
}

static void test_pcap_roundtrip(void)
{
	char path[] = "/tmp/bpfbox-test-hooks-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct bpfbox_pktsink *s;
	CHECK(bpfbox_pktsink__open(&s, path, 1, 128, false) == 0, "sink open");
	uint8_t a[100], b[40];
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	struct bpfbox_pktrec r1 = { .ts_sec = 1700000000, .ts_frac = 123456 };
	struct bpfbox_pktrec r2 = { .ts_sec = 1700000001, .ts_frac = 7 };
	CHECK(bpfbox_pktsink__write(s, &r1, a, 100, 1500) == 0, "write 1");
	CHECK(bpfbox_pktsink__write(s, &r2, b, 40, 40) == 0, "write 2");
	CHECK(bpfbox_pktsink__close(s) == 0, "close");
	struct bpfbox_pktsrc *src;
	CHECK(bpfbox_pktsrc__open_file(&src, path, NULL) == 0, "source open");
	CHECK(bpfbox_pktsrc__linktype(src) == 1 && bpfbox_pktsrc__snaplen(src) == 128 &&
	      !bpfbox_pktsrc__nsec(src), "link type, snaplen, precision");
	struct bpfbox_pktrec r;
	CHECK(bpfbox_pktsrc__next(src, &r) == 1 && r.caplen == 100 && r.len == 1500 &&
	      r.ts_sec == 1700000000 && r.ts_frac == 123456 && r.data[99] == 0x11,
	      "packet 1 back: caplen, wire length, timestamp, bytes");
	CHECK(bpfbox_pktsrc__next(src, &r) == 1 && r.caplen == 40 && r.data[0] == 0x22,
	      "packet 2 back");
	CHECK(bpfbox_pktsrc__next(src, &r) == 0, "end of file");
	CHECK(bpfbox_pktsrc__send(src, 0, a, 10) == -EOPNOTSUPP, "a file cannot send");
	bpfbox_pktsrc__close(src);
	FILE *f = fopen(path, "w");
	fputs("not a capture", f);
	fclose(f);
	char lb[256] = "";
	struct bpfbox_log log = { .buf = lb, .size = sizeof(lb) };
	BPFBOX_OPTS(bpfbox_pktsrc_opts, so, .log = &log);
	CHECK(bpfbox_pktsrc__open_file(&src, path, &so) == -EINVAL && lb[0],
	      "a non-capture file: -EINVAL with a reason (%s)", lb);
	unlink(path);
	CHECK(bpfbox_pktsrc__open_file(&src, "/nonexistent.pcap", NULL) == -ENOENT, "missing: -ENOENT");
	CHECK(bpfbox_pktsrc__open_iface(&src, "nosuchif0", NULL) == -ENODEV, "no interface: -ENODEV");
}

static void test_btf_print(void)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
	int arr = btf__add_array(btf, u32, chr, 8);
	int nums = btf__add_array(btf, u32, s32, 2);
	int st = btf__add_struct(btf, "ev", 24);
	btf__add_field(btf, "pid", u32, 0, 0);
	btf__add_field(btf, "ret", s32, 32, 0);
	btf__add_field(btf, "name", arr, 64, 0);
	btf__add_field(btf, "v", nums, 128, 0);
	struct {
		uint32_t pid;
		int32_t ret;
		char name[8];
		int32_t v[2];
	} ev = { 42, -2, "a\"b", { 1, -1 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(bpfbox_btf__print_data(f, btf, (uint32_t)st, &ev, sizeof(ev), false) == 0, "print text");
	fputc('|', f);
	CHECK(bpfbox_btf__print_data(f, btf, (uint32_t)st, &ev, sizeof(ev), true) == 0, "print json");
	CHECK(bpfbox_btf__print_data(f, btf, (uint32_t)st, &ev, 8, false) == -EINVAL,
	      "a record shorter than the type: -EINVAL");
	fclose(f);
	CHECK(buf && !strcmp(buf, "{pid=42, ret=-2, name=\"a\\\"b\", v=[1, -1]}|"
				  "{\"pid\":42,\"ret\":-2,\"name\":\"a\\\"b\",\"v\":[1,-1]}"),
	      "decoded: %s", buf ? buf : "");
	free(buf);
	btf__free(btf);
}

/* The task view: pointers inside it lead to the other views.  Its buffers
 * are small heap blocks here (a tiny task_struct), so they lie within the
 * "just past a view" span of each other; a read through real_parent or
 * cred must still land in the view it points to. */
static void test_taskview(void)
{
	struct btf *btf = btf__new_empty();
	int s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
	int comm = btf__add_array(btf, u32, chr, 16);
	int cred = btf__add_struct(btf, "cred", 8);
	btf__add_field(btf, "uid", u32, 0, 0);
	btf__add_field(btf, "gid", u32, 32, 0);
	int credp = btf__add_ptr(btf, cred);
	int task = btf__add_struct(btf, "task_struct", 48);
	int taskp = task + 1; /* added below: fields must follow their struct */
	btf__add_field(btf, "pid", s32, 0, 0);
	btf__add_field(btf, "tgid", s32, 32, 0);
	btf__add_field(btf, "real_parent", taskp, 64, 0);
	btf__add_field(btf, "cred", credp, 128, 0);
	btf__add_field(btf, "comm", comm, 192, 0);
	btf__add_field(btf, "group_leader", taskp, 320, 0);
	CHECK(btf__add_ptr(btf, task) == taskp, "hand-made BTF: task_struct *");
	struct hk_taskview *v = NULL;
	CHECK(hk_taskview_new(btf, &v) == 0 && v, "taskview from a hand-made BTF");
	if (!v) {
		btf__free(btf);
		return;
	}
	struct hk_task_facts f = { (uint32_t)getpid(), (uint32_t)getpid(), (uint32_t)getppid(), 7, 8,
				   "me" };
	hk_taskview_fill(v, &f);
	uint64_t t = hk_taskview_addr(v), parent = 0, cp = 0, leader = 0;
	int32_t pid = 0, ptgid = 0;
	uint32_t gid = 0;
	char pcomm[16] = "";
	CHECK(hk_taskview_read(v, t, &pid, 4) == 1 && pid == getpid(), "task->pid %d", pid);
	CHECK(hk_taskview_read(v, t + 8, &parent, 8) == 1 && parent, "task->real_parent");
	CHECK(hk_taskview_read(v, parent + 4, &ptgid, 4) == 1 && ptgid == getppid(),
	      "task->real_parent->tgid %d, expected %d", ptgid, (int)getppid());
	CHECK(hk_taskview_read(v, parent + 24, pcomm, 16) == 1 && pcomm[0],
	      "task->real_parent->comm '%s'", pcomm);
	CHECK(hk_taskview_read(v, t + 16, &cp, 8) == 1 && cp, "task->cred");
	CHECK(hk_taskview_read(v, cp + 4, &gid, 4) == 1 && gid == 8, "task->cred->gid %u", gid);
	CHECK(hk_taskview_read(v, t + 40, &leader, 8) == 1 && leader == t,
	      "task->group_leader is the task");
	CHECK(hk_taskview_read(v, t + 48, &pid, 4) == -EFAULT, "a field past the layout: -EFAULT");
	CHECK(hk_taskview_read(v, cp + 4, &cp, 8) == -EFAULT, "a read running past a view: -EFAULT");
	CHECK(hk_taskview_read(v, 4096, &pid, 4) == 0, "an address far from the views is not theirs");
	hk_taskview_free(v);
	btf__free(btf);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_fixed_formats();
	test_tracefs_formats();
	test_record_builder();
	test_sections();
	test_tracer();
	test_pktctx();
	test_pcap_roundtrip();
	test_btf_print();
	test_taskview();
	return check_summary();
}
