/* bpfbox — object/btfext.c: .BTF.ext function and line information.
 *
 * clang -g writes, next to .BTF, a .BTF.ext section with per-section
 * tables: func_info (byte offset of each function -> its BTF FUNC type)
 * and line_info (byte offset -> file, line, column and the source line's
 * text, all strings of .BTF).  libbpf 1.x no longer exposes these tables,
 * so they are read here through a cursor, then mapped onto the slots of
 * each linked program (a function placed at slot P of a program moves its
 * records by P) for the disassembler and, later, the verifier's log.
 *
 * Layout (little-endian; offsets relative to the end of the header):
 *   header  u16 magic 0xeB9F, u8 version 1, u8 flags, u32 hdr_len,
 *           u32 func_info_off, func_info_len, line_info_off, line_info_len
 *           [, u32 core_relo_off, core_relo_len]
 *   table   u32 rec_size, then blocks: u32 sec_name_off, u32 num_info,
 *           num_info records of rec_size bytes (first fields below)
 *   func    u32 insn_off, u32 type_id
 *   line    u32 insn_off, u32 file_name_off, u32 line_off, u32 line_col
 *           (line = line_col >> 10, column = line_col & 0x3ff)
 *
 * Invariants: every block and record is read through a cursor bounded by
 * its table; a count that does not fit is an error, never a long loop.
 * Objects without .BTF/.BTF.ext simply have no function types or lines.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "obj.h"

#define BTF_EXT_MAGIC 0xeB9F

struct ext_table {
	const uint8_t *p;
	size_t len;
};

static int table(struct bpfbox_object *obj, const char *what, uint32_t hdr_len, uint32_t off,
		 uint32_t len, struct ext_table *t)
{
	t->p = NULL;
	t->len = 0;
	if (!len)
		return 0;
	uint64_t start = (uint64_t)hdr_len + off;
	if (start > obj->btf_ext_size || len > obj->btf_ext_size - start)
		return obj_err(obj, -EINVAL, "malformed .BTF.ext: %s table [%llu, +%u) is outside the "
			       "section (%zu bytes)", what, (unsigned long long)start, len,
			       obj->btf_ext_size);
	t->p = obj->btf_ext + start;
	t->len = len;
	return 0;
}

/* Visit each record of a table: cb(obj, prog, sec_name, rec cursor).  The
 * walk itself validates sizes; cb reads the first fields. */
typedef int (*rec_fn)(struct bpfbox_object *obj, struct bpfbox_obj_prog *p, const char *sec,
		      struct cursor *rec, void *ud);

