/* bpfbox — test_vm.c: VM services that helpers use, on both engines.
 *
 * Tail calls keep the run's mode: a verified (unchecked) run may not
 * continue into an unverified program — that would run unproven code
 * without checks — while a checked run may enter anything. */
#include <errno.h>
#include "check.h"
#include "bpfbox/jit.h"
#include "bpfbox/vm.h"

static struct bpfbox_prog *g_target;

/* helper 12 (tail_call's number): tail-call g_target; returns 0 or the
 * error, like the kernel's helper returns on failure */
static uint64_t h_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct bpfbox_exec *ex)
{
	return (uint64_t)(int64_t)bpfbox_exec__tail_call(ex, g_target);
}

#define INSN(c, d, s, o, i) { .code = c, .dst = d, .src = s, .off = o, .imm = i }

int main(void)
{
	/* main: r0 = helper12(); if it returns, r0 = 100 + (r0 == -EPERM) */
	struct bpfbox_insn main_p[] = {
		INSN(0x85, 0, 0, 0, 12),        /* call 12 */
		INSN(0xbf, 6, 0, 0, 0),         /* r6 = r0 */
		INSN(0xb7, 0, 0, 0, 100),       /* r0 = 100 */
		INSN(0x55, 6, 0, 1, -EPERM),    /* if r6 != -EPERM goto +1 */
		INSN(0x07, 0, 0, 0, 1),         /* r0 += 1 */
		INSN(0x95, 0, 0, 0, 0),
	};
	struct bpfbox_insn target_p[] = {
		INSN(0xb7, 0, 0, 0, 7),         /* r0 = 7 */
		INSN(0x95, 0, 0, 0, 0),
	};
	struct bpfbox_vm *vm;
	CHECK(bpfbox_vm__new(&vm, NULL) == 0, "vm");
	bpfbox_vm__set_helper(vm, 12, "tail_call", h_tail, NULL);
	struct bpfbox_prog *m, *t;
	CHECK(bpfbox_prog__load(vm, main_p, 6, NULL, &m) == 0 && bpfbox_prog__load(vm, target_p, 2, NULL, &t) == 0,
	      "load");
	g_target = t;
	bool have_jit = bpfbox_prog__jit(m, NULL) == 0;
	for (int jit = 0; jit <= have_jit; jit++) {
		const char *eng = jit ? "jit" : "interp";
		for (int mv = 0; mv <= 1; mv++)
			for (int tv = 0; tv <= 1; tv++) {
				bpfbox_prog__set_verified(m, mv);
				bpfbox_prog__set_verified(t, tv);
				if (jit) { /* recompile for the mode */
					bpfbox_prog__jit(m, NULL);
					bpfbox_prog__jit(t, NULL);
				}
				uint64_t r0 = 0;
				BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = jit ? BPFBOX_ENGINE_JIT : BPFBOX_ENGINE_INTERP);
				int err = bpfbox_prog__run(m, &ro, &r0);
				uint64_t want = (mv && !tv) ? 101 : 7;
				CHECK(err == 0 && r0 == want,
				      "%s: %s main tail-calls %s target: r0 = %llu (want %llu, err %d)", eng,
				      mv ? "verified" : "checked", tv ? "verified" : "unverified",
				      (unsigned long long)r0, (unsigned long long)want, err);
			}
	}
	bpfbox_prog__free(m);
	bpfbox_prog__free(t);
	bpfbox_vm__free(vm);
	return check_summary();
}
