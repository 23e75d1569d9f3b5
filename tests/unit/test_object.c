/* bpfbox — tests/unit/test_object.c: the ELF loader.
 *
 * 1. What it accepts: clang objects with BTF maps, a prog array with
 *    initial programs, map-in-map, global data in every section kind,
 *    .text subprograms and callbacks, legacy `maps`, stripped objects
 *    (no BTF), llvm-mc objects (no symbols), section names -> program
 *    types, BTF.ext lines, relocation records, global functions as entries.
 * 2. What it refuses, one case per rule, each on an object mutated here
 *    from a valid one: truncated files, not ELF, ELF32, big endian,
 *    EM_X86_64, not ET_REL, section past the end, overlapping sections,
 *    absurd section count, bad section names, symbol outside its string
 *    table, symbol in a missing section, relocation to a missing symbol,
 *    relocation outside its section, relocation on an instruction that is
 *    neither lddw nor call, relocation into a non-map non-data section,
 *    .maps without BTF, a .maps symbol without BTF, corrupt BTF, corrupt
 *    BTF.ext, unknown map field, externs.  Each refusal is an error code
 *    and exactly one log line naming the problem; none may crash (the
 *    ASan build runs this too).
 * 3. Allocation failures: opening and loading with an allocator that fails
 *    the Nth allocation, for every N, never crashes or leaks.
 * Needs clang (objects are compiled here); without it: SKIP.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "check.h"
#include "bpfbox/helpers.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"

static char dir[512];

static const char base_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8);\n"
	"        __type(key, __u32); __type(value, __u64); } counts SEC(\".maps\");\n"
	"int tail(void *ctx);\n"
	"struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 2);\n"
	"        __uint(key_size, 4); __array(values, int (void *)); } jmp SEC(\".maps\") =\n"
	"        { .values = { [1] = (void *)&tail } };\n"
	"struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);\n"
	"        __type(key, __u32); __type(value, __u32); } in0 SEC(\".maps\");\n"
	"struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 1);\n"
	"        __type(key, __u32); __array(values, struct inner); } outer SEC(\".maps\") =\n"
	"        { .values = { &in0 } };\n"
	"__u64 gdata = 5;\n"
	"const volatile __u32 ro = 7;\n"
	"__u32 zero;\n"
	"char tag[4] SEC(\".data.tag\") = \"ab\";\n"
	"static __attribute__((noinline)) int twice(int x) { return x * 2; }\n"
	"__attribute__((noinline)) int helper_fn(int x) { return x + 100; }\n"
	"static long cb(__u32 i, void *c) { zero += i; return 0; }\n"
	"SEC(\"tc\") int tail(void *ctx) { return 9; }\n"
	"SEC(\"tc\") int main_prog(void *ctx) {\n"
	"    __u32 k = 1; __u64 one = 1, *v;\n"
	"    bpf_map_update_elem(&counts, &k, &one, BPF_ANY);\n"
	"    v = bpf_map_lookup_elem(&counts, &k);\n"
	"    bpf_loop(4, cb, 0, 0);\n"
	"    return twice((int)gdata) + ro + zero + tag[1] + (v ? (int)*v : 50);\n"
	"}\n"
	"SEC(\"tc\") int jumper(void *ctx) { bpf_tail_call(ctx, &jmp, 1); return 1; }\n"
	"SEC(\"xdp\") int other(void *ctx) { return helper_fn(1); }\n"
	"char LICENSE[] SEC(\"license\") = \"Dual BSD/GPL\";\n";

/* Legacy maps: libbpf 1.x no longer accepts them, bpfbox does. */
static const char legacy_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };\n"
	"struct bpf_map_def SEC(\"maps\") old = { BPF_MAP_TYPE_ARRAY, 4, 8, 2, 0 };\n"
	"SEC(\"socket\") int legacy(void *ctx) {\n"
	"    __u32 k = 1; __u64 *v = bpf_map_lookup_elem(&old, &k);\n"
	"    if (!v) return 0; *v += 40; return *v + 2; }\n"
	"char LICENSE[] SEC(\"license\") = \"MIT\";\n";

