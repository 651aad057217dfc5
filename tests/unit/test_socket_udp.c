/*
 * tests/unit/test_socket_udp.c — UDP between simulated hosts (A 10.0.0.1,
 * B 10.0.0.2 on one link; a router R for the soft-error cases):
 * demultiplexing (exact 4-tuple before specific before wildcard, newest
 * wins among REUSEADDR ties), SO_REUSEPORT spreading, broadcast (SO_BROADCAST
 * gates sending; receiving needs nothing; the sender hears its own, as
 * Linux), fragmented datagrams, ICMP
 * errors as Linux reports them, the receive buffer bound, checksums, and
 * that every buffer is back in the pool at the end.
 */
#include "wire/checksum.h"
#include "test_socket_util.h"
#include "wire/bytes.h"

#define IP_B2 TERN_IP4(10, 0, 0, 3) /* B's second address */

/* Receive every queued datagram on sd; returns how many. */
static int drain(struct tern_stack *s, int sd)
{
	static uint8_t buf[65536];
	int n = 0;
	while (tern_recv(s, sd, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

/* The first byte of the next datagram, or -1. */
static int recv_byte(struct tern_stack *s, int sd)
{
	uint8_t c;
	return tern_recv(s, sd, &c, 1, 0) == 1 ? c : -1;
}

static int send_byte(struct tern_stack *s, int sd, tern_ip4_t addr, uint16_t port, uint8_t c)
{
	struct tern_sockaddr_in to = sa(addr, port);
	return tern_sendto(s, sd, &c, 1, 0, &to);
}

/* Resolve ARP both ways so later bursts are not held (3 per address) or
 * dropped while it resolves. */
static void warm_up(struct pair *p)
{
	int a = udp_bound(p->a, 0, 0, 1), b = udp_bound(p->b, 0, 0, 1);
	send_byte(p->a, a, IP_B, 1, 0);
	pair_run(p, TERN_MSEC(10));
	send_byte(p->b, b, IP_A, 1, 0);
	pair_run(p, TERN_MSEC(10));
	tern_close(p->a, a);
	tern_close(p->b, b);
}

/* ---- demultiplexing ------------------------------------------------------------ */

TEST(exact_before_specific_before_wildcard)
{
	struct pair p;
	REQUIRE(pair_init(&p, 11, NULL));
	REQUIRE(tern_stack_addr_add(p.b, 1, IP_B2, 24, 0) == 0);
	pair_run(&p, TERN_MSEC(1));
	int w = udp_bound(p.b, OPT_REUSEADDR, 0, 7000);
	int sp = udp_bound(p.b, OPT_REUSEADDR, IP_B, 7000);
	int c = udp_bound(p.b, OPT_REUSEADDR, IP_B, 7000);
	struct tern_sockaddr_in peer = sa(IP_A, 6000);
	REQUIRE(w >= 0 && sp >= 0 && c >= 0);
	CHECK_EQ(tern_connect(p.b, c, &peer), 0);
	int a6000 = udp_bound(p.a, 0, 0, 6000), a6001 = udp_bound(p.a, 0, 0, 6001);

	send_byte(p.a, a6000, IP_B, 7000, 1);  /* exact 4-tuple: c */
	send_byte(p.a, a6001, IP_B, 7000, 2);  /* specific address: sp */
	send_byte(p.a, a6000, IP_B2, 7000, 3); /* only the wildcard matches */
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(recv_byte(p.b, c), 1);
	CHECK_EQ(recv_byte(p.b, sp), 2);
	CHECK_EQ(recv_byte(p.b, w), 3);
	CHECK_EQ(drain(p.b, c) + drain(p.b, sp) + drain(p.b, w), 0);

	/* Without the specific socket its traffic falls to the wildcard. */
	tern_close(p.b, sp);
	send_byte(p.a, a6001, IP_B, 7000, 4);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(recv_byte(p.b, w), 4);
	/* Among equal matches (REUSEADDR) the newest bound wins, as Linux. */
	int w2 = udp_bound(p.b, OPT_REUSEADDR, 0, 7000);
	send_byte(p.a, a6001, IP_B, 7000, 5);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(recv_byte(p.b, w2), 5);
	CHECK_EQ(recv_byte(p.b, w), -1);
	CHECK_EQ(stat_of(p.b, "udp.in_datagrams"), 5);
	CHECK_EQ(stat_of(p.b, "udp.no_port"), 0);
	pair_finish(&p);
}

struct arrivals {
	unsigned calls;
	unsigned events;
};

static void on_arrival(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct arrivals *a = ctx;
	a->calls++;
	a->events |= events;
}

TEST(datagram_across_the_link_with_callback_and_poll)
{
	struct pair p;
	REQUIRE(pair_init(&p, 12, NULL));
	int srv = udp_bound(p.b, 0, 0, 5353), cli = udp_socket(p.a, 0);
	struct arrivals ar = {0};
	tern_socket_set_callback(p.b, srv, on_arrival, &ar);
	struct tern_sockaddr_in to = sa(IP_B, 5353), from;
	CHECK_EQ(tern_sendto(p.a, cli, "ping", 4, 0, &to), 4);
	struct tern_pollfd pf = {srv, TERN_POLLIN, 0};
	CHECK_EQ(tern_poll(p.b, &pf, 1), 0);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(ar.calls, 1);
	CHECK_EQ(ar.events, TERN_POLLIN | TERN_POLLOUT);
	CHECK_EQ(tern_poll(p.b, &pf, 1), 1);
	char buf[8];
	CHECK_EQ(tern_recvfrom(p.b, srv, buf, sizeof(buf), 0, &from), 4);
	CHECK_MEM(buf, "ping", 4);
	struct tern_sockaddr_in me;
	tern_getsockname(p.a, cli, &me);
	CHECK_EQ(from.addr, IP_A);
	CHECK_EQ(from.port, me.port);
	/* Reply to whoever sent it. */
	CHECK_EQ(tern_sendto(p.b, srv, "pong", 4, 0, &from), 4);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(tern_recvfrom(p.a, cli, buf, sizeof(buf), 0, &from), 4);
	CHECK_MEM(buf, "pong", 4);
	CHECK_EQ(from.addr, IP_B);
	CHECK_EQ(from.port, 5353);
	pair_finish(&p);
}

/* ---- SO_REUSEPORT -------------------------------------------------------------------- */

TEST(reuseport_spreads_flows_over_four_sockets)
{
	struct pair p;
	REQUIRE(pair_init(&p, 13, NULL));
	warm_up(&p);
	int srv[4], got[4] = {0};
	for (int i = 0; i < 4; i++)
		REQUIRE((srv[i] = udp_bound(p.b, OPT_REUSEPORT, 0, 8000)) >= 0);
	/* 1000 datagrams, each from a fresh socket: 1000 source ports. */
	for (int i = 0; i < 1000; i++) {
		int sd = udp_socket(p.a, 0);
		CHECK_EQ(send_byte(p.a, sd, IP_B, 8000, 0), 1);
		tern_close(p.a, sd);
		if (i % 50 == 49) {
			pair_run(&p, TERN_MSEC(1));
			for (int k = 0; k < 4; k++)
				got[k] += drain(p.b, srv[k]);
		}
	}
	fprintf(stderr, "  reuseport: %d %d %d %d\n", got[0], got[1], got[2], got[3]);
	CHECK_EQ(got[0] + got[1] + got[2] + got[3], 1000);
	for (int k = 0; k < 4; k++)
		CHECK(got[k] >= 150); /* 250 expected each */
	CHECK_EQ(stat_of(p.b, "udp.receive_buffer_errors"), 0);

	/* A flow sticks to its socket. */
	int sd = udp_socket(p.a, 0);
	for (int i = 0; i < 20; i++)
		send_byte(p.a, sd, IP_B, 8000, (uint8_t)i);
	pair_run(&p, TERN_MSEC(1));
	int holders = 0;
	for (int k = 0; k < 4; k++)
		holders += drain(p.b, srv[k]) > 0;
	CHECK_EQ(holders, 1);
	pair_finish(&p);
}

TEST(reuseport_closing_a_socket_moves_only_its_flows)
{
	struct pair p;
	REQUIRE(pair_init(&p, 14, NULL));
	warm_up(&p);
	int srv[4], src[100], where[100];
	for (int i = 0; i < 4; i++)
		REQUIRE((srv[i] = udp_bound(p.b, OPT_REUSEPORT, 0, 8000)) >= 0);
	for (int i = 0; i < 100; i++)
		REQUIRE((src[i] = udp_bound(p.a, 0, 0, (uint16_t)(20000 + i))) >= 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++) {
			send_byte(p.a, src[i], IP_B, 8000, (uint8_t)i);
			if (i % 25 == 24)
				pair_run(&p, TERN_MSEC(1));
		}
		int moved = 0;
		for (int k = 0; k < 4; k++) {
			if (srv[k] < 0)
				continue;
			int c;
			while ((c = recv_byte(p.b, srv[k])) >= 0) {
				if (round == 0)
					where[c] = k;
				else
					moved += where[c] != k;
			}
		}
		if (round == 1) {
			/* Only the closed socket's flows moved (rendezvous hashing). */
			int closed_share = 0;
			for (int i = 0; i < 100; i++)
				closed_share += where[i] == 0;
			CHECK_EQ(moved, closed_share);
			CHECK(closed_share > 0);
		}
		tern_close(p.b, srv[0]);
		srv[0] = -1;
	}
	pair_finish(&p);
}

/* ---- broadcast ------------------------------------------------------------------------ */

TEST(broadcast_send_needs_so_broadcast)
{
	struct pair p;
	REQUIRE(pair_init(&p, 15, NULL));
	int w1 = udp_bound(p.b, OPT_REUSEADDR, 0, 6700), w2 = udp_bound(p.b, OPT_REUSEADDR, 0, 6700);
	int spec = udp_bound(p.b, OPT_REUSEADDR, IP_B, 6700);
	int bc = udp_bound(p.b, OPT_REUSEADDR, IP_NET_BCAST, 6700);
	int conn = udp_bound(p.b, OPT_REUSEADDR, 0, 6700);
	struct tern_sockaddr_in peer = sa(IP_A, 6001);
	REQUIRE(w1 >= 0 && w2 >= 0 && spec >= 0 && bc >= 0 && conn >= 0);
	CHECK_EQ(tern_connect(p.b, conn, &peer), 0);

	/* socket(7) SO_BROADCAST; Linux answers EACCES without it. (Bound
	 * to A's address, so that 255.255.255.255 has a way out.) */
	int a = udp_bound(p.a, 0, IP_A, 6001);
	CHECK_EQ(send_byte(p.a, a, IP_NET_BCAST, 6700, 1), TERN_EACCES);
	CHECK_EQ(send_byte(p.a, a, TERN_IP4_BROADCAST, 6700, 1), TERN_EACCES);
	struct tern_sockaddr_in bcast = sa(IP_NET_BCAST, 6700);
	CHECK_EQ(tern_connect(p.a, a, &bcast), TERN_EACCES);
	CHECK_EQ(stat_of(p.a, "udp.broadcast_not_allowed"), 3);
	CHECK_EQ(stat_of(p.a, "udp.out_datagrams"), 0);

	CHECK_EQ(set_int(p.a, a, TERN_SOL_SOCKET, TERN_SO_BROADCAST, 1), 0);
	CHECK_EQ(send_byte(p.a, a, IP_NET_BCAST, 6700, 7), 1);
	pair_run(&p, TERN_MSEC(10));
	/* Every socket whose address matches gets a copy (receiving needs no
	 * SO_BROADCAST): the wildcards and the one bound to the broadcast
	 * address; not the one bound to B's unicast address, nor the
	 * connected one (its local address became B's on connect). */
	CHECK_EQ(recv_byte(p.b, w1), 7);
	CHECK_EQ(recv_byte(p.b, w2), 7);
	CHECK_EQ(recv_byte(p.b, bc), 7);
	CHECK_EQ(recv_byte(p.b, spec), -1);
	CHECK_EQ(recv_byte(p.b, conn), -1);

	CHECK_EQ(send_byte(p.a, a, TERN_IP4_BROADCAST, 6700, 8), 1);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(recv_byte(p.b, w1), 8);
	CHECK_EQ(recv_byte(p.b, w2), 8);
	CHECK_EQ(recv_byte(p.b, bc), -1);
	CHECK_EQ(stat_of(p.b, "udp.in_datagrams"), 5);

	/* A broadcast nobody listens to: counted, but no ICMP (RFC 1122
	 * §3.2.2). Connected to the broadcast address, send works too. */
	CHECK_EQ(tern_connect(p.a, a, &(struct tern_sockaddr_in){IP_NET_BCAST, 6800}), 0);
	CHECK_EQ(tern_send(p.a, a, "q", 1, 0), 1);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(stat_of(p.b, "udp.no_port"), 1);
	CHECK_EQ(stat_of(p.b, "icmp.out_dest_unreachs"), 0);
	pair_finish(&p);
}

/* A host hears its own broadcasts, as Linux (a copy through loopback):
 * the sender's own socket and a neighbour both get it; a unicast to the
 * host's own address is not duplicated. */
TEST(broadcast_loops_back_to_the_sender)
{
	struct pair p;
	REQUIRE(pair_init(&p, 17, NULL));
	/* a default route, the way out for 255.255.255.255 */
	REQUIRE_EQ(tern_route_add(p.a, 0, 0, TERN_IP4(10, 0, 0, 9), 0, 0), 0);
	int a = udp_bound(p.a, OPT_REUSEADDR, 0, 6900), a2 = udp_bound(p.a, OPT_REUSEADDR, 0, 6900);
	int b = udp_bound(p.b, 0, 0, 6900);
	REQUIRE(a >= 0 && a2 >= 0 && b >= 0);
	CHECK_EQ(set_int(p.a, a, TERN_SOL_SOCKET, TERN_SO_BROADCAST, 1), 0);
	CHECK_EQ(send_byte(p.a, a, TERN_IP4_BROADCAST, 6900, 5), 1);
	CHECK_EQ(send_byte(p.a, a, IP_NET_BCAST, 6900, 6), 1);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(recv_byte(p.b, b), 5);
	CHECK_EQ(recv_byte(p.b, b), 6);
	CHECK_EQ(recv_byte(p.a, a), 5);
	CHECK_EQ(recv_byte(p.a, a), 6);
	CHECK_EQ(recv_byte(p.a, a2), 5);
	CHECK_EQ(recv_byte(p.a, a2), 6);
	struct tern_sockaddr_in from;
	uint8_t c;
	CHECK_EQ(send_byte(p.a, a, IP_NET_BCAST, 6900, 7), 1);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(tern_recvfrom(p.a, a, &c, 1, 0, &from), 1);
	CHECK_EQ(from.addr, IP_A);
	CHECK_EQ(from.port, 6900);
	CHECK_EQ(stat_of(p.a, "ip.out_requests"), 3);
	CHECK_EQ(stat_of(p.b, "udp.in_datagrams"), 3);
	CHECK_EQ(stat_of(p.a, "udp.in_datagrams"), 6);
	CHECK_EQ(drain(p.a, a2) + drain(p.b, b), 2);
	CHECK_EQ(drain(p.a, a), 0);
	/* to its own unicast address: one copy, by loopback */
	CHECK_EQ(send_byte(p.a, a, IP_A, 6900, 8), 1);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(drain(p.a, a) + drain(p.a, a2), 1);
	CHECK_EQ(stat_of(p.b, "udp.in_datagrams"), 3);
	pair_finish(&p);
}

/* 255.255.255.255 leaves as on Linux: by the route covering it, else by
 * the interface of the bound source address, else ENETUNREACH (checked
 * before SO_BROADCAST, as udp_sendmsg); always as a link broadcast, never
 * to the default route's gateway (10.0.0.9 does not exist: no ARP for it). */
TEST(limited_broadcast_routes_as_linux)
{
	struct pair p;
	REQUIRE(pair_init(&p, 18, NULL));
	int b = udp_bound(p.b, 0, 0, 6950);
	int any = udp_bound(p.a, 0, 0, 0), bound = udp_bound(p.a, 0, IP_A, 0);
	REQUIRE(b >= 0 && any >= 0 && bound >= 0);
	CHECK_EQ(send_byte(p.a, any, TERN_IP4_BROADCAST, 6950, 1), TERN_ENETUNREACH);
	CHECK_EQ(set_int(p.a, any, TERN_SOL_SOCKET, TERN_SO_BROADCAST, 1), 0);
	CHECK_EQ(set_int(p.a, bound, TERN_SOL_SOCKET, TERN_SO_BROADCAST, 1), 0);
	CHECK_EQ(send_byte(p.a, any, TERN_IP4_BROADCAST, 6950, 1), TERN_ENETUNREACH);
	CHECK_EQ(send_byte(p.a, bound, TERN_IP4_BROADCAST, 6950, 2), 1);
	REQUIRE_EQ(tern_route_add(p.a, 0, 0, TERN_IP4(10, 0, 0, 9), 0, 0), 0);
	CHECK_EQ(send_byte(p.a, any, TERN_IP4_BROADCAST, 6950, 3), 1);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(recv_byte(p.b, b), 2);
	CHECK_EQ(recv_byte(p.b, b), 3);
	CHECK_EQ(stat_of(p.a, "arp.requests_sent"), 0);
	pair_finish(&p);
}

/* ---- fragmentation ---------------------------------------------------------------------- */

TEST(big_datagrams_fragment_and_arrive_intact)
{
	struct pair p;
	REQUIRE(pair_init(&p, 16, NULL));
	warm_up(&p); /* ARP holds only 3 packets while it resolves */
	int srv = udp_bound(p.b, 0, 0, 9000), cli = udp_socket(p.a, 0);
	static uint8_t msg[TERN_UDP_MAX_PAYLOAD], got[TERN_UDP_MAX_PAYLOAD + 10];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 7);
	struct tern_sockaddr_in to = sa(IP_B, 9000);
	CHECK_EQ(tern_sendto(p.a, cli, msg, 8000, 0, &to), 8000);
	pair_run(&p, TERN_MSEC(10));
	/* 8008 bytes of UDP in 1480-byte pieces: 6 fragments. */
	CHECK_EQ(stat_of(p.a, "ip.frag_creates"), 6);
	CHECK_EQ(stat_of(p.b, "ip.reasm_oks"), 1);
	CHECK_EQ(tern_recv(p.b, srv, got, sizeof(got), 0), 8000);
	CHECK_MEM(got, msg, 8000);
	/* The largest datagram there is. */
	CHECK_EQ(tern_sendto(p.a, cli, msg, sizeof(msg), 0, &to), TERN_UDP_MAX_PAYLOAD);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(tern_recv(p.b, srv, got, sizeof(got), 0), TERN_UDP_MAX_PAYLOAD);
	CHECK_MEM(got, msg, sizeof(msg));
	pair_finish(&p);
}

/* ---- receive times (SIOCGSTAMPNS) ----------------------------------------------------------- */

/* tern_socket_stamp: the arrival time of the last datagram read, exact in
 * virtual time, not the time it was read; a reassembled datagram's is its
 * last fragment's. TERN_ENOENT before the first, as Linux. */
TEST(receive_time_of_the_last_datagram_read)
{
	struct pair p;
	struct tern_sim_link_opts o = {.delay = TERN_MSEC(3)};
	REQUIRE(pair_init(&p, 18, &o));
	warm_up(&p);
	int srv = udp_bound(p.b, 0, 0, 9100), cli = udp_socket(p.a, 0);
	tern_time_t t = 0;
	CHECK_EQ(tern_socket_stamp(p.b, srv, &t), TERN_ENOENT);
	CHECK_EQ(tern_socket_stamp(p.b, srv, NULL), TERN_EFAULT);
	CHECK_EQ(tern_socket_stamp(p.b, 9999, &t), TERN_EBADF);

	tern_time_t t1 = tern_sim_now(p.sim);
	CHECK_EQ(send_byte(p.a, cli, IP_B, 9100, 1), 1);
	pair_run(&p, TERN_MSEC(1));
	tern_time_t t2 = tern_sim_now(p.sim);
	CHECK_EQ(send_byte(p.a, cli, IP_B, 9100, 2), 1);
	pair_run(&p, TERN_SEC(1)); /* both wait a while before they are read */
	uint8_t c;
	CHECK_EQ(tern_recv(p.b, srv, &c, 1, TERN_MSG_PEEK), 1);
	CHECK_EQ(tern_socket_stamp(p.b, srv, &t), 0);
	CHECK_EQ(t, t1 + TERN_MSEC(3));
	CHECK_EQ(recv_byte(p.b, srv), 1);
	CHECK_EQ(recv_byte(p.b, srv), 2);
	CHECK_EQ(tern_socket_stamp(p.b, srv, &t), 0);
	CHECK_EQ(t, t2 + TERN_MSEC(3));
	CHECK(t < tern_stack_now(p.b));
	tern_close(p.a, cli);
	tern_close(p.b, srv);
	pair_finish(&p);

	/* 8 Mbit/s: six fragments of about 1514 bytes take 1.5 ms each. */
	struct tern_sim_link_opts slow = {.delay = TERN_MSEC(3), .rate_bps = 8000000};
	REQUIRE(pair_init(&p, 19, &slow));
	warm_up(&p);
	srv = udp_bound(p.b, 0, 0, 9100);
	cli = udp_socket(p.a, 0);
	static uint8_t msg[8000];
	struct tern_sockaddr_in to = sa(IP_B, 9100);
	t1 = tern_sim_now(p.sim);
	CHECK_EQ(tern_sendto(p.a, cli, msg, sizeof(msg), 0, &to), (int)sizeof(msg));
	pair_run(&p, TERN_MSEC(100));
	CHECK_EQ(tern_recv(p.b, srv, msg, sizeof(msg), 0), (int)sizeof(msg));
	CHECK_EQ(tern_socket_stamp(p.b, srv, &t), 0);
	CHECK(t >= t1 + TERN_MSEC(3) + 5 * TERN_USEC(1514));
	CHECK(t <= t1 + TERN_MSEC(3) + 6 * TERN_USEC(1600));
	pair_finish(&p);
}

/* ---- ICMP errors --------------------------------------------------------------------------- */

TEST(connected_socket_gets_connection_refused_once)
{
	struct pair p;
	REQUIRE(pair_init(&p, 17, NULL));
	int sd = udp_socket(p.a, 0);
	struct arrivals ar = {0};
	tern_socket_set_callback(p.a, sd, on_arrival, &ar);
	struct tern_sockaddr_in closed = sa(IP_B, 9999);
	CHECK_EQ(tern_connect(p.a, sd, &closed), 0);
	CHECK_EQ(tern_send(p.a, sd, "x", 1, 0), 1);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(stat_of(p.b, "udp.no_port"), 1);
	CHECK_EQ(stat_of(p.a, "sock.icmp_errors_reported"), 1);
	CHECK_EQ(ar.calls, 1);
	CHECK(ar.events & TERN_POLLERR);
	struct tern_pollfd pf = {sd, TERN_POLLIN, 0};
	CHECK_EQ(tern_poll(p.a, &pf, 1), 1);
	CHECK_EQ(pf.revents, TERN_POLLERR);
	/* The next call reports it (nothing is sent), the one after works. */
	CHECK_EQ(tern_send(p.a, sd, "x", 1, 0), TERN_ECONNREFUSED);
	CHECK_EQ(stat_of(p.a, "udp.out_datagrams"), 1);
	CHECK_EQ(tern_send(p.a, sd, "x", 1, 0), 1);
	pair_run(&p, TERN_MSEC(10));
	/* recv reports it too, before any data, once. */
	char c;
	CHECK_EQ(tern_recv(p.a, sd, &c, 1, 0), TERN_ECONNREFUSED);
	CHECK_EQ(tern_recv(p.a, sd, &c, 1, 0), TERN_EAGAIN);
	/* So does SO_ERROR, which clears it. */
	CHECK_EQ(tern_send(p.a, sd, "x", 1, 0), 1);
	pair_run(&p, TERN_MSEC(10));
	int v = 0;
	CHECK_EQ(get_int(p.a, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &v), 0);
	CHECK_EQ(v, TERN_ECONNREFUSED);
	CHECK_EQ(get_int(p.a, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(tern_send(p.a, sd, "x", 1, 0), 1);
	CHECK_EQ(stat_of(p.a, "sock.icmp_errors_reported"), 3);
	pair_finish(&p);
}

TEST(unconnected_socket_ignores_errors_unless_recverr)
{
	struct pair p;
	REQUIRE(pair_init(&p, 18, NULL));
	int sd = udp_socket(p.a, 0);
	char c;
	CHECK_EQ(send_byte(p.a, sd, IP_B, 9999, 1), 1);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(stat_of(p.b, "icmp.out_dest_unreachs"), 1);
	CHECK_EQ(stat_of(p.a, "sock.icmp_errors_reported"), 0);
	CHECK_EQ(tern_recv(p.a, sd, &c, 1, 0), TERN_EAGAIN);
	CHECK_EQ(send_byte(p.a, sd, IP_B, 9999, 1), 1);
	/* IP_RECVERR: every error is reported, connected or not. */
	CHECK_EQ(set_int(p.a, sd, TERN_IPPROTO_IP, TERN_IP_RECVERR, 1), 0);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(tern_recv(p.a, sd, &c, 1, 0), TERN_ECONNREFUSED);
	CHECK_EQ(stat_of(p.a, "sock.icmp_errors_reported"), 1);
	pair_finish(&p);
}

/* Send B → A an ICMP error quoting a UDP datagram A sent from lport to
 * B:rport. */
static void inject_error(struct pair *p, uint8_t type, uint8_t code, uint16_t mtu,
			 uint16_t lport, uint16_t rport)
{
	uint8_t m[8 + 28] = {type, code};
	wr16(m + 6, mtu);
	uint8_t *q = m + 8;
	q[0] = 0x45;
	wr16(q + 2, 28 + 100);
	q[8] = 64;
	q[9] = TERN_IPPROTO_UDP;
	wr32(q + 12, IP_A);
	wr32(q + 16, IP_B);
	wr16(q + 20, lport);
	wr16(q + 22, rport);
	wr16(q + 24, 108);
	wr16(m + 2, tern_csum(m, sizeof(m)));
	struct tern_ip_send ip = {.dst = IP_A, .proto = TERN_IPPROTO_ICMP};
	tern_ip_send_raw(p->b, &ip, m, sizeof(m), tern_sim_now(p->sim));
	pair_run(p, TERN_MSEC(10));
}

/* What a connected socket sees after one error (0: nothing), with and
 * without IP_RECVERR. */
static int error_seen(struct pair *p, int sd, uint16_t lport, uint8_t type, uint8_t code)
{
	char c;
	inject_error(p, type, code, 1200, lport, 9999);
	int r = tern_recv(p->a, sd, &c, 1, 0);
	return r == TERN_EAGAIN ? 0 : r;
}

TEST(icmp_errors_map_as_linux)
{
	struct pair p;
	REQUIRE(pair_init(&p, 19, NULL));
	int sd = udp_bound(p.a, 0, 0, 4444);
	struct tern_sockaddr_in to = sa(IP_B, 9999);
	CHECK_EQ(tern_connect(p.a, sd, &to), 0);
	/* Hard errors (Linux icmp_err_convert .fatal, and FRAG_NEEDED under
	 * the default IP_PMTUDISC_WANT) reach a connected socket... */
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 3), TERN_ECONNREFUSED);
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 4), TERN_EMSGSIZE);
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 2), TERN_ENOPROTOOPT);
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 13), TERN_EHOSTUNREACH);
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 9), TERN_ENETUNREACH);
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 7), TERN_EHOSTDOWN);
	CHECK_EQ(error_seen(&p, sd, 4444, 12, 0), TERN_EPROTO);
	/* ...soft ones (RFC 1122 §3.2.2.1: net/host unreachable are
	 * transient; time exceeded) do not... */
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 0), 0);
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 1), 0);
	CHECK_EQ(error_seen(&p, sd, 4444, 11, 0), 0);
	/* ...unless IP_RECVERR asks for all. */
	set_int(p.a, sd, TERN_IPPROTO_IP, TERN_IP_RECVERR, 1);
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 0), TERN_ENETUNREACH);
	CHECK_EQ(error_seen(&p, sd, 4444, 3, 1), TERN_EHOSTUNREACH);
	CHECK_EQ(error_seen(&p, sd, 4444, 11, 0), TERN_EHOSTUNREACH);
	CHECK_EQ(error_seen(&p, sd, 4444, 4, 0), 0); /* source quench: never */
	/* An error about another port reaches nobody. */
	CHECK_EQ(error_seen(&p, sd, 4445, 3, 3), 0);
	CHECK_EQ(stat_of(p.a, "sock.icmp_errors_reported"), 10);
	pair_finish(&p);
}

