/* bpfbox — asm.c: text -> instructions.
 *
 * The text is cut into lines through a bounds-checked cursor; each line is
 * copied into a fixed buffer (NUL-terminated, so the line parsers below
 * cannot read past it) and holds, after its comment is removed: an optional
 * listing index ("12:"), labels ("name:"), then a directive, an instruction
 * or nothing.
 *
 * Two instruction parsers, both driven by the instruction table:
 *  - the llvm family matches the line against every template of syntax.c
 *    (the same templates the disassembler prints with).  A template fixes
 *    the shape; its placeholders capture registers, numbers, the operator
 *    word and labels; the row is the one of that shape whose OPTEXT,
 *    register width and access size agree with what was captured;
 *  - the conformance syntax looks the mnemonic up in the CMNEM column and
 *    reads the operands the row's shape asks for.
 * Either way isa_encode() builds the slot(s) from the row and operands, and
 * isa_decode_one() re-checks the result, so the assembler can only emit
 * encodings the table accepts (`.raw` excepted: it is the escape hatch).
 *
 * Labels may be used before they are defined: each use is a fixup resolved
 * after the last line.  Errors do not stop the pass (up to 20 are
 * reported, "line N: reason", first error first), and when a line fits no
 * template the reported reason is the most useful one: a specific problem
 * (bad register, number out of range, trailing text) beats a syntax
 * mismatch, the furthest position breaks ties.
 *
 * Limits: lines longer than 4095 bytes are rejected; no macros, no
 * expressions, no sections (an ELF writer is a separate concern).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "asm_int.h"
#include "util/util.h"

#define MAX_LINE 4096
#define MAX_ERRORS 20

/* ---- context ----------------------------------------------------------- */

struct label {
	char *name;
	size_t slot;
	bool implicit; /* the conformance syntax's "first exit" label */
};

enum fix_field { FX_NONE, FX_OFF, FX_IMM };

struct fixup {
	size_t slot;
	unsigned line;
	uint8_t field;    /* enum fix_field */
	char *name;
};

struct actx {
	int syntax;
	struct bpfbox_log *log;
	unsigned line;
	int nerr;
	bool oom;
	struct bpfbox_insn *insns;
	size_t n, cap;
	size_t last;       /* first slot of the previous instruction, or SIZE_MAX */
	unsigned last_slots;
	bool saw_exit;
	struct label *labels;
	size_t nlabels, lcap;
	size_t *htab; /* open addressing: label index + 1, 0 = empty */
	size_t hcap;
	struct fixup *fix;
	size_t nfix, fcap;
	/* rows grouped by shape: by_shape[first[s] .. first[s + 1]) */
	uint16_t by_shape[ISA_OP__COUNT];
	uint16_t first[S__COUNT + 1];
};

static void report(struct actx *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct actx *a, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (a->nerr++ < MAX_ERRORS)
		bpfbox_log__printf(a->log, BPFBOX_LOG_ERROR, "line %u: %s", a->line, msg);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t nc = *cap ? *cap : 64;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / elem)
			return false;
		nc *= 2;
	}
	void *np = realloc(*p, nc * elem);
	if (!np)
		return false;
	*p = np;
	*cap = nc;
	return true;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* ---- labels ------------------------------------------------------------ */

static size_t hash_name(const char *s, size_t n)
{
	size_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static struct label *label_find(struct actx *a, const char *s, size_t n)
{
	if (!a->hcap)
		return NULL;
	for (size_t h = hash_name(s, n) & (a->hcap - 1);; h = (h + 1) & (a->hcap - 1)) {
		size_t k = a->htab[h];
		if (!k)
			return NULL;
		struct label *l = &a->labels[k - 1];
		if (strlen(l->name) == n && !memcmp(l->name, s, n))
			return l;
	}
}

static bool rehash(struct actx *a, size_t cap)
{
	size_t *t = calloc(cap, sizeof(*t));
	if (!t)
		return false;
	for (size_t i = 0; i < a->nlabels; i++) {
		const char *nm = a->labels[i].name;
		size_t h = hash_name(nm, strlen(nm)) & (cap - 1);
		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = i + 1;
	}
	free(a->htab);
	a->htab = t;
	a->hcap = cap;
	return true;
}

static void label_define(struct actx *a, const char *s, size_t n, size_t slot, bool implicit)
{
	struct label *l = label_find(a, s, n);
	if (l) {
		if (implicit)
			return; /* an explicit label "exit" wins */
		if (!l->implicit) {
			report(a, "duplicate label '%.*s'", (int)n, s);
			return;
		}
		l->slot = slot;
		l->implicit = false;
		return;
	}
	char *name = dup_n(s, n);
	if (!name || !grow((void **)&a->labels, &a->lcap, a->nlabels + 1, sizeof(*a->labels))) {
		free(name);
		a->oom = true;
		return;
	}
	a->labels[a->nlabels++] = (struct label){ name, slot, implicit };
	if (a->nlabels * 2 > a->hcap && !rehash(a, a->hcap ? a->hcap * 2 : 64)) {
		a->oom = true;
		return;
	}
	size_t h = hash_name(s, n) & (a->hcap - 1);
	while (a->htab[h] && a->htab[h] != a->nlabels)
		h = (h + 1) & (a->hcap - 1);
	a->htab[h] = a->nlabels;
}

/* ---- lexical helpers ---------------------------------------------------- */

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t ident_len(const char *s)
{
	size_t n = 0;
	if (!asm_is_ident_start((unsigned char)s[0]))
		return 0;
	while (asm_is_ident((unsigned char)s[n]))
		n++;
	return n;
}

/* An integer: [+-]? (0x hex | decimal).  Returns 1 (and advances *pp) when
 * there is one, 0 when there is none, -1 when it does not fit in 64 bits. */
static int scan_num(const char **pp, bool allow_sign, uint64_t *mag, bool *neg, bool *hex)
{
	const char *s = *pp;
	*neg = false;
	*hex = false;
	if (allow_sign && (*s == '-' || *s == '+')) {
		*neg = *s == '-';
		s++;
	}
	uint64_t v = 0;
	bool over = false;
	const char *d;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2])) {
		*hex = true;
		for (d = s + 2; isxdigit((unsigned char)*d); d++) {
			unsigned x = isdigit((unsigned char)*d) ? (unsigned)(*d - '0')
							 : (unsigned)(tolower((unsigned char)*d) - 'a' + 10);
			if (v >> 60)
				over = true;
			v = v << 4 | x;
		}
	} else {
		if (!isdigit((unsigned char)*s))
			return 0;
		for (d = s; isdigit((unsigned char)*d); d++) {
			unsigned x = (unsigned)(*d - '0');
			if (v > (UINT64_MAX - x) / 10)
				over = true;
			v = v * 10 + x;
		}
	}
	if (asm_is_ident((unsigned char)*d))
		return 0; /* "5x", "0x" without digits */
	*pp = d;
	*mag = v;
	return over ? -1 : 1;
}

