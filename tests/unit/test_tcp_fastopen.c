/*
 * tests/unit/test_tcp_fastopen.c — TCP Fast Open, the server side (RFC
 * 7413 §4.1, §4.2, §5.1; Linux's tcp_fastopen bits), segment by segment:
 * a cookie request gets a cookie; a valid cookie with data makes a child
 * that is accepted, read and written before the handshake's last ACK; a
 * bad cookie gets only the SYN acknowledged and the right cookie; the
 * listener's queue limit falls back to ordinary handshakes.
 */
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define SYN TERN_TCP_SYN
#define RST TERN_TCP_RST
#define PSH TERN_TCP_PSH

#define REQ "GET / HTTP/1.0\r\n\r\n"
#define REQ_LEN 18

/* The cookie tern gives a peer at addr (it talks to 10.0.0.1), in out. */
static const uint8_t *cookie_for(struct tfx *t, tern_ip4_t addr, uint8_t out[TCP_FO_COOKIE_LEN])
{
	struct tcp_addr client = tcp_addr_ip4(addr), server = tcp_addr_ip4(FX_IP_US);
	tcp_fastopen_cookie(t->fx.s, &client, &server, out);
	return out;
}

/* The stack as configured, and a listener on port 80 (backlog 16) that
 * set TCP_FASTOPEN to qlen first (-1: not set). */
static bool fo_start(struct tfx *t, int qlen)
{
	tcp_fx_start(t);
	struct tern_stack *s = t->fx.s;
	t->lsd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in a = sa(0, T_PORT_US);
	if (t->lsd < 0 || tern_bind(s, t->lsd, &a) != 0)
		return false;
	if (qlen >= 0 && set_int(s, t->lsd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN, qlen) != 0)
		return false;
	return tern_listen(s, t->lsd, 16) == 0;
}

/* ... with tcp_fastopen = cfg. */
static bool fo_listen(struct tfx *t, unsigned cfg, int qlen)
{
	tcp_fx_config(t);
	t->fx.cfg.tcp_fastopen = cfg;
	return fo_start(t, qlen);
}

/* The peer's SYN (no timestamps) from port pport with the Fast Open
 * option (cookie of clen bytes, 0: a request; opt false: none) and data. */
static struct seg fo_syn(struct tfx *t, bool opt, const uint8_t *cookie, uint8_t clen,
			 const char *data)
{
	struct seg sg = peer_syn(t, false, 0);
	sg.tfo = opt;
	sg.tfo_len = clen;
	sg.tfo_cookie = cookie;
	sg.data = data;
	sg.len = data ? strlen(data) : 0;
	return sg;
}

static struct tern_tcb *conn_from(struct tfx *t, uint16_t pport)
{
	struct tcp_tuple tu = {FX_IP_US, FX_IP_PEER, T_PORT_US, pport};
	return tcp_lookup(t->fx.s, &tu);
}

/* The peer's SYN at now (from syn->sport, or the usual port): the tcb it
 * made (NULL: none), whose ISS goes to t->iss. */
static struct tern_tcb *syn_in(struct tfx *t, tern_time_t now, const struct seg *syn)
{
	inject_seg(t, now, syn);
	struct tern_tcb *tp = conn_from(t, syn->sport ? syn->sport : T_PORT_PEER);
	if (tp)
		t->iss = tp->iss;
	return tp;
}

/* Our SYN-ACK as the fixture's peer SYN asks for (MSS, SACK, WS 7). */
#define SYNACK(t, at, ackv, ...)                                                           \
	OUT((t), (at), .seq = (t)->iss, .ack = (ackv), .flags = SYN | ACK, .mss_opt = true,  \
	    .mss = T_OUR_MSS, .sackok = true, .ws_opt = true, .ws = 7, __VA_ARGS__)

/* A listener (tcp_fastopen 3, TCP_FASTOPEN qlen) and a Fast Open child:
 * the peer's SYN with the valid cookie (into ck) and REQ at 10 ms, our
 * SYN-ACK acknowledging REQ. NULL if the SYN made no tcb. */
