/*
 * tests/unit/test_tcp_trace.c — the per-connection trace hook
 * (tern_tcp_set_trace, tern/tcp.h): the exact events of a short exchange
 * with one retransmission, the stack-wide hook, and no event once unset.
 */
#include "harness.h"
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define MAX_EV 64

static uint8_t payload[128];

struct log {
	struct tern_tcp_trace_event ev[MAX_EV];
	unsigned n;
};

static void record(void *ctx, struct tern_stack *s, const struct tern_tcp_trace_event *ev)
{
	(void)s;
	struct log *l = ctx;
	if (l->n < MAX_EV)
		l->ev[l->n] = *ev;
	l->n++;
}

/* One expected event: the kind and the fields that kind is about. */
struct want {
	enum tern_tcp_trace_kind kind;
	tern_time_t time;
	uint32_t a, b; /* SEND/RETRANSMIT: seq, len; ACK_RCVD: ack, window; STATE: state;
			* CWND: cwnd; SSTHRESH: ssthresh; SRTT: srtt µs, rttvar µs; UNDO: undo;
			* CA_STATE: ca_state; FASTOPEN: fastopen, len */
};

static void check_log(const struct log *l, const struct want *w, unsigned n)
{
	CHECK_EQ(l->n, n);
	for (unsigned i = 0; i < n && i < l->n; i++) {
		const struct tern_tcp_trace_event *e = &l->ev[i];
		uint32_t a = 0, b = 0;
		switch (e->kind) {
		case TERN_TCP_TRACE_SEND:
		case TERN_TCP_TRACE_RETRANSMIT: a = e->seq; b = e->len; break;
		case TERN_TCP_TRACE_ACK_RCVD: a = e->ack; b = e->window; break;
		case TERN_TCP_TRACE_STATE: a = e->state; break;
		case TERN_TCP_TRACE_MSS: a = e->len; break;
		case TERN_TCP_TRACE_UNDO: a = e->undo; break;
		case TERN_TCP_TRACE_CA_STATE: a = e->ca_state; break;
		case TERN_TCP_TRACE_FASTOPEN: a = e->fastopen; b = e->len; break;
		case TERN_TCP_TRACE_CWND: a = e->cwnd; break;
		case TERN_TCP_TRACE_SSTHRESH: a = e->ssthresh; break;
		case TERN_TCP_TRACE_SRTT:
			a = (uint32_t)(e->srtt / TERN_USEC(1));
			b = (uint32_t)(e->rttvar / TERN_USEC(1));
			break;
		}
		if (e->kind != w[i].kind || e->time != w[i].time || a != w[i].a || b != w[i].b)
			TEST_FAIL_("event %u: %s at %lld ns (%u, %u), want %s at %lld ns (%u, %u)", i,
				   tern_tcp_trace_kind_name(e->kind), (long long)e->time, a, b,
				   tern_tcp_trace_kind_name(w[i].kind), (long long)w[i].time, w[i].a,
				   w[i].b);
	}
}

/* A listener's trace follows the connections it accepts: the handshake,
 * 100 bytes sent at 100 ms and lost, resent by the RTO at 310 ms (RTT 10
 * ms from the handshake: RTO 10 + 200 ms), then acknowledged at 320 ms.
 * The RTO halves ssthresh to 2·SMSS and cwnd to one segment (RFC 5681
 * §3.1); the ACK grows cwnd by the 100 bytes (slow start). */
