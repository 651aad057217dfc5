/*
 * tests/unit/test_socket_api.c — the generic socket API on one stack, over
 * loopback: descriptors, send/recv semantics (truncation, peek, zero-length
 * datagrams, the size limit), names, options, poll and callbacks,
 * shutdown, enumeration for ss, and that closing frees every buffer.
 * Each expectation names the Linux behaviour it mirrors.
 */
#include "test_socket_util.h"

/* ---- descriptors ------------------------------------------------------------ */

TEST(socket_create_errors)
{
	struct tern_stack *s = lone_stack(1);
	REQUIRE(s);
	CHECK_EQ(tern_socket(s, 10 /* AF_INET6 */, TERN_SOCK_DGRAM, 0), TERN_EAFNOSUPPORT);
	CHECK_EQ(tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, TERN_IPPROTO_UDP), TERN_EPROTONOSUPPORT);
	CHECK_EQ(tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, TERN_IPPROTO_TCP), TERN_EPROTONOSUPPORT);
	CHECK_EQ(tern_socket(s, TERN_AF_INET, 0, 0), TERN_EINVAL);
	CHECK_EQ(tern_socket(s, TERN_AF_INET, 99, 0), TERN_EINVAL);
	CHECK_EQ(tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, TERN_IPPROTO_UDP), 0);
	CHECK_EQ(tern_socket_next(s, -1), 0);
	CHECK_EQ(tern_socket_next(s, 0), -1);
	lone_finish(s);
}

TEST(descriptors_lowest_free_first)
{
	struct tern_stack *s = lone_stack(1);
	REQUIRE(s);
	for (int i = 0; i < 40; i++) /* past the table's first growth */
		CHECK_EQ(udp_socket(s, 0), i);
	CHECK_EQ(tern_close(s, 7), 0);
	CHECK_EQ(tern_close(s, 3), 0);
	CHECK_EQ(tern_close(s, 3), TERN_EBADF);
	CHECK_EQ(udp_socket(s, 0), 3);
	CHECK_EQ(udp_socket(s, 0), 7);
	CHECK_EQ(udp_socket(s, 0), 40);
	CHECK_EQ(tern_close(s, -1), TERN_EBADF);
	CHECK_EQ(tern_close(s, 1000), TERN_EBADF);
	char b[4];
	struct tern_sockaddr_in a = sa(IP_LO, 9);
	CHECK_EQ(tern_bind(s, 99, &a), TERN_EBADF);
	CHECK_EQ(tern_sendto(s, 99, b, 1, 0, &a), TERN_EBADF);
	CHECK_EQ(tern_recv(s, 99, b, 1, 0), TERN_EBADF);
	CHECK_EQ(tern_bind(s, 0, NULL), TERN_EFAULT);
	lone_finish(s);
}

TEST(listen_accept_not_for_udp)
{
	struct tern_stack *s = lone_stack(1);
	REQUIRE(s);
	int sd = udp_bound(s, 0, 0, 5000);
	REQUIRE(sd >= 0);
	CHECK_EQ(tern_listen(s, sd, 5), TERN_EOPNOTSUPP);
	CHECK_EQ(tern_accept(s, sd, NULL), TERN_EOPNOTSUPP);
	lone_finish(s);
}

/* ---- data ------------------------------------------------------------------------ */

TEST(loopback_sendto_recvfrom)
{
	struct tern_stack *s = lone_stack(2);
	REQUIRE(s);
	int srv = udp_bound(s, 0, IP_LO, 5000);
	int cli = udp_socket(s, 0);
	REQUIRE(srv >= 0 && cli >= 0);
	struct tern_sockaddr_in to = sa(IP_LO, 5000), from, me;
	CHECK_EQ(tern_sendto(s, cli, "hello", 5, 0, &to), 5);
	CHECK_EQ(tern_recv(s, srv, (char[8]){0}, 8, 0), TERN_EAGAIN); /* still on the loopback queue */
	lo_run(s);
	char buf[16] = {0};
	CHECK_EQ(tern_recvfrom(s, srv, buf, sizeof(buf), 0, &from), 5);
	CHECK_MEM(buf, "hello", 5);
	/* The sender was bound on send, to 0.0.0.0 and an ephemeral port. */
	CHECK_EQ(tern_getsockname(s, cli, &me), 0);
	CHECK_EQ(me.addr, 0);
	CHECK(me.port >= 49152);
	CHECK_EQ(from.addr, IP_LO);
	CHECK_EQ(from.port, me.port);
	CHECK_EQ(tern_recv(s, srv, buf, sizeof(buf), TERN_MSG_DONTWAIT), TERN_EAGAIN);
	CHECK_EQ(stat_of(s, "udp.in_datagrams"), 1);
	CHECK_EQ(stat_of(s, "udp.out_datagrams"), 1);
	lone_finish(s);
}

