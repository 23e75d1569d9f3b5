/* bpfbox — cli/cmd_objdump.c: `bpfbox objdump OBJ`, an eBPF object explained.
 *
 * Everything bpfbox's loader sees in an object, in the order a reader needs
 * it: the file (license, version, BTF), its sections and what each is, the
 * maps with their definitions (types from BTF: `key: __u32`, `value:
 * struct event`), the contents of global data (hex, and each variable
 * formatted through BTF), the programs with their types and attach points,
 * then each program's linked code: function labels, source lines from
 * BTF.ext, relocations shown by name (`r1 = map[counts] ll`,
 * `r1 = &s1 ll ; .data.custom+0`, `call sub`, `r2 = cb ll`) and helpers by
 * name (`call bpf_map_lookup_elem#1`).  CO-RE relocations are shown as
 * resolved against the target BTF (`; CO-RE byte_off struct
 * task_struct.real_parent: 0 -> 2456`, poisoned ones with the reason) and
 * listed per program in the headers with the externs (`__kconfig`
 * values, `__ksym` addresses); --set shows globals with the values given.
 * Works on stripped objects (no names or lines where the file has none)
 * and never needs to load anything into a VM.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <bpf/btf.h>
#include <bpf/libbpf_common.h>
#include "bpfbox/asm.h"
#include "bpfbox/helpers.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"
#include "cli.h"
#include "objload.h"

#define CMD "objdump"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfbox objdump OBJ [--section S | --prog NAME] [-h | -d | -t] [--no-source]\n"
		"                          [--btf FILE] [--set NAME=VALUE]\n"
		"  Shows an eBPF object (ELF, or a .bpf.c compiled on the fly): sections,\n"
		"  programs (type, attach point), maps with their BTF definitions, global data\n"
		"  contents (the `const volatile` configuration with its current values), the\n"
		"  externs (__kconfig values, __ksym addresses), CO-RE relocations as resolved\n"
		"  against the target BTF, and each program's linked code with relocations by\n"
		"  name (r1 = map[counts] ll), helper names and source lines from BTF.ext.\n"
		"  --section S / --prog NAME   only that program's code\n"
		"  -h                          headers only (sections, maps, data, externs,\n"
		"                              programs and their CO-RE relocations)\n"
		"  -d                          code only\n"
		"  -t                          the symbol table's functions and objects\n"
		"  --no-source                 no source lines in the code\n"
		"%s"
		"exit status: 0 shown, 2 bad input or usage\n", cli_objopts_help);
}

static const char *kind_name(int k)
{
	static const char *const n[] = { "other", "prog", "text", "maps", "maps(legacy)", "data",
					 "license", "version", "btf", "btf.ext", "reloc", "symtab" };
	return k >= 0 && (size_t)k < sizeof(n) / sizeof(n[0]) ? n[k] : "?";
}

static void vprint(void *ctx, const char *fmt, va_list ap)
{
	vfprintf(ctx, fmt, ap);
}

/* "u32", "struct event", ... for a BTF type id (0: none). */
static void type_decl(struct btf_dump *d, uint32_t id)
{
	if (!d || !id) {
		printf("-");
		return;
	}
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = "");
	if (btf_dump__emit_type_decl(d, id, &o))
		printf("type %u", id);
}

static void hexdump(const uint8_t *p, size_t n, const char *indent)
{
	for (size_t i = 0; i < n; i += 16) {
		printf("%s%04zx:", indent, i);
		for (size_t k = i; k < i + 16; k++)
			if (k < n)
				printf(" %02x", p[k]);
			else
				printf("   ");
		printf("  ");
		for (size_t k = i; k < i + 16 && k < n; k++)
			putchar(p[k] >= 0x20 && p[k] < 0x7f ? p[k] : '.');
		printf("\n");
	}
}

