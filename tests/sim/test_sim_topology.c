/*
 * tests/sim/test_sim_topology.c — the acceptance scenario: two hosts and
 * two routers in the simulator, driven by the ping and traceroute apps.
 *
 *	A ---- R1 ======== R2 ---- B
 *	 10.0.1.0/24  10.0.12.0/24  10.0.2.0/24
 *	              (MTU 1280)
 *
 * Every link has a 1 ms one-way delay and 100 Mbit/s; captures go to
 * $TERN_TEST_OUT/sim-topology/run1 (and run2 for the rerun). One scenario
 * run does, in order: 3 pings of 4000 bytes (fragmented by A, refragmented
 * by R1 at the 1280 hop, reassembled by B), a UDP traceroute, an ICMP
 * traceroute, a DF ping too big for the 1280 hop, a TTL-1 ping, and a ping
 * to an address on A's network that nobody holds. The scenario runs twice
 * with the same seed; the captures must match byte for byte.
 *
 * tests/sim/check_captures.sh then runs tshark over the captures (a CTest
 * fixture after this test) to check every frame decodes cleanly.
 */
#include <errno.h>
#include <sys/stat.h>

#include "harness.h"

#include "tern/apps.h"
#include "tern/sim.h"

#define SEED 20240611
#define APP_LIMIT TERN_SEC(120)

static const char *const capture_files[] = {
	"A-eth0.pcap", "R1-eth0.pcap", "R1-eth1.pcap", "R2-eth0.pcap", "R2-eth1.pcap", "B-eth0.pcap",
};
#define NCAPTURES (sizeof(capture_files) / sizeof(capture_files[0]))

/* What one scenario run observed. */
struct topo_result {
	bool ok;                       /* the scenario ran to the end */
	struct tern_ping_stats big, df, ttl1, unreach;
	int big_exit;
	uint64_t b_reasm_before, b_reasm_after;
	uint64_t r1_frag_creates, a_reasm_oks;
	struct tern_traceroute_result tr_udp, tr_icmp;
	int tr_udp_exit, tr_icmp_exit;
	char *transcript;              /* everything the apps printed */
	size_t transcript_len;
};

/* ---- helpers ------------------------------------------------------------- */

/* mkdir -p */
static int make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -1;
		buf[i] = c;
	}
	return 0;
}

static void run_dir(char *buf, size_t n, int run)
{
	snprintf(buf, n, "%s/sim-topology/run%d", test_out_dir(), run);
}

static tern_ip4_t ip(const char *s)
{
	tern_ip4_t a = 0;
	tern_ip4_parse(s, &a);
	return a;
}

static uint64_t stat_of(struct tern_stack *s, const char *name)
{
	enum tern_stat st = tern_stat_lookup(name);
	if (st == TERN_STAT_NONE) {
		fprintf(stderr, "unknown counter %s\n", name);
		return UINT64_MAX; /* so that any check on it fails */
	}
	return tern_stack_stat(s, st);
}

/* The transcript: every app prints into one memory stream. */
struct transcript {
	FILE *f;
	char *buf;
	size_t len;
};

static bool ping_is_done(void *ctx)
{
	return tern_ping_done(ctx);
}

static bool traceroute_is_done(void *ctx)
{
	return tern_traceroute_done(ctx);
}

/* Run one ping to completion; returns its exit status, or -1 if it could
 * not start or did not finish within APP_LIMIT. */
static int run_ping(struct tern_sim *sim, struct tern_stack *s, const struct tern_ping_opts *o,
		    FILE *out, struct tern_ping_stats *st)
{
	int err = 0;
	struct tern_ping *p = tern_ping_start(s, o, out, tern_sim_now(sim), &err);
	if (!p) {
		fprintf(stderr, "tern_ping_start: %s\n", tern_strerror(err));
		return -1;
	}
	bool done = tern_sim_run_while(sim, ping_is_done, p, tern_sim_now(sim) + APP_LIMIT);
	tern_ping_get_stats(p, st);
	int rc = tern_ping_finish(p, tern_sim_now(sim));
	tern_sim_run_for(sim, TERN_MSEC(100)); /* let stragglers land between steps */
	return done ? rc : -1;
}

