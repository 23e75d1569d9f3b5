/* bpfbox — tests/unit/test_helpers.c: the helper layer's own contracts.
 *
 * The example programs (test_examples) cover what helpers compute; this
 * covers what needs a hand-built program or a hook:
 *  - the contract table: every helpers.def row is the kernel's name for its
 *    number, bpfbox_env__attach registers each with its contract, a host
 *    helper registered by number is called;
 *  - safety in checked mode: a forged map pointer, a forged callback, a
 *    ring buffer "record" that is not one, a program without a helper
 *    environment, a lock that is never released, callbacks recursing
 *    without end — each stops the run with an error and a log line naming
 *    the helper, never a crash;
 *  - the current task from a hook: pid/tgid/uid/gid/comm/cpu, memory reads
 *    and writes through the hook's callbacks, signals, stacks; and the
 *    defaults of a plain run (bpfbox itself, writes refused outside the
 *    program's context);
 *  - trace_printk's trace_pipe line format.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "check.h"
#include "bpfbox/helpers.h"
#include "bpfbox/jit.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/vm.h"
#include "helpers/helpers.h"
#include "vm/vm.h"

/* ---- building programs by hand -------------------------------------------------------- */

#define I(c, d, s, o, i) ((struct bpfbox_insn){ (c), (d), (s), (o), (i) })
#define MOV_K(d, k) I(0xb7, d, 0, 0, k)
#define MOV_X(d, s) I(0xbf, d, s, 0, 0)
#define ADD_K(d, k) I(0x07, d, 0, 0, k)
#define CALL(n) I(0x85, 0, 0, 0, n)
#define EXIT() I(0x95, 0, 0, 0, 0)
#define STDW(d, o, s) I(0x7b, d, s, o, 0)
#define STW_K(d, o, k) I(0x62, d, 0, o, k)
#define LDXDW(d, s, o) I(0x79, d, s, o, 0)
#define LDDW(d, src, lo, hi) I(0x18, d, src, 0, lo), I(0, 0, 0, 0, hi)

static struct bpfbox_map *test_maps[4];

/* lddw src 1: imm is an index into test_maps */
static int resolve(void *ud, unsigned src, int32_t imm, int32_t next, uint64_t *v)
{
	(void)ud;
	(void)next;
	if (src != 1 || imm < 0 || imm >= 4 || !test_maps[imm])
		return -EINVAL;
	*v = (uint64_t)(uintptr_t)test_maps[imm];
	return 0;
}

struct world {
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
	char log[2048];
	struct bpfbox_log lg;
	FILE *trace;
	char *trace_buf;
	size_t trace_len;
};

static void world_new(struct world *W)
{
	memset(W, 0, sizeof(*W));
	W->trace = open_memstream(&W->trace_buf, &W->trace_len);
	BPFBOX_OPTS(bpfbox_env_opts, eo, .trace_out = W->trace, .nr_cpus = 4);
	bpfbox_env__new(&W->env, &eo);
	BPFBOX_OPTS(bpfbox_vm_opts, vo, .insn_budget = 100000);
	bpfbox_env__vm_opts(W->env, &vo);
	bpfbox_vm__new(&W->vm, &vo);
	bpfbox_env__attach(W->env, W->vm);
	W->lg = (struct bpfbox_log){ .buf = W->log, .size = sizeof(W->log) };
}

static void world_free(struct world *W)
{
	bpfbox_vm__free(W->vm);
	bpfbox_env__free(W->env);
	fclose(W->trace);
	free(W->trace_buf);
}

/* Load insns with env as owner (or none), run with mem and hook. */
static int run(struct world *W, const struct bpfbox_insn *insns, size_t n, bool owned, void *mem,
	       size_t len, void *hook, uint64_t *r0)
{
	W->log[0] = 0;
	W->lg.len = 0;
	struct bpfbox_prog *p;
	BPFBOX_OPTS(bpfbox_prog_opts, po, .log = &W->lg, .resolve_lddw = resolve,
		    .owner = owned ? (void *)W->env : NULL, .name = "t");
	int e = bpfbox_prog__load(W->vm, insns, n, &po, &p);
	if (e)
		return e;
	BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = mem, .mem_len = len, .hook = hook, .log = &W->lg);
	*r0 = 0;
	e = bpfbox_prog__run(p, &ro, r0);
	bpfbox_prog__free(p);
	W->log[strcspn(W->log, "\n")] = 0;
	return e;
}

