# tests/interop/lib_udp.sh — helpers the UDP (and TCP nc) interop tests add to lib.sh.
# Sourced after lib.sh (whose cleanup also stops what these start):
#
#   source "$(dirname "$0")/lib.sh" "$@" || exit 1
#   source "$(dirname "$0")/lib_udp.sh" || exit 1
#
# Also sets BUILD (the build directory, from the tern binary's path: the
# interop scripts get only that) and PY (/usr/bin/python3, for Linux-side
# sockets), failing if either is missing.

BUILD=$(dirname "$TERN")
PY=/usr/bin/python3
[ -x "$PY" ] || fail "required tool not found: $PY (Linux-side UDP sockets)"

# example_bin NAME — path of examples/NAME in the build tree.
example_bin() {
	local b="$BUILD/examples/$1"
	[ -x "$b" ] || fail "example program not built: $b (examples/CMakeLists.txt)"
	echo "$b"
}

# bridge_add NS BR ADDR/PLEN — a Linux bridge in NS holding the kernel's
# address, so several TAP devices (several tern hosts) share one segment.
bridge_add() {
	ip -n "$1" link add "$2" type bridge || fail "bridge $2 in $1"
	ip -n "$1" addr add "$3" dev "$2" || fail "addr $3 on $2 in $1"
	ip -n "$1" link set "$2" up || fail "link $2 up in $1"
}

# tap_bridged NS IF BR — a TAP device in NS, enslaved to bridge BR.
tap_bridged() {
	ip netns exec "$1" ip tuntap add dev "$2" mode tap || fail "tuntap add $2 in $1"
	ip -n "$1" link set "$2" master "$3" || fail "$2 into bridge $3 in $1"
	ip -n "$1" link set "$2" up || fail "link $2 up in $1"
}

declare -A _BG_PID
# bg_start NAME STDIN NS CMD... — run CMD in NS in the background, bounded
# by the test deadline, stdin from file STDIN, stdout in $OUT/NAME.out,
# stderr in $OUT/NAME.err. Stopped by the cleanup trap if still running.
bg_start() {
	local name=$1 in=$2 ns=$3
	shift 3
	echo "\$ ip netns exec $ns $* <$in" >>"$OUT/commands.log"
	timeout -k 2 "$TEST_DEADLINE" ip netns exec "$ns" "$@" <"$in" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" &
	_BG_PID[$name]=$!
	_PIDS+=("$!")
}

# bg_wait NAME SECS — wait for NAME to exit; BG_RC gets its status (124 if
# it had to be stopped after SECS seconds).
bg_wait() {
	local name=$1 pid=${_BG_PID[$1]} i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		BG_RC=124
		log "$name still running after $2 s: stopped"
	else
		wait "$pid"
		BG_RC=$?
	fi
	echo "[$name exit $BG_RC]" >>"$OUT/commands.log"
}

# wait_file_match FILE ERE SECS WHAT — until a line of FILE matches ERE.
wait_file_match() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$4: no line matching /$2/ in $1 within $3 s; it has:
$(cat "$1" 2>/dev/null)"
}

# _wait_ss NS FLAGS PORT WHAT — until `ss -H FLAGS` in NS lists a socket on
# local PORT (5 s at most).
_wait_ss() {
	local i
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$1" ss -H"$2" "sport = :$3" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing $4 port $3 in $1 within 5 s"
}

# wait_udp_bound NS PORT — until a Linux UDP socket in NS is bound to PORT.
wait_udp_bound() { _wait_ss "$1" unl "$2" "bound UDP"; }

# wait_tcp_listen NS PORT — until a Linux TCP socket in NS listens on PORT.
wait_tcp_listen() { _wait_ss "$1" tnl "$2" "listens on TCP"; }

# ss_words — ss output as words, with what only Linux has masked (inode,
# socket cookie, cgroup, the process's name and ids), for comparing rows
# whose widths differ because of them: one row per line, blanks squeezed.
ss_words() {
	sed -E 's/ino:[0-9]+/ino:N/; s/sk:[0-9a-f]+/sk:N/; s/ cgroup:[^ ]+//;
		s/users:\(\("[^"]+",pid=[0-9]+,fd=[0-9]+\)\)/users:P/' | tr -s ' \t' ' ' | sed 's/ *$//'
}

# ss_same_words WHAT MINE THEIRS — fail unless the two ss_words outputs match.
ss_same_words() {
	[ "$2" = "$3" ] || fail "$1 differs from Linux's (masked):
--- tern ss
$2
--- ss
$3"
	log "$1: same words as ss"
}
