/*
 * tests/unit/test_route.c — the routing table through the public API:
 * longest-prefix match, metric tie-break, deletion, gateway validation
 * (RFC 1122 §3.3.1.1), source selection and local addresses.
 */
#include "stack_fixture.h"

#include "net/ipv4.h"

#define A TERN_IP4

/* Two interfaces: eth0 10.0.0.1/24, eth1 192.168.1.1/24. */
static void two_if(struct fixture *fx)
{
	fx_config(fx);
	fx_start(fx);
	fx_add_dev(fx, fx_mac(1), 1500);
	fx_add_dev(fx, fx_mac(2), 1500);
	REQUIRE_EQ(tern_stack_addr_add(fx->s, 1, A(10, 0, 0, 1), 24, 0), 0);
	REQUIRE_EQ(tern_stack_addr_add(fx->s, 2, A(192, 168, 1, 1), 24, 0), 0);
	fx_clear_tx(fx);
}

static tern_ip4_t hop(struct fixture *fx, tern_ip4_t dst)
{
	struct tern_route_result r;
	if (tern_route_lookup(fx->s, dst, &r) < 0)
		return 0;
	return r.next_hop;
}

TEST(longest_prefix_wins)
{
	struct fixture fx;
	two_if(&fx);
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(10, 0, 0, 254), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 0, 0, 0), 8, A(10, 0, 0, 253), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 1, 0, 0), 16, A(192, 168, 1, 2), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 1, 2, 0), 24, A(192, 168, 1, 3), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 1, 2, 3), 32, A(192, 168, 1, 4), 0, 0), 0);

	CHECK_EQ(hop(&fx, A(10, 1, 2, 3)), A(192, 168, 1, 4));
	CHECK_EQ(hop(&fx, A(10, 1, 2, 4)), A(192, 168, 1, 3));
	CHECK_EQ(hop(&fx, A(10, 1, 3, 1)), A(192, 168, 1, 2));
	CHECK_EQ(hop(&fx, A(10, 2, 0, 0)), A(10, 0, 0, 253));
	CHECK_EQ(hop(&fx, A(8, 8, 8, 8)), A(10, 0, 0, 254));
	/* The connected /24 is longer than the static /8 over it. */
	CHECK_EQ(hop(&fx, A(10, 0, 0, 77)), A(10, 0, 0, 77));

	struct tern_route_result r;
	REQUIRE_EQ(tern_route_lookup(fx.s, A(10, 1, 2, 200), &r), 0);
	CHECK_EQ(r.ifindex, 2);
	CHECK_EQ(r.dst, A(10, 1, 2, 0));
	CHECK_EQ(r.plen, 24);
	CHECK(!r.local);
	REQUIRE_EQ(tern_route_lookup(fx.s, A(1, 2, 3, 4), &r), 0);
	CHECK_EQ(r.plen, 0);
	CHECK_EQ(r.ifindex, 1);
	fx_finish(&fx);
}

TEST(insertion_order_does_not_matter)
{
	struct fixture fx;
	two_if(&fx);
	/* Most specific first this time. */
	CHECK_EQ(tern_route_add(fx.s, A(10, 1, 2, 3), 32, A(192, 168, 1, 4), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 1, 2, 0), 24, A(192, 168, 1, 3), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 1, 0, 0), 16, A(192, 168, 1, 2), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(10, 0, 0, 254), 0, 0), 0);
	CHECK_EQ(hop(&fx, A(10, 1, 2, 3)), A(192, 168, 1, 4));
	CHECK_EQ(hop(&fx, A(10, 1, 2, 9)), A(192, 168, 1, 3));
	CHECK_EQ(hop(&fx, A(10, 1, 9, 9)), A(192, 168, 1, 2));
	CHECK_EQ(hop(&fx, A(11, 0, 0, 1)), A(10, 0, 0, 254));
	fx_finish(&fx);
}

