# tests/interop/test_tap_bringup.sh — a tern program on a TAP the Linux side
# brought up before tern attached (issue 10, item 7).
#
#   NS (Linux router, ip_forward=1)                      NST (Linux target)
#   tap0 10.201.60.1/24  <->  tern 10.201.60.2/24        t0 10.201.61.2/24
#   r0 10.201.61.1/24  ────────── veth ──────────────    default via 10.201.61.1
#
# Asserts:
#  1. the kernel's answer to tern's first ARP request is lost (a cls_bpf
#     filter drops ARP leaving tap0 until the kernel has learnt tern from
#     that request, as the kernel drops it when it has not yet activated
#     the TAP's queue): tern traceroute retries the request a second later
#     and every probe queued behind it leaves and is answered: hop 1 the
#     router, hop 2 the target, three ~1000 ms times each, no '*';
#  2. tern waits for the TAP (and the bridge it joins) to be operationally
#     up before its first ARP: on a fresh TAP, plain or a bridge port, five
#     `tern ping -c 1` each get the first reply without a retried request
#     (RTT under 500 ms, one request in the capture).
source "$(dirname "$0")/lib.sh" "$@" || exit 1
require_tools tc

ns_add tbr; NS=$NS_NAME
ns_add tbt; NST=$NS_NAME
tap_add "$NS" tap0 10.201.60.1/24
ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || fail "ip_forward=1"
ip -n "$NS" link add r0 type veth peer name t0 netns "$NST" || fail "veth r0/t0"
ip -n "$NS" addr add 10.201.61.1/24 dev r0 && ip -n "$NS" link set r0 up || fail "r0"
ip -n "$NST" addr add 10.201.61.2/24 dev t0 && ip -n "$NST" link set t0 up &&
	ip -n "$NST" route add default via 10.201.61.1 || fail "NST addressing"

# ---- 1. the first ARP answer lost --------------------------------------------
tc -n "$NS" qdisc add dev tap0 clsact || fail "clsact on tap0"
# classic BPF "ret #2": TC_ACT_SHOT for every ARP frame the kernel sends
tc -n "$NS" filter add dev tap0 egress protocol arp pref 1 bpf da bytecode '1,6 0 0 2,' ||
	fail "cls_bpf drop filter on tap0"
(
	for _ in $(seq 300); do
		if ip -n "$NS" neigh show 10.201.60.2 dev tap0 | grep -q .; then
			tc -n "$NS" filter del dev tap0 egress pref 1
			exit 0
		fi
		sleep 0.01
	done
	exit 1
) &
LIFTER=$!
log "tern traceroute -n 10.201.61.2, the first ARP answer dropped"
run -t 40 ip netns exec "$NS" "$TERN" traceroute -n --tap tap0 --addr 10.201.60.2/24 \
	--gw 10.201.60.1 --pcap "$OUT/lost-arp.pcap" 10.201.61.2
wait "$LIFTER" || fail "the kernel never learnt tern from its first ARP request"
assert_rc 0 "tern traceroute"
assert_match '^ 1  10\.201\.60\.1  (1[0-9]{3}\.[0-9]{3} ms  ){2}1[0-9]{3}\.[0-9]{3} ms$' "$RUN_OUT" \
	"hop 1: the router, three answers after the retried request"
assert_match '^ 2  10\.201\.61\.2  (1[0-9]{3}\.[0-9]{3} ms  ){2}1[0-9]{3}\.[0-9]{3} ms$' "$RUN_OUT" \
	"hop 2: the target"
assert_no_match '\*' "$RUN_OUT" "no probe unanswered"
assert_eq 3 "$(wc -l <<<"$RUN_OUT")" "lines printed (header and two hops)"
assert_eq 2 "$(pcap_count "$OUT/lost-arp.pcap" 'arp.opcode==1 && arp.src.proto_ipv4==10.201.60.2 && arp.dst.proto_ipv4==10.201.60.1')" \
	"ARP requests for the router (the first lost, one retry)"
assert_eq 0 "$(pcap_count "$OUT/lost-arp.pcap" 'udp.dstport>=33434 && frame.time_relative < 0.9')" \
	"probes before the retried request (they wait for it)"
assert_ge 16 "$(pcap_count "$OUT/lost-arp.pcap" 'udp.dstport>=33434 && frame.time_relative < 1.5')" \
	"the 16 probes queued behind it leave once it is answered (and more as answers come)"
check_pcap "$OUT/lost-arp.pcap"
tc -n "$NS" qdisc del dev tap0 clsact

# ---- 2. bring-up: no first ARP lost ------------------------------------------
ns_add tbb; NSB=$NS_NAME
bridge_create "$NSB" br0
ip -n "$NSB" addr add 10.201.62.1/24 dev br0 || fail "br0 address"
for kind in plain bridge; do
	for i in 1 2 3 4 5; do
		if [ $kind = plain ]; then
			N=$NSB; ip netns exec "$N" ip tuntap add dev tp$i mode tap || fail "tuntap tp$i"
			ip -n "$N" addr add 10.201.63.1/24 dev tp$i && ip -n "$N" link set tp$i up ||
				fail "tp$i up"
			PEER=10.201.63.1
		else
			N=$NSB; ip netns exec "$N" ip tuntap add dev tb$i mode tap || fail "tuntap tb$i"
			ip -n "$N" link set tb$i master br0 && ip -n "$N" link set tb$i up ||
				fail "tb$i into br0"
			PEER=10.201.62.1
		fi
		IFN=$([ $kind = plain ] && echo tp$i || echo tb$i)
		ADDR=$([ $kind = plain ] && echo 10.201.63.2/24 || echo 10.201.62.2/24)
		run -t 20 ip netns exec "$N" "$TERN" ping -c 1 -W 3 --tap "$IFN" --addr "$ADDR" \
			--pcap "$OUT/up-$kind-$i.pcap" "$PEER"
		assert_rc 0 "$kind TAP run $i: tern ping -c 1"
		rtt=$(grep -o 'time=[0-9.]*' <<<"$RUN_OUT" | cut -d= -f2)
		[ -n "$rtt" ] || fail "$kind TAP run $i: no reply line in: $RUN_OUT"
		awk -v r="$rtt" 'BEGIN { exit !(r < 500) }' ||
			fail "$kind TAP run $i: first round trip $rtt ms (the first ARP answer was lost)"
		assert_eq 1 "$(pcap_count "$OUT/up-$kind-$i.pcap" "arp.opcode==1 && arp.dst.proto_ipv4==$PEER")" \
			"$kind TAP run $i: one ARP request"
		# the next run gets a TAP of its own: the kernel's neighbour
		# entry and ICMP rate limit start afresh
		ip -n "$N" link del "$IFN"
	done
done

pass
