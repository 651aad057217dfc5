/*
 * transport/tcp_timer.c — a connection's deadlines and what happens when
 * one passes (RFC 9293 §3.8, RFC 6298, RFC 1122 §4.2.3.6).
 *
 * Four slots share one stack timer per connection (TCP.md §4):
 *   RXT     retransmission, or the persist probe of a zero window: never
 *           both (FreeBSD: "retransmit and persist are mutually exclusive");
 *   DELACK  the delayed ACK;
 *   KEEP    by state: keepalive (ESTABLISHED), the orphan's FIN-WAIT-2
 *           timeout, 2*MSL in TIME-WAIT;
 *   PACE    the departure time of the next paced segment (tcp_pacing.c).
 * The stack timer is armed at the earliest deadline. A deadline that moves
 * later leaves it alone (the RTO restarts on almost every ACK): when it
 * fires early, nothing is due and it is armed again at the new earliest.
 * Only a deadline moving earlier re-arms it.
 */
#include "core/stack_impl.h"
#include "transport/sock.h"
#include "transport/tcp_cc.h"

static void tcp_timer_fire(struct tern_stack *s, struct tern_timer *t, tern_time_t now);

void tcp_timer_init(struct tern_tcb *tp)
{
	tern_timer_init(&tp->timer, tcp_timer_fire);
	for (int i = 0; i < TCPT_N; i++)
		tp->deadline[i] = TERN_TIME_NEVER;
}

static tern_time_t earliest(const struct tern_tcb *tp)
{
	tern_time_t e = TERN_TIME_NEVER;
	for (int i = 0; i < TCPT_N; i++)
		if (tp->deadline[i] < e)
			e = tp->deadline[i];
	return e;
}

void tcp_timer_set(struct tern_stack *s, struct tern_tcb *tp, int which, tern_time_t when)
{
	tp->deadline[which] = when;
	if (which == TCPT_RXT && when == TERN_TIME_NEVER)
		tp->rxt_mode = RXT_NONE;
	if (when != TERN_TIME_NEVER && (!tern_timer_armed(&tp->timer) || when < tp->timer.when))
		tern_timer_arm(s, &tp->timer, when);
}

static void tw_unlink(struct tern_stack *s, struct tern_tcb *tp);

void tcp_timer_cancel_all(struct tern_stack *s, struct tern_tcb *tp)
{
	for (int i = 0; i < TCPT_N; i++)
		tp->deadline[i] = TERN_TIME_NEVER;
	tp->rxt_mode = RXT_NONE;
	tern_timer_cancel(s, &tp->timer);
	tw_unlink(s, tp);
}

/* ---- TIME-WAIT: one FIFO per stack ----
 *
 * 2*MSL is the same for every connection of a stack, so TIME-WAITs expire
 * in the order they began: a list ordered by expiry, and one stack timer
 * at its head (as TCP.md §4 planned). With a connection a few virtual ms
 * apart the client holds some 15,000 TIME-WAITs, which as heap entries
 * made every other timer's insert and removal walk 14 levels
 * (bench/callgrind.sh cps). The head's timer is moved lazily, as the
 * connections' are: it may fire early and find nothing due. A shorter
 * tcp_time_wait set at run time still keeps the list ordered (the
 * insertion walks back from the tail past later expiries). */

static void tw_fire(struct tern_stack *s, struct tern_timer *t, tern_time_t now);

void tcp_tw_table_init(struct tern_stack *s)
{
	struct tern_tcp_table *tt = &s->socks->tcp;
	tt->tw_head = tt->tw_tail = NULL;
	tern_timer_init(&tt->tw_timer, tw_fire);
}

void tcp_tw_table_fini(struct tern_stack *s)
{
	tern_timer_cancel(s, &s->socks->tcp.tw_timer);
}

static void tw_unlink(struct tern_stack *s, struct tern_tcb *tp)
{
	if (!tp->tw_queued)
		return;
	struct tern_tcp_table *tt = &s->socks->tcp;
	*(tp->tw_prev ? &tp->tw_prev->tw_next : &tt->tw_head) = tp->tw_next;
	*(tp->tw_next ? &tp->tw_next->tw_prev : &tt->tw_tail) = tp->tw_prev;
	tp->tw_prev = tp->tw_next = NULL;
	tp->tw_queued = false;
}

