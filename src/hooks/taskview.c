/* bpfbox — hooks/taskview.c: a task_struct laid out by the target BTF.
 *
 * Programs for syscall tracepoints often look at the current task the
 * kernel way: `task = bpf_get_current_task()` then
 * `BPF_CORE_READ(task, real_parent, tgid)`, i.e. bpf_probe_read_kernel at
 * offsets that CO-RE relocated for the target kernel's task_struct.  In
 * user space there is no task_struct, so this file synthesizes one: a
 * zeroed buffer of the target BTF's sizeof(struct task_struct) with the
 * fields a tracer knows written where that BTF puts them:
 *
 *   pid, tgid, comm                         the traced thread
 *   real_parent, parent                     -> a second view: the parent
 *                                              process (pid = tgid = ppid,
 *                                              its comm and credentials)
 *   group_leader                            -> the view itself (a process
 *                                              leader) or a leader view
 *                                              (pid = tgid) for a thread
 *   cred, real_cred                         -> a struct cred view: uid, gid,
 *                                              suid, sgid, euid, egid,
 *                                              fsuid, fsgid (kuid_t.val)
 *
 * Everything else reads as zero — as a NULL pointer, an empty field or a
 * zero count — so a program following a pointer the view does not fill
 * reads NULL + offset, which hk_taskview_read refuses with -EFAULT, the
 * kernel's answer for a bad address.  The parent's own real_parent is NULL.
 *
 * The layout comes from the BTF the object's CO-RE relocations were
 * resolved against (bpfbox_object__target_btf), so the offsets the program
 * reads at are the offsets written here, whatever kernel that BTF
 * describes.  Members are found by name through anonymous structs and
 * unions; a field the BTF lacks is simply not written.
 *
 * Invariants: reads are served only from inside a view buffer; a read that
 * starts in a view and runs past its end, or that starts within 64 KiB past
 * a view (a task_struct field beyond what this BTF's layout has), is
 * -EFAULT; anything else is not the view's business (0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "hooks_int.h"

#define NEAR_SPAN 65536

enum { TV_TASK, TV_PARENT, TV_LEADER, TV_CRED, TV_PCRED, TV_N };

struct hk_taskview {
	uint8_t *buf[TV_N];
	uint32_t size[TV_N];
	/* offsets (-1: the BTF has no such field) */
	int32_t pid, tgid, comm, real_parent, parent, group_leader, cred, real_cred;
	int32_t uid[8]; /* uid gid suid sgid euid egid fsuid fsgid of struct cred */
	uint32_t comm_len;
	/* the parent last read from /proc */
	uint32_t ppid_cached;
	struct hk_task_facts pfacts;
};

static const char *const cred_ids[8] = { "uid", "gid", "suid", "sgid",
					 "euid", "egid", "fsuid", "fsgid" };

static const struct btf_type *skip(const struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	for (int i = 0; t && i < 32 && (btf_is_mod(t) || btf_is_typedef(t)); i++) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/* Byte offset of member `name` of composite `id` (through anonymous
 * members), or -1; *type receives its type. */
static int32_t member(const struct btf *btf, uint32_t id, const char *name, uint32_t *type,
		      int depth)
{
	const struct btf_type *t = skip(btf, &id);
	if (!t || !btf_is_composite(t) || depth > 8)
		return -1;
	const struct btf_member *m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(btf, m[i].name_off);
		uint32_t bit = btf_member_bit_offset(t, i);
		if (btf_member_bitfield_size(t, i))
			continue;
		if (n && *n) {
			if (!strcmp(n, name)) {
				if (type)
					*type = m[i].type;
				return (int32_t)(bit / 8);
			}
			continue;
		}
		int32_t in = member(btf, m[i].type, name, type, depth + 1);
		if (in >= 0)
			return (int32_t)(bit / 8) + in;
	}
	return -1;
}

