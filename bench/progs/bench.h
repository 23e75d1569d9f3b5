/* bpfbox — bench/progs/bench.h: one source, two targets.
 *
 * Each benchmark program is a pure function of (mem, len), written once and
 * compiled twice: natively with gcc -O2 (the baseline) and with
 * clang -O2 -target bpf (what bpfbox runs, r1 = mem, r2 = len).  Loops are
 * bounded by len or a constant so the eBPF form needs no helpers, maps or
 * relocations: its code section is the whole program. */
#ifndef BENCH_H
#define BENCH_H
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
#ifdef __bpf__
#define BENCH_ENTRY(name) __attribute__((section("bench"), used)) u64 name(u8 *mem, u64 len)
#else
#define BENCH_ENTRY(name) __attribute__((noinline)) u64 bench_##name(u8 *mem, u64 len)
#endif
#endif
