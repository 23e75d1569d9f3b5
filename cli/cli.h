/* bpfbox — cli/cli.h: what the subcommands share. */
#ifndef BPFBOX_CLI_H
#define BPFBOX_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPFBOX_VERSION "0.1.0"

enum { CLI_EXIT_OK = 0, CLI_EXIT_NO = 1, CLI_EXIT_USAGE = 2 };

/* Print "bpfbox CMD: message" on stderr (one line). */
void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The number an option takes: decimal, 0x hex or 0 octal, within
 * [min, max]; otherwise one line "OPT takes a number from MIN to MAX (or a
 * positive number), not 'S'" for CMD and -1. */
int cli_number(const char *cmd, const char *opt, const char *s, unsigned long long min,
	       unsigned long long max, unsigned long long *out);

/* Parse whitespace-separated hex bytes ("aa bb 11", "0xaa", "aabb11").
 * Returns a malloc'd buffer and its length in *n, or NULL with *n = 0 and a
 * reason in *why on bad input. */
uint8_t *cli_parse_hex(const char *text, size_t *n, const char **why);

/* Read a whole stream/file into a malloc'd, NUL-terminated buffer. */
char *cli_read_stream(void *file, size_t *n);
char *cli_read_file(const char *path, size_t *n);

/* Load the program a PROG argument names ("-" = stdin), by content:
 *  - an ELF object or a `.bpf.c` source: its first program, linked by the
 *    object layer (cli/objload.c; sources are compiled with clang);
 *  - a `.s` file, or any other text that is not hex: assembled (both
 *    syntaxes, per line);
 *  - a `.bin` or `.raw` file: raw instructions, whatever the bytes look like;
 *  - hex text: the bytes as hex digits, any white space or commas, "0x"
 *    prefixes allowed (what `bpfbox conformance` reads);
 *  - anything else: raw instructions, 8 bytes each, little-endian.
 * On success *insns is malloc'd (caller frees) with *n slots.  On failure
 * returns a negative errno and one line in err ("FILE: why"). */
struct bpfbox_insn;
int cli_load_prog(const char *path, struct bpfbox_insn **insns, size_t *n, char *err,
		  size_t errsz);

/* The subcommands (cli/commands.def). */
#define CMD(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef CMD

#endif
