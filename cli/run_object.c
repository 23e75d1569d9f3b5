/* bpfbox — cli/run_object.c: `bpfbox run` for ELF objects and .bpf.c sources.
 *
 * The object is opened (compiled first for a .bpf.c), every map and
 * program is created in a fresh VM with bpfbox's helpers, saved map
 * contents are applied (--maps-in), and the selected program runs once or
 * --repeat N times.  What r1 points to:
 *
 *  - --ctx FILE: a writable copy of FILE's bytes, the program's context
 *    (SEC("syscall") programs take any context this way, as the kernel's
 *    BPF_PROG_TEST_RUN does); r2 = its length;
 *  - --mem FILE for a packet program (xdp, tc/classifier, socket, ...):
 *    FILE is the packet.  bpfbox builds the context the kernel would — an
 *    xdp_md, or a __sk_buff with len/protocol/data/data_end — in a buffer
 *    below 4 GiB, so that the 32-bit `data`/`data_end` fields hold real
 *    addresses and `(void *)(long)ctx->data` works unmodified.  Headroom
 *    (256 bytes) and tailroom (512) let bpf_xdp_adjust_head/tail and
 *    skb_change_tail move the packet; the packet helpers update the
 *    context;
 *  - --mem FILE for other programs: FILE's bytes (r2 = length), the raw
 *    calling convention;
 *  - nothing: r1 = NULL, r2 = 0 (a syscall program without context).
 *
 * Output: bpf_trace_printk lines (trace_pipe format) as the program runs,
 * the maps with --dump-maps, and last a line with r0 in decimal.  Exit 0
 * when the program ran to its exit, 1 when it stopped with an error (one
 * line naming the instruction), 2 for bad input.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include "bpfbox/helpers.h"
#include "bpfbox/jit.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"
#include "bpfbox/vm.h"
#include "cli.h"
#include "objload.h"
#include "engine.h"

#define CMD "run"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfbox run OBJ [--section S | --prog NAME] [--mem FILE | --ctx FILE]\n"
		"                  [--repeat N] [--dump-maps] [--maps-in FILE.json]\n"
		"                  [--maps-out FILE.json] [--jit | --interp] [--trace-out FILE]\n"
		"                  [--cpu N] [--no-verify] [--btf FILE] [--set NAME=VALUE] [-v]\n"
		"  OBJ is an ELF object (clang -O2 -g -target bpf) or a .bpf.c source, compiled\n"
		"  with clang on the fly and cached by content hash (-v shows the command).\n"
		"  Every map and program of the object is loaded; the one run is the first\n"
		"  SEC() program, or --section S (by section name) / --prog NAME (a program\n"
		"  or a global function).\n"
		"  --ctx FILE        r1 = a writable copy of FILE (the context), r2 = its size\n"
		"  --mem FILE        packet programs (xdp, tc, socket, ...): FILE is the packet\n"
		"                    and r1 the xdp_md / __sk_buff the kernel would pass; other\n"
		"                    programs: r1 = FILE's bytes, r2 = their size\n"
		"  --repeat N        run N times (r0 of the last run is printed)\n"
		"  --dump-maps       print every map after the run (bpftool's format)\n"
		"  --maps-in FILE    start from map contents saved with --maps-out\n"
		"  --maps-out FILE   save every map (definition and contents) after the run\n"
		"  --jit / --interp  run JIT-compiled code (the default; without --jit a\n"
		"                    program the JIT refuses runs on the interpreter) /\n"
		"                    the interpreter\n"
		"  --trace-out FILE  bpf_trace_printk lines go to FILE (default stdout)\n"
		"  --cpu N           the CPU the program believes it runs on (per-CPU maps)\n"
		"  --no-verify       skip the verifier: run in checked mode (every access\n"
		"                    checked, instruction budget).  By default the program\n"
		"                    must verify (exit 1 with the reason if not) and runs\n"
		"                    unchecked when every program of the object verifies\n"
		"  -v                compile command, load details, time per run\n"
		"%s"
		"output: trace lines, maps (--dump-maps), then r0 in decimal as the last line\n"
		"exit status: 0 the program ran, 1 it stopped with an error, 2 bad input or usage\n",
		cli_objopts_help);
}

/* ---- packet contexts ---------------------------------------------------------- */

#define HEADROOM 256
#define TAILROOM 512
#define CTX_AREA 256 /* >= sizeof(struct __sk_buff) (192), 8-aligned */

