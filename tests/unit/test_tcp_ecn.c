/*
 * tests/unit/test_tcp_ecn.c — ECN in TCP (RFC 3168 §6.1), segment by
 * segment with explicit time: negotiation each way (tcp_ecn 1 asks, 2
 * only accepts, 0 neither) and each fallback (a peer without ECN, a
 * SYN-ACK with ECE and CWR both, an ECT SYN, a retransmitted SYN), SYN
 * cookies (ECN in the timestamp), ECT(0) on new data only, ECE on every
 * ACK from a CE until a CWR, and the
 * sender's reduction once per window with CWR on its next new data, also
 * when a loss falls in the same window (either order).
 */
#include "tcp_fixture.h"
#include "transport/tcp_cc.h"

#define ACK TERN_TCP_ACK
#define SYN TERN_TCP_SYN
#define ECE TERN_TCP_ECE
#define CWR TERN_TCP_CWR
#define NOT_ECT TERN_IP_ECN_NOT_ECT
#define ECT0 TERN_IP_ECN_ECT0
#define CE TERN_IP_ECN_CE
#define MSS 1460u

static uint8_t payload[64 * 1460];

/* sg from the peer with the IP ECN field set to ecn. */
static void inject_ecn(struct tfx *t, tern_time_t now, const struct seg *sg, uint8_t ecn)
{
	uint8_t *f = malloc(FX_FRAME_MAX);
	if (!f)
		abort();
	size_t n = fxb_tcp(t, f, now, sg);
	uint8_t *ip = f + TERN_ETH_HLEN;
	ip[1] = (uint8_t)((ip[1] & ~TERN_IP_ECN_MASK) | ecn);
	wr16(ip + 10, 0);
	wr16(ip + 10, tern_csum(ip, TERN_IPV4_HLEN));
	fx_inject(&t->fx, 0, now, f, n);
	free(f);
}
#define IN_ECN(t, now, ecn, ...) inject_ecn((t), (now), &SEG(__VA_ARGS__), (ecn))

/* What we sent at exactly `at`: flags, the IP ECN field, seq, length. */
struct out {
	uint8_t flags, ecn;
	uint32_t seq, ack;
	size_t len;
};
static bool pop_out_(struct tfx *t, tern_time_t at, struct out *o, const char *file, int line)
{
	struct fx_pkt p;
	struct tern_tcp_repr th;
	if (!tcp_pop_(t, at, &p, &th, file, line))
		return false;
	*o = (struct out){.flags = th.flags, .ecn = p.ip.tos & TERN_IP_ECN_MASK, .seq = th.seq,
			  .ack = th.ack, .len = th.payload_len};
	fx_pkt_free(&p);
	return true;
}
#define POP(t, at, o)                                              \
	do {                                                       \
		if (!pop_out_((t), (at), (o), __FILE__, __LINE__)) \
			return;                                    \
	} while (0)
/* flags without PSH (it marks the end of a write, not ECN's business) */
#define FLAGS(o) ((o).flags & (uint8_t)~TERN_TCP_PSH)

static struct tern_tcp_info info(struct tfx *t)
{
	struct tern_tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	size_t len = sizeof(ti);
	if (tern_getsockopt(t->fx.s, t->sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len) != 0)
		abort();
	return ti;
}

/* We connect at 10 ms (our SYN's flags and ECN field into *syn); the
 * peer's SYN-ACK at 20 ms carries ACK | synack_flags; our ACK at once. */
static bool active_open(struct tfx *t, struct out *syn, uint8_t synack_flags)
{
	tcp_fx_start(t);
	struct tern_stack *s = t->fx.s;
	at_time(t, T_MS(10));
	t->sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	if (t->sd < 0 || tern_connect(s, t->sd, &dst) != TERN_EINPROGRESS)
		return false;
	struct fx_pkt p;
	struct tern_tcp_repr th;
	if (!tcp_pop_(t, T_MS(10), &p, &th, __FILE__, __LINE__))
		return false;
	*syn = (struct out){.flags = th.flags, .ecn = p.ip.tos & TERN_IP_ECN_MASK, .seq = th.seq};
	fx_pkt_free(&p);
	t->lport = th.sport;
	t->pport = T_PEER_LISTEN_PORT;
	t->iss = th.seq;
	t->us = t->iss + 1;
	t->peer = t->irs + 1;
	struct seg synack = peer_syn(t, false, T_MS(20));
	synack.flags |= ACK | synack_flags;
	synack.ack = t->us;
	inject_seg(t, T_MS(20), &synack);
	struct out a;
	if (!pop_out_(t, T_MS(20), &a, __FILE__, __LINE__))
		return false;
	return a.flags == ACK && a.ecn == NOT_ECT && tfx_state(t) == TCPS_ESTABLISHED &&
	       t->fx.nframes == 0;
}

