/* bpfbox — cli/progload.c: what a PROG argument holds, as instructions.
 *
 * Every subcommand that takes a program (disasm, run, verify, ...) calls
 * cli_load_prog(), so they all accept the same inputs.  The kind is found
 * from the content (an extension only decides for `.c`, `.s` and `.bin`),
 * in this order: ELF object or `.bpf.c` source (handed to the object
 * layer, cli/objload.c: its first program, linked), `.s`/`.S`/`.asm`
 * (assembly) or `.bin`/`.raw` (raw bytes) extension, text (hex digits, else
 * assembly), raw bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/asm.h"
#include "cli.h"
#include "objload.h" /* [object layer] */

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);
	return n > e && !strcmp(path + n - e, ext);
}

/* Text: no NUL and no control bytes other than white space (bytes >= 0x80
 * are allowed, for UTF-8 comments). */
static bool is_text(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] < 0x20 && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' && b[i] != '\f')
			return false;
	return true;
}

/* Hex text: every token (white space or commas between) is an optional
 * "0x" and an even number of hex digits. */
static bool is_hex(const char *s)
{
	bool any = false;
	while (*s) {
		if (strchr(" \t\r\n\f,", *s)) {
			s++;
			continue;
		}
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		size_t k = 0;
		while (s[k] && !strchr(" \t\r\n\f,", s[k])) {
			if (!strchr("0123456789abcdefABCDEF", s[k]))
				return false;
			k++;
		}
		if (k == 0 || k % 2)
			return false;
		s += k;
		any = true;
	}
	return any;
}

/* Raw bytes -> slots, explicitly little-endian. */
static struct bpfbox_insn *from_bytes(const unsigned char *b, size_t len, size_t *n)
{
	*n = len / 8;
	struct bpfbox_insn *in = calloc(*n ? *n : 1, sizeof(*in));
	if (!in)
		return NULL;
	for (size_t i = 0; i < *n; i++, b += 8) {
		in[i].code = b[0];
		in[i].dst = b[1] & 0xf;
		in[i].src = b[1] >> 4;
		in[i].off = (int16_t)(uint16_t)(b[2] | b[3] << 8);
		in[i].imm = (int32_t)((uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
				      (uint32_t)b[7] << 24);
	}
	return in;
}

int cli_load_prog(const char *path, struct bpfbox_insn **insns, size_t *n, char *err,
		  size_t errsz)
{
	*insns = NULL;
	*n = 0;
	size_t len = 0;
	bool std = !strcmp(path, "-");
	errno = 0;
	char *buf = std ? cli_read_stream(stdin, &len) : cli_read_file(path, &len);
	if (!buf) {
		int e = errno ? errno : EIO;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	const unsigned char *b = (const unsigned char *)buf;
	int rc = -EINVAL;
	if (len == 0) {
		snprintf(err, errsz, "%s: empty file", path);
		goto out;
	}
	if ((len >= 4 && !memcmp(b, "\x7f" "ELF", 4)) || cli_is_bpf_c(path)) {
		/* [object layer] ELF objects and .bpf.c sources: the linked
		 * instructions of the object's first program (cli/objload.c;
		 * maps appear as lddw pseudo forms, src 5/6). */
		rc = cli_load_object_insns(path, NULL, insns, n, err, errsz);
		goto out;
	}
	bool asm_ext = has_ext(path, ".s") || has_ext(path, ".S") || has_ext(path, ".asm");
	bool raw_ext = has_ext(path, ".bin") || has_ext(path, ".raw");
	if (!raw_ext && (asm_ext || is_text(b, len))) {
		if (!asm_ext && is_hex(buf)) {
			const char *why = NULL;
			size_t blen;
			uint8_t *bytes = cli_parse_hex(buf, &blen, &why);
			if (!bytes) {
				snprintf(err, errsz, "%s: bad hex: %s", path, why);
				goto out;
			}
			if (blen % 8) {
				snprintf(err, errsz, "%s: %zu bytes of hex, not a multiple of 8", path,
					 blen);
				free(bytes);
				goto out;
			}
			*insns = from_bytes(bytes, blen, n);
			free(bytes);
			rc = *insns ? 0 : -ENOMEM;
			if (rc)
				snprintf(err, errsz, "%s: out of memory", path);
			goto out;
		}
		char logbuf[512] = "";
		struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf),
					  .level = BPFBOX_LOG_ERROR };
		rc = bpfbox_asm__assemble(buf, len, BPFBOX_SYNTAX_AUTO, insns, n, &log);
		if (rc) {
			size_t first = strcspn(logbuf, "\n");
			bool more = logbuf[first] && logbuf[first + 1];
			logbuf[first] = 0;
			snprintf(err, errsz, "%s: %s%s", path, logbuf[0] ? logbuf : strerror(-rc),
				 more ? " (and more errors)" : "");
		} else if (!*n) {
			snprintf(err, errsz, "%s: no instructions", path);
			rc = -EINVAL;
		}
		goto out;
	}
	if (len % 8) {
		snprintf(err, errsz, "%s: %zu bytes, not a multiple of 8 (raw instructions)", path,
			 len);
		goto out;
	}
	*insns = from_bytes(b, len, n);
	rc = *insns ? 0 : -ENOMEM;
	if (rc)
		snprintf(err, errsz, "%s: out of memory", path);
out:
	free(buf);
	return rc;
}