/* Offsets in the kernel's UAPI context structs (include/uapi/linux/bpf.h). */
#define XDP_DATA 0
#define XDP_DATA_END 4
#define XDP_DATA_META 8
#define XDP_IFINDEX 12
#define SKB_LEN 0
#define SKB_PROTOCOL 16
#define SKB_IFINDEX 40
#define SKB_DATA 76
#define SKB_DATA_END 80
#define SKB_DATA_META 140

struct pkt_ctx {
	uint8_t *base; /* mmap'd below 4 GiB: [ctx | headroom | packet | tailroom] */
	size_t size;
	struct bpfbox_pkt pkt;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void pkt_sync(void *ud, struct bpfbox_pkt *p)
{
	struct pkt_ctx *P = ud;
	uint32_t at = (uint32_t)(uintptr_t)p->buf;
	if (p->xdp) {
		put32(P->base + XDP_DATA, at + p->data);
		put32(P->base + XDP_DATA_END, at + p->data_end);
		put32(P->base + XDP_DATA_META, at + p->meta);
	} else {
		put32(P->base + SKB_LEN, p->data_end - p->data);
		put32(P->base + SKB_DATA, at + p->data);
		put32(P->base + SKB_DATA_END, at + p->data_end);
		put32(P->base + SKB_DATA_META, at + p->meta);
	}
}

static bool is_packet_prog(int type)
{
	switch (type) {
	case BPFBOX_PROG_TYPE_XDP:
	case BPFBOX_PROG_TYPE_SCHED_CLS:
	case BPFBOX_PROG_TYPE_SCHED_ACT:
	case BPFBOX_PROG_TYPE_SOCKET_FILTER:
	case BPFBOX_PROG_TYPE_CGROUP_SKB:
	case BPFBOX_PROG_TYPE_LWT_IN:
	case BPFBOX_PROG_TYPE_LWT_OUT:
	case BPFBOX_PROG_TYPE_LWT_XMIT:
	case BPFBOX_PROG_TYPE_SK_SKB:
		return true;
	default:
		return false;
	}
}

static int pkt_setup(struct pkt_ctx *P, const uint8_t *data, size_t len, bool xdp)
{
	P->size = CTX_AREA + HEADROOM + len + TAILROOM;
#ifdef MAP_32BIT
	P->base = mmap(NULL, P->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);
#else
	P->base = MAP_FAILED;
#endif
	if (P->base == MAP_FAILED || (uint64_t)(uintptr_t)P->base + P->size > (1ull << 32)) {
		if (P->base != MAP_FAILED)
			munmap(P->base, P->size);
		P->base = NULL;
		return -ENOMEM;
	}
	memset(&P->pkt, 0, sizeof(P->pkt));
	P->pkt.buf = P->base + CTX_AREA;
	P->pkt.cap = (uint32_t)(HEADROOM + len + TAILROOM);
	P->pkt.meta = P->pkt.data = HEADROOM;
	P->pkt.data_end = (uint32_t)(HEADROOM + len);
	P->pkt.xdp = xdp;
	P->pkt.sync = pkt_sync;
	P->pkt.sync_ud = P;
	memcpy(P->pkt.buf + HEADROOM, data, len);
	if (xdp) {
		put32(P->base + XDP_IFINDEX, 1);
	} else if (len >= 14) {
		uint16_t proto;
		memcpy(&proto, data + 12, 2); /* network order, as skb->protocol */
		put32(P->base + SKB_PROTOCOL, proto);
		put32(P->base + SKB_IFINDEX, 1);
	}
	pkt_sync(P, &P->pkt);
	return 0;
}

/* ---- an object loaded to run one program (run, bench) ------------------------ */

struct cli_objprog {
	struct bpfbox_object *obj;
	struct bpfbox_env *env;
	struct bpfbox_vm *vm;
	struct bpfbox_obj_prog *op;
	struct bpfbox_hook_env hook;
	struct pkt_ctx P;
	uint8_t *data; /* --mem/--ctx bytes as given */
	size_t len;
	uint8_t *mem;  /* the run's copy (non-packet programs) */
	bool packet;
};

void cli_objprog_free(struct cli_objprog *R)
{
	if (!R)
		return;
	bpfbox_object__free(R->obj);
	bpfbox_vm__free(R->vm);
	bpfbox_env__free(R->env);
	if (R->P.base)
		munmap(R->P.base, R->P.size);
	free(R->data);
	free(R->mem);
	free(R);
}

/* The verifier over every program. */
static int verify_all(struct cli_objprog *R, bool verbose, char *err, size_t errsz)
{
	size_t n = bpfbox_object__prog_count(R->obj), passed = 0;
	for (size_t i = 0; i < n; i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(R->obj, i);
		char vbuf[1024] = "";
		struct bpfbox_log vlog = { .buf = vbuf, .size = sizeof(vbuf), .level = BPFBOX_LOG_ERROR };
		BPFBOX_OPTS(bpfbox_obj_verify_opts, ov, .log = &vlog);
		int e = bpfbox_obj_prog__verify(R->obj, p, &ov);
		vbuf[strcspn(vbuf, "\n")] = 0;
		if (!e) {
			passed++;
		} else if (p == R->op) {
			snprintf(err, errsz, "verifier: %s (--no-verify runs it in checked mode)",
				 vbuf[0] ? vbuf : strerror(-e));
			return -EACCES;
		} else if (verbose) {
			fprintf(stderr, "bpfbox: '%s' not verified (%s): the object runs in checked mode\n",
				bpfbox_obj_prog__name(p), vbuf);
		}
	}
	for (size_t i = 0; passed == n && i < n; i++)
		bpfbox_obj_prog__set_verified(bpfbox_object__prog(R->obj, i), true);
	return 0;
}

int cli_objprog_open(const char *path, const struct cli_objprog_opts *o, struct cli_objprog **out,
		     char *err, size_t errsz)
{
	struct cli_objprog *R = calloc(1, sizeof(*R));
	if (!R) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	int e = cli_open_object_opts(path, o->verbose, o->objopts, &R->obj, err, errsz);
	if (e)
		goto fail;
	R->op = cli_pick_prog(R->obj, o->section, o->prog, err, errsz);
	if (!R->op) {
		e = -ENOENT;
		goto fail;
	}
	BPFBOX_OPTS(bpfbox_env_opts, eo, .trace_out = o->trace_out);
	BPFBOX_OPTS(bpfbox_vm_opts, vo);
	if ((e = bpfbox_env__new(&R->env, &eo)))
		goto nomem;
	bpfbox_env__vm_opts(R->env, &vo);
	if ((e = bpfbox_vm__new(&R->vm, &vo)) || (e = bpfbox_env__attach(R->env, R->vm)))
		goto nomem;
	char logbuf[2048] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_object_load_opts, lo, .log = &log);
	if ((e = bpfbox_object__load(R->obj, R->vm, R->env, &lo))) {
		logbuf[strcspn(logbuf, "\n")] = 0;
		snprintf(err, errsz, "%s", logbuf[0] ? logbuf : strerror(-e));
		goto fail;
	}
	if (o->verify && (e = verify_all(R, o->verbose, err, errsz)))
		goto fail;
	R->hook.sz = sizeof(R->hook);
	bpfbox_hook_env__self(&R->hook);
	R->hook.cpu = o->cpu;
	if (o->data) {
		R->data = malloc(o->len ? o->len : 1);
		R->mem = malloc(o->len ? o->len : 1);
		if (!R->data || !R->mem)
			goto nomem;
		memcpy(R->data, o->data, o->len);
		R->len = o->len;
	}
	int type = bpfbox_obj_prog__type(R->op);
	R->packet = o->data && !o->is_ctx && is_packet_prog(type);
	if (R->packet) {
		if (pkt_setup(&R->P, R->data, R->len, type == BPFBOX_PROG_TYPE_XDP)) {
			snprintf(err, errsz, "cannot map a packet buffer below 4 GiB (needed for the "
					     "32-bit data/data_end context fields)");
			e = -ENOMEM;
			goto fail;
		}
		R->hook.pkt = &R->P.pkt;
	}
	*out = R;
	return 0;
nomem:
	snprintf(err, errsz, "cannot create the VM: %s", strerror(e ? -e : ENOMEM));
fail:
	cli_objprog_free(R);
	return e ? e : -ENOMEM;
}

