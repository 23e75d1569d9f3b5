/* bpfbox — cli/engine.h: how a command runs a program (shared options).
 *
 * run, bench (and the object runner) take the same engine options:
 *   --jit / --interp      the JIT is the default; a program it cannot compile
 *                         runs on the interpreter (the reason is shown at -v);
 *                         an explicit --jit makes that an error instead
 *   --dispatch goto|switch  which interpreter build (with --interp)
 *   --no-verify           run unverified, in checked mode
 *   --budget N            checked-mode instruction budget per run
 *   -v                    say what runs and how
 */
#ifndef BPFBOX_CLI_ENGINE_H
#define BPFBOX_CLI_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

struct bpfbox_prog;

struct cli_engine {
	bool interp;             /* --interp */
	bool jit;                /* --jit given explicitly */
	bool switch_dispatch;    /* --dispatch switch */
	bool no_verify;          /* --no-verify */
	unsigned long long budget; /* --budget N (0: the VM's default) */
	int verbose;             /* -v count */
};

/* The --help lines of these options. */
extern const char cli_engine_help[];

/* If argv[*i] is an engine option, consume it (and its value) and return 1;
 * 0 when it is not one; -1 after one line on stderr for a bad value. */
int cli_engine_option(const char *cmd, int argc, char **argv, int *i, struct cli_engine *e);

/* Verify a raw program (bpfbox's raw convention: r1 = memory of ctx_size
 * bytes, r2 = its length) unless --no-verify.  0, or -1 after one line on
 * stderr naming the verifier's reason. */
int cli_engine_verify_raw(const char *cmd, const struct cli_engine *e, struct bpfbox_prog *prog,
			  uint32_t ctx_size);

/* Compile with the JIT unless --interp, and return the engine to pass in
 * bpfbox_run_opts (BPFBOX_ENGINE_*), or -1 after one line on stderr when an
 * explicit --jit could not compile the program. */
int cli_engine_select(const char *cmd, const struct cli_engine *e, struct bpfbox_prog *prog);

/* After the selected program of an object was JIT-compiled: compile its
 * other programs too, so tail calls stay in native code (one the JIT
 * refuses runs on the interpreter). */
struct bpfbox_object;
void cli_engine_jit_object(struct bpfbox_object *obj, struct bpfbox_prog *selected);

#endif
