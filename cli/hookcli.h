/* bpfbox — cli/hookcli.h: what `bpfbox trace`, `xdp`, `filter` and `tc`
 * share: open PROG, load it into a VM with bpfbox's helpers, verify and
 * JIT-compile the programs a hook runs, drain ring buffers and perf event
 * arrays, dump the maps at the end (hookcli.c). */
#ifndef BPFBOX_CLI_HOOKCLI_H
#define BPFBOX_CLI_HOOKCLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "objload.h"

struct bpfbox_object;
struct bpfbox_obj_prog;
struct bpfbox_env;
struct bpfbox_vm;
struct bpfbox_outputs;
struct bpfbox_prog;
struct btf;

/* Options every hook command takes (hookcli_option parses them). */
struct hookcli_args {
	const char *path;          /* PROG */
	const char *trace_out;     /* --trace-out FILE */
	const char *record_type;   /* --record-type NAME or a C struct definition */
	const char *record_btf;    /* --record-btf FILE: where NAME is looked up */
	bool json;                 /* --json */
	bool dump_maps;            /* --dump-maps */
	bool no_verify;            /* --no-verify */
	bool interp;               /* --interp (else JIT when it compiles) */
	bool verbose;              /* -v */
	uint64_t budget;           /* --budget N */
	struct cli_objopts objopts; /* --btf FILE, --set NAME=VALUE */
};

struct hookcli {
	const char *cmd;           /* "trace", "xdp", ... for messages */
	struct bpfbox_object *obj;
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
	struct bpfbox_outputs *outs;
	struct btf *rbtf;          /* the record type's BTF (--record-btf, C text), or NULL */
	FILE *trace;               /* --trace-out file (NULL: stdout) */
	int engine;
};

/* The help lines of the shared options. */
extern const char hookcli_options_help[];

/* Parse argv[*i] if it is a shared option (consuming its value).
 * Returns 1 when it was one, 0 when not, -1 on a usage error (reported). */
int hookcli_option(const char *cmd, int argc, char **argv, int *i, struct hookcli_args *a);

/* Open and load PROG.  Returns 0, or the CLI exit code (2) after one line
 * on stderr. */
int hookcli_open(struct hookcli *h, const char *cmd, const struct hookcli_args *a);

/* Verify (unless --no-verify) and JIT-compile (unless --interp) one loaded
 * program that the hook will run with a context of ctx_size bytes.  A
 * program the verifier rejects is refused.  Returns 0, or the CLI exit
 * code (1: rejected) after one line on stderr. */
int hookcli_prepare(struct hookcli *h, const struct hookcli_args *a, struct bpfbox_obj_prog *p,
		    int prog_type, uint32_t ctx_size);

/* Print pending ring buffer / perf records (after each event). */
void hookcli_drain(struct hookcli *h);

/* --dump-maps: every map with its entries, decoded with BTF when the
 * object describes the key and value types (text, or one JSON line per
 * map). */
void hookcli_dump_maps(struct hookcli *h, bool json);

void hookcli_close(struct hookcli *h);

#endif
