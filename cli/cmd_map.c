/* bpfbox — cli/cmd_map.c: `bpfbox map ...`, bpftool's map commands for the
 * maps of a run.
 *
 * A run saves its maps with `bpfbox run OBJ --maps-out FILE.json`; these
 * commands read that file, recreate the maps through the maps API (so an
 * update has the kernel's semantics: BPF_NOEXIST on a present key is
 * -EEXIST, a full hash is -E2BIG, an array index past max_entries is
 * -E2BIG, ...), do what bpftool would, and write the file back for update
 * and delete; `bpfbox run OBJ --maps-in FILE.json` then starts from it.
 * Keys and values are given as bpftool takes them: bytes, each decimal or
 * 0x-prefixed hex (`key 1 0 0 0`), or `hex` followed by hex bytes
 * (`key hex 01 00 00 00`).  Output is bpftool's plain format, or its JSON
 * with -j.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfbox/maps.h"
#include "cli.h"
#include "objload.h"

#define CMD "map"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfbox map show   --maps FILE.json [-j]\n"
		"       bpfbox map dump   --maps FILE.json [name NAME | id N] [-j]\n"
		"       bpfbox map lookup --maps FILE.json (name NAME | id N) key BYTES [-j]\n"
		"       bpfbox map update --maps FILE.json (name NAME | id N) key BYTES value BYTES\n"
		"                         [any | noexist | exist]\n"
		"       bpfbox map delete --maps FILE.json (name NAME | id N) key BYTES\n"
		"       bpfbox map getnext --maps FILE.json (name NAME | id N) [key BYTES] [-j]\n"
		"  FILE.json holds the maps of a run (bpfbox run OBJ --maps-out FILE.json); update\n"
		"  and delete write it back, and `bpfbox run OBJ --maps-in FILE.json` starts from\n"
		"  it.  BYTES: decimal or 0x bytes (key 1 0 0 0), or `hex` then hex bytes\n"
		"  (key hex 01 00 00 00).  A queue or stack takes no key (update pushes, lookup\n"
		"  peeks, delete pops).  id N is the map's position in the file.\n"
		"  -j                  bpftool's JSON output\n"
		"exit status: 0 done, 1 the operation failed (not found, exists, full...), 2 bad\n"
		"input or usage\n");
}

/* Parse bpftool-style bytes from argv[*i...] until a keyword; exactly n. */
static int parse_bytes(int argc, char **argv, int *i, uint8_t *out, size_t n, const char *what)
{
	int base = 0;
	if (*i < argc && !strcmp(argv[*i], "hex")) {
		base = 16;
		(*i)++;
	}
	size_t k = 0;
	while (*i < argc) {
		const char *a = argv[*i];
		if (!strcmp(a, "value") || !strcmp(a, "any") || !strcmp(a, "noexist") ||
		    !strcmp(a, "exist") || a[0] == '-')
			break;
		char *end;
		errno = 0;
		unsigned long v = strtoul(a, &end, base);
		if (errno || *end || v > 255) {
			cli_err(CMD, "%s: bad byte '%s'", what, a);
			return -1;
		}
		if (k >= n) {
			cli_err(CMD, "%s: more than %zu bytes", what, n);
			return -1;
		}
		out[k++] = (uint8_t)v;
		(*i)++;
	}
	if (k != n) {
		cli_err(CMD, "%s: %zu bytes given, the map wants %zu", what, k, n);
		return -1;
	}
	return 0;
}

static void print_kv(struct bpfbox_map *m, const uint8_t *key, const uint8_t *val, bool json)
{
	uint32_t ks = bpfbox_map__key_size(m), vs = bpfbox_map__value_buf_size(m);
	if (json) {
		printf("{");
		if (ks) {
			printf("\"key\":[");
			for (uint32_t i = 0; i < ks; i++)
				printf("%s\"0x%02x\"", i ? "," : "", key[i]);
			printf("],");
		}
		printf("\"value\":[");
		for (uint32_t i = 0; i < vs; i++)
			printf("%s\"0x%02x\"", i ? "," : "", val[i]);
		printf("]}\n");
		return;
	}
	bool brk = ks > 16 || vs > 16;
	if (ks) {
		printf(brk ? "key:\n" : "key: ");
		for (uint32_t i = 0; i < ks; i++)
			printf("%s%02x", i ? " " : "", key[i]);
		printf(brk ? "\n" : "  ");
	}
	printf("value:%c", brk ? '\n' : ' ');
	for (uint32_t i = 0; i < vs; i++)
		printf("%s%02x", i ? " " : "", val[i]);
	printf("\n");
}

