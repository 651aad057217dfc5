/*
 * transport/tcp_fastopen_client.c — TCP Fast Open, the client's side
 * (RFC 7413 §4.1.3, §4.2.1), as Linux behaves where the RFC leaves room.
 *
 * The stack keeps the cookies servers gave it, by server address, with
 * the MSS each server announced (§4.1.3: how much data fits its SYN):
 * TCP_FO_CACHE_MAX entries, allocated on the first cookie (a stack that
 * never uses Fast Open holds nothing), the least recently learned one
 * replaced when full.
 *
 * A connection asks for Fast Open with sendto(MSG_FASTOPEN) or
 * TCP_FASTOPEN_CONNECT. With a cookie its first SYN carries the cookie
 * and as much of the data as fits; without one, a cookie request and no
 * data. Only the first SYN does: a retransmitted SYN carries neither
 * option nor data (Linux: a middlebox may be dropping them), the data
 * waiting in the ring for the handshake. The SYN-ACK tells what came
 * of it (§4.2.1): all the data acknowledged, or only the SYN, and then
 * the data is resent at once after the handshake and the cookie is
 * forgotten (§4.1.3.1: a negative response is cached; the next
 * connection asks for a cookie again). Fast Open SYNs that time out
 * twice in a row on a path (a middlebox dropping them, §6) turn Fast
 * Open off for that server for 2^losses minutes (§4.1.3.1; Linux's
 * backoff before its blackhole detection).
 */
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "transport/sock.h"
#include "transport/tcp_trace.h"

/* A server's address: IPv6 joins as family 6. */
struct tcp_fo_addr {
	uint8_t family;
	uint8_t a[16];
};

struct tcp_fo_entry {
	struct tcp_fo_addr addr;
	tern_time_t stamp;        /* when last learned: the oldest goes first */
	tern_time_t last_loss;    /* the last SYN with data that timed out */
	uint16_t mss;             /* the server's MSS option (0: none seen) */
	uint8_t cookie_len;       /* 0: none (never given, or forgotten) */
	uint8_t syn_loss;         /* SYN timeouts in a row with data on the SYN */
	uint8_t cookie[TERN_TCP_FASTOPEN_MAX];
};

struct tcp_fo_cache {
	unsigned n;
	struct tcp_fo_entry e[TCP_FO_CACHE_MAX];
};

/* Linux's MAX_TCP_OPTION_SPACE: the SYN's data leaves room for 40
 * bytes of options, as middleboxes may add their own. */
#define TCP_FO_OPT_SPACE 40

static struct tcp_fo_addr fo_addr4(tern_ip4_t ip)
{
	struct tcp_fo_addr a = {.family = 4};
	memcpy(a.a, &ip, sizeof(ip));
	return a;
}

static struct tcp_fo_entry *fo_find(struct tern_stack *s, tern_ip4_t ip)
{
	struct tcp_fo_cache *c = s->socks->tcp.fo_cache;
	if (!c)
		return NULL;
	struct tcp_fo_addr a = fo_addr4(ip);
	for (unsigned i = 0; i < c->n; i++)
		if (memcmp(&c->e[i].addr, &a, sizeof(a)) == 0)
			return &c->e[i];
	return NULL;
}

/* The server's entry, made (the cache too) if there is none; NULL: out
 * of memory. */
static struct tcp_fo_entry *fo_get(struct tern_stack *s, tern_ip4_t ip)
{
	struct tcp_fo_entry *e = fo_find(s, ip);
	if (e)
		return e;
	struct tcp_fo_cache *c = s->socks->tcp.fo_cache;
	if (!c && !(c = s->socks->tcp.fo_cache = calloc(1, sizeof(*c))))
		return NULL;
	if (c->n < TCP_FO_CACHE_MAX) {
		e = &c->e[c->n++];
	} else {
		e = &c->e[0];
		for (unsigned i = 1; i < c->n; i++)
			if (c->e[i].stamp < e->stamp)
				e = &c->e[i];
	}
	memset(e, 0, sizeof(*e));
	e->addr = fo_addr4(ip);
	return e;
}

