/*
 * wire/icmp.c — parse and emit ICMPv4 messages (RFC 792; RFC 1191 for the
 * next-hop MTU in "fragmentation needed").
 *
 * buf/len is the IPv4 payload (ICMP has no length of its own). The parser
 * validates the header, the checksum over the whole message and, for error
 * messages, that the quoted datagram is usable; src/net/icmp decides what
 * each type means and which to ignore.
 */
#include "wire/icmp.h"

#include "wire/checksum.h"
#include "wire/ipv4.h"

/* Bytes of the offending datagram's payload an error message must quote:
 * "Internet Header + 64 bits of Original Data Datagram" (RFC 792), enough
 * for the ports that identify the flow (RFC 1122 §3.2.2). */
#define ICMP_QUOTE_PAYLOAD 8

/*
 * The quote is the start of an IPv4 datagram: version 4 and a header length
 * of at least 20 bytes, and the header plus 8 bytes of payload present. The
 * quoted datagram is truncated, so tern_ipv4_parse does not apply.
 */
static int quote_ok(const uint8_t *q, size_t n)
{
	size_t qhlen;

	if (n < TERN_IPV4_HLEN + ICMP_QUOTE_PAYLOAD)
		return 0;
	qhlen = tern_ipv4_hdr_len(q);
	return q[0] >> 4 == 4 && qhlen >= TERN_IPV4_HLEN && n >= qhlen + ICMP_QUOTE_PAYLOAD;
}

/* Bytes 4..7 ("rest of header"), per type. The union is cleared first so
 * that every member reads deterministically. */
static void parse_rest(const uint8_t *buf, struct tern_icmp_repr *out)
{
	out->u.raw = 0;
	switch (out->type) {
	case TERN_ICMP_ECHO:
	case TERN_ICMP_ECHO_REPLY:
		out->u.echo.id = rd16(buf + 4);
		out->u.echo.seq = rd16(buf + 6);
		break;
	case TERN_ICMP_DEST_UNREACH:
		if (out->code == TERN_ICMP_FRAG_NEEDED)
			out->u.mtu = rd16(buf + 6); /* RFC 1191 §4: bytes 4-5 unused */
		else
			out->u.raw = rd32(buf + 4);
		break;
	case TERN_ICMP_REDIRECT:
		out->u.gateway = rd32(buf + 4);
		break;
	case TERN_ICMP_PARAM_PROBLEM:
		out->u.pointer = buf[4]; /* bytes 5-7 unused */
		break;
	default:
		out->u.raw = rd32(buf + 4);
		break;
	}
}

enum tern_stat tern_icmp_parse(const uint8_t *buf, size_t len, unsigned flags,
			       struct tern_icmp_repr *out)
{
	if (len < TERN_ICMP_HLEN)
		return TERN_STAT_ICMP_SHORT;
	/* RFC 792: the checksum covers the whole ICMP message. */
	if (!(flags & TERN_WIRE_NO_CSUM) && tern_csum(buf, len) != 0)
		return TERN_STAT_ICMP_BAD_CHECKSUM;
	if (tern_icmp_is_error(buf[0]) && !quote_ok(buf + TERN_ICMP_HLEN, len - TERN_ICMP_HLEN))
		return TERN_STAT_ICMP_BAD_QUOTE;
	out->type = buf[0];
	out->code = buf[1];
	parse_rest(buf, out);
	out->data = buf + TERN_ICMP_HLEN;
	out->data_len = len - TERN_ICMP_HLEN;
	return TERN_STAT_NONE;
}

static void emit_rest(const struct tern_icmp_repr *r, uint8_t *buf)
{
	switch (r->type) {
	case TERN_ICMP_ECHO:
	case TERN_ICMP_ECHO_REPLY:
		wr16(buf + 4, r->u.echo.id);
		wr16(buf + 6, r->u.echo.seq);
		break;
	case TERN_ICMP_DEST_UNREACH:
		if (r->code == TERN_ICMP_FRAG_NEEDED) {
			wr16(buf + 4, 0);
			wr16(buf + 6, r->u.mtu);
		} else {
			wr32(buf + 4, r->u.raw);
		}
		break;
	case TERN_ICMP_REDIRECT:
		wr32(buf + 4, r->u.gateway);
		break;
	case TERN_ICMP_PARAM_PROBLEM:
		buf[4] = r->u.pointer;
		buf[5] = buf[6] = buf[7] = 0;
		break;
	default:
		wr32(buf + 4, r->u.raw);
		break;
	}
}

void tern_icmp_emit(const struct tern_icmp_repr *r, uint8_t *buf)
{
	/* Data first: a source overlapping the header is then still intact. */
	if (r->data_len && r->data != buf + TERN_ICMP_HLEN)
		memmove(buf + TERN_ICMP_HLEN, r->data, r->data_len);
	buf[0] = r->type;
	buf[1] = r->code;
	wr16(buf + 2, 0);
	emit_rest(r, buf);
	wr16(buf + 2, tern_csum(buf, TERN_ICMP_HLEN + r->data_len));
}
