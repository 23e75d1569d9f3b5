#!/usr/bin/env bash
# bpfbox — the benchmark's programs (bench/progs, XDP programs) on every
# engine, without timing: bpfbox's verifier and (as root) the kernel's
# accept each one, and native (gcc), bpfbox's interpreter, its JIT and (as
# root) the kernel's JIT return the same value for each.  This is
# `bench/run-bench --check`; its last line is "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
exec bash bench/run-bench --check
