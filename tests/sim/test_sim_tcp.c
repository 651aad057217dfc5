/*
 * tests/sim/test_sim_tcp.c — TCP between two simulated hosts, end to end
 * through the socket API: handshake, bulk data both ways with the bytes
 * checked, half-close, the close handshake and TIME-WAIT, a refused
 * connect, loss recovered by retransmission, and determinism.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim_pair.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tern/tcp.h"

static struct tern_sockaddr_in sa(tern_ip4_t a, uint16_t p)
{
	return (struct tern_sockaddr_in){a, p};
}

#define A_IP TERN_IP4(10, 0, 0, 1)
#define B_IP TERN_IP4(10, 0, 0, 2)

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* A one-way transfer: the client writes n bytes, shuts down writing; the
 * server reads until EOF, checking each byte. */
struct xfer {
	struct tern_stack *a, *b;
	int lsd, csd, ssd;
	size_t n, sent, got;
	bool bad, eof, fin_sent;
};

static void pump(struct xfer *x)
{
	static uint8_t buf[65536];
	if (x->ssd < 0) {
		x->ssd = tern_accept(x->b, x->lsd, NULL);
		if (x->ssd < 0)
			x->ssd = -1;
	}
	while (x->sent < x->n) {
		size_t k = x->n - x->sent < sizeof(buf) ? x->n - x->sent : sizeof(buf);
		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(x->sent + i);
		int r = tern_send(x->a, x->csd, buf, k, 0);
		if (r <= 0)
			break;
		x->sent += (size_t)r;
	}
	if (x->sent == x->n && !x->fin_sent && tern_shutdown(x->a, x->csd, TERN_SHUT_WR) == 0)
		x->fin_sent = true;
	while (x->ssd >= 0 && !x->eof) {
		int r = tern_recv(x->b, x->ssd, buf, sizeof(buf), 0);
		if (r == 0)
			x->eof = true;
		if (r <= 0)
			break;
		for (int i = 0; i < r; i++)
			if (buf[i] != pattern(x->got + (size_t)i))
				x->bad = true;
		x->got += (size_t)r;
	}
}

static bool xfer_done(void *ctx)
{
	struct xfer *x = ctx;
	pump(x);
	return x->eof;
}

static int listener(struct tern_stack *s, uint16_t port)
{
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in a = sa(0, port);
	if (sd < 0 || tern_bind(s, sd, &a) < 0 || tern_listen(s, sd, 16) < 0)
		return -1;
	return sd;
}

/* Run a transfer of n bytes over a link; returns the finished state. */
static void run_xfer(uint64_t seed, const struct tern_sim_link_opts *lo, size_t n,
		     struct xfer *x, struct tern_sim **out_sim)
{
	struct tern_sim *sim = tern_sim_create(seed);
	REQUIRE(sim);
	x->a = tern_sim_host(sim, "A", NULL);
	x->b = tern_sim_host(sim, "B", NULL);
	REQUIRE(x->a && x->b);
	REQUIRE_EQ(tern_sim_connect(sim, x->a, "10.0.0.1/24", x->b, "10.0.0.2/24", lo, NULL, NULL), 0);
	tern_sim_run_until(sim, TERN_MSEC(100));
	x->n = n;
	x->lsd = listener(x->b, 5001);
	REQUIRE(x->lsd >= 0);
	x->ssd = -1;
	x->csd = tern_socket(x->a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	REQUIRE(x->csd >= 0);
	struct tern_sockaddr_in dst = sa(B_IP, 5001);
	CHECK_EQ(tern_connect(x->a, x->csd, &dst), TERN_EINPROGRESS);
	tern_sim_run_while(sim, xfer_done, x, TERN_SEC(600));
	*out_sim = sim;
}

TEST(handshake_transfer_and_close)
{
	struct xfer x = {0};
	struct tern_sim *sim;
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(5), .rate_bps = 100000000};
	run_xfer(1, &lo, 1 << 20, &x, &sim);
	CHECK(x.eof);
	CHECK(!x.bad);
	CHECK_EQ(x.got, (size_t)1 << 20);
	/* The server closes too: the client, which closed first, ends in
	 * TIME-WAIT; everything is gone after 2*MSL. */
	REQUIRE(x.ssd >= 0);
	CHECK_EQ(tern_close(x.b, x.ssd), 0);
	tern_sim_run_for(sim, TERN_MSEC(100));
	struct tern_sock_info info;
	REQUIRE_EQ(tern_socket_info(x.a, x.csd, &info), 0);
	CHECK(strcmp(info.state, "TIME-WAIT") == 0);
	CHECK_EQ(tern_close(x.a, x.csd), 0);
	CHECK_EQ(tern_close(x.b, x.lsd), 0);
	tern_sim_run_for(sim, TERN_SEC(61));
	CHECK_EQ(tern_stack_stat(x.a, TERN_STAT_TCP_ACTIVE_OPENS), 1);
	CHECK_EQ(tern_stack_stat(x.b, TERN_STAT_TCP_PASSIVE_OPENS), 1);
	CHECK_EQ(tern_stack_stat(x.a, TERN_STAT_TCP_RETRANS_SEGS), 0);
	struct tern_stack_mem m;
	tern_stack_mem_get(x.a, &m);
	CHECK_EQ(m.pool_in_use, 0);
	tern_stack_mem_get(x.b, &m);
	CHECK_EQ(m.pool_in_use, 0);
	CHECK_EQ(m.sock_rx.used, 0);
	CHECK_EQ(tern_stack_poll_at(x.a), TERN_TIME_NEVER);
	tern_sim_destroy(sim);
}

