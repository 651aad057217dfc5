/*
 * transport/tcp_mtu.c — TCP and the path MTU: the MSS follows the
 * path-MTU cache (RFC 1191 §6.4, "TCP MSS option" and §6.5), and
 * Packetization-Layer PMTUD (RFC 4821) finds the path's MTU where ICMP
 * never comes back, as Linux's tcp_mtu_probing:
 *
 *  - t_maxseg = min(the MSS the handshake settled, path MTU - 40, and
 *    while a search runs, search_low - 40). tcp_mtu_sync re-reads the
 *    cache at each tcp_output, so a lower (or, once it expired, higher)
 *    path MTU takes effect on the next segment, as Linux's
 *    tcp_current_mss. cwnd and ssthresh keep their size in segments
 *    (Linux counts them in packets).
 *  - "Fragmentation needed" for a segment in flight (tcp_input.c checks
 *    it: RFC 5927 §4.1) lowers the cache and the MSS and resends what
 *    was lost at once, without a congestion response (Linux's
 *    tcp_simple_retransmit).
 *  - Black hole: after the fourth retransmission timeout of the same
 *    data (Linux: retransmits_timed_out(tcp_retries1 = 3), which a
 *    minimum RTO reaches at the fourth), the search starts with
 *    search_low = tcp_base_mss + 40 and the MSS drops to it; each later
 *    timeout halves it (not below tcp_mtu_probe_floor).
 *  - Probing: with the search on, no recovery running, cwnd of 11
 *    segments or more and enough data queued behind it, one segment of
 *    (search_low + search_high) / 2 is sent as new data. Acknowledged:
 *    search_low rises to it (TcpExtTCPMTUPSuccess). Lost (three
 *    duplicate ACKs for its first byte, or a timeout): search_high falls
 *    below it (TcpExtTCPMTUPFail), and only it is resent, with no
 *    congestion response. The search ends when the two are closer than
 *    tcp_probe_threshold, and starts again after tcp_probe_interval.
 */
#include "core/stack_impl.h"
#include "net/ipv4.h"
#include "net/pmtu.h"
#include "wire/bytes.h"
#include "transport/sock.h"
#include "transport/tcp.h"

#define HDRS ((uint32_t)(TERN_IPV4_HLEN + TERN_TCP_HLEN))
#define TCP_RETRIES1 3 /* Linux's tcp_retries1 */

static uint32_t route_mtu(struct tern_stack *s, const struct tern_tcb *tp)
{
	struct tern_route_result rt;
	if (tern_ipv4_route(s, tp->t.raddr, 0, &rt) < 0)
		return 0;
	int m = tern_stack_iface_mtu(s, rt.ifindex);
	return m > 0 ? (uint32_t)m : 0;
}

/* The payload of a segment that fills an MTU of mtu (Linux's
 * tcp_mtu_to_mss: the options every segment takes come off too). */
static uint32_t mtu_to_payload(const struct tern_tcb *tp, uint32_t mtu)
{
	uint32_t opt = (tp->flags & TF_RCVD_TSTMP) ? 12u : 0u;
	return mtu > HDRS + opt + 48 ? mtu - HDRS - opt : 48;
}

/* t_maxseg from what is known; cwnd and ssthresh scaled to keep their
 * size in segments. */
static void set_mss(struct tcp_mtu_state *m, struct tern_tcb *tp)
{
	uint32_t mss = m->mss_clamp;
	if (m->pmtu && m->pmtu - HDRS < mss)
		mss = m->pmtu - HDRS;
	if (m->enabled && m->search_low - HDRS < mss)
		mss = m->search_low - HDRS;
	if (mss < 48)
		mss = 48;
	if (mss == tp->t_maxseg)
		return;
	uint32_t old = tp->t_maxseg ? tcp_mss(tp) : 0;
	tp->t_maxseg = (uint16_t)mss;
	uint32_t now_mss = tcp_mss(tp);
	if (old && tp->snd_cwnd) {
		uint32_t segs = tp->snd_cwnd / old;
		tp->snd_cwnd = (segs ? segs : 1) * now_mss;
		if (tp->snd_ssthresh != UINT32_MAX)
			tp->snd_ssthresh = (uint32_t)((uint64_t)tp->snd_ssthresh / old * now_mss);
	}
}

