/* bpfbox — tests/fuzz/jit_diff.h: run one program on the interpreter and
 * on the JIT and compare everything observable.
 *
 * Shared by tests/unit/test_jit.c and the differential fuzzers.  A
 * `diff_env` is a VM with a fixed set of test helpers; diff_check() loads a
 * program, runs it on the interpreter, compiles it, runs the native code on
 * the same input, and compares r0, the return code, the log text (which
 * holds the error's instruction index, address and size) and every byte of
 * the memory the program could write (its r1 buffer and the buffer helper 2
 * grants).  Both runs start from identical state: same buffers at the same
 * addresses, same budget.  Checked mode (unverified) is the fuzzers'
 * mode; the unit test also uses verified mode for programs that are safe
 * by construction.
 *
 * Helpers registered:
 *   1 mix(r1..r5)      = r1*3 + (r2 ^ r3 << 1) - r4 + r5*7
 *   2 grant()          grants a 64-byte buffer for the rest of the run, returns its address
 *   3 abort_if(r1)     aborts the run (-ECANCELED) when (r1 & 0xff) == 0x42, else returns r1
 *   5 identity(r1)     = r1
 *  12 tail_call(ctx, _, idx)  tail-calls targets[idx] when idx < ntargets (0), else returns -2
 */
#ifndef BPFBOX_JIT_DIFF_H
#define BPFBOX_JIT_DIFF_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/jit.h"
#include "bpfbox/vm.h"

#define DIFF_MEM_MAX 512
#define DIFF_GRANT 64
#define DIFF_MAX_TARGETS 4

struct diff_run {
	int err;
	uint64_t r0;
	char log[512];
	uint8_t mem[DIFF_MEM_MAX];
	uint8_t grant[DIFF_GRANT];
};

struct diff_env {
	struct bpfbox_vm *vm;
	/* per run */
	uint8_t mem[DIFF_MEM_MAX] __attribute__((aligned(16)));
	uint8_t grant[DIFF_GRANT] __attribute__((aligned(16)));
	struct bpfbox_prog *targets[DIFF_MAX_TARGETS];
	unsigned ntargets;
	/* statistics */
	unsigned long long runs, mismatches, jit_failures;
	char last_diff[1400];
	unsigned long long outcome[8]; /* interpreter results: ok, EFAULT, ELOOP, ENOENT, EOVERFLOW, ECANCELED, ENOTSUP, other */
};

static uint64_t dh_mix(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct bpfbox_exec *ex)
{
	return r1 * 3 + (r2 ^ r3 << 1) - r4 + r5 * 7;
}

static uint64_t dh_grant(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 struct bpfbox_exec *ex)
{
	struct diff_env *e = bpfbox_exec__hook(ex);
	if (!e)
		return 0;
	bpfbox_exec__grant(ex, e->grant, sizeof(e->grant), true);
	return (uint64_t)(uintptr_t)e->grant;
}

static uint64_t dh_abort_if(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	if ((r1 & 0xff) == 0x42)
		bpfbox_exec__abort(ex, -ECANCELED, "abort_if: r1 = 0x%llx", (unsigned long long)r1);
	return r1;
}

static uint64_t dh_identity(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	return r1;
}

static uint64_t dh_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			struct bpfbox_exec *ex)
{
	struct diff_env *e = bpfbox_exec__hook(ex);
	if (!e || r3 >= e->ntargets || !e->targets[r3])
		return (uint64_t)-2;
	return bpfbox_exec__tail_call(ex, e->targets[r3]) ? (uint64_t)-7 : 0;
}

static int diff_env_init(struct diff_env *e)
{
	memset(e, 0, sizeof(*e));
	int err = bpfbox_vm__new(&e->vm, NULL);
	if (err)
		return err;
	bpfbox_vm__set_helper(e->vm, 1, "mix", dh_mix, NULL);
	bpfbox_vm__set_helper(e->vm, 2, "grant", dh_grant, NULL);
	bpfbox_vm__set_helper(e->vm, 3, "abort_if", dh_abort_if, NULL);
	bpfbox_vm__set_helper(e->vm, 5, "identity", dh_identity, NULL);
	bpfbox_vm__set_helper(e->vm, 12, "tail_call", dh_tail, NULL);
	return 0;
}

