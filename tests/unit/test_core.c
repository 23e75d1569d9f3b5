/* bpfbox — tests/unit/test_core.c: CO-RE relocations, externs and globals.
 *
 * examples/core_structs.bpf.c has one program per relocation kind, each
 * returning the relocated value (or reading bitfields out of its context).
 * Each program is relocated and run:
 *   1. against a hand-made BTF (built here with libbpf's BTF writer, written
 *      to a file and given as btf_path, the way --btf FILE works) in which
 *      every field sits elsewhere: task_struct's fields shifted, the "old"
 *      flavor (state, not __state), perf_event_attr's bitfields at other
 *      bits, a signed 3-bit field that needs a 2-byte load, a 40-bit one,
 *      enum values changed — expected values written down by hand;
 *   2. against this kernel's BTF — expected values read from
 *      /sys/kernel/btf/vmlinux with libbpf's BTF reader;
 *   3. (root) against libbpf 1.1 itself: the same object prepared by libbpf
 *      for both targets must have the same instructions, and the programs
 *      test-run in the kernel must return what they return in bpfbox.
 * Then: TYPE_MATCHES (clang 14 cannot emit it: a TYPE_EXISTS record is
 * turned into one), flavor ambiguity, an instruction that does not hold
 * the compiled value, a reached poisoned instruction, the kconfig/ksym
 * externs and kernel function calls of tests/core/core_extra.bpf.c, and
 * bpfbox_object__set_global.  No clang: SKIP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "bpfbox/helpers.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/vm.h"

static char dir[512];

static int quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l;
	(void)fmt;
	(void)ap;
	return 0;
}

/* ---- the hand-made target ------------------------------------------------------------ */

struct hm_ids {
	int task, bits, pea;
};

static struct btf *handmade(struct hm_ids *ids)
{
	struct btf *b = btf__new_empty();
	if (!b)
		return NULL;
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int u32 = btf__add_int(b, "unsigned int", 4, 0);
	int u64 = btf__add_int(b, "long long unsigned int", 8, 0);
	int s64 = btf__add_int(b, "long long int", 8, BTF_INT_SIGNED);
	int lng = btf__add_int(b, "long int", 8, BTF_INT_SIGNED);
	int chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	int s8 = btf__add_int(b, "signed char", 1, BTF_INT_SIGNED);
	int s16 = btf__add_int(b, "short int", 2, BTF_INT_SIGNED);
	int fwd = btf__add_fwd(b, "task_struct", BTF_FWD_STRUCT);
	int pts = btf__add_ptr(b, fwd);
	int comm = btf__add_array(b, u32, chr, 16);
	int shorts = btf__add_array(b, u32, s16, 4);
	int pid_t_ = btf__add_typedef(b, "pid_t", i32);
	/* an "old kernel": state instead of __state, everything moved */
	ids->task = btf__add_struct(b, "task_struct", 256);
	btf__add_field(b, "state", lng, 8 * 8, 0);
	btf__add_field(b, "real_parent", pts, 16 * 8, 0);
	btf__add_field(b, "pid", pid_t_, 100 * 8, 0);
	btf__add_field(b, "tgid", pid_t_, 104 * 8, 0);
	btf__add_field(b, "comm", comm, 160 * 8, 0);
	ids->pea = btf__add_struct(b, "perf_event_attr", 64);
	btf__add_field(b, "type", i32, 0, 0); /* signed here, __u32 in kernels */
	btf__add_field(b, "disabled", u64, 195, 1);
	btf__add_field(b, "inherit", u64, 196, 1);
	btf__add_field(b, "exclude_hv", u64, 230, 1);
	btf__add_field(b, "mmap", u64, 249, 1);
	btf__add_field(b, "comm", u64, 250, 1);
	ids->bits = btf__add_struct(b, "bpfbox_core_bits", 32);
	btf__add_field(b, "lo", s8, 6, 3);  /* crosses a byte: a 2-byte load */
	btf__add_field(b, "mid", u32, 13, 7);
	btf__add_field(b, "big", s64, 69, 40);
	btf__add_field(b, "arr", shorts, 24 * 8, 0);
	int e = btf__add_enum(b, "pid_type", 4);
	btf__add_enum_value(b, "PIDTYPE_PID", 0);
	btf__add_enum_value(b, "PIDTYPE_TGID", 1);
	btf__add_enum_value(b, "PIDTYPE_PGID", 5);
	btf__add_enum_value(b, "PIDTYPE_SID", 17);
	btf__add_enum_value(b, "PIDTYPE_MAX", 42);
	if (i32 < 0 || u64 < 0 || e < 0 || ids->bits < 0) {
		btf__free(b);
		return NULL;
	}
	return b;
}

static int write_btf(const struct btf *b, const char *path)
{
	uint32_t sz;
	const void *raw = btf__raw_data(b, &sz);
	FILE *f = fopen(path, "wb");
	if (!f || !raw)
		return -1;
	size_t w = fwrite(raw, 1, sz, f);
	fclose(f);
	return w == sz ? 0 : -1;
}

