/* bpfbox — tests/unit/test_verify.c: the verifier's tests.
 *
 *  1. the numeric domain: random concrete values inside random abstract
 *     scalars, every ALU row and every comparison: the abstract result must
 *     contain the concrete one (soundness of bounds.c and tnum.c);
 *  2. the vectors (tests/verify/NAME.vec): verdict and message substring; every
 *     rejection line names the instruction and says why;
 *  3. agreement with the kernel: tests/verify/kernel-labels.txt holds what
 *     this machine's kernel said for each vector (made by running this
 *     program with --kernel-label as root); wrong accepts fail the test,
 *     overall agreement must be >= 95%;
 *  4. soundness: accepted raw (UNSPEC) vectors run in checked mode on random
 *     memory must never fault or run out of budget, and then run unchecked.
 *
 * Modes: `test_verify` (the tests), `test_verify --kernel-label FILE`
 * (root: load every vector with BPF_PROG_LOAD, write the labels),
 * `test_verify --bench` (verification time and processed instructions,
 * bpfbox vs kernel, as ratios).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "check.h"
#include "verify_vec.h"
#include "verify/verifier.h"
#include "bpfbox/vm.h"

/* ---- layouts match the kernel's UAPI ---------------------------------------- */
_Static_assert(offsetof(struct __sk_buff, data) == 76, "skb data");
_Static_assert(offsetof(struct __sk_buff, data_end) == 80, "skb data_end");
_Static_assert(offsetof(struct __sk_buff, data_meta) == 140, "skb data_meta");
_Static_assert(offsetof(struct __sk_buff, cb) == 48, "skb cb");
_Static_assert(offsetof(struct __sk_buff, sk) == 168, "skb sk");
_Static_assert(offsetof(struct __sk_buff, tstamp) == 152, "skb tstamp");
_Static_assert(offsetof(struct __sk_buff, hwtstamp) == 184, "skb hwtstamp");
_Static_assert(offsetof(struct __sk_buff, tstamp_type) == 180, "skb tstamp_type");
_Static_assert(offsetof(struct __sk_buff, family) == 88, "skb family");
_Static_assert(offsetof(struct __sk_buff, local_port) == 136, "skb local_port");
_Static_assert(offsetof(struct __sk_buff, flow_keys) == 144, "skb flow_keys");
_Static_assert(sizeof(struct __sk_buff) == 192, "skb size");
_Static_assert(offsetof(struct xdp_md, data_meta) == 8, "xdp data_meta");
_Static_assert(offsetof(struct xdp_md, egress_ifindex) == 20, "xdp egress");
_Static_assert(sizeof(struct xdp_md) == 24, "xdp size");
_Static_assert((int)VM_RINGBUF == (int)BPF_MAP_TYPE_RINGBUF && (int)VM_ARRAY == (int)BPF_MAP_TYPE_ARRAY &&
	       (int)VM_PROG_ARRAY == (int)BPF_MAP_TYPE_PROG_ARRAY && (int)VM_QUEUE == (int)BPF_MAP_TYPE_QUEUE &&
	       (int)VM_BLOOM_FILTER == (int)BPF_MAP_TYPE_BLOOM_FILTER &&
	       (int)VM_USER_RINGBUF == (int)BPF_MAP_TYPE_USER_RINGBUF &&
	       (int)VM_ARRAY_OF_MAPS == (int)BPF_MAP_TYPE_ARRAY_OF_MAPS && (int)VM_XSKMAP == (int)BPF_MAP_TYPE_XSKMAP,
	       "map type numbers");
_Static_assert(VRF_F_RDONLY_PROG == BPF_F_RDONLY_PROG, "rdonly flag");

/* ---- 1. the numeric domain -------------------------------------------------- */

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static uint64_t rnd_val(void)
{
	switch (rnd() % 6) {
	case 0: return rnd() % 16;
	case 1: return (uint64_t)-(int64_t)(rnd() % 16);
	case 2: return rnd() & 0xffffffff;
	case 3: return 1ull << (rnd() % 64);
	case 4: return (uint64_t)(int32_t)rnd();
	default: return rnd();
	}
}

static bool contains(const struct vreg *r, uint64_t v)
{
	return r->type == V_SCALAR && (int64_t)v >= r->smin && (int64_t)v <= r->smax && v >= r->umin &&
	       v <= r->umax && (int32_t)v >= r->s32min && (int32_t)v <= r->s32max &&
	       (uint32_t)v >= r->u32min && (uint32_t)v <= r->u32max &&
	       (v & ~r->var.mask) == r->var.value;
}

