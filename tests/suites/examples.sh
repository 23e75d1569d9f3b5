#!/usr/bin/env bash
# bpfbox — the example programs through the command line.
#
# For every examples/*.bpf.c: compile it with clang (into $BUILD/examples),
# `bpfbox objdump` it, and for each `// bpfbox-test:` line run the program
# with `bpfbox run OBJ --prog NAME [--ctx FILE | --mem PACKET]` and compare
# the last line (r0) with the expected value.  Then the .bpf.c path (compiled
# on the fly, cached), the maps round trip (run --maps-out, bpfbox map
# update/lookup/dump, run --maps-in), --dump-maps, the JIT, and the CLI's
# refusals (exit 2 with one line on stderr).  The kernel comparison is
# tests/unit/test_examples.c.  Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/bpfbox
out=$BUILD/examples
tmp=$BUILD/examples-cli
mkdir -p "$out" "$tmp"
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
check() { # description, condition-command...
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}
if ! command -v clang >/dev/null; then
	echo "SKIP examples: clang is not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
multi=/usr/include/$(uname -m)-linux-gnu
export XDG_CACHE_HOME=$tmp/cache

for src in examples/*.bpf.c; do
	name=$(basename "$src" .bpf.c)
	obj=$out/$name.o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ examples/expect.h -nt "$obj" ]; then
		if ! clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$multi" -Iexamples -c "$src" \
			-o "$obj" 2>"$tmp/$name.clang"; then
			bad "$name: clang failed (see $tmp/$name.clang)"
			continue
		fi
	fi
	check "$name: bpfbox objdump" "$bin" objdump "$obj" >"$tmp/$name.objdump" 2>&1
	grep -q '^// bpfbox-test:' "$src" || continue
	while IFS= read -r line; do
		prog=$(sed -n 's/.*prog=\([^ ]*\).*/\1/p' <<<"$line")
		expect=$(sed -n 's/.*expect=\([0-9]*\).*/\1/p' <<<"$line")
		args=(--prog "$prog")
		if [[ $line == *ctx=task* ]]; then
			echo "SKIP $name/$prog: its context is built by tests/unit/test_examples.c"
			skip=$((skip + 1))
			continue
		elif [[ $line =~ ctx=([0-9a-f]+) ]]; then
			echo "${BASH_REMATCH[1]}" | xxd -r -p >"$tmp/$name-$prog.ctx"
			args+=(--ctx "$tmp/$name-$prog.ctx")
		elif [[ $line =~ packet=([0-9a-f]+) ]]; then
			echo "${BASH_REMATCH[1]}" | xxd -r -p >"$tmp/$name-$prog.pkt"
			args+=(--mem "$tmp/$name-$prog.pkt")
		fi
		got=$("$bin" run "$obj" "${args[@]}" --trace-out /dev/null 2>"$tmp/$name-$prog.err" | tail -n 1)
		if [ "$got" = "$expect" ]; then ok; else
			bad "$name/$prog: bpfbox run printed '$got', expected $expect ($(head -c 200 "$tmp/$name-$prog.err"))"
		fi
		if "$bin" run "$obj" "${args[@]}" --jit --trace-out /dev/null >"$tmp/jit.out" 2>"$tmp/jit.err"; then
			got=$(tail -n 1 "$tmp/jit.out")
			check "$name/$prog --jit printed '$got', expected $expect" test "$got" = "$expect"
		elif grep -q 'jit' "$tmp/jit.err"; then
			echo "SKIP $name/$prog --jit: $(head -n 1 "$tmp/jit.err")"
			skip=$((skip + 1))
		else
			bad "$name/$prog --jit: $(head -n 1 "$tmp/jit.err")"
		fi
	done < <(grep '^// bpfbox-test:' "$src")
done

# a .bpf.c source, compiled on the fly: -v shows the command, the second run is cached
rm -rf "$tmp/cache"
"$bin" run examples/array_data.bpf.c -v >"$tmp/src1.out" 2>"$tmp/src1.err"
check ".bpf.c compiled on the fly" test "$(tail -n 1 "$tmp/src1.out")" = 16383
check "-v shows the clang command" grep -q 'compiling: clang -O2 -g -target bpf' "$tmp/src1.err"
"$bin" run examples/array_data.bpf.c -v >"$tmp/src2.out" 2>"$tmp/src2.err"
check "the second run uses the cache" grep -q 'cached as' "$tmp/src2.err"

# maps: save after a run, edit with `bpfbox map`, start the next run from them
m=$tmp/maps.json
"$bin" run "$out/hash.o" --maps-out "$m" >/dev/null 2>&1
check "run --maps-out writes a maps file" grep -q '"bpfbox_maps": 1' "$m"
"$bin" map dump --maps "$m" name h >"$tmp/dump.txt" 2>&1
check "map dump prints bpftool's format" grep -q '^Found 4 elements$' "$tmp/dump.txt"
"$bin" map lookup --maps "$m" name h key 2 0 0 0 -j >"$tmp/lookup.txt" 2>&1
check "map lookup -j" grep -q '"value":\["0x4d","0x00"' "$tmp/lookup.txt"
"$bin" map update --maps "$m" name h key 5 0 0 0 value 1 0 0 0 0 0 0 0 noexist 2>"$tmp/upd.err"
check "map update noexist on a full hash fails like the kernel (E2BIG)" \
	grep -q 'update failed: Argument list too long' "$tmp/upd.err"
