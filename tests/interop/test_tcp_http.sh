# tests/interop/test_tcp_http.sh — `tern http` served to Linux's curl, and
# `tern curl` fetching from python3's http.server, on one TAP device.
#
#   namespace NS: tap0, kernel side 10.201.45.1/24  <->  tern 10.201.45.2/24
#
# Asserts:
#  1. tern http -p 80: Linux curl fetches a 1 MiB file byte-exact (cmp);
#     50 curls in parallel (xargs -P 50) each get a 256 KiB file byte-exact;
#     one curl with two URLs reuses the connection ("Re-using existing
#     connection #0 with host 10.201.45.2"); a missing file is 404, and
#     curl -f exits 22; tern http logs one Common Log Format line per
#     request, and exits 0 on SIGTERM with its summary;
#  2. tern curl fetches the 1 MiB file from python3 -m http.server,
#     byte-exact, and -w prints "200 1048576";
#  3. tern curl -sv prints what curl -sv prints for the same fetch, once
#     the Date and User-Agent values and curl's "{ [N bytes data]" lines
#     (one per read, so per segment for tern) are masked;
#  4. a refused port: both exit 7 with the same message (the "after N ms"
#     masked); a 404 with -f: both exit 22 with the same message; a name:
#     tern curl exits 6, "Could not resolve host";
#  5. the captures (tern's side) decode cleanly, with good checksums.
TEST_DEADLINE=${TEST_DEADLINE:-180}
source "$(dirname "$0")/lib.sh" "$@" || exit 1
source "$(dirname "$0")/lib_udp.sh" || exit 1
require_tools curl cmp head xargs seq sed

ns_add tcphttp
NS=$NS_NAME
tap_add "$NS" tap0 10.201.45.1/24
TN=(--tap tap0 --addr 10.201.45.2/24)
K=10.201.45.1 T=10.201.45.2

WWW=$OUT/www
mkdir -p "$WWW" "$OUT/par" || fail "mkdir"
head -c 1048576 /dev/urandom >"$WWW/big.bin" || fail "make big.bin"
head -c 262144 /dev/urandom >"$WWW/mid.bin" || fail "make mid.bin"
echo "hello from tern" >"$WWW/small.txt"

# ---- 1. tern http, Linux curl -------------------------------------------------
log "tern http -p 80 serving $WWW"
bg_start http /dev/null "$NS" "$TERN" http -p 80 "${TN[@]}" --pcap "$OUT/http.pcap" "$WWW"
wait_file_match "$OUT/http.err" '^tern http: serving .* on 0\.0\.0\.0 port 80$' 10 "tern http ready"
wait_link_up "$NS" tap0

run_ns -t 30 "$NS" curl -sS -o "$OUT/got-big.bin" "http://$T/big.bin"
assert_rc 0 "curl http://$T/big.bin"
cmp "$WWW/big.bin" "$OUT/got-big.bin" || fail "curl's big.bin differs from the served file"

log "50 Linux curls at once"
run_ns -t 60 "$NS" sh -c "seq 1 50 | xargs -P 50 -I{} curl -sS -o '$OUT/par/{}.bin' http://$T/mid.bin"
assert_rc 0 "50 parallel curls"
for i in $(seq 1 50); do
	cmp -s "$WWW/mid.bin" "$OUT/par/$i.bin" || fail "parallel fetch $i differs from mid.bin"
done

log "two URLs, one connection"
run_ns -t 30 "$NS" curl -sv -o "$OUT/ka1.txt" -o "$OUT/ka2.bin" "http://$T/small.txt" "http://$T/mid.bin"
assert_rc 0 "curl with two URLs"
assert_match "^\* Re-using existing connection #0 with host $T\$" "$RUN_OUT" "keep-alive reuse"
assert_count 1 '^\*   Trying ' "$RUN_OUT" "connections curl opened"
assert_match "^\* Connection #0 to host $T left intact\$" "$RUN_OUT" "connection kept after the last"
cmp "$WWW/small.txt" "$OUT/ka1.txt" || fail "first keep-alive fetch differs"
cmp "$WWW/mid.bin" "$OUT/ka2.bin" || fail "second keep-alive fetch differs"

run_ns -t 30 "$NS" curl -s -o /dev/null -w '%{http_code}' "http://$T/nope"
assert_eq "0:404" "$RUN_RC:$RUN_OUT" "curl of a missing file"
run_ns -t 30 "$NS" curl -sf -o /dev/null "http://$T/nope"
assert_rc 22 "curl -f of a missing file"
run_ns -t 30 "$NS" curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://$T/../../etc/passwd"
assert_eq "0:403" "$RUN_RC:$RUN_OUT" "a path with .. segments"
run_ns -t 30 "$NS" curl -sI "http://$T/small.txt"
assert_match '^HTTP/1.1 200 OK' "$RUN_OUT" "curl -I"
assert_match '^Content-Length: 16' "$RUN_OUT" "curl -I"

