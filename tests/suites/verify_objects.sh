#!/usr/bin/env bash
# bpfbox — the verifier on real objects, compared with this machine's kernel.
#
#   tests/suites/verify_objects.sh           compare (no root needed)
#   tests/suites/verify_objects.sh --label   root: ask the kernel again and
#                                            rewrite tests/verify/object-labels.txt
#
# Objects: examples/*.bpf.c (compiled here with clang) and the BPF objects
# embedded in Debian's libbpf-tools programs (extracted from /usr/sbin when
# the package is installed).  Every program of every object is verified by
# `bpfbox verify OBJ --prog NAME` and compared with the kernel's verdict
# (BPF_PROG_LOAD through libbpf, CO-RE relocated for the running kernel;
# tests/verify/kobjcheck.c).  Programs the kernel could not judge (libbpf
# failed before the verifier ran) are not counted.  Wrong accepts fail the
# suite; so does agreement below 95%.  Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/bpfbox
out=$BUILD/verify-objects
labels=tests/verify/object-labels.txt
mkdir -p "$out/examples" "$out/libbpf-tools"
pass=0 fail=0 skip=0
if ! command -v clang >/dev/null; then
	echo "SKIP verify_objects: clang is not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
multi=/usr/include/$(uname -m)-linux-gnu
export XDG_CACHE_HOME=$out/cache
objs=()
for src in examples/*.bpf.c; do
	name=$(basename "$src" .bpf.c)
	obj=$out/examples/$name.bpf.o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
		clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$multi" -Iexamples -c "$src" -o "$obj" \
			2>/dev/null || continue
	fi
	objs+=("$obj")
done
have_tools=0
if dpkg -L libbpf-tools >/dev/null 2>&1; then
	have_tools=1
	while read -r o; do objs+=("$o"); done < <(python3 tests/verify/extract-bpf-objects.py \
		"$out/libbpf-tools" $(dpkg -L libbpf-tools | grep '/sbin/'))
fi
key() { # object path -> examples/x.bpf.o | libbpf-tools/x.bpf.o
	echo "${1#$out/}"
}
if [ "${1:-}" = "--label" ]; then
	cc -O2 -o "$out/kobjcheck" tests/verify/kobjcheck.c -lbpf || exit 2
	{
		echo "# Kernel verdicts for every program of the objects of tests/suites/verify_objects.sh"
		echo "# kernel $(uname -sr); libbpf-tools $(dpkg-query -W -f='${Version}' libbpf-tools 2>/dev/null || echo absent)"
		echo "# object<TAB>sha256 of the object (first 16)<TAB>program<TAB>verdict<TAB>kernel message"
		"$out/kobjcheck" "${objs[@]}" | while IFS=$'\t' read -r o prog verdict kmsg; do
			printf '%s\t%s\t%s\t%s\t%s\n' "${o#$out/}" "$(sha256sum "$o" | cut -c1-16)" \
				"$prog" "$verdict" "$kmsg"
		done
	} >"$labels"
	echo "wrote $labels: $(grep -vc '^#' "$labels") programs"
	exit 0
fi
if [ ! -f "$labels" ]; then
	echo "SKIP verify_objects: $labels missing (make it as root with $0 --label)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
judged=0 agree=0 wacc=0 wrej=0 missing=0 noload=0 stale=0
while IFS=$'\t' read -r o sha prog verdict kmsg; do
	case $o in '#'*|'') continue ;; esac
	[ "$verdict" = SKIP ] && continue
	path=$out/$o
	if [ ! -f "$path" ]; then
		missing=$((missing + 1))
		continue
	fi
	if [ "$(sha256sum "$path" | cut -c1-16)" != "$sha" ]; then
		# the object changed since the kernel judged it (an edited example,
		# another clang): its label is stale until the next --label
		stale=$((stale + 1))
		continue
	fi
	msg=$(timeout 120 "$bin" verify "$path" --prog "$prog" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 0 ]; then mine=ACCEPT; elif [ $rc -eq 1 ]; then mine=REJECT; else mine=ERROR; fi
	if [ $mine = ERROR ]; then
		# bpfbox's object loader could not produce the program (e.g. kconfig
		# externs): not a verifier verdict, counted apart
		noload=$((noload + 1))
		echo "# not loaded by bpfbox: $o $prog: ${msg#bpfbox verify: }" | cut -c1-200
		continue
	fi
	judged=$((judged + 1))
	if [ "$mine" = "$verdict" ]; then
		agree=$((agree + 1))
	elif [ "$mine" = ACCEPT ]; then
		wacc=$((wacc + 1))
		echo "DISAGREE (bpfbox accepts, kernel rejects) $o $prog: kernel: $kmsg"
	else
		wrej=$((wrej + 1))
		echo "# disagree (bpfbox rejects, kernel accepts) $o $prog: ${msg#bpfbox verify: }"
	fi
done <"$labels"
[ $have_tools -eq 0 ] && echo "skip - libbpf-tools objects: the libbpf-tools package is not installed"
[ $have_tools -eq 0 ] && skip=$((skip + 1))
pct=0
[ $judged -gt 0 ] && pct=$((agree * 1000 / judged))
echo "# objects: $judged programs judged by the kernel and verified by bpfbox, $agree agree ($((pct / 10)).$((pct % 10))%), $wacc wrong accepts, $wrej wrong rejects; $noload that bpfbox's object loader cannot load, $missing not present here, $stale changed since labelled"
if [ $wacc -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL verify_objects: $wacc wrong accepts"; fi
if [ $judged -gt 0 ] && [ $pct -ge 950 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL verify_objects: agreement below 95%"; fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
