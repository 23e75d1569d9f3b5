/* bpfbox — test_harden.c: three cross-layer guarantees, on every engine.
 *
 *  1. Stack zeroing of verified programs.  A verified program runs without
 *     checked-mode zeroing, so a read of a stack byte it never wrote would
 *     see what the host left there.  The verifier marks the programs that
 *     may do that (bpfbox_verify_stats.uninit_stack_insn, the program's
 *     zero_stack) and only their frames are zeroed.  Tests: the
 *     tests/vectors/sem-uninit-stack-*.data programs verified and run on
 *     the interpreters and the JIT over a stack the test filled with 0xaa
 *     bytes first (so stale bytes would show); which programs get the mark
 *     and which do not (helper reads, partial spills, variable offsets,
 *     a path pruning must not hide); helpers that fill a buffer the
 *     verifier counts as written write all of it.
 *  2. Callbacks as nested calls (bpfbox_exec__call): bpf_loop and
 *     bpf_for_each_map_elem callbacks give the same results on the
 *     interpreters and the JIT, checked and verified, run on their own JIT
 *     code, nest to exactly 8 frames, share the run's budget, and report a
 *     fault at the callback's instruction; the same for objects through
 *     the loader (examples/loop_each.bpf.c, tests/unit/harden_nest.bpf.c,
 *     which the kernel runs too when bpf() is allowed).
 *  3. trace_printk/snprintf: which memory each of %s %pks %pus %pI4 %pi4
 *     %pI6 %pi6 %pB %ps reads (the run's own memory directly, anything
 *     else through the hook's user or kernel reader), as the kernel does.
 *
 * Programs are assembled from text; callbacks are wired with the helpers
 * layer's public callback API (what the object loader does).  Verified
 * runs of the callback programs are marked by hand (they are safe by
 * construction): they test the engines, the verifier has its own tests.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "bpfbox/asm.h"
#include "bpfbox/helpers.h"
#include "bpfbox/jit.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"
#include "bpfbox/verify.h"
#include "bpfbox/vm.h"

static bool have_jit;

static const struct {
	int engine;
	const char *name;
} engines[] = {
	{ BPFBOX_ENGINE_INTERP, "interp-goto" },
	{ BPFBOX_ENGINE_INTERP_SWITCH, "interp-switch" },
	{ BPFBOX_ENGINE_JIT, "jit" },
};
#define NENGINES (sizeof(engines) / sizeof(engines[0]))

/* ---- a stack full of stale bytes --------------------------------------------- */

/* Fill the C stack below the caller with 0xaa, so a run started right
 * after this (from the same function) finds its eBPF stack, which lives in
 * bpfbox_prog__run's frame, full of them unless something zeroes it. */
static __attribute__((noinline)) void dirty_stack(void)
{
	volatile unsigned char buf[64 * 1024];
	memset((void *)buf, 0xaa, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static __attribute__((noinline)) int run_dirty(struct bpfbox_prog *p, struct bpfbox_run_opts *ro,
					       uint64_t *r0)
{
	dirty_stack();
	return bpfbox_prog__run(p, ro, r0);
}

/* ---- assembling -------------------------------------------------------------- */

static struct bpfbox_insn *assemble(const char *text, size_t *n)
{
	struct bpfbox_insn *insns = NULL;
	char lb[512] = "";
	struct bpfbox_log log = { .buf = lb, .size = sizeof(lb), .level = BPFBOX_LOG_ERROR };
	if (bpfbox_asm__assemble(text, strlen(text), BPFBOX_SYNTAX_AUTO, &insns, n, &log)) {
		CHECK(0, "assemble: %s", lb);
		return NULL;
	}
	return insns;
}

/* The slot of the first instruction with this opcode and immediate. */
static size_t find_insn(const struct bpfbox_insn *insns, size_t n, uint8_t code, int32_t imm)
{
	for (size_t i = 0; i < n; i++)
		if (insns[i].code == code && insns[i].imm == imm)
			return i;
	return (size_t)-1;
}

/* ---- 1. stack zeroing ----------------------------------------------------------- */

/* The body of section "-- name" of a vector file (malloc'd), or NULL. */
static char *section(const char *text, const char *name)
{
	char hdr[32];
	snprintf(hdr, sizeof(hdr), "-- %s\n", name);
	const char *p = strstr(text, hdr);
	if (!p)
		return NULL;
	p += strlen(hdr);
	const char *e = strstr(p, "\n--");
	size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
	char *s = malloc(len + 1);
	if (s) {
		memcpy(s, p, len);
		s[len] = 0;
	}
	return s;
}

static void uninit_vectors(void)
{
	const char *dir = "tests/vectors";
	DIR *d = opendir(dir);
	if (!d) {
		CHECK(0, "open %s", dir);
		return;
	}
	struct dirent *de;
	int count = 0, premise = 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "sem-uninit-stack-", 17))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		char *text = check_read_file(path, NULL);
		char *asm_text = text ? section(text, "asm") : NULL;
		char *mem_text = text ? section(text, "mem") : NULL;
		char *result = text ? section(text, "result") : NULL;
		if (!asm_text || !result) {
			CHECK(0, "%s parses", de->d_name);
			free(asm_text), free(mem_text), free(result), free(text);
			continue;
		}
		count++;
		uint8_t mem[64] = { 0 };
		size_t memlen = 0;
		for (char *s = mem_text; s && *s && memlen < sizeof(mem);) {
			char *e;
			unsigned long b = strtoul(s, &e, 16);
			if (e == s)
				break;
			mem[memlen++] = (uint8_t)b;
			s = e;
		}
		uint64_t want = strtoull(result, NULL, 0);
		size_t n;
		struct bpfbox_insn *insns = assemble(asm_text, &n);
		struct bpfbox_vm *vm = NULL;
		struct bpfbox_prog *p = NULL;
		if (!insns || bpfbox_vm__new(&vm, NULL) || bpfbox_prog__load(vm, insns, n, NULL, &p)) {
			CHECK(0, "%s: loads", de->d_name);
			goto next;
		}
		struct bpfbox_verify_stats st = { .sz = sizeof(st) };
		BPFBOX_OPTS(bpfbox_verify_opts, vo, .prog_type = BPFBOX_PROG_TYPE_UNSPEC,
			    .ctx_size = (uint32_t)memlen);
		size_t ni;
		const struct bpfbox_insn *pi = bpfbox_prog__insns(p, &ni);
		int e = bpfbox_verify(pi, ni, &vo, &st);
		CHECK(e == 0 && st.uninit_stack_insn >= 0, "%s: accepted, may read unwritten stack "
		      "(insn %lld)", de->d_name, (long long)st.uninit_stack_insn);
		e = bpfbox_prog__verify(p, &vo);
		CHECK(e == 0 && bpfbox_prog__verified(p) && bpfbox_prog__zero_stack(p),
		      "%s: bpfbox_prog__verify marks it zero_stack", de->d_name);
		bool jit = have_jit && bpfbox_prog__jit(p, NULL) == 0;
		for (size_t k = 0; k < NENGINES; k++) {
			if (engines[k].engine == BPFBOX_ENGINE_JIT && !jit) {
				SKIP("%s [jit]: no JIT on this host", de->d_name);
				continue;
			}
			uint8_t m[64];
			memcpy(m, mem, sizeof(m));
			BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engines[k].engine,
				    .mem = memlen ? m : NULL, .mem_len = memlen);
			uint64_t r0 = 0;
			e = run_dirty(p, &ro, &r0);
			CHECK(e == 0 && r0 == want, "%s [%s, verified]: r0 = 0x%llx over a dirty stack "
			      "(got 0x%llx)", de->d_name, engines[k].name, (unsigned long long)want,
			      (unsigned long long)r0);
		}
		/* the premise: without the mark the same run reads stale bytes */
		bpfbox_prog__set_zero_stack(p, false);
		uint8_t m[64];
		memcpy(m, mem, sizeof(m));
		BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = BPFBOX_ENGINE_INTERP, .mem = memlen ? m : NULL,
			    .mem_len = memlen);
		uint64_t r0 = 0;
		if (run_dirty(p, &ro, &r0) == 0 && r0 != want)
			premise++;
	next:
		bpfbox_prog__free(p);
		bpfbox_vm__free(vm);
		free(insns);
		free(asm_text), free(mem_text), free(result), free(text);
	}
	closedir(d);
	CHECK(count >= 4, "ran %d sem-uninit-stack vectors verified", count);
	if (premise == count)
		CHECK(1, "without zero_stack, each of them reads the dirty bytes (the tests can fail)");
	else
		SKIP("without zero_stack only %d of %d vectors read dirty bytes: this build does not "
		     "leave them where the run's stack goes (sanitizer stacks?)", premise, count);
}