static const char extern_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"extern int LINUX_KERNEL_VERSION __attribute__((section(\".kconfig\")));\n"
	"SEC(\"xdp\") int ext(void *ctx) { return LINUX_KERNEL_VERSION; }\n";

/* an extern outside .kconfig/.ksyms: nothing could give it a value */
static const char badext_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"extern int mystery __attribute__((section(\".weird\")));\n"
	"SEC(\"xdp\") int ext(void *ctx) { return mystery; }\n";

static const char asm_src[] =
	"r0 = 7\n"
	"r0 += 35\n"
	"exit\n";

/* Write src and compile it with clang (C) or llvm-mc (assembly). */
static int build(const char *name, const char *src, bool assembly)
{
	char path[600], cmd[2400];
	snprintf(path, sizeof(path), "%s/%s.src", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(src, f);
	fclose(f);
	if (assembly)
		snprintf(cmd, sizeof(cmd),
			 "llvm-mc -triple bpfel -filetype=obj %s -o %s/%s.o 2>/dev/null", path, dir, name);
	else
		snprintf(cmd, sizeof(cmd),
			 "clang -x c -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu "
			 "-c %s -o %s/%s.o 2>/dev/null", path, dir, name);
	return system(cmd);
}

/* ---- opening with a log ------------------------------------------------------------- */

struct logcap {
	char buf[4096];
	int lines;
};

static void logfn(void *ud, int level, const char *line)
{
	struct logcap *L = ud;
	(void)level;
	L->lines++;
	size_t n = strlen(L->buf);
	snprintf(L->buf + n, sizeof(L->buf) - n, "%s\n", line);
}

static int open_mem(const void *d, size_t n, struct logcap *L, struct bpfbox_object **out)
{
	memset(L, 0, sizeof(*L));
	struct bpfbox_log log = { .level = BPFBOX_LOG_INFO, .fn = logfn, .ud = L };
	BPFBOX_OPTS(bpfbox_object_opts, oo, .log = &log, .name = "t.o");
	*out = NULL;
	return bpfbox_object__open_mem(d, n, &oo, out);
}

/* Expect a refusal with `err` and one log line containing `what`. */
static void refuse(const char *name, const uint8_t *d, size_t n, int err, const char *what)
{
	struct logcap L;
	struct bpfbox_object *obj;
	int e = open_mem(d, n, &L, &obj);
	size_t bl = strlen(L.buf);
	if (bl && L.buf[bl - 1] == '\n')
		L.buf[bl - 1] = 0;
	CHECK(e == err && !obj && L.lines == 1 && strstr(L.buf, what),
	      "refuses %s: %d (want %d), %d log line(s): %s", name, e, err, L.lines, L.buf);
	bpfbox_object__free(obj);
}

/* ---- ELF surgery on our own valid object ----------------------------------------------- */

struct elfv {
	uint8_t *b;
	size_t n;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	const char *shstr;
};

static void elf_view(struct elfv *v, uint8_t *b, size_t n)
{
	v->b = b;
	v->n = n;
	v->eh = (Elf64_Ehdr *)b;
	v->sh = (Elf64_Shdr *)(b + v->eh->e_shoff);
	v->shstr = (const char *)b + v->sh[v->eh->e_shstrndx].sh_offset;
}

static Elf64_Shdr *sec(struct elfv *v, const char *name)
{
	for (int i = 0; i < v->eh->e_shnum; i++)
		if (!strcmp(v->shstr + v->sh[i].sh_name, name))
			return &v->sh[i];
	return NULL;
}

static Elf64_Sym *sym(struct elfv *v, const char *name, size_t *count)
{
	Elf64_Shdr *st = sec(v, ".symtab");
	Elf64_Sym *s = (Elf64_Sym *)(v->b + st->sh_offset);
	const char *str = (const char *)v->b + v->sh[st->sh_link].sh_offset;
	*count = st->sh_size / sizeof(*s);
	for (size_t i = 0; i < *count; i++)
		if (!strcmp(str + s[i].st_name, name))
			return &s[i];
	return NULL;
}

static uint8_t *dup_buf(const uint8_t *b, size_t n)
{
	uint8_t *c = malloc(n);
	memcpy(c, b, n);
	return c;
}

static void rejections(const uint8_t *orig, size_t n)
{
	uint8_t *b;
	struct elfv v;
	size_t nsyms;

	refuse("an empty file", orig, 0, -ENOEXEC, "not an ELF file");
	refuse("a file cut inside the ELF header", orig, 40, -EINVAL, "truncated");
	refuse("a file cut inside the sections", orig, n / 2, -EINVAL, "truncated");
	refuse("a file missing its last byte", orig, n - 1, -EINVAL, "truncated");

	b = dup_buf(orig, n);
	b[0] = 'M';
	refuse("something that is not ELF", b, n, -ENOEXEC, "not an ELF file");
	free(b);

	b = dup_buf(orig, n);
	b[EI_CLASS] = ELFCLASS32;
	refuse("an ELF32 file", b, n, -ENOEXEC, "ELF64");
	free(b);

	b = dup_buf(orig, n);
	b[EI_DATA] = ELFDATA2MSB;
	refuse("a big-endian object", b, n, -ENOEXEC, "big-endian");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	v.eh->e_machine = EM_X86_64;
	refuse("an x86-64 object", b, n, -ENOEXEC, "x86-64 (EM_X86_64)");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	v.eh->e_type = ET_EXEC;
	refuse("an executable instead of an object", b, n, -ENOEXEC, "relocatable");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	sec(&v, ".data")->sh_offset = n - 2;
	refuse("a section past the end of the file", b, n, -EINVAL, "past the end");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	sec(&v, ".data")->sh_offset = sec(&v, "license")->sh_offset;
	refuse("overlapping sections", b, n, -EINVAL, "overlapping sections");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	sec(&v, "tc")->sh_offset = 8; /* over the ELF header */
	refuse("a section over the ELF header", b, n, -EINVAL, "the ELF header");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	v.eh->e_shnum = 0; /* extended numbering: the count is section 0's size */
	v.sh[0].sh_size = 1000000;
	refuse("an absurd section count", b, n, -E2BIG, "absurd section count");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	sec(&v, ".data")->sh_name = 0x7fffffff;
	refuse("a section name outside the name table", b, n, -EINVAL, "outside the name table");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	sym(&v, "gdata", &nsyms)->st_name = 0x7fffffff;
	refuse("a symbol name outside the string table", b, n, -EINVAL, "outside the string table");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	sym(&v, "gdata", &nsyms)->st_shndx = 999;
	refuse("a symbol in a missing section", b, n, -EINVAL, "which does not exist");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	sym(&v, "gdata", &nsyms)->st_value = 1 << 20;
	refuse("a symbol outside its section", b, n, -EINVAL, "lies outside its section");
	free(b);

	/* relocations of the tc section */
	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	Elf64_Rel *r = (Elf64_Rel *)(b + sec(&v, ".reltc")->sh_offset);
	r[0].r_info = ELF64_R_INFO(nsyms + 5, ELF64_R_TYPE(r[0].r_info));
	refuse("a relocation to a missing symbol", b, n, -EINVAL, "but the symbol table has");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	r = (Elf64_Rel *)(b + sec(&v, ".reltc")->sh_offset);
	r[0].r_offset = 1 << 20;
	refuse("a relocation outside its section", b, n, -EINVAL, "outside the section");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	r = (Elf64_Rel *)(b + sec(&v, ".reltc")->sh_offset);
	b[sec(&v, "tc")->sh_offset + r[0].r_offset] = 0xb7; /* the lddw becomes mov */
	refuse("a relocation on a mov instruction", b, n, -EINVAL, "neither lddw nor call");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	r = (Elf64_Rel *)(b + sec(&v, ".reltc")->sh_offset);
	{
		/* point a map lddw at the license symbol */
		Elf64_Sym *lic = sym(&v, "LICENSE", &nsyms);
		Elf64_Sym *s0 = (Elf64_Sym *)(b + sec(&v, ".symtab")->sh_offset);
		r[0].r_info = ELF64_R_INFO((size_t)(lic - s0), R_BPF_64_64);
	}
	refuse("a relocation into the license", b, n, -EINVAL, "neither a map, global data nor code");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	{
		Elf64_Shdr *btf = sec(&v, ".BTF");
		memcpy((char *)v.shstr + btf->sh_name, ".XTF", 4);
	}
	refuse(".maps without BTF", b, n, -EINVAL, "needs BTF to describe map");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	{
		Elf64_Shdr *btf = sec(&v, ".BTF");
		b[btf->sh_offset] ^= 0xff; /* magic */
	}
	refuse("corrupt BTF", b, n, -EINVAL, "malformed BTF");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	{
		/* a map symbol renamed: BTF describes "counts", no symbol has the name */
		Elf64_Sym *s = sym(&v, "counts", &nsyms);
		const char *str = (const char *)b + v.sh[sec(&v, ".symtab")->sh_link].sh_offset;
		((char *)str)[s->st_name] = 'k';
	}
	refuse("a BTF map without its symbol", b, n, -EINVAL, "has no symbol in .maps");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	{
		/* a .maps symbol BTF does not describe: give another symbol an address in .maps */
		Elf64_Sym *s = sym(&v, "zero", &nsyms);
		s->st_shndx = (uint16_t)(sec(&v, ".maps") - v.sh);
		s->st_value = 4;
		s->st_size = 4;
	}
	refuse("a .maps entry without BTF", b, n, -EINVAL, "has no BTF description");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	{
		Elf64_Shdr *ext = sec(&v, ".BTF.ext");
		uint32_t *h = (uint32_t *)(b + ext->sh_offset);
		/* line_info_off: beyond the section */
		h[4] = 0x7fffff00;
	}
	refuse("a .BTF.ext table outside its section", b, n, -EINVAL, "malformed .BTF.ext");
	free(b);

	b = dup_buf(orig, n);
	elf_view(&v, b, n);
	{
		Elf64_Shdr *ext = sec(&v, ".BTF.ext");
		uint32_t *h = (uint32_t *)(b + ext->sh_offset);
		uint32_t *fi = (uint32_t *)(b + ext->sh_offset + h[1] + h[2]);
		fi[2] = 0x10000000; /* num_info of the first block */
	}
	refuse("an absurd .BTF.ext record count", b, n, -EINVAL, "does not fit");
	free(b);
}

/* ---- what it accepts --------------------------------------------------------------------- */

/* r1 = a 64-byte context, or 0 for a global function (its int argument) */
static uint64_t run_prog(struct bpfbox_object *obj, const char *name, int *err)
{
	struct bpfbox_obj_prog *p = bpfbox_object__find_prog(obj, name);
	uint64_t r0 = 0;
	uint8_t mem[64] = { 0 };
	bool fn = p && bpfbox_obj_prog__is_function(p);
	BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = fn ? NULL : mem, .mem_len = fn ? 0 : sizeof(mem));
	*err = p ? bpfbox_prog__run(bpfbox_obj_prog__handle(p), &ro, &r0) : -ENOENT;
	return r0;
}