static bool fits(uint64_t mag, bool neg, uint64_t neg_max, uint64_t pos_max)
{
	return neg ? mag <= neg_max : mag <= pos_max;
}

static uint64_t signed_val(uint64_t mag, bool neg)
{
	return neg ? (uint64_t)0 - mag : mag;
}

/* ---- parse errors -------------------------------------------------------- */

struct perr {
	const char *pos; /* where in the line (NULL: no error yet) */
	bool specific;   /* a known problem, not just "does not fit this form" */
	bool hint;       /* a mismatch that names what was wrong (operator word) */
	char msg[160];
};

static bool perr_fail(struct perr *e, const char *pos, bool specific, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool perr_fail(struct perr *e, const char *pos, bool specific, const char *fmt, ...)
{
	e->pos = pos;
	e->specific = specific;
	e->hint = false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return false;
}

static bool generic(struct perr *e, const char *pos)
{
	if (*pos)
		return perr_fail(e, pos, false, "unexpected '%.20s'", pos);
	return perr_fail(e, pos, false, "unexpected end of line");
}

/* Keep the more useful of two errors in *best: a specific problem beats
 * a mismatch; then the furthest position (a later template on a tie: the
 * templates run from general to particular); then a named mismatch. */
static void perr_merge(struct perr *best, const struct perr *e)
{
	if (!e->pos)
		return;
	if (!best->pos || (e->specific && !best->specific)) {
		*best = *e;
		return;
	}
	if (e->specific != best->specific)
		return;
	if (e->pos > best->pos || (e->pos == best->pos && (e->specific || e->hint || !best->hint)))
		*best = *e;
}

/* Immediate of 32 bits: signed decimal, or hex up to 0xffffffff (wraps). */
static bool imm32_ok(uint64_t mag, bool neg, bool hex, int32_t *out)
{
	if (!fits(mag, neg, 0x80000000u, hex ? 0xffffffffu : 0x7fffffffu))
		return false;
	*out = (int32_t)(uint32_t)signed_val(mag, neg);
	return true;
}

/* ---- one encoded instruction, before it is stored ----------------------- */

struct enc {
	enum isa_op op;
	uint8_t dst, src;
	int16_t off;
	int64_t imm; /* 64-bit for lddw */
	const char *label; /* a target still to resolve */
	size_t label_len;
	uint8_t label_field; /* enum fix_field */
};

/* ---- the llvm family: templates ---------------------------------------- */

/* What a template match captured. */
struct cap {
	int reg[2];     /* dst, src: -1 until captured */
	char rw[2];     /* 'r' / 'w' as written */
	char dsw;       /* width of D/S registers, 0 when none */
	char vw;        /* width of X/Y/W registers, 0 when none */
	const char *op; /* O token */
	size_t oplen;
	const char *oppos;
	unsigned zsize;
	int pval;
	int64_t imm;
	uint32_t hi;
	bool has_hi, imm64;
	int32_t off;
	const char *lab;
	size_t lablen;
	uint8_t labfield;
};

/* A register token rN / wN; 'kind' says which placeholder reads it. */
static bool take_reg(const char **ps, char kind, struct cap *c, struct perr *e)
{
	const char *s = *ps;
	if ((*s != 'r' && *s != 'w') || !isdigit((unsigned char)s[1]))
		return generic(e, s);
	char w = *s;
	unsigned v = 0;
	const char *d = s + 1;
	while (isdigit((unsigned char)*d) && v < 1000)
		v = v * 10 + (unsigned)(*d++ - '0');
	if (asm_is_ident((unsigned char)*d))
		return generic(e, s);
	if (v > BPFBOX_MAX_REG)
		return perr_fail(e, s, true, "invalid register %c%u (r0-r10)", w, v);
	if (kind == 'W') {
		if (v != 0)
			return generic(e, s);
		if (c->vw && c->vw != w)
			return perr_fail(e, s, true, "mixed 32-bit and 64-bit registers");
		c->vw = w;
		*ps = d;
		return true;
	}
	int slot = (kind == 'D' || kind == 'R' || kind == 'X') ? 0 : 1;
	if ((kind == 'R' || kind == 'B') && w != 'r')
		return perr_fail(e, s, true, "a 64-bit register is needed here, not w%u", v);
	if (kind == 'D' || kind == 'S') {
		if (c->dsw && c->dsw != w)
			return perr_fail(e, s, true, "mixed 32-bit and 64-bit registers");
		c->dsw = w;
	}
	if (kind == 'X' || kind == 'Y') {
		if (c->vw && c->vw != w)
			return perr_fail(e, s, true, "mixed 32-bit and 64-bit registers");
		c->vw = w;
	}
	if (c->reg[slot] >= 0 && (c->reg[slot] != (int)v || c->rw[slot] != w))
		return perr_fail(e, s, true, "%c%u: must be the same register as %c%d", w, v,
				 c->rw[slot], c->reg[slot]);
	c->reg[slot] = (int)v;
	c->rw[slot] = w;
	*ps = d;
	return true;
}

/* A jump/call target: +N / -N (or pc+N for K), or a label. */
static bool take_target(const char **ps, char kind, struct cap *c, struct perr *e)
{
	const char *s = *ps;
	bool pc = false;
	if (kind == 'K' && s[0] == 'p' && s[1] == 'c' && (s[2] == '+' || s[2] == '-')) {
		pc = true;
		s += 2;
	}
	if (*s == '+' || *s == '-') {
		uint64_t mag;
		bool neg, hex;
		int r = scan_num(&s, true, &mag, &neg, &hex);
		if (r == 0)
			return generic(e, *ps);
		bool ok;
		if (kind == 'T') {
			ok = r > 0 && !hex && fits(mag, neg, 0x8000, 0x7fff);
			if (ok)
				c->off = (int32_t)signed_val(mag, neg);
		} else {
			int32_t v = 0;
			ok = r > 0 && !hex && fits(mag, neg, 0x80000000u, 0x7fffffffu) &&
			     imm32_ok(mag, neg, false, &v);
			c->imm = v;
		}
		if (!ok)
			return perr_fail(e, *ps, true, "jump offset out of %s range",
					 kind == 'T' ? "16-bit" : "32-bit");
	} else if (pc) {
		return generic(e, s);
	} else {
		size_t n = ident_len(s);
		if (!n)
			return generic(e, s);
		c->lab = s;
		c->lablen = n;
		c->labfield = kind == 'T' ? FX_OFF : FX_IMM;
		s += n;
	}
	/* llvm-objdump's symbolic target, "goto +3 <LBB0_4>": ignored */
	if (kind != 'K') {
		const char *t = skip_ws(s);
		if (*t == '<') {
			const char *close = strchr(t, '>');
			if (close && !*skip_ws(close + 1))
				s = close + 1;
		}
	}
	*ps = s;
	return true;
}

/* Stop character for an O token: the next literal of the template. */
static char op_stop(const char *p)
{
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	return (*p && !isupper((unsigned char)*p)) ? *p : 0;
}

/* Is there a row of the template's shape and kind with this operator? */
static bool op_known(const struct actx *a, const struct asm_tmpl *t, const char *op, size_t n)
{
	for (unsigned k = a->first[t->shape]; k < a->first[t->shape + 1]; k++) {
		enum isa_op o = (enum isa_op)a->by_shape[k];
		if (asm_rows_ok(t->rows, o) && strlen(isa_info[o].optext) == n &&
		    !memcmp(isa_info[o].optext, op, n))
			return true;
	}
	return false;
}

static bool take_placeholder(const struct actx *a, const struct asm_tmpl *t, const char *p,
			     const char **ps, struct cap *c, struct perr *e)
{
	const char *s = *ps;
	uint64_t mag;
	bool neg, hex;
	int r;
	switch (*p) {
	case 'D': case 'S': case 'R': case 'B': case 'X': case 'Y': case 'W':
		return take_reg(ps, *p, c, e);
	case 'O': {
		char stop = op_stop(p);
		const char *q = s;
		while (*q && *q != ' ' && *q != '\t' && *q != stop)
			q++;
		size_t n = (size_t)(q - s);
		if (!n)
			return generic(e, s);
		if (!op_known(a, t, s, n)) {
			perr_fail(e, s, false, "unknown operation '%.*s'", (int)n, s);
			e->hint = true;
			return false;
		}
		c->op = s;
		c->oplen = n;
		c->oppos = s;
		*ps = q;
		return true;
	}
	case 'Z': {
		if (*s != 'u' || !isdigit((unsigned char)s[1]))
			return generic(e, s);
		unsigned bits = 0;
		const char *d = s + 1;
		while (isdigit((unsigned char)*d) && bits < 1000)
			bits = bits * 10 + (unsigned)(*d++ - '0');
		if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
			return generic(e, s);
		c->zsize = bits / 8;
		*ps = d;
		return true;
	}
	case 'I': {
		r = scan_num(&s, true, &mag, &neg, &hex);
		if (r == 0)
			return generic(e, s);
		int32_t v;
		if (r < 0 || !imm32_ok(mag, neg, hex, &v))
			return perr_fail(e, *ps, true, "immediate out of range (signed 32-bit, or hex up to 0xffffffff)");
		c->imm = v;
		*ps = s;
		return true;
	}
	case 'N': case 'M': {
		/* "+ n" / "- n"; M may be absent in "(r1)" */
		if (*s != '+' && *s != '-') {
			if (*p == 'M' && *s == ')') {
				c->off = 0;
				return true;
			}
			return generic(e, s);
		}
		bool minus = *s == '-';
		s = skip_ws(s + 1);
		r = scan_num(&s, false, &mag, &neg, &hex);
		if (r == 0)
			return generic(e, s);
		if (*p == 'M') {
			if (r < 0 || !fits(mag, minus, 0x8000, 0x7fff))
				return perr_fail(e, *ps, true, "offset out of 16-bit range");
			c->off = (int32_t)signed_val(mag, minus);
		} else {
			int32_t v;
			if (r < 0 || !imm32_ok(mag, minus, hex, &v))
				return perr_fail(e, *ps, true, "immediate out of range");
			c->imm = v;
		}
		*ps = s;
		return true;
	}
	case 'F': {
		r = scan_num(&s, true, &mag, &neg, &hex);
		if (r == 0)
			return generic(e, s);
		if (r < 0 || !fits(mag, neg, 0x8000, hex ? 0xffff : 0x7fff))
			return perr_fail(e, *ps, true, "offset out of 16-bit range");
		c->off = (int16_t)(uint16_t)signed_val(mag, neg);
		*ps = s;
		return true;
	}
	case 'L': {
		r = scan_num(&s, true, &mag, &neg, &hex);
		if (r == 0)
			return generic(e, s);
		if (r < 0 || !fits(mag, neg, 0x8000000000000000ull, UINT64_MAX))
			return perr_fail(e, *ps, true, "64-bit immediate out of range");
		c->imm = (int64_t)signed_val(mag, neg);
		c->imm64 = true;
		*ps = s;
		return true;
	}
	case 'Q': case 'H': {
		r = scan_num(&s, true, &mag, &neg, &hex);
		if (r == 0)
			return generic(e, s);
		if (r < 0 || !fits(mag, neg, 0x80000000u, 0xffffffffu))
			return perr_fail(e, *ps, true, "immediate out of range (32 bits)");
		uint32_t v = (uint32_t)signed_val(mag, neg);
		if (*p == 'Q')
			c->imm = (int32_t)v;
		else
			c->hi = v, c->has_hi = true;
		*ps = s;
		return true;
	}
	case 'P': {
		r = scan_num(&s, false, &mag, &neg, &hex);
		if (r == 0)
			return generic(e, s);
		if (r < 0 || mag > 15)
			return perr_fail(e, *ps, true, "lddw form %s out of range (0-15)", *ps);
		c->pval = (int)mag;
		*ps = s;
		return true;
	}
	case 'T': case 'U': case 'K':
		return take_target(ps, *p, c, e);
	case 'G': {
		size_t n = ident_len(s);
		if (n && s[n] == '#')
			*ps = s + n + 1;
		return true;
	}
	}
	return generic(e, s);
}

/* Match a whole line against one template. */
static bool match_tmpl(const struct actx *a, const struct asm_tmpl *t, const char *line,
		       struct cap *c, struct perr *e)
{
	memset(c, 0, sizeof(*c));
	c->reg[0] = c->reg[1] = -1;
	c->pval = -1;
	const char *s = line;
	for (const char *p = t->text; *p; p++) {
		if (*p == ' ' || *p == '\t') {
			const char *s0 = s;
			s = skip_ws(s);
			if (s == s0 && s > line && asm_is_ident((unsigned char)s[-1]) &&
			    asm_is_ident((unsigned char)*s))
				return generic(e, s);
			continue;
		}
		if (isupper((unsigned char)*p)) {
			if (!take_placeholder(a, t, p, &s, c, e))
				return false;
			continue;
		}
		if (*s != *p)
			return generic(e, s);
		s++;
		/* a literal word must end where the template's word ends */
		if (asm_is_ident((unsigned char)*p) &&
		    !(asm_is_ident((unsigned char)p[1]) && !isupper((unsigned char)p[1])) &&
		    asm_is_ident((unsigned char)*s))
			return generic(e, s);
	}
	s = skip_ws(s);
	if (*s)
		return perr_fail(e, s, true, "trailing garbage '%.20s'", s);
	return true;
}

static bool tmpl_has(const struct asm_tmpl *t, char ph)
{
	return strchr(t->text, ph) != NULL;
}

/* The row of t's shape that fits what was captured. */
static bool pick_row(const struct actx *a, const struct asm_tmpl *t, const struct cap *c,
		     const char *line, enum isa_op *out, struct perr *e)
{
	bool has_o = tmpl_has(t, 'O');
	bool op_seen = false;
	for (unsigned k = a->first[t->shape]; k < a->first[t->shape + 1]; k++) {
		enum isa_op op = (enum isa_op)a->by_shape[k];
		const struct isa_info *ri = &isa_info[op];
		if (!asm_rows_ok(t->rows, op))
			continue;
		if (has_o && (strlen(ri->optext) != c->oplen || memcmp(ri->optext, c->op, c->oplen)))
			continue;
		op_seen = true;
		if (c->dsw && ((ri->flags & F_W) != 0) != (c->dsw == 'w'))
			continue;
		if (c->zsize && asm_access_size(op) != c->zsize)
			continue;
		if (c->pval >= 0 && !(ri->match == M_SRC && ri->mval == c->pval))
			continue;
		if (c->vw == 'w' && asm_access_size(op) == 8)
			return perr_fail(e, line, true, "a 64-bit access needs an rN register, not wN");
		*out = op;
		return true;
	}
	if (has_o && !op_seen)
		return perr_fail(e, c->oppos, false, "unknown operation '%.*s'", (int)c->oplen, c->op);
	if (c->pval >= 0)
		return perr_fail(e, line, true, "no lddw form %d", c->pval);
	if (c->zsize)
		return perr_fail(e, line, true, "no such access size for this instruction");
	return perr_fail(e, line, true, "no %s-bit form of this instruction",
			 c->dsw == 'w' ? "32" : "64");
}

static bool parse_llvm(const struct actx *a, const char *line, struct enc *out, struct perr *best)
{
	struct cap c;
	struct perr e;
	for (size_t k = 0; k < asm_ntmpls; k++) {
		const struct asm_tmpl *t = &asm_tmpls[k];
		if (t->print & AP_NOPARSE)
			continue;
		e.pos = NULL;
		enum isa_op op = ISA_OP_INVALID;
		if (!match_tmpl(a, t, line, &c, &e) || !pick_row(a, t, &c, line, &op, &e)) {
			perr_merge(best, &e);
			continue;
		}
		memset(out, 0, sizeof(*out));
		out->op = op;
		out->dst = (uint8_t)(c.reg[0] < 0 ? 0 : c.reg[0]);
		out->src = (uint8_t)(c.reg[1] < 0 ? 0 : c.reg[1]);
		out->off = (int16_t)c.off;
		if (c.imm64)
			out->imm = c.imm;
		else if (isa_info[op].shape == S_LDDW)
			out->imm = (int64_t)((uint64_t)(uint32_t)c.imm | (uint64_t)c.hi << 32);
		else
			out->imm = (int32_t)c.imm;
		out->label = c.lab;
		out->label_len = c.lablen;
		out->label_field = c.labfield;
		return true;
	}
	return false;
}

/* ---- the conformance syntax --------------------------------------------- */

struct tok {
	const char *s;
	size_t n;
};

/* Split like the suite's assembler: commas and white space separate,
 * except inside [...]. */
static int split_tokens(const char *s, struct tok *t, int max)
{
	int n = 0, depth = 0;
	const char *start = NULL;
	for (;; s++) {
		char ch = *s;
		if (ch == '[')
			depth++;
		else if (ch == ']')
			depth--;
		bool sep = !ch || (depth == 0 && (ch == ',' || ch == ' ' || ch == '\t'));
		if (sep) {
			if (start) {
				if (n == max)
					return -1;
				t[n].s = start;
				t[n].n = (size_t)(s - start);
				n++;
				start = NULL;
			}
			if (!ch)
				return n;
		} else if (!start) {
			start = s;
		}
	}
}

static bool tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);
	if (t->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)t->s[i]) != word[i])
			return false;
	return true;
}