/* A world with helpers and one array map (index 0) and one queue (1). */
struct world {
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
	struct bpfbox_map *map[2];
	struct bpfbox_map_desc desc[2];
	char log[1024];
	struct bpfbox_log lg;
};

static int w_resolve(void *ud, unsigned src, int32_t imm, int32_t next_imm, uint64_t *value)
{
	struct world *W = ud;
	if ((src == 1 || src == 5) && imm >= 0 && imm < 2) {
		*value = (uint64_t)(uintptr_t)W->map[imm];
		return 0;
	}
	return -EINVAL;
}

static int w_map_info(void *ud, unsigned src, int32_t imm, int32_t next_imm,
		      struct bpfbox_map_desc *out)
{
	struct world *W = ud;
	if (imm < 0 || imm >= 2)
		return -ENOENT;
	*out = W->desc[imm];
	return 0;
}

static void world_new(struct world *W)
{
	memset(W, 0, sizeof(*W));
	W->lg = (struct bpfbox_log){ .buf = W->log, .size = sizeof(W->log), .level = BPFBOX_LOG_ERROR };
	bpfbox_env__new(&W->env, NULL);
	BPFBOX_OPTS(bpfbox_vm_opts, vo);
	bpfbox_env__vm_opts(W->env, &vo);
	bpfbox_vm__new(&W->vm, &vo);
	bpfbox_env__attach(W->env, W->vm);
	BPFBOX_OPTS(bpfbox_map_opts, a, .type = BPFBOX_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 16,
		    .max_entries = 2);
	BPFBOX_OPTS(bpfbox_map_opts, q, .type = BPFBOX_MAP_TYPE_QUEUE, .value_size = 16,
		    .max_entries = 4);
	bpfbox_map__new(&W->map[0], &a);
	bpfbox_map__new(&W->map[1], &q);
	for (int i = 0; i < 2; i++) {
		bpfbox_env__add_map(W->env, W->map[i]);
		W->desc[i] = (struct bpfbox_map_desc){ .type = bpfbox_map__type(W->map[i]),
			.key_size = bpfbox_map__key_size(W->map[i]),
			.value_size = bpfbox_map__value_size(W->map[i]),
			.max_entries = bpfbox_map__max_entries(W->map[i]), .spin_lock_off = -1 };
	}
}

static void world_free(struct world *W)
{
	for (int i = 0; i < 2; i++)
		bpfbox_map__free(W->map[i]);
	bpfbox_vm__free(W->vm);
	bpfbox_env__free(W->env);
}

static struct bpfbox_prog *w_load(struct world *W, const char *text, const char *name)
{
	size_t n;
	struct bpfbox_insn *insns = assemble(text, &n);
	struct bpfbox_prog *p = NULL;
	BPFBOX_OPTS(bpfbox_prog_opts, po, .name = name, .log = &W->lg, .resolve_lddw = w_resolve,
		    .resolve_ud = W, .owner = W->env);
	if (insns && bpfbox_prog__load(W->vm, insns, n, &po, &p))
		CHECK(0, "%s loads: %s", name, W->log);
	free(insns);
	return p;
}

/* Verify p (syscall program: helpers, ctx of 64 bytes); the stats out. */
static int w_verify(struct world *W, struct bpfbox_prog *p, struct bpfbox_verify_stats *st)
{
	char vb[2048] = "";
	struct bpfbox_log vl = { .buf = vb, .size = sizeof(vb), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_verify_opts, vo, .prog_type = BPFBOX_PROG_TYPE_SYSCALL, .ctx_size = 64,
		    .map_info = w_map_info, .map_ud = W, .log = &vl);
	size_t n;
	const struct bpfbox_insn *insns = bpfbox_prog__insns(p, &n);
	st->sz = sizeof(*st);
	int e = bpfbox_verify(insns, n, &vo, st);
	if (e)
		printf("# verifier: %s\n", vb);
	return e;
}

static const struct {
	const char *name;
	const char *text;
	int uninit; /* 1: may read unwritten stack (mark), 0: only what it wrote */
} marks[] = {
	{ "write then read", "r1 = 5\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit\n", 0 },
	{ "4-byte write, 4-byte read",
	  "*(u32 *)(r10 - 8) = 5\nr0 = *(u32 *)(r10 - 8)\nexit\n", 0 },
	{ "8 byte writes, one 8-byte read",
	  "r1 = 1\n*(u8 *)(r10 - 8) = r1\n*(u8 *)(r10 - 7) = r1\n*(u16 *)(r10 - 6) = r1\n"
	  "*(u32 *)(r10 - 4) = r1\nr0 = *(u64 *)(r10 - 8)\nexit\n", 0 },
	{ "spill and fill of the context pointer",
	  "*(u64 *)(r10 - 16) = r1\nr2 = *(u64 *)(r10 - 16)\nr0 = *(u64 *)(r2 + 0)\nexit\n", 0 },
	{ "callee reads what it wrote",
	  "r1 = 3\n*(u64 *)(r10 - 8) = r1\ncall f\nr1 = *(u64 *)(r10 - 8)\nr0 += r1\nexit\n"
	  "f:\nr1 = 4\n*(u64 *)(r10 - 24) = r1\nr0 = *(u64 *)(r10 - 24)\nexit\n", 0 },
	{ "map_update_elem of a written key and value",
	  "*(u32 *)(r10 - 4) = 0\nr1 = 9\n*(u64 *)(r10 - 24) = r1\n*(u64 *)(r10 - 16) = r1\n"
	  "r1 = map_fd(0) ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -24\nr4 = 0\ncall 2\n"
	  "r0 = 0\nexit\n", 0 },
	{ "read of a slot never written", "r0 = *(u64 *)(r10 - 8)\nexit\n", 1 },
	{ "8-byte read of a 4-byte spill",
	  "r1 = 7\n*(u32 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit\n", 1 },
	{ "atomic add on a slot never written",
	  "r1 = 1\nlock *(u64 *)(r10 - 8) += r1\nr0 = *(u64 *)(r10 - 8)\nexit\n", 1 },
	{ "read after a variable-offset store",
	  "r2 = *(u8 *)(r1 + 0)\nr2 &= 8\nr3 = r10\nr3 += -16\nr3 += r2\n*(u64 *)(r3 + 0) = 1\n"
	  "r0 = *(u64 *)(r10 - 16)\nexit\n", 1 },
	{ "map_update_elem of a value never written (a helper reads it)",
	  "*(u32 *)(r10 - 4) = 0\nr1 = map_fd(0) ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -24\n"
	  "r4 = 0\ncall 2\nr0 = 0\nexit\n", 1 },
	{ "only one path writes the slot (pruning must not hide the other)",
	  "r2 = *(u8 *)(r1 + 0)\nr3 = 1\nr3 += 1\nr3 += 1\nr3 += 1\nr3 += 1\nr3 += 1\nr3 += 1\n"
	  "if r3 == 7 goto a\nr3 = 0\na:\nr3 += 1\nr3 += 1\nif r3 > 0 goto b\nr3 = 0\nb:\n"
	  "if r2 == 0 goto c\n*(u64 *)(r10 - 8) = 1\nc:\nr3 += 1\nr3 += 1\nr3 += 1\nr3 += 1\n"
	  "r3 += 1\nr3 += 1\nr3 += 1\nr3 += 1\nr3 += 1\nif r3 > 0 goto d\nr3 = 0\nd:\n"
	  "r0 = *(u64 *)(r10 - 8)\nexit\n", 1 },
};

