/* bpfbox — object/obj.h: the object loader's internal structures.
 *
 * The object keeps its own copy of the file bytes; every section's data is
 * a checked (offset, size) window into that copy, read through cursors.
 * libelf is used for the headers (section table, names); symbols,
 * relocations, maps, BTF.ext and instructions are read by this layer.
 *
 * Stages (object.c drives them, each in its own file):
 *   elf      sections, symbols, relocations, license/version   (object.c)
 *   maps     .maps through BTF, legacy maps, global data        (objmaps.c)
 *   progs    program entries from symbols and section names      (link.c)
 *   link     subprograms appended, relocations applied           (link.c)
 *   btf.ext  func/line info mapped onto linked slots             (btfext.c)
 *   load     maps and programs created in a VM                   (load.c)
 */
#ifndef BPFBOX_OBJ_INTERNAL_H
#define BPFBOX_OBJ_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include "bpfbox/object.h"
#include "util/util.h"

#define R_BPF_NONE 0
#define R_BPF_64_64 1
#define R_BPF_64_ABS64 2
#define R_BPF_64_ABS32 3
#define R_BPF_64_NODYLD32 4
#define R_BPF_64_32 10

#define PSEUDO_CALL 1
#define PSEUDO_FUNC 4
#define PSEUDO_MAP_IDX 5
#define PSEUDO_MAP_IDX_VALUE 6

struct obj_reloc {
	uint64_t off;   /* byte offset in the target section */
	uint32_t type;  /* R_BPF_* */
	uint32_t sym;   /* symbol index */
};

struct obj_sec {
	const char *name;
	uint32_t idx;
	uint32_t type;        /* SHT_* */
	uint64_t flags;       /* SHF_* */
	uint64_t off, size;   /* in the file (size is the memory size for NOBITS) */
	uint32_t link, info;
	const uint8_t *data;  /* NULL for NOBITS */
	int kind;             /* enum bpfbox_obj_sec_kind */
	int map;              /* DATA: its map index; else -1 */
	struct obj_reloc *relocs; /* sorted by off */
	size_t nrelocs;
};

struct obj_sym {
	const char *name;
	uint64_t value, size;
	uint16_t shndx;
	uint8_t type, bind;
};

/* A piece of code placed in a linked program: one function (or a whole
 * section when it has no function symbols). */
struct obj_piece {
	uint32_t sec;
	uint64_t start, size; /* bytes within the section */
	size_t pos;           /* first slot in the linked program */
	const char *name;
	uint32_t btf_type;
};

struct obj_rel_at {
	size_t insn;
	struct bpfbox_obj_reloc r;
};

struct obj_line_rec {
	size_t insn;
	const char *file, *text;
	uint32_t line, col;
};

struct bpfbox_obj_prog {
	struct bpfbox_object *obj;
	char *name;
	const char *sec_name;
	uint32_t sec;
	uint64_t start, size;   /* the entry function, bytes within the section */
	int type;
	const char *prefix, *attach;
	bool is_function;
	struct bpfbox_insn *insns;
	size_t n;
	struct obj_piece *pieces;
	size_t npieces;
	struct obj_rel_at *rels; /* sorted by insn */
	size_t nrels;
	struct obj_line_rec *lines; /* sorted by insn */
	size_t nlines;
	struct bpfbox_prog *handle;
	void *cb;               /* load.c: callback descriptors of this program */
};

struct obj_init_slot {
	uint32_t slot;
	const char *what;       /* program or map name */
};

struct bpfbox_obj_map {
	struct bpfbox_object *obj;
	int index;
	struct bpfbox_obj_map_def def;
	char *name_buf;         /* owned name when synthesized */
	uint32_t sec;
	uint64_t sec_off;       /* offset of the definition (BTF/legacy maps) */
	uint64_t def_size;      /* bytes of the definition in its section */
	struct obj_init_slot *slots;
	size_t nslots;
	struct bpfbox_map *handle;
};

struct bpfbox_object {
	struct util_alloc alloc;
	struct bpfbox_log *log;
	char *name;
	uint8_t *file;
	size_t file_size;
	void *elf;              /* Elf * (libelf), kept while open */
	struct obj_sec *secs;
	size_t nsecs;
	struct obj_sym *syms;
	size_t nsyms;
	uint32_t symtab_sec;
	char license[128];
	uint32_t kversion;
	struct btf *btf;
	const uint8_t *btf_ext;
	size_t btf_ext_size;
	struct bpfbox_obj_prog **progs;
	size_t nprogs;
	struct bpfbox_obj_map **maps;
	size_t nmaps;
	bool loaded;
	struct bpfbox_vm *vm;
	struct bpfbox_env *env;
};

/* Log one line "object NAME: ..." and return err. */
int obj_err(struct bpfbox_object *obj, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void *obj_calloc(struct bpfbox_object *obj, size_t n, size_t size);
void obj_free(struct bpfbox_object *obj, void *p, size_t size);
/* Grow *arr (elements of `size`) to hold at least `need`; *cap tracks the
 * capacity.  0 or -ENOMEM. */
int obj_grow(struct bpfbox_object *obj, void **arr, size_t *cap, size_t need, size_t size);
char *obj_strdup(struct bpfbox_object *obj, const char *s);

/* The symbol at `idx`, or NULL. */
const struct obj_sym *obj_sym(const struct bpfbox_object *obj, uint32_t idx);
/* The relocation of byte offset `off` of section `sec`, or NULL. */
const struct obj_reloc *obj_reloc_at(const struct obj_sec *sec, uint64_t off);
/* The FUNC symbol of section `sec` containing byte `off` (NULL: none). */
const struct obj_sym *obj_func_at(const struct bpfbox_object *obj, uint32_t sec, uint64_t off);

/* Stages. */
int obj_parse_maps(struct bpfbox_object *obj);  /* objmaps.c */
int obj_find_progs(struct bpfbox_object *obj);  /* link.c */
int obj_link_prog(struct bpfbox_object *obj, struct bpfbox_obj_prog *p);
int obj_btf_ext(struct bpfbox_object *obj);     /* btfext.c: func/line info of every prog */
void obj_free_prog(struct bpfbox_object *obj, struct bpfbox_obj_prog *p);
void obj_free_map(struct bpfbox_object *obj, struct bpfbox_obj_map *m);
void obj_unload(struct bpfbox_object *obj);     /* load.c */

/* Map index whose definition lives at (sec, off), or -1. */
int obj_map_at(const struct bpfbox_object *obj, uint32_t sec, uint64_t off);

#endif
