/* bpfbox — hooks/tpformat.c: the kernel's syscall tracepoint records.
 *
 * A program attached to tracepoint/syscalls/sys_enter_openat reads its
 * context at fixed offsets: the kernel passes it the raw trace record, whose
 * layout /sys/kernel/tracing/events/syscalls/sys_enter_openat/format
 * describes.  Every syscall record has the same shape:
 *
 *   0  u16 common_type           the event's id
 *   2  u8  common_flags          irqs-off/need-resched/... bits
 *   3  u8  common_preempt_count
 *   4  int common_pid            the thread
 *   8  int __syscall_nr
 *   16 unsigned long arg0 ...    sys_enter: one 8-byte slot per argument
 *   16 long ret                  sys_exit
 *
 * and raw_syscalls/sys_enter has `long id` at 8 and `unsigned long
 * args[6]` at 16, raw_syscalls/sys_exit `long id` at 8 and `long ret` at 16.
 * What differs per syscall is how many arguments there are and their names
 * and C types; those come from syscalls_x86_64.def, generated from the
 * format files by tools/gen_syscall_table.py, so the layout is known
 * without tracefs (test_hooks compares the table with the live format
 * files when tracefs is mounted).
 *
 * Invariants: a record never exceeds HK_TP_MAX_SIZE (64) bytes; sizes are
 * the kernel's (16 + 8 * nargs for sys_enter, 24 for sys_exit, 64 and 24
 * for the raw events).  common_type is the tracefs id when tracefs is
 * readable, else 0 (ids are assigned at boot; no table can know them);
 * common_flags and common_preempt_count are 0.
 *
 * Limits: x86-64 only (the generated table is that architecture's); 32-bit
 * and x32 syscalls have no events here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hooks_int.h"

struct sc_row {
	int nr;
	const char *name;
	const char *enter, *exit; /* event names */
	int nargs;
	const char *types[6];
	const char *args[6];
};

static const struct sc_row sc_rows[] = {
#define SYSCALL(NR, NAME, N, T0, A0, T1, A1, T2, A2, T3, A3, T4, A4, T5, A5) \
	{ NR, #NAME, "sys_enter_" #NAME, "sys_exit_" #NAME, N, { T0, T1, T2, T3, T4, T5 }, { A0, A1, A2, A3, A4, A5 } },
#include "syscalls_x86_64.def"
#undef SYSCALL
};

static const struct sc_row *row_by_nr(int nr)
{
	/* rows are sorted by number: binary search */
	size_t lo = 0, hi = ARRAY_SIZE(sc_rows);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sc_rows[mid].nr == nr)
			return &sc_rows[mid];
		if (sc_rows[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct sc_row *row_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sc_rows); i++)
		if (!strcmp(sc_rows[i].name, name))
			return &sc_rows[i];
	return NULL;
}

BPFBOX_API const char *bpfbox_syscall__name(int nr)
{
	const struct sc_row *r = row_by_nr(nr);
	return r ? r->name : NULL;
}

BPFBOX_API int bpfbox_syscall__nr(const char *name)
{
	const struct sc_row *r = name ? row_by_name(name) : NULL;
	return r ? r->nr : -ENOENT;
}

int hk_syscall_nargs(int nr)
{
	const struct sc_row *r = row_by_nr(nr);
	return r ? r->nargs : -1;
}

static void add_field(struct bpfbox_tp_format *f, const char *type, const char *name,
		      uint16_t off, uint16_t size, bool sgn)
{
	struct bpfbox_tp_field *x = &f->fields[f->nfields++];
	x->name = name;
	x->type = type;
	x->offset = off;
	x->size = size;
	x->is_signed = sgn;
}

static const char *skip_prefix(const char *s)
{
	static const char *const pre[] = { "tracepoint/", "tp/" };
	for (size_t i = 0; i < ARRAY_SIZE(pre); i++) {
		size_t n = strlen(pre[i]);
		if (!strncmp(s, pre[i], n))
			return s + n;
	}
	return s;
}

BPFBOX_API int bpfbox_tp_format__lookup(const char *event, struct bpfbox_tp_format *out)
{
	if (!event || !out)
		return -EINVAL;
	event = skip_prefix(event);
	memset(out, 0, sizeof(*out));
	bool raw;
	const char *name;
	if (!strncmp(event, "syscalls/", 9)) {
		raw = false;
		name = event + 9;
		out->category = "syscalls";
	} else if (!strncmp(event, "raw_syscalls/", 13)) {
		raw = true;
		name = event + 13;
		out->category = "raw_syscalls";
	} else {
		return -ENOENT;
	}
	add_field(out, "unsigned short", "common_type", 0, 2, false);
	add_field(out, "unsigned char", "common_flags", 2, 1, false);
	add_field(out, "unsigned char", "common_preempt_count", 3, 1, false);
	add_field(out, "int", "common_pid", 4, 4, true);
	if (raw) {
		out->syscall_nr = -1;
		add_field(out, "long", "id", 8, 8, true);
		if (!strcmp(name, "sys_enter")) {
			out->name = "sys_enter";
			add_field(out, "unsigned long", "args", 16, 48, false);
			out->size = 64;
			out->nargs = 6;
		} else if (!strcmp(name, "sys_exit")) {
			out->name = "sys_exit";
			out->exit = true;
			add_field(out, "long", "ret", 16, 8, true);
			out->size = 24;
		} else {
			return -ENOENT;
		}
		return 0;
	}
	bool exit;
	const char *sc;
	if (!strncmp(name, "sys_enter_", 10)) {
		exit = false;
		sc = name + 10;
	} else if (!strncmp(name, "sys_exit_", 9)) {
		exit = true;
		sc = name + 9;
	} else {
		return -ENOENT;
	}
	const struct sc_row *r = row_by_name(sc);
	if (!r)
		return -ENOENT;
	out->name = exit ? r->exit : r->enter;
	out->syscall_nr = r->nr;
	out->exit = exit;
	add_field(out, "int", "__syscall_nr", 8, 4, true);
	if (exit) {
		add_field(out, "long", "ret", 16, 8, true);
		out->size = 24;
	} else {
		for (int i = 0; i < r->nargs; i++)
			add_field(out, r->types[i], r->args[i], (uint16_t)(16 + 8 * i), 8, false);
		out->size = 16 + 8 * (uint32_t)r->nargs;
		out->nargs = (uint32_t)r->nargs;
	}
	return 0;
}