"$bin" map delete --maps "$m" name h key 9 0 0 0
"$bin" map update --maps "$m" name h key 2 0 0 0 value hex 0a 00 00 00 00 00 00 00 exist
"$bin" map lookup --maps "$m" name h key 2 0 0 0 >"$tmp/lookup2.txt" 2>&1
check "map update then lookup" grep -q 'value: 0a 00 00 00 00 00 00 00' "$tmp/lookup2.txt"
"$bin" map lookup --maps "$m" name h key 9 0 0 0 >/dev/null 2>"$tmp/miss.err"
check "map lookup of a deleted key: exit 1, one line" \
	test "$?" = 1 -a "$(wc -l <"$tmp/miss.err")" = 1
"$bin" run "$out/hash.o" --maps-in "$m" --dump-maps >"$tmp/in.txt" 2>&1
check "run --maps-in starts from the edited maps (the program then sees key 9 absent and 2 present)" \
	grep -q 'key: 02 00 00 00  value: 4d 00' "$tmp/in.txt"
"$bin" map dump --maps "$m" -j >"$tmp/dumpj.txt" 2>&1
check "map dump -j of every map" grep -q '^\[{"key":\["0x' "$tmp/dumpj.txt"
"$bin" run "$out/queue_stack.o" --mem "$tmp/queue_stack-queue_stack.pkt" --dump-maps >"$tmp/qs.txt" 2>&1
check "--dump-maps shows queue contents in order" grep -A2 '^map q ' "$tmp/qs.txt" | grep -q 'value: 07 00 00 00'
"$bin" run "$out/tailcall.o" --prog tail_entry --mem "$tmp/tailcall-tail_entry.pkt" --maps-out "$tmp/tc.json" >/dev/null
"$bin" map dump --maps "$tmp/tc.json" name jmp >"$tmp/jmp.txt"
check "a prog array dumps the names of its programs" grep -q 'value: tail_a' "$tmp/jmp.txt"
"$bin" objdump "$out/array_data.o" >"$tmp/od.txt"
check "objdump names maps in relocations" grep -q 'r1 = map\[arr\] ll' "$tmp/od.txt"
check "objdump shows global variables" grep -q 'tag\[8\] = ' "$tmp/od.txt"
check "objdump shows source lines" grep -q '^; .*array_data.bpf.c:[0-9]*' "$tmp/od.txt"
check "objdump shows helper names" grep -q 'call bpf_map_lookup_elem#1' "$tmp/od.txt"
"$bin" disasm "$out/array_data.o" >/dev/null 2>&1
check "disasm accepts an object" test $? = 0

# the verifier: a program it cannot prove is refused (exit 1, one line), and
# runs in checked mode with --no-verify
cat >"$tmp/oob.bpf.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
	 __type(key, __u32); __type(value, __u64[2]); } arr2 SEC(".maps");
SEC("syscall") int oob(__u32 *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&arr2, &k);
	if (!v)
		return 0;
	v[1] = 42;
	return v[*ctx & 3]; /* indexes 2 and 3 would be past the value */
}
char LICENSE[] SEC("license") = "GPL";
EOF
printf '\001\000\000\000' >"$tmp/one.ctx"
"$bin" run "$tmp/oob.bpf.c" --ctx "$tmp/one.ctx" >/dev/null 2>"$tmp/oob.err"
check "run of a program the verifier rejects: exit 1, one line naming the verifier" \
	test "$?" = 1 -a "$(wc -l <"$tmp/oob.err")" = 1
check "... which says why" grep -q '^bpfbox run: verifier: ' "$tmp/oob.err"
got=$("$bin" run "$tmp/oob.bpf.c" --ctx "$tmp/one.ctx" --no-verify 2>/dev/null | tail -n 1)
check "--no-verify runs it in checked mode (r0 $got)" test "$got" = 42
printf '\003\000\000\000' >"$tmp/three.ctx"
"$bin" run "$tmp/oob.bpf.c" --ctx "$tmp/three.ctx" --no-verify >/dev/null 2>"$tmp/oob3.err"
check "... where the access past the value stops the run (exit 1, one line)" \
	test "$?" = 1 -a "$(wc -l <"$tmp/oob3.err")" = 1
check "... naming the instruction" grep -q 'insn [0-9]*: out-of-bounds load' "$tmp/oob3.err"

# refusals: exit 2 and exactly one line on stderr
refuse() { # description, args...
	local what=$1
	shift
	"$bin" "$@" >/dev/null 2>"$tmp/refuse.err"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/refuse.err")" = 1 ]; then ok; else
		bad "$what: exit $rc, stderr: $(head -c 300 "$tmp/refuse.err")"
	fi
}
head -c 100 "$out/hash.o" >"$tmp/trunc.o"
refuse "run of a truncated object" run "$tmp/trunc.o"
refuse "objdump of a truncated object" objdump "$tmp/trunc.o"
refuse "run --prog of a missing program" run "$out/hash.o" --prog nope
refuse "map with a missing file" map dump --maps "$tmp/none.json"
refuse "map update with a short key" map update --maps "$m" name h key 1 value 0 0 0 0 0 0 0 0
echo 'int x = ;' >"$tmp/broken.bpf.c"
"$bin" run "$tmp/broken.bpf.c" >/dev/null 2>"$tmp/broken.err"
check "a .bpf.c that does not compile: exit 2 and a bpfbox line after clang's" \
	grep -q '^bpfbox run: .*clang failed' "$tmp/broken.err"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
