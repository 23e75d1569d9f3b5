/* bpfbox — jit/jit.c: the JIT's public entry points and its memory.
 *
 * Compiling is: generate (jit_x86_64.c) into ordinary memory, copy into a
 * fresh PROT_READ|PROT_WRITE mapping, then mprotect it to
 * PROT_READ|PROT_EXEC.  The mapping is never writable and executable at
 * once, and nothing writes it after the switch (W^X).  The unused tail of
 * the last page is filled with int3, so a stray jump traps.
 *
 * The mapping is placed, when the kernel agrees, within reach of a rel32
 * call from this library's code: the generator then calls helpers and its
 * run-time functions directly (`call rel32`) instead of through a
 * register.  The placement is only a hint; far code still works.
 *
 * A program the generator cannot handle gets -ENOTSUP and a log line with
 * the reason; its runs stay on the interpreter.
 *
 * Callbacks.  A program's callbacks (the functions it hands bpf_loop and
 * bpf_for_each_map_elem, loaded as programs of their own by the helpers
 * layer) run as nested calls, on their own JIT code when they have it.
 * Compiling a program therefore compiles them too: every `lddw rX, func`
 * in it names one (the VM's func_prog hook says which program), and theirs
 * name further ones; each is compiled once per call, in the mode its own
 * verification allows, zeroing frames when the program that calls it does
 * (a callback's stack reads were judged as part of its caller).  One that
 * cannot be compiled keeps running on the interpreter; that is logged, not
 * an error of the caller's compilation.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "jit.h"

static void jit_release(struct vm_jit_code *base)
{
	struct jit_code *c = (struct jit_code *)base;
	if (c->image)
		munmap(c->image, c->map_len);
	util_free(c->alloc, c, sizeof(*c));
}

struct jit_code *jit_code_of(const struct bpfbox_prog *prog)
{
	if (!prog->jit || prog->jit->release != jit_release)
		return NULL;
	return (struct jit_code *)prog->jit;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	return (n + pg - 1) / pg * pg;
}

/* mmap callback of the generator: a RW mapping of at least `bound` bytes,
 * near this library's text when possible. */
static void *map_image(void *ud, size_t bound)
{
	struct jit_code *c = ud;
	size_t len = page_round(bound);
	uintptr_t near = (uintptr_t)&jit_rt_enter & ~(uintptr_t)0x1fffff;
	/* below the text first (above it the heap grows), then anywhere */
	static const uintptr_t below[] = { 0x10000000, 0x20000000, 0x40000000 };
	void *p = MAP_FAILED;
	for (size_t i = 0; i < sizeof(below) / sizeof(below[0]) && p == MAP_FAILED; i++) {
		if (near <= below[i])
			continue;
		void *hint = (void *)(near - below[i]);
		p = mmap(hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED && p != hint) {
			munmap(p, len);
			p = MAP_FAILED;
		}
	}
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	c->image = p;
	c->map_len = len;
	return p;
}

BPFBOX_API bool bpfbox_jit__available(void)
{
#if defined(__x86_64__)
	return true;
#else
	return false;
#endif
}

