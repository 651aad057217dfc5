# tests/interop/test_tcp_paths.sh — TCP between Linux and tern ends over the
# impaired paths of lib_paths.sh, through one tern router: correctness only
# (bench/tcp_paths.sh measures the goodput of the same paths).
#
#   NSA: Linux 10.201.141.2, tern .3 (.4) ─ brA ─ tern router ─ brB ─ NSB: Linux 10.201.142.2, tern .3 (.4)
#
# Paths (the router's seeded fault injector, on what it sends each way):
#   p1: 10 ms RTT, 1% loss, 100 Mbit/s, queue of a BDP
#   p2: 100 ms RTT, 0.1% loss, 100 Mbit/s, queue of a BDP
#   p3: 10 ms RTT, 2% loss, 1% reordering, 100 Mbit/s
#   p4: a 20 Mbit/s bottleneck, 20 ms RTT, shared by two flows at once
#
# On each path, $TERN_PATHS_MB MiB (4 in the release build, less under the
# sanitizers) from the client side to the server side, in each direction:
#   ll: Linux -> Linux (python3 sockets at both ends),
#   tl: tern nc -N -> Linux (python3 server),
#   lt: Linux (python3 client) -> tern nc -l,
# all with CUBIC; on p4 two such flows at once (from two hosts each side,
# for tern). Asserts: every program exits 0 within its bound and the
# SHA-256 of what each receiver wrote is that of what its sender read;
# the Linux sockets ran CUBIC (TCP_CONGESTION read back).
# No rate is asserted (the machine is shared); each flow's time is logged.
TEST_DEADLINE=${TEST_DEADLINE:-280}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
source "$(dirname "$0")/lib_paths.sh" || exit 1
require_tools sha256sum head ss

MB=${TERN_PATHS_MB:-4}
FLOW_TIMEOUT=${FLOW_TIMEOUT:-60}   # seconds for one flow, at worst

# tcpio.py sink ADDR PORT FILE — accept one connection, write what it
# sends to FILE until its FIN, close. tcpio.py source ADDR PORT FILE —
# connect, send FILE, shut down the sending side, read to the peer's FIN.
cat >"$OUT/tcpio.py" <<'EOF'
import socket, sys
mode, addr, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def cubic(s):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
    cc = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0")
    if cc != b"cubic":
        sys.exit("congestion control %r, not cubic" % cc)
if mode == "sink":
    l = socket.socket()
    cubic(l)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port)); l.listen(1); l.settimeout(30)
    c, _ = l.accept(); c.settimeout(60)
    with open(path, "wb") as out:
        while True:
            b = c.recv(1 << 16)
            if not b: break
            out.write(b)
    c.close()
else:
    s = socket.socket()
    cubic(s)
    s.settimeout(30)
    s.connect((addr, port))
    s.settimeout(60)
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 16)
            if not b: break
            s.sendall(b)
    s.shutdown(socket.SHUT_WR)
    while s.recv(1 << 16):
        pass
    s.close()
EOF
for i in 1 2; do
	head -c $((MB << 20)) /dev/urandom >"$OUT/data$i.bin" || fail "make data$i.bin"
done
SUM1=$(sha256sum <"$OUT/data1.bin" | cut -d' ' -f1)
SUM2=$(sha256sum <"$OUT/data2.bin" | cut -d' ' -f1)

paths_topology

