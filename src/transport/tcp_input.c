/*
 * transport/tcp_input.c — SEGMENT ARRIVES (RFC 9293 §3.10.7), step by
 * step and in the RFC's order, with RFC 5961's defences, RFC 7323's PAWS
 * and RFC 6191's TIME-WAIT reuse.
 *
 *   tcp_input   parse → the connection (4-tuple) → TIME-WAIT → listener → none
 *     none        §3.10.7.1  reset (never in answer to a reset)
 *     LISTEN      §3.10.7.2  listen_input: a SYN makes a SYN-RECEIVED tcb
 *     SYN-SENT    §3.10.7.3  syn_sent_input
 *     TIME-WAIT   time_wait_input (RFC 6191)
 *     the rest    §3.10.7.4  synced_input: 1 sequence · 2 RST · 4 SYN ·
 *                 5 ACK · 7 text · 8 FIN
 *   then tcp_output for whatever became due, and one wakeup at the end.
 *
 * Every discarded segment is counted under its reason. The received
 * packet becomes the receive queue's buffer (its headers pulled): no
 * payload copy until the application reads.
 */
#include "core/rng.h"
#include "core/stack_impl.h"
#include "net/net.h"
#include "transport/sock.h"
#include "transport/tcp_cc.h"
#include "transport/tcp_trace.h"
#include "wire/icmp.h"

/* What a segment is, beside its header: lengths in sequence space. */
struct seg {
	struct tern_tcp_repr th;
	const struct tern_ipv4_repr *ip;
	struct tern_pkt *pkt;    /* data = payload once accepted; NULL once consumed */
	uint32_t head0, len0;    /* where the datagram began: a drop shows all of it */
	uint32_t len;            /* payload bytes */
	tern_time_t now;
};

/* Done with the segment's buffer: a drop counted under `why`, or, with
 * TERN_STAT_NONE, a segment fully used whose buffer holds nothing kept. */
static void seg_drop(struct tern_stack *s, struct seg *g, enum tern_stat why)
{
	if (why == TERN_STAT_NONE)
		tern_stack_pkt_free(s, g->pkt);
	else if (g->pkt) {
		g->pkt->head = g->head0; /* trace subscribers see the IP datagram */
		g->pkt->len = g->len0;
		tern_drop(s, g->pkt, why, TERN_LAYER_IP);
	}
	else
		tern_stat_inc(s, why);
	g->pkt = NULL;
}

/* ---- options at connection set-up (RFC 9293 §3.7.1, RFC 7323, RFC 2018) ---- */

/* The MSS we can receive on the route to the peer: its MTU less the IPv4
 * and TCP headers. */
static uint16_t route_mss(struct tern_stack *s, tern_ip4_t dst)
{
	struct tern_route_result rt;
	uint32_t mtu = 1500;
	if (tern_ipv4_route(s, dst, 0, &rt) == 0) {
		int m = tern_stack_iface_mtu(s, rt.ifindex);
		if (m > 0)
			mtu = (uint32_t)m;
	}
	uint32_t mss = mtu - TERN_IPV4_HLEN - TERN_TCP_HLEN;
	return (uint16_t)(mss > 65495 ? 65495 : mss);
}

void tcp_options_offer(struct tern_stack *s, struct tern_tcb *tp)
{
	tp->rcv_mss = route_mss(s, tp->t.raddr);
	if (tp->user_mss && tp->user_mss < tp->rcv_mss)
		tp->rcv_mss = tp->user_mss;
	if (s->cfg->tcp_window_scaling) {
		tp->flags |= TF_REQ_SCALE;
		tp->rcv_scale = tcp_rcv_wscale(s, tp); /* offered; kept if the peer offers too */
	}
	if (s->cfg->tcp_timestamps)
		tp->flags |= TF_REQ_TSTMP;
	/* A per-connection timestamp offset (Linux's tsoffset): the peer
	 * learns nothing of our clock or of other connections. */
	tp->ts_offset = tcp_iss(s, &tp->t, 0) * 2654435761u;
}

/* What a SYN or SYN-ACK from the peer settles. */
static void options_settle(struct tern_stack *s, struct tern_tcb *tp, const struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	/* RFC 9293 §3.7.1: without the option, 536 (IPv4). */
	uint16_t peer_mss = th->has_mss && th->mss ? th->mss : 536;
	tp->t_maxseg = peer_mss < tp->rcv_mss ? peer_mss : tp->rcv_mss;
	if (tp->user_mss && tp->user_mss < tp->t_maxseg)
		tp->t_maxseg = tp->user_mss;
	if (tp->t_maxseg < 64)
		tp->t_maxseg = 64;
	if ((tp->flags & TF_REQ_SCALE) && th->has_wscale) {
		tp->flags |= TF_RCVD_SCALE;
		tp->snd_scale = th->wscale; /* rcv_scale: as offered */
	} else {
		tp->flags &= ~(uint32_t)(TF_REQ_SCALE | TF_RCVD_SCALE);
		tp->snd_scale = tp->rcv_scale = 0;
	}
	if ((tp->flags & TF_REQ_TSTMP) && th->has_ts) {
		tp->flags |= TF_RCVD_TSTMP;
		tp->ts_recent = th->tsval;
		tp->ts_recent_age = g->now;
	} else {
		tp->flags &= ~(uint32_t)(TF_REQ_TSTMP | TF_RCVD_TSTMP);
	}
	if (s->cfg->tcp_sack && th->sack_perm)
		tp->flags |= TF_SACK_PERMIT;
	/* RFC 7323 §2.2: the window in a SYN is never scaled. */
	tp->snd_wnd = th->window;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = th->seq;
	tp->snd_wl2 = th->ack;
	tcp_mtu_init(s, tp, g->now);
	tp->cc->init(tp, g->now);
}

/* ---- LISTEN (§3.10.7.2) ---- */

/* What a connection takes from its listener (as Linux's clone). */
static void inherit(struct tern_tcb *tp, const struct tern_tcb *lp)
{
	tp->flags |= lp->flags & (TF_NODELAY | TF_KEEPALIVE);
	tp->user_mss = lp->user_mss;
	tp->keepidle = lp->keepidle;
	tp->keepintvl = lp->keepintvl;
	tp->keepcnt = lp->keepcnt;
	tp->user_timeout = lp->user_timeout;
	tp->cc = lp->cc;
	tcp_pacing_inherit(tp, lp);
	tcp_trace_inherit(tp, lp);
}

/* The SYN queue is full: answer with a cookie instead of a tcb. A tcb on
 * the C stack only builds the segment (tcp_send_ctl arms no timer). */
static void send_cookie(struct tern_stack *s, struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	struct tern_tcb tmp;
	memset(&tmp, 0, sizeof(tmp));
	tcp_timer_init(&tmp);
	tmp.t = (struct tcp_tuple){g->ip->dst, g->ip->src, th->dport, th->sport};
	tmp.state = TCPS_SYN_RECEIVED;
	tmp.rcv_nxt = tmp.rcv_adv = th->seq + 1;
	tcp_options_offer(s, &tmp);
	if (th->has_wscale && (tmp.flags & TF_REQ_SCALE))
		tmp.flags |= TF_RCVD_SCALE;
	if (th->has_ts && (tmp.flags & TF_REQ_TSTMP)) {
		tmp.flags |= TF_RCVD_TSTMP;
		tmp.ts_recent = th->tsval;
	}
	bool sack = s->cfg->tcp_sack && th->sack_perm;
	if (sack)
		tmp.flags |= TF_SACK_PERMIT;
	if (tmp.flags & TF_RCVD_TSTMP) { /* ECN needs the TSval's bit */
		tcp_ecn_syn_in(s, &tmp, th, g->ip->tos);
		tcp_cookie_stamp(&tmp, g->now);
	}
	uint16_t mss = th->has_mss && th->mss ? th->mss : 536;
	tcp_seq cookie = tcp_cookie_make(s, &tmp.t, th->seq, mss, th->has_wscale ? th->wscale : -1,
					 sack, g->now);
	tcp_send_ctl(s, &tmp, cookie, TERN_TCP_SYN | TERN_TCP_ACK, g->now);
	s->socks->tcp.last_cookie = g->now;
	tern_stat_inc(s, TERN_STAT_TCP_SYNCOOKIES_SENT);
}

/* An ACK at a listener that may complete a cookie's handshake. False if
 * the cookie is not ours (the caller resets, as for any stray ACK). */
