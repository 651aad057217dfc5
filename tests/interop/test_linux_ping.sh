# tests/interop/test_linux_ping.sh — the Linux kernel pings a tern host.
#
#   namespace NS: tap0, kernel side 10.201.1.1/24  <->  tern host 10.201.1.2/24
#
# Asserts: iputils ping -c 3 gets 3 replies (0% loss); ping -s 4000 works
# (the kernel fragments the request, tern reassembles it and fragments its
# reply, the kernel reassembles that), and the capture shows tern really
# sent fragments; the kernel's neighbour table holds, for 10.201.1.2, the
# MAC tern uses on the wire; tern exits 0 on SIGTERM; its capture decodes
# cleanly with good checksums.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
require_tools ping traceroute /usr/bin/python3

ns_add ping
NS=$NS_NAME
tap_add "$NS" tap0 10.201.1.1/24
mkdir -p "$OUT/pcap"
host_start h "$NS" --tap tap0 --addr 10.201.1.2/24 --pcap "$OUT/pcap"

log "ping -c 3 10.201.1.2"
run_ns "$NS" ping -c 3 -W 2 10.201.1.2
assert_rc 0 "ping -c 3 -W 2 10.201.1.2"
assert_match '^3 packets transmitted, 3 received, 0% packet loss' "$RUN_OUT" "ping statistics"
assert_count 3 '^64 bytes from 10\.201\.1\.2: icmp_seq=[1-3] ttl=64 time=' "$RUN_OUT" "ping replies"

log "ping -c 2 -s 4000 10.201.1.2 (fragmented both ways)"
run_ns "$NS" ping -c 2 -W 2 -s 4000 10.201.1.2
assert_rc 0 "ping -c 2 -s 4000 10.201.1.2"
assert_match '^2 packets transmitted, 2 received, 0% packet loss' "$RUN_OUT" "ping -s 4000 statistics"
assert_count 2 '^4008 bytes from 10\.201\.1\.2: icmp_seq=[12] ttl=64 time=' "$RUN_OUT" "ping -s 4000 replies"

log "traceroute -n -q 1 -w 2 10.201.1.2 (UDP to a closed port: tern answers port unreachable)"
run_ns "$NS" traceroute -n -q 1 -w 2 10.201.1.2
assert_rc 0 "traceroute 10.201.1.2"
assert_count 1 '^ *[0-9]+ ' "$RUN_OUT" "traceroute hop lines"
assert_match '^ 1  10\.201\.1\.2  [0-9.]+ ms$' "$RUN_OUT" "traceroute hop 1"

log "kernel neighbour table"
run ip -n "$NS" neigh show 10.201.1.2 dev tap0
assert_rc 0 "ip neigh show"
neigh_mac=$(grep -oE 'lladdr [0-9a-f:]{17}' <<<"$RUN_OUT" | awk '{print $2}')
[ -n "$neigh_mac" ] || fail "kernel has no neighbour entry with a MAC for 10.201.1.2: '$RUN_OUT'"
assert_no_match 'FAILED|INCOMPLETE' "$RUN_OUT" "neighbour state of 10.201.1.2"
kernel_mac=$(ip -n "$NS" link show tap0 | awk '/link\/ether/ {print $2}')

host_stop h
log "$(grep -c . "${_HOST_LOG[h]}") lines of host output (counters) in ${_HOST_LOG[h]}"

shopt -s nullglob
pcaps=("$OUT"/pcap/*)
[ "${#pcaps[@]}" -ge 1 ] || fail "tern host --pcap $OUT/pcap wrote no capture"
for f in "${pcaps[@]}"; do
	check_pcap "$f"
done
pcap=${pcaps[0]}
[ "${#pcaps[@]}" -eq 1 ] || pcap=$(ls "$OUT"/pcap/*tap0* 2>/dev/null | head -1)
[ -n "$pcap" ] || fail "no capture of tap0 among: ${pcaps[*]}"

# The MAC tern sends from, as the capture shows it, is the one the kernel learned.
tern_macs=$(tshark_fields "$pcap" 'ip.src == 10.201.1.2 || arp.src.proto_ipv4 == 10.201.1.2' eth.src | sort -u)
assert_eq "$neigh_mac" "$tern_macs" "MAC of 10.201.1.2: kernel neighbour entry vs tern's frames"
[ "$neigh_mac" != "$kernel_mac" ] || fail "tern uses the kernel tap0's own MAC $kernel_mac"

# Both directions were fragmented: the kernel's 4028-byte requests and
# tern's replies, 3 fragments each at MTU 1500.
n=$(pcap_count "$pcap" 'ip.src == 10.201.1.1 && (ip.flags.mf == 1 || ip.frag_offset > 0)')
assert_ge 6 "$n" "fragments of the kernel's -s 4000 requests in the capture"
n=$(pcap_count "$pcap" 'ip.src == 10.201.1.2 && (ip.flags.mf == 1 || ip.frag_offset > 0)')
assert_ge 6 "$n" "fragments of tern's -s 4000 replies in the capture"
n=$(pcap_count "$pcap" 'ip.src == 10.201.1.2 && icmp.type == 0')
assert_ge 5 "$n" "echo replies from tern in the capture"

# Second run: damaged datagrams from the kernel side (scapy, raw socket);
# each must be dropped without an answer and counted, and a good one
# still gets its reply. The capture holds the damaged frames, so there it
# must show exactly those 3 as bad, and nothing bad that tern sent.
log "damaged datagrams: bad IP checksum, bad ICMP checksum, IP length over the frame"
mkdir -p "$OUT/pcap2"
host_start h2 "$NS" --tap tap0 --addr 10.201.1.2/24 --pcap "$OUT/pcap2"
run_ns "$NS" /usr/bin/python3 -c '
from scapy.all import ICMP, IP, conf, raw, sr
conf.verb = 0
def echo(seq):
    return IP(raw(IP(dst="10.201.1.2") / ICMP(id=0x7E51, seq=seq) / b"tern-interop-test"))
def damage(p, layer):
    good = p[layer].chksum
    p[layer].chksum = good ^ 0x0101
    return IP(raw(p))
short = echo(3)
short.len = 45                  # claims 45 bytes; 45 - 17 = 28 are sent
short = IP(raw(short)[:28])
probes = [damage(echo(1), IP), damage(echo(2), ICMP), short, echo(4)]
ans, _ = sr(probes, timeout=2)
print("replied to seq", sorted(r[ICMP].seq for _, r in ans))
'
assert_rc 0 "scapy probes"
assert_match '^replied to seq \[4\]$' "$RUN_OUT" "replies to damaged (seq 1-3) and good (seq 4) echo requests"
host_stop h2
assert_ge 1 "$(host_counter h2 ip bad_checksum)" "tern's ip bad_checksum counter"
assert_ge 1 "$(host_counter h2 icmp bad_checksum)" "tern's icmp bad_checksum counter"
assert_ge 1 "$(host_counter h2 ip bad_total_length)" "tern's ip bad_total_length counter"
p2=$(ls "$OUT"/pcap2/*tap0* 2>/dev/null | head -1)
[ -n "$p2" ] || fail "tern host --pcap $OUT/pcap2 wrote no capture of tap0"
n=$(pcap_count "$p2" "($PCAP_BAD_FILTER) && ip.src#1 == 10.201.1.1")
assert_eq 3 "$n" "damaged frames from the kernel side in the capture"
n=$(pcap_count "$p2" "($PCAP_BAD_FILTER) && !(ip.src#1 == 10.201.1.1)")
assert_eq 0 "$n" "bad frames other than the 3 damaged ones"

pass