void tcp_mtu_init(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	struct tcp_mtu_state *m = &tp->mtu;
	m->mss_clamp = tp->t_maxseg;
	m->route_mtu = (uint16_t)route_mtu(s, tp);
	uint32_t p = tern_pmtu_get(s, tp->t.raddr, now);
	m->pmtu = p && p < m->route_mtu ? (uint16_t)p : m->route_mtu;
	/* Linux's tcp_mtup_init */
	m->search_high = (uint16_t)(m->mss_clamp + HDRS);
	m->search_low = (uint16_t)(s->cfg->tcp_base_mss + HDRS);
	m->enabled = s->cfg->tcp_mtu_probing > 1;
	m->probe = 0;
	m->stamp = now;
	tp->t_maxseg = 0;
	set_mss(m, tp);
}

static void probe_done(struct tern_stack *s, struct tcp_mtu_state *m, bool ok)
{
	if (ok)
		m->search_low = m->probe;
	else
		m->search_high = (uint16_t)(m->probe - 1);
	tern_stat_inc(s, ok ? TERN_STAT_TCP_MTUP_SUCCESS : TERN_STAT_TCP_MTUP_FAIL);
	m->probe = 0;
}

void tcp_mtu_sync(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	struct tcp_mtu_state *m = &tp->mtu;
	if (!m->mss_clamp)
		return; /* not synchronized yet */
	if (m->probe && seq_geq(tp->snd_una, m->probe_end))
		probe_done(s, m, true);
	uint32_t p = tern_pmtu_get(s, tp->t.raddr, now);
	uint16_t pmtu = p && p < m->route_mtu ? (uint16_t)p : m->route_mtu;
	if (pmtu != m->pmtu) {
		m->pmtu = pmtu;
		if (m->search_high > pmtu)
			m->search_high = pmtu;
	}
	set_mss(m, tp);
}

uint8_t tcp_mtu_ip_mode(const struct tern_stack *s, const struct tern_tcb *tp)
{
	uint8_t mode = tern_sock_pmtudisc(s->cfg, tp->so, true);
	/* A segment never exceeds the MSS the path MTU gave: WANT's DF. */
	return mode == TERN_IP_PMTU_WANT ? TERN_IP_PMTU_DO : mode;
}

void tcp_mtu_icmp(struct tern_stack *s, struct tern_tcb *tp, const struct tern_icmp_msg *msg,
		  tern_time_t now)
{
	struct tcp_mtu_state *m = &tp->mtu;
	uint32_t learnt = tern_pmtu_learn(s, tp->t.raddr, msg->mtu, rd16(msg->data + 2), now);
	if (!learnt || !m->mss_clamp)
		return;
	uint16_t old = tp->t_maxseg;
	m->probe = 0; /* a probe too big for the path: the search is bounded below it now */
	tcp_mtu_sync(s, tp, now);
	if (tp->t_maxseg >= old)
		return;
	tern_stat_inc(s, TERN_STAT_TCP_MTU_REDUCED);
	/* RFC 1191 §6.5 and Linux's tcp_simple_retransmit: what was sent
	 * larger is gone; send it again now in the new size, with no
	 * congestion response (cwnd kept in segments above). */
	tp->flags &= ~(uint32_t)TF_RTT_TIMING;
	tp->snd_nxt = tp->snd_una;
	tcp_output(s, tp, now);
}

