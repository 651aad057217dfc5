/*
 * tests/unit/test_socket_bind.c — UDP binding rules, each row mirroring
 * the errno Linux gives (udp_lib_lport_inuse; socket(7) SO_REUSEADDR /
 * SO_REUSEPORT; ip(7) bind), and ephemeral ports (RFC 6056): range,
 * randomness, no collision with bound ports, exhaustion, determinism.
 */
#include "test_socket_util.h"

#define X1 TERN_IP4(10, 0, 0, 1)   /* A's address */
#define X3 TERN_IP4(10, 0, 0, 3)   /* A's second address */
#define ANY 0
#define RA OPT_REUSEADDR
#define RP OPT_REUSEPORT

/* One host with two addresses on its link (and loopback). */
static bool host_init(struct pair *p)
{
	if (!pair_init(p, 1, NULL))
		return false;
	return tern_stack_addr_add(p->a, 1, X3, 24, 0) == 0;
}

/*
 * Two sockets bind the same port; the second bind gets `expect`.
 *
 *   first          second         options (1st / 2nd)   Linux errno
 */
static const struct bind_case {
	const char *name;
	tern_ip4_t a1;
	unsigned o1;
	tern_ip4_t a2;
	unsigned o2;
	int expect;
} bind_cases[] = {
	{"different specific addresses",   X1,  0,       X3,  0,       0},
	{"same specific address",          X1,  0,       X1,  0,       TERN_EADDRINUSE},
	{"wildcard, then specific",        ANY, 0,       X1,  0,       TERN_EADDRINUSE},
	{"specific, then wildcard",        X1,  0,       ANY, 0,       TERN_EADDRINUSE},
	{"wildcard twice",                 ANY, 0,       ANY, 0,       TERN_EADDRINUSE},
	{"same specific, REUSEADDR both",  X1,  RA,      X1,  RA,      0},
	{"wildcard+specific, REUSEADDR",   ANY, RA,      X1,  RA,      0},
	{"specific+wildcard, REUSEADDR",   X1,  RA,      ANY, RA,      0},
	{"wildcard twice, REUSEADDR",      ANY, RA,      ANY, RA,      0},
	{"REUSEADDR on the first only",    ANY, RA,      X1,  0,       TERN_EADDRINUSE},
	{"REUSEADDR on the second only",   ANY, 0,       X1,  RA,      TERN_EADDRINUSE},
	{"same specific, REUSEPORT both",  X1,  RP,      X1,  RP,      0},
	{"wildcard twice, REUSEPORT",      ANY, RP,      ANY, RP,      0},
	{"wildcard+specific, REUSEPORT",   ANY, RP,      X1,  RP,      0},
	{"REUSEPORT on the first only",    X1,  RP,      X1,  0,       TERN_EADDRINUSE},
	{"REUSEPORT on the second only",   X1,  0,       X1,  RP,      TERN_EADDRINUSE},
	{"REUSEADDR vs REUSEPORT",         X1,  RA,      X1,  RP,      TERN_EADDRINUSE},
	{"both options on both",           ANY, RA | RP, ANY, RA | RP, 0},
	{"loopback vs specific",           IP_LO, 0,     X1,  0,       0},
	{"loopback vs wildcard",           IP_LO, 0,     ANY, 0,       TERN_EADDRINUSE},
	{"two loopback addresses",         IP_LO, 0,     TERN_IP4(127, 0, 0, 2), 0, 0},
	{"subnet broadcast vs specific",   IP_NET_BCAST, 0, X1, 0,     0},
	{"subnet broadcast vs wildcard",   IP_NET_BCAST, 0, ANY, 0,    TERN_EADDRINUSE},
	{"broadcast twice, REUSEADDR",     IP_NET_BCAST, RA, IP_NET_BCAST, RA, 0},
};

TEST(bind_table)
{
	struct pair p;
	REQUIRE(host_init(&p));
	for (size_t i = 0; i < sizeof(bind_cases) / sizeof(bind_cases[0]); i++) {
		const struct bind_case *c = &bind_cases[i];
		uint16_t port = (uint16_t)(7000 + i);
		int first = udp_bound(p.a, c->o1, c->a1, port);
		if (first < 0) {
			TEST_FAIL_("%s: first bind failed %d", c->name, first);
			continue;
		}
		int second = udp_bound(p.a, c->o2, c->a2, port);
		if ((second < 0 ? second : 0) != c->expect)
			TEST_FAIL_("%s: second bind %d, want %d", c->name, second, c->expect);
		/* Closing frees the port for the loser. */
		if (second >= 0)
			tern_close(p.a, second);
		tern_close(p.a, first);
		second = udp_bound(p.a, c->o2, c->a2, port);
		if (second < 0)
			TEST_FAIL_("%s: rebind after close %d", c->name, second);
		else
			tern_close(p.a, second);
	}
	pair_finish(&p);
}