/* A listener; the peer's SYN at 10 ms with syn_flags and IP ECN field
 * syn_ecn; our SYN-ACK into *synack; the peer's ACK at 20 ms; accepted. */
static bool passive_open(struct tfx *t, uint8_t syn_flags, uint8_t syn_ecn, struct out *synack)
{
	if (!tcp_fx_listen(t))
		return false;
	struct seg syn = peer_syn(t, false, T_MS(10));
	syn.flags |= syn_flags;
	inject_ecn(t, T_MS(10), &syn, syn_ecn);
	if (!pop_out_(t, T_MS(10), synack, __FILE__, __LINE__))
		return false;
	t->iss = synack->seq;
	t->us = t->iss + 1;
	t->peer = t->irs + 1;
	IN(t, T_MS(20), .seq = t->peer, .ack = t->us, .flags = ACK);
	struct tern_sockaddr_in peer;
	t->sd = tern_accept(t->fx.s, t->lsd, &peer);
	return t->sd >= 0 && tfx_state(t) == TCPS_ESTABLISHED && t->fx.nframes == 0;
}

/* ---- negotiation ---- */

TEST(ecn_active__asks_with_ece_cwr_and_peer_agrees)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_ecn = 1;
	struct out syn;
	REQUIRE(active_open(&t, &syn, ECE));
	/* RFC 3168 §6.1.1: an ECN-setup SYN has ECE and CWR, and is not ECT. */
	CHECK_EQ(syn.flags, SYN | ECE | CWR);
	CHECK_EQ(syn.ecn, NOT_ECT);
	struct tern_tcp_info ti = info(&t);
	CHECK(ti.tcpi_options & 8); /* TCPI_OPT_ECN */
	CHECK(!(ti.tcpi_options & 16));
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_negotiated"), 1);
	/* New data is ECT(0), with no ECN flag of its own. */
	SEND(&t, T_MS(100), payload, 100);
	struct out o;
	POP(&t, T_MS(100), &o);
	CHECK_EQ(FLAGS(o), ACK);
	CHECK_EQ(o.ecn, ECT0);
	CHECK_EQ(o.len, 100);
	tcp_fx_finish(&t);
}

TEST(ecn_active__default_2_does_not_ask)
{
	struct tfx t;
	tcp_fx_config(&t);
	CHECK_EQ(t.fx.cfg.tcp_ecn, 2); /* Linux's default */
	struct out syn;
	REQUIRE(active_open(&t, &syn, 0));
	CHECK_EQ(syn.flags, SYN);
	SEND(&t, T_MS(100), payload, 100);
	struct out o;
	POP(&t, T_MS(100), &o);
	CHECK_EQ(o.ecn, NOT_ECT);
	CHECK(!(info(&t).tcpi_options & 8));
	tcp_fx_finish(&t);
}

TEST(ecn_active__peer_without_ecn_gets_none)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_ecn = 1;
	struct out syn;
	REQUIRE(active_open(&t, &syn, 0)); /* a SYN-ACK without ECE */
	CHECK_EQ(syn.flags, SYN | ECE | CWR);
	CHECK(!(info(&t).tcpi_options & 8));
	SEND(&t, T_MS(100), payload, 100);
	struct out o;
	POP(&t, T_MS(100), &o);
	CHECK_EQ(o.ecn, NOT_ECT);
	/* An ECE on a later ACK means nothing without ECN. */
	IN(&t, T_MS(150), .seq = t.peer, .ack = t.us + 100, .flags = ACK | ECE);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_negotiated"), 0);
	tcp_fx_finish(&t);
}

