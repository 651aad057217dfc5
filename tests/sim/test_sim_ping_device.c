/*
 * tests/sim/test_sim_ping_device.c — `ping -I IFACE` binds the requests
 * to the device, as iputils' SO_BINDTODEVICE does: they leave by that
 * interface's routes (or, with none, on its link) whatever the routing
 * table prefers, and come from its address.
 *
 * A has eth0 10.0.0.1/24 to B and eth1 10.0.1.1/24 to C (10.0.1.2), and a
 * host route to C's address through B, which is no router: without -I
 * the requests go to B and die there; with -I eth1 they reach C.
 */
#include "harness.h"

#include <stdlib.h>

#include "tern/apps.h"
#include "tern/sim.h"

#define B_IP TERN_IP4(10, 0, 0, 2)
#define C_IP TERN_IP4(10, 0, 1, 2)
#define C_IP2 TERN_IP4(10, 9, 9, 9)

static bool ping_done(void *p)
{
	return tern_ping_done(p);
}

static struct tern_sim *net(struct tern_stack **a, struct tern_stack **c)
{
	struct tern_sim *sim = tern_sim_create(5);
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(1)};
	if (!sim)
		return NULL;
	*a = tern_sim_host(sim, "A", NULL);
	struct tern_stack *b = tern_sim_host(sim, "B", NULL);
	*c = tern_sim_host(sim, "C", NULL);
	if (!*a || !b || !*c ||
	    tern_sim_connect(sim, *a, "10.0.0.1/24", b, "10.0.0.2/24", &lo, NULL, NULL) < 0 ||
	    tern_sim_connect(sim, *a, "10.0.1.1/24", *c, "10.0.1.2/24", &lo, NULL, NULL) < 0 ||
	    tern_route_add(*a, C_IP, 32, B_IP, 0, 0) < 0) {
		tern_sim_destroy(sim);
		return NULL;
	}
	tern_sim_run_until(sim, TERN_MSEC(100));
	return sim;
}

/* One ping of dst (device: -I IFACE or NULL); its output in *out. */
static unsigned ping_once(struct tern_sim *sim, struct tern_stack *a, tern_ip4_t dst,
			  const char *device, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	if (!f)
		return 99;
	struct tern_ping_opts o;
	tern_ping_opts_init(&o);
	o.dst = dst;
	o.count = 1;
	o.timeout = TERN_SEC(1);
	o.ident = 0x77;
	o.device = device;
	int err = 0;
	struct tern_ping *p = tern_ping_start(a, &o, f, tern_sim_now(sim), &err);
	if (!p) {
		fclose(f);
		return 98;
	}
	tern_sim_run_while(sim, ping_done, p, tern_sim_now(sim) + TERN_SEC(5));
	struct tern_ping_stats st;
	tern_ping_get_stats(p, &st);
	tern_ping_finish(p, tern_sim_now(sim));
	fclose(f);
	return st.received;
}

TEST(ping_device_pins_the_route_and_the_source)
{
	struct tern_stack *a, *c;
	struct tern_sim *sim = net(&a, &c);
	REQUIRE(sim);
	char *out = NULL;
	/* The table sends it to B, which forwards nothing. */
	CHECK_EQ(ping_once(sim, a, C_IP, NULL, &out), 0);
	CHECK(out && strstr(out, "PING 10.0.1.2 (10.0.1.2) 56(84) bytes of data.\n"));
	free(out);
	/* Bound to eth1: its connected route, its address. */
	CHECK_EQ(ping_once(sim, a, C_IP, "eth1", &out), 1);
	CHECK(out && strstr(out, "PING 10.0.1.2 (10.0.1.2) from 10.0.1.1 eth1: 56(84) bytes of data.\n"));
	CHECK(out && strstr(out, "64 bytes from 10.0.1.2: icmp_seq=1 ttl=64 time="));
	free(out);
	tern_sim_destroy(sim);
}

TEST(ping_device_without_a_route_by_it_is_on_link)
{
	struct tern_stack *a, *c;
	struct tern_sim *sim = net(&a, &c);
	REQUIRE(sim);
	/* C also has 10.9.9.9 on its eth0; A has no route to it (and no
	 * default): unreachable without -I. */
	REQUIRE_EQ(tern_stack_addr_add(c, 1, C_IP2, 24, 0), 0);
	tern_sim_run_for(sim, TERN_MSEC(100));
	struct tern_ping_opts o;
	tern_ping_opts_init(&o);
	o.dst = C_IP2;
	int err = 0;
	CHECK(!tern_ping_start(a, &o, stdout, tern_sim_now(sim), &err));
	CHECK_EQ(err, TERN_ENETUNREACH);
	/* -I eth1: Linux takes the destination to be on that link. */
	char *out = NULL;
	CHECK_EQ(ping_once(sim, a, C_IP2, "eth1", &out), 1);
	CHECK(out && strstr(out, "from 10.0.1.1 eth1: "));
	free(out);
	/* An unknown device. */
	o.device = "eth7";
	CHECK(!tern_ping_start(a, &o, stdout, tern_sim_now(sim), &err));
	CHECK_EQ(err, TERN_ENODEV);
	tern_sim_destroy(sim);
}

TEST_MAIN()