static struct tern_tcb *fo_child(struct tfx *t, int qlen, uint8_t ck[TCP_FO_COOKIE_LEN],
				 struct seg *syn)
{
	if (!fo_listen(t, 3, qlen))
		return NULL;
	*syn = fo_syn(t, true, cookie_for(t, FX_IP_PEER, ck), 8, REQ);
	struct tern_tcb *tp = syn_in(t, T_MS(10), syn);
	struct seg synack = {.seq = t->iss, .ack = T_PEER_ISS + 1 + REQ_LEN, .flags = SYN | ACK,
			     .mss_opt = true, .mss = T_OUR_MSS, .sackok = true, .ws_opt = true,
			     .ws = 7};
	if (!tp || !expect_seg_(t, T_MS(10), &synack, __FILE__, __LINE__))
		return NULL;
	return tp;
}

static int fo_getsockopt(struct tfx *t, int sd)
{
	int v = -1;
	size_t n = sizeof(v);
	if (tern_getsockopt(t->fx.s, sd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN, &v, &n) < 0)
		return -2;
	return v;
}

/* ---- cookies (§4.1) ---- */

/* §4.1.2: a SYN with an empty option is a cookie request; the SYN-ACK
 * carries the cookie (8 bytes, as Linux), the handshake is ordinary. */
TEST(cookie_request__synack_has_cookie)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, 16));
	CHECK_EQ(fo_getsockopt(&t, t.lsd), 16);
	uint8_t ck[8];
	cookie_for(&t, FX_IP_PEER, ck);
	struct tfx_fo_log fl = {0};
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, t.lsd, tfx_fo_event, &fl), 0);
	struct seg syn = fo_syn(&t, true, NULL, 0, NULL);
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	CHECK_FO_TRACE(fl, TERN_TCP_FO_COOKIE, 0); /* (the listener's trace: its child's) */
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, t.lsd, NULL, NULL), 0);
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1, .tfo = true, .tfo_len = 8, .tfo_cookie = ck);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_cookie_reqd"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 0);
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN); /* an ordinary SYN-RECEIVED */
	IN(&t, T_MS(20), .seq = T_PEER_ISS + 1, .ack = t.iss + 1, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK(tern_accept(t.fx.s, t.lsd, NULL) >= 0);
	tcp_fx_finish(&t);
}

/* With timestamps too, the cookie fits the SYN-ACK's 40 option bytes. */
TEST(cookie_request__with_timestamps)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, 16));
	uint8_t ck[8];
	cookie_for(&t, FX_IP_PEER, ck);
	struct seg syn = peer_syn(&t, true, T_MS(10));
	syn.tfo = true;
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	t.ts_off = tp->ts_offset;
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1, .tfo = true, .tfo_len = 8, .tfo_cookie = ck,
	       .ts = true, .tsval = our_tsval(&t, T_MS(10)), .tsecr = syn.tsval);
	tcp_fx_finish(&t);
}

/* The keyed hash is SipHash-2-4: the paper's test vectors (key 00..0f,
 * messages 00..(n-1)). */
TEST(siphash__reference_vectors)
{
	uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
	uint8_t msg[16];
	for (int i = 0; i < 16; i++)
		msg[i] = (uint8_t)i;
	CHECK_EQ(tcp_siphash24(k0, k1, msg, 0), 0x726fdb47dd0e0e31ull);
	CHECK_EQ(tcp_siphash24(k0, k1, msg, 15), 0xa129ca6149be45e5ull);
	CHECK_EQ(tcp_siphash24(k0, k1, msg, 8), 0x93f5f5799a932462ull);
}

/* §4.1.2: the cookie is the client's address under the server's key:
 * stable for one client, different for another (and for another server
 * address, or another stack's secret). */
TEST(cookie__per_client_and_stable)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, 16));
	uint8_t a[8], a2[8], b[8], c[8];
	cookie_for(&t, FX_IP_PEER, a);
	cookie_for(&t, FX_IP_PEER, a2);
	cookie_for(&t, TERN_IP4(10, 0, 0, 3), b);
	CHECK_MEM(a, a2, 8);
	CHECK(memcmp(a, b, 8) != 0);
	struct tcp_addr client = tcp_addr_ip4(FX_IP_PEER), other = tcp_addr_ip4(TERN_IP4(10, 0, 0, 9));
	tcp_fastopen_cookie(t.fx.s, &client, &other, c);
	CHECK(memcmp(a, c, 8) != 0);
	uint64_t secret = t.fx.s->socks->tcp.secret;
	t.fx.s->socks->tcp.secret ^= 1;
	cookie_for(&t, FX_IP_PEER, c);
	CHECK(memcmp(a, c, 8) != 0);
	t.fx.s->socks->tcp.secret = secret;
	tcp_fx_finish(&t);
}