static void tok_lower(const struct tok *t, char *buf, size_t size)
{
	size_t n = t->n < size - 1 ? t->n : size - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)t->s[i]);
	buf[n] = 0;
}

static bool conf_reg(const struct tok *t, uint8_t *r, struct perr *e)
{
	if (t->n < 3 || t->s[0] != '%' || t->s[1] != 'r')
		return perr_fail(e, t->s, true, "bad register '%.*s'", (int)t->n, t->s);
	unsigned v = 0;
	for (size_t i = 2; i < t->n; i++) {
		if (!isdigit((unsigned char)t->s[i]) || v > 1000)
			return perr_fail(e, t->s, true, "bad register '%.*s'", (int)t->n, t->s);
		v = v * 10 + (unsigned)(t->s[i] - '0');
	}
	if (v > BPFBOX_MAX_REG)
		return perr_fail(e, t->s, true, "invalid register %%r%u (r0-r10)", v);
	*r = (uint8_t)v;
	return true;
}

/* A whole token as a number. */
static int conf_num(const struct tok *t, uint64_t *mag, bool *neg, bool *hex)
{
	char buf[64];
	if (t->n >= sizeof(buf))
		return -1;
	memcpy(buf, t->s, t->n);
	buf[t->n] = 0;
	const char *s = buf;
	int r = scan_num(&s, true, mag, neg, hex);
	if (r > 0 && *s)
		return 0;
	return r;
}