uint32_t hk_tp_build(uint8_t *buf, int kind, uint16_t type, uint32_t pid, int nr,
		     const uint64_t args[6], int64_t ret)
{
	memset(buf, 0, HK_TP_MAX_SIZE);
	memcpy(buf + HK_TP_COMMON_TYPE, &type, 2);
	int32_t p = (int32_t)pid;
	memcpy(buf + HK_TP_COMMON_PID, &p, 4);
	switch (kind) {
	case HK_SYS_ENTER: {
		int32_t n = nr;
		memcpy(buf + HK_TP_NR, &n, 4);
		int na = hk_syscall_nargs(nr);
		if (na < 0)
			na = 0;
		memcpy(buf + HK_TP_ARGS, args, 8 * (size_t)na);
		return 16 + 8 * (uint32_t)na;
	}
	case HK_SYS_EXIT: {
		int32_t n = nr;
		memcpy(buf + HK_TP_NR, &n, 4);
		memcpy(buf + HK_TP_RET, &ret, 8);
		return 24;
	}
	case HK_RAW_ENTER: {
		int64_t id = nr;
		memcpy(buf + HK_TP_NR, &id, 8);
		memcpy(buf + HK_TP_ARGS, args, 48);
		return 64;
	}
	case HK_RAW_EXIT: {
		int64_t id = nr;
		memcpy(buf + HK_TP_NR, &id, 8);
		memcpy(buf + HK_TP_RET, &ret, 8);
		return 24;
	}
	default:
		return 0;
	}
}

uint16_t hk_tp_id(const char *category, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/events/%s/%s/id", roots[i], category, name);
		char b[16];
		if (util_read_small(path, b, sizeof(b)) > 0)
			return (uint16_t)strtoul(b, NULL, 10);
	}
	return 0;
}

/* Section names: tracepoint/CATEGORY/NAME (tp/), raw_tracepoint/NAME
 * (raw_tp/), tp_btf/NAME. */
int hk_parse_section(const char *section, int *kind, int *nr, char *why, size_t whysz)
{
	static const struct {
		const char *prefix;
		bool raw_tp;
	} pre[] = { { "tracepoint/", false }, { "tp/", false }, { "raw_tracepoint/", true },
		    { "raw_tp/", true }, { "tp_btf/", true } };
	char tmp[8];
	if (!why) {
		why = tmp;
		whysz = sizeof(tmp);
	}
	*nr = -1;
	for (size_t i = 0; i < ARRAY_SIZE(pre); i++) {
		size_t n = strlen(pre[i].prefix);
		if (strncmp(section, pre[i].prefix, n))
			continue;
		const char *ev = section + n;
		if (pre[i].raw_tp) {
			if (!strcmp(ev, "sys_enter")) {
				*kind = HK_RAWTP_ENTER;
				return 0;
			}
			if (!strcmp(ev, "sys_exit")) {
				*kind = HK_RAWTP_EXIT;
				return 0;
			}
			snprintf(why, whysz, "raw tracepoint '%s': only sys_enter and sys_exit "
				 "exist in user space", ev);
			return -EOPNOTSUPP;
		}
		if (!strcmp(ev, "raw_syscalls/sys_enter")) {
			*kind = HK_RAW_ENTER;
			return 0;
		}
		if (!strcmp(ev, "raw_syscalls/sys_exit")) {
			*kind = HK_RAW_EXIT;
			return 0;
		}
		if (strncmp(ev, "syscalls/", 9)) {
			snprintf(why, whysz, "tracepoint '%s': only syscalls/* and raw_syscalls/* "
				 "events exist in user space", ev);
			return -EOPNOTSUPP;
		}
		struct bpfbox_tp_format f;
		if (bpfbox_tp_format__lookup(ev, &f)) {
			snprintf(why, whysz, "no tracepoint '%s' (no such x86-64 syscall event)", ev);
			return -ENOENT;
		}
		*kind = f.exit ? HK_SYS_EXIT : HK_SYS_ENTER;
		*nr = f.syscall_nr;
		return 0;
	}
	snprintf(why, whysz, "section '%s' is not a syscall tracepoint (tracepoint/syscalls/..., "
		 "tracepoint/raw_syscalls/..., raw_tp/sys_enter|sys_exit)", section);
	return -EOPNOTSUPP;
}

BPFBOX_API int bpfbox_tracer__ctx_size(const char *section)
{
	int kind, nr;
	int e = section ? hk_parse_section(section, &kind, &nr, NULL, 0) : -EINVAL;
	if (e)
		return e;
	switch (kind) {
	case HK_RAWTP_ENTER:
	case HK_RAWTP_EXIT:
		return 16;
	case HK_SYS_ENTER: {
		int na = hk_syscall_nargs(nr);
		return 16 + 8 * (na < 0 ? 0 : na);
	}
	case HK_RAW_ENTER:
		return 64;
	default:
		return 24;
	}
}