/* ---- a valid cookie with data (§4.2.2) ---- */

/* The SYN-ACK acknowledges the data; the child is in the accept queue at
 * once (still SYN-RECEIVED), its data readable, and its answer leaves
 * before the peer's third ACK. */
TEST(valid_cookie__data_accepted)
{
	struct tfx t;
	uint8_t ck[8];
	struct seg syn;
	struct tern_tcb *tp = fo_child(&t, 16, ck, &syn);
	REQUIRE(tp != NULL);
	CHECK_STATE(&t, TCPS_SYN_RECEIVED);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 1);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 0);
	struct tern_tcb *lp = tp->listener;
	REQUIRE(lp != NULL);
	CHECK_EQ(lp->fo_qlen, 1);
	struct tern_sockaddr_in peer;
	at_time(&t, T_MS(11));
	t.sd = tern_accept(t.fx.s, t.lsd, &peer);
	REQUIRE(t.sd >= 0);
	CHECK_EQ(peer.port, T_PORT_PEER);
	struct tern_pollfd pf = {t.sd, TERN_POLLIN | TERN_POLLOUT, 0};
	CHECK_EQ(tern_poll(t.fx.s, &pf, 1), 1);
	CHECK_EQ(pf.revents, TERN_POLLIN | TERN_POLLOUT);
	char buf[64];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), REQ_LEN);
	CHECK_MEM(buf, REQ, REQ_LEN);
	struct tern_tcp_info ti;
	size_t n = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &n), 0);
	CHECK(ti.tcpi_options & 32); /* TCPI_OPT_SYN_DATA */
	CHECK_EQ(ti.tcpi_state, 3); /* SYN_RECV */
	/* The answer, in the SYN-ACK's round trip. */
	SEND(&t, T_MS(12), "HELLO", 5);
	OUT(&t, T_MS(12), .seq = t.iss + 1, .ack = T_PEER_ISS + 1 + REQ_LEN, .flags = ACK | PSH,
	    .data = "HELLO", .len = 5);
	CHECK_STATE(&t, TCPS_SYN_RECEIVED);
	/* The third ACK, and the ACK of the answer. */
	IN(&t, T_MS(20), .seq = T_PEER_ISS + 1 + REQ_LEN, .ack = t.iss + 1, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK_EQ(lp->fo_qlen, 0);
	IN(&t, T_MS(21), .seq = T_PEER_ISS + 1 + REQ_LEN, .ack = t.iss + 6, .flags = ACK);
	CHECK_EQ(tp->snd_una, t.iss + 6);
	expect_no_seg(&t, T_SEC(5)); /* nothing left to resend */
	tcp_fx_finish(&t);
}

/* A SYN-ACK lost: its retransmission acknowledges the data again, and
 * the answer sent meanwhile goes again after it. */
/* The trace hook reports the child's Fast Open: its SYN's data taken. */
TEST(valid_cookie__trace_event)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, 16));
	uint8_t ck[8];
	struct tfx_fo_log fl = {0};
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, tfx_fo_event, &fl), 0);
	struct seg syn = fo_syn(&t, true, cookie_for(&t, FX_IP_PEER, ck), 8, REQ);
	REQUIRE(syn_in(&t, T_MS(10), &syn) != NULL);
	CHECK_FO_TRACE(fl, TERN_TCP_FO_DATA, REQ_LEN);
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, NULL, NULL), 0);
	fx_clear_tx(&t.fx);
	tcp_fx_finish(&t);
}

