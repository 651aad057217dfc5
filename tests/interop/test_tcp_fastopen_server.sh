# tests/interop/test_tcp_fastopen_server.sh — TCP Fast Open (RFC 7413), tern
# the server: `tern http` (its listener sets TCP_FASTOPEN, qlen 256) on a
# tern host with --sysctl net.ipv4.tcp_fastopen=3, Linux's curl
# --tcp-fastopen the client, in a namespace whose own
# net.ipv4.tcp_fastopen is 3.
#
#   namespace NS: tap0, kernel side 10.201.73.1/24  <->  tern 10.201.73.2/24
#
# Asserts, on tshark's capture of tap0 on the kernel side:
#  1. the first curl's SYN asks for a cookie (an empty option) and carries
#     no data; tern's SYN-ACK gives an 8-byte cookie and acknowledges only
#     the SYN; the body is byte-exact;
#  2. the second curl's SYN carries the cookie and the HTTP request
#     (tcp.len > 0), tern's SYN-ACK acknowledges it (ack = seq + 1 + len),
#     and tern's first data segment comes in the SYN-ACK's round trip:
#     between the SYN and it, Linux sent nothing but its ACK of the
#     SYN-ACK (and that data segment acknowledges the request too); the
#     body is byte-exact;
#  3. a hand-made SYN (scapy) with a bogus cookie and data: tern's SYN-ACK
#     acknowledges only the SYN and carries the right cookie (the one the
#     curls used);
#  4. tern's nstat (its control socket): TcpExtTCPFastOpenPassive 1,
#     CookieReqd 1, PassiveFail 1, ListenOverflow 0;
#  5. both captures (the kernel's, tern's) decode cleanly, good checksums.
TEST_DEADLINE=${TEST_DEADLINE:-120}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools curl cmp head tshark sysctl xxd socat
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	fail "needs /usr/bin/python3 with scapy (python3-scapy)"

ns_add tfosrv
NS=$NS_NAME
tap_add "$NS" tap0 10.201.73.1/24
TN=(--tap tap0 --addr 10.201.73.2/24 --sysctl net.ipv4.tcp_fastopen=3)
K=10.201.73.1 T=10.201.73.2

run_ns "$NS" sysctl -qw net.ipv4.tcp_fastopen=3
assert_rc 0 "sysctl -w net.ipv4.tcp_fastopen=3 in $NS"
run_ns "$NS" sysctl -n net.ipv4.tcp_fastopen
assert_eq 3 "$RUN_OUT" "the namespace's net.ipv4.tcp_fastopen"

WWW=$OUT/www
mkdir -p "$WWW" || fail "mkdir"
head -c 20000 /dev/urandom >"$WWW/page.bin" || fail "make page.bin"

KCAP=$OUT/kernel.pcap
bg_start cap /dev/null "$NS" tshark -n -i tap0 -f tcp -w "$KCAP"
wait_file_match "$OUT/cap.err" 'Capturing on' 10 "tshark on tap0"

log "tern http (TCP_FASTOPEN 256) with net.ipv4.tcp_fastopen=3"
H=tfosrv-$$
export TERN_RUN_DIR=$OUT
SOCK=$OUT/$H.sock
bg_start http /dev/null "$NS" "$TERN" http -p 80 "${TN[@]}" --name "$H" --pcap "$OUT/http.pcap" "$WWW"
wait_file_match "$OUT/http.err" '^tern http: serving .* on 0\.0\.0\.0 port 80$' 10 "tern http ready"
wait_link_up "$NS" tap0

for i in 1 2; do
	run_ns -t 30 "$NS" curl --tcp-fastopen -sS -o "$OUT/got$i.bin" "http://$T/page.bin"
	assert_rc 0 "curl --tcp-fastopen #$i"
	cmp "$WWW/page.bin" "$OUT/got$i.bin" || fail "curl #$i's body differs from page.bin"
done

# ---- 3. a bogus cookie with data ------------------------------------------
cat >"$OUT/bogus.py" <<'EOF'
import struct
import sys
from scapy.all import IP, TCP, conf, sr1
conf.verb = 0
dst = sys.argv[1]
syn = (IP(dst=dst) / TCP(sport=41234, dport=80, flags="S", seq=5000,
                         options=[("MSS", 1460), ("TFO", b"\x5a" * 8)]) /
       b"GET /page.bin HTTP/1.1\r\nHost: x\r\n\r\n")
a = sr1(syn, timeout=5)
if a is None or TCP not in a:
    print("no answer")
    sys.exit(1)
t = a[TCP]
def hexof(v):  # scapy gives an 8-byte cookie as two 32-bit words
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, tuple):
        return struct.pack("!%dI" % len(v), *v).hex()
    return "?%r" % (v,)
