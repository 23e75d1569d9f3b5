#!/usr/bin/env bash
# bpfbox — the eBPF conformance suite (bpf_conformance's 313 tests) through
# `bpfbox conformance`: the JIT (every program compiled to native code in
# checked mode; a JIT failure is a test failure), the interpreter with both
# dispatch builds (computed goto and switch), and ELF mode (each program as
# a relocatable object, through the object loader).  All groups, callx and
# packet included.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
name=conformance
. tests/suites/lib/conformance.sh
tp=0 tf=0 ts=0
for run in "--jit" "--interp" "--interp --dispatch switch" "--interp|--elf"; do
	engine=${run%|*} extra=
	[ "$run" != "$engine" ] && extra=${run#*|}
	out=$(python3 "$suite/run.py" "$suite/tests" --plugin "$bin conformance $engine" --mem-last \
		--include-groups callx packet $extra 2>&1)
	echo "$out" | grep -E '^(FAIL|ERROR)' | sed "s/^/[$engine $extra] /"
	line=$(echo "$out" | tail -n 1)
	echo "conformance $engine $extra: $line"
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
		tp=$((tp + BASH_REMATCH[1])) tf=$((tf + BASH_REMATCH[2])) ts=$((ts + BASH_REMATCH[3]))
	else
		echo "FAIL conformance $engine $extra: runner gave no summary"
		tf=$((tf + 1))
	fi
done
echo "$tp passed, $tf failed, $ts skipped"