void tcp_mtu_rto(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	struct tcp_mtu_state *m = &tp->mtu;
	if (m->probe)
		probe_done(s, m, false);
	if (!s->cfg->tcp_mtu_probing || !m->mss_clamp || tp->rxtshift <= TCP_RETRIES1)
		return;
	/* Linux's tcp_mtu_probing */
	if (!m->enabled) {
		m->enabled = true;
		m->stamp = now;
	} else {
		uint32_t mss = (uint32_t)(m->search_low - HDRS) >> 1;
		if (mss > s->cfg->tcp_base_mss)
			mss = s->cfg->tcp_base_mss;
		if (mss < s->cfg->tcp_mtu_probe_floor)
			mss = s->cfg->tcp_mtu_probe_floor;
		m->search_low = (uint16_t)(mss + HDRS);
	}
	tern_stat_inc(s, TERN_STAT_TCP_MTU_BLACKHOLE);
	set_mss(m, tp);
}

uint32_t tcp_mtu_probe_len(struct tern_stack *s, struct tern_tcb *tp, size_t off, size_t avail,
			   uint32_t wnd, tern_time_t now)
{
	struct tcp_mtu_state *m = &tp->mtu;
	if (!m->enabled || m->probe || (tp->flags & TF_FASTRECOV) || tp->ca_state != TCP_CA_OPEN ||
	    tp->rxtshift ||
	    tp->snd_una + off != tp->snd_max || tp->sack_count || tp->dsack)
		return 0;
	uint32_t mss = tcp_mss(tp);
	if (tp->snd_cwnd < 11 * mss)
		return 0;
	uint32_t mid = (m->search_low + m->search_high) / 2u;
	uint32_t len = mtu_to_payload(tp, mid);
	if (len > mtu_to_payload(tp, m->search_high) ||
	    (uint32_t)(m->search_high - m->search_low) < s->cfg->tcp_probe_threshold) {
		/* Linux's tcp_mtu_check_reprobe: the search is over; it
		 * starts again after tcp_probe_interval. */
		if (now - m->stamp >= s->cfg->tcp_probe_interval) {
			m->search_high = (uint16_t)(m->mss_clamp + HDRS < m->pmtu ? m->mss_clamp + HDRS
										 : m->pmtu);
			m->search_low = (uint16_t)(tp->t_maxseg + HDRS);
			m->stamp = now;
		}
		return 0;
	}
	if (len <= mss)
		return 0;
	/* Linux's size_needed: the probe and enough queued behind it for
	 * three duplicate ACKs to tell of its loss, within the peer's
	 * window; and room in cwnd for two segments more. */
	uint32_t needed = len + 4 * mss;
	(void)wnd;
	if (avail - off < needed || off + needed > tp->snd_wnd || off + 2 * mss > tp->snd_cwnd)
		return 0;
	m->probe = (uint16_t)mid;
	m->probe_seq = tp->snd_max;
	m->probe_end = tp->snd_max + len;
	return len;
}

void tcp_mtu_rexmit(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint32_t len)
{
	struct tcp_mtu_state *m = &tp->mtu;
	/* SACK recovery, RACK or a tail loss probe resends part of the
	 * probe: it was lost as far as we know (Linux's
	 * tcp_mtup_probe_failed), and its later ACK proves nothing. */
	if (m->probe && seq_lt(seq, m->probe_end) && seq_gt(seq + len, m->probe_seq))
		probe_done(s, m, false);
}

bool tcp_mtu_probe_lost(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	struct tcp_mtu_state *m = &tp->mtu;
	if (!m->probe || tp->snd_una != m->probe_seq)
		return false;
	uint32_t len = m->probe_end - m->probe_seq;
	probe_done(s, m, false);
	/* Only the probe again, in ordinary segments, and no congestion
	 * response (Linux's tcp_simple_retransmit after
	 * tcp_mtup_probe_failed). */
	tcp_seq next = tp->snd_nxt;
	uint32_t cwnd = tp->snd_cwnd;
	tp->flags &= ~(uint32_t)TF_RTT_TIMING;
	tp->snd_nxt = tp->snd_una;
	tp->snd_cwnd = len;
	tcp_output(s, tp, now);
	tp->snd_cwnd = cwnd;
	tp->snd_nxt = seq_max(next, tp->snd_nxt);
	return true;
}
