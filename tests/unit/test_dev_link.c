/*
 * tests/unit/test_dev_link.c — the simulated point-to-point link
 * (src/dev/link.c): exact serialization and delay timing, FIFO ties, MTU
 * drops, tail drop, and poll_at as the contract a runner relies on.
 */
#include "harness.h"
#include "unit/dev_probe.h"

struct fixture {
	struct tern_link *link;
	struct tern_netdev *a, *b;
	struct probe_log at_a, at_b; /* frames delivered at each end */
};

static void setup(struct fixture *fx, uint64_t rate, tern_time_t delay, uint32_t mtu,
		  uint32_t queue)
{
	struct tern_link_params p = {.rate_bps = rate, .delay = delay, .mtu = mtu,
				     .queue_bytes = queue};
	struct tern_mac ma = test_mac(1), mb = test_mac(2);

	memset(fx, 0, sizeof(*fx));
	fx->link = tern_link_create(&p, "a", &ma, "b", &mb);
	fx->a = tern_link_end(fx->link, 0);
	fx->b = tern_link_end(fx->link, 1);
	tern_netdev_set_rx(fx->a, log_rx, &fx->at_a);
	tern_netdev_set_rx(fx->b, log_rx, &fx->at_b);
}

static void teardown(struct fixture *fx)
{
	tern_link_destroy(fx->link);
	log_clear(&fx->at_a);
	log_clear(&fx->at_b);
}

/* Send a tagged frame of len bytes from dev. */
static int send_tag(struct tern_netdev *dev, size_t len, uint32_t tag, tern_time_t now)
{
	uint8_t buf[9100];
	struct tern_mac dst = test_mac(0xee);
	make_frame(buf, len, &dst, &dev->mac, tag);
	return tern_netdev_transmit(dev, buf, len, now);
}

TEST(ends_carry_names_macs_mtu)
{
	struct fixture fx;
	setup(&fx, 0, 0, 0, 0);
	CHECK_STR(fx.a->name, "a");
	CHECK_STR(fx.b->name, "b");
	CHECK_EQ(fx.a->mac.b[5], 1);
	CHECK_EQ(fx.b->mac.b[5], 2);
	CHECK_EQ(fx.a->mtu, 1500);
	CHECK(tern_link_end(fx.link, 2) == NULL);
	CHECK_EQ(tern_netdev_fd(fx.a), -1);
	CHECK_EQ(tern_netdev_poll_at(fx.a), TERN_TIME_NEVER);
	teardown(&fx);
}

/* 1000 bytes at 8 Mbit/s take exactly 1 ms; plus 5 ms of propagation. */
TEST(serialization_plus_delay)
{
	struct fixture fx;
	setup(&fx, 8000000, TERN_MSEC(5), 0, 0);

	REQUIRE_EQ(send_tag(fx.a, 1000, 7, 0), 0);
	CHECK_EQ(tern_netdev_poll_at(fx.b), TERN_MSEC(6));
	CHECK_EQ(tern_netdev_poll_at(fx.a), TERN_TIME_NEVER);

	tern_netdev_poll(fx.b, TERN_MSEC(6) - 1);
	CHECK_EQ(fx.at_b.n, 0);
	tern_netdev_poll(fx.b, TERN_MSEC(6));
	REQUIRE_EQ(fx.at_b.n, 1);
	CHECK_EQ(fx.at_b.r[0].t, TERN_MSEC(6));
	CHECK_EQ(fx.at_b.r[0].len, 1000);
	CHECK_EQ(frame_tag(fx.at_b.r[0].data, 1000), 7);
	/* The queue is empty: its record went back to the pool at once, and
	 * no poll is due (no rest poll to give records back). */
	CHECK_EQ(tern_netdev_poll_at(fx.b), TERN_TIME_NEVER);
	CHECK_EQ(fx.at_a.n, 0);
	teardown(&fx);
}

/* Back-to-back frames queue behind each other; an idle wire starts the
 * next frame at once. */
