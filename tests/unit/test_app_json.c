/*
 * tests/unit/test_app_json.c — the JSON reader and writer the iperf engine
 * uses for iperf3's parameters and results: what iperf3 3.12 sent on the
 * wire parses, every malformed or oversized input is refused (never read
 * past its length), and the writer's output reads back.
 */
#include "harness.h"

#include "app/json.h"

static struct tj_node nodes[256];

static int parse(const char *s)
{
	return tj_parse(s, strlen(s), nodes, 256);
}

TEST(json_iperf3_results_parse)
{
	/* a server's results as iperf3 3.12 sent them (receiver: -1 as 2^64-1) */
	const char *s = "{\"cpu_util_total\":57.02458783930954,\"cpu_util_user\":2.2548779679382669,"
			"\"cpu_util_system\":54.768812705071035,\"sender_has_retransmits\":"
			"18446744073709551615,\"congestion_used\":\"bbr\",\"streams\":[{\"id\":1,"
			"\"bytes\":1764229120,\"retransmits\":18446744073709551615,\"jitter\":0,"
			"\"errors\":0,\"packets\":0,\"start_time\":0,\"end_time\":2.003144}]}";
	REQUIRE(parse(s) > 0);
	int64_t v = 0;
	double d = 0;
	CHECK(tj_get_int(nodes, &nodes[0], "sender_has_retransmits", &v));
	CHECK_EQ(v, -1);
	CHECK(tj_get_num(nodes, &nodes[0], "cpu_util_total", &d));
	CHECK(d > 57.02 && d < 57.03);
	const struct tj_node *st = tj_get(nodes, &nodes[0], "streams");
	REQUIRE(st && st->type == TJ_ARR && st->child >= 0);
	const struct tj_node *s0 = &nodes[st->child];
	CHECK(tj_get_int(nodes, s0, "bytes", &v));
	CHECK_EQ(v, 1764229120);
	CHECK(tj_get_num(nodes, s0, "end_time", &d));
	CHECK(d > 2.003 && d < 2.0032);
	CHECK_EQ(s0->next, -1);
	const struct tj_node *cc = tj_get(nodes, &nodes[0], "congestion_used");
	REQUIRE(cc && cc->type == TJ_STR);
	CHECK_EQ(cc->str_len, 3);
	CHECK(!tj_get(nodes, &nodes[0], "nope"));
	bool b = true;
	CHECK(!tj_get_bool(nodes, &nodes[0], "streams", &b));
}

TEST(json_params_parse)
{
	REQUIRE(parse(" {\"tcp\":true,\"omit\":0,\"time\":2,\"num\":0,\"blockcount\":0,\"parallel\":2,"
		      "\"len\":131072,\"reverse\":true,\"pacing_timer\":1000,"
		      "\"client_version\":\"3.12\"}\n") > 0);
	bool b = false;
	int64_t v = 0;
	CHECK(tj_get_bool(nodes, &nodes[0], "reverse", &b) && b);
	CHECK(tj_get_int(nodes, &nodes[0], "len", &v) && v == 131072);
	CHECK(parse("[]") == 1 && nodes[0].type == TJ_ARR);
	CHECK(parse("-0.5e+3") == 1 && nodes[0].num == -500.0 && !nodes[0].is_int);
	CHECK(parse("\"a\\u00e9\\n\"") == 1);
	CHECK(parse("null") == 1 && nodes[0].type == TJ_NULL);
}

TEST(json_malformed_refused)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{a:1}",
		"01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"",
		"\"\x01\"", "{} {}", "[1]]", "{\"a\":1}x", "\"\\",
		/* a number too long for the reader's 64-character buffer */
		("123456789012345678901234567890"
		 "123456789012345678901234567890123456789012345678901234567890"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i]) >= 0)
			TEST_FAIL_("accepted '%s'", bad[i]);
	}
	/* a NUL inside the length is a byte like any other, not an end */
	CHECK_EQ(tj_parse("{}\0", 3, nodes, 256), -1);
	/* depth and node bounds */
	char deep[64];
	memset(deep, '[', sizeof(deep));
	CHECK_EQ(tj_parse(deep, sizeof(deep), nodes, 256), -1);
	CHECK_EQ(tj_parse("[1,2,3]", 7, nodes, 3), -1);
	CHECK_EQ(tj_parse("[1,2,3]", 7, nodes, 4), 4);
	/* a truncated copy of a valid text never parses, at any length */
	const char *ok = "{\"streams\":[{\"id\":1,\"bytes\":5}],\"x\":\"y\"}";
	for (size_t n = 0; n < strlen(ok); n++)
		CHECK_EQ(tj_parse(ok, n, nodes, 256), -1);
	CHECK(tj_parse(ok, strlen(ok), nodes, 256) > 0);
}

TEST(json_writer_reads_back)
{
	char buf[256];
	struct tj_writer w;
	tj_w_init(&w, buf, sizeof(buf));
	tj_w_open(&w, NULL, '{');
	tj_w_bool(&w, "tcp", true);
	tj_w_int(&w, "num", -1);
	tj_w_open(&w, "streams", '[');
	tj_w_open(&w, NULL, '{');
	tj_w_double(&w, "end_time", 2.5);
	tj_w_close(&w, '}');
	tj_w_close(&w, ']');
	tj_w_str(&w, "v", "3.12");
	tj_w_close(&w, '}');
	CHECK(!w.overflow);
	CHECK_STR(buf, "{\"tcp\":true,\"num\":-1,\"streams\":[{\"end_time\":2.500000}],\"v\":\"3.12\"}");
	CHECK(tj_parse(buf, w.len, nodes, 256) > 0);
	/* too small a buffer, or a string needing escapes: overflow, never a bad text */
	char tiny[8];
	tj_w_init(&w, tiny, sizeof(tiny));
	tj_w_open(&w, NULL, '{');
	tj_w_str(&w, "key", "a long value");
	CHECK(w.overflow);
	tj_w_init(&w, buf, sizeof(buf));
	tj_w_str(&w, NULL, "quote\"d");
	CHECK(w.overflow);
}

TEST_MAIN()
