/* bpfbox — tests/unit/test_examples.c: every example program, in bpfbox and
 * in this machine's kernel, with the same results.
 *
 * For each examples/NAME.bpf.c with `// bpfbox-test:` lines (see
 * examples/expect.h): compile it with clang (into $BUILD/examples, only
 * when the source is newer), then for each test line
 *   1. bpfbox: open the object, load it into a fresh VM + helper env, run
 *      the program on the interpreter (and on the JIT when this host has
 *      one) with its context or packet; r0 must be the expected value;
 *   2. the kernel (unless the line says kernel=no:WHY): load the same
 *      object with libbpf, run the program with BPF_PROG_TEST_RUN; its
 *      return value must be the expected one too, the packet it returns
 *      must be bpfbox's byte for byte, and every map must hold the same
 *      contents (arrays, hashes, LPM tries: key by key; per-CPU maps: the
 *      sum over CPUs; queues and stacks: the popped sequence; ring
 *      buffers: the consumed records).  LRU maps named in nocmp= are
 *      skipped (eviction order is the kernel's own).
 * Examples without test lines (the disassembler's) must still open and
 * load.  No clang: SKIP.  bpf() refused: the kernel half SKIPs with the
 * reason, the bpfbox half still runs.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "bpfbox/helpers.h"
#include "bpfbox/jit.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"

/* ---- compiling ------------------------------------------------------------------ */

static int compile(const char *src, const char *out)
{
	struct stat s1, s2;
	if (stat(out, &s2) == 0 && stat(src, &s1) == 0 && s2.st_mtime > s1.st_mtime &&
	    stat("examples/expect.h", &s1) == 0 && s2.st_mtime > s1.st_mtime)
		return 0; /* up to date */
	return check_compile_bpf(src, out, false);
}

/* ---- test lines ------------------------------------------------------------------ */

struct tcase {
	char prog[64];
	unsigned long long expect;
	uint8_t data[512];
	size_t dlen;
	bool packet, task_ctx;
	char kernel_no[160];
	char nocmp[128];
};

