/* bpfbox — object.h: ELF objects as clang and libbpf users write them.
 *
 * `clang -O2 -g -target bpf -c prog.bpf.c -o prog.o` produces an ELF
 * relocatable object: one section per program (`SEC("xdp")`,
 * `SEC("tp/syscalls/sys_enter_openat")`, ...), subprograms in `.text`,
 * BTF-defined maps in `.maps` (or legacy `struct bpf_map_def` in `maps`),
 * global variables in `.data`/`.rodata`/`.bss`/`.data.*`/`.rodata.*`,
 * `license`, `version`, and BTF/BTF.ext describing types, functions and
 * source lines.  A `bpfbox_object` is that file, parsed and linked:
 *
 *   open   parse and check the file, describe its programs and maps, link
 *          every program (its subprograms appended, calls and lddw
 *          references relocated) — nothing is created in any VM yet;
 *   load   create the maps (through the maps API) with their initial
 *          contents, and one `bpfbox_prog` per program in a VM, whose lddw
 *          map references resolve to those maps.
 *
 * A program's linked instructions use the kernel's pseudo encodings, with
 * map indices instead of file descriptors (as in the kernel's fd_array
 * mode): `lddw rX, map` is src 5 (BPF_PSEUDO_MAP_IDX) with imm = map index;
 * `lddw rX, &global + off` is src 6 (BPF_PSEUDO_MAP_IDX_VALUE) with imm =
 * map index and the second immediate = offset; `lddw rX, func` is src 4
 * (BPF_PSEUDO_FUNC) with imm = target slot - this slot - 1; local calls
 * are src 1 with the same relative imm.  Disassemblers and verifiers can
 * read them without knowing the ELF file.
 *
 * Ownership: the object owns everything reachable from it (programs, maps,
 * BTF, the loaded bpfbox_prog and bpfbox_map handles); getters borrow.
 * bpfbox_object__free() frees the loaded programs, so call it before
 * freeing their VM.  An object is not thread-safe while it is being opened
 * or loaded; its loaded programs may run concurrently afterwards.
 */
#ifndef BPFBOX_OBJECT_H
#define BPFBOX_OBJECT_H

#include "bpfbox/common.h"
#include "bpfbox/insn.h"
#include "bpfbox/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfbox_object;
struct bpfbox_obj_prog;
struct bpfbox_obj_map;
struct bpfbox_map;
struct bpfbox_env;
struct btf; /* libbpf's */

/* Limits a file must respect ("absurd counts" are rejected naming them). */
#define BPFBOX_OBJ_MAX_SECTIONS 16384
#define BPFBOX_OBJ_MAX_SYMBOLS (1u << 20)
#define BPFBOX_OBJ_MAX_MAPS 4096
#define BPFBOX_OBJ_MAX_INSNS (1u << 20) /* per linked program, like the kernel */

struct bpfbox_object_opts {
	size_t sz;
	struct bpfbox_log *log;  /* why a file was refused (one line); may be NULL */
	bpfbox_alloc_fn alloc;   /* NULL: realloc/free (libelf and libbpf use malloc) */
	void *alloc_ud;
	const char *name;        /* object name for messages; default: file name */
	/* CO-RE target: a BTF file (raw BTF such as /sys/kernel/btf/vmlinux,
	 * or an ELF file with .BTF) to resolve relocations against.  NULL: the
	 * running kernel's /sys/kernel/btf/vmlinux (and its module BTFs when
	 * vmlinux has no candidate, as libbpf), or, when the kernel has no
	 * BTF, the object's own types (relocations keep their compiled
	 * values; a note in the log says so). */
	const char *btf_path;
	/* The target as a libbpf BTF object (borrowed; overrides btf_path). */
	const struct btf *target_btf;
	/* Kconfig lines ("CONFIG_X=y
CONFIG_Y=32
") that take precedence over
	 * the system's, like libbpf's `kconfig` option.  NULL: none. */
	const char *kconfig;
	/* Where CONFIG_* externs come from (plain or gzip).  NULL:
	 * /boot/config-$(uname -r), else /proc/config.gz. */
	const char *kconfig_path;
	/* Where typeless __ksym externs are looked up.  NULL: /proc/kallsyms. */
	const char *kallsyms_path;
};
#define bpfbox_object_opts__last_field kallsyms_path