static void zero_marks(void)
{
	struct world W;
	world_new(&W);
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		struct bpfbox_prog *p = w_load(&W, marks[i].text, "mark");
		if (!p)
			continue;
		struct bpfbox_verify_stats st;
		int e = w_verify(&W, p, &st);
		CHECK(e == 0 && (st.uninit_stack_insn >= 0) == marks[i].uninit,
		      "%s: accepted, %s (uninit_stack_insn %lld)", marks[i].name,
		      marks[i].uninit ? "marked" : "not marked", (long long)st.uninit_stack_insn);
		BPFBOX_OPTS(bpfbox_verify_opts, vo, .prog_type = BPFBOX_PROG_TYPE_SYSCALL,
			    .ctx_size = 64, .map_info = w_map_info, .map_ud = &W);
		e = bpfbox_prog__verify(p, &vo);
		CHECK(e == 0 && bpfbox_prog__zero_stack(p) == (marks[i].uninit != 0),
		      "%s: bpfbox_prog__verify sets zero_stack = %d", marks[i].name, marks[i].uninit);
		bpfbox_prog__free(p);
	}
	/* the default of a program marked verified by other means */
	struct bpfbox_prog *p = w_load(&W, marks[0].text, "mark");
	bpfbox_prog__set_verified(p, true);
	CHECK(p && bpfbox_prog__zero_stack(p), "bpfbox_prog__set_verified alone marks zero_stack "
	      "(nothing said the program reads only what it wrote)");
	bpfbox_prog__free(p);
	world_free(&W);
}

/* The end-to-end leak: uninitialised stack into a map value. */
static void zero_into_map(void)
{
	struct world W;
	world_new(&W);
	struct bpfbox_prog *p = w_load(&W, marks[10].text, "leak");
	BPFBOX_OPTS(bpfbox_verify_opts, vo, .prog_type = BPFBOX_PROG_TYPE_SYSCALL, .ctx_size = 64,
		    .map_info = w_map_info, .map_ud = &W);
	if (!p || bpfbox_prog__verify(p, &vo)) {
		CHECK(0, "the map_update program verifies");
		goto out;
	}
	bool jit = have_jit && bpfbox_prog__jit(p, NULL) == 0;
	for (size_t k = 0; k < NENGINES; k++) {
		if (engines[k].engine == BPFBOX_ENGINE_JIT && !jit)
			continue;
		uint8_t ctx[64] = { 0 };
		BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engines[k].engine, .mem = ctx, .mem_len = 64);
		uint64_t r0 = 1;
		int e = run_dirty(p, &ro, &r0);
		uint32_t key = 0;
		uint8_t val[16], zero[16] = { 0 };
		memset(val, 0x55, sizeof(val));
		bpfbox_map__lookup(W.map[0], &key, val);
		CHECK(e == 0 && !memcmp(val, zero, 16), "[%s] an unwritten stack value goes into the "
		      "map as zeros (first bytes %02x %02x)", engines[k].name, val[0], val[1]);
	}
out:
	bpfbox_prog__free(p);
	world_free(&W);
}

/* Helpers whose output buffer the verifier counts as written write all of
 * it: the bytes after a short string, an empty queue's value, strtol's
 * result on an error.  Each program then hands the whole buffer to
 * map_update_elem; not one of them is marked. */
static void zero_helper_outputs(void)
{
	static const struct {
		const char *name, *text;
		bool verify; /* false: the verifier cannot see it (snprintf's format is not
			      * a read-only map here): marked by hand */
	} progs[] = {
		{ "probe_read_kernel_str of a short string",
		  "r1 = 0x6968\n*(u64 *)(r10 - 32) = r1\nr1 = r10\nr1 += -24\nr2 = 16\nr3 = r10\n"
		  "r3 += -32\ncall 115\n*(u32 *)(r10 - 4) = 0\nr1 = map_fd(0) ll\nr2 = r10\n"
		  "r2 += -4\nr3 = r10\nr3 += -24\nr4 = 0\ncall 2\nr0 = 0\nexit\n", true },
		{ "map_pop_elem of an empty queue",
		  "r1 = map_fd(1) ll\nr2 = r10\nr2 += -24\ncall 88\n*(u32 *)(r10 - 4) = 0\n"
		  "r1 = map_fd(0) ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -24\nr4 = 0\ncall 2\n"
		  "r0 = 0\nexit\n", true },
		{ "snprintf of a short string",
		  "r1 = 0x6968\n*(u64 *)(r10 - 32) = r1\nr1 = r10\nr1 += -24\nr2 = 16\nr3 = r10\n"
		  "r3 += -32\nr4 = 0\nr5 = 0\ncall 165\n*(u32 *)(r10 - 4) = 0\nr1 = map_fd(0) ll\n"
		  "r2 = r10\nr2 += -4\nr3 = r10\nr3 += -24\nr4 = 0\ncall 2\nr0 = 0\nexit\n", false },
		{ "strtol of a string with no number",
		  "r1 = 0x78\n*(u64 *)(r10 - 32) = r1\nr1 = r10\nr1 += -32\nr2 = 1\nr3 = 0\nr4 = r10\n"
		  "r4 += -24\ncall 105\nr1 = 0\n*(u64 *)(r10 - 16) = r1\n*(u32 *)(r10 - 4) = 0\n"
		  "r1 = map_fd(0) ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -24\nr4 = 0\ncall 2\n"
		  "r0 = 0\nexit\n", true },
	};
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct world W;
		world_new(&W);
		struct bpfbox_prog *p = w_load(&W, progs[i].text, "out");
		struct bpfbox_verify_stats st;
		if (!p || (progs[i].verify && w_verify(&W, p, &st))) {
			CHECK(0, "%s: verifies", progs[i].name);
			goto next;
		}
		if (progs[i].verify)
			CHECK(st.uninit_stack_insn < 0, "%s: not marked (the helper writes the buffer)",
			      progs[i].name);
		/* marked verified by its verification: no zeroing */
		bpfbox_prog__set_verified(p, true);
		bpfbox_prog__set_zero_stack(p, false);
		bool jit = have_jit && bpfbox_prog__jit(p, NULL) == 0;
		for (size_t k = 0; k < NENGINES; k++) {
			if (engines[k].engine == BPFBOX_ENGINE_JIT && !jit)
				continue;
			uint8_t ctx[64] = { 0 };
			BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engines[k].engine, .mem = ctx,
				    .mem_len = 64);
			uint64_t r0 = 1;
			int e = run_dirty(p, &ro, &r0);
			uint32_t key = 0;
			uint8_t val[16];
			memset(val, 0x55, sizeof(val));
			bpfbox_map__lookup(W.map[0], &key, val);
			bool clean = true;
			for (int b = 0; b < 16; b++)
				clean &= val[b] != 0xaa && val[b] != 0x55;
			CHECK(e == 0 && clean, "%s [%s]: no stale byte in the buffer (%02x %02x .. %02x)",
			      progs[i].name, engines[k].name, val[0], val[1], val[15]);
		}
	next:
		bpfbox_prog__free(p);
		world_free(&W);
	}
}

