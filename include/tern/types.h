/*
 * tern/types.h — the few types every part of tern shares: time, IPv4
 * addresses, MAC addresses.
 *
 * Time is explicit everywhere (docs/architecture.md, "sans-I/O"): the core
 * never reads a clock. A tern_time_t is monotonic nanoseconds in an int64;
 * the caller chooses the epoch (the simulator starts at 0, the TAP runner
 * uses CLOCK_MONOTONIC).
 */
#ifndef TERN_TYPES_H
#define TERN_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t tern_time_t;

#define TERN_TIME_NEVER INT64_MAX
#define TERN_USEC(x) ((tern_time_t)(x) * 1000)
#define TERN_MSEC(x) ((tern_time_t)(x) * 1000000)
#define TERN_SEC(x)  ((tern_time_t)(x) * 1000000000)

/* An IPv4 address in host byte order, so prefixes and comparisons are plain
 * integer arithmetic. Wire code converts at the boundary. */
typedef uint32_t tern_ip4_t;

#define TERN_IP4(a, b, c, d) \
	((tern_ip4_t)(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d)))
#define TERN_IP4_ANY       ((tern_ip4_t)0)
#define TERN_IP4_BROADCAST ((tern_ip4_t)0xffffffffu)

/* Netmask for a prefix length 0..32. */
static inline tern_ip4_t tern_ip4_mask(unsigned plen)
{
	return plen == 0 ? 0 : (tern_ip4_t)(0xffffffffu << (32 - plen));
}

struct tern_mac {
	uint8_t b[6];
};

#define TERN_IP4_STRLEN 16 /* "255.255.255.255" + NUL */
#define TERN_MAC_STRLEN 18

/* Formatting and parsing (src/core/addr.c). The parsers return 0 or
 * TERN_EINVAL; "10.0.0.1/24" parses with tern_ip4_parse_prefix. */
char *tern_ip4_str(tern_ip4_t a, char buf[TERN_IP4_STRLEN]);
char *tern_mac_str(const struct tern_mac *m, char buf[TERN_MAC_STRLEN]);
int tern_ip4_parse(const char *s, tern_ip4_t *out);
int tern_ip4_parse_prefix(const char *s, tern_ip4_t *addr, unsigned *plen);
int tern_mac_parse(const char *s, struct tern_mac *out);

#endif
