#!/usr/bin/env bash
# tests/lab/test_lab_tcp.sh — the TCP example labs show what their READMEs
# say, in the transcript, the captures and report.html's connection table:
#   nagle       100-byte writes every 10 ms wait ~40 ms for delayed ACKs under
#               Nagle once the receiver stops quick-ACKing; iperf -N sends
#               each at once; rr's write-write-read rounds take ~44 ms with
#               Nagle, one round trip (2 ms) with -N
#   slow-start  cwnd grows from the initial window over a 100 ms RTT path
#               (iperf's Cwnd column, the report's cwnd max and srtt)
#   tcp-loss    a 2%-loss path: retransmissions, the same count in iperf's
#               Retr and the report's table
#   syn-flood   a listener flooded by spoofed SYNs still accepts a client
#               (SYN cookies), and without cookies it does not
#   fastopen    TCP Fast Open: the first connection gets a cookie, the
#               second carries its GET on the SYN and has its first byte
#               one round trip sooner than a plain connection
# Each runs twice: same seed, same transcript, captures and report.
#
# Usage: test_lab_tcp.sh TERN OUTDIR
set -u
tern=$(realpath "${1:?usage: test_lab_tcp.sh TERN OUTDIR}")
out=${2:?usage: test_lab_tcp.sh TERN OUTDIR}
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

