/* bpfbox — object/object.c: opening an eBPF ELF object.
 *
 * What it does.  Takes the bytes of a relocatable ELF file that clang
 * (`-target bpf`) or llvm-mc produced, checks that it is one bpfbox can
 * trust, and builds the object description: sections and what each one is,
 * symbols, relocations grouped by the section they patch, license and
 * version, BTF (through libbpf's btf__new), then hands over to the later
 * stages (maps, programs and linking, BTF.ext).
 *
 * Invariants.  The file's bytes are copied and never change; every section
 * with contents is a window [off, off+size) proven to lie inside the copy
 * and not to overlap another section or the ELF/section headers, so later
 * stages read section data with cursors and can never leave the file.  The
 * identification fields (class, byte order, machine, type) are checked on
 * the raw bytes *before* libelf sees the file.  Every symbol's name is a
 * NUL-terminated string inside its string table, every symbol's section
 * index is a real section (or ABS/UNDEF), and every relocation names an
 * existing symbol and lies inside the section it patches.  A file that
 * breaks any rule is refused with one log line naming the rule; nothing
 * in the file can make this code read out of bounds or crash.
 *
 * Limits.  Only ELF64 little-endian EM_BPF relocatable objects (what the
 * BPF toolchain emits); SHT_REL relocations only (BPF has no RELA); no
 * extended section numbering for symbols (SHN_XINDEX).  Externs (`.kconfig`,
 * `.ksyms`) get their values from extern.c and CO-RE relocations are
 * resolved against a target BTF by core.c, both as libbpf does.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "obj.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* ---- small services shared by the stages -------------------------------- */

int obj_err(struct bpfbox_object *obj, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bpfbox_log__printf(obj->log, BPFBOX_LOG_ERROR, "object %s: %s", obj->name ? obj->name : "?",
			   msg);
	return err;
}

void *obj_calloc(struct bpfbox_object *obj, size_t n, size_t size)
{
	return util_calloc(&obj->alloc, n, size);
}

void obj_free(struct bpfbox_object *obj, void *p, size_t size)
{
	util_free(&obj->alloc, p, size);
}