/* A tail call into a marked program whose caller was not: frame 0 is
 * zeroed for it at the tail call. */
static struct bpfbox_prog *g_target;
static uint64_t h_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct bpfbox_exec *ex)
{
	return (uint64_t)(int64_t)bpfbox_exec__tail_call(ex, g_target);
}

static void zero_tail_call(void)
{
	struct bpfbox_vm *vm;
	bpfbox_vm__new(&vm, NULL);
	bpfbox_vm__set_helper(vm, 12, "tail_call", h_tail, NULL);
	size_t n1, n2;
	struct bpfbox_insn *a = assemble("call 12\nr0 = 99\nexit\n", &n1);
	struct bpfbox_insn *b = assemble("r0 = *(u64 *)(r10 - 8)\nr1 = *(u64 *)(r10 - 504)\n"
					 "r0 |= r1\nexit\n", &n2);
	struct bpfbox_prog *m = NULL, *t = NULL;
	if (!a || !b || bpfbox_prog__load(vm, a, n1, NULL, &m) || bpfbox_prog__load(vm, b, n2, NULL, &t)) {
		CHECK(0, "tail-call programs load");
		goto out;
	}
	g_target = t;
	bpfbox_prog__set_verified(m, true);
	bpfbox_prog__set_zero_stack(m, false); /* reads nothing */
	bpfbox_prog__set_verified(t, true);    /* zero_stack: reads unwritten stack */
	bool jit = have_jit && !bpfbox_prog__jit(m, NULL) && !bpfbox_prog__jit(t, NULL);
	for (size_t k = 0; k < NENGINES; k++) {
		if (engines[k].engine == BPFBOX_ENGINE_JIT && !jit)
			continue;
		BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engines[k].engine);
		uint64_t r0 = 1;
		int e = run_dirty(m, &ro, &r0);
		CHECK(e == 0 && r0 == 0, "[%s] a tail call into a zero_stack program zeroes frame 0 "
		      "(r0 0x%llx)", engines[k].name, (unsigned long long)r0);
	}
out:
	bpfbox_prog__free(m);
	bpfbox_prog__free(t);
	bpfbox_vm__free(vm);
	free(a);
	free(b);
}

/* ---- 2. callbacks ------------------------------------------------------------ */

struct cbw {
	struct world W;
	struct bpfbox_callback *cb[4];
	unsigned ncb;
	struct bpfbox_prog *main;
	struct bpfbox_insn *insns;
	size_t n;
};

static int cb_resolve(void *ud, unsigned src, int32_t imm, int32_t next_imm, uint64_t *value)
{
	struct cbw *C = ud;
	if (src == 4) {
		if (imm < 0 || (unsigned)imm >= C->ncb)
			return -EINVAL;
		*value = bpfbox_callback__value(C->cb[imm]);
		return 0;
	}
	return w_resolve(&C->W, src, imm, next_imm, value);
}

/* Load `text` whose `lddw rX, func(k) ll` name the callbacks at the labels
 * entries[k] (slot numbers), the way the object loader wires them. */
static int cb_load(struct cbw *C, const char *text, const size_t *entries, unsigned ncb,
		   const char *name)
{
	memset(C, 0, sizeof(*C));
	world_new(&C->W);
	C->insns = assemble(text, &C->n);
	if (!C->insns)
		return -EINVAL;
	C->ncb = ncb;
	BPFBOX_OPTS(bpfbox_prog_opts, po, .name = name, .log = &C->W.lg, .resolve_lddw = cb_resolve,
		    .resolve_ud = C, .owner = C->W.env);
	for (unsigned k = 0; k < ncb; k++)
		if (bpfbox_env__callback_new(C->W.env, &C->cb[k]))
			return -ENOMEM;
	for (unsigned k = 0; k < ncb; k++) {
		int e = bpfbox_callback__load(C->cb[k], C->W.vm, C->insns, C->n, entries[k], &po);
		if (e) {
			CHECK(0, "%s: callback %u loads: %s", name, k, C->W.log);
			return e;
		}
	}
	int e = bpfbox_prog__load(C->W.vm, C->insns, C->n, &po, &C->main);
	if (e)
		CHECK(0, "%s loads: %s", name, C->W.log);
	return e;
}

static void cb_free(struct cbw *C)
{
	bpfbox_prog__free(C->main);
	for (unsigned k = 0; k < C->ncb; k++)
		bpfbox_env__callback_free(C->W.env, C->cb[k]);
	world_free(&C->W);
	free(C->insns);
}

static void cb_set_verified(struct cbw *C, bool v)
{
	bpfbox_prog__set_verified(C->main, v);
	for (unsigned k = 0; k < C->ncb; k++)
		bpfbox_callback__set_verified(C->cb[k], v);
}

/* The slot of label `name:` in text (counting lddw as two slots). */
static size_t label_slot(const char *text, const char *name)
{
	size_t slot = 0, nl = strlen(name);
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		if (len == nl + 1 && !strncmp(l, name, nl) && l[nl] == ':')
			return slot;
		if (len && !memchr(l, ':', len))
			slot += memmem(l, len, " ll", 3) ? 2 : 1;
		l += len + (e ? 1 : 0);
	}
	return (size_t)-1;
}

struct outcome {
	int err;
	uint64_t r0;
	char msg[256];
};

static void cb_run(struct cbw *C, int engine, uint64_t budget, void *mem, size_t len,
		   struct outcome *o)
{
	C->W.log[0] = 0;
	C->W.lg.len = 0;
	BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engine, .insn_budget = budget, .log = &C->W.lg,
		    .mem = mem, .mem_len = len);
	o->r0 = 0;
	o->err = run_dirty(C->main, &ro, &o->r0);
	C->W.log[strcspn(C->W.log, "\n")] = 0;
	snprintf(o->msg, sizeof(o->msg), "%.*s", (int)sizeof(o->msg) - 1, C->W.log);
}