/* An abstract scalar that contains v: v itself, or a range around it, or
 * known bits of it. */
static void rnd_abs(struct vreg *r, uint64_t v)
{
	vrf_mark_unknown(r);
	switch (rnd() % 5) {
	case 0:
		vrf_mark_known(r, v);
		return;
	case 1: {
		uint64_t lo = v - (rnd() % 100), hi = v + (rnd() % 100);
		if (lo > v)
			lo = 0;
		if (hi < v)
			hi = UINT64_MAX;
		r->umin = lo;
		r->umax = hi;
		break;
	}
	case 2: {
		int64_t lo = (int64_t)(v - rnd() % 1000), hi = (int64_t)(v + rnd() % 1000);
		if (lo > (int64_t)v)
			lo = INT64_MIN;
		if (hi < (int64_t)v)
			hi = INT64_MAX;
		r->smin = lo;
		r->smax = hi;
		break;
	}
	case 3: {
		uint64_t m = rnd() & rnd();
		r->var = TNUM(v & ~m, m);
		break;
	}
	default:
		break;
	}
	vrf_bounds_sync(r);
}

static uint64_t concrete(enum isa_op op, uint64_t a, uint64_t b)
{
	/* the interpreter's semantics, through the VM: evaluate with a tiny
	 * program would be slow; the isa.def SEM for ALU rows is replicated
	 * by running one instruction in the interpreter */
	struct bpfbox_insn p[6];
	unsigned k = 0;
	k += isa_encode(ISA_OP_LDDW, 0, 0, 0, (int64_t)a, &p[k]);
	k += isa_encode(ISA_OP_LDDW, 2, 0, 0, (int64_t)b, &p[k]);
	const struct isa_info *ri = &isa_info[op];
	k += isa_encode(op, 0, 2, 0, (int64_t)(int32_t)b, &p[k]);
	k += isa_encode(ISA_OP_EXIT, 0, 0, 0, 0, &p[k]);
	(void)ri;
	static struct bpfbox_vm *vm;
	if (!vm)
		bpfbox_vm__new(&vm, NULL);
	struct bpfbox_prog *prog;
	if (bpfbox_prog__load(vm, p, k, NULL, &prog))
		return 0;
	uint64_t r0 = 0;
	bpfbox_prog__run(prog, NULL, &r0);
	bpfbox_prog__free(prog);
	return r0;
}

