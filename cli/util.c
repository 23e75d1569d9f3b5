/* bpfbox — cli/util.c: small helpers shared by the subcommands. */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "bpfbox %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_number(const char *cmd, const char *opt, const char *s, unsigned long long min,
	       unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || !*s || s[0] == '-' || v < min || v > max) {
		if (min == 1 && max == ULLONG_MAX)
			cli_err(cmd, "%s takes a positive number, not '%s'", opt, s);
		else
			cli_err(cmd, "%s takes a number from %llu to %llu, not '%s'", opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

uint8_t *cli_parse_hex(const char *s, size_t *n, const char **why)
{
	size_t cap = strlen(s) / 2 + 1, len = 0;
	uint8_t *out = malloc(cap);
	*n = 0;
	if (!out) {
		*why = "out of memory";
		return NULL;
	}
	while (*s) {
		if (isspace((unsigned char)*s) || *s == ',') {
			s++;
			continue;
		}
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		/* a token: pairs of hex digits */
		const char *t = s;
		while (*s && !isspace((unsigned char)*s) && *s != ',')
			s++;
		size_t tl = (size_t)(s - t);
		if (tl % 2) {
			*why = "odd number of hex digits";
			free(out);
			return NULL;
		}
		for (size_t i = 0; i < tl; i += 2) {
			int hi = hexval(t[i]), lo = hexval(t[i + 1]);
			if (hi < 0 || lo < 0) {
				*why = "not a hex digit";
				free(out);
				return NULL;
			}
			out[len++] = (uint8_t)(hi << 4 | lo);
		}
	}
	*n = len;
	return out;
}

char *cli_read_stream(void *file, size_t *n)
{
	FILE *f = file;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	if (n)
		*n = len;
	return buf;
}

char *cli_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = cli_read_stream(f, n);
	fclose(f);
	return b;
}
