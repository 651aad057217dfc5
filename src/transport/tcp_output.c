/*
 * transport/tcp_output.c — the one place that decides what a connection
 * sends now (RFC 9293 §3.8.6, RFC 1122 §4.2.3.4, RFC 896, RFC 5681), and
 * the builder of every segment.
 *
 * tcp_output() asks, as FreeBSD's tcp_output does, for a reason to send:
 * a full segment; the last of the data when nothing is in flight or Nagle
 * is off; half the largest window the peer offered; a retransmission;
 * SYN or FIN; an ACK owed now; a window update worth announcing. Without
 * one it returns, arming the persist timer if data waits on a closed
 * window. Each call sends a bounded number of segments.
 *
 * Payload copies: one, ring → packet buffer, with the checksum summed in
 * the same pass (tern_csum_copy); a retransmission re-cuts from the ring.
 */
#include "core/stack_impl.h"
#include "net/ipv4.h"
#include "net/net.h"
#include "transport/sock.h"
#include "transport/tcp_cc.h"
#include "transport/tcp_trace.h"
#include "wire/checksum.h"

#define TCP_MAX_BURST 64 /* segments per call: bounded work per event */

/* The receive buffer's payload capacity: half of SO_RCVBUF, the other
 * half being what buffers cost beyond their payload (as Linux's
 * tcp_adv_win_scale = 1). An orphan keeps the default. */
uint32_t tcp_rcv_capacity(const struct tern_tcb *tp)
{
	int rcvbuf = tp->so ? tp->so->rcvbuf : TERN_SOCK_BUF_MAX;
	return (uint32_t)rcvbuf / 2;
}

uint32_t tcp_rcv_space(const struct tern_tcb *tp)
{
	uint32_t cap = tcp_rcv_capacity(tp);
	return tp->rcv_queued < cap ? cap - tp->rcv_queued : 0;
}

/* The window field for a segment, and the right edge it advertises: never
 * left of one already advertised (RFC 9293 §3.8.6.2.1: do not shrink),
 * and from the receiver's silly-window rule (§3.8.6.2.2): a window that
 * would open by less than min(MSS, half the buffer) is not opened. */
static uint32_t window_to_advertise(const struct tern_tcb *tp, bool syn)
{
	uint32_t space = tcp_rcv_space(tp);
	uint32_t adv_left = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t cap = tcp_rcv_capacity(tp);
	uint32_t mss = tp->rcv_mss ? tp->rcv_mss : 536;
	uint32_t step = mss < cap / 2 ? mss : cap / 2;
	if (space < adv_left + step && space != cap)
		space = adv_left; /* keep the old right edge */
	if (space < adv_left)
		space = adv_left;
	uint32_t max = syn ? 65535u : 65535u << tp->rcv_scale; /* RFC 7323 §2.2: SYN unscaled */
	return space < max ? space : max;
}

/* Options for a segment of ours (RFC 9293 §3.7.1, RFC 7323, RFC 2018). */
static void fill_options(const struct tern_stack *s, const struct tern_tcb *tp,
			 struct tern_tcp_repr *th, tern_time_t now)
{
	bool syn = th->flags & TERN_TCP_SYN;
	bool synack = syn && (th->flags & TERN_TCP_ACK);
	if (syn) {
		th->has_mss = true;
		th->mss = tp->rcv_mss;
		/* On a SYN-ACK only what the peer offered (RFC 7323 §1.3). */
		if (synack ? (tp->flags & TF_RCVD_SCALE) : (tp->flags & TF_REQ_SCALE)) {
			th->has_wscale = true;
			th->wscale = tp->rcv_scale;
		}
		th->sack_perm = synack ? (tp->flags & TF_SACK_PERMIT) != 0 : s->cfg->tcp_sack;
		if (synack && (tp->fo_flags & TCP_FO_COOKIE)) { /* RFC 7413 §4.1.2 */
			struct tcp_addr client = tcp_addr_ip4(tp->t.raddr);
			struct tcp_addr server = tcp_addr_ip4(tp->t.laddr);
			th->has_tfo = true;
			th->tfo_len = TCP_FO_COOKIE_LEN;
			tcp_fastopen_cookie(s, &client, &server, th->tfo_cookie);
		}
		if (!synack)
			tcp_fo_syn_option(tp, th); /* RFC 7413: a cookie or a request */
	}
	bool ts = syn && !synack ? (tp->flags & TF_REQ_TSTMP) : (tp->flags & TF_RCVD_TSTMP);
	if (ts) {
		th->has_ts = true;
		th->tsval = tcp_ts_now(tp, now);
		th->tsecr = tp->ts_recent;
	}
}

