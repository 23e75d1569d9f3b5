/* bpfbox — cli/objload.c: ELF objects and `.bpf.c` sources as PROG.
 *
 * A PROG argument may be an ELF object (clang -target bpf output) or a
 * restricted-C source `*.bpf.c`, which is compiled on the fly the way BCC
 * compiles C at run time:
 *
 *   clang -O2 -g -target bpf -D__TARGET_ARCH_<arch> -I<multiarch includes>
 *         -I<the source's directory> -c SRC -o CACHE/<hash>.o
 *
 * ($BPFBOX_CLANG overrides `clang`; $BPFBOX_CFLAGS adds flags.)  The
 * result is cached under $XDG_CACHE_HOME/bpfbox (default ~/.cache/bpfbox),
 * named by a hash of the source text, the flags and the compiler, so an
 * unchanged source is compiled once.  Limit: headers the source includes
 * are not part of the hash — touch the source (or clear the cache) after
 * changing a header.  `-v` prints the command line.
 *
 * clang runs through fork/execvp with an argument vector (no shell), its
 * diagnostics go to our stderr, and a failed compile is one "bpfbox CMD:"
 * line after them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "bpfbox/object.h"
#include "cli.h"
#include "objload.h"

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcmp(s + n - k, suf);
}

bool cli_is_bpf_c(const char *path)
{
	return path && (has_suffix(path, ".bpf.c") || has_suffix(path, ".c"));
}

bool cli_is_object(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return false;
	if (cli_is_bpf_c(path))
		return true;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	unsigned char m[4];
	bool elf = read(fd, m, 4) == 4 && !memcmp(m, "\x7f" "ELF", 4);
	close(fd);
	return elf;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* libbpf prints BTF complaints to stderr; the CLI reports one line itself. */
void cli_quiet_libbpf(void)
{
	libbpf_set_print(quiet_print);
}

/* 128 bits of FNV-1a (two lanes), enough to name cache files. */
struct hash {
	uint64_t a, b;
};

static void hash_bytes(struct hash *h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h->a = (h->a ^ s[i]) * 0x100000001b3ull;
		h->b = (h->b ^ s[i]) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
	}
	h->a ^= n;
	h->b ^= n << 1;
}

