#!/usr/bin/env bash
# bench/callgrind.sh — instructions (and heap allocations) per datagram on
# tern's two UDP paths, counted rather than timed.
#
#   bench/callgrind.sh BUILD_DIR            UDP (bench_udp_pps), below
#   bench/callgrind.sh BUILD_DIR tcp        TCP bulk (bench_tcp), at the end
#   bench/callgrind.sh BUILD_DIR cps        TCP connections (bench_tcp --run cps)
#   env: SIZES="64 512 1472 8000"  N1=1000  N2=5000  TOP=10  TOP_SIZES="64 8000"
#   env (tcp): M1=16  M2=64 (MiB)  TOP=10
#   env (cps): C1=16000  C2=24000 (connections)  TOP=15
#
# What it measures: bench_udp_pps --mode tern-lo|tern-link --size S --count N
# --reps 1 does its setup, 100 warm-up datagrams, then N datagrams. Run
# under `valgrind --tool=callgrind` at two counts, the setup cancels:
#
#   Ir per datagram = (Ir(N2) - Ir(N1)) / (N2 - N1)
#
# (Ir: instructions executed in user space; there are no hardware counters
# on this machine, and tern runs entirely in user space.) The same
# difference per function gives the top TOP functions by self cost per
# datagram, with calls per datagram. Under valgrind's memcheck, the
# "total heap usage" difference gives malloc calls per datagram: the
# steady-state path should make none. Counts are deterministic: one run
# of each is enough.
set -euo pipefail

build=${1:?usage: bench/callgrind.sh BUILD_DIR [udp|tcp|cps]}
what=${2:-udp}
[[ $what == udp || $what == tcp || $what == cps ]] ||
	{ echo "callgrind.sh: udp, tcp or cps, not $what" >&2; exit 1; }
bin=$build/bench/bench_udp_pps
[[ $what != udp ]] && bin=$build/bench/bench_tcp
SIZES=${SIZES:-64 512 1472 8000}
N1=${N1:-1000}
N2=${N2:-5000}
TOP=${TOP:-10}
TOP_SIZES=${TOP_SIZES-64 8000}  # empty: no top lists
MODES="tern-lo tern-link"