TEST(recv_truncation_peek_and_trunc_flag)
{
	struct tern_stack *s = lone_stack(3);
	REQUIRE(s);
	int srv = udp_bound(s, 0, IP_LO, 5000), cli = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 5000);
	uint8_t msg[100], buf[100];
	for (int i = 0; i < 100; i++)
		msg[i] = (uint8_t)i;
	for (int i = 0; i < 3; i++)
		CHECK_EQ(tern_sendto(s, cli, msg, sizeof(msg), 0, &to), 100);
	lo_run(s);
	/* PEEK leaves the datagram queued. */
	CHECK_EQ(tern_recv(s, srv, buf, 10, TERN_MSG_PEEK), 10);
	CHECK_MEM(buf, msg, 10);
	CHECK_EQ(tern_recv(s, srv, buf, 100, TERN_MSG_PEEK | TERN_MSG_TRUNC), 100);
	/* Linux: a short buffer gets the first bytes, the rest is discarded,
	 * the return value is what was copied... */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(tern_recv(s, srv, buf, 10, 0), 10);
	CHECK_MEM(buf, msg, 10);
	CHECK_EQ(buf[10], 0);
	/* ...or, with MSG_TRUNC, the datagram's real length. */
	CHECK_EQ(tern_recv(s, srv, buf, 10, TERN_MSG_TRUNC), 100);
	/* A zero-length read consumes a datagram too. */
	CHECK_EQ(tern_recv(s, srv, NULL, 0, 0), 0);
	CHECK_EQ(tern_recv(s, srv, buf, 100, 0), TERN_EAGAIN);
	lone_finish(s);
}

TEST(zero_length_datagram)
{
	struct tern_stack *s = lone_stack(3);
	REQUIRE(s);
	int srv = udp_bound(s, 0, IP_LO, 5000), cli = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 5000), from = {0};
	CHECK_EQ(tern_sendto(s, cli, NULL, 0, 0, &to), 0);
	lo_run(s);
	struct tern_pollfd p = {srv, TERN_POLLIN, 0};
	CHECK_EQ(tern_poll(s, &p, 1), 1);
	char buf[4];
	CHECK_EQ(tern_recvfrom(s, srv, buf, sizeof(buf), 0, &from), 0);
	CHECK_EQ(from.addr, IP_LO);
	CHECK_EQ(tern_recv(s, srv, buf, sizeof(buf), 0), TERN_EAGAIN);
	lone_finish(s);
}

TEST(send_errors_and_size_limit)
{
	struct tern_stack *s = lone_stack(4);
	REQUIRE(s);
	int srv = udp_bound(s, 0, IP_LO, 5000), cli = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 5000), zero_port = sa(IP_LO, 0);
	static uint8_t big[TERN_UDP_MAX_PAYLOAD + 1];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	CHECK_EQ(tern_send(s, cli, "x", 1, 0), TERN_EDESTADDRREQ);
	CHECK_EQ(tern_sendto(s, cli, "x", 1, 0, &zero_port), TERN_EINVAL);
	CHECK_EQ(tern_sendto(s, cli, NULL, 1, 0, &to), TERN_EFAULT);
	/* udp(7): 65507 is the most a datagram can carry over IPv4. */
	CHECK_EQ(tern_sendto(s, cli, big, sizeof(big), 0, &to), TERN_EMSGSIZE);
	CHECK_EQ(tern_sendto(s, cli, big, TERN_UDP_MAX_PAYLOAD, 0, &to), TERN_UDP_MAX_PAYLOAD);
	struct tern_sockaddr_in unroutable = sa(TERN_IP4(192, 0, 2, 1), 9);
	CHECK_EQ(tern_sendto(s, cli, "x", 1, 0, &unroutable), TERN_ENETUNREACH);
	lo_run(s);
	static uint8_t got[TERN_UDP_MAX_PAYLOAD];
	CHECK_EQ(tern_recv(s, srv, got, sizeof(got), 0), TERN_UDP_MAX_PAYLOAD);
	CHECK_MEM(got, big, TERN_UDP_MAX_PAYLOAD);
	lone_finish(s);
}