TEST(ecn_active__synack_with_ece_and_cwr_is_not_ecn)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_ecn = 1;
	struct out syn;
	/* §6.1.1: a middlebox that reflects the SYN's flags. */
	REQUIRE(active_open(&t, &syn, ECE | CWR));
	CHECK(!(info(&t).tcpi_options & 8));
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_setup_refused"), 1);
	SEND(&t, T_MS(100), payload, 100);
	struct out o;
	POP(&t, T_MS(100), &o);
	CHECK_EQ(o.ecn, NOT_ECT);
	tcp_fx_finish(&t);
}

TEST(ecn_active__retransmitted_syn_falls_back)
{
	for (int fallback = 0; fallback <= 1; fallback++) {
		struct tfx t;
		tcp_fx_config(&t);
		t.fx.cfg.tcp_ecn = 1;
		t.fx.cfg.tcp_ecn_fallback = fallback;
		tcp_fx_start(&t);
		at_time(&t, T_MS(10));
		t.sd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
		REQUIRE_EQ(tern_connect(t.fx.s, t.sd, &dst), TERN_EINPROGRESS);
		struct out o;
		POP(&t, T_MS(10), &o);
		CHECK_EQ(o.flags, SYN | ECE | CWR);
		/* RFC 3168 §6.1.1.1: after the timeout (1 s), a SYN without
		 * ECN's flags, as Linux with tcp_ecn_fallback = 1. */
		POP(&t, T_MS(1010), &o);
		CHECK_EQ(o.flags, fallback ? SYN : SYN | ECE | CWR);
		CHECK_EQ(o.ecn, NOT_ECT);
		tcp_fx_finish(&t);
	}
}

TEST(ecn_passive__accepts_by_default_and_answers_ece_alone)
{
	struct tfx t;
	tcp_fx_config(&t);
	struct out sa_;
	REQUIRE(passive_open(&t, ECE | CWR, NOT_ECT, &sa_));
	CHECK_EQ(sa_.flags, SYN | ACK | ECE); /* §6.1.1: ECE, not CWR */
	CHECK_EQ(sa_.ecn, NOT_ECT);
	CHECK(info(&t).tcpi_options & 8);
	tcp_fx_finish(&t);
}

TEST(ecn_passive__off_or_not_asked_or_ect_syn_gets_none)
{
	struct {
		unsigned sysctl;
		uint8_t flags, ecn;
	} cases[] = {
		{0, ECE | CWR, NOT_ECT}, /* tcp_ecn = 0 */
		{2, 0, NOT_ECT},         /* the peer does not ask */
		{2, ECE, NOT_ECT},       /* half the flags is no ECN-setup SYN */
		{2, ECE | CWR, ECT0},    /* a SYN is never ECT: refused, as Linux */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tfx t;
		tcp_fx_config(&t);
		t.fx.cfg.tcp_ecn = cases[i].sysctl;
		struct out sa_;
		REQUIRE(passive_open(&t, cases[i].flags, cases[i].ecn, &sa_));
		CHECK_EQ(sa_.flags, SYN | ACK);
		CHECK(!(info(&t).tcpi_options & 8));
		SEND(&t, T_MS(100), payload, 100);
		struct out o;
		POP(&t, T_MS(100), &o);
		CHECK_EQ(o.ecn, NOT_ECT);
		tcp_fx_finish(&t);
	}
}

/* ---- ECT on new data only ---- */

/* Under SYN cookies (tcp_syncookies = 2: for every SYN) ECN survives in
 * the timestamps: the SYN-ACK says ECE with an odd TSval, and the
 * connection the final ACK makes from the cookie sends ECT(0) data.
 * Without timestamps there is no room for it: no ECE, no ECN. */
static void cookie_open(struct tfx *t, bool ts, struct out *synack)
{
	struct seg syn = peer_syn(t, ts, T_MS(10));
	syn.flags |= ECE | CWR;
	inject_ecn(t, T_MS(10), &syn, NOT_ECT);
	struct fx_pkt p;
	struct tern_tcp_repr th;
	if (!tcp_pop_(t, T_MS(10), &p, &th, __FILE__, __LINE__))
		return;
	fx_pkt_free(&p);
	*synack = (struct out){.flags = th.flags, .seq = th.seq, .ack = th.has_ts ? th.tsval : 0};
	t->iss = th.seq;
	t->us = t->iss + 1;
	t->peer = t->irs + 1;
	inject_seg(t, T_MS(20), &SEG(.seq = t->peer, .ack = t->us, .flags = ACK, .ts = ts,
				     .tsval = peer_tsval(t, T_MS(20)), .tsecr = th.tsval, .no_ts = !ts));
	t->sd = tern_accept(t->fx.s, t->lsd, NULL);
	if (t->sd >= 0 && ts) {
		t->ts = true;
		t->ts_off = tfx_tcb(t)->ts_offset; /* the connection's, not the cookie's */
	}
}