struct loaded {
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
};

static int load(struct bpfbox_object *obj, struct loaded *L)
{
	bpfbox_env__new(&L->env, NULL);
	BPFBOX_OPTS(bpfbox_vm_opts, vo);
	bpfbox_env__vm_opts(L->env, &vo);
	bpfbox_vm__new(&L->vm, &vo);
	bpfbox_env__attach(L->env, L->vm);
	return bpfbox_object__load(obj, L->vm, L->env, NULL);
}

static void unload(struct bpfbox_object *obj, struct loaded *L)
{
	bpfbox_object__free(obj);
	bpfbox_vm__free(L->vm);
	bpfbox_env__free(L->env);
}

static void accepts(const uint8_t *b, size_t n)
{
	struct logcap L;
	struct bpfbox_object *obj;
	int e = open_mem(b, n, &L, &obj);
	CHECK(e == 0, "opens the clang object (%s)", L.buf);
	if (e)
		return;
	CHECK(!strcmp(bpfbox_object__license(obj), "Dual BSD/GPL") &&
	      bpfbox_object__gpl_compatible(obj), "license and GPL compatibility");
	CHECK(bpfbox_object__btf(obj) != NULL, "BTF is parsed");
	CHECK(bpfbox_object__prog_count(obj) == 5, "4 programs and 1 global function (%zu)",
	      bpfbox_object__prog_count(obj));
	struct bpfbox_obj_prog *mp = bpfbox_object__find_prog(obj, "main_prog");
	struct bpfbox_obj_prog *fn = bpfbox_object__find_prog(obj, "helper_fn");
	CHECK(mp && bpfbox_obj_prog__type(mp) == BPFBOX_PROG_TYPE_SCHED_CLS, "tc -> sched_cls");
	CHECK(fn && bpfbox_obj_prog__is_function(fn), "a global .text function is an entry");
	CHECK(bpfbox_object__find_prog_by_section(obj, "xdp") != NULL, "find by section");
	size_t ni;
	const struct bpfbox_insn *in = mp ? bpfbox_obj_prog__insns(mp, &ni) : NULL;
	int maps = 0, calls = 0, funcs = 0, vals = 0;
	for (size_t i = 0; in && i < ni; i++) {
		struct bpfbox_obj_reloc r;
		if (bpfbox_obj_prog__reloc(mp, i, &r))
			continue;
		maps += r.kind == BPFBOX_RELOC_MAP && in[i].src == 5;
		calls += r.kind == BPFBOX_RELOC_CALL && in[i].src == 1;
		funcs += r.kind == BPFBOX_RELOC_FUNC && in[i].src == 4;
		vals += r.kind == BPFBOX_RELOC_MAP_VALUE && in[i].src == 6;
	}
	CHECK(maps == 2 && calls == 1 && funcs == 1 && vals >= 3,
	      "relocations: %d maps, %d calls, %d callbacks, %d global data", maps, calls, funcs,
	      vals);
	CHECK(mp && bpfbox_obj_prog__func_count(mp) == 3, "main_prog links main, twice and cb (%zu)",
	      mp ? bpfbox_obj_prog__func_count(mp) : 0);
	struct bpfbox_obj_line line;
	CHECK(mp && !bpfbox_obj_prog__line(mp, 0, &line) && line.line > 0 &&
	      strstr(line.text, "main_prog"), "BTF.ext line info: slot 0 is '%s'",
	      mp && !bpfbox_obj_prog__line(mp, 0, &line) ? line.text : "");
	struct bpfbox_obj_map *jm = bpfbox_object__find_map(obj, "jmp");
	uint32_t slot = 0;
	const char *what = NULL;
	CHECK(jm && !bpfbox_obj_map__init_slot(jm, 0, &slot, &what) && slot == 1 &&
	      !strcmp(what, "tail"), "prog array initial value [1] = tail");
	struct bpfbox_obj_map *om = bpfbox_object__find_map(obj, "outer");
	CHECK(om && bpfbox_obj_map__def(om)->inner >= 0 &&
	      bpfbox_obj_map__def(bpfbox_object__map(obj, (size_t)bpfbox_obj_map__def(om)->inner))
			      ->kind == BPFBOX_OBJ_MAP_INNER, "map-in-map inner template");
	struct bpfbox_obj_map *ro = bpfbox_object__find_map(obj, ".rodata");
	struct bpfbox_obj_map *tag = bpfbox_object__find_map(obj, ".data.tag");
	CHECK(ro && (bpfbox_obj_map__def(ro)->map_flags & BPFBOX_F_RDONLY_PROG) && tag &&
	      bpfbox_object__find_map(obj, ".bss") && bpfbox_object__find_map(obj, ".data"),
	      "global data maps .data/.rodata/.bss/.data.tag");
	uint64_t off, size;
	CHECK(!bpfbox_object__symbol(obj, ".data", "gdata", &off, &size) && size == 8,
	      "symbol lookup");

	struct loaded LD;
	e = load(obj, &LD);
	CHECK(e == 0, "loads");
	if (!e) {
		int re;
		/* twice(5)=10 + ro 7 + zero (0+1+2+3) 6 + 'b' 98 + 1 */
		CHECK(run_prog(obj, "main_prog", &re) == 122 && re == 0, "main_prog returns 122");
		CHECK(run_prog(obj, "jumper", &re) == 9 && re == 0, "tail call from the object's prog array");
		CHECK(run_prog(obj, "other", &re) == 101 && re == 0, "a call to a global function");
		CHECK(run_prog(obj, "helper_fn", &re) == 100 && re == 0, "a global function run alone");
		CHECK(bpfbox_object__load(obj, LD.vm, LD.env, NULL) == -EALREADY, "second load");
	}
	unload(obj, &LD);
}

