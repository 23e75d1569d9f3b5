/* bpfbox — tests/fuzz/fuzz_jit.c: libFuzzer target, interpreter vs JIT.
 *
 * Build (tests/fuzz/run-fuzz does this):
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -Ibuild/gen \
 *         src/isa/ src/util/ src/vm/ src/jit/ (every .c) tests/fuzz/fuzz_jit.c
 * The input bytes drive the program generator (jit_gen.h), so coverage of
 * the JIT and the interpreter steers which programs get generated.  A
 * mismatch between the engines, or a program the JIT refuses, aborts with
 * the difference and the program's slots on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include "jit_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct diff_env *e;
	static struct gen_case_buf *b;
	static struct gen_tables t;
	if (!e) {
		e = malloc(sizeof(*e));
		b = malloc(sizeof(*b));
		if (!e || !b || diff_env_init(e))
			abort();
		gen_tables_init(&t);
	}
	struct gen_rng r;
	gen_rng_bytes(&r, data, size);
	int rc = gen_and_check(e, &t, &r, b, size & 1);
	if (rc == 0 || (rc < 0 && !strncmp(e->last_diff, "jit", 3))) {
		fprintf(stderr, "fuzz_jit: %s: %s\n", rc == 0 ? "MISMATCH" : "JIT refused", e->last_diff);
		gen_print(stderr, &b->main);
		abort();
	}
	return 0;
}
