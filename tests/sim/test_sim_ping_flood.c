/*
 * tests/sim/test_sim_ping_flood.c — ping's iputils behaviours that need
 * exact time: -i 0 keeps one request in flight and reports ipg/ewma, -f
 * prints its marks, SIGQUIT's status line. A and B on a 1 ms link: the
 * first round trip also resolves B's MAC (4 ms), the others take 2 ms.
 */
#include "harness.h"
#include "sim_pair.h"

#include <stdlib.h>

#include "tern/apps.h"

#define B_IP TERN_IP4(10, 0, 0, 2)

static bool ping_done(void *p)
{
	return tern_ping_done(p);
}

/* Run a ping from A to B with o (dst, ident filled in) to its end; the
 * text it printed in *out (freed by the caller), its stats in *st. */
static int run_ping(struct tern_ping_opts *o, char **out, struct tern_ping_stats *st)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(7, &a, &b);
	if (!sim)
		return -1;
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	o->dst = B_IP;
	o->ident = 0x4242;
	int err = 0;
	struct tern_ping *p = tern_ping_start(a, o, f, tern_sim_now(sim), &err);
	if (!p) {
		fclose(f);
		tern_sim_destroy(sim);
		return -1;
	}
	bool done = tern_sim_run_while(sim, ping_done, p, tern_sim_now(sim) + TERN_SEC(30));
	tern_ping_get_stats(p, st);
	int status = tern_ping_finish(p, tern_sim_now(sim));
	fclose(f);
	tern_sim_destroy(sim);
	return done ? status : -1;
}

TEST(ping_interval_zero_one_in_flight_and_ipg_ewma)
{
	struct tern_ping_opts o;
	tern_ping_opts_init(&o);
	o.count = 5;
	o.interval = 0;
	char *out = NULL;
	struct tern_ping_stats st;
	CHECK_EQ(run_ping(&o, &out, &st), 0);
	CHECK_EQ(st.transmitted, 5);
	CHECK_EQ(st.received, 5);
	CHECK_EQ(st.pipe, 1); /* each request waited for the reply before it */
	/* Requests at 0, 4, 6, 8, 10 ms: ipg 10/4 = 2.5 ms; ewma from 4 ms
	 * with gain 1/8 over four 2 ms samples: 3.172 ms (iputils' integer
	 * steps: 32000, 30000, 28250, 26719, 25380 / 8). */
	CHECK(out && strstr(out, "5 packets transmitted, 5 received, 0% packet loss, time 10ms\n"));
	CHECK(out && strstr(out, "rtt min/avg/max/mdev = 2.000/2.400/4.000/0.800 ms, "
			    "ipg/ewma 2.500/3.172 ms\n"));
	free(out);
}

TEST(ping_flood_marks)
{
	struct tern_ping_opts o;
	tern_ping_opts_init(&o);
	o.count = 3;
	o.interval = 0;
	o.flood = true;
	char *out = NULL;
	struct tern_ping_stats st;
	CHECK_EQ(run_ping(&o, &out, &st), 0);
	CHECK(out && strstr(out, "bytes of data.\n.\b \b.\b \b.\b \b\n--- 10.0.0.2 ping statistics ---\n"));
	free(out);
}

TEST(ping_interval_zero_without_answers_waits_10ms)
{
	/* 10.0.0.9 never answers ARP: nothing comes back within 10 ms, so
	 * requests leave 10 ms apart (iputils' MININTERVAL), all in flight. */
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(8, &a, &b);
	REQUIRE(sim);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct tern_ping_opts o;
	tern_ping_opts_init(&o);
	o.dst = TERN_IP4(10, 0, 0, 9);
	o.count = 4;
	o.interval = 0;
	o.flood = true;
	int err = 0;
	struct tern_ping *p = tern_ping_start(a, &o, f, tern_sim_now(sim), &err);
	REQUIRE(p);
	CHECK(tern_sim_run_while(sim, ping_done, p, tern_sim_now(sim) + TERN_SEC(30)));
	struct tern_ping_stats st;
	tern_ping_get_stats(p, &st);
	CHECK_EQ(tern_ping_finish(p, tern_sim_now(sim)), 1);
	fclose(f);
	CHECK_EQ(st.errors, 4);
	CHECK_EQ(st.pipe, 4);
	CHECK_EQ(st.elapsed, TERN_MSEC(30));
	CHECK(out && strstr(out, "\n....\bE\bE\bE\bE\n"));
	CHECK(out && strstr(out, "4 packets transmitted, 0 received, +4 errors, 100% packet loss, "
			    "time 30ms\npipe 4\n"));
	free(out);
	tern_sim_destroy(sim);
}

TEST(ping_status_line)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(9, &a, &b);
	REQUIRE(sim);
	char *out = NULL, *err_text = NULL;
	size_t len = 0, elen = 0;
	FILE *f = open_memstream(&out, &len);
	FILE *e = open_memstream(&err_text, &elen);
	struct tern_ping_opts o;
	tern_ping_opts_init(&o);
	o.dst = B_IP;
	o.err = e;
	int err = 0;
	struct tern_ping *p = tern_ping_start(a, &o, f, tern_sim_now(sim), &err);
	REQUIRE(p);
	tern_ping_status(p); /* one sent, none back yet */
	tern_sim_run_until(sim, tern_sim_now(sim) + TERN_MSEC(1500));
	tern_ping_status(p); /* two sent, two back: 4 ms then 2 ms */
	tern_ping_finish(p, tern_sim_now(sim));
	fclose(f);
	fclose(e);
	CHECK(err_text && strcmp(err_text, "\r0/1 packets, 100% loss\n"
					   "\r2/2 packets, 0% loss, min/avg/ewma/max = "
					   "2.000/3.000/3.750/4.000 ms\n") == 0);
	free(out);
	free(err_text);
	tern_sim_destroy(sim);
}

TEST_MAIN()