/* ---- the kernel's facts ------------------------------------------------------------- */

/* Bit offset and bitfield size of member `name` of struct `sname`,
 * searching anonymous members.  0 on success. */
static int member_in(const struct btf *b, uint32_t sid, const char *name, uint32_t base,
		     uint32_t *bit, uint32_t *bsz, uint32_t *type)
{
	const struct btf_type *t = btf__type_by_id(b, sid);
	if (!t || !btf_is_composite(t))
		return -1;
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(b, m[i].name_off);
		uint32_t off = base + btf_member_bit_offset(t, i);
		if (n && *n && !strcmp(n, name)) {
			*bit = off;
			*bsz = btf_member_bitfield_size(t, i);
			*type = m[i].type;
			return 0;
		}
		if (!n || !*n) {
			uint32_t id = m[i].type;
			const struct btf_type *mt = btf__type_by_id(b, id);
			while (mt && (btf_is_mod(mt) || btf_is_typedef(mt)))
				mt = btf__type_by_id(b, id = mt->type);
			if (mt && btf_is_composite(mt) && !member_in(b, id, name, off, bit, bsz, type))
				return 0;
		}
	}
	return -1;
}

static int member(const struct btf *b, const char *sname, const char *name, uint32_t *bit,
		  uint32_t *bsz)
{
	int sid = btf__find_by_name_kind(b, sname, BTF_KIND_STRUCT);
	uint32_t type;
	return sid > 0 ? member_in(b, (uint32_t)sid, name, 0, bit, bsz, &type) : -1;
}

/* ---- running ----------------------------------------------------------------------------- */

struct want {
	const char *prog;
	long long r0;
	uint8_t ctx[512];
};
#define W(name, val) { name, val, { 0 } }

struct loaded {
	struct bpfbox_object *obj;
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
};

static int load(const char *path, const struct bpfbox_object_opts *oo, struct loaded *L,
		char *why, size_t whysz)
{
	memset(L, 0, sizeof(*L));
	int e = bpfbox_object__open_file(path, oo, &L->obj);
	if (e) {
		snprintf(why, whysz, "open: %s", strerror(-e));
		return e;
	}
	BPFBOX_OPTS(bpfbox_vm_opts, vo);
	if (bpfbox_env__new(&L->env, NULL))
		return -ENOMEM;
	bpfbox_env__vm_opts(L->env, &vo);
	if (bpfbox_vm__new(&L->vm, &vo) || bpfbox_env__attach(L->env, L->vm))
		return -ENOMEM;
	e = bpfbox_object__load(L->obj, L->vm, L->env, NULL);
	if (e)
		snprintf(why, whysz, "load: %s", strerror(-e));
	return e;
}

static void unload(struct loaded *L)
{
	bpfbox_object__free(L->obj);
	bpfbox_vm__free(L->vm);
	bpfbox_env__free(L->env);
}

static int run(struct loaded *L, const char *prog, void *ctx, size_t len, uint64_t *r0,
	       char *log, size_t logsz)
{
	struct bpfbox_obj_prog *p = bpfbox_object__find_prog(L->obj, prog);
	if (!p || !bpfbox_obj_prog__handle(p))
		return -ENOENT;
	if (log)
		log[0] = 0;
	struct bpfbox_log lg = { .buf = log, .size = log ? logsz : 0, .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = ctx, .mem_len = len, .engine = BPFBOX_ENGINE_INTERP,
		    .log = log ? &lg : NULL);
	return bpfbox_prog__run(bpfbox_obj_prog__handle(p), &ro, r0);
}

static void set_bits(uint8_t *buf, uint32_t bit, uint32_t n, uint64_t v)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = bit + i;
		if ((v >> i) & 1)
			buf[b / 8] |= (uint8_t)(1u << (b % 8));
		else
			buf[b / 8] &= (uint8_t)~(1u << (b % 8));
	}
}

/* Run every wanted program of the object relocated against `oo`'s target. */
static void run_all(const char *what, const char *path, const struct bpfbox_object_opts *oo,
		    const struct want *w, size_t n)
{
	struct loaded L;
	char why[256] = "";
	int e = load(path, oo, &L, why, sizeof(why));
	CHECK(e == 0, "%s: core_structs opens and loads (%s)", what, why);
	if (!e) {
		for (size_t i = 0; i < n; i++) {
			uint8_t ctx[512];
			memcpy(ctx, w[i].ctx, sizeof(ctx));
			uint64_t r0 = 0;
			char lg[256];
			int r = run(&L, w[i].prog, ctx, sizeof(ctx), &r0, lg, sizeof(lg));
			CHECK(r == 0 && (long long)(int32_t)r0 == w[i].r0, "%s: %s returns %lld (got %lld, %d %s)",
			      what, w[i].prog, w[i].r0, (long long)(int32_t)r0, r, r ? lg : "");
		}
	}
	unload(&L);
}

