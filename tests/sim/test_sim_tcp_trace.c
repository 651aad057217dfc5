/*
 * tests/sim/test_sim_tcp_trace.c — what the trace hook (tern_tcp_set_trace)
 * shows of a bulk transfer: slow start, cwnd doubling every round trip
 * (RFC 5681 §3.1, one segment per ACK, the receiver acknowledging every
 * segment), then after a loss congestion avoidance, about one segment per
 * round trip. (Seed 1: the first loss comes 500 ms in.) A 10 ms link each way without a rate (no queue: every RTT is
 * 20 ms), seeded random loss of 0.1% per frame, 8 MB from A to B, whose
 * receive buffer is not auto-tuned.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tern/sim.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tern/tcp.h"

#define RTT TERN_MSEC(20)
#define MSS 1448u /* 1460 less the timestamp option */
#define TOTAL (8u << 20)

struct trace {
	struct tern_tcp_trace_event *ev;
	size_t n, cap;
};

static void record(void *ctx, struct tern_stack *s, const struct tern_tcp_trace_event *ev)
{
	(void)s;
	struct trace *t = ctx;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4096;
		void *p = realloc(t->ev, cap * sizeof(*t->ev));
		if (!p)
			abort();
		t->ev = p;
		t->cap = cap;
	}
	t->ev[t->n++] = *ev;
}

/* cwnd as the last event at or before `at` reported it. */
static uint32_t cwnd_at(const struct trace *t, tern_time_t at)
{
	uint32_t c = 0;
	for (size_t i = 0; i < t->n && t->ev[i].time <= at; i++)
		c = t->ev[i].cwnd;
	return c;
}

/* SND.WND as the last event at or before `at` reported it. */
static uint32_t wnd_at(const struct trace *t, tern_time_t at)
{
	uint32_t w = 0;
	for (size_t i = 0; i < t->n && t->ev[i].time <= at; i++)
		w = t->ev[i].window;
	return w;
}

struct bulk {
	struct tern_stack *a, *b;
	int lsd, csd, ssd;
	size_t sent, got;
	bool eof, shut;
};

static bool pump(void *ctx)
{
	struct bulk *x = ctx;
	static uint8_t buf[65536];
	if (x->ssd < 0 && (x->ssd = tern_accept(x->b, x->lsd, NULL)) >= 0) {
		int one = 1; /* TCP_QUICKACK stays set in tern: an ACK per segment */
		tern_setsockopt(x->b, x->ssd, TERN_IPPROTO_TCP, TERN_TCP_QUICKACK, &one, sizeof(one));
	}
	while (x->sent < TOTAL) {
		size_t k = TOTAL - x->sent < sizeof(buf) ? TOTAL - x->sent : sizeof(buf);
		int r = tern_send(x->a, x->csd, buf, k, 0);
		if (r <= 0)
			break;
		x->sent += (size_t)r;
	}
	if (x->sent == TOTAL && !x->shut)
		x->shut = tern_shutdown(x->a, x->csd, TERN_SHUT_WR) == 0;
	while (x->ssd >= 0 && !x->eof) {
		int r = tern_recv(x->b, x->ssd, buf, sizeof(buf), 0);
		if (r == 0)
			x->eof = true;
		if (r <= 0)
			break;
		x->got += (size_t)r;
	}
	return x->eof;
}