/* Parse an object file / an object in memory (copied).  On success *out
 * receives the object (free with bpfbox_object__free).  Errors, each with
 * one line in opts->log naming what is wrong:
 *   -ENOENT/-EACCES/... the file cannot be read;
 *   -ENOEXEC  not an ELF file, wrong class/endianness/machine/type;
 *   -EINVAL   malformed: truncated, overlapping sections, relocation to a
 *             missing symbol or section, bad BTF, map definition errors,
 *             `.maps` without BTF, instructions that do not link;
 *   -E2BIG    absurd counts (sections, symbols, maps, program size);
 *   -ENOTSUP  a construct bpfbox does not support (an extern outside
 *             .kconfig/.ksyms, a kconfig extern of an unsupported type);
 *   -ESRCH    a strong extern that cannot be resolved (no such CONFIG_,
 *             kernel symbol or kernel BTF variable);
 *   -ENOENT   the target BTF file (btf_path) cannot be read;
 *   -ENOMEM.
 * A CO-RE relocation that cannot be resolved is not an error: its
 * instruction is poisoned exactly as libbpf does (`call 0xbad2310`,
 * BPFBOX_CORE_POISON; both halves of an lddw), so the program fails only
 * if it reaches that instruction — the verifier and the VM then name the
 * relocation.  A relocation that is malformed, ambiguous, or whose
 * instruction does not hold the value the compiler recorded, is -EINVAL,
 * as libbpf refuses the object. */
BPFBOX_API int bpfbox_object__open_file(const char *path, const struct bpfbox_object_opts *opts,
					struct bpfbox_object **out);
BPFBOX_API int bpfbox_object__open_mem(const void *data, size_t size,
				       const struct bpfbox_object_opts *opts,
				       struct bpfbox_object **out);
/* Where the object's later messages go (bpfbox_object__set_global, and
 * bpfbox_object__load when its opts give no log): the log given at open is
 * used during the open only.  NULL: nowhere.  The log must outlive its use. */
BPFBOX_API void bpfbox_object__set_log(struct bpfbox_object *obj, struct bpfbox_log *log);
/* Free the object, its loaded programs and maps (NULL is fine).  Programs
 * of the object must not be running. */
BPFBOX_API void bpfbox_object__free(struct bpfbox_object *obj);

BPFBOX_API const char *bpfbox_object__name(const struct bpfbox_object *obj);
/* "GPL", "Dual BSD/GPL", ... ("" when the file has no license section). */
BPFBOX_API const char *bpfbox_object__license(const struct bpfbox_object *obj);
/* Whether the license is GPL-compatible (gpl_only helpers need it). */
BPFBOX_API bool bpfbox_object__gpl_compatible(const struct bpfbox_object *obj);
/* The `version` section's value (0 when absent). */
BPFBOX_API uint32_t bpfbox_object__kversion(const struct bpfbox_object *obj);
/* libbpf's BTF of the object, or NULL for objects without BTF.  Borrowed. */
BPFBOX_API const struct btf *bpfbox_object__btf(const struct bpfbox_object *obj);
/* The BTF the object's CO-RE relocations and typed ksyms were resolved
 * against (the kernel's, the btf_path/target_btf given, or the object's own
 * as a fallback), or NULL when the object needed none.  Borrowed, lives as
 * long as the object.  *name (may be NULL) receives where it came from
 * ("/sys/kernel/btf/vmlinux", the path, "the object's own BTF"). */
BPFBOX_API const struct btf *bpfbox_object__target_btf(const struct bpfbox_object *obj,
							const char **name);

/* ---- CO-RE relocations ---------------------------------------------------- */

/* The relocation kinds, by libbpf's / the kernel's numbers (enum
 * bpf_core_relo_kind). */
