/* bpfbox — helpers/fmt.c: the printf of bpf_trace_printk, bpf_trace_vprintk
 * and bpf_snprintf, and the trace_pipe line.
 *
 * The kernel (bpf_bprintf_prepare + bstr_printf) accepts a small printf:
 * flags "0+- " and a width, then one of %d %i %u %x %X with l/ll, %c, %s,
 * %p and its %pK %px %pB %ps %pS %pi4 %pI4 %pi6 %pI6 %pks %pus forms, and
 * %%.  Anything else (precision, %f, %n, unknown letters, %p with another
 * letter), a string conversion followed by a letter or digit ("%sx"), a
 * non-printable character in the format, or more specifiers than
 * arguments is -EINVAL.  Integer arguments are cut to their size (int,
 * long, long long).
 *
 * Which memory a conversion reads follows the kernel 6.18 rules, with
 * bpfbox's run standing for the kernel: "kernel memory" is the run's own
 * memory (its stack, context, map values, granted memory:
 * bpfbox_exec__owns), read directly; anything else goes to the hook's
 * memory reader (bpfbox_hook_env.read_mem: the traced process under
 * `bpfbox trace`, this process otherwise) —
 *   %s    by address, as the kernel does where user and kernel addresses
 *         do not overlap (x86-64: below TASK_SIZE is user): the run's own
 *         memory is read directly, anything else as user memory;
 *   %pks  kernel memory (the run's own, else the hook's kernel reader);
 *   %pus  user memory;
 *   %pI4 %pi4 %pI6 %pi6  the 4 or 16 address bytes as kernel memory
 *         (copy_from_kernel_nofault); unreadable bytes print as zeros;
 *   %pB %ps %pS  no read: the kernel prints a symbol, or "0x" and the
 *         address when there is none — bpfbox has no symbols;
 *   %p %pK %px   the pointer value, no read.
 * A string that cannot be read prints as "" (the kernel's nofault copy).
 * Strings, characters and numbers share the kernel's 512-byte argument
 * buffer (MAX_BPRINTF_BIN_ARGS): a string is cut to the room left, and no
 * room at all is -ENOSPC.  Output is cut at the buffer size and always
 * NUL-terminated; the length returned is what was written (trace_printk)
 * and the caller adds one for bpf_snprintf's "including the NUL".
 *
 * Differences: %p and %pK print the raw pointer (the kernel hashes them).
 */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "hlp.h"

int hlp_read_any(struct bpfbox_exec *ex, uint64_t addr, void *dst, size_t len, bool user);

/* "Kernel" memory: the run's own directly, else the hook's kernel reader
 * (this process when there is no hook).  0 or -EFAULT. */
static int read_kernel(struct bpfbox_exec *ex, uint64_t addr, void *dst, size_t len)
{
	return hlp_read_any(ex, addr, dst, len, false) ? -EFAULT : 0;
}

/* A NUL-terminated string of at most max bytes with its NUL (max >= 1),
 * from kernel or user memory, like the kernel's strncpy_from_*_nofault:
 * returns its length with the NUL (cut at max), or -1 when the memory ends
 * before the string does (buf is "" then). */