TEST(lossy_link_recovers)
{
	struct xfer x = {0};
	struct tern_sim *sim;
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(10), .rate_bps = 20000000, .loss = 0.02};
	run_xfer(7, &lo, 300000, &x, &sim);
	CHECK(x.eof);
	CHECK(!x.bad);
	CHECK_EQ(x.got, (size_t)300000);
	CHECK(tern_stack_stat(x.a, TERN_STAT_TCP_RETRANS_SEGS) > 0);
	tern_close(x.a, x.csd);
	if (x.ssd >= 0)
		tern_close(x.b, x.ssd);
	tern_close(x.b, x.lsd);
	tern_sim_run_for(sim, TERN_SEC(200));
	struct tern_stack_mem m;
	tern_stack_mem_get(x.b, &m);
	CHECK_EQ(m.pool_in_use, 0);
	tern_sim_destroy(sim);
}

TEST(same_seed_same_run)
{
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(3), .rate_bps = 10000000, .loss = 0.01};
	uint64_t segs[2], rtx[2];
	tern_time_t end[2];
	for (int i = 0; i < 2; i++) {
		struct xfer x = {0};
		struct tern_sim *sim;
		run_xfer(42, &lo, 100000, &x, &sim);
		CHECK(x.eof && !x.bad);
		segs[i] = tern_stack_stat(x.a, TERN_STAT_TCP_OUT_SEGS);
		rtx[i] = tern_stack_stat(x.a, TERN_STAT_TCP_RETRANS_SEGS);
		end[i] = tern_sim_now(sim);
		tern_sim_destroy(sim);
	}
	CHECK_EQ(segs[0], segs[1]);
	CHECK_EQ(rtx[0], rtx[1]);
	CHECK_EQ(end[0], end[1]);
}

TEST(connect_to_closed_port_refused)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(3, &a, &b);
	REQUIRE(sim);
	int sd = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(B_IP, 9);
	CHECK_EQ(tern_connect(a, sd, &dst), TERN_EINPROGRESS);
	tern_sim_run_for(sim, TERN_MSEC(50));
	struct tern_pollfd p = {sd, TERN_POLLOUT, 0};
	CHECK_EQ(tern_poll(a, &p, 1), 1);
	CHECK(p.revents & TERN_POLLERR);
	int err = 0;
	size_t len = sizeof(err);
	CHECK_EQ(tern_getsockopt(a, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, TERN_ECONNREFUSED);
	CHECK_EQ(tern_stack_stat(b, TERN_STAT_TCP_NO_PORT), 1);
	CHECK_EQ(tern_stack_stat(b, TERN_STAT_TCP_OUT_RSTS), 1);
	tern_close(a, sd);
	tern_sim_destroy(sim);
}

