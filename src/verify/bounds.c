/* bpfbox — verify/bounds.c: what the verifier knows about numbers.
 *
 * A scalar register carries five views of the same set of values: a tnum
 * (known bits), signed and unsigned 64-bit ranges, and signed and unsigned
 * ranges of its low 32 bits.  Each view catches what the others miss
 * (`x & 0xf0` is a tnum fact, `x s< 5` a signed-range fact), so after
 * every change vrf_bounds_sync() lets them tighten each other: ranges
 * from the tnum, 32-bit ranges from 64-bit ones and back, signed from
 * unsigned when the range does not cross the sign boundary, and the tnum
 * from the unsigned range.
 *
 * Invariant: every view contains every value the register can hold on the
 * path being explored (soundness).  Tightness is best effort.  A view that
 * becomes empty (min > max) means the path is infeasible; the caller checks
 * vrf_scalar_bounds_ok() after refining a branch and drops the branch.
 *
 * ALU operations compute each view separately with overflow checks (an
 * overflow makes that view unbounded) — for 32-bit operations on the low
 * halves, then zero-extended.  Branches refine both operands on each side
 * of a comparison (vrf_refine) and decide branches whose outcome the
 * ranges already fix (vrf_branch_taken).
 */
#include <limits.h>
#include "verifier.h"

#define U32_MAXV 0xffffffffull