TEST(trace__handshake_send_rto_ack__exact_events)
{
	fx_pattern(payload, 100, 3);
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	struct log l = {0};
	struct tern_stack *s = t.fx.s;
	REQUIRE_EQ(tern_tcp_set_trace(s, t.lsd, record, &l), 0);
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	IN(&t, T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	struct tern_sockaddr_in peer;
	t.sd = tern_accept(s, t.lsd, &peer);
	REQUIRE(t.sd >= 0);
	SEND(&t, T_MS(100), payload, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(310), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	IN(&t, T_MS(320), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	expect_no_seg(&t, T_SEC(1));
	const uint32_t mss = T_PEER_MSS, win = T_PEER_WIN << 7;
	const struct want w[] = {
		{TERN_TCP_TRACE_STATE, T_MS(10), 3, 0},            /* SYN-RECV */
		{TERN_TCP_TRACE_CWND, T_MS(10), 10 * mss, 0},      /* IW10 (RFC 6928) */
		{TERN_TCP_TRACE_SEND, T_MS(10), t.iss, 0},         /* the SYN-ACK */
		{TERN_TCP_TRACE_STATE, T_MS(20), 1, 0},            /* ESTABLISHED */
		{TERN_TCP_TRACE_ACK_RCVD, T_MS(20), t.iss + 1, win},
		{TERN_TCP_TRACE_SRTT, T_MS(20), 10000, 5000},      /* first sample: R, R/2 */
		{TERN_TCP_TRACE_SEND, T_MS(100), t.iss + 1, 100},
		{TERN_TCP_TRACE_SSTHRESH, T_MS(310), 2 * mss, 0},
		{TERN_TCP_TRACE_CWND, T_MS(310), mss, 0},
		{TERN_TCP_TRACE_CA_STATE, T_MS(310), 4, 0},        /* Loss */
		{TERN_TCP_TRACE_RETRANSMIT, T_MS(310), t.iss + 1, 100},
		{TERN_TCP_TRACE_ACK_RCVD, T_MS(320), t.iss + 101, win},
		{TERN_TCP_TRACE_CWND, T_MS(320), mss + 100, 0},
		{TERN_TCP_TRACE_CA_STATE, T_MS(320), 0, 0},        /* Open again */
	};
	check_log(&l, w, sizeof(w) / sizeof(w[0]));
	/* Every event names the connection. */
	for (unsigned i = 0; i < l.n && i < MAX_EV; i++) {
		CHECK_EQ(l.ev[i].local.port, T_PORT_US);
		CHECK_EQ(l.ev[i].peer.port, t.pport);
		CHECK_EQ(l.ev[i].peer.addr, FX_IP_PEER);
	}
	CHECK_EQ(l.ev[2].flags, TERN_TCP_SYN | TERN_TCP_ACK);
	CHECK_EQ(l.ev[2].sd, -1);      /* not yet accepted */
	CHECK_EQ(l.ev[6].sd, t.sd);
	CHECK_EQ(l.ev[10].snd_una, t.iss + 1);
	CHECK_EQ(l.ev[12].snd_una, t.iss + 101);
	/* Unset: nothing more, though the connection goes on and closes. */
	REQUIRE_EQ(tern_tcp_set_trace(s, t.sd, NULL, NULL), 0);
	REQUIRE_EQ(tern_tcp_set_trace(s, t.lsd, NULL, NULL), 0);
	unsigned n = l.n;
	tcp_fx_finish(&t);
	CHECK_EQ(l.n, n);
}

/* The stack-wide trace sees a connection opened after it was set, an
 * orphan finishing its FIN exchange, and its end: FIN-WAIT-1 after the
 * close, FIN-WAIT-2, TIME-WAIT, CLOSED when 2·MSL is over. */
TEST(trace__stack_wide__orphan_to_closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	struct log l = {0};
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, record, &l), 0);
	/* tcp_fx_active_established starts the fixture itself: redo it by hand. */
	struct tern_stack *s = t.fx.s;
	at_time(&t, T_MS(10));
	t.sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	REQUIRE_EQ(tern_connect(s, t.sd, &dst), TERN_EINPROGRESS);
	REQUIRE(l.n >= 2);
	CHECK_EQ(l.ev[0].kind, TERN_TCP_TRACE_STATE);
	CHECK_EQ(l.ev[0].state, 2); /* SYN-SENT */
	CHECK_EQ(l.ev[1].kind, TERN_TCP_TRACE_SEND);
	CHECK_EQ(l.ev[1].flags, TERN_TCP_SYN);
	CHECK_EQ(l.ev[1].sd, t.sd);
	t.lport = l.ev[1].local.port;
	t.pport = T_PEER_LISTEN_PORT;
	t.iss = l.ev[1].seq;
	t.us = t.iss + 1;
	t.peer = t.irs + 1;
	struct fx_pkt p;
	struct tern_tcp_repr th;
	REQUIRE(tcp_pop_(&t, T_MS(10), &p, &th, __FILE__, __LINE__));
	fx_pkt_free(&p);
	struct seg synack = peer_syn(&t, false, T_MS(20));
	synack.flags |= ACK;
	synack.ack = t.us;
	inject_seg(&t, T_MS(20), &synack);
	OUT(&t, T_MS(20), .seq = t.us, .ack = t.peer, .flags = ACK);
	tern_close(s, t.sd);
	t.sd = -1;
	OUT(&t, T_MS(20), .seq = t.us, .ack = t.peer, .flags = ACK | TERN_TCP_FIN);
	IN(&t, T_MS(30), .seq = t.peer, .ack = t.us + 1, .flags = ACK | TERN_TCP_FIN);
	OUT(&t, T_MS(30), .seq = t.us + 1, .ack = t.peer + 1, .flags = ACK);
	fx_advance(&t.fx, T_SEC(61));
	uint8_t states[8];
	unsigned ns = 0;
	for (unsigned i = 0; i < l.n && i < MAX_EV; i++)
		if (l.ev[i].kind == TERN_TCP_TRACE_STATE && ns < 8)
			states[ns++] = l.ev[i].state;
	/* SYN-SENT, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, CLOSE */
	static const uint8_t want[] = {2, 1, 4, 5, 6, 7};
	CHECK_EQ(ns, sizeof(want));
	for (unsigned i = 0; i < ns && i < sizeof(want); i++)
		CHECK_EQ(states[i], want[i]);
	/* After the close: no socket. */
	CHECK_EQ(l.ev[l.n - 1].sd, -1);
	CHECK_EQ(l.ev[l.n - 1].kind, TERN_TCP_TRACE_STATE);
	REQUIRE_EQ(tern_tcp_set_trace(s, -1, NULL, NULL), 0);
	tcp_fx_finish(&t);
}

TEST(trace__format_line)
{
	struct tern_tcp_trace_event ev = {
		.time = TERN_MSEC(1500), .kind = TERN_TCP_TRACE_RETRANSMIT, .sd = 3,
		.local = {TERN_IP4(10, 0, 0, 1), 80}, .peer = {TERN_IP4(10, 0, 0, 2), 40000},
		.state = 1, .flags = TERN_TCP_ACK | TERN_TCP_PSH, .seq = 1001, .len = 100, .ack = 7,
		.window = 64256, .cwnd = 1460, .ssthresh = UINT32_MAX, .srtt = TERN_USEC(10500),
		.rttvar = TERN_USEC(5250), .snd_una = 1001, .snd_nxt = 1101, .rcv_nxt = 7,
		.ca_state = 3,
	};
	char line[256];
	tern_tcp_trace_format(&ev, line, sizeof(line));
	CHECK_STR(line, "1.500000 RETRANSMIT 10.0.0.1:80 10.0.0.2:40000 1 PA 1001 100 7 64256 1460 -1 "
			"10.500 5.250 1001 1101 7 3");
	/* as many words as the columns named */
	unsigned words = 0, cols = 0;
	for (const char *p = line; *p; p++)
		words += *p == ' ';
	for (const char *p = TERN_TCP_TRACE_COLUMNS; *p; p++)
		cols += *p == ' ';
	CHECK_EQ(words, cols);
}

TEST(trace__bad_socket)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	struct tern_stack *s = t.fx.s;
	CHECK_EQ(tern_tcp_set_trace(s, 7, record, NULL), TERN_EBADF);
	int u = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	CHECK_EQ(tern_tcp_set_trace(s, u, record, NULL), TERN_EINVAL);
	tcp_fx_finish(&t);
}

TEST_MAIN()
