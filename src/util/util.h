/* bpfbox — util.h: the small toolbox every layer shares.
 *
 * Three things live here, and nothing that knows about eBPF:
 *  - the options check (libbpf's OPTS_VALID/OPTS_GET idea): an options struct
 *    from a caller built against a newer header is accepted only when every
 *    byte we do not know is zero; a field is read only when the caller's
 *    struct is long enough to contain it;
 *  - the allocator choke point: every allocation of a handle goes through
 *    its bpfbox_alloc_fn (default: realloc/free), which is what makes
 *    fail-the-Nth-allocation tests possible;
 *  - the bounds-checked cursor that every parser reads through: a read that
 *    would cross `end` fails and makes the cursor sticky-bad, so a parser can
 *    do a run of reads and check once;
 *  - small readers of /proc and /sys files (helpers and hooks both ask the
 *    system about tasks and cgroups).
 */
#ifndef BPFBOX_UTIL_H
#define BPFBOX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include "bpfbox/common.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HIDDEN __attribute__((visibility("hidden")))

/* ---- options ---------------------------------------------------------- */

/* True when opts is NULL, or its size is sane and every byte past
 * `known` (the library's sizeof) is zero. */
bool util_opts_valid(const void *opts, size_t known);

#define OPTS_SZ(o) ((o) ? *(const size_t *)(o) : 0)
#define OPTS_HAS(o, f) \
	((o) && OPTS_SZ(o) >= offsetof(__typeof__(*(o)), f) + sizeof((o)->f))
#define OPTS_GET(o, f, def) (OPTS_HAS(o, f) ? (o)->f : (def))
/* the common case, a caller built against this header, without a call */
#define OPTS_VALID(o, type)                                  \
	(!(o) || OPTS_SZ(o) == sizeof(struct type) ||        \
	 util_opts_valid((o), sizeof(struct type)))

/* ---- allocation ------------------------------------------------------- */

struct util_alloc {
	bpfbox_alloc_fn fn;
	void *ud;
};

void *util_default_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
void util_alloc_init(struct util_alloc *a, bpfbox_alloc_fn fn, void *ud);
void *util_malloc(const struct util_alloc *a, size_t n);
void *util_calloc(const struct util_alloc *a, size_t n, size_t size);
void *util_realloc(const struct util_alloc *a, void *p, size_t osize, size_t nsize);
void util_free(const struct util_alloc *a, void *p, size_t size);

/* ---- bounds-checked cursor -------------------------------------------- */

struct cursor {
	const uint8_t *p;
	const uint8_t *end;
	bool bad; /* sticky: set by the first read past end */
};

static inline struct cursor cursor_make(const void *p, size_t n)
{
	struct cursor c = { (const uint8_t *)p, (const uint8_t *)p + n, false };
	return c;
}

static inline size_t cursor_left(const struct cursor *c)
{
	return c->bad ? 0 : (size_t)(c->end - c->p);
}

/* Take n bytes: returns a pointer to them, or NULL (and marks bad). */
static inline const void *cursor_take(struct cursor *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return NULL;
	}
	const void *r = c->p;
	c->p += n;
	return r;
}

static inline bool cursor_read(struct cursor *c, void *dst, size_t n)
{
	const void *s = cursor_take(c, n);
	if (!s) {
		memset(dst, 0, n);
		return false;
	}
	memcpy(dst, s, n);
	return true;
}

static inline uint8_t cursor_u8(struct cursor *c)
{
	uint8_t v;
	cursor_read(c, &v, 1);
	return v;
}

static inline uint16_t cursor_le16(struct cursor *c)
{
	uint8_t b[2];
	cursor_read(c, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t cursor_le32(struct cursor *c)
{
	uint8_t b[4];
	cursor_read(c, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t cursor_le64(struct cursor *c)
{
	uint64_t lo = cursor_le32(c);
	return lo | (uint64_t)cursor_le32(c) << 32;
}

/* A sub-cursor over [off, off+len) of the cursor's *whole* range, checked. */
static inline struct cursor cursor_sub(const void *base, size_t size, uint64_t off, uint64_t len)
{
	struct cursor c;
	if (off > size || len > size - off) {
		c.p = c.end = (const uint8_t *)base;
		c.bad = true;
		return c;
	}
	return cursor_make((const uint8_t *)base + off, (size_t)len);
}

/* ---- small system files ------------------------------------------------ */

/* Read the start of a small file (/proc, /sys) into buf, NUL-terminated:
 * the byte count, or -errno. */
long util_read_small(const char *path, char *buf, size_t size);
/* The cgroup v2 directory of task `pid` (0: this process),
 * "/sys/fs/cgroup/a/b": 0, -ESRCH (no such task), -ENOENT (no v2
 * hierarchy), -ENAMETOOLONG. */
int util_task_cgroup_dir(uint32_t pid, char *out, size_t size);
/* Its cgroup id: the inode number of that directory (kernfs ids are inode
 * numbers), or 0 when unknown. */
uint64_t util_task_cgroup_id(uint32_t pid);

/* ---- logging ---------------------------------------------------------- */

void util_vlog(struct bpfbox_log *log, int level, const char *fmt, __builtin_va_list ap);

#endif
