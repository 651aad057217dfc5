/*
 * src/transport/tcp_autotune.c — socket buffers that follow the path, as
 * Linux's dynamic right-sizing (tcp_rcv_space_adjust, tcp_sndbuf_expand).
 *
 * Receive side: the receiver measures its own RTT (from the timestamps it
 * gets echoed, or by timing a window's worth of data without them) and,
 * once per such RTT, how many bytes the application read. When that grows,
 * SO_RCVBUF grows so that the window advertised can be twice what was read
 * (room for the sender's slow start to double it), up to tcp_rmem[2].
 * Send side: SO_SNDBUF grows to hold two congestion windows, up to
 * tcp_wmem[2]. A buffer the application set (SO_RCVBUF / SO_SNDBUF) is
 * never changed, and net.ipv4.tcp_moderate_rcvbuf = 0 turns the receive
 * side off. The window scale we offer is chosen at the SYN from the most
 * the buffer may grow to (RFC 7323 §2.2: it cannot change later).
 */
#include "core/stack_impl.h"
#include "transport/sock.h"
#include "transport/tcp.h"

/* The socket whose buffers this connection follows: its own, or, before
 * accept, its listener's. */
static const struct tern_sock *tcb_sock(const struct tern_tcb *tp)
{
	if (tp->so)
		return tp->so;
	return tp->listener ? tp->listener->so : NULL;
}

uint8_t tcp_rcv_wscale(const struct tern_stack *s, const struct tern_tcb *tp)
{
	/* As Linux's tcp_select_initial_window: the largest buffer
	 * tcp_rmem[2] or rmem_max allows, or the one the application fixed;
	 * a window is half the buffer (tcp_output.c's rcv_capacity). */
	uint64_t space = s->cfg->tcp_rmem[2] > s->cfg->rmem_max ? s->cfg->tcp_rmem[2] : s->cfg->rmem_max;
	const struct tern_sock *so = tcb_sock(tp);
	if (so && so->rcvbuf_locked)
		space = (uint64_t)so->rcvbuf / 2;
	uint8_t ws = 0;
	while (space > 65535 && ws < TERN_TCP_MAX_WSCALE) { /* RFC 7323 §2.3 */
		space >>= 1;
		ws++;
	}
	return ws;
}

/* The application's read point: what was received in order, less what
 * still waits to be read (Linux's copied_seq). */
static tcp_seq copied_seq(const struct tern_tcb *tp)
{
	return tp->rcv_nxt - tp->rcv_queued - ((tp->flags & TF_RCVD_FIN) ? 1u : 0u);
}

static void rcv_space_init(struct tern_stack *s, struct tern_tcb *tp)
{
	/* Linux's tcp_init_buffer_space: the first measure starts at what an
	 * initial window (RFC 6928's ten segments) brings. */
	uint32_t space = 10u * (tp->rcv_mss ? tp->rcv_mss : 536u);
	uint32_t wnd = tcp_rcv_space(tp);
	tp->rcvq_space = wnd && wnd < space ? wnd : space;
	tp->rcvq_seq = copied_seq(tp);
	tp->rcvq_time = s->now;
}

/* One RTT sample for the receiver's estimate: a moving average (1/8) of
 * samples with timestamps; the smallest per window without them (a
 * window timed that way can only overestimate). */
static void rcv_rtt_update(struct tern_tcb *tp, tern_time_t sample, bool window_timed)
{
	if (sample <= 0)
		sample = TERN_USEC(1);
	if (!tp->rcv_rtt)
		tp->rcv_rtt = sample;
	else if (window_timed)
		tp->rcv_rtt = sample < tp->rcv_rtt ? sample : tp->rcv_rtt;
	else
		tp->rcv_rtt += (sample - tp->rcv_rtt) / 8;
}

