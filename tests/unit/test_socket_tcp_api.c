/*
 * tests/unit/test_socket_tcp_api.c — the socket API's Linux semantics on
 * TCP, segment by segment (tcp_fixture.h): tern_poll's masks in each
 * state as Linux's tcp_poll reports them (POLLRDHUP at the peer's FIN,
 * POLLHUP, POLLERR, POLLOUT once the write side is shut), SIOCINQ /
 * SIOCOUTQ / SIOCOUTQNSD as Linux's tcp_ioctl counts, MSG_PEEK across
 * segments and MSG_WAITALL on a non-blocking call.
 */
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define FIN TERN_TCP_FIN
#define RST TERN_TCP_RST

#define ALL (TERN_POLLIN | TERN_POLLOUT | TERN_POLLRDHUP)
#define IN_ TERN_POLLIN
#define OUT_ TERN_POLLOUT
#define RDHUP TERN_POLLRDHUP
#define HUP TERN_POLLHUP
#define ERR TERN_POLLERR

static unsigned poll_of(struct tfx *t, int sd)
{
	struct tern_pollfd p = {sd, ALL, 0};
	tern_poll(t->fx.s, &p, 1);
	return p.revents;
}

static int ioc(struct tfx *t, int sd, unsigned long req)
{
	int v = -1;
	int rc = tern_ioctl(t->fx.s, sd, req, &v);
	return rc < 0 ? rc : v;
}

/* The peer sends n bytes at `now` (our ACK is delayed). */
static void peer_data(struct tfx *t, tern_time_t now, const char *data, size_t n)
{
	inject_seg(t, now, &SEG(.seq = t->peer, .ack = t->us, .flags = ACK, .data = data, .len = n));
	t->peer += (uint32_t)n;
}

TEST(tcp_poll_through_a_passive_connection)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	int fresh = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	CHECK_EQ(poll_of(&t, fresh), OUT_ | HUP); /* Linux: TCP_CLOSE, writable */
	CHECK_EQ(poll_of(&t, t.lsd), 0);
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	CHECK_EQ(poll_of(&t, t.lsd), 0);
	IN(&t, T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_EQ(poll_of(&t, t.lsd), IN_); /* the accept queue */
	t.sd = tern_accept(t.fx.s, t.lsd, NULL);
	REQUIRE(t.sd >= 0);
	CHECK_EQ(poll_of(&t, t.lsd), 0);
	CHECK_EQ(poll_of(&t, t.sd), OUT_);
	peer_data(&t, T_MS(30), "hello", 5);
	CHECK_EQ(poll_of(&t, t.sd), IN_ | OUT_);
	char buf[16];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), 5);
	CHECK_EQ(poll_of(&t, t.sd), OUT_);
	/* The peer's FIN: readable (recv returns 0) and RDHUP; still writable. */
	IN(&t, T_MS(40), .seq = t.peer, .ack = t.us, .flags = FIN | ACK);
	t.peer++;
	CHECK_STATE(&t, TCPS_CLOSE_WAIT);
	CHECK_EQ(poll_of(&t, t.sd), IN_ | RDHUP | OUT_);
	struct tern_pollfd p = {t.sd, IN_, 0}; /* RDHUP only if asked for */
	tern_poll(t.fx.s, &p, 1);
	CHECK_EQ(p.revents, IN_);
	/* Our close of the write side: both shut, HUP (LAST-ACK). */
	at_time(&t, T_MS(50));
	CHECK_EQ(tern_shutdown(t.fx.s, t.sd, TERN_SHUT_WR), 0);
	CHECK_STATE(&t, TCPS_LAST_ACK);
	CHECK_EQ(poll_of(&t, t.sd), IN_ | RDHUP | OUT_ | HUP);
	CHECK_EQ(tern_send(t.fx.s, t.sd, "x", 1, 0), TERN_EPIPE);
	fx_clear_tx(&t.fx);
	IN(&t, T_MS(60), .seq = t.peer, .ack = t.us + 1, .flags = ACK);
	CHECK_STATE(&t, TCPS_CLOSED);
	CHECK_EQ(poll_of(&t, t.sd), IN_ | RDHUP | OUT_ | HUP);
	tcp_fx_finish(&t);
}

TEST(tcp_poll_refused_connect_is_err_hup_in_rdhup_out)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	CHECK_EQ(poll_of(&t, t.sd), 0); /* SYN-SENT: nothing yet */
	IN(&t, T_MS(20), .seq = 0, .ack = t.us, .flags = RST | ACK, W(0));
	CHECK_STATE(&t, TCPS_CLOSED);
	CHECK_EQ(poll_of(&t, t.sd), ERR | HUP | IN_ | RDHUP | OUT_);
	int err = 0;
	size_t len = sizeof(err);
	CHECK_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, TERN_ECONNREFUSED);
	CHECK_EQ(poll_of(&t, t.sd), HUP | IN_ | RDHUP | OUT_);
	tcp_fx_finish(&t);
}

