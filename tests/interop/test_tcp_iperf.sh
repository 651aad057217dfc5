# tests/interop/test_tcp_iperf.sh — `tern iperf` against Linux's iperf3
# (3.12) in both directions, over one TAP device.
#
#   namespace NS: tap0, kernel side 10.201.47.1/24  <->  tern 10.201.47.2/24
#
# Asserts, each run bounded (-t 2 or -n 20M) and ending with status 0:
#  1. tern iperf -c against iperf3 -s -1 -J: by time, both of tern's summary
#     lines show what iperf3 received (to iperf3's three figures: tern waits
#     for its data to be acknowledged before it ends the test); -R, tern's
#     sender line is what iperf3 sent and its receiver line trails it by no
#     more than a send buffer;
#     -n 20M each way: iperf3 counted exactly 20971520 bytes; -P 2: [SUM]
#     lines, and iperf3 received what tern reports;
#  2. iperf3 -c -J against tern iperf -s -1: what tern's server reports is
#     what iperf3's results say it received (its line matches the JSON's
#     bytes), trailing what iperf3 sent by no more than a send buffer (the
#     server closes the streams on TEST_END); -P 2: both streams' results
#     reach iperf3 under its ids, and tern's [SUM] line is their sum;
#     -R -n 20M exactly;
#  3. the layout: every line tern prints (client, client -R, server, server
#     for a -R client) has the shape of the line iperf3 prints in the same
#     place in a run between two iperf3s on the namespace's loopback, once
#     numbers, addresses and ports are masked and repeated interval lines
#     folded;
#  4. a refused connection: exit 1 and iperf3's message with tern's name;
#  5. UDP (-u -b 20M -t 2) with either tool as client, each way: tern's
#     summary line shows the bytes and datagrams iperf3's JSON counts, none
#     lost; its lines have iperf3's UDP shapes (in 3.).
# The bitrates measured over the TAP are logged.
TEST_DEADLINE=${TEST_DEADLINE:-240}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools iperf3 sed uniq diff

ns_add tcpiperf
NS=$NS_NAME
tap_add "$NS" tap0 10.201.47.1/24
# tern's send buffer stays at tcp_wmem[1] here (no auto-tuning: [2] = [1]).
# With it auto-tuned to Linux's 4 MiB cap, an ASan build's server, slow to
# see TEST_END while the client drains, once sent 28 MB past the client's
# count; the bound below is about buffers, not about how fast a server is.
TN=(--tap tap0 --addr 10.201.47.2/24 --sysctl "net.ipv4.tcp_wmem=4096 212992 212992")
K=10.201.47.1 T=10.201.47.2
N20=20971520

