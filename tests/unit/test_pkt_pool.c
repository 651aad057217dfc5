/*
 * tests/unit/test_pkt_pool.c — the packet pool: it grows on demand within
 * its byte limit, lends room between its size classes (the tiny one only
 * for who asks for it, and only for what fits), and a trim
 * gives free buffers back down to the resting size (or to what the last
 * interval needed); and the stack's budgets stay within their shares.
 */
#include "harness.h"

#include "core/stack_impl.h"

#define SMALL TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP)
#define LARGE TERN_PKT_TRUESIZE(TERN_PKT_LARGE_CAP)
#define TINY TERN_PKT_TRUESIZE(TERN_PKT_TINY_CAP)

TEST(grows_to_its_limit_then_fails)
{
	struct tern_pkt_pool pool;
	tern_pkt_pool_init(&pool, 3 * SMALL);
	struct tern_pkt *p[4];
	for (int i = 0; i < 3; i++)
		REQUIRE((p[i] = tern_pkt_alloc(&pool, 100)) != NULL);
	CHECK_EQ(pool.made_bytes, 3 * SMALL);
	CHECK_EQ(pool.in_use_bytes, 3 * SMALL);
	CHECK(tern_pkt_alloc(&pool, 100) == NULL);
	tern_pkt_free(&pool, p[1]);
	REQUIRE((p[3] = tern_pkt_alloc(&pool, 100)) != NULL); /* recycled, not made */
	CHECK_EQ(pool.made_bytes, 3 * SMALL);
	tern_pkt_free(&pool, p[0]);
	tern_pkt_free(&pool, p[2]);
	tern_pkt_free(&pool, p[3]);
	CHECK_EQ(tern_pkt_pool_in_use(&pool), 0);
	CHECK_EQ(pool.in_use_bytes, 0);
	CHECK_EQ(pool.peak_bytes, 3 * SMALL);
	tern_pkt_pool_fini(&pool);
	CHECK_EQ(pool.made_bytes, 0);
}

TEST(a_class_gives_free_room_to_the_other)
{
	struct tern_pkt_pool pool;
	tern_pkt_pool_init(&pool, LARGE + SMALL);
	struct tern_pkt *big = tern_pkt_alloc(&pool, 60000);
	REQUIRE(big != NULL);
	tern_pkt_free(&pool, big);
	/* The free large buffer is released so that small ones can be made. */
	struct tern_pkt *p[8];
	for (int i = 0; i < 8; i++)
		REQUIRE((p[i] = tern_pkt_alloc(&pool, 1500)) != NULL);
	CHECK(pool.free[TERN_PKT_LARGE] == NULL);
	CHECK_EQ(pool.made_bytes, 8 * SMALL);
	CHECK(tern_pkt_alloc(&pool, 60000) == NULL); /* small ones are in use */
	for (int i = 0; i < 8; i++)
		tern_pkt_free(&pool, p[i]);
	REQUIRE((big = tern_pkt_alloc(&pool, 60000)) != NULL);
	tern_pkt_free(&pool, big);
	tern_pkt_pool_fini(&pool);
}

TEST(tiny_buffers_for_short_frames_that_ask)
{
	struct tern_pkt_pool pool;
	tern_pkt_pool_init(&pool, SMALL + TINY);
	struct tern_pkt *t = tern_pkt_alloc_tiny(&pool, TERN_PKT_TINY_DATA);
	REQUIRE(t != NULL);
	CHECK_EQ(tern_pkt_truesize(t), TINY);
	CHECK(tern_pkt_put(t, TERN_PKT_TINY_DATA) != NULL);
	CHECK(tern_pkt_put(t, 1) == NULL); /* bounds-checked as every class */
	CHECK(tern_pkt_push(t, TERN_PKT_HEADROOM) != NULL);
	tern_pkt_free(&pool, t);
	CHECK(pool.free[TERN_PKT_TINY] == NULL); /* freed with its frame, never cached */
	CHECK_EQ(pool.made_bytes, 0);
	/* a frame that does not fit, or a plain alloc, is small */
	REQUIRE((t = tern_pkt_alloc_tiny(&pool, 60)) != NULL);
	CHECK_EQ(pool.made_bytes, TINY);
	struct tern_pkt *p = tern_pkt_alloc_tiny(&pool, TERN_PKT_TINY_DATA + 1);
	REQUIRE(p != NULL);
	CHECK_EQ(tern_pkt_truesize(p), SMALL);
	CHECK(tern_pkt_alloc(&pool, 60) == NULL); /* full: the tiny one is in use */
	tern_pkt_free(&pool, t);
	tern_pkt_free(&pool, p);
	tern_pkt_pool_fini(&pool);
	CHECK_EQ(pool.made_bytes, 0);
	/* free buffers of either give their room to the other */
	tern_pkt_pool_init(&pool, SMALL);
	tern_pkt_free(&pool, tern_pkt_alloc_tiny(&pool, 60));
	REQUIRE((p = tern_pkt_alloc(&pool, 60)) != NULL);
	CHECK(pool.free[TERN_PKT_TINY] == NULL);
	CHECK_EQ(pool.made_bytes, SMALL);
	tern_pkt_free(&pool, p);
	REQUIRE((t = tern_pkt_alloc_tiny(&pool, 60)) != NULL);
	CHECK_EQ(pool.made_bytes, TINY);
	tern_pkt_free(&pool, t);
	tern_pkt_pool_fini(&pool);
}