/* The transfer, traced on A (the sender). */
static void bulk_run(struct trace *tr, size_t *got)
{
	struct tern_sim *sim = tern_sim_create(1);
	REQUIRE(sim);
	struct bulk x = {.ssd = -1};
	x.a = tern_sim_host(sim, "A", NULL);
	x.b = tern_sim_host(sim, "B", NULL);
	/* B's receive buffer stays at tcp_rmem[1] (no auto-tuning): its
	 * 104 KiB window keeps the losses few and far apart. */
	REQUIRE_EQ(tern_sysctl_set(x.b, "net.ipv4.tcp_moderate_rcvbuf", "0"), 0);
	struct tern_sim_link_opts lo = {.delay = RTT / 2, .loss = 0.001};
	REQUIRE_EQ(tern_sim_connect(sim, x.a, "10.0.0.1/24", x.b, "10.0.0.2/24", &lo, NULL, NULL), 0);
	tern_sim_run_until(sim, TERN_MSEC(100));
	REQUIRE_EQ(tern_tcp_set_trace(x.a, -1, record, tr), 0);
	x.lsd = tern_socket(x.b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in any = {0, 5001}, dst = {TERN_IP4(10, 0, 0, 2), 5001};
	REQUIRE(x.lsd >= 0 && tern_bind(x.b, x.lsd, &any) == 0 && tern_listen(x.b, x.lsd, 8) == 0);
	x.csd = tern_socket(x.a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	/* NewReno's arithmetic is what this test is about (CUBIC is the
	 * default: tests/unit/test_tcp_cubic.c has its curve). */
	REQUIRE_EQ(tern_setsockopt(x.a, x.csd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, "reno", 4), 0);
	REQUIRE_EQ(tern_connect(x.a, x.csd, &dst), TERN_EINPROGRESS);
	REQUIRE(tern_sim_run_while(sim, pump, &x, TERN_SEC(120)));
	*got = x.got;
	REQUIRE_EQ(tern_tcp_set_trace(x.a, -1, NULL, NULL), 0);
	tern_sim_destroy(sim);
}

TEST(bulk_trace__slow_start_doubles_then_congestion_avoidance_adds_one_segment)
{
	struct trace tr = {0};
	size_t got = 0;
	bulk_run(&tr, &got);
	CHECK_EQ(got, TOTAL);
	/* Deterministic: the same seed, the same events. */
	struct trace again = {0};
	bulk_run(&again, &got);
	CHECK_EQ(again.n, tr.n);
	size_t differ = 0;
	for (size_t i = 0; i < tr.n && i < again.n; i++) {
		const struct tern_tcp_trace_event *p = &tr.ev[i], *q = &again.ev[i];
		differ += p->time != q->time || p->kind != q->kind || p->seq != q->seq ||
			  p->len != q->len || p->ack != q->ack || p->cwnd != q->cwnd ||
			  p->ssthresh != q->ssthresh || p->srtt != q->srtt || p->window != q->window ||
			  p->state != q->state || p->snd_una != q->snd_una;
	}
	CHECK_EQ(differ, 0);
	free(again.ev);

	/* The rounds: the first data segment leaves at t0; its ACK and every
	 * later round's arrive at t0 + k·RTT, all at one instant (no queue),
	 * so cwnd sampled half way between rounds is that round's. */
	tern_time_t t0 = -1, loss = -1, last_rexmit = -1;
	uint32_t wnd = 0;
	size_t sends = 0, rexmits = 0;
	for (size_t i = 0; i < tr.n; i++) {
		const struct tern_tcp_trace_event *e = &tr.ev[i];
		if (e->kind == TERN_TCP_TRACE_SEND && e->len && t0 < 0) {
			t0 = e->time;
			wnd = e->window;
		}
		if (e->kind == TERN_TCP_TRACE_SEND && e->len)
			sends++;
		if (e->kind == TERN_TCP_TRACE_SSTHRESH && loss < 0)
			loss = e->time;
		if (e->kind == TERN_TCP_TRACE_RETRANSMIT) {
			rexmits++;
			last_rexmit = e->time;
		}
	}
	REQUIRE(t0 > 0 && loss > t0 && wnd > 0);
	CHECK(sends > TOTAL / MSS);
	CHECK(rexmits > 0);
	/* Slow start: IW10 (RFC 6928), then twice the last round's while the
	 * window it starts from fits in what the receiver offers (SND.WND:
	 * 64 KiB in the SYN-ACK, then B's 104 KiB). */
	CHECK_EQ(cwnd_at(&tr, t0 + RTT / 2), 10 * MSS);
	unsigned doublings = 0;
	for (tern_time_t at = t0 + RTT / 2; at + RTT < loss; at += RTT) {
		uint32_t c0 = cwnd_at(&tr, at), c1 = cwnd_at(&tr, at + RTT);
		if (c0 > wnd_at(&tr, at))
			break;
		if (c1 > 2 * c0 || c1 + 2 * MSS < 2 * c0) /* (a lost ACK grows it less) */
			TEST_FAIL_("slow start: cwnd %u then %u one RTT later (at %lld ms)", c0, c1,
				   (long long)(at / TERN_MSEC(1)));
		doublings++;
	}
	CHECK(doublings >= 3);
	/* Congestion avoidance: the longest stretch without a loss signal or a
	 * resend that starts two RTTs after the last one; cwnd above ssthresh
	 * and below the receiver's window gains one MSS per RTT (RFC 5681
	 * eq. 3: SMSS·SMSS/cwnd per ACK), never twice that. */
	tern_time_t best_from = 0, best_to = 0, quiet = -1;
	for (size_t i = 0; i <= tr.n; i++) {
		const struct tern_tcp_trace_event *e = i < tr.n ? &tr.ev[i] : NULL;
		bool signal = !e || e->kind == TERN_TCP_TRACE_SSTHRESH ||
			      e->kind == TERN_TCP_TRACE_RETRANSMIT;
		if (e && e->time < loss)
			continue;
		if (!signal)
			continue;
		tern_time_t end = e ? e->time : tr.ev[tr.n - 1].time;
		if (quiet >= 0 && end - quiet > best_to - best_from) {
			best_from = quiet;
			best_to = end;
		}
		quiet = e ? e->time + 2 * RTT : -1;
	}
	CHECK(best_to - best_from >= 6 * RTT);
	unsigned rounds = 0;
	for (tern_time_t at = best_from; at + RTT <= best_to; at += RTT) {
		uint32_t c0 = cwnd_at(&tr, at), c1 = cwnd_at(&tr, at + RTT);
		if (c1 > wnd_at(&tr, at))
			break;
		uint32_t gain = c1 - c0;
		if (c1 < c0 || gain < MSS / 2 || gain > 3 * MSS / 2)
			TEST_FAIL_("congestion avoidance: cwnd %u then %u one RTT later (at %lld ms)", c0,
				   c1, (long long)(at / TERN_MSEC(1)));
		rounds++;
	}
	CHECK(rounds >= 5);
	printf("# slow start: %u doublings from 10 segments; congestion avoidance: %u rounds "
	       "of +1 MSS from %lld ms; %zu segments, %zu resent, last at %lld ms\n",
	       doublings, rounds, (long long)((best_from - t0) / TERN_MSEC(1)), sends, rexmits,
	       (long long)((last_rexmit - t0) / TERN_MSEC(1)));
	free(tr.ev);
}

TEST_MAIN()