TEST(metric_breaks_ties)
{
	struct fixture fx;
	two_if(&fx);
	CHECK_EQ(tern_route_add(fx.s, A(172, 16, 0, 0), 16, A(10, 0, 0, 2), 0, 10), 0);
	CHECK_EQ(tern_route_add(fx.s, A(172, 16, 0, 0), 16, A(192, 168, 1, 2), 0, 5), 0);
	CHECK_EQ(tern_route_add(fx.s, A(172, 16, 0, 0), 16, A(10, 0, 0, 3), 0, 20), 0);
	struct tern_route_result r;
	REQUIRE_EQ(tern_route_lookup(fx.s, A(172, 16, 4, 4), &r), 0);
	CHECK_EQ(r.next_hop, A(192, 168, 1, 2));
	CHECK_EQ(r.ifindex, 2);
	CHECK_EQ(r.src, A(192, 168, 1, 1));
	/* Delete the best: the next lowest metric takes over. */
	CHECK_EQ(tern_route_del(fx.s, A(172, 16, 0, 0), 16, A(192, 168, 1, 2)), 0);
	REQUIRE_EQ(tern_route_lookup(fx.s, A(172, 16, 4, 4), &r), 0);
	CHECK_EQ(r.next_hop, A(10, 0, 0, 2));
	CHECK_EQ(r.ifindex, 1);
	CHECK_EQ(r.src, A(10, 0, 0, 1));
	/* A longer prefix beats a lower metric. */
	CHECK_EQ(tern_route_add(fx.s, A(172, 16, 4, 0), 24, A(10, 0, 0, 9), 0, 1000), 0);
	CHECK_EQ(hop(&fx, A(172, 16, 4, 4)), A(10, 0, 0, 9));
	CHECK_EQ(hop(&fx, A(172, 16, 5, 4)), A(10, 0, 0, 2));
	fx_finish(&fx);
}

TEST(delete_routes)
{
	struct fixture fx;
	two_if(&fx);
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(10, 0, 0, 254), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 9, 0, 0), 16, A(10, 0, 0, 9), 0, 0), 0);
	CHECK_EQ(hop(&fx, A(10, 9, 1, 1)), A(10, 0, 0, 9));
	CHECK_EQ(tern_route_del(fx.s, A(10, 9, 0, 0), 16, 0), 0);
	CHECK_EQ(hop(&fx, A(10, 9, 1, 1)), A(10, 0, 0, 254));
	CHECK_EQ(tern_route_del(fx.s, A(10, 9, 0, 0), 16, 0), TERN_ENOENT);
	/* Wrong gateway: nothing removed. */
	CHECK_EQ(tern_route_del(fx.s, 0, 0, A(10, 0, 0, 1)), TERN_ENOENT);
	CHECK_EQ(tern_route_del(fx.s, 0, 0, A(10, 0, 0, 254)), 0);
	struct tern_route_result r;
	CHECK_EQ(tern_route_lookup(fx.s, A(8, 8, 8, 8), &r), TERN_ENETUNREACH);
	/* Connected routes go with their address. */
	CHECK_EQ(tern_stack_addr_del(fx.s, 2, A(192, 168, 1, 1)), 0);
	CHECK_EQ(tern_route_lookup(fx.s, A(192, 168, 1, 7), &r), TERN_ENETUNREACH);
	CHECK_EQ(hop(&fx, A(10, 0, 0, 7)), A(10, 0, 0, 7));
	fx_finish(&fx);
}

/* tern_ipv4_route, the sending path's lookup, remembers its last answer:
 * every change of the table or of the addresses must show at once. */
static tern_ip4_t send_hop(struct fixture *fx, tern_ip4_t dst, bool *local)
{
	struct tern_route_result r;
	if (tern_ipv4_route(fx->s, dst, 0, &r) < 0)
		return 0;
	*local = r.local;
	return r.next_hop;
}

