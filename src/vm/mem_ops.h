/* bpfbox — vm/mem_ops.h: the memory instructions of an engine written in C,
 * once for the interpreter (interp_body.h) and the JIT's budget tail
 * (jit/jit_rt.c), which must fault and compute exactly alike.
 *
 * The includer defines DST, SRC, OFF, reg (the register array), PCIDX,
 * CHECK_ACCESS(addr, size, write) (nothing for unchecked code; else report
 * the fault and leave) and MISALIGNED_ATOMIC(size, addr) (report and
 * leave), then includes this, and #undefs what it defines when done.
 *
 * Loads and stores go through memcpy: eBPF allows unaligned accesses and
 * memcpy is how C says "these bytes, any alignment" without undefined
 * behaviour; compilers turn it into one mov.  Atomics must be aligned
 * (x86 would do them anyway, but other hosts and the kernel do not), and
 * are sequentially consistent, as the kernel's are.
 */
#define LOAD(T, base, off) ({                                              \
		uint64_t la_ = (base) + (uint64_t)(int64_t)(off);          \
		CHECK_ACCESS(la_, sizeof(T), false);                       \
		T lv_;                                                     \
		memcpy(&lv_, (const void *)(uintptr_t)la_, sizeof(T));     \
		lv_; })
#define STORE(T, base, off, val) do {                                      \
		uint64_t sa_ = (base) + (uint64_t)(int64_t)(off);          \
		CHECK_ACCESS(sa_, sizeof(T), true);                        \
		T sv_ = (T)(val);                                          \
		memcpy((void *)(uintptr_t)sa_, &sv_, sizeof(T));           \
	} while (0)
#define ATOMIC_ADDR(T) ({                                                  \
		uint64_t aa_ = DST + (uint64_t)(int64_t)OFF;               \
		CHECK_ACCESS(aa_, sizeof(T), true);                        \
		if (UNLIKELY(aa_ & (sizeof(T) - 1)))                       \
			MISALIGNED_ATOMIC(sizeof(T), aa_);                 \
		(T *)(uintptr_t)aa_; })
#define ATOMIC_OP(T, op, fetch) do {                                       \
		T *p_ = ATOMIC_ADDR(T);                                    \
		T old_ = __atomic_fetch_##op(p_, (T)SRC, __ATOMIC_SEQ_CST); \
		if (fetch)                                                 \
			SRC = old_;                                        \
	} while (0)
#define ATOMIC_XCHG(T) do {                                                \
		T *p_ = ATOMIC_ADDR(T);                                    \
		SRC = __atomic_exchange_n(p_, (T)SRC, __ATOMIC_SEQ_CST);   \
	} while (0)
#define ATOMIC_CMPXCHG(T) do {                                             \
		T *p_ = ATOMIC_ADDR(T);                                    \
		T exp_ = (T)reg[0];                                        \
		__atomic_compare_exchange_n(p_, &exp_, (T)SRC, false,      \
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
		reg[0] = exp_;                                             \
	} while (0)
