/* bpfbox — tests/fuzz/fuzz_jit_driver.c: the differential fuzzer without
 * libFuzzer.
 *
 *   fuzz_jit_driver [-n PROGRAMS] [-t SECONDS] [-s SEED] [-b]
 *
 * Generates programs from consecutive seeds (jit_gen.h), runs each on the
 * interpreter and the JIT in checked mode (and a constant-blinded JIT with
 * -b, or on every fourth program by default) and compares r0, memory and
 * errors (jit_diff.h).  Stops after PROGRAMS programs or SECONDS seconds,
 * whichever comes first; prints the first mismatches with their seed and
 * program, then a summary.  Exit status 1 on any mismatch or JIT refusal.
 * The last line has the test suites' form "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "jit_gen.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long max = 100000, seed = 1;
	double secs = 0;
	int blind_every = 4;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			max = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-b"))
			blind_every = 1;
		else {
			fprintf(stderr, "usage: %s [-n PROGRAMS] [-t SECONDS] [-s SEED] [-b]\n", argv[0]);
			return 2;
		}
	}
	struct diff_env *e = malloc(sizeof(*e));
	struct gen_case_buf *b = malloc(sizeof(*b));
	struct gen_tables t;
	if (!e || !b || diff_env_init(e)) {
		fprintf(stderr, "fuzz_jit_driver: cannot set up\n");
		return 2;
	}
	gen_tables_init(&t);
	double t0 = now();
	unsigned long long done = 0, bad = 0, refused = 0, errors = 0;
	for (unsigned long long i = 0; i < max; i++) {
		if (secs > 0 && (i & 255) == 0 && now() - t0 > secs)
			break;
		struct gen_rng r;
		gen_rng_seed(&r, seed + i);
		int rc = gen_and_check(e, &t, &r, b, blind_every && i % (unsigned)blind_every == 0);
		done++;
		if (rc == 1)
			continue;
		if (rc == 0)
			bad++;
		else if (!strncmp(e->last_diff, "jit", 3))
			refused++;
		else
			errors++;
		if (bad + refused <= 5 && (rc == 0 || !strncmp(e->last_diff, "jit", 3))) {
			printf("FAIL seed %llu: %s\n", seed + i, e->last_diff);
			gen_print(stdout, &b->main);
		}
	}
	double dt = now() - t0;
	printf("# fuzz-jit: %llu programs (seeds %llu..%llu) in %.1f s, %llu runs, "
	       "%llu mismatches, %llu JIT refusals, %llu not loadable\n",
	       done, seed, seed + done - 1, dt, e->runs, bad, refused, errors);
	printf("# interpreter outcomes: %llu ok, %llu EFAULT, %llu ELOOP, %llu ENOENT, %llu EOVERFLOW, "
	       "%llu ECANCELED, %llu ENOTSUP, %llu other\n",
	       e->outcome[0], e->outcome[1], e->outcome[2], e->outcome[3], e->outcome[4],
	       e->outcome[5], e->outcome[6], e->outcome[7]);
	printf("%d passed, %d failed\n", bad || refused ? 0 : 1, bad || refused ? 1 : 0);
	diff_env_fini(e);
	free(e);
	free(b);
	return bad || refused ? 1 : 0;
}