# fmt BYTES — the amount as iperf3 prints it in its Transfer column ("356 MBytes").
fmt() {
	"$PY" -c '
import sys
v = float(sys.argv[1]); u = 0
units = ["Bytes", "KBytes", "MBytes", "GBytes", "TBytes"]
while v >= 1024.0 and u < 4:
    v /= 1024.0; u += 1
f = "%4.2f" if v < 9.995 else "%4.1f" if v < 99.95 else "%4.0f"
print((f % v).strip() + " " + units[u])' "$1"
}
# jget FILE EXPR — a value from iperf3's -J output (j is the document).
jget() {
	"$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# transfer TEXT WHICH — the Transfer column of the last "[  5] ... WHICH" line.
transfer() {
	grep -E "^\[ *[0-9]+\] .* $2\$" <<<"$1" | tail -1 |
		sed -E 's/^.* sec +([0-9.]+ [KMGT]?Bytes) .*/\1/'
}
# short_by WHAT RECEIVED SENT [SLACK] — the receiver's count trails the
# sender's by at most what the sender's buffer held when the test ended: the
# sending side counts what its socket took, the server closes the streams on
# TEST_END (iperf3's behaviour; Linux's send buffer grows to tcp_wmem's
# 4 MiB, tern's stays at 208 KiB, TN below), so at most 5 MiB (plus SLACK bytes for a count
# read from a rounded line), and never more than was sent (plus SLACK).
short_by() {
	local d=$(($3 - $2)) slack=${4:-0}
	[ "$d" -ge $((-slack)) ] && [ "$d" -le $((5 * 1048576 + slack)) ] ||
		fail "$1: received $2 bytes of the $3 sent"
}
# to_bytes "356 MBytes"
to_bytes() {
	"$PY" -c '
import sys
n, u = sys.argv[1].split()
print(int(float(n) * {"Bytes": 1, "KBytes": 1024, "MBytes": 1024**2, "GBytes": 1024**3}[u]))' "$1"
}
# mask FILE — iperf3's lines with their numbers, addresses and ports masked,
# consecutive repeats folded.
mask() {
	sed -E -e 's/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/ADDR/g' -e 's/port [0-9]+/port P/g' \
		-e 's/^\[ *[0-9]+\]/[ N]/' -e 's/test #[0-9]+/test #N/' \
		-e 's/ [ 0-9]{3}\.[0-9]{2}-[0-9. ]{6} sec/ I sec/' \
		-e 's/[ 0-9.]{4} [KMGT]?Bytes/N Bytes/g' -e 's/[ 0-9.]{4} [KMGT]?bits\/sec/N bits\/sec/g' \
		-e 's/bits\/sec  [0-9]+  $/bits\/sec  D  /' \
		-e 's/[ 0-9]{2}[0-9]\.[0-9]{3} ms  [0-9]+\/[0-9]+ \([0-9.e+-]+%\)/J ms  L\/T (P%)/' \
		-e 's/bits\/sec  [ 0-9]{2}[0-9] /bits\/sec  R /' "$1" | uniq
}
# same_layout WHAT REFERENCE TERN [SED] — the masked texts (SED applied to
# both, if given) are the same.
same_layout() {
	mask "$2" | sed -E -e "${4:-}" >"$2.masked"
	mask "$3" | sed -E -e "${4:-}" >"$3.masked"
	diff -u "$2.masked" "$3.masked" >"$OUT/layout.diff" ||
		fail "$1: tern's lines differ in shape from iperf3's:
$(cat "$OUT/layout.diff")"
}

# iperf3 as server in the background: one test, JSON to its .out file.
linux_server() {
	bg_start "$1" /dev/null "$NS" iperf3 -s -1 -J -B "$K"
	wait_tcp_listen "$NS" 5201
}
# tern iperf -c ARGS against it; RUN_OUT is tern's output.
tern_client() {
	local name=$1
	shift
	linux_server "$name-srv"
	run_ns -t 30 "$NS" "$TERN" iperf -c "$K" "$@" "${TN[@]}"
	echo "$RUN_OUT" >"$OUT/$name.txt"
	assert_rc 0 "tern iperf -c $*"
	bg_wait "$name-srv" 15
	assert_eq 0 "$BG_RC" "iperf3 -s -1 for tern iperf -c $* ($(cat "$OUT/$name-srv.err"))"
}
# iperf3 -c ARGS -J against tern iperf -s -1; TERN_SRV is tern's output.
tern_server() {
	local name=$1
	shift
	bg_start "$name-srv" /dev/null "$NS" "$TERN" iperf -s -1 "${TN[@]}"
	wait_file_match "$OUT/$name-srv.out" '^Server listening on 5201' 10 "tern iperf -s ready"
	wait_link_up "$NS" tap0
	run_ns -t 30 "$NS" iperf3 -c "$T" -J "$@"
	echo "$RUN_OUT" >"$OUT/$name.json"
	assert_rc 0 "iperf3 -c $T $*"
	bg_wait "$name-srv" 15
	assert_eq 0 "$BG_RC" "tern iperf -s -1 for iperf3 -c $* ($(cat "$OUT/$name-srv.err"))"
	TERN_SRV=$(cat "$OUT/$name-srv.out")
}

# ---- 1. tern iperf -c, iperf3 -s ---------------------------------------------
log "tern iperf -c -t 2"
tern_client c-time -t 2
got=$(jget "$OUT/c-time-srv.out" "j['end']['sum_received']['bytes']")
assert_eq "$(fmt "$got")" "$(transfer "$RUN_OUT" receiver)" "tern's receiver line (iperf3 got $got bytes)"
assert_eq "$(fmt "$got")" "$(transfer "$RUN_OUT" sender)" "tern's sender line (iperf3 got $got bytes)"
RATE_TO_LINUX=$(jget "$OUT/c-time-srv.out" "'%.0f' % (j['end']['sum_received']['bits_per_second'] / 1e6)")
log "tern -> Linux: $RATE_TO_LINUX Mbit/s"

log "tern iperf -c -t 2 -R"
tern_client c-rev -t 2 -R
sent=$(jget "$OUT/c-rev-srv.out" "j['end']['sum_sent']['bytes']")
assert_eq "$(fmt "$sent")" "$(transfer "$RUN_OUT" sender)" "tern's sender line for -R (iperf3 sent $sent bytes)"
# tern's receiver line is rounded to three figures: allow for that too
got=$(to_bytes "$(transfer "$RUN_OUT" receiver)")
short_by "-R, tern received (as printed)" "$got" "$sent" $((sent / 200))
RATE_FROM_LINUX=$(jget "$OUT/c-rev-srv.out" "'%.0f' % (j['end']['sum_sent']['bits_per_second'] / 1e6)")
log "Linux -> tern (tern client -R): $RATE_FROM_LINUX Mbit/s"

log "tern iperf -c -n 20M, and -R"
tern_client c-n -n 20M
assert_eq "$N20" "$(jget "$OUT/c-n-srv.out" "j['end']['sum_received']['bytes']")" "iperf3 received, -n 20M"
assert_eq "20.0 MBytes:20.0 MBytes" "$(transfer "$RUN_OUT" sender):$(transfer "$RUN_OUT" receiver)" \
	"tern's lines for -n 20M"
tern_client c-nrev -n 20M -R
assert_eq "$N20" "$(jget "$OUT/c-nrev-srv.out" "j['end']['sum_sent']['bytes']")" "iperf3 sent, -n 20M -R"
assert_eq "20.0 MBytes:20.0 MBytes" "$(transfer "$RUN_OUT" sender):$(transfer "$RUN_OUT" receiver)" \
	"tern's lines for -n 20M -R"

log "tern iperf -c -t 2 -P 2"
tern_client c-par -t 2 -P 2
assert_count 2 '^\[SUM\] .* sec .*(sender|receiver)$' "$RUN_OUT" "[SUM] summary lines"
assert_ge 2 "$(grep -cE '^\[SUM\]   [0-9]' <<<"$RUN_OUT")" "[SUM] interval lines"
got=$(jget "$OUT/c-par-srv.out" "j['end']['sum_received']['bytes']")
sumrecv=$(grep -E '^\[SUM\] .* receiver$' <<<"$RUN_OUT" | sed -E 's/^.* sec +([0-9.]+ [KMGT]?Bytes) .*/\1/')
assert_eq "$(fmt "$got")" "$sumrecv" "tern's [SUM] receiver line, -P 2"

# ---- 2. iperf3 -c, tern iperf -s ---------------------------------------------
log "iperf3 -c -t 2 against tern iperf -s"
tern_server s-time -t 2
sent=$(jget "$OUT/s-time.json" "j['end']['sum_sent']['bytes']")
got=$(jget "$OUT/s-time.json" "j['end']['sum_received']['bytes']")
assert_eq "$(fmt "$got")" "$(transfer "$TERN_SRV" receiver)" "tern server's receiver line ($got bytes)"
short_by "tern's server" "$got" "$sent"
RATE_LINUX_TO_TERN=$(jget "$OUT/s-time.json" "'%.0f' % (j['end']['sum_received']['bits_per_second'] / 1e6)")
log "Linux -> tern (iperf3 client): $RATE_LINUX_TO_TERN Mbit/s"
cp "$OUT/s-time-srv.out" "$OUT/tern-server.txt"

log "iperf3 -c -t 2 -R against tern iperf -s"
tern_server s-rev -t 2 -R
sent=$(jget "$OUT/s-rev.json" "j['end']['sum_sent']['bytes']")
got=$(jget "$OUT/s-rev.json" "j['end']['sum_received']['bytes']")
assert_eq "$(fmt "$sent")" "$(transfer "$TERN_SRV" sender)" "tern server's sender line ($sent bytes)"
short_by "iperf3 -R from tern's server" "$got" "$sent"
RATE_TERN_TO_LINUX=$(jget "$OUT/s-rev.json" "'%.0f' % (j['end']['sum_received']['bits_per_second'] / 1e6)")
log "tern -> Linux (tern server, iperf3 -R): $RATE_TERN_TO_LINUX Mbit/s"
cp "$OUT/s-rev-srv.out" "$OUT/tern-server-rev.txt"

log "iperf3 -c -t 2 -P 2 against tern iperf -s"
tern_server s-par -t 2 -P 2
# iperf3 matches results to its streams by id (1, 3): each stream's
# receiver bytes are tern's, and tern's [SUM] line is their sum
got=$(jget "$OUT/s-par.json" "j['end']['sum_received']['bytes']")
assert_eq 2 "$(jget "$OUT/s-par.json" "len([s for s in j['end']['streams'] if s['receiver']['bytes'] > 0])")" \
	"streams with receiver bytes from tern's results"
sumrecv=$(grep -E '^\[SUM\] .* receiver$' <<<"$TERN_SRV" | sed -E 's/^.* sec +([0-9.]+ [KMGT]?Bytes) .*/\1/')
assert_eq "$(fmt "$got")" "$sumrecv" "tern server's [SUM] receiver line, -P 2"
assert_count 2 '^\[ *[0-9]+\] .* receiver$' "$TERN_SRV" "tern server's per-stream receiver lines"

log "iperf3 -c -n 20M -R against tern iperf -s"
tern_server s-nrev -n 20M -R
assert_eq "$N20:$N20" "$(jget "$OUT/s-nrev.json" "j['end']['sum_sent']['bytes']"):$(jget "$OUT/s-nrev.json" "j['end']['sum_received']['bytes']")" \
	"bytes sent and received, -n 20M -R"

# ---- UDP (-u -b 20M), both tools as client, both directions --------------------
# udp_check WHAT SUM TEXT ROLE FILE — tern's ROLE line shows the bytes and
# datagrams of iperf3's JSON end.SUM (its own count, or the one tern's
# results gave it); nothing lost on the TAP.
udp_check() {
	local bytes pk line
	bytes=$(jget "$5" "j['end']['$2']['bytes']")
	pk=$(jget "$5" "j['end']['$2']['packets']")
	line=$(grep -E "^\[ *[0-9]+\] .* $4\$" <<<"$3" | tail -1)
	assert_match " $(fmt "$bytes" | sed 's/\./\\./')  .* ms  0/$pk \(0%\)  $4\$" "$line" "$1"
}
log "tern iperf -c -u -t 2 -b 20M, and -R"
tern_client c-udp -u -t 2 -b 20M
udp_check "tern's receiver line, UDP (iperf3 received)" sum_received "$RUN_OUT" receiver \
	"$OUT/c-udp-srv.out"
cp "$OUT/c-udp.txt" "$OUT/c-udp-client.txt"
tern_client c-udprev -u -t 2 -b 20M -R
udp_check "tern's sender line, UDP -R (iperf3 sent)" sum_sent "$RUN_OUT" sender \
	"$OUT/c-udprev-srv.out"
log "iperf3 -c -u -t 2 -b 20M against tern iperf -s, and -R"
tern_server s-udp -u -t 2 -b 20M
udp_check "tern server's receiver line, UDP (its results)" sum_received "$TERN_SRV" receiver \
	"$OUT/s-udp.json"
cp "$OUT/s-udp-srv.out" "$OUT/tern-server-udp.txt"
tern_server s-udprev -u -t 2 -b 20M -R
udp_check "tern server's sender line, UDP -R (its results)" sum_sent "$TERN_SRV" sender \
	"$OUT/s-udprev.json"
assert_eq 0 "$(jget "$OUT/s-udprev.json" "j['end']['sum_received']['lost_packets']")" \
	"datagrams iperf3 lost from tern's server"

# ---- 3. the layout, against two iperf3s on loopback ----------------------------
for mode in plain rev udp; do
	extra=()
	[ "$mode" = rev ] && extra=(-R)
	[ "$mode" = udp ] && extra=(-u -b 20M)
	log "iperf3 against iperf3 on loopback ${extra[*]}"
	bg_start "ref-$mode-srv" /dev/null "$NS" iperf3 -s -1 -B 127.0.0.1
	wait_tcp_listen "$NS" 5201
	run_ns -t 30 "$NS" iperf3 -c 127.0.0.1 -t 2 "${extra[@]}"
	assert_rc 0 "iperf3 -c 127.0.0.1 ${extra[*]}"
	echo "$RUN_OUT" >"$OUT/ref-$mode-client.txt"
	bg_wait "ref-$mode-srv" 15
	assert_eq 0 "$BG_RC" "iperf3 -s -1 on loopback"
done
same_layout "client" "$OUT/ref-plain-client.txt" "$OUT/c-time.txt"
# A receiving iperf3 client heads its interval lines "Retr  Cwnd" in some
# runs and not in others (both seen with 3.12 on one machine); tern always does.
same_layout "client -R" "$OUT/ref-rev-client.txt" "$OUT/c-rev.txt" \
	's/^(\[ ID\] Interval +Transfer +Bitrate)( +Retr +Cwnd)?$/\1 HEADER/'
same_layout "server" "$OUT/ref-plain-srv.out" "$OUT/tern-server.txt"
same_layout "server, -R client" "$OUT/ref-rev-srv.out" "$OUT/tern-server-rev.txt"
same_layout "client, UDP" "$OUT/ref-udp-client.txt" "$OUT/c-udp-client.txt"
same_layout "server, UDP" "$OUT/ref-udp-srv.out" "$OUT/tern-server-udp.txt"

# ---- 4. refused ---------------------------------------------------------------
log "refused: tern iperf -c to a closed port, and iperf3 -c"
run_ns -t 30 "$NS" "$TERN" iperf -c "$K" -p 5999 "${TN[@]}"
assert_rc 1 "tern iperf -c to a closed port"
assert_eq "tern iperf: error - unable to connect to server: Connection refused" "$RUN_OUT" \
	"tern iperf's message"
run_ns -t 30 "$NS" iperf3 -c 127.0.0.1 -p 5999
assert_rc 1 "iperf3 -c to a closed port"
assert_eq "iperf3: error - unable to connect to server: Connection refused" "$RUN_OUT" \
	"iperf3's message (what tern's follows)"

log "bitrates over the TAP: tern->Linux ${RATE_TO_LINUX} Mbit/s (tern client), ${RATE_TERN_TO_LINUX} Mbit/s (tern server);" \
	"Linux->tern ${RATE_LINUX_TO_TERN} Mbit/s (iperf3 client), ${RATE_FROM_LINUX} Mbit/s (tern client -R)"
pass