TEST(back_to_back_serialization)
{
	struct fixture fx;
	setup(&fx, 8000000, TERN_MSEC(5), 0, 0);

	send_tag(fx.a, 1000, 1, TERN_MSEC(10));        /* departs 11 ms */
	send_tag(fx.a, 500, 2, TERN_MSEC(10));         /* departs 11.5 ms */
	send_tag(fx.a, 1000, 3, TERN_MSEC(10) + 100);  /* departs 12.5 ms */
	send_tag(fx.a, 125, 4, TERN_MSEC(20));         /* idle: departs 20.125 ms */

	tern_time_t want[] = {TERN_MSEC(16), TERN_USEC(16500), TERN_USEC(17500),
			      TERN_USEC(25125)};
	for (int i = 0; i < 4; i++) {
		tern_time_t t = tern_netdev_poll_at(fx.b);
		CHECK_EQ(t, want[i]);
		tern_netdev_poll(fx.b, t);
		REQUIRE_EQ(fx.at_b.n, (size_t)i + 1);
		CHECK_EQ(frame_tag(fx.at_b.r[i].data, fx.at_b.r[i].len), i + 1);
		CHECK_EQ(fx.at_b.r[i].t, want[i]);
	}
	teardown(&fx);
}

/* Frames due at the same instant arrive in the order they were sent, and
 * a late poll delivers everything due, still in order. */
TEST(fifo_ties)
{
	struct fixture fx;
	setup(&fx, 0, TERN_MSEC(1), 0, 0);

	for (uint32_t i = 0; i < 50; i++)
		REQUIRE_EQ(send_tag(fx.a, 64 + i, i, 0), 0);
	CHECK_EQ(tern_netdev_poll_at(fx.b), TERN_MSEC(1));
	tern_netdev_poll(fx.b, TERN_MSEC(3));
	REQUIRE_EQ(fx.at_b.n, 50);
	for (size_t i = 0; i < 50; i++) {
		CHECK_EQ(frame_tag(fx.at_b.r[i].data, fx.at_b.r[i].len), i);
		CHECK_EQ(fx.at_b.r[i].len, 64 + i);
	}
	teardown(&fx);
}

/* The two directions are independent wires. */
TEST(directions_independent)
{
	struct fixture fx;
	setup(&fx, 8000000, TERN_MSEC(1), 0, 0);

	send_tag(fx.a, 1000, 1, 0);
	send_tag(fx.b, 1000, 2, 0);
	CHECK_EQ(tern_netdev_poll_at(fx.a), TERN_MSEC(2));
	CHECK_EQ(tern_netdev_poll_at(fx.b), TERN_MSEC(2));
	tern_netdev_poll(fx.a, TERN_MSEC(2));
	REQUIRE_EQ(fx.at_a.n, 1);
	CHECK_EQ(frame_tag(fx.at_a.r[0].data, 1000), 2);
	CHECK_EQ(fx.at_b.n, 0); /* polling one end leaves the other alone */
	tern_netdev_poll(fx.b, TERN_MSEC(2));
	CHECK_EQ(fx.at_b.n, 1);
	teardown(&fx);
}

TEST(mtu_drop)
{
	struct fixture fx;
	struct tern_link_stats st;
	setup(&fx, 0, 0, 0, 0);

	CHECK_EQ(send_tag(fx.a, 1514, 1, 0), 0);
	CHECK_EQ(send_tag(fx.a, 1515, 2, 0), TERN_EMSGSIZE);
	tern_link_get_stats(fx.link, 0, &st);
	CHECK_EQ(st.drop_too_big, 1);
	CHECK_EQ(st.tx_frames, 1);
	CHECK_EQ(st.tx_bytes, 1514);
	tern_netdev_poll(fx.b, 0);
	REQUIRE_EQ(fx.at_b.n, 1);
	CHECK_EQ(fx.at_b.r[0].len, 1514);
	tern_link_get_stats(fx.link, 0, &st);
	CHECK_EQ(st.rx_frames, 1);
	CHECK_EQ(st.rx_bytes, 1514);
	teardown(&fx);

	setup(&fx, 0, 0, 9000, 0);
	CHECK_EQ(fx.a->mtu, 9000);
	CHECK_EQ(send_tag(fx.a, 9014, 1, 0), 0);
	CHECK_EQ(send_tag(fx.a, 9015, 1, 0), TERN_EMSGSIZE);
	teardown(&fx);
}

/* A 10000-byte queue at 8 Mbit/s: 1000-byte frames offered at once fill
 * it after 10; as the wire drains 1000 bytes a millisecond, room opens. */
