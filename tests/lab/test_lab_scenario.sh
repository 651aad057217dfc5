#!/usr/bin/env bash
# tests/lab/test_lab_scenario.sh — the scenario's timing rules on
# tests/lab/scenario.yaml (at:, steps that follow the one before, wait:,
# background commands, duration:), TCP nc with input, a tool's stderr in
# --json, --seed in the header, and tern lab's own exit statuses.
#
# Usage: test_lab_scenario.sh TERN OUTDIR
set -u
tern=$(realpath "${1:?usage: test_lab_scenario.sh TERN OUTDIR}")
out=${2:?usage: test_lab_scenario.sh TERN OUTDIR}
lab=$(cd "$(dirname "$0")" && pwd)/scenario.yaml
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
rm -rf "$out"
mkdir -p "$out"
"$tern" lab run "$lab" --out "$out/a" >"$out/a.txt" 2>"$out/a.err" || fail "run exited $?: $(cat "$out/a.err")"
want() { # exact line
	grep -qxF -- "$1" "$out/a.txt" || fail "no line '$1'"
}
want "[   0.000000] lab: timing: 2 hosts and routers, 1 networks, 2 interfaces, seed 3"
want "[   0.000000] lab: b eth0 10.0.0.2/24 on lan"
want "[   1.000000] a$ ping -c 5 10.0.0.2"
want "[   2.500000] b$ ss -t -l -n"                     # at: while ping runs
grep -qE '^\[   2\.500000\] b: LISTEN 0 +1 +0\.0\.0\.0:8000 ' "$out/a.txt" || fail "ss: no listener"
want "[   4.500000] a$ nc -N 10.0.0.2 8000"            # 2 s after ss
want "[   4.506000] b: first"                          # the background nc
want "[   4.508000] a$ nc -v 10.0.0.2 8001"            # once the nc before it ended
want "[   4.512000] a: nc: connect to 10.0.0.2 port 8001 (tcp) failed: Connection refused"
want "[   5.004000] a: 5 packets transmitted, 5 received, 0% packet loss, time 4000ms"
want "[  20.000000] a$ ping -c 100 10.0.0.2"
want "[  30.000000] lab: stopped at the lab's duration (30 s)"
want "[  30.000000] a: 11 packets transmitted, 10 received, 9.09091% packet loss, time 10000ms"
want "[  30.000000] lab: end: 6 commands, 1 exited with a non-zero status"
want "[  30.000000] lab:   a: 'nc -v 10.0.0.2 8001' exited 1"
[ "$(grep -c '^\[ *[0-9.]*\] lab: ' "$out/a.txt")" -eq 7 ] || fail "not seven lines of the lab's own (header, 2 interfaces, stop, end, exit, network)"

"$tern" lab run "$lab" --json --seed 9 --out "$out/j" >"$out/j.txt" 2>&1 || fail "--json exited $?"
grep -qxF '{"time":4.512000,"host":"a","stream":"stderr","text":"nc: connect to 10.0.0.2 port 8001 (tcp) failed: Connection refused"}' "$out/j.txt" ||
	fail "--json: nc's error is not on stderr"
grep -qF '"stream":"summary","text":"timing: 2 hosts and routers, 1 networks, 2 interfaces, seed 9"' "$out/j.txt" ||
	fail "--json: --seed 9 not in the header"
grep -qF '{"time":4.500000,"host":"a","stream":"command","text":"nc -N 10.0.0.2 8000"}' "$out/j.txt" ||
	fail "--json: no command line"

# exit statuses: 2 for a missing file or bad options, 0 for check
rc=0; "$tern" lab run "$out/none.yaml" 2>"$out/e" || rc=$?
[ "$rc" -eq 2 ] && grep -qxF "$out/none.yaml: cannot read: No such file or directory" "$out/e" ||
	fail "a missing file: exit $rc, '$(cat "$out/e")'"
rc=0; "$tern" lab check --seed 1 "$lab" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "check --seed: exit $rc"
rc=0; "$tern" lab frobnicate "$lab" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "an unknown lab command: exit $rc"
"$tern" lab check "$lab" >"$out/c" || fail "check exited $?"
grep -qxF "$lab: ok: 2 hosts and routers, 1 networks, 2 interfaces, 7 steps" "$out/c" || fail "check: '$(cat "$out/c")'"
(cd "$out" && "$tern" lab run --quiet "$lab" >/dev/null) || fail "run without --out"
[ -f "$out/scenario.out/transcript.txt" ] || fail "no ./scenario.out/ by default"

if [ "$fails" -gt 0 ]; then
	echo "test_lab_scenario: $fails failed" >&2
	exit 1
fi
echo "test_lab_scenario: passed"
