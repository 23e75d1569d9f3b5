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
 *   externs  __kconfig/__ksym externs, the .kconfig map          (extern.c)
 *   btf.ext  func/line info mapped onto linked slots             (btfext.c)
 *   CO-RE    .BTF.ext relocations resolved against a target BTF  (core.c)
 *   globals  --set of .rodata/.data/.bss variables before load   (globals.c)
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

/* One CO-RE relocation record of .BTF.ext and how it was resolved (core.c).
 * Strings are owned by the object (desc, why). */
struct obj_core_rec {
	const char *sec;        /* section the record names */
	uint32_t index;         /* its number within that section (libbpf's "relo #") */
	uint32_t insn_off;      /* byte offset in the section */
	uint32_t type_id;       /* local root type */
	uint32_t kind;          /* enum bpfbox_core_kind */
	uint32_t targ_id;       /* target root type (0: none) */
	uint64_t orig, val;     /* the compiled value and the relocated one */
	bool poison;
	char *spec;             /* "struct task_struct.real_parent" (local) */
	char *why;              /* poisoned: why ("no such field in the target") */
};

/* A CO-RE relocation applied to a slot of a linked program. */
struct obj_core_at {
	size_t insn;
	uint32_t rec;           /* index in obj->core */
	bool lddw;              /* the instruction was an lddw (two slots) */
};

/* An extern (__kconfig / __ksym) and its value (extern.c). */
enum { OBJ_EXT_KCONFIG = 0, OBJ_EXT_KSYM = 1 };
enum { KCFG_UNKNOWN = 0, KCFG_CHAR, KCFG_BOOL, KCFG_INT, KCFG_TRISTATE, KCFG_CHAR_ARR };
struct obj_extern {
	const char *name;
	int kind;               /* OBJ_EXT_* */
	bool weak, set, is_func;
	uint32_t btf_id;        /* its VAR/FUNC in the object's BTF */
	/* kconfig */
	int ktype;              /* KCFG_* */
	bool is_signed;
	uint32_t size, align, off; /* in the .kconfig map */
	/* ksym */
	uint32_t type_id;       /* local type (0: typeless) */
	uint32_t targ_id;       /* typed: the kernel's VAR/FUNC id */
	uint64_t addr;          /* kallsyms address */
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
	struct obj_core_at *core;  /* CO-RE relocations applied, sorted by insn */
	size_t ncore, core_cap;
	struct bpfbox_prog *handle;
	void *cb;               /* load.c: callback descriptors of this program */
	/* what the last acceptance by bpfbox_obj_prog__verify found about the
	 * stack: 0 not verified here, 1 reads only bytes it wrote, 2 may read
	 * bytes it never wrote (its frames must be zeroed, set_verified) */
	uint8_t stack_verdict;
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

	/* CO-RE (core.c): the target BTF relocations were resolved against */
	char *btf_path;           /* opts->btf_path (owned copy) or NULL */
	const struct btf *btf_given; /* opts->target_btf (borrowed) */
	struct btf *targ_own;     /* loaded target (owned) */
	struct btf **mods;        /* module BTFs (split on targ_own), owned */
	size_t nmods;
	bool mods_loaded;
	const struct btf *targ;   /* the target in use (targ_own, btf_given or btf) */
	char *targ_name;          /* where it came from, for messages */
	struct obj_core_rec *core;
	size_t ncore;

	/* externs (extern.c) */
	char *kconfig;            /* opts->kconfig (owned copy) or NULL */
	char *kallsyms_path;      /* opts->kallsyms_path or NULL */
	char *kconfig_path;       /* opts->kconfig_path or NULL */
	struct obj_extern *exts;
	size_t nexts;
	int kcfg_map;             /* index of the .kconfig map, or -1 */
	uint8_t *kcfg_data;
	size_t kcfg_size;

	/* globals (globals.c): .bss sections given a value before load */
	uint8_t **bss_init;       /* per section index, owned (NULL: zeroes) */
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
/* Append a zeroed map (index set, no inner map) to obj->maps (capacity
 * *cap); *out receives it.  0, -E2BIG (too many maps), -ENOMEM. */
int obj_new_map(struct bpfbox_object *obj, size_t *cap, struct bpfbox_obj_map **out);
int obj_find_progs(struct bpfbox_object *obj);  /* link.c */
int obj_link_prog(struct bpfbox_object *obj, struct bpfbox_obj_prog *p);
int obj_btf_ext(struct bpfbox_object *obj);     /* btfext.c: func/line info of every prog */
void obj_free_prog(struct bpfbox_object *obj, struct bpfbox_obj_prog *p);
void obj_free_map(struct bpfbox_object *obj, struct bpfbox_obj_map *m);
void obj_unload(struct bpfbox_object *obj);     /* load.c */

/* Map index whose definition lives at (sec, off), or -1. */
int obj_map_at(const struct bpfbox_object *obj, uint32_t sec, uint64_t off);

/* Externs (extern.c): collect __kconfig/__ksym externs and compute their
 * values (after BTF is read, before maps: the .kconfig map follows the
 * data maps); link.c asks for the extern a symbol names. */
int obj_collect_externs(struct bpfbox_object *obj);
int obj_add_kconfig_map(struct bpfbox_object *obj, size_t *cap);
const struct obj_extern *obj_extern_of(const struct bpfbox_object *obj, const char *name);
void obj_free_externs(struct bpfbox_object *obj);

/* CO-RE (core.c): resolve every .BTF.ext CO-RE record and patch the linked
 * programs; the target BTF (loaded on first use: opts, else the running
 * kernel's, else the object's own). */
int obj_core(struct bpfbox_object *obj);
int obj_target_btf(struct bpfbox_object *obj, const struct btf **out);
void obj_free_core(struct bpfbox_object *obj);
struct btf_type;
/* The type that skipping modifiers and typedefs of `id` reaches (bounded:
 * NULL for a cycle or a bad id); *res (may be NULL) receives its id. */
const struct btf_type *obj_skip_mods(const struct btf *btf, uint32_t id, uint32_t *res);
/* libbpf's CO-RE type compatibility (typed ksyms): 1, 0 or -errno. */
int obj_core_types_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid);
/* The description of a poisoned slot of program p (NULL: not poisoned). */
const char *obj_poison_note(const struct bpfbox_obj_prog *p, size_t insn, char *buf, size_t sz);

#endif
