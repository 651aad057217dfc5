# tests/interop/test_udp_ss.sh — `tern ss` shows a tern host's sockets as
# iproute2 ss shows Linux's, through the host's control socket.
#
#   namespace NS:  tap0, kernel side 10.201.23.1/24  <->  tern host
#                  10.201.23.2/24 --udp-echo 7 --udp-echo 5353
#   namespace REF: python3 with UDP sockets on 0.0.0.0:7 and 0.0.0.0:5353,
#                  the same sockets on Linux, for `ss` to show
#
# Asserts:
#  1. `tern ss -u -a -n --host NAME` lists the echo sockets as
#     "UNCONN 0      0            0.0.0.0:7         0.0.0.0:*" and is
#     byte-for-byte what `ss -u -a -n` prints for the Linux twins (rows
#     sorted: the order is the kernel's hash order); so are -u -l -n,
#     -u -a (service names: echo, mdns), -u -a -n -H, -u -n (connected
#     only: no State column, no rows), -t and no table option (Netid column);
#     -e and -m carry the same words as Linux's once the inode, socket
#     cookie and cgroup are masked;
#  2. -p names the owner: users:(("udp-echo",pid=PID,fd=SD)) with PID the
#     tern host's process (its /proc comm is "tern");
#  3. -i adds a second line per socket; after one datagram echoed on port 7
#     it reads "in:1 out:1";
#  4. the control socket answers `stats` and `routes` (socat), and an
#     unknown command with "error: ...";
#  5. tern ss --host with no such host exits 1: "tern ss: no tern host
#     named X (no DIR/X.sock)"; the socket file is gone after the host
#     exits; a stale socket file is replaced, and a second host by the
#     same name runs without one, with a warning ($TERN_RUN_DIR for these);
# and tern host's capture decodes cleanly with good checksums.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools ss socat

ns_add udpss
NS=$NS_NAME
tap_add "$NS" tap0 10.201.23.1/24
ns_add udpssref
REF=$NS_NAME

H=udpss-$RUN_ID
host_start "$H" "$NS" --tap tap0 --addr 10.201.23.2/24 --udp-echo 7 --udp-echo 5353 \
	--pcap "$OUT/pcap"
SOCK=/run/tern/$H.sock
[ -S "$SOCK" ] || fail "tern host $H has no control socket $SOCK"
assert_match "^tern host $H: control socket $SOCK\$" "$(host_log "$H")" "tern host's control line"

cat >"$OUT/twins.py" <<'EOF'
import socket, time
socks = []
for port in (7, 5353):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    socks.append(s)
time.sleep(60)
EOF
bg_start twins /dev/null "$REF" "$PY" "$OUT/twins.py"
wait_udp_bound "$REF" 5353

# ---- 1. the table, against Linux's ----------------------------------------
# sorted_table TEXT — the header (if any) first, then the rows sorted.
sorted_table() {
	local first
	first=$(head -1 <<<"$1")
	if grep -q '^State\|^Recv-Q\|^Netid' <<<"$first"; then
		echo "$first"
		tail -n +2 <<<"$1" | sort
	else
		sort <<<"$1"
	fi
}
for opts in "-u -a -n" "-u -l -n" "-u -a" "-u -a -n -H" "-u -n" "-t" "-n" "-t -u -a -n" "-t -u -l -n" "-u -a -l -n" "-u -l -a -n"; do
	# shellcheck disable=SC2086 # word splitting of opts intended
	run "$TERN" ss $opts --host "$H"
	assert_rc 0 "tern ss $opts --host $H"
	mine=$(sorted_table "$RUN_OUT")
	# stdout only: without -t/-u, ss also complains on stderr about
	# netlink families the namespace lacks ("RTNETLINK answers: ...").
	# shellcheck disable=SC2086
	theirs=$(timeout 10 ip netns exec "$REF" ss $opts 2>>"$OUT/ss.err") ||
		fail "ss $opts (Linux) failed: $(cat "$OUT/ss.err")"
	theirs=$(sorted_table "$theirs")
	[ "$mine" = "$theirs" ] || fail "tern ss $opts differs from Linux ss $opts:
--- tern ss
$(cat -A <<<"$mine")
--- ss
$(cat -A <<<"$theirs")"
	log "tern ss $opts: same bytes as ss $opts"
done
# -e and -m: the same words once Linux-only values are masked (inode,
# socket cookie, cgroup), rows sorted; the layout differs with them.
for opts in "-u -a -n -e" "-u -a -n -m"; do
	# shellcheck disable=SC2086
	run "$TERN" ss $opts --host "$H"
	assert_rc 0 "tern ss $opts"
	mine=$(ss_words <<<"$RUN_OUT" | sort)
	# shellcheck disable=SC2086
	theirs=$(timeout 10 ip netns exec "$REF" ss $opts 2>>"$OUT/ss.err" | ss_words | sort)
	ss_same_words "tern ss $opts" "$mine" "$theirs"