static int run_traceroute(struct tern_sim *sim, struct tern_stack *s,
			  const struct tern_traceroute_opts *o, FILE *out,
			  struct tern_traceroute_result *r)
{
	int err = 0;
	struct tern_traceroute *t = tern_traceroute_start(s, o, out, tern_sim_now(sim), &err);
	if (!t) {
		fprintf(stderr, "tern_traceroute_start: %s\n", tern_strerror(err));
		return -1;
	}
	bool done = tern_sim_run_while(sim, traceroute_is_done, t, tern_sim_now(sim) + APP_LIMIT);
	tern_traceroute_get_result(t, r);
	int rc = tern_traceroute_finish(t, tern_sim_now(sim));
	tern_sim_run_for(sim, TERN_MSEC(100));
	return done ? rc : -1;
}

/* ---- the topology ---------------------------------------------------------- */

struct topo {
	struct tern_sim *sim;
	struct tern_stack *a, *r1, *r2, *b;
};

static int build_topology(struct topo *t, uint64_t seed, const char *capdir)
{
	struct tern_sim_link_opts edge = {.delay = TERN_MSEC(1), .rate_bps = 100000000};
	struct tern_sim_link_opts core = edge;
	core.mtu = 1280;

	t->sim = tern_sim_create(seed);
	if (!t->sim)
		return -1;
	tern_sim_capture(t->sim, capdir);
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
	if (tern_route_add(t->a, 0, 0, ip("10.0.1.1"), 0, 0) ||
	    tern_route_add(t->b, 0, 0, ip("10.0.2.1"), 0, 0) ||
	    tern_route_add(t->r1, ip("10.0.2.0"), 24, ip("10.0.12.2"), 0, 0) ||
	    tern_route_add(t->r2, ip("10.0.1.0"), 24, ip("10.0.12.1"), 0, 0))
		return -1;
	tern_sim_run_for(t->sim, TERN_MSEC(100)); /* announcements settle */
	return 0;
}

/* ---- the scenario ------------------------------------------------------------ */

static void ping_opts(struct tern_ping_opts *o, const char *dst, unsigned count, size_t size,
		      uint16_t ident)
{
	tern_ping_opts_init(o);
	o->dst = ip(dst);
	o->count = count;
	o->size = size;
	o->ident = ident;
}

static void steps_ping(struct topo *t, FILE *out, struct topo_result *r)
{
	struct tern_ping_opts o;

	/* ping -c 3 -s 4000 B: 4028-byte datagrams, fragmented twice */
	r->b_reasm_before = stat_of(t->b, "ip.reasm_oks");
	ping_opts(&o, "10.0.2.2", 3, 4000, 0x101);
	r->big_exit = run_ping(t->sim, t->a, &o, out, &r->big);
	r->b_reasm_after = stat_of(t->b, "ip.reasm_oks");
	r->r1_frag_creates = stat_of(t->r1, "ip.frag_creates");
	r->a_reasm_oks = stat_of(t->a, "ip.reasm_oks");

	/* ping -M do -s 1400: fits A's link, not R1-R2 */
	ping_opts(&o, "10.0.2.2", 1, 1400, 0x102);
	o.df = true;
	run_ping(t->sim, t->a, &o, out, &r->df);

	/* ping -t 1: R1 says time exceeded */
	ping_opts(&o, "10.0.2.2", 1, 56, 0x103);
	o.ttl = 1;
	run_ping(t->sim, t->a, &o, out, &r->ttl1);

	/* nobody holds 10.0.1.99: ARP gives up, A reports host unreachable */
	ping_opts(&o, "10.0.1.99", 1, 56, 0x104);
	run_ping(t->sim, t->a, &o, out, &r->unreach);
}

