# tests/interop/test_attack_frag.sh — a hostile peer on tern's Ethernet
# attacks its IPv4 reassembly; the legitimate peer keeps being served.
#
#   bridge: tern host 10.201.60.2/24 (tap0), legit Linux 10.201.60.1,
#           attacker 10.201.60.66 (scapy, attack.py)   — see lib_attack.sh
#
# Attacks, each on a fresh tern host, with the legit peer's ping and UDP
# echo probes running during the attack (>= 95% answered) and after it
# (100%), and the host's memory (control command `mem`) back at rest after:
#  1. overlapping fragments: echo requests whose middle fragment overlaps
#     the first with other bytes — never delivered (no echo reply, no
#     icmp.in_echos), ip.reasm_overlap per datagram;
#  2. oversize fragments, whose offset + length ends past 65535 — refused
#     by the header check before reassembly (ip.bad_fragment), nothing held;
#  3. the ping of death (a 65,548-byte echo request in 45 fragments) — no
#     reply, ip.reasm_too_big, the held fragments freed at once;
#  4. a flood of 20,000 first fragments (MF=1, offset 0, 1000 bytes, distinct
#     IP IDs) from 2,000 spoofed sources, then 20,000 from one source:
#     plain ping and UDP echo keep answering during it, a fragmented ping
#     (ping -s 3000) from the legit peer is answered within 1 s of each
#     flood's end, ip.reasm_evicted > 0 (datagrams evicted at the high
#     mark), ip.reasm_reqds counts the fragments, and within 35 s
#     reassembly holds nothing.
: "${TEST_DEADLINE:=240}" # ASan on a 2-core machine: the ARP suite alone ran 96 s
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
source "$(dirname "$0")/lib_attack.sh" || exit 1

attack_topology af 10.201.60 24

# no_echo_reply IDENT WHAT — tern sent no echo reply with this identifier.
no_echo_reply() {
	expect_no_frames "$HOST_PCAP" "ip.src == $TERN_IP && icmp.type == 0 && icmp.ident == $1" "$2"
}

# ---- 1. overlapping fragments -----------------------------------------------
attack_host_start fov
stats_snap "$OUT/fov.0"
mem_baseline
summary_begin "overlapping fragments"
probes_start fov-during 40
atk frag-overlap --count 5 --ident 0x6001 --id-base 1000 --interval 0.2
probes_check fov-during 95 "overlapping fragments (during)"
probes_after fov-after 20 "overlapping fragments"
stats_snap "$OUT/fov.1"
expect_moved "$OUT/fov.0" "$OUT/fov.1" ip.reasm_overlap 5
expect_delta "$OUT/fov.0" "$OUT/fov.1" ip.reasm_oks 0
expect_delta "$OUT/fov.0" "$OUT/fov.1" ip.reasm_reqds 15
expect_mem_rest "overlapping fragments" 5
attack_summary "$OUT/fov.0" "$OUT/fov.1" ip.reasm_overlap ip.reasm_oks ip.reasm_reqds
attack_host_stop
no_echo_reply 0x6001 "overlapping fragments: an echo reply to a datagram that overlapped"

# ---- 2. oversize fragments ----------------------------------------------------
attack_host_start fbig
stats_snap "$OUT/fbig.0"
mem_baseline
summary_begin "oversize fragments"
probes_start fbig-during 40
atk frag-too-big --count 5 --ident 0x6002 --id-base 2000 --interval 0.2
probes_check fbig-during 95 "oversize fragments (during)"
probes_after fbig-after 20 "oversize fragments"
stats_snap "$OUT/fbig.1"
expect_delta "$OUT/fbig.0" "$OUT/fbig.1" ip.bad_fragment 10
expect_delta "$OUT/fbig.0" "$OUT/fbig.1" ip.reasm_oks 0
expect_mem_rest "oversize fragments" 5
attack_summary "$OUT/fbig.0" "$OUT/fbig.1" ip.bad_fragment ip.reasm_oks
attack_host_stop

# ---- 3. ping of death ------------------------------------------------------------
attack_host_start fpod
stats_snap "$OUT/fpod.0"
mem_baseline
summary_begin "ping of death"
probes_start fpod-during 40
atk ping-of-death --count 3 --ident 0x6003 --id-base 3000 --interval 0.01
probes_check fpod-during 95 "ping of death (during)"
probes_after fpod-after 20 "ping of death"
stats_snap "$OUT/fpod.1"
expect_delta "$OUT/fpod.0" "$OUT/fpod.1" ip.reasm_too_big 3
expect_delta "$OUT/fpod.0" "$OUT/fpod.1" ip.reasm_oks 0
expect_mem_rest "ping of death" 5
attack_summary "$OUT/fpod.0" "$OUT/fpod.1" ip.reasm_too_big ip.reasm_oks
attack_host_stop
no_echo_reply 0x6003 "ping of death"

# ---- 4. first-fragment floods -----------------------------------------------------
# frag_ping WHAT — a 3000-byte ping (3 fragments each way) answered within
# 1 s.
frag_ping() {
	run_ns -t 5 "$NS_LEGIT" ping -n -s 3000 -c 1 -i 0.2 -w 1 "$TERN_IP"
	check assert_rc 0 "$1: a fragmented ping (-s 3000) from the legit peer answered within 1 s of the flood's end"
	local fate
	fate=$([ "$RUN_RC" -eq 0 ] && echo answered || echo NOT answered)
	echo "$1: fragmented ping within 1 s: $fate" >>"$RATES_FILE"
	summary_note "$1: fragmented ping (-s 3000) within 1 s of the end: $fate"
}
NFRAG=$(scaled 20000)
RATE=$(scaled 8000)
attack_host_start fflood
stats_snap "$OUT/fflood.0"
mem_baseline
summary_begin "fragment floods"
probes_start fflood-spoofed 60
atk frag-flood --count "$NFRAG" --rate "$RATE" --seconds 8 --spoof-base 10.201.160.1 --spoof-n 2000 \
	--id-base 1
frag_ping "fragment flood, 2000 spoofed sources"
probes_check fflood-spoofed 95 "fragment flood, 2000 spoofed sources (during)"
probes_start fflood-one 60
atk frag-flood --count "$NFRAG" --rate "$RATE" --seconds 8 --id-base 30000
frag_ping "fragment flood, one source"
probes_check fflood-one 95 "fragment flood, one source (during)"
probes_after fflood-after 40 "fragment floods"
stats_snap "$OUT/fflood.1"
expect_moved "$OUT/fflood.0" "$OUT/fflood.1" ip.reasm_evicted 1
expect_moved "$OUT/fflood.0" "$OUT/fflood.1" ip.reasm_reqds "$((2 * NFRAG * 9 / 10))"
expect_delta "$OUT/fflood.0" "$OUT/fflood.1" pkt.no_buffers 0
expect_mem_rest "fragment floods" 35
attack_summary "$OUT/fflood.0" "$OUT/fflood.1" ip.reasm_evicted ip.reasm_reqds pkt.no_buffers
attack_host_stop

attack_finish
