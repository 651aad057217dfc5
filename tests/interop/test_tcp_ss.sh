# tests/interop/test_tcp_ss.sh — `tern ss -t` beside Linux ss on the same
# scenario: a listener on port 5201 and one connection to it from port
# 40001, each side having echoed "hi".
#
#   namespace REF: Linux to Linux over loopback: 10.201.27.1:40001 ->
#                  10.201.27.2:5201 (python3 listener, backlog 128)
#   namespace NS:  tap0, kernel side 10.201.26.1/24 <-> tern host
#                  10.201.26.2/24 --tcp-echo 5201 (backlog 128); a Linux
#                  client from 10.201.26.1:40001
#   (the addresses have the same length, so the columns do too; the
#   comparison masks the third byte)
#
# Asserts:
#  1. for -t with -a, -l, -n, -H, service names, state and port filters
#     (state established, ( sport = :5201 or dport = :40001 ), exclude
#     listening), the server side's table is byte for byte Linux's: the
#     same header, columns, widths, row order (LISTEN first) and trailing
#     spaces;
#  2. -e and -p rows carry the same words as Linux's once the values only
#     Linux has are masked (ino, sk, cgroup, the process's name and ids);
#  3. -i: the tcp_info line's fields are a subsequence of Linux's, in
#     Linux's order, and include the ones tern fills (rto, rtt, mss, cwnd,
#     bytes_*, segs_*, send, last*, rcv_space, snd_wnd); -m's skmem has
#     Linux's nine fields;
#  4. -s has Linux's lines; -x is refused (exit 1); a bad state name and a
#     bad port are refused with ss's messages;
#  5. every tern program is listed: with a tern nc listening on port 6000
#     as well, tern ss without --host shows both listeners, -p naming
#     "tcp-echo" and "nc".
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools ss

export TERN_RUN_DIR=$OUT/run # only this test's programs
mkdir -p "$TERN_RUN_DIR"
ns_add tcpss
NS=$NS_NAME
tap_add "$NS" tap0 10.201.26.1/24
ns_add tcpssref
REF=$NS_NAME
ip -n "$REF" addr add 10.201.27.1/32 dev lo || fail "address on lo"
ip -n "$REF" addr add 10.201.27.2/32 dev lo || fail "address on lo"

H=tcpss-$RUN_ID
host_start "$H" "$NS" --tap tap0 --addr 10.201.26.2/24 --tcp-echo 5201

cat >"$OUT/server.py" <<'PYEOF'
import socket, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 5201))
l.listen(128)
c, _ = l.accept()
c.sendall(c.recv(100))
time.sleep(60)
PYEOF
cat >"$OUT/client.py" <<'PYEOF'
import socket, sys, time
s = socket.socket()
s.bind((sys.argv[1], 40001))
s.connect((sys.argv[2], 5201))
s.sendall(b"hi")
assert s.recv(100) == b"hi"
print("echoed", flush=True)
time.sleep(60)
PYEOF
bg_start server /dev/null "$REF" "$PY" "$OUT/server.py"
_wait_ss "$REF" tl 5201 "listening"
bg_start refclient /dev/null "$REF" "$PY" "$OUT/client.py" 10.201.27.1 10.201.27.2
bg_start client /dev/null "$NS" "$PY" "$OUT/client.py" 10.201.26.1 10.201.26.2
wait_file_match "$OUT/refclient.out" '^echoed$' 10 "Linux client echoed"
wait_file_match "$OUT/client.out" '^echoed$' 10 "client of tern echoed"
sleep 1 # every ACK in, the delayed ones too

mask() { sed -E 's/10\.201\.2[67]\./10.201.X./g'; }
# linux_ss OPTS... / tern_ss OPTS... — the outputs, masked.
linux_ss() { timeout 10 ip netns exec "$REF" ss "$@" 2>>"$OUT/ss.err" | mask; }
tern_ss() {
	run "$TERN" ss "$@"
	[ "$RUN_RC" = 0 ] || fail "tern ss $* exited $RUN_RC: $RUN_OUT"
	mask <<<"$RUN_OUT"
}

# ---- 1. the table, byte for byte ----------------------------------------------------
# The server side only (port 5201 ours): Linux's loopback also has the client's.
compare() {
	local mine theirs
	mine=$(tern_ss "$@")
	theirs=$(linux_ss "$@")
	[ "$mine" = "$theirs" ] || fail "tern ss $* differs from Linux ss $*:
--- tern ss
$(cat -A <<<"$mine")
--- ss
$(cat -A <<<"$theirs")"
	log "tern ss $*: same bytes as ss"
}
compare -t -a -n sport = :5201
compare -t -l -n
compare -t -n sport = :5201
compare -t -a -n -H sport = :5201
compare -t -a sport = :5201
compare -t -n state established sport = :5201
compare -t -a -n "( sport = :5201 or dport = :40001 )"
compare -t -n exclude listening sport = :5201
compare -t -a -n state listening
compare -ta -n sport == :5201 and dport = :40001
mine=$(tern_ss -t -a -n sport = :5201)
assert_match '^LISTEN +0 +128 +0\.0\.0\.0:5201 +0\.0\.0\.0:\* *$' "$(sed -n 2p <<<"$mine")" "LISTEN row first"
assert_match '^ESTAB +0 +0 +10\.201\.X\.2:5201 +10\.201\.X\.1:40001 *$' "$(sed -n 3p <<<"$mine")" "then ESTAB"
# Without --host: every program in the run directory (only $H here).
assert_eq "$mine" "$(TERN_RUN_DIR=$TERN_RUN_DIR "$TERN" ss -t -a -n sport = :5201 | mask)" "tern ss without --host"

