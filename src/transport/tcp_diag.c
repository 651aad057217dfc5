/*
 * transport/tcp_diag.c — tern_tcp_conns (tern/tcp.h): every TCP socket and
 * connection as ss sees it, in the order of Linux's inet_diag dump.
 */
#include <string.h>

#include "core/stack_impl.h"
#include "tern/tcp.h"
#include "transport/sock.h"
#include "transport/tcp.h"
#include "transport/tcp_cc.h"

const char *tcp_ss_state_name(enum tern_tcp_state st)
{
	static const char *const names[] = {
		[TCPS_CLOSED] = "CLOSE", [TCPS_LISTEN] = "LISTEN", [TCPS_SYN_SENT] = "SYN-SENT",
		[TCPS_SYN_RECEIVED] = "SYN-RECV", [TCPS_ESTABLISHED] = "ESTAB",
		[TCPS_FIN_WAIT_1] = "FIN-WAIT-1", [TCPS_FIN_WAIT_2] = "FIN-WAIT-2",
		[TCPS_CLOSE_WAIT] = "CLOSE-WAIT", [TCPS_CLOSING] = "CLOSING",
		[TCPS_LAST_ACK] = "LAST-ACK", [TCPS_TIME_WAIT] = "TIME-WAIT",
	};
	return names[st];
}

static uint32_t ms_until(tern_time_t now, tern_time_t when)
{
	return when > now ? (uint32_t)((when - now + TERN_MSEC(1) - 1) / TERN_MSEC(1)) : 0;
}

/* Linux's inet_diag timer: the retransmission timer's use first, then the
 * socket timer (keepalive, FIN-WAIT-2, TIME-WAIT). */
static void timer_of(const struct tern_stack *s, const struct tern_tcb *tp, struct tern_tcp_conn *c)
{
	if (tcp_timer_isset(tp, TCPT_RXT) && tp->rxt_mode != RXT_NONE) {
		c->timer = tp->rxt_mode == RXT_PERSIST ? 4 : 1;
		c->timer_retrans = tp->rxt_mode == RXT_PERSIST ? tp->keep_probes : tp->rxtshift;
		c->timer_ms = ms_until(s->now, tp->deadline[TCPT_RXT]);
	} else if (tcp_timer_isset(tp, TCPT_KEEP)) {
		c->timer = tp->state == TCPS_TIME_WAIT ? 3 : 2;
		c->timer_retrans = tp->state == TCPS_TIME_WAIT ? 0 : tp->keep_probes;
		c->timer_ms = ms_until(s->now, tp->deadline[TCPT_KEEP]);
	}
}

static void describe(const struct tern_stack *s, const struct tern_tcb *tp, struct tern_tcp_conn *c)
{
	const struct tern_sock *so = tp->so;
	memset(c, 0, sizeof(*c));
	c->sd = so ? so->sd : -1;
	c->state = tcp_ss_state_name(tp->state);
	c->local = (struct tern_sockaddr_in){tp->t.laddr, tp->t.lport};
	c->peer = (struct tern_sockaddr_in){tp->t.raddr, tp->t.rport};
	c->id = tp->id;
	if (so)
		memcpy(c->owner, so->owner, sizeof(c->owner));
	timer_of(s, tp, c);
	c->full = tp->state != TCPS_TIME_WAIT && tp->state != TCPS_SYN_RECEIVED;
	if (!c->full)
		return;
	if (tp->state == TCPS_LISTEN) {
		/* ss: Recv-Q is the accept queue, Send-Q the backlog. */
		c->rx_queue = tp->accq_len;
		c->tx_queue = tp->backlog;
	} else {
		c->rx_queue = tp->rcv_queued;
		c->tx_queue = (uint32_t)tern_ring_len(&tp->snd);
	}
	/* Linux's sk_shutdown: RCV_SHUTDOWN with the peer's FIN or
	 * shutdown(SHUT_RD), SEND_SHUTDOWN with ours; close(2) sets both. */
	bool rd = !so || (so->shut & TERN_SHUT_RD_BIT) || (tp->flags & TF_RCVD_FIN);
	bool wr = !so || (so->shut & TERN_SHUT_WR_BIT) || (tp->flags & (TF_WANTFIN | TF_SENTFIN));
	c->shutdown = (uint8_t)((rd ? 1 : 0) | (wr ? 2 : 0));
	c->rmem_alloc = (uint32_t)tp->rcv_charged;
	c->rcvbuf = so ? (uint32_t)so->rcvbuf : (uint32_t)TERN_SOCK_BUF_MAX;
	c->wmem_alloc = 0; /* no segment waits in a device queue on tern's account */
	c->sndbuf = so ? (uint32_t)so->sndbuf : (uint32_t)tp->snd_limit;
	c->wmem_queued = (uint32_t)tern_ring_len(&tp->snd);
	c->drops = so ? (uint32_t)so->drops : 0;
	snprintf(c->cc, sizeof(c->cc), "%s", tp->cc ? tp->cc->name : "reno");
	tern_tcp_fill_info(s, tp, &c->info);
}

int tern_tcp_conns(struct tern_stack *s, tern_tcp_conn_fn fn, void *ctx)
{
	struct tern_tcp_conn c;
	int rc;
	for (uint32_t i = 0; i < s->socks->nslots; i++) {
		const struct tern_sock *so = s->socks->slots[i];
		if (!so || !so->tcb || so->tcb->state != TCPS_LISTEN)
			continue;
		describe(s, so->tcb, &c);
		if ((rc = fn(ctx, &c)) != 0)
			return rc;
	}
	const struct tern_tcp_table *tt = &s->socks->tcp;
	for (uint32_t i = 0; i < tt->nbuckets; i++) {
		for (const struct tern_tcb *tp = tt->buckets[i]; tp; tp = tp->hnext) {
			describe(s, tp, &c);
			if ((rc = fn(ctx, &c)) != 0)
				return rc;
		}
	}
	return 0;
}