static int walk(struct bpfbox_object *obj, const char *what, const struct ext_table *t,
		uint32_t min_rec, struct bpfbox_obj_prog *p, rec_fn cb, void *ud)
{
	if (!t->len)
		return 0;
	struct cursor c = cursor_make(t->p, t->len);
	uint32_t rec_size = cursor_le32(&c);
	if (c.bad || rec_size < min_rec || rec_size > 256)
		return obj_err(obj, -EINVAL, "malformed .BTF.ext: %s record size %u", what, rec_size);
	while (cursor_left(&c)) {
		uint32_t name_off = cursor_le32(&c);
		uint32_t num = cursor_le32(&c);
		if (c.bad)
			return obj_err(obj, -EINVAL, "malformed .BTF.ext: truncated %s block", what);
		if (!num || num > cursor_left(&c) / rec_size)
			return obj_err(obj, -EINVAL, "malformed .BTF.ext: %s block of %u records does "
				       "not fit (%zu bytes left)", what, num, cursor_left(&c));
		const char *sec = btf__name_by_offset(obj->btf, name_off);
		if (!sec)
			return obj_err(obj, -EINVAL, "malformed .BTF.ext: %s block names string %u, "
				       "outside BTF's strings", what, name_off);
		for (uint32_t i = 0; i < num; i++) {
			const void *r = cursor_take(&c, rec_size);
			struct cursor rc = cursor_make(r, rec_size);
			int err = cb(obj, p, sec, &rc, ud);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The linked slot of byte `off` of section `sec` in program p, or -1. */
static long slot_of(const struct bpfbox_object *obj, const struct bpfbox_obj_prog *p,
		    const char *sec, uint32_t off, size_t *piece)
{
	for (size_t i = 0; i < p->npieces; i++) {
		const struct obj_piece *pc = &p->pieces[i];
		if (off >= pc->start && off - pc->start < pc->size && !(off % 8) &&
		    !strcmp(obj->secs[pc->sec].name, sec)) {
			if (piece)
				*piece = i;
			return (long)(pc->pos + (off - pc->start) / 8);
		}
	}
	return -1;
}

static int func_rec(struct bpfbox_object *obj, struct bpfbox_obj_prog *p, const char *sec,
		    struct cursor *rec, void *ud)
{
	(void)ud;
	uint32_t off = cursor_le32(rec);
	uint32_t type = cursor_le32(rec);
	size_t pi;
	if (slot_of(obj, p, sec, off, &pi) >= 0 && p->pieces[pi].start == off)
		p->pieces[pi].btf_type = type;
	return 0;
}

struct line_ud {
	size_t cap;
};

static int line_rec(struct bpfbox_object *obj, struct bpfbox_obj_prog *p, const char *sec,
		    struct cursor *rec, void *ud)
{
	struct line_ud *L = ud;
	uint32_t off = cursor_le32(rec);
	uint32_t file = cursor_le32(rec);
	uint32_t line = cursor_le32(rec);
	uint32_t lc = cursor_le32(rec);
	long slot = slot_of(obj, p, sec, off, NULL);
	if (slot < 0)
		return 0;
	if (obj_grow(obj, (void **)&p->lines, &L->cap, p->nlines + 1, sizeof(*p->lines)))
		return -ENOMEM;
	struct obj_line_rec *r = &p->lines[p->nlines++];
	r->insn = (size_t)slot;
	r->file = btf__name_by_offset(obj->btf, file);
	r->text = btf__name_by_offset(obj->btf, line);
	r->line = lc >> 10;
	r->col = lc & 0x3ff;
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	const struct obj_line_rec *x = a, *y = b;
	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

int obj_btf_ext(struct bpfbox_object *obj)
{
	if (!obj->btf_ext || !obj->btf)
		return 0;
	struct cursor c = cursor_make(obj->btf_ext, obj->btf_ext_size);
	uint16_t magic = cursor_le16(&c);
	uint8_t version = cursor_u8(&c);
	(void)cursor_u8(&c);
	uint32_t hdr_len = cursor_le32(&c);
	uint32_t foff = cursor_le32(&c), flen = cursor_le32(&c);
	uint32_t loff = cursor_le32(&c), llen = cursor_le32(&c);
	if (c.bad)
		return obj_err(obj, -EINVAL, "malformed .BTF.ext: truncated header (%zu bytes)",
			       obj->btf_ext_size);
	if (magic != BTF_EXT_MAGIC)
		return obj_err(obj, -EINVAL, "malformed .BTF.ext: magic 0x%04x (want 0xeb9f; a "
			       "big-endian object?)", magic);
	if (version != 1)
		return obj_err(obj, -EINVAL, "unsupported .BTF.ext version %u", version);
	if (hdr_len < 24 || hdr_len > obj->btf_ext_size)
		return obj_err(obj, -EINVAL, "malformed .BTF.ext: header length %u", hdr_len);
	struct ext_table ft, lt;
	int err;
	if ((err = table(obj, "func_info", hdr_len, foff, flen, &ft)) ||
	    (err = table(obj, "line_info", hdr_len, loff, llen, &lt)))
		return err;
	for (size_t i = 0; i < obj->nprogs; i++) {
		struct bpfbox_obj_prog *p = obj->progs[i];
		struct line_ud L = { 0 };
		if ((err = walk(obj, "func_info", &ft, 8, p, func_rec, NULL)) ||
		    (err = walk(obj, "line_info", &lt, 16, p, line_rec, &L)))
			return err;
		if (p->nlines)
			qsort(p->lines, p->nlines, sizeof(*p->lines), cmp_line);
	}
	return 0;
}
