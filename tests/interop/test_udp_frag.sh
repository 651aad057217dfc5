# tests/interop/test_udp_frag.sh — 8000-byte UDP datagrams between tern
# and Linux, both ways: fragmented by the sender to the 1500-byte MTU,
# reassembled by the receiver, delivered byte-exact.
#
#   namespace NS: tap0, kernel side 10.201.21.1/24  <->  tern 10.201.21.2/24
#
# Asserts:
#  1. Linux → tern: `socat -u - UDP:...` sends an 8000-byte file as one
#     datagram; `tern nc -u -l` writes exactly those 8000 bytes; tern's
#     capture shows 6 fragments from Linux (5 x 1480 + 608 bytes of the
#     8008-byte UDP datagram) that tshark reassembles into one UDP datagram
#     of length 8008;
#  2. tern → Linux: `tern nc -u` sends the file as one datagram (one read of
#     stdin, one datagram, as nc); a python3 UDP socket receives one
#     8000-byte datagram, byte-exact; tern's capture shows its 6 fragments
#     (IP ids equal, offsets 0..7400, MF on all but the last);
# and both captures decode cleanly with good checksums.
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools socat cmp

ns_add udpfrag
NS=$NS_NAME
tap_add "$NS" tap0 10.201.21.1/24
TN=(--tap tap0 --addr 10.201.21.2/24)

# 8000 bytes with structure (the offset every 4 bytes), so a misplaced
# fragment shows.
"$PY" -c 'import sys; sys.stdout.buffer.write(b"".join(b"%04d" % (i % 10000) for i in range(0, 8000, 4))[:8000])' \
	>"$OUT/big.bin" || fail "cannot write the test file"
assert_eq 8000 "$(stat -c %s "$OUT/big.bin")" "test file size"

# ---- 1. Linux -> tern --------------------------------------------------------
log "socat: 8000-byte datagram -> tern nc -u -l 5100"
bg_start tern-recv /dev/null "$NS" "$TERN" nc -u -l -v -q 1 -p 5100 "${TN[@]}" \
	--pcap "$OUT/frag-in.pcap"
wait_file_match "$OUT/tern-recv.err" '^Bound on 0\.0\.0\.0 5100$' 10 "tern nc -l ready"
wait_link_up "$NS" tap0
# socat reads its stdin in 8192-byte blocks: the file is one read, one datagram.
run_ns -t 10 "$NS" sh -c "socat -u - UDP:10.201.21.2:5100 <'$OUT/big.bin'"
assert_rc 0 "socat -u - UDP:10.201.21.2:5100"
bg_wait tern-recv 10
[ "$BG_RC" -eq 0 ] || fail "tern nc -u -l exited $BG_RC: $(cat "$OUT/tern-recv.err")"
assert_eq 8000 "$(stat -c %s "$OUT/tern-recv.out")" "bytes tern nc -l wrote"
cmp -s "$OUT/big.bin" "$OUT/tern-recv.out" || fail "tern nc -l received different bytes than were sent"
check_pcap "$OUT/frag-in.pcap"
n=$(pcap_count "$OUT/frag-in.pcap" 'ip.src == 10.201.21.1 && (ip.flags.mf == 1 || ip.frag_offset > 0)')
assert_eq 6 "$n" "fragments from Linux"
n=$(pcap_count "$OUT/frag-in.pcap" 'ip.src == 10.201.21.1 && udp.length == 8008')
assert_eq 1 "$n" "reassembled 8008-byte UDP datagram from Linux (tshark)"

# ---- 2. tern -> Linux --------------------------------------------------------
log "tern nc -u: 8000-byte datagram -> python3 UDP socket"
cat >"$OUT/recv_one.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.201.21.1", 5101))
s.settimeout(10)
data, peer = s.recvfrom(65535)
open(sys.argv[1], "wb").write(data)
print("%d bytes from %s" % (len(data), peer[0]))
EOF
bg_start linux-recv /dev/null "$NS" "$PY" "$OUT/recv_one.py" "$OUT/linux-got.bin"
wait_udp_bound "$NS" 5101
run_ns -t 15 "$NS" sh -c "'$TERN' nc -u -q 0 ${TN[*]} --pcap '$OUT/frag-out.pcap' \
	10.201.21.1 5101 <'$OUT/big.bin'"
assert_rc 0 "tern nc -u -q 0 10.201.21.1 5101 <big.bin"
bg_wait linux-recv 10
[ "$BG_RC" -eq 0 ] || fail "python3 receiver exited $BG_RC: $(cat "$OUT/linux-recv.err")"
assert_eq "8000 bytes from 10.201.21.2" "$(cat "$OUT/linux-recv.out")" "what Linux received"
cmp -s "$OUT/big.bin" "$OUT/linux-got.bin" || fail "Linux received different bytes than tern sent"
check_pcap "$OUT/frag-out.pcap"
frags=$(tshark_fields "$OUT/frag-out.pcap" 'ip.src == 10.201.21.2 && ip.proto == 17' \
	ip.id ip.frag_offset ip.flags.mf)
assert_eq 6 "$(grep -c . <<<"$frags")" "fragments tern sent: $frags"
assert_eq 1 "$(awk '{print $1}' <<<"$frags" | sort -u | grep -c .)" "IP ids of the fragments"
# tshark 4.0 shows ip.frag_offset in 8-byte units (the header field),
# other versions in bytes: scale when the largest is below a fragment.
scale=$(awk '$2 > m { m = $2 } END { print (m < 1480) ? 8 : 1 }' <<<"$frags")
assert_eq "0 1480 2960 4440 5920 7400" "$(awk -v k="$scale" '{print $2 * k}' <<<"$frags" | sort -n | tr '\n' ' ' | sed 's/ $//')" \
	"fragment offsets in bytes"
assert_eq 1 "$(awk '$3 == 0 || $3 == "False"' <<<"$frags" | grep -c .)" "fragments without MF"
n=$(pcap_count "$OUT/frag-out.pcap" 'ip.src == 10.201.21.2 && udp.length == 8008')
assert_eq 1 "$n" "reassembled 8008-byte UDP datagram from tern (tshark)"

pass
