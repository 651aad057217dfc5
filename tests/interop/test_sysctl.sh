# tests/interop/test_sysctl.sh — a tern host's tunables by Linux's names,
# printed as Linux's sysctl(8) prints them, and set from the command line.
#
#   namespace NS: tap0, kernel side 10.201.31.1/24  <->  tern host
#                 10.201.31.2/24 --sysctl net/ipv4/ip_default_ttl=30
#                 --sysctl net.ipv4.icmp_ratelimit=250
#
# Asserts:
#  1. the kernel's ping gets replies with ttl=30 (the --sysctl took effect);
#  2. `sysctl NAME...` on the control socket is byte for byte what Linux's
#     sysctl prints in a fresh namespace for names whose defaults tern
#     shares (tcp_sack, tcp_syn_retries, ip_local_port_range, icmp_ratemask,
#     tcp_fin_timeout, ipfrag_time, tcp_keepalive_time, net.core.somaxconn),
#     also with -n and with slashes;
#  3. vectors have Linux's layout (tcp_rmem, tcp_wmem: three tab-separated
#     numbers), and the names set at start read back (ip_default_ttl = 30);
#  4. setting prints what sysctl -w prints ("net.ipv4.tcp_syncookies = 2")
#     and reads back; the errors are sysctl's own words for an unknown name,
#     a value out of range and -w without a value; -N and -q as sysctl's;
#  5. `sysctl -a` lists every name once, "NAME = VALUE", sorted;
#  6. a bad --sysctl is refused before the host starts, exit 2 (a missing
#     '=', or "no such tunable" for an unknown name).
source "$(dirname "$0")/lib.sh" "$@" || exit 1
require_tools socat sysctl ping

ns_add sysctl
NS=$NS_NAME
tap_add "$NS" tap0 10.201.31.1/24

H=sysctl-$RUN_ID
host_start "$H" "$NS" --tap tap0 --addr 10.201.31.2/24 --sysctl net/ipv4/ip_default_ttl=30 \
	--sysctl net.ipv4.icmp_ratelimit=250 --pcap "$OUT/pcap"
SOCK=/run/tern/$H.sock
[ -S "$SOCK" ] || fail "tern host $H has no control socket $SOCK"
ctl() { run socat -t 3 - "UNIX-CONNECT:$SOCK" <<<"$*"; }

# ---- 1. the TTL a --sysctl set ------------------------------------------------
run_ns "$NS" ping -c 2 -W 2 10.201.31.2
assert_rc 0 "ping 10.201.31.2"
assert_count 2 'ttl=30 ' "$RUN_OUT" "echo replies with ttl=30"

# ---- 2. the same lines as Linux's sysctl -----------------------------------------
SAME="net.ipv4.tcp_sack net.ipv4.tcp_syn_retries net.ipv4.ip_local_port_range \
net.ipv4.icmp_ratemask net.ipv4.tcp_fin_timeout net.ipv4.ipfrag_time \
net.ipv4.tcp_keepalive_time net.core.somaxconn"
ns_add sysctlref
REF=$NS_NAME
run_ns "$REF" sysctl $SAME
assert_rc 0 "Linux sysctl"
linux=$RUN_OUT
ctl sysctl $SAME
assert_eq "$linux" "$RUN_OUT" "sysctl lines for names whose defaults Linux shares"
run_ns "$REF" sysctl -n net.ipv4.ip_local_port_range net/ipv4/tcp_sack
linux=$RUN_OUT
ctl sysctl -n net.ipv4.ip_local_port_range net/ipv4/tcp_sack
assert_eq "$linux" "$RUN_OUT" "sysctl -n, a vector and a slashed name"

