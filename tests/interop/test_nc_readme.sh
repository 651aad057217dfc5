# tests/interop/test_nc_readme.sh — the README's netcat examples, run as
# written: the lines between "<!-- nc-examples begin" and "<!-- nc-examples
# end -->" in README.md, in pairs (the first in the background, the second
# in the foreground), one end Debian's nc and the other tern nc. Only the
# namespace (lab → this test's), the addresses (10.77.0.x → 10.201.25.x),
# ./build/tern (→ the binary under test) and the files got/file (→ under
# $OUT) are replaced, so a README change that breaks an example breaks
# this test, and so does adding or dropping an example without saying
# here what it must show.
#
#   namespace NS: tap0, kernel side 10.201.25.1/24  <->  tern 10.201.25.2/24
#
# Asserts, for the 5 examples in order:
#  1. tern nc -u -l prints what Linux's nc -u -q 1 sent ("hi");
#  2. tern nc -l -v > got receives the file Linux's nc -N sent, byte-exact,
#     says "Connection received on 10.201.25.1 PORT" and ends by itself, 0;
#  3. Linux's nc -l > got receives "hi" from tern nc -N; both end, 0;
#  4. Linux's nc -u -l prints "hi" from tern nc -u -q 1, which exits 0;
#  5. tern nc -z -v on 5004-5005 says "Connection to 10.201.25.1 5004 port
#     [tcp/*] succeeded!" and "tern nc: connect to 10.201.25.1 port 5005
#     (tcp) failed: Connection refused", status 0.
TEST_DEADLINE=${TEST_DEADLINE:-180}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nc sed cmp head
README=$(dirname "$0")/../../README.md
[ -f "$README" ] || fail "README.md not found at $README"

ns_add ncreadme
NS=$NS_NAME
tap_add "$NS" tap0 10.201.25.1/24
head -c 200000 /dev/urandom >"$OUT/file" || fail "make the file to send"

mapfile -t LINES < <(sed -n '/^<!-- nc-examples begin/,/^<!-- nc-examples end -->/p' "$README" |
	grep -v -e '^<!--' -e '^```' -e '^#' -e '^[[:space:]]*$')