int hk_taskview_new(const struct btf *btf, struct hk_taskview **out)
{
	*out = NULL;
	int ts = btf ? btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) : -1;
	if (ts <= 0)
		return -ENOENT;
	struct hk_taskview *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	const struct btf_type *t = btf__type_by_id(btf, (uint32_t)ts);
	uint32_t comm_type = 0, cred_type = 0;
	v->pid = member(btf, (uint32_t)ts, "pid", NULL, 0);
	v->tgid = member(btf, (uint32_t)ts, "tgid", NULL, 0);
	v->comm = member(btf, (uint32_t)ts, "comm", &comm_type, 0);
	v->real_parent = member(btf, (uint32_t)ts, "real_parent", NULL, 0);
	v->parent = member(btf, (uint32_t)ts, "parent", NULL, 0);
	v->group_leader = member(btf, (uint32_t)ts, "group_leader", NULL, 0);
	v->cred = member(btf, (uint32_t)ts, "cred", &cred_type, 0);
	v->real_cred = member(btf, (uint32_t)ts, "real_cred", NULL, 0);
	const struct btf_type *ct = comm_type ? skip(btf, &comm_type) : NULL;
	v->comm_len = ct && btf_is_array(ct) ? btf_array(ct)->nelems : 0;
	if (v->comm_len > 16)
		v->comm_len = 16;
	uint32_t cred_size = 0;
	const struct btf_type *cp = cred_type ? skip(btf, &cred_type) : NULL;
	if (cp && btf_is_ptr(cp)) {
		uint32_t cid = cp->type;
		const struct btf_type *c = skip(btf, &cid);
		if (c && btf_is_struct(c)) {
			cred_size = c->size;
			for (int i = 0; i < 8; i++)
				v->uid[i] = member(btf, cid, cred_ids[i], NULL, 0);
		}
	}
	if (!cred_size)
		for (int i = 0; i < 8; i++)
			v->uid[i] = -1;
	for (int i = 0; i < TV_N; i++) {
		v->size[i] = i == TV_CRED || i == TV_PCRED ? (cred_size ? cred_size : 8) : t->size;
		v->buf[i] = calloc(1, v->size[i] ? v->size[i] : 8);
		if (!v->buf[i]) {
			hk_taskview_free(v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

void hk_taskview_free(struct hk_taskview *v)
{
	if (!v)
		return;
	for (int i = 0; i < TV_N; i++)
		free(v->buf[i]);
	free(v);
}

uint64_t hk_taskview_addr(const struct hk_taskview *v)
{
	return v ? (uint64_t)(uintptr_t)v->buf[TV_TASK] : 0;
}

static void put32(uint8_t *buf, uint32_t size, int32_t off, uint32_t val)
{
	if (off >= 0 && (uint32_t)off + 4 <= size)
		memcpy(buf + off, &val, 4);
}

static void putptr(uint8_t *buf, uint32_t size, int32_t off, const void *p)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	if (off >= 0 && (uint32_t)off + 8 <= size)
		memcpy(buf + off, &a, 8);
}

static void fill_task(struct hk_taskview *v, int which, const struct hk_task_facts *f,
		      uint32_t pid, const void *parent, const void *leader, const void *cred)
{
	uint8_t *b = v->buf[which];
	uint32_t sz = v->size[which];
	memset(b, 0, sz);
	put32(b, sz, v->pid, pid);
	put32(b, sz, v->tgid, f->tgid);
	if (v->comm >= 0 && v->comm_len && (uint32_t)v->comm + v->comm_len <= sz) {
		memcpy(b + v->comm, f->comm, v->comm_len);
		b[v->comm + v->comm_len - 1] = 0;
	}
	putptr(b, sz, v->real_parent, parent);
	putptr(b, sz, v->parent, parent);
	putptr(b, sz, v->group_leader, leader);
	putptr(b, sz, v->cred, cred);
	putptr(b, sz, v->real_cred, cred);
}

static void fill_cred(struct hk_taskview *v, int which, uint32_t uid, uint32_t gid)
{
	uint8_t *b = v->buf[which];
	memset(b, 0, v->size[which]);
	for (int i = 0; i < 8; i++)
		put32(b, v->size[which], v->uid[i], i % 2 ? gid : uid);
}

/* The parent process's facts from /proc (re-read when the ppid changes). */
static void parent_facts(struct hk_taskview *v, uint32_t ppid)
{
	if (ppid == v->ppid_cached && ppid)
		return;
	memset(&v->pfacts, 0, sizeof(v->pfacts));
	v->ppid_cached = ppid;
	v->pfacts.pid = v->pfacts.tgid = ppid;
	if (!ppid)
		return;
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%u/status", ppid);
	if (util_read_small(path, buf, sizeof(buf)) > 0) {
		char *l;
		if ((l = strstr(buf, "\nPPid:")))
			v->pfacts.ppid = (uint32_t)strtoul(l + 6, NULL, 10);
		if ((l = strstr(buf, "\nUid:")))
			v->pfacts.uid = (uint32_t)strtoul(l + 5, NULL, 10);
		if ((l = strstr(buf, "\nGid:")))
			v->pfacts.gid = (uint32_t)strtoul(l + 5, NULL, 10);
		if (!strncmp(buf, "Name:", 5)) {
			char *s = buf + 5;
			while (*s == ' ' || *s == '\t')
				s++;
			size_t k = strcspn(s, "\n");
			memcpy(v->pfacts.comm, s, k < 15 ? k : 15);
		}
	}
}

void hk_taskview_fill(struct hk_taskview *v, const struct hk_task_facts *f)
{
	if (!v)
		return;
	parent_facts(v, f->ppid);
	bool thread = f->pid != f->tgid;
	const void *leader = thread ? v->buf[TV_LEADER] : v->buf[TV_TASK];
	fill_task(v, TV_TASK, f, f->pid, f->ppid ? v->buf[TV_PARENT] : NULL, leader,
		  v->buf[TV_CRED]);
	fill_cred(v, TV_CRED, f->uid, f->gid);
	/* the leader of a thread's group: the same process, pid = tgid */
	fill_task(v, TV_LEADER, f, f->tgid, f->ppid ? v->buf[TV_PARENT] : NULL, v->buf[TV_LEADER],
		  v->buf[TV_CRED]);
	fill_task(v, TV_PARENT, &v->pfacts, v->pfacts.pid, NULL, v->buf[TV_PARENT],
		  v->buf[TV_PCRED]);
	fill_cred(v, TV_PCRED, v->pfacts.uid, v->pfacts.gid);
}

int hk_taskview_read(const struct hk_taskview *v, uint64_t addr, void *dst, size_t len)
{
	if (!v)
		return 0;
	/* inside a view first: the buffers are heap blocks that may lie
	 * within NEAR_SPAN of each other, so "just past one view" must not
	 * shadow another view */
	for (int i = 0; i < TV_N; i++) {
		uint64_t lo = (uint64_t)(uintptr_t)v->buf[i];
		if (addr < lo || addr - lo >= v->size[i])
			continue;
		uint64_t off = addr - lo;
		if (len > v->size[i] - off)
			return -EFAULT; /* runs past what this BTF's layout has */
		memcpy(dst, v->buf[i] + off, len);
		return 1;
	}
	for (int i = 0; i < TV_N; i++) {
		uint64_t lo = (uint64_t)(uintptr_t)v->buf[i];
		if (addr >= lo && addr - lo < (uint64_t)v->size[i] + NEAR_SPAN)
			return -EFAULT; /* a field beyond this BTF's layout */
	}
	return 0;
}