/* ---- libbpf, the reference ---------------------------------------------------------- */

/* libbpf prepares the object for `btf_path` (NULL: the kernel's); every
 * program's instructions must be bpfbox's.  Returns the CO-RE slots compared
 * or -1 on a difference. */
static long cmp_libbpf(const char *what, const char *path, const char *btf_path,
		       struct bpfbox_object *bo)
{
	LIBBPF_OPTS(bpf_object_open_opts, lo, .btf_custom_path = btf_path);
	struct bpf_object *ko = bpf_object__open_file(path, &lo);
	if (!ko) {
		CHECK(0, "%s: libbpf opens %s", what, path);
		return -1;
	}
	struct bpf_program *kp;
	bpf_object__for_each_program(kp, ko)
		bpf_program__set_flags(kp, 0xfff00000u); /* refused before verification */
	bpf_object__load(ko);
	long core = 0, diffs = 0;
	bpf_object__for_each_program(kp, ko) {
		struct bpfbox_obj_prog *bp = bpfbox_object__find_prog(bo, bpf_program__name(kp));
		size_t bn = 0, kn = bpf_program__insn_cnt(kp);
		const struct bpfbox_insn *bi = bp ? bpfbox_obj_prog__insns(bp, &bn) : NULL;
		const void *ki = bpf_program__insns(kp);
		if (!bi || !ki || bn != kn || memcmp(bi, ki, bn * 8)) {
			diffs++;
			printf("# %s: %s differs from libbpf's\n", what, bpf_program__name(kp));
		}
		core += (long)bpfbox_obj_prog__core_relo_count(bp);
	}
	bpf_object__close(ko);
	CHECK(diffs == 0, "%s: every program's instructions are libbpf 1.1's (%ld CO-RE slots)", what,
	      core);
	return diffs ? -1 : core;
}

/* The kernel runs the programs (relocated by libbpf for itself): same r0. */
static void kernel_runs(const char *path, const struct want *w, size_t n)
{
	struct bpf_object *ko = bpf_object__open_file(path, NULL);
	if (!ko || bpf_object__load(ko)) {
		SKIP("kernel: libbpf cannot load %s here", path);
		bpf_object__close(ko);
		return;
	}
	size_t same = 0;
	for (size_t i = 0; i < n; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(ko, w[i].prog);
		uint8_t ctx[512];
		memcpy(ctx, w[i].ctx, sizeof(ctx));
		LIBBPF_OPTS(bpf_test_run_opts, to, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));
		int e = p ? bpf_prog_test_run_opts(bpf_program__fd(p), &to) : -ENOENT;
		CHECK_QUIET(e == 0 && (long long)(int32_t)to.retval == w[i].r0,
			    "kernel: %s returns %lld like bpfbox (got %lld, %d)", w[i].prog, w[i].r0,
			    (long long)(int32_t)to.retval, e);
		same += e == 0 && (long long)(int32_t)to.retval == w[i].r0;
	}
	CHECK(same == n, "kernel: %zu of %zu programs test-run in this kernel return what they "
	      "return in bpfbox", same, n);
	bpf_object__close(ko);
}

/* ---- byte surgery on the compiled object -------------------------------------------- */

/* The CO-RE records of .BTF.ext: call fn on each (kind is writable). */
static int each_record(uint8_t *file, size_t size, void (*fn)(uint8_t *rec, void *ud), void *ud)
{
	struct bpfbox_object *o;
	if (bpfbox_object__open_mem(file, size, NULL, &o))
		return -1;
	struct bpfbox_obj_sec_info si = { 0 };
	bool found = false;
	for (size_t i = 0; i < bpfbox_object__sec_count(o) && !found; i++)
		found = !bpfbox_object__sec(o, i, &si) && si.kind == BPFBOX_SEC_BTF_EXT;
	bpfbox_object__free(o);
	if (!found)
		return -1;
	uint8_t *ext = file + si.offset;
	uint32_t hdr = *(uint32_t *)(ext + 4), off = *(uint32_t *)(ext + 24),
		 len = *(uint32_t *)(ext + 28);
	uint8_t *p = ext + hdr + off, *end = p + len;
	uint32_t rs = *(uint32_t *)p;
	p += 4;
	while (p + 8 <= end) {
		uint32_t num = *(uint32_t *)(p + 4);
		p += 8;
		for (uint32_t i = 0; i < num && p + rs <= end; i++, p += rs)
			fn(p, ud);
	}
	return 0;
}

static void to_matches(uint8_t *rec, void *ud)
{
	(void)ud;
	if (*(uint32_t *)(rec + 12) == 8 /* TYPE_EXISTS */)
		*(uint32_t *)(rec + 12) = 12; /* TYPE_MATCHES */
}

/* ---- the parts ------------------------------------------------------------------------- */