struct bpfbox_object *cli_objprog_object(const struct cli_objprog *R) { return R->obj; }
struct bpfbox_obj_prog *cli_objprog_obj_prog(const struct cli_objprog *R) { return R->op; }
struct bpfbox_prog *cli_objprog_prog(const struct cli_objprog *R)
{
	return bpfbox_obj_prog__handle(R->op);
}

void cli_objprog_prepare(struct cli_objprog *R, struct bpfbox_run_opts *ro)
{
	ro->hook = &R->hook;
	if (R->packet) { /* every run sees the packet as given */
		struct pkt_ctx *P = &R->P;
		P->pkt.meta = P->pkt.data = HEADROOM;
		P->pkt.data_end = (uint32_t)(HEADROOM + R->len);
		memcpy(P->pkt.buf + HEADROOM, R->data, R->len);
		pkt_sync(P, &P->pkt);
		ro->mem = P->base;
		ro->mem_len = P->size;
		ro->pkt = P->pkt.buf + P->pkt.data;
		ro->pkt_len = R->len;
	} else if (R->data) {
		memcpy(R->mem, R->data, R->len);
		ro->mem = R->mem;
		ro->mem_len = R->len;
	}
}

/* ---- the command ----------------------------------------------------------------- */

struct run_args {
	const char *path, *section, *prog, *mem, *ctx, *maps_in, *maps_out, *trace_out;
	unsigned long long repeat;
	long cpu;
	bool dump, jit, interp, verbose, no_verify;
	struct cli_objopts objopts;
};

