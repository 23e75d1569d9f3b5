/* bpfbox — tests/fuzz/fuzz_object.h: one loader fuzz iteration, shared by the
 * libFuzzer target (fuzz_object.c) and the plain mutational driver
 * (fuzz_object_driver.c).
 *
 * An input is an ELF object (the seeds are the compiled examples, mutated).
 * It is opened; when that succeeds every getter is walked (sections,
 * programs, instructions, relocations, lines, functions, maps, initial
 * slots); when its maps are small it is loaded into a VM with helpers and
 * each program runs once in checked mode on a small budget.  Whatever the
 * bytes, nothing may crash, hang or leak: the sanitizers and the fuzzer's
 * timeout are the oracle.
 */
#ifndef BPFBOX_FUZZ_OBJECT_H
#define BPFBOX_FUZZ_OBJECT_H

#include <stdio.h>
#include <string.h>
#include "bpfbox/helpers.h"
#include "bpfbox/maps.h"
#include "bpfbox/object.h"
#include "bpfbox/vm.h"
#include <bpf/libbpf.h>

static FILE *fuzz_devnull;

static int fuzz_quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l;
	(void)f;
	(void)ap;
	return 0; /* libbpf complains about every malformed BTF */
}

static void fuzz_walk(struct bpfbox_object *obj)
{
	struct bpfbox_obj_sec_info si;
	for (size_t i = 0; !bpfbox_object__sec(obj, i, &si); i++)
		(void)si;
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(obj, i);
		size_t n;
		const struct bpfbox_insn *in = bpfbox_obj_prog__insns(p, &n);
		volatile uint64_t sink = 0;
		for (size_t k = 0; k < n; k++) {
			struct bpfbox_obj_reloc r;
			struct bpfbox_obj_line l;
			sink += in[k].code;
			if (!bpfbox_obj_prog__reloc(p, k, &r))
				sink += (uint64_t)r.kind + strlen(r.symbol);
			if (!bpfbox_obj_prog__line(p, k, &l))
				sink += l.line + strlen(l.file) + strlen(l.text);
		}
		struct bpfbox_obj_func f;
		for (size_t k = 0; !bpfbox_obj_prog__func(p, k, &f); k++)
			sink += f.start + strlen(f.name);
		sink += strlen(bpfbox_obj_prog__attach(p)) + (uint64_t)bpfbox_obj_prog__type(p);
		(void)sink;
	}
	for (size_t i = 0; i < bpfbox_object__map_count(obj); i++) {
		struct bpfbox_obj_map *m = bpfbox_object__map(obj, i);
		uint32_t slot;
		const char *what;
		for (size_t k = 0; !bpfbox_obj_map__init_slot(m, k, &slot, &what); k++)
			(void)strlen(what);
	}
}

/* Small maps only: a mutated max_entries must not make the fuzzer allocate
 * gigabytes (the maps layer would, legitimately). */
static int fuzz_maps_small(struct bpfbox_object *obj)
{
	for (size_t i = 0; i < bpfbox_object__map_count(obj); i++) {
		const struct bpfbox_obj_map_def *d = bpfbox_obj_map__def(bpfbox_object__map(obj, i));
		uint64_t bytes = (uint64_t)d->max_entries * ((uint64_t)d->key_size + d->value_size + 64);
		if (d->max_entries > 65536 || d->value_size > 65536 || d->key_size > 1024 ||
		    bytes > (8u << 20))
			return 0;
	}
	return 1;
}

static int fuzz_object_one(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet++)
		libbpf_set_print(fuzz_quiet);
	struct bpfbox_object *obj;
	if (bpfbox_object__open_mem(data, size, NULL, &obj))
		return 0;
	fuzz_walk(obj);
	if (fuzz_maps_small(obj)) {
		if (!fuzz_devnull)
			fuzz_devnull = fopen("/dev/null", "w");
		struct bpfbox_env *env = NULL;
		struct bpfbox_vm *vm = NULL;
		BPFBOX_OPTS(bpfbox_env_opts, eo, .trace_out = fuzz_devnull, .nr_cpus = 2);
		BPFBOX_OPTS(bpfbox_vm_opts, vo, .insn_budget = 20000);
		if (!bpfbox_env__new(&env, &eo)) {
			bpfbox_env__vm_opts(env, &vo);
			if (!bpfbox_vm__new(&vm, &vo) && !bpfbox_env__attach(env, vm)) {
				BPFBOX_OPTS(bpfbox_object_load_opts, lo, .nr_cpus = 2);
				if (!bpfbox_object__load(obj, vm, env, &lo)) {
					for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
						struct bpfbox_prog *p =
							bpfbox_obj_prog__handle(bpfbox_object__prog(obj, i));
						uint8_t mem[256] = { 0 };
						uint64_t r0;
						BPFBOX_OPTS(bpfbox_run_opts, ro, .mem = mem,
							    .mem_len = sizeof(mem));
						if (p)
							bpfbox_prog__run(p, &ro, &r0);
					}
				}
			}
		}
		bpfbox_object__free(obj);
		bpfbox_vm__free(vm);
		bpfbox_env__free(env);
		return 0;
	}
	bpfbox_object__free(obj);
	return 0;
}

#endif
