#!/usr/bin/env bash
# bpfbox — tests/suites/xdp.sh: `bpfbox xdp`, `filter` and `tc` end to end.
#
# The capture files are made here (tests/hooks/mkpcap.c, libpcap; the
# pcapng one by hand): six packets — IPv4 TCP, UDP, ICMP, ARP, IPv6 UDP,
# UDP.  Checked: pcap in -> pcap out is byte-identical when everything
# passes (pcap, nanosecond pcap, truncated captures; pcapng in gives the
# same pcap); per-verdict counts (text and JSON); the bytes a program
# changed reach OUT (TTL rewrite, MAC swap for XDP_TX, adjust_head/tail/
# meta, tc port rewrite, socket-filter truncation); a faulting program is
# reported and counted as XDP_ABORTED; usage errors.  Live mode (AF_PACKET)
# runs in a network namespace with a veth pair made and removed here, as
# root only (SKIP otherwise).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
B=$(realpath "$BUILD/bpfbox" 2>/dev/null)
pass=0 fail=0 skip=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
skipped() { echo "skip - $*"; skip=$((skip + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; exit $((fail > 0)); }
if [ ! -x "$B" ]; then
	echo "FAIL $BUILD/bpfbox is not built"; echo "0 passed, 1 failed"; exit 1
fi
for t in clang gcc; do
	if ! command -v $t >/dev/null; then
		echo "SKIP xdp: $t not installed"; echo "0 passed, 0 failed, 1 skipped"; exit 0
	fi
done
tmp=$(mktemp -d)
export XDG_CACHE_HOME=$tmp/cache
ns=
cleanup() { [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
H=tests/hooks
if ! gcc -O2 -o "$tmp/mkpcap" $H/mkpcap.c -lpcap 2>"$tmp/gcc.err" ||
   ! gcc -O2 -o "$tmp/pktsend" $H/pktsend.c -lpcap 2>>"$tmp/gcc.err"; then
	echo "SKIP xdp: cannot build the pcap helpers: $(head -1 "$tmp/gcc.err")"
	echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
M=$tmp/mkpcap
cd "$tmp" || exit 1
"$M" pcap t.pcap && "$M" nsec n.pcap && "$M" pcapng t.pcapng && "$M" trunc tr.pcap
P=$OLDPWD/$H
pkt() { "$M" dump "$1" | sed -n "$2p" | cut -d' ' -f3; }   # hex bytes of packet N
hdr() { "$M" dump "$1" | sed -n "$2p" | cut -d' ' -f1-2; } # "caplen len" of packet N
byte() { local h; h=$(pkt "$1" "$2"); echo "${h:$((2 * $3)):$((2 * $4))}"; } # file pkt off len

# ---- round trips -----------------------------------------------------------------------
out=$("$B" xdp $P/xdp_pass.bpf.c --pcap t.pcap --out o.pcap --dump-maps 2>err)
check "XDP_PASS everything: pcap out is byte-identical to pcap in" cmp -s t.pcap o.pcap
check "counts: packets 6, XDP_PASS 6, written 6" grep -qx "packets 6" <<<"$out" && grep -qx "XDP_PASS 6" <<<"$out" && grep -qx "written 6" <<<"$out"
check "trace_printk from an XDP program: the xdp_md it saw" grep -q "bpf_trace_printk: first packet: 70 bytes on ifindex 1$" <<<"$out"
check "--dump-maps: the program's global counted 6" grep -q "{packets=6}" <<<"$out"
"$B" xdp $P/xdp_pass.bpf.c --pcap n.pcap --out on.pcap >/dev/null 2>&1
check "nanosecond pcap round-trips byte-identical" cmp -s n.pcap on.pcap
"$B" xdp $P/xdp_pass.bpf.c --pcap tr.pcap --out otr.pcap >/dev/null 2>&1
check "truncated captures (snaplen 40) round-trip byte-identical" cmp -s tr.pcap otr.pcap
"$B" xdp $P/xdp_pass.bpf.c --pcap t.pcapng --out ong.pcap >/dev/null 2>&1
check "pcapng in: the same packets and timestamps as pcap out" cmp -s t.pcap ong.pcap
out=$("$B" xdp $P/xdp_pass.bpf.c --pcap t.pcap --count 2 2>/dev/null)
check "--count 2 stops after 2 packets" grep -qx "packets 2" <<<"$out"

# ---- verdicts and modified bytes ---------------------------------------------------------------
out=$("$B" xdp $P/xdp_verdicts.bpf.c --pcap t.pcap --out v.pcap 2>err)
rc=$?
check "verdicts: ABORTED 1, DROP 2, PASS 2, TX 1, REDIRECT 0 (rc $rc)" [ $rc -eq 0 ] &&
	[ "$(tr '\n' ' ' <<<"$out")" = "packets 6 XDP_ABORTED 1 XDP_DROP 2 XDP_PASS 2 XDP_TX 1 XDP_REDIRECT 0 written 3 " ]
out=$("$B" xdp $P/xdp_verdicts.bpf.c --pcap t.pcap --json 2>err)
check "verdicts as one JSON line" [ "$out" = '{"packets":6,"verdicts":{"XDP_ABORTED":1,"XDP_DROP":2,"XDP_PASS":2,"XDP_TX":1,"XDP_REDIRECT":0},"errors":0,"invalid":0,"too_big":0}' ]
check "OUT holds the PASS and TX packets (3)" [ "$("$M" dump v.pcap | wc -l)" -eq 3 ]
check "OUT: the TCP packet's TTL rewritten to 7" [ "$(byte v.pcap 1 22 1)" = 07 ] && [ "$(byte t.pcap 1 22 1)" = 40 ]
a=$(pkt t.pcap 1) b=$(pkt v.pcap 1)
check "OUT: nothing else of it changed" [ "${a:0:44}${a:46}" = "${b:0:44}${b:46}" ]
check "OUT: the XDP_TX'd ICMP has its MACs swapped" [ "$(byte v.pcap 2 0 12)" = "$(byte t.pcap 3 6 6)$(byte t.pcap 3 0 6)" ] && [ "$(byte v.pcap 2 12 38)" = "$(byte t.pcap 3 12 38)" ]
check "OUT: IPv6 passed unchanged" [ "$(pkt v.pcap 3)" = "$(pkt t.pcap 5)" ]

out=$("$B" xdp $P/xdp_adjust.bpf.c --pcap t.pcap --out a.pcap 2>err)
check "adjust: every packet passed" grep -qx "XDP_PASS 6" <<<"$out"
check "adjust_head(-14): TCP 14 bytes longer, Ethernet header twice" [ "$(hdr a.pcap 1)" = "84 84" ] &&
	[ "$(byte a.pcap 1 0 14)" = "$(byte t.pcap 1 0 14)" ] && [ "$(byte a.pcap 1 14 70)" = "$(pkt t.pcap 1)" ]
check "adjust_tail(-4): UDP 4 bytes shorter (caplen and wire length)" [ "$(hdr a.pcap 2)" = "50 50" ] && [ "$(hdr a.pcap 6)" = "138 138" ] &&
	[ "$(pkt a.pcap 2)" = "$(byte t.pcap 2 0 50)" ]
check "adjust_meta(-8): metadata written and read back (ICMP passed unchanged)" [ "$(pkt a.pcap 3)" = "$(pkt t.pcap 3)" ]
check "adjust_head(+14) then (-14): same length, EtherType zeroed" [ "$(hdr a.pcap 4)" = "42 42" ] && [ "$(byte a.pcap 4 12 2)" = 0000 ] &&
	[ "$(byte a.pcap 5 12 2)" = 0000 ] && [ "$(byte a.pcap 5 14 58)" = "$(byte t.pcap 5 14 58)" ]

# ---- socket filter and tc --------------------------------------------------------------------
out=$("$B" filter $P/sock_filter.bpf.c --pcap t.pcap --out f.pcap 2>err)
check "filter: accepted 2, truncated 1, dropped 3" [ "$(tr '\n' ' ' <<<"$out")" = "packets 6 accepted 2 truncated 1 dropped 3 written 3 " ]
check "filter: TCP cut to the 34 bytes the filter returned" [ "$(hdr f.pcap 1)" = "34 34" ] && [ "$(pkt f.pcap 1)" = "$(byte t.pcap 1 0 34)" ]
check "filter: UDP kept whole" [ "$(pkt f.pcap 2)" = "$(pkt t.pcap 2)" ] && [ "$(pkt f.pcap 3)" = "$(pkt t.pcap 6)" ]
out=$("$B" tc $P/tc_mark.bpf.c --pcap t.pcapng --out c.pcap --json 2>err)
check "tc: SHOT 2, OK 1, UNSPEC 3 (JSON)" grep -q '"TC_ACT_UNSPEC":3,"TC_ACT_OK":1,"TC_ACT_RECLASSIFY":0,"TC_ACT_SHOT":2' <<<"$out"
check "tc: skb_store_bytes rewrote TCP port 80 to 8080 in OUT" [ "$(byte c.pcap 1 36 2)" = 1f90 ] && [ "$(byte t.pcap 1 36 2)" = 0050 ]
check "tc: l4_csum_replace adjusted the TCP checksum" [ "$(byte c.pcap 1 50 2)" != "$(byte t.pcap 1 50 2)" ]
check "tc: 4 packets passed to OUT" [ "$("$M" dump c.pcap | wc -l)" -eq 4 ]

# ---- failures and usage ---------------------------------------------------------------------------
out=$("$B" xdp $P/xdp_fault.bpf.c --no-verify --pcap t.pcap 2>err)
rc=$?
check "a faulting program: every packet XDP_ABORTED, exit 1" [ $rc -eq 1 ] && grep -qx "XDP_ABORTED 6" <<<"$out" && grep -qx "errors 6" <<<"$out"
check "a faulting program: one error line naming the instruction" [ "$(grep -c "bpfbox xdp: packet" err)" -eq 1 ] && grep -q "insn [0-9]*: out-of-bounds load" err
out=$("$B" xdp $P/xdp_fault.bpf.c --pcap t.pcap 2>err)
rc=$?
check "without --no-verify the verifier refuses it: exit 1, one line, no packet run" [ $rc -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "rejected by the verifier" err && [ -z "$out" ]
"$B" xdp --help | grep -q "usage: bpfbox xdp PROG"
check "xdp --help" [ $? -eq 0 ]
"$B" filter --help | grep -q "usage: bpfbox filter PROG" && "$B" tc --help | grep -q "usage: bpfbox tc PROG"
check "filter/tc --help" [ $? -eq 0 ]
echo "not a capture" > junk.pcap
"$B" xdp $P/xdp_pass.bpf.c --pcap junk.pcap 2>err
check "not a capture file: exit 2, one line" [ $? -eq 2 ] && [ "$(wc -l <err)" -eq 1 ]
"$B" xdp $P/xdp_pass.bpf.c --pcap missing.pcap 2>err
check "missing file: exit 2" [ $? -eq 2 ] && grep -q "No such file" err
"$B" xdp $P/tc_mark.bpf.c --pcap t.pcap 2>err
check "a tc program given to bpfbox xdp: exit 2" [ $? -eq 2 ] && grep -q "no xdp program" err
"$B" xdp $P/tc_mark.bpf.c --section tc --pcap t.pcap 2>err
check "--section picking a program of the wrong type: exit 2" [ $? -eq 2 ] && grep -q "is a sched_cls program" err
"$B" xdp $P/xdp_pass.bpf.c 2>err
check "no packet source: exit 2" [ $? -eq 2 ]

# ---- live: AF_PACKET on a veth pair in a namespace of our own -----------------------------------------
live_skip=
if [ "$(id -u)" -ne 0 ]; then
	live_skip="not root"
elif ! command -v ip >/dev/null; then
	live_skip="no ip command"
else
	ns=bpfbox-xdp-$$
	if ! ip netns add "$ns" 2>err || ! ip -n "$ns" link add va type veth peer name vb 2>>err; then
		live_skip="cannot create a network namespace with a veth pair: $(head -1 err)"
		ip netns del "$ns" 2>/dev/null
		ns=
	fi
fi
if [ -n "$live_skip" ]; then
	skipped "live mode (--iface): $live_skip"
else
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	ip -n "$ns" link set va up && ip -n "$ns" link set vb up
	ip netns exec "$ns" "$B" xdp $P/xdp_verdicts.bpf.c --iface vb --count 6 --timeout 10 --out live.pcap --json >live.json 2>live.err &
	p1=$!
	ip netns exec "$ns" "$B" filter $P/sock_all.bpf.c --iface va --count 1 --timeout 10 --out tx.pcap >tx.out 2>tx.err &
	p2=$!
	# both sockets bound? (/proc/net/packet: a header line and one per socket)
	for _ in $(seq 100); do
		[ "$(ip netns exec "$ns" cat /proc/net/packet | wc -l)" -ge 3 ] && break
		sleep 0.05
	done
	ip netns exec "$ns" "$tmp/pktsend" va t.pcap >/dev/null 2>send.err
	wait $p1; r1=$?
	wait $p2; r2=$?
	check "live: 6 packets received on vb, verdicts as from the file (rc $r1)" [ $r1 -eq 0 ] &&
		grep -q '"packets":6,"verdicts":{"XDP_ABORTED":1,"XDP_DROP":2,"XDP_PASS":2,"XDP_TX":1' live.json
	check "live: OUT has the PASS and TX packets, TTL rewritten" [ "$("$M" dump live.pcap | wc -l)" -eq 3 ] && [ "$(byte live.pcap 1 22 1)" = 07 ]
	check "live: XDP_TX sent the ICMP back out of vb, MACs swapped, seen on va (rc $r2)" [ $r2 -eq 0 ] &&
		[ "$(pkt tx.pcap 1)" = "$(pkt v.pcap 2)" ]
	ip netns del "$ns" && ns=
	check "live: the namespace is removed" [ -z "$ns" ]
fi
finish