/* Build and send one segment: [seq, seq + len) of the ring (from ring
 * offset off) with flags. Returns 0 or the IP layer's error. */
static int xmit(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, size_t off, size_t len,
		uint8_t flags, tern_time_t now)
{
	struct tern_tcp_repr th = {
		.sport = tp->t.lport, .dport = tp->t.rport, .seq = seq, .flags = flags,
	};
	if (flags & TERN_TCP_ACK)
		th.ack = tp->rcv_nxt;
	fill_options(s, tp, &th, now);
	/* RFC 2018 §4: SACK blocks on every ACK while data waits out of
	 * order, and a D-SACK block once (RFC 2883). */
	if ((flags & (TERN_TCP_ACK | TERN_TCP_SYN)) == TERN_TCP_ACK && (tp->sack_count || tp->dsack))
		tcp_sack_fill(tp, &th);
	size_t hlen = tern_tcp_hdr_len(&th);
	struct tern_pkt *pkt = tern_stack_pkt_alloc(s, hlen + len);
	if (!pkt)
		return TERN_ENOBUFS;
	/* RFC 3168: ECE/CWR and the ECN field, once the segment surely goes. */
	uint8_t ecn = tcp_ecn_out(s, tp, &th.flags, len, seq_lt(seq, tp->snd_max));
	if (th.sack_count)
		tp->dsack = false; /* reported */
	uint8_t *h = tern_pkt_put(pkt, hlen + len);
	uint32_t sum = 0;
	if (len) {
		struct tern_ring_span sp[2];
		tern_ring_peek(&tp->snd, off, len, sp);
		sum = tern_csum_copy(h + hlen, sp[0].p, sp[0].n, 0);
		if (sp[1].n)
			sum = tern_csum_join(sum, sp[0].n,
					     tern_csum_copy(h + hlen + sp[0].n, sp[1].p, sp[1].n, 0));
	}
	uint32_t win = window_to_advertise(tp, flags & TERN_TCP_SYN);
	th.window = (uint16_t)((flags & TERN_TCP_SYN) ? win : win >> tp->rcv_scale);
	tern_tcp_emit(&th, h, tp->t.laddr, tp->t.raddr, len, sum);
	if (flags & TERN_TCP_ACK) {
		tcp_seq edge = tp->rcv_nxt + ((uint32_t)th.window << ((flags & TERN_TCP_SYN) ? 0 : tp->rcv_scale));
		if (seq_gt(edge, tp->rcv_adv))
			tp->rcv_adv = edge;
		tp->last_ack_sent = tp->rcv_nxt;
		tp->flags &= ~(uint32_t)(TF_ACKNOW | TF_DELACK | TF_READ);
		tp->deadline[TCPT_DELACK] = TERN_TIME_NEVER;
	}
	/* Linux sets DF on TCP (path MTU discovery, RFC 1191). */
	struct tern_ip_send ip = {.src = tp->t.laddr, .dst = tp->t.raddr,
				  .proto = TERN_IPPROTO_TCP, .pmtudisc = tcp_mtu_ip_mode(s, tp),
				  .ttl = tp->so && tp->so->ttl > 0 ? (uint8_t)tp->so->ttl : 0,
				  .tos = (uint8_t)(((tp->so ? tp->so->tos : 0) & ~TERN_IP_ECN_MASK) | ecn)};
	int err = tern_ipv4_output(s, pkt, &ip, now);
	if (err == TERN_ENOBUFS)
		return err; /* it did not leave: neither traced nor counted */
	tcp_trace_xmit(s, tp, &th, (uint32_t)len, now);
	tern_stat_inc(s, TERN_STAT_TCP_OUT_SEGS);
	tp->segs_out++;
	if (len) {
		tp->data_segs_out++;
		tp->bytes_sent += len;
		tp->last_data_sent = now;
		if (seq_lt(seq, tp->snd_max))
			tp->bytes_retrans += len;
	}
	return err;
}

void tcp_send_ctl(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint8_t flags,
		  tern_time_t now)
{
	xmit(s, tp, seq, 0, 0, flags, now);
}

void tcp_send_probe(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	/* Linux's zero-window probe: an old sequence number, so the peer
	 * answers with its current window whatever it is. */
	tcp_send_ctl(s, tp, tp->snd_una - 1, TERN_TCP_ACK, now);
}