int obj_grow(struct bpfbox_object *obj, void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	void *p = util_realloc(&obj->alloc, *arr, *cap * size, ncap * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

char *obj_strdup(struct bpfbox_object *obj, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = util_malloc(&obj->alloc, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

const struct obj_sym *obj_sym(const struct bpfbox_object *obj, uint32_t idx)
{
	return idx < obj->nsyms ? &obj->syms[idx] : NULL;
}

const struct obj_reloc *obj_reloc_at(const struct obj_sec *sec, uint64_t off)
{
	size_t lo = 0, hi = sec->nrelocs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sec->relocs[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sec->nrelocs && sec->relocs[lo].off == off ? &sec->relocs[lo] : NULL;
}

const struct obj_sym *obj_func_at(const struct bpfbox_object *obj, uint32_t sec, uint64_t off)
{
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct obj_sym *s = &obj->syms[i];
		if (s->shndx == sec && s->type == STT_FUNC && s->size && off >= s->value &&
		    off - s->value < s->size)
			return s;
	}
	return NULL;
}

int obj_map_at(const struct bpfbox_object *obj, uint32_t sec, uint64_t off)
{
	for (size_t i = 0; i < obj->nmaps; i++) {
		const struct bpfbox_obj_map *m = obj->maps[i];
		if (m->def.kind != BPFBOX_OBJ_MAP_DATA && m->def.kind != BPFBOX_OBJ_MAP_INNER &&
		    m->sec == sec && m->sec_off == off)
			return (int)i;
	}
	return -1;
}

/* ---- identification --------------------------------------------------- */

static const char *machine_name(unsigned m)
{
	switch (m) {
	case 3: return "x86 (EM_386)";
	case 40: return "ARM (EM_ARM)";
	case 62: return "x86-64 (EM_X86_64)";
	case 183: return "AArch64 (EM_AARCH64)";
	case 243: return "RISC-V (EM_RISCV)";
	default: return "another machine";
	}
}

/* Check the ELF header on the raw bytes: everything libelf will rely on. */
static int check_ident(struct bpfbox_object *obj)
{
	struct cursor c = cursor_make(obj->file, obj->file_size);
	const uint8_t *id = cursor_take(&c, EI_NIDENT);
	if (!id || memcmp(id, ELFMAG, SELFMAG) != 0) {
		if (obj->file_size >= SELFMAG && !memcmp(obj->file, ELFMAG, SELFMAG))
			return obj_err(obj, -EINVAL, "truncated: %zu bytes, the ELF header needs 64",
				       obj->file_size);
		return obj_err(obj, -ENOEXEC, "not an ELF file (no \\177ELF magic)");
	}
	if (id[EI_CLASS] != ELFCLASS64)
		return obj_err(obj, -ENOEXEC, "ELF class %u: eBPF objects are ELF64",
			       (unsigned)id[EI_CLASS]);
	if (id[EI_DATA] == ELFDATA2MSB)
		return obj_err(obj, -ENOEXEC,
			       "big-endian object (bpfel vs bpfeb): bpfbox loads little-endian "
			       "eBPF objects (clang -target bpfel / bpf on x86)");
	if (id[EI_DATA] != ELFDATA2LSB)
		return obj_err(obj, -ENOEXEC, "bad ELF byte-order field %u", (unsigned)id[EI_DATA]);
	if (obj->file_size < sizeof(Elf64_Ehdr))
		return obj_err(obj, -EINVAL, "truncated: %zu bytes, the ELF header needs %zu",
			       obj->file_size, sizeof(Elf64_Ehdr));
	uint16_t type = cursor_le16(&c);
	uint16_t machine = cursor_le16(&c);
	if (machine != EM_BPF)
		return obj_err(obj, -ENOEXEC, "machine is %s (%u), not eBPF (EM_BPF %u)",
			       machine_name(machine), machine, EM_BPF);
	if (type != ET_REL)
		return obj_err(obj, -ENOEXEC,
			       "ELF type %u: expected a relocatable object (ET_REL, clang -c)", type);
	(void)cursor_le32(&c);           /* e_version */
	(void)cursor_le64(&c);           /* e_entry */
	(void)cursor_le64(&c);           /* e_phoff */
	uint64_t shoff = cursor_le64(&c);
	(void)cursor_le32(&c);           /* e_flags */
	(void)cursor_le16(&c);           /* e_ehsize */
	(void)cursor_le16(&c);           /* e_phentsize */
	(void)cursor_le16(&c);           /* e_phnum */
	uint16_t shentsize = cursor_le16(&c);
	uint16_t shnum = cursor_le16(&c);
	if (c.bad)
		return obj_err(obj, -EINVAL, "truncated ELF header");
	if (shoff == 0)
		return obj_err(obj, -EINVAL, "no section header table");
	if (shentsize != sizeof(Elf64_Shdr))
		return obj_err(obj, -EINVAL, "section header entry size %u (want %zu)", shentsize,
			       sizeof(Elf64_Shdr));
	/* shnum == 0 means "extended": the real count is in section 0's
	 * sh_size, which lies at shoff — it must be inside the file. */
	uint64_t n = shnum ? shnum : 1;
	if (shoff > obj->file_size || n * sizeof(Elf64_Shdr) > obj->file_size - shoff)
		return obj_err(obj, -EINVAL,
			       "truncated: section header table at %llu (%llu entries) ends past the "
			       "end of the file (%zu bytes)",
			       (unsigned long long)shoff, (unsigned long long)n, obj->file_size);
	if (!shnum) {
		struct cursor s = cursor_sub(obj->file, obj->file_size, shoff + 32, 8);
		uint64_t real = cursor_le64(&s);
		if (real > BPFBOX_OBJ_MAX_SECTIONS)
			return obj_err(obj, -E2BIG, "absurd section count %llu (limit %u)",
				       (unsigned long long)real, BPFBOX_OBJ_MAX_SECTIONS);
		if (real > (obj->file_size - shoff) / sizeof(Elf64_Shdr))
			return obj_err(obj, -EINVAL,
				       "truncated: %llu section headers do not fit in the file",
				       (unsigned long long)real);
	}
	return 0;
}

/* ---- sections ----------------------------------------------------------- */

static bool is_data_sec(const char *name, uint32_t type)
{
	if (type == SHT_NOBITS)
		return !strcmp(name, ".bss") || !strncmp(name, ".bss.", 5);
	return !strcmp(name, ".data") || !strncmp(name, ".data.", 6) ||
	       !strcmp(name, ".rodata") || !strncmp(name, ".rodata.", 8);
}

static int classify(struct bpfbox_object *obj, struct obj_sec *s)
{
	if (s->type == SHT_SYMTAB)
		return BPFBOX_SEC_SYMTAB;
	if (s->type == SHT_REL)
		return BPFBOX_SEC_RELOC;
	if (!strcmp(s->name, "license"))
		return BPFBOX_SEC_LICENSE;
	if (!strcmp(s->name, "version"))
		return BPFBOX_SEC_VERSION;
	if (!strcmp(s->name, ".BTF"))
		return BPFBOX_SEC_BTF;
	if (!strcmp(s->name, ".BTF.ext"))
		return BPFBOX_SEC_BTF_EXT;
	if (!strcmp(s->name, ".maps"))
		return BPFBOX_SEC_MAPS;
	if (!strcmp(s->name, "maps"))
		return BPFBOX_SEC_MAPS_LEGACY;
	if (s->type == SHT_PROGBITS && (s->flags & SHF_EXECINSTR))
		return !strcmp(s->name, ".text") ? BPFBOX_SEC_TEXT : BPFBOX_SEC_PROG;
	if ((s->type == SHT_PROGBITS || s->type == SHT_NOBITS) && (s->flags & SHF_ALLOC) &&
	    is_data_sec(s->name, s->type))
		return BPFBOX_SEC_DATA;
	(void)obj;
	return BPFBOX_SEC_OTHER;
}

struct range {
	uint64_t lo, hi;
	const char *what; /* the headers; NULL for a section */
	size_t sec;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int read_sections(struct bpfbox_object *obj, Elf *elf)
{
	size_t shnum = 0, shstrndx = 0;
	if (elf_getshdrnum(elf, &shnum) || elf_getshdrstrndx(elf, &shstrndx))
		return obj_err(obj, -EINVAL, "bad section header table: %s", elf_errmsg(-1));
	if (shnum > BPFBOX_OBJ_MAX_SECTIONS)
		return obj_err(obj, -E2BIG, "absurd section count %zu (limit %u)", shnum,
			       BPFBOX_OBJ_MAX_SECTIONS);
	if (shstrndx >= shnum)
		return obj_err(obj, -EINVAL, "section name table index %zu out of range (%zu sections)",
			       shstrndx, shnum);
	obj->secs = obj_calloc(obj, shnum ? shnum : 1, sizeof(*obj->secs));
	struct range *ranges = obj_calloc(obj, shnum + 2, sizeof(*ranges));
	if (!obj->secs || !ranges) {
		obj_free(obj, ranges, (shnum + 2) * sizeof(*ranges));
		return -ENOMEM;
	}
	obj->nsecs = shnum;
	size_t nr = 0;
	int err = 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)obj->file;
	ranges[nr++] = (struct range){ 0, sizeof(Elf64_Ehdr), "the ELF header", 0 };
	ranges[nr++] = (struct range){ eh->e_shoff, eh->e_shoff + shnum * sizeof(Elf64_Shdr),
				       "the section header table", 0 };
	for (size_t i = 0; i < shnum; i++) {
		struct obj_sec *s = &obj->secs[i];
		s->idx = (uint32_t)i;
		s->map = -1;
		s->name = "";
		if (i == 0)
			continue;
		Elf_Scn *scn = elf_getscn(elf, i);
		GElf_Shdr sh;
		if (!scn || !gelf_getshdr(scn, &sh)) {
			err = obj_err(obj, -EINVAL, "section %zu: unreadable header: %s", i,
				      elf_errmsg(-1));
			goto out;
		}
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->off = sh.sh_offset;
		s->size = sh.sh_size;
		s->link = sh.sh_link;
		s->info = sh.sh_info;
		/* Names are read from the (checked) string table below, not
		 * through libelf, once that table's window is known. */
		if (s->type != SHT_NOBITS && s->size) {
			if (s->off > obj->file_size || s->size > obj->file_size - s->off) {
				err = obj_err(obj, -EINVAL,
					      "truncated: section %zu (offset %llu, size %llu) ends past "
					      "the end of the file (%zu bytes)",
					      i, (unsigned long long)s->off,
					      (unsigned long long)s->size, obj->file_size);
				goto out;
			}
			s->data = obj->file + s->off;
			ranges[nr++] = (struct range){ s->off, s->off + s->size, NULL, i };
		}
	}
	/* Section names, from the section-name string table. */
	const struct obj_sec *strs = &obj->secs[shstrndx];
	if (shstrndx == 0 || strs->type != SHT_STRTAB || !strs->data) {
		err = obj_err(obj, -EINVAL, "section name table (section %zu) is not a string table",
			      shstrndx);
		goto out;
	}
	for (size_t i = 1; i < shnum; i++) {
		struct obj_sec *s = &obj->secs[i];
		GElf_Shdr sh;
		gelf_getshdr(elf_getscn(elf, i), &sh);
		if (sh.sh_name >= strs->size || !memchr(strs->data + sh.sh_name, 0,
							  strs->size - sh.sh_name)) {
			err = obj_err(obj, -EINVAL, "section %zu: name offset %u outside the name table",
				      i, sh.sh_name);
			goto out;
		}
		s->name = (const char *)strs->data + sh.sh_name;
	}
	/* No two sections (nor a section and the headers) may share bytes: a
	 * crafted file could otherwise make code and data alias. */
	for (size_t i = 2; i < nr; i++)
		ranges[i].what = obj->secs[ranges[i].sec].name;
	qsort(ranges, nr, sizeof(*ranges), cmp_range);
	size_t far = 0; /* the range reaching furthest so far */
	for (size_t i = 1; i < nr; i++) {
		if (ranges[i].lo < ranges[far].hi) {
			err = obj_err(obj, -EINVAL,
				      "overlapping sections: '%s' [%llu, %llu) and '%s' [%llu, %llu)",
				      ranges[far].what, (unsigned long long)ranges[far].lo,
				      (unsigned long long)ranges[far].hi, ranges[i].what,
				      (unsigned long long)ranges[i].lo, (unsigned long long)ranges[i].hi);
			goto out;
		}
		if (ranges[i].hi > ranges[far].hi)
			far = i;
	}
	for (size_t i = 1; i < shnum; i++) {
		struct obj_sec *s = &obj->secs[i];
		s->kind = classify(obj, s);
		if ((s->kind == BPFBOX_SEC_PROG || s->kind == BPFBOX_SEC_TEXT) && s->size % 8) {
			err = obj_err(obj, -EINVAL,
				      "code section '%s' is %llu bytes, not a multiple of 8", s->name,
				      (unsigned long long)s->size);
			goto out;
		}
		if (s->type == SHT_RELA && s->info < shnum &&
		    obj->secs[s->info].type == SHT_PROGBITS) {
			err = obj_err(obj, -EINVAL, "section '%s': RELA relocations (eBPF uses REL)",
				      s->name);
			goto out;
		}
	}
out:
	obj_free(obj, ranges, (shnum + 2) * sizeof(*ranges));
	return err;
}

/* ---- symbols ---------------------------------------------------------- */

static int read_symbols(struct bpfbox_object *obj)
{
	const struct obj_sec *symtab = NULL;
	for (size_t i = 1; i < obj->nsecs; i++) {
		if (obj->secs[i].kind != BPFBOX_SEC_SYMTAB)
			continue;
		if (symtab)
			return obj_err(obj, -EINVAL, "more than one symbol table");
		symtab = &obj->secs[i];
		obj->symtab_sec = (uint32_t)i;
	}
	if (!symtab)
		return 0; /* fully stripped: sections become whole programs */
	if (symtab->link == 0 || symtab->link >= obj->nsecs ||
	    obj->secs[symtab->link].type != SHT_STRTAB)
		return obj_err(obj, -EINVAL, "symbol table's string table (section %u) is not a "
			       "string table", symtab->link);
	const struct obj_sec *strs = &obj->secs[symtab->link];
	if (symtab->size % sizeof(Elf64_Sym))
		return obj_err(obj, -EINVAL, "symbol table size %llu is not a multiple of %zu",
			       (unsigned long long)symtab->size, sizeof(Elf64_Sym));
	uint64_t n = symtab->size / sizeof(Elf64_Sym);
	if (n > BPFBOX_OBJ_MAX_SYMBOLS)
		return obj_err(obj, -E2BIG, "absurd symbol count %llu (limit %u)",
			       (unsigned long long)n, BPFBOX_OBJ_MAX_SYMBOLS);
	obj->syms = obj_calloc(obj, n ? n : 1, sizeof(*obj->syms));
	if (!obj->syms)
		return -ENOMEM;
	obj->nsyms = n;
	if (!n || !symtab->data)
		return obj_err(obj, -EINVAL, "the symbol table is empty");
	struct cursor c = cursor_make(symtab->data, symtab->size);
	for (uint64_t i = 0; i < n; i++) {
		struct obj_sym *s = &obj->syms[i];
		uint32_t name = cursor_le32(&c);
		uint8_t info = cursor_u8(&c);
		(void)cursor_u8(&c);
		s->shndx = cursor_le16(&c);
		s->value = cursor_le64(&c);
		s->size = cursor_le64(&c);
		s->type = ELF64_ST_TYPE(info);
		s->bind = ELF64_ST_BIND(info);
		if (c.bad)
			return obj_err(obj, -EINVAL, "truncated symbol table");
		if (name >= strs->size || !strs->data ||
		    !memchr(strs->data + name, 0, strs->size - name))
			return obj_err(obj, -EINVAL, "symbol %llu: name offset %u outside the string "
				       "table", (unsigned long long)i, name);
		s->name = (const char *)strs->data + name;
		if (s->shndx == SHN_XINDEX)
			return obj_err(obj, -ENOTSUP, "symbol '%s': extended section index (SHN_XINDEX)",
				       s->name);
		if (s->shndx < SHN_LORESERVE && s->shndx >= obj->nsecs)
			return obj_err(obj, -EINVAL, "symbol '%s' is in section %u, which does not exist "
				       "(%zu sections)", s->name, s->shndx, obj->nsecs);
		if (s->shndx >= SHN_LORESERVE && s->shndx != SHN_ABS && s->shndx != SHN_COMMON)
			return obj_err(obj, -EINVAL, "symbol '%s': reserved section index 0x%x", s->name,
				       s->shndx);
		/* A symbol in a section with contents must lie inside it. */
		if (s->shndx && s->shndx < obj->nsecs && s->type != STT_SECTION &&
		    s->type != STT_FILE) {
			const struct obj_sec *in = &obj->secs[s->shndx];
			if (s->value > in->size || s->size > in->size - s->value)
				return obj_err(obj, -EINVAL,
					       "symbol '%s' [%llu, +%llu) lies outside its section '%s' "
					       "(%llu bytes)", s->name, (unsigned long long)s->value,
					       (unsigned long long)s->size, in->name,
					       (unsigned long long)in->size);
		}
	}
	return 0;
}

/* ---- relocations ------------------------------------------------------ */

static int cmp_reloc(const void *a, const void *b)
{
	const struct obj_reloc *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static bool wants_relocs(int kind)
{
	return kind == BPFBOX_SEC_PROG || kind == BPFBOX_SEC_TEXT || kind == BPFBOX_SEC_MAPS;
}

static int read_relocs(struct bpfbox_object *obj)
{
	for (size_t i = 1; i < obj->nsecs; i++) {
		const struct obj_sec *rs = &obj->secs[i];
		if (rs->kind != BPFBOX_SEC_RELOC)
			continue;
		if (rs->info == 0 || rs->info >= obj->nsecs)
			return obj_err(obj, -EINVAL,
				       "relocation section '%s' applies to section %u, which does not "
				       "exist", rs->name, rs->info);
		struct obj_sec *target = &obj->secs[rs->info];
		if (!wants_relocs(target->kind))
			continue; /* debug info, BTF: nothing bpfbox reads is relocated */
		if (rs->link != obj->symtab_sec || !obj->symtab_sec)
			return obj_err(obj, -EINVAL, "relocation section '%s' does not use the symbol "
				       "table", rs->name);
		if (target->nrelocs)
			return obj_err(obj, -EINVAL, "section '%s' has two relocation sections",
				       target->name);
		if (rs->size % sizeof(Elf64_Rel))
			return obj_err(obj, -EINVAL, "relocation section '%s' size %llu is not a "
				       "multiple of %zu", rs->name, (unsigned long long)rs->size,
				       sizeof(Elf64_Rel));
		uint64_t n = rs->size / sizeof(Elf64_Rel);
		if (n > target->size)
			return obj_err(obj, -E2BIG, "absurd relocation count %llu for section '%s' "
				       "(%llu bytes)", (unsigned long long)n, target->name,
				       (unsigned long long)target->size);
		if (!n)
			continue;
		target->relocs = obj_calloc(obj, n, sizeof(*target->relocs));
		if (!target->relocs)
			return -ENOMEM;
		target->nrelocs = n;
		struct cursor c = cursor_make(rs->data, rs->size);
		for (uint64_t k = 0; k < n; k++) {
			struct obj_reloc *r = &target->relocs[k];
			r->off = cursor_le64(&c);
			uint64_t info = cursor_le64(&c);
			r->sym = (uint32_t)(info >> 32);
			r->type = (uint32_t)info;
			if (r->sym >= obj->nsyms || r->sym == 0)
				return obj_err(obj, -EINVAL,
					       "relocation %llu of section '%s' names symbol %u, but the "
					       "symbol table has %zu", (unsigned long long)k,
					       target->name, r->sym, obj->nsyms);
			unsigned width = r->type == R_BPF_64_ABS32 || r->type == R_BPF_64_NODYLD32 ? 4 : 8;
			if (r->type != R_BPF_NONE &&
			    (r->off > target->size || width > target->size - r->off))
				return obj_err(obj, -EINVAL,
					       "relocation %llu of section '%s' at offset %llu is outside "
					       "the section (%llu bytes)", (unsigned long long)k,
					       target->name, (unsigned long long)r->off,
					       (unsigned long long)target->size);
			/* an undefined symbol is an extern: extern.c resolves it and
			 * link.c refuses any that is not a __kconfig/__ksym one */
		}
		qsort(target->relocs, n, sizeof(*target->relocs), cmp_reloc);
		for (uint64_t k = 1; k < n; k++)
			if (target->relocs[k].off == target->relocs[k - 1].off)
				return obj_err(obj, -EINVAL, "section '%s': two relocations at offset %llu",
					       target->name, (unsigned long long)target->relocs[k].off);
	}
	return 0;
}

/* ---- license, version, BTF --------------------------------------------- */

static int read_misc(struct bpfbox_object *obj)
{
	for (size_t i = 1; i < obj->nsecs; i++) {
		struct obj_sec *s = &obj->secs[i];
		if (s->kind == BPFBOX_SEC_LICENSE && s->data) {
			size_t n = s->size < sizeof(obj->license) - 1 ? s->size : sizeof(obj->license) - 1;
			memcpy(obj->license, s->data, n);
			obj->license[n] = 0;
			/* keep only the first string */
			obj->license[strnlen(obj->license, n)] = 0;
		} else if (s->kind == BPFBOX_SEC_VERSION) {
			if (s->size != 4 || !s->data)
				return obj_err(obj, -EINVAL, "section 'version' is %llu bytes (want 4)",
					       (unsigned long long)s->size);
			struct cursor c = cursor_make(s->data, 4);
			obj->kversion = cursor_le32(&c);
		} else if (s->kind == BPFBOX_SEC_BTF && s->data) {
			if (s->size > UINT32_MAX)
				return obj_err(obj, -E2BIG, "BTF section of %llu bytes",
					       (unsigned long long)s->size);
			struct btf *btf = btf__new(s->data, (uint32_t)s->size);
			long e = libbpf_get_error(btf);
			if (!btf || e) {
				int err = e ? (int)e : -EINVAL;
				return obj_err(obj, -EINVAL, "malformed BTF in section '.BTF' (%s)",
					       strerror(-err));
			}
			obj->btf = btf;
		} else if (s->kind == BPFBOX_SEC_BTF_EXT && s->data) {
			obj->btf_ext = s->data;
			obj->btf_ext_size = s->size;
		}
	}
	return 0;
}

/* ---- open / free -------------------------------------------------------- */

static int obj_open(struct bpfbox_object *obj)
{
	int err = check_ident(obj);
	if (err)
		return err;
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)obj->file, obj->file_size);
	if (!elf)
		return obj_err(obj, -EINVAL, "libelf cannot read it: %s", elf_errmsg(-1));
	obj->elf = elf;
	if (elf_kind(elf) != ELF_K_ELF)
		return obj_err(obj, -ENOEXEC, "not an ELF object");
	if ((err = read_sections(obj, elf)) || (err = read_symbols(obj)) ||
	    (err = read_relocs(obj)) || (err = read_misc(obj)) ||
	    (err = obj_collect_externs(obj)) || (err = obj_parse_maps(obj)) ||
	    (err = obj_find_progs(obj)))
		return err;
	for (size_t i = 0; i < obj->nprogs; i++)
		if ((err = obj_link_prog(obj, obj->progs[i])))
			return err;
	if ((err = obj_btf_ext(obj)))
		return err;
	return obj_core(obj);
}

static char *dup_opt(struct bpfbox_object *obj, const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = obj_strdup(obj, s);
	if (!d)
		*oom = true;
	return d;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int obj_new(const void *data, size_t size, const struct bpfbox_object_opts *opts,
		   const char *default_name, struct bpfbox_object **out)
{
	struct util_alloc a;
	util_alloc_init(&a, OPTS_GET(opts, alloc, NULL), OPTS_GET(opts, alloc_ud, NULL));
	struct bpfbox_object *obj = util_calloc(&a, 1, sizeof(*obj));
	if (!obj)
		return -ENOMEM;
	obj->alloc = a;
	obj->log = OPTS_GET(opts, log, NULL);
	const char *name = OPTS_GET(opts, name, NULL);
	obj->name = obj_strdup(obj, name ? name : default_name);
	obj->file = util_malloc(&a, size ? size : 1);
	if (!obj->name || !obj->file) {
		bpfbox_object__free(obj);
		return -ENOMEM;
	}
	memcpy(obj->file, data, size);
	obj->file_size = size;
	bool oom = false;
	obj->btf_path = dup_opt(obj, OPTS_GET(opts, btf_path, NULL), &oom);
	obj->btf_given = OPTS_GET(opts, target_btf, NULL);
	obj->kconfig = dup_opt(obj, OPTS_GET(opts, kconfig, NULL), &oom);
	obj->kconfig_path = dup_opt(obj, OPTS_GET(opts, kconfig_path, NULL), &oom);
	obj->kallsyms_path = dup_opt(obj, OPTS_GET(opts, kallsyms_path, NULL), &oom);
	obj->kcfg_map = -1;
	if (oom) {
		bpfbox_object__free(obj);
		return -ENOMEM;
	}
	int err = obj_open(obj);
	if (err) {
		bpfbox_object__free(obj);
		return err;
	}
	/* the caller's log is for the open only: it may be gone by the time
	 * set_global or load speak (bpfbox_object__set_log gives another) */
	obj->log = NULL;
	*out = obj;
	return 0;
}

BPFBOX_API void bpfbox_object__set_log(struct bpfbox_object *obj, struct bpfbox_log *log)
{
	if (obj)
		obj->log = log;
}

BPFBOX_API int bpfbox_object__open_mem(const void *data, size_t size,
				       const struct bpfbox_object_opts *opts,
				       struct bpfbox_object **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if ((!data && size) || !OPTS_VALID(opts, bpfbox_object_opts))
		return -EINVAL;
	return obj_new(data, size, opts, "(memory)", out);
}

BPFBOX_API int bpfbox_object__open_file(const char *path, const struct bpfbox_object_opts *opts,
					struct bpfbox_object **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path || !OPTS_VALID(opts, bpfbox_object_opts))
		return -EINVAL;
	struct bpfbox_log *log = OPTS_GET(opts, log, NULL);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "object %s: %s", path, strerror(errno));
		return err;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "object %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_size > (off_t)1 << 30) {
		close(fd);
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "object %s: absurd size (%lld bytes)", path,
				   (long long)st.st_size);
		return -E2BIG;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	int err = obj_new(buf, got, opts, base_name(path), out);
	free(buf);
	return err;
}

BPFBOX_API void bpfbox_object__free(struct bpfbox_object *obj)
{
	if (!obj)
		return;
	obj_unload(obj);
	for (size_t i = 0; i < obj->nprogs; i++)
		obj_free_prog(obj, obj->progs[i]);
	obj_free(obj, obj->progs, 0);
	for (size_t i = 0; i < obj->nmaps; i++)
		obj_free_map(obj, obj->maps[i]);
	obj_free(obj, obj->maps, 0);
	obj_free_core(obj);
	obj_free_externs(obj);
	char *owned[] = { obj->btf_path, obj->kconfig, obj->kconfig_path, obj->kallsyms_path };
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
		if (owned[i])
			obj_free(obj, owned[i], strlen(owned[i]) + 1);
	if (obj->bss_init) {
		for (size_t i = 0; i < obj->nsecs; i++)
			obj_free(obj, obj->bss_init[i], obj->secs[i].size);
		obj_free(obj, obj->bss_init, obj->nsecs * sizeof(*obj->bss_init));
	}
	for (size_t i = 0; i < obj->nsecs; i++)
		obj_free(obj, obj->secs[i].relocs, obj->secs[i].nrelocs * sizeof(struct obj_reloc));
	obj_free(obj, obj->secs, obj->nsecs * sizeof(*obj->secs));
	obj_free(obj, obj->syms, obj->nsyms * sizeof(*obj->syms));
	if (obj->btf)
		btf__free(obj->btf);
	if (obj->elf)
		elf_end(obj->elf);
	obj_free(obj, obj->file, obj->file_size);
	if (obj->name)
		obj_free(obj, obj->name, strlen(obj->name) + 1);
	struct util_alloc a = obj->alloc;
	util_free(&a, obj, sizeof(*obj));
}

/* ---- getters ------------------------------------------------------------ */

BPFBOX_API const char *bpfbox_object__name(const struct bpfbox_object *obj) { return obj->name; }
BPFBOX_API const char *bpfbox_object__license(const struct bpfbox_object *obj)
{
	return obj->license;
}
BPFBOX_API uint32_t bpfbox_object__kversion(const struct bpfbox_object *obj)
{
	return obj->kversion;
}
BPFBOX_API const struct btf *bpfbox_object__btf(const struct bpfbox_object *obj)
{
	return obj->btf;
}

/* The kernel's list (include/linux/license.h, license_is_gpl_compatible). */
BPFBOX_API bool bpfbox_object__gpl_compatible(const struct bpfbox_object *obj)
{
	static const char *const ok[] = { "GPL", "GPL v2", "GPL and additional rights",
					  "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL" };
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(obj->license, ok[i]))
			return true;
	return false;
}

