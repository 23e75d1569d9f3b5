#!/usr/bin/env bash
# bpfbox — the eBPF conformance suite (bpf_conformance's 313 tests) through
# `bpfbox conformance`, on the interpreter with both dispatch builds
# (computed goto and switch) and in ELF mode.  All groups, including callx
# and packet.
# The suite's data lives outside the repository (../shared/conformance, or
# $BPFBOX_CONFORMANCE); without it this prints a SKIP line.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
suite=${BPFBOX_CONFORMANCE:-}
if [ -z "$suite" ]; then
	for d in ../shared/conformance /work/shared/conformance; do
		[ -f "$d/run.py" ] && { suite=$d; break; }
	done
fi
suite=${suite:-../shared/conformance}
if [ ! -f "$suite/run.py" ] || [ ! -d "$suite/tests" ]; then
	echo "SKIP conformance: suite not found at $suite (set BPFBOX_CONFORMANCE)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP conformance: python3 not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
bin=$(realpath "$BUILD/bpfbox")
tp=0 tf=0 ts=0
# raw instructions on both dispatch builds, and ELF mode (the program as a
# relocatable object, README 3.3) through the object loader
for engine in --interp "--interp --dispatch switch" "--interp --elf"; do
	elf=
	case $engine in *--elf) engine=${engine% --elf}; elf=--elf ;; esac
	out=$(python3 "$suite/run.py" "$suite/tests" --plugin "$bin conformance $engine" --mem-last \
		--include-groups callx packet $elf 2>&1)
	engine="$engine${elf:+ $elf}"
	echo "$out" | grep -E '^(FAIL|ERROR)' | sed "s/^/[$engine] /"
	line=$(echo "$out" | tail -n 1)
	echo "conformance $engine: $line"
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
		tp=$((tp + BASH_REMATCH[1])) tf=$((tf + BASH_REMATCH[2])) ts=$((ts + BASH_REMATCH[3]))
	else
		echo "FAIL conformance $engine: runner gave no summary"
		tf=$((tf + 1))
	fi
done
echo "$tp passed, $tf failed, $ts skipped"
