/* bpfbox — tests/unit/check.h: the unit-test harness.
 *
 * Each tests/unit/test_*.c is its own program.  Every check prints one line,
 * "ok - what" or "not ok - what (file:line)", and main() returns
 * check_summary(), non-zero when anything failed.  tests/run-tests counts
 * those lines across all programs for the final "N passed, N failed".
 * A check that must be skipped prints "skip - what: why" (never "ok").
 */
#ifndef BPFBOX_TEST_CHECK_H
#define BPFBOX_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

static int check_passed __attribute__((unused)), check_failed __attribute__((unused));

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (cond) {                                                \
			check_passed++;                                    \
			printf("ok - ");                                   \
			printf(__VA_ARGS__);                               \
			printf("\n");                                      \
		} else {                                                   \
			check_failed++;                                    \
			printf("not ok - ");                               \
			printf(__VA_ARGS__);                               \
			printf(" (%s:%d: %s)\n", __FILE__, __LINE__, #cond); \
		}                                                          \
	} while (0)

/* Quiet variant for loops over many cases: prints only failures (at most
 * `CHECK_QUIET_MAX` of them) and counts successes. */
#define CHECK_QUIET_MAX 20
static int check_quiet_reported __attribute__((unused));
#define CHECK_QUIET(cond, ...)                                             \
	do {                                                               \
		if (cond) {                                                \
			check_passed++;                                    \
		} else {                                                   \
			check_failed++;                                    \
			if (check_quiet_reported++ < CHECK_QUIET_MAX) {    \
				printf("not ok - ");                       \
				printf(__VA_ARGS__);                       \
				printf(" (%s:%d)\n", __FILE__, __LINE__);  \
			}                                                  \
		}                                                          \
	} while (0)

#define CHECK_EQ_U64(a, b, what)                                                   \
	do {                                                                       \
		unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
		CHECK(_a == _b, "%s: got 0x%llx want 0x%llx", what, _a, _b);        \
	} while (0)

#define SKIP(...)                        \
	do {                             \
		printf("skip - ");       \
		printf(__VA_ARGS__);     \
		printf("\n");            \
	} while (0)

/* The whole file at path, NUL-terminated (malloc'd; *n its size when n is
 * not NULL), or NULL. */
static inline char *check_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = sz >= 0 ? malloc((size_t)sz + 1) : NULL;
	if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
		free(b);
		b = NULL;
	}
	if (b) {
		b[sz] = 0;
		if (n)
			*n = (size_t)sz;
	}
	fclose(f);
	return b;
}

/* The build directory the tests run against ($BUILD, default "build"). */
static inline const char *check_build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

/* Compile restricted C `src` to the BPF object `out` the way the examples
 * are built (clang -O2 -g -target bpf, examples/ on the include path);
 * clang's messages go to stderr, or nowhere when `quiet`.  0 on success. */
static inline int check_compile_bpf(const char *src, const char *out, bool quiet)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I/usr/include/$(uname -m)-linux-gnu "
		 "-Iexamples -c %s -o %s %s",
		 src, out, quiet ? "2>/dev/null" : "1>&2");
	return system(cmd);
}

static inline int check_summary(void)
{
	/* Bulk checks (CHECK_QUIET) are folded into one visible line each run so
	 * the runner's count reflects them. */
	printf("# %d checks passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
