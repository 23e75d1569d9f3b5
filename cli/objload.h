/* bpfbox — cli/objload.h: objects, `.bpf.c` sources and saved maps for the
 * subcommands (objload.c, mapsjson.c, run_object.c). */
#ifndef BPFBOX_CLI_OBJLOAD_H
#define BPFBOX_CLI_OBJLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "bpfbox/insn.h"

struct bpfbox_object;
struct bpfbox_obj_prog;
struct bpfbox_map;

/* PROG is an ELF object or a .bpf.c/.c source. */
bool cli_is_object(const char *path);
bool cli_is_bpf_c(const char *path);
/* Silence libbpf's own stderr messages (BTF parsing): the CLI reports. */
void cli_quiet_libbpf(void);
/* Compile SRC with clang into the cache; *out gets the object's path.
 * 0, or a negative errno with one line in err. */
int cli_compile_bpf_c(const char *src, bool verbose, char *out, size_t outsz, char *err,
		      size_t errsz);
/* Open PROG (object or source) as an object.  0 or -errno + err. */
int cli_open_object(const char *path, bool verbose, struct bpfbox_object **obj, char *err,
		    size_t errsz);

/* The options of every command that loads objects (CO-RE and globals):
 *   --btf FILE        target BTF for CO-RE relocations (default: the running
 *                     kernel's /sys/kernel/btf/vmlinux)
 *   --set NAME=VALUE  a global variable's value before load (repeatable) */
#define CLI_MAX_SET 64
struct cli_objopts {
	const char *btf;
	const char *set[CLI_MAX_SET];
	size_t nset;
};
#define CLI_OBJOPTS_HELP                                                                   \
	"  --btf FILE         resolve CO-RE relocations against this BTF (raw BTF or an ELF\n"  \
	"                     file with .BTF; default: the running kernel's\n"                 \
	"                     /sys/kernel/btf/vmlinux)\n"                                      \
	"  --set NAME=VALUE   give global variable NAME (a `const volatile` .rodata setting\n" \
	"                     such as targ_pid, or .data/.bss) a value before load, as a\n"    \
	"                     libbpf skeleton does; numbers, true/false, enum names,\n"        \
	"                     strings, a,b,c for arrays (repeatable)\n"
extern const char cli_objopts_help[];
/* Parse argv[*i] if it is --btf (or its alias --target-btf, for commands
 * where --btf means something else) or --set, consuming the value: 1 when
 * it was one, 0 when not, -1 on a usage error ("bpfbox CMD: ..."). */
int cli_objopts_parse(const char *cmd, int argc, char **argv, int *i, struct cli_objopts *o);
/* cli_open_object with the target BTF of `o` and its --set values applied
 * (o may be NULL).  0 or -errno + err (-ENOENT/-EINVAL for a --set that
 * names no variable or does not parse). */
int cli_open_object_opts(const char *path, bool verbose, const struct cli_objopts *o,
			 struct bpfbox_object **obj, char *err, size_t errsz);
/* The program --section S / --prog NAME select (both NULL: the first
 * SEC() program, else the first function); NULL + err when none. */
struct bpfbox_obj_prog *cli_pick_prog(struct bpfbox_object *obj, const char *section,
				      const char *name, char *err, size_t errsz);
/* For cli_load_prog: the linked instructions of an object's program
 * (malloc'd copy). */
int cli_load_object_insns(const char *path, const char *section, struct bpfbox_insn **insns,
			  size_t *n, char *err, size_t errsz);

/* `bpfbox run` for objects (run_object.c): argv[0] is "run".  cmd_run
 * calls it when cli_is_object(PROG). */
int cli_run_object(int argc, char **argv);

/* An object loaded (fresh env + VM, every map and program) to run one of
 * its programs, with the context a run gives it: `data` is --ctx bytes
 * (is_ctx) or --mem bytes — a packet, for packet programs, which then get
 * the xdp_md / __sk_buff the kernel would build (run_object.c). */
struct cli_objprog;
struct bpfbox_run_opts;
struct bpfbox_prog;
struct cli_objprog_opts {
	const char *section, *prog;
	const uint8_t *data;
	size_t len;
	bool is_ctx;
	int cpu;          /* -1: the running CPU */
	FILE *trace_out;  /* NULL: stdout */
	bool verbose;
	const struct cli_objopts *objopts; /* --btf/--set (may be NULL) */
	/* Verify the object's programs (the default of run and bench): the
	 * selected one must pass (else -EACCES and the verifier's reason in
	 * err); when every program of the object passes they all run
	 * verified, otherwise (a tail call could reach an unproven one) all
	 * run in checked mode. */
	bool verify;
};
int cli_objprog_open(const char *path, const struct cli_objprog_opts *o, struct cli_objprog **out,
		     char *err, size_t errsz);
/* Set ro's mem/pkt/hook for the next run (restoring the packet or copy of
 * the memory as given, so every run starts alike). */
void cli_objprog_prepare(struct cli_objprog *R, struct bpfbox_run_opts *ro);
struct bpfbox_prog *cli_objprog_prog(const struct cli_objprog *R);
struct bpfbox_object *cli_objprog_object(const struct cli_objprog *R);
struct bpfbox_obj_prog *cli_objprog_obj_prog(const struct cli_objprog *R);
void cli_objprog_free(struct cli_objprog *R);

/* ---- saved maps (mapsjson.c) ---------------------------------------------- */

struct cli_mapset;
/* Maps of a loaded object (borrowed handles) as a set to save/print. */
int cli_mapset_from_object(struct bpfbox_object *obj, struct cli_mapset **out);
/* Parse a saved file and create its maps (owned by the set).  0 or -errno
 * with one line in err. */
int cli_mapset_load(const char *path, struct cli_mapset **out, char *err, size_t errsz);
int cli_mapset_save(const struct cli_mapset *set, const char *path, char *err, size_t errsz);
/* Copy the contents of each map of `from` into the map of `obj` with the
 * same name (missing names are an error naming them). */
int cli_mapset_apply(const struct cli_mapset *from, struct bpfbox_object *obj, char *err,
		     size_t errsz);
void cli_mapset_free(struct cli_mapset *set);
size_t cli_mapset_count(const struct cli_mapset *set);
struct bpfbox_map *cli_mapset_map(const struct cli_mapset *set, size_t i);
const char *cli_mapset_name(const struct cli_mapset *set, size_t i);
/* bpftool-style dump of one map (plain, or JSON with json=true). */
void cli_map_dump(FILE *f, const struct cli_mapset *set, struct bpfbox_map *map, const char *name,
		  bool json);
/* Name of a pointer stored in a prog array / map-in-map slot. */
const char *cli_mapset_ptr_name(const struct cli_mapset *set, const void *ptr);

#endif