static void data_vars(struct bpfbox_object *obj, const struct bpfbox_obj_map_def *d,
		      struct btf_dump *dump)
{
	const struct btf *btf = bpfbox_object__btf(obj);
	const struct btf_type *ds = btf && d->btf_value_type ?
		btf__type_by_id(btf, d->btf_value_type) : NULL;
	if (!ds || !btf_is_datasec(ds))
		return;
	const struct btf_var_secinfo *vs = btf_var_secinfos(ds);
	for (uint16_t i = 0; i < btf_vlen(ds); i++) {
		const struct btf_type *var = btf__type_by_id(btf, vs[i].type);
		if (!var || !btf_is_var(var))
			continue;
		const char *name = btf__name_by_offset(btf, var->name_off);
		if (!name)
			name = "?";
		uint64_t off = 0, size = 0;
		if (bpfbox_object__symbol(obj, d->section, name, &off, &size))
			off = vs[i].offset;
		int64_t tsz = btf__resolve_size(btf, var->type);
		printf("      +%-5llu ", (unsigned long long)off);
		LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = name);
		btf_dump__emit_type_decl(dump, var->type, &o);
		if (tsz > 0 && off + (uint64_t)tsz <= d->value_size) {
			printf(" = ");
			fflush(stdout);
			if (d->init) {
				LIBBPF_OPTS(btf_dump_type_data_opts, to, .compact = true,
						    .emit_zeroes = true);
				btf_dump__dump_type_data(dump, var->type, (const uint8_t *)d->init + off,
							 (size_t)tsz, &to);
			} else {
				printf("0 (zeroed)");
			}
		}
		printf(";\n");
	}
}

static void externs(struct bpfbox_object *obj)
{
	size_t n = bpfbox_object__extern_count(obj);
	if (!n)
		return;
	printf("\nExterns:\n");
	for (size_t i = 0; i < n; i++) {
		struct bpfbox_obj_extern e;
		bpfbox_object__extern(obj, i, &e);
		if (e.kind == BPFBOX_EXTERN_KCONFIG)
			printf("  %-28s __kconfig%s  .kconfig+%u (%u bytes)  = %llu%s\n", e.name,
			       e.weak ? " __weak" : "", e.offset, e.size, (unsigned long long)e.value,
			       e.resolved ? "" : " (not set: 0)");
		else if (e.func)
			printf("  %-28s __ksym%s  kernel function: %s\n", e.name, e.weak ? " __weak" : "",
			       "calls are poisoned (bpfbox has no kernel functions)");
		else
			printf("  %-28s __ksym%s%s  = 0x%llx%s\n", e.name, e.weak ? " __weak" : "",
			       e.typed ? " (typed)" : "", (unsigned long long)e.value,
			       e.resolved ? "" : " (unresolved: 0)");
	}
}

static void core_relos(struct bpfbox_object *obj)
{
	size_t total = 0, poisoned = 0;
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(obj, i);
		for (size_t k = 0; k < bpfbox_obj_prog__core_relo_count(p); k++) {
			struct bpfbox_obj_core_relo r;
			bpfbox_obj_prog__core_relo(p, k, &r);
			total++;
			poisoned += r.poisoned;
		}
	}
	if (!total)
		return;
	const char *tn = NULL;
	bpfbox_object__target_btf(obj, &tn);
	printf("\nCO-RE relocations (against %s): %zu in the programs, %zu poisoned\n", tn, total,
	       poisoned);
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(obj, i);
		size_t n = bpfbox_obj_prog__core_relo_count(p);
		if (!n)
			continue;
		printf("  %s:\n", bpfbox_obj_prog__name(p));
		for (size_t k = 0; k < n; k++) {
			struct bpfbox_obj_core_relo r;
			bpfbox_obj_prog__core_relo(p, k, &r);
			printf("    insn %5zu  %-14s %s", r.insn, bpfbox_core_kind__name(r.kind), r.spec);
			if (r.poisoned)
				printf("  POISONED: %s\n", r.why);
			else
				printf("  %llu -> %llu\n", (unsigned long long)r.orig_val,
				       (unsigned long long)r.new_val);
		}
	}
}

