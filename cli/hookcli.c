/* bpfbox — cli/hookcli.c: the plumbing the hook commands share.
 *
 * `bpfbox trace`, `xdp`, `filter` and `tc` all: open PROG (an ELF object
 * or a .bpf.c source compiled on the fly), create its maps and programs in
 * one VM with bpfbox's helpers, then for each program a hook will run:
 *
 *   verify   with bpfbox's verifier, given the program type, the context
 *            size the hook provides and the object's map shapes — as the
 *            kernel does at load time.  A verified program runs without
 *            run-time checks; one the verifier rejects is refused (exit 1,
 *            the reason on one line), as the kernel would.  --no-verify
 *            skips the verifier and runs the program in checked mode,
 *            where every access is checked at run time and a fault stops
 *            the program, never bpfbox (DESIGN.md);
 *   compile  with the JIT when it can (verified programs get unchecked
 *            code), else the interpreter runs it; --interp forces that.
 *
 * While the hook runs, ring buffer and perf event array records are
 * printed after every event (hex, or decoded with the object's BTF; JSON
 * lines with --json) and bpf_trace_printk lines go to stdout (or
 * --trace-out).  At the end --dump-maps prints every map.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "bpfbox/helpers.h"
#include "bpfbox/hooks.h"
#include "bpfbox/jit.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"
#include "bpfbox/verify.h"
#include "bpfbox/vm.h"
#include "cli.h"
#include "hookcli.h"
#include "objload.h"

const char hookcli_options_help[] =
	"  --dump-maps        print every map at the end (decoded with BTF when known)\n"
	"  --json             ring buffer / perf records, maps and counters as JSON lines\n"
	"  --record-type T    decode ring buffer / perf records as BTF struct T (default:\n"
	"                     the object's one struct of the record's size, or the one\n"
	"                     whose trailing char array the record stops inside, else\n"
	"                     hex).  T may also be a C definition the object's BTF lacks,\n"
	"                     compiled with clang: 'struct event { __u64 ts; pid_t pid;\n"
	"                     char comm[16]; }' (linux/types.h types, pid_t, uid_t, u32...)\n"
	"  --record-btf FILE  look --record-type T up in FILE (BTF, or an ELF with .BTF)\n"
	"  --trace-out FILE   bpf_trace_printk lines go to FILE (default stdout)\n"
	"  --no-verify        skip the verifier (which refuses an unsafe program, exit\n"
	"                     1): run in checked mode, every access checked at run\n"
	"                     time, a fault stops the program\n"
	"  --interp           use the interpreter (default: the JIT when it compiles)\n"
	"  --budget N         instructions per run in checked mode (default 1000000)\n"
	"  -v                 say what is loaded, verified and compiled\n"
	CLI_OBJOPTS_HELP;

int hookcli_option(const char *cmd, int argc, char **argv, int *i, struct hookcli_args *a)
{
	const char *o = argv[*i];
	int r = cli_objopts_parse(cmd, argc, argv, i, &a->objopts);
	if (r)
		return r;
	const char **slot = NULL;
	if (!strcmp(o, "--trace-out"))
		slot = &a->trace_out;
	else if (!strcmp(o, "--record-type"))
		slot = &a->record_type;
	else if (!strcmp(o, "--record-btf"))
		slot = &a->record_btf;
	if (slot) {
		if (*i + 1 >= argc) {
			cli_err(cmd, "%s needs a value", o);
			return -1;
		}
		*slot = argv[++*i];
		return 1;
	}
	if (!strcmp(o, "--budget")) {
		if (*i + 1 >= argc) {
			cli_err(cmd, "--budget needs a number");
			return -1;
		}
		unsigned long long v;
		if (cli_number(cmd, o, argv[++*i], 1, ULLONG_MAX, &v))
			return -1;
		a->budget = v;
		return 1;
	}
	if (!strcmp(o, "--json"))
		a->json = true;
	else if (!strcmp(o, "--dump-maps"))
		a->dump_maps = true;
	else if (!strcmp(o, "--no-verify"))
		a->no_verify = true;
	else if (!strcmp(o, "--interp"))
		a->interp = true;
	else if (!strcmp(o, "--jit"))
		a->interp = false;
	else if (!strcmp(o, "-v") || !strcmp(o, "--verbose"))
		a->verbose = true;
	else
		return 0;
	return 1;
}

static void first_line(char *s)
{
	s[strcspn(s, "\n")] = 0;
}

/* --record-type 'struct event { ... }': compile the definition (with the
 * usual kernel integer types) with clang and read its BTF; *name receives
 * the struct's name. */