static void stripped(const char *path)
{
	/* without BTF: an object whose maps are all legacy or data still loads */
	char cmd[2000], out[700];
	snprintf(out, sizeof(out), "%s/legacy-nobtf.o", dir);
	snprintf(cmd, sizeof(cmd),
		 "llvm-objcopy --remove-section .BTF --remove-section .BTF.ext %s %s 2>/dev/null",
		 path, out);
	if (system(cmd)) {
		SKIP("llvm-objcopy is not installed: no stripped-object test");
		return;
	}
	size_t n;
	uint8_t *b = (uint8_t *)check_read_file(out, &n);
	struct logcap L;
	struct bpfbox_object *obj = NULL;
	int e = b ? open_mem(b, n, &L, &obj) : -ENOENT;
	CHECK(e == 0 && obj && !bpfbox_object__btf(obj), "an object without BTF opens (%s)", L.buf);
	struct loaded LD = { 0 };
	if (!e && !load(obj, &LD)) {
		int re;
		CHECK(run_prog(obj, "legacy", &re) == 42 && re == 0, "legacy map without BTF runs");
	} else {
		CHECK(0, "legacy object without BTF loads");
	}
	if (obj)
		unload(obj, &LD);
	free(b);
}

static void legacy(const char *path)
{
	size_t n;
	uint8_t *b = (uint8_t *)check_read_file(path, &n);
	struct logcap L;
	struct bpfbox_object *obj = NULL;
	int e = b ? open_mem(b, n, &L, &obj) : -ENOENT;
	CHECK(e == 0, "a legacy `maps` object opens (%s)", L.buf);
	if (!e) {
		struct bpfbox_obj_map *m = bpfbox_object__find_map(obj, "old");
		const struct bpfbox_obj_map_def *d = m ? bpfbox_obj_map__def(m) : NULL;
		CHECK(d && d->kind == BPFBOX_OBJ_MAP_LEGACY && d->type == BPFBOX_MAP_TYPE_ARRAY &&
		      d->value_size == 8 && d->max_entries == 2, "legacy map definition");
		CHECK(!bpfbox_object__gpl_compatible(obj), "MIT is not GPL-compatible");
		struct bpfbox_obj_prog *p = bpfbox_object__find_prog(obj, "legacy");
		CHECK(p && bpfbox_obj_prog__type(p) == BPFBOX_PROG_TYPE_SOCKET_FILTER,
		      "socket -> socket_filter");
		struct loaded LD;
		if (!load(obj, &LD)) {
			int re;
			CHECK(run_prog(obj, "legacy", &re) == 42 && re == 0, "legacy map program runs");
		}
		unload(obj, &LD);
	}
	free(b);
}

