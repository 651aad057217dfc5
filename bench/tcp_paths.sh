#!/bin/bash
# bench/tcp_paths.sh — goodput of tern's TCP against Linux's over the same
# impaired paths, through one tern router (tests/interop/lib_paths.sh draws
# the topology; test_tcp_paths.sh checks correctness on it).
#
#   sudo bench/tcp_paths.sh build/tern [-t SECS] [-r REPS] [-p p1,p2,...]
#
# For each path (p1: 10 ms RTT, 1% loss; p2: 100 ms, 0.1%; p3: 10 ms, 2%
# loss, 1% reordering; all at 100 Mbit/s with a queue of about a BDP; p4: a
# 20 Mbit/s bottleneck, 20 ms RTT, two flows at once) and each kind of
# flow, from the client side to the server side:
#   ll: iperf3 -c -> iperf3 -s (Linux -> Linux),
#   tl: tern iperf -c -> iperf3 -s (tern -> Linux),
#   lt: iperf3 -c -> tern iperf -s (Linux -> tern),
# every one with CUBIC (-C cubic), it runs REPS runs of SECS seconds (default
# 3 of 15; the kinds alternate within a rep, so a busy moment of the machine
# hits all three, and each run starts a fresh router seeded with the rep's
# number, so the kinds of a rep meet the same losses), and prints the goodput each run's receiver counted
# in the first SECS seconds (iperf3's JSON sum_received; for tl the Linux
# server's intervals, as tern's client drains its buffer before it ends
# the test), the median, and the ratios tern/Linux of
# the medians: tl/ll and lt/ll. On p4 each run is -P 2 (two flows from one
# host to one host) and it also prints Jain's fairness index of the two
# flows' goodputs, (x1 + x2)^2 / (2 (x1^2 + x2^2)): 1 is a fair share.
#
# TCP_PATHS_PCAP=1 in the environment: the tern end of each run captures
# (--pcap $OUT/TAG.pcap), to look at a run afterwards.
#
# Not a test: nothing is asserted but that each run ends with status 0
# and a result. Root, namespaces only, like the interop tests (their lib.sh:
# everything is torn down on exit; logs in $TERN_TEST_OUT/interop/tcp_paths
# or a /tmp/tern-tcp_paths.XXXXXX directory).
set -u
TERN_ARG=${1:-}
shift || true
SECS=15 REPS=3 ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	-t) SECS=$2; shift 2 ;;
	-r) REPS=$2; shift 2 ;;
	-p) ONLY=$2; shift 2 ;;
	*) echo "usage: $0 PATH_TO_TERN [-t SECS] [-r REPS] [-p p1,p2,...]" >&2; exit 2 ;;
	esac
done
HERE=$(dirname "$(readlink -f "$0")")
TEST_DEADLINE=$((4 * REPS * 3 * (SECS + 20) + 120))
source "$HERE/../tests/interop/lib.sh" "$TERN_ARG" || exit 1
source "$HERE/../tests/interop/lib_udp.sh" || exit 1
source "$HERE/../tests/interop/lib_paths.sh" || exit 1
require_tools iperf3

paths=("${PATH_NAMES[@]}")
[ -n "$ONLY" ] && IFS=, read -r -a paths <<<"$ONLY"