# ---- 3. vectors, and what --sysctl set --------------------------------------------
run_ns "$REF" sysctl net.ipv4.tcp_rmem net.ipv4.tcp_wmem
linux=$(sed -E 's/[0-9]+(\t|$)/N\1/g' <<<"$RUN_OUT")
assert_match '^net\.ipv4\.tcp_rmem = N	N	N$' "$linux" "Linux's tcp_rmem layout"
ctl sysctl net.ipv4.tcp_rmem net.ipv4.tcp_wmem
assert_eq "net.ipv4.tcp_rmem = 4096	212992	33554432
net.ipv4.tcp_wmem = 4096	212992	33554432" "$RUN_OUT" "tern's tcp_rmem, tcp_wmem"
assert_eq "$linux" "$(sed -E 's/[0-9]+(\t|$)/N\1/g' <<<"$RUN_OUT")" "the layout of both vectors"
ctl sysctl net.ipv4.ip_default_ttl net.ipv4.icmp_ratelimit
assert_eq "net.ipv4.ip_default_ttl = 30
net.ipv4.icmp_ratelimit = 250" "$RUN_OUT" "the values --sysctl set"

# ---- 4. setting, and the errors ---------------------------------------------------
run_ns "$REF" sysctl -w net.ipv4.tcp_syncookies=2
linux=$RUN_OUT
ctl sysctl -w net.ipv4.tcp_syncookies=2
assert_eq "$linux" "$RUN_OUT" "sysctl -w NAME=VALUE"
ctl sysctl -n net.ipv4.tcp_syncookies
assert_eq 2 "$RUN_OUT" "tcp_syncookies read back"
run_ns "$REF" sysctl net.ipv4.no_such_name
linux=$RUN_OUT
ctl sysctl net.ipv4.no_such_name
assert_eq "$linux" "$RUN_OUT" "an unknown name"
run_ns "$REF" sysctl -w net.ipv4.ip_default_ttl=0
linux=$RUN_OUT
ctl sysctl -w net.ipv4.ip_default_ttl=0
assert_eq "$linux" "$RUN_OUT" "a value out of range"
ctl sysctl -n net.ipv4.ip_default_ttl
assert_eq 30 "$RUN_OUT" "ip_default_ttl unchanged by the refused value"
run_ns "$REF" sysctl -w net.ipv4.tcp_sack
linux=$RUN_OUT
ctl sysctl -w net.ipv4.tcp_sack
assert_eq "$linux" "$RUN_OUT" "-w without a value"
run_ns "$REF" sysctl -N net.ipv4.tcp_sack net.core.somaxconn
linux=$RUN_OUT
ctl sysctl -N net.ipv4.tcp_sack net.core.somaxconn
assert_eq "$linux" "$RUN_OUT" "-N: names only"
run_ns "$REF" sysctl -q -w net.ipv4.tcp_sack=1
linux=$RUN_OUT
ctl sysctl -q -w net.ipv4.tcp_sack=1
assert_eq "$linux" "$RUN_OUT" "-q: nothing echoed"

# ---- 5. sysctl -a -----------------------------------------------------------------
ctl sysctl -a
all=$RUN_OUT
n=$(wc -l <<<"$all")
assert_ge 40 "$n" "names in sysctl -a"
assert_count "$n" '^net\.[a-z0-9_.]+ = [^ ]' "$all" "NAME = VALUE lines"
assert_eq "$(cut -d' ' -f1 <<<"$all" | LC_ALL=C sort -u)" "$(cut -d' ' -f1 <<<"$all")" \
	"sysctl -a: sorted, each name once"
assert_match '^net\.ipv4\.tcp_available_congestion_control = reno cubic$' "$all" "the read-only list"

host_stop "$H"
check_pcap "$OUT/pcap/$H-tap0.pcap"

# ---- 6. a bad --sysctl ------------------------------------------------------------
run_ns "$NS" "$TERN" host --name "bad-$RUN_ID" --tap tap0 --addr 10.201.31.2/24 --sysctl tcp_sack
assert_rc 2 "--sysctl without '='"
assert_match "expected NAME=VALUE" "$RUN_OUT" "--sysctl without '=': message"
run_ns "$NS" "$TERN" host --name "bad-$RUN_ID" --tap tap0 --addr 10.201.31.2/24 \
	--sysctl net.ipv4.tcp_low_latency=1
assert_rc 2 "--sysctl for a name tern does not implement"
assert_match "tern host: --sysctl net.ipv4.tcp_low_latency=1: no such tunable" "$RUN_OUT" \
	"--sysctl unknown name: message"

pass
