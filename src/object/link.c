/* bpfbox — object/link.c: finding programs and linking them.
 *
 * Programs.  Every global (or weak) function symbol of a program section
 * (SEC("...")) is a program; a program section without function symbols
 * (stripped objects, hand-written assembly) is one program named after the
 * section.  Global functions of .text are also entries ("functions"),
 * selectable by name like libbpf's global subprograms; an object with no
 * program section at all makes its .text one.
 *
 * Linking.  A program is its entry function followed by every function it
 * reaches through bpf-to-bpf calls and function-pointer lddw (callbacks),
 * transitively, each appended once — the way libbpf appends subprograms —
 * so each program is self-contained.  While copying, relocations are
 * applied:
 *   call (R_BPF_64_32 or an unrelocated local call)  -> src 1, relative imm
 *   lddw of a map symbol (R_BPF_64_64 into .maps/maps) -> src 5, imm = map
 *   lddw of global data (into .data/.rodata/.bss/...)   -> src 6, imm = map,
 *                                                        next imm = offset
 *   lddw of a function (into code)                      -> src 4, relative imm
 *   lddw of a __kconfig extern                          -> src 6 into .kconfig
 *   lddw of a __ksym extern                             -> its address (imm64)
 *   call of a kernel function (kfunc extern)            -> poisoned call
 * and a record of each is kept for the disassembler (names, targets).
 * CO-RE relocations are applied afterwards to the linked copies (core.c).
 *
 * Invariants: a target must be 8-byte aligned and inside a function of a
 * code section; a relocation may only sit on the first slot of an lddw or
 * on a call; a linked program never exceeds BPFBOX_OBJ_MAX_INSNS.  Jumps
 * are not checked here (the VM's decoder does that at load), so objdump
 * can still show a program whose jumps are broken.
 */
#include <string.h>
#include <gelf.h>
#include "obj.h"
#include "bpfbox/prog_types.h"

#define OP_LDDW 0x18
#define OP_CALL 0x85

/* ---- programs ------------------------------------------------------------ */

