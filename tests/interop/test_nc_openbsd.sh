# tests/interop/test_nc_openbsd.sh — tern nc side by side with Debian's nc
# (netcat-openbsd 1.219): the same options against the same Linux peers,
# and the same stdout, the same stderr lines ("tern nc: " read as "nc: ")
# and the same exit status; where timing is the point (-q, -w), both end
# within the same window.
#
#   namespace NS: tap0, kernel side 10.201.24.1/24  <->  tern 10.201.24.2/24
#   Debian's nc runs in NS too and reaches 10.201.24.1 over loopback; tern
#   nc reaches it over tap0. Neither has a route to 10.99.0.0/16.
#
# Scenarios (each run by both):
#  1. TCP to a closed port: -v says "nc: connect to 10.201.24.1 port 5998
#     (tcp) failed: Connection refused", status 1; without -v silent, 1;
#  2. no route (10.99.0.1): "... (tcp) failed: Network is unreachable"
#     with -v, silent without, status 1; -u -v: "... (udp) failed: ...";
#  3. -z -v over a port list with a range and a service: "Connection to
#     10.201.24.1 7 port [tcp/echo] succeeded!" (the /etc/services name),
#     "nc: connect to ... port 5020 (tcp) failed: Connection refused", in
#     port order, status 0 as one port answered; -n names no service
#     ([tcp/*]); -z over closed ports only: silent, status 1;
#  4. UDP to a closed port (ICMP port unreachable): no -v, quiet and 0;
#     -v (nc's "X" probes), quiet and 1; -z quiet and 0; -z -v quiet and 1;
#     -q 1: quiet, 0, about 1 s after the refusal;
#  5. TCP -q/-N against a server that answers only after the client's
#     FIN, then closes 1 s later: -q 0 and -N shut down the write side at
#     EOF, print "3 bytes" and end with the server's close; -q 2 ends 2 s
#     after it; neither -q nor -N: no FIN, the server gives up ("no eof");
#  6. -w 2 with stdin ending at 1 s and a server that says nothing: both
#     end about 3 s in (stdin's EOF counts as activity); -v -N to an
#     echoing server: "Connection to 10.201.24.1 5031 port [tcp/*]
#     succeeded!" and its answer;
#  7. UDP -v to a listening port: after 3 s of probes, "Connection to
#     10.201.24.1 5040 port [udp/*] succeeded!", then the exchange;
#  8. UDP -q 3 against a server that echoes 1 s late: with stdin ending at
#     0.2 s nothing is printed (nc reads no more after its input's end),
#     both end 3 s after it; with stdin open for 2 s the echo is printed;
#  9. a TCP listener with -q 1 (-l -n -v): stdin at its end at once, the
#     client's "data" is not printed and both end about 1 s later; stdin
#     open 2 s, "data" is printed and both end 1 s after stdin's end;
# 10. -v -w 1 to an on-link address nobody has: "nc: connect to
#     10.201.24.77 port 80 (tcp) timed out: Operation now in progress", 1.
TEST_DEADLINE=${TEST_DEADLINE:-300}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nc sed

ns_add ncobsd
NS=$NS_NAME
tap_add "$NS" tap0 10.201.24.1/24
# Every refusal must come back: no ICMP rate limit towards tern's address.
ip netns exec "$NS" sysctl -qw net.ipv4.icmp_ratelimit=0 || fail "icmp_ratelimit=0 in $NS"
TN=(--tap tap0 --addr 10.201.24.2/24)
K=10.201.24.1

# Linux-side servers, one thread per connection, until the test ends:
#   srv.py PORT MODE   tcp modes: listen (never accept: a backlog for -z),
#   silent (read, never answer, close after 6 s), countfin (read to EOF or
#   3 s, answer "N bytes" or "no eof", close 1 s later), echo (echo what
#   comes, close at EOF); udp: udpecho, udplate (echo 1 s later).
cat >"$OUT/srv.py" <<'EOF'
import socket, sys, threading, time
port, mode = int(sys.argv[1]), sys.argv[2]
if mode in ("udpecho", "udplate"):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("10.201.24.1", port))
    while True:
        d, a = u.recvfrom(65535)
        if d != b"X":
            if mode == "udplate":
                time.sleep(1)
            u.sendto(d, a)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.201.24.1", port))