BPFBOX_API size_t bpfbox_object__sec_count(const struct bpfbox_object *obj)
{
	return obj->nsecs;
}

BPFBOX_API int bpfbox_object__sec(const struct bpfbox_object *obj, size_t i,
				  struct bpfbox_obj_sec_info *info)
{
	if (i >= obj->nsecs || !info)
		return -ENOENT;
	const struct obj_sec *s = &obj->secs[i];
	info->name = s->name;
	info->index = s->idx;
	info->kind = s->kind;
	info->size = s->size;
	info->offset = s->type == SHT_NOBITS ? 0 : s->off;
	info->elf_type = s->type;
	info->elf_flags = s->flags;
	info->nrelocs = s->nrelocs;
	return 0;
}

BPFBOX_API int bpfbox_object__symbol(const struct bpfbox_object *obj, const char *sec,
				     const char *name, uint64_t *value, uint64_t *size)
{
	for (size_t i = 0; sec && name && i < obj->nsyms; i++) {
		const struct obj_sym *s = &obj->syms[i];
		if (s->type == STT_SECTION || s->shndx == SHN_UNDEF || s->shndx >= obj->nsecs ||
		    strcmp(s->name, name) || strcmp(obj->secs[s->shndx].name, sec))
			continue;
		if (value)
			*value = s->value;
		if (size)
			*size = s->size;
		return 0;
	}
	return -ENOENT;
}

