/*
 * wire/tcp.c — parse and emit the TCP header and options (RFC 9293 §3.1;
 * RFC 7323 window scale and timestamps; RFC 2018 SACK).
 *
 * buf/len is the IPv4 payload; the checksum covers the IPv4 pseudo-header
 * (src, dst, protocol 6, TCP length) and the whole segment. The parser
 * checks the byte format only: what the flags and options mean in a given
 * state (RFC 9293 §3.10.7) is src/transport's business, on the repr. Emit
 * writes options in the order and padding Linux's tcp_options_write uses,
 * so that tern's captures and Linux's compare byte for byte.
 */
#include "wire/tcp.h"

#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/options.h"

#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TIMESTAMP 10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_FASTOPEN_BASE 2
#define TCPOLEN_SACK_BLOCK 8
/* Emitted sizes, padded with NOPs to 32-bit words as Linux pads them. */
#define TCPOLEN_MSS_ALIGNED 4
#define TCPOLEN_TS_ALIGNED 12       /* NOP NOP TS, or SACK_PERM TS */
#define TCPOLEN_SACK_PERM_ALIGNED 4 /* NOP NOP SACK_PERM */
#define TCPOLEN_WSCALE_ALIGNED 4    /* NOP WS */
#define TCPOLEN_SACK_BASE_ALIGNED 4 /* NOP NOP SACK kind, length */

/* The most emit writes besides SACK blocks: MSS, SACK_PERM+TS, NOP WS. */
_Static_assert(TCPOLEN_MSS_ALIGNED + TCPOLEN_TS_ALIGNED + TCPOLEN_WSCALE_ALIGNED +
		       TCPOLEN_SACK_BASE_ALIGNED <= TERN_TCP_MAX_OPTLEN,
	       "SYN options fit the option space");

/* The sum over the pseudo-header and len bytes at buf, continued from sum
 * (a partial sum of what follows them, for emit). */
static uint32_t tcp_sum(const uint8_t *buf, size_t len, tern_ip4_t src, tern_ip4_t dst,
			size_t seglen)
{
	/* seglen <= 65535 for any IPv4 payload (tcp.h). */
	uint32_t sum = tern_csum_pseudo4(src, dst, TERN_IPPROTO_TCP, (uint16_t)seglen);
	/* A header, or a segment that is only one (a pure ACK): inline. */
	if (len <= TERN_TCP_MAX_HLEN && (len & 3) == 0)
		return tern_csum_words(buf, len, sum);
	return tern_csum_partial(buf, len, sum);
}

/*
 * One option whose length octet is valid (>= 2, within the option space).
 * A known kind with another length than its definition's is ignored, as
 * Linux's tcp_parse_options ignores it: the segment itself may be fine.
 */
