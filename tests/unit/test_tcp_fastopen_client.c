/*
 * tests/unit/test_tcp_fastopen_client.c — TCP Fast Open, the client
 * (RFC 7413 §4.1.3, §4.2.1; tcp_fastopen_client.c), segment by segment:
 * the first sendto(MSG_FASTOPEN) to a server sends a cookie request and
 * no data; the SYN-ACK's cookie is cached with the server's MSS; the next
 * one sends the cookie and the data (MSS-bounded) on its SYN; a SYN-ACK
 * that acknowledges the data ends it, one that acknowledges only the SYN
 * has the data resent at once (and the cookie forgotten); a timed-out
 * SYN is resent without data or option; TCP_FASTOPEN_CONNECT defers the
 * SYN to the first write; net.ipv4.tcp_fastopen's client bit off gives a
 * plain SYN, bit 0x4 data without a cookie; the cache holds 64 servers.
 *
 * No timestamps (shorter SYNs); the peer (10.0.0.2:5001) offers MSS
 * 1460, SACK and window scale 7, as Linux.
 */
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define SYN TERN_TCP_SYN
#define RST TERN_TCP_RST
#define PSH TERN_TCP_PSH

static const uint8_t cookie[8] = {0xc0, 0x0c, 0x1e, 0x5a, 0x01, 0x02, 0x03, 0x04};
static const uint8_t cookie2[4] = {0xaa, 0xbb, 0xcc, 0xdd};
static uint8_t req[3000];

static void fo_start(struct tfx *t, unsigned fastopen)
{
	fx_pattern(req, sizeof(req), 3);
	tcp_fx_config(t);
	t->fx.cfg.tcp_timestamps = 0;
	t->fx.cfg.tcp_fastopen = fastopen;
	tcp_fx_start(t);
	t->pport = T_PEER_LISTEN_PORT;
}

/* The tuple and ISS of t->sd's connection, once it has one. */
static void fo_track(struct tfx *t)
{
	struct tern_tcb *tp = tern_sock_get(t->fx.s, t->sd)->tcb;
	if (!tp)
		return;
	t->lport = tp->t.lport;
	t->iss = tp->iss;
	t->us = t->iss + 1;
	t->peer = t->irs + 1;
}