/* Run in every engine and mode; every outcome must be `want`. */
static void cb_all(struct cbw *C, const char *what, uint64_t budget, const uint8_t *mem0,
		   size_t len, const struct outcome *want, bool verified_too)
{
	for (int v = 0; v <= (int)verified_too; v++) {
		cb_set_verified(C, v);
		bool jit = have_jit && bpfbox_prog__jit(C->main, NULL) == 0;
		for (size_t k = 0; k < NENGINES; k++) {
			if (engines[k].engine == BPFBOX_ENGINE_JIT && !jit) {
				SKIP("%s [jit]: no JIT code", what);
				continue;
			}
			uint8_t mem[64] = { 0 };
			if (mem0)
				memcpy(mem, mem0, len);
			struct outcome o;
			cb_run(C, engines[k].engine, budget, mem0 ? mem : NULL, len, &o);
			CHECK(o.err == want->err && (o.err || o.r0 == want->r0) &&
			      (!want->msg[0] || strstr(o.msg, want->msg)),
			      "%s [%s, %s]: err %d r0 %llu '%s' (want %d, %llu, '%s')", what,
			      engines[k].name, v ? "verified" : "checked", o.err,
			      (unsigned long long)o.r0, o.msg, want->err, (unsigned long long)want->r0,
			      want->msg);
		}
	}
}

static const char loop_sum[] =
	"r6 = 0\n"
	"*(u64 *)(r10 - 8) = r6\n"
	"r1 = 10\n"
	"r2 = func(0) ll\n"
	"r3 = r10\n"
	"r3 += -8\n"
	"r4 = 0\n"
	"call 181\n"
	"r6 = r0\n"
	"r0 = *(u64 *)(r10 - 8)\n"
	"r0 *= 100\n"
	"r0 += r6\n"
	"exit\n"
	"cb:\n"
	"r3 = *(u64 *)(r2 + 0)\n"
	"r3 += r1\n"
	"*(u64 *)(r2 + 0) = r3\n"
	"r0 = 0\n"
	"exit\n";

/* for_each over the array (two values 16 bytes), summing into the
 * caller's stack and bumping each value in place; the callback calls a
 * subprogram (one more frame) for the arithmetic. */
static const char each_sum[] =
	"r6 = 0\n"
	"*(u64 *)(r10 - 8) = r6\n"
	"r1 = map_fd(0) ll\n"
	"r2 = func(0) ll\n"
	"r3 = r10\n"
	"r3 += -8\n"
	"r4 = 0\n"
	"call 164\n"
	"r6 = r0\n"
	"r0 = *(u64 *)(r10 - 8)\n"
	"r0 *= 100\n"
	"r0 += r6\n"
	"exit\n"
	"cb:\n"
	"r6 = r3\n"
	"r7 = r4\n"
	"r1 = *(u64 *)(r6 + 0)\n"
	"r2 = *(u32 *)(r2 + 0)\n"
	"call add\n"
	"r1 = *(u64 *)(r7 + 0)\n"
	"r1 += r0\n"
	"*(u64 *)(r7 + 0) = r1\n"
	"r1 = *(u64 *)(r6 + 0)\n"
	"r1 += 1\n"
	"*(u64 *)(r6 + 0) = r1\n"
	"r0 = 0\n"
	"exit\n"
	"add:\n"
	"r0 = r1\n"
	"r0 += r2\n"
	"exit\n";

/* bpf_loop(1, cb, ctx) recursing while ++depth < limit (limit from the
 * context memory): limit 7 is 8 frames, the most there are. */
static const char nest[] =
	"r2 = *(u64 *)(r1 + 0)\n"
	"*(u64 *)(r10 - 16) = r2\n"
	"r2 = 0\n"
	"*(u64 *)(r10 - 8) = r2\n"
	"r1 = 1\n"
	"r2 = func(0) ll\n"
	"r3 = r10\n"
	"r3 += -16\n"
	"r4 = 0\n"
	"call 181\n"
	"r0 = *(u64 *)(r10 - 8)\n"
	"exit\n"
	"cb:\n"
	"r6 = r2\n"
	"r3 = *(u64 *)(r6 + 8)\n"
	"r4 = *(u64 *)(r6 + 0)\n"
	"r3 += 1\n"
	"*(u64 *)(r6 + 8) = r3\n"
	"if r3 >= r4 goto out\n"
	"r1 = 1\n"
	"r2 = func(0) ll\n"
	"r3 = r6\n"
	"r4 = 0\n"
	"call 181\n"
	"out:\n"
	"r0 = 0\n"
	"exit\n";

/* A main program that runs its callback `cb` n times with bpf_loop (no
 * context) and returns what bpf_loop returns; the callback's body follows. */
#define LOOP_CB(n)                                                              \
	"r1 = " #n "\n"                                                       \
	"r2 = func(0) ll\n"                                                    \
	"r3 = 0\n"                                                             \
	"r4 = 0\n"                                                             \
	"call 181\n"                                                           \
	"exit\n"                                                               \
	"cb:\n"

/* bpf_loop(1000, cb): each iteration is 4 instructions of the callback. */
static const char spin[] =
	LOOP_CB(1000)
	"r0 = r1\n"
	"r0 &= 0\n"
	"r0 += 0\n"
	"exit\n";

/* The callback loads from address 0x1000. */
static const char fault[] =
	LOOP_CB(3)
	"r0 = 0\n"
	"r1 = 4096\n"
	"r0 = *(u64 *)(r1 + 0)\n"
	"exit\n";

/* The callback reads a slot of its frame it never wrote, and stops the
 * loop when that is not zero. */
static const char cb_uninit[] =
	LOOP_CB(3)
	"r0 = *(u64 *)(r10 - 8)\n"
	"r1 = *(u64 *)(r10 - 512)\n"
	"r0 |= r1\n"
	"exit\n";

/* The callback calls helper 999, which reports where it was called from. */
static const char cb_where[] =
	LOOP_CB(1)
	"call 999\n"
	"r0 = 0\n"
	"exit\n";

static const void *g_img;
static size_t g_img_len;
static int g_from_jit = -1;
static __attribute__((noinline)) uint64_t h_where(uint64_t r1, uint64_t r2, uint64_t r3,
						  uint64_t r4, uint64_t r5, struct bpfbox_exec *ex)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	g_from_jit = g_img && ra >= (uintptr_t)g_img && ra < (uintptr_t)g_img + g_img_len;
	return 0;
}