void tcp_tw_start(struct tern_stack *s, struct tern_tcb *tp, tern_time_t expire)
{
	struct tern_tcp_table *tt = &s->socks->tcp;
	tw_unlink(s, tp);
	tp->deadline[TCPT_KEEP] = expire;
	struct tern_tcb *after = tt->tw_tail;
	while (after && after->deadline[TCPT_KEEP] > expire)
		after = after->tw_prev;
	tp->tw_prev = after;
	tp->tw_next = after ? after->tw_next : tt->tw_head;
	*(tp->tw_next ? &tp->tw_next->tw_prev : &tt->tw_tail) = tp;
	*(after ? &after->tw_next : &tt->tw_head) = tp;
	tp->tw_queued = true;
	if (!tern_timer_armed(&tt->tw_timer) || expire < tt->tw_timer.when)
		tern_timer_arm(s, &tt->tw_timer, expire);
}

/* RFC 9293 §3.10.7.4 (and §3.10.8's timeout): 2*MSL passed, delete the
 * TCB. Closing may wake a socket's callback, which may close others:
 * the head is read afresh each time. */
static void tw_fire(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_tcp_table *tt = TERN_CONTAINER_OF(t, struct tern_tcp_table, tw_timer);
	struct tern_tcb *tp;
	while ((tp = tt->tw_head) && tp->deadline[TCPT_KEEP] <= now) {
		tw_unlink(s, tp);
		tp->deadline[TCPT_KEEP] = TERN_TIME_NEVER;
		tcp_close_tcb(s, tp);
	}
	if (tt->tw_head && !tern_timer_armed(&tt->tw_timer))
		tern_timer_arm(s, &tt->tw_timer, tt->tw_head->deadline[TCPT_KEEP]);
}

/* ---- RTT and RTO (RFC 6298) ---- */

/* RFC 6298 §2.2-2.3, with Linux's floor: the variance term is at least
 * tcp_rto_min, so RTO = SRTT + max(4·RTTVAR, rto_min). In nanoseconds
 * there is no fixed point to derive: the shifts are the RFC's α = 1/8 and
 * β = 1/4 directly. */
void tcp_rtt_sample(struct tern_stack *s, struct tern_tcb *tp, tern_time_t rtt)
{
	if (rtt <= 0)
		rtt = 1;
	tp->rtt_min = tp->rtt_min && tp->rtt_min <= rtt ? tp->rtt_min : rtt;
	if (tp->srtt == 0) {
		tp->srtt = rtt;
		tp->rttvar = rtt / 2;
	} else {
		tern_time_t delta = tp->srtt > rtt ? tp->srtt - rtt : rtt - tp->srtt;
		tp->rttvar = tp->rttvar - tp->rttvar / 4 + delta / 4;
		tp->srtt = tp->srtt - tp->srtt / 8 + rtt / 8;
	}
	tern_time_t var = 4 * tp->rttvar;
	if (var < s->cfg->tcp_rto_min)
		var = s->cfg->tcp_rto_min;
	tp->rto = tp->srtt + var;
	if (tp->rto > s->cfg->tcp_rto_max)
		tp->rto = s->cfg->tcp_rto_max;
	tp->rxtshift = 0; /* RFC 6298 §5.7: a new sample ends the backoff */
	tcp_cc_rtt(s, tp, rtt, s->now);
}

tern_time_t tcp_rto(const struct tern_stack *s, const struct tern_tcb *tp)
{
	tern_time_t rto = tp->rto;
	for (unsigned i = 0; i < tp->rxtshift && rto < s->cfg->tcp_rto_max; i++)
		rto *= 2; /* RFC 6298 §5.5: back off */
	return rto < s->cfg->tcp_rto_max ? rto : s->cfg->tcp_rto_max;
}