enum bpfbox_core_kind {
	BPFBOX_CORE_FIELD_BYTE_OFFSET = 0, /* field byte offset */
	BPFBOX_CORE_FIELD_BYTE_SIZE = 1,   /* field size in bytes */
	BPFBOX_CORE_FIELD_EXISTS = 2,      /* field existence in target kernel */
	BPFBOX_CORE_FIELD_SIGNED = 3,      /* field signedness (0 - unsigned, 1 - signed) */
	BPFBOX_CORE_FIELD_LSHIFT_U64 = 4,  /* bitfield-specific left bitshift */
	BPFBOX_CORE_FIELD_RSHIFT_U64 = 5,  /* bitfield-specific right bitshift */
	BPFBOX_CORE_TYPE_ID_LOCAL = 6,     /* type ID in local BPF object */
	BPFBOX_CORE_TYPE_ID_TARGET = 7,    /* type ID in target kernel */
	BPFBOX_CORE_TYPE_EXISTS = 8,       /* type existence in target kernel */
	BPFBOX_CORE_TYPE_SIZE = 9,         /* type size in bytes */
	BPFBOX_CORE_ENUMVAL_EXISTS = 10,   /* enum value existence in target kernel */
	BPFBOX_CORE_ENUMVAL_VALUE = 11,    /* enum value integer value */
	BPFBOX_CORE_TYPE_MATCHES = 12,     /* type match in target kernel */
};

/* A failed relocation leaves `call BPFBOX_CORE_POISON` (insn.h, libbpf's
 * 0xbad2310) in place of its instruction. */

/* libbpf's short name of a kind ("byte_off", "field_exists", ...), or
 * "unknown". */
BPFBOX_API const char *bpfbox_core_kind__name(int kind);

/* A CO-RE relocation as applied to one slot of a linked program. */
struct bpfbox_obj_core_relo {
	size_t insn;            /* slot in the linked program */
	const char *section;    /* section of the record */
	uint32_t index;         /* its number within the section (libbpf's "relo #N") */
	int kind;               /* enum bpfbox_core_kind */
	const char *spec;       /* what it accesses: "struct task_struct.real_parent",
				 * "enum pid_type::PIDTYPE_TGID", "struct foo" */
	uint32_t local_type_id; /* root type in the object's BTF */
	uint32_t target_type_id;/* root type in the target BTF (0: none found) */
	uint64_t orig_val;      /* what the compiler put in the instruction */
	uint64_t new_val;       /* what it holds now (poisoned: 0) */
	bool poisoned;          /* the instruction is now `call BPFBOX_CORE_POISON` */
	const char *why;        /* poisoned: the reason ("" otherwise) */
};
/* Number of CO-RE relocations applied to program p, and the i-th (in slot
 * order).  Strings are borrowed from the object.  -ENOENT past the end. */
BPFBOX_API size_t bpfbox_obj_prog__core_relo_count(const struct bpfbox_obj_prog *p);
BPFBOX_API int bpfbox_obj_prog__core_relo(const struct bpfbox_obj_prog *p, size_t i,
					  struct bpfbox_obj_core_relo *r);
/* The poisoned relocation at slot `insn`, as one line ("CO-RE relocation
 * #3 in 'kprobe/x' (byte_off of struct task_struct.foo) could not be
 * resolved against /sys/kernel/btf/vmlinux: ...") in buf; NULL when the
 * slot is not poisoned. */
BPFBOX_API const char *bpfbox_obj_prog__poison_note(const struct bpfbox_obj_prog *p, size_t insn,
						    char *buf, size_t size);

/* ---- externs ---------------------------------------------------------------- */

enum bpfbox_obj_extern_kind {
	BPFBOX_EXTERN_KCONFIG = 0, /* extern ... __kconfig: a value in the .kconfig map */
	BPFBOX_EXTERN_KSYM = 1,    /* extern ... __ksym: a kernel symbol's address */
};
struct bpfbox_obj_extern {
	const char *name;
	int kind;               /* enum bpfbox_obj_extern_kind */
	bool weak;              /* __weak: may stay unresolved (value 0) */
	bool resolved;          /* a value was found (else 0, weak only) */
	bool typed;             /* ksym with a BTF type (checked against the target BTF) */
	bool func;              /* an extern function (kfunc): calls are poisoned */
	uint32_t offset, size;  /* kconfig: where its value lies in the .kconfig map */
	uint64_t value;         /* kconfig: the value (numbers; strings: 0);
				 * ksym: the address from kallsyms (0: none) */
};
BPFBOX_API size_t bpfbox_object__extern_count(const struct bpfbox_object *obj);
BPFBOX_API int bpfbox_object__extern(const struct bpfbox_object *obj, size_t i,
				     struct bpfbox_obj_extern *e);

/* ---- global variables before load ---------------------------------------- */

