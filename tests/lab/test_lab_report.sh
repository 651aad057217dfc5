#!/usr/bin/env bash
# tests/lab/test_lab_report.sh — report.html of `tern lab run`:
#   - byte-identical for the same file and seed (the internet lab: TCP,
#     switches, routers), different for another seed of an impaired lab;
#   - headless Chromium renders it to a PNG that is not blank (far more
#     detail than a blank page of the same size), logs no console error
#     (a page with a deliberate error shows that the check catches one), and
#     its DOM holds the topology's SVG and three plots per plotted connection;
#   - without Graphviz's dot on PATH the run still succeeds and the page
#     says why the picture is missing; --no-report writes none.
#
# Usage: test_lab_report.sh TERN OUTDIR
set -u
tern=$(realpath "${1:?usage: test_lab_report.sh TERN OUTDIR}")
out=$(mkdir -p "${2:?usage: test_lab_report.sh TERN OUTDIR}" && realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
labs=$here/../../examples/labs
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
for t in chromium dot; do
	command -v "$t" >/dev/null || { echo "FAIL: $t is needed (apt-get install chromium graphviz)" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"

lab() { # lab NAME OUT [ARGS]
	local name=$1 dir=$2
	shift 2
	"$tern" lab run "$labs/$name/$name.yaml" --out "$dir" "$@" >"$dir.txt" 2>"$dir.err" ||
		fail "$name: tern lab run exited $?: $(cat "$dir.err")"
}

# ---- determinism
lab internet "$out/a"
lab internet "$out/b"
[ -s "$out/a/report.html" ] || fail "internet: no report.html"
cmp -s "$out/a/report.html" "$out/b/report.html" || fail "internet: two runs wrote different report.html"
cmp -s "$out/a/topology.dot" "$out/b/topology.dot" || fail "internet: two runs wrote different topology.dot"
grep -q 'tern lab: transcript, captures and report.html in' "$out/a.err" || fail "internet: the closing line does not name report.html"
lab lossy "$out/lossy1"
lab lossy "$out/lossy2" --seed 2
cmp -s "$out/lossy1/report.html" "$out/lossy2/report.html" && fail "lossy: seeds 1 and 2 wrote the same report"
# what the page holds
r=$out/a/report.html
grep -q '<svg width="[0-9]*pt" height="[0-9]*pt"' "$r" || fail "internet: no topology SVG from dot"
grep -q '<title>node:homegw</title>' "$r" || fail "internet: the topology does not show homegw"
grep -q '<h3>access <span class="note">(point-to-point link: 20 Mbit/s, 5 ms)</span></h3>' "$r" ||
	fail "internet: no counters for the access link"
grep -q '<pre>\[   0\.000000\] lab: internet: 9 hosts and routers' "$r" || fail "internet: no transcript"
[ "$(grep -cE '<p class="note">The switch forwarded [0-9]+ frames to a learned port, flooded [0-9]+ ' "$r")" -eq 2 ] ||
	fail "internet: not one line of counters for each of the two switches"
grep -qE '<th>queue peak \(bytes\)</th>' "$r" || fail "internet: no queue peaks"
! grep -qiE '<script|https?://[^"]*\.(js|css)|<link ' "$r" || fail "internet: the page loads or runs something"
plotted=$(grep -c '<h3 id="tcp[0-9]*">' "$r")
plots=$(grep -c '<svg xmlns="http://www.w3.org/2000/svg" class="plot"' "$r")
[ "$plotted" -ge 3 ] && [ "$plots" -eq $((3 * plotted)) ] ||
	fail "internet: $plots plots for $plotted plotted connections, expected 3 each"
/usr/bin/python3 - "$r" <<'PY' || fail "internet: an SVG is not well-formed XML"
import re, sys, xml.dom.minidom
text = open(sys.argv[1], encoding="utf-8").read()
svgs = re.findall(r"<svg .*?</svg>", text, re.S)
assert len(svgs) >= 4, len(svgs)
for s in svgs:
    xml.dom.minidom.parseString(s)
    assert "nan" not in s.lower().replace("nan-", ""), "NaN in an SVG"
PY

# ---- Chromium
chrome() { # chrome URL PNG LOG [more args]: a screenshot, logging to LOG
	local url=$1 png=$2 log=$3
	shift 3
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$out/chrome-profile" --enable-logging=stderr --v=0 \
		--window-size=1200,2400 --screenshot="$png" "$@" "$url" >/dev/null 2>"$log"
}
printf '<!DOCTYPE html><html><body><p>x</p><script>throw new Error("deliberate")</script></body></html>\n' \
	>"$out/bad.html"
chrome "file://$out/bad.html" "$out/bad.png" "$out/bad.log"
grep -q 'Uncaught Error: deliberate' "$out/bad.log" || fail "chromium: the console check misses an error (see $out/bad.log)"
printf '<!DOCTYPE html><html><body></body></html>\n' >"$out/blank.html"
chrome "file://$out/blank.html" "$out/blank.png" "$out/blank.log"
chrome "file://$r" "$out/report.png" "$out/report.log"
[ -s "$out/report.png" ] || fail "chromium: no screenshot of report.html (see $out/report.log)"
head -c 8 "$out/report.png" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' || fail "chromium: the screenshot is not a PNG"
blank=$(stat -c %s "$out/blank.png" 2>/dev/null || echo 0)
shot=$(stat -c %s "$out/report.png" 2>/dev/null || echo 0)
[ "$blank" -gt 0 ] && [ "$shot" -gt $((blank * 10)) ] ||
	fail "chromium: the screenshot ($shot bytes) is not much more than a blank page's ($blank)"
if grep -E 'CONSOLE|Uncaught' "$out/report.log" >"$out/report.console"; then
	fail "chromium: report.html logged to the console: $(head -3 "$out/report.console")"
fi
timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$out/chrome-profile" \
	--dump-dom "file://$r" >"$out/report.dom" 2>/dev/null || fail "chromium: --dump-dom failed"
n=$(grep -o '<svg' "$out/report.dom" | wc -l)
[ "$n" -eq $((plots + 1)) ] || fail "chromium: the DOM has $n SVGs, expected $((plots + 1))"

# ---- without dot, and --no-report
PATH=/nonexistent "$tern" lab run "$labs/link-cut/link-cut.yaml" --out "$out/nodot" >"$out/nodot.txt" 2>&1 ||
	fail "without dot: tern lab run exited $?"
grep -q "The topology is not drawn: Graphviz's <code>dot</code> is not installed" "$out/nodot/report.html" ||
	fail "without dot: the report does not say why the topology is missing"
[ -s "$out/nodot/topology.dot" ] || fail "without dot: no topology.dot"
lab link-cut "$out/norep" --no-report
[ -e "$out/norep/report.html" ] && fail "--no-report: report.html written"
[ -s "$out/norep/transcript.txt" ] || fail "--no-report: no transcript"
cmp -s "$out/norep/transcript.txt" "$out/nodot/transcript.txt" || fail "--no-report changed the transcript"

if [ "$fails" -gt 0 ]; then
	echo "test_lab_report: $fails failed" >&2
	exit 1
fi
echo "test_lab_report: deterministic, renders in Chromium ($shot-byte PNG, no console errors), $plots plots, works without dot"
