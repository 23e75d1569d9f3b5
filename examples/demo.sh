#!/usr/bin/env bash
# bpfbox — the demo (`make demo`): a tour of what bpfbox does, on real input.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
B=$BUILD/bpfbox
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "1. Assemble a program written in the syntax of clang and the kernel's verifier log"
cat examples/demo/ethertype.s
run "$B" asm examples/demo/ethertype.s -o "$tmp/ethertype.bin"

say "2. Disassemble it: exactly what llvm-objdump would print"
run "$B" disasm "$tmp/ethertype.bin" --syntax llvm

say "3. Run it over an IPv4 frame (r1 = the frame, r2 = its length; r0 is printed)"
printf '\xff\xff\xff\xff\xff\xff\x00\x11\x22\x33\x44\x55\x08\x00\x45\x00' > "$tmp/frame.bin"
run "$B" run "$tmp/ethertype.bin" --mem "$tmp/frame.bin"

say "4. A buggy program: the verifier refuses it, naming the instruction and why"
run "$B" run examples/demo/oob.s --mem "$tmp/frame.bin" || echo "(exit status $?)"

say "4b. Forced to run (--no-verify: checked mode), it is stopped at that access — never a crash"
run "$B" run examples/demo/oob.s --mem "$tmp/frame.bin" --no-verify || echo "(exit status $?)"

say "5. A restricted-C program with maps, compiled by clang on the fly"
if command -v clang >/dev/null; then
	run "$B" run examples/hash.bpf.c --dump-maps | tail -n 12
else
	echo "(clang is not installed: skipped)"
fi

say "6. Change what read() returns to one command — in user space, no kernel eBPF needed"
if command -v clang >/dev/null; then
	printf 'hello world\nthe world is big\n' > "$tmp/notes.txt"
	echo "(cat's reads are rewritten, head's are not; cat prints through a pipe so its bytes pass through read())"
	run "$B" trace examples/trace_read_rewrite.bpf.c -- \
		sh -c "cat '$tmp/notes.txt' | cat; head -n 1 '$tmp/notes.txt'" || echo "(exit status $?)"
else
	echo "(clang is not installed: skipped)"
fi

say "7. The eBPF conformance suite (313 tests) through bpfbox's JIT"
suite=${BPFBOX_CONFORMANCE:-../shared/conformance}
if [ -f "$suite/run.py" ]; then
	python3 "$suite/run.py" "$suite/tests" --plugin "$(realpath "$B") conformance" \
		--mem-last --include-groups callx packet | tail -n 1
else
	echo "(suite not found at $suite: skipped)"
fi
