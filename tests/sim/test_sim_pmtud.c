/*
 * tests/sim/test_sim_pmtud.c — path MTU discovery end to end in virtual
 * time: A sends 2 MiB to B through routers R and R2, joined by a link of
 * MTU 1280 (B's own link is 1500: its MSS does not give the path away). With R's "fragmentation needed" A learns 1280 (RFC 1191)
 * and never times out; with R a black hole (icmp_frag_needed false) A's
 * connection stalls on RTOs until PLPMTUD (RFC 4821, as Linux's
 * tcp_mtu_probing 1) drops to tcp_base_mss after the 4th and searches
 * upward: probes of 1282 (lost: high 1281), then 1172, 1226, 1253, 1267,
 * 1274 bytes (all through), and the search ends 7 bytes short of 1281.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim_bulk.h"
#include "tern/apps.h"
#include "tern/sim.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tern/tcp.h"

/* A - R (1500) - B (1280); R answers frag-needed if icmp. Runs the
 * transfer; fills *info from A's socket at the end. */
/* The MSS events of A's connection (the trace hook). */
struct mss_log {
	uint32_t mss[16];
	unsigned n;
};
static void on_trace(void *ctx, struct tern_stack *s, const struct tern_tcp_trace_event *ev)
{
	struct mss_log *l = ctx;
	(void)s;
	if (ev->kind == TERN_TCP_TRACE_MSS && l->n < 16)
		l->mss[l->n++] = ev->len;
}
static struct mss_log mss_log;

static struct tern_sim *run(bool icmp, struct tern_stack **pa, struct sim_bulk *x,
			    struct tern_tcp_info *info)
{
	mss_log.n = 0;
	struct tern_sim *sim = tern_sim_create(7);
	if (!sim)
		return NULL;
	struct tern_stack_config rc;
	tern_stack_config_init(&rc);
	rc.icmp_frag_needed = icmp;
	struct tern_stack *a = tern_sim_host(sim, "A", NULL), *b = tern_sim_host(sim, "B", NULL);
	struct tern_stack *r = tern_sim_router(sim, "R", &rc), *r2 = tern_sim_router(sim, "R2", NULL);
	struct tern_sim_link_opts wide = {.delay = TERN_MSEC(5), .rate_bps = 100000000ull};
	struct tern_sim_link_opts narrow = wide;
	narrow.mtu = 1280;
	if (!a || !b || !r || !r2 ||
	    tern_sim_connect(sim, a, "10.1.0.1/24", r, "10.1.0.254/24", &wide, NULL, NULL) < 0 ||
	    tern_sim_connect(sim, r, "10.9.0.1/30", r2, "10.9.0.2/30", &narrow, NULL, NULL) < 0 ||
	    tern_sim_connect(sim, r2, "10.2.0.254/24", b, "10.2.0.1/24", &wide, NULL, NULL) < 0 ||
	    tern_route_add(r, 0, 0, TERN_IP4(10, 9, 0, 2), 0, 0) < 0 ||
	    tern_route_add(r2, 0, 0, TERN_IP4(10, 9, 0, 1), 0, 0) < 0 ||
	    tern_route_add(a, 0, 0, TERN_IP4(10, 1, 0, 254), 0, 0) < 0 ||
	    tern_route_add(b, 0, 0, TERN_IP4(10, 2, 0, 254), 0, 0) < 0)
		return sim;
	tern_sim_run_until(sim, TERN_MSEC(100));
	int lsd = tern_socket(b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in any = {0, 5001}, dst = {TERN_IP4(10, 2, 0, 1), 5001};
	tern_bind(b, lsd, &any);
	tern_listen(b, lsd, 4);
	tern_socket_set_callback(b, lsd, sim_bulk_on_listener, x);
	x->csd = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	tern_socket_set_callback(a, x->csd, sim_bulk_on_client, x);
	tern_tcp_set_trace(a, x->csd, on_trace, &mss_log);
	tern_connect(a, x->csd, &dst);
	tern_sim_run_while(sim, sim_bulk_done, x, TERN_SEC(600));
	size_t il = sizeof(*info);
	tern_getsockopt(a, x->csd, TERN_IPPROTO_TCP, TERN_TCP_INFO, info, &il);
	*pa = a;
	return sim;
}

TEST(frag_needed_from_the_router_is_learnt_without_a_timeout)
{
	struct sim_bulk x = {.total = 2u << 20, .ssd = -1};
	struct tern_tcp_info ti;
	struct tern_stack *a = NULL;
	struct tern_sim *sim = run(true, &a, &x, &ti);
	REQUIRE(sim && a);
	CHECK(x.eof);
	CHECK_EQ(x.got, x.total);
	CHECK_EQ(x.bad, 0);
	CHECK_EQ(ti.tcpi_pmtu, 1280);
	CHECK_EQ(ti.tcpi_snd_mss, 1280 - 52); /* timestamps take 12 */
	CHECK_EQ(tern_ip_path_mtu(a, TERN_IP4(10, 2, 0, 1)), 1280);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_TIMEOUTS), 0);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_MTU_REDUCED), 1);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_MTU_BLACKHOLE), 0);
	CHECK_EQ(mss_log.n, 1);
	CHECK_EQ(mss_log.mss[0], 1280 - 52);
	tern_sim_destroy(sim);
}

