/* bpfbox — cli/cmd_asm.c: `bpfbox asm FILE.s -o OUT`.
 *
 * Assembles text (either syntax, or one forced with --syntax) into raw
 * instructions: 8 bytes each, little-endian, the layout the kernel and
 * every other eBPF tool read.  A thin client of bpfbox_asm__assemble(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/asm.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: bpfbox asm FILE.s -o OUT [--syntax auto|llvm|conformance]\n"
		   "  Assembles FILE.s (\"-\" = stdin) into raw eBPF instructions (8 bytes each,\n"
		   "  little-endian).  The text may use the llvm-objdump/kernel syntax\n"
		   "  (`r0 = *(u32 *)(r1 + 4)`, `if r1 s> r7 goto +37`, `r1 = 0 ll`, labels) or\n"
		   "  the conformance suite's (`ldxw %%r0, [%%r1+4]`); listings printed by\n"
		   "  `bpfbox disasm` assemble back to the same bytes.\n"
		   "  -o OUT        write the instructions to OUT (\"-\" = stdout); required\n"
		   "  --syntax S    auto (default: decided per line), llvm, conformance\n"
		   "exit status: 0 assembled, 2 bad input or usage (the first error on stderr)\n");
}

int cmd_asm(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	int syntax = BPFBOX_SYNTAX_AUTO;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--syntax") && i + 1 < argc) {
			const char *s = argv[++i];
			if (!strcmp(s, "auto"))
				syntax = BPFBOX_SYNTAX_AUTO;
			else if (!strcmp(s, "llvm"))
				syntax = BPFBOX_SYNTAX_LLVM;
			else if (!strcmp(s, "conformance"))
				syntax = BPFBOX_SYNTAX_CONFORMANCE;
			else {
				cli_err("asm", "unknown syntax '%s' (auto, llvm, conformance)", s);
				return CLI_EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_err("asm", "unknown option '%s' (see bpfbox asm --help)", argv[i]);
			return CLI_EXIT_USAGE;
		} else if (!in) {
			in = argv[i];
		} else {
			cli_err("asm", "more than one input file");
			return CLI_EXIT_USAGE;
		}
	}
	if (!in || !out) {
		cli_err("asm", "usage: bpfbox asm FILE.s -o OUT (see --help)");
		return CLI_EXIT_USAGE;
	}
	size_t len;
	errno = 0;
	char *text = !strcmp(in, "-") ? cli_read_stream(stdin, &len) : cli_read_file(in, &len);
	if (!text) {
		cli_err("asm", "%s: %s", in, strerror(errno ? errno : EIO));
		return CLI_EXIT_USAGE;
	}
	char logbuf[1024] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	struct bpfbox_insn *insns = NULL;
	size_t n = 0;
	int err = bpfbox_asm__assemble(text, len, syntax, &insns, &n, &log);
	free(text);
	if (err) {
		size_t first = strcspn(logbuf, "\n");
		bool more = logbuf[first] && logbuf[first + 1];
		logbuf[first] = 0;
		cli_err("asm", "%s: %s%s", in, logbuf[0] ? logbuf : strerror(-err),
			more ? " (and more errors)" : "");
		return CLI_EXIT_USAGE;
	}
	FILE *f = !strcmp(out, "-") ? stdout : fopen(out, "wb");
	if (!f) {
		cli_err("asm", "%s: %s", out, strerror(errno));
		free(insns);
		return CLI_EXIT_USAGE;
	}
	int rc = CLI_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		const struct bpfbox_insn *s = &insns[i];
		uint8_t b[8] = { s->code, (uint8_t)(s->src << 4 | s->dst), (uint8_t)s->off,
				 (uint8_t)((uint16_t)s->off >> 8), (uint8_t)s->imm,
				 (uint8_t)((uint32_t)s->imm >> 8), (uint8_t)((uint32_t)s->imm >> 16),
				 (uint8_t)((uint32_t)s->imm >> 24) };
		if (fwrite(b, 1, 8, f) != 8) {
			rc = CLI_EXIT_USAGE;
			break;
		}
	}
	if ((f == stdout ? fflush(f) : fclose(f)) != 0 || rc) {
		cli_err("asm", "%s: write failed", out);
		rc = CLI_EXIT_USAGE;
	}
	free(insns);
	return rc;
}
