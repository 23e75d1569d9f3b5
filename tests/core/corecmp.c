/* bpfbox — tests/core/corecmp.c: bpfbox's CO-RE relocations and externs
 * against libbpf's (the reference: libbpf 1.1 preparing the same object for
 * this kernel).
 *
 *   corecmp [--btf FILE] OBJ...
 *
 * For each object: bpfbox opens it (CO-RE against the running kernel's BTF,
 * or FILE); libbpf opens it (btf_custom_path = FILE when given) and loads it
 * with every program given an impossible program type, so libbpf does all
 * its work — maps, externs, CO-RE relocations, subprogram linking — and the
 * kernel then refuses the first program at once, before any verification.
 * The instructions libbpf prepared are compared with bpfbox's linked
 * program, slot by slot: opcode, registers, offset, immediates — except
 * the map file descriptors libbpf embeds in lddw (bpfbox uses map indices;
 * the value offsets of map-value lddw are compared).  Every CO-RE
 * relocated slot counts as checked.
 *
 * Output: one line per object, "OBJ<TAB>programs<TAB>insns<TAB>core<TAB>diffs",
 * then a line per difference ("  prog NAME insn N: bpfbox ... libbpf ...").
 * Exit 0 when no object differs; 1 otherwise; 2 when libbpf could not
 * prepare an object (needs root: maps are created in the kernel).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bpfbox/object.h"

static int quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l;
	if (getenv("CORECMP_DEBUG"))
		vfprintf(stderr, fmt, ap);
	return 0;
}

static void show(char *out, size_t n, const struct bpfbox_insn *in)
{
	snprintf(out, n, "{code 0x%02x dst %u src %u off %d imm %d}", in->code, in->dst, in->src,
		 in->off, in->imm);
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	const char *btf = NULL;
	int a = 1, rc = 0;
	if (a + 1 < argc && !strcmp(argv[a], "--btf")) {
		btf = argv[a + 1];
		a += 2;
	}
	/* the target, parsed once for every object (what bpfbox would read) */
	struct btf *targ = btf__parse(btf ? btf : "/sys/kernel/btf/vmlinux", NULL);
	if (!targ) {
		fprintf(stderr, "corecmp: cannot read the target BTF\n");
		return 2;
	}
	for (; a < argc; a++) {
		const char *path = argv[a];
		struct bpfbox_object *bo = NULL;
		char lb[1024] = "";
		struct bpfbox_log log = { .buf = lb, .size = sizeof(lb), .level = BPFBOX_LOG_ERROR };
		BPFBOX_OPTS(bpfbox_object_opts, oo, .log = &log, .target_btf = targ);
		int e = bpfbox_object__open_file(path, &oo, &bo);
		if (e) {
			printf("%s\tbpfbox cannot open it: %s", path, lb);
			rc = rc ? rc : 1;
			continue;
		}
		LIBBPF_OPTS(bpf_object_open_opts, lo, .btf_custom_path = btf);
		struct bpf_object *ko = bpf_object__open_file(path, &lo);
		if (!ko) {
			printf("%s\tlibbpf cannot open it\n", path);
			bpfbox_object__free(bo);
			rc = 2;
			continue;
		}
		struct bpf_program *kp;
		/* flags no kernel knows: BPF_PROG_LOAD fails before verifying */
		bpf_object__for_each_program(kp, ko)
			bpf_program__set_flags(kp, 0xfff00000u);
		/* what the tools' front ends set before load */
		struct bpf_map *km;
		bpf_object__for_each_map(km, ko) {
			enum bpf_map_type t = bpf_map__type(km);
			if (!bpf_map__value_size(km) && t == BPF_MAP_TYPE_STACK_TRACE)
				bpf_map__set_value_size(km, 8 * 127);
			if (!bpf_map__max_entries(km) && t != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
				bpf_map__set_max_entries(km, t == BPF_MAP_TYPE_RINGBUF ? 4096 : 1);
		}
		int le = bpf_object__load(ko);
		(void)le; /* expected to fail at the first program, after relocating all */
		size_t nprogs = 0, ninsns = 0, ncore = 0, ndiff = 0;
		char diffs[8192] = "";
		size_t dl = 0;
#define DIFF(...)                                                                            \
	do {                                                                                 \
		ndiff++;                                                                     \
		if (dl < sizeof(diffs) - 256)                                                \
			dl += (size_t)snprintf(diffs + dl, sizeof(diffs) - dl, __VA_ARGS__); \
	} while (0)
		bpf_object__for_each_program(kp, ko) {
			const char *name = bpf_program__name(kp);
			struct bpfbox_obj_prog *bp = bpfbox_object__find_prog(bo, name);
			if (!bp || bpfbox_obj_prog__is_function(bp)) {
				DIFF("  prog %s: bpfbox has no such program\n", name);
				continue;
			}
			nprogs++;
			size_t bn;
			const struct bpfbox_insn *bi = bpfbox_obj_prog__insns(bp, &bn);
			const struct bpfbox_insn *ki = (const void *)bpf_program__insns(kp);
			size_t kn = bpf_program__insn_cnt(kp);
			if (!ki) {
				DIFF("  prog %s: libbpf did not prepare it\n", name);
				continue;
			}
			ncore += bpfbox_obj_prog__core_relo_count(bp);
			if (bn != kn) {
				DIFF("  prog %s: %zu insns in bpfbox, %zu in libbpf\n", name, bn, kn);
				continue;
			}
			for (size_t i = 0; i < bn; i++) {
				struct bpfbox_insn x = bi[i], y = ki[i];
				ninsns++;
				if (x.code == 0x18 && i + 1 < bn) {
					/* map references: indices here, fds there */
					bool xm = x.src == 5 || x.src == 6, ym = y.src == 1 || y.src == 2;
					if (xm && ym && (x.src == 6) == (y.src == 2)) {
						x.src = y.src = 0;
						x.imm = y.imm = 0;
					}
					struct bpfbox_insn x2 = bi[i + 1], y2 = ki[i + 1];
					if (memcmp(&x, &y, 8) || memcmp(&x2, &y2, 8)) {
						char s1[96], s2[96];
						show(s1, sizeof(s1), &bi[i]);
						show(s2, sizeof(s2), &ki[i]);
						DIFF("  prog %s insn %zu (lddw): bpfbox %s+%d libbpf %s+%d\n", name, i,
						     s1, bi[i + 1].imm, s2, ki[i + 1].imm);
					}
					i++;
					ninsns++;
					continue;
				}
				if (memcmp(&x, &y, 8)) {
					char s1[96], s2[96];
					show(s1, sizeof(s1), &x);
					show(s2, sizeof(s2), &y);
					DIFF("  prog %s insn %zu: bpfbox %s libbpf %s\n", name, i, s1, s2);
				}
			}
		}
		printf("%s\t%zu\t%zu\t%zu\t%zu\n%s", path, nprogs, ninsns, ncore, ndiff, diffs);
		if (ndiff)
			rc = rc ? rc : 1;
		bpf_object__close(ko);
		bpfbox_object__free(bo);
	}
	btf__free(targ);
	return rc;
}
