# tests/interop/lib_attack.sh — the hostile-peer tests' segment, probes and
# checks. Sourced after lib.sh and lib_udp.sh:
#
#   source "$(dirname "$0")/lib.sh" "$@" || exit 1
#   source "$(dirname "$0")/lib_udp.sh" || exit 1
#   source "$(dirname "$0")/lib_attack.sh" || exit 1
#   attack_topology TAG 10.201.60 24
#
# One Ethernet segment, a Linux bridge in its own namespace:
#
#   NS_BR     br0 <- tap0: the tern host, NET.2 (TERN_IP)
#                 <- vl  -> NS_LEGIT eth0 NET.1 (LEGIT_IP, LEGIT_MAC): the Linux
#                          kernel, the legitimate peer (ping, a UDP echo client)
#                 <- va  -> NS_ATK   eth0 NET.66 (ATK_IP, ATK_MAC): the attacker,
#                          attack.py (scapy) writing raw frames on eth0
#
# The bridge learns no addresses on the attacker's port (va: learning off),
# so a forged Ethernet source (tern's own MAC, the legit peer's) cannot
# steer the bridge: whatever tern does with a frame is tern's doing.
#
# Each attack runs on a fresh tern host (attack_host_start), so its counters,
# capture and memory are that attack's alone. Checks (check ...) record a
# failure and carry on, so one run names every missing behaviour;
# attack_finish then fails with the list (or passes). Setup failures still
# fail at once. ATTACK_SCALE (percent, default 100) scales flood sizes, for
# slow builds (ASan); the assertions stay the same.

NS_BR= NS_LEGIT= NS_ATK=
LEGIT_MAC=02:00:00:00:11:11
ATK_MAC=02:00:00:00:66:66
ATTACK_SCALE=${ATTACK_SCALE:-100}
ATTACK_PY=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/attack.py")
[ -f "$ATTACK_PY" ] || fail "attack.py not found next to lib_attack.sh"
"$PY" -c 'import scapy.all' 2>/dev/null || fail "scapy is not importable by $PY (python3-scapy)"
require_tools socat ping

_SOFT_FAILS=()
RATES_FILE=$OUT/rates.txt
: >"$RATES_FILE"

# scaled N — N scaled by ATTACK_SCALE (at least 1).
scaled() {
	local n=$(($1 * ATTACK_SCALE / 100))
	[ "$n" -ge 1 ] || n=1
	echo "$n"
}

# ---- failures: checks record, fail reports them all ------------------------

