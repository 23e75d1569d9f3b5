/* bpfbox — tests/unit/verify_vec.h: the verifier's test vectors.
 *
 * tests/verify/NAME.vec files hold the verifier's main test suite and the corpus
 * compared with the kernel.  A file holds any number of vectors:
 *
 *   == a unique name
 *   @type xdp                  program type (bpftool's name; default socket_filter)
 *   @ctx-size 64               tracepoint record / UNSPEC memory / syscall ctx size
 *   @attach 1                  expected_attach_type (cgroup_skb: 1 egress)
 *   @license Proprietary       (default GPL)
 *   @map 0=array:4:8:1         map IDX for `r1 = map_fd(IDX) ll` (repeatable)
 *   @rodata 0 "hello"          frozen contents of map 0 (a C string)
 *   @expect ACCEPT             or: @expect REJECT <substring of the reason>
 *   @why <why it passes or fails, in words>
 *   @kernel-skip <why the kernel cannot judge it>
 *   @hex b7 00 00 00 ...       raw instruction bytes instead of assembly
 *   @btf                       the program has BTF function info (not given to the kernel)
 *       r0 = 0                 everything else: assembly (llvm syntax)
 *       exit
 *
 * This header parses them and assembles the program; the runners
 * (test_verify.c, the kernel labeller in the same program, the fuzzer)
 * share it.
 */
#ifndef BPFBOX_TEST_VERIFY_VEC_H
#define BPFBOX_TEST_VERIFY_VEC_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/asm.h"
#include "bpfbox/verify.h"
#include "bpfbox/prog_types.h"

#define VEC_MAX_MAPS 16

struct vec {
	char name[160];
	char file[96];
	int prog_type;
	uint32_t ctx_size;
	int attach;
	char license[64];
	unsigned nmaps;
	struct bpfbox_map_desc maps[VEC_MAX_MAPS];
	char rodata[VEC_MAX_MAPS][256];
	bool has_rodata[VEC_MAX_MAPS];
	bool accept;
	bool btf;
	char expect_msg[256];
	char why[256];
	char kernel_skip[160];
	char *text;  /* assembly */
	char hex[1024]; /* or raw instructions as hex bytes */
	size_t textlen, textcap;
	struct bpfbox_insn *insns;
	size_t n;
	char asm_err[600];
};

struct vecset {
	struct vec *v;
	size_t n, cap;
};

static void vec_append_text(struct vec *v, const char *line)
{
	size_t l = strlen(line);
	if (v->textlen + l + 2 > v->textcap) {
		v->textcap = (v->textlen + l + 2) * 2;
		v->text = realloc(v->text, v->textcap);
	}
	memcpy(v->text + v->textlen, line, l);
	v->textlen += l;
	v->text[v->textlen++] = '\n';
	v->text[v->textlen] = 0;
}

static int vec_map_info(void *ud, unsigned src, int32_t imm, int32_t next_imm,
			struct bpfbox_map_desc *out)
{
	struct vec *v = ud;
	(void)src;
	(void)next_imm;
	if (imm < 0 || (unsigned)imm >= v->nmaps)
		return -ENOENT;
	*out = v->maps[imm];
	return 0;
}

static void vec_opts(struct vec *v, struct bpfbox_verify_opts *o, struct bpfbox_log *log)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->prog_type = v->prog_type;
	o->ctx_size = v->ctx_size;
	o->expected_attach_type = v->attach;
	o->license = v->license;
	o->log = log;
	o->map_info = vec_map_info;
	o->map_ud = v;
	o->func_info = v->btf;
}

static char *vec_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == '\n' || s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = 0;
	return s;
}

