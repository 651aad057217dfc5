# tests/interop/test_udp_nc.sh — `tern nc -u` and Linux nc/socat exchange
# datagrams both ways, and a datagram to a closed port comes back to its
# sender as ICMP port unreachable on either side.
#
#   namespace NS: tap0, kernel side 10.201.20.1/24  <->  tern 10.201.20.2/24
#
# Asserts:
#  1. tern listening (tern nc -u -l -v -p 5000), Linux `nc -u` sending: tern
#     prints the datagram, reports "Connection received on 10.201.20.1
#     PORT", answers that sender with its stdin, and Linux nc prints it;
#  2. Linux listening (`nc -u -l`), tern nc -u sending: the same, reversed;
#     and `socat` sending to tern nc -l (the datagram arrives verbatim);
#  3. Linux → tern closed port: a connected python3 UDP socket gets
#     ConnectionRefusedError, tern host counts udp no_port, and its capture
#     has the ICMP port unreachable quoting the datagram;
#  4. tern → Linux closed port: tern nc ends silently with status 0, as
#     Debian's nc does (test_nc_openbsd.sh compares the two), and its
#     capture has Linux's port unreachable;
#  5. -k is TCP's: tern nc -u -l -k exits 2 saying so (TCP itself, tern
#     nc without -u, is test_tcp_nc.sh's);
#  6. -q 0 right after the first datagram to a neighbour not yet resolved:
#     tern nc lingers until ARP lets the datagram go, and Linux gets it;
#     -w 1 with -l: tern nc ends about 1 s after the last datagram;
# and every capture decodes cleanly with good checksums.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nc socat

ns_add udpnc
NS=$NS_NAME
tap_add "$NS" tap0 10.201.20.1/24
TN=(--tap tap0 --addr 10.201.20.2/24)

# ---- 1. tern listens, Linux nc sends ---------------------------------------
log "tern nc -u -l -p 5000  <-  Linux nc -u"
printf 'reply-from-tern\n' >"$OUT/tern-reply.txt"
# tern reads stdin only once a peer is known; -q 2: quit 2 s after its EOF.
bg_start tern-listen "$OUT/tern-reply.txt" "$NS" "$TERN" nc -u -l -v -q 2 -p 5000 "${TN[@]}" \
	--pcap "$OUT/nc-listen.pcap"
wait_file_match "$OUT/tern-listen.err" '^Bound on 0\.0\.0\.0 5000$' 10 "tern nc -l ready"
wait_link_up "$NS" tap0
run_ns -t 15 "$NS" sh -c "(printf 'hello-from-linux\n'; sleep 4) | nc -u -q 1 10.201.20.2 5000"
assert_rc 0 "Linux nc -u 10.201.20.2 5000"
assert_eq "reply-from-tern" "$RUN_OUT" "what Linux nc received from tern nc -l"
bg_wait tern-listen 10
[ "$BG_RC" -eq 0 ] || fail "tern nc -u -l exited $BG_RC: $(cat "$OUT/tern-listen.err")"
assert_eq "hello-from-linux" "$(cat "$OUT/tern-listen.out")" "what tern nc -l printed"
assert_match '^Connection received on 10\.201\.20\.1 [0-9]+$' "$(cat "$OUT/tern-listen.err")" \
	"tern nc -l -v report"
check_pcap "$OUT/nc-listen.pcap"
n=$(pcap_count "$OUT/nc-listen.pcap" 'ip.src == 10.201.20.1 && udp.dstport == 5000')
assert_eq 1 "$n" "datagrams from Linux to port 5000"
n=$(pcap_count "$OUT/nc-listen.pcap" 'ip.src == 10.201.20.2 && udp.srcport == 5000 && udp.length == 24')
assert_eq 1 "$n" "tern's 16-byte reply from port 5000"

# ---- 2. Linux listens, tern nc sends ---------------------------------------
log "tern nc -u  ->  Linux nc -u -l -p 5001"
printf 'reply-from-linux\n' >"$OUT/linux-reply.txt"
bg_start linux-listen "$OUT/linux-reply.txt" "$NS" nc -u -l -q 2 -p 5001
wait_udp_bound "$NS" 5001
# stdin stays open 2 s: with -q, nc reads no more once its input ended
# (as Debian's nc), and the reply must come before that.
run_ns -t 15 "$NS" sh -c "(printf 'hello-from-tern\n'; sleep 2) | '$TERN' nc -u -q 1 ${TN[*]} \
	--pcap '$OUT/nc-send.pcap' 10.201.20.1 5001"
assert_rc 0 "tern nc -u -q 1 10.201.20.1 5001"
assert_eq "reply-from-linux" "$RUN_OUT" "what tern nc received from Linux nc -l"
bg_wait linux-listen 10
assert_eq "hello-from-tern" "$(cat "$OUT/linux-listen.out")" "what Linux nc -l printed"
check_pcap "$OUT/nc-send.pcap"

log "socat  ->  tern nc -u -l 5002"
bg_start tern-socat /dev/null "$NS" "$TERN" nc -u -l -v -q 1 "${TN[@]}" \
	--pcap "$OUT/nc-socat.pcap" 5002