#define RUN(W, prog, owned, mem, len, hook, r0) \
	run((W), (prog), sizeof(prog) / sizeof((prog)[0]), (owned), (mem), (len), (hook), (r0))

/* ---- contracts ------------------------------------------------------------------------------ */

static uint64_t my_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
			  struct bpfbox_exec *ex)
{
	(void)c;
	(void)d;
	(void)e;
	return a * 1000 + b + (bpfbox_env__of(ex) != NULL);
}

static void contracts(void)
{
	int rows = 0, named = 0;
#define HELPER(ID, NAME, RET, A1, A2, A3, A4, A5, FLAGS, TYPES, DOC) \
	rows++;                                                       \
	named += bpfbox_helper__name(ID) && !strcmp(bpfbox_helper__name(ID), #NAME);
#include "helpers/helpers.def"
#undef HELPER
	CHECK(rows > 60 && named == rows, "%d of %d helpers.def rows carry the kernel's name for "
	      "their number", named, rows);
	CHECK(bpfbox_helper__id("bpf_map_lookup_elem") == 1 && bpfbox_helper__id("ringbuf_output") == 130 &&
	      bpfbox_helper__id("nope") == -1 && bpfbox_helper__name(9999) == NULL,
	      "names <-> numbers");
	struct world W;
	world_new(&W);
	int reg = 0, with_contract = 0;
	for (uint32_t id = 0; id < 256; id++) {
		const char *name;
		const void *c;
		if (!bpfbox_vm__helper(W.vm, id, &name, &c))
			continue;
		reg++;
		with_contract += c == hlp_contract(id) && c && bpfbox_helper__implemented(id);
	}
	CHECK(reg == rows && with_contract == rows, "attach registers %d helpers, each with its "
	      "contract (%d)", reg, with_contract);
	const struct hlp_contract *hc = hlp_contract(1);
	CHECK(hc && hc->ret == R_MAP_VALUE_OR_NULL && hc->args[0] == A_MAP && hc->args[1] == A_MAP_KEY,
	      "map_lookup_elem's contract");
	const struct bpfbox_helper_contract *pc = bpfbox_helper__contract(1);
	CHECK(pc && pc->ret == BPFBOX_RET_MAP_VALUE_OR_NULL && pc->args[0] == BPFBOX_ARG_MAP &&
	      pc->args[1] == BPFBOX_ARG_MAP_KEY && !strcmp(pc->name, "map_lookup_elem"),
	      "the public contract of map_lookup_elem");
	static const struct bpfbox_helper_contract mine = {
		500, "my_helper", BPFBOX_RET_INT, { BPFBOX_ARG_ANY, BPFBOX_ARG_ANY }, 0, ~0ull,
		"a host helper"
	};
	bpfbox_vm__set_helper(W.vm, 500, "my_helper", my_helper, &mine);
	const void *got = NULL;
	bpfbox_vm__helper(W.vm, 500, NULL, &got);
	CHECK(got == &mine, "a host helper keeps its contract for the verifier");
	struct bpfbox_insn p[] = { MOV_K(1, 7), MOV_K(2, 5), CALL(500), EXIT() };
	uint64_t r0;
	int e = RUN(&W, p, true, NULL, 0, NULL, &r0);
	CHECK(!e && r0 == 7006, "a host helper by number (r0 %llu)", (unsigned long long)r0);
	world_free(&W);
}

/* ---- safety ------------------------------------------------------------------------------------- */

static void safety(void)
{
	struct world W;
	world_new(&W);
	uint64_t r0;
	int e;
	BPFBOX_OPTS(bpfbox_map_opts, mo, .type = BPFBOX_MAP_TYPE_ARRAY, .key_size = 4,
		    .value_size = 8, .max_entries = 2, .name = "arr");
	bpfbox_map__new(&test_maps[0], &mo);
	bpfbox_env__add_map(W.env, test_maps[0]);
	BPFBOX_OPTS(bpfbox_map_opts, ro, .type = BPFBOX_MAP_TYPE_RINGBUF, .max_entries = 4096,
		    .name = "rb");
	bpfbox_map__new(&test_maps[1], &ro);
	bpfbox_env__add_map(W.env, test_maps[1]);
	/* an unregistered map of the same shape */
	bpfbox_map__new(&test_maps[2], &mo);

	/* lookup of a registered map, then write through the value pointer */
	struct bpfbox_insn ok[] = {
		STW_K(10, -4, 1), LDDW(1, 1, 0, 0), MOV_X(2, 10), ADD_K(2, -4), CALL(1),
		I(0x15, 0, 0, 3, 0),              /* if r0 == 0 goto +3 */
		MOV_K(1, 42), STDW(0, 0, 1), LDXDW(0, 0, 0), EXIT(),
	};
	e = RUN(&W, ok, true, NULL, 0, NULL, &r0);
	CHECK(!e && r0 == 42, "checked mode: a map value from lookup is writable (%s)", W.log);

	struct bpfbox_insn forged[] = {
		STW_K(10, -4, 1), LDDW(1, 0, 0x1234, 0), MOV_X(2, 10), ADD_K(2, -4), CALL(1), EXIT(),
	};
	e = RUN(&W, forged, true, NULL, 0, NULL, &r0);
	CHECK(e == -EFAULT && strstr(W.log, "bpf_map_lookup_elem: 0x1234 is not a map"),
	      "a forged map pointer stops the run: %s", W.log);

	struct bpfbox_insn other[] = {
		STW_K(10, -4, 1), LDDW(1, 1, 2, 0), MOV_X(2, 10), ADD_K(2, -4), CALL(1), EXIT(),
	};
	e = RUN(&W, other, true, NULL, 0, NULL, &r0);
	CHECK(e == -EFAULT && strstr(W.log, "is not a map of this program"),
	      "a real map the env does not know is refused: %s", W.log);

	e = RUN(&W, ok, false, NULL, 0, NULL, &r0);
	CHECK(e == -EINVAL && strstr(W.log, "no helper environment"),
	      "map helpers without an env stop the run: %s", W.log);

	struct bpfbox_insn badkey[] = {
		LDDW(1, 1, 0, 0), MOV_K(2, 64), CALL(1), EXIT(),
	};
	e = RUN(&W, badkey, true, NULL, 0, NULL, &r0);
	CHECK(e == -EFAULT && strstr(W.log, "key"), "a key pointer outside memory: %s", W.log);

	struct bpfbox_insn cb[] = {
		MOV_K(1, 3), LDDW(2, 0, 0x5000, 0), MOV_K(3, 0), MOV_K(4, 0), CALL(181), EXIT(),
	};
	e = RUN(&W, cb, true, NULL, 0, NULL, &r0);
	CHECK(e == -EFAULT && strstr(W.log, "not a callback"), "a forged callback: %s", W.log);

	struct bpfbox_insn rb[] = {
		MOV_X(1, 10), ADD_K(1, -8), MOV_K(2, 0), CALL(132), MOV_K(0, 0), EXIT(),
	};
	e = RUN(&W, rb, true, NULL, 0, NULL, &r0);
	CHECK(e == -EFAULT && strstr(W.log, "not a reserved ring buffer record"),
	      "submitting a stack address: %s", W.log);

	/* reserve, write, submit: the record is writable only while reserved */
	struct bpfbox_insn rb2[] = {
		LDDW(1, 1, 1, 0), MOV_K(2, 8), MOV_K(3, 0), CALL(131),
		I(0x15, 0, 0, 6, 0),                        /* if r0 == 0 goto out */
		MOV_X(6, 0), MOV_K(1, 99), STDW(6, 0, 1),
		MOV_X(1, 6), MOV_K(2, 0), CALL(132),
		STDW(6, 0, 1),                              /* after submit: refused */
		EXIT(),
	};
	e = RUN(&W, rb2, true, NULL, 0, NULL, &r0);
	CHECK(e == -EFAULT && strstr(W.log, "insn 12"),
	      "a submitted record is no longer writable: %s", W.log);

	/* a lock word that is taken and never released */
	uint32_t lockword[2] = { 1, 0 };
	struct bpfbox_insn dead[] = { MOV_X(1, 1), CALL(93), MOV_K(0, 0), EXIT() };
	e = RUN(&W, dead, true, lockword, sizeof(lockword), NULL, &r0);
	CHECK(e == -EDEADLK && strstr(W.log, "never became free"), "a lock never released: %s",
	      W.log);
	lockword[0] = 0;
	struct bpfbox_insn lk[] = { MOV_X(6, 1), CALL(93), MOV_X(1, 6), CALL(94),
				    LDXDW(0, 6, 0), EXIT() };
	e = RUN(&W, lk, true, lockword, sizeof(lockword), NULL, &r0);
	CHECK(!e && r0 == 0, "lock then unlock leaves the word 0");

	/* packet helpers without a packet */
	struct bpfbox_insn px[] = { MOV_K(2, 4), CALL(44), EXIT() };
	e = RUN(&W, px, true, NULL, 0, NULL, &r0);
	CHECK(!e && (int64_t)r0 == -EINVAL, "xdp_adjust_head without a packet is -EINVAL");

	uint32_t a[2] = { 0x01020304, 0x05060708 };
	struct bpfbox_insn cs[] = { MOV_K(2, 8), MOV_K(3, 0), MOV_K(4, 0), MOV_K(5, 0), CALL(28),
				    EXIT() };
	e = RUN(&W, cs, true, a, sizeof(a), NULL, &r0);
	/* "from" words count negatively: ~0x01020304 + ~0x05060708, folded */
	CHECK(!e && r0 == 0xf9f7f5f3ull, "csum_diff of two words (0x%llx)", (unsigned long long)r0);

	for (int i = 0; i < 3; i++) {
		if (i < 2)
			bpfbox_env__remove_map(W.env, test_maps[i]);
		bpfbox_map__free(test_maps[i]);
		test_maps[i] = NULL;
	}
	world_free(&W);
}

/* ---- the current task ----------------------------------------------------------------------- */

static uint8_t fake_mem[32] = "fake task memory";
static uint8_t written[8];
static int signals_seen;

static int h_read(void *ud, uint64_t addr, void *dst, size_t len, bool user)
{
	(void)ud;
	(void)user;
	if (addr < 0x1000 || addr + len > 0x1000 + sizeof(fake_mem))
		return -EFAULT;
	memcpy(dst, fake_mem + (addr - 0x1000), len);
	return 0;
}

static int h_write(void *ud, uint64_t addr, const void *src, size_t len)
{
	(void)ud;
	if (addr != 0x2000 || len > sizeof(written))
		return -EFAULT;
	memcpy(written, src, len);
	return 0;
}

static int h_signal(void *ud, uint32_t sig, bool thread)
{
	(void)ud;
	signals_seen = (int)sig * 10 + thread;
	return 0;
}

static int h_stack(void *ud, uint64_t *ips, uint32_t max, bool user)
{
	(void)ud;
	uint32_t n = max < 3 ? max : 3;
	for (uint32_t i = 0; i < n; i++)
		ips[i] = (user ? 0x400000 : 0xffffffff81000000ull) + i;
	return (int)n;
}

static void task(void)
{
	struct world W;
	world_new(&W);
	uint64_t r0;
	struct bpfbox_hook_env h = { .sz = sizeof(h), .pid = 1234, .tgid = 1200, .uid = 1000,
				     .gid = 100, .comm = "traced", .cpu = 6, .func_ip = 0xabc,
				     .cookie = 77, .read_mem = h_read, .write_mem = h_write,
				     .send_signal = h_signal, .get_stack = h_stack };
	struct bpfbox_insn ids[] = { CALL(14), EXIT() };
	int e = RUN(&W, ids, true, NULL, 0, &h, &r0);
	CHECK(!e && r0 == (1200ull << 32 | 1234), "pid_tgid from the hook");
	struct bpfbox_insn ug[] = { CALL(15), EXIT() };
	e = RUN(&W, ug, true, NULL, 0, &h, &r0);
	CHECK(!e && r0 == (100ull << 32 | 1000), "uid_gid from the hook");
	struct bpfbox_insn cpu[] = { CALL(8), EXIT() };
	e = RUN(&W, cpu, true, NULL, 0, &h, &r0);
	CHECK(!e && r0 == 2, "smp_processor_id: hook cpu 6 on 4 CPUs is 2 (%llu)",
	      (unsigned long long)r0);
	struct bpfbox_insn ip[] = { CALL(173), MOV_X(6, 0), CALL(174), I(0x0f, 0, 6, 0, 0), EXIT() };
	e = RUN(&W, ip, true, NULL, 0, &h, &r0);
	CHECK(!e && r0 == 0xabc + 77, "get_func_ip + get_attach_cookie from the hook");

	char comm[16];
	struct bpfbox_insn cm[] = { MOV_K(2, 16), CALL(16), EXIT() };
	e = RUN(&W, cm, true, comm, sizeof(comm), &h, &r0);
	CHECK(!e && r0 == 0 && !strcmp(comm, "traced"), "comm from the hook");

	uint8_t buf[16];
	struct bpfbox_insn rd[] = { MOV_K(2, 8), MOV_K(3, 0x1005), CALL(112), EXIT() };
	e = RUN(&W, rd, true, buf, sizeof(buf), &h, &r0);
	CHECK(!e && r0 == 0 && !memcmp(buf, "task mem", 8), "probe_read_user through the hook");
	struct bpfbox_insn rs[] = { MOV_K(2, 16), MOV_K(3, 0x1005), CALL(114), EXIT() };
	e = RUN(&W, rs, true, buf, sizeof(buf), &h, &r0);
	CHECK(!e && r0 == 12 && !strcmp((char *)buf, "task memory"), "probe_read_user_str: %llu",
	      (unsigned long long)r0);
	struct bpfbox_insn rf[] = { MOV_K(2, 8), MOV_K(3, 0x9000), CALL(113), EXIT() };
	memset(buf, 0xaa, sizeof(buf));
	e = RUN(&W, rf, true, buf, sizeof(buf), &h, &r0);
	CHECK(!e && (int64_t)r0 == -EFAULT && buf[0] == 0 && buf[7] == 0 && buf[8] == 0xaa,
	      "a failed read is -EFAULT with the buffer zeroed");

	uint64_t val = 0x1122334455667788ull;
	struct bpfbox_insn wr[] = { MOV_X(2, 1), MOV_K(1, 0x2000), MOV_K(3, 8), CALL(36), EXIT() };
	e = RUN(&W, wr, true, &val, sizeof(val), &h, &r0);
	CHECK(!e && r0 == 0 && !memcmp(written, &val, 8), "probe_write_user through the hook");

	struct bpfbox_insn sg[] = { MOV_K(1, 10), CALL(117), EXIT() };
	e = RUN(&W, sg, true, NULL, 0, &h, &r0);
	CHECK(!e && r0 == 0 && signals_seen == 101, "send_signal_thread through the hook");
	struct bpfbox_insn sg0[] = { MOV_K(1, 99), CALL(109), EXIT() };
	e = RUN(&W, sg0, true, NULL, 0, &h, &r0);
	CHECK(!e && (int64_t)r0 == -EINVAL, "a signal number the kernel does not have: -EINVAL");

	uint64_t st[4] = { 9, 9, 9, 9 };
	struct bpfbox_insn gs[] = { MOV_X(2, 1), MOV_K(3, 32), MOV_K(4, (1 << 8) | 1), CALL(67),
				    EXIT() };
	e = RUN(&W, gs, true, st, sizeof(st), &h, &r0);
	CHECK(!e && r0 == 16 && st[0] == 0x400001 && st[1] == 0x400002 && st[2] == 0,
	      "get_stack: user stack, skip 1, rest zeroed (%llu)", (unsigned long long)r0);

	/* plain run: the task is this process; writes stay in the context */
	e = RUN(&W, ids, true, NULL, 0, NULL, &r0);
	CHECK(!e && (r0 >> 32) == (uint64_t)getpid(), "without a hook the task is this process");
	e = RUN(&W, wr, true, &val, sizeof(val), NULL, &r0);
	CHECK(!e && (int64_t)r0 == -EPERM, "without a hook probe_write_user outside the context is "
	      "-EPERM");
	uint64_t two[2] = { 0, 0x55 };
	struct bpfbox_insn wself[] = { MOV_X(2, 1), ADD_K(2, 8), MOV_K(3, 8), CALL(36), LDXDW(0, 1, 0),
				       EXIT() };
	e = RUN(&W, wself, true, two, sizeof(two), NULL, &r0);
	CHECK(!e && r0 == 0x55, "... and inside it works");
	e = RUN(&W, sg, true, NULL, 0, NULL, &r0);
	CHECK(!e && (int64_t)r0 == -EPERM, "without a hook signals are refused (never the host)");
	e = RUN(&W, gs, true, st, sizeof(st), NULL, &r0);
	CHECK(!e && (int64_t)r0 == -EFAULT && st[0] == 0, "without a hook there is no stack");
	int word = 1234;
	uint64_t addr = (uint64_t)(uintptr_t)&word;
	uint32_t out[2] = { 0 };
	struct bpfbox_insn rself[] = { MOV_K(2, 4), LDDW(3, 0, (int32_t)addr, (int32_t)(addr >> 32)),
				       CALL(112), LDXDW(0, 1, 0), EXIT() };
	e = RUN(&W, rself, true, out, sizeof(out), NULL, &r0);
	CHECK(!e && r0 == 1234, "without a hook probe_read reads this process");
	struct bpfbox_insn rbad[] = { MOV_K(2, 4), MOV_K(3, 16), CALL(112), EXIT() };
	e = RUN(&W, rbad, true, out, sizeof(out), NULL, &r0);
	CHECK(!e && (int64_t)r0 == -EFAULT, "... and a bad address is -EFAULT, not a crash");
	world_free(&W);
}

/* ---- trace_printk's line -------------------------------------------------------------------- */

static void trace_line(void)
{
	struct world W;
	world_new(&W);
	uint64_t r0;
	char fmt[16] = "x=%d y=%s\n";
	char str[8] = "hi";
	struct bpfbox_hook_env h = { .sz = sizeof(h), .pid = 4321, .comm = "curl", .cpu = 1 };
	struct { char fmt[16]; char s[8]; } mem;
	memcpy(mem.fmt, fmt, 16);
	memcpy(mem.s, str, 8);
	struct bpfbox_insn p[] = { MOV_X(4, 1), ADD_K(4, 16), MOV_K(2, 11), MOV_K(3, 5), CALL(6),
				   EXIT() };
	int e = RUN(&W, p, true, &mem, sizeof(mem), &h, &r0);
	fflush(W.trace);
	char comm[32];
	int pid = 0, cpu = -1, n = 0;
	unsigned long s = 0, us = 0;
	char msg[64] = "";
	int got = W.trace_buf ? sscanf(W.trace_buf, "%31[^-]-%d [%d] d..31 %lu.%lu: bpf_trace_printk: %n",
				       comm, &pid, &cpu, &s, &us, &n) : 0;
	if (got == 5 && n)
		snprintf(msg, sizeof(msg), "%s", W.trace_buf + n);
	const char *c = comm;
	while (*c == ' ')
		c++;
	CHECK(!e && r0 == 9 && got == 5 && !strcmp(c, "curl") && pid == 4321 && cpu == 1 &&
	      !strcmp(msg, "x=5 y=hi\n") && W.trace_buf[0] == ' ' && strlen(comm) == 16,
	      "trace_pipe line: '%.*s'", W.trace_buf ? (int)strcspn(W.trace_buf, "\n") : 0,
	      W.trace_buf ? W.trace_buf : "");
	world_free(&W);
}

/* ---- callbacks (need an object) --------------------------------------------------------------- */

static const char cb_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"static long deep(__u32 i, void *c);\n"
	"static long deep(__u32 i, void *c) { return bpf_loop(1, deep, c, 0) < 0; }\n"
	"SEC(\"syscall\") int recurse(void *ctx) { return bpf_loop(1, deep, 0, 0); }\n"
	"static long bad(__u32 i, void *c) { return *(volatile long *)(long)(i + 16); }\n"
	"SEC(\"syscall\") int faults(void *ctx) { return bpf_loop(2, bad, 0, 0); }\n"
	"static long spin(__u32 i, void *c) { volatile int x = 0; while (x == 0) ; return 0; }\n"
	"SEC(\"syscall\") int forever(void *ctx) { return bpf_loop(1 << 20, spin, 0, 0); }\n"
	"static long add(__u32 i, long *c) { *c += i; return 0; }\n"
	"SEC(\"syscall\") int sum(void *ctx) { long s = 0; bpf_loop(100, add, &s, 0); return s; }\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

static void callbacks(void)
{
	const char *bd = getenv("BUILD");
	char src[600], obj[600], cmd[1600];
	snprintf(src, sizeof(src), "%s/tests/cb.bpf.c", bd && *bd ? bd : "build");
	snprintf(obj, sizeof(obj), "%s/tests/cb.o", bd && *bd ? bd : "build");
	FILE *f = fopen(src, "w");
	if (!f) {
		CHECK(0, "write %s", src);
		return;
	}
	fputs(cb_src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "clang -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu "
		 "-c %s -o %s 2>/dev/null", src, obj);
	if (system(cmd)) {
		SKIP("clang is not installed: no callback tests");
		return;
	}
	struct world W;
	world_new(&W);
	struct bpfbox_object *o;
	if (bpfbox_object__open_file(obj, NULL, &o) || bpfbox_object__load(o, W.vm, W.env, NULL)) {
		CHECK(0, "the callback object loads");
		world_free(&W);
		return;
	}
	static const struct {
		const char *prog;
		int err;
		const char *log;
		uint64_t r0;
	} t[] = {
		{ "sum", 0, "", 4950 },
		{ "recurse", -EOVERFLOW, "call depth exceeds 8 frames", 0 },
		{ "faults", -EFAULT, "out-of-bounds load", 0 },
		{ "forever", -ELOOP, "budget", 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__find_prog(o, t[i].prog);
		uint64_t r0 = 0;
		W.log[0] = 0;
		W.lg.len = 0;
		BPFBOX_OPTS(bpfbox_run_opts, ro, .log = &W.lg);
		int e = p ? bpfbox_prog__run(bpfbox_obj_prog__handle(p), &ro, &r0) : -ENOENT;
		W.log[strcspn(W.log, "\n")] = 0;
		CHECK(e == t[i].err && strstr(W.log, t[i].log) && (e || r0 == t[i].r0),
		      "callback %s: %d, r0 %llu: %s", t[i].prog, e, (unsigned long long)r0, W.log);
	}
	bpfbox_object__free(o);
	world_free(&W);
}

/* ---- leaves ------------------------------------------------------------------------------- */

/* Does the verified JIT code of `call id; exit` check for a stop after the
 * call (cmp byte [r11 + stop], 0)?  -1: it could not be compiled. */
static int jit_checks_stop(struct world *W, uint32_t id)
{
	const struct bpfbox_insn insns[2] = { { .code = 0x85, .imm = (int32_t)id }, { .code = 0x95 } };
	const uint8_t cmp_stop[5] = { 0x41, 0x80, 0x7b, (uint8_t)offsetof(struct bpfbox_exec, stop), 0 };
	struct bpfbox_prog *p;
	if (bpfbox_prog__load(W->vm, insns, 2, NULL, &p))
		return -1;
	bpfbox_prog__set_verified(p, true);
	size_t len = 0;
	const uint8_t *code = bpfbox_prog__jit(p, NULL) ? NULL : bpfbox_prog__jited(p, &len);
	int found = code ? 0 : -1;
	for (size_t i = 0; code && i + sizeof(cmp_stop) <= len && !found; i++)
		found = !memcmp(code + i, cmp_stop, sizeof(cmp_stop));
	bpfbox_prog__free(p);
	return found;
}

/* HF_LEAF helpers are registered as their own leaves: verified JIT code
 * calls them bare; the others keep the call-site record and stop check. */
static void leaves(void)
{
	if (!bpfbox_jit__available()) {
		SKIP("leaf helpers: no JIT on this host");
		return;
	}
	struct world W;
	world_new(&W);
	int leaf_ok = 0, nleaf = 0, other_ok = 0, nother = 0;
#define HELPER(ID, NAME, RET, A1, A2, A3, A4, A5, FLAGS, TYPES, DOC)    	if ((FLAGS) & HF_LEAF) {                                         		nleaf++;                                                 		leaf_ok += jit_checks_stop(&W, ID) == 0;                 	} else if (ID != 1 && !((FLAGS) & HF_NORETURN_OK)) {             		nother++;                                                		other_ok += jit_checks_stop(&W, ID) == 1;                	}
#include "helpers/helpers.def"
#undef HELPER
	CHECK(nleaf >= 12 && leaf_ok == nleaf, "%d/%d HF_LEAF helpers: called bare from verified code",
	      leaf_ok, nleaf);
	CHECK(nother > 40 && other_ok == nother,
	      "%d/%d other helpers: the call is recorded and a stop checked after it", other_ok, nother);
	world_free(&W);
}

int main(void)
{
	contracts();
	leaves();
	safety();
	task();
	trace_line();
	callbacks();
	return check_summary();
}