TEST(router_errors_are_soft)
{
	/* A — R — B, A's default route via R; R has no route to 192.0.2.0/24. */
	struct tern_sim *sim = tern_sim_create(20);
	struct tern_stack *a = tern_sim_host(sim, "A", NULL), *r = tern_sim_router(sim, "R", NULL);
	struct tern_stack *b = tern_sim_host(sim, "B", NULL);
	REQUIRE(tern_sim_connect(sim, a, "10.0.0.1/24", r, "10.0.0.254/24", NULL, NULL, NULL) == 0);
	REQUIRE(tern_sim_connect(sim, r, "10.0.1.254/24", b, "10.0.1.1/24", NULL, NULL, NULL) == 0);
	REQUIRE(tern_route_add(a, 0, 0, TERN_IP4(10, 0, 0, 254), 0, 0) == 0);
	int sd = udp_socket(a, 0);
	struct tern_sockaddr_in far = sa(TERN_IP4(192, 0, 2, 1), 53);
	CHECK_EQ(tern_connect(a, sd, &far), 0);
	CHECK_EQ(tern_send(a, sd, "q", 1, 0), 1);
	tern_sim_run_for(sim, TERN_MSEC(20));
	tern_stack_poll(a, tern_sim_now(sim));
	CHECK_EQ(stat_of(r, "icmp.out_dest_unreachs"), 1);
	/* Net unreachable is soft: Linux leaves a connected socket alone. */
	char c;
	CHECK_EQ(tern_recv(a, sd, &c, 1, 0), TERN_EAGAIN);
	CHECK_EQ(tern_send(a, sd, "q", 1, 0), 1);
	set_int(a, sd, TERN_IPPROTO_IP, TERN_IP_RECVERR, 1);
	tern_sim_run_for(sim, TERN_MSEC(20));
	tern_stack_poll(a, tern_sim_now(sim));
	CHECK_EQ(tern_send(a, sd, "q", 1, 0), TERN_ENETUNREACH);
	/* TTL 1 towards nowhere: still net unreachable, as Linux routes
	 * before it checks the TTL. */
	set_int(a, sd, TERN_IPPROTO_IP, TERN_IP_TTL, 1);
	CHECK_EQ(tern_send(a, sd, "q", 1, 0), 1);
	tern_sim_run_for(sim, TERN_MSEC(20));
	tern_stack_poll(a, tern_sim_now(sim));
	CHECK_EQ(stat_of(r, "icmp.out_time_excds"), 0);
	CHECK_EQ(tern_recv(a, sd, &c, 1, 0), TERN_ENETUNREACH);
	tern_close(a, sd);
	/* TTL exceeded at R on the way to B: EHOSTUNREACH, with IP_RECVERR. */
	sd = udp_socket(a, 0);
	struct tern_sockaddr_in to_b = sa(TERN_IP4(10, 0, 1, 1), 53);
	CHECK_EQ(tern_connect(a, sd, &to_b), 0);
	set_int(a, sd, TERN_IPPROTO_IP, TERN_IP_RECVERR, 1);
	set_int(a, sd, TERN_IPPROTO_IP, TERN_IP_TTL, 1);
	CHECK_EQ(tern_send(a, sd, "q", 1, 0), 1);
	tern_sim_run_for(sim, TERN_MSEC(20));
	tern_stack_poll(a, tern_sim_now(sim));
	CHECK_EQ(stat_of(r, "icmp.out_time_excds"), 1);
	CHECK_EQ(tern_recv(a, sd, &c, 1, 0), TERN_EHOSTUNREACH);
	tern_close(a, sd);
	tern_sim_run_for(sim, TERN_SEC(60));
	CHECK_EQ(pool_in_use(a), 0);
	CHECK_EQ(pool_in_use(r), 0);
	CHECK_EQ(pool_in_use(b), 0);
	tern_sim_destroy(sim);
}

