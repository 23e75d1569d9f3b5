#!/usr/bin/env bash
# bpfbox — tests/suites/trace.sh: `bpfbox trace` end to end.
#
#  - the read() rewrite (examples/trace_read_rewrite.bpf.c) changes what
#    `cat` prints and leaves `head`'s reads of the same file alone, also
#    when both run from one traced shell; a command's threads and children
#    are traced;
#  - exit status is the command's (code, 128+signal, 127 not found);
#    signals sent to bpfbox reach the command;
#  - a faulting / endless program is reported and detached, the command
#    finishes; kill -9 of bpfbox leaves no traced task behind (stopped or
#    running), also for a command that forked;
#  - -p PID attaches and detaches, the process runs on untraced;
#  - helpers see the traced task (ids, comm, memory, send_signal, task
#    view); raw_tp programs read pt_regs; ring buffer and perf event
#    records are printed decoded with BTF (and --json); --dump-maps.
# Needs clang (the programs are .bpf.c sources) and ptrace; SKIPs otherwise.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
B=$(realpath "$BUILD/bpfbox" 2>/dev/null)
pass=0 fail=0 skip=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() { echo "$pass passed, $fail failed, $skip skipped"; exit $((fail > 0)); }
if [ ! -x "$B" ]; then
	echo "FAIL $BUILD/bpfbox is not built"; echo "0 passed, 1 failed"; exit 1
fi
if ! command -v clang >/dev/null; then
	echo "SKIP trace: clang not installed (the test programs are .bpf.c sources)"
	echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache
trap 'rm -rf "$tmp"' EXIT
H=tests/hooks
EX=examples
# can this machine ptrace at all?
if ! "$B" trace $H/trace_write.bpf.c -- true 2>"$tmp/probe.err"; then
	if grep -q "ptrace\|seccomp" "$tmp/probe.err"; then
		echo "SKIP trace: $(head -1 "$tmp/probe.err")"
		echo "0 passed, 0 failed, 1 skipped"; exit 0
	fi
fi

printf 'hello world\nthe world is big\n' > "$tmp/notes.txt"
want=$'hello eBPF!\nthe eBPF! is big'

# ---- the read() rewrite ------------------------------------------------------------
out=$(cat "$tmp/notes.txt")
check "without bpfbox cat prints the file" [ "$out" = $'hello world\nthe world is big' ]
out=$("$B" trace $EX/trace_read_rewrite.bpf.c -- cat "$tmp/notes.txt" 2>"$tmp/err")
rc=$?
check "trace: cat's read() rewritten (rc $rc): $(echo $out)" [ $rc -eq 0 ] && [ "$out" = "$want" ]
out=$("$B" trace $EX/trace_read_rewrite.bpf.c -- head -n 5 "$tmp/notes.txt" 2>"$tmp/err")
check "trace: head reads the same file unchanged" [ "$out" = $'hello world\nthe world is big' ]
out=$("$B" trace $EX/trace_read_rewrite.bpf.c --dump-maps -- sh -c "head -n 1 '$tmp/notes.txt'; cat '$tmp/notes.txt'; head -n 1 '$tmp/notes.txt'" 2>"$tmp/err")
first=$(echo "$out" | sed -n 1p) mid=$(echo "$out" | sed -n 2,3p) last=$(echo "$out" | sed -n 4p)
check "one traced shell: head, cat, head — only cat's reads change" \
	[ "$first" = "hello world" ] && [ "$mid" = "$want" ] && [ "$last" = "hello world" ]
check "--dump-maps: the rewrites counter says 2" grep -qx "  0: 2" <<<"$out"
if command -v gcc >/dev/null; then
	gcc -O2 -pthread -o "$tmp/threads" $H/threads.c 2>"$tmp/gcc.err"
	out=$(BPFBOX_CFLAGS='-DTARGET_COMM="threads"' "$B" trace $EX/trace_read_rewrite.bpf.c --stats -- "$tmp/threads" "$tmp/notes.txt" 2>"$tmp/err")
	rc=$?
	n=$(grep -c "eBPF!" <<<"$out")
	check "threads: all 4 threads' reads rewritten, exit code 5 ($n lines, rc $rc)" [ "$n" -eq 8 ] && [ $rc -eq 5 ]
	check "threads: --stats counts 5 tasks" grep -q "5 tasks" "$tmp/err"
else
	echo "skip - threads: gcc not installed"; skip=$((skip + 1))