TEST(sending_route_follows_every_change)
{
	struct fixture fx;
	two_if(&fx);
	bool local = false;
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(10, 0, 0, 254), 0, 0), 0);
	CHECK_EQ(send_hop(&fx, A(8, 8, 8, 8), &local), A(10, 0, 0, 254));
	CHECK_EQ(send_hop(&fx, A(8, 8, 8, 8), &local), A(10, 0, 0, 254));
	CHECK_EQ(tern_route_add(fx.s, A(8, 0, 0, 0), 8, A(192, 168, 1, 2), 0, 0), 0);
	CHECK_EQ(send_hop(&fx, A(8, 8, 8, 8), &local), A(192, 168, 1, 2));
	CHECK_EQ(tern_route_del(fx.s, A(8, 0, 0, 0), 8, 0), 0);
	CHECK_EQ(send_hop(&fx, A(8, 8, 8, 8), &local), A(10, 0, 0, 254));
	/* An address of ours becomes local, and stops being so. */
	CHECK_EQ(send_hop(&fx, A(10, 0, 0, 5), &local), A(10, 0, 0, 5));
	CHECK(!local);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, A(10, 0, 0, 5), 24, 0), 0);
	CHECK_EQ(send_hop(&fx, A(10, 0, 0, 5), &local), A(10, 0, 0, 5));
	CHECK(local);
	REQUIRE_EQ(tern_stack_addr_del(fx.s, 1, A(10, 0, 0, 5)), 0);
	send_hop(&fx, A(10, 0, 0, 5), &local);
	CHECK(!local);
	/* The interface's address goes, and its connected route with it:
	 * what is left is the default route (as the plain lookup says). */
	CHECK_EQ(send_hop(&fx, A(10, 0, 0, 7), &local), A(10, 0, 0, 7));
	REQUIRE_EQ(tern_stack_addr_del(fx.s, 1, A(10, 0, 0, 1)), 0);
	CHECK_EQ(send_hop(&fx, A(10, 0, 0, 7), &local), A(10, 0, 0, 254));
	CHECK_EQ(hop(&fx, A(10, 0, 0, 7)), A(10, 0, 0, 254));
	fx_finish(&fx);
}

TEST(add_validation)
{
	struct fixture fx;
	two_if(&fx);
	/* RFC 1122 §3.3.1.1: the gateway must be on a connected network. */
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(172, 31, 0, 1), 0, 0), TERN_ENETUNREACH);
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(10, 0, 0, 254), 0, 0), 0);
	/* ... and a static route covering it does not make it connected. */
	CHECK_EQ(tern_route_add(fx.s, A(10, 5, 0, 0), 16, A(172, 31, 0, 1), 0, 0), TERN_ENETUNREACH);
	/* Host bits beyond the prefix, a prefix past 32. */
	CHECK_EQ(tern_route_add(fx.s, A(10, 5, 0, 1), 16, A(10, 0, 0, 254), 0, 0), TERN_EINVAL);
	CHECK_EQ(tern_route_add(fx.s, A(10, 5, 0, 0), 33, A(10, 0, 0, 254), 0, 0), TERN_EINVAL);
	/* Duplicates. */
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(10, 0, 0, 254), 0, 0), TERN_EEXIST);
	/* An on-link route needs a real interface. */
	CHECK_EQ(tern_route_add(fx.s, A(10, 7, 0, 0), 16, 0, 9, 0), TERN_ENODEV);
	CHECK_EQ(tern_route_add(fx.s, A(10, 7, 0, 0), 16, 0, 2, 0), 0);
	struct tern_route_result r;
	REQUIRE_EQ(tern_route_lookup(fx.s, A(10, 7, 3, 3), &r), 0);
	CHECK_EQ(r.ifindex, 2);
	CHECK_EQ(r.next_hop, A(10, 7, 3, 3));
	CHECK_EQ(r.src, A(192, 168, 1, 1));
	fx_finish(&fx);
}

