# tests/interop/test_lab_bridge.sh — a lab in real time, bridged to Linux
# (issue 9, item 5): examples/labs/bridge/bridge.yaml runs with its network
# lan on a TAP in a fresh namespace, and Linux's own programs reach the lab
# through the lab's router gw.
#
#   NS: tern-lab0 10.201.90.100/24 ~~ lan (switch) -- gw -- servers -- web 10.201.91.10
#       route 10.201.91.0/24 via 10.201.90.1 (gw)
#
# Asserts: Linux ping reaches web (3 of 3, TTL 63: one router) and gw;
# curl fetches web's index.html; nc's line is printed by web's nc -l; web's
# ping to Linux gets 3 replies; the summary reports the lag and the bridge's
# frames; the bridge's capture holds Linux's echo requests; the report's
# topology draws the TAP bridged to lan; the lab's scenario
# (about 27 s of virtual time) takes about as long on the wall clock.
TEST_DEADLINE=${TEST_DEADLINE:-90}   # the lab's scenario alone takes 27 s
source "$(dirname "$0")/lib.sh" "$@" || exit 1
require_tools ping curl nc
LAB=$(readlink -f "$(dirname "$0")/../../examples/labs/bridge/bridge.yaml")

ns_add lbr; NS=$NS_NAME
tap_add "$NS" tern-lab0 10.201.90.100/24
ip -n "$NS" route add 10.201.91.0/24 via 10.201.90.1 || fail "route to the lab's servers"

log "tern lab run bridge.yaml in $NS"
T0=$(date +%s.%N)
timeout -k 5 70 ip netns exec "$NS" "$TERN" lab run "$LAB" --out "$OUT/lab" \
	>"$OUT/lab.txt" 2>"$OUT/lab.err" </dev/null &
LABPID=$!
_PIDS+=("$LABPID")
wait_link_up "$NS" tern-lab0
sleep 0.5   # the lab's hosts start with the scenario, a moment after the TAP opens

run_ns -t 10 "$NS" ping -c 3 -i 0.5 -W 2 10.201.91.10
assert_rc 0 "ping web through gw"
assert_count 3 '^64 bytes from 10\.201\.91\.10: icmp_seq=[123] ttl=63 ' "$RUN_OUT" "replies from web (one router: TTL 63)"
run_ns -t 10 "$NS" ping -c 1 -W 2 10.201.90.1
assert_rc 0 "ping gw"
run_ns -t 10 "$NS" curl -sS -m 5 http://10.201.91.10/index.html
assert_rc 0 "curl from web"
assert_match 'Hello from web, a host inside a tern lab' "$RUN_OUT" "the page web serves"
run -t 10 bash -c "echo 'hello from linux' | ip netns exec $NS nc -N -w 5 10.201.91.10 7000"
assert_rc 0 "nc to web's nc -l"

wait "$LABPID"
rc=$?
T1=$(date +%s.%N)
[ "$rc" -eq 0 ] || fail "tern lab run exited $rc: $(cat "$OUT/lab.err")"
TX=$(cat "$OUT/lab.txt")
assert_match '^\[ *[0-9.]+\] web: 10\.201\.90\.100 - - .*"GET /index\.html HTTP/1\.1" 200 ' "$TX" "web's http log"
assert_match '^\[ *[0-9.]+\] web: hello from linux$' "$TX" "web's nc -l prints the line"
assert_count 3 '^\[ *[0-9.]+\] web: 64 bytes from 10\.201\.90\.100: icmp_seq=[123] ttl=63 ' "$TX" "web pings Linux"
assert_match '^\[ *[0-9.]+\] lab: realtime: max lag [0-9]+\.[0-9]{3} ms, [0-9]+ instants? late by more than 1 ms$' "$TX" "the lag in the summary"
assert_match '^\[ *[0-9.]+\] lab: bridge lan <-> TAP tern-lab0: [1-9][0-9]* frames to Linux, [1-9][0-9]* from it$' "$TX" "the bridge's frames"
assert_eq 3 "$(pcap_count "$OUT/lab/lan-tern-lab0.pcap" 'icmp.type==8 && ip.src==10.201.90.100 && ip.dst==10.201.91.10')" \
	"Linux's echo requests to web in the bridge's capture"
# virtual time followed the wall clock: the scenario's ~27 s took 26 to 35 s
END=$(grep -oE '^\[ *[0-9]+' <<<"$(grep 'lab: end:' <<<"$TX")" | tr -d '[ ')
WALL=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%d", b - a }')
assert_eq 27 "$END" "virtual seconds at the end"
[ "$WALL" -ge 26 ] && [ "$WALL" -le 35 ] || fail "the 27 s scenario took $WALL s of wall time"
log "scenario 27 virtual s in $WALL wall s; $(grep 'realtime:' <<<"$TX")"
DOT=$(cat "$OUT/lab/topology.dot")
assert_match '"tap:lan" \[shape=cds, .*label="TAP tern-lab0$' "$DOT" "the TAP in the topology"
assert_match '"tap:lan" -- "net:lan" \[style=dashed, label="bridge"\]' "$DOT" "the bridge's edge"
grep -q 'TAP tern-lab0' "$OUT/lab/report.html" || fail "report.html's picture has no TAP"
pass
