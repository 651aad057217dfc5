# tests/interop/test_tcp_ecn.sh — ECN (RFC 3168) between tern and Linux:
# negotiation both ways, and a CE-marking device on the path (tern's own
# fault injector, --ce) that makes both Linux and tern reduce their windows.
#
#   namespace NS (net.ipv4.tcp_ecn=1 there): tap0, kernel side
#   10.201.37.1/24  <->  tern 10.201.37.2/24
#
# Asserts:
#  1. Linux asks (tcp_ecn=1) and tern accepts (its default 2): in tern's
#     capture Linux's SYN has ECE and CWR, tern's SYN-ACK ECE alone, both
#     sides' data is ECT(0), no SYN or pure ACK is ECT; 1 MiB arrives intact;
#  2. tern asks (--sysctl net.ipv4.tcp_ecn=1) and Linux accepts: tern's SYN
#     has ECE and CWR, Linux's SYN-ACK ECE alone, tern's data ECT(0); and
#     with tcp_ecn=0 in NS Linux answers without ECE and tern's data is
#     Not-ECT (the fallback for a peer without ECN);
#  3. `tern host --tcp-echo` with --ce 3 (3% of the ECT packets in each
#     direction marked CE, seeded) echoes 16 MiB from a Linux client intact;
#     CE marks, ECE and CWR travel both ways in the capture; Linux reduced
#     (ss -tio: ecn, ssthresh, and TcpExtTCPDeliveredCE grew) and so did
#     tern (tern ss -tio: ecn ecnseen ssthresh delivered_ce; its counters
#     tcp.ecn_reductions and tcp.ecn_delivered_ce); marks, not drops:
#     at most a handful of resends on either side (timers, probes);
#  4. Linux to Linux through `tern host --forward --ce 2 --fault-dir out`
#     between two more namespaces: 8 MiB arrive, the receiver counts CE
#     packets (IpExtInCEPkts) and the sender segments delivered with ECE
#     (TcpExtTCPDeliveredCE): a tern router's marks work for Linux peers;
#  5. the same through the router's own queue: --rate 20 Mbit/s and
#     --queue red,...,ecn: RED marks CE as the queue builds (IpExtInCEPkts
#     at the receiver) and Linux backs off with at most a few resends.
TEST_DEADLINE=${TEST_DEADLINE:-200}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nstat ss sha256sum head tshark

export TERN_RUN_DIR=$OUT/run # tern ss sees only this test's programs
mkdir -p "$TERN_RUN_DIR"
ns_add tcpecn
NS=$NS_NAME
tap_add "$NS" tap0 10.201.37.1/24
K=10.201.37.1 T=10.201.37.2
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_ecn=1 || fail "sysctl net.ipv4.tcp_ecn=1 in $NS"
# The same congestion control on both sides: NewReno (BBR, a common
# default, does not answer ECE at all, and a namespace may only choose
# what the host allows, which here need not include cubic).
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_congestion_control=reno ||
	fail "sysctl net.ipv4.tcp_congestion_control=reno in $NS"

