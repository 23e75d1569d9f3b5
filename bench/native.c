/* bpfbox — bench/native.c: the native baseline of `make bench`.
 *
 *   native gen DIR                   write the benchmark packets into DIR
 *   native run NAME FILE ITERS       time program NAME over FILE as the packet
 *
 * The programs are bench/progs/NAME.c, the XDP programs bpfbox and the kernel
 * run, compiled here by gcc -O2 through bench.h's native shim.  As in the
 * kernel and in bpfbox, the program gets a struct xdp_md whose data /
 * data_end hold the packet's bounds; both live below 4 GiB (MAP_32BIT) so
 * that the 32-bit fields are real addresses.  The hash-map program's map is
 * a bpfbox map (libbpfbox's map library, as bpfbox's helpers use it),
 * created here with the attributes of its definition; the program fills it
 * on its first run, which is part of the warm-up.
 *
 * Timing is the same as `bpfbox bench`: max(1, N/10) untimed warm-up runs,
 * then N runs in 10 chunks timed with the thread's CPU clock; the median
 * chunk divided by its run count is ns_per_run.  The program is called
 * through a volatile function pointer (never inlined into the timing loop,
 * as a JIT-compiled program is not either) followed by a compiler barrier,
 * so gcc cannot hoist the pure computation out of the loop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "progs/bench.h"

/* The programs (non-static, like the entry points of eBPF objects). */
int checksum(struct xdp_md *ctx);
int loop(struct xdp_md *ctx);
int search(struct xdp_md *ctx);
int parse(struct xdp_md *ctx);
int bswap(struct xdp_md *ctx);
int hashmap(struct xdp_md *ctx);
int pass(struct xdp_md *ctx);

/* Each program defines LICENSE (the kernel wants one per object). */
#define LICENSE checksum_license
#include "progs/checksum.c"
#undef LICENSE
#define LICENSE loop_license
#include "progs/loop.c"
#undef LICENSE
#define LICENSE search_license
#include "progs/search.c"
#undef LICENSE
#define LICENSE parse_license
#include "progs/parse.c"
#undef LICENSE
#define LICENSE bswap_license
#include "progs/bswap.c"
#undef LICENSE
#define LICENSE hashmap_license
#include "progs/hashmap.c"
#undef LICENSE
#define LICENSE pass_license
#include "progs/pass.c"
#undef LICENSE

typedef int (*xdp_fn)(struct xdp_md *);
static const struct {
	const char *name;
	xdp_fn fn;
} progs[] = {
	{ "checksum", checksum }, { "loop", loop },   { "search", search },
	{ "parse", parse },       { "bswap", bswap }, { "hashmap", hashmap },
	{ "pass", pass },
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
	put(dir, "hashmap", b, 64);
	put(dir, "pass", b, 64);
	/* HTTP-ish text with the header end near the end of a 1500-byte packet */
	for (size_t i = 0; i < 1500; i++)
		b[i] = (u8)("GET /index.html HTTP/1.1\r\nHost: example\r\nX-Pad: aaaaaaaa\r\n"[i % 57]);
	memcpy(b + 1400, "\r\n\r\n", 4);
	put(dir, "search", b, 1500);
	/* 8 frames of 70 bytes: eth + ipv4 + tcp + 16 bytes payload, every
	 * other one a SYN to port 80 */
	size_t off = 0;
	for (int k = 0; k < 8; k++) {
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

/* The hash map of progs/hashmap.c, as a bpfbox map. */
static void make_map(void)
{
	BPFBOX_OPTS(bpfbox_map_opts, o, .type = BPFBOX_MAP_TYPE_HASH, .key_size = sizeof(u32),
		    .value_size = sizeof(u64), .max_entries = sizeof(*table.max_entries) / sizeof(int),
		    .name = "table");
	int e = bpfbox_map__new(&table.impl, &o);
	if (e) {
		fprintf(stderr, "native: cannot create the hash map: %s\n", strerror(-e));
		exit(1);
	}
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
	xdp_fn volatile fn = NULL;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!strcmp(argv[2], progs[i].name))
			fn = progs[i].fn;
	if (!fn) {
		fprintf(stderr, "native: unknown program %s\n", argv[2]);
		return 2;
	}
	/* context + packet below 4 GiB: ctx->data is a 32-bit field */
	size_t area = 4096 + 65536;
	u8 *base = mmap(NULL, area, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			-1, 0);
	if (base == MAP_FAILED) {
		perror("native: mmap below 4 GiB");
		return 1;
	}
	struct xdp_md *ctx = (struct xdp_md *)base;
	u8 *pkt = base + 4096;
	FILE *f = fopen(argv[3], "rb");
	if (!f) {
		perror(argv[3]);
		return 2;
	}
	size_t n = fread(pkt, 1, 65536, f);
	fclose(f);
	ctx->data = (u32)(uintptr_t)pkt;
	ctx->data_end = (u32)(uintptr_t)(pkt + n);
	ctx->data_meta = ctx->data;
	ctx->ingress_ifindex = 1;
	make_map();
	uint64_t iters = strtoull(argv[4], NULL, 10);
	if (iters < 10)
		iters = 10;
	uint64_t per = iters / 10, chunks[10];
	u32 result = 0;
	for (uint64_t i = 0; i < per; i++) {
		result = (u32)fn(ctx);
		__asm__ volatile("" : : "r"(ctx) : "memory");
	}
	for (int c = 0; c < 10; c++) {
		uint64_t t0 = now_ns();
		for (uint64_t i = 0; i < per; i++) {
			result = (u32)fn(ctx);
			__asm__ volatile("" : : "r"(ctx) : "memory");
		}
		chunks[c] = now_ns() - t0;
	}
	qsort(chunks, 10, sizeof(chunks[0]), cmp_u64);
	printf("ns_per_run=%.2f result=%u\n", (double)(chunks[4] + chunks[5]) / 2 / (double)per,
	       result);
	bpfbox_map__free(table.impl);
	munmap(base, area);
	return 0;
}