static int new_socket(struct tfx *t, tern_time_t now)
{
	at_time(t, now);
	t->sd = tern_socket(t->fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	return t->sd;
}

/* A new socket at `now`: sendto(MSG_FASTOPEN) of n bytes of req to
 * dst (0: the peer); its result. */
static int fo_sendto_to(struct tfx *t, tern_time_t now, size_t n, tern_ip4_t dst)
{
	if (new_socket(t, now) < 0)
		return t->sd;
	struct tern_sockaddr_in a = sa(dst ? dst : FX_IP_PEER, T_PEER_LISTEN_PORT);
	int rc = tern_sendto(t->fx.s, t->sd, req, n, TERN_MSG_FASTOPEN, &a);
	fo_track(t);
	return rc;
}
static int fo_sendto(struct tfx *t, tern_time_t now, size_t n)
{
	return fo_sendto_to(t, now, n, 0);
}

/* Our SYN (MSS 1460, SACK, WS 7), without Fast Open or data. */
static struct seg our_syn(const struct tfx *t)
{
	return SEG(.seq = t->iss, .flags = SYN, .mss_opt = true, .mss = T_OUR_MSS, .sackok = true,
		   .ws_opt = true, .ws = 7);
}
/* The peer's SYN-ACK acknowledging `ack`, without Fast Open. */
static struct seg peer_synack(const struct tfx *t, uint32_t ack)
{
	return SEG(.seq = t->irs, .ack = ack, .flags = SYN | ACK, .mss_opt = true,
		   .mss = T_PEER_MSS, .sackok = true, .ws_opt = true, .ws = 7);
}

/* The peer's SYN-ACK at `now`, acknowledging `ack`, with no option. */
static void synack_in(struct tfx *t, tern_time_t now, uint32_t ack)
{
	struct seg sg = peer_synack(t, ack);
	inject_seg(t, now, &sg);
}

/* The peer resets the connection at `now`; the socket is closed. */
static void peer_reset(struct tfx *t, tern_time_t now)
{
	inject_seg(t, now, &SEG(.seq = t->peer, .flags = RST));
	tern_close(t->fx.s, t->sd);
}

/* Our SYN at `at` carries a cookie request and nothing else. */
#define REQUEST_SYN(t, at)                                                                 \
	OUT((t), (at), .seq = (t)->iss, .flags = SYN, .mss_opt = true, .mss = T_OUR_MSS,    \
	    .sackok = true, .ws_opt = true, .ws = 7, .tfo = true)
/* The SYN's n bytes, resent at `at` right after the handshake. */
#define DATA_RESENT(t, at, n)                                                              \
	OUT((t), (at), .seq = (t)->us, .ack = (t)->peer, .flags = ACK | PSH, .psh = true,   \
	    .data = req, .len = (n))

/* The peer's SYN-ACK at `now` gives a cookie (and MSS mss): our ACK. */
static bool cookie_handshake(struct tfx *t, tern_time_t now, const uint8_t *c, uint8_t len,
			     uint16_t mss)
{
	struct seg ans = peer_synack(t, t->us);
	ans.mss = mss;
	ans.tfo = true;
	ans.tfo_len = len;
	ans.tfo_cookie = c;
	inject_seg(t, now, &ans);
	TRY_SEG(t, now, &SEG(.seq = t->us, .ack = t->peer, .flags = ACK));
	return tfx_state(t) == TCPS_ESTABLISHED;
}

/* The first connection (at 10 ms, 100 bytes): a cookie request and no
 * data; the SYN-ACK at 20 ms gives the 8-byte cookie (with MSS `mss`);
 * our ACK; then the peer resets it and the socket is closed. */
static bool learn_cookie(struct tfx *t, uint16_t mss)
{
	if (fo_sendto(t, T_MS(10), 100) != TERN_EINPROGRESS)
		return false;
	struct seg syn = our_syn(t);
	syn.tfo = true; /* a request: no cookie */
	TRY_SEG(t, T_MS(10), &syn);
	if (!cookie_handshake(t, T_MS(20), cookie, sizeof(cookie), mss) ||
	    tcp_fx_info(t).tcpi_fastopen_client_fail != 1)
		return false;
	peer_reset(t, T_MS(30));
	return t->fx.nframes == 0;
}

/* A connection at `now` (100 ms unless given): n bytes with
 * MSG_FASTOPEN, all taken (up to `fits`) onto the SYN with the cookie. */
static bool syn_with_data_at(struct tfx *t, tern_time_t now, size_t n, size_t fits)
{
	if (fo_sendto(t, now, n) != (int)fits)
		return false;
	struct seg syn = our_syn(t);
	syn.tfo = true;
	syn.tfo_len = sizeof(cookie);
	syn.tfo_cookie = cookie;
	syn.data = req;
	syn.len = fits;
	TRY_SEG(t, now, &syn);
	return tfx_state(t) == TCPS_SYN_SENT;
}
static bool syn_with_data(struct tfx *t, size_t n, size_t fits)
{
	return syn_with_data_at(t, T_MS(100), n, fits);
}

/* A cookie learned, then a SYN with it and 100 bytes at 100 ms. */
static bool cookie_then_syn_data(struct tfx *t)
{
	fo_start(t, 1);
	return learn_cookie(t, T_PEER_MSS) && syn_with_data(t, 100, 100);
}

/* TCP_INFO's Fast Open fields and the stack's two counters. */
#define CHECK_FO(t, fail, syn_data, active, active_fail)                                   \
	do {                                                                               \
		struct tern_tcp_info ti_ = tcp_fx_info(t);                                 \
		CHECK_EQ(ti_.tcpi_fastopen_client_fail, (fail));                            \
		CHECK_EQ(ti_.tcpi_options & 32, (syn_data) ? 32 : 0); /* TCPI_OPT_SYN_DATA */ \
		CHECK_EQ(fx_stat(&(t)->fx, "tcp.fastopen_active"), (active));               \
		CHECK_EQ(fx_stat(&(t)->fx, "tcp.fastopen_active_fail"), (active_fail));     \
	} while (0)

/* RFC 7413 §4.1.3 / §4.2.1 step 1: no cookie yet: a cookie request, no
 * data, EINPROGRESS (as Linux's non-blocking sendto); the data is
 * written again once connected. A request is neither a Fast Open nor a
 * failed one (Linux counts neither). */
TEST(first_sendto__cookie_request__no_data)
{
	struct tfx t;
	fo_start(&t, 1);
	REQUIRE_EQ(fo_sendto(&t, T_MS(10), 100), TERN_EINPROGRESS);
	REQUEST_SYN(&t, T_MS(10));
	CHECK_STATE(&t, TCPS_SYN_SENT);
	CHECK_EQ(fx_stat(&t.fx, "tcp.active_opens"), 1);
	/* A second sendto while connecting: EALREADY, as Linux. */
	struct tern_sockaddr_in a = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	CHECK_EQ(tern_sendto(t.fx.s, t.sd, req, 10, TERN_MSG_FASTOPEN, &a), TERN_EALREADY);
	REQUIRE(cookie_handshake(&t, T_MS(20), cookie, sizeof(cookie), T_PEER_MSS));
	CHECK_FO(&t, 1, false, 0, 0); /* TFO_COOKIE_UNAVAILABLE */
	/* Connected: the data goes as usual. MSG_FASTOPEN now: EISCONN. */
	CHECK_EQ(tern_sendto(t.fx.s, t.sd, req, 10, TERN_MSG_FASTOPEN, &a), TERN_EISCONN);
	SEND(&t, T_MS(25), req, 100);
	OUT(&t, T_MS(25), .seq = t.us, .ack = t.peer, .flags = ACK | PSH, .psh = true, .data = req,
	    .len = 100);
	tcp_fx_finish(&t);
}

/* With the cookie: the SYN carries it and the data, sendto returns the
 * bytes taken; the SYN-ACK acknowledges them all: a pure ACK, nothing
 * resent, TcpExtTCPFastOpenActive, TCPI_OPT_SYN_DATA. */
TEST(cookie__syn_data__all_acked)
{
	struct tfx t;
	REQUIRE(cookie_then_syn_data(&t));
	CHECK_EQ(fx_stat(&t.fx, "tcp.active_opens"), 2);
	struct tfx_fo_log fl = {0};
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, tfx_fo_event, &fl), 0);
	synack_in(&t, T_MS(110), t.us + 100);
	CHECK_FO_TRACE(fl, TERN_TCP_FO_DATA, 100);
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, NULL, NULL), 0);
	OUT(&t, T_MS(110), .seq = t.us + 100, .ack = t.peer, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	expect_no_seg(&t, T_SEC(10));
	CHECK_FO(&t, 0, true, 1, 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_bytes_acked, 100);
	CHECK_EQ(tcp_fx_info(&t).tcpi_total_retrans, 0);
	int q = -1;
	CHECK_EQ(tern_ioctl(t.fx.s, t.sd, TERN_SIOCOUTQ, &q), 0);
	CHECK_EQ(q, 0);
	/* A SYN-ACK acknowledging the data carries no cookie (Linux's server
	 * echoes none for a valid one): the cookie stays. */
	peer_reset(&t, T_SEC(11));
	REQUIRE(syn_with_data_at(&t, T_SEC(12), 50, 50));
	tcp_fx_finish(&t);
}

