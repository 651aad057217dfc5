# tests/interop/test_tern_ping.sh — `tern ping` pings the Linux kernel.
#
#   namespace NS: tap0, kernel side 10.201.2.1/24  <->  tern ping 10.201.2.2/24
#
# Asserts, on iputils' output format: -c 3 prints the banner, 3 replies
# "64 bytes from 10.201.2.1: icmp_seq=N ttl=64 time=X ms" with N = 1, 2, 3,
# "3 packets transmitted, 3 received, 0% packet loss" and an rtt line, and
# exits 0; -s 4000 gets 4008-byte replies (fragmented both ways); pinging
# the unused 10.201.2.99 reports "Destination Host Unreachable" (ARP gets
# no answer), 0 received, and exits 1. The captures tern ping writes
# (--pcap) decode cleanly with good checksums.
source "$(dirname "$0")/lib.sh" "$@" || exit 1

ns_add tping
NS=$NS_NAME
tap_add "$NS" tap0 10.201.2.1/24
TP=(--tap tap0 --addr 10.201.2.2/24)
# Each tern ping opens tap0 anew, and the kernel may drop what it sends in
# the first second after that (its ARP reply: the device is not activated
# until its link watcher runs), so a first reply can take ~1 s and iputils'
# ", pipe 2" may follow the rtt line: the assertions allow both.

log "tern ping -c 3 10.201.2.1"
run_ns "$NS" "$TERN" ping "${TP[@]}" --pcap "$OUT/ping.pcap" -c 3 -W 2 10.201.2.1
assert_rc 0 "tern ping -c 3 10.201.2.1"
out=$RUN_OUT
assert_match '^PING 10\.201\.2\.1 \(10\.201\.2\.1\) 56\(84\) bytes of data\.$' "$out" "banner"
assert_count 3 '^64 bytes from 10\.201\.2\.1: icmp_seq=[0-9]+ ttl=64 time=[0-9]+(\.[0-9]+)? ms$' "$out" "reply lines"
seqs=$(grep -E '^64 bytes from' <<<"$out" | grep -oE 'icmp_seq=[0-9]+' | cut -d= -f2 | tr '\n' ' ')
assert_eq "1 2 3 " "$seqs" "icmp_seq of the replies"
assert_match '^--- 10\.201\.2\.1 ping statistics ---$' "$out" "statistics header"
assert_match '^3 packets transmitted, 3 received, 0% packet loss, time [0-9]+ms$' "$out" "statistics"
assert_match '^rtt min/avg/max/mdev = [0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3} ms(, pipe [0-9]+)?$' "$out" "rtt line"
check_pcap "$OUT/ping.pcap"
n=$(pcap_count "$OUT/ping.pcap" 'ip.src == 10.201.2.1 && icmp.type == 0')
assert_eq 3 "$n" "echo replies from the kernel in tern ping's capture"

log "tern ping -c 2 -s 4000 10.201.2.1 (fragmented both ways)"
run_ns "$NS" "$TERN" ping "${TP[@]}" --pcap "$OUT/ping-4000.pcap" -c 2 -W 2 -s 4000 10.201.2.1
assert_rc 0 "tern ping -c 2 -s 4000 10.201.2.1"
out=$RUN_OUT
assert_match '^PING 10\.201\.2\.1 \(10\.201\.2\.1\) 4000\(4028\) bytes of data\.$' "$out" "banner (-s 4000)"
assert_count 2 '^4008 bytes from 10\.201\.2\.1: icmp_seq=[12] ttl=64 time=[0-9.]+ ms$' "$out" "reply lines (-s 4000)"
assert_match '^2 packets transmitted, 2 received, 0% packet loss' "$out" "statistics (-s 4000)"
check_pcap "$OUT/ping-4000.pcap"
n=$(pcap_count "$OUT/ping-4000.pcap" 'ip.src == 10.201.2.2 && (ip.flags.mf == 1 || ip.frag_offset > 0)')
assert_ge 6 "$n" "fragments of tern's 4028-byte requests"
n=$(pcap_count "$OUT/ping-4000.pcap" 'ip.src == 10.201.2.1 && (ip.flags.mf == 1 || ip.frag_offset > 0)')
assert_ge 6 "$n" "fragments of the kernel's replies"

# iputils, as a reference, prints after its ARP gives up (~3 s):
#   From 10.201.2.2 icmp_seq=1 Destination Host Unreachable   (x3)
#   3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2025ms
log "tern ping -c 3 10.201.2.99 (no such host)"
run_ns -t 40 "$NS" "$TERN" ping "${TP[@]}" --pcap "$OUT/ping-99.pcap" -c 3 10.201.2.99
assert_rc 1 "tern ping -c 3 10.201.2.99"
out=$RUN_OUT
assert_match '^From 10\.201\.2\.2 icmp_seq=[0-9]+ Destination Host Unreachable$' "$out" "unreachable report"
assert_no_match 'bytes from' "$out" "replies from 10.201.2.99"
assert_match '^3 packets transmitted, 0 received, \+[1-3] errors, 100% packet loss' "$out" "statistics (unreachable)"
check_pcap "$OUT/ping-99.pcap"
n=$(pcap_count "$OUT/ping-99.pcap" 'arp.opcode == 1 && arp.dst.proto_ipv4 == 10.201.2.99')
assert_ge 1 "$n" "ARP requests for 10.201.2.99"
n=$(pcap_count "$OUT/ping-99.pcap" 'ip.dst == 10.201.2.99')
assert_eq 0 "$n" "IP packets sent to the unresolved 10.201.2.99"

pass
