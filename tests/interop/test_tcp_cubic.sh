# tests/interop/test_tcp_cubic.sh — CUBIC (tern's default) against Linux's
# CUBIC with iperf3 (3.12), both ways, over a rate-limited TAP, and pacing.
#
#   namespace NS: tap0, kernel side 10.201.53.1/24  <->  tern 10.201.53.2/24
#
# tern's fault injector makes the path: 20 Mbit/s (--rate) and 10 ms each
# way (--delay), both directions, so the bottleneck queue is tern's.
# Asserts (each transfer -n 8M or -t 3, each bounded):
#  1. tern iperf -c -C cubic -n 8M to iperf3 -s -1 -J: iperf3 received
#     exactly 8 MiB (its JSON: its end ran cubic); -R: iperf3 sent with
#     cubic (-C reached it in tern's parameters), tern received exactly 8 MiB;
#  2. iperf3 -c -C cubic -n 8M against tern iperf -s -1: iperf3 sent exactly
#     8 MiB, tern's server line is what iperf3's results say arrived before
#     TEST_END (iperf3 does not wait), and tern's results name cubic; -R:
#     iperf3 received exactly 8 MiB sent by tern's cubic;
#  3. while tern sends (-C cubic), `tern ss -t -i` shows cubic and a
#     pacing_rate, and Linux's `ss -ti` shows cubic for the data connection;
#  4. the same each way through 1% loss (tern's fault injector, both
#     directions): exact counts, and tern's sender retransmitted;
#  5. pacing against Linux: tern iperf -c --fq-rate 8M -t 3 (SO_MAX_PACING_RATE
#     on tern's data connection): iperf3 receives between 5 and 8.4 Mbit/s,
#     where unpaced it gets most of the 20.
# Goodputs are logged (they are not the assertion: the machine is shared).
TEST_DEADLINE=${TEST_DEADLINE:-240}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools iperf3 ss

ns_add tcpcubic
NS=$NS_NAME
tap_add "$NS" tap0 10.201.53.1/24
TN=(--tap tap0 --addr 10.201.53.2/24 --rate 20000000 --delay 10)
K=10.201.53.1 T=10.201.53.2
N8=8388608
export TERN_RUN_DIR=$OUT/run # only this test's programs
mkdir -p "$TERN_RUN_DIR"

