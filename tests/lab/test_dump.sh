#!/usr/bin/env bash
# tests/lab/test_dump.sh — `tern dump` on the captures of two example labs:
# one line per frame (as many as tshark counts), tcpdump's lines for ARP,
# fragmented ICMP and TCP, filters that pick what tshark's equivalents
# pick, -c, -e, -v, and files that are truncated or not pcaps at all.
#
# Usage: test_dump.sh TERN OUTDIR
set -u
tern=$(realpath "${1:?usage: test_dump.sh TERN OUTDIR}")
out=${2:?usage: test_dump.sh TERN OUTDIR}
labs=$(cd "$(dirname "$0")/../../examples/labs" && pwd)
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
command -v tshark >/dev/null || { echo "FAIL: tshark is needed" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
for l in fragments internet; do
	"$tern" lab run --quiet "$labs/$l/$l.yaml" --out "$out/$l" >/dev/null 2>&1 || fail "lab $l exited $?"
done
frag=$out/fragments/r1-eth1.pcap

# every frame, one line each, in every capture
for f in "$out"/*/*.pcap; do
	a=$("$tern" dump "$f" | wc -l)
	b=$(tshark -r "$f" 2>/dev/null | wc -l)
	[ "$a" -eq "$b" ] || fail "$(basename "$f"): $a lines, tshark counts $b frames"
done

# the narrow hop of the fragments lab, as tcpdump prints it
diff <("$tern" dump -c 7 "$frag") - >&2 <<'TXT' || fail "fragments: the first 7 lines differ"
00:00:00.000000 ARP, Request who-has 10.9.0.1 tell 10.9.0.1, length 46
00:00:00.010240 ARP, Request who-has 10.9.0.2 tell 10.9.0.2, length 46
00:00:01.000000 ARP, Request who-has 10.9.0.2 tell 10.9.0.1, length 46
00:00:01.020480 ARP, Reply 10.9.0.2 is-at 02:00:00:03:00:00, length 46
00:00:01.020480 IP 10.1.0.10 > 10.2.0.10: ICMP echo request, id 29798, seq 1, length 552 (frag 25740:552@0+)
00:00:01.020480 IP 10.1.0.10 > 10.2.0.10: ip-proto-1 (frag 25740:552@552+)
00:00:01.020480 IP 10.1.0.10 > 10.2.0.10: ip-proto-1 (frag 25740:304@1104)
TXT
diff <("$tern" dump -v -e -c 1 "$frag" icmp) - >&2 <<'TXT' || fail "fragments: -v -e"
00:00:01.020480 02:00:00:02:00:01 > 02:00:00:03:00:00, ethertype IPv4 (0x0800), length 586: (tos 0x0, ttl 63, id 25740, offset 0, flags [+], proto ICMP (1), length 572)
    10.1.0.10 > 10.2.0.10: ICMP echo request, id 29798, seq 1, length 552 (frag 25740:552@0+)
TXT
grep -q 'ICMP 10.2.0.10 unreachable - need to frag (mtu 576), length 556$' \
	<("$tern" dump "$out/fragments/a-eth0.pcap") || fail "fragments: no 'need to frag' line on a"

# filters against tshark's equivalents
check() { # FILE "TERN FILTER" "TSHARK FILTER"
	local a b
	a=$("$tern" dump "$1" $2 | wc -l)
	b=$(tshark -r "$1" -Y "$3" 2>/dev/null | wc -l)
	[ "$a" -eq "$b" ] && [ "$a" -gt 0 ] || fail "$(basename "$1"): '$2' kept $a frames, tshark's '$3' $b"
}
check "$frag" "icmp" "ip.proto == 1"
check "$frag" "arp" "arp"
check "$frag" "not arp" "!arp"
check "$frag" "host 10.9.0.1" "ip.addr == 10.9.0.1 || arp.src.proto_ipv4 == 10.9.0.1 || arp.dst.proto_ipv4 == 10.9.0.1"
check "$frag" "src host 10.2.0.10 and icmp" "ip.src == 10.2.0.10 && ip.proto == 1"
check "$frag" "udp and dst port 9000" "udp.dstport == 9000"
web=$out/internet/web-eth0.pcap
check "$web" "tcp and port 80" "tcp.port == 80"
check "$web" "tcp or udp" "tcp || (udp && !icmp)"
check "$web" "not tcp and not arp" "!tcp && !arp"
check "$out/internet/alice-eth0.pcap" "icmp or udp" "ip.proto == 1 || ip.proto == 17"

# TCP as tcpdump prints it: the SYN absolute, then relative numbers
lines=$("$tern" dump "$web" tcp)
grep -qE '^[0-9:.]+ IP 192\.168\.1\.10\.[0-9]+ > 203\.0\.113\.10\.80: Flags \[S\], seq [0-9]+, win [0-9]+, options \[mss 1460,sackOK,TS val [0-9]+ ecr 0,wscale [0-9]+\], length 0$' <<<"$lines" ||
	fail "internet: no SYN line like tcpdump's"
grep -qE '^[0-9:.]+ IP 203\.0\.113\.10\.80 > 192\.168\.1\.10\.[0-9]+: Flags \[S\.\], seq [0-9]+, ack [0-9]+, win ' <<<"$lines" ||
	fail "internet: no SYN-ACK line"
grep -qE 'Flags \[P\.\], seq 1:[0-9]+, ack 1, win [0-9]+, options \[TS val [0-9]+ ecr [0-9]+\], length [0-9]+$' <<<"$lines" ||
	fail "internet: the request is not 'seq 1:N, ack 1'"
[ "$("$tern" dump -S "$web" tcp | grep -c 'ack 1,')" -eq 0 ] || fail "internet: -S still relative"
[ "$("$tern" dump -c 3 "$web" | wc -l)" -eq 3 ] || fail "-c 3"

# bad input: reported, not a crash
head -c 300 "$frag" >"$out/cut.pcap"
rc=0
"$tern" dump "$out/cut.pcap" >"$out/cut.txt" 2>"$out/cut.err" || rc=$?
n=$(wc -l <"$out/cut.txt")
[ "$rc" -eq 1 ] || fail "a truncated capture: exit status $rc, expected 1"
grep -q "^tern dump: $out/cut.pcap: frame $((n + 1)) is truncated$" "$out/cut.err" ||
	fail "a truncated capture: '$(cat "$out/cut.err")' after $n frames"
"$tern" dump "$labs/lossy/lossy.yaml" >/dev/null 2>"$out/bad.err" && fail "a YAML file read as a capture"
grep -q "not a pcap file" "$out/bad.err" || fail "a YAML file: '$(cat "$out/bad.err")'"
"$tern" dump "$frag" host 10.1 >/dev/null 2>"$out/bad.err"
[ $? -eq 2 ] || fail "a bad filter: exit status, expected 2"
grep -q "'host 10.1': expected an IPv4 address" "$out/bad.err" || fail "a bad filter: '$(cat "$out/bad.err")'"

if [ "$fails" -gt 0 ]; then
	echo "test_dump: $fails failed" >&2
	exit 1
fi
echo "test_dump: passed"
