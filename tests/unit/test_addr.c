/*
 * test_addr.c — address formatting and strict parsing (core/addr.c), and
 * tern_strerror.
 */
#include <limits.h>
#include <string.h>

#include "harness.h"
#include "tern/err.h"
#include "tern/types.h"

static const struct {
	tern_ip4_t a;
	const char *s;
} ip4_good[] = {
	{TERN_IP4(0, 0, 0, 0), "0.0.0.0"},
	{TERN_IP4(255, 255, 255, 255), "255.255.255.255"},
	{TERN_IP4(10, 0, 0, 1), "10.0.0.1"},
	{TERN_IP4(192, 168, 100, 200), "192.168.100.200"},
	{TERN_IP4(1, 2, 3, 4), "1.2.3.4"},
	{TERN_IP4(172, 16, 0, 254), "172.16.0.254"},
	{TERN_IP4(100, 64, 9, 10), "100.64.9.10"},
};

TEST(ip4_format_and_parse)
{
	for (size_t i = 0; i < sizeof ip4_good / sizeof ip4_good[0]; i++) {
		char buf[TERN_IP4_STRLEN];
		tern_ip4_t a = 0x5a5a5a5a;
		CHECK(tern_ip4_str(ip4_good[i].a, buf) == buf);
		CHECK_STR(buf, ip4_good[i].s);
		CHECK_EQ(tern_ip4_parse(ip4_good[i].s, &a), 0);
		CHECK_EQ(a, ip4_good[i].a);
	}
}

static const char *const ip4_bad[] = {
	"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.3.-1", " 1.2.3.4",
	"1.2.3.4 ", "1.2.3.4x", "1..2.3", ".1.2.3", "1.2.3.", "01.2.3.4", "1.2.3.04",
	"1.2.3.0004", "1234.1.1.1", "0x1.2.3.4", "+1.2.3.4", "1.2.3.4\n", "a.b.c.d",
	"1.2.3.4/24", "1,2,3,4", "1.2.3.999", "4294967296", "16909060", "1.2.3.4.",
	"1.2.3.\t4", "1 .2.3.4",
};

TEST(ip4_parse_rejects)
{
	for (size_t i = 0; i < sizeof ip4_bad / sizeof ip4_bad[0]; i++) {
		tern_ip4_t a = 0x5a5a5a5a;
		int rc = tern_ip4_parse(ip4_bad[i], &a);
		if (rc != TERN_EINVAL)
			TEST_FAIL_("\"%s\" parsed (rc %d)", ip4_bad[i], rc);
		CHECK_EQ(a, 0x5a5a5a5a); /* output untouched */
	}
	tern_ip4_t a = 0;
	CHECK_EQ(tern_ip4_parse(NULL, &a), TERN_EINVAL);
}

/* Every address formats and parses back (a sample, with a fixed seed). */
TEST(ip4_round_trip)
{
	uint32_t x = 12345;
	for (int i = 0; i < 100000; i++) {
		char buf[TERN_IP4_STRLEN];
		tern_ip4_t back;
		x = x * 1664525u + 1013904223u;
		REQUIRE_EQ(tern_ip4_parse(tern_ip4_str(x, buf), &back), 0);
		REQUIRE_EQ(back, x);
	}
}

static const struct {
	const char *s;
	tern_ip4_t a;
	unsigned plen;
} prefix_good[] = {
	{"10.0.0.1/24", TERN_IP4(10, 0, 0, 1), 24},
	{"10.0.0.1", TERN_IP4(10, 0, 0, 1), 32},
	{"0.0.0.0/0", 0, 0},
	{"1.2.3.4/32", TERN_IP4(1, 2, 3, 4), 32},
	{"192.168.0.0/16", TERN_IP4(192, 168, 0, 0), 16},
	{"255.255.255.255/1", 0xffffffffu, 1},
};

static const char *const prefix_bad[] = {
	"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/024", "1.2.3.4/08", "1.2.3.4/24x",
	"1.2.3.4/ 24", "1.2.3/24", "/24", "1.2.3.4//24", "1.2.3.4/100", "1.2.3.4/2.4",
	"1.2.3.4 /24", "", "1.2.3.4/+8", "256.0.0.0/8", "1.2.3.4/24/", "1.2.3.4\\24",
};

TEST(ip4_prefix)
{
	for (size_t i = 0; i < sizeof prefix_good / sizeof prefix_good[0]; i++) {
		tern_ip4_t a = 0;
		unsigned plen = 99;
		CHECK_EQ(tern_ip4_parse_prefix(prefix_good[i].s, &a, &plen), 0);
		CHECK_EQ(a, prefix_good[i].a);
		CHECK_EQ(plen, prefix_good[i].plen);
	}
	for (size_t i = 0; i < sizeof prefix_bad / sizeof prefix_bad[0]; i++) {
		tern_ip4_t a = 0x5a5a5a5a;
		unsigned plen = 99;
		int rc = tern_ip4_parse_prefix(prefix_bad[i], &a, &plen);
		if (rc != TERN_EINVAL)
			TEST_FAIL_("\"%s\" parsed (rc %d)", prefix_bad[i], rc);
		CHECK_EQ(a, 0x5a5a5a5a);
		CHECK_EQ(plen, 99);
	}
	for (unsigned p = 0; p <= 32; p++) {
		char s[32];
		tern_ip4_t a;
		unsigned plen;
		snprintf(s, sizeof s, "10.1.2.3/%u", p);
		CHECK_EQ(tern_ip4_parse_prefix(s, &a, &plen), 0);
		CHECK_EQ(plen, p);
	}
}