static int hexbytes(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (s[0] && s[1] && s[0] != ' ' && n < max) {
		unsigned v;
		char t[3] = { s[0], s[1], 0 };
		if (sscanf(t, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (int)n;
}

static int parse_line(const char *l, struct tcase *t)
{
	memset(t, 0, sizeof(*t));
	const char *p;
	if (!(p = strstr(l, "prog=")) || sscanf(p + 5, "%63s", t->prog) != 1)
		return -1;
	if (!(p = strstr(l, "expect=")) || sscanf(p + 7, "%llu", &t->expect) != 1)
		return -1;
	if ((p = strstr(l, "packet="))) {
		int n = hexbytes(p + 7, t->data, sizeof(t->data));
		if (n < 0)
			return -1;
		t->dlen = (size_t)n;
		t->packet = true;
	}
	if ((p = strstr(l, "ctx="))) {
		if (!strncmp(p + 4, "task", 4)) {
			t->task_ctx = true;
		} else {
			int n = hexbytes(p + 4, t->data, sizeof(t->data));
			if (n < 0)
				return -1;
			t->dlen = (size_t)n;
		}
	}
	if ((p = strstr(l, "kernel=no:")))
		snprintf(t->kernel_no, sizeof(t->kernel_no), "%s", p + 10);
	if ((p = strstr(l, "nocmp=")))
		sscanf(p + 6, "%127s", t->nocmp);
	t->kernel_no[strcspn(t->kernel_no, "\n")] = 0;
	return 0;
}

/* The context task_probe.bpf.c expects. */
struct task_ctx {
	uint64_t pid_tgid, uid_gid;
	char comm[16];
	uint64_t user_str, user_word;
};
static const char hello[] = "hello";
static const uint32_t word = 0x11223344;

static void fill_task(struct tcase *t)
{
	struct task_ctx c = { 0 };
	c.pid_tgid = (uint64_t)getpid() << 32 | (uint32_t)syscall(SYS_gettid);
	c.uid_gid = (uint64_t)getgid() << 32 | getuid();
	prctl(PR_GET_NAME, c.comm, 0, 0, 0);
	c.user_str = (uint64_t)(uintptr_t)hello;
	c.user_word = (uint64_t)(uintptr_t)&word;
	memcpy(t->data, &c, sizeof(c));
	t->dlen = sizeof(c);
}

/* ---- the bpfbox side ------------------------------------------------------------------- */

#define HEADROOM 256
#define TAILROOM 512
#define CTX_AREA 256

struct pkt_run {
	uint8_t *base;
	size_t size;
	struct bpfbox_pkt pkt;
};

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void pkt_sync(void *ud, struct bpfbox_pkt *p)
{
	struct pkt_run *P = ud;
	uint32_t at = (uint32_t)(uintptr_t)p->buf;
	if (p->xdp) {
		put32(P->base + 0, at + p->data);
		put32(P->base + 4, at + p->data_end);
		put32(P->base + 8, at + p->meta);
	} else {
		put32(P->base + 0, p->data_end - p->data);
		put32(P->base + 76, at + p->data);
		put32(P->base + 80, at + p->data_end);
		put32(P->base + 140, at + p->meta);
	}
}

static int pkt_setup(struct pkt_run *P, const uint8_t *data, size_t len, bool xdp)
{
	P->size = CTX_AREA + HEADROOM + len + TAILROOM;
	P->base = mmap(NULL, P->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (P->base == MAP_FAILED)
		return -1;
	memset(&P->pkt, 0, sizeof(P->pkt));
	P->pkt.buf = P->base + CTX_AREA;
	P->pkt.cap = (uint32_t)(HEADROOM + len + TAILROOM);
	P->pkt.meta = P->pkt.data = HEADROOM;
	P->pkt.data_end = (uint32_t)(HEADROOM + len);
	P->pkt.xdp = xdp;
	P->pkt.sync = pkt_sync;
	P->pkt.sync_ud = P;
	memcpy(P->pkt.buf + HEADROOM, data, len);
	if (!xdp && len >= 14) {
		uint16_t proto;
		memcpy(&proto, data + 12, 2);
		put32(P->base + 16, proto);
	}
	pkt_sync(P, &P->pkt);
	return 0;
}

struct bb {
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
	struct bpfbox_object *obj;
	uint64_t r0;
	uint8_t pkt_out[1024];
	size_t pkt_len;
	int perf_samples;
};

static void perf_cb(void *ud, int index, void *data, uint32_t size)
{
	(void)index;
	(void)data;
	(void)size;
	((struct bb *)ud)->perf_samples++;
}

static void bb_free(struct bb *B)
{
	bpfbox_object__free(B->obj);
	bpfbox_vm__free(B->vm);
	bpfbox_env__free(B->env);
	memset(B, 0, sizeof(*B));
}

static FILE *trace_sink;

/* Load and run one test case in bpfbox.  Returns 0 or a negative errno with
 * a message in why. */
static int bb_run(const char *objpath, const struct tcase *t, int engine, struct bb *B, char *why,
		  size_t whysz)
{
	char logbuf[2048] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf) };
	memset(B, 0, sizeof(*B));
	BPFBOX_OPTS(bpfbox_env_opts, eo, .trace_out = trace_sink);
	BPFBOX_OPTS(bpfbox_object_opts, oo, .log = &log);
	int e = bpfbox_env__new(&B->env, &eo);
	BPFBOX_OPTS(bpfbox_vm_opts, vo);
	bpfbox_env__vm_opts(B->env, &vo);
	if (!e)
		e = bpfbox_vm__new(&B->vm, &vo);
	if (!e)
		e = bpfbox_env__attach(B->env, B->vm);
	if (!e)
		e = bpfbox_object__open_file(objpath, &oo, &B->obj);
	BPFBOX_OPTS(bpfbox_object_load_opts, lo, .log = &log);
	if (!e)
		e = bpfbox_object__load(B->obj, B->vm, B->env, &lo);
	if (e) {
		snprintf(why, whysz, "load: %s", logbuf[0] ? logbuf : strerror(-e));
		return e;
	}
	struct bpfbox_obj_prog *op = bpfbox_object__find_prog(B->obj, t->prog);
	if (!op) {
		snprintf(why, whysz, "no program %s", t->prog);
		return -ENOENT;
	}
	struct bpfbox_prog *prog = bpfbox_obj_prog__handle(op);
	if (engine == BPFBOX_ENGINE_JIT) {
		BPFBOX_OPTS(bpfbox_jit_opts, jo, .log = &log);
		if ((e = bpfbox_prog__jit(prog, &jo))) {
			snprintf(why, whysz, "jit: %s", logbuf[0] ? logbuf : strerror(-e));
			return e;
		}
	}
	struct bpfbox_hook_env hook = { .sz = sizeof(hook) };
	bpfbox_hook_env__self(&hook);
	BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engine, .hook = &hook, .log = &log);
	struct pkt_run P = { 0 };
	uint8_t ctx[512];
	if (t->packet) {
		if (pkt_setup(&P, t->data, t->dlen, bpfbox_obj_prog__type(op) == BPFBOX_PROG_TYPE_XDP)) {
			snprintf(why, whysz, "no packet buffer below 4 GiB");
			return -ENOMEM;
		}
		hook.pkt = &P.pkt;
		ro.mem = P.base;
		ro.mem_len = P.size;
	} else if (t->dlen) {
		memcpy(ctx, t->data, t->dlen);
		ro.mem = ctx;
		ro.mem_len = t->dlen;
	}
	logbuf[0] = 0;
	e = bpfbox_prog__run(prog, &ro, &B->r0);
	if (e)
		snprintf(why, whysz, "run: %s", logbuf[0] ? logbuf : strerror(-e));
	if (P.base) {
		B->pkt_len = P.pkt.data_end - P.pkt.data;
		if (B->pkt_len <= sizeof(B->pkt_out))
			memcpy(B->pkt_out, P.pkt.buf + P.pkt.data, B->pkt_len);
		munmap(P.base, P.size);
	}
	for (size_t i = 0; i < bpfbox_object__map_count(B->obj); i++) {
		struct bpfbox_map *m = bpfbox_obj_map__handle(bpfbox_object__map(B->obj, i));
		if (m && bpfbox_map__type(m) == BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY)
			bpfbox_perf__consume(m, perf_cb, NULL, B);
	}
	return e;
}

/* ---- the kernel side ---------------------------------------------------------------------- */

static bool kernel_ok = true;
static char kernel_why[256];

struct rec {
	uint8_t b[64];
	uint32_t n;
};
struct recs {
	struct rec r[16];
	int n;
};

static int k_rb_cb(void *ctx, void *data, size_t size)
{
	struct recs *R = ctx;
	if (R->n < 16 && size <= 64) {
		memcpy(R->r[R->n].b, data, size);
		R->r[R->n++].n = (uint32_t)size;
	}
	return 0;
}

static int b_rb_cb(void *ud, void *data, uint32_t size)
{
	return k_rb_cb(ud, data, size);
}

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == 0))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* Compare one map between bpfbox (m) and the kernel (fd). */
static void compare_map(const char *ex, const char *name, struct bpfbox_map *m, int fd)
{
	uint32_t t = bpfbox_map__type(m);
	uint32_t ks = bpfbox_map__key_size(m), vs = bpfbox_map__value_size(m);
	int kcpus = libbpf_num_possible_cpus();
	bool pc = t == BPFBOX_MAP_TYPE_PERCPU_ARRAY || t == BPFBOX_MAP_TYPE_PERCPU_HASH ||
		  t == BPFBOX_MAP_TYPE_LRU_PERCPU_HASH;
	size_t kvs = pc ? (size_t)kcpus * ((vs + 7) & ~7u) : vs;
	size_t bvs = bpfbox_map__value_buf_size(m);
	uint8_t *key = calloc(1, ks + 8), *bv = calloc(1, bvs + 8), *kv = calloc(1, kvs + 8);
	if (t == BPFBOX_MAP_TYPE_QUEUE || t == BPFBOX_MAP_TYPE_STACK) {
		int n = 0, same = 1;
		for (;;) {
			int e1 = bpfbox_map__lookup_and_delete(m, NULL, bv);
			int e2 = bpf_map_lookup_and_delete_elem(fd, NULL, kv) ? -errno : 0;
			if (e1 || e2) {
				same &= (e1 != 0) == (e2 != 0);
				break;
			}
			same &= !memcmp(bv, kv, vs);
			n++;
		}
		CHECK(same, "%s: map %s: %d popped values equal the kernel's", ex, name, n);
	} else if (t == BPFBOX_MAP_TYPE_RINGBUF) {
		struct recs a = { .n = 0 }, b = { .n = 0 };
		struct ring_buffer *rb = ring_buffer__new(fd, k_rb_cb, &a, NULL);
		if (rb) {
			ring_buffer__consume(rb);
			ring_buffer__free(rb);
		}
		bpfbox_ringbuf__consume(m, b_rb_cb, &b);
		int same = a.n == b.n;
		for (int i = 0; same && i < a.n; i++)
			same = a.r[i].n == b.r[i].n && !memcmp(a.r[i].b, b.r[i].b, a.r[i].n);
		CHECK(same, "%s: ring buffer %s: %d records equal the kernel's (%d)", ex, name, b.n, a.n);
	} else {
		int n = 0, bad = 0, kn = 0;
		bool first = true;
		while (!bpfbox_map__get_next_key(m, first ? NULL : key, key)) {
			first = false;
			n++;
			if (bpfbox_map__lookup(m, key, bv) || bpf_map_lookup_elem(fd, key, kv)) {
				bad++;
				continue;
			}
			if (pc) {
				uint64_t sb = 0, sk = 0;
				size_t w = vs < 8 ? vs : 8, step = (vs + 7) & ~7u;
				for (uint32_t c = 0; c < bpfbox_map__nr_cpus(m); c++) {
					uint64_t x = 0;
					memcpy(&x, bv + c * step, w);
					sb += x;
				}
				for (int c = 0; c < kcpus; c++) {
					uint64_t x = 0;
					memcpy(&x, kv + c * step, w);
					sk += x;
				}
				bad += sb != sk;
			} else {
				bad += memcmp(bv, kv, vs) != 0;
			}
		}
		/* the kernel must not hold keys bpfbox lacks */
		void *prev = NULL;
		uint8_t *kk = calloc(1, ks + 8);
		while (kk && !bpf_map_get_next_key(fd, prev, kk)) {
			kn++;
			prev = kk;
			if (kn > 100000)
				break;
		}
		free(kk);
		CHECK(!bad && kn == n, "%s: map %s: %d entries equal the kernel's (%d, %d differ)", ex,
		      name, n, kn, bad);
	}
	free(key);
	free(bv);
	free(kv);
}