static int parse(int argc, char **argv, struct run_args *A)
{
	memset(A, 0, sizeof(*A));
	A->repeat = 1;
	A->cpu = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--section"))
			slot = &A->section;
		else if (!strcmp(a, "--prog"))
			slot = &A->prog;
		else if (!strcmp(a, "--mem"))
			slot = &A->mem;
		else if (!strcmp(a, "--ctx"))
			slot = &A->ctx;
		else if (!strcmp(a, "--maps-in"))
			slot = &A->maps_in;
		else if (!strcmp(a, "--maps-out"))
			slot = &A->maps_out;
		else if (!strcmp(a, "--trace-out"))
			slot = &A->trace_out;
		if (slot) {
			if (i + 1 >= argc) {
				cli_err(CMD, "%s needs a value", a);
				return -1;
			}
			*slot = argv[++i];
			continue;
		}
		int r = cli_objopts_parse(CMD, argc, argv, &i, &A->objopts);
		if (r < 0)
			return -1;
		if (r)
			continue;
		if (!strcmp(a, "--repeat") || !strcmp(a, "--cpu")) {
			if (i + 1 >= argc) {
				cli_err(CMD, "%s needs a number", a);
				return -1;
			}
			unsigned long long v;
			bool rep = a[2] == 'r';
			if (cli_number(CMD, a, argv[++i], rep ? 1 : 0, rep ? ULLONG_MAX : 4095, &v))
				return -1;
			if (a[2] == 'r')
				A->repeat = v;
			else
				A->cpu = (long)v;
		} else if (!strcmp(a, "--no-verify")) {
			A->no_verify = true;
		} else if (!strcmp(a, "--dump-maps")) {
			A->dump = true;
		} else if (!strcmp(a, "--jit")) {
			A->jit = true;
			A->interp = false;
		} else if (!strcmp(a, "--interp")) {
			A->jit = false;
			A->interp = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			A->verbose = true;
		} else if (a[0] == '-' && a[1]) {
			cli_err(CMD, "unknown option '%s' (see bpfbox run --help)", a);
			return -1;
		} else if (!A->path) {
			A->path = a;
		} else {
			cli_err(CMD, "more than one program ('%s' and '%s')", A->path, a);
			return -1;
		}
	}
	if (!A->path) {
		cli_err(CMD, "usage: bpfbox run OBJ [options] (see --help)");
		return -1;
	}
	if (A->mem && A->ctx) {
		cli_err(CMD, "--mem and --ctx exclude each other");
		return -1;
	}
	if (A->section && A->prog) {
		cli_err(CMD, "--section and --prog exclude each other");
		return -1;
	}
	return 0;
}

static void first_line(char *s)
{
	s[strcspn(s, "\n")] = 0;
}