# flow_start KIND ID PORT N — flow ID of KIND (ll, tl, lt) sending
# data$N.bin to PORT from the client side; N 2 uses the second tern hosts.
declare -A FLOW_T0 FLOW_N FLOW_RX FLOW_TX
flow_start() {
	local kind=$1 id=$2 port=$3 n=$4 ta=("${TERN_A[@]}") tb=("${TERN_B[@]}") tbaddr=$TB tbtap=tapTB
	if [ "$n" = 2 ]; then
		ta=("${TERN_A2[@]}") tb=("${TERN_B2[@]}") tbaddr=$TB2 tbtap=tapTB2
	fi
	FLOW_N[$id]=$n FLOW_RX[$id]=$id-rx FLOW_TX[$id]=$id-tx
	case $kind in
	ll | tl)
		bg_start "$id-rx" /dev/null "$NSB" "$PY" "$OUT/tcpio.py" sink $LB "$port" "$OUT/$id.got"
		wait_tcp_listen "$NSB" "$port"
		;;
	lt)
		bg_start "$id-rx" /dev/null "$NSR" "$TERN" nc -l -v -N -p "$port" "${tb[@]}"
		wait_file_match "$OUT/$id-rx.err" "^Listening on 0\.0\.0\.0 $port\$" 20 "$id: tern nc -l ready"
		wait_link_up "$NSR" "$tbtap"
		;;
	esac
	FLOW_T0[$id]=$SECONDS
	case $kind in
	ll) bg_start "$id-tx" /dev/null "$NSA" "$PY" "$OUT/tcpio.py" source $LB "$port" "$OUT/data$n.bin" ;;
	tl) bg_start "$id-tx" "$OUT/data$n.bin" "$NSR" "$TERN" nc -N "${ta[@]}" $LB "$port" ;;
	lt) bg_start "$id-tx" /dev/null "$NSA" "$PY" "$OUT/tcpio.py" source "$tbaddr" "$port" "$OUT/data$n.bin" ;;
	esac
}

# flow_check ID WHAT — both ends exit 0 within FLOW_TIMEOUT of the start,
# and the receiver got the sender's bytes.
flow_check() {
	local id=$1 what=$2 got want left f
	left=$((FLOW_TIMEOUT - (SECONDS - FLOW_T0[$id])))
	[ "$left" -gt 1 ] || left=1
	bg_wait "$id-tx" "$left"
	assert_eq 0 "$BG_RC" "$what: the sender's exit status ($(cat "$OUT/$id-tx.err"))"
	left=$((FLOW_TIMEOUT - (SECONDS - FLOW_T0[$id])))
	[ "$left" -gt 1 ] || left=1
	bg_wait "$id-rx" "$left"
	assert_eq 0 "$BG_RC" "$what: the receiver's exit status ($(cat "$OUT/$id-rx.err"))"
	f=$OUT/$id.got
	[ -f "$f" ] || f=$OUT/$id-rx.out   # tern nc -l's stdout
	got=$(sha256sum <"$f" | cut -d' ' -f1)
	want=$SUM1
	[ "${FLOW_N[$id]}" = 2 ] && want=$SUM2
	assert_eq "$want" "$got" "$what: SHA-256 of what arrived ($(wc -c <"$f") bytes of $((MB << 20)))"
	log "$what: $MB MiB intact in $((SECONDS - FLOW_T0[$id])) s"
	rm -f "$OUT/$id.got" "$OUT/$id-rx.out"
}

declare -A KIND_DESC=([ll]="Linux -> Linux" [tl]="tern -> Linux" [lt]="Linux -> tern")
port=7000
seed=1
for p in "${PATH_NAMES[@]}"; do
	log "path $p: ${PATH_DESC[$p]}"
	paths_router "$p" "$seed"
	seed=$((seed + 1))
	for kind in ll tl lt; do
		if [ "$p" = p4 ]; then
			flow_start "$kind" "$p-$kind-1" $port 1
			flow_start "$kind" "$p-$kind-2" $((port + 1)) 2
			flow_check "$p-$kind-1" "$p ${KIND_DESC[$kind]}, flow 1 of 2"
			flow_check "$p-$kind-2" "$p ${KIND_DESC[$kind]}, flow 2 of 2"
			port=$((port + 2))
		else
			flow_start "$kind" "$p-$kind" $port 1
			flow_check "$p-$kind" "$p ${KIND_DESC[$kind]}"
			port=$((port + 1))
		fi
	done
done
host_stop "$ROUTER"
pass