static void headers(struct bpfbox_object *obj, struct btf_dump *dump)
{
	const struct btf *btf = bpfbox_object__btf(obj);
	printf("%s: eBPF object, license \"%s\"%s, version %u, %s\n", bpfbox_object__name(obj),
	       bpfbox_object__license(obj),
	       bpfbox_object__gpl_compatible(obj) ? " (GPL-compatible)" : "",
	       bpfbox_object__kversion(obj),
	       btf ? "with BTF" : "no BTF (stripped: no map definitions in .maps, no lines)");
	printf("\nSections:\nIdx Name                             Kind          Size   Offset  Relocs\n");
	for (size_t i = 1; i < bpfbox_object__sec_count(obj); i++) {
		struct bpfbox_obj_sec_info s;
		bpfbox_object__sec(obj, i, &s);
		printf("%3u %-32s %-12s %6llu %8llu  %zu\n", s.index, s.name, kind_name(s.kind),
		       (unsigned long long)s.size, (unsigned long long)s.offset, s.nrelocs);
	}
	printf("\nMaps:\n");
	if (!bpfbox_object__map_count(obj))
		printf("  (none)\n");
	for (size_t i = 0; i < bpfbox_object__map_count(obj); i++) {
		struct bpfbox_obj_map *m = bpfbox_object__map(obj, i);
		const struct bpfbox_obj_map_def *d = bpfbox_obj_map__def(m);
		const char *tn = bpfbox_map_type_name(d->type);
		const char *kind = d->kind == BPFBOX_OBJ_MAP_BTF ? ".maps" :
				   d->kind == BPFBOX_OBJ_MAP_LEGACY ? "maps (legacy)" :
				   d->kind == BPFBOX_OBJ_MAP_DATA ? "global data" : "inner map template";
		printf("  %zu: %s  %s  key %u value %u max_entries %u flags 0x%x", i, d->name,
		       tn ? tn : "?", d->key_size, d->value_size, d->max_entries, d->map_flags);
		if (d->map_extra)
			printf(" map_extra %llu", (unsigned long long)d->map_extra);
		if (d->pinning)
			printf(" pinning %u", d->pinning);
		printf("  [%s]\n", kind);
		if (d->kind == BPFBOX_OBJ_MAP_BTF || d->kind == BPFBOX_OBJ_MAP_INNER) {
			if (d->btf_key_type || d->btf_value_type) {
				printf("      key: ");
				type_decl(dump, d->btf_key_type);
				printf("   value: ");
				type_decl(dump, d->btf_value_type);
				printf("\n");
			}
			if (d->inner >= 0)
				printf("      inner maps like: %s\n",
				       bpfbox_obj_map__def(bpfbox_object__map(obj, (size_t)d->inner))->name);
			for (size_t k = 0; k < d->n_init_slots; k++) {
				uint32_t slot;
				const char *what;
				bpfbox_obj_map__init_slot(m, k, &slot, &what);
				printf("      [%u] = %s\n", slot, what);
			}
		}
		if (d->kind == BPFBOX_OBJ_MAP_DATA) {
			if (d->init)
				hexdump(d->init, d->value_size, "      ");
			else
				printf("      %u zero bytes\n", d->value_size);
			data_vars(obj, d, dump);
		}
	}
	externs(obj);
	printf("\nPrograms:\n");
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(obj, i);
		size_t n;
		bpfbox_obj_prog__insns(p, &n);
		const char *tn = bpfbox_prog_type__name(bpfbox_obj_prog__type(p));
		printf("  %s  section %s  type %s", bpfbox_obj_prog__name(p), bpfbox_obj_prog__section(p),
		       bpfbox_obj_prog__is_function(p) ? "(global function)" : tn ? tn : "?");
		if (*bpfbox_obj_prog__attach(p))
			printf("  attach %s", bpfbox_obj_prog__attach(p));
		printf("  %zu insns", n);
		size_t nf = bpfbox_obj_prog__func_count(p);
		if (nf > 1) {
			printf("  calls");
			for (size_t k = 1; k < nf; k++) {
				struct bpfbox_obj_func f;
				bpfbox_obj_prog__func(p, k, &f);
				printf(" %s", f.name[0] ? f.name : f.section);
			}
		}
		printf("\n");
	}
	core_relos(obj);
}

/* ---- code ---------------------------------------------------------------------- */

struct code_ctx {
	struct bpfbox_object *obj;
	struct bpfbox_obj_prog *p;
};

static const char *helper_name(void *ud, int32_t id)
{
	static __thread char buf[64];
	(void)ud;
	const char *n = id >= 0 ? bpfbox_helper__name((uint32_t)id) : NULL;
	if (!n)
		return NULL;
	snprintf(buf, sizeof(buf), "bpf_%s", n);
	return buf;
}