static void test_domain(void)
{
	unsigned alu_fail = 0, alu_n = 0, cmp_fail = 0, cmp_n = 0;
	for (unsigned op = 0; op < ISA_OP__COUNT; op++) {
		const struct isa_info *ri = &isa_info[op];
		unsigned s = ri->shape;
		if (s != S_ALU_K && s != S_ALU_X && s != S_NEG && s != S_END && s != S_MOVSX)
			continue;
		for (int it = 0; it < 400; it++) {
			uint64_t a = rnd_val(), b = rnd_val();
			if (s == S_ALU_K)
				b = (uint64_t)(int64_t)(int32_t)b;
			struct vreg A, B;
			rnd_abs(&A, a);
			if (s == S_ALU_K)
				vrf_mark_known(&B, b);
			else
				rnd_abs(&B, b);
			uint64_t want = concrete((enum isa_op)op, a, b);
			struct vreg R = A;
			vrf_scalar_alu(&R, &B, (enum isa_op)op);
			alu_n++;
			if (!contains(&R, want)) {
				alu_fail++;
				static unsigned per_op[ISA_OP__COUNT];
				if (per_op[op]++ < 2)
					printf("# ALU escape %s a=%#llx b=%#llx -> %#llx not in u[%llu,%llu] s[%lld,%lld] u32[%u,%u] s32[%d,%d] var=(%#llx;%#llx)\n",
					    ri->name, (unsigned long long)a, (unsigned long long)b,
					    (unsigned long long)want, (unsigned long long)R.umin,
					    (unsigned long long)R.umax, (long long)R.smin, (long long)R.smax, R.u32min, R.u32max, R.s32min, R.s32max,
					    (unsigned long long)R.var.value, (unsigned long long)R.var.mask);
				CHECK_QUIET(0, "%s: a=%#llx b=%#llx -> %#llx not in [%llu,%llu] s[%lld,%lld] var=(%#llx;%#llx)",
					    ri->name, (unsigned long long)a, (unsigned long long)b,
					    (unsigned long long)want, (unsigned long long)R.umin,
					    (unsigned long long)R.umax, (long long)R.smin, (long long)R.smax,
					    (unsigned long long)R.var.value, (unsigned long long)R.var.mask);
			}
		}
	}
	CHECK(alu_fail == 0, "ALU: %u random (value in abstract value) checks over every ALU row, %u escapes",
	      alu_n, alu_fail);
	for (unsigned op = 0; op < ISA_OP__COUNT; op++) {
		if (!isa_is_cond_jump((enum isa_op)op))
			continue;
		const struct isa_info *ri = &isa_info[op];
		for (int it = 0; it < 2000; it++) {
			uint64_t a = rnd_val(), b = rnd() % 3 ? rnd_val() : a + (rnd() % 3) - 1;
			struct vreg A, B;
			rnd_abs(&A, a);
			rnd_abs(&B, b);
			/* concrete outcome via the interpreter */
			struct bpfbox_insn p[12];
			unsigned k = 0;
			k += isa_encode(ISA_OP_LDDW, 1, 0, 0, (int64_t)a, &p[k]);
			k += isa_encode(ISA_OP_LDDW, 2, 0, 0, (int64_t)b, &p[k]);
			k += isa_encode(ISA_OP_MOV64_K, 0, 0, 0, 0, &p[k]);
			if (ri->shape == S_JCOND_K) {
				b = (uint64_t)(int64_t)(int32_t)b;
				vrf_mark_known(&B, b);
			}
			k += isa_encode((enum isa_op)op, 1, 2, 1, (int64_t)(int32_t)b, &p[k]);
			k += isa_encode(ISA_OP_EXIT, 0, 0, 0, 0, &p[k]);
			k += isa_encode(ISA_OP_MOV64_K, 0, 0, 0, 1, &p[k]);
			k += isa_encode(ISA_OP_EXIT, 0, 0, 0, 0, &p[k]);
			static struct bpfbox_vm *vm;
			if (!vm)
				bpfbox_vm__new(&vm, NULL);
			struct bpfbox_prog *prog;
			if (bpfbox_prog__load(vm, p, k, NULL, &prog))
				continue;
			uint64_t r0 = 0;
			bpfbox_prog__run(prog, NULL, &r0);
			bpfbox_prog__free(prog);
			bool taken = r0 == 1;
			int pred = vrf_branch_taken(&A, &B, (enum isa_op)op);
			cmp_n++;
			if (pred >= 0 && pred != (int)taken) {
				cmp_fail++;
				CHECK_QUIET(0, "%s a=%#llx b=%#llx: predicted %d, really %d", ri->name,
					    (unsigned long long)a, (unsigned long long)b, pred, taken);
				continue;
			}
			struct vreg A2 = A, B2 = B;
			vrf_refine(&A2, &B2, (enum isa_op)op, taken);
			if (!vrf_scalar_bounds_ok(&A2) || !contains(&A2, a) ||
			    (ri->shape == S_JCOND_X && (!vrf_scalar_bounds_ok(&B2) || !contains(&B2, b)))) {
				cmp_fail++;
				CHECK_QUIET(0, "%s a=%#llx b=%#llx taken=%d: refinement lost the value: A u[%llu,%llu] s[%lld,%lld] var(%#llx;%#llx) u32[%u,%u] s32[%d,%d] -> A2 u[%llu,%llu] s[%lld,%lld] var(%#llx;%#llx) u32[%u,%u] s32[%d,%d]", ri->name,
					    (unsigned long long)a, (unsigned long long)b, taken,
					    (unsigned long long)A.umin, (unsigned long long)A.umax, (long long)A.smin, (long long)A.smax, (unsigned long long)A.var.value, (unsigned long long)A.var.mask, A.u32min, A.u32max, A.s32min, A.s32max,
					    (unsigned long long)A2.umin, (unsigned long long)A2.umax, (long long)A2.smin, (long long)A2.smax, (unsigned long long)A2.var.value, (unsigned long long)A2.var.mask, A2.u32min, A2.u32max, A2.s32min, A2.s32max);
				printf("# B u[%llu,%llu] s[%lld,%lld] var(%#llx;%#llx) -> B2 u[%llu,%llu] s[%lld,%lld] var(%#llx;%#llx)\n",
				       (unsigned long long)B.umin, (unsigned long long)B.umax, (long long)B.smin, (long long)B.smax, (unsigned long long)B.var.value, (unsigned long long)B.var.mask,
				       (unsigned long long)B2.umin, (unsigned long long)B2.umax, (long long)B2.smin, (long long)B2.smax, (unsigned long long)B2.var.value, (unsigned long long)B2.var.mask);
			}
		}
	}
	CHECK(cmp_fail == 0, "branches: %u random (prediction and refinement) checks over every jump row, "
	      "%u escapes", cmp_n, cmp_fail);
}

