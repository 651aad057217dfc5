/*
 * tests/sim/test_sim_tcp_bulk.c — integrity under impairment: a bulk TCP
 * transfer in-process through a link that loses, reorders, duplicates and
 * corrupts 2% of the frames each way, every byte that arrives compared
 * with what was sent (a 65521-byte pattern, so misplaced data shows).
 *
 * TERN_TCP_BULK_MB sets the size (tests/CMakeLists.txt: 1024 in the
 * release build, 64 under the sanitizers).
 *
 * Then header prediction (tcp_fastpath.c): the same transfers with
 * net.ipv4.tcp_header_prediction on and off deliver the same bytes (a
 * hash of what arrived) and, the simulator being deterministic, take the
 * same virtual time with the same counters; with it on, most segments
 * are its hits.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim_bulk.h"
#include "tern/sim.h"
#include "tern/socket.h"
#include "tern/stack.h"

TEST(impaired_link_bulk_transfer_is_byte_exact)
{
	const char *mb = getenv("TERN_TCP_BULK_MB");
	struct sim_bulk x = {.total = (uint64_t)(mb ? atoi(mb) : 64) << 20, .ssd = -1};
	struct tern_sim *sim = tern_sim_create(2026);
	REQUIRE(sim);
	struct tern_stack *a = tern_sim_host(sim, "A", NULL);
	struct tern_stack *b = tern_sim_host(sim, "B", NULL);
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(2), .rate_bps = 1000000000ull,
					 .loss = 0.02, .reorder = 0.02, .duplicate = 0.02,
					 .corrupt = 0.02, .jitter = TERN_USEC(200)};
	REQUIRE_EQ(tern_sim_connect(sim, a, "10.0.0.1/24", b, "10.0.0.2/24", &lo, NULL, NULL), 0);
	tern_sim_run_until(sim, TERN_MSEC(100));
	int lsd = sim_bulk_start(a, b, TERN_IP4(10, 0, 0, 2), 0, &x);
	REQUIRE(lsd >= 0);
	CHECK(tern_sim_run_while(sim, sim_bulk_done, &x, TERN_SEC(1000000)));
	CHECK_EQ(x.got, x.total);
	CHECK_EQ(x.bad, 0);
	uint64_t rtx = tern_stack_stat(a, TERN_STAT_TCP_RETRANS_SEGS);
	printf("# %llu MiB through 2%% loss, reordering, duplication and corruption: "
	       "%.1f s of virtual time, %llu retransmissions, %llu timeouts, %llu bad checksums seen\n",
	       (unsigned long long)(x.total >> 20), tern_sim_now(sim) / 1e9, (unsigned long long)rtx,
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_TIMEOUTS),
	       (unsigned long long)(tern_stack_stat(b, TERN_STAT_TCP_BAD_CHECKSUM) +
				    tern_stack_stat(b, TERN_STAT_IP_BAD_CHECKSUM) +
				    tern_stack_stat(a, TERN_STAT_TCP_BAD_CHECKSUM)));
	printf("# SACK recovery: %llu episodes, %llu fast and %llu slow-start retransmissions, "
	       "%llu reorderings, %llu renegings\n",
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_SACK_RECOVERY),
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_FAST_RETRANS),
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_SLOW_START_RETRANS),
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_SACK_REORDER),
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_SACK_RENEGING));
	printf("# RACK-TLP: %llu loss probes (%llu repaired a loss), %llu lost retransmissions found\n",
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_LOSS_PROBES),
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_LOSS_PROBE_RECOVERY),
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_LOST_RETRANSMIT));
	CHECK(rtx > 0);
	/* B's SACK and D-SACK blocks (RFC 2018, RFC 2883), as A's sender
	 * validates them: none discarded, and no more D-SACKs seen than B
	 * sent (some ACKs were lost), but some: the link duplicates. */
	uint64_t dsack_sent = tern_stack_stat(b, TERN_STAT_TCP_DSACK_OLD_SENT) +
			      tern_stack_stat(b, TERN_STAT_TCP_DSACK_OFO_SENT);
	uint64_t dsack_recv = tern_stack_stat(a, TERN_STAT_TCP_DSACK_RECV);
	printf("# D-SACKs: %llu sent by the receiver, %llu seen by the sender\n",
	       (unsigned long long)dsack_sent, (unsigned long long)dsack_recv);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_SACK_DISCARD), 0);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_DSACK_IGNORED), 0);
	CHECK(dsack_recv > 0);
	CHECK(dsack_recv <= dsack_sent);
	tern_close(a, x.csd);
	if (x.ssd >= 0)
		tern_close(b, x.ssd);
	tern_close(b, lsd);
	tern_sim_run_for(sim, TERN_SEC(300));
	struct tern_stack_mem m;
	tern_stack_mem_get(a, &m);
	CHECK_EQ(m.pool_in_use, 0);
	tern_stack_mem_get(b, &m);
	CHECK_EQ(m.pool_in_use, 0);
	tern_sim_destroy(sim);
}

/* ---- header prediction on and off ---- */

struct hp_run {
	uint64_t got, bad, hash;
	tern_time_t end;            /* virtual time at EOF */
	uint64_t stats[2][TERN_STAT__COUNT];
	uint64_t hits, acks;        /* B's TCPHPHits, A's TCPHPAcks */
	uint64_t data_in, acks_in;  /* B's segments in, A's */
};

