# tests/interop/test_attack_tcp.sh — a hostile peer on tern's Ethernet
# attacks its TCP; the legitimate peer keeps being served.
#
#   bridge: tern host 10.201.112.2/20 (tap0, --tcp-echo 7 and --udp-echo 7),
#           legit Linux 10.201.112.1, attacker 10.201.112.66 (attack.py,
#           speaking TCP from 10.201.112.67, an address its own kernel does
#           not have, which tern knows by a static ARP entry)  — see
#           lib_attack.sh
#
# Each attack on a fresh tern host, the legit peer's ping, UDP echo and
# TCP echo probes running during it (>= 95% answered) and after (100%),
# memory (`mem`) back at rest after, and one attack-summary line each:
#  1. a SYN flood: 20,000 SYNs from random sources among 2,000 on-link
#     addresses that never answer ARP (so tern's SYN-ACKs wait for ARP
#     too): the half-open budget (tcp_max_syn_backlog 256) fills and SYN
#     cookies answer (tcp.req_q_full_do_cookies, tcp.syncookies_sent), no
#     SYN is refused outright (tcp.syn_queue_full 0), a new TCP echo
#     connection every 100 ms keeps being made (SYN-ACKs retried once,
#     tcp_synack_retries 1, so the half-open entries are gone 3 s later);
#  2. out-of-order data: 128 connections of the attacker's, each then
#     given 100 one-byte segments above a one-byte hole (12,800 buffers,
#     about 27 MB: more than the whole receive budget, though each
#     connection stays within its SO_RCVBUF): the out-of-order budget
#     (4 MiB) refuses the rest (tcp.ofo_memory_limit), in-order data and
#     UDP are never refused (tcp.rcv_memory_limit, sock.rcv_memory_limit
#     0), and the legit peer is served while the connections hold their
#     data;
#  3. forged segments on those connections, RFC 5961: 10 rounds, on each,
#     of an RST inside the window but not at RCV.NXT and a SYN (challenge
#     ACKs, at most about 1000 a second: tcp.challenge_ack_limited), and an
#     RST a quarter of the sequence space ahead (dropped:
#     tcp.rcv_pack_after_win), at 3,000 frames a second (what the TAP
#     queue takes whole);
#     no connection is reset (tcp.estab_resets 0, the data still held);
#  4. blind forgeries against the legit peer's own connection (the
#     attacker knows its ports, not its sequence numbers): 10,000 RSTs
#     stepping across the sequence space and 10,000 SYNs at random ones,
#     while that connection echoes a line every 50 ms: it survives and
#     answers every line;
#  then the attacker resets its connections (an RST at RCV.NXT each:
#  tcp.estab_resets 128) and memory returns to rest.
: "${TEST_DEADLINE:=300}"
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
source "$(dirname "$0")/lib_attack.sh" || exit 1

attack_topology atc 10.201.112 20
TCP_SRC=$NET.67
NCONN=128
NSEG=$(scaled 100)

# tcp_host NAME [ARGS...] — a fresh tern host with TCP echo on port 7 and
# the attacker's TCP address pinned to its MAC.
tcp_host() {
	local n=$1
	shift
	attack_host_start "$n" --tcp-echo 7 --arp "static,$TCP_SRC,$ATK_MAC" "$@"
}

# ---- 1. SYN flood ------------------------------------------------------------------------
tcp_host tsyn --sysctl net.ipv4.tcp_synack_retries=1
summary_begin "SYN flood, 20000 SYNs from 2000 random on-link sources"
stats_snap "$OUT/tsyn.0"
mem_baseline
PROBE_TCP=connect probes_start tsyn-during 80
atk syn-flood --count "$(scaled 20000)" --rate "$(scaled 5000)" --seconds 8 \
	--spoof-base 10.201.120.1 --spoof-n 2000 --dport 7
PROBE_TCP=connect probes_check tsyn-during 95 "SYN flood (during)"
PROBE_TCP=connect probes_start tsyn-after 20
PROBE_TCP=connect probes_check tsyn-after 100 "SYN flood (after)"
sleep 3 # the last half-open entries give up: SYN-ACK at 0 s and 1 s, then 3 s
expect_mem_rest "SYN flood" 15
stats_snap "$OUT/tsyn.1"
expect_moved "$OUT/tsyn.0" "$OUT/tsyn.1" tcp.syncookies_sent 1
expect_moved "$OUT/tsyn.0" "$OUT/tsyn.1" tcp.req_q_full_do_cookies 1
expect_moved "$OUT/tsyn.0" "$OUT/tsyn.1" tcp.syncookies_recv 1
expect_delta "$OUT/tsyn.0" "$OUT/tsyn.1" tcp.syn_queue_full 0
expect_delta "$OUT/tsyn.0" "$OUT/tsyn.1" pkt.no_buffers 0
attack_summary "$OUT/tsyn.0" "$OUT/tsyn.1" tcp.req_q_full_do_cookies tcp.syncookies_sent \
	tcp.syncookies_recv tcp.syn_queue_full arp.unresolved_queue_full arp.unresolved_memory_limit \
	pkt.no_buffers
attack_host_stop

# ---- 2.-4. out-of-order data, forged and blind segments -------------------------------------
tcp_host tofo --sysctl net.ipv4.tcp_synack_retries=1
STATE=$OUT/ofo.state
summary_begin "TCP out-of-order flood, $NCONN connections x $NSEG segments above a hole"
stats_snap "$OUT/tofo.0"
mem_baseline
PROBE_TCP=connect probes_start tofo-during 80
atk tcp-ofo --conns "$NCONN" --segs "$NSEG" --spoof-base "$TCP_SRC" --sport 20000 --dport 7 \
	--rate "$(scaled 6000)" --seconds 30 --state "$STATE"
