/*
 * transport/tcp_trace.c — the per-connection trace hook: tern_tcp_set_trace
 * and the out-of-line halves of tcp_trace.h's hooks.
 */
#include "transport/tcp_trace.h"

#include <stdio.h>
#include <stdlib.h>

const char *tern_tcp_trace_kind_name(enum tern_tcp_trace_kind k)
{
	static const char *const names[] = {
		[TERN_TCP_TRACE_SEND] = "SEND",         [TERN_TCP_TRACE_RETRANSMIT] = "RETRANSMIT",
		[TERN_TCP_TRACE_ACK_RCVD] = "ACK_RCVD", [TERN_TCP_TRACE_CWND] = "CWND",
		[TERN_TCP_TRACE_SSTHRESH] = "SSTHRESH", [TERN_TCP_TRACE_SRTT] = "SRTT",
		[TERN_TCP_TRACE_STATE] = "STATE",       [TERN_TCP_TRACE_MSS] = "MSS",
		[TERN_TCP_TRACE_UNDO] = "UNDO",         [TERN_TCP_TRACE_CA_STATE] = "CA_STATE",
		[TERN_TCP_TRACE_FASTOPEN] = "FASTOPEN",
	};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) && names[k] ? names[k] : "?";
}

int tern_tcp_trace_format(const struct tern_tcp_trace_event *ev, char *buf, size_t len)
{
	static const char letters[] = "FSRPAUEC"; /* the flag bits, lowest first */
	char fl[9], l[TERN_IP4_STRLEN], p[TERN_IP4_STRLEN];
	int n = 0;
	for (int i = 0; i < 8; i++)
		if (ev->flags & (1u << i))
			fl[n++] = letters[i];
	if (!n)
		fl[n++] = '-';
	fl[n] = '\0';
	return snprintf(buf, len, "%.6f %s %s:%u %s:%u %u %s %u %u %u %u %u %lld %.3f %.3f %u %u %u %u",
			(double)ev->time / TERN_SEC(1), tern_tcp_trace_kind_name(ev->kind),
			tern_ip4_str(ev->local.addr, l), ev->local.port, tern_ip4_str(ev->peer.addr, p),
			ev->peer.port, ev->state, fl, ev->seq, ev->len, ev->ack, ev->window, ev->cwnd,
			ev->ssthresh == UINT32_MAX ? -1LL : (long long)ev->ssthresh,
			(double)ev->srtt / TERN_MSEC(1), (double)ev->rttvar / TERN_MSEC(1), ev->snd_una,
			ev->snd_nxt, ev->rcv_nxt, ev->ca_state);
}

/* The event with the connection's figures as they are now. */
static void event(struct tern_stack *s, const struct tern_tcb *tp, enum tern_tcp_trace_kind kind,
		  tern_time_t now, struct tern_tcp_trace_event *ev)
{
	*ev = (struct tern_tcp_trace_event){
		.time = now,
		.kind = kind,
		.sd = tp->so ? tp->so->sd : -1,
		.local = {tp->t.laddr, tp->t.lport},
		.peer = {tp->t.raddr, tp->t.rport},
		.state = tcp_linux_state(tp->state),
		.window = tp->snd_wnd,
		.cwnd = tp->snd_cwnd,
		.ssthresh = tp->snd_ssthresh,
		.srtt = tp->srtt,
		.rttvar = tp->rttvar,
		.snd_una = tp->snd_una,
		.snd_nxt = tp->snd_nxt,
		.rcv_nxt = tp->rcv_nxt,
		.ca_state = tcp_ca_state(tp),
	};
	(void)s;
}

static void deliver(struct tern_stack *s, const struct tern_tcb *tp, enum tern_tcp_trace_kind kind,
		    tern_time_t now)
{
	struct tern_tcp_trace_event ev;
	event(s, tp, kind, now, &ev);
	tp->trace->fn(tp->trace->ctx, s, &ev);
}