cookie = [hexof(v) for k, v in t.options if k == "TFO"]
print("flags=%s ack=%d cookie=%s" % (t.flags, t.ack, ",".join(cookie) or "none"))
EOF
# (the kernel resets tern's SYN-ACK: no socket of its own holds the port)
run_ns -t 20 "$NS" /usr/bin/python3 "$OUT/bogus.py" "$T"
assert_rc 0 "scapy's SYN with a bogus cookie ($RUN_OUT)"
BOGUS=$RUN_OUT
sleep 0.5
# tern's counters, by nstat's names: one Fast Open child (the second
# curl), one cookie request (the first), one bad cookie (scapy's).
run -t 8 sh -c "echo nstat | socat -t 5 - UNIX-CONNECT:'$SOCK'"
assert_rc 0 "nstat on $SOCK"
NSTAT=$RUN_OUT
for kv in TcpExtTCPFastOpenPassive=1 TcpExtTCPFastOpenCookieReqd=1 \
	TcpExtTCPFastOpenPassiveFail=1 TcpExtTCPFastOpenListenOverflow=0; do
	got=$(awk -v k="${kv%=*}" '$1 == k { print $2 }' <<<"$NSTAT")
	assert_eq "${kv#*=}" "${got:-0}" "tern's ${kv%=*}"
done

kill -TERM "${_BG_PID[http]}"
bg_wait http 15
assert_eq 0 "$BG_RC" "tern http's exit status on SIGTERM ($(cat "$OUT/http.err"))"
kill -TERM "${_BG_PID[cap]}"
bg_wait cap 10

# ---- the capture --------------------------------------------------------------
SYNF="tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == $K && tcp.dstport == 80 && tcp.srcport != 41234"
mapfile -t syns < <(tshark_fields "$KCAP" "$SYNF" frame.number tcp.stream tcp.seq_raw tcp.len \
	tcp.options.tfo.cookie)
assert_eq 2 "${#syns[@]}" "curls' SYNs in the capture ($(printf '%s; ' "${syns[@]}"))"
read -r f1 s1 q1 l1 ck1 <<<"${syns[0]}"
read -r f2 s2 q2 l2 ck2 <<<"${syns[1]}"
log "SYN 1: frame $f1 len $l1; SYN 2: frame $f2 len $l2 cookie '$ck2'"

# 1. a cookie request, no data; the SYN-ACK's cookie, only the SYN acked.
assert_eq 0 "$l1" "the first SYN's payload"
assert_eq 1 "$(pcap_count "$KCAP" "frame.number == $f1 && tcp.options.tfo.request")" \
	"the first SYN's cookie request"
read -r a1 c1 <<<"$(tshark_fields "$KCAP" "tcp.stream == $s1 && tcp.flags.syn == 1 && tcp.flags.ack == 1" \
	tcp.ack_raw tcp.options.tfo.cookie)"
assert_eq $(((q1 + 1) & 0xffffffff)) "$a1" "the first SYN-ACK's ack (the SYN only)"
[ ${#c1} -eq 16 ] || fail "the first SYN-ACK's cookie is not 8 bytes: '$c1'"

# 2. the cookie and the request on the SYN, acknowledged by the SYN-ACK.
[ "$l2" -gt 0 ] || fail "the second SYN carries no data: ${syns[1]}"
assert_eq "$c1" "$ck2" "the second SYN's cookie (the one tern gave)"
assert_match '^GET /page\.bin HTTP/1\.1' "$(tshark_fields "$KCAP" "frame.number == $f2" tcp.payload |
	tr -d ':' | xxd -r -p | head -1)" "the request on the SYN"
read -r sa2 a2 <<<"$(tshark_fields "$KCAP" "tcp.stream == $s2 && tcp.flags.syn == 1 && tcp.flags.ack == 1" \
	frame.number tcp.ack_raw)"
assert_eq $(((q2 + 1 + l2) & 0xffffffff)) "$a2" "the second SYN-ACK's ack (SYN + $l2 bytes)"
read -r d2 da2 <<<"$(tshark_fields "$KCAP" "tcp.stream == $s2 && ip.src == $T && tcp.len > 0" \
	frame.number tcp.ack_raw | head -1)"
[ -n "$d2" ] || fail "no data from tern on the second connection"
assert_eq "$a2" "$da2" "the ack of tern's first data segment (the request)"
# Between the SYN and tern's first data: Linux's ACK of the SYN-ACK at most.
between=$(tshark_fields "$KCAP" "tcp.stream == $s2 && ip.src == $K && frame.number > $f2 && frame.number < $d2" \
	frame.number tcp.len tcp.flags.str tcp.ack_raw)
while read -r fn len flags ack; do
	[ -z "$fn" ] && continue
	[ "$len" = 0 ] || fail "Linux sent data (frame $fn) before tern's answer (frame $d2)"
done <<<"$between"
[ "$(grep -c . <<<"$between")" -le 1 ] ||
	fail "Linux sent more than its ACK of the SYN-ACK before tern's answer (frame $d2): $between"
log "second connection: SYN frame $f2, SYN-ACK frame $sa2, tern's first data frame $d2"

# 3. the bogus cookie.
assert_eq "flags=SA ack=5001 cookie=$c1" "$BOGUS" "tern's answer to a bogus cookie with data"

check_pcap "$KCAP"
check_pcap "$OUT/http.pcap"
n=$(pcap_count "$KCAP" "tcp.flags.reset == 1 && ip.src == $T")
assert_eq 0 "$n" "RSTs from tern"
pass
