/* bpfbox — cli/main.c: the `bpfbox` command: subcommand dispatch.
 *
 * Each subcommand lives in its own cli/cmd_*.c and is listed once in
 * cli/commands.def; this file only picks one.  Exit codes (DESIGN.md):
 * 0 success, 1 the program or a check said no, 2 bad input or usage —
 * always with one clear line on stderr. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
#define CMD(name, fn, summary) { name, fn, summary },
#include "commands.def"
#undef CMD
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bpfbox COMMAND [ARGS...]   (bpfbox COMMAND --help for details)\n\n"
		   "bpfbox runs eBPF programs in user space: it assembles, disassembles,\n"
		   "verifies, interprets and JIT-compiles them.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nexit status: 0 success, 1 the program or verifier said no, 2 bad input or usage\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "bpfbox: no command given (bpfbox --help lists them)\n");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("bpfbox %s\n", BPFBOX_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "bpfbox: unknown command '%s' (see bpfbox --help)\n", argv[1]);
	return CLI_EXIT_USAGE;
}