static bool conf_imm32(const struct tok *t, int32_t *v, struct perr *e)
{
	uint64_t mag;
	bool neg, hex;
	int r = conf_num(t, &mag, &neg, &hex);
	if (r == 0)
		return perr_fail(e, t->s, true, "bad immediate '%.*s'", (int)t->n, t->s);
	if (r < 0 || !imm32_ok(mag, neg, hex, v))
		return perr_fail(e, t->s, true, "immediate out of range: %.*s", (int)t->n, t->s);
	return true;
}

/* The suite's assembler takes offsets -32768..65535 and wraps them. */
static bool conf_off16(const char *s, size_t n, const char *pos, int16_t *v, struct perr *e)
{
	struct tok t = { s, n };
	uint64_t mag;
	bool neg, hex;
	int r = conf_num(&t, &mag, &neg, &hex);
	if (r == 0)
		return perr_fail(e, pos, true, "bad offset '%.*s'", (int)n, s);
	if (r < 0 || !fits(mag, neg, 0x8000, 0xffff))
		return perr_fail(e, pos, true, "offset out of 16-bit range: %.*s", (int)n, s);
	*v = (int16_t)(uint16_t)signed_val(mag, neg);
	return true;
}

static bool conf_mem(const struct tok *t, uint8_t *reg, int16_t *off, struct perr *e)
{
	char buf[80];
	if (t->n >= sizeof(buf) || t->s[0] != '[' || t->s[t->n - 1] != ']')
		return perr_fail(e, t->s, true, "bad memory operand '%.*s'", (int)t->n, t->s);
	memcpy(buf, t->s + 1, t->n - 2);
	buf[t->n - 2] = 0;
	const char *s = skip_ws(buf);
	const char *r0 = s;
	while (*s && *s != '+' && *s != '-' && *s != ' ' && *s != '\t')
		s++;
	struct tok rt = { r0, (size_t)(s - r0) };
	if (!conf_reg(&rt, reg, e)) {
		e->pos = t->s;
		return false;
	}
	s = skip_ws(s);
	*off = 0;
	if (*s == '+' || *s == '-') {
		char sign = *s;
		s = skip_ws(s + 1);
		const char *n0 = s;
		while (asm_is_ident((unsigned char)*s))
			s++;
		char nb[40];
		size_t nl = (size_t)(s - n0);
		if (!nl || nl + 2 > sizeof(nb))
			return perr_fail(e, t->s, true, "bad memory operand '%.*s'", (int)t->n, t->s);
		nb[0] = sign;
		memcpy(nb + 1, n0, nl);
		if (!conf_off16(nb, nl + 1, t->s, off, e))
			return false;
		s = skip_ws(s);
	}
	if (*s)
		return perr_fail(e, t->s, true, "bad memory operand '%.*s'", (int)t->n, t->s);
	return true;
}

