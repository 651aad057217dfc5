/*
 * tests/fuzz/fuzz_wire.c — libFuzzer target for the wire parsers
 * (src/wire/) and the address parsers (src/core/addr.c).
 *
 * The first input byte selects what runs on the rest:
 *   0 ethernet, 1 arp, 2 ipv4, 3 icmp, 4 udp, 6 tcp (both with the
 *   pseudo-header 10.0.0.1 > 10.0.0.2), 5 the text parsers (ip4, prefix,
 *   mac); anything else: every packet parser on the rest, then the rest
 *   decoded as a frame, eth -> arp | ipv4 -> icmp | udp | tcp, as the
 *   stack would.
 * Each parser runs with and without TERN_WIRE_NO_CSUM. A failure must be a
 * drop reason of the parser's own group and leave *out untouched; a
 * success must satisfy the repr's invariants, and emitting the repr and
 * parsing the result (checksums on) must give the same fields. Any
 * violation aborts, which libFuzzer reports as a crash.
 *
 * Build with clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc,
 * linking the sources of src/wire/ and wire/checksum.c, stats.c, addr.c.
 * Seeds: tests/fuzz/corpus/wire/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire/checksum.h"
#include "tern/err.h"
#include "tern/stats.h"
#include "tern/types.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                              \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "fuzz_wire: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

#define PSEUDO_SRC TERN_IP4(10, 0, 0, 1)
#define PSEUDO_DST TERN_IP4(10, 0, 0, 2)

/* A failed parse returns a drop reason of the right group and does not
 * touch *out (compared against a copy taken before the call). */
static void check_failure(enum tern_stat st, const char *group, const void *out,
			  const void *before, size_t n)
{
	FUZZ_ASSERT(st > TERN_STAT_NONE && st < TERN_STAT__COUNT);
	FUZZ_ASSERT(tern_stat_is_drop(st));
	FUZZ_ASSERT(strcmp(tern_stat_group(st), group) == 0);
	FUZZ_ASSERT(memcmp(out, before, n) == 0);
}

static void fuzz_eth(const uint8_t *buf, size_t len)
{
	struct tern_eth_repr r, before, back;
	uint8_t out[TERN_ETH_HLEN];

	memset(&r, 0x5a, sizeof r);
	memset(&before, 0x5a, sizeof before);
	enum tern_stat st = tern_eth_parse(buf, len, &r);
	if (st != TERN_STAT_NONE) {
		check_failure(st, "eth", &r, &before, sizeof r);
		return;
	}
	FUZZ_ASSERT(len >= TERN_ETH_HLEN && r.ethertype >= 0x0600);
	tern_eth_emit(&r, out);
	FUZZ_ASSERT(memcmp(out, buf, TERN_ETH_HLEN) == 0); /* lossless */
	FUZZ_ASSERT(tern_eth_parse(out, sizeof out, &back) == TERN_STAT_NONE);
	FUZZ_ASSERT(tern_mac_eq(&back.dst, &r.dst) && tern_mac_eq(&back.src, &r.src));
	FUZZ_ASSERT(back.ethertype == r.ethertype);
}

static void fuzz_arp(const uint8_t *buf, size_t len)
{
	struct tern_arp_repr r, before, back;
	uint8_t out[TERN_ARP_LEN];

	memset(&r, 0x5a, sizeof r);
	memset(&before, 0x5a, sizeof before);
	enum tern_stat st = tern_arp_parse(buf, len, &r);
	if (st != TERN_STAT_NONE) {
		check_failure(st, "arp", &r, &before, sizeof r);
		return;
	}
	FUZZ_ASSERT(r.op == TERN_ARP_OP_REQUEST || r.op == TERN_ARP_OP_REPLY);
	tern_arp_emit(&r, out);
	FUZZ_ASSERT(memcmp(out, buf, TERN_ARP_LEN) == 0); /* lossless */
	FUZZ_ASSERT(tern_arp_parse(out, sizeof out, &back) == TERN_STAT_NONE);
	FUZZ_ASSERT(back.op == r.op && back.spa == r.spa && back.tpa == r.tpa);
	FUZZ_ASSERT(tern_mac_eq(&back.sha, &r.sha) && tern_mac_eq(&back.tha, &r.tha));
}

