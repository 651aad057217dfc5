/*
 * tests/sim/test_sim_pacer.c — the simulator's pacer hook and external
 * switch ports (tern/simrt.h, tern_sim_switch_port), with a fake clock:
 * the pacer is asked before every instant with a deadline that never goes
 * backwards (but after input), input it reports at an earlier virtual time is delivered at
 * that time (an ARP request from outside, answered through the switch at
 * exactly the links' delays), and a run ends at its limit.
 */
#include "harness.h"

#include "tern/err.h"
#include "tern/simrt.h"

struct fake {
	struct tern_sim *sim;
	struct tern_netdev *port;
	tern_time_t last_until, inject_at;
	bool injected, backwards;
	unsigned waits;
	tern_time_t reply_at;
	unsigned frames_out;
};

static tern_time_t fake_wait(void *ctx, tern_time_t now, tern_time_t until, bool *input)
{
	struct fake *f = ctx;
	f->waits++;
	if (until < f->last_until || until < now)
		f->backwards = true;
	f->last_until = until;
	if (!f->injected && until > f->inject_at) {
		*input = true;
		f->last_until = f->inject_at; /* what input brings may come sooner */
		return f->inject_at;
	}
	return until;
}

/* An ARP request for 10.0.0.1 from 10.0.0.9 (02:aa:..:09), from outside. */
static void fake_input(void *ctx, tern_time_t now)
{
	struct fake *f = ctx;
	uint8_t fr[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0xaa, 0, 0, 0, 0x09, 0x08, 0x06,
			  0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0xaa, 0, 0, 0, 0x09, 10, 0, 0, 9,
			  0, 0, 0, 0, 0, 0, 10, 0, 0, 1};
	f->injected = true;
	CHECK_EQ(now, f->inject_at);
	CHECK_EQ(tern_netdev_transmit(f->port, fr, sizeof(fr), now), 0);
}

static void on_out(void *ctx, struct tern_netdev *dev, const uint8_t *fr, size_t len,
		   tern_time_t now)
{
	struct fake *f = ctx;
	(void)dev;
	f->frames_out++;
	/* the ARP reply to 10.0.0.9 */
	if (len >= 42 && fr[12] == 0x08 && fr[13] == 0x06 && fr[21] == 2 && fr[41] == 9)
		f->reply_at = now;
}

TEST(pacer_delivers_input_at_its_time)
{
	struct tern_sim *sim = tern_sim_create(7);
	REQUIRE(sim);
	struct tern_sim_link_opts o = {.delay = TERN_MSEC(1)};
	struct tern_switch *sw = tern_sim_switch(sim, "lan", 4);
	struct tern_stack *h = tern_sim_host(sim, "h", NULL);
	REQUIRE(sw && h);
	REQUIRE_EQ(tern_sim_connect_switch(sim, h, "10.0.0.1/24", sw, &o, NULL), 0);
	struct fake f = {.sim = sim, .inject_at = TERN_MSEC(500)};
	int err = 0;
	f.port = tern_sim_switch_port(sim, sw, "ext0", NULL, &o, &err);
	REQUIRE(f.port);
	CHECK_EQ(tern_sim_link_count(sim), 2u);
	tern_netdev_set_rx(f.port, on_out, &f);
	struct tern_sim_pacer p = {.wait = fake_wait, .input = fake_input, .ctx = &f};
	tern_sim_set_pacer(sim, &p);

	tern_sim_run_until(sim, TERN_SEC(1));
	CHECK(f.injected);
	CHECK(!f.backwards);
	CHECK(f.waits > 2);
	/* 1 ms to the switch, 1 ms to h, and the same back */
	CHECK_EQ(f.reply_at, TERN_MSEC(504));
	CHECK(f.frames_out >= 2); /* h's announcement, flooded, and the reply */
	CHECK_EQ(tern_sim_now(sim), TERN_SEC(1));
	/* the last wait was for the limit itself */
	CHECK_EQ(f.last_until, TERN_SEC(1));

	/* without the pacer nothing waits */
	tern_sim_set_pacer(sim, NULL);
	unsigned w = f.waits;
	tern_sim_run_for(sim, TERN_SEC(5));
	CHECK_EQ(f.waits, w);
	tern_sim_destroy(sim);
}

TEST(switch_port_refuses_bad_arguments)
{
	struct tern_sim *sim = tern_sim_create(1);
	REQUIRE(sim);
	struct tern_switch *sw = tern_sim_switch(sim, "lan", 1);
	int err = 0;
	CHECK(!tern_sim_switch_port(sim, sw, NULL, NULL, NULL, &err));
	CHECK_EQ(err, TERN_EINVAL);
	CHECK(!tern_sim_switch_port(sim, sw, "a-name-far-too-long", NULL, NULL, &err));
	CHECK_EQ(err, TERN_EINVAL);
	CHECK(tern_sim_switch_port(sim, sw, "ext0", NULL, NULL, &err));
	/* one port only: the switch is full */
	CHECK(!tern_sim_switch_port(sim, sw, "ext1", NULL, NULL, &err));
	CHECK(err < 0);
	tern_sim_destroy(sim);
}

TEST_MAIN()
