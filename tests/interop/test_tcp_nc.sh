# tests/interop/test_tcp_nc.sh — `tern nc` (TCP) and Linux's nc (Debian's
# netcat-openbsd) connect to each other and move 1 MiB each way.
#
#   namespace NS: tap0, kernel side 10.201.21.1/24  <->  tern 10.201.21.2/24
#
# Asserts:
#  1. Linux listening (`nc -l -N`), tern nc -N connecting: 1 MiB each way in
#     one connection, byte-exact (cmp); both exit 0; tern nc -v says
#     "Connection to 10.201.21.1 5010 port [tcp/*] succeeded!";
#  2. tern listening (tern nc -l -v -N -p 5011), Linux nc connecting: the
#     same, reversed; tern reports "Listening on 0.0.0.0 5011" and
#     "Connection received on 10.201.21.1 PORT". Linux's nc has no -N here:
#     a listener ends as soon as the peer's FIN has come (nc -l does, with
#     the rest of its stdin unsent), so the client sends its FIN only when
#     it leaves, after tern's FIN;
#  3. -N is a half-close: a python3 server answers only after the end of
#     the stream ("1048576 bytes"), and tern nc still prints that answer;
#  4. a closed port: tern nc -v prints Linux nc's own line, prefixed with
#     "tern " ("tern nc: connect to 10.201.21.1 port 5998 (tcp) failed:
#     Connection refused"), with Linux nc's exit status (1); without -v
#     both say nothing and exit 1;
#  5. the captures (tern's side) decode cleanly, with good checksums; the
#     clean connections have the handshake (SYN, SYN-ACK), a FIN from each
#     side and no RST; the refused one has Linux's RST.
TEST_DEADLINE=${TEST_DEADLINE:-120}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nc cmp head

ns_add tcpnc
NS=$NS_NAME
tap_add "$NS" tap0 10.201.21.1/24
TN=(--tap tap0 --addr 10.201.21.2/24)
K=10.201.21.1 T=10.201.21.2

# check_clean_tcp PCAP PORT WHAT — the connection to PORT in PCAP has its
# handshake, a FIN each way and no RST.
check_clean_tcp() {
	local f=$1 p=$2 n
	check_pcap "$f"
	n=$(pcap_count "$f" "tcp.port == $p && tcp.flags.syn == 1 && tcp.flags.ack == 0")
	assert_ge 1 "$n" "$3: SYN"
	n=$(pcap_count "$f" "tcp.port == $p && tcp.flags.syn == 1 && tcp.flags.ack == 1")
	assert_ge 1 "$n" "$3: SYN-ACK"
	n=$(pcap_count "$f" "tcp.port == $p && tcp.flags.fin == 1 && ip.src == $K")
	assert_ge 1 "$n" "$3: FIN from Linux"
	n=$(pcap_count "$f" "tcp.port == $p && tcp.flags.fin == 1 && ip.src == $T")
	assert_ge 1 "$n" "$3: FIN from tern"
	# No RST from tern. Linux may send one: its tail-loss probe resends
	# its FIN before our ACK arrives, TIME-WAIT acknowledges the copy
	# (RFC 9293 §3.10.7.4), and Linux, closed by then, resets.
	n=$(pcap_count "$f" "tcp.port == $p && tcp.flags.reset == 1 && ip.src == $T")
	assert_eq 0 "$n" "$3: RSTs from tern"
}

head -c 1048576 /dev/urandom >"$OUT/up.bin" || fail "make up.bin"
head -c 1048576 /dev/urandom >"$OUT/down.bin" || fail "make down.bin"

# ---- 1. Linux listens, tern nc connects --------------------------------------
log "tern nc -N  <->  Linux nc -l -N -p 5010: 1 MiB each way"
bg_start linux-listen "$OUT/down.bin" "$NS" nc -l -N -p 5010
wait_tcp_listen "$NS" 5010
run_ns -t 40 "$NS" sh -c "'$TERN' nc -v -N ${TN[*]} --pcap '$OUT/nc-client.pcap' $K 5010 \
	<'$OUT/up.bin' >'$OUT/client-got.bin' 2>'$OUT/client.err'"
assert_rc 0 "tern nc -N $K 5010 (stderr: $(cat "$OUT/client.err"))"
bg_wait linux-listen 20
assert_eq 0 "$BG_RC" "Linux nc -l -N -p 5010's exit status (stderr: $(cat "$OUT/linux-listen.err"))"
cmp "$OUT/up.bin" "$OUT/linux-listen.out" || fail "what Linux nc -l received differs from up.bin"
cmp "$OUT/down.bin" "$OUT/client-got.bin" || fail "what tern nc received differs from down.bin"
assert_eq "Connection to $K 5010 port [tcp/*] succeeded!" "$(cat "$OUT/client.err")" \
	"tern nc -v's report"