static bool hp_bulk(const struct tern_sim_link_opts *lo, uint64_t total, bool hp, struct hp_run *out)
{
	struct sim_bulk x = {.total = total, .ssd = -1};
	struct tern_sim *sim = tern_sim_create(2026);
	if (!sim)
		return false;
	struct tern_stack *a = tern_sim_host(sim, "A", NULL);
	struct tern_stack *b = tern_sim_host(sim, "B", NULL);
	const char *v = hp ? "1" : "0";
	CHECK_EQ(tern_sysctl_set(a, "net.ipv4.tcp_header_prediction", v), 0);
	CHECK_EQ(tern_sysctl_set(b, "net.ipv4.tcp_header_prediction", v), 0);
	CHECK_EQ(tern_sim_connect(sim, a, "10.0.0.1/24", b, "10.0.0.2/24", lo, NULL, NULL), 0);
	tern_sim_run_until(sim, TERN_MSEC(100));
	int lsd = sim_bulk_start(a, b, TERN_IP4(10, 0, 0, 2), 0, &x);
	CHECK(lsd >= 0);
	bool done = tern_sim_run_while(sim, sim_bulk_done, &x, TERN_SEC(1000000));
	out->got = x.got;
	out->bad = x.bad;
	out->hash = x.hash;
	out->end = tern_sim_now(sim);
	for (int st = 1; st < TERN_STAT__COUNT; st++) {
		bool hp_stat = st == TERN_STAT_TCP_HP_HITS || st == TERN_STAT_TCP_HP_ACKS;
		out->stats[0][st] = hp_stat ? 0 : tern_stack_stat(a, (enum tern_stat)st);
		out->stats[1][st] = hp_stat ? 0 : tern_stack_stat(b, (enum tern_stat)st);
	}
	out->hits = tern_stack_stat(b, TERN_STAT_TCP_HP_HITS);
	out->acks = tern_stack_stat(a, TERN_STAT_TCP_HP_ACKS);
	out->data_in = tern_stack_stat(b, TERN_STAT_TCP_IN_SEGS);
	out->acks_in = tern_stack_stat(a, TERN_STAT_TCP_IN_SEGS);
	tern_close(a, x.csd);
	if (x.ssd >= 0)
		tern_close(b, x.ssd);
	tern_close(b, lsd);
	tern_sim_run_for(sim, TERN_SEC(300));
	tern_sim_destroy(sim);
	return done;
}

static void hp_compare(const struct tern_sim_link_opts *lo, uint64_t total, const char *what,
		       double min_data, double min_acks)
{
	static struct hp_run on, off;
	const uint8_t *pat = sim_bulk_pattern();
	uint64_t want = SIM_BULK_FNV_INIT;
	for (uint64_t o = 0; o < total;) {
		size_t k = total - o < SIM_BULK_PERIOD ? (size_t)(total - o) : SIM_BULK_PERIOD;
		want = sim_bulk_fnv1a(want, pat + o % SIM_BULK_PERIOD, k);
		o += k;
	}
	CHECK(hp_bulk(lo, total, true, &on));
	CHECK(hp_bulk(lo, total, false, &off));
	CHECK_EQ(on.got, total);
	CHECK_EQ(off.got, total);
	CHECK_EQ(on.bad + off.bad, 0);
	CHECK_EQ(on.hash, want);
	CHECK_EQ(off.hash, want);
	CHECK_EQ(on.end, off.end);
	CHECK(memcmp(on.stats, off.stats, sizeof(on.stats)) == 0);
	CHECK_EQ(off.hits + off.acks, 0);
	printf("# %s, %llu MiB: header prediction took %llu of B's %llu segments (data) and "
	       "%llu of A's %llu (ACKs); %.3f s of virtual time either way\n",
	       what, (unsigned long long)(total >> 20), (unsigned long long)on.hits,
	       (unsigned long long)on.data_in, (unsigned long long)on.acks,
	       (unsigned long long)on.acks_in, on.end / 1e9);
	CHECK(on.hits >= min_data * (double)on.data_in);
	CHECK(on.acks >= min_acks * (double)on.acks_in);
}

TEST(header_prediction_on_off_same_transfer_clean_link)
{
	const char *mb = getenv("TERN_TCP_BULK_MB");
	uint64_t total = (uint64_t)(mb ? atoi(mb) : 64) << 20 >> 4; /* 64 MiB, 4 under sanitizers */
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(2), .rate_bps = 1000000000ull};
	/* (ACKs: the sender fills its own 256 KiB device queue, and the
	 * window reductions that follow take about one ACK in five off
	 * the fast path) */
	hp_compare(&lo, total, "clean link", 0.9, 0.75);
}

TEST(header_prediction_on_off_same_transfer_impaired_link)
{
	const char *mb = getenv("TERN_TCP_BULK_MB");
	uint64_t total = (uint64_t)(mb ? atoi(mb) : 64) << 20 >> 5;
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(2), .rate_bps = 1000000000ull,
					 .loss = 0.02, .reorder = 0.02, .duplicate = 0.02,
					 .corrupt = 0.02, .jitter = TERN_USEC(200)};
	/* (out-of-order data and recovery: the general path. Quick ACKs
	 * after each duplicate keep the sender's window fuller, so a hole is
	 * open at most times: 19 of 1,539 data segments and 11 of 1,502 ACKs
	 * at 2 MiB, where it was 118 and 39 in a transfer 1.7 times longer) */
	hp_compare(&lo, total, "impaired link", 0.01, 0.005);
}

TEST_MAIN()
