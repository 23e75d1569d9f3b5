/* bpfbox — helpers/h_misc.c: time, randomness, CPU, the current task, memory
 * of the task, stacks, spin locks, signals.
 *
 * "The current task" is the run's bpfbox_hook_env (the hook fills it: the
 * traced process for syscall tracing), or this process and thread for a
 * plain run.  Memory reads go through the hook's read_mem, or, for this
 * process, through process_vm_readv on ourselves, which fails with EFAULT
 * on an unmapped address instead of faulting — so a probe_read of garbage
 * is -EFAULT (and a zeroed buffer), exactly the kernel's answer.  Writes
 * (probe_write_user) are the dangerous direction: without a hook callback
 * only memory of the run's own context region may be written, never the
 * rest of the host.
 *
 * Return codes and buffer handling follow the kernel's implementations
 * (kernel/trace/bpf_trace.c, kernel/bpf/helpers.c): failed reads zero the
 * destination, *_str returns the length including the NUL, get_current_comm
 * pads with zeros, get_stack zeroes what it does not fill.  One deviation:
 * *_str also zeroes the buffer after the NUL (the kernel leaves it as it
 * was).  The verifier counts a helper's whole output buffer as written, and
 * bpfbox's unchecked stack is not cleared, so every byte of such a buffer
 * must be written on every path, or stale host bytes would pass as data.
 * The legacy probe_read/_str pick user or kernel memory by address, like
 * the kernel's compat versions: the run's own memory is "kernel".
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "hlp.h"

/* ---- time, random, cpu ---------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t hlp_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  struct bpfbox_exec *ex)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t hlp_ktime_get_boot_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       struct bpfbox_exec *ex)
{
	return clock_ns(CLOCK_BOOTTIME);
}

uint64_t hlp_ktime_get_coarse_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				 uint64_t r5, struct bpfbox_exec *ex)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

uint64_t hlp_ktime_get_tai_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct bpfbox_exec *ex)
{
	return clock_ns(CLOCK_TAI);
}

/* The kernel's jiffies_64 starts at INITIAL_JIFFIES (5 minutes before the
 * 32-bit counter wraps) and ticks CONFIG_HZ times a second. */
uint64_t hlp_jiffies64(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct bpfbox_exec *ex)
{
	uint64_t initial = (uint64_t)(uint32_t)(-300 * HLP_HZ);
	return initial + clock_ns(CLOCK_BOOTTIME) / (1000000000ull / HLP_HZ);
}

uint64_t hlp_get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	struct bpfbox_env *env = hlp_env(ex);
	uint64_t z;
	if (env)
		z = __atomic_add_fetch(&env->prandom, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
	else
		z = clock_ns(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)&z;
	/* splitmix64's output function */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(z ^ (z >> 31));
}

uint64_t hlp_get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct bpfbox_exec *ex)
{
	struct bpfbox_env *env = hlp_env(ex);
	return hlp_cpu(ex, env ? env->nr_cpus : 0);
}

uint64_t hlp_get_numa_node_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct bpfbox_exec *ex)
{
	return 0;
}

/* ---- the current task -------------------------------------------------------------- */

uint64_t hlp_get_current_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct bpfbox_exec *ex)
{
	struct bpfbox_hook_env tmp;
	const struct bpfbox_hook_env *t = hlp_task(ex, &tmp);
	return (uint64_t)t->tgid << 32 | t->pid;
}

uint64_t hlp_get_current_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				 uint64_t r5, struct bpfbox_exec *ex)
{
	struct bpfbox_hook_env tmp;
	const struct bpfbox_hook_env *t = hlp_task(ex, &tmp);
	return (uint64_t)t->gid << 32 | t->uid;
}

uint64_t hlp_get_current_comm(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct bpfbox_exec *ex)
{
	if (!r2 || hlp_mem(ex, r1, r2, true, "get_current_comm", "buf"))
		return (uint64_t)-EINVAL;
	struct bpfbox_hook_env tmp;
	const struct bpfbox_hook_env *t = hlp_task(ex, &tmp);
	char *buf = (char *)(uintptr_t)r1;
	size_t n = strnlen(t->comm, sizeof(t->comm));
	if (n > r2 - 1)
		n = r2 - 1;
	memcpy(buf, t->comm, n);
	memset(buf + n, 0, r2 - n); /* strscpy_pad */
	return 0;
}

