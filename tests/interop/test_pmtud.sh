# tests/interop/test_pmtud.sh — path MTU discovery both ways against Linux.
#
# (a) A tern router with a 1280-byte hop between two Linux namespaces:
#
#     NSA vA0 10.201.50.2 ─ brA ─ tapA ┐                ┌ tapB ─ brB ─ vB0 10.201.51.2 NSB
#                                      tern host --forward
#                                      tapA 10.201.50.1  tapB 10.201.51.1 (sends ≤ 1280)
#
#     Every Linux link is 1500 (so neither host's MSS gives the hop away);
#     tern runs with --mtu 1280 and the kernel sides of its TAPs are set
#     back to 1500. NSB downloads 4 MiB from a python3 HTTP server in NSA
#     with curl: NSA's 1500-byte segments with DF get tern's
#     "fragmentation needed" (mtu 1280), `ip route get` in NSA shows the
#     cached "mtu 1280", and the download is byte-exact.
#
# (b) A Linux router (NSL: ip_forward=1, a veth of MTU 1280 towards NSP)
#     in front of a tern host on NSL's tap0:
#
#     tern 10.201.52.2 ─ tap0 10.201.52.1 [NSL] lP 10.201.53.1 (mtu 1280) ─ pP0 10.201.53.2 (1500) NSP
#
#     tern nc sends 4 MiB to Linux nc -l in NSP: Linux answers the first
#     1500-byte segments with frag-needed, tern learns 1280 and sends no
#     datagram over 1280 bytes after it; byte-exact.
#
# (c) The same with NSL dropping the ICMP it would send (nft, output
#     hook): no frag-needed reaches tern; PLPMTUD (tcp_mtu_probing 1)
#     finds the hop after repeated timeouts, the transfer completes within
#     60 s, byte-exact, and after the black hole tern's datagrams are no
#     larger than 1280 bytes.
TEST_DEADLINE=${TEST_DEADLINE:-180}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools curl nc nft python3 cmp sha256sum head

head -c $((4 << 20)) /dev/urandom >"$OUT/blob.bin" || fail "test data"
mkdir -p "$OUT/www" "$OUT/pcap" && cp "$OUT/blob.bin" "$OUT/www/blob" || fail "www"
SUM=$(sha256sum <"$OUT/blob.bin" | cut -d' ' -f1)

# ---- (a) tern router, Linux hosts -----------------------------------------
ns_add pma; NSA=$NS_NAME
ns_add pmb; NSB=$NS_NAME
ns_add pmr; NSR=$NS_NAME
ip netns exec "$NSR" sysctl -qw net.ipv4.ip_forward=0 >/dev/null || fail "ip_forward=0 in NSR"
for s in A B; do
	bridge_create "$NSR" "br$s" forward_delay 0 stp_state 0
	tap_add "$NSR" "tap$s"
	ip -n "$NSR" link set "tap$s" master "br$s" || fail "tap$s into br$s"
done
ip -n "$NSR" link add vA type veth peer name vA0 netns "$NSA" || fail "veth vA"
ip -n "$NSR" link add vB type veth peer name vB0 netns "$NSB" || fail "veth vB"
for d in vA vB; do
	ip -n "$NSR" link set "$d" master "br${d#v}" && ip -n "$NSR" link set "$d" up || fail "$d"
done
ip -n "$NSA" addr add 10.201.50.2/24 dev vA0 && ip -n "$NSA" link set vA0 up &&
	ip -n "$NSA" route add default via 10.201.50.1 || fail "NSA addressing"
ip -n "$NSB" addr add 10.201.51.2/24 dev vB0 && ip -n "$NSB" link set vB0 up &&
	ip -n "$NSB" route add default via 10.201.51.1 || fail "NSB addressing"
host_start router "$NSR" --forward --mtu 1280 \
	--tap tapA --addr 10.201.50.1/24 --tap tapB --addr 10.201.51.1/24 --pcap "$OUT/pcap"
ip -n "$NSR" link set tapA mtu 1500 && ip -n "$NSR" link set tapB mtu 1500 ||
	fail "kernel sides of the TAPs back to 1500"

bg_start httpd /dev/null "$NSA" python3 -m http.server 8080 --bind 10.201.50.2 \
	--directory "$OUT/www"
for ((i = 0; i < 50; i++)); do
	ip netns exec "$NSA" ss -ltn 2>/dev/null | grep -q '10.201.50.2:8080' && break
	sleep 0.1