TEST(send_to_any_address_is_local)
{
	/* Linux: a destination of 0.0.0.0 means this host (127.0.0.1). */
	struct tern_stack *s = lone_stack(4);
	REQUIRE(s);
	int srv = udp_bound(s, 0, 0, 5000), cli = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(0, 5000), from;
	CHECK_EQ(tern_sendto(s, cli, "z", 1, 0, &to), 1);
	lo_run(s);
	char c;
	CHECK_EQ(tern_recvfrom(s, srv, &c, 1, 0, &from), 1);
	CHECK_EQ(from.addr, IP_LO);
	lone_finish(s);
}

/* ---- names and connect ----------------------------------------------------------- */

TEST(getsockname_getpeername_connect_disconnect)
{
	struct tern_stack *s = lone_stack(5);
	REQUIRE(s);
	int sd = udp_socket(s, 0);
	struct tern_sockaddr_in n, p;
	CHECK_EQ(tern_getsockname(s, sd, &n), 0);
	CHECK_EQ(n.addr, 0);
	CHECK_EQ(n.port, 0);
	CHECK_EQ(tern_getpeername(s, sd, &p), TERN_ENOTCONN);
	/* Connecting an unbound socket binds it and takes the route's source. */
	struct tern_sockaddr_in peer = sa(TERN_IP4(127, 0, 0, 9), 7777);
	CHECK_EQ(tern_connect(s, sd, &peer), 0);
	CHECK_EQ(tern_getsockname(s, sd, &n), 0);
	CHECK_EQ(n.addr, TERN_IP4(127, 0, 0, 9)); /* loopback: the source is the destination */
	CHECK(n.port >= 49152);
	CHECK_EQ(tern_getpeername(s, sd, &p), 0);
	CHECK_EQ(p.addr, peer.addr);
	CHECK_EQ(p.port, 7777);
	struct tern_sockaddr_in again = sa(IP_LO, 1234);
	CHECK_EQ(tern_bind(s, sd, &again), TERN_EINVAL); /* already bound (by connect) */
	/* AF_UNSPEC disconnect: what connect chose is given back. */
	CHECK_EQ(tern_connect(s, sd, NULL), 0);
	CHECK_EQ(tern_getpeername(s, sd, &p), TERN_ENOTCONN);
	CHECK_EQ(tern_getsockname(s, sd, &n), 0);
	CHECK_EQ(n.addr, 0);
	CHECK_EQ(n.port, 0);
	/* What bind chose is kept. */
	int b = udp_bound(s, 0, IP_LO, 4000);
	CHECK_EQ(tern_connect(s, b, &peer), 0);
	CHECK_EQ(tern_connect(s, b, NULL), 0);
	CHECK_EQ(tern_getsockname(s, b, &n), 0);
	CHECK_EQ(n.addr, IP_LO);
	CHECK_EQ(n.port, 4000);
	/* A wildcard-bound port survives, the address goes back to 0.0.0.0. */
	int w = udp_bound(s, 0, 0, 4001);
	CHECK_EQ(tern_connect(s, w, &peer), 0);
	CHECK_EQ(tern_getsockname(s, w, &n), 0);
	CHECK_EQ(n.addr, TERN_IP4(127, 0, 0, 9));
	CHECK_EQ(tern_connect(s, w, NULL), 0);
	CHECK_EQ(tern_getsockname(s, w, &n), 0);
	CHECK_EQ(n.addr, 0);
	CHECK_EQ(n.port, 4001);
	lone_finish(s);
}

TEST(connected_socket_hears_only_its_peer)
{
	struct tern_stack *s = lone_stack(6);
	REQUIRE(s);
	int srv = udp_bound(s, 0, IP_LO, 5000);
	int peer = udp_bound(s, 0, IP_LO, 6000), other = udp_bound(s, 0, IP_LO, 6001);
	struct tern_sockaddr_in to_peer = sa(IP_LO, 6000), to_srv = sa(IP_LO, 5000);
	CHECK_EQ(tern_connect(s, srv, &to_peer), 0);
	CHECK_EQ(tern_send(s, srv, "a", 1, 0), 1);
	CHECK_EQ(tern_sendto(s, other, "b", 1, 0, &to_srv), 1); /* not the peer: no socket takes it */
	CHECK_EQ(tern_sendto(s, peer, "c", 1, 0, &to_srv), 1);
	lo_run(s);
	char c = 0;
	CHECK_EQ(tern_recv(s, peer, &c, 1, 0), 1);
	CHECK_EQ(c, 'a');
	CHECK_EQ(tern_recv(s, srv, &c, 1, 0), 1);
	CHECK_EQ(c, 'c');
	CHECK_EQ(tern_recv(s, srv, &c, 1, 0), TERN_EAGAIN);
	CHECK_EQ(stat_of(s, "udp.no_port"), 1);
	lo_run(s); /* the port unreachable travels */
	/* other is not connected: Linux ignores the error without IP_RECVERR */
	CHECK_EQ(tern_recv(s, other, &c, 1, 0), TERN_EAGAIN);
	lone_finish(s);
}