static void callbacks(void)
{
	struct cbw C;
	size_t e1[1];

	e1[0] = label_slot(loop_sum, "cb");
	if (!cb_load(&C, loop_sum, e1, 1, "loop_sum")) {
		struct outcome want = { 0, 4500 + 10, "" };
		cb_all(&C, "bpf_loop summing into the caller's stack", 0, NULL, 0, &want, true);
		if (have_jit) {
			cb_set_verified(&C, true);
			bpfbox_prog__jit(C.main, NULL);
			struct bpfbox_prog *cp = bpfbox_callback__prog(C.cb[0]);
			CHECK(cp && bpfbox_prog__jited(cp, NULL), "bpfbox_prog__jit of the caller "
			      "compiled its callback");
		}
	}
	cb_free(&C);

	e1[0] = label_slot(each_sum, "cb");
	if (!cb_load(&C, each_sum, e1, 1, "each_sum")) {
		for (int v = 0; v <= 1; v++) {
			uint32_t k0 = 0, k1 = 1;
			uint8_t a[16] = { 5 }, b[16] = { 7 };
			bpfbox_map__update(C.W.map[0], &k0, a, 0);
			bpfbox_map__update(C.W.map[0], &k1, b, 0);
			/* each run adds 1 to both values: start from 5 and 7 */
			struct outcome want = { 0, (5 + 0 + 7 + 1) * 100 + 2, "" };
			for (size_t k = 0; k < NENGINES; k++) {
				cb_set_verified(&C, v);
				if (engines[k].engine == BPFBOX_ENGINE_JIT &&
				    (!have_jit || bpfbox_prog__jit(C.main, NULL)))
					continue;
				bpfbox_map__update(C.W.map[0], &k0, a, 0);
				bpfbox_map__update(C.W.map[0], &k1, b, 0);
				struct outcome o;
				cb_run(&C, engines[k].engine, 0, NULL, 0, &o);
				uint8_t after[16];
				bpfbox_map__lookup(C.W.map[0], &k1, after);
				CHECK(o.err == 0 && o.r0 == want.r0 && after[0] == 8,
				      "for_each with a subprogram call in the callback [%s, %s]: r0 %llu "
				      "(want %llu), value %u '%s'", engines[k].name,
				      v ? "verified" : "checked", (unsigned long long)o.r0,
				      (unsigned long long)want.r0, after[0], o.msg);
			}
		}
	}
	cb_free(&C);

	e1[0] = label_slot(nest, "cb");
	if (!cb_load(&C, nest, e1, 1, "nest")) {
		uint64_t limit = 7;
		struct outcome want = { 0, 7, "" };
		cb_all(&C, "callbacks nested 7 deep (8 frames)", 0, (uint8_t *)&limit, 8, &want, true);
		limit = 8;
		size_t call = 0;
		for (size_t i = label_slot(nest, "cb"); i < C.n; i++)
			if (C.insns[i].code == 0x85 && C.insns[i].imm == 181)
				call = i;
		struct outcome deep = { -EOVERFLOW, 0, "" };
		snprintf(deep.msg, sizeof(deep.msg), "insn %zu: call depth exceeds 8 frames", call);
		cb_all(&C, "callbacks nested 8 deep (a 9th frame)", 0, (uint8_t *)&limit, 8, &deep,
		       true);
	}
	cb_free(&C);

	e1[0] = label_slot(spin, "cb");
	if (!cb_load(&C, spin, e1, 1, "spin")) {
		/* 1000 iterations of 4 need more than 3000: the run's budget
		 * runs out inside a callback, at the same instruction
		 * everywhere, and the message names the run's whole budget */
		struct outcome want = { -ELOOP, 0, "budget exhausted (3000 instructions)" };
		cb_all(&C, "budget shared with callbacks", 3000, NULL, 0, &want, false);
		struct outcome at[NENGINES];
		size_t got = 0;
		for (size_t k = 0; k < NENGINES; k++) {
			if (engines[k].engine == BPFBOX_ENGINE_JIT && (!have_jit || bpfbox_prog__jit(C.main, NULL)))
				continue;
			cb_run(&C, engines[k].engine, 3000, NULL, 0, &at[got++]);
		}
		bool same = got >= 2;
		for (size_t k = 1; k < got; k++)
			same &= !strcmp(at[k].msg, at[0].msg);
		CHECK(same && strstr(at[0].msg, "insn ") && atoi(strstr(at[0].msg, "insn ") + 5) >=
		      (int)label_slot(spin, "cb"), "the budget runs out at the same callback "
		      "instruction on every engine: '%s'", at[0].msg);
		struct outcome enough = { 0, 1000, "" };
		cb_all(&C, "the same run with budget enough", 4100, NULL, 0, &enough, false);
	}
	cb_free(&C);

	e1[0] = label_slot(fault, "cb");
	if (!cb_load(&C, fault, e1, 1, "fault")) {
		size_t at = find_insn(C.insns, C.n, 0x79, 0);
		struct outcome want = { -EFAULT, 0, "" };
		snprintf(want.msg, sizeof(want.msg), "insn %zu: out-of-bounds load of 8 bytes at 0x1000",
			 at);
		cb_all(&C, "a fault inside a callback", 0, NULL, 0, &want, false);
	}
	cb_free(&C);

	e1[0] = label_slot(cb_uninit, "cb");
	if (!cb_load(&C, cb_uninit, e1, 1, "cb_uninit")) {
		/* verified with zero_stack: every callback frame is zero */
		struct outcome want = { 0, 3, "" };
		cb_all(&C, "a callback reading its unwritten frame", 0, NULL, 0, &want, true);
	}
	cb_free(&C);

	e1[0] = label_slot(cb_where, "cb");
	if (!cb_load(&C, cb_where, e1, 1, "cb_where")) {
		bpfbox_vm__set_helper(C.W.vm, 999, "where", h_where, NULL);
		if (!have_jit) {
			SKIP("callbacks on JIT code: no JIT on this host");
		} else {
			for (int v = 0; v <= 1; v++) {
				cb_set_verified(&C, v);
				bpfbox_prog__jit(C.main, NULL);
				g_img = bpfbox_prog__jited(bpfbox_callback__prog(C.cb[0]), &g_img_len);
				struct outcome o;
				g_from_jit = -1;
				cb_run(&C, BPFBOX_ENGINE_JIT, 0, NULL, 0, &o);
				CHECK(o.err == 0 && g_from_jit == 1, "%s JIT run: the callback runs on its "
				      "own JIT code (%d)", v ? "verified" : "checked", g_from_jit);
				g_from_jit = -1;
				cb_run(&C, BPFBOX_ENGINE_INTERP, 0, NULL, 0, &o);
				CHECK(o.err == 0 && g_from_jit == 0, "%s interpreter run: the callback "
				      "runs on the interpreter (%d)", v ? "verified" : "checked",
				      g_from_jit);
			}
		}
	}
	cb_free(&C);
}

/* Objects through the loader: examples/loop_each.bpf.c (bpf_loop and
 * for_each) and tests/unit/harden_nest.bpf.c (callbacks inside callbacks,
 * 8 frames), fresh for every run (they keep state in globals), checked and
 * marked verified, on every engine; and harden_nest in the kernel. */
/* An object opened and loaded into a fresh VM with bpfbox's helpers. */
struct loaded {
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
	struct bpfbox_object *o;
};