static long read_str(struct bpfbox_exec *ex, uint64_t addr, char *buf, size_t max, bool user)
{
	size_t n = 0;
	while (n + 1 < max) {
		char c;
		int err = user ? hlp_read_any(ex, addr + n, &c, 1, true)
			       : read_kernel(ex, addr + n, &c, 1);
		if (err) {
			buf[0] = 0; /* a fault before the end: nothing (the kernel's rule) */
			return -1;
		}
		if (!c)
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return (long)n + 1;
}

/* The formats below are rebuilt from the program's own format string after
 * it was validated specifier by specifier (flags, width, one conversion
 * whose argument type is fixed here), so a non-literal format is safe. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

struct out {
	char *p;
	size_t size, len; /* len: bytes that would have been written */
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->len < o->size ? o->size - o->len : 0;
	int n = vsnprintf(room ? o->p + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

#define BPRINTF_BIN_ARGS 512 /* the kernel's MAX_BPRINTF_BIN_ARGS */

/* Take n bytes of the argument buffer, aligned to 4 first when `align`
 * (numbers and pointers are stored as u32 words).  0 or -ENOSPC. */
static int take(size_t *room, size_t n, bool align)
{
	size_t r = align ? *room & ~(size_t)3 : *room;
	if (r < n)
		return -ENOSPC;
	*room = r - n;
	return 0;
}

/* What may follow a string conversion: the end, a space or punctuation
 * (the kernel refuses "%sx": it would read as an unknown %s variant). */
static bool str_end_ok(char c)
{
	return !c || isspace((unsigned char)c) || ispunct((unsigned char)c);
}

long hlp_format(struct bpfbox_exec *ex, char *outbuf, size_t outsz, const char *fmt,
		size_t fmtlen, const uint64_t *args, uint32_t nargs, const char *helper)
{
	(void)helper;
	const char *end = memchr(fmt, 0, fmtlen);
	if (!end)
		return -EINVAL;
	struct out o = { outbuf, outsz, 0 };
	if (outsz)
		outbuf[0] = 0;
	uint32_t used = 0;
	size_t room = BPRINTF_BIN_ARGS; /* the kernel's argument buffer */
	for (const char *s = fmt; s < end; s++) {
		if ((!isprint((unsigned char)*s) && !isspace((unsigned char)*s)) ||
		    !isascii((unsigned char)*s))
			return -EINVAL;
		if (*s != '%') {
			put(&o, "%c", *s);
			continue;
		}
		if (s[1] == '%') {
			put(&o, "%%");
			s++;
			continue;
		}
		if (used >= nargs)
			return -EINVAL;
		uint64_t arg = args[used++];
		/* the spec: % flags width conversion, rebuilt for snprintf */
		char spec[32] = "%";
		size_t k = 1;
		s++;
		while ((*s == '0' || *s == '+' || *s == '-' || *s == ' ') && k < 8)
			spec[k++] = *s++;
		if (*s >= '1' && *s <= '9')
			while (isdigit((unsigned char)*s) && k < 16)
				spec[k++] = *s++;
		char str[BPRINTF_BIN_ARGS];
		bool user = false;
		if (*s == 'p') {
			char p1 = s[1];
			if (!p1 || isspace((unsigned char)p1) || ispunct((unsigned char)p1)) {
				/* plain %p: the value */
				if (take(&room, 8, true))
					return -ENOSPC;
				put(&o, "%016llx", (unsigned long long)arg);
				continue;
			}
			if ((p1 == 'k' || p1 == 'u') && s[2] == 's') {
				user = p1 == 'u';
				s += 2;
				goto string;
			}
			if (p1 == 'K' || p1 == 'x') {
				s++;
				if (take(&room, 8, true))
					return -ENOSPC;
				put(&o, "%016llx", (unsigned long long)arg);
				continue;
			}
			if (p1 == 'B' || p1 == 's' || p1 == 'S') {
				/* a symbol; none here: the kernel's fallback */
				s++;
				int w = snprintf(str, sizeof(str), "0x%llx", (unsigned long long)arg);
				if (take(&room, (size_t)w + 1, false))
					return -ENOSPC;
				put(&o, "%s", str);
				continue;
			}
			if ((p1 != 'i' && p1 != 'I') || (s[2] != '4' && s[2] != '6'))
				return -EINVAL;
			bool v4 = s[2] == '4', caps = p1 == 'I';
			size_t n = v4 ? 4 : 16;
			s += 2;
			if (room < n) /* the raw bytes must fit first */
				return -ENOSPC;
			uint8_t b[16];
			if (read_kernel(ex, arg, b, n))
				memset(b, 0, n); /* the kernel prints zeros */
			size_t w = 0;
			if (v4) {
				w = (size_t)snprintf(str, sizeof(str),
						     caps ? "%u.%u.%u.%u" : "%03u.%03u.%03u.%03u",
						     b[0], b[1], b[2], b[3]);
			} else {
				for (int i = 0; i < 16; i += 2)
					w += (size_t)snprintf(str + w, sizeof(str) - w,
							      caps && i ? ":%02x%02x" : "%02x%02x",
							      b[i], b[i + 1]);
			}
			if (take(&room, w + 1, false))
				return -ENOSPC;
			put(&o, "%s", str);
			continue;
		}
		if (*s == 's') {
			/* by address: the run's own memory is "kernel", the rest
			 * user memory */
			user = !bpfbox_exec__owns(ex, arg, 1);
			goto string;
		}
		if (*s == 'c') {
			if (take(&room, 1, false))
				return -ENOSPC;
			spec[k++] = 'c';
			spec[k] = 0;
			put(&o, spec, (int)(unsigned char)arg);
			continue;
		}
		int size = 4;
		if (*s == 'l') {
			size = 8;
			s++;
			if (*s == 'l')
				s++;
		}
		char conv = *s;
		if (conv != 'd' && conv != 'i' && conv != 'u' && conv != 'x' && conv != 'X')
			return -EINVAL;
		if (take(&room, (size_t)size, true))
			return -ENOSPC;
		spec[k++] = 'l';
		spec[k++] = 'l';
		spec[k++] = conv;
		spec[k] = 0;
		if (conv == 'd' || conv == 'i') {
			long long v = size == 4 ? (long long)(int32_t)arg : (long long)arg;
			put(&o, spec, v);
		} else {
			unsigned long long v = size == 4 ? (uint32_t)arg : arg;
			put(&o, spec, v);
		}
		continue;
string:
		if (!str_end_ok(s[1]))
			return -EINVAL;
		if (!room)
			return -ENOSPC;
		long got = read_str(ex, arg, str, room, user);
		room -= got < 0 ? 1 : (size_t)got; /* "" when unreadable: one byte */
		spec[k++] = 's';
		spec[k] = 0;
		put(&o, spec, str);
	}
	if (outsz && o.len >= outsz)
		outbuf[outsz - 1] = 0;
	return (long)o.len; /* what would have been written, like bstr_printf */
}

void hlp_trace_line(struct bpfbox_exec *ex, const char *msg, size_t len)
{
	struct bpfbox_hook_env tmp;
	const struct bpfbox_hook_env *task = hlp_task(ex, &tmp);
	struct bpfbox_env *env = hlp_env(ex);
	FILE *f = NULL;
	if (task->sz >= offsetof(struct bpfbox_hook_env, trace_out) + sizeof(task->trace_out))
		f = task->trace_out;
	if (!f && env)
		f = env->trace_out;
	if (!f)
		f = stdout;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char comm[17];
	memcpy(comm, task->comm, 16);
	comm[16] = 0;
	if (!comm[0])
		strcpy(comm, "<...>");
	while (len && msg[len - 1] == '\n')
		len--;
	if (env)
		pthread_mutex_lock(&env->trace_lock);
	fprintf(f, "%16s-%-7u [%03u] d..31 %5llu.%06llu: bpf_trace_printk: %.*s\n", comm, task->pid,
		hlp_cpu(ex, 0), (unsigned long long)ts.tv_sec,
		(unsigned long long)(ts.tv_nsec / 1000), (int)len, msg);
	fflush(f);
	if (env)
		pthread_mutex_unlock(&env->trace_lock);
}

#define BPRINTF_BUF 1024
#define BPRINTF_MAX_ARGS 12

uint64_t hlp_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			  struct bpfbox_exec *ex)
{
	if (!r2 || hlp_mem(ex, r1, r2, false, "trace_printk", "fmt"))
		return (uint64_t)-EINVAL;
	uint64_t args[3] = { r3, r4, r5 };
	char buf[BPRINTF_BUF];
	long n = hlp_format(ex, buf, sizeof(buf), (const char *)(uintptr_t)r1, r2, args, 3,
			    "trace_printk");
	if (n < 0)
		return (uint64_t)n;
	hlp_trace_line(ex, buf, strlen(buf));
	return (uint64_t)n;
}

uint64_t hlp_trace_vprintk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct bpfbox_exec *ex)
{
	if (!r2 || hlp_mem(ex, r1, r2, false, "trace_vprintk", "fmt"))
		return (uint64_t)-EINVAL;
	if (r4 % 8 || r4 > BPRINTF_MAX_ARGS * 8 || (r4 && !r3))
		return (uint64_t)-EINVAL;
	if (hlp_mem(ex, r3, r4, false, "trace_vprintk", "data"))
		return (uint64_t)-EFAULT;
	uint64_t args[BPRINTF_MAX_ARGS];
	if (r4)
		memcpy(args, (const void *)(uintptr_t)r3, r4);
	char buf[BPRINTF_BUF];
	long n = hlp_format(ex, buf, sizeof(buf), (const char *)(uintptr_t)r1, r2, args,
			    (uint32_t)(r4 / 8), "trace_vprintk");
	if (n < 0)
		return (uint64_t)n;
	hlp_trace_line(ex, buf, strlen(buf));
	return (uint64_t)n;
}