static void mc_object(const char *path)
{
	size_t n;
	uint8_t *b = (uint8_t *)check_read_file(path, &n);
	struct logcap L;
	struct bpfbox_object *obj = NULL;
	int e = b ? open_mem(b, n, &L, &obj) : -ENOENT;
	CHECK(e == 0 && bpfbox_object__prog_count(obj) == 1, "an llvm-mc object (no symbols) is one "
	      "program (%s)", L.buf);
	if (!e) {
		struct loaded LD;
		load(obj, &LD);
		int re;
		CHECK(run_prog(obj, ".text", &re) == 42 && re == 0, "and runs");
		unload(obj, &LD);
	}
	free(b);
}

static void sections(void)
{
	static const struct {
		const char *sec;
		int type;
		const char *attach;
		int rc;
	} t[] = {
		{ "tp/syscalls/sys_enter_openat", BPFBOX_PROG_TYPE_TRACEPOINT, "syscalls/sys_enter_openat", 0 },
		{ "tracepoint/sched/sched_switch", BPFBOX_PROG_TYPE_TRACEPOINT, "sched/sched_switch", 0 },
		{ "raw_tp/sys_enter", BPFBOX_PROG_TYPE_RAW_TRACEPOINT, "sys_enter", 0 },
		{ "raw_tp.w/x", BPFBOX_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, "x", 0 },
		{ "tp_btf/sched_wakeup", BPFBOX_PROG_TYPE_TRACING, "sched_wakeup", 0 },
		{ "fentry/do_unlinkat", BPFBOX_PROG_TYPE_TRACING, "do_unlinkat", 0 },
		{ "kprobe/do_sys_open", BPFBOX_PROG_TYPE_KPROBE, "do_sys_open", 0 },
		{ "kretprobe/do_sys_open", BPFBOX_PROG_TYPE_KPROBE, "do_sys_open", 0 },
		{ "uprobe.s//bin/sh:main", BPFBOX_PROG_TYPE_KPROBE, "/bin/sh:main", 0 },
		{ "usdt/x", BPFBOX_PROG_TYPE_KPROBE, "x", 0 },
		{ "xdp", BPFBOX_PROG_TYPE_XDP, "", 0 },
		{ "xdp.frags", BPFBOX_PROG_TYPE_XDP, "", 0 },
		{ "xdp/devmap", BPFBOX_PROG_TYPE_XDP, "", 0 },
		{ "tc", BPFBOX_PROG_TYPE_SCHED_CLS, "", 0 },
		{ "classifier", BPFBOX_PROG_TYPE_SCHED_CLS, "", 0 },
		{ "action", BPFBOX_PROG_TYPE_SCHED_ACT, "", 0 },
		{ "socket", BPFBOX_PROG_TYPE_SOCKET_FILTER, "", 0 },
		{ "syscall", BPFBOX_PROG_TYPE_SYSCALL, "", 0 },
		{ "cgroup/connect4", BPFBOX_PROG_TYPE_CGROUP_SOCK_ADDR, "", 0 },
		{ "cgroup_skb/egress", BPFBOX_PROG_TYPE_CGROUP_SKB, "", 0 },
		{ "cgroup/sysctl", BPFBOX_PROG_TYPE_CGROUP_SYSCTL, "", 0 },
		{ "lsm/file_open", BPFBOX_PROG_TYPE_LSM, "file_open", 0 },
		{ "perf_event", BPFBOX_PROG_TYPE_PERF_EVENT, "", 0 },
		{ "sk_skb/stream_verdict", BPFBOX_PROG_TYPE_SK_SKB, "", 0 },
		{ "xdpfoo", BPFBOX_PROG_TYPE_UNSPEC, "", -ENOENT },
		{ "my_section", BPFBOX_PROG_TYPE_UNSPEC, "", -ENOENT },
		{ "syscall/x", BPFBOX_PROG_TYPE_UNSPEC, "", -ENOENT },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int type = -1;
		const char *pfx, *att;
		int rc = bpfbox_sec_name__parse(t[i].sec, &type, &pfx, &att);
		CHECK(rc == t[i].rc && type == t[i].type && !strcmp(att, t[i].attach),
		      "SEC(\"%s\") -> %s, attach '%s'", t[i].sec, bpfbox_prog_type__name(type), att);
	}
	int ok = 1;
	for (int i = 0; i < BPFBOX_PROG_TYPE__COUNT; i++)
		ok &= bpfbox_prog_type__from_name(bpfbox_prog_type__name(i)) == i;
	CHECK(ok && bpfbox_prog_type__name(BPFBOX_PROG_TYPE__COUNT) == NULL &&
	      bpfbox_prog_type__from_name("nope") == -1, "program type names round trip");
}