# jget FILE EXPR — from iperf3's JSON (j).
jget() {
	"$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# one KIND TAG P — one run of KIND with P streams; RATE gets the goodput
# in Mbit/s, STREAMS the streams' goodputs (space-separated).
one() {
	local kind=$1 tag=$2 np=$3 j= PCAP=()
	[ -n "${TCP_PATHS_PCAP:-}" ] && PCAP=(--pcap "$OUT/$tag.pcap")
	case $kind in
	ll | tl)
		bg_start "$tag-srv" /dev/null "$NSB" iperf3 -s -1 -J -B $LB
		wait_tcp_listen "$NSB" 5201
		if [ "$kind" = ll ]; then
			run_ns -t $((SECS + 30)) "$NSA" iperf3 -c $LB -t "$SECS" -P "$np" -C cubic -J
			echo "$RUN_OUT" >"$OUT/$tag.json"
			assert_rc 0 "$tag: iperf3 -c"
			j=$OUT/$tag.json
		else
			run_ns -t $((SECS + 30)) "$NSR" "$TERN" iperf -c $LB -t "$SECS" -P "$np" -C cubic \
				"${TERN_A[@]}" "${PCAP[@]}"
			echo "$RUN_OUT" >"$OUT/$tag.txt"
			assert_rc 0 "$tag: tern iperf -c"
		fi
		bg_wait "$tag-srv" 20
		assert_eq 0 "$BG_RC" "$tag: iperf3 -s -1 ($(cat "$OUT/$tag-srv.err"))"
		[ -n "$j" ] || j=$OUT/$tag-srv.out
		;;
	lt)
		bg_start "$tag-srv" /dev/null "$NSR" "$TERN" iperf -s -1 "${TERN_B[@]}" "${PCAP[@]}"
		wait_file_match "$OUT/$tag-srv.out" '^Server listening on 5201' 20 "$tag: tern iperf -s ready"
		wait_link_up "$NSR" tapTB
		run_ns -t $((SECS + 30)) "$NSA" iperf3 -c $TB -t "$SECS" -P "$np" -C cubic -J
		echo "$RUN_OUT" >"$OUT/$tag.json"
		assert_rc 0 "$tag: iperf3 -c to tern"
		bg_wait "$tag-srv" 20
		assert_eq 0 "$BG_RC" "$tag: tern iperf -s -1 ($(cat "$OUT/$tag-srv.err"))"
		j=$OUT/$tag.json
		;;
	esac
	if [ "$kind" = tl ]; then
		# iperf3 -s's own intervals over the first SECS seconds: a tern
		# client drains its send buffer before TEST_END (src/app/iperf.c)
		# where iperf3's ends the count at once, so the server's totals
		# would span a longer, later time than the others'
		local first="[iv for iv in j['intervals'] if iv['sum']['start'] < $SECS - 0.01]"
		RATE=$(jget "$j" "'%.2f' % (sum(iv['sum']['bytes'] for iv in $first) * 8 / $SECS / 1e6)")
		STREAMS=$(jget "$j" "' '.join('%.2f' % (sum(iv['streams'][k]['bytes'] for iv in $first) * 8 / $SECS / 1e6) for k in range(len(j['intervals'][0]['streams'])))")
		return
	fi
	RATE=$(jget "$j" "'%.2f' % (j['end']['sum_received']['bits_per_second'] / 1e6)")
	STREAMS=$(jget "$j" "' '.join('%.2f' % (s['receiver']['bits_per_second'] / 1e6) for s in j['end']['streams'])")
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
jain() { awk '{ s = 0; q = 0; for (i = 1; i <= NF; i++) { s += $i; q += $i * $i } printf "%.3f\n", q ? s * s / (NF * q) : 0 }' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "-" }'; }

paths_topology
declare -A RUNS MED JAINS JMED
for p in "${paths[@]}"; do
	[ -n "${PATH_ARGS[$p]:-}" ] || fail "no path $p (paths: ${PATH_NAMES[*]})"
	log "path $p: ${PATH_DESC[$p]}"
	np=1
	[ "$p" = p4 ] && np=2
	for ((r = 1; r <= REPS; r++)); do
		for kind in ll tl lt; do
			# Each run gets a fresh router seeded for its rep: the three
			# kinds of a rep meet the same draw of losses (frame by frame
			# of what the router sends), the reps different ones.
			paths_router "$p" "$r"
			one "$kind" "$p-$kind-$r" "$np"
			RUNS[$p,$kind]="${RUNS[$p,$kind]:-} $RATE"
			if [ "$np" -gt 1 ]; then
				JAINS[$p,$kind]="${JAINS[$p,$kind]:-} $(jain "$STREAMS")"
				log "$p $kind run $r: $RATE Mbit/s (flows: $STREAMS; Jain $(jain "$STREAMS"))"
			else
				log "$p $kind run $r: $RATE Mbit/s"
			fi
		done
	done
	for kind in ll tl lt; do
		MED[$p,$kind]=$(median <<<"${RUNS[$p,$kind]}")
		[ "$np" -gt 1 ] && JMED[$p,$kind]=$(median <<<"${JAINS[$p,$kind]}")
	done
done
host_stop "$ROUTER"

echo
echo "tcp_paths: goodput in Mbit/s, median of $REPS runs of $SECS s (the runs in brackets), CUBIC everywhere"
for p in "${paths[@]}"; do
	echo "  $p: ${PATH_DESC[$p]}"
done
echo
echo "| path | Linux->Linux | tern->Linux | Linux->tern | tern->Linux / Linux | Linux->tern / Linux |"
echo "|---|---:|---:|---:|---:|---:|"
for p in "${paths[@]}"; do
	printf '| %s' "$p"
	for kind in ll tl lt; do
		printf ' | %s (%s)' "${MED[$p,$kind]}" "$(echo ${RUNS[$p,$kind]} | tr ' ' '/')"
	done
	printf ' | %s | %s |\n' "$(ratio "${MED[$p,tl]}" "${MED[$p,ll]}")" "$(ratio "${MED[$p,lt]}" "${MED[$p,ll]}")"
	if [ "$p" = p4 ]; then
		printf '| %s' "p4 Jain's index"
		for kind in ll tl lt; do
			printf ' | %s (%s)' "${JMED[$p,$kind]}" "$(echo ${JAINS[$p,$kind]} | tr ' ' '/')"
		done
		printf ' | | |\n'
	fi
done
echo "logs: $OUT"
exit 0