BPFBOX_API size_t bpfbox_object__prog_count(const struct bpfbox_object *obj)
{
	return obj->nprogs;
}

BPFBOX_API struct bpfbox_obj_prog *bpfbox_object__prog(const struct bpfbox_object *obj, size_t i)
{
	return i < obj->nprogs ? obj->progs[i] : NULL;
}

BPFBOX_API struct bpfbox_obj_prog *bpfbox_object__find_prog_by_section(
	const struct bpfbox_object *obj, const char *sec)
{
	for (size_t i = 0; sec && i < obj->nprogs; i++)
		if (!obj->progs[i]->is_function && !strcmp(obj->progs[i]->sec_name, sec))
			return obj->progs[i];
	return NULL;
}

BPFBOX_API struct bpfbox_obj_prog *bpfbox_object__find_prog(const struct bpfbox_object *obj,
							    const char *name)
{
	for (size_t i = 0; name && i < obj->nprogs; i++)
		if (!strcmp(obj->progs[i]->name, name))
			return obj->progs[i];
	return bpfbox_object__find_prog_by_section(obj, name);
}

BPFBOX_API const char *bpfbox_obj_prog__name(const struct bpfbox_obj_prog *p) { return p->name; }
BPFBOX_API const char *bpfbox_obj_prog__section(const struct bpfbox_obj_prog *p)
{
	return p->sec_name;
}
BPFBOX_API int bpfbox_obj_prog__type(const struct bpfbox_obj_prog *p) { return p->type; }
BPFBOX_API const char *bpfbox_obj_prog__attach(const struct bpfbox_obj_prog *p)
{
	return p->attach ? p->attach : "";
}
BPFBOX_API const char *bpfbox_obj_prog__sec_prefix(const struct bpfbox_obj_prog *p)
{
	return p->prefix ? p->prefix : "";
}
BPFBOX_API bool bpfbox_obj_prog__is_function(const struct bpfbox_obj_prog *p)
{
	return p->is_function;
}
BPFBOX_API const struct bpfbox_insn *bpfbox_obj_prog__insns(const struct bpfbox_obj_prog *p,
							    size_t *n)
{
	if (n)
		*n = p->n;
	return p->insns;
}
BPFBOX_API struct bpfbox_prog *bpfbox_obj_prog__handle(const struct bpfbox_obj_prog *p)
{
	return p->handle;
}