/* ---- the receive buffer ------------------------------------------------------------------ */

TEST(receive_queue_overflow_is_counted)
{
	struct pair p;
	REQUIRE(pair_init(&p, 21, NULL));
	warm_up(&p);
	int srv = udp_bound(p.b, 0, 0, 9000), cli = udp_socket(p.a, 0);
	CHECK_EQ(set_int(p.b, srv, TERN_SOL_SOCKET, TERN_SO_RCVBUF, 1), 0); /* 2304 */
	uint8_t msg[100] = {0};
	struct tern_sockaddr_in to = sa(IP_B, 9000);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(tern_sendto(p.a, cli, msg, sizeof(msg), 0, &to), 100);
	pair_run(&p, TERN_MSEC(10));
	/* Each 2048-byte buffer is charged in full; a datagram is taken while
	 * the charge is within 2304: two of them. */
	struct tern_sock_info in;
	CHECK_EQ(tern_socket_info(p.b, srv, &in), 0);
	CHECK_EQ(in.rx_datagrams, 2);
	CHECK_EQ(in.drops, 8);
	CHECK_EQ(stat_of(p.b, "udp.receive_buffer_errors"), 8);
	CHECK_EQ(stat_of(p.b, "udp.in_datagrams"), 2 + 1 /* warm-up */);
	CHECK_EQ(drain(p.b, srv), 2);
	/* An empty queue always takes one datagram, however big. */
	static uint8_t big[8000];
	CHECK_EQ(tern_sendto(p.a, cli, big, sizeof(big), 0, &to), 8000);
	CHECK_EQ(tern_sendto(p.a, cli, big, sizeof(big), 0, &to), 8000);
	pair_run(&p, TERN_MSEC(10));
	CHECK_EQ(tern_recv(p.b, srv, big, sizeof(big), 0), 8000);
	CHECK_EQ(tern_recv(p.b, srv, big, sizeof(big), 0), TERN_EAGAIN);
	CHECK_EQ(stat_of(p.b, "udp.receive_buffer_errors"), 9);
	pair_finish(&p);
}

