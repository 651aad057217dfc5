# tests/interop/lib.sh — shared helpers for the interop tests, which run a
# tern host on a TAP device against the Linux kernel. Sourced, never run:
#
#   source "$(dirname "$0")/lib.sh" "$@"     # $1: path to the tern binary
#
# Everything a test builds lives in network namespaces it creates itself
# (named tern-<tag>-<pid>-<random>): the TAP devices, veths, bridges and addresses
# (10.201.x.y only). Nothing is created or changed in the namespace the test
# was started from. An EXIT trap kills what the test started and deletes
# its namespaces. Every command that could hang runs under `timeout`, and a
# watchdog ends the whole test after TEST_DEADLINE seconds.
#
# A test never skips: no root, no tool, no tern binary is a failure, since
# CI runs these as root and must notice a missing dependency.
#
# Output (logs of every command, tern's stdout/stderr, pcaps) goes to
# $TERN_TEST_OUT/interop/<test name>/ (a fresh /tmp/tern-<test>.XXXXXX if
# TERN_TEST_OUT is unset), kept after the run for inspection.

set -u
set -o pipefail

TEST_NAME=$(basename "${0%.sh}")
TEST_DEADLINE=${TEST_DEADLINE:-60}   # seconds for the whole test
RUN_TIMEOUT=${RUN_TIMEOUT:-30}       # default bound on one command

_NETNS=()        # namespaces to delete
_PIDS=()         # background processes to stop
declare -A _HOST_PID _HOST_LOG
_WATCHDOG=
_T0=$SECONDS
_EPOCH0=$(date +%s)
# Names this run's namespaces: the pid, plus a random part in case runs in
# other PID namespaces share this host's /run/netns.
RUN_ID=$$-$RANDOM

log()  { printf '[%3ds] %s\n' $((SECONDS - _T0)) "$*"; }
fail() {
	printf '[%3ds] FAIL %s: %s\n' $((SECONDS - _T0)) "$TEST_NAME" "$*" >&2
	exit 1
}
pass() {
	printf '[%3ds] PASS %s\n' $((SECONDS - _T0)) "$TEST_NAME"
	exit 0
}

# ---- prerequisites -------------------------------------------------------

require_root() {
	[ "$(id -u)" -eq 0 ] || fail "must run as root (network namespaces, TAP devices)"
}

# require_tools TOOL... — each must be on PATH.
require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || fail "required tool not found: $t"
	done
}

# ---- cleanup -------------------------------------------------------------

_cleanup() {
	local rc=$? pid ns i
	trap - EXIT INT TERM
	[ -n "$_WATCHDOG" ] && kill "$_WATCHDOG" 2>/dev/null
	for pid in "${_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${_PIDS[@]}"; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${_NETNS[@]}"; do
		# Deleting the namespace destroys its interfaces (TAPs, veths,
		# bridges) with it; nothing else was created outside.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$rc" -ne 0 ]; then
		echo "$TEST_NAME: failed (exit $rc); logs and captures in $OUT" >&2
	fi
	exit "$rc"
}

# ---- setup, run when sourced --------------------------------------------

TERN=${1:-}
[ -n "$TERN" ] || fail "usage: bash $0 PATH_TO_TERN_BINARY"
[ -x "$TERN" ] || fail "tern binary not found or not executable: $TERN"
TERN=$(readlink -f "$TERN")

if [ -n "${TERN_TEST_OUT:-}" ]; then
	OUT=$TERN_TEST_OUT/interop/$TEST_NAME
	rm -rf "$OUT"
	mkdir -p "$OUT" || fail "cannot create output directory $OUT"
else
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/tern-$TEST_NAME.XXXXXX") || fail "mktemp -d failed"
fi
OUT=$(readlink -f "$OUT")

trap _cleanup EXIT
trap 'exit 1' INT TERM HUP
# The watchdog turns a stuck test into a failure; the TERM runs the trap.
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$TEST_DEADLINE" >/dev/null 2>&1 &
	sp=$!
	wait "$sp" || exit 0
	echo "FAIL $TEST_NAME: over the ${TEST_DEADLINE}s deadline" >&2
	kill -TERM $$
) </dev/null >/dev/null &
_WATCHDOG=$!

require_root
require_tools ip timeout tshark

# ---- namespaces and devices ---------------------------------------------