fi
out=$("$B" trace $EX/trace_syscall_count.bpf.c --dump-maps -- sh -c '/bin/true; sh -c "exec /bin/true"; true' 2>"$tmp/err")
np=$(sed -n '/^map by_pid/,/^map/p' <<<"$out" | grep -c '^  [0-9]')
check "children: by_pid has the shell and its 2 children ($np)" [ "$np" -ge 3 ]
check "children: execve and fork/vfork/clone counted by name in a hash map" \
	grep -q '{s="execve"}: \([3-9]\|[1-9][0-9]\+\)$' <<<"$out" && grep -Eq '\{s="(vfork|fork|clone|clone3)"\}: [2-9]$' <<<"$out"

# ---- exit status and signals -----------------------------------------------------------
"$B" trace $H/trace_write.bpf.c -- sh -c 'exit 7' 2>/dev/null
check "exit status: the command's code (7)" [ $? -eq 7 ]
"$B" trace $H/trace_write.bpf.c -- sh -c 'kill -TERM $$' 2>/dev/null
check "exit status: 128 + the signal that killed it (143)" [ $? -eq 143 ]
"$B" trace $H/trace_write.bpf.c -- "$tmp/no-such-command" 2>"$tmp/err"
rc=$?
check "exit status: 127 and one line when the command cannot run" [ $rc -eq 127 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "No such file" "$tmp/err"
"$B" trace $H/trace_write.bpf.c -- sleep 30 &
bp=$!
sleep 0.5
kill -TERM $bp
wait $bp
check "SIGTERM to bpfbox is forwarded: sleep dies of it (143)" [ $? -eq 143 ]
"$B" trace $H/trace_write.bpf.c -- sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done' &
bp=$!
sleep 0.5
kill -USR1 $bp
wait $bp
check "SIGUSR1 to bpfbox reaches the command's trap (exit 9)" [ $? -eq 9 ]

# ---- failures ----------------------------------------------------------------------------------
out=$("$B" trace $H/trace_fault.bpf.c --no-verify --dump-maps -- sh -c 'echo one; cat /dev/null; echo two; exit 4' 2>"$tmp/err")
rc=$?
check "faulting programs: the command finished (rc $rc)" [ $rc -eq 4 ] && grep -q '^one$' <<<"$out" && grep -q '^two$' <<<"$out"
check "faulting programs: the wild load is reported and detached" grep -q "prog 'wild' (tracepoint/syscalls/sys_enter_write) detached: insn .*out-of-bounds load" "$tmp/err"
check "faulting programs: the endless loop is reported and detached" grep -q "prog 'forever' .* detached: .*budget" "$tmp/err"
check "faulting programs: each reported once" [ "$(grep -c detached "$tmp/err")" -eq 2 ]
check "faulting programs: the good one kept running (2 write exits)" grep -q "good_runs=2" <<<"$out"

gone() { # pid: not there within 3 s
	for _ in $(seq 30); do
		[ -e "/proc/$1" ] || return 0
		grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
state() { sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
"$B" trace $H/trace_write.bpf.c -- sleep 30 &
bp=$!
for _ in $(seq 30); do sl=$(pgrep -P $bp sleep) && break; sleep 0.1; done
kill -9 $bp
wait $bp 2>/dev/null
check "kill -9 bpfbox: the traced command is gone, not left stopped (was ${sl:-?})" [ -n "$sl" ] && gone "$sl"
"$B" trace $H/trace_write.bpf.c -- sh -c 'sleep 30 & sleep 30; wait' &
bp=$!
for _ in $(seq 30); do sh_pid=$(pgrep -P $bp sh) && kids=$(pgrep -P "$sh_pid" sleep | tr '\n' ' ') && [ "$(wc -w <<<"$kids")" -eq 2 ] && break; sleep 0.1; done
kill -9 $bp
wait $bp 2>/dev/null
allgone=1
for k in $sh_pid $kids; do gone "$k" || { allgone=0; echo "# $k: state $(state "$k")"; }; done
check "kill -9 bpfbox: a forking command and its children are all gone ($sh_pid $kids)" [ -n "$kids" ] && [ $allgone -eq 1 ]

# ---- -p PID ----------------------------------------------------------------------------
sh -c 'while :; do /bin/echo tick >/dev/null; sleep 0.1; done' &
target=$!
sleep 0.2
"$B" trace $H/trace_write.bpf.c --dump-maps -p $target >"$tmp/p.out" 2>"$tmp/p.err" &
bp=$!
sleep 1
kill -INT $bp
wait $bp
rc=$?
enters=$(grep -o 'enters=[0-9]*' "$tmp/p.out" | cut -d= -f2)
check "-p: attached, traced the children's writes (enters=${enters:-?}), exit 0 after SIGINT" [ $rc -eq 0 ] && [ "${enters:-0}" -ge 2 ]
sleep 0.3
tp=$(sed -n 's/^TracerPid:\s*//p' /proc/$target/status 2>/dev/null)
st=$(state $target)
check "-p: the process runs on, untraced (TracerPid ${tp:-?}, state ${st:-gone})" [ "$tp" = 0 ] && [ "$st" != t ] && [ "$st" != T ]
kill $target 2>/dev/null
wait $target 2>/dev/null

# ---- helpers, raw tracepoints, outputs ---------------------------------------------------
out=$("$B" trace $H/trace_helpers.bpf.c -- sh -c 'trap "echo caught; exit 0" USR2; echo x; sleep 5; echo notcaught' 2>"$tmp/err")
rc=$?
pid=$(grep -o 'sh-[0-9]*' <<<"$out" | head -1 | cut -d- -f2)
check "helpers: pid/tgid of the traced shell" grep -q "ids $pid $pid $(id -u)\$" <<<"$out"
check "helpers: gid and comm" grep -q "gid $(id -g) comm sh\$" <<<"$out"
check "helpers: probe_read_user / probe_write_user of a bad address: -EFAULT" grep -q "bad read -14 write -14" <<<"$out"
check "helpers: probe_read_user reads write()'s buffer in the task" grep -q "buf 0 x\$" <<<"$out"
check "helpers: get_current_task's view holds the pid" grep -q "task 0 $pid\$" <<<"$out"
check "helpers: send_signal reached the task (its trap ran, rc $rc)" [ $rc -eq 0 ] && grep -q '^caught$' <<<"$out" && ! grep -q notcaught <<<"$out"
out=$("$B" trace $H/trace_rawtp.bpf.c -- sh -c 'echo hi' 2>"$tmp/err")
check "raw_tp/sys_enter: rdi and orig_ax from the pt_regs copy" grep -q "raw enter write fd=1 nr=1\$" <<<"$out"
check "raw_tp/sys_exit: the return value" grep -q "raw exit write ret=3\$" <<<"$out"
out=$("$B" trace $EX/trace_opens.bpf.c -- cat /etc/hostname 2>"$tmp/err")
check "ring buffer records decoded with BTF" grep -q '^events: {pid=[0-9]*, tid=[0-9]*, ret=3, flags=0, comm="cat", filename="/etc/hostname"}$' <<<"$out"
out=$("$B" trace $EX/trace_opens.bpf.c --json -- cat /etc/hostname 2>"$tmp/err")
check "ring buffer records as JSON" grep -q '^{"map":"events","type":"open_event","data":{"pid":[0-9]*,"tid":[0-9]*,"ret":3,"flags":0,"comm":"cat","filename":"/etc/hostname"}}$' <<<"$out"
out=$("$B" trace $H/trace_perf.bpf.c -- sh -c 'echo hi' 2>"$tmp/err")
check "perf event array samples decoded" grep -q '^writes\[cpu [0-9]*\]: {fd=1, count=3, tag=65261}$' <<<"$out"
out=$("$B" trace $H/trace_perf.bpf.c --record-type nosuch -- true 2>"$tmp/err")
check "--record-type with an unknown struct: exit 2" [ $? -eq 2 ]
# a program written for the kernel with libbpf conventions, unmodified
# (examples/trace_openat.bpf.c: struct event only behind a pointer: hex)
out=$("$B" trace $EX/trace_openat.bpf.c -- cat /etc/hostname 2>"$tmp/err")
hex=$(printf '/etc/hostname' | od -An -tx1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
check "examples/trace_openat.bpf.c runs unmodified (ring buffer record in hex)" grep -q "^events: .*$hex" <<<"$out"

# ---- usage -------------------------------------------------------------------------------------
"$B" trace --help | grep -q "usage: bpfbox trace PROG"
check "--help" [ $? -eq 0 ]
"$B" trace $H/trace_write.bpf.c 2>"$tmp/err"
check "no command: exit 2, one line" [ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
"$B" trace $H/trace_write.bpf.c --bogus -- true 2>"$tmp/err"
check "unknown option: exit 2" [ $? -eq 2 ]
"$B" trace $H/xdp_pass.bpf.c -- true 2>"$tmp/err"
check "an object without syscall programs: exit 2" [ $? -eq 2 ] && grep -q "no program attaches" "$tmp/err"
"$B" trace $H/trace_fault.bpf.c -- true 2>"$tmp/err"
check "a program the verifier rejects is refused (exit 1, one line)" [ $? -eq 1 ] && grep -q "rejected by the verifier" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ]
finish