linux_counter() {
	ip netns exec "$NS" nstat -asz "$1" 2>/dev/null | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
sum() { sha256sum <"$1" | cut -d' ' -f1; }
# ecn_of PCAP FILTER — the IP ECN field of the first frame matching FILTER.
ecn_of() { tshark_fields "$1" "$2" ip.dsfield.ecn | head -1; }
# flags_of PCAP FILTER — "ECE CWR" (1 or 0 each) of the first frame matching.
flags_of() { tshark_fields "$1" "$2" tcp.flags.ece tcp.flags.cwr | head -1 | tr -d '\r' | sed 's/True/1/g; s/False/0/g'; }

head -c $((1 << 20)) /dev/urandom >"$OUT/one.bin" || fail "make one.bin"

# ---- 1. Linux asks, tern accepts ------------------------------------------------
log "Linux (tcp_ecn=1) -> tern nc -l (tcp_ecn=2)"
bg_start tern-listen /dev/null "$NS" "$TERN" nc -l -v -p 5040 --tap tap0 --addr $T/24 \
	--pcap "$OUT/accept.pcap"
wait_file_match "$OUT/tern-listen.err" '^Listening on 0\.0\.0\.0 5040$' 10 "tern nc -l ready"
wait_link_up "$NS" tap0
run_ns -t 60 "$NS" sh -c "nc -N $T 5040 <'$OUT/one.bin'"
assert_rc 0 "Linux nc -N $T 5040"
bg_wait tern-listen 20
[ "$BG_RC" -eq 0 ] || fail "tern nc -l exited $BG_RC: $(cat "$OUT/tern-listen.err")"
assert_eq "$(sum "$OUT/one.bin")" "$(sum "$OUT/tern-listen.out")" "sha256 of what tern received"
P=$OUT/accept.pcap
check_pcap "$P"
assert_eq "1 1" "$(flags_of "$P" "ip.src == $K && tcp.flags.syn == 1 && tcp.flags.ack == 0")" \
	"Linux's SYN: ECE and CWR"
assert_eq "1 0" "$(flags_of "$P" "ip.src == $T && tcp.flags.syn == 1 && tcp.flags.ack == 1")" \
	"tern's SYN-ACK: ECE, not CWR"
assert_eq 0 "$(pcap_count "$P" "tcp.flags.syn == 1 && ip.dsfield.ecn != 0")" "ECT SYNs"
assert_ge 100 "$(pcap_count "$P" "ip.src == $K && tcp.len > 0 && ip.dsfield.ecn == 2")" \
	"Linux's ECT(0) data segments"
assert_eq 0 "$(pcap_count "$P" "ip.src == $T && tcp.len == 0 && ip.dsfield.ecn != 0")" \
	"tern's ECT pure ACKs"

# ---- 2. tern asks, Linux accepts; then Linux without ECN -------------------------
serve() { # PORT: a Linux sink for one connection
	"$PY" -c "
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('$K', $1)); l.listen(1); l.settimeout(30)
c, _ = l.accept(); c.settimeout(30); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    n += len(b)
print(n)"
}
for mode in ecn noecn; do
	port=5041
	[ "$mode" = noecn ] && { port=5042; ip netns exec "$NS" sysctl -qw net.ipv4.tcp_ecn=0; }
	log "tern nc (tcp_ecn=1) -> Linux (tcp_ecn=$([ $mode = ecn ] && echo 1 || echo 0))"
	bg_start sink-$mode /dev/null "$NS" bash -c "$(declare -f serve); K=$K PY=$PY serve $port"
	wait_tcp_listen "$NS" $port
	run_ns -t 60 "$NS" sh -c "'$TERN' nc -N --tap tap0 --addr $T/24 --sysctl net.ipv4.tcp_ecn=1 \
		--pcap '$OUT/ask-$mode.pcap' $K $port <'$OUT/one.bin'"
	assert_rc 0 "tern nc -N to Linux ($mode)"
	bg_wait sink-$mode 20
	assert_eq "$((1 << 20))" "$(cat "$OUT/sink-$mode.out")" "bytes Linux received ($mode)"
	P=$OUT/ask-$mode.pcap
	assert_eq "1 1" "$(flags_of "$P" "ip.src == $T && tcp.flags.syn == 1 && tcp.flags.ack == 0")" \
		"tern's SYN: ECE and CWR ($mode)"
	data=$(pcap_count "$P" "ip.src == $T && tcp.len > 0")
	if [ "$mode" = ecn ]; then
		assert_eq "1 0" "$(flags_of "$P" "ip.src == $K && tcp.flags.syn == 1 && tcp.flags.ack == 1")" \
			"Linux's SYN-ACK: ECE, not CWR"
		assert_ge 100 "$data" "tern's data segments"
		assert_eq 0 "$(pcap_count "$P" "ip.src == $T && tcp.len > 0 && ip.dsfield.ecn != 2 && !tcp.analysis.retransmission")" \
			"tern's new data segments that are not ECT(0)"
		assert_eq 0 "$(pcap_count "$P" "ip.src == $T && tcp.analysis.retransmission && ip.dsfield.ecn != 0")" \
			"tern's retransmissions that are ECT"
	else
		assert_eq "0 0" "$(flags_of "$P" "ip.src == $K && tcp.flags.syn == 1 && tcp.flags.ack == 1")" \
			"Linux's SYN-ACK without ECN"
		assert_eq 0 "$(pcap_count "$P" "ip.src == $T && ip.dsfield.ecn != 0")" \
			"tern's ECT packets to a peer without ECN"
	fi
done
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_ecn=1

# ---- 3. CE marks on the path: both sides reduce ------------------------------------
log "16 MiB echoed by tern host --tcp-echo through --ce 3 (both directions)"
host_start echo "$NS" --tap tap0 --addr $T/24 --tcp-echo 7 --ce 3 --fault-seed 5 \
	--sysctl net.ipv4.tcp_congestion_control=reno \
	--pcap "$OUT/ce"
