# tests/interop/test_router.sh — a tern router between two Linux hosts.
#
#   NSA                 NSR (no addresses, ip_forward=0)                  NSB
#   vA0 10.201.10.2 ─ vA ═ brA ═ tapA ┐                ┌ tapB ═ brB ═ vB ─ vB0 10.201.20.2
#   default via                       tern host --forward                 default via
#   10.201.10.1                       tapA 10.201.10.1/24                 10.201.20.1
#                                     tapB 10.201.20.1/24 (MTU 1280)
#
# The kernel side of each TAP is a bridge port in NSR, bridged to a veth
# whose peer is the Linux host's interface; NSR routes nothing itself, so
# every packet between NSA and NSB goes through tern.
#
# Asserts: NSA pings NSB (0% loss; the kernel sees ttl=63); Linux
# traceroute, UDP and -I (ICMP), shows 10.201.10.1 as hop 1 and 10.201.20.2
# as hop 2; a 1500-byte datagram without DF crosses the 1280-byte link
# (tern fragments it: the B-side capture shows the fragments, none over
# 1280 bytes, TTL 63); with -M do, ping reports
# "From 10.201.10.1 icmp_seq=1 Frag needed and DF set (mtu = 1280)", the
# kernel caches PMTU 1280 and its next pings of that size then get
# through; Linux traceroute to tern's far address 10.201.20.1 is answered
# from that address, to an address tern has no route for gets !N at hop 1,
# and -F with 1400 bytes gets !F-1280 from tern; tern exits 0 on SIGTERM
# and both captures decode cleanly.
#
# The B-side MTU: `tern host --mtu N` sets one MTU for every interface,
# and tern also sets it on the kernel side of each TAP. So the router runs
# with --mtu 1280, and the test then sets the kernel side of tapA back to
# 1500, so that the A link carries 1500-byte frames to tern (tern accepts
# frames over its MTU; it sends at most 1280 bytes on both sides).
source "$(dirname "$0")/lib.sh" "$@" || exit 1
require_tools ping traceroute

ns_add ra; NSA=$NS_NAME
ns_add rb; NSB=$NS_NAME
ns_add rr; NSR=$NS_NAME

# NSR: two bridges, each with a TAP (for tern) and a veth to a Linux host.
ip netns exec "$NSR" sysctl -qw net.ipv4.ip_forward=0 >/dev/null || fail "ip_forward=0 in NSR"
for s in A B; do
	ip -n "$NSR" link add "br$s" type bridge forward_delay 0 stp_state 0 ||
		fail "bridge br$s in NSR"
	ip netns exec "$NSR" ip tuntap add dev "tap$s" mode tap || fail "tuntap tap$s in NSR"
	ip -n "$NSR" link set "tap$s" master "br$s" || fail "tap$s into br$s"
done
ip -n "$NSR" link add vA type veth peer name vA0 netns "$NSA" || fail "veth vA/vA0"
ip -n "$NSR" link add vB type veth peer name vB0 netns "$NSB" || fail "veth vB/vB0"
ip -n "$NSR" link set vA master brA || fail "vA into brA"
ip -n "$NSR" link set vB master brB || fail "vB into brB"
for d in brA brB tapA tapB vA vB; do
	ip -n "$NSR" link set "$d" up || fail "$d up in NSR"
done
# The B link is a 1280-byte link for everyone on it.
ip -n "$NSR" link set vB mtu 1280 || fail "vB mtu"
ip -n "$NSB" link set vB0 mtu 1280 || fail "vB0 mtu"
ip -n "$NSA" addr add 10.201.10.2/24 dev vA0 && ip -n "$NSA" link set vA0 up &&
	ip -n "$NSA" route add default via 10.201.10.1 || fail "NSA addressing"
ip -n "$NSB" addr add 10.201.20.2/24 dev vB0 && ip -n "$NSB" link set vB0 up &&
	ip -n "$NSB" route add default via 10.201.20.1 || fail "NSB addressing"

mkdir -p "$OUT/pcap"
host_start router "$NSR" --forward --mtu 1280 \
	--tap tapA --addr 10.201.10.1/24 --tap tapB --addr 10.201.20.1/24 --pcap "$OUT/pcap"