void tcp_fo_cache_free(struct tern_stack *s)
{
	free(s->socks->tcp.fo_cache);
	s->socks->tcp.fo_cache = NULL;
}

/* SYN timeouts have recurred on this path: no Fast Open for 2^losses
 * minutes after the last (Linux 3.7-4.10's tcp_fastopen_cookie_check). */
static bool fo_backoff(const struct tcp_fo_entry *e, tern_time_t now)
{
	if (e->syn_loss <= 1)
		return false;
	unsigned shift = e->syn_loss < 12 ? e->syn_loss : 12;
	return now < e->last_loss + (TERN_SEC(60) << shift);
}

enum fo_plan { FO_PLAIN, FO_REQUEST, FO_COOKIE, FO_NO_COOKIE };

/* What this SYN may do (e: the server's entry, if any). */
static enum fo_plan fo_plan(struct tern_stack *s, const struct tern_tcb *tp,
			    struct tcp_fo_entry **e)
{
	*e = fo_find(s, tp->t.raddr);
	if (!(s->cfg->tcp_fastopen & TCP_FO_CLIENT))
		return FO_PLAIN;
	if (*e && fo_backoff(*e, s->now))
		return FO_PLAIN;
	if (*e && (*e)->cookie_len)
		return FO_COOKIE;
	if (s->cfg->tcp_fastopen & TCP_FO_CLIENT_NO_COOKIE)
		return FO_NO_COOKIE; /* data without a cookie, and no option */
	return FO_REQUEST;
}

bool tcp_fo_defer(struct tern_stack *s, struct tern_tcb *tp)
{
	if (!tp->fo.connect_opt)
		return false;
	struct tcp_fo_entry *e;
	switch (fo_plan(s, tp, &e)) {
	case FO_COOKIE:
	case FO_NO_COOKIE:
		tp->fo.deferred = true;
		return true;
	case FO_REQUEST:
		tcp_fo_syn_prepare(s, tp, 0);
		return false;
	default:
		return false;
	}
}

uint32_t tcp_fo_syn_prepare(struct tern_stack *s, struct tern_tcb *tp, size_t want)
{
	struct tcp_fo_entry *e;
	enum fo_plan plan = fo_plan(s, tp, &e);
	tp->fo.deferred = false;
	tp->fo.syn_opt = plan == FO_REQUEST || plan == FO_COOKIE;
	tp->fo.cookie_len = 0;
	if (plan == FO_REQUEST)
		tp->fo.fail = TCP_FO_FAIL_NO_COOKIE;
	if (plan == FO_PLAIN || plan == FO_REQUEST)
		return 0;
	if (plan == FO_COOKIE) {
		tp->fo.cookie_len = e->cookie_len;
		memcpy(tp->fo.cookie, e->cookie, e->cookie_len);
	}
	/* RFC 7413 §4.1.3: the server's cached MSS bounds the SYN's data
	 * (ours, from the route and TCP_MAXSEG, without one), less Linux's
	 * room for options. */
	uint32_t mss = tp->rcv_mss;
	if (e && e->mss && e->mss < mss)
		mss = e->mss;
	uint32_t space = mss > TCP_FO_OPT_SPACE ? mss - TCP_FO_OPT_SPACE : 0;
	return (uint32_t)(want < space ? want : space);
}

/* Only the first SYN (snd_max still at the ISS) is a Fast Open SYN. */
static bool first_syn(const struct tern_tcb *tp)
{
	return tp->state == TCPS_SYN_SENT && tp->snd_max == tp->iss;
}

uint32_t tcp_fo_syn_len(const struct tern_tcb *tp)
{
	return first_syn(tp) ? tp->fo.syn_data : 0;
}