/* RFC 9293 §3.10.7.1: "If the ACK bit is off, sequence number zero is
 * used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; if the ACK bit is on,
 * <SEQ=SEG.ACK><CTL=RST>". Never in answer to a RST, nor to a segment for
 * a broadcast or multicast address. */
void tcp_respond_rst(struct tern_stack *s, const struct tern_ipv4_repr *ip,
		     const struct tern_tcp_repr *th, tern_time_t now)
{
	if ((th->flags & TERN_TCP_RST) || tern_ip4_is_multicast(ip->dst) ||
	    tern_ip4_is_our_broadcast(s, ip->dst))
		return;
	struct tern_tcp_repr r = {.sport = th->dport, .dport = th->sport};
	if (th->flags & TERN_TCP_ACK) {
		r.seq = th->ack;
		r.flags = TERN_TCP_RST;
	} else {
		uint32_t seglen = (uint32_t)th->payload_len + !!(th->flags & TERN_TCP_SYN) +
				  !!(th->flags & TERN_TCP_FIN);
		r.ack = th->seq + seglen;
		r.flags = TERN_TCP_RST | TERN_TCP_ACK;
	}
	struct tern_pkt *pkt = tern_stack_pkt_alloc(s, TERN_TCP_HLEN);
	if (!pkt)
		return;
	tern_tcp_emit(&r, tern_pkt_put(pkt, TERN_TCP_HLEN), ip->dst, ip->src, 0, 0);
	tern_stat_inc(s, TERN_STAT_TCP_OUT_SEGS);
	tern_stat_inc(s, TERN_STAT_TCP_OUT_RSTS);
	struct tern_ip_send out = {.src = ip->dst, .dst = ip->src, .proto = TERN_IPPROTO_TCP,
				   .df = true};
	tern_ipv4_output(s, pkt, &out, now);
}

/* ---- deciding ---- */

/* The SYN or SYN-ACK is still to be sent (or resent). */
static bool syn_due(const struct tern_tcb *tp)
{
	return (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED) &&
	       tp->snd_nxt == tp->iss;
}

/* Our FIN goes once every byte written is sent. */
static bool fin_due(const struct tern_tcb *tp, size_t off, size_t len)
{
	if (!(tp->flags & TF_WANTFIN) || off + len != tern_ring_len(&tp->snd))
		return false;
	if ((tp->flags & TF_SENTFIN) && tp->snd_una == tp->snd_max)
		return false; /* sent and acknowledged: it takes no second sequence number */
	/* Not yet sent, or being resent (snd_nxt pulled back over it). */
	tcp_seq fin_seq = tp->snd_una + (uint32_t)tern_ring_len(&tp->snd);
	return !(tp->flags & TF_SENTFIN) || seq_leq(tp->snd_nxt + (uint32_t)len, fin_seq);
}

/* Is a window update worth a segment of its own? (FreeBSD: two segments
 * or half the buffer.) */
static bool window_update_due(const struct tern_tcb *tp)
{
	/* Only a read opens the window (as Linux's tcp_cleanup_rbuf): the
	 * SYN's smaller, unscaled window is not worth a segment. */
	if (!(tp->flags & TF_READ) || tp->state < TCPS_ESTABLISHED || (tp->flags & TF_RCVD_FIN))
		return false;
	uint32_t adv_left = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t space = tcp_rcv_space(tp);
	if (space <= adv_left)
		return false;
	uint32_t grow = space - adv_left;
	/* And only a window that at least doubles (Linux's
	 * __tcp_cleanup_rbuf): the handshake's ACK, which finds our SYN-ACK's
	 * unscaled 65535 below the buffer, is not answered. */
	if (space < 2u * adv_left)
		return false;
	return grow >= 2u * tp->rcv_mss || grow >= tcp_rcv_capacity(tp) / 2;
}

/* RFC 1122 §4.2.3.4 and RFC 896: send len bytes now? */
static bool data_due(const struct tern_tcb *tp, size_t off, size_t len, size_t avail,
		     uint32_t mss)
{
	if (len == 0)
		return false;
	if (len >= mss || (tp->flags & TF_FORCEDATA))
		return true;
	if (seq_lt(tp->snd_nxt, tp->snd_max))
		return true; /* a retransmission */
	bool idle = tp->snd_max == tcp_ring_seq(tp); /* (our SYN is no data in flight) */
	if (off + len == avail && !(tp->flags & TF_CORK) &&
	    (idle || (tp->flags & TF_NODELAY)))
		return true; /* the end of the data, nothing in flight (Nagle) */
	if (off + len == avail && (tp->flags & TF_WANTFIN) && !(tp->flags & TF_CORK))
		return true; /* closing: no more is coming to fill it */
	return tp->max_sndwnd && len >= tp->max_sndwnd / 2;
}