TEST(ecn_passive__syn_cookies_carry_ecn_in_the_timestamp)
{
	for (int ts = 1; ts >= 0; ts--) {
		struct tfx t;
		tcp_fx_config(&t);
		REQUIRE(tcp_fx_listen(&t));
		REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_syncookies", "2") == 0);
		struct out synack = {0}, o;
		cookie_open(&t, ts, &synack);
		REQUIRE(t.sd >= 0);
		CHECK_EQ(fx_stat(&t.fx, "tcp.syncookies_recv"), 1);
		CHECK_EQ(FLAGS(synack), SYN | ACK | (ts ? ECE : 0));
		CHECK_EQ(synack.ack & 1, (uint32_t)ts); /* (the TSval) */
		CHECK_EQ(!!(info(&t).tcpi_options & 8), ts); /* TCPI_OPT_ECN */
		SEND(&t, T_MS(30), payload, 100);
		POP(&t, T_MS(30), &o);
		CHECK_EQ(o.len, 100);
		CHECK_EQ(o.ecn, ts ? ECT0 : NOT_ECT);
		IN(&t, T_MS(40), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
		tcp_fx_finish(&t);
	}
}

TEST(ecn_ect__on_new_data_not_on_acks_or_retransmissions)
{
	struct tfx t;
	tcp_fx_config(&t);
	struct out sa_, o;
	REQUIRE(passive_open(&t, ECE | CWR, NOT_ECT, &sa_));
	SEND(&t, T_MS(100), payload, 1000);
	POP(&t, T_MS(100), &o);
	CHECK_EQ(o.ecn, ECT0);
	CHECK_EQ(o.len, 1000);
	/* The retransmission at the RTO (10 ms + 200 ms: the handshake's
	 * RTT and tcp_rto_min): Not-ECT (§6.1.5). */
	POP(&t, T_MS(310), &o);
	CHECK_EQ(o.len, 1000);
	CHECK_EQ(o.seq, t.us);
	CHECK_EQ(o.ecn, NOT_ECT);
	IN(&t, T_MS(320), .seq = t.peer, .ack = t.us + 1000, .flags = ACK);
	t.us += 1000;
	/* A pure ACK of the peer's data (two segments: at once): Not-ECT. */
	IN_ECN(&t, T_MS(400), ECT0, .seq = t.peer, .ack = t.us, .flags = ACK,
	       .data = payload, .len = MSS);
	IN_ECN(&t, T_MS(400), ECT0, .seq = t.peer + MSS, .ack = t.us, .flags = ACK,
	       .data = payload, .len = MSS);
	POP(&t, T_MS(400), &o);
	CHECK_EQ(o.flags, ACK);
	CHECK_EQ(o.len, 0);
	CHECK_EQ(o.ecn, NOT_ECT);
	t.peer += 2 * MSS;
	CHECK(info(&t).tcpi_options & 16); /* ECT seen: ss's ecnseen */
	CHECK_EQ(fx_stat(&t.fx, "ip.in_ect0_pkts"), 2);
	tcp_fx_finish(&t);
}

/* ---- the receiver: ECE until CWR ---- */

TEST(ecn_receiver__ece_on_every_ack_from_ce_until_cwr)
{
	struct tfx t;
	tcp_fx_config(&t);
	struct out sa_, o;
	REQUIRE(passive_open(&t, ECE | CWR, NOT_ECT, &sa_));
	/* One segment, CE: acknowledged at once (no delayed ACK), with ECE. */
	IN_ECN(&t, T_MS(100), CE, .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload,
	       .len = 100);
	POP(&t, T_MS(100), &o);
	CHECK_EQ(o.flags, ACK | ECE);
	CHECK_EQ(o.ack, t.peer + 100);
	t.peer += 100;
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_ce_received"), 1);
	CHECK_EQ(fx_stat(&t.fx, "ip.in_ce_pkts"), 1);
	/* Unmarked data after it: its (delayed) ACK still carries ECE. */
	IN_ECN(&t, T_MS(200), ECT0, .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload,
	       .len = 100);
	expect_no_seg(&t, T_MS(239));
	POP(&t, T_MS(240), &o);
	CHECK_EQ(o.flags, ACK | ECE);
	t.peer += 100;
	/* Our own data meanwhile: ECE on it too (every segment). */
	SEND(&t, T_MS(300), payload, 50);
	POP(&t, T_MS(300), &o);
	CHECK_EQ(FLAGS(o), ACK | ECE);
	CHECK_EQ(o.ecn, ECT0);
	IN(&t, T_MS(350), .seq = t.peer, .ack = t.us + 50, .flags = ACK);
	t.us += 50;
	/* The sender's CWR ends it; that segment is acknowledged at once. */
	IN_ECN(&t, T_MS(400), ECT0, .seq = t.peer, .ack = t.us, .flags = ACK | CWR,
	       .data = payload, .len = 100);
	POP(&t, T_MS(400), &o);
	CHECK_EQ(o.flags, ACK);
	t.peer += 100;
	IN_ECN(&t, T_MS(500), ECT0, .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload,
	       .len = 100);
	POP(&t, T_MS(540), &o);
	CHECK_EQ(o.flags, ACK);
	t.peer += 100;
	/* CE and CWR on one segment: the CWR is older news; ECE again. */
	IN_ECN(&t, T_MS(600), CE, .seq = t.peer, .ack = t.us, .flags = ACK | CWR,
	       .data = payload, .len = 100);
	POP(&t, T_MS(600), &o);
	CHECK_EQ(o.flags, ACK | ECE);
	t.peer += 100;
	tcp_fx_finish(&t);
}

/* ---- the sender: once per window, CWR, no growth meanwhile ---- */

TEST(ecn_sender__reduces_once_per_window_and_sets_cwr)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_ecn = 1;
	t.fx.cfg.tcp_congestion_control = "reno"; /* its halving: the numbers below */
	t.fx.cfg.tcp_early_retrans = 0; /* no tail loss probe (RFC 8985) in the quiet spells */
	struct out syn, o;
	REQUIRE(active_open(&t, &syn, ECE));
	uint32_t U = t.us;
	SEND(&t, T_MS(100), payload, 30 * MSS);
	/* The initial window: 10 segments, all ECT(0), none with CWR. */
	for (int i = 0; i < 10; i++) {
		POP(&t, T_MS(100), &o);
		CHECK_EQ(o.seq, U + (uint32_t)i * MSS);
		CHECK_EQ(o.ecn, ECT0);
		CHECK_EQ(FLAGS(o) & CWR, 0);
	}
	expect_no_seg(&t, T_MS(150));
	CHECK_EQ(info(&t).tcpi_snd_cwnd, 10);
	/* ECE on the first ACK: ssthresh = flight / 2 = 5 segments, cwnd as
	 * much, and nothing resent (13 segments' worth still in flight). */
	IN(&t, T_MS(150), .seq = t.peer, .ack = U + MSS, .flags = ACK | ECE);
	struct tern_tcp_info ti = info(&t);
	CHECK_EQ(ti.tcpi_snd_cwnd, 5);
	CHECK_EQ(ti.tcpi_snd_ssthresh, 5);
	CHECK_EQ(ti.tcpi_ca_state, 2); /* TCP_CA_CWR */
	CHECK_EQ(ti.tcpi_total_retrans, 0);
	CHECK_EQ(ti.tcpi_delivered_ce, 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_delivered_ce"), 1);
	expect_no_seg(&t, T_MS(160));
	/* More ECE in the same window: no second reduction, no growth. */
	IN(&t, T_MS(160), .seq = t.peer, .ack = U + 2 * MSS, .flags = ACK | ECE);
	CHECK_EQ(info(&t).tcpi_snd_cwnd, 5);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	expect_no_seg(&t, T_MS(165));
	/* Acked up to 6: 4 in flight, room for one: new data, with CWR. */
	IN(&t, T_MS(170), .seq = t.peer, .ack = U + 6 * MSS, .flags = ACK | ECE);
	POP(&t, T_MS(170), &o);
	CHECK_EQ(o.seq, U + 10 * MSS);
	CHECK_EQ(FLAGS(o), ACK | CWR);
	CHECK_EQ(o.ecn, ECT0);
	expect_no_seg(&t, T_MS(175));
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	/* Acked up to where the reduction began (10), still ECE: still the
	 * same window; four new segments go, without CWR. */
	IN(&t, T_MS(180), .seq = t.peer, .ack = U + 10 * MSS, .flags = ACK | ECE);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	for (int i = 0; i < 4; i++) {
		POP(&t, T_MS(180), &o);
		CHECK_EQ(o.seq, U + (uint32_t)(11 + i) * MSS);
		CHECK_EQ(FLAGS(o) & CWR, 0);
		CHECK_EQ(o.ecn, ECT0);
	}
	expect_no_seg(&t, T_MS(185));
	CHECK_EQ(info(&t).tcpi_ca_state, 2);
	/* Above it, without ECE: the reduction's window is over. */
	IN(&t, T_MS(190), .seq = t.peer, .ack = U + 11 * MSS, .flags = ACK);
	CHECK_EQ(info(&t).tcpi_ca_state, 0);
	/* Four in flight under a cwnd of five: the next segment. */
	POP(&t, T_MS(190), &o);
	CHECK_EQ(o.seq, U + 15 * MSS);
	expect_no_seg(&t, T_MS(195));
	/* A new ECE in the next window: the second reduction (flight 5
	 * segments: ssthresh and cwnd 2.5 segments), with CWR on the next
	 * new data. */
	IN(&t, T_MS(200), .seq = t.peer, .ack = U + 12 * MSS, .flags = ACK | ECE);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 2);
	ti = info(&t);
	CHECK_EQ(ti.tcpi_snd_cwnd, 2);
	CHECK_EQ(ti.tcpi_ca_state, 2);
	IN(&t, T_MS(210), .seq = t.peer, .ack = U + 15 * MSS, .flags = ACK);
	POP(&t, T_MS(210), &o);
	CHECK_EQ(o.seq, U + 16 * MSS);
	CHECK_EQ(FLAGS(o), ACK | CWR);
	CHECK_EQ(ti.tcpi_delivered_ce, 1 + 1 + 4 + 4 + 1);
	/* The rest acknowledged as it goes. */
	uint32_t acked = 15;
	for (tern_time_t now = T_MS(220); acked < 30; now += T_MS(10)) {
		fx_advance(&t.fx, now);
		fx_clear_tx(&t.fx);
		acked = (uint32_t)(tfx_tcb(&t)->snd_max - U) / MSS;
		IN(&t, now, .seq = t.peer, .ack = U + acked * MSS, .flags = ACK);
	}
	tcp_fx_finish(&t);
}

