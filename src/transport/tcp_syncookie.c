/*
 * transport/tcp_syncookie.c — SYN cookies, when a listener's SYN queue or
 * the stack's half-open budget is full (Linux's tcp_syncookies = 1), so a
 * SYN flood never locks out a legitimate client.
 *
 * The SYN-ACK's sequence number carries what the SYN negotiated, in the
 * ISN itself as FreeBSD packs it (so a client without timestamps keeps
 * window scaling and SACK, unlike Linux's timestamp encoding):
 *
 *      31                     8 7   5 4    1  0
 *     |  MAC (24 bits)          | MSS | WS   | S |
 *
 * MSS is an index into a table, WS the peer's window shift (15: none), S
 * SACK-permitted. The MAC is a keyed hash (the stack's secret) of the
 * 4-tuple, the peer's ISN, those low bits and a counter that moves every
 * 64 s; an ACK is accepted against the current counter and the two before
 * (a cookie lives two to three minutes). Nothing is stored per SYN. A
 * cookie says nothing of timestamps: the final ACK's own option decides.
 * With timestamps, ECN (RFC 3168) rides in the low bit of the SYN-ACK's
 * TSval and comes back in the final ACK's TSecr (Linux keeps its cookie
 * options there too); without them a cookie connection has no ECN.
 */
#include "core/stack_impl.h"
#include "net/ipv4.h"
#include "transport/sock.h"
#include "transport/tcp_cc.h"
#include "wire/checksum.h"

#define COOKIE_PERIOD TERN_SEC(64)
#define COOKIE_AGES 3

/* MSS values a cookie can carry: the largest not above the peer's is
 * used (Linux's table, widened for jumbo and 64 KiB-MTU paths). */
static const uint16_t mss_table[8] = {536, 1200, 1300, 1400, 1440, 1460, 8960, 65495};

static uint32_t cookie_mac(const struct tern_stack *s, const struct tcp_tuple *t, tcp_seq peer_isn,
			   uint32_t low, uint64_t age)
{
	uint64_t k = s->socks->tcp.secret ^ (age * 0x9e3779b97f4a7c15ull);
	uint64_t a = ((uint64_t)t->laddr << 32 | t->raddr) ^ k;
	uint64_t b = ((uint64_t)t->lport << 48 | (uint64_t)t->rport << 32 | peer_isn) ^ (low << 8);
	return (uint32_t)(tern_mix64(tern_mix64(a) ^ b) >> 40); /* 24 bits */
}

static uint64_t cookie_age(tern_time_t now)
{
	return (uint64_t)(now / COOKIE_PERIOD);
}

static unsigned mss_index(uint16_t mss)
{
	unsigned i = 0;
	while (i + 1 < 8 && mss_table[i + 1] <= mss)
		i++;
	return i;
}

tcp_seq tcp_cookie_make(const struct tern_stack *s, const struct tcp_tuple *t, tcp_seq peer_isn,
			uint16_t mss, int wscale, bool sack, tern_time_t now)
{
	uint32_t low = (uint32_t)mss_index(mss) << 5 | (uint32_t)(wscale < 0 ? 15 : wscale) << 1 |
		       (sack ? 1u : 0u);
	return cookie_mac(s, t, peer_isn, low, cookie_age(now)) << 8 | low;
}

void tcp_cookie_stamp(struct tern_tcb *tmp, tern_time_t now)
{
	uint32_t real = tcp_ts_now(tmp, now);
	uint32_t ts = (real & ~1u) | ((tmp->ecn_flags & TCP_ECN_OK) ? 1u : 0u);
	if ((int32_t)(ts - real) > 0)
		ts -= 2; /* lowered, never raised: the connection's stamps go on from real */
	tmp->ts_offset += ts - real;
}

bool tcp_cookie_check(const struct tern_stack *s, const struct tcp_tuple *t, tcp_seq peer_isn,
		      tcp_seq cookie, tern_time_t now, struct tcp_cookie *out)
{
	uint32_t low = cookie & 0xff;
	uint64_t age = cookie_age(now);
	for (unsigned back = 0; back < COOKIE_AGES && back <= age; back++) {
		if (cookie_mac(s, t, peer_isn, low, age - back) != cookie >> 8)
			continue;
		out->mss = mss_table[low >> 5];
		out->wscale = (int)((low >> 1) & 15) == 15 ? -1 : (int)((low >> 1) & 15);
		out->sack = low & 1;
		return true;
	}
	return false;
}