static int k_print(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	if (getenv("BPFBOX_TEST_LIBBPF"))
		return vfprintf(stderr, fmt, ap);
	(void)l;
	return 0;
}

static void kernel_case(const char *ex, const char *objpath, const struct tcase *t, struct bb *B)
{
	if (t->kernel_no[0]) {
		SKIP("%s: %s in the kernel: %s", ex, t->prog, t->kernel_no);
		return;
	}
	if (!kernel_ok) {
		SKIP("%s: %s in the kernel: %s", ex, t->prog, kernel_why);
		return;
	}
	struct bpf_object *ko = bpf_object__open_file(objpath, NULL);
	if (!ko) {
		SKIP("%s: libbpf cannot open it: %s", ex, strerror(errno));
		return;
	}
	int e = bpf_object__load(ko);
	if (e) {
		/* only the program under test (others may use what this kernel refuses) */
		bpf_object__close(ko);
		ko = bpf_object__open_file(objpath, NULL);
		struct bpf_program *p;
		bpf_object__for_each_program(p, ko)
			bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), t->prog));
		e = ko ? bpf_object__load(ko) : -errno;
	}
	if (e) {
		if (e == -EPERM) {
			kernel_ok = false;
			snprintf(kernel_why, sizeof(kernel_why), "bpf() refused (EPERM): not root?");
		}
		SKIP("%s: %s: the kernel refused to load it (%s)", ex, t->prog, strerror(-e));
		bpf_object__close(ko);
		return;
	}
	struct bpf_program *kp = bpf_object__find_program_by_name(ko, t->prog);
	uint8_t out[2048];
	uint8_t ctx[512];
	memcpy(ctx, t->data, t->dlen);
	LIBBPF_OPTS(bpf_test_run_opts, ro);
	if (t->packet)
		ro.repeat = 1; /* syscall programs refuse repeat */
	if (t->packet) {
		ro.data_in = t->data;
		ro.data_size_in = (uint32_t)t->dlen;
		ro.data_out = out;
		ro.data_size_out = sizeof(out);
	} else if (t->dlen) {
		ro.ctx_in = ctx;
		ro.ctx_size_in = (uint32_t)t->dlen;
	}
	e = kp ? bpf_prog_test_run_opts(bpf_program__fd(kp), &ro) : -ENOENT;
	if (e) {
		SKIP("%s: %s: BPF_PROG_TEST_RUN failed (%s)", ex, t->prog, strerror(errno));
		bpf_object__close(ko);
		return;
	}
	CHECK(ro.retval == (uint32_t)t->expect, "%s: %s: the kernel returns %u (expected %llu)", ex,
	      t->prog, ro.retval, t->expect);
	CHECK(ro.retval == (uint32_t)B->r0, "%s: %s: kernel %u == bpfbox %llu", ex, t->prog,
	      ro.retval, (unsigned long long)B->r0);
	if (t->packet)
		CHECK(ro.data_size_out == B->pkt_len && !memcmp(out, B->pkt_out, B->pkt_len),
		      "%s: %s: the packet out (%u bytes) equals the kernel's (%zu bytes)", ex, t->prog,
		      ro.data_size_out, B->pkt_len);
	for (size_t i = 0; i < bpfbox_object__map_count(B->obj); i++) {
		struct bpfbox_obj_map *om = bpfbox_object__map(B->obj, i);
		const struct bpfbox_obj_map_def *d = bpfbox_obj_map__def(om);
		struct bpfbox_map *m = bpfbox_obj_map__handle(om);
		uint32_t ty = d->type;
		if (!m || d->kind == BPFBOX_OBJ_MAP_INNER || in_list(t->nocmp, d->name) ||
		    ty == BPFBOX_MAP_TYPE_PROG_ARRAY || ty == BPFBOX_MAP_TYPE_ARRAY_OF_MAPS ||
		    ty == BPFBOX_MAP_TYPE_HASH_OF_MAPS || ty == BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY ||
		    ty == BPFBOX_MAP_TYPE_BLOOM_FILTER)
			continue;
		struct bpf_map *km = bpf_object__find_map_by_name(ko, d->name);
		if (!km || bpf_map__fd(km) < 0) {
			CHECK(0, "%s: map %s exists in the kernel's object", ex, d->name);
			continue;
		}
		compare_map(ex, d->name, m, bpf_map__fd(km));
	}
	bpf_object__close(ko);
}

