/*
 * tests/sim/test_sim_link_events.c — what a lab's link events need from
 * the simulator: a link cut loses every frame (also those on the wire)
 * until restored, an update changes delay, rate and impairments from then
 * on, a queue limit tail-drops, and the whole stays deterministic.
 */
#include "harness.h"

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/sim.h"

struct pair {
	struct tern_sim *sim;
	struct tern_stack *a, *b;
	FILE *null;
};

static void pair_up(struct pair *p, const struct tern_sim_link_opts *o, uint64_t seed)
{
	p->sim = tern_sim_create(seed);
	p->a = tern_sim_host(p->sim, "a", NULL);
	p->b = tern_sim_host(p->sim, "b", NULL);
	p->null = fopen("/dev/null", "w");
	REQUIRE(p->sim && p->a && p->b && p->null);
	REQUIRE_EQ(tern_sim_connect(p->sim, p->a, "10.0.0.1/24", p->b, "10.0.0.2/24", o, NULL,
				    NULL), 0);
	REQUIRE_EQ(tern_sim_link_count(p->sim), 1);
}

static void pair_down(struct pair *p)
{
	tern_sim_destroy(p->sim);
	fclose(p->null);
}

static struct tern_ping *ping_start(struct pair *p, unsigned count, tern_time_t interval,
				    size_t size)
{
	struct tern_ping_opts o;
	int err;
	tern_ping_opts_init(&o);
	o.dst = TERN_IP4(10, 0, 0, 2);
	o.count = count;
	o.interval = interval;
	o.size = size;
	o.timeout = TERN_SEC(1);
	o.ident = 0x1234;
	struct tern_ping *pg = tern_ping_start(p->a, &o, p->null, tern_sim_now(p->sim), &err);
	CHECK(pg != NULL);
	return pg;
}

static bool ping_done(void *pg)
{
	return tern_ping_done(pg);
}

static void ping_wait(struct pair *p, struct tern_ping *pg, struct tern_ping_stats *st)
{
	tern_sim_run_while(p->sim, ping_done, pg, tern_sim_now(p->sim) + TERN_SEC(120));
	tern_ping_get_stats(pg, st);
	tern_ping_finish(pg, tern_sim_now(p->sim));
}

/* 20 pings 100 ms apart from t=0; the link is cut from 0.55 s to 1.25 s:
 * requests 6..12 (sent at 0.6 ... 1.2 s) are lost, the rest answered. A
 * 40 ms one-way delay puts the request sent at 0.5 s on the wire at the
 * cut (its reply would leave b at 0.54 s and arrive at 0.58 s): lost too. */
TEST(cut_loses_everything_until_restored)
{
	struct tern_sim_link_opts o = {.delay = TERN_MSEC(40)};
	struct pair p;
	pair_up(&p, &o, 1);
	tern_sim_run_until(p.sim, TERN_SEC(1)); /* announcements done */
	struct tern_ping *pg = ping_start(&p, 20, TERN_MSEC(100), 56);
	tern_time_t t0 = tern_sim_now(p.sim);
	tern_sim_run_until(p.sim, t0 + TERN_MSEC(550));
	CHECK_EQ(tern_sim_link_set_up(p.sim, 0, false), 0);
	tern_sim_run_until(p.sim, t0 + TERN_MSEC(1250));
	CHECK_EQ(tern_sim_link_set_up(p.sim, 0, true), 0);
	struct tern_ping_stats st;
	ping_wait(&p, pg, &st);
	CHECK_EQ(st.transmitted, 20);
	/* lost: the reply of #6 (request sent at 0.5 s) and requests #7..#13 */
	CHECK_EQ(st.received, 12);
	struct tern_link_stats ls0, ls1;
	CHECK_EQ(tern_sim_link_stats(p.sim, 0, 0, &ls0), 0);
	CHECK_EQ(tern_sim_link_stats(p.sim, 0, 1, &ls1), 0);
	CHECK(ls0.drop_down >= 7);     /* a's requests while cut */
	CHECK_EQ(ls1.drop_down, 1);    /* b's reply on the wire at the cut */
	CHECK_EQ(tern_sim_link_set_up(p.sim, 1, false), TERN_EINVAL);
	pair_down(&p);
}