TEST(black_hole_is_survived_by_plpmtud_probe_sequence)
{
	struct sim_bulk x = {.total = 2u << 20, .ssd = -1};
	struct tern_tcp_info ti;
	struct tern_stack *a = NULL;
	struct tern_sim *sim = run(false, &a, &x, &ti);
	REQUIRE(sim && a);
	CHECK(x.eof);
	CHECK_EQ(x.got, x.total);
	CHECK_EQ(x.bad, 0);
	printf("# black hole: %.3f s of virtual time, %llu timeouts, probes %llu ok %llu lost, mss %u\n",
	       tern_sim_now(sim) / 1e9,
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_TIMEOUTS),
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_MTUP_SUCCESS),
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_MTUP_FAIL), ti.tcpi_snd_mss);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_TIMEOUTS), 4);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_MTU_BLACKHOLE), 1);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_MTUP_FAIL), 1);     /* 1282 */
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_MTUP_SUCCESS), 5);  /* 1172 1226 1253 1267 1274 */
	CHECK_EQ(ti.tcpi_snd_mss, 1274 - 52);
	/* the trace hook's MSS events: the black hole, then each probe that
	 * got through raising search_low (payload = MTU - 52) */
	static const uint32_t want[] = {1024 - 12, 1172 - 52, 1226 - 52, 1253 - 52, 1267 - 52,
					1274 - 52};
	CHECK_EQ(mss_log.n, 6);
	for (unsigned i = 0; i < 6 && i < mss_log.n; i++)
		CHECK_EQ(mss_log.mss[i], want[i]);
	CHECK_EQ(ti.tcpi_pmtu, 1500); /* no ICMP: the route's, as Linux's pmtu cookie */
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_MTU_REDUCED), 0);
	tern_sim_destroy(sim);
}

static bool ping_done(void *p)
{
	return tern_ping_done(p);
}

/* tern ping's default, -M want, as iputils on Linux: the first 1428-byte
 * request carries DF and R answers "Frag needed"; the next ones are
 * fragmented by A to the learnt 1280 and answered. -M do then fails
 * locally with the path MTU. */
TEST(ping_want_learns_then_fragments_do_fails_locally)
{
	struct sim_bulk x = {.total = 0, .ssd = -1};
	struct tern_tcp_info ti;
	struct tern_stack *a = NULL;
	struct tern_sim *sim = run(true, &a, &x, &ti);
	REQUIRE(sim && a);
	char *text = NULL, *etext = NULL;
	size_t tlen = 0, elen = 0;
	FILE *out = open_memstream(&text, &tlen), *err = open_memstream(&etext, &elen);
	REQUIRE(out && err);
	struct tern_ping_opts o;
	tern_ping_opts_init(&o);
	o.dst = TERN_IP4(10, 2, 0, 1);
	o.count = 3;
	o.size = 1400;
	o.interval = TERN_SEC(1);
	o.pmtudisc = TERN_IP_PMTU_WANT;
	o.err = err;
	int e = 0;
	struct tern_ping *p = tern_ping_start(a, &o, out, tern_sim_now(sim), &e);
	REQUIRE(p);
	tern_sim_run_while(sim, ping_done, p, tern_sim_now(sim) + TERN_SEC(20));
	tern_ping_finish(p, tern_sim_now(sim));
	o.pmtudisc = TERN_IP_PMTU_DO;
	o.count = 1;
	p = tern_ping_start(a, &o, out, tern_sim_now(sim), &e);
	REQUIRE(p);
	tern_sim_run_while(sim, ping_done, p, tern_sim_now(sim) + TERN_SEC(20));
	tern_ping_finish(p, tern_sim_now(sim));
	fclose(out);
	fclose(err);
	printf("%s%s", text, etext);
	CHECK(strstr(text, "From 10.1.0.254 icmp_seq=1 Frag needed and DF set (mtu = 1280)\n"));
	CHECK(strstr(text, "1408 bytes from 10.2.0.1: icmp_seq=2 ttl=62"));
	CHECK(strstr(text, "1408 bytes from 10.2.0.1: icmp_seq=3 ttl=62"));
	CHECK(strstr(text, "3 packets transmitted, 2 received, +1 errors, 33.3333% packet loss"));
	CHECK(strstr(etext, "ping: local error: message too long, mtu=1280\n"));
	free(text);
	free(etext);
	tern_sim_destroy(sim);
}

TEST_MAIN()