static bool conf_target(const struct tok *t, bool imm, struct enc *out, struct perr *e)
{
	if (t->s[0] == '+' || t->s[0] == '-') {
		if (!imm)
			return conf_off16(t->s, t->n, t->s, &out->off, e);
		int32_t v;
		if (!conf_imm32(t, &v, e))
			return false;
		out->imm = v;
		return true;
	}
	if (ident_len(t->s) != t->n)
		return perr_fail(e, t->s, true, "bad jump target '%.*s'", (int)t->n, t->s);
	out->label = t->s;
	out->label_len = t->n;
	out->label_field = imm ? FX_IMM : FX_OFF;
	return true;
}

static bool parse_conformance(const char *line, struct enc *out, struct perr *e)
{
	struct tok tk[8];
	int nt = split_tokens(line, tk, 8);
	if (nt <= 0)
		return perr_fail(e, line, true, "too many operands");
	char mn[48], w[24];
	int idx = 1;
	tok_lower(&tk[0], mn, sizeof(mn));
	if (!strcmp(mn, "lock")) {
		bool fetch = nt > 1 && tok_is(&tk[1], "fetch");
		idx = fetch ? 2 : 1;
		if (idx >= nt)
			return perr_fail(e, line, true, "lock takes [fetch] OP [mem], reg");
		tok_lower(&tk[idx], w, sizeof(w));
		idx++;
		bool x = !strncmp(w, "xchg", 4) || !strncmp(w, "cmpxchg", 7);
		snprintf(mn, sizeof(mn), "lock %s%s", fetch && !x ? "fetch " : "", w);
	} else if (!strcmp(mn, "call") && nt > 1) {
		if (tok_is(&tk[1], "local") || tok_is(&tk[1], "runtime")) {
			tok_lower(&tk[1], w, sizeof(w));
			snprintf(mn, sizeof(mn), "call %s", w);
			idx = 2;
		} else if (tok_is(&tk[1], "helper")) {
			idx = 2;
		}
		if (idx < nt && tk[idx].s[0] == '%')
			strcpy(mn, "callx");
	} else if (!strcmp(mn, "lddw") && nt > 2 && asm_is_ident_start((unsigned char)tk[1].s[0])) {
		tok_lower(&tk[1], w, sizeof(w));
		snprintf(mn, sizeof(mn), "lddw %s", w);
		idx = 2;
	} else if (!strncmp(mn, "swap", 4)) {
		memmove(mn + 1, mn, strlen(mn) + 1);
		mn[0] = 'b'; /* swap16 = bswap16 */
	}
	/* Candidate rows by mnemonic ("add64" is "add"). */
	enum isa_op rows[2];
	int nr = 0;
	for (int pass = 0; pass < 2 && !nr; pass++) {
		char m2[48];
		snprintf(m2, sizeof(m2), "%s", mn);
		size_t l = strlen(m2);
		if (pass == 1) {
			if (l < 3 || strcmp(m2 + l - 2, "64"))
				break;
			m2[l - 2] = 0;
		}
		for (int op = 0; op < ISA_OP__COUNT && nr < 2; op++)
			if (!strcmp(isa_info[op].cmnem, m2))
				rows[nr++] = (enum isa_op)op;
	}
	if (!nr)
		return perr_fail(e, line, false, "unknown mnemonic '%s'", mn);
	const struct tok *o = &tk[idx];
	int no = nt - idx;
	/* K or X form: the second operand is a register. */
	enum isa_op op = rows[0];
	if (nr == 2)
		op = (no > 1 && o[1].s[0] == '%') == (isa_info[rows[0]].shape == S_ALU_X ||
						     isa_info[rows[0]].shape == S_JCOND_X)
			     ? rows[0]
			     : rows[1];
	static const int8_t nops[S__COUNT] = {
		[S_ALU_K] = 2, [S_ALU_X] = 2, [S_NEG] = 1, [S_END] = 1, [S_MOVSX] = 2,
		[S_LDDW] = 2, [S_LD_ABS] = 1, [S_LD_IND] = 2, [S_LDX] = 2, [S_ST] = 2,
		[S_STX] = 2, [S_ATOMIC] = 2, [S_JA] = 1, [S_JA32] = 1, [S_JCOND_K] = 3,
		[S_JCOND_X] = 3, [S_CALL] = 1, [S_CALL_LOCAL] = 1, [S_CALL_KFUNC] = 1,
		[S_CALLX] = 1, [S_EXIT] = 0,
	};
	unsigned shape = isa_info[op].shape;
	if (no != nops[shape] && !(shape == S_CALL_KFUNC && no == 2))
		return perr_fail(e, line, true, "'%s' takes %d operand(s)", mn, nops[shape]);
	memset(out, 0, sizeof(*out));
	out->op = op;
	int32_t v32;
	switch (shape) {
	case S_ALU_K:
		if (!conf_reg(&o[0], &out->dst, e) || !conf_imm32(&o[1], &v32, e))
			return false;
		out->imm = v32;
		return true;
	case S_ALU_X:
	case S_MOVSX:
		return conf_reg(&o[0], &out->dst, e) && conf_reg(&o[1], &out->src, e);
	case S_NEG:
	case S_END:
	case S_CALLX:
		return conf_reg(&o[0], &out->dst, e);
	case S_LDDW: {
		uint64_t mag;
		bool neg, hex;
		if (!conf_reg(&o[0], &out->dst, e))
			return false;
		int r = conf_num(&o[1], &mag, &neg, &hex);
		if (r == 0)
			return perr_fail(e, o[1].s, true, "bad immediate '%.*s'", (int)o[1].n, o[1].s);
		if (r < 0 || !fits(mag, neg, 0x8000000000000000ull, UINT64_MAX))
			return perr_fail(e, o[1].s, true, "64-bit immediate out of range");
		out->imm = (int64_t)signed_val(mag, neg);
		return true;
	}
	case S_LD_ABS:
	case S_CALL:
		if (!conf_imm32(&o[0], &v32, e))
			return false;
		out->imm = v32;
		return true;
	case S_CALL_KFUNC:
		if (!conf_imm32(&o[0], &v32, e))
			return false;
		out->imm = v32;
		return no < 2 || conf_off16(o[1].s, o[1].n, o[1].s, &out->off, e);
	case S_LD_IND:
		if (!conf_reg(&o[0], &out->src, e) || !conf_imm32(&o[1], &v32, e))
			return false;
		out->imm = v32;
		return true;
	case S_LDX:
		return conf_reg(&o[0], &out->dst, e) && conf_mem(&o[1], &out->src, &out->off, e);
	case S_ST:
		if (!conf_mem(&o[0], &out->dst, &out->off, e) || !conf_imm32(&o[1], &v32, e))
			return false;
		out->imm = v32;
		return true;
	case S_STX:
	case S_ATOMIC:
		return conf_mem(&o[0], &out->dst, &out->off, e) && conf_reg(&o[1], &out->src, e);
	case S_JA:
		return conf_target(&o[0], false, out, e);
	case S_JA32:
	case S_CALL_LOCAL:
		return conf_target(&o[0], true, out, e);
	case S_JCOND_K:
		if (!conf_reg(&o[0], &out->dst, e) || !conf_imm32(&o[1], &v32, e))
			return false;
		out->imm = v32;
		return conf_target(&o[2], false, out, e);
	case S_JCOND_X:
		return conf_reg(&o[0], &out->dst, e) && conf_reg(&o[1], &out->src, e) &&
		       conf_target(&o[2], false, out, e);
	case S_EXIT:
		return true;
	}
	return perr_fail(e, line, true, "internal: shape %u", shape);
}