void tcp_rcv_rtt_measure(struct tern_tcb *tp, tern_time_t now, bool has_ts, uint32_t tsecr,
			 uint32_t len)
{
	if ((tp->flags & TF_RCVD_TSTMP) && has_ts) {
		/* Linux's tcp_rcv_rtt_measure_ts: a full-sized segment's TSecr
		 * echoes the TSval of ours that let it be sent ("full": the
		 * largest seen, at least Linux's first guess, 536). */
		uint32_t ms = tcp_ts_now(tp, now) - tsecr;
		uint32_t guess = tp->rcv_mss && tp->rcv_mss < 536 ? tp->rcv_mss : 536;
		uint32_t full = tp->rcv_mss_seen > guess ? tp->rcv_mss_seen : guess;
		if (tsecr && tsecr != tp->rcv_rtt_last_tsecr && len >= full && ms < 3600u * 1000) {
			rcv_rtt_update(tp, ms ? TERN_MSEC(ms) : TERN_USEC(500), false);
			tp->rcv_rtt_last_tsecr = tsecr;
		}
		return;
	}
	/* Linux's tcp_rcv_rtt_measure: the time a window's worth of data
	 * takes to arrive is one RTT (at least). */
	if (tp->rcv_rtt_time && !seq_lt(tp->rcv_nxt, tp->rcv_rtt_seq)) {
		rcv_rtt_update(tp, now - tp->rcv_rtt_time, true);
		tp->rcv_rtt_time = 0;
	}
	if (!tp->rcv_rtt_time) {
		uint32_t wnd = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
		tp->rcv_rtt_seq = tp->rcv_nxt + (wnd ? wnd : 1u);
		tp->rcv_rtt_time = now;
	}
}

void tcp_rcv_space_adjust(struct tern_stack *s, struct tern_tcb *tp)
{
	if (!tp->rcvq_space) /* the first read starts the count */
		return rcv_space_init(s, tp);
	if (!tp->rcv_rtt || s->now - tp->rcvq_time < tp->rcv_rtt)
		return;
	tcp_seq read_to = copied_seq(tp);
	uint32_t copied = read_to - tp->rcvq_seq;
	struct tern_sock *so = tp->so;
	if (copied > tp->rcvq_space && so && !so->rcvbuf_locked && s->cfg->tcp_moderate_rcvbuf) {
		/* A window of twice what was read in an RTT (and 16 segments
		 * for slack), more if the rate is growing; the buffer twice
		 * that (a window is half of it). */
		uint64_t mss = tp->rcv_mss ? tp->rcv_mss : 536u;
		uint64_t win = 2ull * copied + 16 * mss;
		win += 2 * (win * (copied - tp->rcvq_space) / tp->rcvq_space);
		uint64_t want = 2 * win;
		if (want > s->cfg->tcp_rmem[2])
			want = s->cfg->tcp_rmem[2];
		if (want > (uint64_t)so->rcvbuf) {
			so->rcvbuf = (int)want;
			tern_stat_inc(s, TERN_STAT_TCP_RCVBUF_GROWN);
		}
	}
	if (copied > tp->rcvq_space)
		tp->rcvq_space = copied;
	tp->rcvq_seq = read_to;
	tp->rcvq_time = s->now;
}

void tcp_sndbuf_expand(struct tern_stack *s, struct tern_tcb *tp)
{
	struct tern_sock *so = tp->so;
	if (!so || so->sndbuf_locked)
		return;
	/* Linux's tcp_sndbuf_expand: two windows of segments (at least the
	 * initial window, and the reordering degree), so the application
	 * can queue the next window while this one is in flight. */
	uint64_t mss = tcp_mss(tp);
	uint64_t segs = (tp->snd_cwnd + mss - 1) / mss;
	if (segs < 10)
		segs = 10;
	if (segs < tp->reordering + 1u)
		segs = tp->reordering + 1u;
	uint64_t want = 2 * segs * mss;
	if (want > s->cfg->tcp_wmem[2])
		want = s->cfg->tcp_wmem[2];
	if (want > (uint64_t)so->sndbuf) {
		so->sndbuf = (int)want;
		tern_stat_inc(s, TERN_STAT_TCP_SNDBUF_GROWN);
	}
}
