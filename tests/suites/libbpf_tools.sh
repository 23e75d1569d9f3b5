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
#           arguments and the parent's pid read through task->real_parent;
#           statsnoop, syscount, mountsnoop).
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
elif ! . tests/suites/lib/sanflags.sh || ! cc -O1 -std=gnu11 $SANFLAGS -Iinclude -o "$out/corecmp" tests/core/corecmp.c "$BUILD/libbpfbox.a" \
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

# ---- trace: the syscall-tracepoint tools on real commands ------------------------------------
obj() { # the extracted object of a tool, or nothing
	local o
	for o in "${objs[@]}"; do [ "$(basename "$o")" = "$1.bpf.o" ] && echo "$o" && return; done
}
tr=$out/trace
mkdir -p "$tr"
if [ -z "$(obj opensnoop)" ] || [ -z "$(obj execsnoop)" ]; then
	echo "SKIP libbpf_tools trace: opensnoop/execsnoop not among the extracted objects"
	skip=$((skip + 1))
else
	# opensnoop: its event struct is not in the object's BTF (clang emits none
	# for locals): the user gives it, as written in the tool's opensnoop.h
	ev='struct event { __u64 ts; pid_t pid; uid_t uid; int ret; int flags; __u64 callers[2]; char comm[16]; char fname[255]; }'
	timeout 60 "$bin" trace "$(obj opensnoop)" --json --record-type "$ev" -- \
		sh -c 'echo "me $$"; exec cat /etc/hostname' >"$tr/opensnoop" 2>"$tr/opensnoop.err"
	me=$(sed -n 's/^me \([0-9]*\)$/\1/p' "$tr/opensnoop")
	check "opensnoop: cat's open of /etc/hostname with its pid $me and comm" \
		grep -q "\"pid\":$me,.*\"comm\":\"cat\",\"fname\":\"/etc/hostname\"" "$tr/opensnoop"
	grep -m1 '/etc/hostname' "$tr/opensnoop" | cut -c1-200 | sed 's/^/# opensnoop: /'
	# execsnoop: struct event is in its BTF; the record stops inside args[]
	timeout 60 "$bin" trace "$(obj execsnoop)" --json -- \
		sh -c 'echo "me $$ $PPID"; exec ls / >/dev/null' >"$tr/execsnoop" 2>"$tr/execsnoop.err"
	read -r _ me pp < <(grep '^me ' "$tr/execsnoop")
	check "execsnoop: the exec of ls with pid $me, ppid $pp (task_struct view), comm and argv" \
		grep -q "\"pid\":$me,\"ppid\":$pp,.*\"comm\":\"ls\",\"args\":\[\"[a-z/]*/ls\",\"/\"\]" "$tr/execsnoop"
	grep -m1 '"comm":"ls"' "$tr/execsnoop" | cut -c1-200 | sed 's/^/# execsnoop: /'
fi
if [ -n "$(obj statsnoop)" ]; then
	ev='struct event { __u64 ts_ns; __u32 pid; int ret; char comm[16]; char pathname[255]; }'
	timeout 60 "$bin" trace "$(obj statsnoop)" --json --record-type "$ev" -- \
		stat -c %s /etc/hostname >"$tr/statsnoop" 2>"$tr/statsnoop.err"
	check "statsnoop: stat's stat of /etc/hostname, its result 0" \
		grep -q '"ret":0,"comm":"stat","pathname":"/etc/hostname"' "$tr/statsnoop"
fi
if [ -n "$(obj syscount)" ]; then
	timeout 60 "$bin" trace "$(obj syscount)" --json --dump-maps -- true >"$tr/syscount" 2>"$tr/syscount.err"
	check "syscount: per-syscall counts of true (execve, exit_group among them)" \
		grep -q '"map":"data".*{"key":59,"value":{"count":[1-9]' "$tr/syscount"
fi
if [ -n "$(obj mountsnoop)" ]; then
	timeout 60 "$bin" trace "$(obj mountsnoop)" --json -- umount /nonexistent-bpfbox \
		>"$tr/mountsnoop" 2>"$tr/mountsnoop.err"
	# the event is not in the object's BTF: its bytes hold umount's comm and the path
	check "mountsnoop: umount's umount of /nonexistent-bpfbox reported" \
		grep -q '"hex":"[0-9a-f]*756d6f756e74[0-9a-f]*2f6e6f6e6578697374656e742d627066626f78' "$tr/mountsnoop"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