/* One segment, if one is due. Returns true if something was sent. */
/* A delivery-rate sample starts with new data when none is running; a
 * retransmission spoils the one running (its ACK would not say when the
 * bytes got there, as Karn's rule says of RTTs). */
static void rate_note_send(struct tern_tcb *tp, tcp_seq seq, uint32_t len, bool rexmit,
			   tern_time_t now)
{
	if (rexmit) {
		tp->rate_pending = false;
		return;
	}
	if (!len || tp->rate_pending)
		return;
	tp->rate_pending = true;
	tp->rate_seq = seq + len;
	tp->rate_start = now;
	tp->rate_acked = tp->bytes_acked;
	tp->rate_app_limited = !tp->cwnd_limited;
}

/* Linux's tcp_cwnd_validate: note, once per window of data, whether the
 * congestion window is what holds sending back (stopped, data waiting)
 * and the largest flight, so that cwnd grows only when it is used (RFC
 * 7661 §4.3: a window the sender never fills says nothing about the
 * path). */
static void cwnd_validate(struct tern_tcb *tp, bool stopped_by_cwnd)
{
	uint32_t flight = tp->snd_max - tp->snd_una;
	if (!seq_lt(tp->snd_una, tp->cwnd_usage_seq) || stopped_by_cwnd ||
	    (!tp->cwnd_limited && flight > tp->max_flight)) {
		tp->cwnd_limited = stopped_by_cwnd;
		tp->max_flight = flight;
		tp->cwnd_usage_seq = tp->snd_max;
	}
}

/* The device's queue was full (or no buffer was free): the segment did not
 * leave, so it stays unsent, as Linux's tcp_write_xmit keeps an skb the
 * qdisc dropped: no loss to recover, but the window is reduced once per
 * window (tcp_cwr_local, Linux's tcp_enter_cwr). The next ACK tries
 * again; with nothing in flight no ACK comes, so a timer does (Linux's
 * probe timer in the same case). */
#define TCP_TX_RETRY TERN_MSEC(1)

static bool tx_refused(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, tern_time_t now)
{
	tern_stat_inc(s, TERN_STAT_TCP_TX_REFUSED);
	tcp_cwr_local(tp, now);
	if ((tp->flags & TF_RTT_TIMING) && tp->rtt_seq == seq && tp->rtt_start == now)
		tp->flags &= ~(uint32_t)TF_RTT_TIMING; /* it times nothing yet */
	if (tp->snd_una == tp->snd_max && !tcp_timer_isset(tp, TCPT_PACE))
		tcp_timer_set(s, tp, TCPT_PACE, now + TCP_TX_RETRY);
	return false;
}

