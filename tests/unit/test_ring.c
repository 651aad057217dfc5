/*
 * tests/unit/test_ring.c — the byte ring: lazy storage, wrap-around,
 * reads at an offset as two spans, consume, resize, release.
 */
#include "harness.h"

#include "core/ring.h"

TEST(lazy_storage_and_release)
{
	struct tern_ring r;
	tern_ring_init(&r, 16);
	CHECK(r.buf == NULL);
	CHECK_EQ(tern_ring_space(&r), 16);
	CHECK_EQ(tern_ring_write(&r, "abc", 3), 3);
	CHECK(r.buf != NULL);
	tern_ring_release(&r); /* not empty: kept */
	CHECK(r.buf != NULL);
	tern_ring_consume(&r, 3);
	tern_ring_release(&r);
	CHECK(r.buf == NULL);
	CHECK_EQ(tern_ring_write(&r, "de", 2), 2);
	char out[4] = {0};
	CHECK_EQ(tern_ring_read_at(&r, 0, out, 2), 2);
	CHECK_MEM(out, "de", 2);
	tern_ring_fini(&r);
}

TEST(wraps_and_peeks_in_two_spans)
{
	struct tern_ring r;
	tern_ring_init(&r, 8);
	CHECK_EQ(tern_ring_write(&r, "0123456789", 10), 8); /* only 8 fit */
	CHECK_EQ(tern_ring_write(&r, "x", 1), 0);
	tern_ring_consume(&r, 5);                          /* "567" left, head at 5 */
	CHECK_EQ(tern_ring_write(&r, "abcde", 5), 5);      /* wraps */
	CHECK_EQ(tern_ring_len(&r), 8);
	struct tern_ring_span sp[2];
	tern_ring_peek(&r, 1, 6, sp);                      /* "67abcd" */
	REQUIRE_EQ(sp[0].n, 2);
	REQUIRE_EQ(sp[1].n, 4);
	CHECK_MEM(sp[0].p, "67", 2);
	CHECK_MEM(sp[1].p, "abcd", 4);
	char out[8];
	tern_ring_read_at(&r, 0, out, 8);
	CHECK_MEM(out, "567abcde", 8);
	tern_ring_fini(&r);
}

TEST(resize_keeps_the_bytes)
{
	struct tern_ring r;
	tern_ring_init(&r, 4);
	tern_ring_write(&r, "wxyz", 4);
	tern_ring_consume(&r, 2);
	tern_ring_write(&r, "12", 2); /* "yz12", wrapped */
	REQUIRE_EQ(tern_ring_resize(&r, 10), 0);
	CHECK_EQ(tern_ring_write(&r, "345678", 6), 6);
	char out[10];
	tern_ring_read_at(&r, 0, out, 10);
	CHECK_MEM(out, "yz12345678", 10);
	REQUIRE_EQ(tern_ring_resize(&r, 2), 0); /* never below what is held */
	CHECK_EQ(r.cap, 10);
	tern_ring_fini(&r);
}

/* Seeded random writes, reads and consumes against a flat model. */
TEST(matches_a_flat_model)
{
	struct tern_ring r;
	tern_ring_init(&r, 97);
	static uint8_t model[1 << 16];
	size_t mhead = 0, mlen = 0;
	uint32_t x = 12345;
	uint8_t next = 0;
	for (int step = 0; step < 20000; step++) {
		x = x * 1103515245u + 12345u;
		size_t n = (x >> 16) % 40;
		if ((x >> 8) & 1) {
			uint8_t in[40];
			for (size_t i = 0; i < n; i++)
				in[i] = next++;
			long w = tern_ring_write(&r, in, n);
			REQUIRE(w >= 0);
			memcpy(model + mhead + mlen, in, (size_t)w);
			mlen += (size_t)w;
			next = (uint8_t)(next - (n - (size_t)w));
		} else {
			if (n > mlen)
				n = mlen;
			uint8_t out[40];
			size_t off = mlen - n ? (x >> 3) % (mlen - n + 1) : 0;
			tern_ring_read_at(&r, off, out, n);
			CHECK_MEM(out, model + mhead + off, n);
			tern_ring_consume(&r, n);
			mhead += n;
			mlen -= n;
		}
		if (mhead > (1 << 15)) {
			memmove(model, model + mhead, mlen);
			mhead = 0;
		}
		CHECK_EQ(tern_ring_len(&r), mlen);
	}
	tern_ring_fini(&r);
}

TEST_MAIN()