# jget FILE EXPR — a value from iperf3's -J output (j is the document).
jget() {
	"$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
mbps() { jget "$1" "'%.2f' % (j['end']['${2:-sum_received}']['bits_per_second'] / 1e6)"; }
# fmt BYTES — the amount as iperf3 prints it in its Transfer column ("7.58 MBytes").
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

linux_server() {
	bg_start "$1" /dev/null "$NS" iperf3 -s -1 -J -B "$K"
	wait_tcp_listen "$NS" 5201
}
# tern iperf -c ARGS against iperf3 -s -1 -J; RUN_OUT is tern's output.
tern_client() {
	local name=$1
	shift
	linux_server "$name-srv"
	run_ns -t 40 "$NS" "$TERN" iperf -c "$K" "$@" "${TN[@]}"
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
	run_ns -t 40 "$NS" iperf3 -c "$T" -J "$@"
	echo "$RUN_OUT" >"$OUT/$name.json"
	assert_rc 0 "iperf3 -c $T $*"
	bg_wait "$name-srv" 15
	assert_eq 0 "$BG_RC" "tern iperf -s -1 for iperf3 -c $* ($(cat "$OUT/$name-srv.err"))"
	TERN_SRV=$(cat "$OUT/$name-srv.out")
}
# last_transfer TEXT WHICH — the Transfer column of the last "... WHICH" line.
last_transfer() {
	grep -E "^\[ *[0-9]+\] .* $2\$" <<<"$1" | tail -1 | sed -E 's/^.* sec +([0-9.]+ [KMGT]?Bytes) .*/\1/'
}

# ---- 1. tern iperf -c -C cubic, iperf3 -s ----------------------------------
log "tern iperf -c -C cubic -n 8M (tern sends)"
tern_client c-send -C cubic -n 8M
J=$OUT/c-send-srv.out
assert_eq "$N8" "$(jget "$J" "j['end']['sum_received']['bytes']")" "iperf3 received, tern -C cubic -n 8M"
# (iperf3 3.12's server reports only its own end's: tern's is checked in 3.)
assert_eq cubic "$(jget "$J" "j['end']['receiver_tcp_congestion']")" "iperf3's receiving end runs cubic"
log "tern (cubic) -> Linux over 20 Mbit/s, 20 ms: $(mbps "$J") Mbit/s"

log "tern iperf -c -C cubic -n 8M -R (Linux sends)"
tern_client c-recv -C cubic -n 8M -R
J=$OUT/c-recv-srv.out
assert_eq "$N8" "$(jget "$J" "j['end']['sum_sent']['bytes']")" "iperf3 sent, -R -n 8M"
assert_eq cubic "$(jget "$J" "j['end']['sender_tcp_congestion']")" "iperf3's sender took -C cubic from tern's parameters"
assert_eq "8.00 MBytes" "$(last_transfer "$RUN_OUT" receiver)" "tern's receiver line, -R -n 8M"
log "Linux (cubic) -> tern over 20 Mbit/s, 20 ms: $(mbps "$J" sum_sent) Mbit/s"

# ---- 2. iperf3 -c -C cubic, tern iperf -s ----------------------------------
log "iperf3 -c -C cubic -n 8M against tern iperf -s (Linux sends)"
tern_server s-recv -C cubic -n 8M
J=$OUT/s-recv.json
assert_eq "$N8" "$(jget "$J" "j['end']['sum_sent']['bytes']")" "iperf3 sent -n 8M"
# iperf3 does not wait for its data to arrive: tern's server counts what
# came before TEST_END, and that is what iperf3's results show it received
got=$(jget "$J" "j['end']['sum_received']['bytes']")
assert_eq "$(fmt "$got")" "$(last_transfer "$TERN_SRV" receiver)" "tern server's receiver line ($got bytes)"
assert_ge $((N8 / 2)) "$got" "bytes tern's server received before TEST_END"
assert_eq cubic "$(jget "$J" "j['end']['receiver_tcp_congestion']")" "tern's receiving end ran cubic (its results)"
log "Linux (cubic) -> tern server: $(mbps "$J") Mbit/s"

log "iperf3 -c -C cubic -n 8M -R against tern iperf -s (tern sends)"
tern_server s-send -C cubic -n 8M -R
J=$OUT/s-send.json
assert_eq "$N8" "$(jget "$J" "j['end']['sum_received']['bytes']")" "iperf3 received -R -n 8M"
assert_eq cubic "$(jget "$J" "j['end']['sender_tcp_congestion']")" "tern's server sent with cubic (its results)"
assert_eq cubic "$(jget "$J" "j['end']['receiver_tcp_congestion']")" "iperf3's receiving end ran cubic"
log "tern server (cubic) -> Linux: $(mbps "$J") Mbit/s"

# ---- 3. what ss shows while tern sends -------------------------------------
log "tern ss -t -i and Linux ss -ti during a transfer"
linux_server ss-srv
bg_start ss-cli /dev/null "$NS" "$TERN" iperf -c "$K" -C cubic -t 3 --name cubic1 "${TN[@]}"
wait_file_match "$OUT/ss-cli.out" 'sec .*Bytes' 10 "tern iperf's first interval"
run "$TERN" ss -t -i -n --host cubic1 dport = :5201
mine=$RUN_OUT
assert_rc 0 "tern ss -t -i"
theirs=$(ip netns exec "$NS" ss -t -i -n sport = :5201 2>&1)
echo "$mine" >"$OUT/ss-tern.txt"
echo "$theirs" >"$OUT/ss-linux.txt"
assert_match ' cubic wscale:' "$mine" "tern ss -i names cubic"
assert_match ' pacing_rate [0-9.]+[KMG]?bps' "$mine" "tern ss -i shows a pacing rate"
# (the data connection: the control one has the kernel's default, bbr here)
assert_match ' cubic wscale:' "$theirs" "Linux's ss -ti names cubic for its receiving end"
bg_wait ss-cli 20
assert_eq 0 "$BG_RC" "tern iperf -c -t 3 --name cubic1"
bg_wait ss-srv 15
assert_eq 0 "$BG_RC" "iperf3 -s -1 for the ss run"

# ---- 4. with 1% loss as well ---------------------------------------------
# (each direction of the path: data and ACKs): recovery on both sides
TN_CLEAN=("${TN[@]}")
TN+=(--loss 1 --fault-seed 7)
log "1% loss: tern iperf -c -C cubic -n 8M, and -R"
tern_client l-send -C cubic -n 8M
J=$OUT/l-send-srv.out
assert_eq "$N8" "$(jget "$J" "j['end']['sum_received']['bytes']")" "iperf3 received through 1% loss"
retr=$(grep -E ' sender$' <<<"$RUN_OUT" | tail -1 | awk '{print $(NF-1)}')
assert_ge 1 "$retr" "tern's retransmissions through 1% loss"
log "tern (cubic) -> Linux, 1% loss: $(mbps "$J") Mbit/s, $retr retransmissions"
tern_client l-recv -C cubic -n 8M -R
J=$OUT/l-recv-srv.out
assert_eq "$N8" "$(jget "$J" "j['end']['sum_sent']['bytes']")" "iperf3 sent through 1% loss"
assert_eq "8.00 MBytes" "$(last_transfer "$RUN_OUT" receiver)" "tern received all of it through 1% loss"
log "Linux (cubic) -> tern, 1% loss: $(mbps "$J" sum_sent) Mbit/s, $(jget "$J" "j['end']['sum_sent']['retransmits']") retransmissions"
TN=("${TN_CLEAN[@]}")

# ---- 5. pacing against Linux -------------------------------------------------
log "tern iperf -c --fq-rate 8M -t 3 (SO_MAX_PACING_RATE)"
tern_client c-paced --fq-rate 8M -t 3
J=$OUT/c-paced-srv.out
rate=$(mbps "$J")
log "paced at 8 Mbit/s: iperf3 received $rate Mbit/s"
"$PY" -c "import sys; r = float(sys.argv[1]); sys.exit(0 if 5.0 <= r <= 8.4 else 1)" "$rate" ||
	fail "tern paced at 8 Mbit/s delivered $rate Mbit/s (want 5 to 8.4)"

pass
