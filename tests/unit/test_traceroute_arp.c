/*
 * tests/unit/test_traceroute_arp.c — traceroute when the first ARP request
 * goes unanswered (issue 10, item 7), frame by frame with explicit time.
 *
 * A TAP that comes up a moment before the kernel activates it loses the
 * answer to tern's first ARP request. Every probe of the first round then
 * waits in the neighbour queue; the request is retried a second later
 * (arp_retrans_time, as Linux's neighbour code) and, once answered, the
 * queued probes must all leave, their answers must be matched, the
 * expiries they arm must stay right and the trace must go on and end as
 * usual: a hop line per TTL with ~1000 ms round trips, no '*'.
 */
#include "stack_fixture.h"
#include "tern/apps.h"

#define HOP2 TERN_IP4(10, 1, 1, 1)
#define DST  TERN_IP4(10, 9, 9, 9)

/* An ICMP error from `from` quoting the probe p (its IP header and first 8
 * bytes), as a router (type 11) or the destination (type 3 code 3) sends. */
static size_t answer(uint8_t *buf, const struct fx_pkt *p, tern_ip4_t from, uint8_t type,
		     uint8_t code)
{
	uint8_t icmp[TERN_ICMP_HLEN + TERN_IPV4_HLEN + 8];
	struct tern_icmp_repr r = {
		.type = type, .code = code, .data = p->iph, .data_len = p->ip.hlen + 8,
	};
	tern_icmp_emit(&r, icmp);
	struct fxb_ip h = {.src = from, .dst = FX_IP_US, .proto = TERN_IPPROTO_ICMP};
	return fxb_ip(buf, FX_MAC_US, FX_MAC_GW, &h, icmp, TERN_ICMP_HLEN + p->ip.hlen + 8);
}

struct run {
	struct fixture fx;
	struct tern_traceroute *t;
	char *text;
	size_t len;
	FILE *out;
	unsigned probes_seen, arp_requests;
};

static void start(struct run *r, tern_time_t wait)
{
	memset(r, 0, sizeof(*r));
	fx_config(&r->fx);
	fx_host(&r->fx);
	r->out = open_memstream(&r->text, &r->len);
	struct tern_traceroute_opts o;
	tern_traceroute_opts_init(&o);
	o.dst = DST;
	o.numeric = true;
	o.ident = 40001;
	if (wait)
		o.wait = wait;
	int err;
	r->t = tern_traceroute_start(r->fx.s, &o, r->out, tern_stack_now(r->fx.s), &err);
	REQUIRE(r->t != NULL);
}

/* Answer every probe sent so far at `now`: TTL 1 from the gateway, 2 from
 * HOP2, beyond from the destination. ARP requests are counted, not
 * answered. */
static void answer_probes(struct run *r, tern_time_t now)
{
	struct fx_frame *f;
	uint8_t buf[256];
	while ((f = fx_pop(&r->fx))) {
		struct fx_pkt p;
		REQUIRE(fx_parse(f, &p) == TERN_STAT_NONE);
		if (p.is_arp) {
			r->arp_requests++;
			fx_pkt_free(&p);
			continue;
		}
		REQUIRE(p.is_ip && p.ip.proto == TERN_IPPROTO_UDP);
		r->probes_seen++;
		size_t n;
		if (p.ip.ttl == 1)
			n = answer(buf, &p, FX_IP_GW, TERN_ICMP_TIME_EXCEEDED, 0);
		else if (p.ip.ttl == 2)
			n = answer(buf, &p, HOP2, TERN_ICMP_TIME_EXCEEDED, 0);
		else
			n = answer(buf, &p, DST, TERN_ICMP_DEST_UNREACH, TERN_ICMP_PORT_UNREACH);
		fx_pkt_free(&p);
		fx_inject(&r->fx, 0, now, buf, n);
	}
}

static void finish(struct run *r)
{
	if (r->t)
		tern_traceroute_finish(r->t, tern_stack_now(r->fx.s));
	fclose(r->out);
	fprintf(stderr, "%s", r->text ? r->text : "");
	fx_finish(&r->fx);
	free(r->text);
}

