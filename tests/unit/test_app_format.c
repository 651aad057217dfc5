/*
 * tests/unit/test_app_format.c — the number formats ping and traceroute
 * print, pinned to what iputils ping printed for the same values.
 */
#include "harness.h"

#include "app/format.h"

static const char *rtt(int64_t us)
{
	static char buf[32];
	return tern_app_fmt_rtt(buf, sizeof(buf), us);
}

TEST(rtt_below_one_ms_has_three_decimals)
{
	CHECK_STR(rtt(0), "0.000");
	CHECK_STR(rtt(36), "0.036");
	CHECK_STR(rtt(999), "0.999");
}

TEST(rtt_one_to_ten_ms_has_two_decimals)
{
	CHECK_STR(rtt(1000), "1.00");
	CHECK_STR(rtt(1201), "1.20");   /* iputils: time=1.20 ms */
	CHECK_STR(rtt(1729), "1.73");   /* rounds */
	CHECK_STR(rtt(3194), "3.19");
	CHECK_STR(rtt(9994), "9.99");
}

TEST(rtt_rounding_into_next_decade_takes_its_form)
{
	CHECK_STR(rtt(9995), "10.0");
	CHECK_STR(rtt(99949), "99.9");
	CHECK_STR(rtt(99950), "100");
}

TEST(rtt_ten_to_hundred_ms_has_one_decimal)
{
	CHECK_STR(rtt(13012), "13.0");
	CHECK_STR(rtt(46200), "46.2");
	CHECK_STR(rtt(46250), "46.3");
}

TEST(rtt_from_hundred_ms_is_whole)
{
	CHECK_STR(rtt(124164), "124");
	CHECK_STR(rtt(100499), "100");
	CHECK_STR(rtt(1500000), "1500");
}

TEST(negative_rtt_prints_zero)
{
	CHECK_STR(rtt(-5), "0.000");
}

TEST(ms3_truncates)
{
	char b[32];
	CHECK_STR(tern_app_fmt_ms3(b, sizeof(b), 2034), "2.034");
	CHECK_STR(tern_app_fmt_ms3(b, sizeof(b), 124164), "124.164");
	CHECK_STR(tern_app_fmt_ms3(b, sizeof(b), 5), "0.005");
}

TEST(isqrt_is_floor)
{
	CHECK_EQ(tern_app_isqrt(0), 0);
	CHECK_EQ(tern_app_isqrt(1), 1);
	CHECK_EQ(tern_app_isqrt(3), 1);
	CHECK_EQ(tern_app_isqrt(4), 2);
	CHECK_EQ(tern_app_isqrt(99), 9);
	CHECK_EQ(tern_app_isqrt(100), 10);
	CHECK_EQ(tern_app_isqrt(INT64_MAX), 3037000499LL);
	CHECK_EQ(tern_app_isqrt(-4), 0);
}

TEST(rtt_stats_match_iputils_arithmetic)
{
	struct tern_app_rtt r;
	int64_t avg, mdev;
	tern_app_rtt_init(&r);
	tern_app_rtt_result(&r, &avg, &mdev);
	CHECK_EQ(avg, 0);
	CHECK_EQ(mdev, 0);

	/* 2034, 2045, 2056 us: mean 2045, variance (121 + 0 + 121) / 3 = 80
	 * (integer), mdev floor(sqrt(80)) = 8 → "2.034/2.045/2.056/0.008". */
	tern_app_rtt_add(&r, 2034);
	tern_app_rtt_add(&r, 2045);
	tern_app_rtt_add(&r, 2056);
	tern_app_rtt_result(&r, &avg, &mdev);
	CHECK_EQ(r.min, 2034);
	CHECK_EQ(r.max, 2056);
	CHECK_EQ(avg, 2045);
	CHECK_EQ(mdev, 8);
}

TEST(rtt_stats_small_values_keep_precision)
{
	/* 36, 50, 42, 46 us: iputils printed 0.036/0.043/0.050/0.005. */
	struct tern_app_rtt r;
	int64_t avg, mdev;
	tern_app_rtt_init(&r);
	tern_app_rtt_add(&r, 36);
	tern_app_rtt_add(&r, 50);
	tern_app_rtt_add(&r, 42);
	tern_app_rtt_add(&r, 46);
	tern_app_rtt_result(&r, &avg, &mdev);
	CHECK_EQ(avg, 43);
	CHECK_EQ(mdev, 5);
}

TEST(loss_formats_like_percent_g)
{
	char b[32];
	CHECK_STR(tern_app_fmt_loss(b, sizeof(b), 3, 3), "0");
	CHECK_STR(tern_app_fmt_loss(b, sizeof(b), 3, 2), "33.3333");
	CHECK_STR(tern_app_fmt_loss(b, sizeof(b), 8, 7), "12.5");
	CHECK_STR(tern_app_fmt_loss(b, sizeof(b), 2, 0), "100");
	CHECK_STR(tern_app_fmt_loss(b, sizeof(b), 0, 0), "0");
}

TEST(ms_round)
{
	CHECK_EQ(tern_app_ms_round(TERN_MSEC(2003)), 2003);
	CHECK_EQ(tern_app_ms_round(TERN_USEC(2003499)), 2003);
	CHECK_EQ(tern_app_ms_round(TERN_USEC(2003500)), 2004);
	CHECK_EQ(tern_app_ms_round(-1), 0);
}

static const char *iperf_unit(double v, bool bits)
{
	static char buf[32];
	return tern_app_fmt_iperf_unit(buf, sizeof(buf), v, bits);
}

/* Values from iperf3 3.12 runs, each beside what it printed. */
TEST(iperf_units_as_iperf3_prints_them)
{
	CHECK_STR(iperf_unit(1764229120.0, false), "1.64 GByte");  /* 1.64 GBytes */
	CHECK_STR(iperf_unit(952.0 * 1048576, false), " 952 MByte"); /*  952 MBytes */
	CHECK_STR(iperf_unit(1047552.0, false), "1023 KByte");     /* Cwnd 1023 KBytes */
	CHECK_STR(iperf_unit(10485760.0, false), "10.0 MByte");    /* -n 10M */
	CHECK_STR(iperf_unit(1310720.0, false), "1.25 MByte");
	CHECK_STR(iperf_unit(0.0, false), "0.00 Byte");
	CHECK_STR(iperf_unit(1764229120.0 / 2.003075, true), "7.05 Gbit"); /* 7.05 Gbits/sec */
	CHECK_STR(iperf_unit(12500000.0, true), " 100 Mbit");
	CHECK_STR(iperf_unit(1249999.0, true), "10.0 Mbit");       /* 9.99999 rounds up: one decimal */
	CHECK_STR(iperf_unit(124000.0, true), " 992 Kbit");
}

TEST_MAIN()
