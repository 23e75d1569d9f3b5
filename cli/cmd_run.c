/* bpfbox — cli/cmd_run.c: `bpfbox run PROG [--mem FILE] [--repeat N] ...`
 *
 * Runs a program once (or N times) and prints r0 in decimal on the last
 * line of stdout.  r1 points to a writable copy of FILE's bytes and r2 holds
 * its length (both 0 without --mem).  A run-time error (checked mode: an
 * access outside the permitted regions, the budget, an unknown helper) is
 * one line on stderr and exit status 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/vm.h"
#include "bpfbox/verify.h"
#include "cli.h"
#include "objload.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfbox run PROG [--mem FILE] [--repeat N] [--interp] [--budget N] [-v]\n"
		"  Runs PROG (raw instruction bytes, a .s assembly file, or hex text) once and\n"
		"  (ELF objects and .bpf.c sources: see 'bpfbox run OBJ --help')\n"
		"  prints r0 (decimal) on the last line.  r1 = a writable copy of FILE's bytes,\n"
		"  r2 = its length (0 and 0 without --mem).\n"
		"  --mem FILE    input memory\n"
		"  --repeat N    run N times over the same memory (prints the last r0)\n"
		"  --interp      use the interpreter (the default until the JIT exists)\n"
		"  --dispatch goto|switch  interpreter dispatch build (default goto)\n"
		"  --budget N    checked-mode instruction budget per run (default 1000000)\n"
		"  --no-verify   skip the verifier (bpfbox's raw convention: r1 = FILE's bytes,\n"
		"                r2 = their length) and run in checked mode; by default a\n"
		"                verified program runs without checks and a rejected one not at all\n"
		"  -v            say what runs and how\n"
		"exit status: 0 ran, 1 the program faulted or was rejected, 2 bad input\n");
}

int cmd_run(int argc, char **argv)
{
	/* ELF objects and .bpf.c sources have their own runner (maps, program
	 * types, contexts): run_object.c. */
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (!strcmp(argv[i], "--mem") || !strcmp(argv[i], "--repeat") ||
			    !strcmp(argv[i], "--budget") || !strcmp(argv[i], "--dispatch"))
				i++;
			continue;
		}
		if (cli_is_object(argv[i]) || cli_is_bpf_c(argv[i]))
			return cli_run_object(argc, argv);
		break;
	}
	const char *path = NULL, *mem_path = NULL;
	unsigned long long repeat = 1, budget = 0;
	int engine = BPFBOX_ENGINE_INTERP, verbose = 0;
	bool no_verify = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--no-verify")) {
			no_verify = true;
		} else if (!strcmp(a, "--mem") && i + 1 < argc) {
			mem_path = argv[++i];
		} else if (!strcmp(a, "--repeat") && i + 1 < argc) {
			char *end;
			repeat = strtoull(argv[++i], &end, 0);
			if (*end || !repeat) {
				cli_err("run", "--repeat takes a positive number, not '%s'", argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--budget") && i + 1 < argc) {
			char *end;
			budget = strtoull(argv[++i], &end, 0);
			if (*end || !budget) {
				cli_err("run", "--budget takes a positive number, not '%s'", argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--interp")) {
			engine = BPFBOX_ENGINE_INTERP;
		} else if (!strcmp(a, "--dispatch") && i + 1 < argc) {
			const char *d = argv[++i];
			if (!strcmp(d, "switch"))
				engine = BPFBOX_ENGINE_INTERP_SWITCH;
			else if (strcmp(d, "goto")) {
				cli_err("run", "--dispatch takes goto or switch, not '%s'", d);
				return CLI_EXIT_USAGE;
			}
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose++;
		} else if (a[0] == '-' && a[1]) {
			cli_err("run", "unknown option '%s' (see bpfbox run --help)", a);
			return CLI_EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			cli_err("run", "more than one program given ('%s' and '%s')", path, a);
			return CLI_EXIT_USAGE;
		}
	}
	if (!path) {
		cli_err("run", "no program given (see bpfbox run --help)");
		return CLI_EXIT_USAGE;
	}
	char why[512];
	struct bpfbox_insn *insns = NULL;
	size_t n = 0;
	if (cli_load_prog(path, &insns, &n, why, sizeof(why))) {
		cli_err("run", "%s", why);
		return CLI_EXIT_USAGE;
	}
	uint8_t *mem = NULL;
	size_t mem_len = 0;
	if (mem_path) {
		mem = (uint8_t *)cli_read_file(mem_path, &mem_len);
		if (!mem) {
			cli_err("run", "cannot read %s: %s", mem_path, strerror(errno));
			free(insns);
			return CLI_EXIT_USAGE;
		}
	}
	char logbuf[4096] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	struct bpfbox_vm *vm = NULL;
	struct bpfbox_prog *prog = NULL;
	int rc = CLI_EXIT_NO, err;
	BPFBOX_OPTS(bpfbox_vm_opts, vopts, .insn_budget = budget);
	if ((err = bpfbox_vm__new(&vm, &vopts))) {
		cli_err("run", "cannot create the VM: %s", strerror(-err));
		goto out;
	}
	BPFBOX_OPTS(bpfbox_prog_opts, popts, .log = &log, .name = path);
	if ((err = bpfbox_prog__load(vm, insns, n, &popts, &prog))) {
		logbuf[strcspn(logbuf, "\n")] = 0;
		cli_err("run", "%s", logbuf[0] ? logbuf : strerror(-err));
		goto out;
	}
	if (!no_verify) {
		/* [verify] prove it first: then it runs without checked-mode checks */
		char vbuf[1024] = "";
		struct bpfbox_log vlog = { .buf = vbuf, .size = sizeof(vbuf), .level = BPFBOX_LOG_ERROR };
		BPFBOX_OPTS(bpfbox_verify_opts, vo, .prog_type = 0, .ctx_size = (uint32_t)mem_len,
			    .log = &vlog);
		if ((err = bpfbox_prog__verify(prog, &vo))) {
			vbuf[strcspn(vbuf, "\n")] = 0;
			cli_err("run", "verifier: %s (--no-verify runs it in checked mode)",
				vbuf[0] ? vbuf : strerror(-err));
			goto out;
		}
	}
	if (verbose)
		fprintf(stderr, "bpfbox run: %zu instructions, %s, %s, budget %llu\n", n,
			engine == BPFBOX_ENGINE_INTERP_SWITCH ? "interpreter (switch dispatch)"
							       : "interpreter",
			no_verify ? "checked mode" : "verified", budget ? budget : 1000000ull);
	uint64_t r0 = 0;
	for (unsigned long long k = 0; k < repeat; k++) {
		BPFBOX_OPTS(bpfbox_run_opts, ropts, .mem = mem, .mem_len = mem_len, .engine = engine,
			    .log = &log);
		if ((err = bpfbox_prog__run(prog, &ropts, &r0))) {
			logbuf[strcspn(logbuf, "\n")] = 0;
			cli_err("run", "%s", logbuf[0] ? logbuf : strerror(-err));
			goto out;
		}
	}
	printf("%llu\n", (unsigned long long)r0);
	rc = 0;
out:
	bpfbox_prog__free(prog);
	bpfbox_vm__free(vm);
	free(insns);
	free(mem);
	return rc;
}
