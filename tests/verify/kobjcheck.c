/* bpfbox — tests/verify/kobjcheck.c: what this machine's kernel says about
 * each program of real BPF objects (root; used by tests/verify/objects.sh
 * to label objects: examples/, the objects inside Debian's libbpf-tools).
 *
 *   kobjcheck OBJ...     prints "OBJ<TAB>PROG<TAB>ACCEPT|REJECT|SKIP<TAB>why"
 *   kobjcheck --stats OBJ...   for accepted programs: "OBJ<TAB>PROG<TAB>processed insns<TAB>usec"
 *                        (the kernel's verification time and work, for make bench)
 *
 * Each program is loaded alone (libbpf: autoload off for the others), with
 * libbpf doing what it always does first (maps, CO-RE relocations against
 * the running kernel's BTF).  When libbpf fails before the kernel's
 * verifier ran (no verifier log), the kernel could not judge: SKIP.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l;
	(void)fmt;
	(void)ap;
	return 0;
}

static char logbuf[1 << 22];

static void last_line(char *out, size_t n)
{
	char *last = NULL, *q = logbuf;
	while (q && *q) {
		char *nl = strchr(q, '\n');
		if (nl)
			*nl = 0;
		if (*q && strncmp(q, "processed ", 10) && strncmp(q, "verification time", 17) &&
		    strncmp(q, "stack depth", 11) && strncmp(q, "-- END PROG LOAD LOG --", 23))
			last = q;
		q = nl ? nl + 1 : NULL;
	}
	snprintf(out, n, "%s", last ? last : "");
	for (char *c = out; *c; c++)
		if (*c == '\t')
			*c = ' ';
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	bool stats = argc > 1 && !strcmp(argv[1], "--stats");
	for (int a = stats ? 2 : 1; a < argc; a++) {
		struct bpf_object *probe = bpf_object__open_file(argv[a], NULL);
		if (!probe) {
			printf("%s\t-\tSKIP\tlibbpf cannot open it\n", argv[a]);
			continue;
		}
		struct bpf_program *p;
		char names[512][128];
		int n = 0;
		bpf_object__for_each_program(p, probe)
			if (n < 512)
				snprintf(names[n++], sizeof(names[0]), "%s", bpf_program__name(p));
		bpf_object__close(probe);
		for (int i = 0; i < n; i++) {
			struct bpf_object *obj = bpf_object__open_file(argv[a], NULL);
			if (!obj)
				continue;
			struct bpf_program *mine = NULL;
			bpf_object__for_each_program(p, obj) {
				bool me = !strcmp(bpf_program__name(p), names[i]);
				bpf_program__set_autoload(p, me);
				if (me)
					mine = p;
			}
			logbuf[0] = 0;
			bpf_program__set_log_buf(mine, logbuf, sizeof(logbuf));
			bpf_program__set_log_level(mine, stats ? 4 : 1);
			int err = bpf_object__load(obj);
			if (stats) {
				const char *pr = strstr(logbuf, "processed "), *tm = strstr(logbuf, "verification time ");
				if (!err && pr && tm)
					printf("%s\t%s\t%llu\t%llu\n", argv[a], names[i],
					       strtoull(pr + 10, NULL, 10), strtoull(tm + 18, NULL, 10));
				bpf_object__close(obj);
				continue;
			}
			char why[512] = "";
			bool core = strstr(logbuf, "failed to resolve CO-RE relocation") != NULL;
			bool pwu = strstr(logbuf, "bpf_probe_write_user") != NULL;
			bool proc = strstr(logbuf, "processed ") != NULL;
			last_line(why, sizeof(why)); /* (cuts logbuf into lines) */
			bool verified = proc && !why[0];
			if (!err || verified) {
				/* (a failure after a successful verification, e.g. filling
				 * a prog array with programs not loaded, is not a verdict) */
				printf("%s\t%s\tACCEPT\t\n", argv[a], names[i]);
			} else if (!logbuf[0]) {
				printf("%s\t%s\tSKIP\tlibbpf failed before the verifier ran (%s)\n", argv[a],
				       names[i], strerror(-err));
			} else if (core) {
				printf("%s\t%s\tSKIP\tCO-RE relocation failed for this kernel (libbpf poisoned "
				       "the program)\n", argv[a], names[i]);
			} else if (pwu) {
				printf("%s\t%s\tSKIP\tthis kernel withholds bpf_probe_write_user (lockdown "
				       "policy, not a verifier rule)\n", argv[a], names[i]);
			} else {
				printf("%s\t%s\tREJECT\t%s\n", argv[a], names[i], why);
			}
			bpf_object__close(obj);
		}
	}
	return 0;
}