static void hand_made(const char *obj, const char *btfpath, struct btf *hm, bool root)
{
	struct want w[] = {
		W("off_pid", 100), W("off_tgid", 104), W("off_parent", 16), W("off_comm3", 163),
		W("size_comm", 16), W("size_parent", 8), W("signed_pid", 1), W("signed_type", 1),
		W("exists_pid", 1), W("exists_missing", 0), W("bf_inherit", 1), W("bf_comm", 0),
		W("bf_lshift", 25), W("bf_rshift", 63), W("bf_off", 24), W("bf_size", 8),
		W("bits_lo", -3), W("bits_big", 0), W("bits_arr2", -7), W("type_size", 256),
		W("type_exists", 1), W("type_nope", 1), W("type_id_local", 0),
		W("type_id_target", 0), W("enum_sid", 17), W("enum_max", 42), W("enum_nope", 0),
		W("flavor", 2), W("flavor_off", 8), W("core_checks", 511),
	};
	size_t n = sizeof(w) / sizeof(w[0]);
	const int64_t big = -0x123456789ll;
	for (size_t i = 0; i < n; i++) {
		uint8_t *c = w[i].ctx;
		if (!strcmp(w[i].prog, "bf_inherit")) { /* neighbours set, inherit 1 */
			set_bits(c, 195, 3, 7);
		} else if (!strcmp(w[i].prog, "bf_comm")) { /* comm 0 between two ones */
			set_bits(c, 249, 3, 5);
		} else if (!strcmp(w[i].prog, "bits_lo")) {
			set_bits(c, 5, 5, 0x11 | (5 << 1)); /* lo = 0b101 (-3) at bit 6, ones around */
		} else if (!strcmp(w[i].prog, "bits_big")) {
			set_bits(c, 69, 40, (uint64_t)big);
			w[i].r0 = (int32_t)(uint32_t)((uint64_t)big >> 8);
		} else if (!strcmp(w[i].prog, "bits_arr2")) {
			int16_t v = -7;
			memcpy(c + 28, &v, 2);
		} else if (!strcmp(w[i].prog, "type_id_target")) {
			w[i].r0 = btf__find_by_name_kind(hm, "task_struct", BTF_KIND_STRUCT);
		}
	}
	/* the local id: from the object's own BTF */
	struct bpfbox_object *o = NULL;
	BPFBOX_OPTS(bpfbox_object_opts, oo, .btf_path = btfpath);
	if (!bpfbox_object__open_file(obj, &oo, &o)) {
		const struct btf *lb = bpfbox_object__btf(o);
		for (size_t i = 0; i < n; i++)
			if (!strcmp(w[i].prog, "type_id_local"))
				w[i].r0 = btf__find_by_name_kind(lb, "task_struct", BTF_KIND_STRUCT);
		/* what objdump lists: every relocation with its values */
		struct bpfbox_obj_prog *p = bpfbox_object__find_prog(o, "off_pid");
		struct bpfbox_obj_core_relo r = { 0 };
		int e = p ? bpfbox_obj_prog__core_relo(p, 0, &r) : -1;
		CHECK(e == 0 && r.kind == BPFBOX_CORE_FIELD_BYTE_OFFSET && r.new_val == 100 &&
		      !r.poisoned && strstr(r.spec, "task_struct.pid") &&
		      !strcmp(bpfbox_core_kind__name(r.kind), "byte_off"),
		      "hand-made: off_pid's relocation is listed: <%s> %s %llu -> %llu",
		      bpfbox_core_kind__name(r.kind), r.spec, (unsigned long long)r.orig_val,
		      (unsigned long long)r.new_val);
		const char *tn = NULL;
		CHECK(bpfbox_object__target_btf(o, &tn) && tn && !strcmp(tn, btfpath),
		      "hand-made: the target BTF is the file given (%s)", tn ? tn : "?");
		if (root)
			cmp_libbpf("hand-made", obj, btfpath, o);
		bpfbox_object__free(o);
	} else {
		CHECK(0, "hand-made: %s opens against %s", obj, btfpath);
	}
	run_all("hand-made", obj, &oo, w, n);
	/* the same target given as a libbpf BTF object */
	BPFBOX_OPTS(bpfbox_object_opts, o2, .target_btf = hm);
	run_all("hand-made (target_btf)", obj, &o2, w, 3);
}