static inline uint64_t umax64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static inline uint64_t umin64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline int64_t smax64(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t smin64(int64_t a, int64_t b) { return a < b ? a : b; }

static void mark_unbounded(struct vreg *r)
{
	r->smin = INT64_MIN;
	r->smax = INT64_MAX;
	r->umin = 0;
	r->umax = UINT64_MAX;
	r->s32min = INT32_MIN;
	r->s32max = INT32_MAX;
	r->u32min = 0;
	r->u32max = UINT32_MAX;
}

void vrf_mark_unknown(struct vreg *r)
{
	uint8_t fr = r->frameno;
	*r = (struct vreg){ 0 };
	r->frameno = fr;
	r->type = V_SCALAR;
	r->var = tnum_unknown;
	r->born = -1;
	mark_unbounded(r);
}

void vrf_mark_known(struct vreg *r, uint64_t v)
{
	vrf_mark_unknown(r);
	r->var = tnum_const(v);
	r->smin = r->smax = (int64_t)v;
	r->umin = r->umax = v;
	r->s32min = r->s32max = (int32_t)(uint32_t)v;
	r->u32min = r->u32max = (uint32_t)v;
}

void vrf_mark_not_init(struct vreg *r)
{
	*r = (struct vreg){ 0 };
	r->type = V_NOT_INIT;
	r->born = -1;
}

bool vrf_is_const(const struct vreg *r)
{
	return r->type == V_SCALAR && tnum_is_const(r->var);
}

/* Ranges from the tnum. */
static void update_from_tnum(struct vreg *r)
{
	struct tnum v32 = tnum_subreg(r->var);
	r->s32min = (int32_t)smax64(r->s32min, (int32_t)(uint32_t)(v32.value | (v32.mask & 0x80000000u)));
	r->s32max = (int32_t)smin64(r->s32max, (int32_t)(uint32_t)(v32.value | (v32.mask & 0x7fffffffu)));
	r->u32min = (uint32_t)umax64(r->u32min, (uint32_t)v32.value);
	r->u32max = (uint32_t)umin64(r->u32max, (uint32_t)(v32.value | v32.mask));
	r->smin = smax64(r->smin, (int64_t)(r->var.value | (r->var.mask & (1ull << 63))));
	r->smax = smin64(r->smax, (int64_t)(r->var.value | (r->var.mask & ~(1ull << 63))));
	r->umin = umax64(r->umin, r->var.value);
	r->umax = umin64(r->umax, r->var.value | r->var.mask);
}

static void deduce32(struct vreg *r)
{
	/* 32-bit bounds from 64-bit ones when the upper halves agree. */
	if ((r->umin >> 32) == (r->umax >> 32)) {
		r->u32min = (uint32_t)umax64(r->u32min, (uint32_t)r->umin);
		r->u32max = (uint32_t)umin64(r->u32max, (uint32_t)r->umax);
		if ((int32_t)(uint32_t)r->umin <= (int32_t)(uint32_t)r->umax) {
			r->s32min = (int32_t)smax64(r->s32min, (int32_t)(uint32_t)r->umin);
			r->s32max = (int32_t)smin64(r->s32max, (int32_t)(uint32_t)r->umax);
		}
	}
	if (((uint64_t)r->smin >> 32) == ((uint64_t)r->smax >> 32)) {
		if ((uint32_t)r->smin <= (uint32_t)r->smax) {
			r->u32min = (uint32_t)umax64(r->u32min, (uint32_t)r->smin);
			r->u32max = (uint32_t)umin64(r->u32max, (uint32_t)r->smax);
		}
		if ((int32_t)(uint32_t)r->smin <= (int32_t)(uint32_t)r->smax) {
			r->s32min = (int32_t)smax64(r->s32min, (int32_t)(uint32_t)r->smin);
			r->s32max = (int32_t)smin64(r->s32max, (int32_t)(uint32_t)r->smax);
		}
	}
	/* signed <-> unsigned within 32 bits */
	if ((int32_t)r->u32min <= (int32_t)r->u32max) {
		r->s32min = (int32_t)smax64(r->s32min, (int32_t)r->u32min);
		r->s32max = (int32_t)smin64(r->s32max, (int32_t)r->u32max);
	}
	if ((uint32_t)r->s32min <= (uint32_t)r->s32max) {
		r->u32min = (uint32_t)umax64(r->u32min, (uint32_t)r->s32min);
		r->u32max = (uint32_t)umin64(r->u32max, (uint32_t)r->s32max);
	}
}

static void deduce64(struct vreg *r)
{
	if ((int64_t)r->umin <= (int64_t)r->umax) {
		r->smin = smax64(r->smin, (int64_t)r->umin);
		r->smax = smin64(r->smax, (int64_t)r->umax);
	}
	if ((uint64_t)r->smin <= (uint64_t)r->smax) {
		r->umin = umax64(r->umin, (uint64_t)r->smin);
		r->umax = umin64(r->umax, (uint64_t)r->smax);
	} else {
		/* The signed range crosses zero: as unsigned it is two pieces.
		 * When the unsigned range meets only one, take that piece. */
		if (r->umax < (uint64_t)r->smin) {
			/* only the non-negative piece [0, smax] */
			uint64_t hi = umin64(r->umax, (uint64_t)r->smax);
			r->umax = hi;
			r->smin = (int64_t)r->umin;
			r->smax = (int64_t)hi;
		} else if ((uint64_t)r->smax < r->umin) {
			/* only the negative piece [smin, -1] */
			uint64_t lo = umax64(r->umin, (uint64_t)r->smin);
			r->umin = lo;
			r->smin = (int64_t)lo;
			r->smax = (int64_t)r->umax;
		}
	}
	/* 64-bit bounds from the 32-bit ones: keep the upper half, replace
	 * the lower by the 32-bit bound (always a valid bound). */
	uint64_t nmin = (r->umin & ~U32_MAXV) | r->u32min;
	uint64_t nmax = (r->umax & ~U32_MAXV) | r->u32max;
	r->umin = umax64(r->umin, nmin);
	r->umax = umin64(r->umax, nmax);
	int64_t sn = (int64_t)(((uint64_t)r->smin & ~U32_MAXV) | r->u32min);
	int64_t sx = (int64_t)(((uint64_t)r->smax & ~U32_MAXV) | r->u32max);
	r->smin = smax64(r->smin, sn);
	r->smax = smin64(r->smax, sx);
}

void vrf_bounds_sync(struct vreg *r)
{
	if (r->type != V_SCALAR && !vrf_is_ptr(r))
		return;
	update_from_tnum(r);
	deduce32(r);
	deduce64(r);
	deduce32(r);
	/* tnum from the unsigned ranges */
	if (r->umin <= r->umax)
		r->var = tnum_intersect(r->var, tnum_range(r->umin, r->umax));
	if (r->u32min <= r->u32max) {
		struct tnum v32 = tnum_intersect(tnum_subreg(r->var), tnum_range(r->u32min, r->u32max));
		r->var = tnum_with_subreg(r->var, v32);
	}
	update_from_tnum(r);
}

bool vrf_scalar_bounds_ok(const struct vreg *r)
{
	if (r->type != V_SCALAR)
		return true;
	if (r->umin > r->umax || r->smin > r->smax || r->u32min > r->u32max ||
	    r->s32min > r->s32max)
		return false;
	/* tnum members must meet the range */
	if (r->var.value > r->umax || (r->var.value | r->var.mask) < r->umin)
		return false;
	return true;
}

/* After a 32-bit operation: the register is its low half, zero-extended. */
void vrf_zext32(struct vreg *r)
{
	r->var = tnum_subreg(r->var);
	r->umin = r->u32min;
	r->umax = r->u32max;
	r->smin = r->u32min;
	r->smax = r->u32max;
	vrf_bounds_sync(r);
}

/* A value loaded from `bytes` bytes of memory, zero- or sign-extended. */
void vrf_set_size_bounds(struct vreg *r, unsigned bytes, bool sign)
{
	vrf_mark_unknown(r);
	if (bytes >= 8)
		return;
	unsigned bits = bytes * 8;
	if (!sign) {
		r->var = tnum_range(0, (1ull << bits) - 1);
		r->umin = 0;
		r->umax = (1ull << bits) - 1;
		r->smin = 0;
		r->smax = (int64_t)r->umax;
	} else {
		r->smin = -(1ll << (bits - 1));
		r->smax = (1ll << (bits - 1)) - 1;
	}
	vrf_bounds_sync(r);
}

/* ---- range arithmetic at width 32 or 64 ------------------------------------ */

struct rng {
	int64_t smin, smax;
	uint64_t umin, umax;
};

static struct rng rng_full(unsigned w)
{
	if (w == 32)
		return (struct rng){ INT32_MIN, INT32_MAX, 0, U32_MAXV };
	return (struct rng){ INT64_MIN, INT64_MAX, 0, UINT64_MAX };
}

static struct rng rng_of(const struct vreg *r, unsigned w)
{
	if (w == 32)
		return (struct rng){ r->s32min, r->s32max, r->u32min, r->u32max };
	return (struct rng){ r->smin, r->smax, r->umin, r->umax };
}

static bool s_fits(int64_t v, unsigned w)
{
	return w == 64 || (v >= INT32_MIN && v <= INT32_MAX);
}

static bool u_fits(uint64_t v, unsigned w) { return w == 64 || v <= U32_MAXV; }

static void rng_signed_unknown(struct rng *o, unsigned w)
{
	struct rng f = rng_full(w);
	o->smin = f.smin;
	o->smax = f.smax;
}

static void rng_unsigned_unknown(struct rng *o, unsigned w)
{
	struct rng f = rng_full(w);
	o->umin = f.umin;
	o->umax = f.umax;
}

/* The signed view from the unsigned one, when the unsigned range does not
 * reach the sign bit. */
static void rng_signed_from_unsigned(struct rng *o, unsigned w)
{
	uint64_t smaxv = w == 32 ? INT32_MAX : INT64_MAX;
	if (o->umin <= o->umax && o->umax <= smaxv) {
		o->smin = (int64_t)o->umin;
		o->smax = (int64_t)o->umax;
	} else {
		rng_signed_unknown(o, w);
	}
}

static struct rng rng_add(struct rng a, struct rng b, unsigned w)
{
	struct rng o;
	int64_t s1, s2;
	if (__builtin_add_overflow(a.smin, b.smin, &s1) || __builtin_add_overflow(a.smax, b.smax, &s2) ||
	    !s_fits(s1, w) || !s_fits(s2, w))
		rng_signed_unknown(&o, w);
	else
		o.smin = s1, o.smax = s2;
	uint64_t u1, u2;
	if (__builtin_add_overflow(a.umin, b.umin, &u1) || __builtin_add_overflow(a.umax, b.umax, &u2) ||
	    !u_fits(u1, w) || !u_fits(u2, w))
		rng_unsigned_unknown(&o, w);
	else
		o.umin = u1, o.umax = u2;
	return o;
}

static struct rng rng_sub(struct rng a, struct rng b, unsigned w)
{
	struct rng o;
	int64_t s1, s2;
	if (__builtin_sub_overflow(a.smin, b.smax, &s1) || __builtin_sub_overflow(a.smax, b.smin, &s2) ||
	    !s_fits(s1, w) || !s_fits(s2, w))
		rng_signed_unknown(&o, w);
	else
		o.smin = s1, o.smax = s2;
	if (a.umin < b.umax)
		rng_unsigned_unknown(&o, w);
	else
		o.umin = a.umin - b.umax, o.umax = a.umax - b.umin;
	return o;
}

static struct rng rng_mul(struct rng a, struct rng b, unsigned w)
{
	struct rng o;
	uint64_t u1, u2;
	if (__builtin_mul_overflow(a.umin, b.umin, &u1) || __builtin_mul_overflow(a.umax, b.umax, &u2) ||
	    !u_fits(u2, w))
		rng_unsigned_unknown(&o, w);
	else
		o.umin = u1, o.umax = u2;
	int64_t p[4];
	bool ovf = __builtin_mul_overflow(a.smin, b.smin, &p[0]) |
		   __builtin_mul_overflow(a.smin, b.smax, &p[1]) |
		   __builtin_mul_overflow(a.smax, b.smin, &p[2]) |
		   __builtin_mul_overflow(a.smax, b.smax, &p[3]);
	if (ovf) {
		rng_signed_unknown(&o, w);
	} else {
		o.smin = smin64(smin64(p[0], p[1]), smin64(p[2], p[3]));
		o.smax = smax64(smax64(p[0], p[1]), smax64(p[2], p[3]));
		if (!s_fits(o.smin, w) || !s_fits(o.smax, w))
			rng_signed_unknown(&o, w);
	}
	return o;
}

/* ---- the ALU ----------------------------------------------------------------- */

enum aluop { AL_ADD, AL_SUB, AL_MUL, AL_DIV, AL_SDIV, AL_MOD, AL_SMOD, AL_OR, AL_AND, AL_LSH,
	     AL_RSH, AL_ARSH, AL_XOR, AL_MOV, AL_NEG, AL_OTHER };

static enum aluop alu_kind(enum isa_op op)
{
	const char *t = isa_info[op].optext;
	unsigned s = isa_info[op].shape;
	if (s == S_NEG)
		return AL_NEG;
	if (s != S_ALU_K && s != S_ALU_X)
		return AL_OTHER;
	/* The operator token of the row names the operation. */
	static const struct { const char *t; enum aluop k; } map[] = {
		{ "+=", AL_ADD }, { "-=", AL_SUB }, { "*=", AL_MUL }, { "/=", AL_DIV },
		{ "s/=", AL_SDIV }, { "%=", AL_MOD }, { "s%=", AL_SMOD }, { "|=", AL_OR },
		{ "&=", AL_AND }, { "<<=", AL_LSH }, { ">>=", AL_RSH }, { "s>>=", AL_ARSH },
		{ "^=", AL_XOR }, { "=", AL_MOV },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!__builtin_strcmp(map[i].t, t))
			return map[i].k;
	return AL_OTHER;
}

/* One width of the operation on the (rng, tnum) views; `ok` false when the
 * result is unknown at this width. */
static void alu_width(enum aluop k, struct rng a, struct tnum ta, struct rng b, struct tnum tb,
		      unsigned w, struct rng *o, struct tnum *to)
{
	struct rng full = rng_full(w);
	*o = full;
	*to = w == 32 ? tnum_subreg(tnum_unknown) : tnum_unknown;
	bool bconst = tnum_is_const(tb);
	uint64_t bv = tb.value;
	switch (k) {
	case AL_ADD:
		*o = rng_add(a, b, w);
		*to = tnum_add(ta, tb);
		break;
	case AL_SUB:
		*o = rng_sub(a, b, w);
		*to = tnum_sub(ta, tb);
		break;
	case AL_MUL:
		*o = rng_mul(a, b, w);
		*to = tnum_mul(ta, tb);
		break;
	case AL_AND:
		*to = tnum_and(ta, tb);
		o->umin = to->value;
		o->umax = umin64(a.umax, b.umax);
		if (a.smin >= 0 && b.smin >= 0) {
			rng_signed_from_unsigned(o, w);
		} else if (a.smin >= 0) {
			o->smin = 0;
			o->smax = a.smax;
		} else if (b.smin >= 0) {
			o->smin = 0;
			o->smax = b.smax;
		}
		break;
	case AL_OR:
		*to = tnum_or(ta, tb);
		o->umin = umax64(a.umin, b.umin);
		o->umax = to->value | to->mask;
		if (a.smin >= 0 && b.smin >= 0)
			rng_signed_from_unsigned(o, w);
		break;
	case AL_XOR:
		*to = tnum_xor(ta, tb);
		o->umin = to->value;
		o->umax = to->value | to->mask;
		if (a.smin >= 0 && b.smin >= 0)
			rng_signed_from_unsigned(o, w);
		break;
	case AL_LSH:
		if (bconst && bv < w) {
			*to = tnum_lshift(ta, (unsigned)bv);
			if (w == 32)
				*to = tnum_subreg(*to);
			if (a.umax <= (full.umax >> bv)) {
				o->umin = a.umin << bv;
				o->umax = a.umax << bv;
			}
		}
		break;
	case AL_RSH:
		if (bconst && bv < w) {
			*to = tnum_rshift(ta, (unsigned)bv);
			o->umin = a.umin >> bv;
			o->umax = a.umax >> bv;
			rng_signed_from_unsigned(o, w);
		}
		break;
	case AL_ARSH:
		if (bconst && bv < w) {
			*to = tnum_arshift(ta, (unsigned)bv, w);
			o->smin = a.smin >> bv;
			o->smax = a.smax >> bv;
		}
		break;
	case AL_DIV:
		if (bconst && bv) {
			o->umin = a.umin / bv;
			o->umax = a.umax / bv;
			rng_signed_from_unsigned(o, w);
			*to = tnum_range(o->umin, o->umax);
		}
		break;
	case AL_MOD:
		if (bconst && bv) {
			if (a.umax < bv) {
				*o = a;
				*to = ta;
			} else {
				o->umin = 0;
				o->umax = bv - 1;
				rng_signed_from_unsigned(o, w);
				*to = tnum_range(0, bv - 1);
			}
		} else if (bconst) {
			*o = a; /* modulo by zero leaves dst unchanged */
			*to = ta;
		}
		break;
	default:
		break;
	}
	if (w == 32)
		*to = tnum_subreg(*to);
}

/* Concrete result of a row on constants (the interpreter's semantics). */
static uint64_t alu_const(enum aluop k, uint64_t a, uint64_t b, unsigned w, bool *ok)
{
	*ok = true;
	if (w == 32) {
		uint32_t x = (uint32_t)a, y = (uint32_t)b;
		switch (k) {
		case AL_ADD: return (uint32_t)(x + y);
		case AL_SUB: return (uint32_t)(x - y);
		case AL_MUL: return (uint32_t)(x * y);
		case AL_DIV: return y ? x / y : 0;
		case AL_MOD: return y ? x % y : x;
		case AL_SDIV:
			if (!y) return 0;
			if ((int32_t)y == -1) return (uint32_t)(0u - x);
			return (uint32_t)((int32_t)x / (int32_t)y);
		case AL_SMOD:
			if (!y) return x;
			if ((int32_t)y == -1) return 0;
			return (uint32_t)((int32_t)x % (int32_t)y);
		case AL_OR: return x | y;
		case AL_AND: return x & y;
		case AL_XOR: return x ^ y;
		case AL_LSH: return (uint32_t)(x << (y & 31));
		case AL_RSH: return x >> (y & 31);
		case AL_ARSH: return (uint32_t)((int32_t)x >> (y & 31));
		case AL_MOV: return y;
		case AL_NEG: return (uint32_t)(0u - x);
		default: *ok = false; return 0;
		}
	}
	switch (k) {
	case AL_ADD: return a + b;
	case AL_SUB: return a - b;
	case AL_MUL: return a * b;
	case AL_DIV: return b ? a / b : 0;
	case AL_MOD: return b ? a % b : a;
	case AL_SDIV:
		if (!b) return 0;
		if ((int64_t)b == -1) return 0 - a;
		return (uint64_t)((int64_t)a / (int64_t)b);
	case AL_SMOD:
		if (!b) return a;
		if ((int64_t)b == -1) return 0;
		return (uint64_t)((int64_t)a % (int64_t)b);
	case AL_OR: return a | b;
	case AL_AND: return a & b;
	case AL_XOR: return a ^ b;
	case AL_LSH: return a << (b & 63);
	case AL_RSH: return a >> (b & 63);
	case AL_ARSH: return (uint64_t)((int64_t)a >> (b & 63));
	case AL_MOV: return b;
	case AL_NEG: return 0 - a;
	default: *ok = false; return 0;
	}
}

static void set_from(struct vreg *r, struct rng r64, struct tnum t64, struct rng r32, struct tnum t32)
{
	r->smin = r64.smin;
	r->smax = r64.smax;
	r->umin = r64.umin;
	r->umax = r64.umax;
	r->s32min = (int32_t)r32.smin;
	r->s32max = (int32_t)r32.smax;
	r->u32min = (uint32_t)r32.umin;
	r->u32max = (uint32_t)r32.umax;
	r->var = tnum_with_subreg(t64, t32);
}

/* Byte swaps and sign extensions: from the row's shape and immediate. */
static void scalar_end_movsx(struct vreg *dst, const struct vreg *src, enum isa_op op)
{
	const struct isa_info *ri = &isa_info[op];
	bool w32 = ri->flags & F_W;
	if (ri->shape == S_MOVSX) {
		unsigned bits = (unsigned)ri->mval;
		int64_t lo = -(1ll << (bits - 1)), hi = (1ll << (bits - 1)) - 1;
		struct vreg s = *src;
		if (tnum_is_const(s.var)) {
			uint64_t v = s.var.value;
			int64_t x = bits == 8 ? (int8_t)v : bits == 16 ? (int16_t)v : (int32_t)v;
			vrf_mark_known(dst, w32 ? (uint32_t)x : (uint64_t)x);
			return;
		}
		bool fits = w32 ? (s.s32min >= lo && s.s32max <= hi) : (s.smin >= lo && s.smax <= hi);
		uint32_t id = dst->id;
		(void)id;
		if (fits && !w32) {
			*dst = s;
			dst->id = 0;
			return;
		}
		vrf_mark_unknown(dst);
		if (w32) {
			dst->s32min = (int32_t)lo;
			dst->s32max = (int32_t)hi;
			if (fits) {
				dst->s32min = s.s32min;
				dst->s32max = s.s32max;
			}
			dst->var = tnum_subreg(tnum_unknown);
			dst->umax = U32_MAXV;
			dst->smin = 0;
			dst->smax = (int64_t)U32_MAXV;
			vrf_bounds_sync(dst);
		} else {
			dst->smin = lo;
			dst->smax = hi;
			vrf_bounds_sync(dst);
		}
		return;
	}
	/* S_END: le/be/bswap by 16, 32, 64 */
	unsigned bits = (unsigned)ri->mval;
	bool is_le = ri->optext[0] == 'l';
	if (tnum_is_const(src->var)) {
		uint64_t v = src->var.value, r;
		bool swap = !is_le;
		if (bits == 16)
			r = swap ? __builtin_bswap16((uint16_t)v) : (uint16_t)v;
		else if (bits == 32)
			r = swap ? __builtin_bswap32((uint32_t)v) : (uint32_t)v;
		else
			r = swap ? __builtin_bswap64(v) : v;
		vrf_mark_known(dst, r);
		return;
	}
	if (is_le && bits == 64) {
		*dst = *src;
		return;
	}
	struct vreg s = *src;
	vrf_mark_unknown(dst);
	if (bits < 64) {
		if (is_le) {
			/* truncation keeps what is known of the low bits */
			dst->var = tnum_cast(s.var, bits / 8);
		} else {
			dst->var = tnum_range(0, (1ull << bits) - 1);
		}
		dst->umax = (1ull << bits) - 1;
		dst->smin = 0;
		dst->smax = (int64_t)dst->umax;
	}
	vrf_bounds_sync(dst);
}

void vrf_scalar_alu(struct vreg *dst, const struct vreg *src, enum isa_op op)
{
	const struct isa_info *ri = &isa_info[op];
	if (ri->shape == S_END) {
		struct vreg self = *dst; /* byte swaps work on dst itself */
		scalar_end_movsx(dst, &self, op);
		return;
	}
	if (ri->shape == S_MOVSX) {
		scalar_end_movsx(dst, src, op);
		return;
	}
	enum aluop k = alu_kind(op);
	bool w32 = ri->flags & F_W;
	unsigned w = w32 ? 32 : 64;
	if (k == AL_MOV) {
		if (w32) {
			struct vreg s = *src;
			*dst = s;
			dst->id = 0;
			vrf_zext32(dst);
		} else {
			*dst = *src;
		}
		return;
	}
	const struct vreg *b = src;
	struct vreg zero;
	if (k == AL_NEG) {
		vrf_mark_known(&zero, 0);
		b = &zero;
	}
	/* What the kernel computes ranges for (is_safe_to_compute_dst_reg_range):
	 * add, sub, neg, and, or, xor, mul, and shifts by a constant below the
	 * width.  Division and modulo, and other shifts, give an unknown number
	 * — not even constants are folded — and so do we, or we would accept
	 * programs the kernel refuses. */
	if (k == AL_DIV || k == AL_SDIV || k == AL_MOD || k == AL_SMOD) {
		vrf_mark_unknown(dst);
		return;
	}
	if (k == AL_LSH || k == AL_RSH || k == AL_ARSH) {
		bool c = w32 ? tnum_is_const(tnum_subreg(b->var)) && b->u32min == b->u32max
			     : tnum_is_const(b->var) && b->umin == b->umax;
		if (!c || (w32 ? b->u32max : b->umax) >= w) {
			vrf_mark_unknown(dst);
			return;
		}
	}
	/* constants fold exactly */
	if (tnum_is_const(dst->var) && tnum_is_const(b->var)) {
		bool ok;
		uint64_t v = k == AL_NEG ? alu_const(k, dst->var.value, 0, w, &ok)
					 : alu_const(k, dst->var.value, b->var.value, w, &ok);
		if (ok) {
			vrf_mark_known(dst, v);
			return;
		}
	}
	struct rng o64, o32;
	struct tnum t64, t32;
	if (k == AL_NEG) {
		/* -x = 0 - x */
		struct vreg z;
		vrf_mark_known(&z, 0);
		alu_width(AL_SUB, rng_of(&z, 32), tnum_subreg(z.var), rng_of(dst, 32),
			  tnum_subreg(dst->var), 32, &o32, &t32);
		if (w32) {
			o64 = rng_full(64);
			t64 = tnum_unknown;
		} else {
			alu_width(AL_SUB, rng_of(&z, 64), z.var, rng_of(dst, 64), dst->var, 64, &o64, &t64);
		}
	} else if (w32) {
		alu_width(k, rng_of(dst, 32), tnum_subreg(dst->var), rng_of(b, 32),
			  tnum_subreg(b->var), 32, &o32, &t32);
		o64 = rng_full(64);
		t64 = tnum_unknown;
	} else {
		alu_width(k, rng_of(dst, 64), dst->var, rng_of(b, 64), b->var, 64, &o64, &t64);
		/* the low half of add/sub/mul/and/or/xor/lsh depends only on
		 * the low halves of the operands */
		bool low_ok = k == AL_ADD || k == AL_SUB || k == AL_MUL || k == AL_AND ||
			      k == AL_OR || k == AL_XOR;
		if (low_ok) {
			alu_width(k, rng_of(dst, 32), tnum_subreg(dst->var), rng_of(b, 32),
				  tnum_subreg(b->var), 32, &o32, &t32);
		} else {
			o32 = rng_full(32);
			t32 = tnum_subreg(t64);
		}
	}
	uint8_t fr = dst->frameno;
	vrf_mark_unknown(dst);
	dst->frameno = fr;
	set_from(dst, o64, t64, o32, t32);
	if (w32)
		vrf_zext32(dst);
	else
		vrf_bounds_sync(dst);
}

void vrf_add_const_off(struct vreg *ptr, int64_t v)
{
	ptr->off = (int32_t)((int64_t)ptr->off + v);
}

/* ---- comparisons ---------------------------------------------------------------- */

enum cmpop { C_EQ, C_NE, C_GT, C_GE, C_LT, C_LE, C_SGT, C_SGE, C_SLT, C_SLE, C_SET, C_NSET, C_NONE };

static enum cmpop cmp_kind(enum isa_op op)
{
	static const struct { const char *t; enum cmpop k; } map[] = {
		{ "==", C_EQ }, { "!=", C_NE }, { ">", C_GT }, { ">=", C_GE }, { "<", C_LT },
		{ "<=", C_LE }, { "s>", C_SGT }, { "s>=", C_SGE }, { "s<", C_SLT },
		{ "s<=", C_SLE }, { "&", C_SET },
	};
	const char *t = isa_info[op].optext;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!__builtin_strcmp(map[i].t, t))
			return map[i].k;
	return C_NONE;
}

