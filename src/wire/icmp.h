/*
 * wire/icmp.h — ICMPv4 messages (RFC 792, RFC 1191 for the next-hop MTU).
 */
#ifndef TERN_WIRE_ICMP_H
#define TERN_WIRE_ICMP_H

#include "wire/wire.h"

#define TERN_ICMP_HLEN 8

enum {
	TERN_ICMP_ECHO_REPLY = 0,
	TERN_ICMP_DEST_UNREACH = 3,
	TERN_ICMP_SOURCE_QUENCH = 4,
	TERN_ICMP_REDIRECT = 5,
	TERN_ICMP_ECHO = 8,
	TERN_ICMP_ROUTER_ADVERT = 9,
	TERN_ICMP_ROUTER_SOLICIT = 10,
	TERN_ICMP_TIME_EXCEEDED = 11,
	TERN_ICMP_PARAM_PROBLEM = 12,
	TERN_ICMP_TIMESTAMP = 13,
	TERN_ICMP_TIMESTAMP_REPLY = 14,
};
/* Destination unreachable codes. */
enum {
	TERN_ICMP_NET_UNREACH = 0,
	TERN_ICMP_HOST_UNREACH = 1,
	TERN_ICMP_PROTO_UNREACH = 2,
	TERN_ICMP_PORT_UNREACH = 3,
	TERN_ICMP_FRAG_NEEDED = 4,
	TERN_ICMP_SR_FAILED = 5,
	TERN_ICMP_NET_UNKNOWN = 6,
	TERN_ICMP_HOST_UNKNOWN = 7,
	TERN_ICMP_NET_PROHIB = 9,
	TERN_ICMP_HOST_PROHIB = 10,
	TERN_ICMP_ADMIN_PROHIB = 13,
};
/* Time exceeded codes. */
enum { TERN_ICMP_EXC_TTL = 0, TERN_ICMP_EXC_FRAGTIME = 1 };
/* Redirect codes. */
enum { TERN_ICMP_REDIR_NET = 0, TERN_ICMP_REDIR_HOST = 1, TERN_ICMP_REDIR_TOSNET = 2, TERN_ICMP_REDIR_TOSHOST = 3 };

struct tern_icmp_repr {
	uint8_t type, code;
	union {
		struct { uint16_t id, seq; } echo;  /* ECHO, ECHO_REPLY */
		uint16_t mtu;                       /* DEST_UNREACH/FRAG_NEEDED (RFC 1191) */
		tern_ip4_t gateway;                 /* REDIRECT */
		uint8_t pointer;                    /* PARAM_PROBLEM */
		uint32_t raw;                       /* bytes 4..7 for anything else */
	} u;
	const uint8_t *data; /* after the 8-byte header; points into the buffer */
	size_t data_len;
};

static inline int tern_icmp_is_error(uint8_t type)
{
	return type == TERN_ICMP_DEST_UNREACH || type == TERN_ICMP_SOURCE_QUENCH ||
	       type == TERN_ICMP_REDIRECT || type == TERN_ICMP_TIME_EXCEEDED ||
	       type == TERN_ICMP_PARAM_PROBLEM;
}

/* ICMP_SHORT if len < 8; ICMP_BAD_CHECKSUM (unless TERN_WIRE_NO_CSUM).
 * Types are not restricted here (the protocol decides what to ignore); for
 * error types, data must hold at least an IPv4 header (20 bytes) plus 8
 * bytes of its payload, else ICMP_BAD_QUOTE (RFC 792; RFC 1122 §3.2.2).
 * "Header" means the quoted one as its own IHL gives it: the quote must
 * start with version 4 and IHL >= 5 and hold IHL * 4 + 8 bytes (as Linux
 * checks), so protocol code may read the quoted addresses, protocol and
 * ports without further length checks. */
enum tern_stat tern_icmp_parse(const uint8_t *buf, size_t len, unsigned flags,
			       struct tern_icmp_repr *out);
/* Write the 8-byte header followed by r->data (data_len bytes, may alias
 * buf + 8, in which case it is not copied) and the checksum over all. */
void tern_icmp_emit(const struct tern_icmp_repr *r, uint8_t *buf);

#endif
