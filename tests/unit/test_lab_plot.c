/*
 * tests/unit/test_lab_plot.c — the report's bounded series and SVG plot
 * writer (src/lab/plot.c) on synthetic traces: bounded memory with the
 * extremes kept, well-formed and deterministic SVG inside its viewBox.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lab/plot.h"

static char *render(const struct lab_plot *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	int rc = lab_plot_svg(f, p);
	fclose(f);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

TEST(series_stays_bounded_and_keeps_extremes)
{
	struct lab_series s;
	REQUIRE(lab_series_init(&s, 100) == 0);
	/* a sawtooth cwnd over 60 s, one sample per ms, with a single spike
	 * and a single dip */
	for (long i = 0; i < 60000; i++) {
		double v = 10000 + (double)(i % 1000) * 10;
		if (i == 31234)
			v = 1e6;
		if (i == 45678)
			v = 1;
		lab_series_add(&s, TERN_MSEC(i), v);
		REQUIRE(s.n < s.cap);
	}
	CHECK_EQ(s.added, 60000);
	CHECK(s.n >= 25 && s.n <= 75);
	double hi = 0, lo = 1e18;
	for (size_t k = 0; k < s.n; k++) {
		if (k)
			CHECK(s.pt[k].t > s.pt[k - 1].t);
		CHECK_EQ(s.pt[k].t % s.width, 0);
		CHECK(s.pt[k].lo <= s.pt[k].first && s.pt[k].first <= s.pt[k].hi);
		CHECK(s.pt[k].lo <= s.pt[k].last && s.pt[k].last <= s.pt[k].hi);
		if (s.pt[k].hi > hi)
			hi = s.pt[k].hi;
		if (s.pt[k].lo < lo)
			lo = s.pt[k].lo;
	}
	CHECK(hi == 1e6);
	CHECK(lo == 1);
	CHECK(s.pt[0].first == 10000);
	CHECK(s.pt[s.n - 1].last == 10000 + 999 * 10);
	/* times going back are taken as the latest */
	lab_series_add(&s, 0, 5);
	CHECK(s.pt[s.n - 1].last == 5);
	lab_series_fini(&s);
}

TEST(spans_keep_both_ends)
{
	struct lab_series s;
	REQUIRE(lab_series_init(&s, 8) == 0);
	for (int i = 0; i < 1000; i++)
		lab_series_add_span(&s, TERN_MSEC(i), 1448.0 * (i + 1), 1448.0 * i, 1448.0 * (i + 1));
	double lo = 1e18, hi = 0;
	for (size_t k = 0; k < s.n; k++) {
		lo = s.pt[k].lo < lo ? s.pt[k].lo : lo;
		hi = s.pt[k].hi > hi ? s.pt[k].hi : hi;
	}
	CHECK(lo == 0);
	CHECK(hi == 1448.0 * 1000);
	lab_series_fini(&s);
}

/* Every coordinate of every path lies in the viewBox. */
static bool coords_inside(const char *svg, double w, double h)
{
	for (const char *p = svg; (p = strstr(p, " d=\"")); ) {
		p += 4;
		char axis = 'x';
		while (*p && *p != '"') {
			char c = *p;
			if (c == 'M' || c == 'L' || c == 'H') {
				axis = 'x';
				p++;
				continue;
			}
			if (c == 'V') {
				axis = 'y';
				p++;
				continue;
			}
			if (c == 'l' || c == 'm') { /* relative: skip its two numbers */
				p++;
				strtod(p, (char **)&p);
				strtod(p, (char **)&p);
				continue;
			}
			if (c == ' ') {
				p++;
				continue;
			}
			char *end;
			double v = strtod(p, &end);
			if (end == p)
				return false;
			if (v < 0 || v > (axis == 'x' ? w : h))
				return false;
			axis = axis == 'x' ? 'y' : 'x';
			p = end;
		}
	}
	return true;
}

TEST(svg_of_a_synthetic_trace)
{
	struct lab_series seq, ack, retr, cwnd;
	REQUIRE(lab_series_init(&seq, 200) == 0);
	REQUIRE(lab_series_init(&ack, 200) == 0);
	REQUIRE(lab_series_init(&retr, 200) == 0);
	REQUIRE(lab_series_init(&cwnd, 200) == 0);
	/* a bulk transfer: a segment a ms, ACKed 50 ms later, one resent */
	for (int i = 0; i < 5000; i++) {
		tern_time_t t = TERN_SEC(1) + TERN_MSEC(i);
		lab_series_add_span(&seq, t, 1448.0 * (i + 1), 1448.0 * i, 1448.0 * (i + 1));
		if (i >= 50)
			lab_series_add(&ack, t, 1448.0 * (i - 49));
		lab_series_add(&cwnd, t, 14480 + 1448.0 * (i % 300));
	}
	lab_series_add_span(&retr, TERN_SEC(3), 1448.0 * 2001, 1448.0 * 2000, 1448.0 * 2001);
	struct lab_plot_series ps[] = {
		{&ack, "ACKed", "#2ca02c", LAB_DRAW_STEP},
		{&seq, "sent", "#1f4fb4", LAB_DRAW_BARS},
		{&retr, "retransmitted", "#d62728", LAB_DRAW_MARKS},
		{&cwnd, "cwnd", "#1f77b4", LAB_DRAW_LINE},
	};
	struct lab_plot p = {.title = "time-sequence <&> graph", .xlabel = "time (s)",
			     .ylabel = "sequence (MB)", .yscale = 1e6, .series = ps,
			     .nseries = 4, .width = 800, .height = 300};
	size_t len1, len2;
	char *a = render(&p, &len1), *b = render(&p, &len2);
	REQUIRE(a && b);
	CHECK(len1 == len2 && memcmp(a, b, len1) == 0);
	CHECK(strncmp(a, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	CHECK(len1 > 7 && strcmp(a + len1 - 7, "</svg>\n") == 0);
	CHECK(strstr(a, "viewBox=\"0 0 800 300\"") != NULL);
	CHECK(count(a, "<path class=\"s\"") == 4);
	CHECK(strstr(a, "time-sequence &lt;&amp;&gt; graph") != NULL);
	CHECK(strstr(a, "<&>") == NULL);
	CHECK(strstr(a, "nan") == NULL && strstr(a, "inf") == NULL);
	CHECK(strstr(a, ">retransmitted</text>") != NULL);
	/* x ticks from 1 to 6 s, y ticks in MB up to 7.24 (5000 x 1448) */
	CHECK(strstr(a, ">1</text>") != NULL && strstr(a, ">6</text>") != NULL);
	CHECK(strstr(a, ">8</text>") != NULL);
	CHECK(coords_inside(a, 800, 300));
	CHECK(len1 < 64 * 1024); /* 200 points a series */
	free(a);
	free(b);
	lab_series_fini(&seq);
	lab_series_fini(&ack);
	lab_series_fini(&retr);
	lab_series_fini(&cwnd);
}

TEST(empty_plot_says_no_data)
{
	struct lab_series s;
	REQUIRE(lab_series_init(&s, 4) == 0);
	struct lab_plot_series ps[] = {{&s, "srtt", "#9467bd", LAB_DRAW_LINE}};
	struct lab_plot p = {.title = "rtt", .series = ps, .nseries = 1};
	size_t len;
	char *a = render(&p, &len);
	REQUIRE(a);
	CHECK(strstr(a, ">no data</text>") != NULL);
	CHECK(strstr(a, "viewBox=\"0 0 720 300\"") != NULL);
	CHECK(strstr(a, "nan") == NULL);
	free(a);
	lab_series_fini(&s);
}

TEST_MAIN()