static void kernel(const char *obj, bool root)
{
	struct btf *kb = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	if (!kb) {
		SKIP("kernel: no /sys/kernel/btf/vmlinux");
		return;
	}
	uint32_t pid, tgid, par, comm, inh, bcomm, hv, state, bsz;
	bool ok = !member(kb, "task_struct", "pid", &pid, &bsz) &&
		  !member(kb, "task_struct", "tgid", &tgid, &bsz) &&
		  !member(kb, "task_struct", "real_parent", &par, &bsz) &&
		  !member(kb, "task_struct", "comm", &comm, &bsz) &&
		  !member(kb, "perf_event_attr", "inherit", &inh, &bsz) &&
		  !member(kb, "perf_event_attr", "comm", &bcomm, &bsz) &&
		  !member(kb, "perf_event_attr", "exclude_hv", &hv, &bsz);
	bool new_state = !member(kb, "task_struct", "__state", &state, &bsz);
	if (!new_state && member(kb, "task_struct", "state", &state, &bsz))
		ok = false;
	int ts = btf__find_by_name_kind(kb, "task_struct", BTF_KIND_STRUCT);
	if (!ok || ts <= 0) {
		SKIP("kernel: this kernel's BTF lacks a field the example uses");
		btf__free(kb);
		return;
	}
	const struct btf_type *tst = btf__type_by_id(kb, (uint32_t)ts);
	uint32_t hv_byte = hv / 64 * 8;
	struct want w[] = {
		W("off_pid", pid / 8), W("off_tgid", tgid / 8), W("off_parent", par / 8),
		W("off_comm3", comm / 8 + 3), W("size_comm", 16), W("size_parent", 8),
		W("signed_pid", 1), W("signed_type", 0), W("exists_pid", 1),
		W("exists_missing", 0), W("bf_inherit", 1), W("bf_comm", 0),
		W("bf_lshift", 64 - (hv + 1 - hv_byte * 8)), W("bf_rshift", 63), W("bf_off", hv_byte),
		W("bf_size", 8), W("bits_lo", -1000), W("bits_big", -1000), W("bits_arr2", -1000),
		W("type_size", tst->size), W("type_exists", 1), W("type_nope", 0),
		W("type_id_target", ts), W("enum_sid", 3), W("enum_max", 4), W("enum_nope", 0),
		W("flavor", new_state ? 1 : 2), W("flavor_off", state / 8), W("core_checks", 511),
	};
	size_t n = sizeof(w) / sizeof(w[0]);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(w[i].prog, "bf_inherit"))
			set_bits(w[i].ctx, inh - 1, 3, 7);
		else if (!strcmp(w[i].prog, "bf_comm"))
			set_bits(w[i].ctx, bcomm - 1, 3, 5);
	}
	run_all("kernel BTF", obj, NULL, w, n);
	if (root) {
		struct bpfbox_object *o = NULL;
		if (!bpfbox_object__open_file(obj, NULL, &o))
			cmp_libbpf("kernel BTF", obj, NULL, o);
		bpfbox_object__free(o);
		kernel_runs(obj, w, n);
	}
	btf__free(kb);
}

static void matches(const char *obj, const char *btfpath, bool root)
{
	size_t n;
	uint8_t *b = (uint8_t *)check_read_file(obj, &n);
	if (!b || each_record(b, n, to_matches, NULL)) {
		CHECK(0, "type_matches: rewrite the TYPE_EXISTS records");
		free(b);
		return;
	}
	char path[700];
	snprintf(path, sizeof(path), "%s/core_matches.o", dir);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(b, 1, n, f);
		fclose(f);
	}
	free(b);
	/* type_matches wants equal names, kinds, int sizes and signedness
	 * (pointers by name only): the local task_struct matches the hand-made
	 * one but not this kernel's, whose `char comm[16]` is unsigned
	 * (-funsigned-char) while BPF's char is signed; the local
	 * bpfbox_core_bits has an `int lo:3` where the hand-made one has a
	 * signed char, and the kernel has none at all */
	const char *targets[] = { NULL, btfpath };
	int want_task[] = { 0, 1 }, want_nope[] = { 0, 0 };
	for (int t = 0; t < 2; t++) {
		struct loaded L;
		char why[128] = "";
		BPFBOX_OPTS(bpfbox_object_opts, oo, .btf_path = targets[t]);
		int e = load(path, &oo, &L, why, sizeof(why));
		uint64_t r1 = 9, r2 = 9;
		if (!e) {
			run(&L, "type_exists", NULL, 0, &r1, NULL, 0);
			run(&L, "type_nope", NULL, 0, &r2, NULL, 0);
		}
		struct bpfbox_obj_prog *p = e ? NULL : bpfbox_object__find_prog(L.obj, "type_exists");
		struct bpfbox_obj_core_relo r = { 0 };
		if (p)
			bpfbox_obj_prog__core_relo(p, 0, &r);
		CHECK(!e && (int)r1 == want_task[t] && (int)r2 == want_nope[t] &&
		      r.kind == BPFBOX_CORE_TYPE_MATCHES,
		      "type_matches against %s: task_struct %llu, bpfbox_core_bits %llu (%s)",
		      targets[t] ? "the hand-made BTF" : "the kernel", (unsigned long long)r1,
		      (unsigned long long)r2, why);
		if (root && !e)
			cmp_libbpf(targets[t] ? "type_matches (hand-made)" : "type_matches (kernel)", path,
				   targets[t], L.obj);
		unload(&L);
	}
}