/* Give global variable `name` (of .rodata, .data, .bss or their .NAME
 * variants: `const volatile int targ_pid = 0;` is the usual
 * configuration) the value `value`, parsed by its BTF type: integers
 * (decimal, 0x hex, negative for signed types), bool (true/false/1/0),
 * enums (an enumerator name or a number), char arrays (the string; it must
 * fit with its NUL), arrays of integers ("1,2,3", the rest zero).  Only
 * before bpfbox_object__load.  Returns 0; -ENOENT no such variable (or the
 * object has no BTF); -EINVAL a value that does not parse or fit (one line
 * in the log); -EBUSY already loaded; -ENOTSUP a type that cannot be set
 * from text (structs, pointers). */
BPFBOX_API int bpfbox_object__set_global(struct bpfbox_object *obj, const char *name,
					 const char *value);

/* ---- sections ----------------------------------------------------------- */

enum bpfbox_obj_sec_kind {
	BPFBOX_SEC_OTHER = 0,   /* debug info, string tables, ... */
	BPFBOX_SEC_PROG,        /* a program section (SEC("...")) */
	BPFBOX_SEC_TEXT,        /* .text: subprograms / global functions */
	BPFBOX_SEC_MAPS,        /* .maps (BTF-defined maps) */
	BPFBOX_SEC_MAPS_LEGACY, /* maps (struct bpf_map_def) */
	BPFBOX_SEC_DATA,        /* .data/.rodata/.bss/.data.* /.rodata.* */
	BPFBOX_SEC_LICENSE,
	BPFBOX_SEC_VERSION,
	BPFBOX_SEC_BTF,
	BPFBOX_SEC_BTF_EXT,
	BPFBOX_SEC_RELOC,
	BPFBOX_SEC_SYMTAB,
};

struct bpfbox_obj_sec_info {
	const char *name;
	uint32_t index;     /* ELF section index */
	int kind;           /* enum bpfbox_obj_sec_kind */
	uint64_t size;
	uint64_t offset;    /* in the file (0 for .bss) */
	uint32_t elf_type;  /* SHT_* */
	uint64_t elf_flags; /* SHF_* */
	size_t nrelocs;     /* relocations that apply to it */
};

BPFBOX_API size_t bpfbox_object__sec_count(const struct bpfbox_object *obj);
/* Fill *info for section i (0 <= i < count; ELF order).  -ENOENT past the end. */
BPFBOX_API int bpfbox_object__sec(const struct bpfbox_object *obj, size_t i,
				  struct bpfbox_obj_sec_info *info);

/* The ELF symbol `name` of section `sec` (global data variables, maps):
 * 0 with its offset and size in the section, or -ENOENT. */
BPFBOX_API int bpfbox_object__symbol(const struct bpfbox_object *obj, const char *sec,
				     const char *name, uint64_t *value, uint64_t *size);

/* ---- programs ----------------------------------------------------------- */

BPFBOX_API size_t bpfbox_object__prog_count(const struct bpfbox_object *obj);
BPFBOX_API struct bpfbox_obj_prog *bpfbox_object__prog(const struct bpfbox_object *obj, size_t i);
/* Find by function name, then by section name (first program of it). */
BPFBOX_API struct bpfbox_obj_prog *bpfbox_object__find_prog(const struct bpfbox_object *obj,
							    const char *name);
BPFBOX_API struct bpfbox_obj_prog *bpfbox_object__find_prog_by_section(
	const struct bpfbox_object *obj, const char *sec);

BPFBOX_API const char *bpfbox_obj_prog__name(const struct bpfbox_obj_prog *p);
BPFBOX_API const char *bpfbox_obj_prog__section(const struct bpfbox_obj_prog *p);
/* enum bpfbox_prog_type derived from the section name as libbpf does. */
BPFBOX_API int bpfbox_obj_prog__type(const struct bpfbox_obj_prog *p);
/* What the section name says to attach to ("syscalls/sys_enter_openat" for
 * "tp/syscalls/sys_enter_openat", "do_sys_open" for "kprobe/do_sys_open"),
 * "" when nothing. */