static const char *func_at(const struct bpfbox_obj_prog *p, size_t slot)
{
	for (size_t i = 0; i < bpfbox_obj_prog__func_count(p); i++) {
		struct bpfbox_obj_func f;
		bpfbox_obj_prog__func(p, i, &f);
		if (f.start == slot)
			return f.name[0] ? f.name : f.section;
	}
	return NULL;
}

static const char *map_name(struct bpfbox_object *obj, int idx)
{
	struct bpfbox_obj_map *m = idx >= 0 ? bpfbox_object__map(obj, (size_t)idx) : NULL;
	return m ? bpfbox_obj_map__def(m)->name : "?";
}

/* The text of a relocated slot, by name; false when it has no relocation. */
static bool reloc_text(const struct code_ctx *C, size_t i, const struct bpfbox_insn *in, char *buf,
		       size_t size)
{
	struct bpfbox_obj_reloc r;
	if (bpfbox_obj_prog__reloc(C->p, i, &r))
		return false;
	const char *fn;
	switch (r.kind) {
	case BPFBOX_RELOC_MAP:
		snprintf(buf, size, "r%u = map[%s] ll", in->dst, map_name(C->obj, r.map));
		return true;
	case BPFBOX_RELOC_MAP_VALUE:
		if (r.symbol[0] && strcmp(r.symbol, map_name(C->obj, r.map)))
			snprintf(buf, size, "r%u = &%s ll   ; map[%s] + %llu", in->dst, r.symbol,
				 map_name(C->obj, r.map), (unsigned long long)r.offset);
		else
			snprintf(buf, size, "r%u = map[%s] + %llu ll", in->dst, map_name(C->obj, r.map),
				 (unsigned long long)r.offset);
		return true;
	case BPFBOX_RELOC_CALL:
		fn = func_at(C->p, r.target);
		snprintf(buf, size, "call %s   ; pc%+lld", fn ? fn : "?", (long long)in->imm);
		return true;
	case BPFBOX_RELOC_FUNC:
		fn = func_at(C->p, r.target);
		snprintf(buf, size, "r%u = %s ll   ; function at insn %zu", in->dst, fn ? fn : "?",
			 r.target);
		return true;
	default:
		return false;
	}
}

/* "   ; CO-RE byte_off struct task_struct.pid: 0 -> 2456" for a relocated slot */
static void core_note(const struct bpfbox_obj_prog *p, size_t insn,
		      const struct bpfbox_insn *in, size_t n, char *buf, size_t size)
{
	buf[0] = 0;
	for (size_t k = 0; k < bpfbox_obj_prog__core_relo_count(p); k++) {
		struct bpfbox_obj_core_relo r;
		bpfbox_obj_prog__core_relo(p, k, &r);
		if (r.insn != insn)
			continue;
		if (r.poisoned)
			snprintf(buf, size, "   ; CO-RE %s %s: POISONED (%s)",
				 bpfbox_core_kind__name(r.kind), r.spec, r.why);
		else
			snprintf(buf, size, "   ; CO-RE %s %s: %llu -> %llu",
				 bpfbox_core_kind__name(r.kind), r.spec, (unsigned long long)r.orig_val,
				 (unsigned long long)r.new_val);
		return;
	}
	char note[300];
	if (insn < n && in[insn].code == 0x85 && in[insn].imm == (int32_t)BPFBOX_CORE_POISON &&
	    bpfbox_obj_prog__poison_note(p, insn, note, sizeof(note)))
		snprintf(buf, size, "   ; %s", note);
}