static bool output_one(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (syn_due(tp)) {
		uint8_t flags = TERN_TCP_SYN | (tp->state == TCPS_SYN_RECEIVED ? TERN_TCP_ACK : 0);
		if (tp->rxtshift == 0) { /* Karn: never time a retransmitted SYN */
			tp->flags |= TF_RTT_TIMING;
			tp->rtt_seq = tp->iss;
			tp->rtt_start = now;
		}
		uint32_t data = tcp_fo_syn_len(tp); /* Fast Open: data on the first SYN */
		xmit(s, tp, tp->iss, 0, data, flags, now);
		if (tp->snd_max != tp->iss) { /* sent before */
			tern_stat_inc(s, TERN_STAT_TCP_RETRANS_SEGS);
			tp->total_retrans++;
		}
		tp->snd_nxt = tp->iss + 1 + data;
		if (seq_gt(tp->snd_nxt, tp->snd_max))
			tp->snd_max = tp->snd_nxt;
		return true;
	}
	/* A Fast Open child sends once its SYN-ACK is out (RFC 7413 §4.2.2). */
	bool early = tp->state == TCPS_SYN_RECEIVED && tcp_fo_child(tp);
	if ((tp->state < TCPS_ESTABLISHED && !early) || tp->state == TCPS_TIME_WAIT)
		return false;
	size_t avail = tern_ring_len(&tp->snd);
	tcp_recovery_skip(tp); /* resending after an RTO: not what was SACKed since */
	size_t off = tp->snd_nxt - tcp_ring_seq(tp);
	if (off > avail)
		off = avail; /* snd_nxt is past our FIN */
	uint32_t wnd = tp->snd_wnd < tp->snd_cwnd ? tp->snd_wnd : tp->snd_cwnd;
	/* PRR's quota in SACK recovery, limited transmit before it. */
	wnd = tcp_recovery_wnd(tp, wnd, tp->snd_wnd, (uint32_t)off, (uint32_t)(avail - off));
	/* A retransmission timeout into a zero window resends the first
	 * segment all the same (as Linux's tcp_retransmit_timer): it is the
	 * probe, and a lost window update cannot then stall the connection. */
	if (wnd == 0 && (tp->flags & TF_FORCEDATA) && tp->rxt_mode == RXT_REXMT)
		wnd = tcp_mss(tp) < tp->snd_cwnd ? tcp_mss(tp) : tp->snd_cwnd;
	/* SACK blocks take option space from the payload, as Linux's
	 * tcp_current_mss: the segment still fits the MSS. */
	uint32_t mss = tcp_mss(tp) - (uint32_t)tcp_sack_optlen(tp);
	size_t len = avail - off;
	cwnd_validate(tp, avail > off && tp->snd_cwnd <= tp->snd_wnd && off + mss > tp->snd_cwnd);
	if (off >= wnd)
		len = 0;
	else if (len > wnd - off)
		len = wnd - off;
	if (len > mss)
		len = mss;
	len = tcp_recovery_clip(tp, len);
	uint32_t probe = tcp_mtu_probe_len(s, tp, off, avail, wnd, now); /* RFC 4821 */
	if (probe)
		len = probe;
	bool fin = !early && fin_due(tp, off, len); /* the FIN waits for ESTABLISHED */
	bool data = data_due(tp, off, len, avail, mss);
	/* Pacing holds data and FIN back, not ACKs; a timeout's resend goes
	 * at once (Linux's tcp_retransmit_timer is not paced either). */
	if (tp->pacing && (data || fin) && !(tp->flags & TF_FORCEDATA) &&
	    tcp_pacing_hold(s, tp, now))
		data = fin = false;
	if (!data && !fin && !(tp->flags & TF_ACKNOW) && !window_update_due(tp))
		return false;
	if (!data && !fin)
		len = 0;
	uint8_t flags = TERN_TCP_ACK;
	if (fin)
		flags |= TERN_TCP_FIN;
	if (len && off + len == avail)
		flags |= TERN_TCP_PSH; /* as Linux: the last segment of what was written */
	tcp_seq seq = tcp_ring_seq(tp) + (uint32_t)off;
	if (len == 0 && !fin)
		seq = tp->snd_max; /* a pure ACK carries the highest sequence number sent */
	bool rexmit = (len || fin) && seq_lt(seq, tp->snd_max);
	/* RTT timing (RFC 6298 §3, Karn): one new segment at a time, without
	 * timestamps. */
	if (len && !rexmit && !(tp->flags & (TF_RTT_TIMING | TF_RCVD_TSTMP))) {
		tp->flags |= TF_RTT_TIMING;
		tp->rtt_seq = seq;
		tp->rtt_start = now;
	}
	if (len && !rexmit && tp->snd_max == tp->snd_una)
		tcp_cc_tx_start(tp, now); /* Linux's CA_EVENT_TX_START */
	if (xmit(s, tp, seq, off, len, flags, now) == TERN_ENOBUFS && (len || fin))
		return tx_refused(s, tp, seq, now);
	if (tp->pacing && len)
		tcp_pacing_sent(s, tp, (uint32_t)len, now);
	rate_note_send(tp, seq, (uint32_t)len, rexmit, now);
	if (rexmit) {
		tern_stat_inc(s, TERN_STAT_TCP_RETRANS_SEGS);
		tp->total_retrans++;
	}
	if (len || fin)
		tcp_recovery_sent(s, tp, seq, (uint32_t)len + (fin ? 1u : 0u), rexmit, now);
	/* Linux's tcp_event_data_sent: data sent within the delayed-ACK time
	 * of data received is an answer: the connection is interactive, and
	 * its ACKs ride on the answers (delayed, no quick ACKs). */
	if (len && tp->ato_init && now - tp->last_data_rcvd < s->cfg->tcp_delack)
		tp->pingpong = true;
	if (len || fin) {
		tp->snd_nxt = seq + (uint32_t)len + (fin ? 1 : 0);
		if (fin)
			tp->flags |= TF_SENTFIN;
		if (seq_gt(tp->snd_nxt, tp->snd_max))
			tp->snd_max = tp->snd_nxt;
	}
	return len > 0 || fin;
}