/* ---- allocation failures ------------------------------------------------------------------- */

struct failer {
	long left; /* allocations until one fails; <0: never */
	long live;
};

static void *failing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct failer *F = ud;
	(void)osize;
	if (nsize == 0) {
		if (ptr)
			F->live--;
		free(ptr);
		return NULL;
	}
	if (F->left == 0)
		return NULL;
	if (F->left > 0)
		F->left--;
	void *p = realloc(ptr, nsize);
	if (p && !ptr)
		F->live++;
	return p;
}

static void alloc_failures(const uint8_t *b, size_t n)
{
	int crashes_or_leaks = 0, opened = 0;
	long k;
	for (k = 0; k < 400; k++) {
		struct failer F = { k, 0 };
		BPFBOX_OPTS(bpfbox_object_opts, oo, .alloc = failing_alloc, .alloc_ud = &F);
		struct bpfbox_object *obj = NULL;
		int e = bpfbox_object__open_mem(b, n, &oo, &obj);
		if (!e) {
			opened++;
			bpfbox_object__free(obj);
		} else if (e != -ENOMEM) {
			crashes_or_leaks++;
		}
		if (F.live)
			crashes_or_leaks++;
		if (!e && F.left > 0)
			break; /* every allocation point has been failed once */
	}
	CHECK(crashes_or_leaks == 0 && opened > 0,
	      "open with the Nth allocation failing, N = 0..%ld: -ENOMEM and no leak each time", k);
}