wait_file_match "$OUT/tern-socat.err" '^Bound on 0\.0\.0\.0 5002$' 10 "tern nc -l 5002 ready"
wait_link_up "$NS" tap0
run_ns -t 10 "$NS" sh -c "printf 'one datagram\nsecond line\n' | socat -u - UDP:10.201.20.2:5002"
assert_rc 0 "socat -u - UDP:10.201.20.2:5002"
bg_wait tern-socat 10
[ "$BG_RC" -eq 0 ] || fail "tern nc -u -l 5002 exited $BG_RC: $(cat "$OUT/tern-socat.err")"
assert_eq "$(printf 'one datagram\nsecond line')" "$(cat "$OUT/tern-socat.out")" \
	"what tern nc -l printed from socat"
check_pcap "$OUT/nc-socat.pcap"

# ---- 3. Linux -> a closed port on tern --------------------------------------
log "Linux connected UDP socket -> tern host, closed port 5999"
HC=ncclosed-$RUN_ID
host_start "$HC" "$NS" "${TN[@]}" --pcap "$OUT/pcap-host"
run_ns -t 15 "$NS" "$PY" - <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.201.20.2", 5999))
s.settimeout(5)
s.send(b"anyone there?")
try:
    s.recv(100)
    print("got a reply")
except ConnectionRefusedError:
    print("ConnectionRefusedError")
except socket.timeout:
    print("timeout")
EOF
assert_rc 0 "python3 connected UDP socket"
assert_eq "ConnectionRefusedError" "$RUN_OUT" "Linux's recv after sending to tern's closed port"
host_stop "$HC"
assert_eq 1 "$(host_counter "$HC" udp no_port)" "tern host's udp no_port counter"
pc=$OUT/pcap-host/$HC-tap0.pcap
check_pcap "$pc"
n=$(pcap_count "$pc" 'ip.src == 10.201.20.2 && icmp.type == 3 && icmp.code == 3 && udp.dstport == 5999')
assert_eq 1 "$n" "ICMP port unreachable quoting the datagram to 5999"

# ---- 4. tern -> a closed port on Linux -------------------------------------
log "tern nc -u -> Linux, closed port 5998"
run_ns -t 15 "$NS" sh -c "printf 'anyone there?\n' | '$TERN' nc -u -q 3 ${TN[*]} \
	--pcap '$OUT/nc-refused.pcap' 10.201.20.1 5998"
assert_rc 0 "tern nc -u to a closed port"
assert_eq "" "$RUN_OUT" "tern nc's output (none, as Debian's nc)"
check_pcap "$OUT/nc-refused.pcap"
n=$(pcap_count "$OUT/nc-refused.pcap" 'ip.src == 10.201.20.1 && icmp.type == 3 && icmp.code == 3')
assert_eq 1 "$n" "Linux's port unreachable in tern nc's capture"

# ---- 5. -k is for TCP ------------------------------------------------------
run "$TERN" nc -u -l -k "${TN[@]}" 5000
assert_rc 2 "tern nc -u -l -k"
assert_match '^tern nc: -k is for TCP' "$RUN_OUT" "tern nc -u -l -k"

# ---- 6. -q 0 and -w --------------------------------------------------------
# --delay 300 holds every frame 300 ms each way on tern's side, so ARP's
# answer comes long after stdin's EOF: without lingering, nc would exit
# with the datagram still queued.
log "tern nc -u -q 0 --delay 300 -> Linux: the datagram waits for ARP, then leaves"
bg_start linux-q0 /dev/null "$NS" "$PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 5003))
s.settimeout(8)
print(s.recv(100).decode().strip())"
wait_udp_bound "$NS" 5003
run_ns -t 15 "$NS" sh -c "printf 'quick\n' | '$TERN' nc -u -q 0 --delay 300 ${TN[*]} \
	10.201.20.1 5003"
assert_rc 0 "tern nc -u -q 0 10.201.20.1 5003"
bg_wait linux-q0 10
assert_eq "quick" "$(cat "$OUT/linux-q0.out")" "what Linux received from tern nc -q 0"

log "socat -> tern nc -u -l -w 1: ends 1 s after the datagram"
bg_start tern-idle /dev/null "$NS" "$TERN" nc -u -l -v -w 1 "${TN[@]}" 5004
wait_file_match "$OUT/tern-idle.err" '^Bound on 0\.0\.0\.0 5004$' 10 "tern nc -l -w 1 ready"
wait_link_up "$NS" tap0
t0=$(date +%s%N)
run_ns -t 10 "$NS" sh -c "printf 'then silence\n' | socat -u - UDP:10.201.20.2:5004"
assert_rc 0 "socat -u - UDP:10.201.20.2:5004"
bg_wait tern-idle 10
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$BG_RC" -eq 0 ] || fail "tern nc -u -l -w 1 exited $BG_RC: $(cat "$OUT/tern-idle.err")"
assert_eq "then silence" "$(cat "$OUT/tern-idle.out")" "what tern nc -l -w 1 printed"
[ "$ms" -ge 900 ] && [ "$ms" -lt 4000 ] ||
	fail "tern nc -l -w 1 ended $ms ms after the datagram (expected about 1000)"
log "tern nc -l -w 1 ended $ms ms after the datagram"

pass