TEST(valid_cookie__synack_retransmitted)
{
	struct tfx t;
	uint8_t ck[8];
	struct seg syn;
	struct tern_tcb *tp = fo_child(&t, 16, ck, &syn);
	REQUIRE(tp != NULL);
	at_time(&t, T_MS(11));
	t.sd = tern_accept(t.fx.s, t.lsd, NULL);
	REQUIRE(t.sd >= 0);
	SEND(&t, T_MS(11), "HELLO", 5);
	/* (the request is unread: the window is 18 bytes short) */
	OUT(&t, T_MS(11), .seq = t.iss + 1, .ack = T_PEER_ISS + 1 + REQ_LEN, .flags = ACK,
	    .data = "HELLO", .len = 5, W((T_RCV_CAP - REQ_LEN) >> 7));
	/* The initial RTO (1 s) after the SYN-ACK's send. */
	SYNACK(&t, T_MS(1010), T_PEER_ISS + 1 + REQ_LEN);
	OUT(&t, T_MS(1010), .seq = t.iss + 1, .ack = T_PEER_ISS + 1 + REQ_LEN, .flags = ACK,
	    .data = "HELLO", .len = 5, W((T_RCV_CAP - REQ_LEN) >> 7));
	IN(&t, T_MS(1020), .seq = T_PEER_ISS + 1 + REQ_LEN, .ack = t.iss + 6, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	expect_no_seg(&t, T_SEC(10));
	tcp_fx_finish(&t);
}

/* The client's SYN again (our SYN-ACK was lost): the SYN-ACK again,
 * still acknowledging the data, which is not queued twice. */
TEST(valid_cookie__syn_retransmitted)
{
	struct tfx t;
	uint8_t ck[8];
	struct seg syn;
	struct tern_tcb *tp = fo_child(&t, 16, ck, &syn);
	REQUIRE(tp != NULL);
	inject_seg(&t, T_MS(500), &syn);
	SYNACK(&t, T_MS(500), T_PEER_ISS + 1 + REQ_LEN);
	/* Linux resends it without data or option: the same answer. */
	struct seg bare = fo_syn(&t, false, NULL, 0, NULL);
	inject_seg(&t, T_MS(600), &bare);
	SYNACK(&t, T_MS(600), T_PEER_ISS + 1 + REQ_LEN);
	t.sd = tern_accept(t.fx.s, t.lsd, NULL);
	REQUIRE(t.sd >= 0);
	char buf[64];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), REQ_LEN);
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), TERN_EAGAIN);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 1);
	tcp_fx_finish(&t);
}

/* A valid cookie without data makes a child too (Linux: it may send in
 * SYN-RECEIVED); TCPI_OPT_SYN_DATA stays off. */
TEST(valid_cookie__no_data)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, 16));
	uint8_t ck[8];
	cookie_for(&t, FX_IP_PEER, ck);
	struct seg syn = fo_syn(&t, true, ck, 8, NULL);
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1);
	t.sd = tern_accept(t.fx.s, t.lsd, NULL);
	REQUIRE(t.sd >= 0);
	struct tern_tcp_info ti;
	size_t n = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &n), 0);
	CHECK(!(ti.tcpi_options & 32));
	tcp_fx_finish(&t);
}

/* ---- a bad cookie (§4.2.1) ---- */

/* The data is not acknowledged, the SYN-ACK brings the right cookie. */
TEST(invalid_cookie__isn_acked_new_cookie)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, 16));
	uint8_t ck[8], bad[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	cookie_for(&t, FX_IP_PEER, ck);
	struct tfx_fo_log fl = {0};
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, tfx_fo_event, &fl), 0);
	struct seg syn = fo_syn(&t, true, bad, 8, REQ);
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	CHECK_FO_TRACE(fl, TERN_TCP_FO_REFUSED, REQ_LEN);
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, NULL, NULL), 0);
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1, .tfo = true, .tfo_len = 8, .tfo_cookie = ck);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive_fail"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 0);
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN);
	/* A cookie of another length is no better. */
	struct seg syn2 = fo_syn(&t, true, ck, 4, REQ);
	syn2.sport = T_PORT_PEER + 1;
	tp = syn_in(&t, T_MS(11), &syn2);
	REQUIRE(tp != NULL);
	SYNACK(&t, T_MS(11), T_PEER_ISS + 1, .dport = T_PORT_PEER + 1, .tfo = true, .tfo_len = 8,
	       .tfo_cookie = ck);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive_fail"), 2);
	tcp_fx_finish(&t);
}

/* Data on a SYN without the option is not Fast Open: not acknowledged,
 * no cookie offered. */
TEST(data_without_option__ignored)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, 16));
	struct seg syn = fo_syn(&t, false, NULL, 0, REQ);
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1);
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive_fail"), 0);
	tcp_fx_finish(&t);
}

/* ---- the listener's queue (§5.1) ---- */