static bool has_field(const struct bpfbox_hook_env *t, size_t off, size_t size)
{
	return t->sz >= off + size;
}
#define HAS(t, f) has_field((t), offsetof(struct bpfbox_hook_env, f), sizeof((t)->f))

uint64_t hlp_get_current_task(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct bpfbox_exec *ex)
{
	struct bpfbox_hook_env tmp;
	const struct bpfbox_hook_env *t = hlp_task(ex, &tmp);
	return HAS(t, task) ? t->task : 0;
}

uint64_t hlp_get_current_task_btf(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				  uint64_t r5, struct bpfbox_exec *ex)
{
	return hlp_get_current_task(r1, r2, r3, r4, r5, ex);
}

uint64_t hlp_get_current_cgroup_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				   uint64_t r5, struct bpfbox_exec *ex)
{
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	if (h && HAS(h, cgroup_id))
		return h->cgroup_id;
	return util_task_cgroup_id(0);
}

static uint64_t signal_common(struct bpfbox_exec *ex, uint64_t sig, bool thread)
{
	if (sig == 0 || sig >= 65)
		return (uint64_t)-EINVAL;
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	if (h && HAS(h, send_signal) && h->send_signal)
		return (uint64_t)(int64_t)h->send_signal(h->ud, (uint32_t)sig, thread);
	/* a plain run's "current task" is bpfbox itself: never signal the host */
	return (uint64_t)-EPERM;
}

uint64_t hlp_send_signal(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 struct bpfbox_exec *ex)
{
	return signal_common(ex, (uint32_t)r1, false);
}

uint64_t hlp_send_signal_thread(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				struct bpfbox_exec *ex)
{
	return signal_common(ex, (uint32_t)r1, true);
}

/* ---- memory of the task ----------------------------------------------------------- */

static int self_read(uint64_t addr, void *dst, size_t len)
{
	if (!len)
		return 0;
	struct iovec local = { dst, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* no process_vm_readv (seccomp): a pipe checks the source for us */
		int p[2];
		if (pipe2(p, O_CLOEXEC))
			return -EFAULT;
		int err = 0;
		for (size_t off = 0; off < len && !err;) {
			size_t c = len - off > 4096 ? 4096 : len - off;
			ssize_t w = write(p[1], (const char *)(uintptr_t)addr + off, c);
			if (w <= 0 || read(p[0], (char *)dst + off, (size_t)w) != w)
				err = -EFAULT;
			else
				off += (size_t)w;
		}
		close(p[0]);
		close(p[1]);
		return err;
	}
	return -EFAULT;
}

/* Read the task's memory (hook callback, or this process). */
int hlp_read_any(struct bpfbox_exec *ex, uint64_t addr, void *dst, size_t len, bool user);
int hlp_read_any(struct bpfbox_exec *ex, uint64_t addr, void *dst, size_t len, bool user)
{
	if (!len)
		return 0; /* nothing to read (and no memcpy from a NULL address) */
	/* kernel reads of the run's own memory (stack, context, map values:
	 * bpfbox's "kernel") need no reader */
	if (!user && bpfbox_exec__owns(ex, addr, len)) {
		memmove(dst, (const void *)(uintptr_t)addr, len); /* may overlap */
		return 0;
	}
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	if (h && HAS(h, read_mem) && h->read_mem)
		return h->read_mem(h->ud, addr, dst, len, user);
	if (bpfbox_exec__checked(ex) && !bpfbox_exec__check_mem(ex, addr, len, false)) {
		memmove(dst, (const void *)(uintptr_t)addr, len); /* may overlap */
		return 0;
	}
	return self_read(addr, dst, len);
}

static uint64_t probe_read(struct bpfbox_exec *ex, uint64_t dst, uint64_t size, uint64_t src,
			   bool user, const char *name)
{
	if (size && hlp_mem(ex, dst, size, true, name, "dst"))
		return (uint64_t)-EFAULT;
	void *d = (void *)(uintptr_t)dst;
	int err = hlp_read_any(ex, src, d, size, user);
	if (err) {
		hlp_zero(d, size);
		return (uint64_t)(int64_t)(err < 0 ? err : -EFAULT);
	}
	return 0;
}