check_clean_tcp "$OUT/nc-client.pcap" 5010 "tern nc -> Linux nc -l"

# ---- 2. tern listens, Linux nc connects -------------------------------------
log "Linux nc  <->  tern nc -l -N -p 5011: 1 MiB each way"
bg_start tern-listen "$OUT/down.bin" "$NS" "$TERN" nc -l -v -N -p 5011 "${TN[@]}" \
	--pcap "$OUT/nc-listen.pcap"
wait_file_match "$OUT/tern-listen.err" '^Listening on 0\.0\.0\.0 5011$' 10 "tern nc -l ready"
wait_link_up "$NS" tap0
run_ns -t 40 "$NS" sh -c "nc $T 5011 <'$OUT/up.bin' >'$OUT/linux-got.bin'"
assert_rc 0 "Linux nc $T 5011"
bg_wait tern-listen 20
[ "$BG_RC" -eq 0 ] || fail "tern nc -l exited $BG_RC: $(cat "$OUT/tern-listen.err")"
cmp "$OUT/up.bin" "$OUT/tern-listen.out" || fail "what tern nc -l received differs from up.bin"
cmp "$OUT/down.bin" "$OUT/linux-got.bin" || fail "what Linux nc received differs from down.bin"
assert_match '^Connection received on 10\.201\.21\.1 [0-9]+$' "$(cat "$OUT/tern-listen.err")" \
	"tern nc -l -v report"
assert_eq 2 "$(grep -c . "$OUT/tern-listen.err")" "lines tern nc -l -v printed"
check_clean_tcp "$OUT/nc-listen.pcap" 5011 "Linux nc -> tern nc -l"

# ---- 3. -N: the write side closes, the read side goes on ---------------------
log "tern nc -N -> python3 server that answers after the end of the stream"
bg_start py-count /dev/null "$NS" "$PY" -c "
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$K', 5012)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(20)
n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
c.sendall(b'%d bytes\n' % n)
c.close()"
wait_tcp_listen "$NS" 5012
run_ns -t 40 "$NS" sh -c "'$TERN' nc -N ${TN[*]} --pcap '$OUT/nc-half.pcap' $K 5012 <'$OUT/up.bin'"
assert_rc 0 "tern nc -N $K 5012"
assert_eq "1048576 bytes" "$RUN_OUT" "the answer sent after tern nc's FIN"
bg_wait py-count 10
assert_eq 0 "$BG_RC" "the python3 server's exit status ($(cat "$OUT/py-count.err"))"
check_clean_tcp "$OUT/nc-half.pcap" 5012 "tern nc -N -> python3"
n=$(pcap_count "$OUT/nc-half.pcap" "tcp.port == 5012 && ip.src == $K && tcp.len > 0")
assert_ge 1 "$n" "data segments from Linux after tern's FIN"

# ---- 4. a closed port: tern nc says what Linux nc says ------------------------
log "nc -v to a closed port: Linux nc and tern nc"
run_ns -t 10 "$NS" nc -v -n $K 5998
linux_rc=$RUN_RC linux_line=$RUN_OUT
assert_eq 1 "$linux_rc" "Linux nc -v to a closed port: exit status"
assert_eq "nc: connect to $K port 5998 (tcp) failed: Connection refused" "$linux_line" \
	"Linux nc's line"
run_ns -t 15 "$NS" sh -c "'$TERN' nc -v ${TN[*]} --pcap '$OUT/nc-refused.pcap' $K 5998 </dev/null"
assert_rc "$linux_rc" "tern nc -v to a closed port"
assert_eq "tern $linux_line" "$RUN_OUT" "tern nc's line against Linux nc's"
check_pcap "$OUT/nc-refused.pcap"
n=$(pcap_count "$OUT/nc-refused.pcap" "tcp.port == 5998 && tcp.flags.reset == 1 && ip.src == $K")
assert_ge 1 "$n" "Linux's RST to tern's SYN"
run_ns -t 10 "$NS" nc -n $K 5998
assert_eq "1:" "$RUN_RC:$RUN_OUT" "Linux nc without -v to a closed port"
run_ns -t 15 "$NS" sh -c "'$TERN' nc ${TN[*]} $K 5998 </dev/null"
assert_eq "1:" "$RUN_RC:$RUN_OUT" "tern nc without -v to a closed port"

pass
