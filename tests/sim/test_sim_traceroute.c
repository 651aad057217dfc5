/*
 * tests/sim/test_sim_traceroute.c — traceroute through tern routers, which
 * must answer as Linux routers do (issue 10, item 3):
 *
 *	A ---- R1 ======== R2 ---- B
 *	 10.0.1.0/24  10.0.12.0/24  10.0.2.0/24
 *	              (MTU 1280)
 *
 *  - a probe to any of a router's addresses is answered from that address
 *    (R2's far address 10.0.2.1 reached through R2's near one: the port
 *    unreachable comes from 10.0.2.1, as Linux's icmp_send takes the
 *    datagram's destination as the source when it was addressed to us);
 *  - a probe with TTL 1 towards a destination R1 has no route to gets
 *    "network unreachable" (!N), not "time exceeded": Linux routes the
 *    datagram (ip_route_input) before ip_forward looks at its TTL;
 *  - traceroute -F: the probe too big for the 1280 hop is answered with
 *    "fragmentation needed" and printed "!F-1280", the trace ending there;
 *    without -F the same probes are fragmented and reach B; too big for
 *    A's own link, the error is local and printed without an address.
 * Each trace runs on a fresh network in virtual time.
 */
#include "harness.h"

#include "tern/apps.h"
#include "tern/sim.h"

#define SEED 77
#define APP_LIMIT TERN_SEC(200)

struct topo {
	struct tern_sim *sim;
	struct tern_stack *a, *r1, *r2, *b;
};

static tern_ip4_t ip(const char *s)
{
	tern_ip4_t a = 0;
	tern_ip4_parse(s, &a);
	return a;
}

static int build(struct topo *t)
{
	struct tern_sim_link_opts edge = {.delay = TERN_MSEC(1), .rate_bps = 100000000};
	struct tern_sim_link_opts core = edge;
	core.mtu = 1280;
	t->sim = tern_sim_create(SEED);
	if (!t->sim)
		return -1;
	t->a = tern_sim_host(t->sim, "A", NULL);
	t->r1 = tern_sim_router(t->sim, "R1", NULL);
	t->r2 = tern_sim_router(t->sim, "R2", NULL);
	t->b = tern_sim_host(t->sim, "B", NULL);
	if (!t->a || !t->r1 || !t->r2 || !t->b)
		return -1;
	if (tern_sim_connect(t->sim, t->a, "10.0.1.2/24", t->r1, "10.0.1.1/24", &edge, NULL, NULL) ||
	    tern_sim_connect(t->sim, t->r1, "10.0.12.1/24", t->r2, "10.0.12.2/24", &core, NULL,
			     NULL) ||
	    tern_sim_connect(t->sim, t->r2, "10.0.2.1/24", t->b, "10.0.2.2/24", &edge, NULL, NULL))
		return -1;
	/* A's default is R1; R1 knows 10.0.2.0/24 and nothing else beyond. */
	if (tern_route_add(t->a, 0, 0, ip("10.0.1.1"), 0, 0) ||
	    tern_route_add(t->b, 0, 0, ip("10.0.2.1"), 0, 0) ||
	    tern_route_add(t->r1, ip("10.0.2.0"), 24, ip("10.0.12.2"), 0, 0) ||
	    tern_route_add(t->r2, ip("10.0.1.0"), 24, ip("10.0.12.1"), 0, 0))
		return -1;
	tern_sim_run_for(t->sim, TERN_MSEC(100));
	return 0;
}

static bool tr_done(void *ctx)
{
	return tern_traceroute_done(ctx);
}

/* Run one traceroute from A on a fresh network; its lines in *text
 * (caller frees), its result in *r. */
static int trace(const struct tern_traceroute_opts *o, char **text,
		 struct tern_traceroute_result *r)
{
	struct topo t = {0};
	size_t len = 0;
	*text = NULL;
	FILE *out = open_memstream(text, &len);
	int rc = -1;
	if (out && build(&t) == 0) {
		int err;
		struct tern_traceroute *tr = tern_traceroute_start(t.a, o, out, tern_sim_now(t.sim), &err);
		if (tr) {
			bool done = tern_sim_run_while(t.sim, tr_done, tr,
						       tern_sim_now(t.sim) + APP_LIMIT);
			tern_traceroute_get_result(tr, r);
			rc = tern_traceroute_finish(tr, tern_sim_now(t.sim));
			if (!done)
				rc = -1;
		}
	}
	tern_sim_destroy(t.sim);
	if (out)
		fclose(out);
	if (*text)
		fprintf(stderr, "%s", *text);
	return rc;
}