static int obj_load(struct loaded *L, const char *path, struct bpfbox_log *log)
{
	*L = (struct loaded){ 0 };
	BPFBOX_OPTS(bpfbox_vm_opts, vo);
	int e = bpfbox_env__new(&L->env, NULL);
	bpfbox_env__vm_opts(L->env, &vo);
	if (!e)
		e = bpfbox_vm__new(&L->vm, &vo);
	if (!e)
		e = bpfbox_env__attach(L->env, L->vm);
	BPFBOX_OPTS(bpfbox_object_opts, oo, .log = log);
	BPFBOX_OPTS(bpfbox_object_load_opts, lo, .log = log);
	if (!e)
		e = bpfbox_object__open_file(path, &oo, &L->o);
	if (!e)
		e = bpfbox_object__load(L->o, L->vm, L->env, &lo);
	return e;
}

static void obj_unload(struct loaded *L)
{
	bpfbox_object__free(L->o);
	bpfbox_vm__free(L->vm);
	bpfbox_env__free(L->env);
}

static int obj_run(const char *path, const char *prog, bool verified, int engine, uint64_t *r0,
		   char *why, size_t whysz)
{
	char lb[1024] = "";
	struct bpfbox_log log = { .buf = lb, .size = sizeof(lb), .level = BPFBOX_LOG_ERROR };
	struct loaded L;
	int e = obj_load(&L, path, &log);
	struct bpfbox_object *o = L.o;
	struct bpfbox_obj_prog *op = e ? NULL : bpfbox_object__find_prog(o, prog);
	if (!op) {
		snprintf(why, whysz, "load: %s", lb[0] ? lb : strerror(-e));
		e = e ? e : -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < bpfbox_object__prog_count(o); i++)
		bpfbox_obj_prog__set_verified(bpfbox_object__prog(o, i), verified);
	struct bpfbox_prog *p = bpfbox_obj_prog__handle(op);
	if (engine == BPFBOX_ENGINE_JIT && (e = bpfbox_prog__jit(p, NULL))) {
		snprintf(why, whysz, "jit: %d", e);
		goto out;
	}
	uint8_t ctx[64] = { 0 };
	BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engine, .mem = ctx, .mem_len = sizeof(ctx),
		    .log = &log);
	e = run_dirty(p, &ro, r0);
	if (e)
		snprintf(why, whysz, "run: %s", lb);
out:
	obj_unload(&L);
	return e;
}

static void objects(void)
{
	static const struct {
		const char *src, *name, *prog;
		uint64_t expect;
	} objs[] = {
		{ "examples/loop_each.bpf.c", "loop_each", "loops", 127 },
		{ "tests/unit/harden_nest.bpf.c", "harden_nest", "nest", 31 },
	};
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char obj[512];
		snprintf(obj, sizeof(obj), "%s/tests/%s.o", check_build_dir(), objs[i].name);
		if (check_compile_bpf(objs[i].src, obj, true)) {
			SKIP("%s: clang could not compile it (is clang installed?)", objs[i].src);
			continue;
		}
		for (int v = 0; v <= 1; v++)
			for (size_t k = 0; k < NENGINES; k++) {
				if (engines[k].engine == BPFBOX_ENGINE_JIT && !have_jit)
					continue;
				uint64_t r0 = 0;
				char why[1100] = "";
				int e = obj_run(obj, objs[i].prog, v, engines[k].engine, &r0, why,
						sizeof(why));
				CHECK(e == 0 && r0 == objs[i].expect, "%s/%s [%s, %s]: r0 %llu (want %llu) %s",
				      objs[i].name, objs[i].prog, engines[k].name,
				      v ? "verified" : "checked", (unsigned long long)r0,
				      (unsigned long long)objs[i].expect, why);
			}
	}
	/* the loader carries the verifier's stack verdict: a program that
	 * reads only stack it wrote runs without zeroing once verified */
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char obj[512];
		snprintf(obj, sizeof(obj), "%s/tests/%s.o", check_build_dir(), objs[i].name);
		struct loaded L;
		int e = obj_load(&L, obj, NULL);
		struct bpfbox_object *o = L.o;
		struct bpfbox_obj_prog *op = e ? NULL : bpfbox_object__find_prog(o, objs[i].prog);
		struct bpfbox_verify_stats st = { .sz = sizeof(st) };
		BPFBOX_OPTS(bpfbox_obj_verify_opts, vopt, .stats = &st, .mark = true);
		e = op ? bpfbox_obj_prog__verify(o, op, &vopt) : -ENOENT;
		struct bpfbox_prog *p = op ? bpfbox_obj_prog__handle(op) : NULL;
		bool want = st.uninit_stack_insn >= 0;
		CHECK(e == 0 && p && bpfbox_prog__verified(p) && bpfbox_prog__zero_stack(p) == want,
		      "%s/%s: verified through the object, zero_stack %d as the verifier found "
		      "(first read of unwritten stack: %lld)", objs[i].name, objs[i].prog, want,
		      (long long)st.uninit_stack_insn);
		if (op) {
			bpfbox_obj_prog__set_verified(op, false);
			bpfbox_obj_prog__set_verified(op, true);
			CHECK(p && bpfbox_prog__zero_stack(p) == want,
			      "%s/%s: marking it verified again keeps the verdict", objs[i].name,
			      objs[i].prog);
		}
		obj_unload(&L);
	}
	/* the kernel agrees on the nested callbacks (root, bpf() allowed) */
	char obj[512];
	snprintf(obj, sizeof(obj), "%s/tests/harden_nest.o", check_build_dir());
	libbpf_set_print(NULL);
	struct bpf_object *ko = bpf_object__open(obj);
	if (!ko || bpf_object__load(ko)) {
		SKIP("harden_nest in the kernel: it could not be loaded (%s)",
		     ko ? "bpf() refused or verifier rejected" : "no object");
	} else {
		struct bpf_program *kp = bpf_object__find_program_by_name(ko, "nest");
		LIBBPF_OPTS(bpf_test_run_opts, t);
		int e = kp ? bpf_prog_test_run_opts(bpf_program__fd(kp), &t) : -ENOENT;
		CHECK(e == 0 && t.retval == 31, "harden_nest/nest in the kernel: retval %u (bpfbox: 31)",
		      t.retval);
	}
	bpf_object__close(ko);
}

/* ---- 3. trace_printk / snprintf memory ---------------------------------------- */

/* The hook's memory: "user" strings at USER_BASE, nothing else; every
 * call is counted by kind. */
#define USER_BASE 0x10000000ull
static const char user_mem[] = "user-str\0";
static int user_reads, kernel_reads;

static int fake_read(void *ud, uint64_t addr, void *dst, size_t len, bool user)
{
	if (user)
		user_reads++;
	else
		kernel_reads++;
	if (user && addr >= USER_BASE && addr + len <= USER_BASE + sizeof(user_mem)) {
		memcpy(dst, user_mem + (addr - USER_BASE), len);
		return 0;
	}
	return -EFAULT;
}

/* snprintf(ctx + 0, 64, ctx + 64, ctx + 128, 8 * nargs) after storing
 * "stk" on the stack and its address as argument 0; r0 = the result. */
static const char fmt_prog[] =
	"r6 = r1\n"
	"r1 = 0x6b7473\n"
	"*(u64 *)(r10 - 8) = r1\n"
	"r1 = r10\n"
	"r1 += -8\n"
	"*(u64 *)(r6 + 128) = r1\n"
	"r1 = r6\n"
	"r2 = 64\n"
	"r3 = r6\n"
	"r3 += 64\n"
	"r4 = r6\n"
	"r4 += 128\n"
	"r5 = 16\n"
	"call 165\n"
	"exit\n";

