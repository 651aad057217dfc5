/*
 * wire/ipv4.h — the IPv4 header (RFC 791 §3.1).
 */
#ifndef TERN_WIRE_IPV4_H
#define TERN_WIRE_IPV4_H

#include "wire/wire.h"

#define TERN_IPV4_HLEN 20      /* without options */
#define TERN_IPV4_MAX_HLEN 60
#define TERN_IPV4_MAX_LEN 65535
/* The flags and fragment offset word (bytes 6-7), RFC 791 §3.1. */
#define TERN_IPV4_DF 0x4000
#define TERN_IPV4_MF 0x2000
#define TERN_IPV4_FRAG_MASK 0x1fff  /* offset, in 8-byte units */
#define TERN_IPPROTO_ICMP 1
#define TERN_IPPROTO_TCP  6
#define TERN_IPPROTO_UDP  17
/* The ECN field: the two low bits of the TOS byte (RFC 3168 §5). */
#define TERN_IP_ECN_MASK    0x03
#define TERN_IP_ECN_NOT_ECT 0x00
#define TERN_IP_ECN_ECT1    0x01
#define TERN_IP_ECN_ECT0    0x02
#define TERN_IP_ECN_CE      0x03

struct tern_ipv4_repr {
	uint8_t hlen;          /* header bytes, 20..60 */
	uint8_t tos;           /* DSCP << 2 | ECN */
	uint16_t total_len;    /* header + payload */
	uint16_t id;
	bool df, mf;
	uint16_t frag_off;     /* in bytes (the field is in units of 8) */
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;         /* as received; emit computes its own */
	tern_ip4_t src, dst;
	const uint8_t *options; /* points into the parsed buffer; NULL if none */
	uint8_t options_len;    /* hlen - 20, multiple of 4 */
};

/*
 * Validate the header at buf (RFC 1122 §3.2.1.1-3.2.1.8, RFC 1812 §5.2.2):
 * len >= 20 (IP_SHORT), version 4 (IP_BAD_VERSION), 20 <= hlen <= len
 * (IP_BAD_HLEN), hlen <= total_len <= len (IP_BAD_TOTAL_LEN: the caller
 * trims link padding beyond total_len), header checksum (IP_BAD_CHECKSUM,
 * unless TERN_WIRE_NO_CSUM), well-formed options — every option's length
 * within the header, EOL/NOP single bytes (IP_BAD_OPTIONS) — and fragment
 * fields: offset + payload must not exceed 65535 (IP_BAD_FRAG).
 */
enum tern_stat tern_ipv4_parse(const uint8_t *buf, size_t len, unsigned flags,
			       struct tern_ipv4_repr *out);
/* Option types (RFC 791 §3.1): loose and strict source and record route. */
#define TERN_IPOPT_LSRR 131
#define TERN_IPOPT_SSRR 137
/* True if a parsed header carries an option of this type. */
bool tern_ipv4_has_option(const struct tern_ipv4_repr *r, uint8_t type);

/* Write r->hlen bytes (copying r->options if options_len) with a fresh
 * checksum. r->total_len must already be set. */
void tern_ipv4_emit(const struct tern_ipv4_repr *r, uint8_t *buf);

/* Address classes (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7). */
/* The header length a header's first byte declares (IHL × 4), for code
 * that holds an already validated or quoted header. */
static inline size_t tern_ipv4_hdr_len(const uint8_t *h) { return (size_t)(h[0] & 0x0f) * 4; }
static inline int tern_ip4_is_multicast(tern_ip4_t a) { return (a >> 28) == 0xe; }
static inline int tern_ip4_is_loopback(tern_ip4_t a) { return (a >> 24) == 127; }
static inline int tern_ip4_is_zeronet(tern_ip4_t a) { return (a >> 24) == 0; }
static inline int tern_ip4_is_class_e(tern_ip4_t a) { return (a >> 28) == 0xf && a != 0xffffffffu; }

/* A router's congestion mark (RFC 3168 §5): set CE in the IPv4 header at
 * h (len bytes available) if the packet is ECN-capable, updating the
 * header checksum incrementally (RFC 1624). False, and nothing changed,
 * if the header is short or not IPv4 or the packet is Not-ECT (then only
 * a drop signals congestion); a packet already CE stays CE (true). */
bool tern_ipv4_mark_ce(uint8_t *h, size_t len);

#endif
