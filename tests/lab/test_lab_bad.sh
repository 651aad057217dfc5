#!/usr/bin/env bash
# tests/lab/test_lab_bad.sh — `tern lab check` on malformed lab files: for
# every tests/lab/bad/NAME.yaml, stderr must be exactly NAME.err (each
# mistake as FILE:LINE:COLUMN: message), stdout empty, exit status 2. And
# tests/lab/good.yaml, the file they were all made from, passes.
#
# Usage: test_lab_bad.sh TERN
set -u
tern=$(realpath "${1:?usage: test_lab_bad.sh TERN}")
cd "$(dirname "$0")"
fails=0 n=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
for f in bad/*.yaml; do
	name=$(basename "$f" .yaml)
	n=$((n + 1))
	rc=0
	(cd bad && "$tern" lab check "$name.yaml") >"$out" 2>"$err" || rc=$?
	if [ "$rc" -ne 2 ]; then
		echo "FAIL: $name: exit status $rc, expected 2" >&2
		fails=$((fails + 1))
	elif ! diff -u "bad/$name.err" "$err" >&2; then
		echo "FAIL: $name: messages differ (expected first)" >&2
		fails=$((fails + 1))
	elif [ -s "$out" ]; then
		echo "FAIL: $name: printed on stdout: $(cat "$out")" >&2
		fails=$((fails + 1))
	fi
done
if ! "$tern" lab check good.yaml >"$out" 2>"$err"; then
	echo "FAIL: good.yaml does not pass: $(cat "$err")" >&2
	fails=$((fails + 1))
fi
[ "$n" -ge 25 ] || { echo "FAIL: only $n malformed files" >&2; fails=$((fails + 1)); }
if [ "$fails" -gt 0 ]; then
	echo "test_lab_bad: $fails of $n failed" >&2
	exit 1
fi
echo "test_lab_bad: $n malformed files, each with its exact messages and exit status 2"