[ ${#LINES[@]} -eq 10 ] || fail "README's nc examples: expected 5 pairs of lines, got ${#LINES[@]} lines:
$(printf '%s\n' "${LINES[@]}")"

# adapt LINE N — the README's line for this test's namespace and files.
adapt() {
	local l=$1
	l=${l//ip netns exec lab /ip netns exec $NS }
	l=${l//.\/build\/tern /$TERN }
	l=${l//10.77.0./10.201.25.}
	l=${l// > got/ > $OUT/got-$2}
	l=${l// < file/ < $OUT/file}
	printf '%s' "$l"
}

BG_PID=
# example N — run pair N: the first line in the background (output in
# $OUT/exN.bg.{out,err}), wait until it is ready, then the second (output
# in $OUT/exN.{out,err}, status in EX_RC).
example() {
	local n=$1 bg fg port
	bg=$(adapt "${LINES[$(((n - 1) * 2))]}" "$n")
	fg=$(adapt "${LINES[$(((n - 1) * 2 + 1))]}" "$n")
	[ "${bg% &}" != "$bg" ] || fail "example $n: its first line should end in ' &': $bg"
	bg=${bg% &}
	log "example $n: $bg &"
	echo "\$ $bg &" >>"$OUT/commands.log"
	timeout -k 2 60 sh -c "$bg" </dev/null >"$OUT/ex$n.bg.out" 2>"$OUT/ex$n.bg.err" &
	BG_PID=$!
	_PIDS+=("$BG_PID")
	port=$(grep -oE -- '-p [0-9]+' <<<"$bg" | awk '{print $2}')
	if [[ $bg == *"$TERN"* ]]; then
		wait_link_up "$NS" tap0
		if [[ $bg == *" -v "* ]]; then
			wait_file_match "$OUT/ex$n.bg.err" '^Listening on' 10 "example $n's tern nc"
		else
			sleep 1 # tern nc -u -l binds as it starts, before the TAP is up
		fi
	elif [[ $bg == *" -u "* ]]; then
		wait_udp_bound "$NS" "$port"
	else
		wait_tcp_listen "$NS" "$port"
	fi
	log "example $n: $fg"
	echo "\$ $fg" >>"$OUT/commands.log"
	timeout -k 2 30 sh -c "$fg" >"$OUT/ex$n.out" 2>"$OUT/ex$n.err"
	EX_RC=$?
	cat "$OUT/ex$n.out" "$OUT/ex$n.err" >>"$OUT/commands.log"
	echo "[exit $EX_RC]" >>"$OUT/commands.log"
}

# bg_end SECS — wait for the background one to end by itself; BG_RC its
# status (124 if it had to be stopped).
bg_end() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BG_PID" 2>/dev/null; then
		BG_RC=124
		bg_stop
	else
		wait "$BG_PID"
		BG_RC=$?
	fi
}
# bg_stop — stop the background one (and what it runs in NS), and wait
# for tern to let go of the TAP.
bg_stop() {
	local i
	kill -TERM "$BG_PID" 2>/dev/null
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -TERM 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		[ "$(ip netns exec "$NS" cat /sys/class/net/tap0/operstate 2>/dev/null)" != up ] && break
		sleep 0.1
	done
}
wait_tap_free() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(ip netns exec "$NS" cat /sys/class/net/tap0/operstate 2>/dev/null)" != up ] && return
		sleep 0.1
	done
}

T=10.201.25.2 K=10.201.25.1

# ---- 1. UDP: tern nc -u -l <- Linux nc -u -q 1 ------------------------------------
example 1
[ "$EX_RC" -eq 0 ] || fail "example 1: Linux's nc exited $EX_RC: $(cat "$OUT/ex1.err")"
wait_file_match "$OUT/ex1.bg.out" '^hi$' 5 "example 1: tern nc -u -l prints hi"
bg_stop

# ---- 2. TCP: tern nc -l -v > got <- Linux nc -N < file ------------------------------
example 2
[ "$EX_RC" -eq 0 ] || fail "example 2: Linux's nc -N exited $EX_RC: $(cat "$OUT/ex2.err")"
bg_end 15
[ "$BG_RC" -eq 0 ] || fail "example 2: tern nc -l exited $BG_RC: $(cat "$OUT/ex2.bg.err")"
cmp "$OUT/file" "$OUT/got-2" || fail "example 2: what tern nc -l wrote to got differs from file"
assert_match "^Connection received on $K [0-9]+\$" "$(cat "$OUT/ex2.bg.err")" "example 2: tern nc -v"
wait_tap_free

# ---- 3. TCP: Linux nc -l > got <- tern nc -N --------------------------------------
example 3
[ "$EX_RC" -eq 0 ] || fail "example 3: tern nc -N exited $EX_RC: $(cat "$OUT/ex3.err")"
bg_end 10
[ "$BG_RC" -eq 0 ] || fail "example 3: Linux's nc -l exited $BG_RC: $(cat "$OUT/ex3.bg.err")"
assert_eq "hi" "$(cat "$OUT/got-3")" "example 3: what Linux's nc -l wrote to got"
wait_tap_free

# ---- 4. UDP: Linux nc -u -l <- tern nc -u -q 1 --------------------------------------
example 4
[ "$EX_RC" -eq 0 ] || fail "example 4: tern nc -u -q 1 exited $EX_RC: $(cat "$OUT/ex4.err")"
wait_file_match "$OUT/ex4.bg.out" '^hi$' 5 "example 4: Linux's nc -u -l prints hi"
bg_stop

# ---- 5. tern nc -z -v against Linux nc -l -k ---------------------------------------
example 5
[ "$EX_RC" -eq 0 ] || fail "example 5: tern nc -z -v exited $EX_RC: $(cat "$OUT/ex5.err")"
assert_eq "Connection to $K 5004 port [tcp/*] succeeded!
tern nc: connect to $K port 5005 (tcp) failed: Connection refused" "$(cat "$OUT/ex5.err")" \
	"example 5: tern nc -z -v's lines"
bg_stop

pass