/* ---- options ------------------------------------------------------------------------ */

TEST(socket_options)
{
	struct tern_stack *s = lone_stack(7);
	REQUIRE(s);
	int sd = udp_socket(s, 0), v = -5;
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_TYPE, &v), 0);
	CHECK_EQ(v, TERN_SOCK_DGRAM);
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 212992); /* Linux rmem_default */
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_SNDBUF, &v), 0);
	CHECK_EQ(v, 212992);
	/* socket(7): the kernel doubles the value, within [min, 2 × max]. */
	CHECK_EQ(set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, 5000), 0);
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 10000);
	CHECK_EQ(set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, 1), 0);
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 2304);
	CHECK_EQ(set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, -1), 0);
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &v), 0);
	CHECK_EQ(v, 2 * 212992);
	CHECK_EQ(set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_SNDBUF, 10), 0);
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_SNDBUF, &v), 0);
	CHECK_EQ(v, 4608);
	/* Booleans read back as 0/1. */
	CHECK_EQ(set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_BROADCAST, 42), 0);
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_BROADCAST, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(get_int(s, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &v), 0);
	CHECK_EQ(v, 0);
	/* ip(7): IP_TTL is 1..255 or -1 (default, 64 here as on Linux). */
	CHECK_EQ(get_int(s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, &v), 0);
	CHECK_EQ(v, 64);
	CHECK_EQ(set_int(s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, 0), TERN_EINVAL);
	CHECK_EQ(set_int(s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, 256), TERN_EINVAL);
	CHECK_EQ(set_int(s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, 7), 0);
	CHECK_EQ(get_int(s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, &v), 0);
	CHECK_EQ(v, 7);
	CHECK_EQ(set_int(s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, -1), 0);
	CHECK_EQ(get_int(s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, &v), 0);
	CHECK_EQ(v, 64);
	/* An IP option may be a single byte. */
	unsigned char tos = 0xb8;
	CHECK_EQ(tern_setsockopt(s, sd, TERN_IPPROTO_IP, TERN_IP_TOS, &tos, 1), 0);
	CHECK_EQ(get_int(s, sd, TERN_IPPROTO_IP, TERN_IP_TOS, &v), 0);
	CHECK_EQ(v, 0xb8);
	unsigned char small = 0;
	size_t len = 1;
	CHECK_EQ(tern_getsockopt(s, sd, TERN_IPPROTO_IP, TERN_IP_TTL, &small, &len), 0);
	CHECK_EQ(len, 1);
	CHECK_EQ(small, 64);
	/* Errors */
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &tos, 1), TERN_EINVAL);
	CHECK_EQ(set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_TYPE, 1), TERN_ENOPROTOOPT);
	CHECK_EQ(set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, 1), TERN_ENOPROTOOPT);
	CHECK_EQ(set_int(s, sd, TERN_SOL_SOCKET, 999, 1), TERN_ENOPROTOOPT);
	CHECK_EQ(set_int(s, sd, 17 /* SOL_UDP */, 1, 1), TERN_ENOPROTOOPT);
	CHECK_EQ(get_int(s, sd, TERN_IPPROTO_IP, 999, &v), TERN_ENOPROTOOPT);
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, NULL, 4), TERN_EFAULT);
	len = 0;
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_TYPE, &v, &len), TERN_EINVAL);
	lone_finish(s);
}

/* Records what the stack sent, for the IP header fields. */
struct tx_seen {
	uint8_t ttl, tos;
	unsigned n;
};

static void on_trace(void *ctx, struct tern_stack *s, const struct tern_trace_event *ev)
{
	struct tx_seen *t = ctx;
	if (ev->kind == TERN_TRACE_TX && ev->layer == TERN_LAYER_IP && ev->len >= 20) {
		t->ttl = ev->data[8];
		t->tos = ev->data[1];
		t->n++;
	}
}

