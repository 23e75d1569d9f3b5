/* bpfbox — disasm.c: instructions -> text.
 *
 * Each slot is decoded by the instruction table (isa_decode_one) into its
 * row; the row's shape picks a template (syntax.c) or, for the conformance
 * syntax, a mnemonic form built from the row's CMNEM; the operands come
 * straight from the encoding.  Nothing here lists opcodes.
 *
 * Invariants:
 *  - every valid encoding prints as text that bpfbox_asm__assemble() turns
 *    back into the same slot(s), in every syntax (test_asm checks this over
 *    millions of generated encodings).  In the llvm syntax that sometimes
 *    needs an extra `.fields` line (LLVM's text hides the field); the text
 *    on the instruction line stays exactly LLVM's;
 *  - an invalid slot never stops a listing: it prints as `<unknown>` (llvm)
 *    or `.raw 0x...` and the listing goes on with the next slot;
 *  - output is bounded: single instructions are truncated to the caller's
 *    buffer, listings grow a heap buffer.
 *
 * Limits: label names come from the caller's callback or are "L<index>";
 * the printer does not check that callback names are unique.  A jump whose
 * target is outside the program or inside an lddw keeps its numeric form.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "asm_int.h"
#include "util/util.h"

/* ---- bounded string builder ------------------------------------------ */

struct sbuf {
	char *p;
	size_t size; /* capacity including the NUL */
	size_t len;
};

static void sb_init(struct sbuf *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->len = 0;
	if (size)
		p[0] = 0;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (!b->size || b->len + 1 >= b->size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t)n;
	if (b->len >= b->size)
		b->len = b->size - 1;
}

static void sb_putc(struct sbuf *b, char c)
{
	if (b->size && b->len + 1 < b->size) {
		b->p[b->len++] = c;
		b->p[b->len] = 0;
	}
}

/* ---- one instruction --------------------------------------------------- */

/* Everything the printers need about the slot being printed. */
struct dctx {
	const struct bpfbox_insn *insns;
	size_t n, i;
	const struct bpfbox_disasm_opts *opts; /* never NULL here */
	int syntax;                            /* resolved: LLVM, BPFBOX or CONFORMANCE */
	unsigned flags;
	const uint8_t *starts; /* 1 where an instruction starts (listing), or NULL */
	enum isa_op op;
	struct bpfbox_insn in;
	int32_t hi; /* lddw: imm of the second slot */
};

static uint64_t slot_u64(const struct bpfbox_insn *in)
{
	return (uint64_t)in->code | (uint64_t)in->dst << 8 | (uint64_t)in->src << 12 |
	       (uint64_t)(uint16_t)in->off << 16 | (uint64_t)(uint32_t)in->imm << 32;
}

/* Name of the label at `t`, or NULL when the target is printed as a number. */
static const char *target_label(const struct dctx *c, int64_t t, char *buf, size_t size)
{
	if (!(c->flags & BPFBOX_DISASM_LABELS) || c->syntax == BPFBOX_SYNTAX_LLVM)
		return NULL;
	if (t < 0 || (uint64_t)t >= c->n || (c->starts && !c->starts[t]))
		return NULL;
	const char *name = c->opts->label_name ? c->opts->label_name(c->opts->ud, (size_t)t) : NULL;
	if (name && *name)
		return name;
	snprintf(buf, size, "L%" PRId64, t);
	return buf;
}

static void put_target(struct sbuf *b, const struct dctx *c, int32_t rel, const char *pc)
{
	char lb[32];
	const char *name = target_label(c, (int64_t)c->i + 1 + rel, lb, sizeof(lb));
	if (name)
		sb_printf(b, "%s", name);
	else
		sb_printf(b, "%s%s%d", pc, rel >= 0 ? "+" : "", rel);
}

static void put_reg(struct sbuf *b, bool w, unsigned r)
{
	sb_printf(b, "%c%u", w ? 'w' : 'r', r);
}

