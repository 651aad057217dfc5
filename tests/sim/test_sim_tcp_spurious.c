/*
 * tests/sim/test_sim_tcp_spurious.c — a delay spike in the middle of a
 * bulk transfer: the one-way delay jumps from 10 ms to 500 ms for a
 * second, longer than the RTO, and nothing is lost. The sender's timeout
 * is spurious; with timestamps the Eifel detection (RFC 3522) finds it,
 * without them F-RTO (RFC 5682), and either undoes it (tcp_undo.c). With
 * tcp_frto = 0 and no timestamps it goes unnoticed. The data arrives
 * byte-exact every time.
 */
#include <string.h>

#include "harness.h"
#include "tern/sim.h"
#include "tern/socket.h"
#include "tern/stack.h"

#define TOTAL (6u << 20)

static uint8_t pat[TOTAL];

struct xfer {
	struct tern_stack *a, *b;
	uint64_t sent, got, bad;
	bool shut, eof;
};

static void on_client(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct xfer *x = ctx;
	(void)events;
	while (x->sent < TOTAL) {
		int r = tern_send(s, sd, pat + x->sent, TOTAL - x->sent, 0);
		if (r <= 0)
			return;
		x->sent += (uint64_t)r;
	}
	if (!x->shut) {
		x->shut = true;
		tern_shutdown(s, sd, TERN_SHUT_WR);
	}
}

static void on_server(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct xfer *x = ctx;
	static uint8_t buf[65536];
	(void)events;
	int r;
	while ((r = tern_recv(s, sd, buf, sizeof(buf), 0)) > 0) {
		if (x->got + (uint64_t)r > TOTAL || memcmp(buf, pat + x->got, (size_t)r) != 0)
			x->bad++;
		x->got += (uint64_t)r;
	}
	if (r == 0)
		x->eof = true;
}

static void on_listener(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)events;
	int c = tern_accept(s, sd, NULL);
	if (c < 0)
		return;
	tern_socket_set_callback(s, c, on_server, ctx);
	on_server(ctx, s, c, 0);
}

static bool done(void *ctx)
{
	return ((struct xfer *)ctx)->eof;
}

struct result {
	uint64_t timeouts, spurious, loss_undo, retrans;
};

static struct result spike(bool ts, unsigned frto)
{
	struct result res = {0};
	for (size_t i = 0; i < TOTAL; i++)
		pat[i] = (uint8_t)(i * 131 + (i >> 11));
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.tcp_timestamps = ts;
	cfg.tcp_frto = frto;
	struct xfer x = {0};
	struct tern_sim *sim = tern_sim_create(7);
	if (!sim) {
		TEST_FAIL_("no simulator");
		return res;
	}
	x.a = tern_sim_host(sim, "A", &cfg);
	x.b = tern_sim_host(sim, "B", &cfg);
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(10), .rate_bps = 100000000};
	CHECK_EQ(tern_sim_connect(sim, x.a, "10.0.0.1/24", x.b, "10.0.0.2/24", &lo, NULL, NULL), 0);
	int lsd = tern_socket(x.b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in any = {0, 5001}, dst = {TERN_IP4(10, 0, 0, 2), 5001};
	CHECK_EQ(tern_bind(x.b, lsd, &any), 0);
	CHECK_EQ(tern_listen(x.b, lsd, 4), 0);
	tern_socket_set_callback(x.b, lsd, on_listener, &x);
	int csd = tern_socket(x.a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	tern_socket_set_callback(x.a, csd, on_client, &x);
	CHECK_EQ(tern_connect(x.a, csd, &dst), TERN_EINPROGRESS);
	tern_sim_run_until(sim, TERN_MSEC(250));
	CHECK(x.got > 0 && x.got < TOTAL / 2); /* under way */
	struct tern_sim_link_opts spiked = lo;
	spiked.delay = TERN_MSEC(500);
	CHECK_EQ(tern_sim_link_update(sim, 0, &spiked), 0);
	tern_sim_run_for(sim, TERN_SEC(1));
	CHECK_EQ(tern_sim_link_update(sim, 0, &lo), 0);
	CHECK(tern_sim_run_while(sim, done, &x, TERN_SEC(600)));
	CHECK_EQ(x.got, TOTAL);
	CHECK_EQ(x.bad, 0);
	res = (struct result){
		.timeouts = tern_stack_stat(x.a, TERN_STAT_TCP_TIMEOUTS),
		.spurious = tern_stack_stat(x.a, TERN_STAT_TCP_SPURIOUS_RTOS),
		.loss_undo = tern_stack_stat(x.a, TERN_STAT_TCP_LOSS_UNDO),
		.retrans = tern_stack_stat(x.a, TERN_STAT_TCP_RETRANS_SEGS),
	};
	printf("# timestamps %d, tcp_frto %u: %.2f s, %llu timeouts, %llu spurious, "
	       "%llu loss undo, %llu retransmissions\n",
	       ts, frto, tern_sim_now(sim) / 1e9, (unsigned long long)res.timeouts,
	       (unsigned long long)res.spurious, (unsigned long long)res.loss_undo,
	       (unsigned long long)res.retrans);
	tern_sim_destroy(sim);
	return res;
}

TEST(delay_spike__eifel_undoes_the_timeout)
{
	struct result r = spike(true, 2);
	CHECK(r.timeouts >= 1);
	CHECK(r.spurious >= 1);
	CHECK_EQ(r.loss_undo, r.spurious);
}

TEST(delay_spike__frto_undoes_the_timeout)
{
	struct result r = spike(false, 2);
	CHECK(r.timeouts >= 1);
	CHECK(r.spurious >= 1);
}

/* The baseline: neither; the whole window in flight is resent. */
TEST(delay_spike__without_either__go_back_n)
{
	struct result off = spike(false, 0), frto = spike(false, 2);
	CHECK(off.timeouts >= 1);
	CHECK_EQ(off.spurious, 0);
	CHECK_EQ(off.loss_undo, 0);
	CHECK(off.retrans > frto.retrans);
}

TEST_MAIN()