/* ---- driver ------------------------------------------------------------------------------- */

static void run_example(const char *name)
{
	char src[512], obj[512], ex[128];
	snprintf(src, sizeof(src), "examples/%s", name);
	snprintf(ex, sizeof(ex), "%.*s", (int)(strlen(name) - 6), name);
	snprintf(obj, sizeof(obj), "%s/examples/%s.o", check_build_dir(), ex);
	if (compile(src, obj)) {
		CHECK(0, "%s: compiles with clang", ex);
		return;
	}
	FILE *f = fopen(src, "r");
	char line[1024];
	int ntests = 0;
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "// bpfbox-test:");
		if (!p)
			continue;
		struct tcase t;
		if (parse_line(p, &t)) {
			CHECK(0, "%s: test line parses: %s", ex, p);
			continue;
		}
		ntests++;
		if (t.task_ctx)
			fill_task(&t);
		struct bb B;
		char why[2100] = "";
		int e = bb_run(obj, &t, BPFBOX_ENGINE_INTERP, &B, why, sizeof(why));
		CHECK(!e && B.r0 == t.expect, "%s: %s returns %llu in bpfbox (got %llu%s%s)", ex, t.prog,
		      t.expect, (unsigned long long)B.r0, e ? ", " : "", why);
		if (!strcmp(t.prog, "perf_out") || !strcmp(t.prog, "tracing"))
			CHECK(B.perf_samples == 1, "%s: %s sent 1 perf sample (%d)", ex, t.prog,
			      B.perf_samples);
		if (bpfbox_jit__available()) {
			struct bb J;
			char jwhy[2100] = "";
			int je = bb_run(obj, &t, BPFBOX_ENGINE_JIT, &J, jwhy, sizeof(jwhy));
			if (je == -ENOTSUP)
				SKIP("%s: %s on the JIT: %s", ex, t.prog, jwhy);
			else
				CHECK(!je && J.r0 == B.r0, "%s: %s: JIT %llu == interpreter %llu%s%s", ex,
				      t.prog, (unsigned long long)J.r0, (unsigned long long)B.r0,
				      je ? " " : "", jwhy);
			bb_free(&J);
		}
		kernel_case(ex, obj, &t, &B);
		bb_free(&B);
	}
	if (f)
		fclose(f);
	if (!ntests) {
		/* examples without tests (the disassembler's) must load */
		struct bb B;
		struct tcase t = { .prog = "" };
		char why[2100] = "";
		memset(&B, 0, sizeof(B));
		int e = bb_run(obj, &t, BPFBOX_ENGINE_INTERP, &B, why, sizeof(why));
		CHECK(e == -ENOENT, "%s: opens and loads in bpfbox (%s)", ex, why);
		bb_free(&B);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (system("clang --version >/dev/null 2>&1")) {
		SKIP("examples: clang is not installed");
		return check_summary();
	}
	libbpf_set_print(k_print);
	trace_sink = fopen("/dev/null", "w");
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/examples", check_build_dir());
	mkdir(check_build_dir(), 0755);
	mkdir(dir, 0755);
	DIR *d = opendir("examples");
	if (!d) {
		CHECK(0, "examples/ exists");
		return check_summary();
	}
	char *names[256];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 256) {
		size_t l = strlen(de->d_name);
		if (l > 6 && !strcmp(de->d_name + l - 6, ".bpf.c"))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	for (int i = 0; i < n; i++) {
		run_example(names[i]);
		free(names[i]);
	}
	fclose(trace_sink);
	return check_summary();
}