/* The length of the constant string at addr (A_CONST_STR), checked byte by
 * byte in checked mode; -EINVAL when not NUL-terminated within max. */
static long const_str(struct bpfbox_exec *ex, uint64_t addr, size_t max, const char *helper)
{
	for (size_t i = 0; i < max; i++) {
		if (bpfbox_exec__check_mem(ex, addr + i, 1, false)) {
			bpfbox_exec__abort(ex, -EFAULT, "bpf_%s: string at 0x%llx is not memory the "
					   "program may read", helper, (unsigned long long)addr);
			return -EFAULT;
		}
		if (!((const char *)(uintptr_t)addr)[i])
			return (long)i;
	}
	return -EINVAL;
}

uint64_t hlp_snprintf(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		      struct bpfbox_exec *ex)
{
	if (r5 % 8 || r5 > BPRINTF_MAX_ARGS * 8 || (r5 && !r4))
		return (uint64_t)-EINVAL;
	if (r2 && hlp_mem(ex, r1, r2, true, "snprintf", "str"))
		return (uint64_t)-EFAULT;
	if (r5 && hlp_mem(ex, r4, r5, false, "snprintf", "data"))
		return (uint64_t)-EFAULT;
	long flen = const_str(ex, r3, 1u << 16, "snprintf");
	if (flen < 0)
		return (uint64_t)flen;
	uint64_t args[BPRINTF_MAX_ARGS];
	if (r5)
		memcpy(args, (const void *)(uintptr_t)r4, r5);
	char tmp[1];
	char *out = r2 ? (char *)(uintptr_t)r1 : tmp;
	/* format into a private buffer first: the output may overlap the args */
	char buf[BPRINTF_BUF];
	long n = hlp_format(ex, buf, sizeof(buf), (const char *)(uintptr_t)r3, (size_t)flen + 1, args,
			    (uint32_t)(r5 / 8), "snprintf");
	if (n < 0) {
		hlp_zero(r2 ? out : NULL, r2);
		return (uint64_t)n;
	}
	if (r2) {
		size_t c = strlen(buf);
		if (c > r2 - 1)
			c = r2 - 1;
		memcpy(out, buf, c);
		/* the NUL and every byte after it: the verifier counts the
		 * whole buffer as written (the kernel leaves the tail as it was,
		 * which on bpfbox's stack could be host bytes) */
		memset(out + c, 0, r2 - c);
	}
	return (uint64_t)(n + 1);
}

