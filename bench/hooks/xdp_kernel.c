/* bpfbox — bench/hooks/xdp_kernel.c: the kernel side of the XDP benchmark.
 *
 *   xdp_kernel OBJ PROG PCAP REPEAT
 *
 * Loads OBJ with libbpf (the kernel's verifier and JIT), then runs program
 * PROG over every packet of PCAP with BPF_PROG_TEST_RUN, REPEAT times each,
 * and prints the kernel's mean duration per run in ns (its own timer
 * around the program, the way it reports test runs).  Needs root (or
 * CAP_BPF + CAP_NET_ADMIN); prints "skip: REASON" and exits 3 otherwise.
 * The pcap file is read directly (libpcap's header clashes with the
 * kernel's bpf.h): host byte order, microsecond or nanosecond magic. */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: xdp_kernel OBJ PROG PCAP REPEAT\n");
		return 2;
	}
	libbpf_set_print(quiet);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		printf("skip: cannot open %s\n", argv[1]);
		return 3;
	}
	int e = bpf_object__load(obj);
	if (e) {
		printf("skip: the kernel refused to load the program: %s\n", strerror(-e));
		return 3;
	}
	struct bpf_program *p = bpf_object__find_program_by_name(obj, argv[2]);
	if (!p) {
		printf("skip: no program %s\n", argv[2]);
		return 3;
	}
	int fd = bpf_program__fd(p);
	FILE *pf = fopen(argv[3], "rb");
	uint32_t gh[6];
	if (!pf || fread(gh, 4, 6, pf) != 6 || (gh[0] != 0xa1b2c3d4 && gh[0] != 0xa1b23c4d)) {
		fprintf(stderr, "xdp_kernel: %s: not a pcap file in host byte order\n", argv[3]);
		return 1;
	}
	int repeat = atoi(argv[4]);
	double total = 0;
	long runs = 0;
	unsigned char pkt[65536], out[65536 + 512];
	uint32_t rh[4];
	while (runs < 64 && fread(rh, 4, 4, pf) == 4 && rh[2] <= sizeof(pkt) &&
	       fread(pkt, 1, rh[2], pf) == rh[2]) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = rh[2],
			    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);
		e = bpf_prog_test_run_opts(fd, &o);
		if (e) {
			printf("skip: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			return 3;
		}
		total += o.duration;
		runs++;
	}
	fclose(pf);
	printf("kernel_ns_per_run=%.1f\n", runs ? total / (double)runs : 0.0);
	bpf_object__close(obj);
	return 0;
}