done
run "$TERN" ss -u -a -n --host "$H"
assert_match '^State +Recv-Q +Send-Q +Local Address:Port +Peer Address:Port *Process$' "$RUN_OUT" "header"
assert_match '^UNCONN +0 +0 +0\.0\.0\.0:7 +0\.0\.0\.0:\* *$' "$RUN_OUT" "echo socket on port 7"
assert_match '^UNCONN +0 +0 +0\.0\.0\.0:5353 +0\.0\.0\.0:\* *$' "$RUN_OUT" "echo socket on port 5353"

# ---- 2. -p ----------------------------------------------------------------
run "$TERN" ss -u -a -n -p --host "$H"
assert_rc 0 "tern ss -u -a -n -p"
assert_count 2 'users:\(\("udp-echo",pid=[0-9]+,fd=[01]\)\)$' "$RUN_OUT" "owners"
pid=$(grep -oE 'pid=[0-9]+' <<<"$RUN_OUT" | head -1 | cut -d= -f2)
assert_eq tern "$(cat "/proc/$pid/comm" 2>/dev/null)" "the process -p names (pid $pid)"

# ---- 3. -i ----------------------------------------------------------------
wait_link_up "$NS" tap0
run_ns -t 10 "$NS" sh -c "printf ping | socat -t 3 - UDP:10.201.23.2:7"
assert_eq ping "$RUN_OUT" "tern host's echo on port 7"
run "$TERN" ss -u -a -n -i --host "$H"
assert_rc 0 "tern ss -u -a -n -i"
info7=$(grep -A1 -E '0\.0\.0\.0:7 ' <<<"$RUN_OUT" | tail -1)
assert_match '^	 queued:0 in:1 out:1 drops:0 rcvbuf:[0-9]+ sndbuf:[0-9]+$' "$info7" "-i line of port 7"

# ---- 4. other commands ----------------------------------------------------
run socat -t 3 - "UNIX-CONNECT:$SOCK" <<<"stats"
assert_match '^udp:$' "$RUN_OUT" "stats: udp section"
assert_match '^ +in_datagrams +1$' "$RUN_OUT" "stats: udp in_datagrams"
run socat -t 3 - "UNIX-CONNECT:$SOCK" <<<"routes"
assert_match '^10\.201\.23\.0/24 dev tap0 .*src 10\.201\.23\.2' "$RUN_OUT" "routes"
run socat -t 3 - "UNIX-CONNECT:$SOCK" <<<"frobnicate"
assert_eq "error: unknown command 'frobnicate' (try: help)" "$RUN_OUT" "unknown command"

host_stop "$H"
[ ! -e "$SOCK" ] || fail "$SOCK still exists after tern host $H exited"
check_pcap "$OUT/pcap/$H-tap0.pcap"

# ---- 5. missing, stale and duplicate hosts ------------------------------------
run "$TERN" ss -u -a --host "nosuch-$RUN_ID"
assert_rc 1 "tern ss --host nosuch-$RUN_ID"
assert_match "^tern ss: no tern host named nosuch-$RUN_ID \(no /run/tern/nosuch-$RUN_ID.sock\)" \
	"$RUN_OUT" "missing host"

export TERN_RUN_DIR=$OUT/run
mkdir -p "$TERN_RUN_DIR"
"$PY" -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$TERN_RUN_DIR/dup.sock" ||
	fail "cannot make a stale socket file"
host_start dup "$NS" --tap tap0 --addr 10.201.23.2/24
assert_match "^tern host dup: control socket $TERN_RUN_DIR/dup.sock\$" "$(host_log dup)" \
	"stale socket replaced"
run "$TERN" ss -u -a -n --host dup
assert_rc 0 "tern ss --host dup (TERN_RUN_DIR)"
ip netns exec "$NS" ip tuntap add dev tap1 mode tap || fail "tuntap add tap1"
ip -n "$NS" link set tap1 up || fail "tap1 up"
bg_start dup2 /dev/null "$NS" "$TERN" host --name dup --tap tap1 --addr 10.201.23.3/24
wait_file_match "$OUT/dup2.out" '^tern host dup: tap1 10\.201\.23\.3/24 up$' 10 "second host 'dup' ready"
assert_match "^tern host dup: warning: no control socket $TERN_RUN_DIR/dup.sock: another tern program by that name answers on it" \
	"$(cat "$OUT/dup2.err")" "second host by the same name"
kill -TERM "${_BG_PID[dup2]}"
bg_wait dup2 5
assert_eq 0 "$BG_RC" "second host 'dup' exit status"
run "$TERN" ss -u -a -n --host dup
assert_rc 0 "tern ss --host dup after the second 'dup' exited (its socket left alone)"
host_stop dup
[ ! -e "$TERN_RUN_DIR/dup.sock" ] || fail "$TERN_RUN_DIR/dup.sock still exists after its host exited"
unset TERN_RUN_DIR

pass
