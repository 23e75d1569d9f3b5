/* bpfbox — cli/cmd_bench.c: `bpfbox bench PROG --mem FILE --iters N`
 *
 * Loads once (verifies and JIT-compiles like run), runs max(1, N/10)
 * untimed warm-up runs, then N runs timed in 10 chunks with the thread's CPU
 * clock (CLOCK_THREAD_CPUTIME_ID: other processes on a shared machine do
 * not count against us), and prints
 *   ns_per_run=<median chunk / runs per chunk> result=<r0, unsigned decimal>
 * The median of ten chunks is robust to a few descheduled chunks; callers
 * compare ratios measured in one run (bench/run-bench), never absolute
 * numbers across machines. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpfbox/jit.h"
#include "bpfbox/object.h"
#include "bpfbox/vm.h"
#include "cli.h"
#include "engine.h"
#include "objload.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfbox bench PROG --mem FILE --iters N [--prog NAME | --section S]\n"
		"                    [--jit | --interp] [--no-verify] [--btf FILE] [--set N=V] [-v]\n"
		"  Times PROG over FILE's bytes: max(1, N/10) warm-up runs, then N runs in 10\n"
		"  chunks on the thread CPU clock.  Prints one line:\n"
		"    ns_per_run=<median chunk per run> result=<r0 as unsigned decimal>\n"
		"  PROG is raw instructions / .s / hex (r1 = FILE's bytes, r2 = their length),\n"
		"  or an ELF object / .bpf.c source:\n"
		"  --prog NAME, --section S  which program of the object (FILE is then its\n"
		"                packet or context, as for bpfbox run)\n"
		"%s%s"
		"exit status: 0 ok, 1 the program was rejected or faulted, 2 bad input\n",
		cli_engine_help, cli_objopts_help);
}

static uint64_t thread_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int cmd_bench(int argc, char **argv)
{
	const char *path = NULL, *mem_path = NULL;
	const char *obj_prog = NULL, *obj_section = NULL;
	unsigned long long iters = 0;
	struct cli_engine E = { 0 };
	struct cli_objopts OO = { 0 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = cli_engine_option("bench", argc, argv, &i, &E);
		if (r == 0)
			r = cli_objopts_parse("bench", argc, argv, &i, &OO);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--mem") && i + 1 < argc) {
			mem_path = argv[++i];
		} else if (!strcmp(a, "--iters") && i + 1 < argc) {
			if (cli_number("bench", a, argv[++i], 1, ULLONG_MAX, &iters))
				return CLI_EXIT_USAGE;
		} else if ((!strcmp(a, "--prog") || !strcmp(a, "--section")) && i + 1 < argc) {
			*(a[2] == 'p' ? &obj_prog : &obj_section) = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			cli_err("bench", "unknown option '%s' (see bpfbox bench --help)", a);
			return CLI_EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			cli_err("bench", "more than one program given ('%s' and '%s')", path, a);
			return CLI_EXIT_USAGE;
		}
	}
	if (!path || !mem_path || !iters) {
		cli_err("bench", "PROG, --mem FILE and --iters N are required (see bpfbox bench --help)");
		return CLI_EXIT_USAGE;
	}
	char why[1024];
	struct bpfbox_insn *insns = NULL;
	size_t n = 0;
	bool is_obj = cli_is_object(path) || cli_is_bpf_c(path);
	if (!is_obj && cli_load_prog(path, &insns, &n, why, sizeof(why))) {
		cli_err("bench", "%s", why);
		return CLI_EXIT_USAGE;
	}
	size_t mem_len = 0;
	uint8_t *mem = (uint8_t *)cli_read_file(mem_path, &mem_len);
	if (!mem) {
		cli_err("bench", "cannot read %s: %s", mem_path, strerror(errno));
		free(insns);
		return CLI_EXIT_USAGE;
	}
	char logbuf[4096] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	struct bpfbox_vm *vm = NULL;
	struct bpfbox_prog *prog = NULL;
	struct cli_objprog *objprog = NULL;
	int rc = CLI_EXIT_NO, err, engine;
	if (is_obj) {
		/* objects load with their maps, helpers and context (run_object.c) */
		struct cli_objprog_opts oo = { .section = obj_section, .prog = obj_prog, .data = mem,
					       .len = mem_len, .cpu = -1, .verify = !E.no_verify,
					       .verbose = E.verbose > 0, .objopts = &OO };
		if ((err = cli_objprog_open(path, &oo, &objprog, why, sizeof(why)))) {
			cli_err("bench", "%s", why);
			rc = err == -EACCES ? CLI_EXIT_NO : CLI_EXIT_USAGE;
			goto out;
		}
		prog = cli_objprog_prog(objprog);
	} else {
		BPFBOX_OPTS(bpfbox_vm_opts, vopts, .insn_budget = E.budget);
		if ((err = bpfbox_vm__new(&vm, &vopts))) {
			cli_err("bench", "cannot create the VM: %s", strerror(-err));
			goto out;
		}
		BPFBOX_OPTS(bpfbox_prog_opts, popts, .log = &log, .name = path);
		if ((err = bpfbox_prog__load(vm, insns, n, &popts, &prog))) {
			logbuf[strcspn(logbuf, "\n")] = 0;
			cli_err("bench", "%s", logbuf[0] ? logbuf : strerror(-err));
			goto out;
		}
		if (cli_engine_verify_raw("bench", &E, prog, (uint32_t)mem_len))
			goto out;
	}
	if ((engine = cli_engine_select("bench", &E, prog)) < 0)
		goto out;
	if (objprog && engine == BPFBOX_ENGINE_JIT)
		cli_engine_jit_object(cli_objprog_object(objprog), prog);
	BPFBOX_OPTS(bpfbox_run_opts, ropts, .mem = mem, .mem_len = mem_len, .engine = engine,
		    .log = &log);
	if (objprog)
		cli_objprog_prepare(objprog, &ropts);
	uint64_t r0 = 0, per = iters / 10 ? iters / 10 : 1, warm = per;
	for (uint64_t k = 0; k < warm; k++)
		if ((err = bpfbox_prog__run(prog, &ropts, &r0)))
			goto runerr;
	uint64_t chunk[10];
	for (int c = 0; c < 10; c++) {
		uint64_t t0 = thread_ns();
		for (uint64_t k = 0; k < per; k++)
			if ((err = bpfbox_prog__run(prog, &ropts, &r0)))
				goto runerr;
		chunk[c] = thread_ns() - t0;
	}
	qsort(chunk, 10, sizeof(chunk[0]), cmp_u64);
	printf("ns_per_run=%.2f result=%llu\n", (double)(chunk[4] + chunk[5]) / 2.0 / (double)per,
	       (unsigned long long)r0);
	rc = 0;
	goto out;
runerr:
	logbuf[strcspn(logbuf, "\n")] = 0;
	cli_err("bench", "%s", logbuf[0] ? logbuf : strerror(-err));
out:
	if (objprog)
		cli_objprog_free(objprog); /* owns prog */
	else
		bpfbox_prog__free(prog);
	bpfbox_vm__free(vm);
	free(insns);
	free(mem);
	return rc;
}
