#!/usr/bin/env bash
# bpfbox — tests/verify/objbench.sh (run by `make bench`): verification time
# and processed instructions on real objects (examples + libbpf-tools), per
# program both verifiers accept, bpfbox / kernel, as median ratios.  Needs
# root for the kernel's numbers (BPF_PROG_LOAD, log level stats); prints a
# SKIP line otherwise.  Objects are the ones tests/suites/verify_objects.sh
# prepares in $BUILD/verify-objects.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
out=$BUILD/verify-objects
if [ "$(id -u)" != 0 ]; then
	echo "SKIP verifier on real objects: the kernel's numbers need root"
	exit 0
fi
bash tests/suites/verify_objects.sh >/dev/null 2>&1 # compiles/extracts the objects
cc -O2 -o "$out/kobjcheck" tests/verify/kobjcheck.c -lbpf || exit 0
mapfile -t objs < <(ls "$out"/examples/*.bpf.o "$out"/libbpf-tools/*.bpf.o 2>/dev/null)
"$out/kobjcheck" --stats "${objs[@]}" >"$out/kernel-stats.txt"
: >"$out/ratios.txt"
while IFS=$'\t' read -r obj prog kproc kus; do
	best=
	for rep in 1 2 3; do
		line=$("$BUILD/bpfbox" verify "$obj" --prog "$prog" --stats 2>/dev/null) || { best=; break; }
		us=$(sed -n 's/.* \([0-9]*\) us$/\1/p' <<<"$line")
		proc=$(sed -n 's/^processed \([0-9]*\) insns.*/\1/p' <<<"$line")
		[ -z "$best" ] || [ "$us" -lt "$best" ] && best=$us
	done
	[ -n "$best" ] || continue
	echo "$best $kus $proc $kproc" >>"$out/ratios.txt"
done <"$out/kernel-stats.txt"
awk '{ t = ($1 < 1 ? 1 : $1) / ($2 < 1 ? 1 : $2); p = $3 / ($4 < 1 ? 1 : $4); print t, p }' \
	"$out/ratios.txt" >"$out/r2.txt"
n=$(wc -l <"$out/r2.txt")
if [ "$n" -eq 0 ]; then
	echo "verify objects: no program accepted by both"
	exit 0
fi
tmed=$(cut -d' ' -f1 "$out/r2.txt" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
pmed=$(cut -d' ' -f2 "$out/r2.txt" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
tsum=$(awk '{s+=$1} END {print s}' "$out/ratios.txt")
ksum=$(awk '{s+=$2} END {print s}' "$out/ratios.txt")
printf 'verify objects: %d programs (examples + libbpf-tools) both accept; median time ratio bpfbox/kernel %.2f, median processed-insn ratio %.2f; total %d us vs %d us\n' \
	"$n" "$tmed" "$pmed" "$tsum" "$ksum"
