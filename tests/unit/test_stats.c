/*
 * test_stats.c — the counter name table (core/stats.c): every counter has
 * a unique, well-formed "group.name" that looks it up again; and a stack's
 * counters (core/stack.c): the first few in a short list, pages after.
 */
#include <string.h>

#include "core/stack_impl.h"
#include "harness.h"
#include "tern/stack.h"
#include "tern/stats.h"

static int well_formed(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

TEST(names_well_formed)
{
	for (int i = 1; i < TERN_STAT__COUNT; i++) {
		const char *g = tern_stat_group((enum tern_stat)i);
		const char *n = tern_stat_name((enum tern_stat)i);
		if (!well_formed(g) || !well_formed(n))
			TEST_FAIL_("stat %d: \"%s.%s\"", i, g ? g : "(null)", n ? n : "(null)");
		CHECK(strcmp(g, "none") != 0 && strcmp(g, "unknown") != 0);
	}
}

TEST(names_unique)
{
	for (int i = 1; i < TERN_STAT__COUNT; i++)
		for (int j = i + 1; j < TERN_STAT__COUNT; j++)
			if (strcmp(tern_stat_group((enum tern_stat)i), tern_stat_group((enum tern_stat)j)) == 0 &&
			    strcmp(tern_stat_name((enum tern_stat)i), tern_stat_name((enum tern_stat)j)) == 0)
				TEST_FAIL_("stats %d and %d are both %s.%s", i, j,
					   tern_stat_group((enum tern_stat)i), tern_stat_name((enum tern_stat)i));
}

TEST(lookup_round_trip)
{
	for (int i = 1; i < TERN_STAT__COUNT; i++) {
		char full[128];
		snprintf(full, sizeof full, "%s.%s", tern_stat_group((enum tern_stat)i),
			 tern_stat_name((enum tern_stat)i));
		CHECK_EQ(tern_stat_lookup(full), i);
	}
	CHECK_EQ(tern_stat_lookup("ip.bad_checksum"), TERN_STAT_IP_BAD_CHECKSUM);
	CHECK_EQ(tern_stat_lookup("udp.bad_checksum"), TERN_STAT_UDP_BAD_CHECKSUM);
	CHECK_EQ(tern_stat_lookup("eth.short_frame"), TERN_STAT_ETH_SHORT);
}

TEST(lookup_rejects)
{
	static const char *const bad[] = {
		"", "ip", "ip.", ".bad_checksum", "ip.bad_checksum.", "IP.bad_checksum",
		"ip.bad_checksu", "ip.bad_checksumx", "ipx.bad_checksum", "i.bad_checksum",
		"ip bad_checksum", "ip..bad_checksum", "none.none", "unknown.unknown",
		"ip.bad_checksum ", " ip.bad_checksum",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (tern_stat_lookup(bad[i]) != TERN_STAT_NONE)
			TEST_FAIL_("\"%s\" found", bad[i]);
	CHECK_EQ(tern_stat_lookup(NULL), TERN_STAT_NONE);
}

TEST(none_and_out_of_range)
{
	CHECK_STR(tern_stat_group(TERN_STAT_NONE), "none");
	CHECK_STR(tern_stat_name(TERN_STAT_NONE), "none");
	CHECK_EQ(tern_stat_is_drop(TERN_STAT_NONE), 0);
	CHECK_STR(tern_stat_group(TERN_STAT__COUNT), "unknown");
	CHECK_STR(tern_stat_name(TERN_STAT__COUNT), "unknown");
	CHECK_EQ(tern_stat_is_drop(TERN_STAT__COUNT), 0);
	CHECK_STR(tern_stat_name((enum tern_stat)100000), "unknown");
	CHECK_STR(tern_stat_group((enum tern_stat)-1), "unknown");
	CHECK_EQ(tern_stat_is_drop((enum tern_stat)-1), 0);
}

/* The kinds follow the table, and every reason a wire parser returns is
 * a drop counter. */
TEST(kinds)
{
	static const enum tern_stat counts[] = {
		TERN_STAT_DEV_TX_FRAMES, TERN_STAT_ARP_IN, TERN_STAT_IP_IN_RECEIVES,
		TERN_STAT_ICMP_IN_MSGS, TERN_STAT_UDP_IN_DATAGRAMS, TERN_STAT_ARP_CONFLICT,
	};
	static const enum tern_stat parser_drops[] = {
		TERN_STAT_ETH_SHORT, TERN_STAT_ETH_UNKNOWN_TYPE, TERN_STAT_ARP_SHORT,
		TERN_STAT_ARP_BAD_FORMAT, TERN_STAT_ARP_BAD_OP, TERN_STAT_IP_SHORT,
		TERN_STAT_IP_BAD_VERSION, TERN_STAT_IP_BAD_HLEN, TERN_STAT_IP_BAD_TOTAL_LEN,
		TERN_STAT_IP_BAD_CHECKSUM, TERN_STAT_IP_BAD_OPTIONS, TERN_STAT_IP_BAD_FRAG,
		TERN_STAT_ICMP_SHORT, TERN_STAT_ICMP_BAD_CHECKSUM, TERN_STAT_ICMP_BAD_QUOTE,
		TERN_STAT_UDP_SHORT, TERN_STAT_UDP_BAD_LEN, TERN_STAT_UDP_BAD_CHECKSUM,
	};
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		CHECK_EQ(tern_stat_is_drop(counts[i]), 0);
	for (size_t i = 0; i < sizeof parser_drops / sizeof parser_drops[0]; i++)
		CHECK_EQ(tern_stat_is_drop(parser_drops[i]), 1);
	int drops = 0;
	for (int i = 0; i < TERN_STAT__COUNT; i++)
		drops += tern_stat_is_drop((enum tern_stat)i);
	CHECK(drops > 0 && drops < TERN_STAT__COUNT - 1);
}

/* Spot checks that the three tables line up with the enum. */
TEST(spot_checks)
{
	CHECK_STR(tern_stat_group(TERN_STAT_PKT_NOBUFS), "pkt");
	CHECK_STR(tern_stat_name(TERN_STAT_PKT_NOBUFS), "no_buffers");
	CHECK_STR(tern_stat_group(TERN_STAT_IP_BAD_FRAG), "ip");
	CHECK_STR(tern_stat_name(TERN_STAT_IP_BAD_FRAG), "bad_fragment");
	CHECK_STR(tern_stat_group(TERN_STAT_SOCK_ERRORS_QUEUED), "sock");
	CHECK_STR(tern_stat_name(TERN_STAT_SOCK_ERRORS_QUEUED), "icmp_errors_reported");
	CHECK_STR(tern_stat_name(TERN_STAT_ICMP_BAD_QUOTE), "bad_quoted_header");
	CHECK_EQ(TERN_STAT_PKT_NOBUFS, 1);
}

/* Linux's nstat names: unique, and on the counters they mean. */
TEST(nstat_names)
{
	CHECK(strcmp(tern_stat_nstat_name(TERN_STAT_TCP_ACTIVE_OPENS), "TcpActiveOpens") == 0);
	CHECK(strcmp(tern_stat_nstat_name(TERN_STAT_TCP_LISTEN_OVERFLOW), "TcpExtListenOverflows") == 0);
	CHECK(strcmp(tern_stat_nstat_name(TERN_STAT_UDP_NO_PORT), "UdpNoPorts") == 0);
	CHECK(tern_stat_nstat_name(TERN_STAT_ARP_QUEUE_MEMORY) == NULL);
	for (int a = 1; a < TERN_STAT__COUNT; a++)
		for (int b = a + 1; b < TERN_STAT__COUNT; b++) {
			const char *x = tern_stat_nstat_name((enum tern_stat)a);
			const char *y = tern_stat_nstat_name((enum tern_stat)b);
			if (x && y && strcmp(x, y) == 0)
				TEST_FAIL_("%s named twice", x);
		}
}

static unsigned pages_made(const struct tern_stack *s)
{
	unsigned n = 0;
	for (unsigned p = 0; p < TERN_STAT_PAGES; p++)
		n += s->stat_pages[p] != NULL;
	return n;
}

/* Counters one page apart, so that each would need a page of its own. */
static enum tern_stat spread(unsigned i)
{
	return (enum tern_stat)(1 + (i * TERN_STAT_PAGE) % (TERN_STAT__COUNT - 1));
}

/* An idle host moves a handful of counters: they cost no page. The
 * seventh makes every page its counters need, values kept. */
TEST(few_counters_make_no_page)
{
	struct tern_stack *s = tern_stack_create(NULL);
	REQUIRE(s);
	REQUIRE(TERN_STAT_FEW < TERN_STAT_PAGES);
	for (unsigned i = 0; i < TERN_STAT_FEW; i++) {
		tern_stat_add(s, spread(i), 10 + i);
		tern_stat_inc(s, spread(i));
	}
	CHECK_EQ(pages_made(s), 0);
	for (unsigned i = 0; i < TERN_STAT_FEW; i++)
		CHECK_EQ(tern_stack_stat(s, spread(i)), 11 + i);
	CHECK_EQ(tern_stack_stat(s, spread(TERN_STAT_FEW)), 0);
	tern_stat_inc(s, spread(TERN_STAT_FEW));
	CHECK_EQ(pages_made(s), TERN_STAT_FEW + 1);
	CHECK_EQ(s->stat_few.n, 0);
	for (unsigned i = 0; i < TERN_STAT_FEW; i++)
		CHECK_EQ(tern_stack_stat(s, spread(i)), 11 + i);
	CHECK_EQ(tern_stack_stat(s, spread(TERN_STAT_FEW)), 1);
	CHECK_EQ(s->stat_lost, 0);
	tern_stack_destroy(s);
}

/* A page made for one counter takes the listed counters of that page. */
TEST(page_takes_listed_counters)
{
	struct tern_stack *s = tern_stack_create(NULL);
	REQUIRE(s);
	for (unsigned i = 0; i < TERN_STAT_FEW; i++)
		tern_stat_add(s, (enum tern_stat)(1 + i), 5);
	tern_stat_add(s, spread(3), 7); /* another page: all move */
	CHECK_EQ(s->stat_few.n, 0);
	for (unsigned i = 0; i < TERN_STAT_FEW; i++)
		CHECK_EQ(tern_stack_stat(s, (enum tern_stat)(1 + i)), 5);
	CHECK_EQ(tern_stack_stat(s, spread(3)), 7);
	CHECK_EQ(pages_made(s), 2);
	/* closed: a new counter gets its page at once */
	tern_stat_inc(s, spread(1));
	CHECK_EQ(s->stat_few.n, 0);
	CHECK_EQ(pages_made(s), 3);
	tern_stack_destroy(s);
}

/* A busy host that moves few counters (loopback traffic) gets their pages
 * after TERN_STAT_FEW_HITS increments: its hot path takes no detour. */
TEST(busy_few_counters_get_their_pages)
{
	struct tern_stack *s = tern_stack_create(NULL);
	REQUIRE(s);
	unsigned before = pages_made(s);
	for (unsigned i = 0; i < 2 * TERN_STAT_FEW_HITS; i++)
		tern_stat_inc(s, spread(2));
	CHECK_EQ(tern_stack_stat(s, spread(2)), 2 * TERN_STAT_FEW_HITS);
	CHECK(s->stat_few.closed);
	CHECK_EQ(s->stat_few.n, 0);
	CHECK(pages_made(s) > before);
	tern_stack_destroy(s);
}

TEST_MAIN()