made=$(wc -l <"$STATE")
check assert_eq "$NCONN" "$made" "attacker's connections made"
PROBE_TCP=connect probes_check tofo-during 95 "TCP out-of-order flood (during)"
# The connections hold their data: the budget is full, the legit peer served.
mem_read || true
held=$(mem_val tcp_ofo used) lim=$(mem_val tcp_ofo limit)
log "while held: $(tr '\n' ';' <<<"$MEM_OUT")"
summary_note "held: tcp_ofo used $held of $lim, sock_rx used $(mem_val sock_rx used) of $(mem_val sock_rx limit)"
check assert_ge "$((lim * 9 / 10))" "${held:-0}" "out-of-order bytes held (tcp_ofo used) near the budget $lim"
PROBE_TCP=connect probes_start tofo-held 60
PROBE_TCP=connect probes_check tofo-held 95 "TCP out-of-order data held"
stats_snap "$OUT/tofo.1"
expect_moved "$OUT/tofo.0" "$OUT/tofo.1" tcp.ofo_memory_limit 1
expect_delta "$OUT/tofo.0" "$OUT/tofo.1" tcp.rcv_memory_limit 0
expect_delta "$OUT/tofo.0" "$OUT/tofo.1" sock.rcv_memory_limit 0
expect_delta "$OUT/tofo.0" "$OUT/tofo.1" pkt.no_buffers 0
attack_summary "$OUT/tofo.0" "$OUT/tofo.1" tcp.ofo_memory_limit tcp.rcvbuf_drop tcp.rcv_memory_limit \
	sock.rcv_memory_limit pkt.no_buffers

# 3. RFC 5961 on the attacker's own connections
summary_begin "forged RST (in window, out of window) and SYN on $NCONN connections, 10 rounds"
PROBE_TCP=connect probes_start tfrg-during 40
atk tcp-forge --state "$STATE" --count 10 --spoof-base "$TCP_SRC" --dport 7 --seconds 10 \
	--rate "$(scaled 3000)"
PROBE_TCP=connect probes_check tfrg-during 95 "forged RST/SYN (during)"
stats_snap "$OUT/tofo.2"
n=$((NCONN * 10))
expect_moved "$OUT/tofo.1" "$OUT/tofo.2" tcp.rst_in_window "$((n * 9 / 10))" # what the TAP queue took
expect_moved "$OUT/tofo.1" "$OUT/tofo.2" tcp.syn_in_window "$((n * 9 / 10))"
expect_moved "$OUT/tofo.1" "$OUT/tofo.2" tcp.rcv_pack_after_win "$((n * 9 / 10))"
expect_moved "$OUT/tofo.1" "$OUT/tofo.2" tcp.challenge_acks 1
expect_moved "$OUT/tofo.1" "$OUT/tofo.2" tcp.challenge_ack_limited 1
expect_delta "$OUT/tofo.1" "$OUT/tofo.2" tcp.estab_resets 0
mem_read || true
check assert_eq "$held" "$(mem_val tcp_ofo used)" "out-of-order bytes still held after the forged RSTs (no connection reset)"
attack_summary "$OUT/tofo.1" "$OUT/tofo.2" tcp.rst_in_window tcp.syn_in_window tcp.rcv_pack_after_win \
	tcp.syn_challenge tcp.challenge_acks tcp.challenge_ack_limited tcp.estab_resets

# 4. blind forgeries against the legit peer's connection from port 40007
summary_begin "blind RSTs and SYNs against the legit peer's connection, 2 x 10000"
PROBE_TCP=stream:40007 probes_start tblind 80
sleep 0.5
atk tcp-blind --legit-ip "$LEGIT_IP" --sport 40007 --dport 7 --count "$(scaled 10000)" \
	--rate "$(scaled 8000)" --seconds 8
PROBE_TCP=stream:40007 probes_check tblind 95 "blind RST/SYN on the legit connection (during)"
stats_snap "$OUT/tofo.3"
# out of the window: ahead (rcv_pack_after_win) or behind (rcv_dup_pack)
expect_sum_moved "$OUT/tofo.2" "$OUT/tofo.3" "$(($(scaled 10000) * 2 * 9 / 10))" tcp.rcv_pack_after_win \
	tcp.rcv_dup_pack
expect_delta "$OUT/tofo.2" "$OUT/tofo.3" tcp.estab_resets 0
# RFC 5961 §4.2: the blind SYNs, whatever their sequence number, were challenged
expect_moved "$OUT/tofo.2" "$OUT/tofo.3" tcp.syn_challenge 1
attack_summary "$OUT/tofo.2" "$OUT/tofo.3" tcp.rcv_pack_after_win tcp.rcv_dup_pack tcp.rst_in_window \
	tcp.ack_skipped_seq \
	tcp.syn_challenge tcp.challenge_acks tcp.challenge_ack_limited tcp.estab_resets

# the attacker leaves: an RST at RCV.NXT on each connection
summary_begin "the attacker's $NCONN connections reset"
atk tcp-forge --state "$STATE" --what reset --spoof-base "$TCP_SRC" --dport 7 --seconds 10
probes_after tofo-after 20 "TCP attacks"
expect_mem_rest "TCP attacks" 10
stats_snap "$OUT/tofo.4"
expect_delta "$OUT/tofo.3" "$OUT/tofo.4" tcp.estab_resets "$NCONN"
attack_summary "$OUT/tofo.3" "$OUT/tofo.4" tcp.estab_resets
attack_host_stop

attack_finish
