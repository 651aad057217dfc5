# tests/interop/test_tcp_echo.sh — TCP between tern and the Linux kernel:
# examples/tcp_echo on a TAP device, Linux clients.
#
#   namespace NS: tap0, kernel side 10.201.30.1/24 <-> tcp_echo 10.201.30.2 port 7
#
# Asserts:
#  1. a 4 MiB file sent by Linux `nc -N` (half-close after EOF) comes back
#     byte-exact, and nc exits 0 once tern's FIN arrives;
#  2. 16 connections at once from a python3 client, 64 KiB each with writes
#     of odd sizes, all echoed byte-exact and closed cleanly;
#  3. a connect to a port nobody listens on is refused: Linux nc -z exits
#     1 (tern answers the SYN with RST,ACK, RFC 9293 §3.10.7.1);
#  4. examples/tcp_client (the blocking helpers of tern/rt.h) against a
#     Linux echo server (socat) on a second TAP gets its message back and
#     exits 0; against a closed port it says "Connection refused", exit 1;
#  5. the capture (kernel side) shows every connection opened by one SYN
#     and one SYN-ACK, closed by a FIN each way, no RST but the refused
#     one, and tshark finds no malformed segment.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nc tshark cmp socat
ECHO_BIN=$(example_bin tcp_echo)
CLIENT_BIN=$(example_bin tcp_client)

ns_add tcpecho
NS=$NS_NAME
tap_add "$NS" tap0 10.201.30.1/24

bg_start tcp_echo /dev/null "$NS" "$ECHO_BIN" tap0 10.201.30.2/24 7
wait_file_match "$OUT/tcp_echo.out" '^tcp_echo: listening on 10\.201\.30\.2/24 port 7$' 10 \
	"tcp_echo ready"
wait_link_up "$NS" tap0
bg_start capture /dev/null "$NS" timeout 60 tshark -q -B 64 -i tap0 -w "$OUT/tcp.pcap" -f "tcp or arp"
sleep 2

# ---- 1. one big transfer -------------------------------------------------------------
head -c $((4 << 20)) /dev/urandom >"$OUT/big.bin"
run_ns -t 30 "$NS" sh -c "nc -N 10.201.30.2 7 <'$OUT/big.bin' >'$OUT/big.out'"
assert_rc 0 "nc -N 10.201.30.2 7 < 4 MiB"
assert_eq $((4 << 20)) "$(stat -c %s "$OUT/big.out")" "bytes echoed"
cmp -s "$OUT/big.bin" "$OUT/big.out" || fail "the echo differs from what was sent"

# ---- 2. sixteen at once ----------------------------------------------------------------
run_ns -t 40 "$NS" "$PY" - <<'PYEOF'
import socket, selectors, os
sel = selectors.DefaultSelector()
conns = []
for i in range(16):
    s = socket.create_connection(("10.201.30.2", 7), timeout=10)
    s.setblocking(False)
    data = os.urandom(65536)
    conns.append({"s": s, "data": data, "off": 0, "got": b"", "shut": False})
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, conns[-1])
open_n = 16
while open_n:
    for key, ev in sel.select(timeout=10):
        c = key.data
        if ev & selectors.EVENT_WRITE and c["off"] < len(c["data"]):
            n = c["s"].send(c["data"][c["off"]:c["off"] + 1000 + 7 * c["off"] % 3001])
            c["off"] += n
        if c["off"] == len(c["data"]) and not c["shut"]:
            c["s"].shutdown(socket.SHUT_WR)
            c["shut"] = True
            sel.modify(c["s"], selectors.EVENT_READ, c)
        if ev & selectors.EVENT_READ:
            b = c["s"].recv(65536)
            if b:
                c["got"] += b
            else:
                sel.unregister(c["s"])
                c["s"].close()
                open_n -= 1
print(sum(1 for c in conns if c["got"] == c["data"]), "of 16 echoed byte-exact")
PYEOF
assert_rc 0 "python3: 16 connections"
assert_eq "16 of 16 echoed byte-exact" "$RUN_OUT" "the 16 echoes"

# ---- 3. a closed port ---------------------------------------------------------------------
run_ns -t 10 "$NS" nc -z -w 3 10.201.30.2 9
assert_rc 1 "nc -z 10.201.30.2 9 (nothing listens)"

# ---- 4. examples/tcp_client against Linux -----------------------------------------------
tap_add "$NS" tap1 10.201.32.1/24
bg_start socat-echo /dev/null "$NS" timeout 30 socat TCP-LISTEN:7007,bind=10.201.32.1,reuseaddr,fork EXEC:cat
sleep 0.5
run_ns -t 20 "$NS" "$CLIENT_BIN" tap1 10.201.32.2/24 10.201.32.1 7007 "hello from tern's tcp_client"
assert_rc 0 "tcp_client -> socat echo"
assert_eq "hello from tern's tcp_client" "$RUN_OUT" "the echo tcp_client printed"
run_ns -t 20 "$NS" "$CLIENT_BIN" tap1 10.201.32.2/24 10.201.32.1 7008 "nobody"
assert_rc 1 "tcp_client -> a closed port"
assert_match "Connection refused" "$RUN_OUT" "tcp_client's report"

# ---- 5. the capture --------------------------------------------------------------------------
sleep 1
kill -INT "${_BG_PID[capture]}" 2>/dev/null
bg_wait capture 10
# the counts below need every frame: a kernel capture that fell behind
# (its buffer, -B, is 64 MiB for the 4 MiB burst) says so on stderr
if grep -qE '[1-9][0-9]* packets? dropped' "$OUT/capture.err"; then
	fail "the capture dropped frames: $(grep -E 'dropped' "$OUT/capture.err" | tr '\n' ' ')"
fi
# (the kernel's own capture: its timestamps need not be monotonic, so not
# check_pcap; tshark's verdict on every frame is what counts)
assert_eq 0 "$(pcap_count "$OUT/tcp.pcap" '_ws.malformed || _ws.expert.severity == "Error"')" \
	"malformed or erroneous frames (tshark)"
assert_eq 18 "$(pcap_count "$OUT/tcp.pcap" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 10.201.30.1')" \
	"SYNs from Linux (1 + 16 + 1)"
assert_eq 17 "$(pcap_count "$OUT/tcp.pcap" 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.src == 10.201.30.2')" \
	"SYN-ACKs from tern"
assert_eq 17 "$(pcap_count "$OUT/tcp.pcap" 'tcp.flags.fin == 1 && ip.src == 10.201.30.2')" \
	"FINs from tern"
assert_eq 1 "$(pcap_count "$OUT/tcp.pcap" 'tcp.flags.reset == 1')" "RSTs (the refused port's only)"
assert_eq 1 "$(pcap_count "$OUT/tcp.pcap" 'tcp.flags.reset == 1 && tcp.flags.ack == 1 && ip.src == 10.201.30.2 && tcp.srcport == 9')" \
	"tern's RST,ACK for port 9"
pass
