# tests/interop/test_icmp_ratelimit.sh — a tern host limits ICMP errors to
# one sender exactly as the Linux kernel does: the same burst of UDP
# datagrams to a closed port, sent to Linux and to tern, gets the same
# number of port unreachables back.
#
#   NS: tap0 10.201.50.1/24 <-> tern host 10.201.50.2/24
#       v1   10.201.51.1/24 <-> NSL: v2 10.201.51.2/24 (the Linux reference)
#
# The pattern, from one socket: 10 datagrams at once, 3 more 0.3 s later,
# 3 more 1.3 s after the start. Linux (icmp_ratelimit 1 s, a burst of 6
# per destination) answers 6 + 0 + 1 = 7 and counts 9 in
# OutRateLimitHost; tern must print the same in its counters
# (icmp out_dest_unreachs, errors_ratelimited_host).
source "$(dirname "$0")/lib.sh" "$@" || exit 1
PY=/usr/bin/python3

ns_add rl; NS=$NS_NAME
ns_add rll; NSL=$NS_NAME
tap_add "$NS" tap0 10.201.50.1/24
ip -n "$NS" link add v1 type veth peer name v2 netns "$NSL" || fail "veth v1/v2"
ip -n "$NS" addr add 10.201.51.1/24 dev v1 && ip -n "$NS" link set v1 up || fail "v1"
ip -n "$NSL" addr add 10.201.51.2/24 dev v2 && ip -n "$NSL" link set v2 up || fail "v2"

# burst ADDR — the pattern above, from NS, to ADDR port 7777 (closed).
burst() {
	run_ns -t 20 "$NS" "$PY" -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.monotonic()
def at(t, n):
    time.sleep(max(0, t0 + t - time.monotonic()))
    for _ in range(n):
        s.sendto(b'x', ('$1', 7777))
at(0, 10); at(0.3, 3); at(1.3, 3)
time.sleep(0.3)"
	assert_rc 0 "the burst to $1"
}

# snmp NS FIELD — a field of the Icmp: lines of NS's /proc/net/snmp.
snmp() {
	ip netns exec "$1" awk -v f="$2" '/^Icmp:/ { if (!n++) for (i = 1; i <= NF; i++) h[$i] = i;
		else print $h[f] }' /proc/net/snmp
}

# Neighbours first, so that ARP plays no part in the timing.
run_ns "$NS" ping -c 1 -W 2 10.201.51.2
assert_rc 0 "ping the Linux reference"

log "the burst to Linux (10.201.51.2)"
burst 10.201.51.2
linux_sent=$(snmp "$NSL" OutDestUnreachs)
linux_limited=$(snmp "$NSL" OutRateLimitHost)
assert_eq 7 "$linux_sent" "port unreachables Linux sent"
assert_eq 9 "$linux_limited" "Linux's OutRateLimitHost"

H=rl-$RUN_ID
host_start "$H" "$NS" --tap tap0 --addr 10.201.50.2/24
run_ns "$NS" ping -c 1 -W 2 10.201.50.2
assert_rc 0 "ping the tern host"
log "the burst to tern (10.201.50.2)"
burst 10.201.50.2
host_stop "$H"
assert_eq "$linux_sent" "$(host_counter "$H" icmp out_dest_unreachs)" \
	"port unreachables tern sent, as Linux"
assert_eq "$linux_limited" "$(host_counter "$H" icmp errors_ratelimited_host)" \
	"tern's errors_ratelimited_host, as Linux's OutRateLimitHost"
assert_eq 16 "$(host_counter "$H" udp no_port)" "datagrams tern got for the closed port"

pass
