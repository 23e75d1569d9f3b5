/* bpfbox — cli/cmd_disasm.c: `bpfbox disasm PROG`.
 *
 * Prints one "INDEX: TEXT" line per instruction.  --syntax llvm is exactly
 * what llvm-objdump -d prints for each instruction (tests/suites/
 * disasm_llvm.sh compares them); the default bpfbox syntax adds what
 * llvm-objdump cannot know; --syntax conformance writes the conformance
 * suite's assembly.  Every listing assembles back with `bpfbox asm`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/asm.h"
#include "bpfbox/helpers.h"
#include "cli.h"
#include "objload.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: bpfbox disasm PROG [--section S] [--syntax bpfbox|llvm|conformance]\n"
		   "                          [--labels] [--alu32] [--no-index]\n"
		   "  Prints the program one instruction per line, \"INDEX: TEXT\" (INDEX counts\n"
		   "  8-byte slots; lddw takes two).  PROG is an ELF object or .bpf.c source (its\n"
		   "  first program, linked), an assembly file, hex text or raw instruction\n"
		   "  bytes (\"-\" = stdin).\n"
		   "  --section S           the object's program in section S\n"
		   "  --syntax bpfbox       (default) llvm-objdump's syntax plus what it cannot\n"
		   "                        show: `call bpf_map_lookup_elem#1`, `call pc+3`,\n"
		   "                        `call kfunc 7`, `r1 = map_fd(3) ll`\n"
		   "  --syntax llvm         exactly llvm-objdump -d's text per instruction (LLVM 17\n"
		   "                        syntax for instructions LLVM 14 does not know); hidden\n"
		   "                        fields go on extra `.fields` lines\n"
		   "  --syntax conformance  the bpf_conformance suite's assembly\n"
		   "  --labels              label lines before jump targets (bpfbox/conformance:\n"
		   "                        jumps name them)\n"
		   "  --alu32               32-bit loads/stores/atomics as wN, like llvm-objdump\n"
		   "                        --mattr=+alu32\n"
		   "  --no-index            leave out the INDEX column\n"
		   "exit status: 0 printed (invalid slots print as <unknown> or .raw), 2 bad\n"
		   "input or usage\n");
}

/* bpfbox syntax: `call bpf_map_lookup_elem#1`, from the helpers layer's
 * table of the kernel's helper names; ud is a buffer for the name. */
static const char *helper_name(void *ud, int32_t id)
{
	const char *n = id >= 0 ? bpfbox_helper__name((uint32_t)id) : NULL;
	if (!n)
		return NULL;
	snprintf(ud, 64, "bpf_%s", n);
	return ud;
}

int cmd_disasm(int argc, char **argv)
{
	char namebuf[64];
	const char *path = NULL, *section = NULL;
	BPFBOX_OPTS(bpfbox_disasm_opts, o, .syntax = BPFBOX_SYNTAX_BPFBOX, .ud = namebuf,
		    .helper_name = helper_name);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(argv[i], "--syntax") && i + 1 < argc) {
			const char *s = argv[++i];
			if (!strcmp(s, "bpfbox"))
				o.syntax = BPFBOX_SYNTAX_BPFBOX;
			else if (!strcmp(s, "llvm"))
				o.syntax = BPFBOX_SYNTAX_LLVM;
			else if (!strcmp(s, "conformance"))
				o.syntax = BPFBOX_SYNTAX_CONFORMANCE;
			else {
				cli_err("disasm", "unknown syntax '%s' (bpfbox, llvm, conformance)", s);
				return CLI_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--section") && i + 1 < argc) {
			section = argv[++i];
		} else if (!strcmp(argv[i], "--labels")) {
			o.flags |= BPFBOX_DISASM_LABELS;
		} else if (!strcmp(argv[i], "--alu32")) {
			o.flags |= BPFBOX_DISASM_ALU32;
		} else if (!strcmp(argv[i], "--no-index")) {
			o.flags |= BPFBOX_DISASM_NO_INDEX;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_err("disasm", "unknown option '%s' (see bpfbox disasm --help)", argv[i]);
			return CLI_EXIT_USAGE;
		} else if (!path) {
			path = argv[i];
		} else {
			cli_err("disasm", "more than one program");
			return CLI_EXIT_USAGE;
		}
	}
	if (!path) {
		cli_err("disasm", "usage: bpfbox disasm PROG (see --help)");
		return CLI_EXIT_USAGE;
	}
	char why[512];
	struct bpfbox_insn *insns;
	size_t n;
	if (section && !cli_is_object(path)) {
		cli_err("disasm", "--section needs an ELF object or a .bpf.c source");
		return CLI_EXIT_USAGE;
	}
	if (section ? cli_load_object_insns(path, section, &insns, &n, why, sizeof(why))
		    : cli_load_prog(path, &insns, &n, why, sizeof(why))) {
		cli_err("disasm", "%s", why);
		return CLI_EXIT_USAGE;
	}
	char *text = NULL;
	size_t len = 0;
	int err = bpfbox_disasm__prog(insns, n, &o, &text, &len);
	free(insns);
	if (err) {
		cli_err("disasm", "%s", strerror(-err));
		return CLI_EXIT_USAGE;
	}
	int rc = CLI_EXIT_OK;
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
		cli_err("disasm", "write failed");
		rc = CLI_EXIT_USAGE;
	}
	free(text);
	return rc;
}