/* ---- directives ---------------------------------------------------------- */

static bool add_slots(struct actx *a, const struct bpfbox_insn *s, unsigned k)
{
	if (!grow((void **)&a->insns, &a->cap, a->n + k, sizeof(*a->insns))) {
		a->oom = true;
		return false;
	}
	a->last = a->n;
	a->last_slots = k;
	for (unsigned i = 0; i < k; i++)
		a->insns[a->n++] = s[i];
	return true;
}

static void directive_raw(struct actx *a, const char *s)
{
	uint64_t mag;
	bool neg, hex;
	s = skip_ws(s);
	int r = scan_num(&s, true, &mag, &neg, &hex);
	if (r <= 0 || *skip_ws(s)) {
		report(a, ".raw needs one 64-bit number");
		return;
	}
	uint64_t v = signed_val(mag, neg);
	struct bpfbox_insn in;
	in.code = (uint8_t)v;
	in.dst = (uint8_t)(v >> 8) & 0xf;
	in.src = (uint8_t)(v >> 12) & 0xf;
	in.off = (int16_t)(uint16_t)(v >> 16);
	in.imm = (int32_t)(uint32_t)(v >> 32);
	add_slots(a, &in, 1);
}

static void directive_fields(struct actx *a, const char *s)
{
	if (a->last == SIZE_MAX) {
		report(a, ".fields needs a preceding instruction");
		return;
	}
	struct bpfbox_insn *in = &a->insns[a->last];
	struct bpfbox_insn saved[2] = { in[0], a->last_slots > 1 ? in[1] : in[0] };
	for (s = skip_ws(s); *s; s = skip_ws(s)) {
		size_t n = ident_len(s);
		const char *key = s;
		s += n;
		if (!n || *s != '=') {
			report(a, ".fields: expected KEY=VALUE at '%.20s'", key);
			return;
		}
		s++;
		uint64_t mag;
		bool neg, hex;
		const char *v0 = s;
		int r = scan_num(&s, true, &mag, &neg, &hex);
		if (r <= 0) {
			report(a, ".fields: bad value '%.20s'", v0);
			return;
		}
		uint64_t v = signed_val(mag, neg);
#define KEY(k) (n == sizeof(k) - 1 && !memcmp(key, k, n))
		if ((KEY("src") || KEY("dst")) && !neg && mag <= 15) {
			if (KEY("src"))
				in->src = (uint8_t)mag;
			else
				in->dst = (uint8_t)mag;
		} else if (KEY("off") && fits(mag, neg, 0x8000, 0xffff)) {
			in->off = (int16_t)(uint16_t)v;
		} else if ((KEY("imm") || KEY("hi")) && fits(mag, neg, 0x80000000u, 0xffffffffu)) {
			if (KEY("imm"))
				in->imm = (int32_t)(uint32_t)v;
			else if (a->last_slots == 2)
				in[1].imm = (int32_t)(uint32_t)v;
			else {
				report(a, ".fields: hi= only applies to lddw");
				return;
			}
		} else {
			report(a, ".fields: bad key or value out of range: '%.*s'", (int)(s - key), key);
			return;
		}
#undef KEY
		s = skip_ws(s);
		if (*s == ',')
			s++;
	}
	enum bpfbox_decode_err why;
	enum isa_op op = isa_decode_one(in, &why);
	bool ok = op != ISA_OP_INVALID &&
		  ((isa_info[op].shape == S_LDDW) == (a->last_slots == 2));
	if (!ok) {
		report(a, ".fields makes an invalid instruction (%s)",
		       op == ISA_OP_INVALID ? isa_decode_strerror(why) : "changes its length");
		in[0] = saved[0];
		if (a->last_slots > 1)
			in[1] = saved[1];
	}
}