kill -TERM "${_BG_PID[http]}"
bg_wait http 15
assert_eq 0 "$BG_RC" "tern http's exit status on SIGTERM ($(cat "$OUT/http.err"))"
assert_match '^10\.201\.45\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] "GET /big\.bin HTTP/1\.1" 200 1048576$' \
	"$(cat "$OUT/http.out")" "the access log"
assert_count 51 '"GET /mid\.bin HTTP/1\.1" 200 262144$' "$(cat "$OUT/http.out")" \
	"log lines for mid.bin (the 50, and the keep-alive fetch)"
assert_match '^tern http: 56 connections .* 57 requests' "$(cat "$OUT/http.err")" "tern http's summary"
check_pcap "$OUT/http.pcap"
n=$(pcap_count "$OUT/http.pcap" "tcp.flags.reset == 1 && ip.src == $T")
assert_eq 0 "$n" "RSTs from tern http"

# ---- 2. tern curl, python3 http.server ----------------------------------------
log "python3 -m http.server on $K:8000, tern curl"
bg_start py /dev/null "$NS" "$PY" -m http.server -b "$K" -d "$WWW" 8000
wait_tcp_listen "$NS" 8000
run_ns -t 30 "$NS" sh -c "'$TERN' curl -sS -w '%{http_code} %{size_download}' ${TN[*]} \
	--pcap '$OUT/curl.pcap' -o '$OUT/tc-big.bin' http://$K:8000/big.bin"
assert_rc 0 "tern curl http://$K:8000/big.bin"
assert_eq "200 1048576" "$RUN_OUT" "tern curl -w"
cmp "$WWW/big.bin" "$OUT/tc-big.bin" || fail "tern curl's big.bin differs"
check_pcap "$OUT/curl.pcap"

# ---- 3. -v against curl -v -----------------------------------------------------
# mask_v FILE — what must differ between two fetches: the Date, the
# User-Agent, curl's per-read data lines.
mask_v() {
	sed -E -e 's/^< Date: .*/< Date: DATE/' -e 's/^> User-Agent: .*/> User-Agent: UA/' \
		-e '/^\{ \[[0-9]+ bytes data\]$/d' -e 's/after [0-9]+ ms/after N ms/' "$1"
}
for path in small.txt big.bin; do
	log "curl -sv and tern curl -sv: $path"
	run_ns -t 30 "$NS" sh -c "curl -sv -o /dev/null http://$K:8000/$path 2>'$OUT/linux-v.err'"
	assert_rc 0 "curl -sv $path"
	run_ns -t 30 "$NS" sh -c "'$TERN' curl -sv ${TN[*]} -o /dev/null http://$K:8000/$path \
		2>'$OUT/tern-v.err'"
	assert_rc 0 "tern curl -sv $path"
	mask_v "$OUT/linux-v.err" >"$OUT/linux-v.masked"
	mask_v "$OUT/tern-v.err" >"$OUT/tern-v.masked"
	diff -u "$OUT/linux-v.masked" "$OUT/tern-v.masked" >"$OUT/v.diff" ||
		fail "tern curl -v differs from curl -v for $path:
$(cat "$OUT/v.diff")"
done

# ---- 4. failures: the same exit codes and messages ------------------------------
log "a refused port, a 404 with -f, a name"
run_ns -t 30 "$NS" curl -sS "http://$K:8999/"
linux_rc=$RUN_RC linux_msg=$(sed -E 's/after [0-9]+ ms/after N ms/' <<<"$RUN_OUT")
assert_eq 7 "$linux_rc" "curl to a closed port"
run_ns -t 30 "$NS" "$TERN" curl -sS "${TN[@]}" "http://$K:8999/"
assert_eq "$linux_rc" "$RUN_RC" "tern curl to a closed port: exit status"
assert_eq "$linux_msg" "$(sed -E 's/after [0-9]+ ms/after N ms/' <<<"$RUN_OUT")" \
	"tern curl to a closed port: message"

run_ns -t 30 "$NS" curl -sSf "http://$K:8000/nope"
linux_rc=$RUN_RC linux_msg=$RUN_OUT
assert_eq 22 "$linux_rc" "curl -f of a 404"
run_ns -t 30 "$NS" "$TERN" curl -sSf "${TN[@]}" "http://$K:8000/nope"
assert_eq "$linux_rc:$linux_msg" "$RUN_RC:$RUN_OUT" "tern curl -f of a 404"

run_ns -t 30 "$NS" "$TERN" curl -sS "${TN[@]}" "http://example.invalid/"
assert_eq "6:curl: (6) Could not resolve host: example.invalid" "$RUN_RC:$RUN_OUT" \
	"tern curl of a name"

pass