TEST(source_selection)
{
	struct fixture fx;
	two_if(&fx);
	/* A second address on eth0, on another subnet. */
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, A(10, 9, 0, 1), 16, 0), 0);
	fx_clear_tx(&fx);
	CHECK_EQ(tern_route_add(fx.s, A(10, 20, 0, 0), 16, A(10, 9, 0, 254), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 30, 0, 0), 16, A(10, 0, 0, 254), 0, 0), 0);
	struct tern_route_result r;
	/* Via a gateway: the address on the gateway's subnet. */
	REQUIRE_EQ(tern_route_lookup(fx.s, A(10, 20, 1, 1), &r), 0);
	CHECK_EQ(r.src, A(10, 9, 0, 1));
	CHECK_EQ(r.ifindex, 1);
	REQUIRE_EQ(tern_route_lookup(fx.s, A(10, 30, 1, 1), &r), 0);
	CHECK_EQ(r.src, A(10, 0, 0, 1));
	/* Connected: the address that made the route. */
	REQUIRE_EQ(tern_route_lookup(fx.s, A(10, 9, 200, 1), &r), 0);
	CHECK_EQ(r.src, A(10, 9, 0, 1));
	REQUIRE_EQ(tern_route_lookup(fx.s, A(192, 168, 1, 50), &r), 0);
	CHECK_EQ(r.src, A(192, 168, 1, 1));
	CHECK_EQ(tern_stack_iface_addr(fx.s, 2), A(192, 168, 1, 1));
	fx_finish(&fx);
}

TEST(loopback_and_own_addresses_are_local)
{
	struct fixture fx;
	two_if(&fx);
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(10, 0, 0, 254), 0, 0), 0);
	const tern_ip4_t locals[] = {A(127, 0, 0, 1), A(127, 5, 6, 7), A(10, 0, 0, 1),
				     A(192, 168, 1, 1)};
	for (size_t i = 0; i < sizeof(locals) / sizeof(locals[0]); i++) {
		struct tern_route_result r;
		REQUIRE_EQ(tern_route_lookup(fx.s, locals[i], &r), 0);
		CHECK(r.local);
		CHECK_EQ(r.ifindex, TERN_IFINDEX_LOOPBACK);
		CHECK_EQ(r.src, locals[i]);
		CHECK_EQ(r.next_hop, locals[i]);
		CHECK(tern_stack_is_local_addr(fx.s, locals[i]));
	}
	CHECK(!tern_stack_is_local_addr(fx.s, A(10, 0, 0, 2)));
	CHECK(!tern_stack_is_local_addr(fx.s, A(8, 8, 8, 8)));
	struct tern_route_result r;
	REQUIRE_EQ(tern_route_lookup(fx.s, A(10, 0, 0, 2), &r), 0);
	CHECK(!r.local);
	CHECK_EQ(tern_stack_iface_mtu(fx.s, TERN_IFINDEX_LOOPBACK), 65536);
	fx_finish(&fx);
}

TEST(route_print)
{
	struct fixture fx;
	two_if(&fx);
	CHECK_EQ(tern_route_add(fx.s, 0, 0, A(10, 0, 0, 254), 0, 0), 0);
	CHECK_EQ(tern_route_add(fx.s, A(10, 1, 0, 0), 16, A(192, 168, 1, 2), 0, 7), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	REQUIRE(f != NULL);
	tern_route_print(fx.s, f);
	fclose(f);
	CHECK(strstr(buf, "default via 10.0.0.254 dev eth0") != NULL);
	CHECK(strstr(buf, "10.1.0.0/16 via 192.168.1.2 dev eth1 metric 7") != NULL);
	CHECK(strstr(buf, "192.168.1.0/24 dev eth1 proto kernel scope link src 192.168.1.1") != NULL);
	free(buf);
	fx_finish(&fx);
}

TEST_MAIN()