void tcp_rearm_rxt(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (tp->snd_una != tp->snd_max) {
		tp->rxt_mode = RXT_REXMT;
		tcp_timer_set(s, tp, TCPT_RXT, now + tcp_rto(s, tp));
	} else if (tp->rxt_mode == RXT_REXMT || tp->rxt_mode == RXT_TLP || tp->rxt_mode == RXT_REO) {
		tcp_timer_set(s, tp, TCPT_RXT, TERN_TIME_NEVER); /* RFC 6298 §5.2 */
	}
}

/* ---- what a passed deadline does ---- */

static unsigned retries_allowed(const struct tern_stack *s, const struct tern_tcb *tp)
{
	if (tp->state == TCPS_SYN_SENT)
		return s->cfg->tcp_syn_retries;
	if (tp->state == TCPS_SYN_RECEIVED)
		return s->cfg->tcp_synack_retries;
	return s->cfg->tcp_retries2;
}

/* RFC 9293 §3.8.3 and TCP_USER_TIMEOUT: give up once data has gone
 * unacknowledged that long. */
static bool user_timeout_passed(const struct tern_tcb *tp, tern_time_t now)
{
	return tp->user_timeout && tp->first_rexmit && now - tp->first_rexmit >= tp->user_timeout;
}

/* Each handler returns false once it closed tp: then tp may be gone even
 * if a socket held it (tcp_close_tcb's true), for the close wakes the
 * socket's callback, which may close the socket and with it the tcb. A
 * closed tcb has no deadlines left to look at. */
static bool rexmt_timeout(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (tp->rxtshift >= retries_allowed(s, tp) || user_timeout_passed(tp, now)) {
		tern_stat_inc(s, TERN_STAT_TCP_TIMEOUT_DROPS);
		/* A soft error (ICMP) seen meanwhile is the better answer. A
		 * SYN-ACK nobody answered is forgotten without a reset, as
		 * Linux's request socks and FreeBSD's syncache are. */
		tcp_drop(s, tp, tp->soft_error ? tp->soft_error : TERN_ETIMEDOUT,
			 tp->state != TCPS_SYN_RECEIVED);
		return false;
	}
	tern_stat_inc(s, TERN_STAT_TCP_TIMEOUTS);
	tp->total_rto++;
	if (!tp->first_rexmit)
		tp->first_rexmit = now;
	tp->rxtshift++;
	if (tp->state >= TCPS_ESTABLISHED) {
		tcp_undo_rto(s, tp); /* the window an undo restores; Eifel, F-RTO */
		tp->cc->on_rto(tp, now);
		tcp_mtu_rto(s, tp, now); /* a black hole? (RFC 4821) */
	}
	tp->flags &= ~(uint32_t)(TF_FASTRECOV | TF_RTT_TIMING); /* Karn: no sample from a resend */
	tp->dupacks = 0;
	tcp_recovery_rto(tp);
	tp->snd_nxt = tp->snd_una;
	tp->rxt_mode = RXT_REXMT;
	tp->deadline[TCPT_RXT] = now + tcp_rto(s, tp);
	tp->flags |= TF_FORCEDATA; /* into a zero window too: see output_one */
	tcp_output(s, tp, now);
	tp->flags &= ~(uint32_t)TF_FORCEDATA;
	return true;
}

/* RFC 9293 §3.8.6.1: probe a zero window with one byte, backing off as
 * retransmissions do; the connection stays open as long as the peer
 * answers. Probes it leaves unanswered count in keep_probes (reset by any
 * acceptable segment, as Linux's icsk_probes_out, which keepalives share):
 * after tcp_retries2 of them the peer is gone (Linux's tcp_probe_timer),
 * or an orphan whose peer vanished behind a zero window would probe for
 * ever. */