static int add_prog(struct bpfbox_object *obj, size_t *cap, uint32_t sec, const char *name,
		    uint64_t start, uint64_t size, bool is_function)
{
	if (obj_grow(obj, (void **)&obj->progs, cap, obj->nprogs + 1, sizeof(*obj->progs)))
		return -ENOMEM;
	struct bpfbox_obj_prog *p = obj_calloc(obj, 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	obj->progs[obj->nprogs++] = p;
	p->obj = obj;
	p->name = obj_strdup(obj, name);
	if (!p->name)
		return -ENOMEM;
	p->sec = sec;
	p->sec_name = obj->secs[sec].name;
	p->start = start;
	p->size = size;
	p->is_function = is_function;
	if (is_function) {
		p->type = BPFBOX_PROG_TYPE_UNSPEC;
		p->prefix = p->attach = "";
	} else {
		bpfbox_sec_name__parse(p->sec_name, &p->type, &p->prefix, &p->attach);
	}
	return 0;
}

/* Program-like symbols of a section, in address order: global/weak FUNC. */
static int sym_order(const struct bpfbox_object *obj, size_t *idx, size_t n, uint32_t sec,
		     bool globals_only)
{
	size_t k = 0;
	for (size_t i = 0; i < obj->nsyms && k < n; i++) {
		const struct obj_sym *s = &obj->syms[i];
		if (s->shndx != sec || s->type != STT_FUNC)
			continue;
		if (globals_only && s->bind != STB_GLOBAL && s->bind != STB_WEAK)
			continue;
		idx[k++] = i;
	}
	/* insertion sort by value: symbol counts per section are small */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && obj->syms[idx[j]].value < obj->syms[idx[j - 1]].value; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return (int)k;
}

/* Every relocation of a code section must be on an lddw or a call. */
static int check_code_relocs(struct bpfbox_object *obj, const struct obj_sec *s)
{
	for (size_t i = 0; i < s->nrelocs; i++) {
		const struct obj_reloc *r = &s->relocs[i];
		if (r->type == R_BPF_NONE)
			continue;
		const struct obj_sym *sym = &obj->syms[r->sym];
		if (r->off % 8)
			return obj_err(obj, -EINVAL, "section '%s': relocation for '%s' at offset %llu "
				       "is not on an instruction boundary", s->name, sym->name,
				       (unsigned long long)r->off);
		uint8_t code = s->data[r->off];
		if (code == OP_LDDW && r->type != R_BPF_64_64)
			return obj_err(obj, -EINVAL, "section '%s': lddw at insn %llu has relocation "
				       "type %u (want R_BPF_64_64)", s->name,
				       (unsigned long long)(r->off / 8), r->type);
		if (code == OP_CALL && r->type != R_BPF_64_32)
			return obj_err(obj, -EINVAL, "section '%s': call at insn %llu has relocation "
				       "type %u (want R_BPF_64_32)", s->name,
				       (unsigned long long)(r->off / 8), r->type);
		if (code != OP_LDDW && code != OP_CALL)
			return obj_err(obj, -EINVAL, "section '%s': relocation for '%s' on insn %llu "
				       "(opcode 0x%02x), which is neither lddw nor call", s->name,
				       sym->name, (unsigned long long)(r->off / 8), code);
		if (sym->shndx == SHN_ABS || sym->shndx == SHN_COMMON || sym->shndx >= obj->nsecs)
			return obj_err(obj, -EINVAL, "section '%s': insn %llu refers to '%s', which is "
				       "in no section", s->name, (unsigned long long)(r->off / 8),
				       sym->name);
	}
	return 0;
}

int obj_find_progs(struct bpfbox_object *obj)
{
	size_t cap = 0;
	int err;
	size_t *idx = obj_calloc(obj, obj->nsyms ? obj->nsyms : 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	uint32_t text = 0;
	for (size_t i = 1; i < obj->nsecs; i++) {
		struct obj_sec *s = &obj->secs[i];
		if (s->kind == BPFBOX_SEC_TEXT)
			text = (uint32_t)i;
		if (s->kind != BPFBOX_SEC_PROG && s->kind != BPFBOX_SEC_TEXT)
			continue;
		if ((err = check_code_relocs(obj, s)))
			goto out;
		if (s->kind != BPFBOX_SEC_PROG || !s->size)
			continue;
		int n = sym_order(obj, idx, obj->nsyms, (uint32_t)i, true);
		if (n == 0) {
			if ((err = add_prog(obj, &cap, (uint32_t)i, s->name, 0, s->size, false)))
				goto out;
			continue;
		}
		for (int k = 0; k < n; k++) {
			const struct obj_sym *sym = &obj->syms[idx[k]];
			uint64_t size = sym->size;
			if (!size) /* assembler symbols without a size run to the next one */
				size = (k + 1 < n ? obj->syms[idx[k + 1]].value : s->size) - sym->value;
			if (sym->value % 8 || size % 8 || !size) {
				err = obj_err(obj, -EINVAL, "program '%s' in '%s' is not whole instructions "
					      "(offset %llu, size %llu)", sym->name, s->name,
					      (unsigned long long)sym->value, (unsigned long long)size);
				goto out;
			}
			if ((err = add_prog(obj, &cap, (uint32_t)i, sym->name, sym->value, size, false)))
				goto out;
		}
	}
	if (text && obj->secs[text].size) {
		size_t before = obj->nprogs;
		int n = sym_order(obj, idx, obj->nsyms, text, true);
		for (int k = 0; k < n; k++) {
			const struct obj_sym *sym = &obj->syms[idx[k]];
			if (!sym->size || sym->value % 8 || sym->size % 8)
				continue;
			if ((err = add_prog(obj, &cap, text, sym->name, sym->value, sym->size, true)))
				goto out;
		}
		/* Nothing but .text (llvm-mc output, or only static functions):
		 * the whole section is the program. */
		if (before == 0 && obj->nprogs == 0 && !sym_order(obj, idx, obj->nsyms, text, false)) {
			if ((err = add_prog(obj, &cap, text, ".text", 0, obj->secs[text].size, false)))
				goto out;
		}
	}
	err = 0;
out:
	obj_free(obj, idx, (obj->nsyms ? obj->nsyms : 1) * sizeof(*idx));
	return err;
}

void obj_free_prog(struct bpfbox_object *obj, struct bpfbox_obj_prog *p)
{
	if (!p)
		return;
	obj_free(obj, p->insns, 0);
	obj_free(obj, p->pieces, 0);
	obj_free(obj, p->rels, 0);
	obj_free(obj, p->lines, 0);
	obj_free(obj, p->core, 0);
	if (p->name)
		obj_free(obj, p->name, strlen(p->name) + 1);
	obj_free(obj, p, sizeof(*p));
}

/* ---- linking ------------------------------------------------------------- */

struct linker {
	struct bpfbox_object *obj;
	struct bpfbox_obj_prog *p;
	size_t icap, pcap, rcap;
};

/* Place the function of section `sec` that contains byte `off` (once);
 * *slot receives the linked slot of `off`. */
static int place(struct linker *L, uint32_t sec, uint64_t off, size_t *slot)
{
	struct bpfbox_object *obj = L->obj;
	struct bpfbox_obj_prog *p = L->p;
	const struct obj_sec *s = &obj->secs[sec];
	if ((s->kind != BPFBOX_SEC_PROG && s->kind != BPFBOX_SEC_TEXT) || !s->data)
		return obj_err(obj, -EINVAL, "program '%s': call or function reference into section "
			       "'%s', which holds no code", p->name, s->name);
	if (off % 8 || off >= s->size)
		return obj_err(obj, -EINVAL, "program '%s': call or function reference to offset %llu "
			       "of '%s' (%llu bytes), not an instruction", p->name,
			       (unsigned long long)off, s->name, (unsigned long long)s->size);
	uint64_t start, size;
	const char *name;
	if (p->npieces == 0) { /* the entry itself */
		start = p->start;
		size = p->size;
		name = p->name;
	} else {
		const struct obj_sym *f = obj_func_at(obj, sec, off);
		if (f) {
			start = f->value;
			size = f->size;
			name = f->name;
		} else {
			/* Without function symbols, the whole section is the unit. */
			size_t dummy[1];
			if (sym_order(obj, dummy, 1, sec, false))
				return obj_err(obj, -EINVAL, "program '%s': call or function reference to "
					       "offset %llu of '%s', which is inside no function",
					       p->name, (unsigned long long)off, s->name);
			start = 0;
			size = s->size;
			name = s->name;
		}
	}
	for (size_t i = 0; i < p->npieces; i++) {
		const struct obj_piece *pc = &p->pieces[i];
		if (pc->sec == sec && off >= pc->start && off - pc->start < pc->size) {
			*slot = pc->pos + (size_t)((off - pc->start) / 8);
			return 0;
		}
	}
	if (start % 8 || size % 8 || !size || start > s->size || size > s->size - start)
		return obj_err(obj, -EINVAL, "function '%s' in '%s' is not whole instructions", name,
			       s->name);
	size_t nslots = (size_t)(size / 8);
	if (p->n + nslots > BPFBOX_OBJ_MAX_INSNS)
		return obj_err(obj, -E2BIG, "program '%s' links to more than %u instructions", p->name,
			       BPFBOX_OBJ_MAX_INSNS);
	if (obj_grow(obj, (void **)&p->insns, &L->icap, p->n + nslots, sizeof(*p->insns)) ||
	    obj_grow(obj, (void **)&p->pieces, &L->pcap, p->npieces + 1, sizeof(*p->pieces)))
		return -ENOMEM;
	struct obj_piece *pc = &p->pieces[p->npieces++];
	pc->sec = sec;
	pc->start = start;
	pc->size = size;
	pc->pos = p->n;
	pc->name = name;
	struct cursor c = cursor_sub(s->data, s->size, start, size);
	for (size_t i = 0; i < nslots; i++) {
		struct bpfbox_insn *in = &p->insns[p->n + i];
		in->code = cursor_u8(&c);
		uint8_t regs = cursor_u8(&c);
		in->dst = regs & 0xf;
		in->src = regs >> 4;
		in->off = (int16_t)cursor_le16(&c);
		in->imm = (int32_t)cursor_le32(&c);
	}
	p->n += nslots;
	*slot = pc->pos + (size_t)((off - start) / 8);
	return 0;
}

static int add_rel(struct linker *L, size_t insn, const struct bpfbox_obj_reloc *r)
{
	struct bpfbox_obj_prog *p = L->p;
	if (obj_grow(L->obj, (void **)&p->rels, &L->rcap, p->nrels + 1, sizeof(*p->rels)))
		return -ENOMEM;
	p->rels[p->nrels].insn = insn;
	p->rels[p->nrels].r = *r;
	p->nrels++;
	return 0;
}

static int rel_imm(struct linker *L, size_t from, size_t to, int32_t *imm)
{
	int64_t d = (int64_t)to - (int64_t)from - 1;
	if (d < INT32_MIN || d > INT32_MAX)
		return obj_err(L->obj, -E2BIG, "program '%s': call distance too large", L->p->name);
	*imm = (int32_t)d;
	return 0;
}

/* A reference to an extern symbol (extern.c resolved its value):
 *   lddw of a kconfig extern  -> src 6 into the .kconfig map at its offset
 *   lddw of a ksym            -> a plain 64-bit immediate (its address)
 *   call of a kfunc           -> poisoned (`call BPFBOX_CORE_POISON`): bpfbox
 *                                has no kernel functions; reaching it fails
 *                                with a message naming the function. */
static int link_extern(struct linker *L, size_t at, const struct obj_sym *sym,
		       struct bpfbox_obj_reloc *rec)
{
	struct bpfbox_object *obj = L->obj;
	struct bpfbox_obj_prog *p = L->p;
	const struct obj_extern *e = obj_extern_of(obj, sym->name);
	if (!e)
		return obj_err(obj, -EINVAL, "program '%s': insn %zu refers to '%s', which is "
			       "defined nowhere (not a __kconfig/__ksym extern)", p->name, at,
			       sym->name);
	struct bpfbox_insn *in = &p->insns[at];
	rec->symbol = e->name;
	if (in->code == OP_CALL) {
		if (!e->is_func)
			return obj_err(obj, -EINVAL, "program '%s': insn %zu calls extern '%s', which is "
				       "not a function", p->name, at, e->name);
		in->src = 0;
		in->dst = 0;
		in->off = 0;
		in->imm = (int32_t)BPFBOX_CORE_POISON;
		rec->kind = BPFBOX_RELOC_EXTERN;
		return 0;
	}
	if (e->is_func)
		return obj_err(obj, -EINVAL, "program '%s': lddw at insn %zu takes the address of "
			       "kernel function '%s' (bpfbox has no kernel functions)", p->name, at,
			       e->name);
	if (e->kind == OBJ_EXT_KCONFIG) {
		in[0].src = PSEUDO_MAP_IDX_VALUE;
		in[0].imm = obj->kcfg_map;
		in[1].imm = (int32_t)e->off;
		rec->kind = BPFBOX_RELOC_MAP_VALUE;
		rec->map = obj->kcfg_map;
		rec->offset = e->off;
		return 0;
	}
	in[0].src = 0;
	in[0].imm = (int32_t)(uint32_t)e->addr;
	in[1].imm = (int32_t)(uint32_t)(e->addr >> 32);
	rec->kind = BPFBOX_RELOC_EXTERN;
	return 0;
}

/* Apply the relocations of piece `pi` (its slots already copied). */
static int link_piece(struct linker *L, size_t pi)
{
	struct bpfbox_object *obj = L->obj;
	struct bpfbox_obj_prog *p = L->p;
	/* copy: p->pieces may move while we place more pieces */
	const struct obj_piece pc = p->pieces[pi];
	const struct obj_sec *s = &obj->secs[pc.sec];
	size_t nslots = (size_t)(pc.size / 8);
	for (size_t k = 0; k < nslots; k++) {
		size_t at = pc.pos + k;
		uint64_t off = pc.start + (uint64_t)k * 8;
		const struct obj_reloc *r = obj_reloc_at(s, off);
		if (r && r->type == R_BPF_NONE)
			r = NULL;
		struct bpfbox_insn in = p->insns[at];
		struct bpfbox_obj_reloc rec = { .map = -1, .symbol = "" };
		if (in.code == OP_LDDW) {
			if (k + 1 >= nslots)
				return obj_err(obj, -EINVAL, "program '%s': lddw at insn %zu has no second "
					       "half (function '%s' ends)", p->name, at, pc.name);
			if (obj_reloc_at(s, off + 8))
				return obj_err(obj, -EINVAL, "program '%s': relocation on the second half "
					       "of lddw at insn %zu", p->name, at);
			k++; /* the second slot is never an instruction of its own */
			if (!r)
				continue;
			const struct obj_sym *sym = &obj->syms[r->sym];
			const struct obj_sec *ts = &obj->secs[sym->shndx];
			rec.symbol = sym->name;
			uint64_t toff = sym->value + (uint64_t)(int64_t)in.imm;
			if (sym->shndx == SHN_UNDEF) {
				int err = link_extern(L, at, sym, &rec);
				if (err)
					return err;
			} else if (ts->kind == BPFBOX_SEC_MAPS || ts->kind == BPFBOX_SEC_MAPS_LEGACY) {
				uint64_t moff = sym->type == STT_SECTION ? toff : sym->value;
				int m = obj_map_at(obj, sym->shndx, moff);
				if (m < 0)
					return obj_err(obj, -EINVAL, "program '%s': lddw at insn %zu refers to "
						       "'%s' in '%s', which is not a map definition",
						       p->name, at, sym->name, ts->name);
				p->insns[at].src = PSEUDO_MAP_IDX;
				p->insns[at].imm = m;
				p->insns[at + 1].imm = 0;
				rec.kind = BPFBOX_RELOC_MAP;
				rec.map = m;
			} else if (ts->kind == BPFBOX_SEC_DATA) {
				if (ts->map < 0 || toff > ts->size)
					return obj_err(obj, -EINVAL, "program '%s': lddw at insn %zu refers to "
						       "offset %lld of '%s' (%llu bytes)", p->name, at,
						       (long long)toff, ts->name,
						       (unsigned long long)ts->size);
				p->insns[at].src = PSEUDO_MAP_IDX_VALUE;
				p->insns[at].imm = ts->map;
				p->insns[at + 1].imm = (int32_t)toff;
				rec.kind = BPFBOX_RELOC_MAP_VALUE;
				rec.map = ts->map;
				rec.offset = toff;
			} else if (ts->kind == BPFBOX_SEC_PROG || ts->kind == BPFBOX_SEC_TEXT) {
				size_t target;
				int err = place(L, sym->shndx, toff, &target);
				if (err)
					return err;
				int32_t imm = 0;
				if ((err = rel_imm(L, at, target, &imm)))
					return err;
				p->insns[at].src = PSEUDO_FUNC;
				p->insns[at].imm = imm;
				p->insns[at + 1].imm = 0;
				rec.kind = BPFBOX_RELOC_FUNC;
				rec.target = target;
			} else {
				return obj_err(obj, -EINVAL, "program '%s': lddw at insn %zu refers to '%s' "
					       "in section '%s', which is neither a map, global data "
					       "nor code", p->name, at, sym->name, ts->name);
			}
		} else if (in.code == OP_CALL && r && obj->syms[r->sym].shndx == SHN_UNDEF) {
			int err = link_extern(L, at, &obj->syms[r->sym], &rec);
			if (err)
				return err;
		} else if (in.code == OP_CALL && (r || in.src == PSEUDO_CALL)) {
			uint32_t tsec;
			uint64_t toff;
			if (r) {
				const struct obj_sym *sym = &obj->syms[r->sym];
				tsec = sym->shndx;
				toff = sym->value + (uint64_t)(((int64_t)in.imm + 1) * 8);
				rec.symbol = sym->name;
			} else {
				tsec = pc.sec;
				toff = off + (uint64_t)(((int64_t)in.imm + 1) * 8);
			}
			size_t target;
			int err = place(L, tsec, toff, &target);
			if (err)
				return err;
			int32_t imm = 0;
			if ((err = rel_imm(L, at, target, &imm)))
				return err;
			p->insns[at].src = PSEUDO_CALL;
			p->insns[at].imm = imm;
			rec.kind = BPFBOX_RELOC_CALL;
			rec.target = target;
		} else {
			continue; /* check_code_relocs refused relocations elsewhere */
		}
		int err = add_rel(L, at, &rec);
		if (err)
			return err;
	}
	return 0;
}

int obj_link_prog(struct bpfbox_object *obj, struct bpfbox_obj_prog *p)
{
	struct linker L = { .obj = obj, .p = p };
	size_t entry;
	int err = place(&L, p->sec, p->start, &entry);
	if (err)
		return err;
	for (size_t i = 0; i < p->npieces; i++)
		if ((err = link_piece(&L, i)))
			return err;
	return 0;
}
