/* bpfbox — cli/cmd_verify.c: `bpfbox verify`, the static verifier's face.
 *
 *   bpfbox verify PROG [--section S | --prog NAME] [--type TYPE] [--ctx-size N]
 *                 [--attach N] [--map IDX=TYPE:KEY:VALUE:MAX]... [--license L]
 *                 [--stats] [-v | -vv]
 *
 * PROG is what cli_load_prog reads (raw instructions, hex, assembly) or an
 * ELF object / .bpf.c source, whose program type, license and maps come
 * from the object (bpfbox_obj_prog__verify, which every command that
 * verifies an object uses).  Raw programs describe their maps with --map
 * (`r1 = map_fd(IDX) ll` names map IDX) and their type with --type.
 * Exit 0 accepted, 1 rejected (the one-line reason on stderr), 2 bad input
 * or usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "cli.h"
#include "objload.h"
#include "bpfbox/insn.h"
#include "bpfbox/verify.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfbox verify PROG [--section S | --prog NAME] [--type TYPE] [--ctx-size N]\n"
		"                     [--attach N] [--map IDX=TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES]...\n"
		"                     [--license L] [--btf] [--stats] [-v | -vv]\n"
		"                     [--target-btf FILE] [--set NAME=VALUE]\n"
		"  Proves PROG safe the way the Linux kernel's verifier does for root, or\n"
		"  says why not: the first line on stderr names the instruction, the\n"
		"  register or stack slot and the reason.\n"
		"  PROG         an ELF object or .bpf.c source (type, license and maps from\n"
		"               the object), or raw instructions / hex / assembly (\"-\" = stdin)\n"
		"  --section S, --prog NAME   which program of an object (default: the first)\n"
		"  --type TYPE  program type of a raw program: socket_filter (default), xdp,\n"
		"               sched_cls, sched_act, tracepoint, raw_tracepoint, kprobe,\n"
		"               perf_event, cgroup_skb, syscall, unspec (bpfbox's raw\n"
		"               convention: r1 = memory of --ctx-size bytes, r2 = its length)\n"
		"  --ctx-size N tracepoint record size, syscall ctx size, unspec memory size\n"
		"  --attach N   expected attach type (cgroup_skb: 0 ingress, 1 egress)\n"
		"  --map IDX=TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:flags=N][:rdonly][:lock=OFF]\n"
		"               map IDX of a raw program (TYPE: hash, array, percpu_array,\n"
		"               prog_array, ringbuf (sizes 0:0:SIZE), lru_hash, queue, ...);\n"
		"               repeat in IDX order 0, 1, ...\n"
		"  --license L  license of a raw program (default GPL)\n"
		"  --btf        treat a raw program as having BTF function info (callbacks,\n"
		"               tail calls from subprograms need it, as in the kernel)\n"
		"  --stats      print processed instructions, states and time on stdout\n"
		"  -v, -vv      the path taken and the state at each instruction (kernel notation)\n"
		"  --target-btf FILE  objects: resolve CO-RE relocations against this BTF\n"
		"               (default: the running kernel's /sys/kernel/btf/vmlinux)\n"
		"  --set NAME=VALUE   objects: a global variable's value before load (a\n"
		"               `const volatile` setting: the verifier sees it as a constant)\n"
		"exit status: 0 accepted, 1 rejected, 2 bad input or usage\n");
}

/* ---- raw programs ---------------------------------------------------------- */

#define MAX_MAPS 64
struct rawmaps {
	unsigned n;
	struct bpfbox_map_desc d[MAX_MAPS];
	bool set[MAX_MAPS];
};

static int raw_map_info(void *ud, unsigned src, int32_t imm, int32_t next_imm,
			struct bpfbox_map_desc *out)
{
	struct rawmaps *rm = ud;
	(void)src;
	(void)next_imm;
	if (imm < 0 || (unsigned)imm >= MAX_MAPS || !rm->set[imm])
		return -ENOENT;
	*out = rm->d[imm];
	return 0;
}

/* Trace lines and the rejection go through here: -v lines to stdout, the
 * first ERROR line kept for stderr. */
struct sink {
	char first[1024];
	bool have;
};

static void log_line(void *ud, int level, const char *line)
{
	struct sink *s = ud;
	if (level == BPFBOX_LOG_ERROR && !s->have) {
		snprintf(s->first, sizeof(s->first), "%s", line);
		s->have = true;
	}
	if (level > BPFBOX_LOG_ERROR)
		printf("%s\n", line);
}