/* ---- labels -------------------------------------------------------------------- */

struct label {
	char name[300];
	char verdict[8];
	uint64_t processed;
	uint64_t usec;
	char msg[300];
};

static struct label *labels;
static size_t nlabels;
static char label_kernel[128];

static void load_labels(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[1024];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			if (!strncmp(line, "# kernel ", 9))
				snprintf(label_kernel, sizeof(label_kernel), "%s", vec_trim(line + 9));
			continue;
		}
		char *fld[5] = { 0 };
		char *p = line;
		for (int i = 0; i < 5 && p; i++) {
			fld[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = 0;
		}
		if (!fld[1])
			continue;
		if (nlabels == cap) {
			cap = cap ? cap * 2 : 512;
			labels = realloc(labels, cap * sizeof(*labels));
		}
		struct label *l = &labels[nlabels++];
		memset(l, 0, sizeof(*l));
		snprintf(l->name, sizeof(l->name), "%s", fld[0]);
		snprintf(l->verdict, sizeof(l->verdict), "%s", vec_trim(fld[1]));
		l->processed = fld[2] ? strtoull(fld[2], NULL, 10) : 0;
		l->usec = fld[3] ? strtoull(fld[3], NULL, 10) : 0;
		if (fld[4])
			snprintf(l->msg, sizeof(l->msg), "%s", vec_trim(fld[4]));
	}
	fclose(f);
}

static const struct label *find_label(const struct vec *v)
{
	char key[300];
	snprintf(key, sizeof(key), "%s:%s", v->file, v->name);
	for (size_t i = 0; i < nlabels; i++)
		if (!strcmp(labels[i].name, key))
			return &labels[i];
	return NULL;
}

/* ---- 2. + 3. the vectors -------------------------------------------------------- */

static int verify_vec(struct vec *v, char *first_err, size_t n, struct bpfbox_verify_stats *st,
		      int level, char *logbuf, size_t logsz)
{
	struct bpfbox_log log = { .buf = logbuf, .size = logsz, .level = level };
	struct bpfbox_verify_opts o;
	vec_opts(v, &o, &log);
	if (logbuf && logsz)
		logbuf[0] = 0;
	int err = bpfbox_verify(v->insns, v->n, &o, st);
	if (first_err && n) {
		first_err[0] = 0;
		/* the first ERROR line: the log holds only errors at level 0 */
		if (logbuf) {
			const char *nl = strchr(logbuf, '\n');
			size_t l = nl ? (size_t)(nl - logbuf) : strlen(logbuf);
			if (l >= n)
				l = n - 1;
			memcpy(first_err, logbuf, l);
			first_err[l] = 0;
		}
	}
	return err;
}