# ns_add TAG — create namespace tern-TAG-<run id> and set NS_NAME to it.
# Loopback up, IPv6 off (keeps the captures to what the test is about).
# Call it in the test's own shell, not in $(...), so cleanup knows of it.
ns_add() {
	local ns="tern-$1-$RUN_ID"
	ip netns add "$ns" || fail "ip netns add $ns"
	_NETNS+=("$ns")
	ip -n "$ns" link set lo up || fail "lo up in $ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null ||
		fail "disable IPv6 in $ns"
	NS_NAME=$ns
}

# tap_add NS IF [ADDR/PLEN] — a persistent TAP device in NS; the address,
# if given, goes on the kernel side. tern opens the device later.
tap_add() {
	local ns=$1 ifn=$2 addr=${3:-}
	ip netns exec "$ns" ip tuntap add dev "$ifn" mode tap || fail "tuntap add $ifn in $ns"
	if [ -n "$addr" ]; then
		ip -n "$ns" addr add "$addr" dev "$ifn" || fail "addr $addr on $ifn in $ns"
	fi
	ip -n "$ns" link set "$ifn" up || fail "link $ifn up in $ns"
}

# bridge_create NS BR [OPTION...] — a Linux bridge in NS with no address of
# its own: a plain Ethernet segment that TAPs and veths are plugged into.
# OPTIONs are ip-link's bridge options (e.g. mcast_snooping 0).
bridge_create() {
	local ns=$1 br=$2
	shift 2
	ip -n "$ns" link add "$br" type bridge "$@" || fail "bridge $br in $ns"
	ip -n "$ns" link set "$br" up || fail "link $br up in $ns"
}

# veth_bridged NS BR IF PEER_NS PEER_IF MAC [ADDR/PLEN] — a veth pair: IF
# in NS enslaved to bridge BR, PEER_IF in PEER_NS with Ethernet address
# MAC and, if given, ADDR/PLEN. Both ends up.
veth_bridged() {
	local ns=$1 br=$2 ifn=$3 pns=$4 pif=$5 mac=$6 addr=${7:-}
	ip -n "$ns" link add "$ifn" type veth peer name "$pif" netns "$pns" ||
		fail "veth $ifn ($ns) / $pif ($pns)"
	ip -n "$ns" link set "$ifn" master "$br" || fail "$ifn into bridge $br in $ns"
	ip -n "$ns" link set "$ifn" up || fail "link $ifn up in $ns"
	ip -n "$pns" link set "$pif" address "$mac" || fail "MAC $mac on $pif in $pns"
	if [ -n "$addr" ]; then
		ip -n "$pns" addr add "$addr" dev "$pif" || fail "addr $addr on $pif in $pns"
	fi
	ip -n "$pns" link set "$pif" up || fail "link $pif up in $pns"
}

# wait_link_up NS IF — wait (at most 3 s) until the kernel reports IF
# operationally up. When tern opens a TAP, the carrier comes up at once but
# the kernel activates the device (its transmit queue) only when its link
# watcher runs, up to a second later; until then what the kernel sends on
# it (ARP replies, ...) is dropped.
wait_link_up() {
	local i
	# 10 s: a tern program starting on a loaded machine (or a sanitizer
	# build) may take seconds to open its TAP device.
	for ((i = 0; i < 100; i++)); do
		[ "$(ip netns exec "$1" cat "/sys/class/net/$2/operstate" 2>/dev/null)" = up ] && return 0
		sleep 0.1
	done
	fail "the kernel side of $2 in $1 is not operationally up 10 s after tern opened it: $(ip -n "$1" link show "$2" 2>&1)"
}

# ---- running commands ---------------------------------------------------

# run [-t SECS] CMD... — run CMD bounded in time; its output (stdout and
# stderr) in RUN_OUT, exit status in RUN_RC; both appended to $OUT/commands.log.
run() {
	local t=$RUN_TIMEOUT
	if [ "${1:-}" = "-t" ]; then
		t=$2
		shift 2
	fi
	RUN_OUT=$(timeout -k 2 "$t" "$@" 2>&1)
	RUN_RC=$?
	{
		echo "\$ $*"
		echo "$RUN_OUT"
		echo "[exit $RUN_RC]"
	} >>"$OUT/commands.log"
	[ "$RUN_RC" -eq 124 ] && log "timed out after ${t}s: $*"
	return 0
}
# run_ns [-t SECS] NS CMD... — run in namespace NS.
run_ns() {
	local targs=()
	if [ "${1:-}" = "-t" ]; then
		targs=(-t "$2")
		shift 2
	fi
	local ns=$1
	shift
	run "${targs[@]}" ip netns exec "$ns" "$@"
}

