# tests/interop/test_tcp_impaired.sh — TCP between tern and the Linux kernel
# through a bad path, and a simultaneous close.
#
#   namespace NS: tap0, kernel side 10.201.31.1/24  <->  tern 10.201.31.2/24
#
# The kernel here has no netem: tern's seeded fault injector impairs every
# frame of the TAP in both directions (so each direction of the path loses,
# reorders, duplicates and corrupts what both ends send).
#
# Asserts:
#  1. integrity: $TERN_IMPAIRED_MB MiB (256 in the release build, less under
#     ASan) each way at once in one connection, tern nc -N to a python3
#     server on Linux's sockets (Linux nc -l would leave at tern's FIN with
#     the rest of its input unsent, see test_tcp_nc.sh),
#     through 2% loss, 2% reordering, 2% duplication and 2% corruption: both
#     exit 0 and the SHA-256 of what each received is that of what the other
#     sent. The retransmission timers' floor is 20 ms on both sides (Linux:
#     the route's rto_min; tern: net.ipv4.tcp_rto_min_us), as a sub-ms path
#     allows: this asserts integrity, not how fast recovery is;
#  2. the same through loss, reordering and duplication (no corruption, so
#     that every frame in the capture must decode cleanly), 4 MiB each way,
#     captured: tshark finds no malformed frame and no bad checksum, tern
#     sends no RST while the connection lives, and both sides retransmit;
#  3. simultaneous close (RFC 9293 Figure 13): with 150 ms added each way,
#     tern and Linux shut down their sending sides at the same instant;
#     each FIN leaves before the other's arrives (neither acknowledges the
#     other's FIN), both ends acknowledge the crossing FIN, Linux goes to
#     TIME-WAIT, and both programs exit 0 with the data intact.
TEST_DEADLINE=${TEST_DEADLINE:-400}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nc sha256sum head ss

# serve PORT SEND GOT — a python3 server for one connection: it sends the
# file SEND and half-closes, while it writes what it receives to GOT until
# the peer's FIN; it exits 0 once both directions are done.
serve() {
	"$PY" -c "
import socket, sys, threading
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('10.201.31.1', $1)); l.listen(1); l.settimeout(30)
c, _ = l.accept(); c.settimeout(300)
def send():
    with open('$2', 'rb') as f:
        while True:
            b = f.read(1 << 16)
            if not b: break
            c.sendall(b)
    c.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send); t.start()
with open('$3', 'wb') as out:
    while True:
        b = c.recv(1 << 16)
        if not b: break
        out.write(b)
t.join(); c.close()"
}

MB=${TERN_IMPAIRED_MB:-256}
ns_add tcpimp
NS=$NS_NAME
tap_add "$NS" tap0 10.201.31.1/24
K=10.201.31.1 T=10.201.31.2
TN=(--tap tap0 --addr 10.201.31.2/24 --sysctl net.ipv4.tcp_rto_min_us=20000)
ip -n "$NS" route change 10.201.31.0/24 dev tap0 proto kernel scope link src $K rto_min 20ms ||
	fail "rto_min on the kernel's route"

sum() { sha256sum <"$1" | cut -d' ' -f1; }

# ---- 1. integrity through every impairment ---------------------------------
log "$MB MiB each way through 2% loss, reordering, duplication and corruption"
head -c $((MB << 20)) /dev/urandom >"$OUT/up.bin" || fail "make up.bin"
head -c $((MB << 20)) /dev/urandom >"$OUT/down.bin" || fail "make down.bin"
bg_start linux-listen /dev/null "$NS" bash -c "$(declare -f serve); PY=$PY serve 6000 '$OUT/down.bin' '$OUT/linux-got.bin'"
wait_tcp_listen "$NS" 6000
t0=$SECONDS
run_ns -t 300 "$NS" sh -c "'$TERN' nc -N ${TN[*]} --loss 2 --reorder 2 --duplicate 2 --corrupt 2 \
	--fault-seed 7 $K 6000 <'$OUT/up.bin' >'$OUT/tern-got.bin' 2>'$OUT/tern-nc.err'"
assert_rc 0 "tern nc -N through the impaired path (stderr: $(cat "$OUT/tern-nc.err"))"
bg_wait linux-listen 20
assert_eq 0 "$BG_RC" "the Linux server's exit status ($(cat "$OUT/linux-listen.err"))"
assert_eq "$(sum "$OUT/up.bin")" "$(sum "$OUT/linux-got.bin")" "SHA-256 of what Linux received"
assert_eq "$(sum "$OUT/down.bin")" "$(sum "$OUT/tern-got.bin")" "SHA-256 of what tern received"
log "$MB MiB each way in $((SECONDS - t0)) s"
rm -f "$OUT/up.bin" "$OUT/down.bin" "$OUT/tern-got.bin" "$OUT/linux-got.bin"

# ---- 2. a captured run: every frame decodes ----------------------------------
log "4 MiB each way through loss, reordering and duplication, captured"
head -c $((4 << 20)) /dev/urandom >"$OUT/up4.bin" || fail "make up4.bin"
head -c $((4 << 20)) /dev/urandom >"$OUT/down4.bin" || fail "make down4.bin"
bg_start linux-listen4 /dev/null "$NS" bash -c "$(declare -f serve); PY=$PY serve 6001 '$OUT/down4.bin' '$OUT/linux-got4.bin'"
wait_tcp_listen "$NS" 6001
run_ns -t 60 "$NS" sh -c "'$TERN' nc -N ${TN[*]} --loss 2 --reorder 2 --duplicate 2 \
	--fault-seed 8 --pcap '$OUT/impaired.pcap' $K 6001 <'$OUT/up4.bin' >'$OUT/tern-got4.bin'"