/* ---- checksums ------------------------------------------------------------------ */

/* A raw UDP datagram A → B:9000 from port 1234 with the given checksum
 * field (-1: computed), a length field of 8 + ulen_data and `extra`
 * bytes beyond it in the IP payload. */
static void raw_udp(struct pair *p, int csum, size_t ulen_data, size_t extra)
{
	uint8_t d[64] = {0};
	wr16(d, 1234);
	wr16(d + 2, 9000);
	wr16(d + 4, (uint16_t)(8 + ulen_data));
	for (size_t i = 0; i < ulen_data + extra; i++)
		d[8 + i] = (uint8_t)('a' + i);
	if (csum < 0) {
		uint32_t sum = tern_csum_pseudo4(IP_A, IP_B, TERN_IPPROTO_UDP, (uint16_t)(8 + ulen_data));
		uint16_t c = tern_csum_fold(tern_csum_partial(d, 8 + ulen_data, sum));
		wr16(d + 6, c ? c : 0xffff);
	} else {
		wr16(d + 6, (uint16_t)csum);
	}
	struct tern_ip_send ip = {.dst = IP_B, .proto = TERN_IPPROTO_UDP};
	tern_ip_send_raw(p->a, &ip, d, 8 + ulen_data + extra, tern_sim_now(p->sim));
	pair_run(p, TERN_MSEC(10));
}