/* qlen bounds the children still in SYN-RECEIVED: past it, an ordinary
 * handshake (data not acknowledged, no cookie); once one completes, Fast
 * Open again. */
TEST(qlen_overflow__fallback)
{
	struct tfx t;
	uint8_t ck[8];
	struct seg syn;
	struct tern_tcb *first = fo_child(&t, 1, ck, &syn);
	REQUIRE(first != NULL);
	/* A second client port: the queue is full. */
	syn.sport = T_PORT_PEER + 1;
	struct tern_tcb *second = syn_in(&t, T_MS(11), &syn);
	REQUIRE(second != NULL);
	SYNACK(&t, T_MS(11), T_PEER_ISS + 1, .dport = T_PORT_PEER + 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_listen_overflow"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 1);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 1); /* the second, an ordinary one */
	/* The first completes: room again. */
	IN(&t, T_MS(20), .seq = T_PEER_ISS + 1 + REQ_LEN, .ack = first->iss + 1, .flags = ACK);
	syn.sport = T_PORT_PEER + 2;
	struct tern_tcb *third = syn_in(&t, T_MS(21), &syn);
	REQUIRE(third != NULL);
	SYNACK(&t, T_MS(21), T_PEER_ISS + 1 + REQ_LEN, .dport = T_PORT_PEER + 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 2);
	/* Both Fast Open children wait for accept, the first ESTABLISHED. */
	CHECK(tern_accept(t.fx.s, t.lsd, NULL) >= 0);
	CHECK(tern_accept(t.fx.s, t.lsd, NULL) >= 0);
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN);
	tcp_fx_finish(&t);
}

/* A reset takes an unaccepted child off the accept queue; its place in
 * the Fast Open queue stays taken for an RTO (Linux's rskq_rst list:
 * resets cannot cycle the queue at line rate), then Fast Open again. */
TEST(child_reset__queues_freed)
{
	struct tfx t;
	uint8_t ck[8];
	struct seg syn;
	struct tern_tcb *tp = fo_child(&t, 1, ck, &syn);
	REQUIRE(tp != NULL);
	struct tern_tcb *lp = tp->listener;
	REQUIRE(lp != NULL);
	CHECK_EQ(lp->fo_qlen, 1);
	CHECK_EQ(lp->accq_len, 1);
	IN(&t, T_MS(20), .seq = T_PEER_ISS + 1 + REQ_LEN, .flags = RST);
	CHECK_EQ(lp->fo_qlen, 0);
	CHECK_EQ(lp->accq_len, 0);
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN);
	/* Within the RTO (1 s from the reset): an ordinary handshake. */
	syn.sport = T_PORT_PEER + 1;
	REQUIRE(syn_in(&t, T_MS(500), &syn) != NULL);
	SYNACK(&t, T_MS(500), T_PEER_ISS + 1, .dport = T_PORT_PEER + 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_listen_overflow"), 1);
	/* After it: Fast Open. */
	syn.sport = T_PORT_PEER + 2;
	REQUIRE(syn_in(&t, T_MS(1020), &syn) != NULL);
	SYNACK(&t, T_MS(1020), T_PEER_ISS + 1 + REQ_LEN, .dport = T_PORT_PEER + 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 2);
	tcp_fx_finish(&t);
}

/* The listener closes while an accepted child is still SYN-RECEIVED:
 * the child lives on and completes. */
TEST(listener_closed__accepted_child_completes)
{
	struct tfx t;
	uint8_t ck[8];
	struct seg syn;
	struct tern_tcb *tp = fo_child(&t, 4, ck, &syn);
	REQUIRE(tp != NULL);
	t.sd = tern_accept(t.fx.s, t.lsd, NULL);
	REQUIRE(t.sd >= 0);
	tern_close(t.fx.s, t.lsd);
	t.lsd = -1;
	CHECK(tp->fo_listener == NULL);
	IN(&t, T_MS(20), .seq = T_PEER_ISS + 1 + REQ_LEN, .ack = t.iss + 1, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	tcp_fx_finish(&t);
}

/* ---- the sysctl's bits and the socket option ---- */

/* Without 0x2 the server side is off: the option is ignored (no cookie,
 * data not acknowledged) even on a listener with TCP_FASTOPEN. */
TEST(sysctl_server_off__option_ignored)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 1, 16));
	uint8_t ck[8];
	cookie_for(&t, FX_IP_PEER, ck);
	struct seg syn = fo_syn(&t, true, NULL, 0, NULL);
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1);
	syn = fo_syn(&t, true, ck, 8, REQ);
	syn.sport = T_PORT_PEER + 1;
	tp = syn_in(&t, T_MS(11), &syn);
	REQUIRE(tp != NULL);
	SYNACK(&t, T_MS(11), T_PEER_ISS + 1, .dport = T_PORT_PEER + 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive_fail"), 0);
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN);
	tcp_fx_finish(&t);
}