int main(void)
{
	const char *bd = getenv("BUILD");
	snprintf(dir, sizeof(dir), "%s/tests/objtest", bd && *bd ? bd : "build");
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	if (system(cmd) || system("clang --version >/dev/null 2>&1")) {
		SKIP("clang is not installed: the loader tests need compiled objects");
		return check_summary();
	}
	sections();
	if (build("base", base_src, false) || build("legacy", legacy_src, false) ||
	    build("extern", extern_src, false) || build("badext", badext_src, false)) {
		CHECK(0, "test objects compile");
		return check_summary();
	}
	char path[700];
	size_t n;
	snprintf(path, sizeof(path), "%s/base.o", dir);
	uint8_t *b = (uint8_t *)check_read_file(path, &n);
	if (!b) {
		CHECK(0, "read %s", path);
		return check_summary();
	}
	accepts(b, n);
	rejections(b, n);
	alloc_failures(b, n);
	free(b);

	snprintf(path, sizeof(path), "%s/extern.o", dir);
	b = (uint8_t *)check_read_file(path, &n);
	if (b) { /* __kconfig externs get their values in the .kconfig map */
		struct logcap L;
		struct bpfbox_object *obj;
		int e = open_mem(b, n, &L, &obj);
		struct bpfbox_obj_map *km = e ? NULL : bpfbox_object__find_map(obj, ".kconfig");
		const struct bpfbox_obj_map_def *kd = km ? bpfbox_obj_map__def(km) : NULL;
		CHECK(kd && kd->value_size == 4 && kd->init && *(const uint32_t *)kd->init > 0x30000,
		      "an extern (__kconfig) opens with LINUX_KERNEL_VERSION in .kconfig: %d %s", e,
		      L.buf);
		bpfbox_object__free(obj);
	}
	free(b);
	snprintf(path, sizeof(path), "%s/badext.o", dir);
	b = (uint8_t *)check_read_file(path, &n);
	if (b)
		refuse("an extern outside .kconfig/.ksyms", b, n, -ENOTSUP, "extern 'mystery'");
	free(b);

	snprintf(path, sizeof(path), "%s/legacy.o", dir);
	legacy(path);
	stripped(path);

	if (!build("mc", asm_src, true)) {
		snprintf(path, sizeof(path), "%s/mc.o", dir);
		mc_object(path);
	} else {
		SKIP("llvm-mc is not installed: no symbol-less object test");
	}
	return check_summary();
}
