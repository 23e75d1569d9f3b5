/* bpfbox — vm/interp.c: the interpreter, in its four builds.
 *
 * The loop itself is in interp_body.h (see the essay there); this file
 * gives it the primitives that are functions rather than macros and
 * instantiates it four times: computed-goto and switch dispatch, each with
 * and without checked-mode checks.  Building both dispatch forms into every
 * binary means every test exercises both (the switch form is what a
 * compiler without labels-as-values would get), and the unchecked form is
 * what verified programs run.
 */
#include <errno.h>
#include <string.h>
#include "vm.h"

/* Call helper `id` with r1..r5; r0 gets the result.  Returns -1 (with the
 * run's error set) when no such helper is registered. */
static inline int call_helper(struct bpfbox_exec *ex, uint64_t *reg, uint32_t id, size_t pc)
{
	const struct vm_helper *h = id < BPFBOX_MAX_HELPERS ? &ex->vm->helpers[id] : NULL;
	if (UNLIKELY(!h || !h->fn)) {
		vm_error(ex, pc, -ENOENT, "call to unknown helper %u", id);
		return -1;
	}
	ex->pc = pc;
	ex->call_r10 = reg[10];
	reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5], ex);
	return 0;
}

/* Legacy packet load (LD_ABS/LD_IND): r0 = the big-endian value at `off`
 * in the packet.  Out of bounds ends the program with r0 = 0, as in the
 * kernel.  Returns 1 when the program must end. */
static inline int ld_pkt(struct bpfbox_exec *ex, uint64_t *reg, uint64_t off, unsigned bits)
{
	unsigned n = bits / 8;
	if (!ex->pkt || off > ex->pkt_len || n > ex->pkt_len - off) {
		reg[0] = 0;
		return 1;
	}
	const uint8_t *p = ex->pkt + off;
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	reg[0] = v;
	return 0;
}

#define INTERP_NAME vm_interp_goto_checked
#define INTERP_GOTO 1
#define INTERP_CHECKED 1
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_GOTO
#undef INTERP_CHECKED

#define INTERP_NAME vm_interp_goto_unchecked
#define INTERP_GOTO 1
#define INTERP_CHECKED 0
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_GOTO
#undef INTERP_CHECKED

#define INTERP_NAME vm_interp_switch_checked
#define INTERP_GOTO 0
#define INTERP_CHECKED 1
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_GOTO
#undef INTERP_CHECKED

#define INTERP_NAME vm_interp_switch_unchecked
#define INTERP_GOTO 0
#define INTERP_CHECKED 0
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_GOTO
#undef INTERP_CHECKED
