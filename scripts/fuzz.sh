#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] — build the libFuzzer targets and run each for
# SECONDS (default 60) over a copy of its seed corpus.
#
#   fuzz_wire   tests/fuzz/corpus/wire/    the wire parsers
#   fuzz_stack  tests/fuzz/corpus/stack/   the whole stack, frames + delays
#   fuzz_tcp    tests/fuzz/corpus/tcp/     TCP: socket calls, segments, time
#   fuzz_sack   tests/fuzz/corpus/sack/    the SACK scoreboard: hostile blocks
#   fuzz_lab    tests/fuzz/corpus/lab/     lab files (YAML): reader and checks
#   fuzz_dump   tests/fuzz/corpus/dump/    tern dump's decoder: frames, filters
#
# Builds with clang in build-fuzz/ (or $TERN_FUZZ_BUILD) with
# -DTERN_FUZZ=ON. The corpus is copied to a temporary directory, so the
# inputs a run discovers never land in the repository. Any crash, sanitizer
# report, leak or timeout fails the script; the input that caused it is
# kept under <build>/fuzz-artifacts/ and the command to reproduce it is
# printed. To keep a run's new corpus, set TERN_FUZZ_KEEP=DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
build=${TERN_FUZZ_BUILD:-build-fuzz}
if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
	echo "usage: scripts/fuzz.sh [SECONDS]" >&2
	exit 2
fi
if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi

targets=()
for t in fuzz_wire fuzz_stack fuzz_tcp fuzz_sack fuzz_lab fuzz_dump; do
	[ -f "tests/fuzz/$t.c" ] && targets+=("$t")
done

CC=clang cmake -S . -B "$build" -DTERN_FUZZ=ON -DTERN_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-artifacts"
status=0

for t in "${targets[@]}"; do
	name=${t#fuzz_}
	corpus="$work/corpus-$name"
	mkdir -p "$corpus"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -R "tests/fuzz/corpus/$name/." "$corpus/"
	fi
	max_len=4096
	[ "$t" = fuzz_stack ] && max_len=16384 # several frames, some of MTU size
	[ "$t" = fuzz_tcp ] && max_len=8192    # a program: ~15 bytes a segment
	[ "$t" = fuzz_dump ] && max_len=16384  # several frames
	bin=$(realpath "$build/tests/fuzz/$t")
	log="$work/$t.log"
	echo "== $t: ${secs}s over $(find "$corpus" -type f | wc -l) seed(s)"
	rc=0
	(cd "$work" && "$bin" -max_total_time="$secs" -max_len="$max_len" -timeout=20 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$t-" \
		"$corpus") >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
	artifacts=$(find "$work" -maxdepth 1 -name "$t-*" -type f)
	if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
		status=1
		echo "fuzz.sh: $t FAILED (exit $rc) after ${execs:-?} executions" >&2
		grep -E 'ERROR|runtime error|fuzz_(stack|wire|tcp|lab|dump):|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
		for a in $artifacts; do
			cp "$a" "$build/fuzz-artifacts/"
			echo "  reproduce: $bin $build/fuzz-artifacts/$(basename "$a")" >&2
		done
		tail -40 "$log" > "$build/fuzz-artifacts/$t.log"
		echo "  log tail: $build/fuzz-artifacts/$t.log" >&2
	else
		echo "   $t: ${execs:-?} executions, ${cov:-cov: ?}, no crash"
	fi
	if [ -n "${TERN_FUZZ_KEEP:-}" ]; then
		mkdir -p "$TERN_FUZZ_KEEP/$name"
		cp -R "$corpus/." "$TERN_FUZZ_KEEP/$name/"
	fi
done
exit "$status"