static enum cmpop cmp_negate(enum cmpop k)
{
	static const enum cmpop neg[] = { [C_EQ] = C_NE, [C_NE] = C_EQ, [C_GT] = C_LE, [C_GE] = C_LT,
					  [C_LT] = C_GE, [C_LE] = C_GT, [C_SGT] = C_SLE,
					  [C_SGE] = C_SLT, [C_SLT] = C_SGE, [C_SLE] = C_SGT,
					  [C_SET] = C_NSET, [C_NSET] = C_SET, [C_NONE] = C_NONE };
	return neg[k];
}

/* a op b  <=>  b swap(op) a */
static enum cmpop cmp_swap(enum cmpop k)
{
	switch (k) {
	case C_GT: return C_LT;
	case C_GE: return C_LE;
	case C_LT: return C_GT;
	case C_LE: return C_GE;
	case C_SGT: return C_SLT;
	case C_SGE: return C_SLE;
	case C_SLT: return C_SGT;
	case C_SLE: return C_SGE;
	default: return k;
	}
}

struct cview {
	struct rng r;
	struct tnum t;
};

static struct cview view(const struct vreg *r, unsigned w)
{
	struct cview v = { rng_of(r, w), w == 32 ? tnum_subreg(r->var) : r->var };
	return v;
}

