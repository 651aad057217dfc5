/*
 * wire/udp.c — parse and emit the UDP header (RFC 768).
 *
 * buf/len is the IPv4 payload; the checksum covers the IPv4 pseudo-header
 * (src, dst, protocol 17, UDP length) and the datagram's own length field's
 * worth of bytes. src/transport/udp demultiplexes on the repr.
 */
#include "wire/udp.h"

#include "wire/checksum.h"
#include "wire/ipv4.h"

static uint16_t udp_csum(const uint8_t *buf, uint16_t ulen, tern_ip4_t src, tern_ip4_t dst)
{
	uint32_t sum = tern_csum_pseudo4(src, dst, TERN_IPPROTO_UDP, ulen);
	return tern_csum_fold(tern_csum_partial(buf, ulen, sum));
}

enum tern_stat tern_udp_parse(const uint8_t *buf, size_t len, tern_ip4_t src, tern_ip4_t dst,
			      unsigned flags, struct tern_udp_repr *out)
{
	uint16_t ulen, csum;

	if (len < TERN_UDP_HLEN)
		return TERN_STAT_UDP_SHORT;
	/* RFC 768: length counts header and data, so it is at least 8; a
	 * length beyond the IP payload means a truncated datagram. */
	ulen = rd16(buf + 4);
	if (ulen < TERN_UDP_HLEN || ulen > len)
		return TERN_STAT_UDP_BAD_LEN;
	/* RFC 1122 §4.1.3.4: verify a non-zero checksum; zero means the
	 * sender computed none (RFC 768). A correct field sums the whole
	 * datagram to 0, whether it was sent as 0xffff or not. */
	csum = rd16(buf + 6);
	if (csum != 0 && !(flags & TERN_WIRE_NO_CSUM) && udp_csum(buf, ulen, src, dst) != 0)
		return TERN_STAT_UDP_BAD_CHECKSUM;
	out->sport = rd16(buf);
	out->dport = rd16(buf + 2);
	out->len = ulen;
	out->csum = csum;
	return TERN_STAT_NONE;
}

void tern_udp_emit(const struct tern_udp_repr *r, uint8_t *buf, tern_ip4_t src, tern_ip4_t dst)
{
	uint16_t c;

	wr16(buf, r->sport);
	wr16(buf + 2, r->dport);
	wr16(buf + 4, r->len);
	wr16(buf + 6, 0);
	/* RFC 768: a computed checksum of zero is transmitted as all ones,
	 * since zero on the wire means "no checksum". */
	c = udp_csum(buf, r->len, src, dst);
	wr16(buf + 6, c ? c : 0xffff);
}