TEST(reuse_needs_every_socket)
{
	struct pair p;
	REQUIRE(host_init(&p));
	/* SO_REUSEPORT must be set on every socket sharing the port. */
	CHECK(udp_bound(p.a, RP, ANY, 8000) >= 0);
	CHECK(udp_bound(p.a, RP, ANY, 8000) >= 0);
	CHECK_EQ(udp_bound(p.a, 0, ANY, 8000), TERN_EADDRINUSE);
	CHECK_EQ(udp_bound(p.a, RA, X1, 8000), TERN_EADDRINUSE);
	CHECK(udp_bound(p.a, RP, X1, 8000) >= 0);
	/* A port shared under REUSEADDR by a wildcard and a specific socket:
	 * a REUSEPORT-only newcomer conflicts with the REUSEADDR-only one
	 * (tern checks every socket on the port). */
	CHECK(udp_bound(p.a, RA | RP, ANY, 8001) >= 0);
	CHECK(udp_bound(p.a, RA, X1, 8001) >= 0);
	CHECK_EQ(udp_bound(p.a, RP, X1, 8001), TERN_EADDRINUSE);
	CHECK(udp_bound(p.a, RP, X3, 8001) >= 0);
	pair_finish(&p);
}

TEST(bind_errors)
{
	struct pair p;
	REQUIRE(host_init(&p));
	/* ip(7): an address that is not the host's is EADDRNOTAVAIL. */
	CHECK_EQ(udp_bound(p.a, 0, TERN_IP4(10, 0, 0, 2), 9000), TERN_EADDRNOTAVAIL); /* B's */
	CHECK_EQ(udp_bound(p.a, 0, TERN_IP4(192, 0, 2, 1), 9000), TERN_EADDRNOTAVAIL);
	/* All of 127/8, broadcasts and multicast may be bound. */
	CHECK(udp_bound(p.a, 0, TERN_IP4(127, 1, 2, 3), 9000) >= 0);
	CHECK(udp_bound(p.a, 0, TERN_IP4_BROADCAST, 9000) >= 0);
	CHECK(udp_bound(p.a, 0, TERN_IP4(224, 0, 0, 251), 9000) >= 0);
	/* Low ports need no privilege in tern. */
	CHECK(udp_bound(p.a, 0, ANY, 53) >= 0);
	/* Binding twice is EINVAL, even to another port (Linux inet_bind). */
	int sd = udp_bound(p.a, 0, X1, 9001);
	struct tern_sockaddr_in again = sa(X1, 9002);
	CHECK_EQ(tern_bind(p.a, sd, &again), TERN_EINVAL);
	/* So is binding a socket a send has bound. */
	int s2 = udp_socket(p.a, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 9);
	CHECK_EQ(tern_sendto(p.a, s2, "x", 1, 0, &to), 1);
	CHECK_EQ(tern_bind(p.a, s2, &again), TERN_EINVAL);
	/* A loopback-bound socket cannot talk beyond the host (Linux EINVAL). */
	int lo = udp_bound(p.a, 0, IP_LO, 9003);
	struct tern_sockaddr_in b = sa(TERN_IP4(10, 0, 0, 2), 9);
	CHECK_EQ(tern_sendto(p.a, lo, "x", 1, 0, &b), TERN_EINVAL);
	CHECK_EQ(tern_connect(p.a, lo, &b), TERN_EINVAL);
	/* Loopback exists on a stack with no other interface. */
	struct tern_stack *lone = lone_stack(3);
	CHECK(udp_bound(lone, 0, TERN_IP4(127, 0, 0, 53), 53) >= 0);
	CHECK_EQ(udp_bound(lone, 0, X1, 53), TERN_EADDRNOTAVAIL);
	lone_finish(lone);
	pair_finish(&p);
}

/* A connected wildcard socket now owns a specific address (Linux rehashes
 * it on connect), so a bind elsewhere on its port no longer overlaps. */
TEST(connect_narrows_the_bound_address)
{
	struct pair p;
	REQUIRE(host_init(&p));
	int sd = udp_bound(p.a, 0, ANY, 9100);
	CHECK_EQ(udp_bound(p.a, 0, X3, 9100), TERN_EADDRINUSE);
	struct tern_sockaddr_in peer = sa(TERN_IP4(10, 0, 0, 2), 9);
	CHECK_EQ(tern_connect(p.a, sd, &peer), 0);
	struct tern_sockaddr_in me;
	CHECK_EQ(tern_getsockname(p.a, sd, &me), 0);
	CHECK_EQ(me.addr, X1); /* the connected route's preferred source */
	CHECK(udp_bound(p.a, 0, X3, 9100) >= 0);
	CHECK_EQ(udp_bound(p.a, 0, X1, 9100), TERN_EADDRINUSE);
	pair_finish(&p);
}