# ---- tern host in the background ---------------------------------------

# host_start NAME NS ARGS... — start `tern host --name NAME ARGS...` in NS,
# in the background, and wait (at most HOST_READY_TIMEOUT s) for one ready
# line per --tap in ARGS: "tern host NAME: IF ADDR up". Fails, with the
# log, if it exits or does not get ready in time.
HOST_READY_TIMEOUT=${HOST_READY_TIMEOUT:-10}
host_start() {
	local name=$1 ns=$2
	shift 2
	local logf="$OUT/host-$name.log" ntap=0 a i ready
	for a in "$@"; do
		[ "$a" = "--tap" ] && ntap=$((ntap + 1))
	done
	echo "\$ ip netns exec $ns $TERN host --name $name $*" >"$logf.cmd"
	timeout -k 30 "$TEST_DEADLINE" ip netns exec "$ns" "$TERN" host --name "$name" "$@" \
		>"$logf" 2>&1 </dev/null &
	local pid=$!
	_PIDS+=("$pid")
	_HOST_PID[$name]=$pid
	_HOST_LOG[$name]=$logf
	for ((i = 0; i < HOST_READY_TIMEOUT * 10; i++)); do
		ready=$(grep -cE "^tern host $name: [^ ]+ .* up( |$)" "$logf" 2>/dev/null)
		if [ "${ready:-0}" -ge "$ntap" ]; then
			log "tern host $name ready: $(grep -E "^tern host $name: " "$logf" | tr '\n' ';')"
			local prev=
			for a in "$@"; do
				[ "$prev" = "--tap" ] && wait_link_up "$ns" "$a"
				prev=$a
			done
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			fail "tern host $name exited ($?) before it was ready; its output:
$(cat "$logf")"
		fi
		sleep 0.1
	done
	fail "tern host $name: no ready line for each of its $ntap interface(s) within ${HOST_READY_TIMEOUT}s; its output:
$(cat "$logf")"
}

# host_stop NAME — SIGTERM, wait (bounded), expect exit 0. The counters it
# prints then are in its log (see host_counter).
host_stop() {
	local name=$1 pid=${_HOST_PID[$1]} i rc
	kill -TERM "$pid" 2>/dev/null
	# 30 s: a sanitizer build on a loaded machine checks its heap on exit, and
	# closing a TAP waits for the kernel's rtnl lock, which a namespace being
	# dismantled (the test before) may hold for seconds (timeout's -k above
	# gives the same grace). It is a guess: the cause of one 15 s exit
	# under ASan on a loaded machine was not found.
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "tern host $name did not exit within 30s of SIGTERM"
	fi
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] || fail "tern host $name exited with status $rc on SIGTERM; its output:
$(cat "${_HOST_LOG[$name]}")"
	log "tern host $name stopped; output in ${_HOST_LOG[$name]}"
}

host_log() { cat "${_HOST_LOG[$1]}"; }

# host_counter NAME SECTION KEY — a counter tern host NAME printed on exit
# ("ip:" then "    bad_checksum   2 (dropped)"); 0 if it did not print it.
host_counter() {
	awk -v sec="$2:" -v key="$3" '
		/^[a-z0-9_]+:$/ { cur = $1; next }
		cur == sec && $1 == key { v = $2 }
		END { print v + 0 }' "${_HOST_LOG[$1]}"
}

# ---- assertions ----------------------------------------------------------

# assert_rc EXPECTED WHAT — the last run's exit status.
assert_rc() {
	[ "$RUN_RC" -eq "$1" ] || fail "$2: expected exit status $1, got $RUN_RC; output:
$RUN_OUT"
}

# assert_eq EXPECTED GOT WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# assert_ge MIN GOT WHAT (integers)
assert_ge() {
	[ "$2" -ge "$1" ] 2>/dev/null || fail "$3: expected at least $1, got '$2'"
}

# assert_match ERE TEXT WHAT — some line of TEXT matches ERE.
assert_match() {
	grep -qE -- "$1" <<<"$2" || fail "$3: expected a line matching /$1/, got:
$2"
}