static void test_vectors(struct vecset *set)
{
	static char logbuf[1 << 16];
	unsigned ok = 0, acc = 0, rej = 0;
	unsigned agree = 0, wrong_acc = 0, wrong_rej = 0, judged = 0, unlabeled = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct vec *v = &set->v[i];
		if (v->asm_err[0]) {
			CHECK(0, "%s:%s assembles: %s", v->file, v->name, v->asm_err);
			continue;
		}
		char first[512];
		struct bpfbox_verify_stats st = { .sz = sizeof(st) };
		int err = verify_vec(v, first, sizeof(first), &st, BPFBOX_LOG_ERROR, logbuf, sizeof(logbuf));
		bool accepted = err == 0;
		accepted ? acc++ : rej++;
		bool good = accepted == v->accept;
		if (good && !accepted && v->expect_msg[0] && !strstr(first, v->expect_msg))
			good = false;
		if (!accepted) {
			/* the line names the instruction: "<digits>: " or "insn <digits>: " */
			const char *p = first;
			if (!strncmp(p, "insn ", 5))
				p += 5;
			char *e;
			long ix = strtol(p, &e, 10);
			bool named = e != p && e[0] == ':' && e[1] == ' ' && ix >= 0 && strlen(e) > 10;
			CHECK_QUIET(named, "%s:%s: rejection line names the instruction: '%s'", v->file, v->name,
				    first);
		}
		if (good)
			ok++;
		CHECK_QUIET(good, "%s:%s: expected %s%s%s, got %s: %s", v->file, v->name,
			    v->accept ? "ACCEPT" : "REJECT", v->expect_msg[0] ? " " : "", v->expect_msg,
			    accepted ? "ACCEPT" : "REJECT", accepted ? "" : first);
		const struct label *l = find_label(v);
		if (!l) {
			unlabeled++;
			continue;
		}
		if (!strcmp(l->verdict, "SKIP"))
			continue;
		judged++;
		bool k_acc = !strcmp(l->verdict, "ACCEPT");
		if (k_acc == accepted) {
			agree++;
		} else if (accepted) {
			wrong_acc++;
			printf("# DISAGREE (bpfbox accepts, kernel rejects) %s:%s: kernel: %s\n", v->file, v->name,
			       l->msg);
		} else {
			wrong_rej++;
			printf("# DISAGREE (bpfbox rejects, kernel accepts) %s:%s: bpfbox: %s\n", v->file,
			       v->name, first);
		}
	}
	CHECK(ok == set->n, "vectors: %u of %zu as expected (%u accepted, %u rejected)", ok, set->n, acc, rej);
	if (!nlabels) {
		SKIP("kernel agreement: tests/verify/kernel-labels.txt missing (make it as root with "
		     "build/tests/test_verify --kernel-label tests/verify/kernel-labels.txt)");
		return;
	}
	printf("# kernel agreement (%s): %u of %u judged vectors agree (%.1f%%), %u wrong accepts, %u "
	       "wrong rejects, %u unlabeled\n",
	       label_kernel, agree, judged, judged ? 100.0 * agree / judged : 0.0, wrong_acc, wrong_rej,
	       unlabeled);
	CHECK(wrong_acc == 0, "kernel agreement: no program the kernel rejects is accepted (%u)", wrong_acc);
	CHECK(judged && agree * 100 >= judged * 95, "kernel agreement >= 95%%: %u/%u", agree, judged);
}

/* ---- 4. soundness runs ------------------------------------------------------------ */

static void test_runs(struct vecset *set)
{
	struct bpfbox_vm *vm;
	if (bpfbox_vm__new(&vm, NULL)) {
		CHECK(0, "vm");
		return;
	}
	unsigned ran = 0, escapes = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct vec *v = &set->v[i];
		if (v->asm_err[0] || v->prog_type != BPFBOX_PROG_TYPE_UNSPEC || v->nmaps)
			continue;
		if (bpfbox_verify(v->insns, v->n, &(struct bpfbox_verify_opts){ .sz = sizeof(struct bpfbox_verify_opts), .ctx_size = v->ctx_size }, NULL))
			continue;
		struct bpfbox_prog *prog;
		if (bpfbox_prog__load(vm, v->insns, v->n, NULL, &prog))
			continue;
		size_t len = v->ctx_size;
		uint8_t *mem = malloc(len ? len : 1);
		for (int r = 0; r < 20; r++) {
			for (size_t b = 0; b < len; b++)
				mem[b] = (uint8_t)rnd();
			char lb[256] = "";
			struct bpfbox_log log = { .buf = lb, .size = sizeof(lb) };
			struct bpfbox_run_opts ro = { .sz = sizeof(ro), .mem = len ? mem : NULL, .mem_len = len,
						     .log = &log };
			uint64_t r0;
			bpfbox_prog__set_verified(prog, false);
			int e = bpfbox_prog__run(prog, &ro, &r0);
			ran++;
			if (e == -EFAULT || e == -ELOOP) {
				escapes++;
				CHECK_QUIET(0, "%s:%s: accepted but checked run failed: %s", v->file, v->name, lb);
				break;
			}
			bpfbox_prog__set_verified(prog, true);
			e = bpfbox_prog__run(prog, &ro, &r0); /* must not crash (ASan watches) */
			(void)e;
		}
		free(mem);
		bpfbox_prog__free(prog);
	}
	bpfbox_vm__free(vm);
	CHECK(escapes == 0, "soundness: %u runs of accepted raw vectors on random memory, %u faults", ran,
	      escapes);
}

/* ---- kernel labelling (root) --------------------------------------------------------- */