static bool cookie_ack(struct tern_stack *s, struct tern_tcb *lp, struct seg *g);

/* TCP Fast Open (RFC 7413, tcp_fastopen.c) for a SYN that made tp: true
 * if tp became a Fast Open child (the SYN's data taken, tp queued for
 * accept); else a cookie for the SYN-ACK, perhaps. */
static bool fastopen_syn(struct tern_stack *s, struct tern_tcb *lp, struct tern_tcb *tp,
			 struct seg *g)
{
	enum tcp_fo_verdict v = tcp_fastopen_syn(s, lp, &g->th, &tp->t, g->len);
	if (v == TCP_FO_ACCEPT) {
		bool taken;
		bool ok = tcp_fastopen_child(s, lp, tp, g->pkt, g->ip, &g->th, g->len, &taken);
		if (taken)
			g->pkt = NULL;
		if (ok) {
			tcp_trace_fastopen(s, tp, TERN_TCP_FO_DATA, g->len, g->now);
			return true;
		}
		/* No room: the handshake goes on without the data, the
		 * client gets the cookie to try again (as Linux). */
		tern_stat_inc(s, TERN_STAT_TCP_FASTOPEN_PASSIVE_FAIL);
		v = TCP_FO_SEND_COOKIE;
	}
	if (v == TCP_FO_SEND_COOKIE) {
		tp->fo_flags |= TCP_FO_COOKIE;
		tcp_trace_fastopen(s, tp, g->len ? TERN_TCP_FO_REFUSED : TERN_TCP_FO_COOKIE, g->len,
				   g->now);
	}
	return false;
}

static void listen_input(struct tern_stack *s, struct tern_tcb *lp, struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	struct tern_tcp_table *tt = &s->socks->tcp;
	if (th->flags & TERN_TCP_RST)
		return seg_drop(s, g, TERN_STAT_TCP_BAD_RST); /* "An incoming RST should be ignored" */
	if (th->flags & TERN_TCP_ACK) {
		if (!(th->flags & TERN_TCP_SYN) && cookie_ack(s, lp, g))
			return;
		tcp_respond_rst(s, g->ip, th, g->now); /* <SEQ=SEG.ACK><CTL=RST> */
		return seg_drop(s, g, TERN_STAT_TCP_BAD_ACK);
	}
	if (!(th->flags & TERN_TCP_SYN))
		return seg_drop(s, g, TERN_STAT_TCP_NO_ACK);
	/* Budgets (no peer can starve the host): the accept queue (Linux
	 * counts ListenOverflows), the listener's SYN queue and the stack's
	 * half-open connections in all; past the last two, SYN cookies. */
	if (lp->accq_len > lp->backlog)
		return seg_drop(s, g, TERN_STAT_TCP_LISTEN_OVERFLOW);
	/* tcp_syncookies 2: cookies for every SYN (Linux's testing mode). */
	if (lp->synq_len > lp->backlog || tt->half_open >= s->cfg->tcp_max_syn_backlog ||
	    s->cfg->tcp_syncookies == 2) {
		if (!s->cfg->tcp_syncookies)
			return seg_drop(s, g, TERN_STAT_TCP_SYN_QUEUE_FULL);
		if (s->cfg->tcp_syncookies != 2) /* refused a slot: Linux's TCPReqQFullDoCookies */
			tern_stat_inc(s, TERN_STAT_TCP_REQQ_FULL_COOKIES);
		send_cookie(s, g);
		return seg_drop(s, g, TERN_STAT_NONE);
	}
	struct tern_tcb *tp = tcp_tcb_new(s);
	if (!tp)
		return seg_drop(s, g, TERN_STAT_TCP_SYN_QUEUE_FULL);
	tp->t = (struct tcp_tuple){g->ip->dst, g->ip->src, th->dport, th->sport};
	tp->state = TCPS_SYN_RECEIVED;
	tp->listener = lp;
	inherit(tp, lp);
	if (tcp_hash_insert(s, tp) < 0) {
		tcp_tcb_free(s, tp);
		return seg_drop(s, g, TERN_STAT_TCP_SYN_QUEUE_FULL);
	}
	lp->synq_len++;
	tt->half_open++;
	tp->irs = th->seq;
	tp->rcv_nxt = th->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tp->iss = tcp_iss(s, &tp->t, g->now);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->t_rcvtime = g->now;
	tcp_options_offer(s, tp);
	options_settle(s, tp, g);
	tcp_ecn_syn_in(s, tp, th, g->ip->tos);
	tern_stat_inc(s, TERN_STAT_TCP_PASSIVE_OPENS);
	bool child = fastopen_syn(s, lp, tp, g);
	/* Other data on a SYN is not accepted, so not acknowledged; the
	 * peer sends it again. */
	seg_drop(s, g, TERN_STAT_NONE);
	tcp_output(s, tp, g->now); /* the SYN-ACK, and its retransmission timer */
	if (child)
		tcp_wakeup(s, tp); /* the listener: a connection to accept */
}

static void synced_input(struct tern_stack *s, struct tern_tcb *tp, struct seg *g);

static bool cookie_ack(struct tern_stack *s, struct tern_tcb *lp, struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	struct tern_tcp_table *tt = &s->socks->tcp;
	struct tcp_cookie ck;
	struct tcp_tuple t = {g->ip->dst, g->ip->src, th->dport, th->sport};
	if (!tt->last_cookie || g->now - tt->last_cookie > 3 * TERN_SEC(64))
		return false; /* none sent lately: not even looked at (as Linux) */
	if (!tcp_cookie_check(s, &t, th->seq - 1, th->ack - 1, g->now, &ck)) {
		tern_stat_inc(s, TERN_STAT_TCP_SYNCOOKIES_FAILED);
		return false;
	}
	if (lp->accq_len > lp->backlog) {
		seg_drop(s, g, TERN_STAT_TCP_LISTEN_OVERFLOW);
		return true;
	}
	struct tern_tcb *tp = tcp_tcb_new(s);
	if (!tp || (tp->t = t, tcp_hash_insert(s, tp) < 0)) {
		if (tp)
			tcp_tcb_free(s, tp);
		seg_drop(s, g, TERN_STAT_TCP_SYN_QUEUE_FULL);
		return true;
	}
	inherit(tp, lp);
	tp->state = TCPS_ESTABLISHED;
	tp->irs = th->seq - 1;
	tp->rcv_nxt = th->seq;
	tp->iss = th->ack - 1;
	tp->snd_una = tp->snd_nxt = tp->snd_max = th->ack;
	tp->t_rcvtime = g->now;
	tcp_options_offer(s, tp);
	tp->rcv_adv = tp->rcv_nxt + (tcp_rcv_space(tp) < 65535 ? tcp_rcv_space(tp) : 65535);
	tp->last_ack_sent = tp->rcv_nxt;
	tp->t_maxseg = ck.mss < tp->rcv_mss ? ck.mss : tp->rcv_mss;
	if (ck.wscale >= 0 && (tp->flags & TF_REQ_SCALE)) {
		tp->flags |= TF_RCVD_SCALE;
		tp->snd_scale = (uint8_t)ck.wscale;
	} else {
		tp->flags &= ~(uint32_t)TF_REQ_SCALE;
		tp->snd_scale = tp->rcv_scale = 0;
	}
	if (th->has_ts && (tp->flags & TF_REQ_TSTMP)) {
		tp->flags |= TF_RCVD_TSTMP;
		tp->ts_recent = th->tsval;
		tp->ts_recent_age = g->now;
		if ((th->tsecr & 1) && s->cfg->tcp_ecn)
			tp->ecn_flags = TCP_ECN_OK; /* the SYN-ACK said ECE (tcp_cookie_stamp) */
	} else {
		tp->flags &= ~(uint32_t)TF_REQ_TSTMP;
	}
	if (ck.sack)
		tp->flags |= TF_SACK_PERMIT;
	tp->snd_wnd = tp->max_sndwnd = (uint32_t)th->window << tp->snd_scale;
	tp->snd_wl1 = th->seq;
	tp->snd_wl2 = th->ack;
	tcp_mtu_init(s, tp, g->now);
	tp->cc->init(tp, g->now);
	tern_stat_inc(s, TERN_STAT_TCP_SYNCOOKIES_RECV);
	tern_stat_inc(s, TERN_STAT_TCP_PASSIVE_OPENS);
	tcp_accept_enqueue(s, lp, tp);
	synced_input(s, tp, g); /* whatever else the ACK carries: data, FIN */
	return true;
}