/* Two target candidates that disagree: the object is refused. */
static void ambiguity(const char *obj)
{
	struct hm_ids ids;
	struct btf *b = handmade(&ids);
	int i32 = btf__find_by_name_kind(b, "int", BTF_KIND_INT);
	btf__add_struct(b, "task_struct___other", 128);
	btf__add_field(b, "pid", i32, 64, 0);
	char lbuf[512] = "";
	struct bpfbox_log lg = { .buf = lbuf, .size = sizeof(lbuf), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_object_opts, oo, .target_btf = b, .log = &lg);
	struct bpfbox_object *o = NULL;
	int e = bpfbox_object__open_file(obj, &oo, &o);
	lbuf[strcspn(lbuf, "\n")] = 0;
	CHECK(e == -EINVAL && strstr(lbuf, "ambiguity"),
	      "flavors that disagree (task_struct, task_struct___other) are refused: %d %s", e, lbuf);
	bpfbox_object__free(o);
	btf__free(b);
	/* a flavor with the same layout is fine for field relocations */
	b = handmade(&ids);
	i32 = btf__find_by_name_kind(b, "int", BTF_KIND_INT);
	btf__add_struct(b, "perf_event_attr___same", 64);
	btf__add_field(b, "type", i32, 0, 0);
	btf__add_field(b, "disabled", btf__find_by_name_kind(b, "long long unsigned int",
							   BTF_KIND_INT), 195, 1);
	BPFBOX_OPTS(bpfbox_object_opts, o2, .target_btf = b);
	struct loaded L;
	char why[128] = "";
	e = load(obj, &o2, &L, why, sizeof(why));
	uint64_t r0 = 0;
	if (!e)
		run(&L, "signed_type", NULL, 0, &r0, NULL, 0);
	CHECK(!e && r0 == 1, "a second flavor with the same layout: the relocation agrees (%s)", why);
	unload(&L);
	btf__free(b);
}

/* An instruction that does not hold what the compiler recorded. */
static void mismatch(const char *obj)
{
	size_t n;
	uint8_t *b = (uint8_t *)check_read_file(obj, &n);
	struct bpfbox_object *o = NULL;
	if (!b || bpfbox_object__open_mem(b, n, NULL, &o)) {
		CHECK(0, "mismatch: open %s", obj);
		free(b);
		return;
	}
	uint64_t val = 0, sz = 0;
	struct bpfbox_obj_sec_info si = { 0 };
	for (size_t i = 0; i < bpfbox_object__sec_count(o); i++)
		if (!bpfbox_object__sec(o, i, &si) && !strcmp(si.name, "syscall"))
			break;
	int e = bpfbox_object__symbol(o, "syscall", "off_pid", &val, &sz);
	if (!e && strcmp(si.name, "syscall"))
		e = -ENOENT;
	bpfbox_object__free(o); /* si.name was the object's */
	if (e) {
		CHECK(0, "mismatch: find off_pid");
		free(b);
		return;
	}
	/* off_pid is `r0 = <offset>; exit`: its imm is the relocated value */
	int32_t bad = 99;
	memcpy(b + si.offset + val + 4, &bad, 4);
	char lbuf[512] = "";
	struct bpfbox_log lg = { .buf = lbuf, .size = sizeof(lbuf), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_object_opts, oo, .log = &lg);
	e = bpfbox_object__open_mem(b, n, &oo, &o);
	lbuf[strcspn(lbuf, "\n")] = 0;
	CHECK(e == -EINVAL && strstr(lbuf, "unexpected immediate 99"),
	      "an instruction without the compiled value is refused like libbpf: %d %s", e, lbuf);
	bpfbox_object__free(o);
	free(b);
}

