# tests/interop/test_attack_arp.sh — a hostile peer on tern's Ethernet tries
# to poison its neighbour cache; the legitimate peer keeps being served at
# its own MAC.
#
#   bridge: tern host 10.201.64.2/19 (tap0), legit Linux 10.201.64.1,
#           attacker 10.201.64.66 (scapy, attack.py)   — see lib_attack.sh
#
# Each form runs on a fresh tern host while the legit peer pings it and
# sends UDP echo probes (>= 95% answered during, 100% after); every forged
# packet is sent 10 times, one every 0.1 s. For each form, all of:
#  - tern's capture shows every frame it sent to the legit IP addressed to
#    the legit peer's MAC (none to the attacker's), and the capture on the
#    attacker's veth (tshark, the whole test) holds no frame for the legit
#    IP;
#  - the counter naming the refusal moved (arp.unsolicited_ignored,
#    arp.override_refused; arp.strict_refused, arp.static_refused);
#  - memory (control command `mem`) is back at rest after.
# Forms: (a) an unsolicited reply for an address tern never asked about
# (no entry made: neigh entries unchanged); (b) a reply claiming the legit
# IP with the attacker's MAC, to tern; (c) a request claiming the legit IP,
# to tern (unicast and broadcast); (d) requests and replies claiming the
# legit IP addressed to another host (broadcast, and unicast to another
# MAC: eth.other_host); (e) gratuitous ARP for the legit IP, request and
# reply forms; then an ARP request flood from 5,000 spoofed senders in the
# subnet; then `--arp strict` (a reply with no outstanding request is
# refused) and `--arp static,IP,MAC` (the static entry holds against
# (b), (c), (e)).
: "${TEST_DEADLINE:=240}" # ASan on a 2-core machine: the ARP suite alone ran 96 s
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
source "$(dirname "$0")/lib_attack.sh" || exit 1

attack_topology aa 10.201.64 19
BCAST=ff:ff:ff:ff:ff:ff
OTHER_IP=10.201.64.99

# The attacker's side: every frame for the legit IP that reaches it.
bg_start cap-atk /dev/null "$NS_ATK" tshark -n -q -i eth0 -f "ip dst host $LEGIT_IP" \
	-a "duration:$TEST_DEADLINE" -w "$OUT/attacker.pcap"
wait_file_match "$OUT/cap-atk.err" 'Capturing on' 15 "tshark on the attacker's veth"
: >"$OUT/windows"

# form_begin NAME [HOST ARGS...] — a fresh host, counters and memory
# noted, the legit peer's probes started (3 s).
form_begin() {
	FORM=$1
	shift
	attack_host_start "$FORM" "$@"
	stats_snap "$OUT/$FORM.0"
	mem_baseline
	MEM0_ENTRIES=$(mem_val neigh entries)
	FORM_T0=$(date +%s.%N)
	probes_start "$FORM-during" 60
}

# poison ARGS... — one forged ARP packet (attack.py arp ARGS), 20 times
# in 2 s.
poison() {
	atk arp --count 10 --interval 0.1 "$@"
}

# form_end WHAT [COUNTER...] — probes checked, counters noted (FORM.1),
# memory back at rest, the summary printed (COUNTERS named in it), the host
# stopped, its capture checked.
form_end() {
	local what=$1 bad
	shift
	summary_begin "$what"
	probes_check "$FORM-during" 95 "$what (during)"
	probes_after "$FORM-after" 20 "$what"
	echo "$FORM $FORM_T0 $(date +%s.%N) $what" >>"$OUT/windows"
	stats_snap "$OUT/$FORM.1"
	expect_mem_rest "$what" 5
	attack_summary "$OUT/$FORM.0" "$OUT/$FORM.1" "$@"
	attack_host_stop
	check assert_ge 1 "$(pcap_count "$HOST_PCAP" "ip.src == $TERN_IP && ip.dst == $LEGIT_IP && icmp.type == 0 && eth.dst == $LEGIT_MAC")" \
		"$what: echo replies tern sent to the legit peer's MAC"
	expect_no_frames "$HOST_PCAP" "ip.dst == $LEGIT_IP && !(eth.dst == $LEGIT_MAC)" \
		"$what: frames for the legit IP that tern addressed to another MAC"
}

# ---- (a) unsolicited reply for a new address -----------------------------------
form_begin arpa
poison --op 2 --spa 10.201.64.77 --tpa "$TERN_IP" --tha "$TERN_MAC"
form_end "(a) unsolicited ARP reply for a new address" arp.unsolicited_ignored
expect_delta "$OUT/arpa.0" "$OUT/arpa.1" arp.unsolicited_ignored 10
if [ -n "$MEM0_INUSE" ]; then
	check assert_eq "$MEM0_ENTRIES" "$(mem_val neigh entries)" "(a): neighbour entries after an unsolicited reply"
fi

# ---- (b) reply claiming the legit IP ---------------------------------------------
form_begin arpb
poison --op 2 --spa "$LEGIT_IP" --tpa "$TERN_IP" --tha "$TERN_MAC"
form_end "(b) ARP reply: legit IP at the attacker's MAC" arp.override_refused
expect_delta "$OUT/arpb.0" "$OUT/arpb.1" arp.override_refused 10

