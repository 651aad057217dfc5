/*
 * wire/ipv4.c — parse and emit the IPv4 header (RFC 791 §3.1).
 *
 * tern_ipv4_parse is the one place untrusted IPv4 header bytes are
 * checked; src/net/ipv4 input then works on the repr (addresses, routing,
 * reassembly) and the transport parsers get buf + hlen, total_len - hlen.
 * Options are checked for well-formedness only; what they mean is the
 * protocol's business.
 */
#include "wire/ipv4.h"

#include "wire/checksum.h"
#include "wire/options.h"

#define IP_FLAG_RESERVED 0x8000

/* RFC 791 §3.1 "Options": well formed as wire/options.h walks them. */
static int options_ok(const uint8_t *opt, size_t n)
{
	size_t pos = 0;
	struct tern_opt o;
	int rc;

	while ((rc = tern_opt_next(opt, n, &pos, &o)) == TERN_OPT_NEXT)
		continue;
	return rc == TERN_OPT_END;
}

/* Over options options_ok() has accepted; NOP and EOL are not options
 * one asks for. */
bool tern_ipv4_has_option(const struct tern_ipv4_repr *r, uint8_t type)
{
	size_t pos = 0, n = r->options ? r->options_len : 0;
	struct tern_opt o;

	while (tern_opt_next(r->options, n, &pos, &o) == TERN_OPT_NEXT)
		if (o.kind == type)
			return true;
	return false;
}

enum tern_stat tern_ipv4_parse(const uint8_t *buf, size_t len, unsigned flags,
			       struct tern_ipv4_repr *out)
{
	size_t hlen, total;
	uint16_t frag;

	/* RFC 1812 §5.2.2: length, version, header length, checksum and
	 * total length are checked before anything else is believed. */
	if (len < TERN_IPV4_HLEN)
		return TERN_STAT_IP_SHORT;
	if (buf[0] >> 4 != 4)
		return TERN_STAT_IP_BAD_VERSION;
	hlen = tern_ipv4_hdr_len(buf);
	if (hlen < TERN_IPV4_HLEN || hlen > len)
		return TERN_STAT_IP_BAD_HLEN;
	total = rd16(buf + 2);
	if (total < hlen || total > len)
		return TERN_STAT_IP_BAD_TOTAL_LEN;
	/* RFC 1122 §3.2.1.2: silently discard a bad header checksum. */
	if (!(flags & TERN_WIRE_NO_CSUM) && tern_csum_fold(tern_csum_words(buf, hlen, 0)) != 0)
		return TERN_STAT_IP_BAD_CHECKSUM;
	if (!options_ok(buf + TERN_IPV4_HLEN, hlen - TERN_IPV4_HLEN))
		return TERN_STAT_IP_BAD_OPTIONS;
	/* RFC 791 §3.2: a datagram is at most 65535 bytes, so a fragment
	 * whose offset plus payload passes that can never be reassembled
	 * (the "ping of death"). */
	frag = rd16(buf + 6);
	if ((size_t)(frag & TERN_IPV4_FRAG_MASK) * 8 + (total - hlen) > TERN_IPV4_MAX_LEN)
		return TERN_STAT_IP_BAD_FRAG;

	out->hlen = (uint8_t)hlen;
	out->tos = buf[1];
	out->total_len = (uint16_t)total;
	out->id = rd16(buf + 4);
	out->df = (frag & TERN_IPV4_DF) != 0;
	out->mf = (frag & TERN_IPV4_MF) != 0;
	out->frag_off = (uint16_t)((frag & TERN_IPV4_FRAG_MASK) * 8);
	out->ttl = buf[8];
	out->proto = buf[9];
	out->csum = rd16(buf + 10);
	out->src = rd32(buf + 12);
	out->dst = rd32(buf + 16);
	out->options_len = (uint8_t)(hlen - TERN_IPV4_HLEN);
	out->options = out->options_len ? buf + TERN_IPV4_HLEN : NULL;
	return TERN_STAT_NONE;
}

/* Option space r->hlen implies: whole 32-bit words, at most 40 bytes. A
 * well-formed repr (hlen 20..60, a multiple of 4) gives hlen - 20. */
static size_t emit_optspace(const struct tern_ipv4_repr *r)
{
	size_t n = r->hlen > TERN_IPV4_HLEN ? ((size_t)r->hlen - TERN_IPV4_HLEN) & ~(size_t)3 : 0;
	return n < TERN_IPV4_MAX_HLEN - TERN_IPV4_HLEN ? n : TERN_IPV4_MAX_HLEN - TERN_IPV4_HLEN;
}

/*
 * r->hlen is authoritative: up to options_len bytes of r->options are
 * copied (memmove, so they may already sit at buf + 20) and the rest of the
 * header is zero-filled, which reads as EOL padding. The reserved flag bit
 * is always sent as zero (RFC 791 §3.1).
 */
void tern_ipv4_emit(const struct tern_ipv4_repr *r, uint8_t *buf)
{
	size_t optspace = emit_optspace(r);
	size_t ncopy = r->options ? (r->options_len < optspace ? r->options_len : optspace) : 0;
	uint16_t frag = (uint16_t)((r->frag_off >> 3) & TERN_IPV4_FRAG_MASK);

	/* Options first: their source may overlap the fixed header. */
	if (ncopy)
		memmove(buf + TERN_IPV4_HLEN, r->options, ncopy);
	memset(buf + TERN_IPV4_HLEN + ncopy, 0, optspace - ncopy);
	if (r->df)
		frag |= TERN_IPV4_DF;
	if (r->mf)
		frag |= TERN_IPV4_MF;
	buf[0] = (uint8_t)(0x40 | ((TERN_IPV4_HLEN + optspace) / 4));
	buf[1] = r->tos;
	wr16(buf + 2, r->total_len);
	wr16(buf + 4, r->id);
	wr16(buf + 6, frag);
	buf[8] = r->ttl;
	buf[9] = r->proto;
	wr16(buf + 10, 0);
	wr32(buf + 12, r->src);
	wr32(buf + 16, r->dst);
	wr16(buf + 10, tern_csum_fold(tern_csum_words(buf, TERN_IPV4_HLEN + optspace, 0)));
}

bool tern_ipv4_mark_ce(uint8_t *h, size_t len)
{
	if (len < TERN_IPV4_HLEN || (h[0] >> 4) != 4)
		return false;
	if ((h[1] & TERN_IP_ECN_MASK) == TERN_IP_ECN_NOT_ECT)
		return false; /* RFC 3168 §5: only an ECN-capable packet is marked */
	uint16_t old = rd16(h), now = (uint16_t)(old | TERN_IP_ECN_CE);
	if (old == now)
		return true;
	h[1] |= TERN_IP_ECN_CE;
	wr16(h + 10, tern_csum_update16(rd16(h + 10), old, now));
	return true;
}
