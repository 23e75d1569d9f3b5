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
/* The program --section S / --prog NAME select (both NULL: the first
 * SEC() program, else the first function); NULL + err when none. */
struct bpfbox_obj_prog *cli_pick_prog(struct bpfbox_object *obj, const char *section,
				      const char *name, char *err, size_t errsz);
/* For cli_load_prog: the linked instructions of an object's program
 * (malloc'd copy). */
int cli_load_object_insns(const char *path, const char *section, struct bpfbox_insn **insns,
			  size_t *n, char *err, size_t errsz);

/* `bpfbox run` for objects (run_object.c): argv[0] is "run".  The lead's
 * cmd_run calls it when cli_is_object(PROG). */
int cli_run_object(int argc, char **argv);

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
