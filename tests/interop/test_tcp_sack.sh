# tests/interop/test_tcp_sack.sh — SACK and D-SACK (RFC 2018, RFC 2883)
# between tern and Linux over a lossy link: tern's fault injector drops 2%
# and duplicates 1% of the frames tern receives (--fault-dir in), so Linux's
# data reaches tern with holes and copies.
#
#   namespace NS: tap0, kernel side 10.201.35.1/24  <->  tern 10.201.35.2/24
#
# Asserts:
#  1. Linux nc -N sends 4 MiB to `tern nc -l`: it arrives intact (sha256),
#     both exit 0;
#  2. the capture (tern's side) decodes cleanly (no malformed frame, good
#     checksums); tern's ACKs carry SACK blocks (tcp.options.sack_le) and
#     D-SACK blocks (tshark's tcp.options.sack.dsack_le); every block is
#     non-empty and, but for a first D-SACK block, above the ACK it rides
#     on; at most 3 blocks beside timestamps;
#  3. Linux took them: it recovered by SACK (TcpExtTCPSackRecovery >= 1)
#     with at most 3 retransmission timeouts (without SACK blocks the same
#     transfer took 24), and counted tern's D-SACKs (TcpExtTCPDSACKRecv);
#  4. `tern host --tcp-echo` under the same impairment, both directions:
#     4 MiB echoed intact; tern counted the D-SACKs it sent and those
#     Linux sent about tern's duplicates (tcp.dsack_recv), and Linux the
#     ones tern sent.
TEST_DEADLINE=${TEST_DEADLINE:-150}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools nc nstat sha256sum head

ns_add tcpsack
NS=$NS_NAME
tap_add "$NS" tap0 10.201.35.1/24
K=10.201.35.1 T=10.201.35.2
IMPAIR=(--loss 2 --duplicate 1 --fault-seed 7)

# linux_counter NAME — Linux's counter NAME in NS, absolute (nstat's
# history is left alone).
linux_counter() {
	ip netns exec "$NS" nstat -asz "$1" 2>/dev/null | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

head -c $((4 << 20)) /dev/urandom >"$OUT/up.bin" || fail "make up.bin"
want=$(sha256sum <"$OUT/up.bin" | cut -d' ' -f1)

# ---- 1. Linux sends, tern nc -l receives through loss ---------------------------
log "Linux nc -N -> tern nc -l, 4 MiB, 2% loss and 1% duplicates toward tern"
bg_start tern-listen /dev/null "$NS" "$TERN" nc -l -v -p 5030 --tap tap0 --addr $T/24 \
	"${IMPAIR[@]}" --fault-dir in --pcap "$OUT/sack.pcap"
wait_file_match "$OUT/tern-listen.err" '^Listening on 0\.0\.0\.0 5030$' 10 "tern nc -l ready"
wait_link_up "$NS" tap0
t0=$(date +%s%N)
run_ns -t 60 "$NS" sh -c "nc -N $T 5030 <'$OUT/up.bin'"
assert_rc 0 "Linux nc -N $T 5030"
bg_wait tern-listen 20
[ "$BG_RC" -eq 0 ] || fail "tern nc -l exited $BG_RC: $(cat "$OUT/tern-listen.err")"
log "4 MiB through 2% loss in $((($(date +%s%N) - t0) / 1000000)) ms"
assert_eq "$want" "$(sha256sum <"$OUT/tern-listen.out" | cut -d' ' -f1)" "sha256 of what tern received"

# ---- 2. the blocks on the wire ----------------------------------------------------
check_pcap "$OUT/sack.pcap"
F="ip.src == $T && tcp.port == 5030"
n=$(pcap_count "$OUT/sack.pcap" "$F && tcp.options.sack_le")
assert_ge 10 "$n" "tern's ACKs with SACK blocks"
n=$(pcap_count "$OUT/sack.pcap" "$F && tcp.options.sack.dsack_le")
assert_ge 1 "$n" "tern's ACKs with a D-SACK block"
# Raw sequence numbers: one line per segment, "frame|ack|tsval|left edges|right edges".
bad=$(timeout -k 2 60 tshark -n -r "$OUT/sack.pcap" -o tcp.relative_sequence_numbers:FALSE \
	-Y "$F && tcp.options.sack_le" -T fields -E separator='|' -E aggregator=' ' \
	-e frame.number -e tcp.ack -e tcp.options.timestamp.tsval -e tcp.options.sack_le \
	-e tcp.options.sack_re 2>>"$OUT/tshark.err" | awk -F'|' '
	function lt(a, b) { d = (a - b) % 4294967296; if (d < 0) d += 4294967296; return d >= 2147483648 }
	{
		n = split($4, L, " "); m = split($5, R, " ")
		if (n != m || n < 1 || n > ($3 != "" ? 3 : 4)) print "frame " $1 ": " n " blocks"
		for (i = 1; i <= n; i++) {
			if (!lt(L[i], R[i])) print "frame " $1 ": empty block " L[i] "-" R[i]
			if (!(i == 1 && lt(L[i], $2)) && !lt($2, L[i]))
				print "frame " $1 ": block " L[i] "-" R[i] " not above ack " $2
		}
	}')
[ -z "$bad" ] || fail "SACK blocks from tern that are not valid:
$bad"
log "$(pcap_count "$OUT/sack.pcap" "$F && tcp.options.sack_le") ACKs with SACK blocks, all valid"

# ---- 3. Linux recovered by them ---------------------------------------------------
rec=$(linux_counter TcpExtTCPSackRecovery) rto=$(linux_counter TcpExtTCPTimeouts)
dsr=$(linux_counter TcpExtTCPDSACKRecv)
log "Linux: TcpExtTCPSackRecovery $rec, TcpExtTCPTimeouts $rto, TcpExtTCPDSACKRecv $dsr"
assert_ge 1 "$rec" "Linux's SACK recoveries"
[ "$rto" -le 3 ] || fail "Linux needed $rto retransmission timeouts (SACK should spare them)"
assert_ge 1 "$dsr" "D-SACKs Linux received"

# ---- 4. both ways: tern host --tcp-echo ---------------------------------------------
log "Linux nc -N -> tern host --tcp-echo 7, 4 MiB each way, impaired both ways"
host_start sack "$NS" --tap tap0 --addr $T/24 --tcp-echo 7 "${IMPAIR[@]}"
run_ns -t 60 "$NS" sh -c "nc -N $T 7 <'$OUT/up.bin' >'$OUT/echo.bin'"
assert_rc 0 "Linux nc -N $T 7"
assert_eq "$want" "$(sha256sum <"$OUT/echo.bin" | cut -d' ' -f1)" "sha256 of the echo"
host_stop sack
sent=$(($(host_counter sack tcp dsack_old_sent) + $(host_counter sack tcp dsack_ofo_sent)))
recv=$(host_counter sack tcp dsack_recv)
log "tern: D-SACKs sent $sent, received $recv; Linux TcpExtTCPDSACKRecv now $(linux_counter TcpExtTCPDSACKRecv)"
assert_ge 1 "$sent" "D-SACKs tern sent"
assert_ge 1 "$recv" "D-SACKs tern received (Linux's, about tern's duplicates)"
assert_ge $((dsr + 1)) "$(linux_counter TcpExtTCPDSACKRecv)" "D-SACKs Linux received from the echo host"

pass
