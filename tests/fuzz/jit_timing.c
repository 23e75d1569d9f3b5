/* bpfbox — tests/fuzz/jit_timing.c: interpreter vs JIT timing harness.
 *
 *   jit_timing PROG.bin MEM.bin ITERS
 *
 * Runs a raw program (r1 = the buffer, r2 = its length) on the
 * interpreter and on the JIT, each in checked mode (unverified: memory
 * checks and budget) and verified mode (no checks; the bench programs only
 * read [r1, r1 + r2)), and prints one line per engine:
 *   ENGINE ns_per_run=N result=R
 * Timing as bench/native.c does it: N/10 untimed warm-up runs, then N runs
 * in 10 chunks on the thread CPU clock; the median chunk gives ns_per_run.
 * Not a test (tests never time): tests/fuzz/jit-timing interleaves it with
 * the native build and prints ratios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpfbox/jit.h"
#include "bpfbox/vm.h"
#include "../unit/check.h" /* check_read_file */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int timed(struct bpfbox_prog *p, int engine, void *mem, size_t len, long iters,
		 uint64_t *ns, uint64_t *result)
{
	BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = mem, .mem_len = len, .engine = engine,
		    .insn_budget = 1ull << 40);
	uint64_t r0 = 0, t[10];
	for (long i = 0; i < (iters / 10 > 0 ? iters / 10 : 1); i++)
		if (bpfbox_prog__run(p, &ro, &r0))
			return -1;
	long chunk = iters / 10 > 0 ? iters / 10 : 1;
	for (int c = 0; c < 10; c++) {
		uint64_t t0 = now_ns();
		for (long i = 0; i < chunk; i++)
			bpfbox_prog__run(p, &ro, &r0);
		t[c] = now_ns() - t0;
	}
	qsort(t, 10, sizeof(t[0]), cmp_u64);
	*ns = (t[4] + t[5]) / 2 / (uint64_t)chunk;
	*result = r0;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: jit_timing PROG.bin MEM.bin ITERS\n");
		return 2;
	}
	size_t plen, mlen;
	void *code = check_read_file(argv[1], &plen), *mem = check_read_file(argv[2], &mlen);
	long iters = atol(argv[3]);
	if (!code || !mem || plen % 8) {
		fprintf(stderr, "jit_timing: cannot read the program or the memory\n");
		return 2;
	}
	struct bpfbox_vm *vm;
	struct bpfbox_prog *p;
	char lb[512] = "";
	struct bpfbox_log log = { .buf = lb, .size = sizeof(lb) };
	BPFBOX_OPTS(bpfbox_prog_opts, po, .log = &log);
	if (bpfbox_vm__new(&vm, NULL) || bpfbox_prog__load(vm, code, plen / 8, &po, &p)) {
		fprintf(stderr, "jit_timing: load: %s\n", lb);
		return 2;
	}
	static const struct { const char *name; bool verified; int engine; } runs[] = {
		{ "interp_checked", false, BPFBOX_ENGINE_INTERP },
		{ "jit_checked", false, BPFBOX_ENGINE_JIT },
		{ "interp_verified", true, BPFBOX_ENGINE_INTERP },
		{ "jit_verified", true, BPFBOX_ENGINE_JIT },
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		bpfbox_prog__set_verified(p, runs[i].verified);
		if (runs[i].engine == BPFBOX_ENGINE_JIT) {
			BPFBOX_OPTS(bpfbox_jit_opts, jo, .log = &log);
			if (bpfbox_prog__jit(p, &jo)) {
				fprintf(stderr, "jit_timing: %s\n", lb);
				return 1;
			}
		}
		uint64_t ns, r;
		if (timed(p, runs[i].engine, mem, mlen, iters, &ns, &r)) {
			fprintf(stderr, "jit_timing: %s failed\n", runs[i].name);
			return 1;
		}
		printf("%s ns_per_run=%llu result=%llu\n", runs[i].name, (unsigned long long)ns,
		       (unsigned long long)r);
	}
	bpfbox_prog__free(p);
	bpfbox_vm__free(vm);
	free(code);
	free(mem);
	return 0;
}
