/* bpfbox — verify/desc.c: map descriptions from text.
 *
 * The verifier takes map facts as descriptions (struct bpfbox_map_desc)
 * so raw programs can be verified against maps that exist only on the
 * command line or in a test vector.  This is the one parser of the text
 * form, shared by `bpfbox verify --map`, the test vectors and the kernel
 * labelling tool.  Type names come from the maps layer's table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "verifier.h"
#include "bpfbox/maps.h"

static int fail(char *why, size_t n, const char *msg, const char *spec)
{
	if (why && n)
		snprintf(why, n, "%s in map description '%s'", msg, spec);
	return -EINVAL;
}

static bool num(const char **p, uint64_t *v)
{
	char *e;
	if (!**p)
		return false;
	unsigned long long x = strtoull(*p, &e, 0);
	if (e == *p)
		return false;
	*v = x;
	*p = e;
	return true;
}

BPFBOX_API int bpfbox_map_desc__parse(const char *spec, unsigned *idx,
				      struct bpfbox_map_desc *out, char *why, size_t whysz)
{
	memset(out, 0, sizeof(*out));
	out->spin_lock_off = -1;
	const char *p = spec;
	uint64_t v;
	if (!num(&p, &v) || *p != '=' || v > 1000000)
		return fail(why, whysz, "expected IDX= at the start", spec);
	*idx = (unsigned)v;
	p++;
	const char *colon = strchr(p, ':');
	if (!colon)
		return fail(why, whysz, "expected TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES", spec);
	size_t tl = (size_t)(colon - p);
	int type = -1;
	for (uint32_t t = 0; t < 64; t++) {
		const char *nm = bpfbox_map_type_name(t);
		if (nm && strlen(nm) == tl && !strncmp(nm, p, tl)) {
			type = (int)t;
			break;
		}
	}
	if (type < 0)
		return fail(why, whysz, "unknown map type", spec);
	out->type = (uint32_t)type;
	p = colon + 1;
	uint64_t f[3];
	for (int i = 0; i < 3; i++) {
		if (!num(&p, &f[i]) || f[i] > 0xffffffffull || (i < 2 && *p != ':'))
			return fail(why, whysz, "expected KEY_SIZE:VALUE_SIZE:MAX_ENTRIES numbers", spec);
		if (i < 2)
			p++;
	}
	out->key_size = (uint32_t)f[0];
	out->value_size = (uint32_t)f[1];
	out->max_entries = (uint32_t)f[2];
	while (*p == ':') {
		p++;
		if (!strncmp(p, "flags=", 6)) {
			p += 6;
			if (!num(&p, &v) || v > 0xffffffffull)
				return fail(why, whysz, "bad flags=", spec);
			out->map_flags = (uint32_t)v;
		} else if (!strncmp(p, "lock=", 5)) {
			p += 5;
			if (!num(&p, &v) || v + 4 > out->value_size || (v & 3))
				return fail(why, whysz, "bad lock= (an aligned offset inside the value)", spec);
			out->spin_lock_off = (int32_t)v;
		} else if (!strncmp(p, "rdonly", 6)) {
			p += 6;
			out->map_flags |= VRF_F_RDONLY_PROG;
		} else {
			return fail(why, whysz, "unknown option", spec);
		}
	}
	if (*p)
		return fail(why, whysz, "trailing characters", spec);
	return 0;
}