TEST(tcp_poll_shut_wr_then_fin_and_shut_rd)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_fin_wait_2(&t, T_MS(100)));
	CHECK_EQ(poll_of(&t, t.sd), OUT_); /* write side shut: a send fails at once */
	CHECK_EQ(tern_send(t.fx.s, t.sd, "x", 1, 0), TERN_EPIPE);
	IN(&t, T_MS(200), .seq = t.peer, .ack = t.us, .flags = FIN | ACK);
	t.peer++;
	CHECK_STATE(&t, TCPS_TIME_WAIT);
	CHECK_EQ(poll_of(&t, t.sd), IN_ | RDHUP | OUT_ | HUP);
	tcp_fx_finish(&t);

	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	CHECK_EQ(tern_shutdown(t.fx.s, t.sd, TERN_SHUT_RD), 0);
	CHECK_EQ(poll_of(&t, t.sd), IN_ | RDHUP | OUT_);
	tcp_fx_finish(&t);
}

TEST(tcp_ioctl_queues_as_linux_counts_them)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	struct tern_stack *s = t.fx.s;
	CHECK_EQ(ioc(&t, t.lsd, TERN_SIOCINQ), TERN_EINVAL); /* a listener */
	CHECK_EQ(ioc(&t, t.lsd, TERN_SIOCOUTQ), TERN_EINVAL);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCINQ), 0);
	CHECK_EQ(ioc(&t, t.sd, 0x4242), TERN_ENOTTY);
	/* Received: readable bytes, across segments; a peek leaves them. */
	peer_data(&t, T_MS(100), "abcdefghij", 10);
	peer_data(&t, T_MS(100), "0123456789", 10);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCINQ), 20);
	char buf[64] = {0};
	CHECK_EQ(tern_recv(s, t.sd, buf, 15, TERN_MSG_PEEK), 15);
	CHECK(memcmp(buf, "abcdefghij01234", 15) == 0);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCINQ), 20);
	CHECK_EQ(tern_recv(s, t.sd, buf, 4, 0), 4);
	CHECK(memcmp(buf, "abcd", 4) == 0);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCINQ), 16);
	/* A non-blocking MSG_WAITALL returns what is there (Linux). */
	CHECK_EQ(tern_recv(s, t.sd, buf, sizeof(buf), TERN_MSG_WAITALL | TERN_MSG_DONTWAIT), 16);
	CHECK(memcmp(buf, "efghij0123456789", 16) == 0);
	CHECK_EQ(tern_recv(s, t.sd, buf, sizeof(buf), TERN_MSG_WAITALL), TERN_EAGAIN);
	/* Sent: corked, 100 bytes wait unsent; uncorked, they are in flight. */
	at_time(&t, T_MS(200));
	fx_clear_tx(&t.fx); /* the delayed ACK of the data */
	REQUIRE(set_int(s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_CORK, 1) == 0);
	static const char data[100] = "payload";
	CHECK_EQ(tern_send(s, t.sd, data, sizeof(data), 0), 100);
	CHECK_EQ(t.fx.nframes, 0);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQ), 100);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQNSD), 100);
	REQUIRE(set_int(s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_CORK, 0) == 0);
	OUT(&t, T_MS(200), .seq = t.us, .ack = t.peer, .flags = ACK, .data = data, .len = 100,
	    W(T_OUR_WIN));
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQ), 100);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQNSD), 0);
	IN(&t, T_MS(210), .seq = t.peer, .ack = t.us + 60, .flags = ACK);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQ), 40);
	IN(&t, T_MS(220), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	t.us += 100;
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQ), 0);
	/* Our FIN counts one until acknowledged, as in Linux's write_seq. */
	at_time(&t, T_MS(300));
	CHECK_EQ(tern_shutdown(s, t.sd, TERN_SHUT_WR), 0);
	OUT(&t, T_MS(300), .seq = t.us, .ack = t.peer, .flags = FIN | ACK);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQ), 1);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQNSD), 0);
	IN(&t, T_MS(310), .seq = t.peer, .ack = t.us + 1, .flags = ACK);
	t.us++;
	CHECK_STATE(&t, TCPS_FIN_WAIT_2);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQ), 0);
	/* The peer's FIN is not a byte to read. */
	peer_data(&t, T_MS(320), "xyz", 3);
	IN(&t, T_MS(320), .seq = t.peer, .ack = t.us, .flags = FIN | ACK);
	t.peer++;
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCINQ), 3);
	tcp_fx_finish(&t);
}

TEST(tcp_ioctl_zero_while_opening)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	CHECK_EQ(tern_send(t.fx.s, t.sd, "abc", 3, 0), TERN_EAGAIN);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCINQ), 0);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQ), 0);
	CHECK_EQ(ioc(&t, t.sd, TERN_SIOCOUTQNSD), 0);
	int fresh = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	CHECK_EQ(ioc(&t, fresh, TERN_SIOCINQ), 0);
	CHECK_EQ(ioc(&t, fresh, TERN_SIOCOUTQ), 0);
	tcp_fx_finish(&t);
}

TEST(tcp_rmem_sets_a_new_connections_window)
{
	/* tcp_rmem[1] is SO_RCVBUF of a new socket: the SYN's window is half of it. */
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	REQUIRE(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_rmem", "4096 16384 6291456") == 0);
	at_time(&t, T_MS(10));
	t.sd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	REQUIRE(tern_connect(t.fx.s, t.sd, &dst) == TERN_EINPROGRESS);
	struct fx_pkt p;
	struct tern_tcp_repr th;
	REQUIRE(tcp_pop_(&t, T_MS(10), &p, &th, __FILE__, __LINE__));
	fx_pkt_free(&p);
	CHECK_EQ(th.window, 8192);
	tcp_fx_finish(&t);
}

TEST_MAIN()