TEST(checksums_and_length_field)
{
	struct pair p;
	REQUIRE(pair_init(&p, 22, NULL));
	int srv = udp_bound(p.b, 0, 0, 9000);
	char buf[64];
	raw_udp(&p, -1, 5, 0);
	CHECK_EQ(tern_recv(p.b, srv, buf, sizeof(buf), 0), 5);
	/* RFC 768: a zero checksum field means none was computed: accepted. */
	raw_udp(&p, 0, 5, 0);
	CHECK_EQ(tern_recv(p.b, srv, buf, sizeof(buf), 0), 5);
	/* A wrong one is dropped and counted (RFC 1122 §4.1.3.4). */
	raw_udp(&p, 0x1234, 5, 0);
	CHECK_EQ(tern_recv(p.b, srv, buf, sizeof(buf), 0), TERN_EAGAIN);
	CHECK_EQ(stat_of(p.b, "udp.bad_checksum"), 1);
	/* Bytes beyond the UDP length are not data. */
	raw_udp(&p, -1, 3, 6);
	CHECK_EQ(tern_recv(p.b, srv, buf, sizeof(buf), 0), 3);
	CHECK_MEM(buf, "abc", 3);
	CHECK_EQ(stat_of(p.b, "udp.in_datagrams"), 3);
	pair_finish(&p);
}

