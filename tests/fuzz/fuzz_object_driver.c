/* bpfbox — tests/fuzz/fuzz_object_driver.c: the loader fuzzer without
 * libFuzzer.
 *
 *   fuzz_object_driver [-n ITERS] [-t SECONDS] [-s SEED] SEED.o...
 *
 * Each iteration takes a seed object and applies a few random mutations
 * that hit the places a loader trusts: bytes anywhere (biased towards the
 * ELF header, the section header table and the symbol/relocation tables),
 * 16/32/64-bit fields set to boundary values (0, 1, -1, 0x7fffffff, sizes
 * of the file), truncation, duplication of a range.  Runs fuzz_object_one()
 * on the result.  Prints "# N executions in S s" and exits 0 when nothing
 * crashed (a crash ends the process, which the caller sees).  Build with
 * -fsanitize=address,undefined for the sanitizers' verdict.
 */
#include <stdlib.h>
#include <time.h>
#include "fuzz_object.h"
#include "../unit/check.h" /* check_read_file */

static uint64_t rng;

static uint64_t next(void)
{
	rng += 0x9e3779b97f4a7c15ull;
	uint64_t z = rng;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A position, biased to the structures a loader parses. */
static size_t where(const uint8_t *b, size_t n)
{
	if (n < 64)
		return next() % (n ? n : 1);
	uint64_t shoff;
	memcpy(&shoff, b + 40, 8);
	switch (next() % 4) {
	case 0:
		return next() % 64;
	case 1:
		if (shoff < n)
			return (size_t)(shoff + next() % (n - shoff));
		return next() % n;
	default:
		return next() % n;
	}
}

static void mutate(uint8_t *b, size_t *n, size_t cap)
{
	static const uint64_t special[] = { 0, 1, 2, 8, 0x7f, 0x80, 0xff, 0x7fff, 0xffff,
					    0x7fffffff, 0xffffffff, 0x80000000, ~0ull };
	int k = 1 + (int)(next() % 4);
	while (k-- && *n) {
		size_t at = where(b, *n);
		switch (next() % 6) {
		case 0:
			b[at] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:
			b[at] = (uint8_t)next();
			break;
		case 2: {
			unsigned w = 1u << (1 + next() % 3); /* 2, 4, 8 bytes */
			uint64_t v = next() % 2 ? special[next() % 13] : (uint64_t)*n - next() % 64;
			if (at + w <= *n)
				memcpy(b + at, &v, w);
			break;
		}
		case 3:
			*n = at ? at : 1;
			break;
		case 4: { /* copy a range over another */
			size_t from = where(b, *n), len = next() % 64;
			if (from + len <= *n && at + len <= *n)
				memmove(b + at, b + from, len);
			break;
		}
		case 5: /* grow with garbage */
			if (*n + 16 <= cap) {
				for (int i = 0; i < 16; i++)
					b[(*n)++] = (uint8_t)next();
			}
			break;
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long long iters = 100000, seed = 1;
	double secs = 0;
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first += 2) {
		if (first + 1 >= argc)
			return 2;
		if (!strcmp(argv[first], "-n"))
			iters = strtoull(argv[first + 1], NULL, 0);
		else if (!strcmp(argv[first], "-t"))
			secs = atof(argv[first + 1]);
		else if (!strcmp(argv[first], "-s"))
			seed = strtoull(argv[first + 1], NULL, 0);
		else
			return 2;
	}
	int nseeds = argc - first;
	if (nseeds <= 0) {
		fprintf(stderr, "usage: %s [-n N] [-t S] [-s SEED] SEED.o...\n", argv[0]);
		return 2;
	}
	uint8_t **seeds = calloc((size_t)nseeds, sizeof(*seeds));
	size_t *lens = calloc((size_t)nseeds, sizeof(*lens)), maxlen = 0;
	for (int i = 0; i < nseeds; i++) {
		seeds[i] = (uint8_t *)check_read_file(argv[first + i], &lens[i]);
		if (!seeds[i]) {
			fprintf(stderr, "cannot read %s\n", argv[first + i]);
			return 2;
		}
		if (lens[i] > maxlen)
			maxlen = lens[i];
	}
	rng = seed;
	uint8_t *buf = malloc(maxlen + 4096);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long done = 0;
	for (; done < iters; done++) {
		if (secs > 0 && done % 64 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
				break;
		}
		int s = (int)(next() % (uint64_t)nseeds);
		size_t n = lens[s];
		memcpy(buf, seeds[s], n);
		mutate(buf, &n, maxlen + 4096);
		fuzz_object_one(buf, n);
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	printf("# %llu executions in %.1f s (seed %llu), no crash\n", done,
	       (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9, seed);
	for (int i = 0; i < nseeds; i++)
		free(seeds[i]);
	free(seeds);
	free(lens);
	free(buf);
	if (fuzz_devnull)
		fclose(fuzz_devnull);
	return 0;
}
