# tests/interop/lib_paths.sh — the impaired paths that test_tcp_paths.sh and
# bench/tcp_paths.sh run TCP over, Linux's and tern's side by side.
# Sourced after lib.sh and lib_udp.sh:
#
#   NSA (client side)         NSR (ip_forward=0: only tern routes)          NSB (server side)
#   vA0 10.201.141.2 ─ vA ═ brA ═ tapA ┐                      ┌ tapB ═ brB ═ vB ─ vB0 10.201.142.2
#                           brA ═ tapTA│  tern host --forward │ tapTB ═ brB
#                    tern endpoint A   │  tapA 10.201.141.1   │   tern endpoint B
#                    10.201.141.3      │  tapB 10.201.142.1   │   10.201.142.3
#                           brA ═ tapTA2 (a second tern endpoint, .4)   tapTB2 ═ brB
#
# Each side is one Linux bridge in NSR joining the router's TAP, a veth to
# that side's Linux endpoint and the TAP a tern endpoint (tern nc, tern
# iperf: a host of its own, --gw the router) opens. So Linux -> Linux,
# tern -> Linux and Linux -> tern all cross the same tern router, the only
# impairment on the way (these kernels have no netem): its seeded fault
# injector acts on what the router sends (--fault-dir out), so each
# direction of the path gets the delay (half the RTT), the loss, the
# reordering and the rate with its drop-tail queue once.
#
# The Linux endpoints run CUBIC, asked for on each socket (TCP_CONGESTION:
# iperf3 -C cubic, setsockopt in python3): the host's default may be
# another (BBR on the machine this was written on), and a namespace other
# than the first may not make a restricted algorithm its default (EPERM:
# cubic is not in tcp_allowed_congestion_control there). tern's default
# congestion control is CUBIC.

PA_NET=10.201.141 PB_NET=10.201.142
LA=$PA_NET.2 LB=$PB_NET.2   # the Linux endpoints
TA=$PA_NET.3 TB=$PB_NET.3   # the tern endpoints
# A tern endpoint's options: its TAP, address and the router as gateway.
TERN_A=(--tap tapTA --addr $TA/24 --gw $PA_NET.1)
TERN_B=(--tap tapTB --addr $TB/24 --gw $PB_NET.1)
# A second tern endpoint on each side (.4), for two tern flows at once
# from two hosts (a tern program is one host on one TAP).
TA2=$PA_NET.4 TB2=$PB_NET.4
TERN_A2=(--tap tapTA2 --addr $TA2/24 --gw $PA_NET.1)
TERN_B2=(--tap tapTB2 --addr $TB2/24 --gw $PB_NET.1)

# The paths: name, then the router's impairment options. RTT is twice
# --delay (each direction once); queues are about a bandwidth-delay product.
PATH_NAMES=(p1 p2 p3 p4)
declare -A PATH_DESC PATH_ARGS
# p0, not in PATH_NAMES (bench/tcp_paths.sh -p p0): p1 without the loss, to
# see that every kind fills the rate, so the machine is not what limits.
PATH_DESC[p0]="10 ms RTT, no loss, 100 Mbit/s, 122 KiB queue"
PATH_ARGS[p0]="--delay 5 --rate 100000000 --queue 125000"
PATH_DESC[p1]="10 ms RTT, 1% loss, 100 Mbit/s, 122 KiB queue"
PATH_ARGS[p1]="--delay 5 --loss 1 --rate 100000000 --queue 125000"
PATH_DESC[p2]="100 ms RTT, 0.1% loss, 100 Mbit/s, 1.2 MiB queue"
PATH_ARGS[p2]="--delay 50 --loss 0.1 --rate 100000000 --queue 1250000"
PATH_DESC[p3]="10 ms RTT, 2% loss, 1% reordered (held 10 ms), 100 Mbit/s, 122 KiB queue"
PATH_ARGS[p3]="--delay 5 --loss 2 --reorder 1 --rate 100000000 --queue 125000"
PATH_DESC[p4]="20 Mbit/s bottleneck, 20 ms RTT, no loss, 49 KiB queue, two flows"
PATH_ARGS[p4]="--delay 10 --rate 20000000 --queue 50000"

# paths_topology — build NSA, NSB and NSR as drawn above.
paths_topology() {
	local s ns
	ns_add pa; NSA=$NS_NAME
	ns_add pb; NSB=$NS_NAME
	ns_add pr; NSR=$NS_NAME
	ip netns exec "$NSR" sysctl -qw net.ipv4.ip_forward=0 >/dev/null || fail "ip_forward=0 in NSR"
	for s in A B; do
		bridge_create "$NSR" "br$s" forward_delay 0 stp_state 0 mcast_snooping 0
		tap_bridged "$NSR" "tap$s" "br$s"
		tap_bridged "$NSR" "tapT$s" "br$s"
		tap_bridged "$NSR" "tapT${s}2" "br$s"
	done
	veth_bridged "$NSR" brA vA "$NSA" vA0 02:00:0a:c9:8d:02 $LA/24
	veth_bridged "$NSR" brB vB "$NSB" vB0 02:00:0a:c9:8e:02 $LB/24
	ip -n "$NSA" route add default via $PA_NET.1 || fail "NSA default route"
	ip -n "$NSB" route add default via $PB_NET.1 || fail "NSB default route"
}

# The router's name (its control socket is /run/tern/NAME.sock, shared by
# every namespace: unique per run).
ROUTER=paths-router-$RUN_ID

# paths_router PATH [SEED] — (re)start the tern router with PATH's
# impairments, seeded; the Linux ends forget its old MAC.
paths_router() {
	local p=$1 seed=${2:-1}
	[ -n "${_HOST_PID[$ROUTER]:-}" ] && kill -0 "${_HOST_PID[$ROUTER]}" 2>/dev/null &&
		host_stop "$ROUTER"
	# shellcheck disable=SC2086
	host_start "$ROUTER" "$NSR" --forward --tap tapA --addr $PA_NET.1/24 \
		--tap tapB --addr $PB_NET.1/24 --fault-dir out --fault-seed "$seed" ${PATH_ARGS[$p]}
	ip -n "$NSA" neigh flush all 2>/dev/null
	ip -n "$NSB" neigh flush all 2>/dev/null
	run_ns -t 10 "$NSA" ping -c 1 -W 3 $LB
	[ "$RUN_RC" -eq 0 ] || run_ns -t 10 "$NSA" ping -c 2 -W 3 $LB
	assert_rc 0 "path $p: NSA pings NSB through the router"
}