static void steps_traceroute(struct topo *t, FILE *out, struct topo_result *r)
{
	struct tern_traceroute_opts o;

	tern_traceroute_opts_init(&o);
	o.dst = ip("10.0.2.2");
	o.numeric = true;
	/* The ident is the UDP source port: an ephemeral one, as traceroute
	 * binds, not a well-known port tshark would decode (0x201 is rwho). */
	o.ident = 40001;
	r->tr_udp_exit = run_traceroute(t->sim, t->a, &o, out, &r->tr_udp);

	tern_traceroute_opts_init(&o);
	o.dst = ip("10.0.2.2");
	o.numeric = true;
	o.icmp = true;
	o.ident = 0x202;
	r->tr_icmp_exit = run_traceroute(t->sim, t->a, &o, out, &r->tr_icmp);
}

/* Build, run every step, tear down (which flushes the captures). */
static void run_scenario(uint64_t seed, const char *capdir, struct topo_result *r)
{
	struct topo t = {0};
	struct transcript tr = {0};

	memset(r, 0, sizeof(*r));
	tr.f = open_memstream(&tr.buf, &tr.len);
	if (tr.f && build_topology(&t, seed, capdir) == 0) {
		steps_ping(&t, tr.f, r);
		steps_traceroute(&t, tr.f, r);
		r->ok = true;
	}
	tern_sim_destroy(t.sim);
	if (tr.f)
		fclose(tr.f);
	r->transcript = tr.buf;
	r->transcript_len = tr.buf ? tr.len : 0;
}

/* The scenario runs once per process (twice, for the rerun), whichever
 * cases are selected. */
static struct topo_result run1, run2;
static bool scenario_ran;

static void free_results(void)
{
	free(run1.transcript);
	free(run2.transcript);
}

static const struct topo_result *scenario(void)
{
	if (scenario_ran)
		return &run1;
	scenario_ran = true;
	for (int run = 1; run <= 2; run++) {
		char dir[4096];
		run_dir(dir, sizeof(dir), run);
		if (make_dirs(dir) < 0) {
			fprintf(stderr, "cannot create %s\n", dir);
			continue;
		}
		run_scenario(SEED, dir, run == 1 ? &run1 : &run2);
	}
	atexit(free_results);
	if (run1.transcript)
		fprintf(stderr, "---- scenario transcript ----\n%.*s----\n",
			(int)run1.transcript_len, run1.transcript);
	return &run1;
}

/* ---- the assertions ---------------------------------------------------------- */

static bool transcript_has(const struct topo_result *r, const char *s)
{
	return r->transcript && strstr(r->transcript, s) != NULL;
}

TEST(scenario_runs)
{
	const struct topo_result *r = scenario();
	CHECK(r->ok);
	CHECK(run2.ok);
}

TEST(ping_4000_fragmented_and_reassembled)
{
	const struct topo_result *r = scenario();
	CHECK_EQ(r->big.transmitted, 3);
	CHECK_EQ(r->big.received, 3);
	CHECK_EQ(r->big.errors, 0);
	CHECK_EQ(r->big_exit, 0);
	CHECK(r->b_reasm_after >= r->b_reasm_before + 3);
	CHECK(r->r1_frag_creates > 0);   /* refragmented at the 1280 hop */
	CHECK(r->a_reasm_oks >= 3);      /* the replies came back in pieces too */
	CHECK(transcript_has(r, "4008 bytes from 10.0.2.2: icmp_seq=1"));
	CHECK(transcript_has(r, "3 packets transmitted, 3 received"));
}