void tcp_fo_syn_option(const struct tern_tcb *tp, struct tern_tcp_repr *th)
{
	if (!tp->fo.syn_opt || !first_syn(tp))
		return;
	th->has_tfo = true;
	th->tfo_len = tp->fo.cookie_len;
	memcpy(th->tfo_cookie, tp->fo.cookie, tp->fo.cookie_len);
}

/* What the SYN-ACK teaches the cache: a cookie (RFC 7413 §4.1.3), the
 * server's MSS; data not acknowledged is a negative response (§4.1.3.1):
 * the cookie is forgotten. A Fast Open SYN (data or a request) that timed
 * out, answered only as the plain SYN resent (no cookie, no data
 * acknowledged), counts as a SYN loss on the path: a middlebox may drop
 * such SYNs (§6; Linux's syn_loss, which counts SYNs with data; a request
 * lost is a "no response at all" of §4.1.3.1 too). Only a connection that
 * tried Fast Open learns (Linux ignores an unsolicited cookie); only a
 * cookie or a loss makes an entry. */
static void fo_learn(struct tern_stack *s, const struct tern_tcb *tp,
		     const struct tern_tcp_repr *th, bool data_lost, tern_time_t now)
{
	bool cookie = th->has_tfo && th->tfo_len;
	bool request = tp->fo.syn_opt && !tp->fo.cookie_len;
	bool syn_lost = tp->total_retrans && !cookie && (data_lost || request);
	struct tcp_fo_entry *e = cookie || syn_lost ? fo_get(s, tp->t.raddr)
						    : fo_find(s, tp->t.raddr);
	if (!e)
		return;
	e->stamp = now;
	if (th->has_mss && th->mss)
		e->mss = th->mss;
	if (cookie) {
		e->cookie_len = th->tfo_len;
		memcpy(e->cookie, th->tfo_cookie, th->tfo_len);
	} else if (data_lost) {
		e->cookie_len = 0;
	}
	if (syn_lost) {
		if (e->syn_loss < UINT8_MAX)
			e->syn_loss++;
		e->last_loss = now;
	} else {
		e->syn_loss = 0;
	}
}

void tcp_fo_synack(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		   tern_time_t now)
{
	/* The SYN's octets: snd_max is ISS + 1 + what the first SYN carried. */
	uint32_t sent = tp->snd_max - tp->iss - 1;
	uint32_t acked = th->ack - tp->iss - 1; /* <= sent: syn_sent_input checked */
	if (!tp->fo.syn_opt && !sent)
		return;
	bool data_lost = acked < sent;
	fo_learn(s, tp, th, data_lost, now);
	if (!sent) {
		if (th->has_tfo && th->tfo_len)
			tcp_trace_fastopen(s, tp, TERN_TCP_FO_COOKIE, 0, now);
		return;
	}
	tcp_trace_fastopen(s, tp, data_lost ? TERN_TCP_FO_REFUSED : TERN_TCP_FO_DATA, sent, now);
	tcp_snd_consume(s, tp, acked, now);
	tp->bytes_acked += acked;
	if (!data_lost) {
		tp->fo.syn_data_acked = true;
		tern_stat_inc(s, TERN_STAT_TCP_FASTOPEN_ACTIVE);
		if (seq_lt(tp->snd_nxt, th->ack))
			tp->snd_nxt = th->ack; /* a resent SYN (no data), the first one's answer */
		return;
	}
	/* RFC 7413 §4.2.1: what the server did not take is sent again right
	 * after the handshake (Linux's tcp_rcv_fastopen_synack). */
	tp->fo.fail = tp->total_retrans ? TCP_FO_FAIL_SYN_RETRANSMITTED : TCP_FO_FAIL_DATA_NOT_ACKED;
	tern_stat_inc(s, TERN_STAT_TCP_FASTOPEN_ACTIVE_FAIL);
	tp->snd_nxt = th->ack;
}