int cmd_map(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	const char *op = argv[1];
	static const char *const ops[] = { "show", "list", "dump", "lookup", "update", "delete",
					   "getnext" };
	bool known = false;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		known |= !strcmp(op, ops[i]);
	if (!known) {
		cli_err(CMD, "unknown command '%s' (show, dump, lookup, update, delete, getnext)", op);
		return CLI_EXIT_USAGE;
	}
	const char *file = NULL, *name = NULL;
	long id = -1;
	bool json = false;
	int first_kv = -1;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(argv[i], "--maps") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json") ||
			   !strcmp(argv[i], "-p")) {
			json = true;
		} else if (!strcmp(argv[i], "name") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strcmp(argv[i], "id") && i + 1 < argc) {
			char *end;
			id = strtol(argv[++i], &end, 10);
			if (*end || id < 0) {
				cli_err(CMD, "bad id '%s'", argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "key") || !strcmp(argv[i], "value")) {
			first_kv = i;
			break;
		} else {
			cli_err(CMD, "unexpected '%s' (see bpfbox map --help)", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!file) {
		cli_err(CMD, "--maps FILE.json is required (save one with bpfbox run --maps-out)");
		return CLI_EXIT_USAGE;
	}
	char err[1024];
	struct cli_mapset *set;
	if (cli_mapset_load(file, &set, err, sizeof(err))) {
		cli_err(CMD, "%s", err);
		return CLI_EXIT_USAGE;
	}
	int rc = CLI_EXIT_USAGE;
	uint8_t *key = NULL, *val = NULL;
	if (!strcmp(op, "show") || !strcmp(op, "list")) {
		if (json)
			printf("[");
		for (size_t i = 0; i < cli_mapset_count(set); i++) {
			struct bpfbox_map *m = cli_mapset_map(set, i);
			const char *tn = bpfbox_map_type_name(bpfbox_map__type(m));
			if (json)
				printf("%s{\"id\":%zu,\"type\":\"%s\",\"name\":\"%s\",\"bytes_key\":%u,"
				       "\"bytes_value\":%u,\"max_entries\":%u,\"flags\":%u}",
				       i ? "," : "", i, tn, cli_mapset_name(set, i), bpfbox_map__key_size(m),
				       bpfbox_map__value_size(m), bpfbox_map__max_entries(m),
				       bpfbox_map__flags(m));
			else
				printf("%zu: %s  name %s  flags 0x%x\n\tkey %uB  value %uB  max_entries %u\n",
				       i, tn, cli_mapset_name(set, i), bpfbox_map__flags(m),
				       bpfbox_map__key_size(m), bpfbox_map__value_size(m),
				       bpfbox_map__max_entries(m));
		}
		if (json)
			printf("]\n");
		rc = CLI_EXIT_OK;
		goto out;
	}
	/* the selected map (dump may go over all of them) */
	long sel = -1;
	for (size_t i = 0; i < cli_mapset_count(set); i++)
		if ((name && !strcmp(cli_mapset_name(set, i), name)) || (long)i == id)
			sel = (long)i;
	if ((name || id >= 0) && sel < 0) {
		if (name)
			cli_err(CMD, "no map named %s in %s", name, file);
		else
			cli_err(CMD, "no map id %ld in %s", id, file);
		goto out;
	}
	if (!strcmp(op, "dump")) {
		for (size_t i = 0; i < cli_mapset_count(set); i++) {
			if (sel >= 0 && (long)i != sel)
				continue;
			if (sel < 0 && !json)
				printf("map %s:\n", cli_mapset_name(set, i));
			cli_map_dump(stdout, set, cli_mapset_map(set, i), cli_mapset_name(set, i), json);
		}
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (sel < 0) {
		cli_err(CMD, "%s needs a map: name NAME or id N", op);
		goto out;
	}
	struct bpfbox_map *m = cli_mapset_map(set, (size_t)sel);
	uint32_t t = bpfbox_map__type(m);
	uint32_t ks = bpfbox_map__key_size(m), vs = bpfbox_map__value_buf_size(m);
	key = calloc(1, ks + 1);
	val = calloc(1, vs + 1);
	uint64_t flags = BPFBOX_ANY;
	bool have_key = false, have_val = false;
	for (int i = first_kv; first_kv >= 0 && i < argc;) {
		if (!strcmp(argv[i], "key")) {
			i++;
			if (parse_bytes(argc, argv, &i, key, ks, "key"))
				goto out;
			have_key = true;
		} else if (!strcmp(argv[i], "value")) {
			i++;
			if (parse_bytes(argc, argv, &i, val, bpfbox_map__value_size(m), "value"))
				goto out;
			/* a per-CPU value given once is every CPU's value */
			for (uint32_t c = 1, step = (bpfbox_map__value_size(m) + 7) & ~7u;
			     vs > bpfbox_map__value_size(m) && c < bpfbox_map__nr_cpus(m); c++)
				memcpy(val + (size_t)c * step, val, bpfbox_map__value_size(m));
			have_val = true;
		} else if (!strcmp(argv[i], "any") || !strcmp(argv[i], "noexist") ||
			   !strcmp(argv[i], "exist")) {
			flags = argv[i][0] == 'a' ? BPFBOX_ANY : argv[i][0] == 'n' ? BPFBOX_NOEXIST
										  : BPFBOX_EXIST;
			i++;
		} else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
			i++;
		} else {
			cli_err(CMD, "unexpected '%s'", argv[i]);
			goto out;
		}
	}
	bool keyless = t == BPFBOX_MAP_TYPE_QUEUE || t == BPFBOX_MAP_TYPE_STACK ||
		       t == BPFBOX_MAP_TYPE_BLOOM_FILTER;
	if (!keyless && !have_key && strcmp(op, "getnext")) {
		cli_err(CMD, "%s needs key BYTES", op);
		goto out;
	}
	int e;
	const char *what = op;
	if (!strcmp(op, "lookup")) {
		e = bpfbox_map__lookup(m, keyless ? NULL : key, val);
		if (!e) {
			print_kv(m, key, val, json);
			rc = CLI_EXIT_OK;
			goto out;
		}
	} else if (!strcmp(op, "getnext")) {
		uint8_t *next = calloc(1, ks + 1);
		e = next ? bpfbox_map__get_next_key(m, have_key ? key : NULL, next) : -ENOMEM;
		if (!e) {
			if (json) {
				printf("{\"next_key\":[");
				for (uint32_t i = 0; i < ks; i++)
					printf("%s\"0x%02x\"", i ? "," : "", next[i]);
				printf("]}\n");
			} else {
				printf("next key:\n");
				for (uint32_t i = 0; i < ks; i++)
					printf("%s%02x", i ? " " : "", next[i]);
				printf("\n");
			}
			free(next);
			rc = CLI_EXIT_OK;
			goto out;
		}
		free(next);
	} else {
		if (!strcmp(op, "update")) {
			if (!have_val) {
				cli_err(CMD, "update needs value BYTES");
				goto out;
			}
			e = bpfbox_map__update(m, keyless ? NULL : key, val, flags);
		} else {
			e = keyless ? bpfbox_map__lookup_and_delete(m, NULL, val)
				    : bpfbox_map__delete(m, key);
		}
		if (!e) {
			if (cli_mapset_save(set, file, err, sizeof(err))) {
				cli_err(CMD, "%s", err);
				goto out;
			}
			rc = CLI_EXIT_OK;
			goto out;
		}
	}
	cli_err(CMD, "%s failed: %s", what,
		e == -BPFBOX_ENOTSUPP ? "operation not supported by this map type" : strerror(-e));
	rc = CLI_EXIT_NO;
out:
	fflush(stdout);
	free(key);
	free(val);
	cli_mapset_free(set);
	return rc;
}