TEST(trim_keeps_what_the_last_interval_needed)
{
	struct tern_pkt_pool pool;
	tern_pkt_pool_init(&pool, 1000 * SMALL);
	static struct tern_pkt *p[100];
	for (int i = 0; i < 100; i++)
		REQUIRE((p[i] = tern_pkt_alloc(&pool, 100)) != NULL);
	for (int i = 0; i < 100; i++)
		tern_pkt_free(&pool, p[i]);
	/* First trim: the burst was within this interval, so it stays. */
	tern_pkt_pool_trim(&pool, 10 * SMALL);
	CHECK_EQ(pool.made_bytes, 100 * SMALL);
	/* An idle interval later: down to the resting size. */
	tern_pkt_pool_trim(&pool, 10 * SMALL);
	CHECK_EQ(pool.made_bytes, 10 * SMALL);
	/* Buffers in use are never given back. */
	for (int i = 0; i < 20; i++)
		REQUIRE((p[i] = tern_pkt_alloc(&pool, 100)) != NULL);
	tern_pkt_pool_trim(&pool, 0);
	tern_pkt_pool_trim(&pool, 0);
	CHECK_EQ(pool.made_bytes, 20 * SMALL);
	for (int i = 0; i < 20; i++)
		tern_pkt_free(&pool, p[i]);
	tern_pkt_pool_fini(&pool);
}

/* A stack's pool shrinks back by itself, a second or two after a burst. */
TEST(stack_pool_returns_to_resting_size)
{
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.pkt_pool_keep_bytes = 16 * SMALL;
	struct tern_stack *s = tern_stack_create(&cfg);
	REQUIRE(s != NULL);
	static struct tern_pkt *p[200];
	for (int i = 0; i < 200; i++)
		REQUIRE((p[i] = tern_stack_pkt_alloc(s, 100)) != NULL);
	for (int i = 0; i < 200; i++)
		tern_stack_pkt_free(s, p[i]);
	struct tern_stack_mem m;
	tern_stack_mem_get(s, &m);
	CHECK_EQ(m.pool_made, 200 * SMALL);
	CHECK_EQ(m.pool_in_use, 0);
	for (tern_time_t t = 0; t <= TERN_SEC(3); t += TERN_MSEC(100))
		tern_stack_poll(s, t);
	tern_stack_mem_get(s, &m);
	CHECK_EQ(m.pool_made, 16 * SMALL);
	CHECK_EQ(tern_stack_poll_at(s), TERN_TIME_NEVER); /* no timer left once at rest */
	tern_stack_destroy(s);
}

/* Budgets get what is configured, within their shares of the pool, and
 * the shares leave a reserve to no budget. */
TEST(budgets_clamped_to_their_shares)
{
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	struct tern_stack *s = tern_stack_create(&cfg);
	REQUIRE(s != NULL);
	CHECK_EQ(s->budget.reasm.limit, 4u << 20);
	CHECK_EQ(s->budget.neigh.limit, 2u << 20);
	CHECK_EQ(s->budget.sock_rx.limit, 16u << 20);
	CHECK_EQ(s->cfg->reasm_low_thresh, 3u << 20);
	tern_stack_destroy(s);

	cfg.pkt_pool_max_bytes = 8u << 20;
	cfg.reasm_high_thresh = 100u << 20;
	cfg.arp_queue_total_bytes = 100u << 20;
	cfg.sock_rcv_total_bytes = 100u << 20;
	s = tern_stack_create(&cfg);
	REQUIRE(s != NULL);
	CHECK_EQ(s->budget.reasm.limit, 2u << 20);
	CHECK_EQ(s->budget.neigh.limit, 1u << 20);
	CHECK_EQ(s->budget.sock_rx.limit, 4u << 20);
	CHECK(s->budget.reasm.limit + s->budget.neigh.limit + s->budget.sock_rx.limit <=
	      cfg.pkt_pool_max_bytes - cfg.pkt_pool_max_bytes / 8);
	tern_stack_destroy(s);
}

TEST_MAIN()
