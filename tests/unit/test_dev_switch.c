/*
 * tests/unit/test_dev_switch.c — the Ethernet learning switch
 * (src/dev/switch.c): flooding of unknown and group destinations,
 * learning, filtering, aging (Linux's 300 s, configurable, with explicit
 * time), station moves, a table that grows with the stations seen, the
 * counters, and a switched LAN of hosts on simulated links.
 *
 * Most cases attach probe devices as ports: a frame injected with
 * tern_netdev_deliver(port) reaches the switch at once, and each probe's
 * tx log shows what the switch sent out of that port.
 */
#include "harness.h"
#include "unit/dev_probe.h"

#define NPORTS 4

struct fixture {
	struct tern_switch *sw;
	struct probe *port[NPORTS];
};

static void setup(struct fixture *fx, tern_time_t aging)
{
	fx->sw = tern_switch_create("sw0", NPORTS, aging);
	for (int i = 0; i < NPORTS; i++) {
		char name[8] = {'p', (char)('0' + i), 0};
		fx->port[i] = probe_new(name, (uint8_t)(0x10 + i), 1500);
		CHECK_EQ(tern_switch_attach(fx->sw, &fx->port[i]->dev), i);
	}
}

static void teardown(struct fixture *fx)
{
	tern_switch_destroy(fx->sw);
	for (int i = 0; i < NPORTS; i++)
		tern_netdev_destroy(&fx->port[i]->dev);
}

/* Frames the switch has sent out of port i so far; clears the count. */
static size_t take(struct fixture *fx, int i)
{
	size_t n = fx->port[i]->tx.n;
	log_clear(&fx->port[i]->tx);
	return n;
}

/* Inject a frame from station src to dst arriving on port `in`. */
static void inject(struct fixture *fx, int in, uint8_t src, const struct tern_mac *dst,
		   uint32_t tag, tern_time_t now)
{
	uint8_t buf[64];
	struct tern_mac s = test_mac(src);
	make_frame(buf, sizeof(buf), dst, &s, tag);
	tern_netdev_deliver(&fx->port[in]->dev, buf, sizeof(buf), now);
}

static void inject_to(struct fixture *fx, int in, uint8_t src, uint8_t dst, tern_time_t now)
{
	struct tern_mac d = test_mac(dst);
	inject(fx, in, src, &d, 0, now);
}

TEST(unknown_unicast_floods)
{
	struct fixture fx;
	struct tern_switch_stats st;
	setup(&fx, 0);
	inject_to(&fx, 0, 0xa, 0xb, 0);
	CHECK_EQ(take(&fx, 0), 0);
	CHECK_EQ(take(&fx, 1), 1);
	CHECK_EQ(take(&fx, 2), 1);
	CHECK_EQ(take(&fx, 3), 1);
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.flooded, 1);
	CHECK_EQ(st.forwarded, 0);
	teardown(&fx);
}

TEST(learns_and_forwards)
{
	struct fixture fx;
	struct tern_switch_stats st;
	setup(&fx, 0);
	inject_to(&fx, 0, 0xa, 0xb, 0); /* learns A on 0, floods */
	for (int i = 0; i < NPORTS; i++)
		take(&fx, i);

	inject_to(&fx, 1, 0xb, 0xa, 1); /* A known: only port 0; learns B on 1 */
	CHECK_EQ(take(&fx, 0), 1);
	CHECK_EQ(take(&fx, 1), 0);
	CHECK_EQ(take(&fx, 2), 0);
	CHECK_EQ(take(&fx, 3), 0);

	inject_to(&fx, 0, 0xa, 0xb, 2); /* now B is known too */
	CHECK_EQ(take(&fx, 1), 1);
	CHECK_EQ(take(&fx, 2), 0);
	CHECK_EQ(take(&fx, 3), 0);

	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.forwarded, 2);
	CHECK_EQ(st.flooded, 1);
	teardown(&fx);
}

TEST(forwarded_frame_unchanged)
{
	struct fixture fx;
	uint8_t want[64];
	struct tern_mac a = test_mac(0xa), b = test_mac(0xb);
	setup(&fx, 0);
	inject_to(&fx, 2, 0xb, 0xa, 0);
	take(&fx, 0);
	inject(&fx, 3, 0xa, &b, 77, 5);
	make_frame(want, sizeof(want), &b, &a, 77);
	REQUIRE_EQ(fx.port[2]->tx.n, 1);
	CHECK_EQ(fx.port[2]->tx.r[0].len, 64);
	CHECK_MEM(fx.port[2]->tx.r[0].data, want, 64);
	CHECK_EQ(fx.port[2]->tx.r[0].t, 5);
	teardown(&fx);
}