s.listen(64)
print("ready", flush=True)
if mode == "listen":
    time.sleep(600)
def serve(c):
    c.settimeout(0.1)
    t0, n, eof = time.time(), 0, False
    while time.time() - t0 < (6 if mode == "silent" else 3):
        try:
            d = c.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not d:
            eof = True
            break
        n += len(d)
        if mode == "echo":
            c.sendall(d)
    if mode == "countfin":
        c.sendall(b"%d bytes\n" % n if eof else b"no eof\n")
        time.sleep(1)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
# server PORT MODE — start srv.py in NS and wait until it listens.
server() {
	bg_start "srv-$1" /dev/null "$NS" "$PY" "$OUT/srv.py" "$1" "$2"
	if [ "$2" = udpecho ] || [ "$2" = udplate ]; then
		wait_udp_bound "$NS" "$1"
	else
		wait_file_match "$OUT/srv-$1.out" '^ready$' 10 "server on port $1"
	fi
}

# one WHO NAME INPUT ARGS... — run Debian's nc (WHO linux) or tern nc (WHO
# tern) in NS with stdin from the shell command INPUT; its stdout, stderr
# and exit status in $OUT/NAME.WHO.{out,err,rc}, its run time (ms, the
# nc process alone) in $OUT/NAME.WHO.ms.
one() {
	local who=$1 name=$2 input=$3 f t0 t1 rc
	shift 3
	f=$OUT/$name.$who
	local cmd=(nc "$@")
	[ "$who" = tern ] && cmd=("$TERN" nc "${TN[@]}" "$@")
	echo "\$ ($input) | ${cmd[*]}" >>"$OUT/commands.log"
	sh -c "$input" | {
		t0=$(date +%s%N)
		timeout -k 2 30 ip netns exec "$NS" "${cmd[@]}" >"$f.out" 2>"$f.err"
		rc=$?
		t1=$(date +%s%N)
		echo "$rc" >"$f.rc"
		echo $(((t1 - t0) / 1000000)) >"$f.ms"
	}
	cat "$f.out" "$f.err" >>"$OUT/commands.log"
	echo "[exit $(cat "$f.rc"), $(cat "$f.ms") ms]" >>"$OUT/commands.log"
}

# side NAME INPUT ARGS... — both, then compare: stdout, stderr lines
# (tern's "tern nc: " prefix read as nc's "nc: "), exit status.
# SIDE_MS="LO HI", if set, bounds both run times (ms).
side() {
	local name=$1 input=$2
	shift 2
	one linux "$name" "$input" "$@"
	one tern "$name" "$input" "$@"
	local l=$OUT/$name.linux t=$OUT/$name.tern
	local lrc trc lerr terr
	lrc=$(cat "$l.rc") trc=$(cat "$t.rc")
	[ "$lrc" != 124 ] || fail "$name: Debian's nc timed out: nc $*"
	cmp -s "$l.out" "$t.out" || fail "$name: stdout differs: nc $*
Debian's nc: $(cat "$l.out")
tern nc:     $(cat "$t.out")"
	lerr=$(cat "$l.err") terr=$(sed 's/^tern nc: /nc: /' "$t.err")
	[ "$lerr" = "$terr" ] || fail "$name: stderr differs: nc $*
Debian's nc:
$lerr
tern nc:
$terr"
	[ "$lrc" = "$trc" ] || fail "$name: exit status differs: nc $*: Debian's $lrc, tern's $trc (stderr: $terr)"
	if [ -n "${SIDE_MS:-}" ]; then
		local lo hi who ms
		read -r lo hi <<<"$SIDE_MS"
		for who in linux tern; do
			ms=$(cat "$OUT/$name.$who.ms")
			[ "$ms" -ge "$lo" ] && [ "$ms" -le "$hi" ] ||
				fail "$name: $who's nc took $ms ms, expected $lo..$hi: nc $*"
		done
	fi
	log "same: nc $* (status $lrc, $(cat "$l.ms") / $(cat "$t.ms") ms; stderr: $(tr '\n' '|' <"$l.err"))"
}