static void ipv4_invariants(const struct tern_ipv4_repr *r, const uint8_t *buf, size_t len)
{
	FUZZ_ASSERT(r->hlen >= TERN_IPV4_HLEN && r->hlen <= TERN_IPV4_MAX_HLEN && r->hlen % 4 == 0);
	FUZZ_ASSERT(r->hlen <= r->total_len && r->total_len <= len);
	FUZZ_ASSERT(r->options_len == r->hlen - TERN_IPV4_HLEN);
	FUZZ_ASSERT(r->options_len ? r->options == buf + TERN_IPV4_HLEN : r->options == NULL);
	FUZZ_ASSERT(r->frag_off % 8 == 0);
	FUZZ_ASSERT((size_t)r->frag_off + r->total_len - r->hlen <= TERN_IPV4_MAX_LEN);
}

/*
 * Emit the repr over a copy of the datagram and parse it with the checksum
 * checked: same fields, and the header bytes equal the original's except
 * the reserved flag bit and the checksum (which equals the received one if
 * that verified, unless it was the -0 form 0xffff).
 */
static void ipv4_round_trip(const struct tern_ipv4_repr *r, const uint8_t *buf, unsigned flags)
{
	uint8_t *q = malloc(r->total_len);
	struct tern_ipv4_repr back;

	memcpy(q, buf, r->total_len);
	memset(q, 0xa5, r->hlen);
	tern_ipv4_emit(r, q);
	FUZZ_ASSERT(tern_ipv4_parse(q, r->total_len, 0, &back) == TERN_STAT_NONE);
	FUZZ_ASSERT(back.hlen == r->hlen && back.tos == r->tos && back.total_len == r->total_len);
	FUZZ_ASSERT(back.id == r->id && back.df == r->df && back.mf == r->mf);
	FUZZ_ASSERT(back.frag_off == r->frag_off && back.ttl == r->ttl && back.proto == r->proto);
	FUZZ_ASSERT(back.src == r->src && back.dst == r->dst);
	FUZZ_ASSERT(back.options_len == r->options_len);
	FUZZ_ASSERT(memcmp(q + TERN_IPV4_HLEN, buf + TERN_IPV4_HLEN, r->options_len) == 0);
	FUZZ_ASSERT(memcmp(q, buf, 6) == 0 && (q[6] ^ buf[6]) == (buf[6] & 0x80));
	FUZZ_ASSERT(memcmp(q + 7, buf + 7, 3) == 0 && memcmp(q + 12, buf + 12, 8) == 0);
	if (!(flags & TERN_WIRE_NO_CSUM) && !(buf[6] & 0x80) && r->csum != 0xffff)
		FUZZ_ASSERT(back.csum == r->csum);
	free(q);
}

static int fuzz_ipv4(const uint8_t *buf, size_t len, unsigned flags, struct tern_ipv4_repr *res)
{
	struct tern_ipv4_repr r, before;

	memset(&r, 0x5a, sizeof r);
	memset(&before, 0x5a, sizeof before);
	enum tern_stat st = tern_ipv4_parse(buf, len, flags, &r);
	if (st != TERN_STAT_NONE) {
		check_failure(st, "ip", &r, &before, sizeof r);
		return 0;
	}
	ipv4_invariants(&r, buf, len);
	ipv4_round_trip(&r, buf, flags);
	if (res)
		*res = r;
	return 1;
}