static void check_path(const struct tern_traceroute_result *tr, int exit_status)
{
	CHECK_EQ(exit_status, 0);
	CHECK(tr->reached);
	CHECK_EQ(tr->hops, 3);
	CHECK_EQ(tr->hop_addr[0], TERN_IP4(10, 0, 1, 1));
	CHECK_EQ(tr->hop_addr[1], TERN_IP4(10, 0, 12, 2));
	CHECK_EQ(tr->hop_addr[2], TERN_IP4(10, 0, 2, 2));
}

TEST(traceroute_udp)
{
	const struct topo_result *r = scenario();
	check_path(&r->tr_udp, r->tr_udp_exit);
}

TEST(traceroute_icmp)
{
	const struct topo_result *r = scenario();
	check_path(&r->tr_icmp, r->tr_icmp_exit);
}

TEST(ping_df_frag_needed)
{
	const struct topo_result *r = scenario();
	CHECK_EQ(r->df.received, 0);
	CHECK(r->df.errors >= 1);
	CHECK_EQ(r->df.last_err_type, 3);
	CHECK_EQ(r->df.last_err_code, 4);
	CHECK_EQ(r->df.last_err_mtu, 1280);
	CHECK_EQ(r->df.last_err_from, TERN_IP4(10, 0, 1, 1));
	CHECK(transcript_has(r, "Frag needed and DF set (mtu = 1280)"));
}

TEST(ping_ttl1_time_exceeded)
{
	const struct topo_result *r = scenario();
	CHECK_EQ(r->ttl1.received, 0);
	CHECK(r->ttl1.errors >= 1);
	CHECK_EQ(r->ttl1.last_err_type, 11);
	CHECK_EQ(r->ttl1.last_err_code, 0);
	CHECK_EQ(r->ttl1.last_err_from, TERN_IP4(10, 0, 1, 1));
	CHECK(transcript_has(r, "From 10.0.1.1 icmp_seq=1 Time to live exceeded"));
}

TEST(ping_unresolved_host_unreachable)
{
	const struct topo_result *r = scenario();
	CHECK_EQ(r->unreach.received, 0);
	CHECK(r->unreach.errors >= 1);
	CHECK_EQ(r->unreach.last_err_type, 3);
	CHECK_EQ(r->unreach.last_err_code, 1);
	CHECK_EQ(r->unreach.last_err_from, TERN_IP4(10, 0, 1, 2));
	CHECK(transcript_has(r, "From 10.0.1.2 icmp_seq=1 Destination Host Unreachable"));
}

/* Read a whole file; NULL if it cannot be read. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = n;
	return buf;
}

#define PCAP_GLOBAL_HEADER 24

TEST(same_seed_identical_captures)
{
	const struct topo_result *r = scenario();
	char d1[4096], d2[4096], p1[4200], p2[4200];
	run_dir(d1, sizeof(d1), 1);
	run_dir(d2, sizeof(d2), 2);
	for (size_t i = 0; i < NCAPTURES; i++) {
		size_t n1 = 0, n2 = 0;
		snprintf(p1, sizeof(p1), "%s/%s", d1, capture_files[i]);
		snprintf(p2, sizeof(p2), "%s/%s", d2, capture_files[i]);
		uint8_t *b1 = slurp(p1, &n1), *b2 = slurp(p2, &n2);
		if (!b1 || !b2) {
			TEST_FAIL_("missing capture %s", capture_files[i]);
		} else if (n1 <= PCAP_GLOBAL_HEADER) {
			TEST_FAIL_("capture %s has no packets (%zu bytes)", capture_files[i], n1);
		} else if (n1 != n2 || memcmp(b1, b2, n1) != 0) {
			TEST_FAIL_("captures of %s differ between runs (%zu vs %zu bytes)",
				   capture_files[i], n1, n2);
		}
		free(b1);
		free(b2);
	}
	CHECK_EQ(r->transcript_len, run2.transcript_len);
	if (r->transcript && run2.transcript && r->transcript_len == run2.transcript_len)
		CHECK(memcmp(r->transcript, run2.transcript, r->transcript_len) == 0);
}

TEST_MAIN()