/* No peer at all: the SYN is retried tcp_syn_retries times with backoff
 * (1, 2, 4, ... s) and the connect fails with ETIMEDOUT. */
TEST(connect_times_out)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(4, &a, &b);
	REQUIRE(sim);
	int sd = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(TERN_IP4(10, 0, 0, 99), 80);
	CHECK_EQ(tern_connect(a, sd, &dst), TERN_EINPROGRESS);
	tern_sim_run_for(sim, TERN_SEC(200));
	int err = 0;
	size_t len = sizeof(err);
	CHECK_EQ(tern_getsockopt(a, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &err, &len), 0);
	/* ARP never answers: the host-unreachable from our own stack ends
	 * it first, as on Linux (EHOSTUNREACH), else ETIMEDOUT. */
	CHECK(err == TERN_EHOSTUNREACH || err == TERN_ETIMEDOUT);
	tern_close(a, sd);
	tern_sim_destroy(sim);
}

/* The lesson of Nagle (RFC 896) meeting delayed ACKs (RFC 1122
 * §4.2.3.2): a client that writes a request in two pieces and then waits
 * for the answer stalls for the peer's delayed-ACK time on every request,
 * because its second piece waits for the ACK of the first; TCP_NODELAY
 * sends it at once. Returns the time 20 request-answer rounds take. */
static tern_time_t write_write_read(bool nodelay)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(11, &a, &b);
	if (!sim)
		abort();
	int lsd = listener(b, 7000);
	int c = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	int one = 1;
	if (nodelay)
		CHECK_EQ(tern_setsockopt(a, c, TERN_IPPROTO_TCP, TERN_TCP_NODELAY, &one, sizeof(one)), 0);
	struct tern_sockaddr_in dst = sa(B_IP, 7000);
	CHECK_EQ(tern_connect(a, c, &dst), TERN_EINPROGRESS);
	tern_sim_run_for(sim, TERN_MSEC(20));
	int srv = tern_accept(b, lsd, NULL);
	if (srv < 0)
		abort();
	tern_time_t t0 = tern_sim_now(sim);
	char buf[256];
	for (int round = 0; round < 20; round++) {
		CHECK_EQ(tern_send(a, c, "GET /", 5, 0), 5);       /* write */
		CHECK_EQ(tern_send(a, c, " HTTP/1.0\r\n", 11, 0), 11); /* write */
		int got = 0;
		while (got < 16) {                               /* the server reads the request */
			tern_sim_run_for(sim, TERN_USEC(100));
			int r = tern_recv(b, srv, buf, sizeof(buf), 0);
			if (r > 0)
				got += r;
		}
		CHECK_EQ(tern_send(b, srv, "200", 3, 0), 3);
		int r;
		while ((r = tern_recv(a, c, buf, sizeof(buf), 0)) == TERN_EAGAIN) /* read */
			tern_sim_run_for(sim, TERN_USEC(100));
		CHECK_EQ(r, 3);
	}
	tern_time_t took = tern_sim_now(sim) - t0;
	tern_close(a, c);
	tern_close(b, srv);
	tern_close(b, lsd);
	tern_sim_run_for(sim, TERN_SEC(70));
	tern_sim_destroy(sim);
	return took;
}

TEST(nagle_meets_delayed_ack_and_nodelay_ends_it)
{
	tern_time_t stalled = write_write_read(false), quick = write_write_read(true);
	printf("# 20 write-write-read rounds: %.1f ms with Nagle, %.1f ms with TCP_NODELAY\n",
	       stalled / 1e6, quick / 1e6);
	/* 1 ms each way: a round is about 2 RTTs (4 ms) without the stall,
	 * and at least the 40 ms delayed-ACK timer with it, once the first
	 * answer made the connection interactive (Linux's quick ACKs and
	 * pingpong mode: the first round goes quickly, as on Linux). */
	CHECK(stalled >= 19 * TERN_MSEC(40));
	CHECK(quick <= 20 * TERN_MSEC(6));
}

