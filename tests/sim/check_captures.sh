#!/usr/bin/env bash
# tests/sim/check_captures.sh — decode every capture a simulation wrote with
# tshark, an independent decoder, and fail on any malformed frame, any
# bad checksum or any other error-level expert note.
#
# Usage: check_captures.sh DIR    (every *.pcap under DIR, recursively)
#
# It runs after tests/sim/test_sim_topology (a CTest fixture) on the
# captures that test leaves in $TERN_TEST_OUT/sim-topology. Wireshark
# verifies IP and UDP/TCP checksums only when asked (the preferences
# below); ICMP checksums it always verifies, but reports a bad one only as
# a warning in the "Checksum" expert group, hence that clause.
set -u

dir=${1:?usage: check_captures.sh DIR}
filter='_ws.malformed || _ws.expert.severity >= error || _ws.expert.group == "Checksum"'
prefs=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE)

if ! command -v tshark >/dev/null; then
	echo "check_captures: tshark not found" >&2
	exit 1
fi
mapfile -t files < <(find "$dir" -name '*.pcap' -type f | LC_ALL=C sort)
if [ "${#files[@]}" -eq 0 ]; then
	echo "check_captures: no captures under $dir" >&2
	exit 1
fi

errf=$(mktemp)
trap 'rm -f "$errf"' EXIT
fail=0
for f in "${files[@]}"; do
	# A pcap file is a 24-byte header and then records: no record, no test.
	if [ "$(stat -c %s "$f")" -le 24 ]; then
		echo "FAIL $f: no packets"
		fail=1
		continue
	fi
	if ! out=$(tshark -n -r "$f" "${prefs[@]}" -Y "$filter" 2>"$errf"); then
		echo "FAIL $f: tshark failed:"
		cat "$errf"
		fail=1
	elif [ -n "$out" ]; then
		echo "FAIL $f: $(echo "$out" | wc -l) frames with errors, the first:"
		echo "$out" | head -n 10
		fail=1
	else
		echo "ok   $f"
	fi
done
exit $fail