/* A retransmission timeout inside a reduction's window: the timeout's own
 * reduction (one segment) stands, slow start grows the window at once,
 * and ECE about the window the timeout answered does nothing (as Linux's
 * Loss state over CWR). */
TEST(ecn_sender__timeout_ends_the_reduction_and_ignores_its_window)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_ecn = 1;
	t.fx.cfg.tcp_congestion_control = "reno";
	t.fx.cfg.tcp_early_retrans = 0; /* no tail loss probe: the timeout itself */
	struct out syn, o;
	REQUIRE(active_open(&t, &syn, ECE));
	uint32_t U = t.us;
	SEND(&t, T_MS(100), payload, 10 * MSS);
	for (int i = 0; i < 10; i++)
		POP(&t, T_MS(100), &o);
	IN(&t, T_MS(110), .seq = t.peer, .ack = U + MSS, .flags = ACK | ECE);
	CHECK_EQ(info(&t).tcpi_snd_cwnd, 5);
	CHECK_EQ(info(&t).tcpi_ca_state, 2);
	/* Nothing more comes: the RTO (10 ms of RTT plus the 200 ms floor,
	 * from the last ACK) resends. */
	POP(&t, T_MS(320), &o);
	CHECK_EQ(o.seq, U + MSS);
	CHECK_EQ(o.ecn, NOT_ECT);
	CHECK_EQ(info(&t).tcpi_snd_cwnd, 1);
	/* Its ACK, still with ECE (the receiver saw no CWR yet): no new
	 * reduction, and cwnd grows (slow start) despite the old window. */
	IN(&t, T_MS(330), .seq = t.peer, .ack = U + 2 * MSS, .flags = ACK | ECE);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	CHECK_EQ(info(&t).tcpi_snd_cwnd, 2);
	POP(&t, T_MS(330), &o);
	CHECK_EQ(o.seq, U + 2 * MSS);
	POP(&t, T_MS(330), &o);
	CHECK_EQ(o.seq, U + 3 * MSS);
	for (tern_time_t now = T_MS(340); tfx_tcb(&t)->snd_una != tfx_tcb(&t)->snd_max;
	     now += T_MS(10)) {
		fx_advance(&t.fx, now);
		fx_clear_tx(&t.fx);
		IN(&t, now, .seq = t.peer, .ack = tfx_tcb(&t)->snd_max, .flags = ACK);
	}
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	tcp_fx_finish(&t);
}

