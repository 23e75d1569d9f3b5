/* bpfbox — test_isa.c: the instruction table and the encoder/decoder.
 *
 * The central property: for every valid single-slot encoding, decode then
 * encode gives back the same bytes, and every invalid encoding is rejected.
 * We enumerate every opcode byte against a spread of field values (all
 * registers, offsets and immediates that select rows, plus random values),
 * well over a million encodings, and check that exactly the encodings the
 * table describes are accepted. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "isa/isa.h"
#include "util/util.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct bpfbox_insn mk(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpfbox_insn i = { 0 };
	i.code = code;
	i.dst = dst & 15;
	i.src = src & 15;
	i.off = off;
	i.imm = imm;
	return i;
}

/* Independent oracle for validity of a single slot, written from RFC 9669
 * (not from isa.def) so the table is checked against the spec. */
static int oracle_valid(struct bpfbox_insn in)
{
	uint8_t c = in.code, cls = c & 7;
	int dok = in.dst <= 10, sok = in.src <= 10;
	switch (cls) {
	case 4: case 7: { /* ALU, ALU64 */
		unsigned op = c & 0xf0, x = c & 8;
		if (op == 0xd0) { /* end / bswap */
			if (in.src || in.off || !dok) return 0;
			if (in.imm != 16 && in.imm != 32 && in.imm != 64) return 0;
			if (cls == 4) return 1;           /* 0xd4 le, 0xdc be */
			return x == 0;                    /* 0xd7 bswap; 0xdf invalid */
		}
		if (op > 0xd0) return 0;
		if (op == 0x80) /* neg */
			return !x && !in.src && !in.off && !in.imm && dok;
		int offok = in.off == 0;
		if (op == 0x30 || op == 0x90) offok = in.off == 0 || in.off == 1;
		if (op == 0xb0 && x) offok = in.off == 0 || in.off == 8 || in.off == 16 || (cls == 7 && in.off == 32);
		if (!offok || !dok) return 0;
		if (x) return sok && in.imm == 0;
		return in.src == 0;
	}
	case 5: case 6: { /* JMP, JMP32 */
		unsigned op = c & 0xf0, x = c & 8;
		if (op == 0x00) { /* ja / gotol */
			if (x || in.dst || in.src) return 0;
			return cls == 5 ? in.imm == 0 : in.off == 0;
		}
		if (op == 0x80) { /* call */
			if (cls == 6) return 0;
			if (x) return dok && !in.src && !in.off && !in.imm; /* callx */
			if (in.dst) return 0;
			if (in.src == 0 || in.src == 1) return in.off == 0;
			return in.src == 2;
		}
		if (op == 0x90) return cls == 5 && !x && !in.dst && !in.src && !in.off && !in.imm;
		if (op == 0xe0 || op == 0xf0) return 0;
		if (!dok) return 0;
		return x ? (sok && in.imm == 0) : in.src == 0;
	}
	case 0: { /* LD */
		if (c == 0x18) return dok && in.src <= 6 && !in.off;
		if (c == 0x20 || c == 0x28 || c == 0x30) return !in.dst && !in.src && !in.off;
		if (c == 0x40 || c == 0x48 || c == 0x50) return !in.dst && sok && !in.off;
		return 0;
	}
	case 1: /* LDX */
		if ((c & 0xe0) == 0x60 || ((c & 0xe0) == 0x80 && (c & 0x18) != 0x18))
			return dok && sok && in.imm == 0;
		return 0;
	case 2:
		if ((c & 0xe0) == 0x60) return dok && !in.src;
		return 0;
	case 3:
		if ((c & 0xe0) == 0x60) return dok && sok && in.imm == 0;
		if ((c & 0xe0) == 0xc0 && ((c & 0x18) == 0x00 || (c & 0x18) == 0x18)) {
			int imm = in.imm;
			return dok && sok && (imm == 0 || imm == 1 || imm == 0x40 || imm == 0x41 ||
			       imm == 0x50 || imm == 0x51 || imm == 0xa0 || imm == 0xa1 ||
			       imm == 0xe1 || imm == 0xf1);
		}
		return 0;
	}
	return 0;
}