run() { # run NAME: twice, compared
	local name=$1 r f
	for r in a b; do
		"$tern" lab run "$labs/$name/$name.yaml" --out "$out/$name.$r" >"$out/$name.$r.txt" \
			2>"$out/$name.$r.err" || fail "$name: tern lab run exited $?: $(cat "$out/$name.$r.err")"
	done
	cmp -s "$out/$name.a.txt" "$out/$name.b.txt" || fail "$name: two runs printed different transcripts"
	for f in "$out/$name.a"/*.pcap "$out/$name.a/report.html"; do
		cmp -s "$f" "$out/$name.b/$(basename "$f")" || fail "$name: two runs wrote different $(basename "$f")"
	done
	/usr/bin/python3 "$here/report_conns.py" "$out/$name.a/report.html" >"$out/$name.conns" ||
		fail "$name: report.html has no connection table"
}
want() { grep -qE -- "$2" "$out/$1.a.txt" || fail "$1: $3: no line matching /$2/"; }
# conn NAME HOST PEER: the report row of HOST's connection to PEER with the most data
conn() { awk -F'\t' -v h="$2" -v p="$3" '$2 == h && $4 == p' "$out/$1.conns" | sort -t$'\t' -k8,8n | tail -1; }
col() { echo "$1" | cut -f"$2"; }

# ---- nagle
run nagle
want nagle 'client: \[  5\] +0\.00-2\.00 +sec +19\.5 KBytes +80\.0 Kbits/sec +0 +sender$' "the Nagle test"
# the data connections: the first (port 5201, Nagle) and the second (5202, -N)
seg() { tshark -r "$out/nagle.a/client-eth0.pcap" -Y "tcp.dstport == $1 && tcp.len > 0" \
	-T fields -e tcp.stream -e frame.time_relative -e tcp.len 2>/dev/null; }
seg 5201 | awk '{ if (!($1 in n)) ord[++k] = $1; n[$1]++; t[$1, n[$1]] = $2; l[$1, n[$1]] = $3 }
	END { s = ord[2]   # the data stream (the control connection is first)
	      big = 0; gap40 = 0
	      for (i = 2; i <= n[s]; i++) {
		      d = t[s, i] - t[s, i - 1]
		      if (l[s, i] >= 300) big++
		      if (d > 0.038 && d < 0.046) gap40++
	      }
	      print n[s], big, gap40 }' >"$out/nagle.5201"
read -r n big gap40 <"$out/nagle.5201"
# 200 writes; 16 quick ACKs let the first go one by one, then about one
# segment of 4 writes per 42 ms (40 ms delayed ACK + the round trip)
[ "${n:-0}" -ge 50 ] && [ "${n:-0}" -le 80 ] || fail "nagle: $n data segments with Nagle, expected 50-80"
[ "${big:-0}" -ge 35 ] || fail "nagle: only $big segments of 300+ bytes (coalesced writes) with Nagle"
[ "${gap40:-0}" -ge 35 ] || fail "nagle: only $gap40 gaps of 38-46 ms between data segments with Nagle"
n=$(seg 5202 | awk '{ if (!($1 in n)) ord[++k] = $1; n[$1]++; if ($3 != 100) odd[$1]++ }
	END { s = ord[2]; print n[s] " " odd[s] + 0 }')
# 200 writes of 100 bytes, each its own segment, after iperf's 37-byte cookie
[ "$n" = "201 1" ] || fail "nagle: with -N, '$n' (data segments, not of 100 bytes); expected 201 1"
row=$(conn nagle client 10.0.0.2:5202)
[ "$(col "$row" 8)" = 20037 ] || fail "nagle: the report's -N connection sent '$(col "$row" 8)' data bytes"
# write, write, read (tern rr, 100-byte requests as 50+50): with Nagle the
# second piece waits for the first's delayed ACK, ~40 ms + 2 round trips a
# round once the server stopped quick-ACKing; with -N a round is one round
# trip (2 ms)
rounds() { # rounds FIRST LAST: the round times (ms) of client lines FIRST..LAST of "round N:"
	grep -E '^\[ *[0-9.]+\] client: round [0-9]+: ' "$out/nagle.a.txt" | sed -n "$1,$2p" |
		awk '{ print $(NF - 1) }'
}
slow=$(rounds 1 30 | awk '$1 >= 40 && $1 <= 46' | wc -l)
[ "$slow" -ge 28 ] || fail "nagle: rr with Nagle: only $slow of 30 rounds took 40-46 ms"
fast=$(rounds 31 60 | awk '$1 >= 1.9 && $1 <= 2.2' | wc -l)
[ "$fast" = 30 ] || fail "nagle: rr -N: only $fast of 30 rounds took one round trip (1.9-2.2 ms)"
want nagle 'client: 30 rounds in 1\.2[0-9]+ s: 2[2-4]\.[0-9] transactions/s$' "rr's Nagle summary"
want nagle 'client: 30 rounds in 0\.06[0-9] s: 4[5-9][0-9]\.[0-9] transactions/s$' "rr -N's summary"
want nagle 'server: tern rr: 10\.0\.0\.1 port [0-9]+: 30 requests answered$' "the rr server"
# in the capture: each request's second 50-byte piece leaves 40-46 ms after
# its first under Nagle (the first connection to 7777), at once under -N
tshark -r "$out/nagle.a/client-eth0.pcap" -Y 'tcp.dstport == 7777 && tcp.len == 50' \
	-T fields -e tcp.stream -e frame.time_relative 2>/dev/null |
	awk '{ if (!($1 in n)) ord[++k] = $1; n[$1]++
	       if (n[$1] % 2 == 0) { d = $2 - last[$1]; if (d >= 0.040 && d <= 0.046) w[$1]++; if (d < 0.0005) z[$1]++ }
	       last[$1] = $2 }
	END { print n[ord[1]] + 0, w[ord[1]] + 0, n[ord[2]] + 0, z[ord[2]] + 0 }' >"$out/nagle.7777"
read -r n1 w1 n2 z2 <"$out/nagle.7777"
[ "$n1" = 60 ] && [ "$w1" -ge 28 ] ||
	fail "nagle: rr with Nagle: $n1 50-byte pieces, $w1 second pieces 40-46 ms after the first (want 60, >= 28)"
[ "$n2" = 60 ] && [ "$z2" = 30 ] ||
	fail "nagle: rr -N: $n2 50-byte pieces, $z2 second pieces at once (want 60, 30)"

# ---- slow start
run slow-start
# iperf's first half second: cwnd well past the initial 10 segments (14.1 KB)
cw=$(sed -nE 's/.*client: \[  5\] +0\.00-0\.50 +sec .* ([0-9.]+) KBytes +$/\1/p' "$out/slow-start.a.txt")
awk -v c="${cw:-0}" 'BEGIN { exit !(c >= 56) }' || fail "slow-start: cwnd after 0.5 s is '$cw' KB, expected >= 4 x 14.1"
row=$(conn slow-start client 10.3.0.2:5201)
[ "$(col "$row" 12)" -ge 100000 ] || fail "slow-start: the report's cwnd max is '$(col "$row" 12)'"
awk -v r="$(col "$row" 13)" 'BEGIN { exit !(r >= 100 && r < 110) }' ||
	fail "slow-start: the report's srtt min is '$(col "$row" 13)' ms over a 100 ms path"
grep -q 'congestion window and slow-start threshold' "$out/slow-start.a/report.html" || fail "slow-start: no cwnd plot"

# ---- loss
run tcp-loss
retr=$(sed -nE 's/.*sender: \[  5\] +0\.00-3\.00 +sec .* ([0-9]+) +sender$/\1/p' "$out/tcp-loss.a.txt")
[ "${retr:-0}" -gt 0 ] || fail "tcp-loss: iperf reports '$retr' retransmissions"
row=$(conn tcp-loss sender 10.9.0.2:5201)
[ "$(col "$row" 10)" = "$retr" ] || fail "tcp-loss: the report counts '$(col "$row" 10)' retransmissions, iperf $retr"
# in the capture: data segments of the data connection that start below the
# highest byte it sent before (the trace's RETRANSMIT)
lport=$(col "$row" 3 | cut -d: -f2)
n=$(tshark -r "$out/tcp-loss.a/sender-eth0.pcap" -Y "tcp.srcport == $lport && tcp.len > 0" \
	-T fields -e tcp.seq -e tcp.len 2>/dev/null |
	awk '{ e = $1 + $2; if (seen && $1 < m) r++; if (!seen || e > m) m = e; seen = 1 } END { print r + 0 }')
[ "$n" = "$retr" ] || fail "tcp-loss: the capture has $n retransmitted segments, iperf $retr"
# the receiver's SACK blocks, as the sender's trace got them, are on the page
sacks=$(grep -oE '[0-9]+ retransmitted; plotted from [0-9]+ segment and [0-9]+ ACK events, [0-9]+ SACK blocks' \
	"$out/tcp-loss.a/report.html" | sed -nE "s/^$retr retransmitted.* ([0-9]+) SACK blocks/\1/p")
[ "${sacks:-0}" -gt 0 ] || fail "tcp-loss: no SACK blocks in the report's graph of the data connection"
sacks_pcap=$(tshark -r "$out/tcp-loss.a/sender-eth0.pcap" -Y "tcp.dstport == $lport && tcp.options.sack_le" \
	-T fields -e tcp.options.sack_le 2>/dev/null | tr ',' '\n' | grep -c .)
[ "$sacks" = "$sacks_pcap" ] || fail "tcp-loss: the report has $sacks SACK blocks, the capture $sacks_pcap"

"$tern" lab run "$labs/tcp-loss/tcp-loss.yaml" --seed 2 --out "$out/tcp-loss.c" >"$out/tcp-loss.c.txt" 2>&1 ||
	fail "tcp-loss: --seed 2 exited $?"
cmp -s "$out/tcp-loss.a/report.html" "$out/tcp-loss.c/report.html" && fail "tcp-loss: seeds 1 and 2 wrote the same report"

# ---- SYN flood
run syn-flood
want syn-flood '^\[   2\.0[0-9]+\] client: web 200 in 0\.0[0-9]+ s$' "the client's page from web, with cookies"
want syn-flood '^\[   7\.000000\] client: curl: \(28\) Connection timed out after 5000 milliseconds$' \
	"the client's timeout at oldweb, without cookies"
want syn-flood 'attacker: 5000 packets transmitted, 0 packets received, 100% packet loss$' "hping's statistics"
want syn-flood 'oldweb: tern http: 0 connections ' "oldweb served no one"
cmp -s "$out/syn-flood.a/web.html" "$labs/syn-flood/www/index.html" || fail "syn-flood: the page from web differs"
synack() { tshark -r "$out/syn-flood.a/$1-eth0.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1' \
	-T fields -e ip.dst -e tcp.dstport 2>/dev/null; }
# web answers every SYN: from its SYN queue (128, the listener's backlog) and
# past it with a cookie
n=$(synack web | sort -u | wc -l)
[ "$n" -ge 5000 ] || fail "syn-flood: web answered $n distinct SYNs of 5001, expected all (SYN cookies)"
# oldweb answers those its SYN queue holds, and retries only them
n=$(synack oldweb | sort -u | wc -l)
[ "$n" -ge 100 ] && [ "$n" -le 256 ] || fail "syn-flood: oldweb answered $n distinct SYNs, expected its SYN queue's (128)"
grep -q 'oldweb: [0-9]* more connections never established' "$out/syn-flood.a/report.html" ||
	fail "syn-flood: the report does not count oldweb's half-open connections"

# ---- fastopen
run fastopen
want fastopen '^\[   1\.[0-9]+\] client: first:  connect 0\.082[0-9]+ s, first byte 0\.164[0-9]+ s' \
	"the first connection: a handshake, then the request"
want fastopen '^\[   2\.[0-9]+\] client: second: connect 0\.000000 s, first byte 0\.082[0-9]+ s' \
	"the second: the request on the SYN, its answer one round trip later"
want fastopen '^\[   3\.[0-9]+\] client: plain:  connect 0\.082[0-9]+ s, first byte 0\.164[0-9]+ s' \
	"a plain connection for comparison"
syns() { tshark -r "$out/fastopen.a/client-eth0.pcap" \
	-Y "tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 10.1.0.2 && $1" 2>/dev/null | wc -l; }
[ "$(syns 'tcp.option_kind == 34 && tcp.len == 0')" = 1 ] || fail "fastopen: not one SYN with a cookie request"
[ "$(syns 'tcp.option_kind == 34 && tcp.len == 86')" = 1 ] || fail "fastopen: not one SYN with a cookie and the GET"
[ "$(syns 'tcp.option_kind != 34')" = 1 ] || fail "fastopen: not one plain SYN"
for f in first second third; do
	cmp -s "$out/fastopen.a/$f.html" "$labs/fastopen/www/index.html" || fail "fastopen: $f.html differs"
done

if [ "$fails" -gt 0 ]; then
	echo "test_lab_tcp: $fails failed" >&2
	exit 1
fi
echo "test_lab_tcp: the TCP labs show Nagle's stall, slow start, retransmissions, SYN cookies under a flood and Fast Open's saved round trip"
