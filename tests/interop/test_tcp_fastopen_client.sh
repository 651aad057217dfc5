# tests/interop/test_tcp_fastopen_client.sh — TCP Fast Open's client (RFC
# 7413) against Linux's server: `tern curl --tcp-fastopen` fetching three
# URLs in one run (one stack, so one cookie cache) from a python3 server
# in a namespace with net.ipv4.tcp_fastopen=3.
#
#   namespace NS: tap0, kernel side 10.201.46.1/24  <->  tern 10.201.46.2/24
#   port 8000: a listener with TCP_FASTOPEN (queue 16); port 8001: one
#   without it (Linux then ignores cookies and SYN data on it)
#
# Every response has "Connection: close", so each URL is a new connection.
# Asserts, on tern's capture:
#  1. the first SYN (to 8000) carries a cookie request and no payload; the
#     SYN-ACK gives a cookie;
#  2. the second SYN (to 8000) carries that cookie and the whole GET
#     request; Linux's SYN-ACK acknowledges it (ack = ISN + 1 + length) and
#     tern sends no second copy of it;
#  3. the third SYN (to 8001, same address: the cached cookie) carries the
#     cookie and the request; Linux's SYN-ACK acknowledges only the SYN and
#     tern resends the request right after the handshake: the fallback
#     (§4.2.1) completes the transfer;
#  4. all three bodies are right, tern curl exits 0; the server saw each
#     request once; Linux counts TcpExtTCPFastOpenPassive 1 and
#     TCPFastOpenCookieReqd 1;
#  5. with --sysctl net.ipv4.tcp_fastopen=0 on tern's host, curl -v says
#     "Failed to enable TCP Fast Open" and fetches without the option;
#  6. the captures decode cleanly (no malformed frame, good checksums).
TEST_DEADLINE=${TEST_DEADLINE:-90}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nstat

ns_add tfocli
NS=$NS_NAME
tap_add "$NS" tap0 10.201.46.1/24
run_ns "$NS" sysctl -qw net.ipv4.tcp_fastopen=3
assert_rc 0 "sysctl net.ipv4.tcp_fastopen=3 in $NS"
TN=(--tap tap0 --addr 10.201.46.2/24)
K=10.201.46.1 T=10.201.46.2

# The server: two listeners, one request per connection, a fixed body per
# path ("body of PATH"), Connection: close. Each request line is logged.
cat >"$OUT/server.py" <<'EOF'
import select, socket, sys
host, log = sys.argv[1], open(sys.argv[2], "w", buffering=1)
ls = []
for port, tfo in ((8000, True), (8001, False)):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if tfo:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    s.bind((host, port))
    s.listen(16)
    ls.append(s)
print("ready", flush=True)
while True:
    r, _, _ = select.select(ls, [], [])
    for l in r:
        c, _ = l.accept()
        c.settimeout(10)
        req = b""
        while b"\r\n\r\n" not in req:
            d = c.recv(4096)
            if not d:
                break
            req += d
        line = req.split(b"\r\n", 1)[0].decode()
        log.write("%d %s\n" % (l.getsockname()[1], line))
        path = line.split(" ")[1] if line.count(" ") >= 2 else "?"
        body = ("body of %s\n" % path).encode()
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                  b"Connection: close\r\n\r\n%s" % (len(body), body))
        c.close()
EOF
bg_start srv /dev/null "$NS" "$PY" "$OUT/server.py" "$K" "$OUT/requests.log"
wait_tcp_listen "$NS" 8000
wait_tcp_listen "$NS" 8001

log "tern curl --tcp-fastopen: /a and /b on 8000, /c on 8001"
run_ns -t 30 "$NS" "$TERN" curl -sS --tcp-fastopen "${TN[@]}" --pcap "$OUT/curl.pcap" \
	"http://$K:8000/a" "http://$K:8000/b" "http://$K:8001/c"
assert_rc 0 "tern curl --tcp-fastopen"
assert_eq "body of /a
body of /b
body of /c" "$RUN_OUT" "the three bodies"
assert_eq "8000 GET /a HTTP/1.1
8000 GET /b HTTP/1.1
8001 GET /c HTTP/1.1" "$(cat "$OUT/requests.log")" "the requests the server saw"

