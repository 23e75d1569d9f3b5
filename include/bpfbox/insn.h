/* bpfbox — insn.h: the eBPF instruction as it is encoded (RFC 9669).
 *
 * Eight bytes, little-endian: opcode, dst (low nibble) and src (high
 * nibble) registers, a signed 16-bit offset and a signed 32-bit immediate.
 * `lddw` occupies two such slots; the second has opcode 0 and carries the
 * upper 32 bits of the immediate.  The layout matches the kernel's
 * struct bpf_insn, so arrays of either can be passed to the other.
 */
#ifndef BPFBOX_INSN_H
#define BPFBOX_INSN_H

#include "bpfbox/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfbox_insn {
	uint8_t code;
	uint8_t dst : 4;
	uint8_t src : 4;
	int16_t off;
	int32_t imm;
};

_Static_assert(sizeof(struct bpfbox_insn) == 8, "instruction slot is 8 bytes");

#define BPFBOX_MAX_REG 10     /* r0..r10; r10 is the read-only frame pointer */
#define BPFBOX_STACK_SIZE 512 /* bytes of stack per call frame */
#define BPFBOX_MAX_CALL_DEPTH 8

/* A helper call with this imm stands for an instruction a loader could not
 * relocate: libbpf's CO-RE "bad relo" marker (0xbad2310 = 195896080),
 * which the object loader writes the same way and describes
 * (bpfbox_obj_prog__poison_note).  No helper has this number. */
#define BPFBOX_CORE_POISON 0xbad2310

/* Why a decode failed: isa_decode()/bpfbox_insns__validate() report one of
 * these with the index of the offending slot. */
enum bpfbox_decode_err {
	BPFBOX_DECODE_OK = 0,
	BPFBOX_DECODE_UNKNOWN_OPCODE,
	BPFBOX_DECODE_BAD_FIELD,     /* a field that must be zero (or one value) is not */
	BPFBOX_DECODE_BAD_REGISTER,  /* register number > 10 */
	BPFBOX_DECODE_WRITES_R10,    /* an instruction would write the frame pointer */
	BPFBOX_DECODE_LDDW_TRUNCATED,/* lddw in the last slot */
	BPFBOX_DECODE_LDDW_BAD_HALF, /* the second slot of lddw is not opcode 0 with zero fields */
	BPFBOX_DECODE_JUMP_RANGE,    /* jump/call target outside the program */
	BPFBOX_DECODE_JUMP_INTO_LDDW,/* jump/call target is the second slot of lddw */
	BPFBOX_DECODE_EMPTY,         /* zero instructions */
	BPFBOX_DECODE_TOO_LONG,      /* more slots than the limit */
};

/* Check that insns[0..n) is a well-formed program: every slot decodes, every
 * jump and local call lands on an instruction inside the program.  Returns 0,
 * or -EINVAL with *err_index set to the slot at fault and a one-line reason
 * ("insn 3: unknown opcode 0x8e") written to log (may be NULL). */
BPFBOX_API int bpfbox_insns__validate(const struct bpfbox_insn *insns, size_t n,
				      size_t *err_index, struct bpfbox_log *log);

#ifdef __cplusplus
}
#endif
#endif
