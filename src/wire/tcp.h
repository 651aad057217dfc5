/*
 * wire/tcp.h — the TCP header (RFC 9293 §3.1) and its options: MSS (RFC
 * 9293 §3.7.1), window scale and timestamps (RFC 7323), SACK-permitted and
 * SACK (RFC 2018, RFC 2883).
 */
#ifndef TERN_WIRE_TCP_H
#define TERN_WIRE_TCP_H

#include "wire/wire.h"

#define TERN_TCP_HLEN 20        /* without options */
#define TERN_TCP_MAX_HLEN 60
#define TERN_TCP_MAX_OPTLEN 40  /* TERN_TCP_MAX_HLEN - TERN_TCP_HLEN */

/* Control bits, byte 13 (RFC 9293 §3.1; ECE and CWR from RFC 3168). */
#define TERN_TCP_FIN 0x01
#define TERN_TCP_SYN 0x02
#define TERN_TCP_RST 0x04
#define TERN_TCP_PSH 0x08
#define TERN_TCP_ACK 0x10
#define TERN_TCP_URG 0x20
#define TERN_TCP_ECE 0x40
#define TERN_TCP_CWR 0x80

/* Option kinds and the lengths their definitions give. */
#define TERN_TCPOPT_EOL 0
#define TERN_TCPOPT_NOP 1
#define TERN_TCPOPT_MSS 2           /* length 4 */
#define TERN_TCPOPT_WSCALE 3        /* length 3 */
#define TERN_TCPOPT_SACK_PERM 4     /* length 2 */
#define TERN_TCPOPT_SACK 5          /* length 2 + 8n */
#define TERN_TCPOPT_TIMESTAMP 8     /* length 10 */
#define TERN_TCPOPT_FASTOPEN 34     /* length 2 (a cookie request) or 2 + 4..16, even */

#define TERN_TCP_FASTOPEN_MIN 4     /* cookie bytes, RFC 7413 §4.1.1 */
#define TERN_TCP_FASTOPEN_MAX 16

#define TERN_TCP_MAX_WSCALE 14      /* RFC 7323 §2.3 */
#define TERN_TCP_MAX_SACK 4         /* blocks that fit in 40 bytes (RFC 2018 §3) */

struct tern_tcp_sack_block {
	uint32_t left, right;   /* first sequence number of the block, and one past its last */
};

struct tern_tcp_repr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hlen;           /* data offset × 4, 20..60; emit writes its own */
	uint8_t flags;          /* TERN_TCP_FIN ... TERN_TCP_CWR */
	uint16_t window;        /* as on the wire, not scaled */
	uint16_t csum;          /* as received; emit computes its own */
	uint16_t urgent;
	/* Options, as found: which ones a segment may carry (MSS, WS and
	 * SACK-permitted only on a SYN) is the protocol's to judge. */
	bool has_mss, has_wscale, sack_perm, has_ts;
	bool wscale_clamped;    /* the shift received was > 14 and reads as 14 */
	uint16_t mss;
	uint8_t wscale;         /* shift count, <= TERN_TCP_MAX_WSCALE */
	uint32_t tsval, tsecr;
	/* TCP Fast Open (RFC 7413 §4.1.1): has_tfo with tfo_len 0 is a cookie
	 * request, else a cookie of tfo_len (4..16, even) bytes. */
	bool has_tfo;
	uint8_t tfo_len;
	uint8_t tfo_cookie[TERN_TCP_FASTOPEN_MAX];
	uint8_t sack_count;     /* blocks in sack[], 0..TERN_TCP_MAX_SACK */
	struct tern_tcp_sack_block sack[TERN_TCP_MAX_SACK];
	const uint8_t *payload; /* buf + hlen, points into the parsed buffer */
	size_t payload_len;
};

/*
 * buf/len is the IP payload (len <= 65535, as any IPv4 payload is); src/dst
 * for the pseudo-header. TCP_SHORT if len < 20; TCP_BAD_HLEN if the data
 * offset is < 5 or passes len; TCP_BAD_CHECKSUM unless TERN_WIRE_NO_CSUM;
 * TCP_BAD_OPTIONS if an option other than EOL and NOP has a length below 2
 * or one that runs past the option space. Known options of the wrong length
 * are ignored, unknown ones skipped, a window scale above 14 reads as 14
 * with wscale_clamped set; the last of repeated options wins. The reserved
 * bits of byte 12 are ignored (RFC 9293 §3.1). Flag combinations are not
 * judged here.
 */
enum tern_stat tern_tcp_parse(const uint8_t *buf, size_t len, tern_ip4_t src, tern_ip4_t dst,
			      unsigned flags, struct tern_tcp_repr *out);

/*
 * Option bytes emit writes for r (a multiple of 4, at most 40), in Linux's
 * order and padding: MSS; then TS, led by SACK-permitted (04 02 08 0a) if
 * both are present, else by NOP NOP; NOP NOP SACK-permitted without TS;
 * NOP window scale; NOP NOP SACK. On a SYN that is Linux's "mss, sackOK,
 * TS, nop, wscale"; on other segments "nop, nop, TS, nop, nop, SACK". SACK
 * blocks that do not fit in the space the other options leave are dropped
 * from the end of r->sack, as Linux trims them (3 blocks fit with TS).
 */
size_t tern_tcp_options_len(const struct tern_tcp_repr *r);
/* The header emit writes: 20 bytes plus its options. */
static inline size_t tern_tcp_hdr_len(const struct tern_tcp_repr *r)
{
	return TERN_TCP_HLEN + tern_tcp_options_len(r);
}

/*
 * Write the header and options (tern_tcp_hdr_len(r) bytes) at buf and the
 * checksum of the whole segment. The payload_len payload bytes sit at
 * buf + tern_tcp_hdr_len(r) and are not read: payload_sum is their
 * partial sum (tern_csum_partial(payload, payload_len, 0), or what
 * tern_csum_copy returned while copying them there). r->hlen, r->csum and
 * r->payload are not used; reserved bits are sent as zero.
 */
void tern_tcp_emit(const struct tern_tcp_repr *r, uint8_t *buf, tern_ip4_t src, tern_ip4_t dst,
		   size_t payload_len, uint32_t payload_sum);

#endif