static int kernel_load(struct vec *v, char *msg, size_t msgsz, uint64_t *processed, uint64_t *usec,
		       const char **skip)
{
	*skip = NULL;
	int fds[VEC_MAX_MAPS];
	for (unsigned m = 0; m < VEC_MAX_MAPS; m++)
		fds[m] = -1;
	int err = 0;
	for (unsigned m = 0; m < v->nmaps; m++) {
		const struct bpfbox_map_desc *d = &v->maps[m];
		if (d->spin_lock_off >= 0) {
			*skip = "spin locks need BTF-described maps";
			err = -1;
			goto out;
		}
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = d->map_flags);
		int inner = -1;
		if (d->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || d->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
			inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
			mo.inner_map_fd = (uint32_t)inner;
		}
		if (d->type == BPF_MAP_TYPE_BLOOM_FILTER)
			mo.map_extra = 3;
		if (d->type == BPF_MAP_TYPE_LPM_TRIE)
			mo.map_flags |= BPF_F_NO_PREALLOC;
		fds[m] = bpf_map_create((enum bpf_map_type)d->type, NULL, d->key_size, d->value_size,
					d->max_entries, &mo);
		if (inner >= 0)
			close(inner);
		if (fds[m] < 0) {
			snprintf(msg, msgsz, "map %u: %s", m, strerror(errno));
			*skip = "the kernel refused to create a map";
			err = -1;
			goto out;
		}
		if (d->rodata) {
			uint32_t k0 = 0;
			bpf_map_update_elem(fds[m], &k0, d->rodata, 0);
			bpf_map_freeze(fds[m]);
		}
	}
	struct bpf_insn *p = malloc(v->n * sizeof(*p));
	memcpy(p, v->insns, v->n * sizeof(*p));
	for (size_t i = 0; i + 1 < v->n; i++) {
		if (p[i].code == (BPF_LD | BPF_DW | BPF_IMM)) {
			if ((p[i].src_reg == 1 || p[i].src_reg == 2) && p[i].imm >= 0 &&
			    (unsigned)p[i].imm < v->nmaps)
				p[i].imm = fds[p[i].imm];
			i++;
		}
	}
	static char logbuf[1 << 20];
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = logbuf, .log_size = sizeof(logbuf), .log_level = 4,
		    .expected_attach_type = (enum bpf_attach_type)v->attach, .fd_array = fds);
	if (v->prog_type == BPF_PROG_TYPE_SYSCALL)
		lo.prog_flags = BPF_F_SLEEPABLE; /* how syscall programs are always loaded */
	logbuf[0] = 0;
	int fd = bpf_prog_load((enum bpf_prog_type)v->prog_type, "vec", v->license, p, v->n, &lo);
	int e = errno;
	*processed = 0;
	*usec = 0;
	const char *s = strstr(logbuf, "verification time ");
	if (s)
		*usec = strtoull(s + 18, NULL, 10);
	s = strstr(logbuf, "processed ");
	if (s)
		*processed = strtoull(s + 10, NULL, 10);
	if (fd >= 0) {
		close(fd);
		msg[0] = 0;
		err = 1;
	} else {
		/* again with the full log for the reason (its last message line) */
		lo.log_level = 1;
		logbuf[0] = 0;
		bpf_prog_load((enum bpf_prog_type)v->prog_type, "vec", v->license, p, v->n, &lo);
		char *last = NULL, *q = logbuf;
		while (q && *q) {
			char *nl = strchr(q, '\n');
			if (nl)
				*nl = 0;
			if (*q && strncmp(q, "processed ", 10) && strncmp(q, "verification time", 17) &&
			    strncmp(q, "stack depth", 11))
				last = q;
			q = nl ? nl + 1 : NULL;
		}
		snprintf(msg, msgsz, "%s (errno %d)", last ? last : "", e);
		for (char *c = msg; *c; c++)
			if (*c == '\t')
				*c = ' ';
		err = 0;
	}
	free(p);
out:
	for (unsigned m = 0; m < VEC_MAX_MAPS; m++)
		if (fds[m] >= 0)
			close(fds[m]);
	return err;
}

