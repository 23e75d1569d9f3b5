/* bpfbox — test_vectors.c: runs every .data file under tests/vectors.
 *
 * The format is described in tests/vectors/README.md.  Each vector is
 * assembled (or taken raw), loaded, and run on every engine — interpreter
 * with computed-goto dispatch, interpreter with switch dispatch, and the JIT
 * when it can compile the program — and every engine must produce the
 * vector's expected r0, or an error whose one-line message contains the
 * expected text.  A load-time rejection counts as the outcome of every
 * engine. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "bpfbox/asm.h"
#include "bpfbox/vm.h"

struct vector {
	char *asm_text;
	char *raw_text;
	char *mem_text;
	char *result;
	char *error;
	char *budget;
};

static void append(char **dst, const char *line)
{
	size_t a = *dst ? strlen(*dst) : 0, b = strlen(line);
	*dst = realloc(*dst, a + b + 2);
	memcpy(*dst + a, line, b);
	(*dst)[a + b] = '\n';
	(*dst)[a + b + 1] = 0;
}

static void last_line(char *s)
{
	/* keep the last non-empty line, trimmed */
	if (!s)
		return;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == ' '))
		*--end = 0;
	char *nl = strrchr(s, '\n');
	if (nl)
		memmove(s, nl + 1, strlen(nl + 1) + 1);
}

static int parse(char *text, struct vector *v)
{
	memset(v, 0, sizeof(*v));
	char **cur = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "--", 2)) {
			if (strstr(line, "asm")) cur = &v->asm_text;
			else if (strstr(line, "raw")) cur = &v->raw_text;
			else if (strstr(line, "mem")) cur = &v->mem_text;
			else if (strstr(line, "result")) cur = &v->result;
			else if (strstr(line, "error")) cur = &v->error;
			else if (strstr(line, "budget")) cur = &v->budget;
			else return -1;
			continue;
		}
		if (!cur)
			continue;
		/* '#' comments everywhere but in asm (the assembler handles them) */
		if (cur != &v->asm_text) {
			char *h = strchr(line, '#');
			if (h)
				*h = 0;
		}
		append(cur, line);
	}
	last_line(v->result);
	last_line(v->error);
	return (v->asm_text || v->raw_text) && (v->result || v->error) ? 0 : -1;
}

static uint8_t *parse_mem(const char *s, size_t *n)
{
	size_t cap = strlen(s) / 2 + 1;
	uint8_t *b = malloc(cap);
	*n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\n' || *s == '\t')
			s++;
		if (!*s)
			break;
		b[(*n)++] = (uint8_t)strtoul(s, (char **)&s, 16);
	}
	return b;
}

static struct bpfbox_insn *parse_raw(const char *s, size_t *n)
{
	size_t cap = 64;
	struct bpfbox_insn *p = malloc(cap * 8);
	*n = 0;
	while (*s) {
		char *end;
		while (*s == ' ' || *s == '\n' || *s == '\t')
			s++;
		if (!*s)
			break;
		uint64_t w = strtoull(s, &end, 0);
		if (end == s)
			break;
		s = end;
		if (*n == cap)
			p = realloc(p, (cap *= 2) * 8);
		memcpy(&p[(*n)++], &w, 8);
	}
	return p;
}

static const struct {
	int engine;
	const char *name;
} engines[] = {
	{ BPFBOX_ENGINE_INTERP, "interp-goto" },
	{ BPFBOX_ENGINE_INTERP_SWITCH, "interp-switch" },
};

static void run_vector(const char *name, struct vector *v)
{
	struct bpfbox_insn *insns = NULL;
	size_t n = 0;
	char logbuf[2048] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	if (v->raw_text) {
		insns = parse_raw(v->raw_text, &n);
	} else if (bpfbox_asm__assemble(v->asm_text, strlen(v->asm_text), BPFBOX_SYNTAX_AUTO, &insns,
					&n, &log)) {
		CHECK(0, "%s: assembles (%s)", name, logbuf);
		return;
	}
	size_t memlen = 0;
	uint8_t *mem0 = v->mem_text ? parse_mem(v->mem_text, &memlen) : NULL;
	struct bpfbox_vm *vm;
	BPFBOX_OPTS(bpfbox_vm_opts, vopts, .insn_budget = v->budget ? strtoull(v->budget, NULL, 0) : 0);
	if (bpfbox_vm__new(&vm, &vopts)) {
		CHECK(0, "%s: vm", name);
		return;
	}
	struct bpfbox_prog *prog = NULL;
	BPFBOX_OPTS(bpfbox_prog_opts, popts, .log = &log);
	int err = bpfbox_prog__load(vm, insns, n, &popts, &prog);
	for (size_t e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
		uint64_t r0 = 0;
		int rerr = err;
		char runlog[1024] = "";
		if (!err) {
			struct bpfbox_log rlog = { .buf = runlog, .size = sizeof(runlog), .level = BPFBOX_LOG_ERROR };
			uint8_t *mem = NULL;
			if (mem0) {
				mem = malloc(memlen ? memlen : 1);
				memcpy(mem, mem0, memlen);
			}
			BPFBOX_OPTS(bpfbox_run_opts, ropts, .mem = mem, .mem_len = memlen,
				    .engine = engines[e].engine, .log = &rlog);
			rerr = bpfbox_prog__run(prog, &ropts, &r0);
			free(mem);
		}
		char *msg = err ? logbuf : runlog;
		msg[strcspn(msg, "\n")] = 0;
		if (v->error) {
			CHECK(rerr != 0 && strstr(msg, v->error), "%s [%s]: error '%s' (got %d: %s)", name,
			      engines[e].name, v->error, rerr, msg);
		} else {
			uint64_t want = strtoull(v->result, NULL, 0);
			CHECK(rerr == 0 && r0 == want, "%s [%s]: r0 = 0x%llx (got 0x%llx, err %d %s)", name,
			      engines[e].name, (unsigned long long)want, (unsigned long long)r0, rerr, msg);
		}
	}
	bpfbox_prog__free(prog);
	bpfbox_vm__free(vm);
	free(insns);
	free(mem0);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/vectors";
	DIR *d = opendir(dir);
	if (!d) {
		CHECK(0, "open %s: %s", dir, strerror(errno));
		return check_summary();
	}
	struct dirent *de;
	int count = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".data"))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		char *text = check_read_file(path, NULL);
		struct vector v;
		if (!text || parse(text, &v)) {
			CHECK(0, "%s: parses", de->d_name);
			free(text);
			continue;
		}
		run_vector(de->d_name, &v);
		count++;
		free(v.asm_text), free(v.raw_text), free(v.mem_text), free(v.result), free(v.error), free(v.budget);
		free(text);
	}
	closedir(d);
	CHECK(count > 20, "ran %d vector files", count);
	return check_summary();
}