static bool line_starts(const char *text, const char *prefix)
{
	for (const char *l = text; l && *l;) {
		if (strncmp(l, prefix, strlen(prefix)) == 0)
			return true;
		const char *nl = strchr(l, '\n');
		l = nl ? nl + 1 : NULL;
	}
	return false;
}

TEST(first_arp_request_lost_probes_go_after_retry)
{
	struct run r;
	start(&r, 0); /* -w 5 */
	tern_time_t t0 = tern_stack_now(r.fx.s);
	struct tern_arp_repr arp;

	/* The first request for the gateway leaves at once: it is lost. */
	struct fx_pkt p;
	expect_tx_parse(&r.fx, &p);
	REQUIRE(p.is_arp);
	arp = p.arp;
	CHECK_EQ(arp.op, TERN_ARP_OP_REQUEST);
	CHECK_EQ(arp.tpa, FX_IP_GW);
	fx_pkt_free(&p);
	/* The 16 probes (-N 16) wait for it: nothing else leaves. */
	expect_no_tx(&r.fx, t0 + TERN_MSEC(999));

	/* Retried one second later, and answered this time. */
	struct fx_frame *f = fx_next_tx(&r.fx, t0 + TERN_SEC(2));
	REQUIRE(f != NULL);
	CHECK_EQ(f->t, t0 + TERN_SEC(1));
	REQUIRE(fx_parse(f, &p) == TERN_STAT_NONE);
	CHECK(p.is_arp && p.arp.op == TERN_ARP_OP_REQUEST && p.arp.tpa == FX_IP_GW);
	fx_pkt_free(&p);
	uint8_t buf[64];
	tern_time_t t1 = t0 + TERN_SEC(1) + TERN_USEC(100);
	size_t n = fxb_arp(buf, FX_MAC_US, FX_MAC_GW, TERN_ARP_OP_REPLY, FX_MAC_GW, FX_IP_GW,
			   FX_MAC_US, FX_IP_US);
	fx_inject(&r.fx, 0, t1, buf, n);

	/* Every queued probe leaves with the reply; answered 100 us later,
	 * the trace ends at hop 3 without another probe. */
	CHECK_EQ(r.fx.nframes, 16);
	answer_probes(&r, t1 + TERN_USEC(100));
	CHECK(r.probes_seen >= 16); /* and more, as answers free slots of -N */
	CHECK(tern_traceroute_done(r.t));
	fflush(r.out);
	CHECK(line_starts(r.text, " 1  10.0.0.254  1000.2"));
	CHECK(line_starts(r.text, " 2  10.1.1.1  1000.2"));
	CHECK(line_starts(r.text, " 3  10.9.9.9  1000.2"));
	CHECK(strchr(r.text, '*') == NULL);
	struct tern_traceroute_result res;
	tern_traceroute_get_result(r.t, &res);
	CHECK(res.reached);
	CHECK_EQ(res.hops, 3);
	finish(&r);
}

/* Answered only at the third request (2 s): still every probe, matched. */
TEST(first_two_arp_requests_lost)
{
	struct run r;
	start(&r, 0);
	tern_time_t t0 = tern_stack_now(r.fx.s);
	fx_advance(&r.fx, t0 + TERN_SEC(2));
	answer_probes(&r, t0 + TERN_SEC(2)); /* counts the 3 requests */
	CHECK_EQ(r.arp_requests, 3);
	CHECK_EQ(r.probes_seen, 0);
	uint8_t buf[64];
	tern_time_t t1 = t0 + TERN_SEC(2) + TERN_USEC(100);
	size_t n = fxb_arp(buf, FX_MAC_US, FX_MAC_GW, TERN_ARP_OP_REPLY, FX_MAC_GW, FX_IP_GW,
			   FX_MAC_US, FX_IP_US);
	fx_inject(&r.fx, 0, t1, buf, n);
	CHECK_EQ(r.fx.nframes, 16);
	answer_probes(&r, t1 + TERN_USEC(100));
	CHECK(r.probes_seen >= 16); /* and more, as answers free slots of -N */
	CHECK(tern_traceroute_done(r.t));
	fflush(r.out);
	CHECK(line_starts(r.text, " 1  10.0.0.254  2000.2"));
	CHECK(line_starts(r.text, " 3  10.9.9.9  2000.2"));
	CHECK(strchr(r.text, '*') == NULL);
	finish(&r);
}

TEST_MAIN()
