/* bpfbox — cli/engine.c: the engine options shared by run and bench, and
 * the two steps every runner takes before the first run: verify (a verified
 * program runs without checked-mode checks), then JIT-compile (falling back
 * to the interpreter when the JIT refuses a program, as the kernel falls
 * back when bpf_jit_enable is off). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/jit.h"
#include "bpfbox/object.h"
#include "bpfbox/verify.h"
#include "bpfbox/vm.h"
#include "cli.h"
#include "engine.h"

const char cli_engine_help[] =
	"  --jit         run JIT-compiled code (the default; without --jit a program\n"
	"                the JIT cannot compile runs on the interpreter, -v says why)\n"
	"  --interp      run on the interpreter\n"
	"  --dispatch goto|switch  interpreter dispatch build (default goto)\n"
	"  --no-verify   skip the verifier and run in checked mode (every access\n"
	"                checked, instruction budget); by default a program is\n"
	"                verified first and then runs without checks\n"
	"  --budget N    checked-mode instruction budget per run (default 1000000)\n"
	"  -v            say what runs and how\n";

int cli_engine_option(const char *cmd, int argc, char **argv, int *i, struct cli_engine *e)
{
	const char *a = argv[*i];
	bool more = *i + 1 < argc;
	if (!strcmp(a, "--jit")) {
		e->jit = true;
		e->interp = false;
	} else if (!strcmp(a, "--interp")) {
		e->interp = true;
		e->jit = false;
	} else if (!strcmp(a, "--no-verify")) {
		e->no_verify = true;
	} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
		e->verbose++;
	} else if (!strcmp(a, "--dispatch") || !strcmp(a, "--budget")) {
		if (!more) {
			cli_err(cmd, "%s needs a value", a);
			return -1;
		}
		const char *v = argv[++*i];
		if (a[2] == 'b')
			return cli_number(cmd, a, v, 1, ULLONG_MAX, &e->budget) ? -1 : 1;
		if (!strcmp(v, "switch") || !strcmp(v, "goto")) {
			e->switch_dispatch = v[0] == 's';
			return 1;
		}
		cli_err(cmd, "--dispatch takes goto or switch, not '%s'", v);
		return -1;
	} else {
		return 0;
	}
	return 1;
}

int cli_engine_verify_raw(const char *cmd, const struct cli_engine *e, struct bpfbox_prog *prog,
			  uint32_t ctx_size)
{
	if (e->no_verify)
		return 0;
	char vbuf[1024] = "";
	struct bpfbox_log vlog = { .buf = vbuf, .size = sizeof(vbuf), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_verify_opts, vo, .prog_type = 0, .ctx_size = ctx_size, .log = &vlog);
	int err = bpfbox_prog__verify(prog, &vo);
	if (err) {
		vbuf[strcspn(vbuf, "\n")] = 0;
		cli_err(cmd, "verifier: %s (--no-verify runs it in checked mode)",
			vbuf[0] ? vbuf : strerror(-err));
		return -1;
	}
	return 0;
}

int cli_engine_select(const char *cmd, const struct cli_engine *e, struct bpfbox_prog *prog)
{
	const char *mode = bpfbox_prog__verified(prog) ? "verified" : "checked mode";
	if (e->interp) {
		if (e->verbose)
			fprintf(stderr, "bpfbox %s: interpreter (%s dispatch), %s\n", cmd,
				e->switch_dispatch ? "switch" : "computed-goto", mode);
		return e->switch_dispatch ? BPFBOX_ENGINE_INTERP_SWITCH : BPFBOX_ENGINE_INTERP;
	}
	char jl[512] = "";
	struct bpfbox_log jlog = { .buf = jl, .size = sizeof(jl), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_jit_opts, jo, .log = &jlog);
	int err = bpfbox_prog__jit(prog, &jo);
	jl[strcspn(jl, "\n")] = 0;
	if (err && e->jit) {
		cli_err(cmd, "JIT: %s", jl[0] ? jl : strerror(-err));
		return -1;
	}
	if (err) {
		if (e->verbose)
			fprintf(stderr, "bpfbox %s: interpreter (the JIT refused: %s), %s\n", cmd,
				jl[0] ? jl : strerror(-err), mode);
		return BPFBOX_ENGINE_INTERP;
	}
	if (e->verbose) {
		size_t len = 0;
		bpfbox_prog__jited(prog, &len);
		fprintf(stderr, "bpfbox %s: JIT, %zu bytes of x86-64, %s\n", cmd, len, mode);
	}
	return BPFBOX_ENGINE_JIT;
}

void cli_engine_jit_object(struct bpfbox_object *obj, struct bpfbox_prog *selected)
{
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		struct bpfbox_prog *p = bpfbox_obj_prog__handle(bpfbox_object__prog(obj, i));
		if (p && p != selected)
			bpfbox_prog__jit(p, NULL);
	}
}
