/* bpfbox — cli/cmd_run.c: `bpfbox run PROG [--mem FILE] [--repeat N] ...`
 *
 * Runs a raw program (instruction bytes, a .s file, or hex text) once or N
 * times and prints r0 in decimal on the last line of stdout.  r1 points to
 * a writable copy of FILE's bytes and r2 holds its length (both 0 without
 * --mem).  The program is verified first (bpfbox's raw convention: r1 is
 * memory of FILE's size), then JIT-compiled; --no-verify runs it in checked
 * mode instead.  A rejection or a run-time error is one line on stderr and
 * exit status 1.  ELF objects and .bpf.c sources go to run_object.c, which
 * knows maps, program types and contexts. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/vm.h"
#include "cli.h"
#include "engine.h"
#include "objload.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfbox run PROG [--mem FILE] [--repeat N] [--jit | --interp] [--no-verify]\n"
		"                  [--budget N] [-v]\n"
		"  Runs PROG (raw instruction bytes, a .s assembly file, or hex text) and prints\n"
		"  r0 (decimal) on the last line.  r1 = a writable copy of FILE's bytes,\n"
		"  r2 = its length (0 and 0 without --mem).  ELF objects and .bpf.c sources\n"
		"  take more options: see 'bpfbox run OBJ --help'.\n"
		"  --mem FILE    input memory\n"
		"  --repeat N    run N times over the same memory (prints the last r0)\n"
		"%s"
		"exit status: 0 ran, 1 the program was rejected or faulted, 2 bad input\n",
		cli_engine_help);
}

/* Options of run that take a value, for finding PROG before parsing. */
static bool takes_value(const char *a)
{
	static const char *const with_value[] = {
		"--mem", "--repeat", "--budget", "--dispatch", "--section", "--prog", "--ctx",
		"--maps-in", "--maps-out", "--trace-out", "--cpu", "--set", "--btf",
	};
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(a, with_value[i]))
			return true;
	return false;
}

int cmd_run(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			i += takes_value(argv[i]);
			continue;
		}
		if (cli_is_object(argv[i]) || cli_is_bpf_c(argv[i]))
			return cli_run_object(argc, argv);
		break;
	}
	const char *path = NULL, *mem_path = NULL;
	unsigned long long repeat = 1;
	struct cli_engine E = { 0 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = cli_engine_option("run", argc, argv, &i, &E);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--mem") && i + 1 < argc) {
			mem_path = argv[++i];
		} else if (!strcmp(a, "--repeat") && i + 1 < argc) {
			if (cli_number("run", a, argv[++i], 1, ULLONG_MAX, &repeat))
				return CLI_EXIT_USAGE;
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
	int rc = CLI_EXIT_NO, err, engine;
	BPFBOX_OPTS(bpfbox_vm_opts, vopts, .insn_budget = E.budget);
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
	if (cli_engine_verify_raw("run", &E, prog, (uint32_t)mem_len) ||
	    (engine = cli_engine_select("run", &E, prog)) < 0)
		goto out;
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
