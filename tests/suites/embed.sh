#!/usr/bin/env bash
# bpfbox — the library embedded in another program (examples/embed.c, the
# README's example), against the static and the shared library.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libs=$(pkg-config --libs libelf libbpf 2>/dev/null || echo -lelf -lbpf -lz)
. tests/suites/lib/sanflags.sh
if cc -std=gnu11 $SANFLAGS -Iinclude -o "$tmp/embed" examples/embed.c "$BUILD/libbpfbox.a" $libs -lpthread -lm \
	&& out=$("$tmp/embed") && [ "$out" = "EtherType 0x0800 (JIT)" ]; then
	pass=$((pass + 1)); echo "ok - static library: $out"
else
	fail=$((fail + 1)); echo "FAIL static library: ${out:-did not build or run}"
fi
if cc -std=gnu11 $SANFLAGS -Iinclude -o "$tmp/embed-so" examples/embed.c -L"$BUILD" -lbpfbox \
	&& out=$(LD_LIBRARY_PATH=$BUILD "$tmp/embed-so") && [ "$out" = "EtherType 0x0800 (JIT)" ]; then
	pass=$((pass + 1)); echo "ok - shared library: $out"
else
	fail=$((fail + 1)); echo "FAIL shared library: ${out:-did not build or run}"
fi
# only bpfbox_ symbols are exported
bad=$(nm -D --defined-only "$BUILD/libbpfbox.so" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -v '^bpfbox_' | head -5)
if [ -z "$bad" ]; then
	pass=$((pass + 1)); echo "ok - libbpfbox.so exports only bpfbox_* symbols"
else
	fail=$((fail + 1)); echo "FAIL libbpfbox.so exports $bad"
fi
echo "$pass passed, $fail failed"