# ---- 2. -e and -p: the same words, values masked ---------------------------------------
for opts in "-t -a -n -e" "-t -a -n -p" "-t -a -n -e -p"; do
	# shellcheck disable=SC2086
	mine=$(tern_ss $opts sport = :5201 | ss_words)
	# shellcheck disable=SC2086
	theirs=$(linux_ss $opts sport = :5201 | ss_words)
	ss_same_words "tern ss $opts" "$mine" "$theirs"
done
mine=$(tern_ss -t -a -n -e sport = :5201)
assert_match ' ino:0 sk:[0-9a-f]+ <->$' "$(sed -n 3p <<<"$mine")" "-e on the connection"

# ---- 3. -i and -m ------------------------------------------------------------------------
# keys LINE — the field names of a tcp_info line, without the congestion
# control's name (tern: cubic, as this kernel's default, but either may differ).
keys() {
	tr ' ' '\n' | sed -E 's/:.*//' | grep -vE '^(|bbr|cubic|reno|[0-9.]+[KMG]?bps)$'
}
info_line() { grep -A1 -E ':5201 +10\.201\.X\.1:40001' | sed -n 2p; }
mine=$(tern_ss -t -n -i sport = :5201 | info_line)
theirs=$(linux_ss -t -n -i sport = :5201 | info_line)
log "tern: $mine"
log "ss:   $theirs"
keys <<<"$mine" >"$OUT/keys.tern"
keys <<<"$theirs" >"$OUT/keys.linux"
"$PY" - "$OUT/keys.tern" "$OUT/keys.linux" <<'PYEOF' || fail "tern's tcp_info fields are not in Linux's order (keys.tern, keys.linux in $OUT)"
import sys
mine = open(sys.argv[1]).read().split()
theirs = open(sys.argv[2]).read().split()
it = iter(theirs)
missing = [k for k in mine if k not in it]
sys.exit(1 if missing else 0)
PYEOF
for k in wscale rto rtt ato mss pmtu rcvmss advmss cwnd bytes_sent bytes_acked \
	bytes_received segs_out segs_in data_segs_out data_segs_in send lastsnd lastrcv lastack pacing_rate \
	rcv_space rcv_ssthresh minrtt snd_wnd; do
	grep -qx "$k" "$OUT/keys.tern" || fail "tern ss -i has no $k: $mine"
done
assert_match '^	 cubic wscale:[0-9]+,[0-9]+ rto:[0-9.]+ rtt:[0-9.]+/[0-9.]+ ato:40 mss:1448 pmtu:1500 ' "$mine" "-i line's start"
# with -o (or -e), the options first, as ss
mine=$(tern_ss -t -n -i -o sport = :5201 | info_line)
assert_match '^	 ts sack cubic wscale:' "$mine" "-i -o line's start"
mine=$(tern_ss -t -n -m sport = :5201 | info_line)
theirs=$(linux_ss -t -n -m sport = :5201 | info_line)
re='^	 skmem:\(r[0-9]+,rb[0-9]+,t[0-9]+,tb[0-9]+,f[0-9]+,w[0-9]+,o[0-9]+,bl[0-9]+,d[0-9]+\) *$'
assert_match "$re" "$theirs" "Linux's skmem"
assert_match "$re" "$mine" "tern's skmem"

# ---- 4. -s, -x and mistakes --------------------------------------------------------------
shape() { sed -E 's/[0-9]+/N/g' | tr -s ' \t' ' '; }
assert_eq "$(linux_ss -s | shape)" "$(tern_ss -s | shape)" "ss -s lines"
run "$TERN" ss -x
assert_rc 1 "tern ss -x"
assert_match 'no socket tables to show with such filter' "$RUN_OUT" "tern ss -x message"
run "$TERN" ss -t state bogus
assert_rc 1 "tern ss -t state bogus"
assert_match '^tern ss: wrong state name: bogus$' "$RUN_OUT" "bad state name"
run "$TERN" ss -t sport = :bogusx
assert_rc 1 "tern ss -t sport = :bogusx"
assert_match '^tern ss: Error: "bogusx" does not look like a port\.$' "$RUN_OUT" "bad port"

# ---- 5. every tern program ---------------------------------------------------------------
ip netns exec "$NS" ip tuntap add dev tap1 mode tap || fail "tuntap add tap1"
ip -n "$NS" addr add 10.201.28.1/24 dev tap1 || fail "addr on tap1"
ip -n "$NS" link set tap1 up || fail "tap1 up"
bg_start tnc /dev/null "$NS" "$TERN" nc -l -p 6000 --tap tap1 --addr 10.201.28.2/24
for ((i = 0; i < 50; i++)); do
	ls "$TERN_RUN_DIR"/nc-*.sock >/dev/null 2>&1 && break
	sleep 0.1
done
run "$TERN" ss -t -l -n -p
assert_rc 0 "tern ss -t -l -n -p (every program)"
assert_match '0\.0\.0\.0:5201 .*users:\(\("tcp-echo",pid=[0-9]+,fd=[0-9]+\)\)' "$RUN_OUT" "tern host's listener"
assert_match '0\.0\.0\.0:6000 .*users:\(\("nc",pid=[0-9]+,fd=[0-9]+\)\)' "$RUN_OUT" "tern nc's listener"
assert_count 1 '^State ' "$RUN_OUT" "one header for both programs"
kill -TERM "${_BG_PID[tnc]}"
bg_wait tnc 5
host_stop "$H"
pass