/* 0x2 alone: a listener without TCP_FASTOPEN takes no part. */
TEST(sysctl_server_no_sockopt__off)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, -1));
	CHECK_EQ(fo_getsockopt(&t, t.lsd), 0);
	struct seg syn = fo_syn(&t, true, NULL, 0, NULL);
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1);
	tcp_fx_finish(&t);
}

/* 0x400: every listener takes part, its qlen its backlog. */
TEST(sysctl_0x400__every_listener)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 0x403, -1));
	CHECK_EQ(fo_getsockopt(&t, t.lsd), 16);
	uint8_t ck[8];
	cookie_for(&t, FX_IP_PEER, ck);
	struct seg syn = fo_syn(&t, true, NULL, 0, NULL);
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1, .tfo = true, .tfo_len = 8, .tfo_cookie = ck);
	tcp_fx_finish(&t);
}

/* 0x200: data on a SYN is taken without any cookie (none given back). */
TEST(sysctl_0x200__no_cookie_needed)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 0x203, 16));
	struct seg syn = fo_syn(&t, false, NULL, 0, REQ);
	struct tern_tcb *tp = syn_in(&t, T_MS(10), &syn);
	REQUIRE(tp != NULL);
	SYNACK(&t, T_MS(10), T_PEER_ISS + 1 + REQ_LEN);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 1);
	t.sd = tern_accept(t.fx.s, t.lsd, NULL);
	REQUIRE(t.sd >= 0);
	char buf[32];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), REQ_LEN);
	tcp_fx_finish(&t);
}

/* Under SYN cookies (here: for every SYN) Fast Open is not used. */
TEST(syncookies__no_fastopen)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_fastopen = 3;
	t.fx.cfg.tcp_syncookies = 2;
	REQUIRE(fo_start(&t, 16));
	struct tern_stack *s = t.fx.s;
	uint8_t ck[8];
	struct seg syn = fo_syn(&t, true, cookie_for(&t, FX_IP_PEER, ck), 8, REQ);
	inject_seg(&t, T_MS(10), &syn);
	struct fx_pkt p;
	struct tern_tcp_repr th;
	REQUIRE(tcp_pop_(&t, T_MS(10), &p, &th, __FILE__, __LINE__));
	fx_pkt_free(&p);
	CHECK_EQ(th.flags, SYN | ACK);
	CHECK_EQ(th.ack, T_PEER_ISS + 1);
	CHECK(!th.has_tfo);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_passive"), 0);
	CHECK_EQ(s->socks->tcp.count, 0);
	tcp_fx_finish(&t);
}

/* setsockopt(TCP_FASTOPEN): a closed or listening socket, qlen >= 0
 * (capped at somaxconn); getsockopt reads it back. */
TEST(sockopt__set_get)
{
	struct tfx t;
	REQUIRE(fo_listen(&t, 3, 5));
	struct tern_stack *s = t.fx.s;
	CHECK_EQ(fo_getsockopt(&t, t.lsd), 5);
	CHECK_EQ(set_int(s, t.lsd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN, 256), 0);
	CHECK_EQ(fo_getsockopt(&t, t.lsd), 256);
	CHECK_EQ(set_int(s, t.lsd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN, -1), TERN_EINVAL);
	CHECK_EQ(set_int(s, t.lsd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN, 1 << 30), 0);
	CHECK_EQ(fo_getsockopt(&t, t.lsd), (int)s->cfg->somaxconn);
	/* A connecting socket: EINVAL, as Linux. */
	at_time(&t, T_MS(10));
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, 5001);
	REQUIRE_EQ(tern_connect(s, sd, &dst), TERN_EINPROGRESS);
	CHECK_EQ(set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN, 4), TERN_EINVAL);
	fx_clear_tx(&t.fx);
	tcp_fx_finish(&t);
}

TEST_MAIN()