BPFBOX_API size_t bpfbox_obj_prog__func_count(const struct bpfbox_obj_prog *p)
{
	return p->npieces;
}

BPFBOX_API int bpfbox_obj_prog__func(const struct bpfbox_obj_prog *p, size_t i,
				     struct bpfbox_obj_func *f)
{
	if (i >= p->npieces || !f)
		return -ENOENT;
	const struct obj_piece *pc = &p->pieces[i];
	f->name = pc->name ? pc->name : "";
	f->section = p->obj->secs[pc->sec].name;
	f->start = pc->pos;
	f->n = (size_t)(pc->size / 8);
	f->btf_type = pc->btf_type;
	return 0;
}

BPFBOX_API int bpfbox_obj_prog__reloc(const struct bpfbox_obj_prog *p, size_t insn,
				      struct bpfbox_obj_reloc *r)
{
	size_t lo = 0, hi = p->nrels;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->rels[mid].insn < insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= p->nrels || p->rels[lo].insn != insn)
		return -ENOENT;
	if (r)
		*r = p->rels[lo].r;
	return 0;
}

BPFBOX_API int bpfbox_obj_prog__line(const struct bpfbox_obj_prog *p, size_t insn,
				     struct bpfbox_obj_line *l)
{
	/* the last record at or before insn, within the same function */
	size_t lo = 0, hi = p->nlines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->lines[mid].insn <= insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	const struct obj_line_rec *rec = &p->lines[lo - 1];
	for (size_t i = 0; i < p->npieces; i++) {
		const struct obj_piece *pc = &p->pieces[i];
		size_t end = pc->pos + (size_t)(pc->size / 8);
		if (insn >= pc->pos && insn < end && rec->insn < pc->pos)
			return -ENOENT;
	}
	if (l) {
		l->file = rec->file ? rec->file : "";
		l->text = rec->text ? rec->text : "";
		l->line = rec->line;
		l->col = rec->col;
		l->exact = rec->insn == insn;
	}
	return 0;
}

