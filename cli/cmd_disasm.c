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
#include "bpfbox/jit.h"
#include "bpfbox/verify.h"
#include "bpfbox/vm.h"
#include <unistd.h>
#include "cli.h"
#include "objload.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: bpfbox disasm PROG [--section S] [--syntax bpfbox|llvm|conformance]\n"
		   "                          [--labels] [--alu32] [--no-index] [--jited [--no-verify]]\n"
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
		   "  --jited               the x86-64 code the JIT makes of PROG (objects load\n"
		   "                        with their maps; verified first, so the code has no\n"
		   "                        run-time checks), through objdump when it is\n"
		   "                        installed, else as hex\n"
		   "  --no-verify           with --jited: show the checked-mode code\n"
		   "exit status: 0 printed (invalid slots print as <unknown> or .raw), 1 the JIT\n"
		   "refused the program (--jited), 2 bad input or usage\n");
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

/* Print native bytes through objdump when it is installed (the bytes are
 * written to a temporary file: objdump reads files), as hex otherwise. */
static int print_native(const uint8_t *code, size_t len)
{
	char tmp[] = "/tmp/bpfbox-jited-XXXXXX";
	int fd = -1;
	if (!system("command -v objdump >/dev/null 2>&1") && (fd = mkstemp(tmp)) >= 0) {
		bool ok = write(fd, code, len) == (ssize_t)len;
		close(fd);
		char cmd[256];
		snprintf(cmd, sizeof(cmd),
			 "objdump -D -b binary -m i386:x86-64 %s | sed -n '/<.data>:/,$p' | tail -n +2",
			 tmp);
		fflush(stdout);
		int rc = ok ? system(cmd) : -1;
		unlink(tmp);
		if (rc == 0)
			return 0;
	}
	for (size_t i = 0; i < len; i += 16) {
		printf("%6zx:", i);
		for (size_t k = i; k < len && k < i + 16; k++)
			printf(" %02x", code[k]);
		printf("\n");
	}
	return 0;
}

/* --jited: load PROG the way run does (objects with their maps and
 * helpers), verify it (else the checked-mode code is what is shown),
 * compile it, print the x86-64 code. */
static int disasm_jited(const char *path, const char *section, bool no_verify)
{
	char why[1024] = "";
	struct cli_objprog *R = NULL;
	struct bpfbox_env *env = NULL;
	struct bpfbox_vm *vm = NULL;
	struct bpfbox_prog *prog = NULL;
	struct bpfbox_insn *insns = NULL;
	size_t n = 0;
	int rc = CLI_EXIT_USAGE, err;
	if (cli_is_object(path) || cli_is_bpf_c(path)) {
		struct cli_objprog_opts oo = { .section = section, .cpu = -1, .verify = !no_verify };
		if ((err = cli_objprog_open(path, &oo, &R, why, sizeof(why)))) {
			cli_err("disasm", "%s", why);
			return err == -EACCES ? CLI_EXIT_NO : CLI_EXIT_USAGE;
		}
		prog = cli_objprog_prog(R);
	} else {
		if (cli_load_prog(path, &insns, &n, why, sizeof(why))) {
			cli_err("disasm", "%s", why);
			return CLI_EXIT_USAGE;
		}
		BPFBOX_OPTS(bpfbox_vm_opts, vo);
		struct bpfbox_log log = { .buf = why, .size = sizeof(why), .level = BPFBOX_LOG_ERROR };
		BPFBOX_OPTS(bpfbox_prog_opts, po, .log = &log, .name = path);
		if (bpfbox_env__new(&env, NULL) || (bpfbox_env__vm_opts(env, &vo), 0) ||
		    bpfbox_vm__new(&vm, &vo) || bpfbox_env__attach(env, vm) ||
		    bpfbox_prog__load(vm, insns, n, &po, &prog)) {
			why[strcspn(why, "\n")] = 0;
			cli_err("disasm", "%s", why[0] ? why : "cannot load the program");
			goto out;
		}
		if (!no_verify) {
			/* bpfbox's raw convention with unknown memory size: a
			 * program that reads its input is shown in checked mode */
			BPFBOX_OPTS(bpfbox_verify_opts, vopts);
			bpfbox_prog__verify(prog, &vopts);
		}
	}
	char jl[512] = "";
	struct bpfbox_log jlog = { .buf = jl, .size = sizeof(jl), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_jit_opts, jo, .log = &jlog);
	if ((err = bpfbox_prog__jit(prog, &jo))) {
		jl[strcspn(jl, "\n")] = 0;
		cli_err("disasm", "the JIT cannot compile this program: %s", jl[0] ? jl : strerror(-err));
		rc = CLI_EXIT_NO;
		goto out;
	}
	size_t len = 0;
	const uint8_t *code = bpfbox_prog__jited(prog, &len);
	printf("; %s: %zu bytes of x86-64 (%s)\n", bpfbox_prog__name(prog), len,
	       bpfbox_prog__verified(prog) ? "verified: no run-time checks"
					     : "not verified: checked-mode code");
	rc = print_native(code, len);
out:
	if (R)
		cli_objprog_free(R);
	else
		bpfbox_prog__free(prog);
	bpfbox_vm__free(vm);
	bpfbox_env__free(env);
	free(insns);
	return rc;
}

int cmd_disasm(int argc, char **argv)
{
	bool jited = false, no_verify = false;
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
		} else if (!strcmp(argv[i], "--jited")) {
			jited = true;
		} else if (!strcmp(argv[i], "--no-verify")) {
			no_verify = true;
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
	if (jited)
		return disasm_jited(path, section, no_verify);
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