TEST(ttl_and_tos_reach_the_wire)
{
	struct tern_stack *s = lone_stack(8);
	REQUIRE(s);
	struct tx_seen seen = {0};
	REQUIRE(tern_stack_trace_subscribe(s, on_trace, &seen) >= 0);
	int srv = udp_bound(s, 0, IP_LO, 5000), cli = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 5000);
	CHECK_EQ(tern_sendto(s, cli, "x", 1, 0, &to), 1);
	CHECK_EQ(seen.ttl, 64);
	CHECK_EQ(seen.tos, 0);
	set_int(s, cli, TERN_IPPROTO_IP, TERN_IP_TTL, 3);
	set_int(s, cli, TERN_IPPROTO_IP, TERN_IP_TOS, 0x10);
	CHECK_EQ(tern_sendto(s, cli, "x", 1, 0, &to), 1);
	CHECK_EQ(seen.ttl, 3);
	CHECK_EQ(seen.tos, 0x10);
	CHECK_EQ(seen.n, 2);
	(void)srv;
	lone_finish(s);
}

/* ---- readiness ------------------------------------------------------------------------ */

struct cb_log {
	unsigned calls;
	unsigned last_events;
	int last_sd;
	bool close_it;
};

static void on_ready(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct cb_log *l = ctx;
	l->calls++;
	l->last_events = events;
	l->last_sd = sd;
	if (l->close_it)
		tern_close(s, sd);
}

TEST(poll_and_callback)
{
	struct tern_stack *s = lone_stack(9);
	REQUIRE(s);
	int srv = udp_bound(s, 0, IP_LO, 5000), cli = udp_socket(s, 0);
	struct cb_log log = {0};
	CHECK_EQ(tern_socket_set_callback(s, srv, on_ready, &log), 0);
	struct tern_pollfd p[4] = {
		{srv, TERN_POLLIN | TERN_POLLOUT, 99}, {cli, TERN_POLLIN, 99}, {-1, TERN_POLLIN, 99},
		{77, TERN_POLLIN, 99},
	};
	/* UDP is always writable; nothing to read yet; 77 is not open. */
	CHECK_EQ(tern_poll(s, p, 4), 2);
	CHECK_EQ(p[0].revents, TERN_POLLOUT);
	CHECK_EQ(p[1].revents, 0);
	CHECK_EQ(p[2].revents, 0);
	CHECK_EQ(p[3].revents, TERN_POLLNVAL);
	struct tern_sockaddr_in to = sa(IP_LO, 5000);
	CHECK_EQ(tern_sendto(s, cli, "x", 1, 0, &to), 1);
	CHECK_EQ(log.calls, 0);
	lo_run(s);
	CHECK_EQ(log.calls, 1);
	CHECK_EQ(log.last_sd, srv);
	CHECK_EQ(log.last_events, TERN_POLLIN | TERN_POLLOUT);
	CHECK_EQ(tern_poll(s, p, 1), 1);
	CHECK_EQ(p[0].revents, TERN_POLLIN | TERN_POLLOUT);
	char c;
	CHECK_EQ(tern_recv(s, srv, &c, 1, 0), 1);
	CHECK_EQ(tern_poll(s, p, 1), 1);
	CHECK_EQ(p[0].revents, TERN_POLLOUT);
	/* Removing the callback stops it. */
	CHECK_EQ(tern_socket_set_callback(s, srv, NULL, NULL), 0);
	CHECK_EQ(tern_sendto(s, cli, "x", 1, 0, &to), 1);
	lo_run(s);
	CHECK_EQ(log.calls, 1);
	/* A callback may close its socket, queued data and all. */
	log.close_it = true;
	CHECK_EQ(tern_socket_set_callback(s, srv, on_ready, &log), 0);
	CHECK_EQ(tern_sendto(s, cli, "y", 1, 0, &to), 1);
	lo_run(s);
	CHECK_EQ(log.calls, 2);
	CHECK_EQ(tern_poll(s, p, 1), 1);
	CHECK_EQ(p[0].revents, TERN_POLLNVAL);
	CHECK_EQ(tern_socket_set_callback(s, srv, on_ready, &log), TERN_EBADF);
	lone_finish(s);
}