static void extra(const char *obj)
{
	char ks[700];
	snprintf(ks, sizeof(ks), "%s/kallsyms", dir);
	FILE *f = fopen(ks, "w");
	if (!f)
		return;
	fprintf(f, "ffffffffc0001234 T bpfbox_test_ksym\n0000000000000000 t other_sym\n");
	fclose(f);
	static const char kcfg[] = "CONFIG_BPFBOX_BOOL=y\nCONFIG_BPFBOX_TRI=m\n"
				   "CONFIG_BPFBOX_INT=0x1234\nCONFIG_BPFBOX_STR=\"hi\"\n";
	BPFBOX_OPTS(bpfbox_object_opts, oo, .kallsyms_path = ks, .kconfig = kcfg);
	struct loaded L;
	char why[256] = "";
	int e = load(obj, &oo, &L, why, sizeof(why));
	CHECK(e == 0, "core_extra loads with kconfig text and a kallsyms file (%s)", why);
	if (e) {
		unload(&L);
		return;
	}
	struct {
		const char *prog;
		long long r0;
	} w[] = {
		{ "kwrapper", 1 }, { "kunknown", 0 }, { "kbool", 1 }, { "ktri", 2 },
		{ "kint", 0x1234 }, { "kstr", 'h' + 'i' * 256 }, { "kunset", 0 }, { "ksym", 0xc0001234 },
	};
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		uint64_t r0 = 0;
		int r = run(&L, w[i].prog, NULL, 0, &r0, NULL, 0);
		CHECK(r == 0 && (long long)(uint32_t)r0 == (long long)(uint32_t)w[i].r0,
		      "extern: %s returns 0x%llx (got 0x%llx, %d)", w[i].prog, w[i].r0,
		      (unsigned long long)r0, r);
	}
	uint64_t r0 = 0;
	int r = run(&L, "kversion", NULL, 0, &r0, NULL, 0);
	CHECK(r == 0 && r0 >= 0x30000, "extern: LINUX_KERNEL_VERSION is uname's (0x%llx)",
	      (unsigned long long)r0);
	size_t nk = 0;
	bool kfound = false;
	for (size_t i = 0; i < bpfbox_object__extern_count(L.obj); i++) {
		struct bpfbox_obj_extern x;
		bpfbox_object__extern(L.obj, i, &x);
		nk += x.kind == BPFBOX_EXTERN_KCONFIG;
		kfound |= !strcmp(x.name, "bpf_bpfbox_kfunc") && x.func && !x.resolved && x.weak;
	}
	CHECK(nk == 8 && kfound, "externs listed: %zu kconfig, the weak kfunc unresolved", nk);
	/* a reached poisoned instruction and a kernel function call stop the run */
	uint8_t ctx[64] = { 0 };
	char lg[512];
	r = run(&L, "poisoned", ctx, sizeof(ctx), &r0, lg, sizeof(lg));
	lg[strcspn(lg, "\n")] = 0;
	struct bpfbox_obj_prog *p = bpfbox_object__find_prog(L.obj, "poisoned");
	char note[512];
	size_t ni;
	const struct bpfbox_insn *in = bpfbox_obj_prog__insns(p, &ni);
	const char *nt = NULL;
	for (size_t i = 0; i < ni && !nt; i++)
		if (in[i].code == 0x85 && in[i].imm == (int32_t)BPFBOX_CORE_POISON)
			nt = bpfbox_obj_prog__poison_note(p, i, note, sizeof(note));
	CHECK(r < 0 && nt && strstr(nt, "task_struct___nope.bpfbox_missing") &&
	      strstr(nt, "could not be resolved"),
	      "a reached poisoned instruction stops the run (%d: %s); its note: %s", r, lg,
	      nt ? nt : "(none)");
	r = run(&L, "kfunc", NULL, 0, &r0, lg, sizeof(lg));
	p = bpfbox_object__find_prog(L.obj, "kfunc");
	in = bpfbox_obj_prog__insns(p, &ni);
	nt = NULL;
	for (size_t i = 0; i < ni && !nt; i++)
		if (in[i].code == 0x85 && in[i].imm == (int32_t)BPFBOX_CORE_POISON)
			nt = bpfbox_obj_prog__poison_note(p, i, note, sizeof(note));
	CHECK(r < 0 && nt && strstr(nt, "bpf_bpfbox_kfunc"),
	      "a kernel function call is poisoned and named: %s", nt ? nt : "(none)");
	unload(&L);

	/* a strong extern nobody provides */
	BPFBOX_OPTS(bpfbox_object_opts, o2, .kconfig = kcfg);
	char lbuf[512] = "";
	struct bpfbox_log lgg = { .buf = lbuf, .size = sizeof(lbuf), .level = BPFBOX_LOG_ERROR };
	o2.log = &lgg;
	struct bpfbox_object *o = NULL;
	e = bpfbox_object__open_file(obj, &o2, &o);
	lbuf[strcspn(lbuf, "\n")] = 0;
	CHECK(e == -ESRCH && strstr(lbuf, "bpfbox_test_ksym"),
	      "a strong __ksym nobody has is refused (%d): %s", e, lbuf);
	bpfbox_object__free(o);
	/* kconfig values of the wrong kind */
	static const char badk[] = "CONFIG_BPFBOX_BOOL=m\n";
	BPFBOX_OPTS(bpfbox_object_opts, o3, .kconfig = badk, .kallsyms_path = ks);
	lbuf[0] = 0;
	lgg.len = 0;
	o3.log = &lgg;
	e = bpfbox_object__open_file(obj, &o3, &o);
	lbuf[strcspn(lbuf, "\n")] = 0;
	CHECK(e == -EINVAL && strstr(lbuf, "CONFIG_BPFBOX_BOOL"), "a bool set to m is refused: %s",
	      lbuf);
	bpfbox_object__free(o);
	static const char bigk[] = "CONFIG_BPFBOX_INT=70000\n";
	BPFBOX_OPTS(bpfbox_object_opts, o4, .kconfig = bigk, .kallsyms_path = ks);
	e = bpfbox_object__open_file(obj, &o4, &o);
	CHECK(e == -ERANGE, "a number too big for its unsigned short is refused (%d)", e);
	bpfbox_object__free(o);
}