eval "_lib_fail() $(declare -f fail | sed 1d)"
fail() {
	if [ -z "${_IN_CHECK:-}" ] && [ ${#_SOFT_FAILS[@]} -gt 0 ]; then
		printf 'FAIL %s: failed checks before this failure:\n' "$TEST_NAME" >&2
		printf '  - %s\n' "${_SOFT_FAILS[@]}" >&2
	fi
	_lib_fail "$@"
}

# check ASSERT ARGS... — run a lib.sh assert_* (or any command that calls
# fail); if it fails, log and record the message and go on.
check() {
	local msg
	msg=$( (_IN_CHECK=1 && "$@") 2>&1) && return 0
	msg=${msg#*FAIL "$TEST_NAME": }
	log "CHECK FAILED: $msg"
	_SOFT_FAILS+=("$msg")
	return 1
}

# attack_finish — pass, or fail naming every check that failed.
attack_finish() {
	log "probe success rates:"
	sed 's/^/    /' "$RATES_FILE"
	[ -s "$OUT/summary.txt" ] && grep '^attack-summary:' "$OUT/summary.txt"
	[ ${#_SOFT_FAILS[@]} -eq 0 ] && pass
	local list
	list=$(printf '  - %s\n' "${_SOFT_FAILS[@]}")
	_SOFT_FAILS=()
	fail "$(grep -c '^  - ' <<<"$list") check(s) failed:
$list"
}

# ---- the segment -----------------------------------------------------------

# attack_topology TAG NET PLEN — the segment above; NET is the first three
# octets of the addresses (10.201.X), PLEN the prefix length on every host.
attack_topology() {
	local tag=$1
	NET=$2 PLEN=$3
	TERN_IP=$NET.2 LEGIT_IP=$NET.1 ATK_IP=$NET.66
	ns_add "${tag}br"; NS_BR=$NS_NAME
	ns_add "${tag}ok"; NS_LEGIT=$NS_NAME
	ns_add "${tag}atk"; NS_ATK=$NS_NAME
	# No STP, no multicast snooping (whose IGMP reports, from 0.0.0.0,
	# would move tern's counters): a plain switch that learns.
	bridge_create "$NS_BR" br0 forward_delay 0 stp_state 0 mcast_snooping 0
	tap_bridged "$NS_BR" tap0 br0
	veth_bridged "$NS_BR" br0 vl "$NS_LEGIT" eth0 "$LEGIT_MAC" "$LEGIT_IP/$PLEN"
	veth_bridged "$NS_BR" br0 va "$NS_ATK" eth0 "$ATK_MAC" "$ATK_IP/$PLEN"
	ip -n "$NS_BR" link set va type bridge_slave learning off || fail "learning off on va"
	# With br_netfilter loaded, a bridge validates (and drops) malformed
	# IPv4 headers before they reach tern: not in this namespace.
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		ip netns exec "$NS_BR" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
			net.bridge.bridge-nf-call-arptables=0 net.bridge.bridge-nf-call-ip6tables=0 \
			>/dev/null || fail "bridge-nf-call-* off in $NS_BR"
	fi
	# The attacker's kernel answers no echo of tern's with an ICMP error
	# of its own (it has no UDP socket on the ports attack.py uses).
	ip netns exec "$NS_ATK" sysctl -qw net.ipv4.icmp_ratemask=0 >/dev/null ||
		fail "icmp_ratemask in the attacker namespace"
	cat >"$OUT/udp_probe.py" <<'EOF'
# udp_probe.py HOST PORT N INTERVAL — N datagrams "probe I" to HOST:PORT,
# one per INTERVAL s; counts the distinct echoes back (waiting 1 s after
# the last); prints "sent N received M".
import select, socket, sys, time
host, port, n, iv = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((host, port))
s.setblocking(False)
got = set()
t0 = time.monotonic()
i = 0
end = None
while True:
    now = time.monotonic()
    if i < n and now >= t0 + i * iv:
        try:
            s.send(b"probe %d" % i)
        except OSError:
            pass  # an ICMP error reported on the socket: that probe is lost
        i += 1
        if i == n:
            end = now + 1.0
        continue
    if end is not None and now >= end:
        break
    nxt = end if i >= n else t0 + i * iv
    r, _, _ = select.select([s], [], [], max(0.0, nxt - now))
    if r:
        try:
            d = s.recv(4096)
        except OSError:
            continue
        if d.startswith(b"probe "):
            got.add(int(d[6:]))
print("sent %d received %d" % (n, len(got)))
EOF
	cat >"$OUT/tcp_probe.py" <<'EOF'
# tcp_probe.py HOST PORT N INTERVAL MODE [LPORT] — N TCP echo probes, one
# per INTERVAL s. MODE connect: each probe a connection of its own
# (connect, "probe I\n", its echo, close; 2 s at most); MODE stream: one
# connection (from LPORT if given) for all, each line's echo awaited 1 s,
# a reset connection failing every probe after it. Prints "sent N received M".
import socket, sys, time
host, port, n, iv, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
lport = int(sys.argv[6]) if len(sys.argv) > 6 else 0
ok = 0
t0 = time.monotonic()


def conn():
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if lport:
        c.bind(("", lport))
    c.settimeout(2.0)
    c.connect((host, port))
    return c


def echo(c, i, limit):
    want = b"probe %d\n" % i
    c.settimeout(limit)
    c.sendall(want)
    got = b""
    end = time.monotonic() + limit
    while not got.endswith(want) and time.monotonic() < end:
        d = c.recv(4096)
        if not d:
            return False
        got += d
    return got.endswith(want)


s = None
if mode == "stream":
    try:
        s = conn()
    except OSError:
        s = None
for i in range(n):
    due = t0 + i * iv
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    try:
        if mode == "stream":
            if s is not None and echo(s, i, 1.0):
                ok += 1
        else:
            c = conn()
            try:
                if echo(c, i, 2.0):
                    ok += 1
            finally:
                c.close()
    except OSError:
        pass
if s is not None:
    s.close()
print("sent %d received %d" % (n, ok))
EOF
	log "segment: tern $TERN_IP/$PLEN on tap0, legit $LEGIT_IP ($LEGIT_MAC), attacker $ATK_IP ($ATK_MAC)"
}

# attack_host_start NAME [ARGS...] — a fresh tern host NAME-<run id> on tap0
# (--udp-echo 7, capture in $OUT/pcap-NAME/), known to both peers (each
# pings it once). Sets H, SOCK, HOST_PCAP, TERN_MAC.
attack_host_start() {
	local n=$1
	shift
	H=$n-$RUN_ID
	SOCK=/run/tern/$H.sock
	HOST_PCAP=$OUT/pcap-$n/$H-tap0.pcap
	mkdir -p "$OUT/pcap-$n"
	host_start "$H" "$NS_BR" --tap tap0 --addr "$TERN_IP/$PLEN" --udp-echo 7 \
		--pcap "$OUT/pcap-$n" "$@"
	[ -S "$SOCK" ] || fail "tern host $H has no control socket $SOCK"
	run_ns -t 8 "$NS_LEGIT" ping -n -c 1 -W 3 "$TERN_IP"
	assert_rc 0 "legit peer's first ping of the tern host $H"
	run_ns -t 8 "$NS_ATK" ping -n -c 1 -W 3 "$TERN_IP"
	assert_rc 0 "attacker's first ping of the tern host $H"
	TERN_MAC=$(ip -n "$NS_LEGIT" neigh show "$TERN_IP" dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
	[ -n "$TERN_MAC" ] || fail "legit peer has no neighbour entry for $TERN_IP"
}

# attack_host_stop — stop the host (its pcap is complete after this).
attack_host_stop() { host_stop "$H"; }

# atk KIND ARGS... — attack.py KIND in the attacker namespace, bounded by
# --seconds (default 10) and the run timeout; its line in ATK_OUT.
# ATK_NS and ATK_IF send from elsewhere: a Linux bridge drops frames whose
# Ethernet source is not a valid unicast address, so those are written
# straight onto tern's TAP from the bridge's namespace (ATK_NS=$NS_BR
# ATK_IF=tap0), as a hub would deliver them.
atk() {
	local kind=$1
	shift
	run_ns -t 40 "${ATK_NS:-$NS_ATK}" "$PY" "$ATTACK_PY" "$kind" --iface "${ATK_IF:-eth0}" --mac "$ATK_MAC" \
		--tern-mac "$TERN_MAC" --tern-ip "$TERN_IP" --atk-ip "$ATK_IP" --legit-ip "$LEGIT_IP" "$@"
	assert_rc 0 "attack.py $kind $*"
	ATK_OUT=$RUN_OUT
	log "$RUN_OUT"
}

# atk_bg NAME KIND ARGS... — the same in the background (bg_wait NAME).
atk_bg() {
	local name=$1 kind=$2
	shift 2
	bg_start "$name" /dev/null "$NS_ATK" "$PY" "$ATTACK_PY" "$kind" --iface eth0 --mac "$ATK_MAC" \
		--tern-mac "$TERN_MAC" --tern-ip "$TERN_IP" --atk-ip "$ATK_IP" --legit-ip "$LEGIT_IP" "$@"
}

# atk_bg_wait NAME SECS — wait for a background attack; fail if it failed.
atk_bg_wait() {
	bg_wait "$1" "$2"
	[ "$BG_RC" -eq 0 ] || fail "attack $1 exited $BG_RC: $(cat "$OUT/$1.err")"
	log "$(cat "$OUT/$1.out")"
}

# ---- the legitimate peer's probes -------------------------------------------

# probes_start TAG N — from the legit peer, concurrently: N pings (every
# 50 ms, 1 s to answer) and N UDP echo probes to port 7 (every 50 ms);
# with PROBE_TCP=connect (the host runs --tcp-echo 7) also N/2 TCP echo
# connections to port 7 (every 100 ms), with PROBE_TCP=stream:LPORT N
# lines on one connection from LPORT.
probes_start() {
	bg_start "ping-$1" /dev/null "$NS_LEGIT" ping -q -n -i 0.05 -c "$2" -W 1 "$TERN_IP"
	bg_start "udp-$1" /dev/null "$NS_LEGIT" "$PY" "$OUT/udp_probe.py" "$TERN_IP" 7 "$2" 0.05
	_PROBE_N=$2 _PROBE_TCP=${PROBE_TCP:-}
	case $_PROBE_TCP in
	connect) bg_start "tcp-$1" /dev/null "$NS_LEGIT" "$PY" "$OUT/tcp_probe.py" "$TERN_IP" 7 \
		"$(($2 / 2 > 0 ? $2 / 2 : 1))" 0.1 connect ;;
	stream:*) bg_start "tcp-$1" /dev/null "$NS_LEGIT" "$PY" "$OUT/tcp_probe.py" "$TERN_IP" 7 \
		"$2" 0.05 stream "${_PROBE_TCP#stream:}" ;;
	esac
}

# probes_check TAG MIN_PCT WHAT — wait for the probes; at least MIN_PCT per
# cent of the pings and of the UDP probes answered (checked, recorded in
# rates.txt).
probes_check() {
	local tag=$1 min=$2 what=$3 secs=$((_PROBE_N / 20 + 15)) ps pr us ur pp up
	bg_wait "ping-$tag" "$secs"
	bg_wait "udp-$tag" "$secs"
	read -r ps pr < <(sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' \
		"$OUT/ping-$tag.out")
	read -r us ur < <(sed -nE 's/^sent ([0-9]+) received ([0-9]+)$/\1 \2/p' "$OUT/udp-$tag.out")
	[ -n "${ps:-}" ] && [ "$ps" -gt 0 ] || fail "ping-$tag printed no summary: $(cat "$OUT/ping-$tag.out" "$OUT/ping-$tag.err")"
	[ -n "${us:-}" ] && [ "$us" -gt 0 ] || fail "udp-$tag printed no summary: $(cat "$OUT/udp-$tag.out" "$OUT/udp-$tag.err")"
	pp=$((pr * 100 / ps)) up=$((ur * 100 / us))
	local tcp_txt= ts tr tp
	if [ -n "$_PROBE_TCP" ]; then
		bg_wait "tcp-$tag" "$secs"
		read -r ts tr < <(sed -nE 's/^sent ([0-9]+) received ([0-9]+)$/\1 \2/p' "$OUT/tcp-$tag.out")
		[ -n "${ts:-}" ] && [ "$ts" -gt 0 ] || fail "tcp-$tag printed no summary: $(cat "$OUT/tcp-$tag.out" "$OUT/tcp-$tag.err")"
		tp=$((tr * 100 / ts))
		tcp_txt=$(printf '  tcp echo %3d%% (%d/%d)' "$tp" "$tr" "$ts")
	fi
	printf '%-52s ping %3d%% (%d/%d)  udp echo %3d%% (%d/%d)%s\n' "$what" "$pp" "$pr" "$ps" \
		"$up" "$ur" "$us" "$tcp_txt" >>"$RATES_FILE"
	_SUM_RATES+="${_SUM_RATES:+; }$what: ping $pp% ($pr/$ps) udp $up% ($ur/$us)${tcp_txt:+ tcp $tp% ($tr/$ts)}"
	log "$what: ping $pr/$ps, udp echo $ur/$us answered${tcp_txt:+, tcp echo $tr/$ts}"
	check assert_ge "$min" "$pp" "$what: per cent of the legit peer's pings answered ($pr of $ps)"
	check assert_ge "$min" "$up" "$what: per cent of the legit peer's UDP echo probes answered ($ur of $us)"
	[ -z "$tcp_txt" ] ||
		check assert_ge "$min" "$tp" "$what: per cent of the legit peer's TCP echo probes answered ($tr of $ts)"
}

# probes_during TAG N WHAT / probes_after TAG N WHAT — the usual pairs.
probes_after() {
	probes_start "$1" "$2"
	probes_check "$1" 100 "$3 (after)"
}

# ---- the control socket: counters and memory --------------------------------

# ctl CMD — one command to the host's control socket; answer in CTL_OUT.
ctl() {
	run -t 8 sh -c "echo '$1' | socat -t 5 - UNIX-CONNECT:'$SOCK'"
	CTL_OUT=$RUN_OUT
	[ "$RUN_RC" -eq 0 ] || fail "control socket $SOCK, '$1': exit $RUN_RC: $RUN_OUT"
}

# stats_snap FILE — every counter (stats -a) as "group.name value" lines.
stats_snap() {
	ctl 'stats -a'
	grep -q '^ip:$' <<<"$CTL_OUT" || fail "stats -a answered no counters: $CTL_OUT"
	awk '/^[a-z0-9_]+:$/ { g = substr($1, 1, length($1) - 1); next }
		NF >= 2 && g != "" { print g "." $1, $2 }' <<<"$CTL_OUT" >"$1"
}

# stat_delta BEFORE AFTER NAME — how much counter NAME moved between two
# snapshots; "absent" if the host has no such counter.
stat_delta() {
	awk -v k="$3" 'FNR == 1 { f++ } $1 == k { v[f] = $2; seen[f] = 1 }
		END { if (!seen[1] || !seen[2]) print "absent"; else print v[2] - v[1] }' "$1" "$2"
}

# stat_delta_sum BEFORE AFTER NAME... — the sum; "absent" if none exists.
stat_delta_sum() {
	local b=$1 a=$2 n d sum=0 any=
	shift 2
	for n in "$@"; do
		d=$(stat_delta "$b" "$a" "$n")
		[ "$d" = absent ] && continue
		any=1 sum=$((sum + d))
	done
	[ -n "$any" ] && echo "$sum" || echo absent
}

# expect_moved BEFORE AFTER NAME MIN — counter NAME moved by at least MIN.
expect_moved() {
	local d
	d=$(stat_delta "$1" "$2" "$3")
	[ "$d" = absent ] && d="absent (the host has no counter $3)"
	check assert_ge "$4" "$d" "counter $3 moved"
}
# expect_delta BEFORE AFTER NAME N — counter NAME moved by exactly N.
expect_delta() {
	local d
	d=$(stat_delta "$1" "$2" "$3")
	[ "$d" = absent ] && d="absent (the host has no counter $3)"
	check assert_eq "$4" "$d" "counter $3 moved by"
}

# expect_sum_moved BEFORE AFTER MIN NAME... — the named counters together
# moved by at least MIN.
expect_sum_moved() {
	local b=$1 a=$2 min=$3 d
	shift 3
	d=$(stat_delta_sum "$b" "$a" "$@")
	[ "$d" = absent ] && d="absent (the host has none of $*)"
	check assert_ge "$min" "$d" "counters $* together moved"
}

# mem_read — the host's `mem` answer in MEM_OUT; 1 if it has no such command.
mem_read() {
	ctl mem
	MEM_OUT=$CTL_OUT
	grep -qE '^pool: ' <<<"$MEM_OUT"
}

# mem_val GROUP KEY — a value from MEM_OUT ("pool: max B made B in_use B ...").
mem_val() {
	awk -v g="$1:" -v k="$2" '$1 == g { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$MEM_OUT"
}

# mem_baseline — the resting sizes before an attack (MEM0_*).
mem_baseline() {
	MEM0_INUSE= MEM0_MADE=
	if mem_read; then
		MEM0_INUSE=$(mem_val pool in_use) MEM0_MADE=$(mem_val pool made)
		log "memory at rest: $(tr '\n' ';' <<<"$MEM_OUT")"
	else
		log "the host answers 'mem' with: $MEM_OUT"
	fi
}

# mem_at_rest — 0 if MEM_OUT shows the resting state of mem_baseline.
mem_at_rest() {
	local lim=$((MEM0_MADE > 1048576 ? MEM0_MADE : 1048576))
	[ "$(mem_val pool in_use)" = "$MEM0_INUSE" ] &&
		[ "$(mem_val pool made)" -le "$lim" ] 2>/dev/null &&
		[ "$(mem_val reasm used)" = 0 ] && [ "$(mem_val reasm datagrams)" = 0 ] &&
		[ "$(mem_val neigh used)" = 0 ] && [ "$(mem_val neigh queued)" = 0 ] &&
		[ "$(mem_val sock_rx used)" = 0 ] && [ "$(mem_val tcp_ofo used)" = 0 ] &&
		[ "$(mem_val tcp_syn half_open)" = 0 ]
}

# expect_mem_rest WHAT SECS — within SECS s, pool in_use is back to its
# baseline, pool made at most max(baseline, 1 MiB), reasm used and
# datagrams 0, neigh used and queued 0.
expect_mem_rest() {
	local what=$1 secs=$2 i t0=$SECONDS
	if [ -z "$MEM0_INUSE" ]; then
		check fail "$what: no memory report: the host answers 'mem' with '$MEM_OUT'"
		return
	fi
	for ((i = 0; i < secs * 4; i++)); do
		mem_read || break
		if mem_at_rest; then
			log "$what: memory at rest again after $((SECONDS - t0)) s: $(tr '\n' ';' <<<"$MEM_OUT")"
			echo "$what: memory back to rest after $((SECONDS - t0)) s" >>"$RATES_FILE"
			_SUM_REST="in_use $(mem_val pool in_use) made $(mem_val pool made), at rest after $((SECONDS - t0)) s"
			return
		fi
		sleep 0.25
	done
	_SUM_REST="NOT at rest within $secs s: in_use $(mem_val pool in_use) made $(mem_val pool made)"
	check fail "$what: memory not back to rest within $secs s (pool in_use was $MEM0_INUSE, made $MEM0_MADE before); now:
$MEM_OUT"
}

# ---- the closing note's numbers -----------------------------------------------

# summary_begin NAME — start an attack's summary: the probe rates, memory
# and counters that attack_summary prints.
summary_begin() { _SUM_NAME=$1 _SUM_RATES= _SUM_REST= _SUM_EXTRA=; }
# summary_note TEXT — one more item for the summary (a fragmented ping's fate).
summary_note() { _SUM_EXTRA+="${_SUM_EXTRA:+; }$1"; }

# attack_summary BEFORE AFTER NAME... — print (and keep in $OUT/summary.txt)
# the grep-able lines of the attack begun by summary_begin, while its host
# still runs:
#   attack-summary: NAME | probes: ... | counters: NAME +D, ... | memory:
#     before in_use B made B; peak pool B reasm B neigh B sock_rx B tcp_ofo B;
#     after in_use B made B, at rest after S s
#   attack-counters: NAME | every counter that moved, with its delta
# NAMEs are the counters the attack is about (printed even when 0).
attack_summary() {
	local b=$1 a=$2 n d named= all peak="?"
	shift 2
	for n in "$@"; do
		d=$(stat_delta "$b" "$a" "$n")
		[[ $d =~ ^[0-9] ]] && d=+$d
		named+="${named:+, }$n $d"
	done
	all=$(awk 'FNR == 1 { f++ } f == 1 { v[$1] = $2; next }
		($2 - v[$1]) != 0 { printf "%s%s %+d", sep, $1, $2 - v[$1]; sep = ", " }' "$b" "$a")
	if mem_read; then
		peak="pool $(mem_val pool peak) reasm $(mem_val reasm peak) neigh $(mem_val neigh peak)"
		peak+=" sock_rx $(mem_val sock_rx peak) tcp_ofo $(mem_val tcp_ofo peak)"
	fi
	{
		printf 'attack-summary: %s | probes: %s%s | counters: %s | memory: before in_use %s made %s; peak %s; after %s\n' \
			"$_SUM_NAME" "${_SUM_RATES:-none}" "${_SUM_EXTRA:+; $_SUM_EXTRA}" "${named:-none}" \
			"${MEM0_INUSE:-?}" "${MEM0_MADE:-?}" "$peak" "${_SUM_REST:-not measured}"
		printf 'attack-counters: %s | %s\n' "$_SUM_NAME" "${all:-none moved}"
	} | tee -a "$OUT/summary.txt"
}

# ---- captures ----------------------------------------------------------------

# from_tern — a display filter for frames tern sent (a capture file has
# no direction; forged frames with tern's source MAC are addressed to it).
from_tern() { echo "(eth.src == $TERN_MAC && !(eth.dst == $TERN_MAC))"; }

# expect_no_frames PCAP FILTER WHAT — no frame of PCAP matches FILTER.
expect_no_frames() {
	local n
	n=$(pcap_count "$1" "$2")
	check assert_eq 0 "$n" "$3: frames matching '$2' in $(basename "$1")"
}
