/* bpfbox — common.h: conventions shared by every public header.
 *
 * Every fallible public call returns 0 or a negative errno; new objects come
 * back through an out-parameter.  Options travel in structs whose first field
 * is `sz` (BPFBOX_OPTS zero-fills them and sets sz), so new fields can be
 * appended without breaking callers built against an older header: the
 * library reads a field only when the caller's struct is long enough to hold
 * it, and refuses a struct longer than it knows unless the unknown tail is
 * all zeroes.  Diagnostics go to a caller-supplied log, never to a global.
 */
#ifndef BPFBOX_COMMON_H
#define BPFBOX_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BPFBOX_API __attribute__((visibility("default")))

/* Declare and zero-fill an options struct, setting its size:
 *   BPFBOX_OPTS(bpfbox_vm_opts, o, .insn_budget = 1000);              */
#define BPFBOX_OPTS(TYPE, NAME, ...) \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

/* Allocator hook (Lua's lua_Alloc shape): ptr == NULL allocates, nsize == 0
 * frees, otherwise reallocates.  Returns NULL on failure (and on free). */
typedef void *(*bpfbox_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

/* Log levels. */
enum bpfbox_log_level {
	BPFBOX_LOG_ERROR = 0, /* why something was refused: always written */
	BPFBOX_LOG_INFO = 1,  /* -v: decisions (JIT fallback, ...) */
	BPFBOX_LOG_TRACE = 2, /* -vv: per-instruction state */
};

/* A caller-supplied log.  Messages at or below `level` are appended to buf
 * (NUL-terminated, truncated when full: `len` still counts what would have
 * been written) and/or passed to fn.  Either may be absent. */
struct bpfbox_log {
	char *buf;
	size_t size;
	size_t len;
	int level;
	void (*fn)(void *ud, int level, const char *line);
	void *ud;
};

/* Append one formatted line to a log (adds the newline).  log may be NULL. */
BPFBOX_API void bpfbox_log__printf(struct bpfbox_log *log, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