static void diff_env_fini(struct diff_env *e)
{
	bpfbox_vm__free(e->vm);
	e->vm = NULL;
}

/* Resolver for the pseudo lddw forms: a value derived from the operands. */
static int diff_resolve(void *ud, unsigned src, int32_t imm, int32_t next_imm, uint64_t *value)
{
	*value = ((uint64_t)(uint32_t)next_imm << 32 | (uint32_t)imm) ^ ((uint64_t)src << 60);
	return 0;
}

/* One run of `prog` on `engine` from the initial buffers. */
static void diff_run_one(struct diff_env *e, struct bpfbox_prog *prog, int engine,
			 const uint8_t *mem0, size_t mem_len, const uint8_t *grant0,
			 uint64_t budget, bool ro, struct diff_run *out)
{
	if (mem_len)
		memcpy(e->mem, mem0, mem_len);
	memcpy(e->grant, grant0, DIFF_GRANT);
	out->log[0] = 0;
	struct bpfbox_log log = { .buf = out->log, .size = sizeof(out->log), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_run_opts, ro_, .mem = mem_len ? e->mem : NULL, .mem_len = mem_len,
		    .engine = engine, .log = &log, .hook = e, .insn_budget = budget,
		    .ctx_readonly = ro);
	out->r0 = 0;
	out->err = bpfbox_prog__run(prog, &ro_, &out->r0);
	for (char *q = out->log; *q; q++) /* one line, for messages */
		if (*q == '\n')
			*q = q[1] ? ' ' : 0;
	if (out->err)
		out->r0 = 0;
	if (mem_len)
		memcpy(out->mem, e->mem, mem_len);
	memcpy(out->grant, e->grant, DIFF_GRANT);
	e->runs++;
}

/* "instruction budget exhausted (N instructions)" -> "(* instructions)" */
static void diff_mask_budget(char *log)
{
	char *p = strstr(log, "budget exhausted (");
	if (!p)
		return;
	p += strlen("budget exhausted (");
	char *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q > p) {
		*p = '*';
		memmove(p + 1, q, strlen(q) + 1);
	}
}

/* mask_budget: when a JIT'd program tail-calls a program without JIT code,
 * the interpreter continues with the budget that is left, and its
 * exhaustion message names that number instead of the run's budget (the
 * interpreter has no other); the error and its instruction must still
 * agree. */
static bool diff_same(struct diff_run *a, struct diff_run *b, size_t mem_len, bool mask_budget,
		      char *why, size_t whylen)
{
	if (mask_budget) {
		diff_mask_budget(a->log);
		diff_mask_budget(b->log);
	}
	if (a->err != b->err) {
		snprintf(why, whylen, "error %d vs %d (%s | %s)", a->err, b->err, a->log, b->log);
		return false;
	}
	if (a->r0 != b->r0) {
		snprintf(why, whylen, "r0 0x%llx vs 0x%llx", (unsigned long long)a->r0,
			 (unsigned long long)b->r0);
		return false;
	}
	if (strcmp(a->log, b->log)) {
		snprintf(why, whylen, "log differs: [%s] vs [%s]", a->log, b->log);
		return false;
	}
	for (size_t i = 0; i < mem_len; i++)
		if (a->mem[i] != b->mem[i]) {
			snprintf(why, whylen, "mem[%zu] 0x%02x vs 0x%02x", i, a->mem[i], b->mem[i]);
			return false;
		}
	for (size_t i = 0; i < DIFF_GRANT; i++)
		if (a->grant[i] != b->grant[i]) {
			snprintf(why, whylen, "grant[%zu] 0x%02x vs 0x%02x", i, a->grant[i], b->grant[i]);
			return false;
		}
	return true;
}