/* RFC 7413 §4.2.1: the server took the SYN but not its data (ACK =
 * ISN + 1): the data goes again right after the handshake, riding on the
 * handshake's ACK (Linux), counted TcpExtTCPFastOpenActiveFail, fail
 * reason 2; the cookie is forgotten (§4.1.3.1): the next connection asks
 * for one again. */
TEST(cookie__synack_acks_syn_only__data_resent)
{
	struct tfx t;
	REQUIRE(cookie_then_syn_data(&t));
	struct tfx_fo_log fl = {0};
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, tfx_fo_event, &fl), 0);
	synack_in(&t, T_MS(110), t.us);
	CHECK_FO_TRACE(fl, TERN_TCP_FO_REFUSED, 100);
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, -1, NULL, NULL), 0);
	DATA_RESENT(&t, T_MS(110), 100);
	expect_no_seg(&t, T_MS(111));
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK_FO(&t, 2, false, 0, 1); /* TFO_DATA_NOT_ACKED */
	IN(&t, T_MS(120), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	expect_no_seg(&t, T_SEC(10));
	CHECK_EQ(tcp_fx_info(&t).tcpi_bytes_acked, 100);
	peer_reset(&t, T_SEC(11));
	REQUIRE_EQ(fo_sendto(&t, T_SEC(12), 100), TERN_EINPROGRESS);
	REQUEST_SYN(&t, T_SEC(12));
	tcp_fx_finish(&t);
}

