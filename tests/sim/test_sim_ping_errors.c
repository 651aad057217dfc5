/*
 * tests/sim/test_sim_ping_errors.c — ping's report of an ICMP error that
 * no tern router produces: host B answers A's echo requests and also
 * sends a parameter problem (pointer 20) quoting each one, as a host
 * rejecting an IP option would. A's ping prints iputils' line for it.
 */
#include "harness.h"
#include "sim_pair.h"

#include <stdlib.h>

#include "wire/checksum.h"
#include "tern/apps.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define A_IP TERN_IP4(10, 0, 0, 1)
#define B_IP TERN_IP4(10, 0, 0, 2)

/* B's ICMP listener: for each echo request, a parameter problem back. */
static void complain(void *ctx, struct tern_stack *s, const struct tern_icmp_msg *m,
		     tern_time_t now)
{
	(void)ctx;
	if (m->type != TERN_ICMP_ECHO)
		return;
	uint8_t msg[8 + 28] = {TERN_ICMP_PARAM_PROBLEM, 0, 0, 0, 20};
	uint8_t *q = msg + 8; /* the quoted request: IP header, echo header */
	q[0] = 0x45;
	wr16(q + 2, (uint16_t)(20 + 8 + m->data_len));
	q[8] = 64;
	q[9] = TERN_IPPROTO_ICMP;
	wr32(q + 12, m->src);
	wr32(q + 16, m->dst);
	wr16(q + 10, tern_csum(q, 20));
	q[20] = TERN_ICMP_ECHO;
	wr16(q + 24, m->id);
	wr16(q + 26, m->seq);
	wr16(msg + 2, tern_csum(msg, sizeof(msg)));
	struct tern_ip_send ip = {.dst = m->src, .proto = TERN_IPPROTO_ICMP};
	tern_ip_send_raw(s, &ip, msg, sizeof(msg), now);
}

static bool ping_done(void *p)
{
	return tern_ping_done(p);
}

TEST(ping_reports_parameter_problem_pointer)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(21, &a, &b);
	REQUIRE(sim);
	REQUIRE(tern_icmp_listen(b, complain, NULL) >= 0);

	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	REQUIRE(f);
	struct tern_ping_opts o;
	tern_ping_opts_init(&o);
	o.dst = B_IP;
	o.count = 1;
	o.ident = 0x1234;
	int err = 0;
	struct tern_ping *p = tern_ping_start(a, &o, f, tern_sim_now(sim), &err);
	REQUIRE(p);
	CHECK(tern_sim_run_while(sim, ping_done, p, tern_sim_now(sim) + TERN_SEC(5)));
	struct tern_ping_stats st;
	tern_ping_get_stats(p, &st);
	tern_ping_finish(p, tern_sim_now(sim));
	fclose(f);
	CHECK_EQ(st.last_err_type, TERN_ICMP_PARAM_PROBLEM);
	CHECK_EQ(st.last_err_from, B_IP);
	CHECK(out && strstr(out, "From 10.0.0.2 icmp_seq=1 Parameter problem: pointer = 20\n"));
	free(out);
	tern_sim_destroy(sim);
}

TEST_MAIN()