/* "+ n" / "- n", as LLVM prints memory offsets. */
static void put_signed_spaced(struct sbuf *b, int64_t v)
{
	if (v >= 0)
		sb_printf(b, "+ %" PRId64, v);
	else
		sb_printf(b, "- %" PRIu64, (uint64_t)0 - (uint64_t)v);
}

static bool tmpl_fits(const struct asm_tmpl *t, const struct dctx *c)
{
	if (t->shape != isa_info[c->op].shape || !asm_rows_ok(t->rows, c->op))
		return false;
	if (!(t->print & (c->syntax == BPFBOX_SYNTAX_LLVM ? AP_LLVM : AP_BPFBOX)))
		return false;
	switch (t->when) {
	case AW_IMM0: return c->in.imm == 0;
	case AW_IMMNZ: return c->in.imm != 0;
	case AW_HI0: return c->hi == 0;
	case AW_HINZ: return c->hi != 0;
	case AW_OFF0: return c->in.off == 0;
	case AW_OFFNZ: return c->in.off != 0;
	default: return true;
	}
}

static void print_tmpl(struct sbuf *b, const struct asm_tmpl *t, const struct dctx *c)
{
	const struct isa_info *ri = &isa_info[c->op];
	bool w = ri->flags & F_W;
	bool vw = asm_value_is_w(c->op, c->flags & BPFBOX_DISASM_ALU32);
	const struct bpfbox_insn *in = &c->in;
	for (const char *p = t->text; *p; p++) {
		switch (*p) {
		case 'D': put_reg(b, w, in->dst); break;
		case 'S': put_reg(b, w, in->src); break;
		case 'R': put_reg(b, false, in->dst); break;
		case 'B': put_reg(b, false, in->src); break;
		case 'X': put_reg(b, vw, in->dst); break;
		case 'Y': put_reg(b, vw, in->src); break;
		case 'W': put_reg(b, vw, 0); break;
		case 'O': sb_printf(b, "%s", ri->optext); break;
		case 'Z': sb_printf(b, "u%u", asm_access_size(c->op) * 8); break;
		case 'I': sb_printf(b, "%d", in->imm); break;
		case 'N': put_signed_spaced(b, in->imm); break;
		case 'L':
			sb_printf(b, "%" PRId64,
				  (int64_t)((uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)c->hi << 32));
			break;
		case 'Q': sb_printf(b, "%u", (uint32_t)in->imm); break;
		case 'H': sb_printf(b, "%u", (uint32_t)c->hi); break;
		case 'P': sb_printf(b, "%u", in->src); break;
		case 'M': put_signed_spaced(b, in->off); break;
		case 'F': sb_printf(b, "%d", in->off); break;
		case 'T': put_target(b, c, in->off, ""); break;
		case 'U': put_target(b, c, in->imm, ""); break;
		case 'K': put_target(b, c, in->imm, "pc"); break;
		case 'G':
			if (c->syntax == BPFBOX_SYNTAX_BPFBOX && c->opts->helper_name) {
				const char *name = c->opts->helper_name(c->opts->ud, in->imm);
				if (name && *name)
					sb_printf(b, "%s#", name);
			}
			break;
		default: sb_putc(b, *p); break;
		}
	}
}