static int vec_parse_file(struct vecset *set, const char *path, const char *short_name)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	char line[1024];
	struct vec *cur = NULL;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "==", 2)) {
			if (set->n == set->cap) {
				set->cap = set->cap ? set->cap * 2 : 256;
				set->v = realloc(set->v, set->cap * sizeof(*set->v));
			}
			cur = &set->v[set->n++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", vec_trim(line + 2));
			snprintf(cur->file, sizeof(cur->file), "%s", short_name);
			cur->prog_type = BPFBOX_PROG_TYPE_SOCKET_FILTER;
			strcpy(cur->license, "GPL");
			cur->accept = true;
			continue;
		}
		if (!cur)
			continue;
		char *t = vec_trim(line);
		if (t[0] != '@') {
			vec_append_text(cur, line);
			continue;
		}
		char *arg = strchr(t, ' ');
		if (arg)
			*arg++ = 0, arg = vec_trim(arg);
		else
			arg = t + strlen(t);
		if (!strcmp(t, "@type")) {
			cur->prog_type = !strcmp(arg, "unspec") ? 0 : bpfbox_prog_type__from_name(arg);
			if (cur->prog_type < 0) {
				fprintf(stderr, "%s: %s: unknown type %s\n", path, cur->name, arg);
				fclose(f);
				return -EINVAL;
			}
		} else if (!strcmp(t, "@ctx-size")) {
			cur->ctx_size = (uint32_t)strtoul(arg, NULL, 0);
		} else if (!strcmp(t, "@attach")) {
			cur->attach = (int)strtol(arg, NULL, 0);
		} else if (!strcmp(t, "@license")) {
			snprintf(cur->license, sizeof(cur->license), "%s", arg);
		} else if (!strcmp(t, "@map")) {
			unsigned idx;
			struct bpfbox_map_desc d;
			char why[200];
			if (bpfbox_map_desc__parse(arg, &idx, &d, why, sizeof(why)) || idx >= VEC_MAX_MAPS) {
				fprintf(stderr, "%s: %s: %s\n", path, cur->name, why);
				fclose(f);
				return -EINVAL;
			}
			cur->maps[idx] = d;
			if (idx + 1 > cur->nmaps)
				cur->nmaps = idx + 1;
		} else if (!strcmp(t, "@rodata")) {
			unsigned idx = (unsigned)strtoul(arg, &arg, 0);
			char *q1 = strchr(arg, '"'), *q2 = q1 ? strrchr(q1 + 1, '"') : NULL;
			if (idx >= VEC_MAX_MAPS || !q1 || !q2) {
				fprintf(stderr, "%s: %s: bad @rodata\n", path, cur->name);
				fclose(f);
				return -EINVAL;
			}
			memset(cur->rodata[idx], 0, sizeof(cur->rodata[idx]));
			memcpy(cur->rodata[idx], q1 + 1, (size_t)(q2 - q1 - 1));
			cur->has_rodata[idx] = true;
		} else if (!strcmp(t, "@expect")) {
			if (!strncmp(arg, "ACCEPT", 6)) {
				cur->accept = true;
			} else if (!strncmp(arg, "REJECT", 6)) {
				cur->accept = false;
				snprintf(cur->expect_msg, sizeof(cur->expect_msg), "%s", vec_trim(arg + 6));
			}
		} else if (!strcmp(t, "@why")) {
			snprintf(cur->why, sizeof(cur->why), "%s", arg);
		} else if (!strcmp(t, "@btf")) {
			cur->btf = true;
			snprintf(cur->kernel_skip, sizeof(cur->kernel_skip), "%s",
				 "needs BTF function info, which a raw load does not carry");
		} else if (!strcmp(t, "@hex")) {
			size_t l = strlen(cur->hex);
			snprintf(cur->hex + l, sizeof(cur->hex) - l, "%s ", arg);
		} else if (!strcmp(t, "@kernel-skip")) {
			snprintf(cur->kernel_skip, sizeof(cur->kernel_skip), "%s", arg[0] ? arg : "skip");
		} else {
			fprintf(stderr, "%s: %s: unknown directive %s\n", path, cur->name, t);
			fclose(f);
			return -EINVAL;
		}
	}
	fclose(f);
	return 0;
}

static int vec_cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Load every tests/verify/NAME.vec (sorted) and assemble each program. */
static int vec_load_dir(struct vecset *set, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	char *names[512];
	size_t nn = 0;
	struct dirent *e;
	while ((e = readdir(d)) && nn < 512) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".vec"))
			names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof(names[0]), vec_cmp_name);
	int err = 0;
	for (size_t i = 0; i < nn; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!err)
			err = vec_parse_file(set, path, names[i]);
		free(names[i]);
	}
	if (err)
		return err;
	for (size_t i = 0; i < set->n; i++) {
		struct vec *v = &set->v[i];
		for (unsigned m = 0; m < v->nmaps; m++) {
			if (v->has_rodata[m]) {
				v->maps[m].rodata = v->rodata[m];
				v->maps[m].map_flags |= 1u << 7;
			}
		}
		char logbuf[512] = "";
		struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
		if (v->hex[0]) {
			size_t cap = strlen(v->hex) / 2 / 8 + 1, k = 0;
			uint8_t *b = calloc(cap * 8, 1);
			char *p = v->hex, *ep;
			while (*p) {
				unsigned long x = strtoul(p, &ep, 16);
				if (ep == p)
					break;
				if (k < cap * 8)
					b[k++] = (uint8_t)x;
				p = ep;
			}
			v->n = k / 8;
			v->insns = calloc(v->n ? v->n : 1, sizeof(*v->insns));
			for (size_t s = 0; s < v->n; s++) {
				const uint8_t *q = b + s * 8;
				v->insns[s].code = q[0];
				v->insns[s].dst = q[1] & 0xf;
				v->insns[s].src = q[1] >> 4;
				v->insns[s].off = (int16_t)(q[2] | q[3] << 8);
				v->insns[s].imm = (int32_t)((uint32_t)q[4] | (uint32_t)q[5] << 8 |
							    (uint32_t)q[6] << 16 | (uint32_t)q[7] << 24);
			}
			free(b);
			continue;
		}
		if (!v->text)
			vec_append_text(v, "");
		if (bpfbox_asm__assemble(v->text, v->textlen, BPFBOX_SYNTAX_AUTO, &v->insns, &v->n, &log))
			snprintf(v->asm_err, sizeof(v->asm_err), "%s", logbuf);
	}
	return 0;
}

static void vec_free(struct vecset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].text);
		free(set->v[i].insns);
	}
	free(set->v);
}

#endif