static int cache_dir(char *out, size_t size)
{
	const char *x = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;
	if (x && *x)
		n = snprintf(out, size, "%s/bpfbox", x);
	else if (home && *home)
		n = snprintf(out, size, "%s/.cache/bpfbox", home);
	else
		n = snprintf(out, size, "/tmp/bpfbox-cache-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	/* create the path one component at a time */
	for (char *p = out + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(out, 0755);
		*p = '/';
	}
	if (mkdir(out, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static const char *arch_define(const char *machine)
{
	if (!strcmp(machine, "x86_64"))
		return "-D__TARGET_ARCH_x86";
	if (!strcmp(machine, "aarch64"))
		return "-D__TARGET_ARCH_arm64";
	if (!strncmp(machine, "riscv", 5))
		return "-D__TARGET_ARCH_riscv";
	return "-D__TARGET_ARCH_unknown";
}

int cli_compile_bpf_c(const char *src, bool verbose, char *out, size_t outsz, char *err,
		      size_t errsz)
{
	size_t len;
	char *text = cli_read_file(src, &len);
	if (!text) {
		int e = errno ? errno : EIO;
		snprintf(err, errsz, "%s: %s", src, strerror(e));
		return -e;
	}
	const char *clang = getenv("BPFBOX_CLANG");
	if (!clang || !*clang)
		clang = "clang";
	struct utsname u;
	uname(&u);
	char multi[300], srcdir[4096];
	snprintf(multi, sizeof(multi), "-I/usr/include/%s-linux-gnu", u.machine);
	snprintf(srcdir, sizeof(srcdir), "%s", src);
	char *slash = strrchr(srcdir, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(srcdir, ".");
	char incdir[4200];
	snprintf(incdir, sizeof(incdir), "-I%s", srcdir);
	/* the argument vector, extra flags split on spaces */
	const char *argv[64];
	int argc = 0;
	argv[argc++] = clang;
	argv[argc++] = "-O2";
	argv[argc++] = "-g";
	argv[argc++] = "-target";
	argv[argc++] = "bpf";
	argv[argc++] = arch_define(u.machine);
	argv[argc++] = multi;
	argv[argc++] = incdir;
	char *extra = NULL;
	const char *ef = getenv("BPFBOX_CFLAGS");
	if (ef && *ef) {
		extra = strdup(ef);
		for (char *t = strtok(extra, " \t"); t && argc < 54; t = strtok(NULL, " \t"))
			argv[argc++] = t;
	}
	struct hash h = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull };
	hash_bytes(&h, text, len);
	for (int i = 0; i < argc; i++)
		hash_bytes(&h, argv[i], strlen(argv[i]) + 1);
	free(text);
	char dir[4096];
	int e = cache_dir(dir, sizeof(dir));
	if (e) {
		snprintf(err, errsz, "cannot create the compile cache directory: %s", strerror(-e));
		free(extra);
		return e;
	}
	int n = snprintf(out, outsz, "%s/%016llx%016llx.o", dir, (unsigned long long)h.a,
			 (unsigned long long)h.b);
	if (n < 0 || (size_t)n >= outsz) {
		snprintf(err, errsz, "cache path too long");
		free(extra);
		return -ENAMETOOLONG;
	}
	struct stat st;
	if (stat(out, &st) == 0 && st.st_size > 0) {
		if (verbose)
			fprintf(stderr, "bpfbox: %s: cached as %s\n", src, out);
		free(extra);
		return 0;
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", out, (int)getpid());
	argv[argc++] = "-c";
	argv[argc++] = src;
	argv[argc++] = "-o";
	argv[argc++] = tmp;
	argv[argc] = NULL;
	if (verbose) {
		fprintf(stderr, "bpfbox: compiling:");
		for (int i = 0; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errsz, "fork: %s", strerror(errno));
		free(extra);
		return -errno;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "bpfbox: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(extra);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		unlink(tmp);
		snprintf(err, errsz, "%s: clang failed%s", src,
			 WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (not installed? set "
			 "BPFBOX_CLANG)" : " (its messages are above)");
		return -EINVAL;
	}
	if (rename(tmp, out)) {
		int er = errno;
		unlink(tmp);
		snprintf(err, errsz, "%s: %s", out, strerror(er));
		return -er;
	}
	return 0;
}

const char cli_objopts_help[] = CLI_OBJOPTS_HELP;

int cli_objopts_parse(const char *cmd, int argc, char **argv, int *i, struct cli_objopts *o)
{
	const char *a = argv[*i];
	if (strcmp(a, "--btf") && strcmp(a, "--target-btf") && strcmp(a, "--set"))
		return 0;
	if (*i + 1 >= argc) {
		cli_err(cmd, "%s needs a value", a);
		return -1;
	}
	const char *v = argv[++*i];
	if (strcmp(a, "--set")) {
		o->btf = v;
		return 1;
	}
	const char *eq = strchr(v, '=');
	if (!eq || eq == v) {
		cli_err(cmd, "--set takes NAME=VALUE, not '%s'", v);
		return -1;
	}
	if (o->nset >= CLI_MAX_SET) {
		cli_err(cmd, "more than %d --set options", CLI_MAX_SET);
		return -1;
	}
	o->set[o->nset++] = v;
	return 1;
}

int cli_open_object(const char *path, bool verbose, struct bpfbox_object **obj, char *err,
		    size_t errsz)
{
	return cli_open_object_opts(path, verbose, NULL, obj, err, errsz);
}

int cli_open_object_opts(const char *path, bool verbose, const struct cli_objopts *opts,
			 struct bpfbox_object **obj, char *err, size_t errsz)
{
	char compiled[4400];
	const char *file = path;
	cli_quiet_libbpf();
	if (cli_is_bpf_c(path)) {
		int e = cli_compile_bpf_c(path, verbose, compiled, sizeof(compiled), err, errsz);
		if (e)
			return e;
		file = compiled;
	}
	char logbuf[1024] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	const char *base = strrchr(path, '/');
	BPFBOX_OPTS(bpfbox_object_opts, oo, .log = &log, .name = base ? base + 1 : path,
		    .btf_path = opts ? opts->btf : NULL);
	int e = bpfbox_object__open_file(file, &oo, obj);
	if (e) {
		logbuf[strcspn(logbuf, "\n")] = 0;
		snprintf(err, errsz, "%s", logbuf[0] ? logbuf : strerror(-e));
		return e;
	}
	/* --set NAME=VALUE, in order */
	bpfbox_object__set_log(*obj, &log);
	for (size_t i = 0; opts && i < opts->nset; i++) {
		char name[256];
		const char *eq = strchr(opts->set[i], '=');
		size_t n = (size_t)(eq - opts->set[i]);
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
			 opts->set[i]);
		logbuf[0] = 0;
		log.len = 0;
		e = bpfbox_object__set_global(*obj, name, eq + 1);
		if (e) {
			/* the log line says "object X: global 'N' ...: why" */
			logbuf[strcspn(logbuf, "\n")] = 0;
			const char *why = strstr(logbuf, ": global '");
			snprintf(err, errsz, "--set %s: %s", opts->set[i],
				 why ? why + 2 : logbuf[0] ? logbuf : strerror(-e));
			bpfbox_object__set_log(*obj, NULL);
			bpfbox_object__free(*obj);
			*obj = NULL;
			return e;
		}
	}
	bpfbox_object__set_log(*obj, NULL);
	return 0;
}

struct bpfbox_obj_prog *cli_pick_prog(struct bpfbox_object *obj, const char *section,
				      const char *name, char *err, size_t errsz)
{
	struct bpfbox_obj_prog *p = NULL;
	if (name) {
		p = bpfbox_object__find_prog(obj, name);
		if (!p)
			snprintf(err, errsz, "%s: no program or global function '%s'",
				 bpfbox_object__name(obj), name);
		return p;
	}
	if (section) {
		p = bpfbox_object__find_prog_by_section(obj, section);
		if (!p)
			snprintf(err, errsz, "%s: no program in section '%s'",
				 bpfbox_object__name(obj), section);
		return p;
	}
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		p = bpfbox_object__prog(obj, i);
		if (!bpfbox_obj_prog__is_function(p))
			return p;
	}
	p = bpfbox_object__prog(obj, 0);
	if (!p)
		snprintf(err, errsz, "%s: the object has no programs", bpfbox_object__name(obj));
	return p;
}

int cli_load_object_insns(const char *path, const char *section, struct bpfbox_insn **insns,
			  size_t *n, char *err, size_t errsz)
{
	struct bpfbox_object *obj;
	int e = cli_open_object(path, false, &obj, err, errsz);
	if (e)
		return e;
	struct bpfbox_obj_prog *p = cli_pick_prog(obj, section, NULL, err, errsz);
	if (!p) {
		bpfbox_object__free(obj);
		return -ENOENT;
	}
	size_t cnt;
	const struct bpfbox_insn *in = bpfbox_obj_prog__insns(p, &cnt);
	*insns = malloc((cnt ? cnt : 1) * sizeof(**insns));
	if (!*insns) {
		bpfbox_object__free(obj);
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	memcpy(*insns, in, cnt * sizeof(**insns));
	*n = cnt;
	bpfbox_object__free(obj);
	return 0;
}