/* With CUBIC (the default): the same once-per-window response through
 * its on_ecn, RFC 9438 §4.6's beta_cubic = 0.7 of the flight. */
TEST(ecn_sender__cubic_reduces_by_beta_once_per_window)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_ecn = 1;
	struct out syn, o;
	REQUIRE(active_open(&t, &syn, ECE));
	REQUIRE_EQ(strcmp(tfx_tcb(&t)->cc->name, "cubic"), 0);
	uint32_t U = t.us;
	SEND(&t, T_MS(100), payload, 20 * MSS);
	for (int i = 0; i < 10; i++)
		POP(&t, T_MS(100), &o);
	IN(&t, T_MS(110), .seq = t.peer, .ack = U + MSS, .flags = ACK | ECE);
	struct tern_tcp_info ti = info(&t);
	CHECK_EQ(ti.tcpi_snd_ssthresh, 7); /* 0.7 x 10 segments in flight */
	CHECK_EQ(ti.tcpi_snd_cwnd, 7);
	CHECK_EQ(ti.tcpi_ca_state, 2);
	IN(&t, T_MS(111), .seq = t.peer, .ack = U + 2 * MSS, .flags = ACK | ECE);
	CHECK_EQ(info(&t).tcpi_snd_cwnd, 7);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	/* 8 in flight under 7: nothing; two more acked: the next, with CWR. */
	expect_no_seg(&t, T_MS(112));
	IN(&t, T_MS(112), .seq = t.peer, .ack = U + 4 * MSS, .flags = ACK | ECE);
	POP(&t, T_MS(112), &o);
	CHECK_EQ(o.seq, U + 10 * MSS);
	CHECK_EQ(FLAGS(o), ACK | CWR);
	for (tern_time_t now = T_MS(120); tfx_tcb(&t)->snd_una != tfx_tcb(&t)->snd_max ||
					  tern_ring_len(&tfx_tcb(&t)->snd);
	     now += T_MS(10)) {
		fx_advance(&t.fx, now);
		fx_clear_tx(&t.fx);
		IN(&t, now, .seq = t.peer, .ack = tfx_tcb(&t)->snd_max, .flags = ACK);
	}
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	tcp_fx_finish(&t);
}

