/* examples/embed.c — bpfbox inside another program (the README's example).
 *
 * Assembles a small program, loads it into a VM, proves it safe, compiles
 * it to native code and runs it over a frame: prints the frame's EtherType.
 * Build: cc -Iinclude examples/embed.c build/libbpfbox.a -lelf -lbpf -lz
 *        -lpthread (the core needs only libc; the archive's object loader
 *        brings libelf/libbpf along). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/asm.h"
#include "bpfbox/jit.h"
#include "bpfbox/verify.h"
#include "bpfbox/vm.h"

static const char source[] = "        r0 = 0\n"
			     "        if r2 < 14 goto out\n"
			     "        r0 = *(u16 *)(r1 + 12)\n"
			     "        r0 = be16 r0\n"
			     "out:    exit\n";

int main(void)
{
	uint8_t frame[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11,
			      0x22, 0x33, 0x44, 0x55, 0x08, 0x00, 0x45, 0x00 };
	size_t len = sizeof(frame);
	char logbuf[512] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	struct bpfbox_insn *insns;
	size_t n;
	if (bpfbox_asm__assemble(source, strlen(source), BPFBOX_SYNTAX_AUTO, &insns, &n, &log)) {
		fprintf(stderr, "embed: %s", logbuf);
		return 1;
	}
	struct bpfbox_vm *vm;
	struct bpfbox_prog *prog;
	uint64_t r0 = 0;
	int err = bpfbox_vm__new(&vm, NULL);
	BPFBOX_OPTS(bpfbox_prog_opts, po, .log = &log);
	if (!err)
		err = bpfbox_prog__load(vm, insns, n, &po, &prog);
	BPFBOX_OPTS(bpfbox_verify_opts, vo, .ctx_size = (uint32_t)len, .log = &log);
	if (!err)
		err = bpfbox_prog__verify(prog, &vo); /* proven safe: runs without checks */
	if (!err && bpfbox_prog__jit(prog, NULL))
		fprintf(stderr, "embed: no JIT here, the interpreter runs it\n");
	BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = frame, .mem_len = len, .log = &log);
	if (!err)
		err = bpfbox_prog__run(prog, &ro, &r0);
	if (err)
		fprintf(stderr, "embed: %s (%d)\n", logbuf, err);
	else
		printf("EtherType 0x%04llx (%s)\n", (unsigned long long)r0,
		       bpfbox_prog__jited(prog, NULL) ? "JIT" : "interpreter");
	bpfbox_prog__free(prog);
	bpfbox_vm__free(vm);
	free(insns);
	return err ? 1 : 0;
}