static void parse_option(uint8_t kind, const uint8_t *body, uint8_t olen, struct tern_tcp_repr *r)
{
	switch (kind) {
	case TERN_TCPOPT_MSS:
		if (olen == TCPOLEN_MSS) {
			r->has_mss = true;
			r->mss = rd16(body);
		}
		break;
	case TERN_TCPOPT_WSCALE:
		if (olen == TCPOLEN_WSCALE) {
			/* RFC 7323 §2.3: a shift above 14 "MUST use 14 instead". */
			r->has_wscale = true;
			r->wscale_clamped = body[0] > TERN_TCP_MAX_WSCALE;
			r->wscale = r->wscale_clamped ? TERN_TCP_MAX_WSCALE : body[0];
		}
		break;
	case TERN_TCPOPT_SACK_PERM:
		if (olen == TCPOLEN_SACK_PERM)
			r->sack_perm = true;
		break;
	case TERN_TCPOPT_SACK: {
		/* RFC 2018 §3: 2 + 8n bytes; 40 bytes of option space hold
		 * at most 4 blocks, so n <= 4 whenever the length fits. */
		size_t n = ((size_t)olen - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK;
		if (olen < TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK ||
		    (olen - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_BLOCK != 0 || n > TERN_TCP_MAX_SACK)
			break;
		r->sack_count = (uint8_t)n;
		for (size_t i = 0; i < n; i++) {
			r->sack[i].left = rd32(body + i * TCPOLEN_SACK_BLOCK);
			r->sack[i].right = rd32(body + i * TCPOLEN_SACK_BLOCK + 4);
		}
		break;
	}
	case TERN_TCPOPT_TIMESTAMP:
		if (olen == TCPOLEN_TIMESTAMP) {
			r->has_ts = true;
			r->tsval = rd32(body);
			r->tsecr = rd32(body + 4);
		}
		break;
	case TERN_TCPOPT_FASTOPEN: {
		/* RFC 7413 §4.1.1: no cookie (a request), or 4 to 16 bytes in
		 * units of 2; another length is ignored, as Linux does. */
		size_t n = (size_t)olen - TCPOLEN_FASTOPEN_BASE;
		if (n && (n < TERN_TCP_FASTOPEN_MIN || n > TERN_TCP_FASTOPEN_MAX || n % 2))
			break;
		r->has_tfo = true;
		r->tfo_len = (uint8_t)n;
		memcpy(r->tfo_cookie, body, n);
		break;
	}
	default:
		break; /* unknown: skipped by its length */
	}
}

/*
 * RFC 9293 §3.1 "Options", framed as wire/options.h walks them; options
 * may come in any order and a repeated one overwrites the earlier. Linux
 * and FreeBSD stop reading options at a malformed length and keep the
 * segment; tern drops it (tcp.bad_options), as it drops IPv4 headers with
 * malformed options.
 */
static int parse_options(const uint8_t *opt, size_t n, struct tern_tcp_repr *r)
{
	size_t pos = 0;
	struct tern_opt o;
	int rc;

	while ((rc = tern_opt_next(opt, n, &pos, &o)) == TERN_OPT_NEXT)
		parse_option(o.kind, o.data, o.len, r);
	return rc == TERN_OPT_END;
}

/* Is the option space exactly RFC 7323 Appendix A's NOP, NOP,
 * Timestamps, which every segment of a connection using timestamps
 * carries? That layout cannot be malformed. */
static bool timestamps_only(const uint8_t *opt, size_t n)
{
	return n == TCPOLEN_TS_ALIGNED && opt[0] == TERN_TCPOPT_NOP && opt[1] == TERN_TCPOPT_NOP &&
	       opt[2] == TERN_TCPOPT_TIMESTAMP && opt[3] == TCPOLEN_TIMESTAMP;
}

/* The fixed header's fields, after the options are parsed. */
static void parse_fixed(const uint8_t *buf, size_t len, size_t hlen, struct tern_tcp_repr *r)
{
	r->sport = rd16(buf);
	r->dport = rd16(buf + 2);
	r->seq = rd32(buf + 4);
	r->ack = rd32(buf + 8);
	r->hlen = (uint8_t)hlen;
	r->flags = buf[13];
	r->window = rd16(buf + 14);
	r->csum = rd16(buf + 16);
	r->urgent = rd16(buf + 18);
	r->payload = buf + hlen;
	r->payload_len = len - hlen;
}

enum tern_stat tern_tcp_parse(const uint8_t *buf, size_t len, tern_ip4_t src, tern_ip4_t dst,
			      unsigned flags, struct tern_tcp_repr *out)
{
	size_t hlen;

	if (len < TERN_TCP_HLEN)
		return TERN_STAT_TCP_SHORT;
	/* RFC 9293 §3.1: the data offset counts 32-bit words and includes
	 * the 5 of the fixed header. */
	hlen = (size_t)(buf[12] >> 4) * 4;
	if (hlen < TERN_TCP_HLEN || hlen > len)
		return TERN_STAT_TCP_BAD_HLEN;
	/* RFC 9293 §3.1, §3.10.7: a segment whose checksum fails is dropped;
	 * a correct checksum field makes the whole sum 0. */
	if (!(flags & TERN_WIRE_NO_CSUM) && tern_csum_fold(tcp_sum(buf, len, src, dst, len)) != 0)
		return TERN_STAT_TCP_BAD_CHECKSUM;
	const uint8_t *opt = buf + TERN_TCP_HLEN;
	size_t optlen = hlen - TERN_TCP_HLEN;
	if (optlen == 0 || timestamps_only(opt, optlen)) {
		/* Nothing left can fail: straight into *out, no copy of the
		 * record (the case of nearly every segment). */
		*out = (struct tern_tcp_repr){0};
		if (optlen) /* the option's data: past NOP, NOP, kind and length */
			parse_option(TERN_TCPOPT_TIMESTAMP, opt + 4, TCPOLEN_TIMESTAMP, out);
		parse_fixed(buf, len, hlen, out);
		return TERN_STAT_NONE;
	}
	/* Other options may be malformed: *out stays as it was if so. */
	struct tern_tcp_repr r = {0};
	if (!parse_options(opt, optlen, &r))
		return TERN_STAT_TCP_BAD_OPTIONS;
	parse_fixed(buf, len, hlen, &r);
	*out = r;
	return TERN_STAT_NONE;
}

/* Bytes the options other than SACK take, as emitted. */
static size_t base_options_len(const struct tern_tcp_repr *r)
{
	size_t n = 0;

	if (r->has_mss)
		n += TCPOLEN_MSS_ALIGNED;
	if (r->has_ts)
		n += TCPOLEN_TS_ALIGNED; /* carries SACK_PERM too, if set */
	else if (r->sack_perm)
		n += TCPOLEN_SACK_PERM_ALIGNED;
	if (r->has_wscale)
		n += TCPOLEN_WSCALE_ALIGNED;
	if (r->has_tfo)
		n += (TCPOLEN_FASTOPEN_BASE + r->tfo_len + 3u) & ~3u;
	return n;
}

/* SACK blocks emitted: r->sack_count, or as many as fit after the other
 * options (Linux's tcp_established_options: 3 with timestamps, else 4). */
static size_t sack_blocks_emitted(const struct tern_tcp_repr *r, size_t base)
{
	size_t room = TERN_TCP_MAX_OPTLEN - base, fit, n = r->sack_count;

	if (n == 0 || room < TCPOLEN_SACK_BASE_ALIGNED + TCPOLEN_SACK_BLOCK)
		return 0;
	fit = (room - TCPOLEN_SACK_BASE_ALIGNED) / TCPOLEN_SACK_BLOCK;
	if (n > TERN_TCP_MAX_SACK)
		n = TERN_TCP_MAX_SACK;
	return n < fit ? n : fit;
}

size_t tern_tcp_options_len(const struct tern_tcp_repr *r)
{
	size_t base = base_options_len(r), nsack = sack_blocks_emitted(r, base);

	return base + (nsack ? TCPOLEN_SACK_BASE_ALIGNED + nsack * TCPOLEN_SACK_BLOCK : 0);
}

static uint8_t *put4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p + 4;
}

/*
 * The layout of Linux's tcp_options_write, checked against SYNs Linux 6.18
 * sent with each combination of net.ipv4.tcp_{timestamps,sack,
 * window_scaling} (tests/unit/test_wire_tcp.c holds them):
 *   02 04 MSS                      MSS
 *   04 02 08 0a TSval TSecr        SACK_PERM + TS   (or 01 01 08 0a ... TS alone)
 *   01 01 04 02                    SACK_PERM without TS
 *   01 03 03 shift                 WS
 *   01 01 05 len blocks...         SACK
 *   22 len cookie [01 01]          Fast Open (RFC 7413), NOPs after it to
 *                                  the boundary, as Linux pads it
 * Every option ends on a 32-bit boundary, so no padding follows.
 */
static void emit_options(const struct tern_tcp_repr *r, uint8_t *p)
{
	size_t nsack = sack_blocks_emitted(r, base_options_len(r));

	if (r->has_mss) {
		p = put4(p, TERN_TCPOPT_MSS, TCPOLEN_MSS, 0, 0);
		wr16(p - 2, r->mss);
	}
	if (r->has_ts) {
		if (r->sack_perm)
			p = put4(p, TERN_TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM, TERN_TCPOPT_TIMESTAMP,
				 TCPOLEN_TIMESTAMP);
		else
			p = put4(p, TERN_TCPOPT_NOP, TERN_TCPOPT_NOP, TERN_TCPOPT_TIMESTAMP,
				 TCPOLEN_TIMESTAMP);
		wr32(p, r->tsval);
		wr32(p + 4, r->tsecr);
		p += 8;
	} else if (r->sack_perm) {
		p = put4(p, TERN_TCPOPT_NOP, TERN_TCPOPT_NOP, TERN_TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM);
	}
	if (r->has_wscale)
		p = put4(p, TERN_TCPOPT_NOP, TERN_TCPOPT_WSCALE, TCPOLEN_WSCALE, r->wscale);
	if (nsack) {
		p = put4(p, TERN_TCPOPT_NOP, TERN_TCPOPT_NOP, TERN_TCPOPT_SACK,
			 (uint8_t)(TCPOLEN_SACK_BASE + nsack * TCPOLEN_SACK_BLOCK));
		for (size_t i = 0; i < nsack; i++, p += TCPOLEN_SACK_BLOCK) {
			wr32(p, r->sack[i].left);
			wr32(p + 4, r->sack[i].right);
		}
	}
	if (r->has_tfo) {
		size_t len = TCPOLEN_FASTOPEN_BASE + r->tfo_len;
		p[0] = TERN_TCPOPT_FASTOPEN;
		p[1] = (uint8_t)len;
		memcpy(p + 2, r->tfo_cookie, r->tfo_len);
		for (; len & 3; len++)
			p[len] = TERN_TCPOPT_NOP;
	}
}

void tern_tcp_emit(const struct tern_tcp_repr *r, uint8_t *buf, tern_ip4_t src, tern_ip4_t dst,
		   size_t payload_len, uint32_t payload_sum)
{
	size_t hlen = tern_tcp_hdr_len(r);
	uint32_t sum;

	wr16(buf, r->sport);
	wr16(buf + 2, r->dport);
	wr32(buf + 4, r->seq);
	wr32(buf + 8, r->ack);
	buf[12] = (uint8_t)((hlen / 4) << 4); /* reserved bits zero (RFC 9293 §3.1) */
	buf[13] = r->flags;
	wr16(buf + 14, r->window);
	wr16(buf + 16, 0);
	wr16(buf + 18, r->urgent);
	emit_options(r, buf + TERN_TCP_HLEN);
	/* The header is a whole number of 32-bit words, so the payload starts
	 * at an even offset and its sum adds without a swap (checksum.h). */
	sum = tcp_sum(buf, hlen, src, dst, hlen + payload_len);
	wr16(buf + 16, tern_csum_fold(tern_csum_join(sum, hlen, payload_sum)));
}