# assert_no_match ERE TEXT WHAT — no line of TEXT matches ERE.
assert_no_match() {
	! grep -qE -- "$1" <<<"$2" || fail "$3: expected no line matching /$1/, got:
$2"
}

# assert_count N ERE TEXT WHAT — exactly N lines of TEXT match ERE.
assert_count() {
	local n
	n=$(grep -cE -- "$2" <<<"$3")
	[ "$n" -eq "$1" ] || fail "$4: expected $1 line(s) matching /$2/, got $n in:
$3"
}

# ---- captures ----------------------------------------------------------

# Wireshark verifies IP/UDP/TCP checksums only when told to; there is no
# icmp.check_checksum preference: ICMP checksums are always verified, and
# a bad one is only a warning ("Checksum" expert group), so the filter
# asks for every checksum status "Bad" (0) explicitly as well.
TSHARK_PREFS=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE)
# (A TCP checksum field of 0xffff where 0x0000 is usual is right by RFC
# 1624 and Linux sends it now and then; tshark flags it, so that note
# alone does not count.)
PCAP_BAD_FILTER='_ws.malformed || _ws.expert.severity >= error || (_ws.expert.group == "Checksum" && !tcp.checksum.ffff) || ip.checksum.status == 0 || icmp.checksum.status == 0 || udp.checksum.status == 0 || (tcp.checksum.status == 0 && !tcp.checksum.ffff)'

# tshark_fields FILE FILTER FIELD... — one line per matching frame.
tshark_fields() {
	local f=$1 filter=$2 args=() fld
	shift 2
	for fld in "$@"; do
		args+=(-e "$fld")
	done
	timeout -k 2 60 tshark -n -r "$f" "${TSHARK_PREFS[@]}" -Y "$filter" -T fields \
		-E separator=' ' "${args[@]}" 2>>"$OUT/tshark.err"
}

# pcap_count FILE FILTER — number of frames matching FILTER.
pcap_count() {
	local out
	out=$(timeout -k 2 60 tshark -n -r "$1" "${TSHARK_PREFS[@]}" -Y "$2" -T fields \
		-e frame.number 2>>"$OUT/tshark.err") || fail "tshark -r $1 -Y '$2' failed"
	grep -c . <<<"$out"
}

# check_pcap FILE — tshark decodes every frame with checksum validation on;
# fail if the file is missing or has no frame, if tshark fails, if any
# frame is malformed, has a bad checksum or an error-level expert note, or
# if a timestamp is outside the test's run or earlier than the one before.
check_pcap() {
	local f=$1 n bad
	[ -f "$f" ] || fail "check_pcap: no capture file $f"
	n=$(timeout -k 2 60 tshark -n -r "$f" -T fields -e frame.number 2>"$OUT/tshark.out.err" | grep -c .)
	[ "$n" -gt 0 ] || fail "check_pcap: $f has no packets"
	# TCP payload is read as plain data: random test data would otherwise
	# now and then look like a protocol to a heuristic dissector (Thrift)
	# and be called malformed.
	bad=$(timeout -k 2 60 tshark -n -r "$f" "${TSHARK_PREFS[@]}" -d 'tcp.port==1-65535,data' \
		-Y "$PCAP_BAD_FILTER" \
		-T fields -e frame.number -e _ws.col.Info -e _ws.expert.message \
		2>"$OUT/tshark.out.err") ||
		fail "check_pcap: tshark failed on $f: $(cat "$OUT/tshark.out.err")"
	[ -z "$bad" ] || fail "check_pcap: $f has malformed frames, bad checksums or expert errors:
$bad"
	# Timestamps are wall-clock times (tern shifts its monotonic clock),
	# taken during this test, and never go backwards.
	bad=$(timeout -k 2 60 tshark -n -r "$f" -T fields -e frame.number -e frame.time_epoch \
		-e _ws.col.Info 2>/dev/null |
		awk -F'\t' -v lo=$((_EPOCH0 - 2)) -v hi=$(($(date +%s) + 2)) '
			$2 < lo || $2 > hi { print "frame " $1 ": time " $2 " outside the test run [" lo ", " hi "]: " $3 }
			NR > 1 && $2 < prev { print "frame " $1 ": time " $2 " before the previous frame (" prev "): " $3 }
			{ prev = $2 }')
	[ -z "$bad" ] || fail "check_pcap: $f has wrong timestamps:
$bad"
	log "check_pcap $(basename "$f"): $n frames, well-formed, good checksums and timestamps"
}
