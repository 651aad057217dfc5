# tests/interop/test_attack_headers.sh — a hostile peer on tern's Ethernet
# sends forged link-layer and IP headers, malformed ICMP and UDP, and ICMP
# messages tern must take in without acting; the legitimate peer keeps
# being served.
#
#   bridge: tern host 10.201.61.2/24 (tap0), legit Linux 10.201.61.1,
#           attacker 10.201.61.66 (scapy, attack.py)   — see lib_attack.sh
#
# Two barrages, each on a fresh tern host, each forgery sent 3 times, with
# the legit peer's ping and UDP echo probes running throughout (>= 95%
# answered) and after (100%), memory (`mem`) back at rest after, and:
#  1. forgeries — echo requests with their own ICMP identifier, UDP
#     datagrams to the echo port from their own source port; tern's capture
#     shows no answer to any of them and no ICMP message but echo replies;
#     counters move by exactly 3 per forgery:
#       source routes LSRR (131), SSRR (137)      ip.source_route_denied
#       Ethernet source = tern's MAC               eth.own_source_mac
#       Ethernet source all-zero                   eth.zero_source_mac
#       Ethernet source multicast, broadcast       eth.bad_source_mac
#         (these three written onto tern's TAP from the bridge's namespace:
#         the Linux bridge itself drops them)
#       LAND (source = destination = tern); sources 0.0.0.0, 255.255.255.255,
#         224.0.0.5, 240.0.0.1, 127.0.0.1, 0.1.2.3 ip.martian_source
#       version 6                                  ip.bad_version
#       IHL 4; IHL 15 in a 40-byte datagram        ip.bad_header_length
#       total length 16; 1400 in a short frame     ip.bad_total_length
#       header checksum                            ip.bad_checksum
#       option length past the header; length 0    ip.bad_options
#       (TTL 0 is no forgery for a host: RFC 1122 §3.2.1.7 forbids dropping
#       a datagram for TTL < 2, and Linux answers it; so does tern)
#       ICMP checksum; an ICMP message of 3 bytes  icmp.bad_checksum, icmp.short_packet
#       UDP checksum; UDP length 200 and 4         udp.bad_checksum, udp.bad_length
#  2. ICMP consumed without action: timestamp requests (13), no reply,
#     icmp.timestamp_ignored; types 4, 9, 10, 15, 17, 42, icmp.type_ignored;
#     port unreachables quoting a datagram tern never sent (from another
#     source; from tern's address but a port it has no socket on),
#     icmp.error_not_ours; tern sends no ICMP message of any kind for them.
: "${TEST_DEADLINE:=240}" # ASan on a 2-core machine: the ARP suite alone ran 96 s
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
source "$(dirname "$0")/lib_attack.sh" || exit 1

attack_topology ah 10.201.61 24

# barrage NAME IDENT SPORT FORGERY... — each forgery 3 times, one frame
# every 10 ms, the i-th with ICMP identifier IDENT+i, UDP source port SPORT+i.
barrage() {
	local name=$1 ident=$2 sport=$3 what
	shift 3
	what=$(IFS=,; echo "$*")
	atk hdr --what "$what" --count 3 --interval 0.01 --ident "$ident" --sport "$sport"
}

# no_answers IDENT SPORT FORGERY... — tern's capture holds no echo reply
# with the forgery's identifier, no UDP datagram to its source port.
no_answers() {
	local ident=$1 sport=$2 i=0 w
	shift 2
	for w in "$@"; do
		expect_no_frames "$HOST_PCAP" "$(from_tern) && ((icmp.type == 0 && icmp.ident == $((ident + i))) || udp.dstport == $((sport + i)))" \
			"forgery $w: an answer from tern"
		i=$((i + 1))
	done
}

# ---- 1. header and link-layer forgeries ---------------------------------------------
LINK_FORGED=(eth-zero-src eth-mcast-src eth-bcast-src)
FORGED=(lsrr ssrr eth-own-src land
	martian-zero martian-bcast martian-mcast martian-classe martian-loopback martian-zeronet
	ip-version ip-ihl-short ip-ihl-long ip-len-short ip-len-long ip-checksum
	ip-options-len ip-options-len0
	icmp-checksum icmp-short udp-checksum udp-len-long udp-len-short)
attack_host_start hdr
stats_snap "$OUT/hdr.0"
mem_baseline
summary_begin "header forgeries"
probes_start hdr-during 60
barrage hdr 0x5100 41000 "${FORGED[@]}"
ATK_NS=$NS_BR ATK_IF=tap0 barrage hdr 0x5180 41100 "${LINK_FORGED[@]}"
probes_check hdr-during 95 "header forgeries (during)"
probes_after hdr-after 20 "header forgeries"
stats_snap "$OUT/hdr.1"
for c in ip.source_route_denied:6 eth.own_source_mac:3 eth.zero_source_mac:3 \
	eth.bad_source_mac:6 ip.martian_source:21 ip.bad_version:3 ip.bad_header_length:6 \
	ip.bad_total_length:6 ip.bad_checksum:3 ip.bad_options:6 icmp.bad_checksum:3 \
	icmp.short_packet:3 udp.bad_checksum:3 udp.bad_length:6; do
	expect_delta "$OUT/hdr.0" "$OUT/hdr.1" "${c%:*}" "${c#*:}"
done
expect_mem_rest "header forgeries" 5
attack_summary "$OUT/hdr.0" "$OUT/hdr.1" ip.source_route_denied eth.own_source_mac eth.zero_source_mac eth.bad_source_mac ip.martian_source ip.bad_version ip.bad_header_length ip.bad_total_length ip.bad_checksum ip.bad_options icmp.bad_checksum icmp.short_packet udp.bad_checksum udp.bad_length
attack_host_stop
no_answers 0x5100 41000 "${FORGED[@]}"
no_answers 0x5180 41100 "${LINK_FORGED[@]}"
expect_no_frames "$HOST_PCAP" "$(from_tern) && icmp && icmp.type != 0" \
	"header forgeries: ICMP messages from tern other than echo replies"

# ---- 2. ICMP consumed without action -------------------------------------------------
ICMPS=(icmp-timestamp icmp-type-4 icmp-type-9 icmp-type-10 icmp-type-15 icmp-type-17
	icmp-type-42 icmp-err-foreign-src icmp-err-no-port)
attack_host_start icmp
stats_snap "$OUT/icmp.0"
mem_baseline
summary_begin "ICMP without action"
probes_start icmp-during 60
barrage icmp 0x5200 42000 "${ICMPS[@]}"
probes_check icmp-during 95 "ICMP without action (during)"
probes_after icmp-after 20 "ICMP without action"
stats_snap "$OUT/icmp.1"
expect_delta "$OUT/icmp.0" "$OUT/icmp.1" icmp.timestamp_ignored 3
expect_delta "$OUT/icmp.0" "$OUT/icmp.1" icmp.type_ignored 18
expect_delta "$OUT/icmp.0" "$OUT/icmp.1" icmp.error_not_ours 6
expect_delta "$OUT/icmp.0" "$OUT/icmp.1" sock.icmp_errors_reported 0
expect_mem_rest "ICMP without action" 5
attack_summary "$OUT/icmp.0" "$OUT/icmp.1" icmp.timestamp_ignored icmp.type_ignored icmp.error_not_ours sock.icmp_errors_reported
attack_host_stop
expect_no_frames "$HOST_PCAP" "$(from_tern) && icmp && icmp.type != 0" \
	"ICMP without action: ICMP messages from tern other than echo replies"

attack_finish