struct diff_case {
	const struct bpfbox_insn *insns;
	size_t n;
	const uint8_t *mem;
	size_t mem_len;
	const uint8_t *grant;       /* NULL: zeroes */
	uint64_t budget;            /* 0: the VM's */
	bool verified;              /* run the unchecked builds */
	bool blind;                 /* also compare a blinded JIT */
	bool ro;                    /* r1 region read-only */
	/* tail-call targets: programs (insns, n) loaded next to the main one;
	 * jit_mask bit i: compile target i (else it runs on the interpreter
	 * when the JIT tail-calls it) */
	const struct bpfbox_insn *tinsns[DIFF_MAX_TARGETS];
	size_t tn[DIFF_MAX_TARGETS];
	unsigned ntargets, jit_mask;
};

/* Load, run on both engines, compare.  Returns 1 when they agree, 0 on a
 * mismatch (e->last_diff says how), -1 when the program did not load or
 * the JIT refused it (e->last_diff says why).  *interp (optional) receives
 * the interpreter's run. */
static int diff_check(struct diff_env *e, const struct diff_case *c, struct diff_run *interp)
{
	static const uint8_t zero_grant[DIFF_GRANT];
	const uint8_t *grant0 = c->grant ? c->grant : zero_grant;
	char lb[512] = "";
	struct bpfbox_log log = { .buf = lb, .size = sizeof(lb), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_prog_opts, po, .log = &log, .resolve_lddw = diff_resolve, .name = "");
	struct bpfbox_prog *prog = NULL;
	int rc = -1;
	e->ntargets = 0;
	if (bpfbox_prog__load(e->vm, c->insns, c->n, &po, &prog)) {
		snprintf(e->last_diff, sizeof(e->last_diff), "load: %s", lb);
		return -1;
	}
	for (unsigned i = 0; i < c->ntargets; i++) {
		if (bpfbox_prog__load(e->vm, c->tinsns[i], c->tn[i], &po, &e->targets[i])) {
			snprintf(e->last_diff, sizeof(e->last_diff), "load target %u: %s", i, lb);
			goto out;
		}
		e->ntargets++;
		bpfbox_prog__set_verified(e->targets[i], c->verified);
	}
	bpfbox_prog__set_verified(prog, c->verified);
	struct diff_run a, b;
	diff_run_one(e, prog, BPFBOX_ENGINE_INTERP, c->mem, c->mem_len, grant0, c->budget, c->ro, &a);
	if (interp)
		*interp = a;
	e->outcome[a.err == 0 ? 0 : a.err == -EFAULT ? 1 : a.err == -ELOOP ? 2 : a.err == -ENOENT ? 3 :
		   a.err == -EOVERFLOW ? 4 : a.err == -ECANCELED ? 5 : a.err == -ENOTSUP ? 6 : 7]++;
	for (int blind = 0; blind <= (int)c->blind; blind++) {
		BPFBOX_OPTS(bpfbox_jit_opts, jo, .log = &log, .blind = blind);
		lb[0] = 0;
		if (bpfbox_prog__jit(prog, &jo)) {
			snprintf(e->last_diff, sizeof(e->last_diff), "jit: %s", lb);
			e->jit_failures++;
			rc = -1;
			goto out;
		}
		for (unsigned i = 0; i < e->ntargets; i++)
			if ((c->jit_mask >> i & 1) && bpfbox_prog__jit(e->targets[i], &jo)) {
				snprintf(e->last_diff, sizeof(e->last_diff), "jit target: %s", lb);
				e->jit_failures++;
				rc = -1;
				goto out;
			}
		diff_run_one(e, prog, BPFBOX_ENGINE_JIT, c->mem, c->mem_len, grant0, c->budget, c->ro, &b);
		char why[1200];
		unsigned all = (1u << e->ntargets) - 1;
		struct diff_run a2 = a;
		if (!diff_same(&a2, &b, c->mem_len, e->ntargets && (c->jit_mask & all) != all, why,
			       sizeof(why))) {
			snprintf(e->last_diff, sizeof(e->last_diff), "%s%s", blind ? "(blinded) " : "", why);
			e->mismatches++;
			rc = 0;
			goto out;
		}
	}
	rc = 1;
out:
	for (unsigned i = 0; i < e->ntargets; i++) {
		bpfbox_prog__free(e->targets[i]);
		e->targets[i] = NULL;
	}
	e->ntargets = 0;
	bpfbox_prog__free(prog);
	return rc;
}

#endif