int cli_run_object(int argc, char **argv)
{
	struct run_args A;
	int pr = parse(argc, argv, &A);
	if (pr)
		return pr > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	char err[1024] = "";
	int rc = CLI_EXIT_USAGE;
	struct cli_objprog *R = NULL;
	struct cli_mapset *in = NULL, *out = NULL;
	uint8_t *membuf = NULL;
	size_t memlen = 0;
	FILE *trace = NULL;

	const char *datafile = A.mem ? A.mem : A.ctx;
	if (datafile) {
		membuf = (uint8_t *)cli_read_file(datafile, &memlen);
		if (!membuf) {
			cli_err(CMD, "%s: %s", datafile, strerror(errno ? errno : EIO));
			goto out;
		}
	}
	if (A.trace_out && !(trace = fopen(A.trace_out, "w"))) {
		cli_err(CMD, "%s: %s", A.trace_out, strerror(errno));
		goto out;
	}
	struct cli_objprog_opts oo = { .section = A.section, .prog = A.prog, .data = membuf,
				       .len = memlen, .is_ctx = A.ctx != NULL, .cpu = (int)A.cpu,
				       .trace_out = trace, .verbose = A.verbose,
				       .verify = !A.no_verify, .objopts = &A.objopts };
	int oe = cli_objprog_open(A.path, &oo, &R, err, sizeof(err));
	if (oe) {
		cli_err(CMD, "%s", err);
		if (oe == -EACCES)
			rc = CLI_EXIT_NO; /* the verifier said no */
		goto out;
	}
	struct bpfbox_object *obj = cli_objprog_object(R);
	struct bpfbox_obj_prog *op = cli_objprog_obj_prog(R);
	if (A.maps_in) {
		if (cli_mapset_load(A.maps_in, &in, err, sizeof(err)) ||
		    cli_mapset_apply(in, obj, err, sizeof(err))) {
			cli_err(CMD, "%s", err);
			goto out;
		}
	}
	struct bpfbox_prog *prog = cli_objprog_prog(R);
	int type = bpfbox_obj_prog__type(op);
	size_t ninsns;
	bpfbox_obj_prog__insns(op, &ninsns);
	if (A.verbose)
		fprintf(stderr, "bpfbox: running '%s' (section %s, %s, %zu insns, %s)\n",
			bpfbox_obj_prog__name(op), bpfbox_obj_prog__section(op),
			bpfbox_prog_type__name(type) ? bpfbox_prog_type__name(type) : "?", ninsns,
			bpfbox_prog__verified(prog) ? "verified" : "checked mode");
	/* The JIT by default, the interpreter for what it refuses (-v says
	 * why); an explicit --jit makes a refusal an error. */
	struct cli_engine E = { .interp = A.interp, .jit = A.jit, .verbose = A.verbose };
	int engine = cli_engine_select(CMD, &E, prog);
	if (engine < 0) {
		rc = CLI_EXIT_NO;
		goto out;
	}
	if (engine == BPFBOX_ENGINE_JIT)
		cli_engine_jit_object(cli_objprog_object(R), prog);
	char logbuf[4096] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = engine, .log = &log);
	uint64_t r0 = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long long i = 0; i < A.repeat; i++) {
		logbuf[0] = 0;
		log.len = 0;
		cli_objprog_prepare(R, &ro);
		int e = bpfbox_prog__run(prog, &ro, &r0);
		if (e) {
			first_line(logbuf);
			cli_err(CMD, "%s", logbuf[0] ? logbuf : strerror(-e));
			rc = CLI_EXIT_NO;
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (A.verbose) {
		double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
		fprintf(stderr, "bpfbox: %llu run%s, %.1f ns per run\n", A.repeat,
			A.repeat == 1 ? "" : "s", ns / (double)A.repeat);
	}
	if (A.dump || A.maps_out) {
		if (cli_mapset_from_object(obj, &out)) {
			cli_err(CMD, "out of memory");
			goto out;
		}
	}
	if (A.dump) {
		for (size_t i = 0; i < cli_mapset_count(out); i++) {
			struct bpfbox_map *m = cli_mapset_map(out, i);
			printf("map %s (%s, key %u, value %u, max_entries %u):\n", cli_mapset_name(out, i),
			       bpfbox_map_type_name(bpfbox_map__type(m)), bpfbox_map__key_size(m),
			       bpfbox_map__value_size(m), bpfbox_map__max_entries(m));
			cli_map_dump(stdout, out, m, cli_mapset_name(out, i), false);
		}
	}
	if (A.maps_out && cli_mapset_save(out, A.maps_out, err, sizeof(err))) {
		cli_err(CMD, "%s", err);
		goto out;
	}
	printf("%llu\n", (unsigned long long)r0);
	rc = CLI_EXIT_OK;
out:
	fflush(stdout);
	cli_mapset_free(in);
	cli_mapset_free(out);
	cli_objprog_free(R);
	free(membuf);
	if (trace)
		fclose(trace);
	return rc;
}