static int kernel_label(struct vecset *set, const char *out)
{
	FILE *f = fopen(out, "w");
	if (!f) {
		perror(out);
		return 2;
	}
	struct utsname u;
	uname(&u);
	fprintf(f, "# Verdicts of this machine's kernel for tests/verify/*.vec (BPF_PROG_LOAD as root).\n");
	fprintf(f, "# Made by: build/tests/test_verify --kernel-label %s\n", out);
	fprintf(f, "# kernel %s %s\n", u.sysname, u.release);
	fprintf(f, "# file:name\tverdict\tprocessed_insns\tverification_usec\tkernel message\n");
	unsigned a = 0, r = 0, s = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct vec *v = &set->v[i];
		char msg[512] = "";
		uint64_t proc = 0, us = 0;
		const char *skip = v->kernel_skip[0] ? v->kernel_skip : NULL;
		int res = -1;
		if (!skip && v->asm_err[0])
			skip = "does not assemble";
		if (!skip && v->prog_type == BPFBOX_PROG_TYPE_UNSPEC)
			skip = "bpfbox's raw program type: the kernel has no equivalent";
		if (!skip)
			res = kernel_load(v, msg, sizeof(msg), &proc, &us, &skip);
		const char *verdict = skip ? "SKIP" : res == 1 ? "ACCEPT" : "REJECT";
		if (skip)
			snprintf(msg, sizeof(msg), "%s", skip);
		skip ? s++ : res == 1 ? a++ : r++;
		fprintf(f, "%s:%s\t%s\t%llu\t%llu\t%s\n", v->file, v->name, verdict, (unsigned long long)proc,
			(unsigned long long)us, msg);
	}
	fclose(f);
	printf("labelled %zu vectors: %u accepted, %u rejected, %u skipped\n", set->n, a, r, s);
	return 0;
}

/* ---- live differential test (root) ------------------------------------------------------- */

static void test_live_kernel(struct vecset *set)
{
	if (geteuid() != 0) {
		SKIP("live kernel differential: not root (BPF_PROG_LOAD needs it); the committed labels "
		     "were compared above");
		return;
	}
	struct bpf_insn probe[2] = { { .code = 0xb7 }, { .code = 0x95 } };
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "probe", "GPL", probe, 2, NULL);
	if (fd < 0) {
		SKIP("live kernel differential: bpf() refused (%s)", strerror(errno));
		return;
	}
	close(fd);
	unsigned judged = 0, agree = 0, wacc = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct vec *v = &set->v[i];
		if (v->asm_err[0] || v->kernel_skip[0] || v->prog_type == BPFBOX_PROG_TYPE_UNSPEC)
			continue;
		char msg[512];
		uint64_t proc, us;
		const char *skip;
		int k = kernel_load(v, msg, sizeof(msg), &proc, &us, &skip);
		if (skip)
			continue;
		int mine = verify_vec(v, NULL, 0, NULL, BPFBOX_LOG_ERROR, NULL, 0) == 0;
		judged++;
		if (mine == (k == 1))
			agree++;
		else if (mine)
			wacc++;
	}
	printf("# live kernel differential: %u of %u vectors agree with this kernel now, %u wrong accepts\n",
	       agree, judged, wacc);
	CHECK(wacc == 0 && judged && agree * 100 >= judged * 95,
	      "live kernel differential: %u/%u agree, %u wrong accepts", agree, judged, wacc);
}

/* ---- bpfbox_prog__verify ------------------------------------------------------------------ */

static void test_prog_verify(void)
{
	struct bpfbox_vm *vm;
	CHECK(bpfbox_vm__new(&vm, NULL) == 0, "vm for bpfbox_prog__verify");
	struct bpfbox_insn good[3], bad[3];
	isa_encode(ISA_OP_MOV64_K, 0, 0, 0, 0, &good[0]);
	isa_encode(ISA_OP_EXIT, 0, 0, 0, 0, &good[1]);
	isa_encode(ISA_OP_MOV64_X, 0, 3, 0, 0, &bad[0]); /* r3 never written */
	isa_encode(ISA_OP_EXIT, 0, 0, 0, 0, &bad[1]);
	struct bpfbox_prog *pg, *pb;
	bpfbox_prog__load(vm, good, 2, NULL, &pg);
	bpfbox_prog__load(vm, bad, 2, NULL, &pb);
	char lb[256] = "";
	struct bpfbox_log log = { .buf = lb, .size = sizeof(lb) };
	BPFBOX_OPTS(bpfbox_verify_opts, o, .log = &log);
	CHECK(bpfbox_prog__verify(pg, &o) == 0 && bpfbox_prog__verified(pg),
	      "bpfbox_prog__verify accepts and marks a safe program");
	CHECK(bpfbox_prog__verify(pb, &o) == -EACCES && !bpfbox_prog__verified(pb) &&
		      strstr(lb, "0: R3 !read_ok"),
	      "bpfbox_prog__verify rejects, leaves it unverified, and says why: %s", lb);
	bpfbox_prog__free(pg);
	bpfbox_prog__free(pb);
	bpfbox_vm__free(vm);
}