BPFBOX_API const char *bpfbox_obj_prog__attach(const struct bpfbox_obj_prog *p);
/* The prefix the section matched ("tp", "kprobe", "xdp", ...; "" unknown). */
BPFBOX_API const char *bpfbox_obj_prog__sec_prefix(const struct bpfbox_obj_prog *p);
/* True for a global function of .text selected as an entry (not a SEC()). */
BPFBOX_API bool bpfbox_obj_prog__is_function(const struct bpfbox_obj_prog *p);
/* The linked instructions (see the file comment for their pseudo forms). */
BPFBOX_API const struct bpfbox_insn *bpfbox_obj_prog__insns(const struct bpfbox_obj_prog *p,
							    size_t *n);
/* The loaded program (after bpfbox_object__load), else NULL.  Borrowed. */
BPFBOX_API struct bpfbox_prog *bpfbox_obj_prog__handle(const struct bpfbox_obj_prog *p);
/* Mark the loaded program and the callbacks it passes to bpf_loop /
 * bpf_for_each_map_elem as proven safe (or not): runs then skip the
 * checked-mode checks.  Only a verifier's acceptance of the program's
 * linked instructions may justify it.  The program's frames are zeroed on
 * entry unless bpfbox_obj_prog__verify() accepted it and found no read of
 * stack it never wrote.  No-op before load. */
BPFBOX_API void bpfbox_obj_prog__set_verified(struct bpfbox_obj_prog *p, bool verified);

/* Functions placed in the linked program, in order (main first). */
struct bpfbox_obj_func {
	const char *name;   /* symbol name ("" when the object has no symbols) */
	const char *section;
	size_t start;       /* first slot in the linked program */
	size_t n;           /* slots */
	uint32_t btf_type;  /* BTF FUNC type id from .BTF.ext (0: none) */
};
BPFBOX_API size_t bpfbox_obj_prog__func_count(const struct bpfbox_obj_prog *p);
BPFBOX_API int bpfbox_obj_prog__func(const struct bpfbox_obj_prog *p, size_t i,
				     struct bpfbox_obj_func *f);

/* What a relocated slot refers to. */
enum bpfbox_obj_reloc_kind {
	BPFBOX_RELOC_NONE = 0,
	BPFBOX_RELOC_MAP,       /* lddw of a map: map index */
	BPFBOX_RELOC_MAP_VALUE, /* lddw of a global variable: map index + offset */
	BPFBOX_RELOC_CALL,      /* bpf-to-bpf call: target slot */
	BPFBOX_RELOC_FUNC,      /* lddw of a function (callback): target slot */
	BPFBOX_RELOC_EXTERN,    /* lddw of a __ksym (now its address), or a call of a
				 * kernel function (kfunc; now `call BPFBOX_CORE_POISON`) */
};
struct bpfbox_obj_reloc {
	int kind;
	int map;            /* MAP, MAP_VALUE */
	uint64_t offset;    /* MAP_VALUE */
	size_t target;      /* CALL, FUNC */
	const char *symbol; /* the ELF symbol the relocation named ("" none) */
};
/* Relocation of slot `insn` of the linked program: 0 and *r, or -ENOENT. */
BPFBOX_API int bpfbox_obj_prog__reloc(const struct bpfbox_obj_prog *p, size_t insn,
				      struct bpfbox_obj_reloc *r);

/* Source line of slot `insn` from .BTF.ext line info (the record at or
 * before it within its function).  0 and the fields (borrowed), or -ENOENT
 * (no line info).  `exact` says whether the record starts at this slot. */
struct bpfbox_obj_line {
	const char *file;
	const char *text;   /* the source line as recorded in BTF ("" none) */
	uint32_t line, col;
	bool exact;
};
BPFBOX_API int bpfbox_obj_prog__line(const struct bpfbox_obj_prog *p, size_t insn,
				     struct bpfbox_obj_line *l);

/* ---- maps --------------------------------------------------------------- */

enum bpfbox_obj_map_kind {
	BPFBOX_OBJ_MAP_BTF = 0,    /* .maps */
	BPFBOX_OBJ_MAP_LEGACY = 1, /* maps (struct bpf_map_def) */
	BPFBOX_OBJ_MAP_DATA = 2,   /* a global data section as a 1-element array */
	BPFBOX_OBJ_MAP_INNER = 3,  /* template of a map-in-map's inner maps (not created) */
};

