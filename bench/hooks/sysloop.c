/* bpfbox — bench/hooks/sysloop.c: a syscall-heavy command for the tracer
 * benchmark.  `sysloop N` makes N getppid() calls (a syscall that does
 * almost nothing, so the cost measured is the syscall path and whatever
 * tracing adds to it) and prints the nanoseconds per call, timed around
 * the loop only (CLOCK_MONOTONIC). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("ns_per_syscall=%.1f\n", n ? ns / (double)n : 0.0);
	return 0;
}