ip -n "$NSR" link set tapA mtu 1500 || fail "kernel side of tapA back to MTU 1500"
ip -n "$NSR" -d link show >"$OUT/nsr-links.txt" 2>&1

log "NSA: ping -c 3 10.201.20.2 (through tern)"
run_ns "$NSA" ping -c 3 -W 2 10.201.20.2
assert_rc 0 "NSA ping -c 3 10.201.20.2"
assert_match '^3 packets transmitted, 3 received, 0% packet loss' "$RUN_OUT" "ping statistics"
assert_count 3 '^64 bytes from 10\.201\.20\.2: icmp_seq=[1-3] ttl=63 time=' "$RUN_OUT" "replies, TTL decremented once"

log "NSB: ping -c 1 10.201.10.2 (the other way)"
run_ns "$NSB" ping -c 1 -W 2 10.201.10.2
assert_rc 0 "NSB ping -c 1 10.201.10.2"
assert_match '^1 packets transmitted, 1 received, 0% packet loss' "$RUN_OUT" "NSB ping statistics"

log "NSA: ping -c 2 -M dont -s 1472 10.201.20.2 (tern fragments for the 1280 link)"
run_ns "$NSA" ping -c 2 -W 2 -M dont -s 1472 10.201.20.2
assert_rc 0 "NSA ping -M dont -s 1472 10.201.20.2"
assert_match '^2 packets transmitted, 2 received, 0% packet loss' "$RUN_OUT" "ping -s 1472 statistics"
assert_count 2 '^1480 bytes from 10\.201\.20\.2: icmp_seq=[12] ttl=63 time=' "$RUN_OUT" "ping -s 1472 replies"

# Hop lines are " N  ADDR  RTT ms"; the destination answers at hop 2.
check_traceroute() {
	local what=$1 hops
	hops=$(grep -E '^ *[0-9]+ ' <<<"$RUN_OUT")
	assert_count 2 '^ *[0-9]+ ' "$RUN_OUT" "$what: hop lines"
	assert_match '^ 1  10\.201\.10\.1  [0-9.]+ ms$' "$hops" "$what: hop 1"
	assert_match '^ 2  10\.201\.20\.2  [0-9.]+ ms$' "$hops" "$what: hop 2"
}
log "NSA: traceroute -n -q 1 -w 2 10.201.20.2 (UDP)"
run_ns "$NSA" traceroute -n -q 1 -w 2 10.201.20.2
assert_rc 0 "NSA traceroute (UDP)"
check_traceroute "traceroute (UDP)"
log "NSA: traceroute -I -n -q 1 -w 2 10.201.20.2 (ICMP)"
run_ns "$NSA" traceroute -I -n -q 1 -w 2 10.201.20.2
assert_rc 0 "NSA traceroute -I"
check_traceroute "traceroute -I"

log "NSA: ping -c 1 -M do -s 1472 10.201.20.2 (Frag needed from tern)"
run_ns "$NSA" ping -c 1 -W 2 -M 'do' -s 1472 10.201.20.2
assert_rc 1 "NSA ping -M do -s 1472 10.201.20.2 (no reply expected)"
assert_match '^From 10\.201\.10\.1 icmp_seq=1 Frag needed and DF set \(mtu = 1280\)$' "$RUN_OUT" "ping -M do"
run ip -n "$NSA" route get 10.201.20.2
assert_match 'mtu 1280' "$RUN_OUT" "NSA's route cache after Frag needed (learned path MTU)"
log "NSA: ping -c 2 -s 1472 10.201.20.2 (the kernel now fragments to the path MTU)"
run_ns "$NSA" ping -c 2 -W 2 -s 1472 10.201.20.2
assert_rc 0 "NSA ping -s 1472 after PMTU discovery"
assert_match '^2 packets transmitted, 2 received, 0% packet loss' "$RUN_OUT" "ping -s 1472 after PMTU discovery"