/* ---- ephemeral ports -------------------------------------------------------------- */

#define EPH_LOW 49152
#define EPH_N 16384

static int bound_port(struct tern_stack *s, int sd)
{
	struct tern_sockaddr_in me;
	return tern_getsockname(s, sd, &me) == 0 ? me.port : -1;
}

TEST(ephemeral_10000_random_unique_in_range)
{
	struct tern_stack *s = lone_stack(42);
	REQUIRE(s);
	static uint8_t used[65536];
	memset(used, 0, sizeof(used));
	/* Ports bound explicitly first, scattered over the range. */
	for (int i = 0; i < 300; i++) {
		uint16_t port = (uint16_t)(EPH_LOW + (i * 53) % EPH_N);
		REQUIRE(udp_bound(s, 0, ANY, port) >= 0);
		used[port] = 2;
	}
	int adjacent = 0, prev = -1, bad_range = 0, dup = 0, hit_explicit = 0;
	for (int i = 0; i < 10000; i++) {
		int sd = udp_bound(s, 0, ANY, 0);
		REQUIRE(sd >= 0);
		int port = bound_port(s, sd);
		REQUIRE(port >= 0);
		bad_range += port < EPH_LOW || port > 65535;
		dup += used[port] == 1;
		hit_explicit += used[port] == 2;
		used[port] = 1;
		adjacent += prev >= 0 && (port == prev + 1 || port == prev - 1);
		prev = port;
	}
	CHECK_EQ(bad_range, 0);
	CHECK_EQ(dup, 0);
	CHECK_EQ(hit_explicit, 0);
	/* Not sequential: fewer than 1% of consecutive choices are neighbours. */
	CHECK(adjacent < 100);
	fprintf(stderr, "  ephemeral: %d of 9999 consecutive allocations adjacent\n", adjacent);

	/* Exhaustion: take every free port but two explicitly; port 0 then
	 * finds exactly those two, and after that the range is full. */
	int left0 = -1, left1 = -1;
	for (int port = EPH_LOW; port <= 65535; port++) {
		if (used[port])
			continue;
		if (left0 < 0)
			left0 = port;
		else if (left1 < 0)
			left1 = port;
		else
			REQUIRE(udp_bound(s, 0, ANY, (uint16_t)port) >= 0);
	}
	REQUIRE(left1 >= 0);
	int p1 = bound_port(s, udp_bound(s, 0, ANY, 0)), p2 = bound_port(s, udp_bound(s, 0, ANY, 0));
	CHECK((p1 == left0 && p2 == left1) || (p1 == left1 && p2 == left0));
	CHECK_EQ(udp_bound(s, 0, ANY, 0), TERN_EADDRINUSE);
	/* An implicit bind reports EAGAIN, as Linux's inet_autobind. */
	int sd = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 9);
	CHECK_EQ(tern_sendto(s, sd, "x", 1, 0, &to), TERN_EAGAIN);
	CHECK_EQ(tern_connect(s, sd, &to), TERN_EAGAIN);
	/* Ports outside the range are still there to bind explicitly. */
	CHECK(udp_bound(s, 0, ANY, 5000) >= 0);
	lone_finish(s);
}

TEST(ephemeral_ports_follow_the_seed)
{
	struct tern_stack *a = lone_stack(7), *b = lone_stack(7), *c = lone_stack(8);
	REQUIRE(a && b && c);
	int same = 0, differ = 0;
	for (int i = 0; i < 50; i++) {
		int pa = bound_port(a, udp_bound(a, 0, ANY, 0));
		int pb = bound_port(b, udp_bound(b, 0, ANY, 0));
		int pc = bound_port(c, udp_bound(c, 0, ANY, 0));
		same += pa == pb;
		differ += pa != pc;
	}
	CHECK_EQ(same, 50);
	CHECK(differ > 45);
	lone_finish(a);
	lone_finish(b);
	lone_finish(c);
}

TEST(autobind_on_send_and_connect)
{
	struct tern_stack *s = lone_stack(9);
	REQUIRE(s);
	int a = udp_socket(s, 0), b = udp_socket(s, 0);
	struct tern_sockaddr_in to = sa(IP_LO, 9);
	CHECK_EQ(bound_port(s, a), 0);
	CHECK_EQ(tern_sendto(s, a, "x", 1, 0, &to), 1);
	CHECK(bound_port(s, a) >= EPH_LOW);
	CHECK_EQ(tern_connect(s, b, &to), 0);
	CHECK(bound_port(s, b) >= EPH_LOW);
	CHECK(bound_port(s, a) != bound_port(s, b));
	lone_finish(s);
}

TEST_MAIN()