/* An ESTABLISHED connection with nothing to send (an empty send buffer,
 * no FIN wanted) and nothing in flight (so no retransmission, recovery,
 * persist or TLP to arm): the receiver of a bulk transfer, or either end
 * of a request-response between requests. For it output_one can only
 * send a pure ACK, or nothing, and the timer steps find nothing to do.
 * Path MTU probing is left out (it may restart its search on any call). */
static bool output_idle(const struct tern_tcb *tp)
{
	return tp->state == TCPS_ESTABLISHED && tern_ring_len(&tp->snd) == 0 &&
	       tp->snd_una == tp->snd_max && tp->snd_nxt == tp->snd_max &&
	       !(tp->flags & TF_WANTFIN) && tp->ca_state == TCP_CA_OPEN && !tp->mtu.enabled;
}

void tcp_output(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (tp->state == TCPS_CLOSED || tp->state == TCPS_LISTEN)
		return;
	tcp_mtu_sync(s, tp, now);
	if (output_idle(tp)) {
		/* output_one's steps that have an effect in this state, in its
		 * order: no data or FIN is due, so an ACK owed now or a window
		 * update goes alone, as a pure ACK at SND.MAX. */
		cwnd_validate(tp, false);
		if ((tp->flags & TF_ACKNOW) || window_update_due(tp))
			xmit(s, tp, tp->snd_max, 0, 0, TERN_TCP_ACK, now);
		return;
	}
	/* Data, SYN and FIN segments until none is due; an ACK or window
	 * update alone goes once and ends the loop. */
	tcp_recovery_send(s, tp, false, now); /* SACK recovery: lost segments first */
	for (int i = 0; i < TCP_MAX_BURST && output_one(s, tp, now); i++)
		;
	tcp_recovery_send(s, tp, true, now);
	if (tp->snd_una != tp->snd_max) {
		if (tp->rxt_mode != RXT_REXMT || !tcp_timer_isset(tp, TCPT_RXT)) {
			tp->rxt_mode = RXT_REXMT;
			tcp_timer_set(s, tp, TCPT_RXT, now + tcp_rto(s, tp));
		}
		tcp_tlp_schedule(s, tp, now); /* RFC 8985 §7.2: the probe before the RTO */
		tcp_rack_reo_schedule(s, tp); /* §6.3: RACK's timer before either */
	} else if (tp->rxt_mode == RXT_NONE &&
		   tp->snd_wnd < tcp_mss(tp) && tp->snd_wnd < tern_ring_len(&tp->snd)) {
		/* Data waits on a closed window, or on one too small for the
		 * sender's silly-window rule to fill (RFC 9293 §3.8.6.2.1,
		 * RFC 1122 §4.2.3.4: an override timer): probe it (FreeBSD
		 * arms persist in exactly this idle case). Nothing is in
		 * flight, so no ACK would ever come to send it. */
		tp->rxt_mode = RXT_PERSIST;
		tcp_timer_set(s, tp, TCPT_RXT, now + tcp_rto(s, tp));
	}
}

/* A retransmission chosen by SACK recovery (tcp_recovery.c's NextSeg). */
uint32_t tcp_output_rexmit(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint32_t len,
			   tern_time_t now)
{
	size_t avail = tern_ring_len(&tp->snd), off = seq - tp->snd_una;
	if (off > avail)
		off = avail;
	if (off + len > avail)
		len = (uint32_t)(avail - off);
	/* Our FIN is the octet after the ring's last. */
	bool fin = (tp->flags & TF_SENTFIN) && off + len == avail &&
		   seq_lt(seq + len, tp->snd_max);
	if (!len && !fin)
		return 0;
	tcp_mtu_rexmit(s, tp, seq, len);
	uint8_t flags = TERN_TCP_ACK | (fin ? TERN_TCP_FIN : 0);
	if (len && off + len == avail)
		flags |= TERN_TCP_PSH;
	if (xmit(s, tp, seq, off, len, flags, now) == TERN_ENOBUFS)
		return 0;
	rate_note_send(tp, seq, len, true, now);
	tern_stat_inc(s, TERN_STAT_TCP_RETRANS_SEGS);
	tp->total_retrans++;
	tcp_recovery_sent(s, tp, seq, len + (fin ? 1u : 0u), true, now);
	return len + (fin ? 1u : 0u);
}