static void globals(const char *obj)
{
	char ks[700];
	snprintf(ks, sizeof(ks), "%s/kallsyms", dir);
	BPFBOX_OPTS(bpfbox_object_opts, oo, .kallsyms_path = ks);
	struct bpfbox_object *o = NULL;
	if (bpfbox_object__open_file(obj, &oo, &o)) {
		CHECK(0, "globals: open");
		return;
	}
	CHECK(bpfbox_object__set_global(o, "targ_pid", "1234") == 0 &&
	      bpfbox_object__set_global(o, "verbose", "true") == 0 &&
	      bpfbox_object__set_global(o, "label", "xyz") == 0 &&
	      bpfbox_object__set_global(o, "mode", "MODE_SLOW") == 0 &&
	      bpfbox_object__set_global(o, "weights", "5,6,7,8") == 0 &&
	      bpfbox_object__set_global(o, "tiny", "-3") == 0 &&
	      bpfbox_object__set_global(o, "hits", "40") == 0,
	      "set_global: int, bool, string, enum by name, array, signed char, .bss");
	CHECK(bpfbox_object__set_global(o, "nope", "1") == -ENOENT &&
	      bpfbox_object__set_global(o, "tiny", "200") == -EINVAL &&
	      bpfbox_object__set_global(o, "verbose", "maybe") == -EINVAL &&
	      bpfbox_object__set_global(o, "label", "toolongstring") == -EINVAL &&
	      bpfbox_object__set_global(o, "weights", "1,2,3,4,5") == -EINVAL &&
	      bpfbox_object__set_global(o, "targ_pid", "12x") == -EINVAL,
	      "set_global: unknown name, out of range, bad bool, long string, too many, junk");
	struct bpfbox_env *env = NULL;
	struct bpfbox_vm *vm = NULL;
	BPFBOX_OPTS(bpfbox_vm_opts, vo);
	bpfbox_env__new(&env, NULL);
	bpfbox_env__vm_opts(env, &vo);
	bpfbox_vm__new(&vm, &vo);
	bpfbox_env__attach(env, vm);
	int e = bpfbox_object__load(o, vm, env, NULL);
	uint64_t r0 = 0;
	struct bpfbox_obj_prog *p = bpfbox_object__find_prog(o, "config");
	BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = BPFBOX_ENGINE_INTERP);
	if (!e && p)
		e = bpfbox_prog__run(bpfbox_obj_prog__handle(p), &ro, &r0);
	long long want = 1234 + 100 + 'y' * 1000 + 9 * 1000000 + 8 * 10000000ll - 3;
	CHECK(e == 0 && (long long)(int32_t)r0 == want,
	      "the program sees the values set before load (%lld, want %lld)",
	      (long long)(int32_t)r0, want);
	struct bpfbox_obj_map *bm = bpfbox_object__find_map(o, ".bss");
	uint32_t zero = 0;
	int hits = -1;
	if (bm)
		bpfbox_map__lookup(bpfbox_obj_map__handle(bm), &zero, &hits);
	CHECK(hits == 41, ".bss set before load, then incremented: %d", hits);
	CHECK(bpfbox_object__set_global(o, "targ_pid", "1") == -EBUSY, "set_global after load: -EBUSY");
	bpfbox_object__free(o);
	bpfbox_vm__free(vm);
	bpfbox_env__free(env);
}

int main(void)
{
	libbpf_set_print(quiet);
	snprintf(dir, sizeof(dir), "%s/core", check_build_dir());
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	if (system(cmd) || system("clang --version >/dev/null 2>&1")) {
		SKIP("clang is not installed: the CO-RE tests need compiled objects");
		return check_summary();
	}
	char obj[700], extra_obj[700], btfpath[700];
	snprintf(obj, sizeof(obj), "%s/core_structs.o", dir);
	snprintf(extra_obj, sizeof(extra_obj), "%s/core_extra.o", dir);
	snprintf(btfpath, sizeof(btfpath), "%s/handmade.btf", dir);
	if (check_compile_bpf("examples/core_structs.bpf.c", obj, false) ||
	    check_compile_bpf("tests/core/core_extra.bpf.c", extra_obj, false)) {
		CHECK(0, "the CO-RE test objects compile");
		return check_summary();
	}
	struct hm_ids ids;
	struct btf *hm = handmade(&ids);
	CHECK(hm && !write_btf(hm, btfpath), "a hand-made target BTF is written to %s", btfpath);
	if (!hm)
		return check_summary();
	bool root = geteuid() == 0;
	if (!root)
		SKIP("libbpf comparison and kernel runs: not root (libbpf creates maps, "
		     "BPF_PROG_TEST_RUN)");
	hand_made(obj, btfpath, hm, root);
	kernel(obj, root);
	matches(obj, btfpath, root);
	ambiguity(obj);
	mismatch(obj);
	extra(extra_obj);
	globals(extra_obj);
	btf__free(hm);
	return check_summary();
}