/* The peer acknowledges everything sent, every 10 ms from `now`, with ECE
 * until a segment with CWR reaches it (RFC 3168 §6.1.3), until all is
 * sent and acked. The number of segments with CWR seen. */
static unsigned ack_all(struct tfx *t, tern_time_t now, bool ece)
{
	unsigned cwrs = 0;
	for (; tfx_tcb(t)->snd_una != tfx_tcb(t)->snd_max || tern_ring_len(&tfx_tcb(t)->snd);
	     now += T_MS(10)) {
		fx_advance(&t->fx, now);
		fx_clear_tx(&t->fx);
		IN(t, now, .seq = t->peer, .ack = tfx_tcb(t)->snd_max, .flags = ACK | (ece ? ECE : 0));
		while (t->fx.nframes) {
			struct out o;
			if (!pop_out_(t, now, &o, __FILE__, __LINE__))
				return cwrs;
			if (o.flags & CWR) {
				cwrs++;
				ece = false;
			}
		}
	}
	return cwrs;
}

/* The peer's ACKs a[0..n), 1 ms apart from `now` (each acks U + una·MSS
 * with one SACK block [U + l·MSS, U + r·MSS)); true if the segment at
 * U + hole·MSS was resent among the replies; *cwr set if one had CWR. */
struct sack_ack {
	uint32_t una, l, r;
	bool ece;
};
static bool sack_acks(struct tfx *t, tern_time_t now, uint32_t U, const struct sack_ack *a,
		      unsigned n, uint32_t hole, bool *cwr)
{
	bool resent = false;
	for (unsigned i = 0; i < n; i++, now += T_MS(1)) {
		IN(t, now, .seq = t->peer, .ack = U + a[i].una * MSS,
		   .flags = ACK | (a[i].ece ? ECE : 0), .sack = {{U + a[i].l * MSS, U + a[i].r * MSS}});
		while (t->fx.nframes) {
			struct out o;
			if (!pop_out_(t, now, &o, __FILE__, __LINE__))
				return false;
			resent |= o.seq == U + hole * MSS;
			*cwr |= (o.flags & CWR) != 0;
		}
	}
	return resent;
}

