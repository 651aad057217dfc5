# tests/interop/test_tern_traceroute.sh — `tern traceroute` through a
# Linux router prints what Linux traceroute prints for the same path shape,
# and exits as it does.
#
#   NS (Linux router, ip_forward=1)                      NST (Linux target)
#   tap0 10.201.40.1/24  <->  tern 10.201.40.2/24        t0 10.201.41.2/24
#   r0 10.201.41.1/24  ────────── veth ──────────────    default via 10.201.41.1
#
# Asserts:
#  1. tern traceroute -n -q 1 (UDP) and -I (ICMP) to 10.201.41.2: hop 1 is
#     the router, hop 2 the target, exit 0;
#  2. Linux traceroute from the target back to a tern host prints the same
#     lines once addresses and times are blanked out (format check);
#  3. an address nobody has (10.201.41.99), -m 2 -w 1: hop 2 is "*", and
#     tern traceroute exits 0, as Linux traceroute does for the same
#     unreached destination (checked here too);
#  4. -F with 2000-byte probes over a 1500-byte link: each probe a local
#     "!F-1500" without an address, line for line as Linux traceroute -F;
# and the capture decodes cleanly.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
require_tools traceroute

ns_add trr; NS=$NS_NAME
ns_add trt; NST=$NS_NAME
tap_add "$NS" tap0 10.201.40.1/24
ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || fail "ip_forward=1"
ip -n "$NS" link add r0 type veth peer name t0 netns "$NST" || fail "veth r0/t0"
ip -n "$NS" addr add 10.201.41.1/24 dev r0 && ip -n "$NS" link set r0 up || fail "r0"
ip -n "$NST" addr add 10.201.41.2/24 dev t0 && ip -n "$NST" link set t0 up &&
	ip -n "$NST" route add default via 10.201.41.1 || fail "NST addressing"
TN=(--tap tap0 --addr 10.201.40.2/24 --gw 10.201.40.1)

# blank ADDR and TIME fields, so two traceroutes' lines can be compared
blank() { sed -E 's/[0-9]+(\.[0-9]+){3}/ADDR/g; s/[0-9]+\.[0-9]{3} ms/TIME ms/g' <<<"$1"; }

# ---- 1. tern traceroute, UDP and ICMP ---------------------------------------
for mode in "" "-I"; do
	log "tern traceroute $mode -n -q 1 -w 2 10.201.41.2"
	# shellcheck disable=SC2086 # $mode: empty or one word
	run -t 30 ip netns exec "$NS" "$TERN" traceroute $mode -n -q 1 -w 2 "${TN[@]}" \
		--pcap "$OUT/tr${mode}.pcap" 10.201.41.2
	assert_rc 0 "tern traceroute $mode 10.201.41.2"
	# (no wait_link_up here: tern has exited and closed the TAP, so the
	# kernel side's carrier is going down; it raced with linkwatch)
	assert_match '^traceroute to 10\.201\.41\.2 \(10\.201\.41\.2\), 30 hops max, 60 byte packets$' \
		"$RUN_OUT" "header"
	assert_match '^ 1  10\.201\.40\.1  [0-9]+\.[0-9]{3} ms$' "$RUN_OUT" "hop 1: the Linux router"
	assert_match '^ 2  10\.201\.41\.2  [0-9]+\.[0-9]{3} ms$' "$RUN_OUT" "hop 2: the target"
	assert_eq 3 "$(wc -l <<<"$RUN_OUT")" "lines printed (header and two hops)"
	check_pcap "$OUT/tr${mode}.pcap"
	[ -z "$mode" ] && TERN_REACHED=$RUN_OUT
done

# ---- 2. the same shape from Linux traceroute --------------------------------
log "Linux traceroute -n -q 1 -w 2 from the target to a tern host"
TH=tr-$RUN_ID
host_start "$TH" "$NS" "${TN[@]}"
run_ns -t 30 "$NST" traceroute -n -q 1 -w 2 10.201.40.2
assert_rc 0 "Linux traceroute 10.201.40.2"
host_stop "$TH"
assert_eq "$(blank "$RUN_OUT")" "$(blank "$TERN_REACHED")" \
	"tern traceroute's lines, against Linux traceroute's (addresses and times blanked)"

# ---- 3. unreached ------------------------------------------------------------
log "tern traceroute -n -q 1 -w 1 -m 2 10.201.41.99 (nobody there)"
run -t 30 ip netns exec "$NS" "$TERN" traceroute -n -q 1 -w 1 -m 2 "${TN[@]}" 10.201.41.99
TERN_RC=$RUN_RC
TERN_UNREACHED=$RUN_OUT
assert_rc 0 "tern traceroute to an unreached address"
assert_match '^ 2  \*$' "$TERN_UNREACHED" "hop 2 unanswered"
run_ns -t 30 "$NST" traceroute -n -q 1 -w 1 -m 2 10.201.40.99
assert_eq 0 "$RUN_RC" "Linux traceroute's exit status for an unreached address"
assert_eq "$(blank "$RUN_OUT")" "$(blank "$TERN_UNREACHED")" \
	"unreached: tern traceroute's lines against Linux traceroute's"
assert_eq 0 "$TERN_RC" "tern traceroute's exit status, as Linux's"

# ---- 4. -F, probes too big for the first link ---------------------------------
log "tern traceroute -F -n 10.201.41.2 2000: the local MTU refuses the probes"
run -t 30 ip netns exec "$NS" "$TERN" traceroute -F -n "${TN[@]}" 10.201.41.2 2000
assert_rc 0 "tern traceroute -F"
TERN_F=$RUN_OUT
assert_match '^ 1  \*  [0-9]+\.[0-9]{3} ms !F-1500 \*  [0-9]+\.[0-9]{3} ms !F-1500 \*  [0-9]+\.[0-9]{3} ms !F-1500$' \
	"$TERN_F" "-F: a local !F-1500 for each probe, no address"
run_ns -t 30 "$NST" traceroute -F -n 10.201.40.2 2000
assert_rc 0 "Linux traceroute -F"
assert_eq "$(blank "$RUN_OUT")" "$(blank "$TERN_F")" \
	"-F: tern traceroute's lines against Linux traceroute's"

pass
