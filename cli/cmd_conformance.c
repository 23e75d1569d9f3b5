/* bpfbox — cli/cmd_conformance.c: the bpf_conformance plugin protocol.
 *
 *   bpfbox conformance [--interp|--jit] [MEM_HEX] [--elf]  < PROGRAM_HEX
 *
 * Exactly as ../shared/conformance/README.md section 3 describes it: the
 * program arrives as hex bytes on stdin, the optional memory as one hex
 * argument (the only argument not starting with "--"); r1/r2 are a writable
 * copy of the memory and its length; helper 5 returns its first argument;
 * success prints r0 as %llx and exits 0; any failure prints one line and
 * exits 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/jit.h"
#include "bpfbox/object.h"
#include "bpfbox/vm.h"
#include "cli.h"

static uint64_t helper_identity(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				struct bpfbox_exec *ex)
{
	return r1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bpfbox conformance [--interp|--jit] [MEM_HEX] [--elf] < PROGRAM_HEX\n"
		   "  Runs one program for the bpf_conformance test suite (plugin protocol):\n"
		   "  the program's bytes as hex on stdin, the input memory as one hex argument.\n"
		   "  Prints r0 in hex and exits 0, or prints one error line and exits 1.\n"
		   "  --jit      (default) compile to native code first (checked mode; a JIT\n"
		   "             failure is an error)\n"
		   "  --interp   use the interpreter\n"
		   "  --dispatch goto|switch   interpreter dispatch build (default goto)\n"
		   "  --elf      stdin holds an ELF object instead of raw instructions\n");
}

int cmd_conformance(int argc, char **argv)
{
	const char *mem_hex = NULL;
	int engine = BPFBOX_ENGINE_JIT;
	bool elf = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--interp")) {
			engine = BPFBOX_ENGINE_INTERP;
		} else if (!strcmp(argv[i], "--jit")) {
			engine = BPFBOX_ENGINE_JIT;
		} else if (!strcmp(argv[i], "--dispatch") && i + 1 < argc) {
			/* test hook: run the switch-dispatch build of the interpreter */
			if (!strcmp(argv[++i], "switch"))
				engine = BPFBOX_ENGINE_INTERP_SWITCH;
			else if (strcmp(argv[i], "goto")) {
				printf("--dispatch takes goto or switch\n");
				return CLI_EXIT_NO;
			}
		} else if (!strcmp(argv[i], "--elf")) {
			elf = true;
		} else if (!strncmp(argv[i], "--", 2)) {
			printf("unknown option %s\n", argv[i]);
			return CLI_EXIT_NO;
		} else {
			mem_hex = argv[i];
		}
	}
	size_t text_len;
	char *text = cli_read_stream(stdin, &text_len);
	if (!text) {
		printf("cannot read the program from stdin\n");
		return CLI_EXIT_NO;
	}
	const char *why = NULL;
	size_t code_len, mem_len = 0;
	uint8_t *code = cli_parse_hex(text, &code_len, &why);
	free(text);
	if (!code) {
		printf("bad program hex: %s\n", why);
		return CLI_EXIT_NO;
	}
	if (elf) {
		/* ELF mode (README 3.3): a relocatable EM_BPF object whose global
		 * function `main` covers the program; no maps, no relocations. */
		char olog[512] = "";
		struct bpfbox_log ol = { .buf = olog, .size = sizeof(olog), .level = BPFBOX_LOG_ERROR };
		BPFBOX_OPTS(bpfbox_object_opts, oo, .log = &ol, .name = "conformance");
		struct bpfbox_object *obj = NULL;
		int e = bpfbox_object__open_mem(code, code_len, &oo, &obj);
		free(code);
		code = NULL;
		struct bpfbox_obj_prog *op = NULL;
		if (!e) {
			op = bpfbox_object__find_prog(obj, "main");
			if (!op && bpfbox_object__prog_count(obj))
				op = bpfbox_object__prog(obj, 0);
		}
		size_t n = 0;
		const struct bpfbox_insn *in = op ? bpfbox_obj_prog__insns(op, &n) : NULL;
		if (in && n && (code = malloc(n * 8)))
			memcpy(code, in, n * 8);
		code_len = code ? n * 8 : 0;
		bpfbox_object__free(obj);
		if (!code) {
			olog[strcspn(olog, "\n")] = 0;
			printf("%s\n", olog[0] ? olog : e ? strerror(-e) : "no program in the object");
			return CLI_EXIT_NO;
		}
	}
	if (code_len % 8) {
		printf("program is %zu bytes, not a multiple of 8\n", code_len);
		free(code);
		return CLI_EXIT_NO;
	}
	uint8_t *mem = NULL;
	if (mem_hex) {
		mem = cli_parse_hex(mem_hex, &mem_len, &why);
		if (!mem) {
			printf("bad memory hex: %s\n", why);
			free(code);
			return CLI_EXIT_NO;
		}
	}
	char logbuf[1024] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	struct bpfbox_vm *vm = NULL;
	struct bpfbox_prog *prog = NULL;
	int rc = CLI_EXIT_NO, err;
	if ((err = bpfbox_vm__new(&vm, NULL))) {
		printf("cannot create VM: %s\n", strerror(-err));
		goto out;
	}
	bpfbox_vm__set_helper(vm, 5, "identity", helper_identity, NULL);
	BPFBOX_OPTS(bpfbox_prog_opts, popts, .log = &log);
	if ((err = bpfbox_prog__load(vm, (const struct bpfbox_insn *)code, code_len / 8, &popts,
				     &prog))) {
		logbuf[strcspn(logbuf, "\n")] = 0;
		printf("%s\n", logbuf[0] ? logbuf : strerror(-err));
		goto out;
	}
	if (engine == BPFBOX_ENGINE_JIT) {
		/* the program is unverified: checked-mode native code */
		BPFBOX_OPTS(bpfbox_jit_opts, jopts, .log = &log);
		if ((err = bpfbox_prog__jit(prog, &jopts))) {
			logbuf[strcspn(logbuf, "\n")] = 0;
			printf("%s\n", logbuf[0] ? logbuf : strerror(-err));
			goto out;
		}
	}
	BPFBOX_OPTS(bpfbox_run_opts, ropts, .mem = mem, .mem_len = mem_len, .engine = engine,
		    .log = &log);
	uint64_t r0 = 0;
	if ((err = bpfbox_prog__run(prog, &ropts, &r0))) {
		logbuf[strcspn(logbuf, "\n")] = 0;
		printf("%s\n", logbuf[0] ? logbuf : strerror(-err));
		goto out;
	}
	printf("%llx\n", (unsigned long long)r0);
	rc = 0;
out:
	bpfbox_prog__free(prog);
	bpfbox_vm__free(vm);
	free(code);
	free(mem);
	return rc;
}
