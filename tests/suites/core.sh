#!/usr/bin/env bash
# bpfbox — CO-RE, externs and globals through the command line.
#
#   objdump   lists each CO-RE relocation with its value, poisoned ones with
#             the reason, and annotates the relocated instructions;
#   --btf     a hand-made target BTF (tests/unit/test_core.c writes it)
#             moves every field: run returns the new offsets;
#   --set     `const volatile` settings change what programs see;
#   trace     examples/core_task.bpf.c reads the traced task the kernel way
#             (BPF_CORE_READ(task, real_parent, tgid), cred->uid, comm):
#             the task_struct view laid out by the kernel's BTF holds the
#             command's real pid, parent, uid/gid and comm, and a pointer
#             the view leaves NULL reads as -EFAULT;
#   errors    a missing --btf file or a bad --set: exit 2, one line.
# No clang or no kernel BTF: SKIP.  Last line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/bpfbox
out=$BUILD/core-suite
pass=0 fail=0 skip=0
check() {
	local what=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL core: $what"; fi
}
if ! command -v clang >/dev/null; then
	echo "SKIP core: clang is not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "SKIP core: this kernel has no /sys/kernel/btf/vmlinux"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
mkdir -p "$out"
export XDG_CACHE_HOME=$out/cache
multi=/usr/include/$(uname -m)-linux-gnu
cc() { clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$multi" -Iexamples -c "$1" -o "$2"; }
cc examples/core_structs.bpf.c "$out/core_structs.o" || { echo "FAIL core: examples/core_structs.bpf.c does not compile"; echo "0 passed, 1 failed"; exit 1; }
cat >"$out/knob.bpf.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
const volatile int knob = 1;
const volatile char word[8] = "abc";
SEC("syscall") int knob_prog(void *c) { return knob * 3 + word[0]; }
char LICENSE[] SEC("license") = "GPL";
EOF
cc "$out/knob.bpf.c" "$out/knob.o"

# ---- objdump ------------------------------------------------------------------------------
"$bin" objdump "$out/core_structs.o" >"$out/objdump" 2>&1
check "objdump lists the CO-RE relocations against the kernel's BTF" \
	grep -q "^CO-RE relocations (against /sys/kernel/btf/vmlinux): [0-9]* in the programs" "$out/objdump"
check "objdump shows a relocation's value (byte_off of task_struct.pid)" \
	grep -Eq "insn +0  byte_off +struct task_struct.pid  0 -> [1-9][0-9]*" "$out/objdump"
check "objdump shows a poisoned relocation with its reason" \
	grep -q "byte_off *struct task_struct___nope.bpfbox_missing  POISONED: none of the target" "$out/objdump"
check "objdump annotates relocated instructions" \
	grep -q "r0 = [0-9]*   ; CO-RE byte_off struct task_struct.pid: 0 -> " "$out/objdump"

# ---- --btf ------------------------------------------------------------------------------------
hm=$BUILD/core/handmade.btf
if [ -r "$hm" ]; then
	r=$("$bin" run "$out/core_structs.o" --prog off_pid --btf "$hm" 2>&1 | tail -1)
	check "run --btf (hand-made): task_struct.pid is at 100 there (got $r)" [ "$r" = 100 ]
	r=$("$bin" run "$out/core_structs.o" --prog enum_sid --btf "$hm" 2>&1 | tail -1)
	check "run --btf (hand-made): PIDTYPE_SID is 17 there (got $r)" [ "$r" = 17 ]
	r=$("$bin" run "$out/core_structs.o" --prog flavor --btf "$hm" 2>&1 | tail -1)
	check "run --btf (hand-made): the ___old flavor's field exists there (got $r)" [ "$r" = 2 ]
	"$bin" objdump -h "$out/core_structs.o" --btf "$hm" >"$out/objdump-hm" 2>&1
	check "objdump --btf names the target it used" grep -q "against $hm" "$out/objdump-hm"
else
	echo "SKIP core --btf: $hm is missing (tests/unit/test_core.c writes it)"
	skip=$((skip + 1))
fi
k=$("$bin" objdump "$out/core_structs.o" --prog off_pid -d | sed -n 's/.*byte_off struct task_struct.pid: 0 -> \([0-9]*\).*/\1/p')
r=$("$bin" run "$out/core_structs.o" --prog off_pid 2>&1 | tail -1)
check "run: against this kernel task_struct.pid is where objdump says ($r = $k)" [ -n "$k" ] && [ "$r" = "$k" ]

# ---- --set ---------------------------------------------------------------------------------------
r=$("$bin" run "$out/knob.o" 2>&1 | tail -1)
check "a const volatile setting as compiled: 1 * 3 + 'a' (got $r)" [ "$r" = 100 ]
r=$("$bin" run "$out/knob.o" --set knob=5 --set word=xyz 2>&1 | tail -1)
check "--set knob=5 --set word=xyz: 5 * 3 + 'x' (got $r)" [ "$r" = 135 ]
"$bin" objdump -h "$out/knob.o" --set knob=-7 >"$out/knob-h" 2>&1
check "objdump --set shows the value given" grep -q "volatile const int knob = (int)-7;" "$out/knob-h"
"$bin" verify "$out/knob.o" --set knob=2 >/dev/null 2>&1
check "verify --set accepts" [ $? -eq 0 ]

# ---- errors ----------------------------------------------------------------------------------------
err=$("$bin" run "$out/knob.o" --set nope=1 2>&1 >/dev/null)
rc=$?
check "--set of an unknown variable: exit 2, one line ($err)" \
	[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "no global variable" <<<"$err"
err=$("$bin" run "$out/knob.o" --set knob=99999999999 2>&1 >/dev/null)
rc=$?
check "--set of a value that does not fit: exit 2 ($err)" [ $rc -eq 2 ] && grep -q "does not fit" <<<"$err"
err=$("$bin" objdump "$out/core_structs.o" --btf /nonexistent/btf 2>&1 >/dev/null)
rc=$?
check "--btf of a missing file: exit 2, one line ($err)" \
	[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "target BTF /nonexistent/btf" <<<"$err"

# ---- trace: the task_struct view -------------------------------------------------------------------
if "$bin" trace examples/core_task.bpf.c --json -- \
	sh -c 'echo "me $$ $PPID $(id -u) $(id -g)"; exec cat /etc/hostname' >"$out/task" 2>"$out/task.err"; then
	read -r _ me pp uid gid < <(grep '^me ' "$out/task")
	line=$(grep '"fname":"/etc/hostname"' "$out/task")
	echo "# trace: ${line:0:220}"
	check "BPF_CORE_READ(task, pid/tgid) is the command's pid $me" \
		grep -q "\"pid\":$me,\"tgid\":$me," <<<"$line"
	check "BPF_CORE_READ(task, real_parent, tgid) is its parent $pp (bpfbox)" \
		grep -q "\"ppid\":$pp," <<<"$line"
	check "BPF_CORE_READ(task, group_leader, pid) is itself" grep -q "\"leader\":$me," <<<"$line"
	check "BPF_CORE_READ(task, cred, uid.val/gid.val) are $uid/$gid" \
		grep -q "\"uid\":$uid,\"gid\":$gid," <<<"$line"
	check "task->comm and task->real_parent->comm: cat, bpfbox" \
		grep -q '"comm":"cat","parent_comm":"bpfbox"' <<<"$line"
	check "a pointer the view leaves NULL (task->mm) reads as -EFAULT" \
		grep -q '"mm_read":-14,' <<<"$line"
else
	fail=$((fail + 1))
	echo "FAIL core: bpfbox trace examples/core_task.bpf.c: $(head -c 300 "$out/task.err")"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