/* The union member each type uses, as the parser fills it. */
static uint32_t icmp_rest(const struct tern_icmp_repr *r)
{
	switch (r->type) {
	case TERN_ICMP_ECHO:
	case TERN_ICMP_ECHO_REPLY:
		return (uint32_t)r->u.echo.id << 16 | r->u.echo.seq;
	case TERN_ICMP_DEST_UNREACH:
		return r->code == TERN_ICMP_FRAG_NEEDED ? r->u.mtu : r->u.raw;
	case TERN_ICMP_REDIRECT:
		return r->u.gateway;
	case TERN_ICMP_PARAM_PROBLEM:
		return r->u.pointer;
	default:
		return r->u.raw;
	}
}

/* Bytes 4..7 the emitter writes as zero for this type (unused fields). */
static int icmp_has_unused(const struct tern_icmp_repr *r)
{
	return (r->type == TERN_ICMP_DEST_UNREACH && r->code == TERN_ICMP_FRAG_NEEDED) ||
	       r->type == TERN_ICMP_PARAM_PROBLEM;
}

static void icmp_round_trip(const struct tern_icmp_repr *r, const uint8_t *buf, size_t len,
			    unsigned flags)
{
	uint8_t *q = malloc(len);
	struct tern_icmp_repr back;

	memset(q, 0xa5, len);
	tern_icmp_emit(r, q); /* data copied from buf */
	FUZZ_ASSERT(tern_icmp_parse(q, len, 0, &back) == TERN_STAT_NONE);
	FUZZ_ASSERT(back.type == r->type && back.code == r->code);
	FUZZ_ASSERT(icmp_rest(&back) == icmp_rest(r));
	FUZZ_ASSERT(back.data_len == r->data_len);
	FUZZ_ASSERT(memcmp(q + TERN_ICMP_HLEN, buf + TERN_ICMP_HLEN, r->data_len) == 0);
	if (!icmp_has_unused(r)) {
		FUZZ_ASSERT(memcmp(q + 4, buf + 4, 4) == 0);
		if (!(flags & TERN_WIRE_NO_CSUM) && rd16(buf + 2) != 0xffff)
			FUZZ_ASSERT(memcmp(q, buf, len) == 0);
	}

	/* again with the data already in place at q + 8 */
	struct tern_icmp_repr inplace = *r;
	uint8_t *q2 = malloc(len);
	memcpy(q2, buf, len);
	memset(q2, 0xa5, TERN_ICMP_HLEN);
	inplace.data = q2 + TERN_ICMP_HLEN;
	tern_icmp_emit(&inplace, q2);
	FUZZ_ASSERT(memcmp(q, q2, len) == 0);
	free(q2);
	free(q);
}

static void fuzz_icmp(const uint8_t *buf, size_t len, unsigned flags)
{
	struct tern_icmp_repr r, before;

	memset(&r, 0x5a, sizeof r);
	memset(&before, 0x5a, sizeof before);
	enum tern_stat st = tern_icmp_parse(buf, len, flags, &r);
	if (st != TERN_STAT_NONE) {
		check_failure(st, "icmp", &r, &before, sizeof r);
		return;
	}
	FUZZ_ASSERT(len >= TERN_ICMP_HLEN && r.data == buf + TERN_ICMP_HLEN);
	FUZZ_ASSERT(r.data_len == len - TERN_ICMP_HLEN);
	if (tern_icmp_is_error(r.type)) {
		/* the quote holds an IPv4 header and 8 bytes: its fields can be
		 * read without further length checks */
		size_t qhlen = (size_t)(r.data[0] & 0xf) * 4;
		FUZZ_ASSERT(r.data[0] >> 4 == 4 && qhlen >= 20 && r.data_len >= qhlen + 8);
		struct tern_ipv4_repr inner;
		(void)fuzz_ipv4(r.data, r.data_len, TERN_WIRE_NO_CSUM, &inner);
	}
	icmp_round_trip(&r, buf, len, flags);
}

