/* bpfbox — bench/native.c: the native baseline for `make bench`.
 *
 *   native gen DIR                   write the benchmark inputs into DIR
 *   native run NAME FILE ITERS       time bench_NAME over FILE's bytes
 *
 * Timing is the same as `bpfbox bench`: max(1, N/10) untimed warm-up runs,
 * then N runs in 10 chunks timed with the thread's CPU clock; the median
 * chunk divided by its run count is ns_per_run.  The programs are the same
 * sources bpfbox runs (bench/progs/*.c), compiled with gcc -O2. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "progs/checksum.c"
#include "progs/loop.c"
#include "progs/search.c"
#include "progs/parse.c"
#include "progs/bswap.c"

static const struct {
	const char *name;
	u64 (*fn)(u8 *, u64);
} progs[] = {
	{ "checksum", bench_checksum }, { "loop", bench_loop }, { "search", bench_search },
	{ "parse", bench_parse }, { "bswap", bench_bswap },
};

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

static void put(const char *dir, const char *name, const u8 *b, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

static void gen(const char *dir)
{
	static u8 b[4096];
	uint32_t s = 12345;
	for (size_t i = 0; i < 1500; i++)
		b[i] = (u8)((s = s * 1103515245u + 12345u) >> 16);
	put(dir, "checksum", b, 1500);
	put(dir, "bswap", b, 1500);
	put(dir, "loop", b, 64);
	/* HTTP-ish text with the header end near the end of a 1500-byte buffer */
	for (size_t i = 0; i < 1500; i++)
		b[i] = (u8)("GET /index.html HTTP/1.1\r\nHost: example\r\nX-Pad: aaaaaaaa\r\n"[i % 57]);
	memcpy(b + 1400, "\r\n\r\n", 4);
	put(dir, "search", b, 1500);
	/* 16 frames of 90 bytes: eth + ipv4 + tcp + 16 bytes payload, every
	 * other one a SYN to port 80 */
	size_t off = 0;
	for (int k = 0; k < 16; k++) {
		u8 *f = b + off + 2;
		size_t flen = 14 + 20 + 20 + 16;
		b[off] = (u8)(flen >> 8);
		b[off + 1] = (u8)flen;
		memset(f, 0, flen);
		f[12] = 0x08, f[13] = 0x00;
		u8 *ip = f + 14;
		ip[0] = 0x45, ip[2] = 0, ip[3] = 20 + 20 + 16, ip[9] = 6;
		u8 *tcp = ip + 20;
		tcp[2] = 0, tcp[3] = (k & 1) ? 80 : 443, tcp[12] = 5 << 4, tcp[13] = (k & 1) ? 0x02 : 0x10;
		off += 2 + flen;
	}
	put(dir, "parse", b, off);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "gen")) {
		gen(argv[2]);
		return 0;
	}
	if (argc != 5 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: native gen DIR | native run NAME FILE ITERS\n");
		return 2;
	}
	u64 (*fn)(u8 *, u64) = NULL;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!strcmp(argv[2], progs[i].name))
			fn = progs[i].fn;
	if (!fn) {
		fprintf(stderr, "native: unknown program %s\n", argv[2]);
		return 2;
	}
	FILE *f = fopen(argv[3], "rb");
	static u8 mem[65536];
	size_t n = f ? fread(mem, 1, sizeof(mem), f) : 0;
	if (!f) {
		perror(argv[3]);
		return 2;
	}
	fclose(f);
	uint64_t iters = strtoull(argv[4], NULL, 10), result = 0;
	if (iters < 10)
		iters = 10;
	for (uint64_t i = 0; i < (iters / 10 ? iters / 10 : 1); i++) {
		result = fn(mem, n);
		__asm__ volatile("" : : "r"(mem) : "memory");
	}
	uint64_t per = iters / 10, chunks[10];
	for (int c = 0; c < 10; c++) {
		uint64_t t0 = now_ns();
		for (uint64_t i = 0; i < per; i++) {
			result = fn(mem, n);
			/* keep the compiler from hoisting the pure call out of the loop */
			__asm__ volatile("" : : "r"(mem) : "memory");
		}
		chunks[c] = now_ns() - t0;
	}
	qsort(chunks, 10, sizeof(chunks[0]), cmp_u64);
	printf("ns_per_run=%.2f result=%llu\n", (double)(chunks[4] + chunks[5]) / 2 / (double)per,
	       (unsigned long long)result);
	return 0;
}