/* A delay raised mid-run shows in the round trips from then on. */
TEST(update_changes_delay_and_rate)
{
	struct tern_sim_link_opts o = {.delay = TERN_MSEC(1)};
	struct pair p;
	pair_up(&p, &o, 1);
	tern_sim_run_until(p.sim, TERN_SEC(1));
	struct tern_ping_stats st;
	ping_wait(&p, ping_start(&p, 3, TERN_MSEC(100), 56), &st);
	CHECK_EQ(st.received, 3);
	CHECK(st.rtt_min == TERN_MSEC(2)); /* the first waits for ARP as well */
	/* 50 ms each way and 1 Mbit/s: a 1028-byte ping (1042-byte frame) takes
	 * 8.336 ms to clock out each way: 116.672 ms per round trip */
	struct tern_sim_link_opts slow = {.delay = TERN_MSEC(50), .rate_bps = 1000000};
	CHECK_EQ(tern_sim_link_update(p.sim, 0, &slow), 0);
	ping_wait(&p, ping_start(&p, 3, TERN_MSEC(300), 1000), &st);
	CHECK_EQ(st.received, 3);
	CHECK_EQ(st.rtt_min, TERN_USEC(116672));
	CHECK_EQ(st.rtt_max, TERN_USEC(116672));
	pair_down(&p);
}

/* Loss added to an impairable link, then removed; a link made without a
 * fault injector refuses impairments. */
TEST(update_impairs_an_impairable_link)
{
	struct tern_sim_link_opts o = {.delay = TERN_MSEC(1), .impairable = true};
	struct pair p;
	pair_up(&p, &o, 7);
	tern_sim_run_until(p.sim, TERN_SEC(1));
	struct tern_ping_stats st;
	ping_wait(&p, ping_start(&p, 5, TERN_MSEC(100), 56), &st);
	CHECK_EQ(st.received, 5);
	struct tern_sim_link_opts lossy = o;
	lossy.loss = 1.0;
	CHECK_EQ(tern_sim_link_update(p.sim, 0, &lossy), 0);
	ping_wait(&p, ping_start(&p, 5, TERN_MSEC(100), 56), &st);
	CHECK_EQ(st.received, 0);
	lossy.loss = 0.5;
	CHECK_EQ(tern_sim_link_update(p.sim, 0, &lossy), 0);
	ping_wait(&p, ping_start(&p, 400, TERN_MSEC(10), 56), &st);
	/* each way 50%: a quarter of the round trips survive, 100 +- 26 (3 sd) */
	CHECK(st.received >= 74 && st.received <= 126);
	CHECK_EQ(tern_sim_link_update(p.sim, 0, &o), 0);
	ping_wait(&p, ping_start(&p, 5, TERN_MSEC(100), 56), &st);
	CHECK_EQ(st.received, 5);
	pair_down(&p);

	struct tern_sim_link_opts plain = {.delay = TERN_MSEC(1)};
	pair_up(&p, &plain, 7);
	CHECK_EQ(tern_sim_link_update(p.sim, 0, &lossy), TERN_EINVAL);
	CHECK_EQ(tern_sim_link_update(p.sim, 0, &plain), 0);
	CHECK_EQ(tern_sim_link_update(p.sim, 3, &plain), TERN_EINVAL);
	pair_down(&p);
}

/* A 3000-byte queue on a 1 Mbit/s link holds two 1442-byte frames: of a
 * burst of 10 pings sent 1 ms apart (each 11.5 ms on the wire), most are
 * tail-dropped. */
TEST(queue_limit_tail_drops)
{
	struct tern_sim_link_opts o = {.rate_bps = 1000000, .queue_bytes = 3000};
	struct pair p;
	pair_up(&p, &o, 1);
	tern_sim_run_until(p.sim, TERN_SEC(1));
	struct tern_ping_stats st;
	ping_wait(&p, ping_start(&p, 1, TERN_MSEC(1), 1400), &st); /* ARP first */
	ping_wait(&p, ping_start(&p, 10, TERN_MSEC(1), 1400), &st);
	struct tern_link_stats ls;
	CHECK_EQ(tern_sim_link_stats(p.sim, 0, 0, &ls), 0);
	CHECK(ls.drop_queue_full >= 6);
	CHECK_EQ(st.received + ls.drop_queue_full, 10);
	pair_down(&p);
}

TEST_MAIN()