int cmd_verify(int argc, char **argv)
{
	const char *path = NULL, *section = NULL, *pname = NULL, *type = NULL, *license = NULL;
	uint32_t ctx_size = 0;
	int attach = 0, verbose = 0;
	bool stats = false, attach_set = false, btf = false;
	static struct rawmaps rm;
	struct cli_objopts OO = { 0 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (strcmp(a, "--btf")) { /* here --btf is a flag of raw programs */
			int r = cli_objopts_parse("verify", argc, argv, &i, &OO);
			if (r < 0)
				return CLI_EXIT_USAGE;
			if (r)
				continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(a, "--section") && more) {
			section = argv[++i];
		} else if (!strcmp(a, "--prog") && more) {
			pname = argv[++i];
		} else if (!strcmp(a, "--type") && more) {
			type = argv[++i];
		} else if (!strcmp(a, "--license") && more) {
			license = argv[++i];
		} else if (!strcmp(a, "--ctx-size") && more) {
			char *e;
			unsigned long v = strtoul(argv[++i], &e, 0);
			if (*e || v > 0xffffffffu) {
				cli_err("verify", "--ctx-size: '%s' is not a size", argv[i]);
				return CLI_EXIT_USAGE;
			}
			ctx_size = (uint32_t)v;
		} else if (!strcmp(a, "--attach") && more) {
			attach = atoi(argv[++i]);
			attach_set = true;
		} else if (!strcmp(a, "--map") && more) {
			unsigned idx;
			struct bpfbox_map_desc d;
			char why[256];
			if (bpfbox_map_desc__parse(argv[++i], &idx, &d, why, sizeof(why))) {
				cli_err("verify", "--map: %s", why);
				return CLI_EXIT_USAGE;
			}
			if (idx >= MAX_MAPS || idx != rm.n) {
				cli_err("verify", "--map: give maps in index order 0, 1, ... (got %u, expected %u)",
					idx, rm.n);
				return CLI_EXIT_USAGE;
			}
			rm.d[idx] = d;
			rm.set[idx] = true;
			rm.n++;
		} else if (!strcmp(a, "--btf")) {
			btf = true;
		} else if (!strcmp(a, "--stats")) {
			stats = true;
		} else if (!strcmp(a, "-v")) {
			verbose = verbose < 1 ? 1 : verbose;
		} else if (!strcmp(a, "-vv")) {
			verbose = 2;
		} else if (a[0] == '-' && a[1]) {
			cli_err("verify", "unknown option '%s' (see bpfbox verify --help)", a);
			return CLI_EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			cli_err("verify", "more than one PROG ('%s' and '%s')", path, a);
			return CLI_EXIT_USAGE;
		}
	}
	if (!path) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	struct sink sink = { .have = false };
	struct bpfbox_log log = { .level = verbose ? BPFBOX_LOG_TRACE : BPFBOX_LOG_ERROR,
				  .fn = log_line, .ud = &sink };
	struct bpfbox_verify_stats st = { .sz = sizeof(st) };
	int err;
	if (strcmp(path, "-") && (cli_is_object(path) || cli_is_bpf_c(path))) {
		char why[512];
		struct bpfbox_object *obj;
		cli_quiet_libbpf();
		if (cli_open_object_opts(path, verbose > 0, &OO, &obj, why, sizeof(why))) {
			cli_err("verify", "%s", why);
			return CLI_EXIT_USAGE;
		}
		struct bpfbox_obj_prog *p = cli_pick_prog(obj, section, pname, why, sizeof(why));
		if (!p) {
			cli_err("verify", "%s", why);
			bpfbox_object__free(obj);
			return CLI_EXIT_USAGE;
		}
		if (type || rm.n || attach_set || license)
			fprintf(stderr, "bpfbox verify: note: --type/--map/--attach/--license are ignored for "
				"objects (the object says)\n");
		BPFBOX_OPTS(bpfbox_obj_verify_opts, ov, .log = &log, .stats = &st);
		err = bpfbox_obj_prog__verify(obj, p, &ov);
		bpfbox_object__free(obj);
	} else {
		if (section || pname) {
			cli_err("verify", "--section/--prog select a program of an object; %s is not one", path);
			return CLI_EXIT_USAGE;
		}
		int pt = BPFBOX_PROG_TYPE_SOCKET_FILTER;
		if (type) {
			pt = !strcmp(type, "unspec") ? 0 : bpfbox_prog_type__from_name(type);
			if (pt < 0) {
				cli_err("verify", "--type: unknown program type '%s'", type);
				return CLI_EXIT_USAGE;
			}
		}
		struct bpfbox_insn *insns;
		size_t n;
		char why[512];
		if (cli_load_prog(path, &insns, &n, why, sizeof(why))) {
			cli_err("verify", "%s", why);
			return CLI_EXIT_USAGE;
		}
		BPFBOX_OPTS(bpfbox_verify_opts, o, .prog_type = pt, .ctx_size = ctx_size,
			    .expected_attach_type = attach, .license = license ? license : "GPL",
			    .log = &log, .map_info = raw_map_info, .map_ud = &rm, .func_info = btf);
		err = bpfbox_verify(insns, n, &o, &st);
		free(insns);
	}
	if (stats)
		printf("processed %llu insns, %llu states (peak %llu), %llu pruned, stack %u bytes, %llu us\n",
		       (unsigned long long)st.insns_processed, (unsigned long long)st.states,
		       (unsigned long long)st.peak_states, (unsigned long long)st.pruned, st.max_stack,
		       (unsigned long long)(st.time_ns / 1000));
	if (err == -ENOMEM) {
		cli_err("verify", "out of memory");
		return CLI_EXIT_USAGE;
	}
	if (err) {
		cli_err("verify", "%s", sink.have ? sink.first : "rejected");
		return CLI_EXIT_NO;
	}
	if (verbose)
		printf("accepted\n");
	return CLI_EXIT_OK;
}