/* The SYN with data times out: the retransmission carries neither data
 * nor the option (Linux); a SYN-ACK acknowledging only the SYN has the
 * data resent after the handshake, fail reason 3. */
TEST(syn_timeout__resent_without_data)
{
	struct tfx t;
	REQUIRE(cookie_then_syn_data(&t));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	tern_time_t rto = tp->deadline[TCPT_RXT];
	CHECK_EQ(rto, T_MS(100) + T_SEC(1));
	struct seg syn = our_syn(&t);
	expect_seg(&t, rto, &syn);
	CHECK_EQ(fx_stat(&t.fx, "tcp.retrans_segs"), 1);
	synack_in(&t, rto + T_MS(10), t.us);
	DATA_RESENT(&t, rto + T_MS(10), 100);
	CHECK_FO(&t, 3, false, 0, 1); /* TFO_SYN_RETRANSMITTED */
	IN(&t, rto + T_MS(20), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	expect_no_seg(&t, rto + T_SEC(10));
	tcp_fx_finish(&t);
}

/* The SYN-ACK that answers only the resent SYN may still acknowledge the
 * first one's data (the server got it, its SYN-ACK was lost): taken as
 * acknowledged, nothing resent. */
TEST(syn_timeout__synack_acks_first_syns_data)
{
	struct tfx t;
	REQUIRE(cookie_then_syn_data(&t));
	tern_time_t rto = tfx_tcb(&t)->deadline[TCPT_RXT];
	struct seg syn = our_syn(&t);
	expect_seg(&t, rto, &syn);
	synack_in(&t, rto + T_MS(10), t.us + 100);
	OUT(&t, rto + T_MS(10), .seq = t.us + 100, .ack = t.peer, .flags = ACK);
	expect_no_seg(&t, rto + T_SEC(10));
	CHECK_FO(&t, 0, true, 1, 0);
	tcp_fx_finish(&t);
}

/* A connection whose cookie-request SYN times out and whose plain
 * retransmission is answered (no cookie): a SYN loss on the path. */
static bool request_lost(struct tfx *t, tern_time_t now)
{
	if (fo_sendto(t, now, 10) != TERN_EINPROGRESS)
		return false;
	struct seg syn = our_syn(t);
	syn.tfo = true;
	TRY_SEG(t, now, &syn);
	tern_time_t rto = tfx_tcb(t)->deadline[TCPT_RXT];
	syn.tfo = false;
	TRY_SEG(t, rto, &syn);
	synack_in(t, rto + T_MS(10), t->us);
	TRY_SEG(t, rto + T_MS(10), &SEG(.seq = t->us, .ack = t->peer, .flags = ACK));
	peer_reset(t, rto + T_MS(20));
	return t->fx.nframes == 0;
}

/* RFC 7413 §4.1.3.1, §6: Fast Open SYNs lost twice in a row on a path (a
 * middlebox dropping SYNs with the option): no Fast Open to that server
 * for 2^2 minutes after the last, a plain SYN (sendto still answers
 * EINPROGRESS); then a cookie request again. */
TEST(syn_lost_twice__fastopen_off_for_a_while)
{
	struct tfx t;
	fo_start(&t, 1);
	REQUIRE(request_lost(&t, T_MS(10)));
	REQUIRE(request_lost(&t, T_SEC(5)));
	tern_time_t last = T_SEC(5) + T_SEC(1) + T_MS(10);
	REQUIRE_EQ(fo_sendto(&t, T_SEC(10), 10), TERN_EINPROGRESS);
	struct seg syn = our_syn(&t);
	expect_seg(&t, T_SEC(10), &syn);
	tern_close(t.fx.s, t.sd);
	REQUIRE_EQ(fo_sendto(&t, last + T_SEC(240), 10), TERN_EINPROGRESS);
	REQUEST_SYN(&t, last + T_SEC(240));
	tcp_fx_finish(&t);
}

/* RFC 7413 §4.1.3: the server's cached MSS bounds the SYN's data, less
 * Linux's 40 bytes for options: 1000 - 40 = 960 of 3000; 1460 - 40 =
 * 1420 with Linux's usual MSS. */
TEST(cookie__syn_data_bounded_by_cached_mss)
{
	struct tfx t;
	fo_start(&t, 1);
	REQUIRE(learn_cookie(&t, 1000));
	REQUIRE(syn_with_data(&t, sizeof(req), 960));
	tcp_fx_finish(&t);
	fo_start(&t, 1);
	REQUIRE(learn_cookie(&t, T_PEER_MSS));
	REQUIRE(syn_with_data(&t, sizeof(req), 1420));
	tcp_fx_finish(&t);
}

/* TCP_FASTOPEN_CONNECT (as Linux): without a cookie connect sends a
 * cookie request (EINPROGRESS); with one, connect returns 0 at once, the
 * socket is writable, and the first write sends the SYN with the cookie
 * and the data, returning the bytes taken. */
TEST(fastopen_connect__deferred_to_first_write)
{
	struct tfx t;
	fo_start(&t, 1);
	struct tern_sockaddr_in a = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	REQUIRE(new_socket(&t, T_MS(10)) >= 0);
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN_CONNECT, 1), 0);
	int v = 0;
	CHECK_EQ(get_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN_CONNECT, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN_CONNECT, 2), TERN_EINVAL);
	REQUIRE_EQ(tern_connect(t.fx.s, t.sd, &a), TERN_EINPROGRESS);
	fo_track(&t);
	REQUEST_SYN(&t, T_MS(10));
	CHECK_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN_CONNECT, 0), TERN_EINVAL);
	REQUIRE(cookie_handshake(&t, T_MS(20), cookie2, sizeof(cookie2), T_PEER_MSS));
	peer_reset(&t, T_MS(30));

	REQUIRE(new_socket(&t, T_MS(100)) >= 0);
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN_CONNECT, 1), 0);
	REQUIRE_EQ(tern_connect(t.fx.s, t.sd, &a), 0);
	CHECK_EQ(tern_connect(t.fx.s, t.sd, &a), TERN_EISCONN); /* Linux, deferred */
	fo_track(&t);
	expect_no_seg(&t, T_MS(150));
	struct tern_pollfd p = {t.sd, TERN_POLLOUT | TERN_POLLIN, 0};
	tern_poll(t.fx.s, &p, 1);
	CHECK_EQ(p.revents, TERN_POLLOUT);
	CHECK_EQ(tern_send(t.fx.s, t.sd, req, 200, 0), 200);
	OUT(&t, T_MS(150), .seq = t.iss, .flags = SYN, .mss_opt = true, .mss = T_OUR_MSS,
	    .sackok = true, .ws_opt = true, .ws = 7, .tfo = true, .tfo_len = sizeof(cookie2),
	    .tfo_cookie = cookie2, .data = req, .len = 200);
	/* Connecting now: the next write waits. */
	CHECK_EQ(tern_send(t.fx.s, t.sd, req, 10, 0), TERN_EAGAIN);
	synack_in(&t, T_MS(160), t.us + 200);
	OUT(&t, T_MS(160), .seq = t.us + 200, .ack = t.peer, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_active"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.active_opens"), 2);
	tcp_fx_finish(&t);
}