uint64_t hlp_strncmp(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		     struct bpfbox_exec *ex)
{
	if (hlp_mem(ex, r1, r2, false, "strncmp", "s1"))
		return (uint64_t)-EFAULT;
	long n2 = const_str(ex, r3, 1u << 16, "strncmp");
	if (n2 < 0)
		return (uint64_t)n2;
	const unsigned char *a = (const unsigned char *)(uintptr_t)r1;
	const unsigned char *b = (const unsigned char *)(uintptr_t)r3;
	/* the kernel's strncmp: stops at a NUL of either string, -1/0/1 */
	for (uint64_t i = 0; i < r2; i++) {
		unsigned char c1 = a[i], c2 = b[i];
		if (c1 != c2)
			return (uint64_t)(int64_t)(c1 < c2 ? -1 : 1);
		if (!c1)
			break;
	}
	return 0;
}

/* The kernel's __bpf_strtoull (kernel/bpf/helpers.c) with its radix rules. */
static long strtoull_k(const char *buf, size_t buf_len, uint64_t flags, unsigned long long *res,
		       bool *neg)
{
	unsigned base = (unsigned)(flags & 0x1f);
	if (!buf_len)
		return -EINVAL;
	if (base != 0 && base != 8 && base != 10 && base != 16)
		return -EINVAL;
	if (flags & ~0x1full)
		return -EINVAL;
	const char *cur = buf, *end = buf + buf_len;
	while (cur < end && isspace((unsigned char)*cur))
		cur++;
	*neg = cur < end && *cur == '-';
	if (*neg)
		cur++;
	size_t consumed = (size_t)(cur - buf);
	size_t len = buf_len - consumed;
	if (!len)
		return -EINVAL;
	char str[64];
	if (len > sizeof(str) - 1)
		len = sizeof(str) - 1;
	memcpy(str, cur, len);
	str[len] = 0;
	const char *s = str;
	if (base == 0) {
		if (s[0] == '0') {
			if (tolower((unsigned char)s[1]) == 'x' && isxdigit((unsigned char)s[2]))
				base = 16;
			else
				base = 8;
		} else {
			base = 10;
		}
	}
	if (base == 16 && s[0] == '0' && tolower((unsigned char)s[1]) == 'x')
		s += 2;
	unsigned long long v = 0;
	bool overflow = false;
	size_t n = 0;
	for (;; n++) {
		unsigned c = (unsigned char)s[n], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (tolower((int)c) >= 'a' && tolower((int)c) <= 'f')
			d = (unsigned)(tolower((int)c) - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		if (v > (~0ull - d) / base)
			overflow = true;
		v = v * base + d;
	}
	if (overflow)
		return -ERANGE;
	if (!n)
		return -EINVAL;
	*res = v;
	return (long)(consumed + (size_t)(s + n - str));
}

uint64_t hlp_strtol(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		    struct bpfbox_exec *ex)
{
	if (hlp_mem(ex, r1, r2, false, "strtol", "buf") ||
	    hlp_mem(ex, r4, 8, true, "strtol", "res"))
		return (uint64_t)-EFAULT;
	/* *res is written on every path (0 on errors, as the kernel does):
	 * the verifier counts it as written */
	memset((void *)(uintptr_t)r4, 0, 8);
	unsigned long long v;
	bool neg;
	long n = strtoull_k((const char *)(uintptr_t)r1, r2, r3, &v, &neg);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	long long out;
	if (neg) {
		if ((long long)(0 - v) > 0)
			return (uint64_t)-ERANGE;
		out = (long long)(0 - v);
	} else {
		if ((long long)v < 0)
			return (uint64_t)-ERANGE;
		out = (long long)v;
	}
	memcpy((void *)(uintptr_t)r4, &out, 8);
	return (uint64_t)n;
}

uint64_t hlp_strtoul(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
		     struct bpfbox_exec *ex)
{
	if (hlp_mem(ex, r1, r2, false, "strtoul", "buf") ||
	    hlp_mem(ex, r4, 8, true, "strtoul", "res"))
		return (uint64_t)-EFAULT;
	memset((void *)(uintptr_t)r4, 0, 8); /* 0 on errors, as strtol */
	unsigned long long v;
	bool neg;
	long n = strtoull_k((const char *)(uintptr_t)r1, r2, r3, &v, &neg);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	if (neg)
		return (uint64_t)-EINVAL;
	memcpy((void *)(uintptr_t)r4, &v, 8);
	return (uint64_t)n;
}