static int record_from_c(const char *decl, bool verbose, struct btf **out, char *name,
			 size_t namesz, char *err, size_t errsz)
{
	const char *s = decl;
	while (*s == ' ')
		s++;
	bool is_union = !strncmp(s, "union", 5);
	if (strncmp(s, "struct", 6) && !is_union) {
		snprintf(err, errsz, "a C definition starts with struct or union");
		return -EINVAL;
	}
	s += is_union ? 5 : 6;
	while (*s == ' ')
		s++;
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	if (!n || n >= namesz) {
		snprintf(err, errsz, "the %s needs a name", is_union ? "union" : "struct");
		return -EINVAL;
	}
	snprintf(name, namesz, "%.*s", (int)n, s);
	char src[] = "/tmp/bpfbox-record-XXXXXX.c";
	int fd = mkstemps(src, 2);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errsz, "cannot write a temporary file: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	fprintf(f, "#include <linux/types.h>\n"
		   "typedef int pid_t; typedef unsigned int uid_t, gid_t; typedef _Bool bool;\n"
		   "typedef __u8 u8; typedef __u16 u16; typedef __u32 u32; typedef __u64 u64;\n"
		   "typedef __s8 s8; typedef __s16 s16; typedef __s32 s32; typedef __s64 s64;\n"
		   "%s;\n%s %s *bpfbox_record_type;\n", decl, is_union ? "union" : "struct", name);
	fclose(f);
	char obj[4400];
	int e = cli_compile_bpf_c(src, verbose, obj, sizeof(obj), err, errsz);
	unlink(src);
	if (e)
		return e;
	*out = btf__parse(obj, NULL);
	if (!*out) {
		snprintf(err, errsz, "no BTF in the compiled definition");
		return -EINVAL;
	}
	return 0;
}