assert_rc 0 "tern nc -N, captured run"
bg_wait linux-listen4 20
assert_eq 0 "$BG_RC" "the Linux server's exit status, captured run"
assert_eq "$(sum "$OUT/up4.bin")" "$(sum "$OUT/linux-got4.bin")" "captured run: what Linux received"
assert_eq "$(sum "$OUT/down4.bin")" "$(sum "$OUT/tern-got4.bin")" "captured run: what tern received"
check_pcap "$OUT/impaired.pcap"
# No RST from tern while the connection lives. After Linux has
# acknowledged tern's FIN, tern (the passive closer: LAST-ACK, then
# CLOSED) rightly resets a stray old ACK that the reordering held back
# (RFC 9293 §3.10.7.1), as Linux would.
read -r fin_seq < <(tshark_fields "$OUT/impaired.pcap" "tcp.flags.fin == 1 && ip.src == $T" \
	tcp.seq_raw tcp.len | awk '{ printf "%.0f\n", ($1 + $2) % 4294967296; exit }')
[ -n "${fin_seq:-}" ] || fail "captured run: no FIN from tern"
end=$(tshark_fields "$OUT/impaired.pcap" \
	"ip.src == $K && tcp.ack_raw == $(((fin_seq + 1) % 4294967296))" frame.number | head -1)
[ -n "$end" ] || fail "captured run: Linux never acknowledged tern's FIN"
n=$(pcap_count "$OUT/impaired.pcap" "tcp.flags.reset == 1 && ip.src == $T && frame.number < $end")
assert_eq 0 "$n" "RSTs from tern before its FIN was acknowledged"
n=$(pcap_count "$OUT/impaired.pcap" "tcp.analysis.retransmission && ip.src == $T")
assert_ge 1 "$n" "tern's retransmissions in the capture"
n=$(pcap_count "$OUT/impaired.pcap" "tcp.analysis.retransmission && ip.src == $K")
assert_ge 1 "$n" "Linux's retransmissions in the capture"

# ---- 3. simultaneous close ---------------------------------------------------
log "simultaneous close, 150 ms each way"
# Both sides end their stream at the same wall-clock instant AT: tern nc's
# stdin ends then (a sleeper), the Linux client calls shutdown(SHUT_WR).
at=$(($(date +%s) + 4))
sleeper="import time; print('from tern', flush=True); time.sleep(max(0, $at - time.time()))"
bg_start tern-listen /dev/null "$NS" sh -c "'$PY' -c \"$sleeper\" | '$TERN' nc -l -N -p 6002 \
	--tap tap0 --addr 10.201.31.2/24 --delay 150 --pcap '$OUT/simclose.pcap'"
wait_link_up "$NS" tap0
run_ns -t 30 "$NS" "$PY" -c "
import socket, time
s = socket.create_connection(('$T', 6002), timeout=10)
s.sendall(b'from linux\n')
time.sleep(max(0, $at - time.time()))
s.shutdown(socket.SHUT_WR)
got = b''
while True:
    d = s.recv(4096)
    if not d: break
    got += d
s.close()
print(got.decode().strip())"
assert_rc 0 "the Linux client"
assert_eq "from tern" "$RUN_OUT" "what the Linux client received"
# The last ACK needs 300 ms for its round trip after the client saw EOF.
for ((i = 0; i < 30; i++)); do
	tw=$(ip netns exec "$NS" ss -Htan state time-wait "dport = :6002" | grep -c .)
	[ "$tw" -eq 1 ] && break
	sleep 0.1
done
assert_eq 1 "$tw" "Linux's connection in TIME-WAIT ($(ip netns exec "$NS" ss -tan "dport = :6002"))"
bg_wait tern-listen 20
assert_eq 0 "$BG_RC" "tern nc -l's exit status ($(cat "$OUT/tern-listen.err"))"
assert_eq "from linux" "$(cat "$OUT/tern-listen.out")" "what tern nc -l received"
check_pcap "$OUT/simclose.pcap"
read -r tfin_seq tfin_ack < <(tshark_fields "$OUT/simclose.pcap" \
	"tcp.port == 6002 && tcp.flags.fin == 1 && ip.src == $T" tcp.seq_raw tcp.ack_raw | head -1)
read -r kfin_seq kfin_ack < <(tshark_fields "$OUT/simclose.pcap" \
	"tcp.port == 6002 && tcp.flags.fin == 1 && ip.src == $K" tcp.seq_raw tcp.ack_raw | head -1)
[ -n "${tfin_seq:-}" ] && [ -n "${kfin_seq:-}" ] || fail "a FIN from each side in simclose.pcap"
assert_eq "$kfin_seq" "$tfin_ack" "tern's FIN acknowledges up to Linux's FIN, not past it"
assert_eq "$tfin_seq" "$kfin_ack" "Linux's FIN acknowledges up to tern's FIN, not past it"
n=$(pcap_count "$OUT/simclose.pcap" \
	"tcp.port == 6002 && ip.src == $T && tcp.flags.fin == 0 && tcp.ack_raw == $(((kfin_seq + 1) % 4294967296))")
assert_ge 1 "$n" "tern's ACK of Linux's FIN"
n=$(pcap_count "$OUT/simclose.pcap" \
	"tcp.port == 6002 && ip.src == $K && tcp.ack_raw == $(((tfin_seq + 1) % 4294967296))")
assert_ge 1 "$n" "Linux's ACK of tern's FIN"
n=$(pcap_count "$OUT/simclose.pcap" "tcp.port == 6002 && tcp.flags.reset == 1")
assert_eq 0 "$n" "RSTs in the simultaneous close"

pass