static int taken_w(struct cview a, struct cview b, enum cmpop k)
{
	bool ac = tnum_is_const(a.t), bc = tnum_is_const(b.t);
	switch (k) {
	case C_EQ:
	case C_NE: {
		int eq = -1;
		if (ac && bc)
			eq = a.t.value == b.t.value;
		else if (a.r.umin > b.r.umax || a.r.umax < b.r.umin || a.r.smin > b.r.smax ||
			 a.r.smax < b.r.smin)
			eq = 0;
		else if ((a.t.value ^ b.t.value) & ~(a.t.mask | b.t.mask))
			eq = 0;
		if (eq < 0)
			return -1;
		return k == C_EQ ? eq : !eq;
	}
	case C_GT:
		if (a.r.umin > b.r.umax) return 1;
		if (a.r.umax <= b.r.umin) return 0;
		return -1;
	case C_GE:
		if (a.r.umin >= b.r.umax) return 1;
		if (a.r.umax < b.r.umin) return 0;
		return -1;
	case C_LT:
		if (a.r.umax < b.r.umin) return 1;
		if (a.r.umin >= b.r.umax) return 0;
		return -1;
	case C_LE:
		if (a.r.umax <= b.r.umin) return 1;
		if (a.r.umin > b.r.umax) return 0;
		return -1;
	case C_SGT:
		if (a.r.smin > b.r.smax) return 1;
		if (a.r.smax <= b.r.smin) return 0;
		return -1;
	case C_SGE:
		if (a.r.smin >= b.r.smax) return 1;
		if (a.r.smax < b.r.smin) return 0;
		return -1;
	case C_SLT:
		if (a.r.smax < b.r.smin) return 1;
		if (a.r.smin >= b.r.smax) return 0;
		return -1;
	case C_SLE:
		if (a.r.smax <= b.r.smin) return 1;
		if (a.r.smin > b.r.smax) return 0;
		return -1;
	case C_SET:
	case C_NSET: {
		int set = -1;
		if (a.t.value & b.t.value)
			set = 1;
		else if (!((a.t.value | a.t.mask) & (b.t.value | b.t.mask)))
			set = 0;
		if (set < 0)
			return -1;
		return k == C_SET ? set : !set;
	}
	default:
		return -1;
	}
}

