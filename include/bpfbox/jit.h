/* bpfbox — jit.h: compile a loaded program to native code.
 *
 * bpfbox_prog__jit() turns a program into x86-64 machine code that gives
 * the same results as the interpreter — same r0, same memory, same errors
 * at the same instruction.  Afterwards bpfbox_prog__run() uses the native
 * code (BPFBOX_ENGINE_DEFAULT or BPFBOX_ENGINE_JIT); a program the JIT
 * cannot compile keeps running on the interpreter.
 *
 * Safety: the code is written into a read-write mapping which is then made
 * read-execute; no mapping is ever writable and executable at once.  An
 * unverified program gets checked-mode code: its memory checks and
 * instruction budget are compiled in, so it can no more escape than it
 * could on the interpreter.  Constant blinding (like the kernel's
 * bpf_jit_harden) keeps attacker-chosen immediates out of executable
 * memory.
 */
#ifndef BPFBOX_JIT_H
#define BPFBOX_JIT_H

#include "bpfbox/common.h"
#include "bpfbox/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfbox_jit_opts {
	size_t sz;
	struct bpfbox_log *log; /* why the program could not be compiled */
	bool blind;             /* constant blinding */
	bool force_checked;     /* checked-mode code even for a verified program */
};
#define bpfbox_jit_opts__last_field force_checked

/* Compile `prog` to native code (replacing code from an earlier call).
 * The code is checked-mode code unless the program is marked verified
 * (bpfbox_prog__set_verified) and opts->force_checked is false; checked
 * code also serves verified runs, unchecked code only verified ones.
 * Unchecked code of a program marked zero_stack (bpfbox_prog__set_zero_stack)
 * zeroes call frames; set the marks before compiling.  The program's
 * callbacks (the programs its `lddw func` values run, as the VM's
 * func_prog hook tells) are compiled along with it, each in the mode its
 * own verification allows; one that cannot be compiled runs on the
 * interpreter (logged, not an error).  Helpers are bound at this point:
 * register them first.  The code belongs to the program and is freed with
 * it.
 * Returns 0; -ENOTSUP when this program or host cannot be compiled (the
 * reason, "jit: ...", goes to opts->log; the program still runs on the
 * interpreter); -ENOMEM; -EINVAL (bad arguments). */
BPFBOX_API int bpfbox_prog__jit(struct bpfbox_prog *prog, const struct bpfbox_jit_opts *opts);

/* The native code of a compiled program: a borrowed pointer to *len bytes
 * (read-only, valid until the program is freed or compiled again), or NULL
 * when the program has none.  Offset 0 is the entry point. */
BPFBOX_API const void *bpfbox_prog__jited(const struct bpfbox_prog *prog, size_t *len);

/* True when this build can compile programs on this host. */
BPFBOX_API bool bpfbox_jit__available(void);

#ifdef __cplusplus
}
#endif
#endif