# ---- 1. TCP, closed port -----------------------------------------------------
side refused-v 'true' -v $K 5998
assert_eq "nc: connect to $K port 5998 (tcp) failed: Connection refused" \
	"$(cat "$OUT/refused-v.linux.err")" "Debian's line (the scenario is what we think)"
side refused 'true' $K 5998

# ---- 2. no route --------------------------------------------------------------
side unreach-v 'true' -v 10.99.0.1 80
assert_eq "nc: connect to 10.99.0.1 port 80 (tcp) failed: Network is unreachable" \
	"$(cat "$OUT/unreach-v.linux.err")" "Debian's no-route line"
side unreach 'true' 10.99.0.1 80
side unreach-udp-v 'echo hi' -u -v 10.99.0.1 80

# ---- 3. -z -v port scan -----------------------------------------------------------
server 7 listen
server 5022 listen
side scan 'true' -z -v $K 7 5020-5023
assert_eq "Connection to $K 7 port [tcp/echo] succeeded!
nc: connect to $K port 5020 (tcp) failed: Connection refused
nc: connect to $K port 5021 (tcp) failed: Connection refused
Connection to $K 5022 port [tcp/*] succeeded!
nc: connect to $K port 5023 (tcp) failed: Connection refused" "$(cat "$OUT/scan.linux.err")" \
	"Debian's scan lines"
side scan-n 'true' -z -v -n $K echo
side scan-closed 'true' -z $K 5020-5021
assert_eq 1 "$(cat "$OUT/scan-closed.linux.rc")" "Debian's -z over closed ports"

# ---- 4. UDP, closed port ---------------------------------------------------------
side udp-refused 'echo hi' -u $K 5997
assert_eq 0 "$(cat "$OUT/udp-refused.linux.rc")" "Debian's -u to a closed port"
side udp-refused-v 'echo hi' -u -v $K 5997
assert_eq 1 "$(cat "$OUT/udp-refused-v.linux.rc")" "Debian's -u -v to a closed port"
side udp-refused-z 'true' -u -z $K 5997
side udp-refused-zv 'true' -u -z -v $K 5997
SIDE_MS="800 2600" side udp-refused-q1 'echo hi; sleep 4' -u -q 1 $K 5997

# ---- 5. -q and -N over TCP --------------------------------------------------------
server 5030 countfin
SIDE_MS="700 2600" side q0 'echo hi' -q 0 $K 5030
assert_eq "3 bytes" "$(cat "$OUT/q0.linux.out")" "Debian's -q 0: the server saw the FIN"
SIDE_MS="700 2600" side N 'echo hi' -N $K 5030
SIDE_MS="2700 4600" side q2 'echo hi' -q 2 $K 5030
SIDE_MS="3700 5600" side noq 'echo hi' $K 5030
assert_eq "no eof" "$(cat "$OUT/noq.linux.out")" "Debian's nc without -q/-N sends no FIN"

# ---- 6. -w counts stdin's EOF; -v on a connection ------------------------------------
server 5032 silent
SIDE_MS="2700 4200" side w2 'echo hi; sleep 1' -w 2 $K 5032
server 5031 echo
side v-echo 'echo hello' -v -N $K 5031
assert_eq "hello" "$(cat "$OUT/v-echo.linux.out")" "Debian's nc -N against the echo server"

# ---- 7. UDP -v to a listening port ----------------------------------------------------
server 5040 udpecho
SIDE_MS="4500 6500" side udp-v 'echo ping; sleep 4' -u -v -q 1 $K 5040
assert_eq "ping" "$(cat "$OUT/udp-v.linux.out")" "Debian's nc -u -v: the echo after the probes"

# ---- 8. UDP -q: nothing is read after stdin's end --------------------------------------
server 5041 udplate
SIDE_MS="2900 4600" side udp-q-late 'echo early; sleep 0.2' -u -q 3 $K 5041
assert_eq "" "$(cat "$OUT/udp-q-late.linux.out")" "Debian's nc -u -q 3: the late echo is not read"
SIDE_MS="4700 6600" side udp-q-open 'echo early; sleep 2' -u -q 3 $K 5041
assert_eq "early" "$(cat "$OUT/udp-q-open.linux.out")" "Debian's nc -u -q 3: the echo while stdin is open"

# ---- 9. TCP listener with -q: at stdin's end, FIN, nothing more read -----------------------
# lside NAME PORT INPUT ARGS... — Debian's `nc -l -n -v ARGS -p PORT` and
# tern's, each with stdin from INPUT, in the background; a python3 client
# connects, sends "data" 0.5 s later and reads to the end. Compared: the
# listener's stdout, stderr (the peer's port masked), status; SIDE_MS
# bounds its run time.
lside() {
	local name=$1 port=$2 input=$3 who addr f t0 i
	shift 3
	for who in linux tern; do
		f=$OUT/$name.$who
		local cmd=(nc -l -n -v "$@" -p "$port") addr=$K
		[ "$who" = tern ] && cmd=("$TERN" nc "${TN[@]}" -l -n -v "$@" -p "$port") addr=10.201.24.2
		echo "\$ ($input) | ${cmd[*]} &" >>"$OUT/commands.log"
		(sh -c "$input" | {
			t0=$(date +%s%N)
			timeout -k 2 30 ip netns exec "$NS" "${cmd[@]}" >"$f.out" 2>"$f.err"
			echo $? >"$f.rc"
			echo $((($(date +%s%N) - t0) / 1000000)) >"$f.ms"
		}) &
		_PIDS+=("$!")
		wait_file_match "$f.err" '^Listening on' 10 "$who's nc -l on $port"
		[ "$who" = tern ] && wait_link_up "$NS" tap0
		timeout 10 ip netns exec "$NS" "$PY" -c "
import socket, time
c = socket.create_connection(('$addr', $port), timeout=5)
time.sleep(0.5)
try:
    c.sendall(b'data\\n')
except OSError:
    pass
c.settimeout(5)
try:
    while c.recv(100):
        pass
except OSError:
    pass" >>"$OUT/commands.log" 2>&1
		for ((i = 0; i < 100; i++)); do
			[ -s "$f.ms" ] && break
			sleep 0.1
		done
		[ -s "$f.ms" ] || fail "$name: $who's nc -l did not end"
		sed -i -E 's/^(Connection received on [0-9.]+) [0-9]+$/\1 PORT/' "$f.err"
	done
	local l=$OUT/$name.linux t=$OUT/$name.tern
	cmp -s "$l.out" "$t.out" || fail "$name: stdout differs: Debian's [$(cat "$l.out")], tern's [$(cat "$t.out")]"
	[ "$(cat "$l.err")" = "$(sed 's/^tern nc: /nc: /' "$t.err")" ] ||
		fail "$name: stderr differs: Debian's
$(cat "$l.err")
tern's
$(cat "$t.err")"
	[ "$(cat "$l.rc")" = "$(cat "$t.rc")" ] || fail "$name: status: Debian's $(cat "$l.rc"), tern's $(cat "$t.rc")"
	local lo hi ms
	read -r lo hi <<<"$SIDE_MS"
	for who in linux tern; do
		ms=$(cat "$OUT/$name.$who.ms")
		[ "$ms" -ge "$lo" ] && [ "$ms" -le "$hi" ] || fail "$name: $who's nc -l took $ms ms, expected $lo..$hi"
	done
	log "same: nc -l -n -v $* -p $port (status $(cat "$l.rc"), $(cat "$l.ms") / $(cat "$t.ms") ms; stdout [$(cat "$l.out")])"
}
SIDE_MS="800 3500" lside lq-eof 5050 'true' -q 1
assert_eq "" "$(cat "$OUT/lq-eof.linux.out")" "Debian's nc -l -q 1, stdin ended: the data is not read"
SIDE_MS="2700 4600" lside lq-open 5051 'sleep 2' -q 1
assert_eq "data" "$(cat "$OUT/lq-open.linux.out")" "Debian's nc -l -q 1, stdin open: the data is read"

# ---- 10. -w bounds the connect: nobody at an on-link address answers ARP --------------
SIDE_MS="800 2600" side w-connect 'true' -v -w 1 10.201.24.77 80
assert_eq "nc: connect to 10.201.24.77 port 80 (tcp) timed out: Operation now in progress" \
	"$(cat "$OUT/w-connect.linux.err")" "Debian's -w 1 connect timeout line"

pass