/* Compile one program; zero: its unchecked code zeroes call frames. */
static int compile_one(struct bpfbox_prog *prog, bool force_checked, bool blind, bool zero,
		       struct bpfbox_log *log)
{
	const struct util_alloc *a = &prog->vm->alloc;
	struct jit_code *c = util_calloc(a, 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->alloc = a;
	struct jit_gen_opts go = {
		.checked = !prog->verified || force_checked,
		.blind = blind,
		.zero_stack = zero,
		.log = log,
	};
	struct jit_image img;
	const char *why = NULL;
	int err = jit_x86_64_generate(prog, &go, map_image, c, &img, &why);
	if (err) {
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "jit: prog '%s': cannot compile: %s%s",
				   prog->name, why ? why : strerror(-err),
				   err == -ENOTSUP ? "; using the interpreter" : "");
		jit_release(&c->base);
		return err;
	}
	memcpy(c->image, img.code, img.len);
	memset((uint8_t *)c->image + img.len, 0xcc, c->map_len - img.len); /* int3 */
	util_free(a, img.code, img.cap);
	if (mprotect(c->image, c->map_len, PROT_READ | PROT_EXEC)) {
		err = -errno;
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "jit: prog '%s': mprotect: %s", prog->name,
				   strerror(-err));
		jit_release(&c->base);
		return err;
	}
	c->len = img.len;
	c->tail_entry = (uint8_t *)c->image + img.tail_entry;
	c->base.entry = (vm_jit_entry)c->image;
	c->base.checked = go.checked;
	c->base.zero_stack = !go.checked && zero;
	c->base.release = jit_release;
	if (prog->jit && prog->jit->release)
		prog->jit->release(prog->jit);
	prog->jit = &c->base;
	return 0;
}

/* The callbacks `prog` names (lddw src 4), appended to set[*n..cap) when
 * not there yet.  Returns -ENOMEM when the set cannot grow. */
static int add_callees(const struct bpfbox_prog *prog, struct bpfbox_prog ***set, size_t *n,
		       size_t *cap, const struct util_alloc *a)
{
	const struct isa_prog *code = &prog->code;
	for (size_t i = 0; i < code->n; i++) {
		const struct isa_insn *in = &code->insns[i];
		if (in->op == ISA_OP_INVALID || isa_info[in->op].shape != S_LDDW || in->src != 4)
			continue;
		struct bpfbox_prog *fn = vm_func_prog(prog, in->imm64);
		bool seen = !fn;
		for (size_t k = 0; k < *n && !seen; k++)
			seen = (*set)[k] == fn;
		if (seen)
			continue;
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 8;
			struct bpfbox_prog **p = util_realloc(a, *set, *cap * sizeof(**set),
							      ncap * sizeof(**set));
			if (!p)
				return -ENOMEM;
			*set = p;
			*cap = ncap;
		}
		(*set)[(*n)++] = fn;
	}
	return 0;
}

BPFBOX_API int bpfbox_prog__jit(struct bpfbox_prog *prog, const struct bpfbox_jit_opts *opts)
{
	if (!prog || !OPTS_VALID(opts, bpfbox_jit_opts))
		return -EINVAL;
	struct bpfbox_log *log = OPTS_GET(opts, log, NULL);
	if (!bpfbox_jit__available()) {
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR,
				   "jit: prog '%s': native code is x86-64 only; using the interpreter",
				   prog->name);
		return -ENOTSUP;
	}
	bool force = OPTS_GET(opts, force_checked, false), blind = OPTS_GET(opts, blind, false);
	bool zero = prog->verified && prog->zero_stack;
	int err = compile_one(prog, force, blind, zero, log);
	if (err)
		return err;
	/* its callbacks, and theirs (a worklist: set[0..done) compiled) */
	const struct util_alloc *a = &prog->vm->alloc;
	struct bpfbox_prog **set = NULL;
	size_t n = 0, cap = 0;
	int cerr = add_callees(prog, &set, &n, &cap, a);
	for (size_t done = 0; !cerr && done < n; done++) {
		struct bpfbox_prog *fn = set[done];
		if (fn == prog)
			continue;
		if (!compile_one(fn, force, blind, zero || (fn->verified && fn->zero_stack), log))
			cerr = add_callees(fn, &set, &n, &cap, a);
	}
	util_free(a, set, cap * sizeof(*set));
	if (cerr)
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR,
				   "jit: prog '%s': out of memory listing its callbacks; they use the "
				   "interpreter", prog->name);
	return 0;
}

BPFBOX_API const void *bpfbox_prog__jited(const struct bpfbox_prog *prog, size_t *len)
{
	const struct jit_code *c = prog ? jit_code_of(prog) : NULL;
	if (len)
		*len = c ? c->len : 0;
	return c ? c->image : NULL;
}