/* The congestion state as far as a reduction goes: Open and Disorder are
 * one (none). */
static uint8_t reduction(const struct tern_tcb *tp)
{
	uint8_t ca = tcp_ca_state(tp);
	return ca >= TCP_CA_CWR ? ca : 0;
}

void tcp_trace_sync_(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	struct tcp_trace *tr = tp->trace;
	if (tr->state != tp->state) {
		tr->state = tp->state;
		deliver(s, tp, TERN_TCP_TRACE_STATE, now);
	}
	if (tr->ssthresh != tp->snd_ssthresh) {
		tr->ssthresh = tp->snd_ssthresh;
		deliver(s, tp, TERN_TCP_TRACE_SSTHRESH, now);
	}
	if (tr->cwnd != tp->snd_cwnd) {
		tr->cwnd = tp->snd_cwnd;
		deliver(s, tp, TERN_TCP_TRACE_CWND, now);
	}
	if (tr->srtt != tp->srtt || tr->rttvar != tp->rttvar) {
		tr->srtt = tp->srtt;
		tr->rttvar = tp->rttvar;
		deliver(s, tp, TERN_TCP_TRACE_SRTT, now);
	}
	if (tr->ca != reduction(tp)) {
		tr->ca = reduction(tp);
		deliver(s, tp, TERN_TCP_TRACE_CA_STATE, now);
	}
	/* The path MTU moved the MSS (tcp_mtu.c); the handshake's is no news. */
	if (tp->state >= TCPS_ESTABLISHED && tr->mss != tp->t_maxseg) {
		bool first = tr->mss == 0;
		tr->mss = tp->t_maxseg;
		if (!first) {
			struct tern_tcp_trace_event ev;
			event(s, tp, TERN_TCP_TRACE_MSS, now, &ev);
			ev.len = tcp_mss(tp);
			tr->fn(tr->ctx, s, &ev);
		}
	}
}

void tcp_trace_xmit_(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		     uint32_t len, tern_time_t now)
{
	tcp_trace_sync_(s, tp, now);
	/* A resend: it carries sequence space below the highest sent. */
	bool space = len || (th->flags & (TERN_TCP_SYN | TERN_TCP_FIN));
	bool again = space && seq_lt(th->seq, tp->snd_max);
	struct tern_tcp_trace_event ev;
	event(s, tp, again ? TERN_TCP_TRACE_RETRANSMIT : TERN_TCP_TRACE_SEND, now, &ev);
	ev.seq = th->seq;
	ev.len = len;
	ev.flags = th->flags;
	ev.ack = (th->flags & TERN_TCP_ACK) ? th->ack : 0;
	tp->trace->fn(tp->trace->ctx, s, &ev);
}

void tcp_trace_ack_(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		    tern_time_t now)
{
	tcp_trace_sync_(s, tp, now);
	struct tern_tcp_trace_event ev;
	event(s, tp, TERN_TCP_TRACE_ACK_RCVD, now, &ev);
	ev.seq = th->seq;
	ev.ack = th->ack;
	ev.flags = th->flags;
	ev.window = (uint32_t)th->window << tp->snd_scale;
	for (unsigned i = 0; i < th->sack_count && i < 4; i++) {
		ev.sack[i].left = th->sack[i].left;
		ev.sack[i].right = th->sack[i].right;
		ev.nsack = (uint8_t)(i + 1);
	}
	tp->trace->fn(tp->trace->ctx, s, &ev);
}

/* The undo itself, then what it changed (ssthresh, cwnd, the state) as
 * the events after it. */
void tcp_trace_fastopen_(struct tern_stack *s, struct tern_tcb *tp, uint8_t what, uint32_t len,
			 tern_time_t now)
{
	struct tern_tcp_trace_event ev;
	event(s, tp, TERN_TCP_TRACE_FASTOPEN, now, &ev);
	ev.fastopen = what;
	ev.len = len;
	tp->trace->fn(tp->trace->ctx, s, &ev);
}