struct fmtcase {
	const char *fmt;
	int arg1;       /* argument 1: 0 none, 1 user string, 2 ctx string, 3 ctx IP bytes, 4 number */
	uint64_t num;   /* argument 1 when arg1 == 4 */
	const char *out;
	int ret;        /* 0: strlen(out) + 1 */
	int user, kernel; /* hook reads expected: -1 any, else exactly (0) or at least (1) */
};

static const struct fmtcase fcases[] = {
	{ "%s", 0, 0, "stk", 0, 0, 0 },                /* the run's stack: read directly */
	{ "%s|%s", 2, 0, "stk|ctx-str", 0, 0, 0 },     /* the run's context: directly */
	{ "%s|%s", 1, 0, "stk|user-str", 0, 1, 0 },    /* elsewhere: user memory */
	{ "%pks|%pus", 1, 0, "stk|user-str", 0, 1, 0 },
	{ "%pus", 0, 0, "", 0, 1, 0 },                 /* user read of the stack fails */
	{ "%s|%pks", 1, 0, "stk|", 0, 0, 1 },          /* kernel read of user memory fails */
	{ "%s %pI4", 3, 0, "stk 192.168.0.1", 0, 0, 0 },
	{ "%s %pi4", 3, 0, "stk 192.168.000.001", 0, 0, 0 },
	{ "%s %pI6", 3, 0, "stk c0a8:0001:2001:0db8:0000:0000:0000:0001", 0, 0, 0 },
	{ "%s %pi6", 3, 0, "stk c0a8000120010db80000000000000001", 0, 0, 0 },
	{ "%s %pI4", 4, 8, "stk 0.0.0.0", 0, -1, 1 },  /* unreadable: zeros, as the kernel */
	{ "%s %pB", 4, 0x1234, "stk 0x1234", 0, 0, 0 },
	{ "%s %ps", 4, 0x1234, "stk 0x1234", 0, 0, 0 },
	{ "%s %pS.", 4, 0x1234, "stk 0x1234.", 0, 0, 0 },
	{ "%s %p", 4, 0x10, "stk 0000000000000010", 0, 0, 0 },
	{ "%s %5d", 4, 42, "stk    42", 0, 0, 0 },
	{ "%sx", 0, 0, "", -EINVAL, 0, 0 },            /* a letter after %s */
	{ "%s %pa", 4, 1, "", -EINVAL, 0, 0 },         /* unknown %p form */
	{ "%s %pksx", 2, 0, "", -EINVAL, 0, 0 },
};

static void fmt_tests(void)
{
	struct world W;
	world_new(&W);
	struct bpfbox_prog *p = w_load(&W, fmt_prog, "fmt");
	if (!p)
		goto out;
	struct bpfbox_hook_env h;
	memset(&h, 0, sizeof(h));
	h.sz = sizeof(h);
	bpfbox_hook_env__self(&h);
	h.read_mem = fake_read;
	for (int v = 0; v <= 1; v++) {
		bpfbox_prog__set_verified(p, v);
		bool jit = have_jit && bpfbox_prog__jit(p, NULL) == 0;
		for (size_t k = 0; k < NENGINES; k++) {
			if (engines[k].engine == BPFBOX_ENGINE_JIT && !jit)
				continue;
			for (size_t i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
				const struct fmtcase *c = &fcases[i];
				uint8_t ctx[256] = { 0 };
				memset(ctx, 0x5a, 64);
				snprintf((char *)ctx + 64, 64, "%s", c->fmt);
				uint64_t a1 = 0;
				static const uint8_t ip[16] = { 192, 168, 0, 1, 0x20, 0x01, 0x0d, 0xb8,
								0, 0, 0, 0, 0, 0, 0, 1 };
				memcpy(ctx + 224, "ctx-str", 8);
				memcpy(ctx + 240, ip, 16);
				switch (c->arg1) {
				case 1: a1 = USER_BASE; break;
				case 2: a1 = (uint64_t)(uintptr_t)(ctx + 224); break;
				case 3: a1 = (uint64_t)(uintptr_t)(ctx + 240); break;
				case 4: a1 = c->num; break;
				}
				memcpy(ctx + 136, &a1, 8);
				user_reads = kernel_reads = 0;
				BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engines[k].engine, .mem = ctx,
					    .mem_len = sizeof(ctx), .hook = &h);
				uint64_t r0 = 0;
				int e = bpfbox_prog__run(p, &ro, &r0);
				int want = c->ret ? c->ret : (int)strlen(c->out) + 1;
				bool reads = (c->user < 0 || (c->user ? user_reads > 0 : user_reads == 0)) &&
					     (c->kernel < 0 || (c->kernel ? kernel_reads > 0 : kernel_reads == 0));
				bool text = c->ret || !strcmp((char *)ctx, c->out);
				/* the buffer is written to its end on every path */
				bool tail = true;
				for (int b = 0; b < 64; b++)
					tail &= ctx[b] != 0x5a;
				CHECK_QUIET(e == 0 && (int)(int64_t)r0 == want && text && reads && tail,
					    "snprintf '%s' [%s, %s]: '%s' r0 %d (want '%s' %d), user reads "
					    "%d, kernel reads %d", c->fmt, engines[k].name,
					    v ? "verified" : "checked", c->ret ? "" : (char *)ctx,
					    (int)(int64_t)r0, c->out, want, user_reads, kernel_reads);
			}
		}
	}
	CHECK(1, "snprintf: %zu format cases on every engine, checked and verified",
	      sizeof(fcases) / sizeof(fcases[0]));

	/* trace_printk with %s of the stack and of user memory, hook output */
	char *tb = NULL;
	size_t tl = 0;
	FILE *tf = open_memstream(&tb, &tl);
	h.trace_out = tf;
	struct bpfbox_prog *tp = w_load(&W,
		"r1 = 0x6b7473\n*(u64 *)(r10 - 8) = r1\nr1 = 0x7325207325 ll\n*(u64 *)(r10 - 16) = r1\n"
		"r1 = r10\nr1 += -16\nr2 = 6\nr3 = r10\nr3 += -8\nr4 = 0x10000000\ncall 6\nexit\n",
		"printk");
	if (tp) {
		uint8_t ctx[8];
		BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = ctx, .mem_len = 8, .hook = &h);
		uint64_t r0 = 0;
		user_reads = kernel_reads = 0;
		int e = bpfbox_prog__run(tp, &ro, &r0);
		fflush(tf);
		CHECK(e == 0 && tb && strstr(tb, "bpf_trace_printk: stk user-str") && user_reads > 0,
		      "trace_printk '%%s %%s' of the stack and of user memory: '%.*s'",
		      tb ? (int)strcspn(tb, "\n") : 0, tb ? tb : "");
	}
	bpfbox_prog__free(tp);
	fclose(tf);
	free(tb);
out:
	bpfbox_prog__free(p);
	world_free(&W);
}

int main(void)
{
	have_jit = bpfbox_jit__available();
	uninit_vectors();
	zero_marks();
	zero_into_map();
	zero_helper_outputs();
	zero_tail_call();
	callbacks();
	objects();
	fmt_tests();
	return check_summary();
}