/* TCP_INFO in Linux's layout and units, and TCP_CONGESTION by name. */
TEST(tcp_info_and_congestion_name)
{
	struct xfer x = {0};
	struct tern_sim *sim;
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(5), .rate_bps = 100000000};
	run_xfer(9, &lo, 200000, &x, &sim);
	REQUIRE(x.eof);
	tern_sim_run_for(sim, TERN_MSEC(100)); /* our FIN acknowledged too */
	struct tern_tcp_info ti;
	size_t len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	CHECK_EQ(len, 248);
	CHECK_EQ(ti.tcpi_state, 5);                        /* FIN-WAIT-2, Linux's number */
	CHECK_EQ(ti.tcpi_options, 1 | 2 | 4);              /* TS, SACK, WSCALE */
	/* tcp_rmem[2] 32 MiB: a shift of 10 covers it (Linux's 6 MiB: 7) */
	CHECK_EQ(ti.tcpi_snd_wscale, 10);
	CHECK_EQ(ti.tcpi_rcv_wscale, 10);
	CHECK_EQ(ti.tcpi_snd_mss, 1448);
	CHECK_EQ(ti.tcpi_rcv_mss, 536);                    /* Linux's guess: A received no data */
	CHECK_EQ(ti.tcpi_advmss, 1448);                    /* 1460 less the timestamps */
	CHECK(ti.tcpi_rtt >= 10000 && ti.tcpi_rtt < 20000); /* 10 ms RTT, in µs */
	CHECK(ti.tcpi_rto >= 200000);
	CHECK(ti.tcpi_snd_cwnd > 10);
	CHECK_EQ(ti.tcpi_bytes_acked, 200000 + 1);           /* and our FIN */
	CHECK_EQ(ti.tcpi_total_retrans, 0);
	/* The last delivery-rate sample, in slow start: more than a window
	 * of 10 segments a round trip (11.6 Mbit/s), never above the link's
	 * 100 Mbit/s; every segment delivered (139; the FIN may count one more). */
	CHECK(ti.tcpi_delivery_rate > 1448 * 10 * 100 && ti.tcpi_delivery_rate <= 12500000);
	CHECK(ti.tcpi_delivered >= (200000 + 1447) / 1448 && ti.tcpi_delivered <= 140);
	CHECK(ti.tcpi_segs_out >= 200000 / 1448);
	CHECK_EQ(ti.tcpi_bytes_sent, 200000);
	/* 200 kB at 100 Mbit/s over a 10 ms RTT: busy some 10s of ms */
	CHECK(ti.tcpi_busy_time >= 16000 && ti.tcpi_busy_time < 1000000);
	REQUIRE(x.ssd >= 0);
	len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(x.b, x.ssd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_state, 8);                        /* CLOSE-WAIT, Linux's number */
	CHECK_EQ(ti.tcpi_bytes_received, 200000);
	CHECK_EQ(ti.tcpi_rcv_mss, 1448);                   /* the largest payload B received */
	char name[16] = {0};
	len = sizeof(name);
	REQUIRE_EQ(tern_getsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, name, &len), 0);
	CHECK(strcmp(name, "cubic") == 0);                 /* the default, as Linux */
	CHECK_EQ(tern_setsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, "bbr", 3),
		 TERN_ENOENT);
	len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	uint32_t cwnd = ti.tcpi_snd_cwnd;
	CHECK_EQ(tern_setsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, "reno", 4), 0);
	/* Linux's tcp_reinit_congestion_control: the window in use stays */
	len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_snd_cwnd, cwnd);
	CHECK(cwnd > 10);
	len = sizeof(name);
	REQUIRE_EQ(tern_getsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, name, &len), 0);
	CHECK(strcmp(name, "reno") == 0);
	/* Linux's pacing rate, reported without pacing: 120% of cwnd/srtt
	 * once cwnd >= ssthresh/2 (ssthresh is infinite: 200%); no cap. */
	len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	CHECK(ti.tcpi_pacing_rate > 0 && ti.tcpi_pacing_rate != UINT64_MAX);
	CHECK_EQ(ti.tcpi_max_pacing_rate, UINT64_MAX);
	tern_close(x.a, x.csd);
	tern_close(x.b, x.ssd);
	tern_close(x.b, x.lsd);
	tern_sim_run_for(sim, TERN_SEC(70));
	tern_sim_destroy(sim);
}

