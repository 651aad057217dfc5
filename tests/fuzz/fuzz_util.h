/*
 * tests/fuzz/fuzz_util.h — what the whole-stack fuzz targets (fuzz_stack,
 * fuzz_tcp) share: the assertion, the checks on every frame a stack
 * sends, the trace subscriber's check, and running timers deadline by
 * deadline as a runner following tern_stack_poll_at would.
 *
 * Define FZ_NAME ("fuzz_stack") before including it.
 */
#ifndef TERN_FUZZ_UTIL_H
#define TERN_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "tern/netdev.h"
#include "tern/stack.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

#define FZ_ASSERT(c)                                                                  \
	do {                                                                          \
		if (!(c)) {                                                           \
			fprintf(stderr, FZ_NAME ": %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* A frame the stack sends on dev: between 60 and MTU + 14 bytes, from the
 * device's address; ARP from it too, or an IPv4 header with a right
 * checksum, a total length within the MTU and a TTL. Returns true for
 * IPv4, with its header in *ip. */
static inline bool fz_check_frame(const struct tern_netdev *dev, const uint8_t *frame, size_t len,
				  struct tern_ipv4_repr *ip)
{
	FZ_ASSERT(len >= TERN_ETH_MIN_FRAME && len <= (size_t)dev->mtu + TERN_ETH_HLEN);
	struct tern_eth_repr eth;
	FZ_ASSERT(tern_eth_parse(frame, len, &eth) == TERN_STAT_NONE);
	FZ_ASSERT(tern_mac_eq(&eth.src, &dev->mac));
	const uint8_t *pl = frame + TERN_ETH_HLEN;
	size_t pl_len = len - TERN_ETH_HLEN;
	if (eth.ethertype == TERN_ETHERTYPE_ARP) {
		struct tern_arp_repr arp;
		FZ_ASSERT(tern_arp_parse(pl, pl_len, &arp) == TERN_STAT_NONE);
		FZ_ASSERT(tern_mac_eq(&arp.sha, &dev->mac));
		return false;
	}
	FZ_ASSERT(eth.ethertype == TERN_ETHERTYPE_IPV4);
	FZ_ASSERT(tern_ipv4_parse(pl, pl_len, 0, ip) == TERN_STAT_NONE);
	FZ_ASSERT(ip->total_len <= dev->mtu);
	FZ_ASSERT(ip->ttl > 0);
	return true;
}

/* Every drop told to trace subscribers has a DROP-kind reason. */
static inline void fz_on_trace(void *ctx, struct tern_stack *s, const struct tern_trace_event *ev)
{
	(void)ctx;
	(void)s;
	if (ev->kind == TERN_TRACE_DROP)
		FZ_ASSERT(ev->reason > TERN_STAT_NONE && ev->reason < TERN_STAT__COUNT &&
			  tern_stat_is_drop(ev->reason));
}

static inline void fz_on_log(void *ctx, struct tern_stack *s, const char *msg)
{
	(void)ctx;
	(void)s;
	(void)msg;
}

/* Run timers deadline by deadline up to `until`; after each poll,
 * poll_at is not before now. */
static inline void fz_advance(struct tern_stack *s, tern_time_t until)
{
	for (int guard = 0; guard < 100000; guard++) {
		tern_time_t t = tern_stack_poll_at(s);
		if (t > until)
			break;
		if (t < tern_stack_now(s))
			t = tern_stack_now(s);
		tern_stack_poll(s, t);
		FZ_ASSERT(tern_stack_poll_at(s) >= t);
	}
	if (until > tern_stack_now(s))
		tern_stack_poll(s, until);
	FZ_ASSERT(tern_stack_poll_at(s) >= tern_stack_now(s));
}

#endif