/* ---- bench --------------------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int bench(struct vecset *set)
{
	double *tr = calloc(set->n, sizeof(double)), *pr = calloc(set->n, sizeof(double));
	size_t nt = 0, np = 0;
	bool root = geteuid() == 0;
	printf("%-60s %10s %10s %10s %10s\n", "vector (both accepted)", "bpfbox us", "kernel us", "bpfbox pi",
	       "kernel pi");
	for (size_t i = 0; i < set->n; i++) {
		struct vec *v = &set->v[i];
		if (v->asm_err[0] || v->prog_type == BPFBOX_PROG_TYPE_UNSPEC)
			continue;
		struct bpfbox_verify_stats st = { .sz = sizeof(st) };
		uint64_t best = UINT64_MAX;
		int err = 0;
		for (int rep = 0; rep < 5; rep++) {
			err = verify_vec(v, NULL, 0, &st, BPFBOX_LOG_ERROR, NULL, 0);
			if (st.time_ns < best)
				best = st.time_ns;
		}
		uint64_t kproc = 0, kus = 0;
		const struct label *l = find_label(v);
		if (root && !v->kernel_skip[0]) {
			char msg[256];
			const char *skip;
			uint64_t b2 = UINT64_MAX;
			for (int rep = 0; rep < 5; rep++) {
				if (kernel_load(v, msg, sizeof(msg), &kproc, &kus, &skip) != 1)
					break;
				if (kus < b2)
					b2 = kus;
			}
			kus = b2 == UINT64_MAX ? 0 : b2;
		} else if (l && !strcmp(l->verdict, "ACCEPT")) {
			kproc = l->processed;
			kus = l->usec;
		}
		if (err || !kproc)
			continue;
		double bus = (double)best / 1000.0;
		/* the kernel reports whole microseconds: count < 1 as 1 */
		double kk = kus ? (double)kus : 1.0;
		double bb = bus < 1.0 ? 1.0 : bus;
		tr[nt++] = bb / kk;
		pr[np++] = (double)st.insns_processed / (double)kproc;
		printf("%-60.60s %10.1f %10llu %10llu %10llu\n", v->name, bus, (unsigned long long)kus,
		       (unsigned long long)st.insns_processed, (unsigned long long)kproc);
	}
	if (nt) {
		qsort(tr, nt, sizeof(double), cmp_dbl);
		qsort(pr, np, sizeof(double), cmp_dbl);
		printf("verify: %zu programs; median time ratio bpfbox/kernel %.2f (p10 %.2f, p90 %.2f); "
		       "median processed-insn ratio %.2f\n",
		       nt, tr[nt / 2], tr[nt / 10], tr[nt * 9 / 10], pr[np / 2]);
	} else {
		printf("verify: no kernel numbers (run as root, or make the labels first)\n");
	}
	free(tr);
	free(pr);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("BPFBOX_VEC_DIR");
	if (!dir)
		dir = "tests/verify";
	struct vecset set = { 0 };
	int err = vec_load_dir(&set, dir);
	if (err) {
		printf("not ok - load vectors from %s: %s\n# 0 checks passed, 1 failed\n", dir, strerror(-err));
		return 1;
	}
	char lpath[1024];
	snprintf(lpath, sizeof(lpath), "%s/kernel-labels.txt", dir);
	if (argc > 2 && !strcmp(argv[1], "--kernel-label"))
		return kernel_label(&set, argv[2]);
	load_labels(lpath);
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench(&set);
	if (argc > 1 && !strcmp(argv[1], "--errors")) {
		/* every rejection line of the corpus (to check each message has a vector) */
		static char lb[1 << 16];
		for (size_t i = 0; i < set.n; i++) {
			char first[512];
			if (!set.v[i].asm_err[0] &&
			    verify_vec(&set.v[i], first, sizeof(first), NULL, BPFBOX_LOG_ERROR, lb, sizeof(lb)))
				printf("%s\n", first);
		}
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--trace")) {
		for (size_t i = 0; i < set.n; i++) {
			if (strcmp(set.v[i].name, argv[2]))
				continue;
			static char lb[1 << 20];
			verify_vec(&set.v[i], NULL, 0, NULL, BPFBOX_LOG_TRACE, lb, sizeof(lb));
			fputs(lb, stdout);
		}
		return 0;
	}
	test_domain();
	test_vectors(&set);
	test_runs(&set);
	test_live_kernel(&set);
	test_prog_verify();
	vec_free(&set);
	return check_summary();
}