head -c $((16 << 20)) /dev/urandom >"$OUT/big.bin" || fail "make big.bin"
ce0=$(linux_counter TcpExtTCPDeliveredCE)
cat >"$OUT/client.py" <<EOF
import socket, sys, threading, time
s = socket.create_connection(('$T', 7), timeout=30)
data = open('$OUT/big.bin', 'rb').read()
def send():
    s.sendall(data)
t = threading.Thread(target=send); t.start()
got = bytearray()
while len(got) < len(data):
    b = s.recv(1 << 16)
    if not b: break
    got += b
t.join()
open('$OUT/echoed.bin', 'wb').write(got)
print('echoed', flush=True)
time.sleep(4)  # the connection stays for both sides' ss
s.close()
EOF
bg_start client /dev/null "$NS" "$PY" "$OUT/client.py"
wait_file_match "$OUT/client.out" '^echoed$' 120 "the Linux client got its 16 MiB back"
ss_linux=$(ip netns exec "$NS" ss -t -i -o -n "dport = :7" | tail -n +2 | tr -s ' \t\n' ' ')
run "$TERN" ss -t -i -o -n "sport = :7"
ss_tern=$(tr -s ' \t\n' ' ' <<<"$RUN_OUT")
log "Linux ss: $ss_linux"
log "tern ss: $ss_tern"
bg_wait client 20
assert_eq 0 "$BG_RC" "the Linux client's exit status ($(cat "$OUT/client.err"))"
assert_eq "$(sum "$OUT/big.bin")" "$(sum "$OUT/echoed.bin")" "sha256 of what came back"
assert_match " ecn .*reno " "$ss_linux" "Linux ss -tio: ECN negotiated, reno"
assert_match " ssthresh:[0-9]+" "$ss_linux" "Linux ss -tio: its window was reduced (ssthresh set)"
assert_match " ecn ecnseen reno " "$ss_tern" "tern ss -tio: ECN negotiated and ECT seen, reno"
assert_match " ssthresh:[0-9]+" "$ss_tern" "tern ss -tio: its window was reduced (ssthresh set)"
assert_match " delivered_ce:[1-9]" "$ss_tern" "tern ss -tio: segments acknowledged with ECE"
assert_ge $((ce0 + 1)) "$(linux_counter TcpExtTCPDeliveredCE)" "Linux's TcpExtTCPDeliveredCE"
host_stop echo
P=$OUT/ce/echo-tap0.pcap
assert_ge 1 "$(pcap_count "$P" "ip.src == $K && ip.dsfield.ecn == 3")" "CE marks on Linux's data (as tern received it)"
assert_ge 1 "$(pcap_count "$P" "ip.src == $T && tcp.flags.ece == 1")" "tern's ECE echoes"
assert_ge 1 "$(pcap_count "$P" "ip.src == $K && tcp.flags.cwr == 1")" "Linux's CWR answers"
assert_ge 1 "$(pcap_count "$P" "ip.src == $K && tcp.flags.ece == 1")" "Linux's ECE echoes"
assert_ge 1 "$(pcap_count "$P" "ip.src == $T && tcp.flags.cwr == 1 && ip.dsfield.ecn == 2")" "tern's CWR answers, on ECT(0) data"
assert_ge 1 "$(host_counter echo tcp ecn_reductions)" "tern's tcp.ecn_reductions"
assert_ge 1 "$(host_counter echo tcp ecn_delivered_ce)" "tern's tcp.ecn_delivered_ce"
# Nothing is lost on this path: the reductions came from marks. Any
# resend (none in quiet runs) is a timer's on a loaded machine or Linux's
# tail-loss probe, a handful at most beside hundreds of CE marks.
marks=$(pcap_count "$P" "ip.src == $K && ip.dsfield.ecn == 3")
for side in "$T tern" "$K Linux"; do
	n=$(pcap_count "$P" "ip.src == ${side% *} && tcp.analysis.retransmission && tcp.len > 0")
	log "${side#* }'s retransmissions: $n (CE marks on Linux's data: $marks)"
	[ "$n" -le 10 ] || fail "${side#* } retransmitted $n segments on a path that loses none"
done

# ---- 4. a CE-marking tern router between two Linux namespaces --------------------
log "Linux -> Linux, 8 MiB through tern host --forward --ce 2 --fault-dir out"
ns_add ecna; NSA=$NS_NAME
ns_add ecnb; NSB=$NS_NAME
ns_add ecnr; NSR=$NS_NAME
for s in A B; do
	ip -n "$NSR" link add "br$s" type bridge forward_delay 0 stp_state 0 || fail "bridge br$s"
	ip netns exec "$NSR" ip tuntap add dev "tap$s" mode tap || fail "tuntap tap$s"
	ip -n "$NSR" link set "tap$s" master "br$s" || fail "tap$s into br$s"