TEST(broadcast_and_multicast_flood)
{
	struct fixture fx;
	struct tern_mac bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct tern_mac mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	setup(&fx, 0);
	/* Learn every station so only group addressing can cause a flood. */
	for (int i = 0; i < NPORTS; i++)
		inject_to(&fx, i, (uint8_t)(0xa + i), 0xa, 0);
	for (int i = 0; i < NPORTS; i++)
		take(&fx, i);

	inject(&fx, 1, 0xb, &bcast, 0, 1);
	CHECK_EQ(take(&fx, 0), 1);
	CHECK_EQ(take(&fx, 1), 0);
	CHECK_EQ(take(&fx, 2), 1);
	CHECK_EQ(take(&fx, 3), 1);

	inject(&fx, 3, 0xd, &mcast, 0, 1);
	CHECK_EQ(take(&fx, 0), 1);
	CHECK_EQ(take(&fx, 1), 1);
	CHECK_EQ(take(&fx, 2), 1);
	CHECK_EQ(take(&fx, 3), 0);
	teardown(&fx);
}

/* Both stations behind the same port: the switch stays silent. */
TEST(same_port_filtered)
{
	struct fixture fx;
	struct tern_switch_stats st;
	setup(&fx, 0);
	inject_to(&fx, 2, 0xb, 0xa, 0);
	for (int i = 0; i < NPORTS; i++)
		take(&fx, i);
	inject_to(&fx, 2, 0xa, 0xb, 1);
	for (int i = 0; i < NPORTS; i++)
		CHECK_EQ(take(&fx, i), 0);
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.filtered, 1);
	teardown(&fx);
}

TEST(short_frame_dropped)
{
	struct fixture fx;
	struct tern_switch_stats st;
	uint8_t buf[13] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	setup(&fx, 0);
	tern_netdev_deliver(&fx.port[0]->dev, buf, sizeof(buf), 0);
	for (int i = 0; i < NPORTS; i++)
		CHECK_EQ(take(&fx, i), 0);
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.drop_short, 1);
	/* Exactly a header is enough. */
	uint8_t hdr[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5};
	tern_netdev_deliver(&fx.port[0]->dev, hdr, sizeof(hdr), 0);
	CHECK_EQ(take(&fx, 1), 1);
	teardown(&fx);
}

TEST(entries_age_out)
{
	struct fixture fx;
	setup(&fx, TERN_SEC(1));
	inject_to(&fx, 1, 0xb, 0xa, 0);
	for (int i = 0; i < NPORTS; i++)
		take(&fx, i);

	inject_to(&fx, 0, 0xa, 0xb, TERN_SEC(1)); /* still fresh at the limit */
	CHECK_EQ(take(&fx, 1), 1);
	CHECK_EQ(take(&fx, 2), 0);

	inject_to(&fx, 0, 0xa, 0xb, TERN_SEC(1) + 1); /* expired: flood */
	CHECK_EQ(take(&fx, 1), 1);
	CHECK_EQ(take(&fx, 2), 1);
	CHECK_EQ(take(&fx, 3), 1);
	teardown(&fx);
}

/* A station that shows up on another port is followed there. */
TEST(station_moves)
{
	struct fixture fx;
	setup(&fx, 0);
	inject_to(&fx, 1, 0xb, 0xa, 0);
	inject_to(&fx, 3, 0xb, 0xa, 1);
	for (int i = 0; i < NPORTS; i++)
		take(&fx, i);
	inject_to(&fx, 0, 0xa, 0xb, 2);
	CHECK_EQ(take(&fx, 1), 0);
	CHECK_EQ(take(&fx, 3), 1);
	teardown(&fx);
}

/* A frame from station number i (02:33:i) on port 1 + i % 3, to d. */
static void inject_station(struct fixture *fx, uint32_t i, const struct tern_mac *d, tern_time_t now)
{
	uint8_t buf[64];
	struct tern_mac s = {{0x02, 0x33, (uint8_t)(i >> 24), (uint8_t)(i >> 16),
			      (uint8_t)(i >> 8), (uint8_t)i}};
	make_frame(buf, sizeof(buf), d, &s, i);
	tern_netdev_deliver(&fx->port[1 + i % 3]->dev, buf, sizeof(buf), now);
}

/* Thousands of stations: the table grows and forgets none of them, the
 * first one learned included (a fixed table evicted it, and frames to a
 * silent receiver were flooded for ever). */