BPFBOX_API size_t bpfbox_object__map_count(const struct bpfbox_object *obj) { return obj->nmaps; }

BPFBOX_API struct bpfbox_obj_map *bpfbox_object__map(const struct bpfbox_object *obj, size_t i)
{
	return i < obj->nmaps ? obj->maps[i] : NULL;
}

BPFBOX_API struct bpfbox_obj_map *bpfbox_object__find_map(const struct bpfbox_object *obj,
							  const char *name)
{
	for (size_t i = 0; name && i < obj->nmaps; i++)
		if (!strcmp(obj->maps[i]->def.name, name))
			return obj->maps[i];
	return NULL;
}

BPFBOX_API int bpfbox_obj_map__index(const struct bpfbox_obj_map *m) { return m->index; }
BPFBOX_API const struct bpfbox_obj_map_def *bpfbox_obj_map__def(const struct bpfbox_obj_map *m)
{
	return &m->def;
}
BPFBOX_API struct bpfbox_map *bpfbox_obj_map__handle(const struct bpfbox_obj_map *m)
{
	return m->handle;
}

BPFBOX_API int bpfbox_obj_map__init_slot(const struct bpfbox_obj_map *m, size_t i,
					 uint32_t *slot, const char **what)
{
	if (i >= m->nslots)
		return -ENOENT;
	if (slot)
		*slot = m->slots[i].slot;
	if (what)
		*what = m->slots[i].what;
	return 0;
}
