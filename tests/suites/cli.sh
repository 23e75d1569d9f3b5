#!/usr/bin/env bash
# bpfbox — the command line contract: --help on every subcommand, exit codes
# (0 ok, 1 the program/verifier said no, 2 bad input, one line on stderr),
# and the engine options of run/bench/disasm --jited.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
B=$BUILD/bpfbox
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# expect STATUS LINES-ON-STDERR DESCRIPTION -- COMMAND...
expect() {
	local want=$1 want_lines=$2 what=$3
	shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq "$want" ] && { [ "$want_lines" = any ] || [ "$lines" -eq "$want_lines" ]; }; then
		ok "$what"
	else
		bad "$what: exit $rc (want $want), $lines stderr lines: $(head -c 300 "$tmp/err")"
	fi
}

# every subcommand listed by --help has a --help that exits 0 and says usage
cmds=$("$B" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}')
[ -n "$cmds" ] && ok "bpfbox --help lists the subcommands" || bad "bpfbox --help lists no subcommands"
for c in $cmds; do
	if "$B" "$c" --help >"$tmp/out" 2>&1 && grep -q "usage: bpfbox" "$tmp/out"; then
		ok "bpfbox $c --help"
	else
		bad "bpfbox $c --help"
	fi
done
expect 2 1 "unknown command" -- "$B" frobnicate
expect 2 1 "no command" -- "$B"

# a program to run: the EtherType of a frame
printf '\xff\xff\xff\xff\xff\xff\x00\x11\x22\x33\x44\x55\x08\x00\x45\x00' >"$tmp/frame"
"$B" asm examples/demo/ethertype.s -o "$tmp/eth.bin" || bad "asm"
for eng in "" --jit --interp "--interp --dispatch switch" --no-verify "--no-verify --interp"; do
	out=$("$B" run "$tmp/eth.bin" --mem "$tmp/frame" $eng 2>"$tmp/err")
	[ "$out" = 2048 ] && ok "run $eng: 2048" || bad "run $eng: got '$out' $(cat "$tmp/err")"
done
out=$("$B" run "$tmp/eth.bin" --mem "$tmp/frame" -v 2>&1 >/dev/null)
[[ $out == *"JIT"*"verified"* ]] && ok "run -v says JIT, verified" || bad "run -v: $out"
out=$("$B" run "$tmp/eth.bin" --mem "$tmp/frame" --no-verify -v 2>&1 >/dev/null)
[[ $out == *"checked mode"* ]] && ok "run --no-verify -v says checked mode" || bad "run --no-verify -v: $out"
expect 1 1 "run: verifier rejects an out-of-bounds read" -- "$B" run examples/demo/oob.s --mem "$tmp/frame"
grep -q "verifier:" "$tmp/err" && ok "the rejection names the verifier" || bad "rejection text: $(cat "$tmp/err")"
expect 1 1 "run --no-verify: checked mode stops the read (JIT)" -- "$B" run examples/demo/oob.s --mem "$tmp/frame" --no-verify
grep -q "insn 0: out-of-bounds load of 8 bytes" "$tmp/err" && ok "the fault names insn, size" || bad "fault text: $(cat "$tmp/err")"
expect 1 1 "run --no-verify --interp: same fault" -- "$B" run examples/demo/oob.s --mem "$tmp/frame" --no-verify --interp
expect 2 1 "run: missing program file" -- "$B" run "$tmp/nope.bin"
expect 2 1 "run: bad --repeat" -- "$B" run "$tmp/eth.bin" --repeat 0
expect 2 1 "run: bad --dispatch" -- "$B" run "$tmp/eth.bin" --dispatch fast
expect 2 1 "run: unknown option" -- "$B" run "$tmp/eth.bin" --frob
printf 'r0 = 1\n' >"$tmp/fall.s"
expect 1 1 "run: a program that falls off its end is refused" -- "$B" run "$tmp/fall.s"

# bench prints one line in its format, on both engines, same result
for eng in --jit --interp; do
	line=$("$B" bench "$tmp/eth.bin" --mem "$tmp/frame" --iters 1000 $eng 2>"$tmp/err")
	[[ $line =~ ^ns_per_run=[0-9.]+\ result=2048$ ]] && ok "bench $eng: $line" || bad "bench $eng: '$line' $(cat "$tmp/err")"
done
expect 2 1 "bench: --iters missing" -- "$B" bench "$tmp/eth.bin" --mem "$tmp/frame"

# disasm --jited: x86-64 code, verified by default
out=$("$B" disasm "$tmp/eth.bin" --jited 2>&1)
[[ $out == *"bytes of x86-64"* ]] && [ "$(echo "$out" | wc -l)" -gt 5 ] && ok "disasm --jited prints native code" \
	|| bad "disasm --jited: $(echo "$out" | head -3)"
out=$("$B" disasm "$tmp/eth.bin" --jited --no-verify 2>&1 | head -1)
[[ $out == *"checked-mode code"* ]] && ok "disasm --jited --no-verify: checked code" || bad "disasm --jited --no-verify: $out"
if command -v clang >/dev/null; then
	out=$("$B" disasm examples/hash.bpf.c --jited 2>&1 | head -1)
	[[ $out == *"verified: no run-time checks"* ]] && ok "disasm --jited on an object" || bad "disasm --jited object: $out"
else
	echo "SKIP disasm --jited on an object: clang missing"
fi
# the man page is the --help texts (make man regenerates it)
if tools/gen-man "$B" | diff -q - docs/bpfbox.1 >/dev/null; then
	ok "docs/bpfbox.1 matches the --help texts"
else
	bad "docs/bpfbox.1 differs from the --help texts: run make man"
fi
echo "$pass passed, $fail failed"
