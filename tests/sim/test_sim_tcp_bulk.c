/*
 * tests/sim/test_sim_tcp_bulk.c — integrity under impairment: a bulk TCP
 * transfer in-process through a link that loses, reorders, duplicates and
 * corrupts 2% of the frames each way, every byte that arrives compared
 * with what was sent (a 65521-byte pattern, so misplaced data shows).
 *
 * TERN_TCP_BULK_MB sets the size (tests/CMakeLists.txt: 1024 in the
 * release build, 64 under the sanitizers).
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
	int lsd = tern_socket(b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in any = {0, 5001}, dst = {TERN_IP4(10, 0, 0, 2), 5001};
	REQUIRE_EQ(tern_bind(b, lsd, &any), 0);
	REQUIRE_EQ(tern_listen(b, lsd, 4), 0);
	tern_socket_set_callback(b, lsd, sim_bulk_on_listener, &x);
	x.csd = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	tern_socket_set_callback(a, x.csd, sim_bulk_on_client, &x);
	CHECK_EQ(tern_connect(a, x.csd, &dst), TERN_EINPROGRESS);
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

TEST_MAIN()