TEST(queue_overflow_tail_drop)
{
	struct fixture fx;
	struct tern_link_stats st;
	int accepted = 0;
	setup(&fx, 8000000, 0, 0, 10000);

	for (uint32_t i = 0; i < 20; i++)
		if (send_tag(fx.a, 1000, i, 0) == 0)
			accepted++;
	CHECK_EQ(accepted, 10);
	tern_link_get_stats(fx.link, 0, &st);
	CHECK_EQ(st.drop_queue_full, 10);

	/* At 5 ms, 5000 bytes remain queued: 5 more fit, the 6th doesn't. */
	for (uint32_t i = 0; i < 5; i++)
		CHECK_EQ(send_tag(fx.a, 1000, 100 + i, TERN_MSEC(5)), 0);
	CHECK_EQ(send_tag(fx.a, 1000, 105, TERN_MSEC(5)), TERN_ENOBUFS);

	/* The accepted frames arrive in order, one per millisecond. */
	tern_netdev_poll(fx.b, TERN_SEC(1));
	REQUIRE_EQ(fx.at_b.n, 15);
	CHECK_EQ(frame_tag(fx.at_b.r[9].data, 1000), 9);
	CHECK_EQ(frame_tag(fx.at_b.r[10].data, 1000), 100);
	teardown(&fx);
}

/* The default queue is 256 KiB: 262 frames of 1000 bytes. */
TEST(default_queue_size)
{
	struct fixture fx;
	int accepted = 0;
	setup(&fx, 8000000, 0, 0, 0);
	for (uint32_t i = 0; i < 300; i++)
		if (send_tag(fx.a, 1000, i, 0) == 0)
			accepted++;
	CHECK_EQ(accepted, 262);
	teardown(&fx);
}

/* An infinitely fast link with no delay still delivers through poll. */
TEST(zero_delay_needs_poll)
{
	struct fixture fx;
	setup(&fx, 0, 0, 0, 0);
	send_tag(fx.a, 100, 1, TERN_MSEC(3));
	CHECK_EQ(fx.at_b.n, 0);
	CHECK_EQ(tern_netdev_poll_at(fx.b), TERN_MSEC(3));
	tern_netdev_poll(fx.b, TERN_MSEC(3));
	CHECK_EQ(fx.at_b.n, 1);
	teardown(&fx);
}

/* An owner that answers from inside the receive callback: the reply goes
 * back across the link and arrives one delay later. */
struct echo {
	struct probe_log log;
	int remaining;
};

static void echo_rx(void *ctx, struct tern_netdev *dev, const uint8_t *frame, size_t len,
		    tern_time_t now)
{
	struct echo *e = ctx;
	log_add(&e->log, frame, len, now);
	if (e->remaining-- > 0)
		tern_netdev_transmit(dev, frame, len, now);
}

TEST(reply_from_callback)
{
	struct fixture fx;
	struct echo ea = {.remaining = 2}, eb = {.remaining = 2};
	setup(&fx, 0, TERN_MSEC(1), 0, 0);
	tern_netdev_set_rx(fx.a, echo_rx, &ea);
	tern_netdev_set_rx(fx.b, echo_rx, &eb);

	send_tag(fx.a, 100, 1, 0);
	/* A runner: always poll the device with the earliest deadline. */
	for (int steps = 0; steps < 100; steps++) {
		tern_time_t ta = tern_netdev_poll_at(fx.a), tb = tern_netdev_poll_at(fx.b);
		if (ta == TERN_TIME_NEVER && tb == TERN_TIME_NEVER)
			break;
		if (ta <= tb)
			tern_netdev_poll(fx.a, ta);
		else
			tern_netdev_poll(fx.b, tb);
	}
	REQUIRE_EQ(eb.log.n, 3);
	REQUIRE_EQ(ea.log.n, 2);
	CHECK_EQ(eb.log.r[0].t, TERN_MSEC(1));
	CHECK_EQ(ea.log.r[0].t, TERN_MSEC(2));
	CHECK_EQ(eb.log.r[1].t, TERN_MSEC(3));
	CHECK_EQ(ea.log.r[1].t, TERN_MSEC(4));
	CHECK_EQ(eb.log.r[2].t, TERN_MSEC(5));
	log_clear(&ea.log);
	log_clear(&eb.log);
	teardown(&fx);
}

/* Destroying an end (as a wrapper that owns it would) is harmless; the
 * link frees everything, queued frames included. */
TEST(end_destroy_is_noop)
{
	struct fixture fx;
	setup(&fx, 0, TERN_MSEC(1), 0, 0);
	send_tag(fx.a, 100, 1, 0);
	tern_netdev_destroy(fx.b);
	tern_netdev_poll(fx.b, TERN_MSEC(1));
	CHECK_EQ(fx.at_b.n, 1);
	for (uint32_t i = 0; i < 10; i++)
		send_tag(fx.b, 1500, i, 0);
	teardown(&fx); /* leaves ten frames queued for a; ASan checks the frees */
}

TEST_MAIN()