/* The conformance suite's syntax: mnemonic (CMNEM) then operands. */
static void print_conformance(struct sbuf *b, const struct dctx *c)
{
	const struct isa_info *ri = &isa_info[c->op];
	const struct bpfbox_insn *in = &c->in;
	char mem[32];
	if (in->off)
		snprintf(mem, sizeof(mem), "[%%r%u%+d]", ri->shape == S_LDX ? in->src : in->dst, in->off);
	else
		snprintf(mem, sizeof(mem), "[%%r%u]", ri->shape == S_LDX ? in->src : in->dst);
	switch (ri->shape) {
	case S_ALU_K: sb_printf(b, "%s %%r%u, %d", ri->cmnem, in->dst, in->imm); break;
	case S_ALU_X:
	case S_MOVSX: sb_printf(b, "%s %%r%u, %%r%u", ri->cmnem, in->dst, in->src); break;
	case S_NEG:
	case S_END: sb_printf(b, "%s %%r%u", ri->cmnem, in->dst); break;
	case S_LDDW:
		sb_printf(b, "%s %%r%u, 0x%" PRIx64, ri->cmnem, in->dst,
			  (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)c->hi << 32);
		break;
	case S_LD_ABS: sb_printf(b, "%s %d", ri->cmnem, in->imm); break;
	case S_LD_IND: sb_printf(b, "%s %%r%u, %d", ri->cmnem, in->src, in->imm); break;
	case S_LDX: sb_printf(b, "%s %%r%u, %s", ri->cmnem, in->dst, mem); break;
	case S_ST: sb_printf(b, "%s %s, %d", ri->cmnem, mem, in->imm); break;
	case S_STX:
	case S_ATOMIC: sb_printf(b, "%s %s, %%r%u", ri->cmnem, mem, in->src); break;
	case S_JA: sb_printf(b, "%s ", ri->cmnem); put_target(b, c, in->off, ""); break;
	case S_JA32:
	case S_CALL_LOCAL: sb_printf(b, "%s ", ri->cmnem); put_target(b, c, in->imm, ""); break;
	case S_JCOND_K:
		sb_printf(b, "%s %%r%u, %d, ", ri->cmnem, in->dst, in->imm);
		put_target(b, c, in->off, "");
		break;
	case S_JCOND_X:
		sb_printf(b, "%s %%r%u, %%r%u, ", ri->cmnem, in->dst, in->src);
		put_target(b, c, in->off, "");
		break;
	case S_CALL: sb_printf(b, "%s %d", ri->cmnem, in->imm); break;
	case S_CALL_KFUNC:
		sb_printf(b, "%s %d", ri->cmnem, in->imm);
		if (in->off)
			sb_printf(b, ", %d", in->off);
		break;
	case S_CALLX: sb_printf(b, "call %%r%u", in->dst); break; /* the suite's form */
	case S_EXIT: sb_printf(b, "%s", ri->cmnem); break;
	}
}

/* Decode insns[i] for printing: the row, and lddw's second half.  Returns
 * the slot count or -EINVAL. */
static int decode_at(struct dctx *c)
{
	c->in = c->insns[c->i];
	c->hi = 0;
	c->op = isa_decode_one(&c->in, NULL);
	if (c->op == ISA_OP_INVALID)
		return -EINVAL;
	if (isa_info[c->op].shape != S_LDDW)
		return 1;
	if (c->i + 1 >= c->n)
		return -EINVAL;
	const struct bpfbox_insn *h = &c->insns[c->i + 1];
	if (h->code || h->dst || h->src || h->off)
		return -EINVAL;
	c->hi = h->imm;
	return 2;
}

/* Print the decoded slot.  `fields` (may be NULL) receives the `.fields`
 * line the llvm syntax needs for a hidden non-zero field, or "". */