TEST(shutdown_semantics)
{
	struct tern_stack *s = lone_stack(10);
	REQUIRE(s);
	int a = udp_bound(s, 0, IP_LO, 5000), b = udp_bound(s, 0, IP_LO, 5001);
	struct tern_sockaddr_in to_b = sa(IP_LO, 5001), to_a = sa(IP_LO, 5000);
	char c;
	CHECK_EQ(tern_shutdown(s, a, 3), TERN_EINVAL);
	CHECK_EQ(tern_shutdown(s, a, -1), TERN_EINVAL);
	/* Linux: ENOTCONN on an unconnected socket, but the shutdown holds. */
	CHECK_EQ(tern_shutdown(s, a, TERN_SHUT_WR), TERN_ENOTCONN);
	CHECK_EQ(tern_sendto(s, a, "x", 1, 0, &to_b), -EPIPE);
	/* Receiving still works after SHUT_WR. */
	CHECK_EQ(tern_sendto(s, b, "y", 1, 0, &to_a), 1);
	lo_run(s);
	CHECK_EQ(tern_recv(s, a, &c, 1, 0), 1);
	/* Connected: SHUT_RD returns 0; an empty queue then reads as end of
	 * file and polls readable, as a blocking Linux recv returns 0. */
	CHECK_EQ(tern_connect(s, b, &to_a), 0);
	struct tern_pollfd p = {b, TERN_POLLIN, 0};
	CHECK_EQ(tern_poll(s, &p, 1), 0);
	CHECK_EQ(tern_shutdown(s, b, TERN_SHUT_RD), 0);
	CHECK_EQ(tern_poll(s, &p, 1), 1);
	CHECK_EQ(p.revents, TERN_POLLIN);
	CHECK_EQ(tern_recv(s, b, &c, 1, 0), 0);
	CHECK_EQ(tern_send(s, b, "z", 1, 0), 1);
	CHECK_EQ(tern_shutdown(s, b, TERN_SHUT_RDWR), 0);
	CHECK_EQ(tern_poll(s, &p, 1), 1);
	CHECK_EQ(p.revents, TERN_POLLIN | TERN_POLLHUP);
	CHECK_EQ(tern_send(s, b, "z", 1, 0), -EPIPE);
	lone_finish(s);
}

/* ---- enumeration ------------------------------------------------------------------------ */

TEST(info_and_enumeration)
{
	struct tern_stack *s = lone_stack(11);
	REQUIRE(s);
	int a = udp_bound(s, 0, IP_LO, 5000), b = udp_socket(s, 0), c = udp_socket(s, 0);
	REQUIRE(a == 0 && b == 1 && c == 2);
	struct tern_sockaddr_in to_a = sa(IP_LO, 5000);
	CHECK_EQ(tern_connect(s, c, &to_a), 0);
	CHECK_EQ(tern_socket_set_owner(s, a, "nc"), 0);
	CHECK_EQ(tern_socket_set_owner(s, 9, "nc"), TERN_EBADF);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(tern_send(s, c, "abcd", 4, 0), 4);
	lo_run(s);

	struct tern_sock_info in;
	CHECK_EQ(tern_socket_info(s, a, &in), 0);
	CHECK_STR(in.state, "UNCONN");
	CHECK_EQ(in.type, TERN_SOCK_DGRAM);
	CHECK_EQ(in.protocol, TERN_IPPROTO_UDP);
	CHECK_EQ(in.local.addr, IP_LO);
	CHECK_EQ(in.local.port, 5000);
	CHECK_EQ(in.peer.addr, 0);
	CHECK_EQ(in.rx_datagrams, 3);
	CHECK(in.rx_queue >= 3 * 4); /* charged true sizes: at least the payload */
	CHECK_EQ(in.in_datagrams, 3);
	CHECK_EQ(in.drops, 0);
	CHECK_STR(in.owner, "nc");
	CHECK_EQ(tern_socket_info(s, c, &in), 0);
	CHECK_STR(in.state, "ESTAB");
	CHECK_EQ(in.peer.addr, IP_LO);
	CHECK_EQ(in.peer.port, 5000);
	CHECK_EQ(in.out_datagrams, 3);
	CHECK_STR(in.owner, "");
	char buf[8];
	while (tern_recv(s, a, buf, sizeof(buf), 0) > 0)
		;
	CHECK_EQ(tern_socket_info(s, a, &in), 0);
	CHECK_EQ(in.rx_queue, 0);
	CHECK_EQ(in.rx_datagrams, 0);

	CHECK_EQ(tern_close(s, b), 0);
	CHECK_EQ(tern_socket_next(s, -1), a);
	CHECK_EQ(tern_socket_next(s, a), c);
	CHECK_EQ(tern_socket_next(s, c), -1);
	CHECK_EQ(tern_socket_info(s, b, &in), TERN_EBADF);
	/* A long owner tag is truncated. */
	CHECK_EQ(tern_socket_set_owner(s, a, "a-very-long-program-name-for-the-ss-column"), 0);
	CHECK_EQ(tern_socket_info(s, a, &in), 0);
	CHECK_EQ(strlen(in.owner), TERN_SOCK_OWNER_LEN - 1);
	lone_finish(s);
}

