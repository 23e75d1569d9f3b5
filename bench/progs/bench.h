/* bpfbox — bench/progs/bench.h: one source, three engines.
 *
 * Each benchmark program is an XDP program (SEC("xdp"), r1 = struct
 * xdp_md, packet bounds from ctx->data / ctx->data_end, every access
 * checked against data_end as a verifier needs).  One object per program
 * (clang -O2 -g -target bpf -mcpu=v3) is what both bpfbox and the kernel
 * load, verify and run; the same file compiled with gcc -O2 is the native
 * baseline (bench/native.c includes it).
 *
 * The native shim is this header's second half, and it is small on
 * purpose so that gcc sees the same C:
 *  - struct xdp_md is the kernel's (from <linux/bpf.h>); native.c places
 *    the context and the packet below 4 GiB (MAP_32BIT) so that the
 *    32-bit data / data_end fields hold the real addresses and
 *    `(void *)(long)ctx->data` compiles unchanged;
 *  - SEC() only keeps the symbol;
 *  - a map definition ends with BENCH_MAP_IMPL, which natively adds a
 *    pointer to a bpfbox map (bpfbox's own map library, created by
 *    native.c) and the map helpers call that library directly
 *    (bpfbox_map__elem / bpfbox_map__update_elem), so a native/eBPF ratio
 *    of a map program measures the cost of running as eBPF, not a
 *    different hash table. */
#ifndef BENCH_H
#define BENCH_H
#include <linux/bpf.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
/* A 64-bit word loaded from packet bytes (may alias them, for gcc). */
typedef __u64 __attribute__((may_alias)) u64_any;

#ifdef __bpf__
#include <bpf/bpf_helpers.h>
#define BENCH_MAP_IMPL
#else
#include "bpfbox/maps.h"
#define SEC(name) __attribute__((used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define BENCH_MAP_IMPL struct bpfbox_map *impl;
#define bpf_map_lookup_elem(map, key) bpfbox_map__elem((map)->impl, (key), 0)
#define bpf_map_update_elem(map, key, val, flags) \
	bpfbox_map__update_elem((map)->impl, (key), (val), (flags), 0)
#endif

/* Every program folds its 64-bit result into the 32-bit XDP return value
 * (the kernel's test run reports r0 as u32), which all engines must
 * agree on. */
static __always_inline u32 bench_fold(u64 v)
{
	return (u32)(v ^ v >> 32);
}
#endif
