#!/usr/bin/env bash
# run.sh — the two quick-start commands (see README.md):
#   ./run.sh demo   build tern and run the textbook-Internet lab
#                   (examples/labs/internet) in the simulator
#   ./run.sh test   build, then run every test: unit, simulation, interop
#                   against the Linux kernel (needs root), the same suite
#                   under ASan+UBSan, and a bounded fuzzing run
# Each installs the Debian packages it needs first (apt-get; needs root).
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DEPS=(build-essential cmake pkg-config libpcap-dev libyaml-dev)
TEST_DEPS=(clang libclang-rt-14-dev tshark iputils-ping traceroute socat netcat-openbsd groff-base
           hping3 python3-scapy iproute2 curl procps iperf3 nftables)

# graphviz: dot lays out the topology in a lab's report.html (the demo's
# too); chromium: tests/lab/test_lab_report.sh renders that page
BUILD_DEPS+=(graphviz)
TEST_DEPS+=(chromium)

install_packages() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "run.sh: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "run.sh: need root to install packages (or install them yourself)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake options...]
	local dir=$1
	shift
	cmake -S . -B "$dir" -DTERN_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j"$(nproc)"
}

# Run one ctest invocation, keep its totals for the closing summary.
TOTAL_PASSED=0
TOTAL_FAILED=0
run_ctest() {
	local log rc=0
	log=$(mktemp)
	ctest "$@" 2>&1 | tee "$log" || rc=$?
	local line
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1 || true)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "run.sh: ctest $* ran no test" >&2
		TOTAL_FAILED=$((TOTAL_FAILED + 1))
		return
	fi
	local failed total
	failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
	total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
	TOTAL_PASSED=$((TOTAL_PASSED + total - failed))
	TOTAL_FAILED=$((TOTAL_FAILED + failed))
}

case "${1:-}" in
demo)
	install_packages "${BUILD_DEPS[@]}"
	build build
	shift
	exec ./build/tern lab run examples/labs/internet/internet.yaml "$@"
	;;
test)
	install_packages "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"
	build build
	run_ctest --test-dir build --output-on-failure -j2 -LE interop
	run_ctest --test-dir build --output-on-failure -L interop
	echo "== the same tests under AddressSanitizer + UBSan =="
	build build-asan -DTERN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_ctest --test-dir build-asan --output-on-failure -j2 -LE interop
	run_ctest --test-dir build-asan --output-on-failure -L interop
	unset ASAN_OPTIONS UBSAN_OPTIONS
	echo "== fuzzing (bounded) =="
	if ./scripts/fuzz.sh "${TERN_FUZZ_SECONDS:-60}"; then
		TOTAL_PASSED=$((TOTAL_PASSED + 1))
	else
		TOTAL_FAILED=$((TOTAL_FAILED + 1))
	fi
	echo "tests: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
	[ "$TOTAL_FAILED" -eq 0 ]
	;;
*)
	echo "usage: ./run.sh demo [--seed N] [--out DIR] [--quiet] [--json] | ./run.sh test" >&2
	exit 2
	;;
esac