/* ---- memory ------------------------------------------------------------------------------- */

TEST(close_frees_queued_buffers)
{
	struct tern_stack *s = lone_stack(12);
	REQUIRE(s);
	int srv = udp_bound(s, 0, IP_LO, 5000), cli = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 5000);
	static uint8_t big[20000];
	for (int i = 0; i < 20; i++)
		CHECK_EQ(tern_sendto(s, cli, "datagram", 8, 0, &to), 8);
	CHECK_EQ(tern_sendto(s, cli, big, sizeof(big), 0, &to), (int)sizeof(big));
	lo_run(s);
	CHECK(pool_in_use(s) >= 21);
	CHECK_EQ(tern_close(s, srv), 0);
	CHECK_EQ(pool_in_use(s), 0);
	/* Destroying a stack with queued data frees it too (ASan checks). */
	srv = udp_bound(s, 0, IP_LO, 5000);
	CHECK_EQ(tern_sendto(s, cli, big, sizeof(big), 0, &to), (int)sizeof(big));
	lo_run(s);
	CHECK_EQ(pool_in_use(s), 1);
	tern_stack_destroy(s);
}

/* ---- Linux's layouts and conveniences ------------------------------------------ */

TEST(so_rcvtimeo_sndtimeo_take_struct_timeval)
{
	struct tern_stack *s = lone_stack(1);
	REQUIRE(s);
	int sd = udp_socket(s, 0);
	struct tern_timeval tv = {7, 7}, got;
	size_t len = sizeof(got);
	/* Default: {0, 0}, no limit. */
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &got, &len), 0);
	CHECK_EQ(len, sizeof(got));
	CHECK(got.tv_sec == 0 && got.tv_usec == 0);
	tern_time_t r = 0, w = 0;
	CHECK_EQ(tern_socket_timeouts(s, sd, &r, &w), 0);
	CHECK(r == TERN_TIME_NEVER && w == TERN_TIME_NEVER);
	tv = (struct tern_timeval){2, 500000};
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	tv = (struct tern_timeval){0, 20000};
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &got, &len), 0);
	CHECK(got.tv_sec == 2 && got.tv_usec == 500000);
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_SNDTIMEO, &got, &len), 0);
	CHECK(got.tv_sec == 0 && got.tv_usec == 20000);
	CHECK_EQ(tern_socket_timeouts(s, sd, &r, &w), 0);
	CHECK_EQ(r, TERN_MSEC(2500));
	CHECK_EQ(w, TERN_MSEC(20));
	/* Linux's sock_set_timeout: usec out of range EDOM, short EINVAL,
	 * negative seconds: no wait (reads back as {0, 0}). */
	tv = (struct tern_timeval){1, 1000000};
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &tv, sizeof(tv)), TERN_EDOM);
	tv = (struct tern_timeval){1, -1};
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &tv, sizeof(tv)), TERN_EDOM);
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &tv, sizeof(int)), TERN_EINVAL);
	tv = (struct tern_timeval){-5, 0};
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	CHECK_EQ(tern_socket_timeouts(s, sd, &r, NULL), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &got, &len), 0);
	CHECK(got.tv_sec == 0 && got.tv_usec == 0);
	tv = (struct tern_timeval){0, 0};
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	CHECK_EQ(tern_socket_timeouts(s, sd, &r, NULL), 0);
	CHECK_EQ(r, TERN_TIME_NEVER);
	/* A short buffer gets the first bytes, as Linux copies min(len, size). */
	long first = -1;
	len = sizeof(first);
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_SNDTIMEO, &first, &len), 0);
	CHECK_EQ(len, sizeof(long));
	CHECK_EQ(first, 0);
	CHECK_EQ(tern_socket_timeouts(s, 99, &r, NULL), TERN_EBADF);
	lone_finish(s);
}