static void opts(struct tern_traceroute_opts *o, const char *dst)
{
	tern_traceroute_opts_init(o);
	o->dst = ip(dst);
	o->numeric = true;
	o->nqueries = 1;
	o->ident = 40001;
}

/* Lines of text matching "prefix ... suffix" (the RTT in between). */
static bool has_line(const char *text, const char *prefix, const char *suffix)
{
	for (const char *l = text; l && *l;) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		size_t pl = strlen(prefix), sl = strlen(suffix);
		if (n >= pl + sl && strncmp(l, prefix, pl) == 0 && strncmp(l + n - sl, suffix, sl) == 0)
			return true;
		l = end ? end + 1 : NULL;
	}
	return false;
}

TEST(router_far_address_answers_from_itself)
{
	struct tern_traceroute_opts o;
	struct tern_traceroute_result r;
	char *text;
	opts(&o, "10.0.2.1");
	CHECK_EQ(trace(&o, &text, &r), 0);
	CHECK(r.reached);
	CHECK_EQ(r.hops, 2);
	CHECK_EQ(r.hop_addr[0], ip("10.0.1.1"));
	CHECK_EQ(r.hop_addr[1], ip("10.0.2.1")); /* not R2's near 10.0.12.2 */
	CHECK(has_line(text, " 2  10.0.2.1  ", " ms"));
	free(text);

	/* The ICMP probe's echo reply came from it already; still so. */
	opts(&o, "10.0.2.1");
	o.icmp = true;
	o.ident = 0x303;
	CHECK_EQ(trace(&o, &text, &r), 0);
	CHECK_EQ(r.hops, 2);
	CHECK_EQ(r.hop_addr[1], ip("10.0.2.1"));
	free(text);
}

TEST(no_route_ttl1_is_net_unreachable)
{
	struct tern_traceroute_opts o;
	struct tern_traceroute_result r;
	char *text;
	opts(&o, "10.9.9.9"); /* A sends it to R1, which has no route */
	CHECK_EQ(trace(&o, &text, &r), 1);
	CHECK(!r.reached);
	CHECK_EQ(r.hops, 1); /* !N ends the trace at hop 1 */
	CHECK_EQ(r.hop_addr[0], ip("10.0.1.1"));
	CHECK(has_line(text, " 1  10.0.1.1  ", " ms !N"));
	free(text);
}

TEST(dont_fragment_reports_next_hop_mtu)
{
	struct tern_traceroute_opts o;
	struct tern_traceroute_result r;
	char *text;
	opts(&o, "10.0.2.2");
	o.packetlen = 1400;
	o.dont_fragment = true;
	CHECK_EQ(trace(&o, &text, &r), 1);
	CHECK(strstr(text, "traceroute to 10.0.2.2 (10.0.2.2), 30 hops max, 1400 byte packets\n"));
	CHECK(has_line(text, " 1  10.0.1.1  ", " ms"));  /* TTL first, as Linux's ip_forward */
	CHECK(has_line(text, " 2  10.0.1.1  ", " ms !F-1280"));
	CHECK_EQ(r.hops, 2);
	CHECK(!r.reached);
	free(text);

	/* Without -F the same probes are fragmented at R1 and reach B. */
	opts(&o, "10.0.2.2");
	o.packetlen = 1400;
	CHECK_EQ(trace(&o, &text, &r), 0);
	CHECK(r.reached);
	CHECK_EQ(r.hops, 3);
	CHECK_EQ(r.hop_addr[2], ip("10.0.2.2"));
	free(text);
}

/* -F with probes too big for A's own link: the error is local, printed
 * as Linux traceroute prints it (" 1  *  0.033 ms !F-1500", observed with
 * traceroute 2.1.2 over a veth), with no address; the trace ends there. */
TEST(dont_fragment_local_mtu)
{
	struct tern_traceroute_opts o;
	struct tern_traceroute_result r;
	char *text;
	opts(&o, "10.0.2.2");
	o.packetlen = 2000;
	o.dont_fragment = true;
	o.nqueries = 3;
	CHECK_EQ(trace(&o, &text, &r), 1);
	CHECK(strstr(text, "\n 1  *  0.000 ms !F-1500 *  0.000 ms !F-1500 *  0.000 ms !F-1500\n"));
	CHECK_EQ(r.hops, 1);
	CHECK_EQ(r.hop_addr[0], 0);
	free(text);
}

TEST_MAIN()