TEST(table_grows_and_keeps_every_station)
{
	struct fixture fx;
	struct tern_switch_stats st;
	struct tern_mac d = test_mac(0xa);
	setup(&fx, 0);
	for (uint32_t i = 0; i < 20000; i++)
		inject_station(&fx, i, &d, (tern_time_t)i);
	for (int i = 0; i < NPORTS; i++)
		take(&fx, i);
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.learned, 20000);
	CHECK_EQ(st.table_size, 20000);
	CHECK_EQ(st.table_peak, 20000);
	CHECK(st.table_buckets >= 20000 * 4 / 3);
	CHECK_EQ(st.aging, TERN_SEC(300));

	for (uint32_t k = 0; k < 20000; k += 4999) {
		uint8_t buf[64];
		struct tern_mac src = test_mac(0xa);
		struct tern_mac dst = {{0x02, 0x33, 0, 0, (uint8_t)(k >> 8), (uint8_t)k}};
		CHECK_EQ(tern_switch_lookup(fx.sw, &dst, 20000), (int)(1 + k % 3));
		make_frame(buf, sizeof(buf), &dst, &src, 0);
		tern_netdev_deliver(&fx.port[0]->dev, buf, sizeof(buf), 20000);
		CHECK_EQ(take(&fx, 1 + k % 3), 1);
		CHECK_EQ(take(&fx, 1 + (k + 1) % 3), 0);
	}
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.flooded_unknown, 20000); /* each station's one frame, to 0xa unknown */
	teardown(&fx);
}

/* Linux's bridge ageing with explicit time: entries expire `aging` after
 * their station was last heard, as frames pass or on tern_switch_expire;
 * a refreshed station stays; the table shrinks back. */
TEST(aging_expires_silent_stations)
{
	struct fixture fx;
	struct tern_switch_stats st;
	struct tern_mac d = test_mac(0xa);
	setup(&fx, 0);
	for (uint32_t i = 0; i < 1000; i++)
		inject_station(&fx, i, &d, TERN_SEC(1));
	/* station 7 speaks again at 200 s */
	inject_station(&fx, 7, &d, TERN_SEC(200));
	struct tern_mac s0 = {{0x02, 0x33, 0, 0, 0, 0}}, s7 = {{0x02, 0x33, 0, 0, 0, 7}};
	tern_switch_expire(fx.sw, TERN_SEC(301)); /* exactly 300 s: still there */
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.table_size, 1000);
	CHECK_EQ(st.aged, 0);
	CHECK_EQ(tern_switch_lookup(fx.sw, &s0, TERN_SEC(301)), 1);
	CHECK_EQ(tern_switch_lookup(fx.sw, &s0, TERN_SEC(301) + 1), TERN_ENOENT);
	tern_switch_expire(fx.sw, TERN_SEC(301) + 1);
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.table_size, 1);
	CHECK_EQ(st.aged, 999);
	CHECK_EQ(tern_switch_lookup(fx.sw, &s7, TERN_SEC(301) + 1), 1 + 7 % 3);
	/* a frame to an aged-out station floods again */
	for (int i = 0; i < NPORTS; i++)
		take(&fx, i);
	inject(&fx, 0, 0xa, &s0, 0, TERN_SEC(302));
	CHECK_EQ(take(&fx, 1) + take(&fx, 2) + take(&fx, 3), 3);
	/* a shorter ageing time applies to what is learned already */
	CHECK_EQ(tern_switch_set_aging(fx.sw, TERN_SEC(10)), 0);
	CHECK_EQ(tern_switch_set_aging(fx.sw, 0), TERN_EINVAL);
	tern_switch_expire(fx.sw, TERN_SEC(313));
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.table_size, 0);
	CHECK_EQ(st.aged, 1001); /* 7 and 0xa */
	CHECK_EQ(st.aging, TERN_SEC(10));
	CHECK_EQ(st.table_peak, 1000);
	teardown(&fx);
}

/* A station heard on a new port is followed there and counted. */
TEST(moves_are_counted)
{
	struct fixture fx;
	struct tern_switch_stats st;
	setup(&fx, 0);
	inject_to(&fx, 1, 0xb, 0xa, 0);
	inject_to(&fx, 2, 0xb, 0xa, 1);
	inject_to(&fx, 2, 0xb, 0xa, 2);
	tern_switch_get_stats(fx.sw, &st);
	CHECK_EQ(st.moved, 1);
	CHECK_EQ(st.learned, 1);
	struct tern_mac b = test_mac(0xb);
	CHECK_EQ(tern_switch_lookup(fx.sw, &b, 2), 2);
	teardown(&fx);
}