/* net.ipv4.tcp_fastopen without the client bit: MSG_FASTOPEN and
 * TCP_FASTOPEN_CONNECT are refused (EOPNOTSUPP, as Linux), a connect
 * sends a plain SYN. */
TEST(client_bit_off__plain_syn)
{
	struct tfx t;
	fo_start(&t, 2); /* the server bit only */
	REQUIRE_EQ(fo_sendto(&t, T_MS(10), 100), TERN_EOPNOTSUPP);
	expect_no_seg(&t, T_MS(10));
	CHECK_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_FASTOPEN_CONNECT, 1),
		 TERN_EOPNOTSUPP);
	struct tern_sockaddr_in a = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	REQUIRE_EQ(tern_connect(t.fx.s, t.sd, &a), TERN_EINPROGRESS);
	fo_track(&t);
	struct seg syn = our_syn(&t);
	expect_seg(&t, T_MS(10), &syn);
	tcp_fx_finish(&t);
}

/* A cookie nobody asked for (a plain connect) is not cached (Linux). */
TEST(unsolicited_cookie__ignored)
{
	struct tfx t;
	fo_start(&t, 1);
	REQUIRE(new_socket(&t, T_MS(10)) >= 0);
	struct tern_sockaddr_in a = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	REQUIRE_EQ(tern_connect(t.fx.s, t.sd, &a), TERN_EINPROGRESS);
	fo_track(&t);
	struct seg syn = our_syn(&t);
	expect_seg(&t, T_MS(10), &syn);
	REQUIRE(cookie_handshake(&t, T_MS(20), cookie, sizeof(cookie), T_PEER_MSS));
	CHECK(t.fx.s->socks->tcp.fo_cache == NULL); /* nothing allocated */
	REQUIRE_EQ(fo_sendto(&t, T_MS(30), 100), TERN_EINPROGRESS);
	REQUEST_SYN(&t, T_MS(30));
	tcp_fx_finish(&t);
}