TEST(mac_format_and_parse)
{
	static const struct {
		struct tern_mac m;
		const char *s;
	} good[] = {
		{{{0x02, 0, 0, 0, 0, 0x01}}, "02:00:00:00:00:01"},
		{{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, "ff:ff:ff:ff:ff:ff"},
		{{{0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}}, "0a:1b:2c:3d:4e:5f"},
		{{{0, 0, 0, 0, 0, 0}}, "00:00:00:00:00:00"},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char buf[TERN_MAC_STRLEN];
		struct tern_mac m;
		CHECK(tern_mac_str(&good[i].m, buf) == buf);
		CHECK_STR(buf, good[i].s);
		CHECK_EQ(tern_mac_parse(good[i].s, &m), 0);
		CHECK_MEM(m.b, good[i].m.b, 6);
	}
	struct tern_mac m;
	static const uint8_t mixed[6] = {0xff, 0xff, 0xaa, 0xbb, 0x00, 0x99};
	CHECK_EQ(tern_mac_parse("FF:ff:Aa:bB:00:99", &m), 0);
	CHECK_MEM(m.b, mixed, 6);
}

static const char *const mac_bad[] = {
	"01:02:03:04:05", "01:02:03:04:05:06:07", "1:2:3:4:5:6", "01-02-03-04-05-06",
	"01:02:03:04:05:0g", "001:02:03:04:05:06", "01:02:03:04:05:06 ", " 01:02:03:04:05:06",
	"", "01:02:03:04:05:", "0102.0304.0506", "01:02:03:04:05:6", "010203040506",
	"01::02:03:04:05:06", "01:02:03:04:05:06:", "+1:02:03:04:05:06", "0x:02:03:04:05:06",
};

TEST(mac_parse_rejects)
{
	for (size_t i = 0; i < sizeof mac_bad / sizeof mac_bad[0]; i++) {
		struct tern_mac m = {{0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a}};
		static const uint8_t untouched[6] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};
		int rc = tern_mac_parse(mac_bad[i], &m);
		if (rc != TERN_EINVAL)
			TEST_FAIL_("\"%s\" parsed (rc %d)", mac_bad[i], rc);
		CHECK_MEM(m.b, untouched, 6);
	}
	struct tern_mac m;
	CHECK_EQ(tern_mac_parse(NULL, &m), TERN_EINVAL);
}

TEST(mac_round_trip)
{
	uint32_t x = 99;
	for (int i = 0; i < 10000; i++) {
		struct tern_mac m, back;
		char buf[TERN_MAC_STRLEN];
		for (int j = 0; j < 6; j++) {
			x = x * 1664525u + 1013904223u;
			m.b[j] = (uint8_t)(x >> 24);
		}
		REQUIRE_EQ(tern_mac_parse(tern_mac_str(&m, buf), &back), 0);
		REQUIRE(memcmp(m.b, back.b, 6) == 0);
		REQUIRE_EQ(strlen(buf), TERN_MAC_STRLEN - 1);
	}
}

static const int all_errs[] = {
	TERN_EPERM, TERN_ENOENT, TERN_EIO, TERN_EBADF, TERN_EAGAIN, TERN_EWOULDBLOCK,
	TERN_ENOMEM, TERN_EACCES, TERN_EFAULT, TERN_EBUSY, TERN_EEXIST, TERN_ENODEV,
	TERN_EINVAL, TERN_ENFILE, TERN_EMFILE, TERN_ENOSPC, TERN_ERANGE, TERN_ENOTSOCK,
	TERN_EDESTADDRREQ, TERN_EMSGSIZE, TERN_EPROTOTYPE, TERN_ENOPROTOOPT,
	TERN_EPROTONOSUPPORT, TERN_EOPNOTSUPP, TERN_EAFNOSUPPORT, TERN_EADDRINUSE,
	TERN_EADDRNOTAVAIL, TERN_ENETDOWN, TERN_ENETUNREACH, TERN_ECONNABORTED,
	TERN_ECONNRESET, TERN_ENOBUFS, TERN_EISCONN, TERN_ENOTCONN, TERN_ESHUTDOWN,
	TERN_ETIMEDOUT, TERN_ECONNREFUSED, TERN_EHOSTDOWN, TERN_EHOSTUNREACH,
	TERN_EALREADY, TERN_EINPROGRESS, TERN_EPROTO,
};

TEST(strerror_every_error)
{
	for (size_t i = 0; i < sizeof all_errs / sizeof all_errs[0]; i++) {
		const char *s = tern_strerror(all_errs[i]);
		REQUIRE(s != NULL);
		CHECK(*s != '\0');
		if (strcmp(s, "Unknown error") == 0)
			TEST_FAIL_("no text for %d", all_errs[i]);
#ifdef __GLIBC__
		/* same text as strerror(-err) in the C locale */
		CHECK_STR(s, strerror(-all_errs[i]));
#endif
	}
	CHECK_STR(tern_strerror(TERN_EINVAL), "Invalid argument");
	CHECK_STR(tern_strerror(TERN_ECONNREFUSED), "Connection refused");
	CHECK_STR(tern_strerror(TERN_EADDRINUSE), "Address already in use");
	CHECK_STR(tern_strerror(0), "Success");
}

TEST(strerror_unknown)
{
	CHECK_STR(tern_strerror(-99999), "Unknown error");
	CHECK_STR(tern_strerror(12345), "Unknown error");
	CHECK_STR(tern_strerror(INT_MIN), "Unknown error");
	CHECK_STR(tern_strerror(INT_MAX), "Unknown error");
	CHECK_STR(tern_strerror(EINVAL), "Unknown error"); /* positive: not an error value */
}

TEST_MAIN()