static const int32_t imms[] = { 0, 1, 8, 16, 32, 64, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, -1, 0x7fffffff, (int32_t)0x80000000, 2, 3 };
static const int16_t offs[] = { 0, 1, 8, 16, 32, -1, 0x7fff, -0x8000, 2 };

int main(void)
{
	/* Table sanity: every row decodes back to itself. */
	for (unsigned op = 0; op < ISA_OP__COUNT; op++) {
		struct bpfbox_insn out[2];
		isa_encode((enum isa_op)op, 1, 2, 3, 4, out);
		enum bpfbox_decode_err why;
		enum isa_op back = isa_decode_one(&out[0], &why);
		CHECK_QUIET(back == op, "row %s encodes to something that decodes as %s",
			    isa_info[op].name, back == ISA_OP_INVALID ? "invalid" : isa_info[back].name);
	}
	CHECK(check_failed == 0, "all %d rows round-trip through encode/decode", ISA_OP__COUNT);

	/* Exhaustive-ish enumeration. */
	unsigned long total = 0, valid = 0, mismatched = 0, roundtrip_bad = 0;
	for (unsigned code = 0; code < 256; code++)
		for (unsigned dst = 0; dst < 16; dst++)
			for (unsigned src = 0; src < 16; src++)
				for (unsigned oi = 0; oi < ARRAY_SIZE(offs) + 2; oi++)
					for (unsigned ii = 0; ii < ARRAY_SIZE(imms) + 2; ii++) {
						int16_t off = oi < ARRAY_SIZE(offs) ? offs[oi] : (int16_t)next_rand();
						int32_t imm = ii < ARRAY_SIZE(imms) ? imms[ii] : (int32_t)next_rand();
						struct bpfbox_insn in = mk((uint8_t)code, (uint8_t)dst, (uint8_t)src, off, imm);
						total++;
						enum isa_op op = isa_decode_one(&in, NULL);
						int ok = op != ISA_OP_INVALID;
						if (ok != oracle_valid(in)) {
							if (mismatched++ < 10)
								printf("# mismatch: code 0x%02x dst %u src %u off %d imm %d: table %s, spec %s\n",
								       code, dst, src, off, imm, ok ? "valid" : "invalid",
								       ok ? "invalid" : "valid");
						}
						if (!ok)
							continue;
						valid++;
						struct bpfbox_insn out[2];
						isa_encode(op, in.dst, in.src, in.off, in.imm, out);
						if (memcmp(&out[0], &in, 8) != 0)
							roundtrip_bad++;
					}
	CHECK(total >= 1000000, "enumerated %lu encodings (%lu valid)", total, valid);
	CHECK(mismatched == 0, "table agrees with the RFC 9669 oracle on every encoding (%lu disagree)", mismatched);
	CHECK(roundtrip_bad == 0, "decode->encode is the identity on every valid encoding (%lu differ)", roundtrip_bad);

	/* Program-level rules, one vector per rejection path. */
	struct isa_prog p;
	size_t at;
	struct bpfbox_insn exit_ = mk(0x95, 0, 0, 0, 0);
	{
		struct bpfbox_insn prog[] = { mk(0x18, 1, 0, 0, 5) };
		CHECK(isa_decode(prog, 1, 0, NULL, &p, &at, NULL) == -EINVAL && at == 0, "lddw in the last slot rejected");
	}
	{
		struct bpfbox_insn prog[] = { mk(0x18, 1, 0, 0, 5), mk(0x07, 0, 0, 0, 1), exit_ };
		CHECK(isa_decode(prog, 3, 0, NULL, &p, &at, NULL) == -EINVAL && at == 0, "lddw with a non-zero second half rejected");
	}
	{
		struct bpfbox_insn prog[] = { mk(0x18, 1, 0, 0, 5), mk(0, 0, 0, 0, 7), exit_ };
		CHECK(isa_decode(prog, 3, 0, NULL, &p, &at, NULL) == 0 && p.insns[0].imm64 == 0x700000005ull,
		      "lddw joins its halves into imm64");
		isa_prog_free(&p, NULL);
	}
	{
		struct bpfbox_insn prog[] = { mk(0x05, 0, 0, 5, 0), exit_ };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, NULL) == -EINVAL && at == 0, "jump past the end rejected");
	}
	{
		struct bpfbox_insn prog[] = { mk(0x05, 0, 0, -2, 0), exit_ };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, NULL) == -EINVAL && at == 0, "jump before the start rejected");
	}
	{
		struct bpfbox_insn prog[] = { mk(0x05, 0, 0, 1, 0), mk(0x18, 1, 0, 0, 5), mk(0, 0, 0, 0, 0), exit_ };
		CHECK(isa_decode(prog, 4, 0, NULL, &p, &at, NULL) == -EINVAL && at == 0, "jump into lddw's second half rejected");
	}
	{
		struct bpfbox_insn prog[] = { mk(0x85, 0, 1, 0, 5), exit_ };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, NULL) == -EINVAL && at == 0, "local call out of range rejected");
	}
	{
		struct bpfbox_insn prog[] = { mk(0x06, 0, 0, 0, 0x10000), exit_ };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, NULL) == -EINVAL, "gotol out of range rejected");
	}
	{
		struct bpfbox_insn prog[] = { mk(0x07, 10, 0, 0, 8), exit_ };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, NULL) == -EINVAL && at == 0, "write to r10 rejected");
		CHECK(isa_decode(prog, 2, ISA_DECODE_ALLOW_R10_WRITE, NULL, &p, &at, NULL) == 0, "write to r10 allowed for disassembly");
		isa_prog_free(&p, NULL);
	}
	{
		struct bpfbox_insn prog[] = { mk(0xdb, 1, 10, 0, 0x01), exit_ };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, NULL) == -EINVAL, "fetch atomic into r10 rejected");
	}
	{
		struct bpfbox_insn prog[] = { mk(0x8e, 0, 0, 0, 0), exit_ };
		char buf[256];
		struct bpfbox_log log = { .buf = buf, .size = sizeof(buf), .level = 0 };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, &log) == -EINVAL && strstr(buf, "insn 0: unknown opcode 0x8e"),
		      "unknown opcode named in the log: %s", buf);
	}
	{
		struct bpfbox_insn prog[] = { mk(0x07, 1, 3, 0, 1), exit_ };
		char buf[256];
		struct bpfbox_log log = { .buf = buf, .size = sizeof(buf), .level = 0 };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, &log) == -EINVAL && strstr(buf, "reserved src field is 3"),
		      "reserved field named in the log: %s", buf);
	}
	{
		struct bpfbox_insn prog[] = { mk(0x0f, 11, 1, 0, 0), exit_ };
		char buf[256];
		struct bpfbox_log log = { .buf = buf, .size = sizeof(buf), .level = 0 };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, &log) == -EINVAL && strstr(buf, "invalid register r11"),
		      "bad register named in the log: %s", buf);
	}
	{
		struct bpfbox_insn prog[] = { mk(0x3f, 1, 2, 2, 0), exit_ };
		char buf[256];
		struct bpfbox_log log = { .buf = buf, .size = sizeof(buf), .level = 0 };
		CHECK(isa_decode(prog, 2, 0, NULL, &p, &at, &log) == -EINVAL && strstr(buf, "offset 2 selects no instruction"),
		      "unmatched sub-opcode named in the log: %s", buf);
	}
	CHECK(isa_decode(NULL, 0, 0, NULL, &p, &at, NULL) == -EINVAL, "empty program rejected");
	return check_summary();
}