# (Hop 1 of these gets the first of the 16 probes' errors; the rest are
# rate-limited, as a Linux router limits them.)
# A Linux router answers a probe to any of its addresses from that
# address, routes before it looks at the TTL, and says "fragmentation
# needed" to DF probes too big for the next hop: so does tern.
log "NSA: traceroute -n -q 1 -w 2 10.201.99.9 (tern has no route there)"
run_ns "$NSA" traceroute -n -q 1 -w 2 10.201.99.9
assert_rc 0 "NSA traceroute to an unrouted address"
assert_count 1 '^ *[0-9]+ ' "$RUN_OUT" "no route: hop lines"
assert_match '^ 1  10\.201\.10\.1  [0-9.]+ ms !N$' "$RUN_OUT" \
	"no route: TTL 1 is network unreachable (!N), not time exceeded"
# Each trace's 16 probes at once drain tern's per-destination ICMP bucket
# (6, one more a second, as Linux's); the next trace needs one token.
sleep 2.2
log "NSA: traceroute -n -q 1 -w 2 10.201.20.1 (tern's far address)"
run_ns "$NSA" traceroute -n -q 1 -w 2 10.201.20.1
assert_rc 0 "NSA traceroute to the router's far address"
assert_count 1 '^ *[0-9]+ ' "$RUN_OUT" "far address: hop lines"
assert_match '^ 1  10\.201\.20\.1  [0-9.]+ ms$' "$RUN_OUT" \
	"far address: answered from 10.201.20.1 (not the near 10.201.10.1)"
log "NSA: traceroute -F -n -q 1 -w 2 10.201.20.2 1400 (too big for the 1280 link)"
ip -n "$NSA" route flush cache
run_ns "$NSA" traceroute -F -n -q 1 -w 2 10.201.20.2 1400
assert_rc 0 "NSA traceroute -F"
assert_match '^ 1  10\.201\.10\.1  [0-9.]+ ms !F-1280$' "$RUN_OUT" "-F: tern reports the 1280 next hop"

host_stop router

shopt -s nullglob
pcaps=("$OUT"/pcap/*)
[ "${#pcaps[@]}" -eq 2 ] || fail "expected 2 captures (tapA, tapB) in $OUT/pcap, got: ${pcaps[*]}"
for f in "${pcaps[@]}"; do
	check_pcap "$f"
done
pa=$(ls "$OUT"/pcap/*tapA* 2>/dev/null | head -1)
pb=$(ls "$OUT"/pcap/*tapB* 2>/dev/null | head -1)
[ -n "$pa" ] && [ -n "$pb" ] || fail "captures not named after tapA/tapB: ${pcaps[*]}"

# B side: what tern forwarded from NSA, fragments included, fits 1280 bytes.
n=$(pcap_count "$pb" 'ip.src#1 == 10.201.10.2 && ip.len#1 > 1280')
assert_eq 0 "$n" "datagrams over 1280 bytes tern sent on the 1280-byte link"
n=$(pcap_count "$pb" 'ip.src#1 == 10.201.10.2 && ip.flags.mf#1 == 1')
assert_ge 2 "$n" "first fragments tern made of NSA's 1500-byte datagrams"
n=$(pcap_count "$pb" 'ip.src#1 == 10.201.10.2 && ip.frag_offset#1 > 0')
assert_ge 2 "$n" "later fragments tern made of NSA's 1500-byte datagrams"
# (ping's 84-byte requests; traceroute's 60-byte ones carry other TTLs)
n=$(pcap_count "$pb" 'ip.src#1 == 10.201.10.2 && icmp.type#1 == 8 && ip.len#1 == 84 && ip.ttl#1 == 63')
assert_ge 3 "$n" "NSA's echo requests forwarded with TTL 64-1"
n=$(pcap_count "$pb" 'ip.src#1 == 10.201.10.2 && icmp.type#1 == 8 && ip.len#1 == 84 && ip.ttl#1 != 63')
assert_eq 0 "$n" "NSA's echo requests forwarded with a TTL other than 64-1"
# A side: the Frag needed tern sent, with the next-hop MTU.
n=$(pcap_count "$pa" 'ip.src#1 == 10.201.10.1 && icmp.type#1 == 3 && icmp.code#1 == 4 && icmp.mtu == 1280')
assert_ge 1 "$n" "ICMP Frag needed (mtu 1280) from tern on the A side"
n=$(pcap_count "$pa" 'ip.src#1 == 10.201.10.1 && icmp.type#1 == 11')
assert_ge 2 "$n" "ICMP Time exceeded from tern (one per traceroute)"

pass