/* SO_REUSEPORT listeners share the connections by a hash of the 4-tuple. */
TEST(reuseport_listeners_share_connections)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(21, &a, &b);
	REQUIRE(sim);
	int l[2], one = 1;
	for (int i = 0; i < 2; i++) {
		l[i] = tern_socket(b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		REQUIRE_EQ(tern_setsockopt(b, l[i], TERN_SOL_SOCKET, TERN_SO_REUSEPORT, &one, sizeof(one)), 0);
		struct tern_sockaddr_in any = sa(0, 8080);
		REQUIRE_EQ(tern_bind(b, l[i], &any), 0);
		REQUIRE_EQ(tern_listen(b, l[i], 64), 0);
	}
	/* A third without SO_REUSEPORT may not join. */
	int l3 = tern_socket(b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in any = sa(0, 8080);
	CHECK_EQ(tern_bind(b, l3, &any), TERN_EADDRINUSE);
	tern_close(b, l3);
	int c[40];
	for (int i = 0; i < 40; i++) {
		c[i] = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		struct tern_sockaddr_in dst = sa(B_IP, 8080);
		CHECK_EQ(tern_connect(a, c[i], &dst), TERN_EINPROGRESS);
	}
	tern_sim_run_for(sim, TERN_MSEC(50));
	int got[2] = {0, 0}, sd;
	for (int i = 0; i < 2; i++)
		while ((sd = tern_accept(b, l[i], NULL)) >= 0) {
			got[i]++;
			tern_close(b, sd);
		}
	CHECK_EQ(got[0] + got[1], 40);
	CHECK(got[0] >= 8 && got[1] >= 8);
	printf("# reuseport: %d and %d of 40 connections\n", got[0], got[1]);
	for (int i = 0; i < 40; i++)
		tern_close(a, c[i]);
	tern_close(b, l[0]);
	tern_close(b, l[1]);
	tern_sim_run_for(sim, TERN_SEC(70));
	tern_sim_destroy(sim);
}

/* The application accepts, writes and shuts down from inside the
 * listener's callback, that is, while tern is still taking the handshake's
 * last ACK in: the callback comes once the segment is done with, so the
 * whole answer goes, then one FIN (a first cut lost the first byte and
 * sent a second FIN past the first). */
static void accept_write_close(void *ctx, struct tern_stack *s, int lsd, unsigned events)
{
	(void)events;
	int *srv = ctx, sd;
	while ((sd = tern_accept(s, lsd, NULL)) >= 0) {
		CHECK_EQ(tern_send(s, sd, "HELLO", 5, 0), 5);
		CHECK_EQ(tern_shutdown(s, sd, TERN_SHUT_WR), 0);
		*srv = sd;
	}
}

TEST(accept_send_shutdown_from_the_listener_callback)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(31, &a, &b);
	REQUIRE(sim);
	int srv = -1, lsd = listener(b, 7100);
	REQUIRE(lsd >= 0);
	tern_socket_set_callback(b, lsd, accept_write_close, &srv);
	int c = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(B_IP, 7100);
	CHECK_EQ(tern_connect(a, c, &dst), TERN_EINPROGRESS);
	tern_sim_run_for(sim, TERN_MSEC(50));
	char buf[16] = {0};
	CHECK_EQ(tern_recv(a, c, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "HELLO", 5) == 0);
	CHECK_EQ(tern_recv(a, c, buf, sizeof(buf), 0), 0); /* then the end of the stream */
	CHECK_EQ(tern_stack_stat(b, TERN_STAT_TCP_RETRANS_SEGS), 0);
	REQUIRE(srv >= 0);
	tern_close(a, c);
	tern_close(b, srv);
	tern_close(b, lsd);
	tern_sim_run_for(sim, TERN_SEC(70));
	struct tern_stack_mem m;
	tern_stack_mem_get(b, &m);
	CHECK_EQ(m.pool_in_use, 0);
	tern_sim_destroy(sim);
}

TEST_MAIN()