int vrf_branch_taken(const struct vreg *a, const struct vreg *b, enum isa_op op)
{
	unsigned w = isa_info[op].flags & F_W ? 32 : 64;
	enum cmpop k = cmp_kind(op);
	if (k == C_NONE)
		return -1;
	return taken_w(view(a, w), view(b, w), k);
}

/* Refine the width-w views of a and b by `a k b`. */
static void refine_w(struct cview *a, struct cview *b, enum cmpop k, unsigned w)
{
	uint64_t umaxv = w == 32 ? U32_MAXV : UINT64_MAX;
	int64_t smaxv = w == 32 ? INT32_MAX : INT64_MAX;
	int64_t sminv = w == 32 ? INT32_MIN : INT64_MIN;
	switch (k) {
	case C_EQ: {
		struct rng r = { smax64(a->r.smin, b->r.smin), smin64(a->r.smax, b->r.smax),
				 umax64(a->r.umin, b->r.umin), umin64(a->r.umax, b->r.umax) };
		struct tnum t = tnum_intersect(a->t, b->t);
		a->r = b->r = r;
		a->t = b->t = t;
		break;
	}
	case C_NE:
		for (int side = 0; side < 2; side++) {
			struct cview *x = side ? b : a, *c = side ? a : b;
			if (!tnum_is_const(c->t))
				continue;
			uint64_t v = c->t.value;
			if (x->r.umin == v && x->r.umin < umaxv)
				x->r.umin++;
			else if (x->r.umax == v && x->r.umax > 0)
				x->r.umax--;
			int64_t sv = w == 32 ? (int32_t)(uint32_t)v : (int64_t)v;
			if (x->r.smin == sv && x->r.smin < smaxv)
				x->r.smin++;
			else if (x->r.smax == sv && x->r.smax > sminv)
				x->r.smax--;
		}
		break;
	case C_GT:
		if (b->r.umin < umaxv)
			a->r.umin = umax64(a->r.umin, b->r.umin + 1);
		else
			a->r.umin = umaxv, a->r.umax = 0; /* impossible */
		if (a->r.umax > 0)
			b->r.umax = umin64(b->r.umax, a->r.umax - 1);
		else
			b->r.umin = 1, b->r.umax = 0;
		break;
	case C_GE:
		a->r.umin = umax64(a->r.umin, b->r.umin);
		b->r.umax = umin64(b->r.umax, a->r.umax);
		break;
	case C_SGT:
		if (b->r.smin < smaxv)
			a->r.smin = smax64(a->r.smin, b->r.smin + 1);
		else
			a->r.smin = smaxv, a->r.smax = sminv;
		if (a->r.smax > sminv)
			b->r.smax = smin64(b->r.smax, a->r.smax - 1);
		else
			b->r.smin = smaxv, b->r.smax = sminv;
		break;
	case C_SGE:
		a->r.smin = smax64(a->r.smin, b->r.smin);
		b->r.smax = smin64(b->r.smax, a->r.smax);
		break;
	case C_LT:
	case C_LE:
	case C_SLT:
	case C_SLE:
		refine_w(b, a, cmp_swap(k), w);
		break;
	case C_SET:
		if (tnum_is_const(b->t) && b->t.value && !(b->t.value & (b->t.value - 1)))
			a->t = tnum_or(a->t, b->t);
		else if (tnum_is_const(a->t) && a->t.value && !(a->t.value & (a->t.value - 1)))
			b->t = tnum_or(b->t, a->t);
		break;
	case C_NSET:
		if (tnum_is_const(b->t))
			a->t = tnum_and(a->t, tnum_const(~b->t.value & umaxv));
		if (tnum_is_const(a->t))
			b->t = tnum_and(b->t, tnum_const(~a->t.value & umaxv));
		break;
	default:
		break;
	}
}