static uint64_t probe_read_str(struct bpfbox_exec *ex, uint64_t dst, uint64_t size, uint64_t src,
			       bool user, const char *name)
{
	if (!size)
		return 0;
	if (hlp_mem(ex, dst, size, true, name, "dst"))
		return (uint64_t)-EFAULT;
	char *d = (char *)(uintptr_t)dst;
	/* page by page, so a string ending just before an unmapped page reads */
	uint64_t n = 0;
	while (n < size - 1) {
		uint64_t page_left = 4096 - ((src + n) & 4095);
		uint64_t c = size - 1 - n < page_left ? size - 1 - n : page_left;
		if (hlp_read_any(ex, src + n, d + n, c, user)) {
			/* the chunk failed as a whole: the string may still end
			 * before the fault */
			for (uint64_t k = 0; k < c; k++) {
				if (hlp_read_any(ex, src + n + k, d + n + k, 1, user))
					break;
				if (!d[n + k]) {
					hlp_zero(d + n + k + 1, size - (n + k) - 1);
					return n + k + 1;
				}
			}
			hlp_zero(d, size);
			return (uint64_t)-EFAULT;
		}
		char *z = memchr(d + n, 0, c);
		if (z) {
			n = (uint64_t)(z - d);
			hlp_zero(z + 1, size - n - 1);
			return n + 1;
		}
		n += c;
	}
	d[n] = 0;
	return n + 1;
}

/* The legacy bpf_probe_read and bpf_probe_read_str decide by address, as
 * the kernel's compat versions do where user and kernel addresses do not
 * overlap: the run's own memory is kernel memory, anything else user. */
static bool legacy_user(struct bpfbox_exec *ex, uint64_t src)
{
	return !bpfbox_exec__owns(ex, src, 1);
}

uint64_t hlp_probe_read(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			struct bpfbox_exec *ex)
{
	return probe_read(ex, r1, r2, r3, legacy_user(ex, r3), "probe_read");
}

uint64_t hlp_probe_read_user(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct bpfbox_exec *ex)
{
	return probe_read(ex, r1, r2, r3, true, "probe_read_user");
}

uint64_t hlp_probe_read_kernel(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       struct bpfbox_exec *ex)
{
	return probe_read(ex, r1, r2, r3, false, "probe_read_kernel");
}

uint64_t hlp_probe_read_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    struct bpfbox_exec *ex)
{
	return probe_read_str(ex, r1, r2, r3, legacy_user(ex, r3), "probe_read_str");
}

uint64_t hlp_probe_read_user_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 struct bpfbox_exec *ex)
{
	return probe_read_str(ex, r1, r2, r3, true, "probe_read_user_str");
}

uint64_t hlp_probe_read_kernel_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				   uint64_t r5, struct bpfbox_exec *ex)
{
	return probe_read_str(ex, r1, r2, r3, false, "probe_read_kernel_str");
}

uint64_t hlp_probe_write_user(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      struct bpfbox_exec *ex)
{
	if (hlp_mem(ex, r2, r3, false, "probe_write_user", "src"))
		return (uint64_t)-EFAULT;
	if (!r3)
		return 0;
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	if (h && HAS(h, write_mem) && h->write_mem)
		return (uint64_t)(int64_t)h->write_mem(h->ud, r1, (const void *)(uintptr_t)r2, r3);
	/* This process: only the run's own writable context region (checked
	 * or not — a verifier cannot prove a user pointer), never the host. */
	size_t clen;
	bool cw;
	uint64_t c = (uint64_t)(uintptr_t)bpfbox_exec__ctx(ex, &clen, &cw);
	if (!cw || r1 - c >= clen || clen - (r1 - c) < r3)
		return (uint64_t)-EPERM;
	memmove((void *)(uintptr_t)r1, (const void *)(uintptr_t)r2, r3);
	return 0;
}

/* ---- stacks ------------------------------------------------------------------------ */

#define F_SKIP_MASK 0xffull
#define F_USER_STACK (1ull << 8)
#define F_USER_BUILD_ID (1ull << 11)