static void udp_round_trip(const struct tern_udp_repr *r, const uint8_t *buf, tern_ip4_t src,
			   tern_ip4_t dst, unsigned flags)
{
	uint8_t *q = malloc(r->len);
	struct tern_udp_repr back;

	memcpy(q, buf, r->len);
	memset(q, 0xa5, TERN_UDP_HLEN);
	tern_udp_emit(r, q, src, dst);
	FUZZ_ASSERT(memcmp(q, buf, 6) == 0);
	FUZZ_ASSERT(rd16(q + 6) != 0); /* RFC 768: never "no checksum" */
	FUZZ_ASSERT(tern_udp_parse(q, r->len, src, dst, 0, &back) == TERN_STAT_NONE);
	FUZZ_ASSERT(back.sport == r->sport && back.dport == r->dport && back.len == r->len);
	if (!(flags & TERN_WIRE_NO_CSUM) && r->csum != 0)
		FUZZ_ASSERT(back.csum == r->csum);
	free(q);
}

static void fuzz_udp(const uint8_t *buf, size_t len, tern_ip4_t src, tern_ip4_t dst, unsigned flags)
{
	struct tern_udp_repr r, before;

	memset(&r, 0x5a, sizeof r);
	memset(&before, 0x5a, sizeof before);
	enum tern_stat st = tern_udp_parse(buf, len, src, dst, flags, &r);
	if (st != TERN_STAT_NONE) {
		check_failure(st, "udp", &r, &before, sizeof r);
		return;
	}
	FUZZ_ASSERT(r.len >= TERN_UDP_HLEN && r.len <= len && r.csum == rd16(buf + 6));
	udp_round_trip(&r, buf, src, dst, flags);
}

static void tcp_invariants(const struct tern_tcp_repr *r, const uint8_t *buf, size_t len)
{
	FUZZ_ASSERT(r->hlen >= TERN_TCP_HLEN && r->hlen <= TERN_TCP_MAX_HLEN && r->hlen % 4 == 0);
	FUZZ_ASSERT(r->hlen <= len && r->payload == buf + r->hlen);
	FUZZ_ASSERT(r->payload_len == len - r->hlen && r->csum == rd16(buf + 16));
	FUZZ_ASSERT(r->wscale <= TERN_TCP_MAX_WSCALE && r->sack_count <= TERN_TCP_MAX_SACK);
	FUZZ_ASSERT(!r->wscale_clamped || (r->has_wscale && r->wscale == TERN_TCP_MAX_WSCALE));
	FUZZ_ASSERT(r->has_mss || r->mss == 0);
	FUZZ_ASSERT(r->has_ts || (r->tsval == 0 && r->tsecr == 0));
	FUZZ_ASSERT(r->has_tfo || r->tfo_len == 0);
	FUZZ_ASSERT(r->tfo_len == 0 || (r->tfo_len >= TERN_TCP_FASTOPEN_MIN &&
					 r->tfo_len <= TERN_TCP_FASTOPEN_MAX && r->tfo_len % 2 == 0));
}

/*
 * Emit the repr with its payload (copied and summed with tern_csum_copy,
 * as the send path will) and parse the result, checksum on: same fields,
 * the options emit could fit (SACK blocks may be trimmed), same payload;
 * the payload summed separately gives the same bytes. If the original's
 * options were already in Linux's layout, the header is the original's
 * but for the reserved bits (and the checksum, if that verified).
 */