/* ---- lines ---------------------------------------------------------------- */

/* Cut the comment off (";", "//", or "#" at the start or after a blank). */
static void strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == ';' || (p[0] == '/' && p[1] == '/') ||
		    (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t'))) {
			*p = 0;
			break;
		}
	}
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
}

static void emit(struct actx *a, const struct enc *en)
{
	struct bpfbox_insn slots[2];
	unsigned k = isa_encode(en->op, en->dst, en->src, en->off, en->imm, slots);
	enum bpfbox_decode_err why;
	if (isa_decode_one(&slots[0], &why) != en->op) {
		report(a, "internal: %s does not encode (%s)", isa_info[en->op].name,
		       isa_decode_strerror(why));
		return;
	}
	if (!add_slots(a, slots, k))
		return;
	if (en->label) {
		if (!grow((void **)&a->fix, &a->fcap, a->nfix + 1, sizeof(*a->fix))) {
			a->oom = true;
			return;
		}
		char *name = dup_n(en->label, en->label_len);
		if (!name) {
			a->oom = true;
			return;
		}
		a->fix[a->nfix++] = (struct fixup){ a->last, a->line, en->label_field, name };
	}
	if (isa_info[en->op].shape == S_EXIT && !a->saw_exit) {
		a->saw_exit = true;
		if (a->syntax != BPFBOX_SYNTAX_LLVM)
			label_define(a, "exit", 4, a->last, true);
	}
}