static int print_one(struct dctx *c, char *buf, size_t size, char *fields, size_t fsize)
{
	struct sbuf b, f;
	sb_init(&b, buf, size);
	sb_init(&f, fields, fields ? fsize : 0);
	int slots = decode_at(c);
	if (slots < 0) {
		if (c->syntax == BPFBOX_SYNTAX_LLVM)
			sb_printf(&b, "<unknown>");
		else
			sb_printf(&b, ".raw 0x%016" PRIx64, slot_u64(&c->in));
		return slots;
	}
	if (c->syntax == BPFBOX_SYNTAX_CONFORMANCE) {
		print_conformance(&b, c);
		return slots;
	}
	for (size_t k = 0; k < asm_ntmpls; k++) {
		const struct asm_tmpl *t = &asm_tmpls[k];
		if (!tmpl_fits(t, c))
			continue;
		print_tmpl(&b, t, c);
		if (c->syntax == BPFBOX_SYNTAX_LLVM && t->hide) {
			const char *sep = ".fields ";
			if ((t->hide & AH_SRC) && c->in.src) {
				sb_printf(&f, "%ssrc=%u", sep, c->in.src);
				sep = ", ";
			}
			if ((t->hide & AH_OFF) && c->in.off) {
				sb_printf(&f, "%soff=%d", sep, c->in.off);
				sep = ", ";
			}
			if ((t->hide & AH_IMM) && c->in.imm) {
				sb_printf(&f, "%simm=%d", sep, c->in.imm);
				sep = ", ";
			}
			if ((t->hide & AH_HI) && c->hi)
				sb_printf(&f, "%shi=%d", sep, c->hi);
		}
		return slots;
	}
	/* Every shape has a template in both output syntaxes (test_asm checks
	 * every row), so this is unreachable. */
	sb_printf(&b, "<no template>");
	return -EINVAL;
}

static int resolve_opts(const struct bpfbox_disasm_opts *opts, struct bpfbox_disasm_opts *o)
{
	if (!OPTS_VALID(opts, bpfbox_disasm_opts))
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->syntax = OPTS_GET(opts, syntax, BPFBOX_SYNTAX_BPFBOX);
	o->flags = OPTS_GET(opts, flags, 0u);
	o->ud = OPTS_GET(opts, ud, NULL);
	o->helper_name = OPTS_GET(opts, helper_name, NULL);
	o->label_name = OPTS_GET(opts, label_name, NULL);
	o->annotate = OPTS_GET(opts, annotate, NULL);
	if (o->syntax == BPFBOX_SYNTAX_AUTO)
		o->syntax = BPFBOX_SYNTAX_BPFBOX;
	if (o->syntax != BPFBOX_SYNTAX_LLVM && o->syntax != BPFBOX_SYNTAX_BPFBOX &&
	    o->syntax != BPFBOX_SYNTAX_CONFORMANCE)
		return -EINVAL;
	if (o->flags & ~(unsigned)(BPFBOX_DISASM_LABELS | BPFBOX_DISASM_ALU32 |
				   BPFBOX_DISASM_NO_INDEX))
		return -EINVAL;
	return 0;
}

BPFBOX_API int bpfbox_disasm__insn(const struct bpfbox_insn *insns, size_t n, size_t i,
				   const struct bpfbox_disasm_opts *opts, char *buf, size_t size)
{
	if (buf && size)
		buf[0] = 0;
	struct bpfbox_disasm_opts o;
	if (!insns || !buf || !size || resolve_opts(opts, &o))
		return -EINVAL;
	if (i >= n)
		return -ERANGE;
	struct dctx c = { .insns = insns, .n = n, .i = i, .opts = &o, .syntax = o.syntax,
			  .flags = o.flags };
	return print_one(&c, buf, size, NULL, 0);
}

/* ---- whole listings ---------------------------------------------------- */

struct dstr {
	char *p;
	size_t len, cap;
	bool oom;
};

static void ds_put(struct dstr *d, const char *s, size_t n)
{
	if (d->oom)
		return;
	if (d->len + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		while (cap < d->len + n + 1) {
			if (cap > SIZE_MAX / 2) {
				d->oom = true;
				return;
			}
			cap *= 2;
		}
		char *np = realloc(d->p, cap);
		if (!np) {
			d->oom = true;
			return;
		}
		d->p = np;
		d->cap = cap;
	}
	memcpy(d->p + d->len, s, n);
	d->len += n;
	d->p[d->len] = 0;
}

static void ds_puts(struct dstr *d, const char *s)
{
	ds_put(d, s, strlen(s));
}