uint64_t hlp_get_stack(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct bpfbox_exec *ex)
{
	if (r3 && hlp_mem(ex, r2, r3, true, "get_stack", "buf"))
		return (uint64_t)-EFAULT;
	uint8_t *buf = (uint8_t *)(uintptr_t)r2;
	bool user = r4 & F_USER_STACK;
	uint32_t skip = (uint32_t)(r4 & F_SKIP_MASK);
	if (r4 & ~(F_SKIP_MASK | F_USER_STACK | F_USER_BUILD_ID) || r3 % 8 ||
	    (r4 & F_USER_BUILD_ID)) {
		hlp_zero(buf, r3);
		return (uint64_t)-EINVAL;
	}
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	if (!h || !HAS(h, get_stack) || !h->get_stack) {
		hlp_zero(buf, r3);
		return (uint64_t)-EFAULT;
	}
	uint64_t ips[128];
	int n = h->get_stack(h->ud, ips, 128, user);
	if (n < 0 || (uint32_t)n <= skip) {
		hlp_zero(buf, r3);
		return (uint64_t)(int64_t)(n < 0 ? n : -EFAULT);
	}
	uint64_t have = (uint64_t)(n - (int)skip) * 8;
	uint64_t copy = have < r3 ? have : r3;
	memcpy(buf, &ips[skip], copy);
	memset(buf + copy, 0, r3 - copy);
	return copy;
}

uint64_t hlp_get_stackid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 struct bpfbox_exec *ex)
{
	struct bpfbox_map *m = hlp_map(ex, r2, "get_stackid");
	if (!m)
		return (uint64_t)-EINVAL;
	/* stack-trace maps are not a bpfbox map type (the maps layer refuses
	 * to create them), so no map a program holds can take stacks */
	if (bpfbox_map__type(m) != BPFBOX_MAP_TYPE_STACK_TRACE)
		return (uint64_t)-EINVAL;
	return (uint64_t)-EFAULT;
}

uint64_t hlp_get_func_ip(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 struct bpfbox_exec *ex)
{
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	return h && HAS(h, func_ip) ? h->func_ip : 0;
}

uint64_t hlp_get_attach_cookie(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       struct bpfbox_exec *ex)
{
	const struct bpfbox_hook_env *h = bpfbox_exec__hook(ex);
	return h && HAS(h, cookie) ? h->cookie : 0;
}

/* ---- spin locks --------------------------------------------------------------------- */

/* struct bpf_spin_lock { __u32 val; } inside a map value.  The kernel's
 * verifier guarantees a lock is released before the program exits and that
 * no helper is called while it is held; a checked-mode program has no such
 * proof, so taking a lock gives up (and stops the run) after a bounded
 * wait instead of hanging the host on a lock it will never get. */
#define SPIN_ROUNDS (1u << 22)

uint64_t hlp_spin_lock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		       struct bpfbox_exec *ex)
{
	if (r1 % 4) {
		bpfbox_exec__abort(ex, -EINVAL, "bpf_spin_lock: misaligned lock at 0x%llx",
				   (unsigned long long)r1);
		return 0;
	}
	if (hlp_mem(ex, r1, 4, true, "spin_lock", "lock"))
		return 0;
	uint32_t *lock = (uint32_t *)(uintptr_t)r1;
	for (uint32_t i = 0; i < SPIN_ROUNDS; i++) {
		uint32_t zero = 0;
		if (__atomic_compare_exchange_n(lock, &zero, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 0;
		if (i % 64 == 63)
			sched_yield();
	}
	bpfbox_exec__abort(ex, -EDEADLK, "bpf_spin_lock: lock at 0x%llx never became free",
			   (unsigned long long)r1);
	return 0;
}

uint64_t hlp_spin_unlock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			 struct bpfbox_exec *ex)
{
	if (r1 % 4) {
		bpfbox_exec__abort(ex, -EINVAL, "bpf_spin_unlock: misaligned lock at 0x%llx",
				   (unsigned long long)r1);
		return 0;
	}
	if (hlp_mem(ex, r1, 4, true, "spin_unlock", "lock"))
		return 0;
	__atomic_store_n((uint32_t *)(uintptr_t)r1, 0, __ATOMIC_RELEASE);
	return 0;
}