[[ -x $bin ]] || { echo "callgrind.sh: no $bin (build with -DTERN_BENCH=ON)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found" >&2; exit 1; }
(( N2 > N1 )) || { echo "callgrind.sh: need N2 > N1" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# cg MODE SIZE N: callgrind profile at $out/cg.MODE.SIZE.N; prints total Ir.
cg() {
	local f=$out/cg.$1.$2.$3
	valgrind --tool=callgrind --callgrind-out-file="$f" \
		"$bin" --mode "$1" --size "$2" --count "$3" --reps 1 >/dev/null 2>"$f.log" ||
		{ cat "$f.log" >&2; return 1; }
	awk '/^summary:/ { print $2 }' "$f"
}

# allocs MODE SIZE N: malloc/calloc/realloc calls over the whole run (memcheck).
allocs() {
	local log=$out/mc.$1.$2.$3
	valgrind --tool=memcheck "$bin" --mode "$1" --size "$2" --count "$3" --reps 1 \
		>/dev/null 2>"$log" || { cat "$log" >&2; return 1; }
	sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$log" | tr -d ,
}

# per N1V N2V [DIGITS]: (N2V - N1V) / (N2 - N1), one decimal (or DIGITS).
per() {
	awk -v a="$1" -v b="$2" -v n1="$N1" -v n2="$N2" -v d="${3:-1}" \
		'BEGIN { printf "%.*f", d, (b - a) / (n2 - n1) }'
}

# fncosts FILE: "function<TAB>self Ir<TAB>calls" for every function, from
# callgrind_annotate's caller tree (calls = sum of the callers' counts).
# Run away from the sources: callgrind_annotate 3.19 drops the callers of
# functions whose file it finds under the current directory.
fncosts() {
	(cd "$out" && callgrind_annotate --tree=caller --threshold=100 --auto=no --show-percs=no "$1") |
	perl -ne '
		if (/^\s*[\d,]+\s+<\s+.*\(([\d,]+)x\)/) { (my $c = $1) =~ tr/,//d; $calls += $c; next }
		if (/^\s*([\d,]+)\s+\*\s+(\S+)/) {
			(my $ir = $1) =~ tr/,//d; (my $fn = $2) =~ s{^.*/}{};
			print "$fn\t$ir\t", $calls + 0, "\n"; $calls = 0; next }
		$calls = 0 if /^\s*$/;'
}

# top MODE SIZE [TITLE]: the TOP functions by self Ir per datagram (per
# N2 - N1 units), N2 run minus N1 run.
top() {
	local a=$out/cg.$1.$2.$N1 b=$out/cg.$1.$2.$N2
	echo
	echo "${3:-top $TOP functions, $1, $2 bytes: self Ir per datagram, calls per datagram}"
	join -t $'\t' -a 2 -e 0 -o 0,1.2,1.3,2.2,2.3 <(fncosts "$a" | sort -t $'\t' -k1,1) \
		<(fncosts "$b" | sort -t $'\t' -k1,1) |
	awk -F '\t' -v n="$((N2 - N1))" '{ printf "%10.1f %8.2f  %s\n", ($4 - $2) / n, ($5 - $3) / n, $1 }' |
	{ sort -rn || true; } | head -n "$TOP" # (sort may get SIGPIPE: pipefail)
}

if [[ $what == cps ]]; then
	# bench_tcp --mode tern --run cps --reps 1 --cps-count N: set-up, 200
	# warm-up connections, then exactly N (open, a byte each way, close;
	# 4 virtual ms apart, so about 15,000 TIME-WAITs are alive once 60
	# virtual seconds have passed). C1 is past that ramp, so the
	# difference is the steady state: everything per connection, both
	# hosts and the simulator between them, timers that fire included.
	N1=${C1:-16000}
	N2=${C2:-24000}
	TOP=${TOP:-15}
	ccg() { # N: callgrind profile at $out/cg.cps.x.N; prints total Ir
		local f=$out/cg.cps.x.$1
		valgrind --tool=callgrind --callgrind-out-file="$f" \
			"$bin" --mode tern --run cps --reps 1 --cps-count "$1" >/dev/null 2>"$f.log" ||
			{ cat "$f.log" >&2; return 1; }
		awk '/^summary:/ { print $2 }' "$f"
	}
	callocs() { # N: malloc calls over the whole run (memcheck)
		local log=$out/mc.cps.$1
		valgrind --tool=memcheck "$bin" --mode tern --run cps --reps 1 --cps-count "$1" \
			>/dev/null 2>"$log" || { cat "$log" >&2; return 1; }
		sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$log" | tr -d ,
	}
	echo "TCP connections, $N1 vs $N2: instructions (callgrind Ir) and heap allocations"
	echo "(memcheck) per connection: open, 1 byte each way, close, TIME-WAIT"
	printf '%12s %16s\n' "Ir/conn" "allocs/conn"
	printf '%12s %16s\n' "$(per "$(ccg "$N1")" "$(ccg "$N2")")" \
		"$(per "$(callocs "$N1")" "$(callocs "$N2")" 2)"
	top cps x "top $TOP functions, cps: self Ir per connection, calls per connection"
	exit 0
fi

if [[ $what == tcp ]]; then
	# bench_tcp --mode tern --run RUN --mib M --reps 1: set-up, a 16 MiB
	# warm-up, then one M MiB transfer. The difference between M2 and M1
	# is (M2 - M1) MiB of steady bulk transfer; divided by its data
	# segments (payload 1448 bytes at MSS 1460 and 65483 at MSS 65495,
	# timestamps taking 12) it is per segment; per payload byte divides
	# that by the payload. N1 and N2 become the two runs' segment counts,
	# so per() and top() divide by their difference.
	M1=${M1:-16}
	M2=${M2:-64}
	tcg() { # RUN M SEGS: callgrind profile at $out/cg.RUN.x.SEGS; prints total Ir
		local f=$out/cg.$1.x.$3
		valgrind --tool=callgrind --callgrind-out-file="$f" \
			"$bin" --mode tern --run "$1" --mib "$2" --reps 1 >/dev/null 2>"$f.log" ||
			{ cat "$f.log" >&2; return 1; }
		awk '/^summary:/ { print $2 }' "$f"
	}
	tallocs() { # RUN M: malloc calls over the whole run (memcheck)
		local log=$out/mc.$1.$2
		valgrind --tool=memcheck "$bin" --mode tern --run "$1" --mib "$2" --reps 1 \
			>/dev/null 2>"$log" || { cat "$log" >&2; return 1; }
		sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$log" | tr -d ,
	}
	echo "TCP bulk, $M1 MiB vs $M2 MiB: instructions per payload byte (callgrind Ir)"
	echo "and heap allocations per data segment (memcheck's total heap usage)"
	printf '%-8s %9s %12s %12s %14s\n' run payload "Ir/byte" "Ir/segment" "allocs/segment"
	for run in bulk bulk64k; do
		pay=1448
		[[ $run == bulk64k ]] && pay=65483
		N1=$(( (M1 << 20) / pay )) N2=$(( (M2 << 20) / pay ))
		a=$(tcg $run "$M1" "$N1") b=$(tcg $run "$M2" "$N2")
		per_seg=$(per "$a" "$b")
		per_byte=$(awk -v s="$per_seg" -v p="$pay" 'BEGIN { printf "%.3f", s / p }')
		printf '%-8s %9s %12s %12s %14s\n' $run $pay "$per_byte" "$per_seg" \
			"$(per "$(tallocs $run "$M1")" "$(tallocs $run "$M2")" 3)"
		top $run x "top $TOP functions, $run: self Ir per data segment ($pay payload bytes), calls per segment"
	done
	exit 0
fi

echo "instructions per datagram (callgrind Ir, (Ir(N2)-Ir(N1))/(N2-N1), N1=$N1 N2=$N2)"
echo "and heap allocations per datagram (memcheck's total heap usage, same difference)"
printf '%6s %12s %12s %16s %16s\n' bytes "tern-lo Ir" "tern-link Ir" "tern-lo allocs" "tern-link allocs"
for size in $SIZES; do
	row=()
	for mode in $MODES; do
		row+=("$(per "$(cg "$mode" "$size" "$N1")" "$(cg "$mode" "$size" "$N2")")")
	done
	for mode in $MODES; do
		row+=("$(per "$(allocs "$mode" "$size" "$N1")" "$(allocs "$mode" "$size" "$N2")")")
	done
	printf '%6s %12s %12s %16s %16s\n' "$size" "${row[@]}"
done

for size in $TOP_SIZES; do
	for mode in $MODES; do
		[[ -f $out/cg.$mode.$size.$N2 ]] || { cg "$mode" "$size" "$N1" >/dev/null; cg "$mode" "$size" "$N2" >/dev/null; }
		top "$mode" "$size"
	done
done