/* Bit 0x4 (TFO_CLIENT_NO_COOKIE): data on the SYN without any cookie,
 * and no option; our MSS bounds it without a cached one (Linux). */
TEST(no_cookie_mode__data_without_option)
{
	struct tfx t;
	fo_start(&t, 5);
	REQUIRE_EQ(fo_sendto(&t, T_MS(10), sizeof(req)), 1420);
	OUT(&t, T_MS(10), .seq = t.iss, .flags = SYN, .mss_opt = true, .mss = T_OUR_MSS,
	    .sackok = true, .ws_opt = true, .ws = 7, .data = req, .len = 1420);
	synack_in(&t, T_MS(20), t.us + 1420);
	OUT(&t, T_MS(20), .seq = t.us + 1420, .ack = t.peer, .flags = ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fastopen_active"), 1);
	tcp_fx_finish(&t);
}

/* The cache holds TCP_FO_CACHE_MAX (64) servers: a 65th cookie replaces
 * the oldest, whose next connection asks for a cookie again; the others
 * still send theirs. */
#define SERVER(i) TERN_IP4(10, 0, 0, 10 + (i))
TEST(cache__bounded__oldest_replaced)
{
	struct tfx t;
	fo_start(&t, 1);
	for (unsigned i = 0; i <= TCP_FO_CACHE_MAX; i++) {
		struct tern_mac m = FX_MAC_PEER;
		REQUIRE(tern_arp_add_static(t.fx.s, t.fx.devs[0].ifindex, SERVER(i), &m) == 0);
	}
	for (unsigned i = 0; i <= TCP_FO_CACHE_MAX; i++) {
		tern_time_t now = T_MS(10) * (i + 1);
		REQUIRE_EQ(fo_sendto_to(&t, now, 10, SERVER(i)), TERN_EINPROGRESS);
		fx_clear_tx(&t.fx);
		struct seg ans = peer_synack(&t, t.us);
		ans.src = SERVER(i);
		ans.tfo = true;
		ans.tfo_len = sizeof(cookie);
		ans.tfo_cookie = cookie;
		inject_seg(&t, now, &ans);
		inject_seg(&t, now, &SEG(.seq = t.peer, .flags = RST, .src = SERVER(i)));
		fx_clear_tx(&t.fx);
		tern_close(t.fx.s, t.sd);
	}
	tern_time_t now = T_SEC(2);
	CHECK_EQ(fo_sendto_to(&t, now, 10, SERVER(0)), TERN_EINPROGRESS); /* replaced */
	tern_close(t.fx.s, t.sd);
	CHECK_EQ(fo_sendto_to(&t, now, 10, SERVER(1)), 10);
	tern_close(t.fx.s, t.sd);
	CHECK_EQ(fo_sendto_to(&t, now, 10, SERVER(TCP_FO_CACHE_MAX)), 10);
	tern_close(t.fx.s, t.sd);
	fx_clear_tx(&t.fx);
	tcp_fx_finish(&t);
}

TEST_MAIN()