TEST(so_linger_reads_back_as_struct_linger)
{
	struct tern_stack *s = lone_stack(1);
	REQUIRE(s);
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_linger l, got = {9, 9};
	size_t len = sizeof(got);
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &got, &len), 0);
	CHECK(len == sizeof(got) && got.l_onoff == 0 && got.l_linger == 0);
	l = (struct tern_linger){5, 12};
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &l, sizeof(l)), 0);
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &got, &len), 0);
	CHECK(got.l_onoff == 1 && got.l_linger == 12);
	/* Off keeps the time, as Linux (only the flag goes). */
	l = (struct tern_linger){0, 3};
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &l, sizeof(l)), 0);
	CHECK_EQ(tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &got, &len), 0);
	CHECK(got.l_onoff == 0 && got.l_linger == 12);
	CHECK_EQ(tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &l, sizeof(int)), TERN_EINVAL);
	lone_finish(s);
}

TEST(udp_ioctl_siocinq_is_the_next_datagrams_size)
{
	struct tern_stack *s = lone_stack(1);
	REQUIRE(s);
	int rx = udp_bound(s, 0, IP_LO, 7000), tx = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 7000);
	int v = -1;
	CHECK_EQ(tern_ioctl(s, rx, TERN_SIOCINQ, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(tern_sendto(s, tx, "hello", 5, 0, &to), 5);
	CHECK_EQ(tern_sendto(s, tx, "", 0, 0, &to), 0);
	CHECK_EQ(tern_sendto(s, tx, "nine byte", 9, 0, &to), 9);
	lo_run(s);
	CHECK_EQ(tern_ioctl(s, rx, TERN_SIOCINQ, &v), 0);
	CHECK_EQ(v, 5); /* the next datagram, not all queued (Linux's udp_ioctl) */
	char buf[16];
	CHECK_EQ(tern_recv(s, rx, buf, sizeof(buf), 0), 5);
	CHECK_EQ(tern_ioctl(s, rx, TERN_SIOCINQ, &v), 0);
	CHECK_EQ(v, 0); /* a zero-length datagram is next */
	CHECK_EQ(tern_recv(s, rx, buf, sizeof(buf), 0), 0);
	CHECK_EQ(tern_ioctl(s, rx, TERN_SIOCINQ, &v), 0);
	CHECK_EQ(v, 9);
	/* MSG_WAITALL means nothing to a datagram socket; MSG_DONTWAIT is accepted. */
	CHECK_EQ(tern_recv(s, rx, buf, sizeof(buf), TERN_MSG_WAITALL | TERN_MSG_DONTWAIT), 9);
	CHECK_EQ(tern_ioctl(s, tx, TERN_SIOCOUTQ, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(tern_ioctl(s, tx, TERN_SIOCOUTQNSD, &v), TERN_ENOTTY);
	CHECK_EQ(tern_ioctl(s, tx, 0x1234, &v), TERN_ENOTTY);
	CHECK_EQ(tern_ioctl(s, tx, TERN_SIOCINQ, NULL), TERN_EFAULT);
	CHECK_EQ(tern_ioctl(s, 99, TERN_SIOCINQ, &v), TERN_EBADF);
	lone_finish(s);
}

TEST(udp_pollrdhup_after_shut_rd)
{
	struct tern_stack *s = lone_stack(1);
	REQUIRE(s);
	int sd = udp_bound(s, 0, IP_LO, 7001);
	struct tern_pollfd p = {sd, TERN_POLLIN | TERN_POLLOUT | TERN_POLLRDHUP, 0};
	CHECK_EQ(tern_poll(s, &p, 1), 1);
	CHECK_EQ(p.revents, TERN_POLLOUT);
	CHECK_EQ(tern_shutdown(s, sd, TERN_SHUT_RD), TERN_ENOTCONN); /* takes effect anyway */
	tern_poll(s, &p, 1);
	CHECK_EQ(p.revents, TERN_POLLIN | TERN_POLLOUT | TERN_POLLRDHUP);
	p.events = TERN_POLLIN; /* RDHUP only when asked for */
	tern_poll(s, &p, 1);
	CHECK_EQ(p.revents, TERN_POLLIN);
	tern_shutdown(s, sd, TERN_SHUT_WR);
	p.events = TERN_POLLRDHUP;
	tern_poll(s, &p, 1);
	CHECK_EQ(p.revents, TERN_POLLRDHUP | TERN_POLLHUP);
	lone_finish(s);
}

TEST_MAIN()
