#!/usr/bin/env bash
# bpfbox — the eBPF conformance suite (bpf_conformance's 313 tests) through
# `bpfbox conformance --jit`: every program is compiled to native code
# (checked mode) and run there; a JIT failure is a test failure.  All
# groups, including callx and packet.  The suite's data lives outside the
# repository ($BPFBOX_CONFORMANCE, else ../shared/conformance relative to
# the repository root); without it this prints a SKIP line.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
suite=${BPFBOX_CONFORMANCE:-../shared/conformance}
if [ ! -f "$suite/run.py" ] || [ ! -d "$suite/tests" ]; then
	echo "SKIP conformance_jit: suite not found at $suite (set BPFBOX_CONFORMANCE)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP conformance_jit: python3 not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if [ ! -x "$BUILD/bpfbox" ]; then
	echo "FAIL conformance_jit: $BUILD/bpfbox is not built"
	echo "0 passed, 1 failed"
	exit 1
fi
bin=$(realpath "$BUILD/bpfbox")
out=$(python3 "$suite/run.py" "$suite/tests" --plugin "$bin conformance --jit" --mem-last \
	--include-groups callx packet 2>&1)
echo "$out" | grep -E '^(FAIL|ERROR)'
line=$(echo "$out" | tail -n 1)
if [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed ]]; then
	echo "$line"
else
	echo "FAIL conformance_jit: the runner gave no summary"
	echo "$out" | tail -n 5
	echo "0 passed, 1 failed"
fi