/* ---- SYN-SENT (§3.10.7.3) ---- */

static void syn_sent_input(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	bool ack = th->flags & TERN_TCP_ACK;
	/* First, the ACK: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a
	 * reset (unless the RST bit is set)". */
	if (ack && (seq_leq(th->ack, tp->iss) || seq_gt(th->ack, tp->snd_max))) {
		tcp_respond_rst(s, g->ip, th, g->now);
		return seg_drop(s, g, TERN_STAT_TCP_BAD_ACK);
	}
	if (th->flags & TERN_TCP_RST) {
		/* RFC 5961 §3.2: only a reset that acknowledges our SYN. */
		if (!ack)
			return seg_drop(s, g, TERN_STAT_TCP_BAD_RST);
		seg_drop(s, g, TERN_STAT_NONE);
		tcp_drop(s, tp, TERN_ECONNREFUSED, false);
		return;
	}
	if (!(th->flags & TERN_TCP_SYN))
		return seg_drop(s, g, TERN_STAT_TCP_NO_ACK);
	tp->irs = th->seq;
	tp->rcv_nxt = th->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tp->t_rcvtime = g->now;
	options_settle(s, tp, g);
	tcp_ecn_synack_in(s, tp, th);
	if (ack) {
		tcp_fo_synack(s, tp, th, g->now); /* RFC 7413: the SYN's cookie and data */
		tp->snd_una = th->ack;
		if ((tp->flags & TF_RCVD_TSTMP) && th->tsecr) {
			uint32_t ms = tcp_ts_now(tp, g->now) - th->tsecr;
			tcp_rtt_sample(s, tp, ms ? TERN_MSEC(ms) : TERN_USEC(500));
		} else if (tp->flags & TF_RTT_TIMING) {
			tcp_rtt_sample(s, tp, g->now - tp->rtt_start);
		}
		tp->flags &= ~(uint32_t)TF_RTT_TIMING;
		tp->rxtshift = 0;
		tp->first_rexmit = 0;
		tcp_timer_set(s, tp, TCPT_RXT, TERN_TIME_NEVER);
		tcp_set_state(s, tp, TCPS_ESTABLISHED);
		if (tp->flags & TF_KEEPALIVE)
			tcp_timer_set(s, tp, TCPT_KEEP, g->now + tp->keepidle);
		tp->flags |= TF_ACKNOW;
		seg_drop(s, g, TERN_STAT_NONE); /* data on a SYN-ACK: resent by the peer */
		tcp_output(s, tp, g->now);
		tcp_wakeup(s, tp);
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, and our SYN again with an ACK. */
	tcp_set_state(s, tp, TCPS_SYN_RECEIVED);
	tp->snd_nxt = tp->iss;
	seg_drop(s, g, TERN_STAT_NONE);
	tcp_output(s, tp, g->now);
}

/* ---- §3.10.7.4, the synchronized states and SYN-RECEIVED ---- */

/* RFC 5961 §7: challenge ACKs, at most tcp_challenge_ack_limit a second
 * for the host, the limit drawn afresh each second from the seeded
 * generator (half to the whole of it), as Linux does since the side
 * channel of CVE-2016-5696. */
static void challenge_ack(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	struct tern_tcp_table *tt = &s->socks->tcp;
	tern_time_t second = now / TERN_SEC(1);
	if (second != tt->challenge_second) {
		uint32_t lim = s->cfg->tcp_challenge_ack_limit;
		tt->challenge_second = second;
		tt->challenge_budget = lim / 2 + (uint32_t)tern_rng_below(&s->rng, lim / 2 + 1);
	}
	if (tt->challenge_budget == 0) {
		tern_stat_inc(s, TERN_STAT_TCP_CHALLENGE_LIMITED);
		return;
	}
	tt->challenge_budget--;
	tern_stat_inc(s, TERN_STAT_TCP_CHALLENGE_ACKS);
	tcp_send_ctl(s, tp, tp->snd_nxt, TERN_TCP_ACK, now);
}

/* The window we advertised, as RCV.WND in the acceptability test. */
static uint32_t rcv_wnd(const struct tern_tcb *tp)
{
	return seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
}

/* Step 1's table ("There are four cases for the acceptability test"),
 * with the room Linux's tcp_sequence and FreeBSD's trimming both leave a
 * segment without payload (not an RST: RFC 5961 §3 wants those exact):
 * its sequence number may be the right edge itself, where a sender that
 * has filled the window sends its ACKs, or lie back to the RCV.NXT last
 * acknowledged (Linux's rcv_wup), where a reordered ACK sits. Refusing
 * those would throw away the ACKs of a window-limited peer. */
static bool seq_acceptable(const struct tern_tcb *tp, tcp_seq seq, uint32_t len, bool rst)
{
	uint32_t wnd = rcv_wnd(tp);
	if (len == 0 && !rst && wnd != 0)
		return seq_geq(seq, tp->last_ack_sent) && seq_leq(seq, tp->rcv_nxt + wnd);
	if (len == 0)
		return wnd == 0 ? seq == tp->rcv_nxt : seq_in(seq, tp->rcv_nxt, wnd);
	if (wnd == 0)
		return false;
	return seq_in(seq, tp->rcv_nxt, wnd) || seq_in(seq + len - 1, tp->rcv_nxt, wnd);
}

/* RFC 7323 §5.3: PAWS. A segment whose TSval is older than ts_recent is a
 * duplicate from an old incarnation of the sequence space, unless
 * ts_recent itself is older than 24 days (§5.5). */
static bool paws_reject(const struct tern_tcb *tp, const struct seg *g)
{
	if (!(tp->flags & TF_RCVD_TSTMP) || !g->th.has_ts || (g->th.flags & TERN_TCP_RST))
		return false;
	if ((int32_t)(g->th.tsval - tp->ts_recent) >= 0)
		return false;
	return g->now - tp->ts_recent_age < TERN_SEC(24 * 24 * 3600);
}

/* Quick ACKs, as many as half the window holds segments, at most
 * tcp_quickacks (Linux's tcp_incr_quickack, TCP_MAX_QUICKACKS 16). */
static void quickack_mode(const struct tern_stack *s, struct tern_tcb *tp)
{
	uint32_t n = tcp_rcv_space(tp) / (2u * tp->rcv_mss), max = s->cfg->tcp_quickacks;
	uint8_t q = (uint8_t)(n < max ? (n ? n : 1) : (max < 255 ? max : 255));
	if (q > tp->quickacks)
		tp->quickacks = q;
}

/* A segment whose payload starts below RCV.NXT brought [seq, RCV.NXT)
 * again: RFC 2883 §4's duplicate, reported in a D-SACK block (Linux's
 * tcp_send_dupack and its partial case). Not for a RST or SYN, nor for
 * bytes this connection never received: before the peer's ISN, or
 * further back than the largest window we can offer (Linux would report
 * those too; fuzz_tcp found one 2^31 away). */
static void dsack_old(struct tern_stack *s, struct tern_tcb *tp, const struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	if (!g->len || !seq_lt(th->seq, tp->rcv_nxt) || (th->flags & (TERN_TCP_RST | TERN_TCP_SYN)))
		return;
	uint32_t back = tp->rcv_nxt - th->seq;
	uint32_t got = tp->bytes_received < UINT32_MAX ? tp->rcv_nxt - tp->irs - 1 : UINT32_MAX;
	if (back > got || back > (65535u << tp->rcv_scale))
		return;
	tcp_dsack_add(s, tp, th->seq, seq_min(th->seq + g->len, tp->rcv_nxt));
	if (seq_leq(th->seq + g->len, tp->rcv_nxt)) {
		/* All of it a repeat: our ACK was lost or late. Quick ACKs
		 * while the sender recovers (Linux's tcp_send_dupack,
		 * TcpExtDelayedACKLost). */
		tern_stat_inc(s, TERN_STAT_TCP_DELAYED_ACK_LOST);
		quickack_mode(s, tp);
		tp->pingpong = false;
	}
}

/* Cut the segment to what the window takes: the front already received,
 * the tail beyond the right edge (losing a FIN there). */
static void trim_to_window(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	struct tern_tcp_repr *th = &g->th;
	if (th->flags & TERN_TCP_SYN) { /* a SYN in sequence space: handled at step 4 */
		if (seq_lt(th->seq, tp->rcv_nxt)) {
			th->flags &= (uint8_t)~TERN_TCP_SYN;
			th->seq++;
		}
	}
	if (seq_lt(th->seq, tp->rcv_nxt)) {
		dsack_old(s, tp, g);
		uint32_t cut = tp->rcv_nxt - th->seq;
		if (cut >= g->len) {
			if (cut > g->len)
				th->flags &= (uint8_t)~TERN_TCP_FIN; /* an old FIN */
			cut = g->len;
		}
		if (g->pkt)
			tern_pkt_pull(g->pkt, cut);
		g->len -= cut;
		th->seq += cut;
	}
	uint32_t wnd = rcv_wnd(tp);
	uint32_t room = tp->rcv_nxt + wnd - th->seq;
	if (g->len > room) {
		if (g->pkt)
			tern_pkt_trim(g->pkt, room);
		g->len = room;
		th->flags &= (uint8_t)~TERN_TCP_FIN;
	}
}

/* Our FIN has been acknowledged. */
static bool fin_acked(const struct tern_tcb *tp)
{
	return (tp->flags & TF_SENTFIN) && tp->snd_una == tp->snd_max;
}

/* Resend the one segment at SND.UNA (a window of exactly one segment),
 * then carry on from where sending was; the caller sets cwnd after. */
static void resend_first(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	tcp_seq next = tp->snd_nxt;
	tp->snd_nxt = tp->snd_una;
	tp->snd_cwnd = tcp_mss(tp);
	tcp_output(s, tp, now);
	tp->snd_nxt = seq_max(next, tp->snd_nxt);
}

/* Three duplicate ACKs: RFC 5681 §3.2 fast retransmit, then fast
 * recovery until everything outstanding then is acknowledged (RFC 6582). */
static void fast_retransmit(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	tcp_undo_begin(tp); /* what an undo restores (tcp_undo.c: timestamps) */
	if (!tcp_ecn_loss(tp))
		tp->cc->on_loss(tp, now);
	tp->snd_recover = tp->snd_max;
	tp->flags |= TF_FASTRECOV;
	tp->flags &= ~(uint32_t)TF_RTT_TIMING;
	tern_stat_inc(s, TERN_STAT_TCP_FAST_RETRANS);
	tern_stat_inc(s, TERN_STAT_TCP_RENO_RECOVERY);
	resend_first(s, tp, now);
	tp->snd_cwnd = tp->snd_ssthresh + 3u * tcp_mss(tp); /* §3.2 step 3 */
}

/* A duplicate ACK (RFC 5681 §2, "DUPLICATE ACKNOWLEDGMENT"). */
static void dupack(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (tp->flags & TF_FASTRECOV) {
		tp->snd_cwnd += tcp_mss(tp); /* §3.2 step 4: inflate */
		return;
	}
	if (++tp->dupacks == 3 && !tcp_mtu_probe_lost(s, tp, now))
		fast_retransmit(s, tp, now);
	else if (tp->dupacks < 3 && tp->ca_state == TCP_CA_OPEN)
		tp->ca_state = TCP_CA_DISORDER; /* RFC 3042's limited transmit (tcp_recovery_wnd) */
}

/* An ACK of new data during recovery (RFC 6582 §3.2 steps 2-3). */
static void recovery_ack(struct tern_stack *s, struct tern_tcb *tp, uint32_t acked, tern_time_t now)
{
	if (seq_geq(tp->snd_una, tp->snd_recover)) {
		/* Full acknowledgment: recovery is over, needlessly if the
		 * timestamps say the originals arrived (tcp_undo.c). */
		tp->flags &= ~(uint32_t)TF_FASTRECOV;
		tp->dupacks = 0;
		if (!tcp_undo_full(s, tp, now))
			tp->cc->on_recovery_end(tp, now);
		return;
	}
	if (tcp_undo_partial(s, tp, tp->snd_una - acked, now)) {
		tp->flags &= ~(uint32_t)TF_FASTRECOV; /* the hole was filled by an original */
		return;
	}
	/* Partial: resend the next hole now, deflate by what was acked. */
	uint32_t cwnd = tp->snd_cwnd;
	resend_first(s, tp, now);
	tp->snd_cwnd = cwnd > acked ? cwnd - acked + tcp_mss(tp) : tcp_mss(tp);
}

/* Linux's tcp_is_cwnd_limited: in slow start, while the window is less
 * than twice the largest flight of the last window of data, counted in
 * segments as Linux counts packets (slow start doubles it each round
 * trip); afterwards, only if it stopped a send. */
static bool cwnd_is_limiting(const struct tern_tcb *tp)
{
	if (tp->snd_cwnd < tp->snd_ssthresh) {
		uint32_t mss = tcp_mss(tp), segs = (tp->max_flight + mss - 1) / mss;
		return tp->snd_cwnd < 2 * segs * mss;
	}
	return tp->cwnd_limited;
}

/* The delivery-rate sample ends when its segment is acknowledged. */
static void rate_sample(struct tern_tcb *tp, tcp_seq ack, tern_time_t now, uint32_t acked)
{
	uint32_t mss = tcp_mss(tp);
	tp->delivered += (acked + mss - 1) / mss;
	if (!tp->rate_pending || seq_lt(ack, tp->rate_seq))
		return;
	tp->rate_pending = false;
	tern_time_t dt = now - tp->rate_start;
	if (dt > 0)
		tp->delivery_rate = (tp->bytes_acked - tp->rate_acked) * 1000000000ull / (uint64_t)dt;
}

void tcp_snd_consume(struct tern_stack *s, struct tern_tcb *tp, size_t n, tern_time_t now)
{
	size_t queued = tern_ring_len(&tp->snd);
	/* The FIN takes a sequence number but no byte of the ring. */
	tern_ring_consume(&tp->snd, n < queued ? n : queued);
	if (tern_ring_len(&tp->snd) == 0) {
		tcp_busy_stop(tp, now);
		tcp_snd_ring_free(s, tp); /* (empty: kept for reuse if small) */
		tern_ring_resize(&tp->snd, TCP_SND_RING_MIN); /* empty: start small again */
	}
}

/* Step 5 for a segment that acknowledges something new (tcp.h). */
void tcp_ack_new_data(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		      tern_time_t now)
{
	uint32_t acked = th->ack - tp->snd_una;
	if (tp->snd_una == tp->iss)
		acked--; /* the SYN took a sequence number, not a byte */
	tcp_snd_consume(s, tp, acked, now);
	tp->snd_una = th->ack;
	if (seq_lt(tp->snd_nxt, tp->snd_una))
		tp->snd_nxt = tp->snd_una;
	if (tp->sb_count)
		tcp_sb_ack(s, tp);
	tp->bytes_acked += acked;
	rate_sample(tp, th->ack, now, acked);
	/* RTT (RFC 6298 §3; RFC 7323 §4.1 with timestamps). */
	if ((tp->flags & TF_RCVD_TSTMP) && th->has_ts && th->tsecr) {
		uint32_t ms = tcp_ts_now(tp, now) - th->tsecr;
		if (ms < 3600u * 1000)
			tcp_rtt_sample(s, tp, ms ? TERN_MSEC(ms) : TERN_USEC(500));
	} else if ((tp->flags & TF_RTT_TIMING) && seq_gt(th->ack, tp->rtt_seq)) {
		/* (a SYN-ACK's RTT too: rtt_seq was the ISS) */
		tp->flags &= ~(uint32_t)TF_RTT_TIMING;
		tcp_rtt_sample(s, tp, now - tp->rtt_start);
	}
	tp->rxtshift = 0;
	tp->first_rexmit = 0;
	if (tp->flags & TF_FASTRECOV)
		recovery_ack(s, tp, acked, now);
	else if (!tcp_sack_recovery(tp) && cwnd_is_limiting(tp) && !tcp_ecn_in_cwr(tp))
		tp->cc->on_ack(tp, acked, now);
	tp->dupacks = 0;
	if (!(tp->flags & TF_SACK_PERMIT) && tp->ca_state == TCP_CA_DISORDER)
		tp->ca_state = TCP_CA_OPEN; /* (with SACK, tcp_recovery.c decides) */
	tcp_rearm_rxt(s, tp, now);
	tcp_sndbuf_expand(s, tp);
	/* Room in the send buffer: told at the end of the segment (one
	 * wakeup, after every change to tp; the callback may close). */
}

/* RFC 9293 §3.10.7.4 step 5, "SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and
 * SND.WL2 =< SEG.ACK)": the window update rule (tcp.h). */
void tcp_update_window(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th)
{
	if (!(seq_lt(tp->snd_wl1, th->seq) ||
	      (tp->snd_wl1 == th->seq && seq_leq(tp->snd_wl2, th->ack))))
		return;
	uint32_t wnd = (uint32_t)th->window << tp->snd_scale;
	tp->snd_wnd = wnd;
	tp->snd_wl1 = th->seq;
	tp->snd_wl2 = th->ack;
	if (wnd > tp->max_sndwnd)
		tp->max_sndwnd = wnd;
	if (wnd && tp->rxt_mode == RXT_PERSIST) {
		/* The window opened: the probing is over. */
		tcp_timer_set(s, tp, TCPT_RXT, TERN_TIME_NEVER);
		tp->rxtshift = 0;
		tp->first_rexmit = 0;
	}
}

/* Step 5 for SYN-RECEIVED: the handshake's last ACK. False if the segment
 * is finished with (reset sent). */
static bool syn_received_ack(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	if (!(seq_lt(tp->snd_una, th->ack) && seq_leq(th->ack, tp->snd_max))) {
		tcp_respond_rst(s, g->ip, th, g->now); /* <SEQ=SEG.ACK><CTL=RST> */
		seg_drop(s, g, TERN_STAT_TCP_BAD_ACK);
		return false;
	}
	struct tern_tcb *lp = tp->listener;
	/* A close in SYN-RECEIVED queued its FIN for now (RFC 9293 §3.10.4). */
	tcp_set_state(s, tp, (tp->flags & TF_WANTFIN) ? TCPS_FIN_WAIT_1 : TCPS_ESTABLISHED);
	tp->snd_wnd = (uint32_t)th->window << tp->snd_scale;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = th->seq;
	tp->snd_wl2 = th->ack;
	if (tp->flags & TF_KEEPALIVE)
		tcp_timer_set(s, tp, TCPT_KEEP, g->now + tp->keepidle);
	if (lp && !tcp_fo_child(tp)) { /* a Fast Open child is queued already */
		tp->listener = NULL;
		tcp_accept_enqueue(s, lp, tp);
	}
	return true;
}

/* Step 5. False if the segment is finished with. */
static bool ack_input(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	if (!(th->flags & TERN_TCP_ACK)) {
		seg_drop(s, g, TERN_STAT_TCP_NO_ACK);
		return false;
	}
	if (tp->state == TCPS_SYN_RECEIVED && !syn_received_ack(s, tp, g))
		return false;
	/* RFC 5961 §5.2: acceptable is (SND.UNA - MAX.SND.WND) =< SEG.ACK =<
	 * SND.NXT; beyond, an ACK and discard; below, a challenge ACK. */
	if (seq_gt(th->ack, tp->snd_max)) {
		tp->flags |= TF_ACKNOW;
		seg_drop(s, g, TERN_STAT_TCP_RCV_ACK_TOO_MUCH);
		tcp_output(s, tp, g->now); /* FreeBSD's dropafterack */
		return false;
	}
	if (seq_lt(th->ack, tp->snd_una - tp->max_sndwnd)) {
		challenge_ack(s, tp, g->now);
		seg_drop(s, g, TERN_STAT_TCP_RCV_OLD_ACK);
		return false;
	}
	tcp_trace_ack(s, tp, th, g->now);
	tcp_ecn_ack(s, tp, th, g->now);
	uint32_t prior_sacked = tp->sacked_bytes;
	tcp_seq prior_una = tp->snd_una;
	tcp_note_ack_tsecr(tp, th);
	bool sack_news = th->sack_count && tcp_sack_input(s, tp, th);
	bool dup = (th->ack == tp->snd_una && g->len == 0 && !(th->flags & TERN_TCP_FIN) &&
		    ((uint32_t)th->window << tp->snd_scale) == tp->snd_wnd &&
		    tp->snd_una != tp->snd_max) ||
		   sack_news;
	if (seq_gt(th->ack, tp->snd_una))
		tcp_ack_new_data(s, tp, th, g->now);
	tcp_update_window(s, tp, th);
	/* With SACK, RFC 6675's recovery (tcp_recovery.c); without, NewReno. */
	tcp_recovery_ack(s, tp, prior_una,
			 (int64_t)(tp->snd_una - prior_una) + tp->sacked_bytes - prior_sacked, dup, g->now);
	if (dup && !(tp->flags & TF_SACK_PERMIT))
		dupack(s, tp, g->now);
	else if (!seq_gt(th->ack, tp->snd_una) && th->ack != tp->snd_una)
		tp->dupacks = 0;
	/* What the ACK of our FIN does, by state. */
	if (fin_acked(tp)) {
		switch (tp->state) {
		case TCPS_FIN_WAIT_1:
			tcp_set_state(s, tp, TCPS_FIN_WAIT_2);
			if (!tp->so)
				tcp_timer_set(s, tp, TCPT_KEEP, g->now + s->cfg->tcp_fin_timeout);
			break;
		case TCPS_CLOSING:
			tcp_set_state(s, tp, TCPS_TIME_WAIT);
			break;
		case TCPS_LAST_ACK:
			seg_drop(s, g, TERN_STAT_NONE);
			tcp_close_tcb(s, tp);
			return false;
		default:
			break;
		}
	}
	return true;
}

/* Step 7: in-order payload joins the receive queue, out-of-order payload
 * waits in the reassembly list; both within SO_RCVBUF and the stack's
 * socket budget. Returns true if the segment filled a hole or came out
 * of order (an ACK is due at once). */
static bool ofo_insert(struct tern_stack *s, struct tern_tcb *tp, struct seg *g);
static void ofo_drain(struct tern_stack *s, struct tern_tcb *tp);

static void ofo_prune(struct tern_stack *s, struct tern_tcb *tp, tcp_seq above, size_t need);

void tcp_rcv_free(struct tern_stack *s, struct tern_tcb *tp, struct tern_pkt *p)
{
	size_t size = tern_pkt_truesize(p);
	tern_budget_uncharge(&s->budget.sock_rx, size);
	tp->rcv_charged -= size;
	tern_stack_pkt_free(s, p);
}

static bool charge_rcv(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	size_t size = tern_pkt_truesize(g->pkt);
	size_t cap = tp->so ? (size_t)tp->so->rcvbuf : TERN_SOCK_BUF_MAX;
	if (tp->rcv_charged + size > cap)
		ofo_prune(s, tp, g->th.seq, tp->rcv_charged + size - cap);
	if (tp->rcv_charged + size > cap) {
		seg_drop(s, g, TERN_STAT_TCP_RCVBUF_DROP);
		return false;
	}
	if (!tern_budget_fits(&s->budget.sock_rx, size)) {
		seg_drop(s, g, TERN_STAT_TCP_RCV_MEMORY);
		return false;
	}
	tern_budget_charge(&s->budget.sock_rx, size);
	tp->rcv_charged += size;
	return true;
}

/* charge_rcv for tcp_fastpath.c, which has no struct seg: the pkt holds
 * the payload (its TCP header pulled), a refusal drops it as here. */
bool tcp_charge_rcv(struct tern_stack *s, struct tern_tcb *tp, struct tern_pkt *pkt,
		    const struct tern_ipv4_repr *ip, const struct tern_tcp_repr *th, tern_time_t now)
{
	struct seg g;
	g.th = *th;
	g.ip = ip;
	g.pkt = pkt;
	g.head0 = pkt->head - th->hlen - ip->hlen;
	g.len0 = pkt->len + th->hlen + ip->hlen;
	g.len = pkt->len;
	g.now = now;
	return charge_rcv(s, tp, &g);
}

void tcp_rcv_enqueue(struct tern_tcb *tp, struct tern_pkt *pkt, const struct tern_tcp_repr *th,
		     uint32_t len, tern_time_t now)
{
	tcp_pkt_set_seq(pkt, th->seq);
	tern_pkt_enqueue(&tp->rcvq, pkt);
	tp->rcv_queued += len;
	tp->rcv_nxt += len;
	tp->last_data_rcvd = now;
	tcp_rcv_rtt_measure(tp, now, th->has_ts, th->tsecr, len);
}

static bool data_input(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	if (g->len == 0)
		return false;
	if (tp->state != TCPS_ESTABLISHED && tp->state != TCPS_FIN_WAIT_1 &&
	    tp->state != TCPS_FIN_WAIT_2) {
		seg_drop(s, g, TERN_STAT_TCP_RCV_AFTER_CLOSE); /* after the peer's FIN */
		return false;
	}
	tp->bytes_received += g->len;
	tcp_measure_rcv_mss(tp, g->len);
	if (th->seq != tp->rcv_nxt)
		return ofo_insert(s, tp, g), true;
	if (!charge_rcv(s, tp, g))
		return true;
	tcp_rcv_enqueue(tp, g->pkt, th, g->len, g->now);
	g->pkt = NULL;
	bool filled = tp->ofo != NULL;
	ofo_drain(s, tp);
	return filled;
}

/* The out-of-order list: sorted by sequence, no two entries overlapping
 * (a newcomer is trimmed to the gaps it fills, or dropped if it fills
 * none), bounded by SO_RCVBUF's charge and by a number of entries
 * (SegmentSmack, CVE-2018-5390: bounded work per segment). The common
 * case, a segment past the last one held, appends at the tail without a
 * walk (Linux's ooo_last_skb). */
#define TCP_OFO_MAX 1024

/* The entries' bound: as many full-sized segments as the largest window
 * we offer holds, at least TCP_OFO_MAX. The window is what we are
 * "prepared to accept" (RFC 9293 §3.8.6); a fixed 1024 refused, after
 * one loss in a window of more than 1024 segments (100 Mbit/s, 100 ms),
 * everything past the 1024th without a SACK block for it, and the
 * sender's RACK resent all of it (RFC 8985 §6.2). */
static uint32_t ofo_max(const struct tern_tcb *tp)
{
	uint32_t full = tp->rcv_mss > 12u ? tp->rcv_mss : 536u;
	if (tp->flags & TF_RCVD_TSTMP)
		full -= 12u; /* the peer's timestamp option (RFC 7323 §3) */
	uint32_t n = tcp_rcv_capacity(tp) / full;
	return n > TCP_OFO_MAX ? n : TCP_OFO_MAX;
}

static bool ofo_insert(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	tcp_seq seq = g->th.seq, end = seq + g->len;
	tcp_seq held = seq; /* [held, held_end): what we hold of the segment afterwards */
	tcp_seq held_end = end;
	struct tern_pkt **pp = &tp->ofo;
	struct tern_pkt *last = tp->ofo_tail;
	if (last && seq_geq(seq, tcp_pkt_seq(last) + last->len))
		pp = &last->next;
	while (*pp && seq_leq(tcp_pkt_seq(*pp) + (*pp)->len, seq))
		pp = &(*pp)->next;
	/* *pp is the first entry ending after seq: cut our front to it, our
	 * tail to the one after. What is cut was held already: RFC 2883 §4's
	 * duplicate, in a D-SACK block; the block holding it goes first. */
	if (*pp && seq_leq(tcp_pkt_seq(*pp), seq)) {
		tcp_seq e = tcp_pkt_seq(*pp) + (*pp)->len;
		tcp_dsack_add(s, tp, seq, seq_min(e, end));
		if (seq_geq(e, end)) {
			tcp_sack_add(tp, seq, end);
			seg_drop(s, g, TERN_STAT_TCP_RCV_DUP_PACK);
			return true;
		}
		tern_pkt_pull(g->pkt, e - seq);
		seq = e;
		pp = &(*pp)->next;
	}
	if (*pp && seq_lt(tcp_pkt_seq(*pp), end)) {
		tcp_seq next = tcp_pkt_seq(*pp), next_end = next + (*pp)->len;
		held_end = seq_min(end, next_end);
		tcp_dsack_add(s, tp, next, held_end);
		if (next == seq) { /* nothing new between the two */
			tcp_sack_add(tp, held, held_end);
			seg_drop(s, g, TERN_STAT_TCP_RCV_DUP_PACK);
			return true;
		}
		tern_pkt_trim(g->pkt, next - seq);
	}
	if (tp->ofo_count >= ofo_max(tp)) {
		seg_drop(s, g, TERN_STAT_TCP_OFO_DROP);
		return true;
	}
	if (!tcp_ofo_admit(s, g->pkt)) { /* the stack's OOO budget (tcp_budget.c) */
		seg_drop(s, g, TERN_STAT_TCP_OFO_MEMORY);
		return true;
	}
	if (!charge_rcv(s, tp, g))
		return true;
	tcp_ofo_charge(s, tp, g->pkt);
	tcp_pkt_set_seq(g->pkt, seq);
	g->pkt->next = *pp;
	*pp = g->pkt;
	if (!g->pkt->next)
		tp->ofo_tail = g->pkt;
	g->pkt = NULL;
	tp->ofo_count++;
	tcp_sack_add(tp, held, held_end); /* RFC 2018 §4 */
	return true;
}

/* The receive buffer is full and a segment at `above` (in order, or out
 * of order but lower than what is held) needs room: out-of-order data is
 * dropped from the highest sequence down until `need` bytes are free,
 * never data at or below the newcomer (Linux's tcp_prune_ofo_queue).
 * Without it, pieces trimmed against a peer's new segmentation, each
 * charged a whole buffer, can fill SO_RCVBUF with data above a hole,
 * and the segment that fills the hole is refused for ever. A receiver
 * may discard what it has not acknowledged cumulatively (RFC 2018 §8:
 * "reneging"); the sender resends it. */
static void ofo_prune(struct tern_stack *s, struct tern_tcb *tp, tcp_seq above, size_t need)
{
	struct tern_pkt **pp = &tp->ofo, *keep_last = NULL;
	while (*pp && seq_leq(tcp_pkt_seq(*pp), above)) {
		keep_last = *pp;
		pp = &(*pp)->next;
	}
	size_t held = 0;
	for (const struct tern_pkt *p = *pp; p; p = p->next)
		held += tern_pkt_truesize(p);
	if (held < need)
		return; /* pruning everything would not make room: keep it */
	size_t kept = 0;
	while (*pp && kept + tern_pkt_truesize(*pp) + need <= held) {
		kept += tern_pkt_truesize(*pp);
		keep_last = *pp;
		pp = &(*pp)->next;
	}
	struct tern_pkt *p = *pp;
	*pp = NULL;
	tp->ofo_tail = keep_last;
	if (p)
		tcp_sack_renege(tp, tcp_pkt_seq(p));
	while (p) {
		struct tern_pkt *next = p->next;
		tp->ofo_count--;
		tcp_ofo_uncharge(s, tp, p);
		tcp_rcv_free(s, tp, p);
		p = next;
	}
	tern_stat_inc(s, TERN_STAT_TCP_OFO_PRUNED);
}

/* Move what is now in order from the out-of-order list to the queue. What
 * the segment just taken in covered of an entry came twice: a D-SACK
 * (RFC 2883 §4; Linux's tcp_ofo_queue). */
static void ofo_drain(struct tern_stack *s, struct tern_tcb *tp)
{
	while (tp->ofo && seq_leq(tcp_pkt_seq(tp->ofo), tp->rcv_nxt)) {
		struct tern_pkt *p = tp->ofo;
		tp->ofo = p->next;
		if (!tp->ofo)
			tp->ofo_tail = NULL;
		tp->ofo_count--;
		tcp_ofo_uncharge(s, tp, p);
		tcp_seq end = tcp_pkt_seq(p) + p->len;
		if (seq_lt(tcp_pkt_seq(p), tp->rcv_nxt))
			tcp_dsack_add(s, tp, tcp_pkt_seq(p), seq_min(end, tp->rcv_nxt));
		if (seq_leq(end, tp->rcv_nxt)) { /* covered meanwhile */
			tcp_rcv_free(s, tp, p);
			continue;
		}
		tern_pkt_pull(p, tp->rcv_nxt - tcp_pkt_seq(p));
		tcp_pkt_set_seq(p, tp->rcv_nxt);
		tern_pkt_enqueue(&tp->rcvq, p);
		tp->rcv_queued += p->len;
		tp->rcv_nxt += p->len;
	}
}

/* RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2: delay an ACK at most tcp_delack,
 * and ACK at least every second full-sized segment (counted in bytes, as
 * TCP.md §7 warns); tcp.h. */
void tcp_schedule_ack(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	uint32_t unacked = tp->rcv_nxt - tp->last_ack_sent;
	if (!tp->ato_init) {
		/* Linux's tcp_event_data_recv: the first data starts the
		 * engine with quick ACKs. */
		tp->ato_init = true;
		quickack_mode(s, tp);
	}
	bool quick = tp->quickacks && !tp->pingpong;
	/* RFC 5681 §4.2: an ACK at least every second full-sized segment,
	 * full-sized as the peer sends them (Linux's icsk_ack.rcv_mss: with
	 * timestamps 1448 bytes, not the 1460 we advertised). */
	uint32_t full = tp->rcv_mss_seen ? tp->rcv_mss_seen : tp->rcv_mss;
	if ((tp->flags & TF_QUICKACK) || quick || unacked >= 2u * full ||
	    tcp_rcv_space(tp) < 2u * tp->rcv_mss) {
		if (quick)
			tp->quickacks--;
		tp->flags |= TF_ACKNOW;
		return;
	}
	if (!(tp->flags & TF_DELACK)) {
		tp->flags |= TF_DELACK;
		tcp_timer_set(s, tp, TCPT_DELACK, now + s->cfg->tcp_delack);
	}
}

/* Out-of-order data beyond the peer's FIN can never be delivered: freed,
 * and its SACK blocks forgotten (as Linux's tcp_fin). */
static void ofo_purge(struct tern_stack *s, struct tern_tcb *tp)
{
	while (tp->ofo) {
		struct tern_pkt *p = tp->ofo;
		tp->ofo = p->next;
		tcp_rcv_free(s, tp, p);
	}
	tp->ofo_tail = NULL;
	tp->ofo_count = 0;
	tcp_ofo_uncharge_all(s, tp);
	tp->sack_count = 0;
}

/* Step 8: the peer's FIN, in order. */
static void fin_input(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	if (!(g->th.flags & TERN_TCP_FIN) || g->th.seq + g->len != tp->rcv_nxt ||
	    (tp->flags & TF_RCVD_FIN))
		return;
	if (tp->ofo)
		ofo_purge(s, tp);
	tp->rcv_nxt++;
	tp->flags |= TF_RCVD_FIN | TF_ACKNOW;
	switch (tp->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tcp_set_state(s, tp, TCPS_CLOSE_WAIT);
		break;
	case TCPS_FIN_WAIT_1:
		tcp_set_state(s, tp, fin_acked(tp) ? TCPS_TIME_WAIT : TCPS_CLOSING);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_set_state(s, tp, TCPS_TIME_WAIT);
		break;
	default:
		break;
	}
}

/* Step 2, RFC 5961 §3.2: a reset exactly at RCV.NXT resets; one merely in
 * the window earns a challenge ACK. False: the segment is finished with
 * (tp may be gone). */
static bool rst_input(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	if (!(g->th.flags & TERN_TCP_RST))
		return true;
	if (g->th.seq != tp->rcv_nxt) {
		challenge_ack(s, tp, g->now);
		seg_drop(s, g, TERN_STAT_TCP_RST_IN_WINDOW);
		return false;
	}
	seg_drop(s, g, TERN_STAT_NONE);
	if (tp->state == TCPS_SYN_RECEIVED)
		tcp_fastopen_reset(s, tp); /* (a Fast Open child's place stays taken) */
	if (tp->state == TCPS_SYN_RECEIVED && tp->listener) {
		tcp_close_tcb(s, tp); /* back to LISTEN: the listener forgets it */
		return false;
	}
	int err = tp->state == TCPS_SYN_RECEIVED && !tcp_fo_child(tp) ? TERN_ECONNREFUSED
		  : (tp->state == TCPS_CLOSING || tp->state == TCPS_LAST_ACK) ? 0
		  : TERN_ECONNRESET;
	if (tp->state == TCPS_CLOSE_WAIT)
		err = TERN_EPIPE;
	tcp_drop(s, tp, err, false);
	return false;
}

/* RFC 9293 §3.10.7.4: an unacceptable segment is answered with an ACK.
 * To a pure ACK, at most one answer per tcp_invalid_ratelimit, as Linux's
 * tcp_oow_rate_limited: two stacks that disagree about a window must not
 * ACK each other's ACKs for ever. Segments with data are always answered
 * (their ACK is how a sender learns what got through). */
static void oow_ack(struct tern_stack *s, struct tern_tcb *tp, const struct seg *g,
		    enum tern_stat skipped)
{
	bool pure = g->len == 0 && !(g->th.flags & (TERN_TCP_SYN | TERN_TCP_FIN));
	if (pure && tp->last_oow_ack && g->now - tp->last_oow_ack < s->cfg->tcp_invalid_ratelimit) {
		tern_stat_inc(s, skipped);
		return;
	}
	if (pure)
		tp->last_oow_ack = g->now;
	tcp_send_ctl(s, tp, tp->snd_nxt, TERN_TCP_ACK, g->now);
}

/* RFC 5961 §4.2: a SYN (without RST) in a synchronized state, whatever
 * its sequence number, is answered with a challenge ACK, never believed:
 * the peer that really restarted answers it with an RST at RCV.NXT.
 * Outside the window as inside it, as Linux's tcp_validate_incoming
 * (TCPSYNChallenge). True: answered; the caller drops the segment. */
static bool syn_challenge(struct tern_stack *s, struct tern_tcb *tp, const struct seg *g)
{
	if ((g->th.flags & (TERN_TCP_SYN | TERN_TCP_RST)) != TERN_TCP_SYN)
		return false;
	tern_stat_inc(s, TERN_STAT_TCP_SYN_CHALLENGE);
	challenge_ack(s, tp, g->now);
	return true;
}

static void synced_input(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	struct tern_tcp_repr *th = &g->th;
	uint32_t seglen = g->len + !!(th->flags & TERN_TCP_SYN) + !!(th->flags & TERN_TCP_FIN);
	/* A retransmitted SYN in SYN-RECEIVED: our SYN-ACK was lost. */
	if (tp->state == TCPS_SYN_RECEIVED && (th->flags & TERN_TCP_SYN) &&
	    !(th->flags & TERN_TCP_ACK) && th->seq == tp->irs) {
		tp->snd_nxt = tp->iss;
		seg_drop(s, g, TERN_STAT_NONE);
		tcp_output(s, tp, g->now);
		return;
	}
	/* Simultaneous open (RFC 793 Figure 8, line 7): the peer's SYN-ACK
	 * repeats its SYN, one below RCV.NXT. Its SYN is old, its ACK is of
	 * ours: drop the SYN bit and take the ACK (Linux's
	 * tcp_validate_incoming lets this one SYN-ACK pass). */
	if (tp->state == TCPS_SYN_RECEIVED && (th->flags & TERN_TCP_SYN) &&
	    (th->flags & TERN_TCP_ACK) && th->seq + 1 == tp->rcv_nxt) {
		th->flags &= (uint8_t)~TERN_TCP_SYN;
		th->seq++;
		seglen--;
	}
	/* Step 1: PAWS, then the acceptability test. */
	if (paws_reject(tp, g)) {
		dsack_old(s, tp, g);
		if (!syn_challenge(s, tp, g) && !(th->flags & TERN_TCP_RST))
			oow_ack(s, tp, g, TERN_STAT_TCP_ACK_SKIPPED_PAWS);
		return seg_drop(s, g, TERN_STAT_TCP_PAWS_DROP);
	}
	if (!seq_acceptable(tp, th->seq, seglen, th->flags & TERN_TCP_RST)) {
		dsack_old(s, tp, g);
		if (!syn_challenge(s, tp, g) && !(th->flags & TERN_TCP_RST))
			oow_ack(s, tp, g, TERN_STAT_TCP_ACK_SKIPPED_SEQ);
		bool old = seq_leq(th->seq + seglen, tp->rcv_nxt);
		return seg_drop(s, g, old ? TERN_STAT_TCP_RCV_DUP_PACK : TERN_STAT_TCP_RCV_OUT_OF_WINDOW);
	}
	/* RFC 7323 §4.3: remember the newest TSval of in-window segments. */
	if ((tp->flags & TF_RCVD_TSTMP) && th->has_ts && seq_leq(th->seq, tp->last_ack_sent) &&
	    (int32_t)(th->tsval - tp->ts_recent) >= 0) {
		tp->ts_recent = th->tsval;
		tp->ts_recent_age = g->now;
	}
	trim_to_window(s, tp, g);
	tp->t_rcvtime = g->now;
	tp->segs_in++;
	if (g->len)
		tp->data_segs_in++;
	if (th->flags & TERN_TCP_ACK)
		tp->last_ack_rcvd = g->now;
	tp->keep_probes = 0;
	/* Step 2, RST. */
	if (!rst_input(s, tp, g))
		return;
	/* Step 4, SYN (RFC 5961 §4): in the window, a challenge ACK too. */
	if (syn_challenge(s, tp, g))
		return seg_drop(s, g, TERN_STAT_TCP_SYN_IN_WINDOW);
	/* Step 5, ACK. */
	if (!ack_input(s, tp, g))
		return;
	/* An orphan that gets new data can never deliver it: reset (RFC 1122
	 * §4.2.2.13, Linux's TCPAbortOnData). */
	if (!tp->so && g->len && (tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_FIN_WAIT_2)) {
		seg_drop(s, g, TERN_STAT_TCP_RCV_AFTER_CLOSE);
		tcp_drop(s, tp, 0, true);
		return;
	}
	/* Steps 6-8: urgent data is ordinary data here (RFC 9293 §3.8.5
	 * leaves it to the application); text; FIN. CE and CWR first
	 * (RFC 3168 §6.1.3). */
	bool now_ack = tcp_ecn_rcv(s, tp, th, g->ip->tos, g->len);
	now_ack |= data_input(s, tp, g);
	fin_input(s, tp, g);
	if (tp->sack_count)
		tcp_sack_clean(tp); /* the blocks RCV.NXT reached */
	if (g->pkt)
		seg_drop(s, g, TERN_STAT_NONE);
	if (now_ack)
		tp->flags |= TF_ACKNOW;
	else if (seq_gt(tp->rcv_nxt, tp->last_ack_sent) && !(tp->flags & TF_ACKNOW))
		tcp_schedule_ack(s, tp, g->now);
	if (tp->state == TCPS_TIME_WAIT) {
		if (tp->flags & TF_ACKNOW) /* the FIN; not the ACK that ended CLOSING */
			tcp_send_ctl(s, tp, tp->snd_max, TERN_TCP_ACK, g->now);
		tcp_wakeup(s, tp);
		return;
	}
	tcp_trace_sync(s, tp, g->now);
	tcp_output(s, tp, g->now);
	tcp_wakeup(s, tp);
}

/* ---- TIME-WAIT ---- */

/* RFC 9293 §3.10.7.4 and RFC 6191: a retransmitted FIN is acknowledged and
 * restarts 2*MSL; a SYN with a higher sequence number (or, with
 * timestamps, a newer TSval) may reuse the 4-tuple; a reset ends it (as
 * Linux with tcp_rfc1337 = 0). Returns true if the segment should go on
 * to a listener (the tcb is gone). */
static bool time_wait_input(struct tern_stack *s, struct tern_tcb *tp, struct seg *g)
{
	const struct tern_tcp_repr *th = &g->th;
	if (th->flags & TERN_TCP_RST) {
		seg_drop(s, g, TERN_STAT_NONE);
		tcp_close_tcb(s, tp);
		return false;
	}
	if ((th->flags & TERN_TCP_SYN) && !(th->flags & TERN_TCP_ACK)) {
		bool newer = (tp->flags & TF_RCVD_TSTMP) && th->has_ts
				     ? (int32_t)(th->tsval - tp->ts_recent) > 0
				     : seq_gt(th->seq, tp->rcv_nxt);
		if (newer) {
			tern_stat_inc(s, TERN_STAT_TCP_TW_RECYCLED);
			tcp_close_tcb(s, tp);
			return true;
		}
	}
	if ((th->flags & TERN_TCP_FIN) && th->seq + g->len + 1 == tp->rcv_nxt)
		tcp_tw_start(s, tp, g->now + s->cfg->tcp_time_wait);
	if (!(th->flags & TERN_TCP_ACK) && !(th->flags & TERN_TCP_FIN))
		return seg_drop(s, g, TERN_STAT_TCP_NO_ACK), false;
	tcp_send_ctl(s, tp, tp->snd_max, TERN_TCP_ACK, g->now);
	seg_drop(s, g, TERN_STAT_TCP_RCV_DUP_PACK);
	return false;
}

/* ---- the entry point ---- */

static void tcp_input(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		      tern_time_t now)
{
	/* g.th is the parse's to fill (every field, or an error): not zeroed
	 * here first, since it is most of the record. */
	struct seg g;
	g.ip = ip;
	g.pkt = pkt;
	g.now = now;
	g.head0 = pkt->head - ip->hlen;
	g.len0 = pkt->len + ip->hlen;
	g.len = 0;
	tern_stat_inc(s, TERN_STAT_TCP_IN_SEGS);
	enum tern_stat bad = tern_tcp_parse(tern_pkt_data(pkt), pkt->len, ip->src, ip->dst,
					    pkt->csum_ok ? TERN_WIRE_NO_CSUM : 0, &g.th);
	if (bad)
		return seg_drop(s, &g, bad);
	/* RFC 1122 §4.2.3.10: TCP is for one host; a segment to a broadcast
	 * or multicast address is dropped, never answered. */
	if (pkt->l2_type != TERN_PKT_L2_UNICAST || tern_ip4_is_multicast(ip->dst) ||
	    tern_ip4_is_our_broadcast(s, ip->dst))
		return seg_drop(s, &g, TERN_STAT_TCP_NO_PORT);
	tern_pkt_pull(pkt, g.th.hlen); /* data = payload from here on */
	g.len = (uint32_t)g.th.payload_len;
	struct tcp_tuple t = {ip->dst, ip->src, g.th.dport, g.th.sport};
	struct tern_tcb *tp = tcp_lookup(s, &t);
	if (tp && tp->state == TCPS_ESTABLISHED && tcp_fastpath(s, tp, &g.th, ip, pkt, now))
		return; /* header prediction (tcp_fastpath.c) */
	if (tp && tp->state == TCPS_TIME_WAIT) {
		if (!time_wait_input(s, tp, &g))
			return;
		tp = NULL; /* closed (freed, if orphaned): the SYN goes to the listener */
	}
	if (tp)
		return tp->state == TCPS_SYN_SENT ? syn_sent_input(s, tp, &g) : synced_input(s, tp, &g);
	struct tern_sock *lso = tcp_lookup_listener(s, &t);
	if (lso)
		return listen_input(s, lso->tcb, &g);
	/* §3.10.7.1: CLOSED. */
	tcp_respond_rst(s, ip, &g.th, now);
	seg_drop(s, &g, TERN_STAT_TCP_NO_PORT);
}

/* ---- ICMP errors about our segments (RFC 5927, RFC 1122 §4.2.3.9) ---- */

static bool tcp_icmp_error(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now)
{
	if (!m->has_quote || m->q_l4_len < 8)
		return false;
	struct tcp_tuple t = {m->q_src, m->q_dst, rd16(m->q_l4), rd16(m->q_l4 + 2)};
	struct tern_tcb *tp = tcp_lookup(s, &t);
	if (!tp || tp->state == TCPS_TIME_WAIT)
		return false;
	/* RFC 5927 §4.1: only for a sequence number we have in flight. */
	tcp_seq seq = rd32(m->q_l4 + 4);
	if (!(seq_geq(seq, tp->snd_una) && seq_lt(seq, tp->snd_max)) &&
	    !(tp->state == TCPS_SYN_SENT && seq == tp->iss))
		return true;
	if (m->type == TERN_ICMP_DEST_UNREACH && m->code == TERN_ICMP_FRAG_NEEDED) {
		/* RFC 1191: the path MTU cache, the smaller MSS, and resend
		 * what was lost (tcp_mtu.c). */
		tcp_mtu_icmp(s, tp, m, now);
		return true;
	}
	int err = TERN_EHOSTUNREACH;
	if (m->type == TERN_ICMP_DEST_UNREACH) {
		if (m->code == TERN_ICMP_NET_UNREACH)
			err = TERN_ENETUNREACH;
		else if (m->code == TERN_ICMP_PORT_UNREACH || m->code == TERN_ICMP_PROTO_UNREACH)
			err = TERN_ECONNREFUSED;
	} else if (m->type != TERN_ICMP_TIME_EXCEEDED) {
		return true;
	}
	/* As Linux's tcp_v4_err: a connection still opening gives up; an
	 * established one keeps the error as a soft one, reported if it
	 * times out. */
	if (tp->state == TCPS_SYN_SENT ||
	    (tp->state == TCPS_SYN_RECEIVED && !tp->listener && !tcp_fo_child(tp))) {
		tcp_drop(s, tp, err, false);
		return true;
	}
	tp->soft_error = err;
	if (tp->so && tp->so->recverr) {
		tp->so->so_error = err;
		tcp_wakeup(s, tp);
	}
	return true;
}

const struct tern_ip_proto tern_tcp_proto = {
	.proto = TERN_IPPROTO_TCP,
	.input = tcp_input,
	.error = tcp_icmp_error,
	.pmtu_self = true,
};
