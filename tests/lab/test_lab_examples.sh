#!/usr/bin/env bash
# tests/lab/test_lab_examples.sh — every lab in examples/labs/ runs with
# `tern lab run`, and its transcript and captures show what its README says
# it demonstrates; the same file and seed give byte-identical transcripts
# and captures (and report.html); another seed changes the impaired run; --json is one JSON
# object per line and --quiet keeps only errors and the summary.
#
# Usage: test_lab_examples.sh TERN OUTDIR
set -u
tern=$(realpath "${1:?usage: test_lab_examples.sh TERN OUTDIR}")
out=${2:?usage: test_lab_examples.sh TERN OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
labs=$here/../../examples/labs
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
command -v tshark >/dev/null || { echo "FAIL: tshark is needed" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"

# run NAME [ARGS...]: the lab twice (a, b) with its own seed, and compare
run() {
	local name=$1 run
	shift
	for run in a b; do
		"$tern" lab run "$labs/$name/$name.yaml" --out "$out/$name.$run" "$@" \
			>"$out/$name.$run.txt" 2>"$out/$name.$run.err" ||
			fail "$name: tern lab run exited $?: $(cat "$out/$name.$run.err")"
	done
	cmp -s "$out/$name.a.txt" "$out/$name.b.txt" || fail "$name: two runs printed different transcripts"
	cmp -s "$out/$name.a.txt" "$out/$name.a/transcript.txt" ||
		fail "$name: transcript.txt differs from what was printed"
	local f n=0
	for f in "$out/$name.a"/*.pcap; do
		n=$((n + 1))
		cmp -s "$f" "$out/$name.b/$(basename "$f")" ||
			fail "$name: two runs wrote different $(basename "$f")"
	done
	[ "$n" -gt 0 ] || fail "$name: no captures"
	cmp -s "$out/$name.a/report.html" "$out/$name.b/report.html" ||
		fail "$name: two runs wrote different report.html"
	bash "$here/../sim/check_captures.sh" "$out/$name.a" >/dev/null ||
		fail "$name: tshark found problems in the captures"
}
# want NAME REGEX WHAT: a transcript line matches
want() {
	grep -qE -- "$2" "$out/$1.a.txt" || fail "$1: $3: no line matching /$2/"
}
nowant() {
	! grep -qE -- "$2" "$out/$1.a.txt" || fail "$1: $3: a line matches /$2/"
}
# frames NAME PCAP FILTER: how many frames of the capture match
frames() {
	tshark -r "$out/$1.a/$2" -Y "$3" 2>/dev/null | wc -l
}

# (a) the textbook Internet
run internet
want internet '^\[ +[0-9.]+\] alice: 3 packets transmitted, 3 received, 0% packet loss' "ping"
hops=$(sed -nE 's/^\[ +[0-9.]+\] alice: +([0-9]+)  ([0-9.]+)  .*/\1 \2/p' "$out/internet.a.txt" | tr '\n' ',')
[ "$hops" = "1 192.168.1.1,2 100.64.1.1,3 10.0.1.2,4 10.0.2.2,5 10.0.3.2,6 203.0.113.10," ] ||
	fail "internet: traceroute's hops are '$hops'"
want internet '^\[ +[0-9.]+\] echo: hello from bob$' "UDP nc across the Internet"
want internet '^\[ +[0-9.]+\] alice: < HTTP/1.1 200 OK$' "curl's response"
want internet '^\[ +[0-9.]+\] web: 192\.168\.1\.10 - - \[.*\] "GET /index.html HTTP/1.1" 200 ' "http's log line"
cmp -s "$out/internet.a/index.html" "$labs/internet/www/index.html" || fail "internet: curl -o got other bytes"
want internet '^\[ +[0-9.]+\] web: LISTEN +0 +128 +0\.0\.0\.0:80 ' "ss on web"
# iperf over TCP: the receiver's rate within the 20 Mbit/s access line
rate=$(sed -nE 's/.*bob: \[  5\] +0\.00-[0-9.]+ +sec +[0-9.]+ MBytes +([0-9.]+) Mbits\/sec +receiver$/\1/p' "$out/internet.a.txt")
awk -v r="${rate:-0}" 'BEGIN { exit !(r > 10 && r < 20) }' ||
	fail "internet: iperf's receiver got '$rate' Mbit/s through a 20 Mbit/s line"
want internet '^\[ +[0-9.]+\] bob: iperf Done\.$' "iperf's end"
want internet '^\[ +[0-9.]+\] lab: end: 9 commands, 0 exited with a non-zero status$' "summary"
# a copy of the lab (new files, new mtimes) runs to the same bytes
mkdir -p "$out/copy" && cp -R "$labs/internet" "$out/copy/" && touch -d @86400 "$out/copy/internet/www/index.html"
"$tern" lab run "$out/copy/internet/internet.yaml" --out "$out/internet.c" >"$out/internet.c.txt" 2>/dev/null ||
	fail "internet: the copy exited $?"
cmp -s "$out/internet.a.txt" "$out/internet.c.txt" || fail "internet: a copy of the lab printed another transcript"
for f in "$out/internet.a"/*.pcap; do
	cmp -s "$f" "$out/internet.c/$(basename "$f")" || fail "internet: a copy wrote another $(basename "$f")"
done

# (b) fragmentation
run fragments
want fragments '^\[ +[0-9.]+\] a: 2 packets transmitted, 2 received, 0% packet loss' "fragmented ping"
want fragments '^\[ +[0-9.]+\] a: From 10\.1\.0\.1 icmp_seq=1 Frag needed and DF set \(mtu = 576\)$' "ping -M do"
want fragments '^\[ +[0-9.]+\] b: one datagram of 30 bytes \.\.\.$' "nc"
n=$(frames fragments r1-eth1.pcap 'ip.flags.mf == 1 || ip.frag_offset > 0')
[ "$n" -eq 12 ] || fail "fragments: $n fragments on the 576-byte hop, expected 12 (2 pings, 3 each way)"
n=$(frames fragments a-eth0.pcap 'ip.src == 10.1.0.10 && (ip.flags.mf == 1 || ip.frag_offset > 0)')
[ "$n" -eq 0 ] || fail "fragments: a sent $n fragments on its 1500-byte LAN, expected none"
n=$(frames fragments a-eth0.pcap 'ip.dst == 10.1.0.10 && (ip.flags.mf == 1 || ip.frag_offset > 0)')
[ "$n" -eq 6 ] || fail "fragments: $n reply fragments reached a, expected 6 (routers do not reassemble)"

# (c) ARP and switch learning
run arp-switch
n=$(frames arp-switch cat-eth0.pcap 'arp.opcode == 1 && arp.dst.proto_ipv4 == 192.168.10.2 && arp.src.proto_ipv4 == 192.168.10.1')
[ "$n" -eq 1 ] || fail "arp-switch: cat saw $n ARP requests for ben, expected the one broadcast"
n=$(frames arp-switch cat-eth0.pcap 'icmp && ip.dst == 192.168.10.2')
[ "$n" -eq 0 ] || fail "arp-switch: cat saw $n of ann's pings to ben; the switch should have learnt"
n=$(frames arp-switch cat-eth0.pcap 'arp.opcode == 2 && arp.src.proto_ipv4 == 192.168.10.2')
[ "$n" -eq 0 ] || fail "arp-switch: cat saw ben's unicast ARP reply"
n=$(frames arp-switch ben-eth0.pcap 'icmp.type == 8')
[ "$n" -eq 3 ] || fail "arp-switch: ben got $n echo requests, expected 3"

# (d) a lossy link (bursty loss): loss near what the file declares, in
# bursts, and seeds matter
run lossy
got=$(sed -nE 's/.*laptop: 1000 packets transmitted, ([0-9]+) received.*/\1/p' "$out/lossy.a.txt")
# bad state 2/(2+25) = 7.4% of frames each way: 14.3% of round trips lost,
# 857 of 1000 answered; bursts make the sd about 28
[ -n "$got" ] && [ "$got" -ge 770 ] && [ "$got" -le 940 ] ||
	fail "lossy: $got of 1000 replies over the bursty link (expected 857 +- 85)"
gap=$(grep -oE 'laptop: 64 bytes from 10\.20\.0\.10: icmp_seq=[0-9]+' "$out/lossy.a.txt" |
	sed 's/.*=//' | awk '$1 <= 100 { if (prev && $1 - prev - 1 > max) max = $1 - prev - 1; prev = $1 }
		END { print max + 0 }')
[ "$gap" -ge 3 ] || fail "lossy: the longest run of lost pings is $gap; bursts should lose several in a row"
want lossy '^\[ +[0-9.]+\] lab: set wifi: jitter 1 ms loss 0%$' "the set step"
want lossy 'laptop: 200 packets transmitted, 200 received, .*0% packet loss' "the link after set"
"$tern" lab run "$labs/lossy/lossy.yaml" --seed 2 --out "$out/lossy.c" >"$out/lossy.c.txt" 2>&1 ||
	fail "lossy: --seed 2 exited $?"
cmp -s "$out/lossy.a.txt" "$out/lossy.c.txt" && fail "lossy: seeds 1 and 2 printed the same transcript"

# (e) a link cut and restored
run link-cut
want link-cut '^\[   3\.500000\] lab: cut middle$' "the cut, at 3.5 s"
want link-cut '^\[   6\.500000\] lab: restore middle$' "the restore, at 6.5 s"
for s in 1 2 3 7 8 9 10; do
	want link-cut "^\[ +$((s)).0[0-9]+\] a: 64 bytes from 10\.0\.2\.2: icmp_seq=$s " "reply $s"
done
for s in 4 5 6; do
	nowant link-cut "icmp_seq=$s " "request $s went while the link was cut"
done
want link-cut 'a: 10 packets transmitted, 7 received, 30% packet loss' "ping's summary"
want link-cut '\] lab: network middle: 20 frames delivered to interfaces, 3 lost while cut$' "the link summary"
n=$(frames link-cut r1-eth1.pcap 'icmp.type == 8')
[ "$n" -eq 10 ] || fail "link-cut: r1 sent $n requests onto the cut link, expected all 10"
n=$(frames link-cut r2-eth0.pcap 'icmp.type == 8')
[ "$n" -eq 7 ] || fail "link-cut: $n requests reached r2, expected 7"

# (f) ECN through a RED bottleneck: CE marks, and no packet dropped
run ecn
want ecn '^\[ +[0-9.]+\] lab: network bottleneck: [0-9]+ frames delivered to interfaces, [1-9][0-9]* marked CE \(RED\)$' \
	"RED marked (and nothing else: no drop of any kind)"
want ecn '^\[ +[0-9.]+\] sender: \[  5\] +0\.00-10\.00 +sec +[0-9.]+ MBytes +[0-9.]+ Mbits/sec +0 +sender$' \
	"iperf: no retransmission"
want ecn '^\[ +6\.000000\] sender: .* ts sack ecn cubic .* delivered_ce:[1-9]' "ss -tio: ecn negotiated, ECE seen"
rate=$(sed -nE 's/.*receiver: \[  5\] +0\.00-[0-9.]+ +sec +[0-9.]+ MBytes +([0-9.]+) Mbits\/sec +receiver$/\1/p' "$out/ecn.a.txt")
awk -v r="${rate:-0}" 'BEGIN { exit !(r > 8 && r <= 10) }' ||
	fail "ecn: iperf's receiver got '$rate' Mbit/s through the 10 Mbit/s bottleneck"
n=$(frames ecn receiver-eth0.pcap 'ip.dsfield.ecn == 3')
[ "$n" -gt 0 ] || fail "ecn: no CE-marked packet reached the receiver"
n=$(frames ecn sender-eth0.pcap 'tcp.flags.cwr == 1 && tcp.len > 0 && ip.dsfield.ecn == 2')
[ "$n" -gt 0 ] || fail "ecn: the sender never answered with CWR on ECT(0) data"
n=$(frames ecn sender-eth0.pcap 'tcp.len > 0 && ip.dsfield.ecn != 2 && tcp.srcport != 5201')
[ "$n" -eq 0 ] || fail "ecn: $n data segments from the sender were not ECT(0)"
n=$(frames ecn sender-eth0.pcap 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.flags.ece == 1 && tcp.flags.cwr == 1')
[ "$n" -eq 2 ] || fail "ecn: $n ECN-setup SYNs, expected 2 (control and data connections)"
"$tern" dump -v -n "$out/ecn.a/receiver-eth0.pcap" | grep -q '^[0-9:.]* IP (tos 0x3,CE, ttl 63, ' ||
	fail "ecn: tern dump -v names no CE codepoint as tcpdump does (tos 0x3,CE)"
# RED's choices come from the seed: another seed marks other packets
"$tern" lab run "$labs/ecn/ecn.yaml" --seed 2 --out "$out/ecn.s2" >"$out/ecn.s2.txt" 2>/dev/null ||
	fail "ecn --seed 2 exited $?"
cmp -s "$out/ecn.a.txt" "$out/ecn.s2.txt" && fail "ecn: --seed 2 gave the same transcript"
# the same queue without ecn drops where it marked: RED's early drops, and resends
sed 's/ecn: true /ecn: false/' "$labs/ecn/ecn.yaml" >"$out/ecn-drop.yaml"
"$tern" lab run "$out/ecn-drop.yaml" --out "$out/ecn-drop" >"$out/ecn-drop.txt" 2>/dev/null ||
	fail "ecn without ecn exited $?"
grep -qE '\] lab: network bottleneck: [0-9]+ frames delivered to interfaces, [1-9][0-9]* dropped early \(RED\)' \
	"$out/ecn-drop.txt" || fail "ecn: with ecn: false, no early drops in the summary"
grep -qE 'sender: \[  5\] +0\.00-10\.00 +sec +[0-9.]+ MBytes +[0-9.]+ Mbits/sec +[1-9][0-9]* +sender$' \
	"$out/ecn-drop.txt" || fail "ecn: with ecn: false, iperf retransmitted nothing"

# --json and --quiet
"$tern" lab run "$labs/link-cut/link-cut.yaml" --json --out "$out/json" >"$out/json.txt" 2>&1 ||
	fail "--json exited $?"
python3 - "$out/json.txt" "$out/link-cut.a.txt" <<'PY' || fail "--json: not the same transcript as JSON lines"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
text = open(sys.argv[2]).read().splitlines()
assert len(rows) == len(text), (len(rows), len(text))
for r, t in zip(rows, text):
    assert set(r) == {"time", "host", "stream", "text"}, r
    sep = "$" if r["stream"] == "command" else ":"
    line = "[%11.6f] %s%s%s" % (r["time"], r["host"], sep, " " + r["text"] if r["text"] else "")
    assert line == t, (line, t)
assert any(r["stream"] == "event" and r["text"] == "cut middle" for r in rows)
PY
# blackhole: DF pings vanish, TCP gets through after PLPMTUD
run blackhole
grep -qE '^\[ +[0-9.]+\] a: 2 packets transmitted, 0 received, 100% packet loss' "$out/blackhole.a.txt" ||
	fail "blackhole: the DF pings were not all lost"
grep -qE '^\[ +[0-9.]+\] a: \[  5\] +0\.00-5\.00 +sec +[0-9.]+ MBytes .* sender$' "$out/blackhole.a.txt" ||
	fail "blackhole: no iperf sender summary (TCP did not get through)"
"$tern" lab run "$labs/fragments/fragments.yaml" --quiet --out "$out/quiet" >"$out/quiet.txt" 2>&1 ||
	fail "--quiet exited $?"
grep -vqE '\] lab: ' "$out/quiet.txt" && fail "--quiet printed more than the summary: $(grep -vE '\] lab: ' "$out/quiet.txt")"
grep -qE '\] lab: end: 5 commands, 1 exited' "$out/quiet.txt" || fail "--quiet: no summary"
cmp -s "$out/quiet/transcript.txt" "$out/fragments.a.txt" || fail "--quiet: transcript.txt is not the whole transcript"

if [ "$fails" -gt 0 ]; then
	echo "test_lab_examples: $fails failed" >&2
	exit 1
fi
echo "test_lab_examples: 6 labs, each deterministic and showing what it should"