BPFBOX_API int bpfbox_disasm__prog(const struct bpfbox_insn *insns, size_t n,
				   const struct bpfbox_disasm_opts *opts, char **out, size_t *len)
{
	struct bpfbox_disasm_opts o;
	if (!out || (n && !insns) || resolve_opts(opts, &o))
		return -EINVAL;
	*out = NULL;
	if (len)
		*len = 0;
	/* Pass 1: where instructions start, and which of them are targets. */
	uint8_t *starts = calloc(n ? n : 1, 1), *targets = calloc(n ? n : 1, 1);
	struct dstr d = { 0 };
	int err = -ENOMEM;
	if (!starts || !targets)
		goto out;
	struct dctx c = { .insns = insns, .n = n, .opts = &o, .syntax = o.syntax, .flags = o.flags };
	for (size_t i = 0; i < n;) {
		c.i = i;
		int s = decode_at(&c);
		starts[i] = 1;
		if (s > 0 && (o.flags & BPFBOX_DISASM_LABELS)) {
			unsigned shape = isa_info[c.op].shape;
			int64_t rel = 0;
			bool has = true;
			if (shape == S_JA || shape == S_JCOND_K || shape == S_JCOND_X)
				rel = c.in.off;
			else if (shape == S_JA32 || shape == S_CALL_LOCAL)
				rel = c.in.imm;
			else
				has = false;
			int64_t t = (int64_t)i + 1 + rel;
			if (has && t >= 0 && (uint64_t)t < n)
				targets[t] = 1;
		}
		i += s > 0 ? (size_t)s : 1;
	}
	/* Pass 2: print. */
	c.starts = starts;
	char text[BPFBOX_DISASM_LINE_MAX], fields[96], note[BPFBOX_DISASM_LINE_MAX];
	char line[3 * BPFBOX_DISASM_LINE_MAX];
	for (size_t i = 0; i < n;) {
		c.i = i;
		if (o.flags & BPFBOX_DISASM_LABELS) {
			const char *name = o.label_name ? o.label_name(o.ud, i) : NULL;
			char lb[32];
			if ((!name || !*name) && targets[i]) {
				snprintf(lb, sizeof(lb), "L%zu", i);
				name = lb;
			}
			if (name && *name) {
				snprintf(line, sizeof(line), "%s:\n", name);
				ds_puts(&d, line);
			}
		}
		int s = print_one(&c, text, sizeof(text), fields, sizeof(fields));
		note[0] = 0;
		if (o.annotate && o.annotate(o.ud, i, &insns[i], note, sizeof(note)) <= 0)
			note[0] = 0;
		note[sizeof(note) - 1] = 0;
		struct sbuf lbuf;
		sb_init(&lbuf, line, sizeof(line));
		if (!(o.flags & BPFBOX_DISASM_NO_INDEX))
			sb_printf(&lbuf, "%4zu: ", i);
		sb_printf(&lbuf, "%s", text);
		if (note[0] && o.syntax != BPFBOX_SYNTAX_LLVM)
			sb_printf(&lbuf, "  %s %s", o.syntax == BPFBOX_SYNTAX_CONFORMANCE ? "#" : ";",
				  note);
		sb_putc(&lbuf, '\n');
		if (fields[0]) /* after the instruction it completes */
			sb_printf(&lbuf, "      %s\n", fields);
		if (note[0] && o.syntax == BPFBOX_SYNTAX_LLVM)
			sb_printf(&lbuf, "      ; %s\n", note);
		ds_put(&d, line, lbuf.len);
		i += s > 0 ? (size_t)s : 1;
	}
	if (!d.p)
		ds_put(&d, "", 0);
	if (d.oom)
		goto out;
	*out = d.p;
	d.p = NULL;
	if (len)
		*len = d.len;
	err = 0;
out:
	free(d.p);
	free(starts);
	free(targets);
	return err;
}