static void parse_line(struct actx *a, char *s)
{
	strip_comment(s);
	s = (char *)skip_ws(s);
	/* "12:" — the index column of a listing */
	if (isdigit((unsigned char)*s)) {
		char *d = s;
		while (isdigit((unsigned char)*d))
			d++;
		if (*d == ':')
			s = (char *)skip_ws(d + 1);
	}
	for (;;) {
		size_t n = ident_len(s);
		if (!n || s[n] != ':')
			break;
		label_define(a, s, n, a->n, false);
		s = (char *)skip_ws(s + n + 1);
	}
	if (!*s)
		return;
	if (*s == '.') {
		size_t n = ident_len(s);
		if (n == 4 && !strncmp(s, ".raw", 4))
			directive_raw(a, s + 4);
		else if (n == 7 && !strncmp(s, ".fields", 7))
			directive_fields(a, s + 7);
		else
			report(a, "unknown directive '%.*s'", (int)n, s);
		return;
	}
	if (*s == '<') {
		report(a, "cannot assemble '%.20s' (an invalid slot of a listing; use .raw)", s);
		return;
	}
	struct enc en;
	struct perr e1 = { 0 }, e2 = { 0 };
	bool ok = false;
	if (a->syntax != BPFBOX_SYNTAX_CONFORMANCE)
		ok = parse_llvm(a, s, &en, &e1);
	if (!ok && a->syntax != BPFBOX_SYNTAX_LLVM) {
		ok = parse_conformance(s, &en, &e2);
		/* AUTO: the conformance error once it knew the mnemonic (all its
		 * errors but "unknown mnemonic" are specific), else the llvm one */
		if (a->syntax == BPFBOX_SYNTAX_CONFORMANCE || e2.specific || !e1.pos)
			e1 = e2;
	}
	if (ok) {
		emit(a, &en);
		return;
	}
	size_t n = strcspn(s, " \t");
	if (a->syntax != BPFBOX_SYNTAX_CONFORMANCE && !e1.specific && (!e1.pos || e1.pos <= s + n)) {
		report(a, "unknown instruction '%.*s'", (int)(n > 40 ? 40 : n), s);
	} else {
		report(a, "%s", e1.msg);
	}
}

static void resolve(struct actx *a)
{
	for (size_t i = 0; i < a->nfix; i++) {
		struct fixup *f = &a->fix[i];
		a->line = f->line;
		struct label *l = label_find(a, f->name, strlen(f->name));
		if (!l) {
			report(a, "undefined label '%s'", f->name);
			continue;
		}
		int64_t rel = (int64_t)l->slot - (int64_t)f->slot - 1;
		struct bpfbox_insn *in = &a->insns[f->slot];
		if (f->field == FX_OFF) {
			if (rel < INT16_MIN || rel > INT16_MAX) {
				report(a, "jump to '%s' out of 16-bit range (%lld)", f->name, (long long)rel);
				continue;
			}
			in->off = (int16_t)rel;
		} else {
			if (rel < INT32_MIN || rel > INT32_MAX) {
				report(a, "jump to '%s' out of 32-bit range", f->name);
				continue;
			}
			in->imm = (int32_t)rel;
		}
	}
}

static void actx_free(struct actx *a)
{
	for (size_t i = 0; i < a->nlabels; i++)
		free(a->labels[i].name);
	for (size_t i = 0; i < a->nfix; i++)
		free(a->fix[i].name);
	free(a->labels);
	free(a->htab);
	free(a->fix);
	free(a->insns);
}

BPFBOX_API int bpfbox_asm__assemble(const char *text, size_t len, int syntax,
				    struct bpfbox_insn **out, size_t *n, struct bpfbox_log *log)
{
	if (!out || !n || (len && !text))
		return -EINVAL;
	*out = NULL;
	*n = 0;
	if (syntax == BPFBOX_SYNTAX_BPFBOX)
		syntax = BPFBOX_SYNTAX_LLVM; /* the same family */
	if (syntax != BPFBOX_SYNTAX_AUTO && syntax != BPFBOX_SYNTAX_LLVM &&
	    syntax != BPFBOX_SYNTAX_CONFORMANCE)
		return -EINVAL;
	struct actx *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->syntax = syntax;
	a->log = log;
	a->last = SIZE_MAX;
	/* rows by shape (counting sort over the table) */
	unsigned cnt[S__COUNT + 1] = { 0 };
	for (int op = 0; op < ISA_OP__COUNT; op++)
		cnt[isa_info[op].shape + 1]++;
	for (int s = 0; s < S__COUNT; s++)
		cnt[s + 1] += cnt[s];
	for (int s = 0; s <= S__COUNT; s++)
		a->first[s] = (uint16_t)cnt[s];
	for (int op = 0; op < ISA_OP__COUNT; op++)
		a->by_shape[cnt[isa_info[op].shape]++] = (uint16_t)op;

	char *buf = malloc(MAX_LINE);
	int err = -ENOMEM;
	if (!buf)
		goto out;
	struct cursor cur = cursor_make(text, len);
	while (cursor_left(&cur) && !a->oom) {
		a->line++;
		const char *nl = memchr(cur.p, '\n', cursor_left(&cur));
		size_t ll = nl ? (size_t)(nl - (const char *)cur.p) : cursor_left(&cur);
		const char *line = cursor_take(&cur, ll);
		if (nl)
			cursor_take(&cur, 1);
		if (memchr(line, 0, ll)) {
			report(a, "NUL byte in the text");
			continue;
		}
		if (ll >= MAX_LINE) {
			report(a, "line longer than %d bytes", MAX_LINE - 1);
			continue;
		}
		memcpy(buf, line, ll);
		buf[ll] = 0;
		parse_line(a, buf);
	}
	if (!a->oom)
		resolve(a);
	if (a->oom)
		goto out;
	if (a->nerr) {
		if (a->nerr > MAX_ERRORS)
			bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "(%d more errors)",
					   a->nerr - MAX_ERRORS);
		err = -EINVAL;
		goto out;
	}
	*out = a->insns;
	*n = a->n;
	a->insns = NULL;
	err = 0;
out:
	free(buf);
	actx_free(a);
	free(a);
	return err;
}