/* A map as the object defines it. */
struct bpfbox_obj_map_def {
	const char *name;
	int kind;                /* enum bpfbox_obj_map_kind */
	uint32_t type;           /* kernel map type number */
	uint32_t key_size, value_size, max_entries, map_flags;
	uint64_t map_extra;
	uint32_t numa_node;
	uint32_t pinning;        /* LIBBPF_PIN_* (0 none, 1 by name) */
	uint32_t btf_key_type;   /* BTF type ids (0: none) */
	uint32_t btf_value_type;
	uint32_t btf_def_type;   /* the struct of a .maps definition / the DATASEC */
	int inner;               /* index of the inner-map template, or -1 */
	const char *section;     /* defining section */
	const void *init;        /* DATA: initial contents (value_size bytes; NULL = zero) */
	size_t n_init_slots;     /* prog arrays / map-in-map: initial values */
};
BPFBOX_API size_t bpfbox_object__map_count(const struct bpfbox_object *obj);
BPFBOX_API struct bpfbox_obj_map *bpfbox_object__map(const struct bpfbox_object *obj, size_t i);
BPFBOX_API struct bpfbox_obj_map *bpfbox_object__find_map(const struct bpfbox_object *obj,
							  const char *name);
BPFBOX_API int bpfbox_obj_map__index(const struct bpfbox_obj_map *m);
BPFBOX_API const struct bpfbox_obj_map_def *bpfbox_obj_map__def(const struct bpfbox_obj_map *m);
/* Initial value `i` of a prog array / map-in-map: *slot receives the key,
 * *what the program or map name.  -ENOENT past the end. */
BPFBOX_API int bpfbox_obj_map__init_slot(const struct bpfbox_obj_map *m, size_t i,
					 uint32_t *slot, const char **what);
/* The created map (after load), else NULL.  Borrowed. */
BPFBOX_API struct bpfbox_map *bpfbox_obj_map__handle(const struct bpfbox_obj_map *m);

/* ---- load --------------------------------------------------------------- */

struct bpfbox_object_load_opts {
	size_t sz;
	struct bpfbox_log *log;
	/* Number of CPUs per-CPU maps keep (0: the maps layer's default). */
	uint32_t nr_cpus;
	/* Load only this program (name) — others stay unloaded; NULL: all. */
	const char *only_prog;
};
#define bpfbox_object_load_opts__last_field only_prog

/* Create the object's maps (registered in `env`, which helpers use to
 * recognise them), fill global data, prog arrays and map-in-maps from the
 * file, and load every program into `vm` with `env` as its owner.  `env`
 * must outlive the object and the VM must be set up with env's helpers
 * (bpfbox_env__attach).  A second load is -EALREADY.  Errors name the map
 * or program in opts->log: -EINVAL (a map definition the maps layer
 * refuses, a program the VM refuses), -ENOMEM. */
BPFBOX_API int bpfbox_object__load(struct bpfbox_object *obj, struct bpfbox_vm *vm,
				   struct bpfbox_env *env,
				   const struct bpfbox_object_load_opts *opts);

/* The kernel's section-name rule: program type, prefix and attach target of
 * a section name; -ENOENT when no rule matches (type is then UNSPEC). */
BPFBOX_API int bpfbox_sec_name__parse(const char *sec, int *prog_type, const char **prefix,
				      const char **attach);

/* ---- verifying a program of the object ----------------------------------- */

struct bpfbox_verify_stats;
struct bpfbox_obj_verify_opts {
	size_t sz;
	int prog_type;      /* 0: the program's own type (from its section) */
	uint32_t ctx_size;  /* tracepoint record / syscall ctx size (0: the type's default) */
	struct bpfbox_log *log;               /* the reason of a rejection; may be NULL */
	struct bpfbox_verify_stats *stats;    /* may be NULL (set its sz) */
	bool mark;          /* on acceptance, mark the loaded program verified */
};
#define bpfbox_obj_verify_opts__last_field mark

/* Verify program p of obj with the object's license, BTF and map
 * definitions (before or after load): the verdict a root kernel would give
 * when libbpf loads the object.  Returns as bpfbox_verify() (0 accepted,
 * -EACCES rejected with the reason in opts->log, -E2BIG too complex, ...).
 * With opts->mark, an accepted loaded program then runs without checked-mode
 * checks. */
BPFBOX_API int bpfbox_obj_prog__verify(struct bpfbox_object *obj, struct bpfbox_obj_prog *p,
				       const struct bpfbox_obj_verify_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
