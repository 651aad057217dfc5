#!/usr/bin/env bash
# tests/sim/test_demo.sh — `tern demo`, the README's first command: it
# prints what each tool would (ping, traceroute, nc, ss), the same seed
# gives the same bytes (output and captures), another seed differs, and
# tshark finds nothing wrong in its captures.
#
# Usage: test_demo.sh TERN OUTDIR
set -u
tern=${1:?usage: test_demo.sh TERN OUTDIR}
out=${2:?usage: test_demo.sh TERN OUTDIR}
here=$(dirname "$0")
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

rm -rf "$out"
mkdir -p "$out"
for run in a b; do
	"$tern" demo --seed 1 --out "$out/$run" >"$out/$run.txt" 2>"$out/$run.err" ||
		fail "tern demo --seed 1 exited $?: $(cat "$out/$run.err")"
done
"$tern" demo --seed 2 --out "$out/c" >"$out/c.txt" 2>&1 || fail "tern demo --seed 2 exited $?"

want() { # want REGEX WHAT
	grep -qE -- "$1" "$out/a.txt" || fail "$2: no line matching /$1/ in the demo's output"
}
want '^3 packets transmitted, 3 received, 0% packet loss' "ping -c 3"
want '^2 packets transmitted, 2 received, 0% packet loss' "ping -s 4000"
want '^From 10\.0\.1\.1 icmp_seq=1 Frag needed and DF set \(mtu = 1280\)$' "ping -M do"
want '^ 3  10\.0\.2\.2 \(10\.0\.2\.2\)' "traceroute's last hop"
want '^hello from A$' "what B's nc printed"
want '^ESTAB 0 +0 +10\.0\.2\.2:5000 +10\.0\.1\.2:[0-9]+ *$' "ss on B"

# the listing of captures names the --out directory: a vs b
diff <(sed "s|$out/a/|OUT/|" "$out/a.txt") <(sed "s|$out/b/|OUT/|" "$out/b.txt") >&2 ||
	fail "two runs with seed 1 printed different output"
for f in "$out"/a/*.pcap; do
	cmp -s "$f" "$out/b/$(basename "$f")" || fail "two runs with seed 1 wrote different $(basename "$f")"
done
cmp -s "$out/a.txt" "$out/c.txt" && fail "seeds 1 and 2 printed the same output"
bash "$here/check_captures.sh" "$out/a" || fail "tshark found problems in the demo's captures"

if [ "$fails" -gt 0 ]; then
	echo "test_demo: $fails failed" >&2
	exit 1
fi
echo "test_demo: passed (same seed, same bytes; $(ls "$out"/a/*.pcap | wc -l) captures clean)"