check_pcap "$OUT/curl.pcap"
P=$OUT/curl.pcap
# Our SYNs in order: port, ISN, payload length, request option, cookie.
SYN_F="ip.src == $T && tcp.flags.syn == 1 && tcp.flags.ack == 0"
syns=$(tshark_fields "$P" "$SYN_F" tcp.dstport tcp.seq_raw tcp.len tcp.options.tfo.cookie)
log "tern's SYNs: $syns"
assert_eq 3 "$(grep -c . <<<"$syns")" "SYNs from tern (none retransmitted)"
read -r p1 isn1 len1 ck1 <<<"$(sed -n 1p <<<"$syns")"
read -r p2 isn2 len2 ck2 <<<"$(sed -n 2p <<<"$syns")"
read -r p3 isn3 len3 ck3 <<<"$(sed -n 3p <<<"$syns")"
assert_eq "8000 0 " "$p1 $len1 ${ck1:-}" "1st SYN: port, payload, no cookie"
assert_eq 1 "$(pcap_count "$P" "$SYN_F && tcp.seq_raw == $isn1 && tcp.options.tfo.request")" \
	"1st SYN: a cookie request"
# The SYN-ACK to it carries Linux's cookie.
cookie=$(tshark_fields "$P" "ip.src == $K && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.ack_raw == $((isn1 + 1))" \
	tcp.options.tfo.cookie)
[ -n "$cookie" ] || fail "the first SYN-ACK carries no cookie"
log "Linux's cookie: $cookie"

assert_eq "8000 $cookie" "$p2 $ck2" "2nd SYN: port and cookie"
assert_ge 60 "$len2" "2nd SYN's payload (the GET request)"
hex2=$(tshark_fields "$P" "$SYN_F && tcp.seq_raw == $isn2" tcp.payload)
line2=$("$PY" -c 'import sys; print(bytes.fromhex(sys.argv[1]).split(b"\r\n")[0].decode())' "$hex2")
assert_eq "GET /b HTTP/1.1" "$line2" "2nd SYN's payload: the request"
sport2=$(tshark_fields "$P" "$SYN_F && tcp.seq_raw == $isn2" tcp.srcport)
ack2=$(tshark_fields "$P" "ip.src == $K && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.dstport == $sport2" tcp.ack_raw)
assert_eq "$((isn2 + 1 + len2))" "$ack2" "Linux's SYN-ACK acknowledges the SYN's data"
n=$(pcap_count "$P" "ip.src == $T && tcp.srcport == $sport2 && tcp.flags.syn == 0 && tcp.seq_raw == $((isn2 + 1)) && tcp.len > 0")
assert_eq 0 "$n" "segments resending the 2nd SYN's data"

assert_eq "8001 $cookie" "$p3 $ck3" "3rd SYN (the port without Fast Open): the cached cookie"
assert_ge 60 "$len3" "3rd SYN's payload"
sport3=$(tshark_fields "$P" "$SYN_F && tcp.seq_raw == $isn3" tcp.srcport)
ack3=$(tshark_fields "$P" "ip.src == $K && tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.dstport == $sport3" tcp.ack_raw)
assert_eq "$((isn3 + 1))" "$ack3" "a server without Fast Open acknowledges only the SYN"
resent=$(tshark_fields "$P" "ip.src == $T && tcp.srcport == $sport3 && tcp.flags.syn == 0 && tcp.seq_raw == $((isn3 + 1)) && tcp.len > 0" tcp.len)
assert_eq "$len3" "$(head -n1 <<<"$resent")" "the 3rd SYN's data resent after the handshake"

# Without the client bit (--sysctl on tern's host): curl says it could
# not enable Fast Open and fetches over a plain connection.
log "tern curl --tcp-fastopen --sysctl net.ipv4.tcp_fastopen=0"
run_ns -t 30 "$NS" "$TERN" curl -sSv --tcp-fastopen --sysctl net.ipv4.tcp_fastopen=0 "${TN[@]}" \
	--pcap "$OUT/off.pcap" "http://$K:8000/d"
assert_rc 0 "tern curl with the client bit off"
assert_match '^body of /d$' "$RUN_OUT" "the body with the client bit off"
assert_match '^\* Failed to enable TCP Fast Open on fd [0-9]+$' "$RUN_OUT" "curl's -v line"
check_pcap "$OUT/off.pcap"
assert_eq 0 "$(pcap_count "$OUT/off.pcap" "ip.src == $T && tcp.options.tfo")" \
	"segments from tern with a Fast Open option, client bit off"

# Linux's view: one Fast Open connection, one cookie request.
run_ns "$NS" nstat -az TcpExtTCPFastOpenPassive TcpExtTCPFastOpenCookieReqd
assert_match '^TcpExtTCPFastOpenPassive +1 ' "$RUN_OUT" "Linux's passive Fast Opens"
assert_match '^TcpExtTCPFastOpenCookieReqd +1 ' "$RUN_OUT" "Linux's cookie requests"
pass