int hookcli_open(struct hookcli *h, const char *cmd, const struct hookcli_args *a)
{
	memset(h, 0, sizeof(*h));
	h->cmd = cmd;
	char err[1024] = "";
	if (!a->path) {
		cli_err(cmd, "no program given (see bpfbox %s --help)", cmd);
		return CLI_EXIT_USAGE;
	}
	if (!cli_is_object(a->path)) {
		cli_err(cmd, "%s: not an ELF object or a .bpf.c source", a->path);
		return CLI_EXIT_USAGE;
	}
	if (cli_open_object_opts(a->path, a->verbose, &a->objopts, &h->obj, err, sizeof(err))) {
		cli_err(cmd, "%s", err);
		return CLI_EXIT_USAGE;
	}
	if (a->trace_out && !(h->trace = fopen(a->trace_out, "w"))) {
		cli_err(cmd, "%s: %s", a->trace_out, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	BPFBOX_OPTS(bpfbox_env_opts, eo, .trace_out = h->trace);
	BPFBOX_OPTS(bpfbox_vm_opts, vo, .insn_budget = a->budget);
	if (bpfbox_env__new(&h->env, &eo)) {
		cli_err(cmd, "out of memory");
		return CLI_EXIT_USAGE;
	}
	bpfbox_env__vm_opts(h->env, &vo);
	if (bpfbox_vm__new(&h->vm, &vo) || bpfbox_env__attach(h->env, h->vm)) {
		cli_err(cmd, "cannot create the VM");
		return CLI_EXIT_USAGE;
	}
	char logbuf[2048] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_object_load_opts, lo, .log = &log);
	if (bpfbox_object__load(h->obj, h->vm, h->env, &lo)) {
		first_line(logbuf);
		cli_err(cmd, "%s", logbuf[0] ? logbuf : "load failed");
		return CLI_EXIT_USAGE;
	}
	const char *rtype = a->record_type;
	char rname[128];
	if (rtype && strchr(rtype, '{')) {
		if (record_from_c(rtype, a->verbose, &h->rbtf, rname, sizeof(rname), err,
				  sizeof(err))) {
			cli_err(cmd, "--record-type: %s", err);
			return CLI_EXIT_USAGE;
		}
		rtype = rname;
	} else if (a->record_btf) {
		h->rbtf = btf__parse(a->record_btf, NULL);
		if (!h->rbtf) {
			cli_err(cmd, "--record-btf %s: not a BTF or ELF file with BTF", a->record_btf);
			return CLI_EXIT_USAGE;
		}
	}
	if (h->rbtf && !rtype) {
		cli_err(cmd, "--record-btf needs --record-type NAME");
		return CLI_EXIT_USAGE;
	}
	BPFBOX_OPTS(bpfbox_outputs_opts, oo, .json = a->json, .record_type = rtype,
		    .record_btf = h->rbtf);
	int e = bpfbox_outputs__new(&h->outs, h->obj, &oo);
	if (e) {
		if (e == -ENOENT)
			cli_err(cmd, "--record-type %s: no such struct in the %s", rtype,
				h->rbtf ? "record BTF" : "object's BTF");
		else
			cli_err(cmd, "out of memory");
		return CLI_EXIT_USAGE;
	}
	h->engine = a->interp ? BPFBOX_ENGINE_INTERP : BPFBOX_ENGINE_DEFAULT;
	return 0;
}

int hookcli_prepare(struct hookcli *h, const struct hookcli_args *a, struct bpfbox_obj_prog *p,
		    int prog_type, uint32_t ctx_size)
{
	struct bpfbox_prog *prog = bpfbox_obj_prog__handle(p);
	const char *name = bpfbox_obj_prog__name(p);
	if (!prog) {
		cli_err(h->cmd, "prog '%s' was not loaded", name);
		return CLI_EXIT_USAGE;
	}
	/* The verifier: the kernel would refuse an unsafe program at load. */
	if (!a->no_verify) {
		char vlog[4096] = "";
		struct bpfbox_log log = { .buf = vlog, .size = sizeof(vlog),
					  .level = BPFBOX_LOG_ERROR };
		BPFBOX_OPTS(bpfbox_obj_verify_opts, ov, .prog_type = prog_type,
			    .ctx_size = ctx_size, .log = &log, .mark = true);
		int e = bpfbox_obj_prog__verify(h->obj, p, &ov);
		if (e) {
			first_line(vlog);
			cli_err(h->cmd, "prog '%s' rejected by the verifier: %s (--no-verify runs it "
				"in checked mode)", name, vlog[0] ? vlog : strerror(-e));
			return CLI_EXIT_NO;
		}
		if (a->verbose)
			fprintf(stderr, "bpfbox %s: prog '%s' verified\n", h->cmd, name);
	}
	if (!a->interp) {
		char jl[512] = "";
		struct bpfbox_log jlog = { .buf = jl, .size = sizeof(jl), .level = BPFBOX_LOG_ERROR };
		BPFBOX_OPTS(bpfbox_jit_opts, jo, .log = &jlog);
		int e = bpfbox_prog__jit(prog, &jo);
		if (a->verbose) {
			first_line(jl);
			if (e)
				fprintf(stderr, "bpfbox %s: prog '%s' runs on the interpreter (%s)\n",
					h->cmd, name, jl[0] ? jl : strerror(-e));
			else
				fprintf(stderr, "bpfbox %s: prog '%s' JIT-compiled (%s code)\n", h->cmd,
					name, bpfbox_prog__verified(prog) ? "unchecked" : "checked");
		}
	}
	return 0;
}

void hookcli_drain(struct hookcli *h)
{
	if (h->outs && bpfbox_outputs__any(h->outs))
		bpfbox_outputs__drain(h->outs);
}

/* ---- --dump-maps ---------------------------------------------------------------------------- */

struct dump_ud {
	FILE *f;
	const struct btf *btf;
	const struct bpfbox_obj_map_def *d;
	struct bpfbox_map *map;
	bool json;
	unsigned n;
};

static void put_hex(FILE *f, const void *p, size_t n, bool json)
{
	const uint8_t *b = p;
	if (json)
		fputc('"', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, json ? "%02x" : (i ? " %02x" : "%02x"), b[i]);
	if (json)
		fputc('"', f);
}

static void put_value(struct dump_ud *D, uint32_t type, const void *p, size_t n)
{
	if (!type || !D->btf || bpfbox_btf__print_data(D->f, D->btf, type, p, n, D->json))
		put_hex(D->f, p, n, D->json);
}

static bool percpu(uint32_t t)
{
	return t == BPFBOX_MAP_TYPE_PERCPU_ARRAY || t == BPFBOX_MAP_TYPE_PERCPU_HASH ||
	       t == BPFBOX_MAP_TYPE_LRU_PERCPU_HASH;
}

static int dump_elem(const void *key, const void *value, void *ud)
{
	struct dump_ud *D = ud;
	uint32_t ks = bpfbox_map__key_size(D->map), vs = bpfbox_map__value_size(D->map);
	uint32_t t = bpfbox_map__type(D->map);
	FILE *f = D->f;
	if (D->json) {
		fputs(D->n ? ",{\"key\":" : "{\"key\":", f);
		put_value(D, D->d->btf_key_type, key, ks);
		fputs(",\"value\":", f);
	} else {
		fputs("  ", f);
		put_value(D, D->d->btf_key_type, key, ks);
		fputs(": ", f);
	}
	if (percpu(t)) {
		uint32_t stride = (vs + 7) & ~7u, ncpu = bpfbox_map__nr_cpus(D->map);
		fputc('[', f);
		for (uint32_t c = 0; c < ncpu; c++) {
			if (c)
				fputs(D->json ? "," : ", ", f);
			put_value(D, D->d->btf_value_type, (const uint8_t *)value + (size_t)c * stride,
				  vs);
		}
		fputc(']', f);
	} else if (t == BPFBOX_MAP_TYPE_PROG_ARRAY || t == BPFBOX_MAP_TYPE_ARRAY_OF_MAPS ||
		   t == BPFBOX_MAP_TYPE_HASH_OF_MAPS) {
		void *ptr;
		memcpy(&ptr, value, sizeof(ptr));
		fprintf(f, D->json ? "\"%p\"" : "%p", ptr);
	} else {
		put_value(D, D->d->btf_value_type, value, vs);
	}
	fputs(D->json ? "}" : "\n", f);
	D->n++;
	return 0;
}

void hookcli_dump_maps(struct hookcli *h, bool json)
{
	FILE *f = stdout;
	const struct btf *btf = bpfbox_object__btf(h->obj);
	for (size_t i = 0; i < bpfbox_object__map_count(h->obj); i++) {
		struct bpfbox_obj_map *om = bpfbox_object__map(h->obj, i);
		struct bpfbox_map *m = bpfbox_obj_map__handle(om);
		const struct bpfbox_obj_map_def *d = bpfbox_obj_map__def(om);
		if (!m)
			continue;
		uint32_t t = bpfbox_map__type(m);
		const char *tn = bpfbox_map_type_name(t);
		struct dump_ud D = { f, btf, d, m, json, 0 };
		if (json)
			fprintf(f, "{\"map\":\"%s\",\"type\":\"%s\",\"entries\":[", d->name,
				tn ? tn : "?");
		else
			fprintf(f, "map %s (%s, key %u, value %u, max_entries %u):\n", d->name,
				tn ? tn : "?", bpfbox_map__key_size(m), bpfbox_map__value_size(m),
				bpfbox_map__max_entries(m));
		int e = bpfbox_map__for_each(m, dump_elem, &D);
		if (json)
			fputs("]}\n", f);
		else if (e == -EOPNOTSUPP)
			fprintf(f, "  (a %s map has no entries to dump)\n", tn ? tn : "?");
	}
	fflush(f);
}

void hookcli_close(struct hookcli *h)
{
	fflush(stdout);
	bpfbox_outputs__free(h->outs);
	btf__free(h->rbtf);
	bpfbox_object__free(h->obj);
	bpfbox_vm__free(h->vm);
	bpfbox_env__free(h->env);
	if (h->trace)
		fclose(h->trace);
	memset(h, 0, sizeof(*h));
}
