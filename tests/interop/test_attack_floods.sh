# tests/interop/test_attack_floods.sh — a hostile peer on tern's Ethernet
# floods it so that each budget fills; the legitimate peer keeps being
# served.
#
#   bridge: tern host 10.201.96.2/20 (tap0), legit Linux 10.201.96.1,
#           attacker 10.201.96.66 (scapy, attack.py)   — see lib_attack.sh
#
# Each flood on a fresh tern host, with the legit peer's ping and UDP
# echo probes running during it (>= 95% answered) and after (100%), and
# memory (`mem`) back at rest after (neighbour queues empty once ARP gives
# up, within 10 s):
#  1. UDP to closed ports: 10,000 datagrams from the attacker's address,
#     then 10,000 from 2,000 spoofed on-link sources — port unreachables
#     limited per destination (icmp.errors_ratelimited) and host-wide
#     (icmp.errors_ratelimited_host);
#  2. UDP to the echo port, 20,000 datagrams of 1400 bytes as fast as the
#     socket takes them, from 2,000 spoofed off-link sources — the echo
#     socket's receive budget refuses the excess
#     (the pool never runs dry: pkt.no_buffers stays 0);
#  3. echo requests from 2,000 spoofed on-link sources whose ARP never
#     resolves: the replies wait for ARP and fill the neighbour queues
#     (arp.unresolved_queue_full or arp.unresolved_memory_limit); the ICMP
#     host unreachables that follow cannot be sent either and are counted
#     under icmp.out_errors, and icmp.out_msgs equals the ICMP messages
#     tern's capture shows it sent.
: "${TEST_DEADLINE:=240}" # ASan on a 2-core machine: the ARP suite alone ran 96 s
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
source "$(dirname "$0")/lib_attack.sh" || exit 1

attack_topology afl 10.201.96 20
N=$(scaled 10000)
RATE=$(scaled 5000)

# ---- 1. UDP to closed ports ------------------------------------------------------------
attack_host_start flclosed
stats_snap "$OUT/flclosed.0"
mem_baseline
summary_begin "UDP to closed ports"
probes_start flclosed-during 80
atk udp-flood --count "$N" --rate "$RATE" --seconds 8 --dport 0
atk udp-flood --count "$N" --rate "$RATE" --seconds 8 --dport 0 --spoof-base 10.201.100.0 --spoof-n 2000
probes_check flclosed-during 95 "UDP to closed ports (during)"
probes_after flclosed-after 20 "UDP to closed ports"
expect_mem_rest "UDP to closed ports" 10
stats_snap "$OUT/flclosed.1"
expect_moved "$OUT/flclosed.0" "$OUT/flclosed.1" icmp.errors_ratelimited 1
expect_moved "$OUT/flclosed.0" "$OUT/flclosed.1" icmp.errors_ratelimited_host 1
expect_moved "$OUT/flclosed.0" "$OUT/flclosed.1" udp.no_port "$((2 * N * 9 / 10))"
attack_summary "$OUT/flclosed.0" "$OUT/flclosed.1" icmp.errors_ratelimited icmp.errors_ratelimited_host udp.no_port
attack_host_stop

# ---- 2. UDP to the echo port from many sources ------------------------------------------
attack_host_start flecho
stats_snap "$OUT/flecho.0"
mem_baseline
summary_begin "UDP flood to the echo port"
probes_start flecho-during 80
atk udp-flood --count "$((2 * N))" --seconds 8 --dport 7 --size 1400 \
	--spoof-base 10.201.200.0 --spoof-n 2000
probes_check flecho-during 95 "UDP flood to the echo port (during)"
probes_after flecho-after 20 "UDP flood to the echo port"
expect_mem_rest "UDP flood to the echo port" 5
stats_snap "$OUT/flecho.1"
# The echo server drains its socket as each datagram comes, so neither
# receive budget fills here (tests/unit/test_hardening.c fills them); what
# must hold is that the flood never empties the pool.
expect_delta "$OUT/flecho.0" "$OUT/flecho.1" pkt.no_buffers 0
# (how many reach tern depends on the TAP queue, which a raw-socket burst
# overflows: under ASan 3,056 of 20,000 did; any will do)
expect_moved "$OUT/flecho.0" "$OUT/flecho.1" udp.in_datagrams 1
attack_summary "$OUT/flecho.0" "$OUT/flecho.1" pkt.no_buffers udp.in_datagrams
attack_host_stop

# ---- 3. echo requests from unresolvable on-link sources ----------------------------------
attack_host_start flneigh
stats_snap "$OUT/flneigh.0"
mem_baseline
summary_begin "echo requests from 2000 unresolved sources"
probes_start flneigh-during 80
atk echo-flood --count "$N" --rate "$RATE" --seconds 8 --spoof-base 10.201.100.0 --spoof-n 2000
probes_check flneigh-during 95 "echo requests from 2000 unresolved sources (during)"
probes_after flneigh-after 20 "echo requests from 2000 unresolved sources"
sleep 3 # ARP gives up on the last sources 3 s after their first request
expect_mem_rest "echo requests from 2000 unresolved sources" 10
stats_snap "$OUT/flneigh.1"
expect_sum_moved "$OUT/flneigh.0" "$OUT/flneigh.1" 1 arp.unresolved_queue_full arp.unresolved_memory_limit
expect_moved "$OUT/flneigh.0" "$OUT/flneigh.1" icmp.out_errors 1
attack_summary "$OUT/flneigh.0" "$OUT/flneigh.1" icmp.out_errors
attack_host_stop
# icmp.out_msgs counts what left: the ICMP messages on the wire, plus the
# host unreachables tern sent itself about its own unsent echo replies
# (looped back, received as ICMP errors: nobody else sends it any here).
wire=$(pcap_count "$HOST_PCAP" "$(from_tern) && icmp")
self=$(awk '$1 == "icmp.in_error_msgs" { print $2 }' "$OUT/flneigh.1")
check assert_eq "$((wire + self))" "$(awk '$1 == "icmp.out_msgs" { print $2 }' "$OUT/flneigh.1")" \
	"icmp.out_msgs against the ICMP messages tern's capture shows ($wire) and those it sent itself ($self)"

attack_finish
