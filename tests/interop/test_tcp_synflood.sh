# tests/interop/test_tcp_synflood.sh — a SYN flood (hping3, bounded in count
# and time) against a tern listener while a legitimate Linux client keeps
# connecting: the half-open budget fills, SYN cookies take over, and every
# legitimate connection is made and echoed.
#
#   namespace NS: tap0, kernel side 10.201.31.1/24 <-> tern host 10.201.31.2
#                 --tcp-echo 7 (tcp_max_syn_backlog 256, syncookies 1)
#
# Asserts:
#  1. during 20,000 SYNs from random sources (about 5,000 a second), 20
#     connections of Linux `nc -N` each get their line back (100%);
#  2. after the flood, 10 more do;
#  3. tern's counters: tcp.syncookies_sent > 0, tcp.syncookies_recv counts
#     the legitimate handshakes that came while cookies were on, no SYN
#     refused for lack of room (tcp.syn_queue_full stays 0);
#  4. no packet buffer stays in use: pool in_use back to its resting value.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
require_tools hping3 nc socat
: "${TEST_DEADLINE:=120}"

ns_add synflood
NS=$NS_NAME
tap_add "$NS" tap0 10.201.31.1/24
H=synflood-$RUN_ID
host_start "$H" "$NS" --tap tap0 --addr 10.201.31.2/24 --tcp-echo 7
wait_link_up "$NS" tap0
SOCK=$(ls /run/tern/"$H".sock 2>/dev/null || echo "${TERN_RUN_DIR:-/run/tern}/$H.sock")
ctl() { timeout 8 sh -c "echo '$1' | socat -t 5 - UNIX-CONNECT:'$SOCK'"; }
in_use() { ctl mem | awk '/^pool:/ { for (i = 1; i < NF; i++) if ($i == "in_use") print $(i + 1) }'; }
counter() { ctl 'stats -a' | awk -v g="$1:" -v k="$2" '/^[a-z]+:$/ { c = $1; next } c == g && $1 == k { print $2 }'; }

# one legitimate exchange: a line out, the same line back
echo_once() {
	local got
	got=$(ip netns exec "$NS" timeout 10 sh -c "echo 'hello $1' | nc -N -w 5 10.201.31.2 7")
	[ "$got" = "hello $1" ]
}

ok=0
for i in 1 2 3; do echo_once "warm$i" && ok=$((ok + 1)); done
assert_eq 3 "$ok" "echoes before the flood"
rest=$(in_use)
[ -n "$rest" ] || fail "no 'mem' answer from tern host's control socket $SOCK"

log "hping3: 20000 SYNs to port 7 from random sources"
ip netns exec "$NS" timeout 30 hping3 -q -S -p 7 -i u200 -c 20000 --rand-source 10.201.31.2 \
	>"$OUT/hping3.out" 2>&1 &
flood=$!
sleep 1
ok=0
for i in $(seq 1 20); do
	echo_once "during$i" && ok=$((ok + 1))
	sleep 0.1
done
wait "$flood"
assert_eq 20 "$ok" "echoes during the flood"
ok=0
for i in $(seq 1 10); do echo_once "after$i" && ok=$((ok + 1)); done
assert_eq 10 "$ok" "echoes after the flood"

sent=$(counter tcp syncookies_sent)
log "tern: $(ctl 'stats' | tr '\n' ' ' | tr -s ' ' | head -c 1500)"
assert_ge 1 "${sent:-0}" "tcp.syncookies_sent"
assert_ge 1 "$(counter tcp syncookies_recv)" "tcp.syncookies_recv (legitimate handshakes by cookie)"
assert_eq 0 "$(counter tcp syn_queue_full)" "tcp.syn_queue_full (SYNs refused for lack of room)"
assert_eq "$rest" "$(in_use)" "packet buffers in use, back at rest"
# the same counter by Linux's nstat name
assert_eq "$sent" "$(ctl nstat | awk '$1 == "TcpExtSyncookiesSent" { print $2 }')" \
	"TcpExtSyncookiesSent (nstat's name) against tcp.syncookies_sent"
host_stop "$H"
pass