done
log "(a) NSB: curl 4 MiB from NSA through tern's 1280-byte hop"
run_ns -t 60 "$NSB" curl -sS --max-time 50 -o "$OUT/a-got.bin" http://10.201.50.2:8080/blob
assert_rc 0 "curl through the tern router"
assert_eq "$SUM" "$(sha256sum <"$OUT/a-got.bin" | cut -d' ' -f1)" "SHA-256 of what NSB got"
run_ns "$NSA" ip route get 10.201.51.2
assert_match 'mtu 1280' "$RUN_OUT" "NSA's route cache learnt tern's next-hop MTU"
log "(a) NSA: $(echo "$RUN_OUT" | tr '\n' ' ')"
pa=$(ls "$OUT"/pcap/*tapA* 2>/dev/null | head -1)
n=$(tshark_fields "$pa" 'icmp.type==3 && icmp.code==4 && icmp.mtu==1280' ip.src | grep -c .)
[ "$n" -ge 1 ] || fail "no frag-needed (mtu 1280) from tern on tapA"
host_stop router

# ---- (b) and (c): a Linux router in front of a tern host --------------------
ns_add pml; NSL=$NS_NAME
ns_add pmp; NSP=$NS_NAME
ip netns exec "$NSL" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || fail "ip_forward=1 in NSL"
tap_add "$NSL" tap0 10.201.52.1/24
ip -n "$NSL" link add lP type veth peer name pP0 netns "$NSP" || fail "veth lP/pP0"
ip -n "$NSL" addr add 10.201.53.1/24 dev lP && ip -n "$NSL" link set lP mtu 1280 &&
	ip -n "$NSL" link set lP up || fail "lP"
ip -n "$NSP" addr add 10.201.53.2/24 dev pP0 && ip -n "$NSP" link set pP0 up &&
	ip -n "$NSP" route add default via 10.201.53.1 || fail "NSP addressing"

# send_through CASE PORT — tern nc sends blob.bin to Linux nc -l in NSP.
send_through() {
	local c=$1 port=$2
	bg_start "nc-$c" /dev/null "$NSP" sh -c "nc -l -p $port >'$OUT/$c-got.bin'"
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NSP" ss -ltn 2>/dev/null | grep -q ":$port " && break
		sleep 0.1
	done
	local t0=$SECONDS
	run_ns -t 70 "$NSL" sh -c "'$TERN' nc -N --tap tap0 --addr 10.201.52.2/24 --gw 10.201.52.1 \
		--pcap '$OUT/$c.pcap' 10.201.53.2 $port <'$OUT/blob.bin' 2>'$OUT/$c-tern.err'"
	assert_rc 0 "($c) tern nc -> Linux nc through the 1280-byte hop ($(cat "$OUT/$c-tern.err"))"
	bg_wait "nc-$c" 10
	assert_eq "$SUM" "$(sha256sum <"$OUT/$c-got.bin" | cut -d' ' -f1)" "($c) SHA-256 of what NSP got"
	log "($c) 4 MiB in $((SECONDS - t0)) s"
}

log "(b) tern nc -> NSP through Linux's 1280-byte hop"
send_through b 5050
# Linux answers each datagram of the first flight (those in flight when
# the first answer came): after the last answer, none over 1280 bytes.
icmp=$(tshark_fields "$OUT/b.pcap" 'icmp.type==3 && icmp.code==4 && icmp.mtu==1280' frame.number | tail -1)
[ -n "$icmp" ] || fail "(b) no frag-needed (mtu 1280) from Linux in tern's capture"
nicmp=$(tshark_fields "$OUT/b.pcap" 'icmp.type==3 && icmp.code==4' frame.number | grep -c .)
big=$(tshark_fields "$OUT/b.pcap" "frame.number > $icmp && ip.src==10.201.52.2 && ip.len > 1280" frame.number | grep -c .)
assert_eq 0 "$big" "(b) tern's datagrams over 1280 bytes after the last frag-needed"
log "(b) $nicmp frag-needed messages from Linux, none over 1280 bytes after them"

log "(c) the same with NSL's ICMP dropped (nft): PLPMTUD"
ip netns exec "$NSL" nft -f - <<'NFT' || fail "nft rules in NSL"
table inet pmtud {
	chain out {
		type filter hook output priority 0;
		icmp type destination-unreachable drop
	}
}
NFT
send_through c 5051
n=$(tshark_fields "$OUT/c.pcap" 'icmp.type==3' frame.number | grep -c .)
assert_eq 0 "$n" "(c) ICMP errors reaching tern"
# after the last datagram over 1280 bytes (the black hole's victims and a
# failed probe) the transfer went on in smaller ones
last=$(tshark_fields "$OUT/c.pcap" 'ip.src==10.201.52.2 && ip.len > 1280' frame.number | tail -1)
total=$(tshark_fields "$OUT/c.pcap" 'ip.src==10.201.52.2 && tcp.len > 0' frame.number | grep -c .)
after=$(tshark_fields "$OUT/c.pcap" "frame.number > ${last:-0} && ip.src==10.201.52.2 && tcp.len > 0" frame.number | grep -c .)
log "(c) $total data segments, $after after the last one over 1280 bytes"
assert_ge $((total * 9 / 10)) "$after" "(c) data segments sent after the path was found"
pass
