# tests/interop/test_udp_examples.sh — the programs in examples/ against
# Linux and against `tern host --udp-echo`.
#
#   namespace NS: bridge br0, kernel side 10.201.22.1/24, and on it
#     tap0  examples/udp_echo          10.201.22.2  port 7
#     tap1  tern host --udp-echo 7     10.201.22.3
#     tap2  examples/udp_client        10.201.22.4
#
# Asserts:
#  1. udp_echo answers Linux: socat gets "hello from socat" back; a python3
#     socket gets back three datagrams byte-exact, one of 4000 bytes
#     (fragmented both ways);
#  2. udp_client against tern host --udp-echo 7 prints three "reply from
#     10.201.22.3 port 7: datagram N of 3" lines and exits 0 (tern to tern
#     across the Linux bridge), and tern host counts 3 UDP datagrams in
#     and out;
#  3. udp_client against udp_echo works as well;
#  4. udp_client to a port nobody serves on tern host reports
#     "udp_client: datagram 1: Connection refused" (tern's ICMP port
#     unreachable, seen by tern's connected socket) and exits 1;
# and tern host's capture decodes cleanly with good checksums.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools socat
ECHO_BIN=$(example_bin udp_echo)
CLIENT_BIN=$(example_bin udp_client)

ns_add udpex
NS=$NS_NAME
bridge_add "$NS" br0 10.201.22.1/24
tap_bridged "$NS" tap0 br0
tap_bridged "$NS" tap1 br0
tap_bridged "$NS" tap2 br0

# ---- 1. udp_echo answers Linux -------------------------------------------------
log "examples/udp_echo on tap0, 10.201.22.2 port 7"
bg_start udp_echo /dev/null "$NS" "$ECHO_BIN" tap0 10.201.22.2/24 7
wait_file_match "$OUT/udp_echo.out" '^udp_echo: listening on 10\.201\.22\.2/24 port 7$' 10 \
	"udp_echo ready"
wait_link_up "$NS" tap0

run_ns -t 10 "$NS" sh -c "printf 'hello from socat' | socat -t 3 - UDP:10.201.22.2:7"
assert_rc 0 "socat - UDP:10.201.22.2:7"
assert_eq "hello from socat" "$RUN_OUT" "udp_echo's answer to socat"

run_ns -t 15 "$NS" "$PY" - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i, msg in enumerate([b"first", b"x" * 4000, bytes(range(256))]):
    s.sendto(msg, ("10.201.22.2", 7))
    data, peer = s.recvfrom(65535)
    print("echo %d: %d bytes from %s:%d, %s" % (i + 1, len(data), peer[0], peer[1],
                                                "same" if data == msg else "DIFFERENT"))
EOF
assert_rc 0 "python3 datagrams to udp_echo"
assert_eq "echo 1: 5 bytes from 10.201.22.2:7, same
echo 2: 4000 bytes from 10.201.22.2:7, same
echo 3: 256 bytes from 10.201.22.2:7, same" "$RUN_OUT" "udp_echo's answers to python3"

# ---- 2. udp_client against tern host --udp-echo ------------------------------
H=udpex-$RUN_ID
host_start "$H" "$NS" --tap tap1 --addr 10.201.22.3/24 --udp-echo 7 --pcap "$OUT/pcap"
log "examples/udp_client on tap2 -> tern host 10.201.22.3 port 7"
run_ns -t 20 "$NS" "$CLIENT_BIN" tap2 10.201.22.4/24 10.201.22.3 7 3
assert_rc 0 "udp_client -> tern host --udp-echo 7"
assert_eq "reply from 10.201.22.3 port 7: datagram 1 of 3
reply from 10.201.22.3 port 7: datagram 2 of 3
reply from 10.201.22.3 port 7: datagram 3 of 3" "$RUN_OUT" "udp_client's output"

# ---- 3. udp_client against udp_echo --------------------------------------------
run_ns -t 20 "$NS" "$CLIENT_BIN" tap2 10.201.22.4/24 10.201.22.2 7 2
assert_rc 0 "udp_client -> udp_echo"
assert_count 2 '^reply from 10\.201\.22\.2 port 7: datagram [12] of 2$' "$RUN_OUT" \
	"udp_client's replies from udp_echo"

# ---- 4. a closed port ----------------------------------------------------------
run_ns -t 20 "$NS" "$CLIENT_BIN" tap2 10.201.22.4/24 10.201.22.3 9 1
assert_rc 1 "udp_client -> tern host, closed port 9"
assert_eq "udp_client: datagram 1: Connection refused" "$RUN_OUT" "udp_client's report"

host_stop "$H"
assert_eq 3 "$(host_counter "$H" udp in_datagrams)" "tern host's udp in_datagrams (delivered)"
assert_eq 3 "$(host_counter "$H" udp out_datagrams)" "tern host's udp out_datagrams"
assert_eq 1 "$(host_counter "$H" udp no_port)" "tern host's udp no_port"
check_pcap "$OUT/pcap/$H-tap1.pcap"
n=$(pcap_count "$OUT/pcap/$H-tap1.pcap" 'ip.src == 10.201.22.3 && udp.srcport == 7')
assert_eq 3 "$n" "echo replies in tern host's capture"

pass