static void tcp_round_trip(const struct tern_tcp_repr *r, const uint8_t *buf, tern_ip4_t src,
			   tern_ip4_t dst, unsigned flags)
{
	size_t hlen = tern_tcp_hdr_len(r), n = hlen + r->payload_len;
	uint8_t *q = malloc(n), *q2 = malloc(n);
	struct tern_tcp_repr back;

	FUZZ_ASSERT(hlen <= TERN_TCP_MAX_HLEN && hlen % 4 == 0);
	memset(q, 0xa5, n);
	uint32_t sum = tern_csum_copy(q + hlen, r->payload, r->payload_len, 0);
	tern_tcp_emit(r, q, src, dst, r->payload_len, sum);
	FUZZ_ASSERT(tern_tcp_parse(q, n, src, dst, 0, &back) == TERN_STAT_NONE);
	tcp_invariants(&back, q, n);
	FUZZ_ASSERT(back.hlen == hlen && back.payload_len == r->payload_len);
	FUZZ_ASSERT(back.sport == r->sport && back.dport == r->dport);
	FUZZ_ASSERT(back.seq == r->seq && back.ack == r->ack && back.flags == r->flags);
	FUZZ_ASSERT(back.window == r->window && back.urgent == r->urgent);
	FUZZ_ASSERT(back.has_mss == r->has_mss && back.mss == r->mss);
	FUZZ_ASSERT(back.has_wscale == r->has_wscale && back.wscale == r->wscale);
	FUZZ_ASSERT(!back.wscale_clamped && back.sack_perm == r->sack_perm);
	FUZZ_ASSERT(back.has_ts == r->has_ts && back.tsval == r->tsval && back.tsecr == r->tsecr);
	FUZZ_ASSERT(back.has_tfo == r->has_tfo && back.tfo_len == r->tfo_len &&
		    memcmp(back.tfo_cookie, r->tfo_cookie, r->tfo_len) == 0);
	/* SACK blocks: the first ones, all that fit beside the others */
	FUZZ_ASSERT(back.sack_count <= r->sack_count);
	FUZZ_ASSERT(back.sack_count == r->sack_count || hlen + 8 > TERN_TCP_MAX_HLEN);
	FUZZ_ASSERT(memcmp(back.sack, r->sack, back.sack_count * sizeof back.sack[0]) == 0);
	FUZZ_ASSERT(memcmp(q + hlen, r->payload, r->payload_len) == 0);

	memcpy(q2, q, n);
	memset(q2, 0xa5, hlen);
	tern_tcp_emit(r, q2, src, dst, r->payload_len, tern_csum_partial(r->payload, r->payload_len, 0));
	FUZZ_ASSERT(memcmp(q2, q, n) == 0);

	if (hlen == r->hlen && memcmp(q + TERN_TCP_HLEN, buf + TERN_TCP_HLEN, hlen - TERN_TCP_HLEN) == 0) {
		FUZZ_ASSERT(memcmp(q, buf, 12) == 0 && q[12] == (buf[12] & 0xf0));
		FUZZ_ASSERT(memcmp(q + 13, buf + 13, 3) == 0 && memcmp(q + 18, buf + 18, 2) == 0);
		/* A verified field equals emit's unless it was 0xffff, which
		 * verifies only where emit writes 0 (the folded sum is never 0). */
		if (!(flags & TERN_WIRE_NO_CSUM) && (buf[12] & 0x0f) == 0 && r->csum != 0xffff)
			FUZZ_ASSERT(back.csum == r->csum);
	}
	free(q2);
	free(q);
}

static void fuzz_tcp(const uint8_t *buf, size_t len, tern_ip4_t src, tern_ip4_t dst, unsigned flags)
{
	struct tern_tcp_repr r, before;

	memset(&r, 0x5a, sizeof r);
	memset(&before, 0x5a, sizeof before);
	enum tern_stat st = tern_tcp_parse(buf, len, src, dst, flags, &r);
	if (st != TERN_STAT_NONE) {
		check_failure(st, "tcp", &r, &before, sizeof r);
		return;
	}
	tcp_invariants(&r, buf, len);
	tcp_round_trip(&r, buf, src, dst, flags);
}

/* The text parsers: whatever parses must format back to the same text
 * (the parsers accept only the canonical form, bar hex case). */