TEST(attach_limit)
{
	struct tern_switch *sw = tern_switch_create("sw", 2, 0);
	struct probe *p[3];
	for (int i = 0; i < 3; i++)
		p[i] = probe_new("p", (uint8_t)i, 1500);
	CHECK_EQ(tern_switch_attach(sw, &p[0]->dev), 0);
	CHECK_EQ(tern_switch_attach(sw, &p[1]->dev), 1);
	CHECK_EQ(tern_switch_attach(sw, &p[2]->dev), TERN_ENOSPC);
	tern_switch_destroy(sw);
	for (int i = 0; i < 3; i++)
		tern_netdev_destroy(&p[i]->dev);
}

/* Three hosts on 1 ms links to a switch, driven by a runner that polls
 * every device when the earliest poll_at comes round. */
#define NHOSTS 3

struct lan {
	struct tern_switch *sw;
	struct tern_link *link[NHOSTS];
	struct tern_netdev *host[NHOSTS];
	struct probe_log rx[NHOSTS];
};

static void run_lan(struct lan *lan, tern_time_t until)
{
	for (int steps = 0; steps < 10000; steps++) {
		tern_time_t next = TERN_TIME_NEVER;
		for (int i = 0; i < NHOSTS; i++)
			for (int s = 0; s < 2; s++) {
				tern_time_t t = tern_netdev_poll_at(tern_link_end(lan->link[i], s));
				if (t < next)
					next = t;
			}
		if (next == TERN_TIME_NEVER || next > until)
			return;
		for (int i = 0; i < NHOSTS; i++)
			for (int s = 0; s < 2; s++)
				tern_netdev_poll(tern_link_end(lan->link[i], s), next);
	}
}

static void host_send(struct lan *lan, int from, const struct tern_mac *dst, uint32_t tag,
		      tern_time_t now)
{
	uint8_t buf[100];
	make_frame(buf, sizeof(buf), dst, &lan->host[from]->mac, tag);
	tern_netdev_transmit(lan->host[from], buf, sizeof(buf), now);
}

TEST(switched_lan_over_links)
{
	struct lan lan = {0};
	struct tern_link_params p = {.delay = TERN_MSEC(1)};
	lan.sw = tern_switch_create("sw", 8, 0);
	for (int i = 0; i < NHOSTS; i++) {
		struct tern_mac hm = test_mac((uint8_t)(0x40 + i)), sm = test_mac((uint8_t)(0x80 + i));
		lan.link[i] = tern_link_create(&p, "host", &hm, "swport", &sm);
		lan.host[i] = tern_link_end(lan.link[i], 0);
		tern_netdev_set_rx(lan.host[i], log_rx, &lan.rx[i]);
		tern_switch_attach(lan.sw, tern_link_end(lan.link[i], 1));
	}

	/* Host 0 to host 2, unknown: flooded, seen by hosts 1 and 2 at 2 ms. */
	host_send(&lan, 0, &lan.host[2]->mac, 1, 0);
	run_lan(&lan, TERN_SEC(1));
	CHECK_EQ(lan.rx[0].n, 0);
	REQUIRE_EQ(lan.rx[1].n, 1);
	REQUIRE_EQ(lan.rx[2].n, 1);
	CHECK_EQ(lan.rx[2].r[0].t, TERN_MSEC(2));

	/* The reply goes only to host 0. */
	host_send(&lan, 2, &lan.host[0]->mac, 2, TERN_MSEC(10));
	run_lan(&lan, TERN_SEC(1));
	REQUIRE_EQ(lan.rx[0].n, 1);
	CHECK_EQ(lan.rx[0].r[0].t, TERN_MSEC(12));
	CHECK_EQ(frame_tag(lan.rx[0].r[0].data, 100), 2);
	CHECK_EQ(lan.rx[1].n, 1);

	/* And host 0 to host 2 is now forwarded, not flooded. */
	host_send(&lan, 0, &lan.host[2]->mac, 3, TERN_MSEC(20));
	run_lan(&lan, TERN_SEC(1));
	CHECK_EQ(lan.rx[1].n, 1);
	CHECK_EQ(lan.rx[2].n, 2);

	tern_switch_destroy(lan.sw);
	for (int i = 0; i < NHOSTS; i++) {
		tern_link_destroy(lan.link[i]);
		log_clear(&lan.rx[i]);
	}
}

TEST_MAIN()