static void code(struct bpfbox_object *obj, struct bpfbox_obj_prog *p, bool source)
{
	size_t n;
	const struct bpfbox_insn *in = bpfbox_obj_prog__insns(p, &n);
	const char *tn = bpfbox_prog_type__name(bpfbox_obj_prog__type(p));
	printf("\nDisassembly of %s (section %s, %s):\n", bpfbox_obj_prog__name(p),
	       bpfbox_obj_prog__section(p), bpfbox_obj_prog__is_function(p) ? "global function" :
	       tn ? tn : "?");
	struct code_ctx C = { obj, p };
	BPFBOX_OPTS(bpfbox_disasm_opts, o, .syntax = BPFBOX_SYNTAX_BPFBOX, .ud = &C,
		    .helper_name = helper_name);
	uint32_t last_line = 0;
	const char *last_file = NULL;
	for (size_t i = 0; i < n;) {
		const char *fn = func_at(p, i);
		if (fn)
			printf("%s%s:\n", i ? "\n" : "", fn);
		struct bpfbox_obj_line l;
		if (source && !bpfbox_obj_prog__line(p, i, &l) && l.exact && l.line &&
		    (l.line != last_line || l.file != last_file)) {
			const char *t = l.text;
			while (*t == ' ' || *t == '\t')
				t++;
			printf("; %s:%u  %s\n", l.file, l.line, t);
			last_line = l.line;
			last_file = l.file;
		}
		char text[BPFBOX_DISASM_LINE_MAX + 128];
		int used;
		if (reloc_text(&C, i, &in[i], text, sizeof(text))) {
			used = in[i].code == 0x18 ? 2 : 1;
		} else {
			used = bpfbox_disasm__insn(in, n, i, &o, text, sizeof(text));
			if (used < 1)
				used = 1;
		}
		char core[400];
		core_note(p, i, in, n, core, sizeof(core));
		printf("%5zu: %s%s\n", i, text, core);
		i += (size_t)used;
	}
}

static void symbols(struct bpfbox_object *obj)
{
	printf("\nFunctions placed in each program:\n");
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(obj, i);
		printf("  %s:\n", bpfbox_obj_prog__name(p));
		for (size_t k = 0; k < bpfbox_obj_prog__func_count(p); k++) {
			struct bpfbox_obj_func f;
			bpfbox_obj_prog__func(p, k, &f);
			printf("    insn %5zu  %5zu insns  %-24s (%s)%s\n", f.start, f.n,
			       f.name[0] ? f.name : "-", f.section, f.btf_type ? "  BTF func" : "");
		}
	}
}

int cmd_objdump(int argc, char **argv)
{
	const char *path = NULL, *section = NULL, *prog = NULL;
	bool only_h = false, only_d = false, syms = false, source = true;
	struct cli_objopts OO = { 0 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = cli_objopts_parse(CMD, argc, argv, &i, &OO);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(a, "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if ((!strcmp(a, "--section") || !strcmp(a, "--prog")) && i + 1 < argc) {
			*(a[2] == 's' ? &section : &prog) = argv[++i];
		} else if (!strcmp(a, "-h") || !strcmp(a, "--headers")) {
			only_h = true;
		} else if (!strcmp(a, "-d")) {
			only_d = true;
		} else if (!strcmp(a, "-t")) {
			syms = true;
		} else if (!strcmp(a, "--no-source")) {
			source = false;
		} else if (a[0] == '-' && a[1]) {
			cli_err(CMD, "unknown option '%s' (see bpfbox objdump --help)", a);
			return CLI_EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			cli_err(CMD, "more than one object");
			return CLI_EXIT_USAGE;
		}
	}
	if (!path) {
		cli_err(CMD, "usage: bpfbox objdump OBJ (see --help)");
		return CLI_EXIT_USAGE;
	}
	char err[1024];
	struct bpfbox_object *obj;
	if (cli_open_object_opts(path, false, &OO, &obj, err, sizeof(err))) {
		cli_err(CMD, "%s", err);
		return CLI_EXIT_USAGE;
	}
	struct bpfbox_obj_prog *sel = NULL;
	if ((section || prog) && !(sel = cli_pick_prog(obj, section, prog, err, sizeof(err)))) {
		cli_err(CMD, "%s", err);
		bpfbox_object__free(obj);
		return CLI_EXIT_USAGE;
	}
	const struct btf *btf = bpfbox_object__btf(obj);
	struct btf_dump *dump = btf ? btf_dump__new(btf, vprint, stdout, NULL) : NULL;
	if (!only_d && !sel)
		headers(obj, dump);
	if (syms)
		symbols(obj);
	if (!only_h) {
		for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
			struct bpfbox_obj_prog *p = bpfbox_object__prog(obj, i);
			if ((sel && p != sel) || (!sel && bpfbox_obj_prog__is_function(p)))
				continue;
			code(obj, p, source);
		}
	}
	fflush(stdout);
	btf_dump__free(dump);
	bpfbox_object__free(obj);
	return CLI_EXIT_OK;
}