done
ip -n "$NSR" link add vA type veth peer name vA0 netns "$NSA" || fail "veth vA/vA0"
ip -n "$NSR" link add vB type veth peer name vB0 netns "$NSB" || fail "veth vB/vB0"
ip -n "$NSR" link set vA master brA && ip -n "$NSR" link set vB master brB || fail "veths into bridges"
for d in brA brB tapA tapB vA vB; do
	ip -n "$NSR" link set "$d" up || fail "$d up in $NSR"
done
ip -n "$NSA" addr add 10.201.38.2/24 dev vA0 && ip -n "$NSA" link set vA0 up &&
	ip -n "$NSA" route add default via 10.201.38.1 || fail "NSA addressing"
ip -n "$NSB" addr add 10.201.39.2/24 dev vB0 && ip -n "$NSB" link set vB0 up &&
	ip -n "$NSB" route add default via 10.201.39.1 || fail "NSB addressing"
for n in "$NSA" "$NSB"; do
	ip netns exec "$n" sysctl -qw net.ipv4.tcp_ecn=1 net.ipv4.tcp_congestion_control=reno ||
		fail "sysctls in $n"
done
host_start router "$NSR" --forward --tap tapA --addr 10.201.38.1/24 \
	--tap tapB --addr 10.201.39.1/24 --ce 2 --fault-dir out --fault-seed 3
counter_in() { ip netns exec "$1" nstat -asz "$2" 2>/dev/null | awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'; }
ceb0=$(counter_in "$NSB" IpExtInCEPkts) dce0=$(counter_in "$NSA" TcpExtTCPDeliveredCE)
head -c $((8 << 20)) /dev/urandom >"$OUT/eight.bin" || fail "make eight.bin"
bg_start sink-b /dev/null "$NSB" bash -c "$(declare -f serve); K=10.201.39.2 PY=$PY serve 5043"
wait_tcp_listen "$NSB" 5043
run_ns -t 60 "$NSA" "$PY" -c "
import socket, time
s = socket.create_connection(('10.201.39.2', 5043), timeout=10)
s.sendall(open('$OUT/eight.bin', 'rb').read())
s.close()"
assert_rc 0 "the Linux sender in $NSA"
bg_wait sink-b 20
assert_eq "$((8 << 20))" "$(cat "$OUT/sink-b.out")" "bytes $NSB received through the router"
assert_ge $((ceb0 + 1)) "$(counter_in "$NSB" IpExtInCEPkts)" "CE packets the receiving Linux got"
assert_ge $((dce0 + 1)) "$(counter_in "$NSA" TcpExtTCPDeliveredCE)" "the sending Linux's TcpExtTCPDeliveredCE"
host_stop router

# ---- 5. a RED queue with ECN in the tern router -------------------------------------
log "Linux -> Linux, 8 MiB through tern host --forward --rate 20 Mbit/s --queue red,...,ecn"
host_start redrouter "$NSR" --forward --tap tapA --addr 10.201.38.1/24 \
	--tap tapB --addr 10.201.39.1/24 --fault-dir out --fault-seed 4 --rate 20000000 \
	--queue red,min=30K,max=90K,p=10,weight=2,ecn,limit=256K
ceb0=$(counter_in "$NSB" IpExtInCEPkts) rt0=$(counter_in "$NSA" TcpRetransSegs)
bg_start sink-red /dev/null "$NSB" bash -c "$(declare -f serve); K=10.201.39.2 PY=$PY serve 5044"
wait_tcp_listen "$NSB" 5044
t0=$SECONDS
run_ns -t 60 "$NSA" "$PY" -c "
import socket
s = socket.create_connection(('10.201.39.2', 5044), timeout=10)
s.sendall(open('$OUT/eight.bin', 'rb').read())
s.close()"
assert_rc 0 "the Linux sender in $NSA (RED)"
bg_wait sink-red 30
assert_eq "$((8 << 20))" "$(cat "$OUT/sink-red.out")" "bytes $NSB received through the RED router"
ce=$(($(counter_in "$NSB" IpExtInCEPkts) - ceb0)) rt=$(($(counter_in "$NSA" TcpRetransSegs) - rt0))
log "8 MiB in $((SECONDS - t0)) s; $ce CE marks from RED, $rt retransmissions"
assert_ge 1 "$ce" "CE marks RED set"
# RED marks long before the 256 KiB limit: Linux backs off without losses
[ "$rt" -le 5 ] || fail "Linux retransmitted $rt segments behind a RED queue that marks"
host_stop redrouter

pass