/* ECN asked for and agreed, no tail loss probe, RFC 6675's three
 * segments (not RACK's timer) for a loss; 40 segments written at 100 ms,
 * the initial window's 10 sent. False if not so. */
static bool ten_sent(struct tfx *t, uint32_t *U)
{
	tcp_fx_config(t);
	t->fx.cfg.tcp_ecn = 1;
	t->fx.cfg.tcp_early_retrans = 0;
	t->fx.cfg.tcp_recovery = 0;
	struct out syn, o;
	if (!active_open(t, &syn, ECE))
		return false;
	*U = t->us;
	at_time(t, T_MS(100));
	if (tern_send(t->fx.s, t->sd, payload, 40 * MSS, 0) != (int)(40 * MSS))
		return false;
	for (int i = 0; i < 10; i++)
		if (!pop_out_(t, T_MS(100), &o, __FILE__, __LINE__))
			return false;
	return true;
}

/* A loss in the window an ECE already answered: SACK recovery resends the
 * hole but keeps ECN's reduction, "once per window" (§6.1.2; Linux's
 * tcp_enter_recovery from CWR keeps ssthresh). */
TEST(ecn_sender__loss_in_the_window_of_an_ece_reduces_once)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(ten_sent(&t, &U));
	IN(&t, T_MS(110), .seq = t.peer, .ack = U + MSS, .flags = ACK | ECE);
	CHECK_EQ(info(&t).tcpi_snd_ssthresh, 7); /* CUBIC: 0.7 x 10 */
	/* Segment 1 was lost: 2, 3, 4 arrive. */
	static const struct sack_ack a[] = {{1, 2, 3, true}, {1, 2, 4, true}, {1, 2, 5, true}};
	bool cwr = false;
	CHECK(sack_acks(&t, T_MS(111), U, a, 3, 1, &cwr));
	struct tern_tcp_info ti = info(&t);
	CHECK_EQ(ti.tcpi_ca_state, 3); /* TCP_CA_Recovery */
	CHECK_EQ(ti.tcpi_snd_ssthresh, 7);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_recovery"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	CHECK_EQ(ack_all(&t, T_MS(120), !cwr) + cwr, 1); /* one CWR, ECN's */
	CHECK_EQ(info(&t).tcpi_snd_ssthresh, 7);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 1);
	tcp_fx_finish(&t);
}

/* The other order: an ECE in the window a loss recovery already reduced
 * is answered by that reduction (§6.1.2; Linux's tcp_enter_cwr only from
 * Open or Disorder), and the recovery's first new data carries CWR (a
 * window reduced "for any reason"), so the echo stops and no second
 * reduction follows the recovery. */
TEST(ecn_sender__ece_in_the_window_of_a_loss_recovery_reduces_once)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(ten_sent(&t, &U));
	/* Segment 0 lost; 1, 2, 3 arrive; then 4 with CE. */
	static const struct sack_ack a[] = {
		{0, 1, 2, false}, {0, 1, 3, false}, {0, 1, 4, false}, {0, 1, 5, true}};
	bool cwr = false;
	CHECK(sack_acks(&t, T_MS(110), U, a, 4, 0, &cwr));
	struct tern_tcp_info ti = info(&t);
	CHECK_EQ(ti.tcpi_ca_state, 3);
	uint32_t ssthresh = ti.tcpi_snd_ssthresh; /* the recovery's (0.7 of the flight) */
	CHECK(ssthresh >= 7 && ssthresh <= 8);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 0);
	CHECK_EQ(ack_all(&t, T_MS(120), !cwr) + cwr, 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ecn_reductions"), 0);
	CHECK_EQ(info(&t).tcpi_snd_ssthresh, ssthresh);
	tcp_fx_finish(&t);
}

TEST_MAIN()