# ---- (c) request claiming the legit IP -------------------------------------------
form_begin arpc
poison --op 1 --spa "$LEGIT_IP" --tpa "$TERN_IP"
poison --op 1 --spa "$LEGIT_IP" --tpa "$TERN_IP" --eth-dst "$BCAST"
form_end "(c) ARP request to tern from the legit IP at the attacker's MAC" arp.override_refused
expect_delta "$OUT/arpc.0" "$OUT/arpc.1" arp.override_refused 20

# ---- (d) claims addressed to another host ----------------------------------------
form_begin arpd
poison --op 1 --spa "$LEGIT_IP" --tpa "$OTHER_IP" --eth-dst "$BCAST"
poison --op 2 --spa "$LEGIT_IP" --tpa "$OTHER_IP" --eth-dst "$BCAST"
poison --op 2 --spa "$LEGIT_IP" --tpa "$OTHER_IP" --eth-dst 02:00:00:00:99:99 --tha 02:00:00:00:99:99
form_end "(d) ARP for another host claiming the legit IP" arp.override_refused arp.target_not_ours eth.other_host
# Addressed to another host, they teach tern nothing at all: no claim is
# even weighed (no override_refused), they are counted as for another.
expect_delta "$OUT/arpd.0" "$OUT/arpd.1" arp.override_refused 0
expect_moved "$OUT/arpd.0" "$OUT/arpd.1" arp.target_not_ours 20
expect_moved "$OUT/arpd.0" "$OUT/arpd.1" eth.other_host 10

# ---- (e) gratuitous ARP for the legit IP -----------------------------------------
form_begin arpe
poison --op 1 --spa "$LEGIT_IP" --tpa "$LEGIT_IP" --eth-dst "$BCAST"
poison --op 2 --spa "$LEGIT_IP" --tpa "$LEGIT_IP" --tha "$BCAST" --eth-dst "$BCAST"
form_end "(e) gratuitous ARP for the legit IP" arp.override_refused arp.target_not_ours
# The request form is an announcement and is weighed (and refused); the
# reply form with THA broadcast is none by Linux's test (a gratuitous
# reply has THA = SHA), so it is a reply for another host.
expect_delta "$OUT/arpe.0" "$OUT/arpe.1" arp.override_refused 10
expect_moved "$OUT/arpe.0" "$OUT/arpe.1" arp.target_not_ours 10

# ---- ARP request flood from 5,000 spoofed senders ----------------------------------
NFLOOD=$(scaled 5000)
form_begin arpflood
atk arp-flood --count "$NFLOOD" --rate "$((NFLOOD / 2))" --seconds 8 --spoof-base 10.201.70.0 \
	--spoof-n "$NFLOOD"
form_end "ARP request flood, $NFLOOD spoofed senders" arp.in_packets
expect_moved "$OUT/arpflood.0" "$OUT/arpflood.1" arp.in_packets "$((NFLOOD * 9 / 10))"

# ---- --arp strict, --arp static,IP,MAC -------------------------------------------------
# A host without the option would not start: that is one failed check, and
# the forms are not run.
# (The help is read whole first: grep -q leaving early would kill tern
# with SIGPIPE, and pipefail would call that a missing option.)
host_help=$("$TERN" host --help 2>&1 || true)
if ! grep -q -- '--arp' <<<"$host_help"; then
	check fail "tern host --help shows no --arp option (strict; static,IP,MAC)"
else
	# --arp strict
	form_begin arpstrict --arp strict
	poison --op 2 --spa "$LEGIT_IP" --tpa "$TERN_IP" --tha "$TERN_MAC"
	poison --op 2 --spa 10.201.64.78 --tpa "$TERN_IP" --tha "$TERN_MAC"
	form_end "--arp strict: unrequested replies" arp.strict_refused
	expect_moved "$OUT/arpstrict.0" "$OUT/arpstrict.1" arp.strict_refused 10

	# --arp static,IP,MAC
	form_begin arpstatic --arp "static,$LEGIT_IP,$LEGIT_MAC"
	poison --op 2 --spa "$LEGIT_IP" --tpa "$TERN_IP" --tha "$TERN_MAC"
	poison --op 1 --spa "$LEGIT_IP" --tpa "$TERN_IP" --eth-dst "$BCAST"
	poison --op 1 --spa "$LEGIT_IP" --tpa "$LEGIT_IP" --eth-dst "$BCAST"
	poison --op 2 --spa "$LEGIT_IP" --tpa "$OTHER_IP" --eth-dst "$BCAST"
	form_end "--arp static: the legit peer's static entry" arp.static_refused arp.target_not_ours
	# three forms weigh a claim against the static entry; the fourth,
	# for another host, is not even weighed
	expect_delta "$OUT/arpstatic.0" "$OUT/arpstatic.1" arp.static_refused 30
	expect_moved "$OUT/arpstatic.0" "$OUT/arpstatic.1" arp.target_not_ours 10
fi

# ---- what reached the attacker ----------------------------------------------------------
kill -TERM "${_BG_PID[cap-atk]}" 2>/dev/null
bg_wait cap-atk 10
[ -f "$OUT/attacker.pcap" ] || fail "no capture from the attacker's veth"
times=$(timeout -k 2 60 tshark -n -r "$OUT/attacker.pcap" -T fields -e frame.time_epoch 2>>"$OUT/tshark.err")
while read -r name t0 t1 what; do
	n=$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b' <<<"$times" | grep -c .)
	check assert_eq 0 "$n" "$what: frames for the legit IP $LEGIT_IP that reached the attacker's veth"
done <"$OUT/windows"

attack_finish
