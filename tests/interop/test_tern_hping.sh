# tests/interop/test_tern_hping.sh — `tern hping -S` against Linux prints
# what hping3 prints for the same probes, and exits as it does.
#
#   NS: tap0 10.201.62.1/24 <-> tern 10.201.62.2/24; a Linux listener on
#       port 8080 (socat); r0 10.201.63.1/24 -- veth -- NST: t0 10.201.63.2/24
#
# Asserts:
#  1. tern hping -S -p 8080 -c 3 to the listener: three "flags=SA" lines,
#     seq=0..2, the statistics on stderr ("3 packets transmitted, 3 packets
#     received, 0% packet loss"), exit 0;
#  2. the same to closed port 8081: "flags=RA" lines, exit 0;
#  3. hping3 -S -p 8080 -c 3 from NST to the listener prints the same
#     lines once addresses, ports, ids, windows and times are blanked;
#  4. --rand-source: nothing comes back, "0 packets received", exit 1, as
#     hping3; the capture holds SYNs from 3 different forged sources.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
require_tools hping3 socat

ns_add hpa; NS=$NS_NAME
ns_add hpb; NST=$NS_NAME
tap_add "$NS" tap0 10.201.62.1/24
ip -n "$NS" link add r0 type veth peer name t0 netns "$NST" || fail "veth r0/t0"
ip -n "$NS" addr add 10.201.63.1/24 dev r0 && ip -n "$NS" link set r0 up || fail "r0"
ip -n "$NST" addr add 10.201.63.2/24 dev t0 && ip -n "$NST" link set t0 up || fail "NST addressing"
timeout -k 2 "$TEST_DEADLINE" ip netns exec "$NS" socat TCP-LISTEN:8080,fork,reuseaddr /dev/null \
	>"$OUT/socat.log" 2>&1 &
_PIDS+=($!)
sleep 0.3
TN=(--tap tap0 --addr 10.201.62.2/24)

# blank what differs between two hosts' answers
blank() { sed -E 's/ip=[0-9.]+/ip=ADDR/; s/id=[0-9]+/id=ID/; s/sport=[0-9]+/sport=PORT/;
	s/win=[0-9]+/win=WIN/; s/rtt=[0-9.]+/rtt=TIME/; s|= [0-9./]+ ms$|= TIMES ms|; s/[0-9]+(\.[0-9]+){3}/ADDR/g' <<<"$1"; }

# ---- 1. an open port
log "tern hping -S -p 8080 -c 3 -i u200000 10.201.62.1"
run -t 30 ip netns exec "$NS" "$TERN" hping -S -p 8080 -c 3 -i u200000 "${TN[@]}" \
	--pcap "$OUT/open.pcap" 10.201.62.1
assert_rc 0 "tern hping to a listener"
assert_match '^HPING 10\.201\.62\.1 \(tap0 10\.201\.62\.1\): S set, 40 headers \+ 0 data bytes$' "$RUN_OUT" "first line"
for k in 0 1 2; do
	assert_match "^len=44 ip=10\\.201\\.62\\.1 ttl=64 DF id=0 sport=8080 flags=SA seq=$k win=[0-9]+ rtt=[0-9.]+ ms\$" \
		"$RUN_OUT" "reply $k"
done
assert_match '^3 packets transmitted, 3 packets received, 0% packet loss$' "$RUN_OUT" "statistics"
assert_match '^round-trip min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms$' "$RUN_OUT" "round trips"
TERN_OPEN=$(grep -E '^(HPING|len=|---|[0-9]+ packets|round-trip)' <<<"$RUN_OUT")
check_pcap "$OUT/open.pcap"

# ---- 2. a closed port
log "tern hping -S -p 8081 -c 2"
run -t 30 ip netns exec "$NS" "$TERN" hping -S -p 8081 -c 2 -i u200000 "${TN[@]}" 10.201.62.1
assert_rc 0 "tern hping to a closed port"
assert_count 2 '^len=40 ip=10\.201\.62\.1 ttl=64 DF id=0 sport=8081 flags=RA seq=[01] win=0 rtt=' "$RUN_OUT" "RST replies"

# ---- 3. hping3 itself, for the format
log "hping3 -S -p 8080 -c 3 -i u200000 10.201.63.1 from NST"
run_ns -t 30 "$NST" hping3 -S -p 8080 -c 3 -i u200000 10.201.63.1
assert_rc 0 "hping3 to the listener"
LINUX=$(grep -E '^(HPING|len=|---|[0-9]+ packets|round-trip)' <<<"$RUN_OUT")
# hping3 names its interface t0, tern its tap0
a=$(blank "$(sed 's/(tap0 /(IF /' <<<"$TERN_OPEN")")
b=$(blank "$(sed 's/(t0 /(IF /' <<<"$LINUX")")
[ "$a" = "$b" ] || fail "tern hping and hping3 differ:
--- tern
$a
--- hping3
$b"

# ---- 4. forged random sources
log "tern hping -S -p 8080 -c 3 --rand-source"
run -t 30 ip netns exec "$NS" "$TERN" hping -S -p 8080 -c 3 -i u100000 --rand-source "${TN[@]}" \
	--pcap "$OUT/flood.pcap" 10.201.62.1
assert_rc 1 "tern hping --rand-source (nothing answered)"
assert_match '^3 packets transmitted, 0 packets received, 100% packet loss$' "$RUN_OUT" "statistics"
n=$(tshark_fields "$OUT/flood.pcap" 'tcp.flags.syn == 1 && tcp.flags.ack == 0' ip.src | sort -u | wc -l)
assert_eq 3 "$n" "distinct forged sources"
pass