void tcp_trace_undo_(struct tern_stack *s, struct tern_tcb *tp, uint8_t undo, tern_time_t now)
{
	struct tern_tcp_trace_event ev;
	event(s, tp, TERN_TCP_TRACE_UNDO, now, &ev);
	ev.undo = undo;
	tp->trace->fn(tp->trace->ctx, s, &ev);
	tcp_trace_sync_(s, tp, now);
}

/* Start tracing tp with fn: what it is now is the baseline (a new tcb's
 * first state change is reported, its initial zeroes are not). */
static int attach(struct tern_tcb *tp, tern_tcp_trace_fn fn, void *ctx, bool own)
{
	if (!tp->trace && !(tp->trace = malloc(sizeof(*tp->trace))))
		return TERN_ENOMEM;
	*tp->trace = (struct tcp_trace){.fn = fn, .ctx = ctx, .own = own, .state = tp->state,
					.cwnd = tp->snd_cwnd, .ssthresh = tp->snd_ssthresh,
					.srtt = tp->srtt, .rttvar = tp->rttvar, .ca = reduction(tp)};
	return 0;
}

void tcp_trace_free_(struct tern_tcb *tp)
{
	free(tp->trace);
	tp->trace = NULL;
}

void tcp_trace_new_(struct tern_stack *s, struct tern_tcb *tp)
{
	const struct tern_tcp_table *tt = &s->socks->tcp;
	(void)attach(tp, tt->trace_fn, tt->trace_ctx, false); /* out of memory: untraced */
}

void tcp_trace_inherit_(struct tern_tcb *tp, const struct tern_tcb *lp)
{
	if (lp->trace->own && attach(tp, lp->trace->fn, lp->trace->ctx, true) == 0)
		tp->trace->state = TCPS_CLOSED; /* its SYN-RECEIVED is news */
}

/* The stack-wide trace on one connection that has none of its own. */
static int apply_stack_wide(struct tern_stack *s, struct tern_tcb *tp)
{
	const struct tern_tcp_table *tt = &s->socks->tcp;
	if (tp->trace && tp->trace->own)
		return 0;
	if (!tt->trace_fn) {
		tcp_trace_free(tp);
		return 0;
	}
	return attach(tp, tt->trace_fn, tt->trace_ctx, false);
}

int tern_tcp_set_trace(struct tern_stack *s, int sd, tern_tcp_trace_fn fn, void *ctx)
{
	if (sd < 0 && !tern_sock_table_own(s))
		return TERN_ENOMEM; /* the stack-wide trace is kept in the host's own table */
	struct tern_tcp_table *tt = &s->socks->tcp;
	if (sd >= 0) {
		struct tern_sock *so = tern_sock_get(s, sd);
		if (!so)
			return TERN_EBADF;
		if (so->ops->protocol != TERN_IPPROTO_TCP)
			return TERN_EINVAL;
		struct tern_tcb *tp = tcp_attach_tcb(s, so);
		if (!tp)
			return TERN_ENOMEM;
		if (fn)
			return attach(tp, fn, ctx, true);
		tcp_trace_free(tp);
		return apply_stack_wide(s, tp);
	}
	tt->trace_fn = fn;
	tt->trace_ctx = fn ? ctx : NULL;
	int rc = 0;
	/* Every tcb: the sockets' (listeners and unconnected ones are in no
	 * chain), then the connection table's (orphans, unaccepted ones). */
	for (uint32_t i = 0; i < s->socks->nslots; i++) {
		struct tern_sock *so = s->socks->slots[i];
		if (so && so->tcb && !so->tcb->hashed && apply_stack_wide(s, so->tcb) < 0)
			rc = TERN_ENOMEM;
	}
	for (uint32_t i = 0; i < tt->nbuckets; i++)
		for (struct tern_tcb *tp = tt->buckets[i]; tp; tp = tp->hnext)
			if (apply_stack_wide(s, tp) < 0)
				rc = TERN_ENOMEM;
	return rc;
}
