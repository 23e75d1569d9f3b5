/* bpfbox — bench/kernel.c: the kernel's column of `make bench`.
 *
 *   kernel OBJ PROG PACKET ITERS     time PROG over PACKET's bytes
 *   kernel OBJ                       load OBJ only (exit 0: the kernel accepts it)
 *
 * Loads OBJ with libbpf (the kernel's verifier, then its JIT when
 * net.core.bpf_jit_enable is 1) and runs program PROG with
 * BPF_PROG_TEST_RUN over PACKET as the packet.  Timing follows
 * `bpfbox bench` and bench/native.c as closely as the kernel lets it: one
 * untimed test run of max(1, ITERS/10) repeats (warm-up; a program that
 * fills a map on its first run does so here), then 10 test runs of
 * ITERS/10 repeats each.  The time of each is the kernel's own `duration`
 * (ns per repeat, measured in the kernel around the program alone, with
 * time spent rescheduled left out); the median of the ten is printed as
 *   ns_per_run=<median> result=<r0 as unsigned decimal>
 * The kernel reports whole nanoseconds, rounded down (a truncated mean
 * of many repeats): 0.5 ns, the truncation's expected value, is added so
 * that short programs are not measured faster than they run.
 * Needs root (CAP_BPF + CAP_NET_ADMIN): prints "skip: REASON" and exits 3
 * when the kernel cannot be asked, 1 when it refuses the program (with
 * the end of the verifier's log on stderr). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static char vlog[1 << 20];

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 5) {
		fprintf(stderr, "usage: kernel OBJ [PROG PACKET ITERS]\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("skip: not root (BPF_PROG_LOAD and BPF_PROG_TEST_RUN need CAP_BPF + "
		       "CAP_NET_ADMIN)\n");
		return 3;
	}
	libbpf_set_print(quiet);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "kernel: cannot open %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_log_buf(p, vlog, sizeof(vlog));
	int e = bpf_object__load(obj);
	if (e) {
		size_t n = strlen(vlog);
		fprintf(stderr, "kernel: %s refused: %s\n%s\n", argv[1], strerror(-e),
			vlog + (n > 2000 ? n - 2000 : 0));
		return e == -EPERM ? 3 : 1;
	}
	if (argc == 2) {
		bpf_object__close(obj);
		return 0;
	}
	p = bpf_object__find_program_by_name(obj, argv[2]);
	if (!p) {
		fprintf(stderr, "kernel: no program %s in %s\n", argv[2], argv[1]);
		return 2;
	}
	static unsigned char pkt[65536], out[65536 + 512];
	FILE *f = fopen(argv[3], "rb");
	size_t len = f ? fread(pkt, 1, sizeof(pkt), f) : 0;
	if (!f) {
		fprintf(stderr, "kernel: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	fclose(f);
	unsigned long iters = strtoul(argv[4], NULL, 10);
	uint32_t per = iters / 10 ? (uint32_t)(iters / 10) : 1, chunk[10], r0 = 0;
	for (int c = -1; c < 10; c++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (uint32_t)len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = per);
		if (bpf_prog_test_run_opts(bpf_program__fd(p), &o)) {
			printf("skip: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			return 3;
		}
		if (c >= 0)
			chunk[c] = o.duration;
		r0 = o.retval;
	}
	qsort(chunk, 10, sizeof(chunk[0]), cmp_u32);
	printf("ns_per_run=%.2f result=%u\n", (chunk[4] + chunk[5]) / 2.0 + 0.5, r0);
	bpf_object__close(obj);
	return 0;
}