static bool persist_timeout(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (user_timeout_passed(tp, now) || tp->keep_probes >= s->cfg->tcp_retries2) {
		tern_stat_inc(s, TERN_STAT_TCP_TIMEOUT_DROPS);
		tcp_drop(s, tp, TERN_ETIMEDOUT, true);
		return false;
	}
	tp->keep_probes++;
	tern_stat_inc(s, TERN_STAT_TCP_WINDOW_PROBES);
	if (tp->rxtshift < 15)
		tp->rxtshift++;
	if (!tp->first_rexmit)
		tp->first_rexmit = now;
	tp->rxt_mode = RXT_PERSIST;
	tp->deadline[TCPT_RXT] = now + tcp_rto(s, tp);
	if (tp->snd_wnd == 0) {
		tcp_send_probe(s, tp, now);
		return true;
	}
	/* A window too small to be worth a segment: what fits goes now (as
	 * Linux's tcp_write_wakeup, FreeBSD's TF_FORCEDATA). */
	tp->flags |= TF_FORCEDATA;
	tcp_output(s, tp, now);
	tp->flags &= ~(uint32_t)TF_FORCEDATA;
	return true;
}

static bool keep_timeout(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (tp->state == TCPS_TIME_WAIT || (tp->state == TCPS_FIN_WAIT_2 && !tp->so)) {
		/* (FIN-WAIT-2: an orphan whose peer never closes, tcp_fin_timeout) */
		tcp_close_tcb(s, tp);
		return false;
	}
	if (!(tp->flags & TF_KEEPALIVE) || tp->state < TCPS_ESTABLISHED)
		return true;
	tern_time_t idle = now - tp->t_rcvtime;
	if (idle < tp->keepidle && !tp->keep_probes) {
		tcp_timer_set(s, tp, TCPT_KEEP, tp->t_rcvtime + tp->keepidle);
		return true;
	}
	if (tp->keep_probes >= tp->keepcnt || user_timeout_passed(tp, now)) {
		tern_stat_inc(s, TERN_STAT_TCP_KEEPALIVE_DROPS);
		tcp_drop(s, tp, TERN_ETIMEDOUT, true);
		return false;
	}
	/* SEQ = SND.UNA - 1: outside the peer's window, so it must answer
	 * (RFC 9293 §3.8.4; RFC 1122 §4.2.3.6). */
	tp->keep_probes++;
	tern_stat_inc(s, TERN_STAT_TCP_KEEPALIVES);
	tcp_send_ctl(s, tp, tp->snd_una - 1, TERN_TCP_ACK, now);
	tcp_timer_set(s, tp, TCPT_KEEP, now + tp->keepintvl);
	return true;
}

static void tcp_timer_fire(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_tcb *tp = TERN_CONTAINER_OF(t, struct tern_tcb, timer);
	if (tp->deadline[TCPT_DELACK] <= now) {
		tp->deadline[TCPT_DELACK] = TERN_TIME_NEVER;
		if (tp->flags & TF_DELACK) {
			/* Linux's delack timer: a delayed ACK that had to wait
			 * for the timer ends the interactive (pingpong) mode. */
			tp->pingpong = false;
			tp->flags = (tp->flags & ~(uint32_t)TF_DELACK) | TF_ACKNOW;
			tern_stat_inc(s, TERN_STAT_TCP_DELAYED_ACKS);
			tcp_output(s, tp, now);
		}
	}
	if (tp->deadline[TCPT_RXT] <= now) {
		tp->deadline[TCPT_RXT] = TERN_TIME_NEVER;
		uint8_t mode = tp->rxt_mode;
		tp->rxt_mode = RXT_NONE;
		if (mode == RXT_REXMT && !rexmt_timeout(s, tp, now))
			return;
		if (mode == RXT_PERSIST && !persist_timeout(s, tp, now))
			return;
		if (mode == RXT_TLP)
			tcp_tlp_fire(s, tp, now);
		if (mode == RXT_REO)
			tcp_rack_reo_fire(s, tp, now);
	}
	if (tp->deadline[TCPT_KEEP] <= now) {
		tp->deadline[TCPT_KEEP] = TERN_TIME_NEVER;
		if (!keep_timeout(s, tp, now))
			return;
	}
	if (tp->state == TCPS_CLOSED)
		return; /* kept only for its socket: no deadlines */
	if (tp->deadline[TCPT_PACE] <= now) {
		tp->deadline[TCPT_PACE] = TERN_TIME_NEVER;
		tcp_output(s, tp, now); /* the paced segment is due */
	}
	tern_time_t next = earliest(tp);
	if (next != TERN_TIME_NEVER)
		tern_timer_arm(s, &tp->timer, next);
}