static void fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char fmt[TERN_IP4_STRLEN], mfmt[TERN_MAC_STRLEN];
	tern_ip4_t a;
	unsigned plen;
	struct tern_mac m;

	memcpy(s, data, size);
	s[size] = '\0';
	if (tern_ip4_parse(s, &a) == 0)
		FUZZ_ASSERT(strcmp(tern_ip4_str(a, fmt), s) == 0);
	if (tern_ip4_parse_prefix(s, &a, &plen) == 0) {
		char pfx[TERN_IP4_STRLEN + 4];
		FUZZ_ASSERT(plen <= 32);
		snprintf(pfx, sizeof pfx, "%s/%u", tern_ip4_str(a, fmt), plen);
		FUZZ_ASSERT(strcmp(pfx, s) == 0 || (plen == 32 && strcmp(fmt, s) == 0));
	}
	if (tern_mac_parse(s, &m) == 0)
		FUZZ_ASSERT(strcasecmp(tern_mac_str(&m, mfmt), s) == 0);
	FUZZ_ASSERT(tern_strerror(size ? -(int)data[0] : 0) != NULL);
	free(s);
}

/* A frame as the stack sees it: ethernet, then ARP or IPv4, then the
 * transport parser on exactly the IP payload. */
static void fuzz_frame(const uint8_t *buf, size_t len, unsigned flags)
{
	struct tern_eth_repr eth;
	struct tern_ipv4_repr ip;

	if (tern_eth_parse(buf, len, &eth) != TERN_STAT_NONE)
		return;
	buf += TERN_ETH_HLEN;
	len -= TERN_ETH_HLEN;
	if (eth.ethertype == TERN_ETHERTYPE_ARP) {
		fuzz_arp(buf, len);
		return;
	}
	if (eth.ethertype != TERN_ETHERTYPE_IPV4 || !fuzz_ipv4(buf, len, flags, &ip))
		return;
	if (ip.proto == TERN_IPPROTO_ICMP)
		fuzz_icmp(buf + ip.hlen, (size_t)ip.total_len - ip.hlen, flags);
	else if (ip.proto == TERN_IPPROTO_UDP)
		fuzz_udp(buf + ip.hlen, (size_t)ip.total_len - ip.hlen, ip.src, ip.dst, flags);
	else if (ip.proto == TERN_IPPROTO_TCP)
		fuzz_tcp(buf + ip.hlen, (size_t)ip.total_len - ip.hlen, ip.src, ip.dst, flags);
}

static void fuzz_all(const uint8_t *buf, size_t len, unsigned flags)
{
	fuzz_eth(buf, len);
	fuzz_arp(buf, len);
	(void)fuzz_ipv4(buf, len, flags, NULL);
	fuzz_icmp(buf, len, flags);
	fuzz_udp(buf, len, PSEUDO_SRC, PSEUDO_DST, flags);
	fuzz_tcp(buf, len, PSEUDO_SRC, PSEUDO_DST, flags);
	fuzz_frame(buf, len, flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t sel = data[0];
	const uint8_t *buf = data + 1;
	size_t len = size - 1;

	if (sel == 5) {
		fuzz_text(buf, len);
		return 0;
	}
	for (unsigned flags = 0; flags <= TERN_WIRE_NO_CSUM; flags++) {
		switch (sel) {
		case 0:
			if (flags == 0)
				fuzz_eth(buf, len);
			break;
		case 1:
			if (flags == 0)
				fuzz_arp(buf, len);
			break;
		case 2:
			(void)fuzz_ipv4(buf, len, flags, NULL);
			break;
		case 3:
			fuzz_icmp(buf, len, flags);
			break;
		case 4:
			fuzz_udp(buf, len, PSEUDO_SRC, PSEUDO_DST, flags);
			break;
		case 6:
			fuzz_tcp(buf, len, PSEUDO_SRC, PSEUDO_DST, flags);
			break;
		default:
			fuzz_all(buf, len, flags);
			break;
		}
	}
	return 0;
}