/* A full device queue (a 1 Mbit/s link with a 2 KB queue: the second
 * 1400-byte datagram does not fit) loses the datagram, as Linux's
 * udp_send_skb: sendto succeeds and udp.send_buffer_errors (Linux's
 * UdpSndbufErrors) counts it, unless IP_RECVERR asks to hear of it
 * (TERN_ENOBUFS). */
TEST(full_device_queue_is_a_silent_loss_unless_recverr)
{
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(1), .rate_bps = 1000000,
					 .queue_bytes = 2000};
	struct pair p;
	REQUIRE(pair_init(&p, 23, &lo));
	warm_up(&p);
	pair_run(&p, TERN_MSEC(100));
	int srv = udp_bound(p.b, 0, 0, 9000);
	int cli = udp_bound(p.a, 0, 0, 0);
	static uint8_t big[1400];
	struct tern_sockaddr_in to = sa(IP_B, 9000);
	CHECK_EQ(tern_sendto(p.a, cli, big, sizeof(big), 0, &to), (int)sizeof(big));
	CHECK_EQ(tern_sendto(p.a, cli, big, sizeof(big), 0, &to), (int)sizeof(big));
	CHECK_EQ(stat_of(p.a, "udp.send_buffer_errors"), 1);
	CHECK_EQ(stat_of(p.a, "udp.out_datagrams"), 1 + 1); /* (and warm_up's) */
	int on = 1;
	REQUIRE_EQ(tern_setsockopt(p.a, cli, TERN_IPPROTO_IP, TERN_IP_RECVERR, &on, sizeof(on)), 0);
	CHECK_EQ(tern_sendto(p.a, cli, big, sizeof(big), 0, &to), TERN_ENOBUFS);
	CHECK_EQ(stat_of(p.a, "udp.send_buffer_errors"), 1);
	pair_run(&p, TERN_MSEC(100));
	CHECK_EQ(drain(p.b, srv), 1);
	pair_finish(&p);
}

TEST_MAIN()
