/* bpfbox — verify/tnum.c: tristate numbers.
 *
 * A tnum describes a set of 64-bit values bit by bit: a bit is known 0,
 * known 1 or unknown.  (value, mask) with mask bits unknown and
 * value & mask == 0.  Every operation returns a tnum that contains every
 * result of applying the operation to members of the inputs (it may
 * contain more: that is the over-approximation the verifier relies on
 * being sound, never on being tight).  The verifier keeps a tnum next to
 * the signed/unsigned ranges of each scalar because the two see different
 * things: ranges see `x < 10`, tnums see `x & 7` and alignment.
 *
 * Invariant kept by every function: (value & mask) == 0.
 */
#include <stdio.h>
#include "verifier.h"

const struct tnum tnum_unknown = { 0, ~0ull };

struct tnum tnum_const(uint64_t v) { return TNUM(v, 0); }

/* The smallest tnum holding every value of [min, max]: the common prefix
 * is known, everything below the highest differing bit is unknown. */
struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max;
	if (!chi)
		return tnum_const(min);
	unsigned bits = 64 - (unsigned)__builtin_clzll(chi);
	if (bits > 63)
		return tnum_unknown;
	uint64_t delta = (1ull << bits) - 1;
	return TNUM(min & ~delta, delta);
}

struct tnum tnum_lshift(struct tnum a, unsigned s)
{
	return TNUM(a.value << s, a.mask << s);
}

struct tnum tnum_rshift(struct tnum a, unsigned s)
{
	return TNUM(a.value >> s, a.mask >> s);
}

/* Arithmetic shift of a `bits`-wide (32 or 64) value: the sign bit's
 * knowledge is replicated like the bit itself. */
struct tnum tnum_arshift(struct tnum a, unsigned s, unsigned bits)
{
	if (bits == 32)
		return TNUM((uint32_t)((int32_t)(uint32_t)a.value >> s),
			    (uint32_t)((int32_t)(uint32_t)a.mask >> s));
	return TNUM((uint64_t)((int64_t)a.value >> s), (uint64_t)((int64_t)a.mask >> s));
}

/* Addition: the carries that can differ are where either operand is
 * unknown or where the sums with all-unknown bits 0 / 1 differ. */
struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sm = a.mask + b.mask;
	uint64_t sv = a.value + b.value;
	uint64_t sigma = sm + sv;
	uint64_t chi = sigma ^ sv;
	uint64_t mu = chi | a.mask | b.mask;
	return TNUM(sv & ~mu, mu);
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value;
	uint64_t alpha = dv + a.mask;
	uint64_t beta = dv - b.mask;
	uint64_t chi = alpha ^ beta;
	uint64_t mu = chi | a.mask | b.mask;
	return TNUM(dv & ~mu, mu);
}

struct tnum tnum_neg(struct tnum a) { return tnum_sub(tnum_const(0), a); }

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask, beta = b.value | b.mask;
	uint64_t v = a.value & b.value;
	return TNUM(v, alpha & beta & ~v);
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask | b.mask;
	return TNUM(v, mu & ~v);
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t v = a.value ^ b.value;
	uint64_t mu = a.mask | b.mask;
	return TNUM(v & ~mu, mu);
}

/* Long multiplication over the bits of a: a known 1 adds b, an unknown bit
 * adds "b or 0", i.e. b's bits become unknown there. */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	struct tnum acc_v = tnum_const(a.value * b.value);
	struct tnum acc_m = tnum_const(0);
	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.mask));
		else if (a.mask & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.value | b.mask));
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(acc_v, acc_m);
}

/* Values in both a and b (callers only intersect tnums known to share a
 * member; otherwise the result is some tnum, never used). */
struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask & b.mask;
	return TNUM(v & ~mu, mu);
}

/* Values in a or b. */
struct tnum tnum_union(struct tnum a, struct tnum b)
{
	uint64_t mu = a.mask | b.mask | (a.value ^ b.value);
	return TNUM(a.value & ~mu, mu);
}

/* Truncate to the low `bytes` bytes (zero-extended). */
struct tnum tnum_cast(struct tnum a, unsigned bytes)
{
	if (bytes >= 8)
		return a;
	uint64_t m = (1ull << (bytes * 8)) - 1;
	return TNUM(a.value & m, a.mask & m);
}

struct tnum tnum_subreg(struct tnum a) { return tnum_cast(a, 4); }

struct tnum tnum_clear_subreg(struct tnum a) { return tnum_lshift(tnum_rshift(a, 32), 32); }

struct tnum tnum_with_subreg(struct tnum reg, struct tnum subreg)
{
	return tnum_or(tnum_clear_subreg(reg), tnum_subreg(subreg));
}

bool tnum_is_const(struct tnum a) { return !a.mask; }

bool tnum_is_unknown(struct tnum a) { return !~a.mask; }

/* Is every member of inner a member of outer? */
bool tnum_in(struct tnum outer, struct tnum inner)
{
	if (inner.mask & ~outer.mask)
		return false;
	inner.value &= ~outer.mask;
	return outer.value == inner.value;
}

bool tnum_is_aligned(struct tnum a, uint64_t size)
{
	if (!size)
		return true;
	return !((a.value | a.mask) & (size - 1));
}

/* (0x..; 0x..) as the kernel prints var_off. */
int tnum_str(char *buf, size_t n, struct tnum a)
{
	return snprintf(buf, n, "(%#llx; %#llx)", (unsigned long long)a.value,
			(unsigned long long)a.mask);
}

int tnum_sbin(char *buf, size_t n, struct tnum a)
{
	size_t i = 0;
	for (int b = 63; b >= 0 && i + 1 < n; b--, i++)
		buf[i] = (a.mask >> b) & 1 ? 'x' : ((a.value >> b) & 1 ? '1' : '0');
	if (n)
		buf[i < n ? i : n - 1] = 0;
	return (int)i;
}