static void apply_view(struct vreg *r, struct cview v, unsigned w)
{
	if (w == 32) {
		r->s32min = (int32_t)v.r.smin;
		r->s32max = (int32_t)v.r.smax;
		r->u32min = (uint32_t)v.r.umin;
		r->u32max = (uint32_t)v.r.umax;
		r->var = tnum_with_subreg(r->var, v.t);
	} else {
		r->smin = v.r.smin;
		r->smax = v.r.smax;
		r->umin = v.r.umin;
		r->umax = v.r.umax;
		r->var = v.t;
	}
}

void vrf_refine(struct vreg *a, struct vreg *b, enum isa_op op, bool taken)
{
	unsigned w = isa_info[op].flags & F_W ? 32 : 64;
	enum cmpop k = cmp_kind(op);
	if (k == C_NONE)
		return;
	if (!taken)
		k = cmp_negate(k);
	struct cview va = view(a, w), vb = view(b, w);
	refine_w(&va, &vb, k, w);
	/* An empty view means this side cannot happen: keep it visible. */
	bool empty = va.r.umin > va.r.umax || va.r.smin > va.r.smax || vb.r.umin > vb.r.umax ||
		     vb.r.smin > vb.r.smax;
	if (a->type == V_SCALAR)
		apply_view(a, va, w);
	if (b->type == V_SCALAR)
		apply_view(b, vb, w);
	if (empty) {
		if (a->type == V_SCALAR)
			a->umin = 1, a->umax = 0;
		if (b->type == V_SCALAR)
			b->umin = 1, b->umax = 0;
		return;
	}
	if (a->type == V_SCALAR)
		vrf_bounds_sync(a);
	if (b->type == V_SCALAR)
		vrf_bounds_sync(b);
}
