/*
 * tests/unit/test_tcp_fastpath.c — header prediction (tcp_fastpath.c):
 * the segments it takes, the ones it must leave to the general path, and
 * that taking them changes nothing. Each scripted exchange runs twice,
 * net.ipv4.tcp_header_prediction on and off: every frame we send (its
 * time and bytes), TCP_INFO and every counter but the two it adds must
 * be identical, and with it on the counters say it was taken.
 */
#include "net/net.h"
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define FIN TERN_TCP_FIN
#define PSH TERN_TCP_PSH

#define MSSP 1448 /* payload of a full segment with timestamps */

static uint8_t payload[64 * 1024];

/* Everything a run showed, in order: frames, TCP_INFO, counters. */
struct rec {
	uint8_t *buf;
	size_t len, cap;
};

static void rec_put(struct rec *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		r->cap = (r->len + n) * 2;
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf)
			abort();
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

/* One run: the fixture, its record, and what the peer has seen of ours. */
struct run {
	struct tfx t;
	struct rec r;
	uint32_t sent_end;  /* highest sequence number we sent, + 1 */
	unsigned frames;
	uint64_t mark[8];   /* counters the script read along the way */
};

/* Take every frame sent so far into the record. */
static void drain(struct run *u)
{
	struct fx_frame *f;
	while ((f = fx_pop(&u->t.fx))) {
		rec_put(&u->r, &f->t, sizeof(f->t));
		rec_put(&u->r, &f->len, sizeof(f->len));
		rec_put(&u->r, f->data, f->len);
		struct fx_pkt p;
		struct tern_tcp_repr th;
		if (!fx_parse(f, &p) && p.is_ip && p.ip.proto == TERN_IPPROTO_TCP &&
		    !tern_tcp_parse(p.l4, p.l4_len, p.ip.src, p.ip.dst, 0, &th)) {
			uint32_t end = th.seq + (uint32_t)th.payload_len + !!(th.flags & FIN);
			if (seq_gt(end, u->sent_end))
				u->sent_end = end;
		}
		u->frames++;
		fx_pkt_free(&p); /* (frees f) */
	}
}

static void in(struct run *u, tern_time_t now, const struct seg *sg)
{
	inject_seg(&u->t, now, sg);
	drain(u);
}
#define PIN(u, now, ...) in((u), (now), &SEG(__VA_ARGS__))

static void advance(struct run *u, tern_time_t now)
{
	fx_advance(&u->t.fx, now);
	drain(u);
}

/* The application reads up to n bytes at `now`. */
static void app_read(struct run *u, tern_time_t now, size_t n)
{
	static uint8_t sink[64 * 1024];
	at_time(&u->t, now);
	while (n) {
		int got = tern_recv(u->t.fx.s, u->t.sd, sink, n < sizeof(sink) ? n : sizeof(sink), 0);
		if (got <= 0)
			break;
		n -= (size_t)got;
	}
	drain(u);
}

static void app_write(struct run *u, tern_time_t now, size_t n)
{
	at_time(&u->t, now);
	CHECK_EQ(tern_send(u->t.fx.s, u->t.sd, payload, n, 0), (int)n);
	drain(u);
}

/* TCP_INFO and the counters (but the fast path's own) into the record. */
static void snapshot(struct run *u)
{
	struct tern_tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	size_t tl = sizeof(ti);
	CHECK_EQ(tern_getsockopt(u->t.fx.s, u->t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &tl), 0);
	rec_put(&u->r, &ti, tl);
	for (int st = 1; st < TERN_STAT__COUNT; st++) {
		if (st == TERN_STAT_TCP_HP_HITS || st == TERN_STAT_TCP_HP_ACKS)
			continue;
		uint64_t v = tern_stack_stat(u->t.fx.s, (enum tern_stat)st);
		rec_put(&u->r, &v, sizeof(v));
	}
}

/* A scripted exchange from ESTABLISHED (timestamps, SACK, WS 7); it
 * snapshots where it likes and at the end. */
typedef void (*script_fn)(struct run *u);

static uint64_t hp_hits, hp_acks;
static uint64_t marks[8]; /* the fast-path run's u->mark */

/* 0: the passive open; else an active one with this SO_RCVBUF. */
static int run_rcvbuf;

/* Run script with the fast path on or off; the caller frees u->r.buf. */
static bool run(struct run *u, bool hp, script_fn script)
{
	memset(u, 0, sizeof(*u));
	tcp_fx_config(&u->t);
	u->t.fx.cfg.tcp_header_prediction = hp;
	u->t.rcvbuf = run_rcvbuf;
	if (run_rcvbuf)
		u->t.our_win = (uint16_t)run_rcvbuf; /* (our ACK of the SYN-ACK: a fixed buffer needs no scale) */
	if (run_rcvbuf ? !tcp_fx_active_established_opt(&u->t, true)
		       : !tcp_fx_passive_established_opt(&u->t, true))
		return false;
	u->sent_end = u->t.us;
	script(u);
	snapshot(u);
	hp_hits = fx_stat(&u->t.fx, "tcp.hp_hits");
	hp_acks = fx_stat(&u->t.fx, "tcp.hp_acks");
	tcp_fx_finish(&u->t);
	return true;
}

/* Both runs; true if they showed the same. *hits, *acks: the run with
 * the fast path on. */
static bool same_both_ways(script_fn script, uint64_t *hits, uint64_t *acks)
{
	struct run *on = calloc(1, sizeof(*on)), *off = calloc(1, sizeof(*off));
	if (!on || !off)
		abort();
	bool ok = run(on, true, script);
	*hits = hp_hits;
	*acks = hp_acks;
	memcpy(marks, on->mark, sizeof(marks));
	ok = run(off, false, script) && ok;
	CHECK_EQ(hp_hits, 0);
	CHECK_EQ(hp_acks, 0);
	CHECK(on->frames > 0);
	CHECK_EQ(on->frames, off->frames);
	CHECK_EQ(on->r.len, off->r.len);
	bool same = ok && on->r.len == off->r.len && memcmp(on->r.buf, off->r.buf, on->r.len) == 0;
	if (!same && on->r.len == off->r.len) {
		size_t i = 0;
		while (i < on->r.len && on->r.buf[i] == off->r.buf[i])
			i++;
		fprintf(stderr, "  records differ at byte %zu of %zu\n", i, on->r.len);
	}
	free(on->r.buf);
	free(off->r.buf);
	free(on);
	free(off);
	return same;
}

/* ---- exact segments: the fast path taken ---- */

/* In-order data with timestamps: taken (TCPHPHits), ACKed every second
 * full segment and, after one, by the delayed-ACK timer; TS.Recent is the
 * newest TSval at or below the last ACK (RFC 7323 §4.3): the ACK at 120
 * ms echoes the TSval of the segment at 110 ms. */
TEST(hp__in_order_data__taken_and_acked_as_before)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established_opt(&t, true));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload, .len = MSSP);
	uint32_t ts_first = t.peer_ts;
	expect_no_seg(&t, T_MS(100));
	IN(&t, T_MS(101), .seq = t.peer + MSSP, .ack = t.us, .flags = ACK | PSH, .data = payload + MSSP,
	   .len = MSSP);
	t.peer += 2 * MSSP;
	/* The ACK echoes the TSval of the first unacknowledged segment. */
	t.peer_ts = ts_first;
	OUT(&t, T_MS(101), .seq = t.us, .ack = t.peer, .flags = ACK, W((T_RCV_CAP - 2 * MSSP) >> 7));
	CHECK_EQ(fx_stat(&t.fx, "tcp.hp_hits"), 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.hp_acks"), 0);
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload, .len = 100);
	t.peer += 100;
	OUT(&t, T_MS(110) + t.fx.cfg.tcp_delack, .seq = t.us, .ack = t.peer, .flags = ACK,
	    W((T_RCV_CAP - 2 * MSSP - 100) >> 7));
	CHECK_EQ(fx_stat(&t.fx, "tcp.hp_hits"), 3);
	CHECK_EQ(fx_stat(&t.fx, "tcp.delayed_acks"), 1);
	/* The application sees all of it. */
	uint8_t buf[4096];
	at_time(&t, T_MS(200));
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), 2 * MSSP + 100);
	CHECK(memcmp(buf, payload, 2 * MSSP) == 0 && memcmp(buf + 2 * MSSP, payload, 100) == 0);
	tcp_fx_finish(&t);
}

/* A pure ACK of new data: taken (TCPHPAcks); SND.UNA moves, an RTT
 * sample is taken from TSecr (RFC 7323 §4.1), cwnd grows and the data
 * waiting behind the window goes out. */
TEST(hp__pure_ack__taken_window_opens)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established_opt(&t, true));
	SEND(&t, T_MS(100), payload, 12 * MSSP);
	for (int i = 0; i < 10; i++) /* the initial window: 10 segments */
		OUT(&t, T_MS(100), .seq = t.us + (uint32_t)i * MSSP, .ack = t.peer, .flags = ACK,
		    .data = payload + i * MSSP, .len = MSSP);
	expect_no_seg(&t, T_MS(100));
	struct tern_tcb *tp = tfx_tcb(&t);
	uint32_t cwnd = tp->snd_cwnd;
	/* (before the tail loss probe, due at 2 SRTT: 120 ms) */
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us + 2 * MSSP, .flags = ACK, .ts = true,
	   .tsval = peer_tsval(&t, T_MS(110)), .tsecr = our_tsval(&t, T_MS(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.hp_acks"), 1);
	CHECK_EQ(tp->snd_una, t.us + 2 * MSSP);
	CHECK_EQ(tp->srtt, T_MS(10)); /* the handshake's 10 ms, and this one's */
	CHECK(tp->snd_cwnd > cwnd);
	OUT(&t, T_MS(110), .seq = t.us + 10 * MSSP, .ack = t.peer, .flags = ACK,
	    .data = payload + 10 * MSSP, .len = MSSP);
	OUT(&t, T_MS(110), .seq = t.us + 11 * MSSP, .ack = t.peer, .flags = ACK | PSH, .psh = true,
	    .data = payload + 11 * MSSP, .len = MSSP);
	IN(&t, T_MS(125), .seq = t.peer, .ack = t.us + 12 * MSSP, .flags = ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.hp_acks"), 2);
	CHECK_EQ(tp->snd_una, t.us + 12 * MSSP);
	t.us += 12 * MSSP;
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.1: a segment whose checksum fails is dropped. One that is
 * otherwise the predicted in-order segment is counted (tcp.bad_checksum),
 * neither acknowledged nor delivered, and the fast path never sees it;
 * the same segment intact is then taken. */
TEST(hp__bad_checksum_in_order__dropped_not_delivered)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established_opt(&t, true));
	fx_pattern(payload, sizeof(payload), 4);
	uint8_t *f = malloc(FX_FRAME_MAX);
	REQUIRE(f);
	struct seg sg = {.seq = t.peer, .ack = t.us, .flags = ACK | PSH, .data = payload, .len = 1000};
	size_t n = fxb_tcp(&t, f, T_MS(100), &sg);
	f[n - 500] ^= 0x10; /* a payload bit */
	fx_inject(&t.fx, 0, T_MS(100), f, n);
	free(f);
	CHECK_EQ(fx_stat(&t.fx, "tcp.bad_checksum"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.hp_hits"), 0);
	expect_no_seg(&t, T_MS(400));
	uint8_t buf[2048];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), TERN_EAGAIN);
	CHECK_EQ(tfx_tcb(&t)->rcv_nxt, t.peer);
	CHECK_EQ(t.fx.s->budget.sock_rx.used, 0);
	/* intact: taken, delivered, acknowledged */
	IN(&t, T_MS(500), .seq = t.peer, .ack = t.us, .flags = ACK | PSH, .data = payload, .len = 1000);
	t.peer += 1000;
	CHECK_EQ(fx_stat(&t.fx, "tcp.hp_hits"), 1);
	OUT(&t, T_MS(500) + t.fx.cfg.tcp_delack, .seq = t.us, .ack = t.peer, .flags = ACK,
	    W((T_RCV_CAP - 1000) >> 7));
	at_time(&t, T_MS(600));
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), 1000);
	CHECK(memcmp(buf, payload, 1000) == 0);
	tcp_fx_finish(&t);
}

/* A looped-back segment was summed as it was built and never left
 * memory: it is marked csum_ok and not verified again (as Linux's lo).
 * Shown by spoiling a payload byte of one waiting on the loopback queue:
 * marked, it is delivered as it is; unmarked, its checksum fails. */
static int lo_pair(struct tfx *t, int *cli, int *srv)
{
	struct tern_stack *s = t->fx.s;
	int l = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in a = sa(TERN_IP4(127, 0, 0, 1), 7000);
	if (l < 0 || tern_bind(s, l, &a) || tern_listen(s, l, 4))
		return -1;
	*cli = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (*cli < 0 || tern_connect(s, *cli, &a) != TERN_EINPROGRESS)
		return -1;
	fx_advance(&t->fx, tern_stack_now(s) + T_MS(1));
	*srv = tern_accept(s, l, NULL);
	return *srv >= 0 ? l : -1;
}

TEST(loopback__segment_not_verified_again)
{
	for (int marked = 1; marked >= 0; marked--) {
		struct tfx t;
		tcp_fx_config(&t);
		tcp_fx_start(&t);
		struct tern_stack *s = t.fx.s;
		int cli, srv;
		REQUIRE(lo_pair(&t, &cli, &srv) >= 0);
		fx_pattern(payload, 1000, 2);
		REQUIRE_EQ(tern_send(s, cli, payload, 1000, 0), 1000);
		struct tern_pkt *p = s->net->loopback.head; /* the data segment, not yet received */
		REQUIRE(p && p->len > 1000 && p->csum_ok);
		p->buf[p->head + p->len - 1] ^= 0x01;
		p->csum_ok = (uint8_t)marked;
		fx_advance(&t.fx, tern_stack_now(s) + T_MS(1));
		uint8_t buf[2000];
		int n = tern_recv(s, srv, buf, sizeof(buf), 0);
		if (marked) {
			CHECK_EQ(n, 1000);
			CHECK_EQ(buf[999], payload[999] ^ 0x01);
			CHECK_EQ(fx_stat(&t.fx, "tcp.bad_checksum"), 0);
		} else {
			CHECK_EQ(n, TERN_EAGAIN);
			CHECK_EQ(fx_stat(&t.fx, "tcp.bad_checksum"), 1);
		}
		tcp_fx_finish(&t);
	}
}

/* ---- the same both ways ---- */

/* The peer sends 40 full segments (every fifth with PSH) 1 ms apart; the
 * application reads now and then; then the peer's FIN. */
static void script_bulk_in(struct run *u)
{
	uint32_t seq = u->t.peer;
	tern_time_t now = T_MS(100);
	for (int i = 0; i < 40; i++, now += T_MS(1)) {
		PIN(u, now, .seq = seq, .ack = u->t.us, .flags = (uint8_t)(ACK | (i % 5 == 4 ? PSH : 0)),
		    .data = payload + (size_t)i * MSSP % 32768, .len = MSSP);
		seq += MSSP;
		if (i % 7 == 6)
			app_read(u, now + TERN_USEC(500), 5 * MSSP);
		if (i == 20)
			snapshot(u);
	}
	advance(u, now + T_MS(100));
	app_read(u, now + T_MS(100), sizeof(payload));
	PIN(u, now + T_MS(200), .seq = seq, .ack = u->t.us, .flags = ACK | FIN);
	u->t.peer = seq + 1;
	advance(u, now + T_MS(300));
}

TEST(hp__bulk_in__same_segments_on_and_off)
{
	fx_pattern(payload, sizeof(payload), 5);
	uint64_t hits, acks;
	CHECK(same_both_ways(script_bulk_in, &hits, &acks));
	CHECK_EQ(hits, 40);
	CHECK_EQ(acks, 0);
}

/* We send 48 KB; the peer ACKs every second segment as it arrives (its
 * window shrinking as it would, then opening), RTT 20 ms; new data
 * follows each ACK. */
static void script_bulk_out(struct run *u)
{
	fx_pattern(payload, sizeof(payload), 6);
	app_write(u, T_MS(100), 48 * 1024);
	uint32_t acked = u->t.us, end = u->t.us + 48 * 1024;
	tern_time_t now = T_MS(120);
	uint16_t win = T_PEER_WIN;
	for (int guard = 0; seq_lt(acked, end) && guard < 200; guard++, now += T_MS(1)) {
		uint32_t next = acked + 2 * MSSP;
		if (seq_gt(next, u->sent_end))
			next = u->sent_end;
		if (next == acked) {
			advance(u, now + T_MS(20));
			continue;
		}
		acked = next;
		win = (uint16_t)(guard < 10 ? win - 11 : win + 3);
		PIN(u, now, .seq = u->t.peer, .ack = acked, .flags = ACK, W(win));
		if (guard == 8)
			snapshot(u);
	}
	u->t.us = end;
	advance(u, now + T_MS(100));
}

TEST(hp__bulk_out__same_segments_on_and_off)
{
	uint64_t hits, acks;
	CHECK(same_both_ways(script_bulk_out, &hits, &acks));
	CHECK_EQ(hits, 0);
	CHECK(acks >= 15);
}

/* What must not take the fast path, amid what may: a segment out of
 * order, the one that fills the hole, a duplicate, data with FIN. Each
 * leaves the counters where they were. */
static void script_receive_edges(struct run *u)
{
	fx_pattern(payload, sizeof(payload), 7);
	uint32_t p = u->t.peer;
	struct tern_stack *s = u->t.fx.s;
	PIN(u, T_MS(100), .seq = p, .ack = u->t.us, .flags = ACK, .data = payload, .len = MSSP);
	u->mark[0] = tern_stack_stat(s, TERN_STAT_TCP_HP_HITS);
	/* out of order: an immediate ACK with a SACK block */
	PIN(u, T_MS(101), .seq = p + 2 * MSSP, .ack = u->t.us, .flags = ACK, .data = payload + 2 * MSSP,
	    .len = MSSP);
	u->mark[1] = tern_stack_stat(s, TERN_STAT_TCP_HP_HITS);
	/* in order, but something is held out of order: the general path */
	PIN(u, T_MS(102), .seq = p + MSSP, .ack = u->t.us, .flags = ACK, .data = payload + MSSP,
	    .len = MSSP);
	u->mark[2] = tern_stack_stat(s, TERN_STAT_TCP_HP_HITS);
	/* a duplicate of what arrived (D-SACK) */
	PIN(u, T_MS(103), .seq = p, .ack = u->t.us, .flags = ACK, .data = payload, .len = MSSP);
	u->mark[3] = tern_stack_stat(s, TERN_STAT_TCP_HP_HITS);
	/* in order again: the fast path */
	PIN(u, T_MS(104), .seq = p + 3 * MSSP, .ack = u->t.us, .flags = ACK, .data = payload + 3 * MSSP,
	    .len = MSSP);
	u->mark[4] = tern_stack_stat(s, TERN_STAT_TCP_HP_HITS);
	snapshot(u);
	/* an old TSval (PAWS): dropped, answered by the general path */
	PIN(u, T_MS(105), .seq = p + 4 * MSSP, .ack = u->t.us, .flags = ACK, .data = payload, .len = 10,
	    .ts = true, .tsval = 1, .tsecr = our_tsval(&u->t, T_MS(100)));
	u->mark[5] = tern_stack_stat(s, TERN_STAT_TCP_HP_HITS);
	/* data with FIN */
	PIN(u, T_MS(106), .seq = p + 4 * MSSP, .ack = u->t.us, .flags = ACK | FIN | PSH,
	    .data = payload + 4 * MSSP, .len = 500);
	u->mark[6] = tern_stack_stat(s, TERN_STAT_TCP_HP_HITS);
	u->mark[7] = tern_stack_stat(s, TERN_STAT_TCP_PAWS_DROP);
	u->t.peer = p + 4 * MSSP + 501;
	app_read(u, T_MS(150), sizeof(payload));
	advance(u, T_MS(400));
}

TEST(hp__receive_edges__general_path_same_on_and_off)
{
	uint64_t hits, acks;
	CHECK(same_both_ways(script_receive_edges, &hits, &acks));
	CHECK_EQ(marks[0], 1);
	CHECK_EQ(marks[1], 1); /* out of order */
	CHECK_EQ(marks[2], 1); /* fills the hole */
	CHECK_EQ(marks[3], 1); /* duplicate */
	CHECK_EQ(marks[4], 2);
	CHECK_EQ(marks[5], 2); /* PAWS */
	CHECK_EQ(marks[6], 2); /* FIN */
	CHECK_EQ(marks[7], 1);
	CHECK_EQ(hits, 2);
}

/* The sender's side: ACKs that change the window and carry SACK blocks,
 * duplicate ACKs into SACK recovery (RFC 6675), partial and full ACKs in
 * it: none taken while the recovery lasts; afterwards the fast path
 * again. */
static void script_recovery(struct run *u)
{
	fx_pattern(payload, sizeof(payload), 8);
	struct tern_stack *s = u->t.fx.s;
	uint32_t us = u->t.us, p = u->t.peer;
	app_write(u, T_MS(100), 20 * MSSP);
	/* the first two segments acknowledged: taken */
	PIN(u, T_MS(120), .seq = p, .ack = us + 2 * MSSP, .flags = ACK);
	u->mark[0] = tern_stack_stat(s, TERN_STAT_TCP_HP_ACKS);
	/* segment 3 lost: duplicate ACKs with SACK blocks (and a window change) */
	for (int i = 0; i < 4; i++) {
		PIN(u, T_MS(121) + i * TERN_USEC(100), .seq = p, .ack = us + 2 * MSSP, .flags = ACK,
		    W((uint16_t)(T_PEER_WIN - i)),
		    .sack = {{us + 3 * MSSP, us + (uint32_t)(4 + i) * MSSP}});
	}
	u->mark[1] = tern_stack_stat(s, TERN_STAT_TCP_HP_ACKS);
	u->mark[5] = tern_stack_stat(s, TERN_STAT_TCP_SACK_RECOVERY);
	snapshot(u);
	/* a partial ACK without SACK blocks, during recovery */
	PIN(u, T_MS(140), .seq = p, .ack = us + 3 * MSSP, .flags = ACK, W(T_PEER_WIN - 3));
	u->mark[2] = tern_stack_stat(s, TERN_STAT_TCP_HP_ACKS);
	/* everything sent so far: recovery ends (the general path) */
	advance(u, T_MS(141));
	PIN(u, T_MS(160), .seq = p, .ack = u->sent_end, .flags = ACK, W(T_PEER_WIN - 3));
	u->mark[3] = tern_stack_stat(s, TERN_STAT_TCP_HP_ACKS);
	/* the rest, ACKed as it goes: the fast path once more */
	for (int i = 0; i < 20 && seq_lt(u->sent_end, us + 20 * MSSP + 1); i++) {
		advance(u, T_MS(170) + i * T_MS(10));
		PIN(u, T_MS(175) + i * T_MS(10), .seq = p, .ack = u->sent_end, .flags = ACK,
		    W(T_PEER_WIN - 3));
	}
	u->mark[4] = tern_stack_stat(s, TERN_STAT_TCP_HP_ACKS);
	u->t.us = u->sent_end;
	advance(u, T_MS(600));
}

TEST(hp__sack_recovery__general_path_same_on_and_off)
{
	uint64_t hits, acks;
	CHECK(same_both_ways(script_recovery, &hits, &acks));
	CHECK_EQ(marks[0], 1);
	CHECK_EQ(marks[1], 1); /* SACK blocks, duplicates */
	CHECK_EQ(marks[2], 1); /* in recovery */
	CHECK_EQ(marks[3], 1); /* ends it */
	CHECK(marks[4] > marks[3]);
	CHECK_EQ(marks[5], 1); /* (recovery was entered) */
	CHECK_EQ(hits, 0);
}

/* A small SO_RCVBUF: in-order segments within the window the buffer's
 * true-size charge refuses (tcp.rcvbuf_drop) are dropped and answered at
 * once, the same from the fast path as from the general one. */
static void script_rcvbuf_full(struct run *u)
{
	fx_pattern(payload, sizeof(payload), 10);
	uint32_t p = u->t.peer;
	struct tern_stack *s = u->t.fx.s;
	/* Small segments: each is charged a whole buffer, so the charge
	 * runs out long before the window does. */
	for (int i = 0; i < 20; i++)
		PIN(u, T_MS(100) + i * T_MS(1), .seq = p + (uint32_t)i * 100, .ack = u->t.us,
		    .flags = ACK, .data = payload + i * 100, .len = 100);
	u->mark[0] = tern_stack_stat(s, TERN_STAT_TCP_RCVBUF_DROP);
	snapshot(u);
	app_read(u, T_MS(200), sizeof(payload));
	uint32_t got = tfx_tcb(&u->t)->rcv_nxt;
	PIN(u, T_MS(210), .seq = got, .ack = u->t.us, .flags = ACK, .data = payload, .len = MSSP);
	u->t.peer = got + MSSP;
	app_read(u, T_MS(220), sizeof(payload));
	advance(u, T_MS(500));
}

TEST(hp__receive_buffer_full__same_on_and_off)
{
	uint64_t hits, acks;
	run_rcvbuf = 8192;
	CHECK(same_both_ways(script_rcvbuf_full, &hits, &acks));
	run_rcvbuf = 0;
	CHECK(marks[0] > 0); /* (the buffer did refuse some) */
	CHECK(hits > 0);
}

/* Without timestamps the layout is a bare 20-byte header: still taken;
 * a segment with timestamps on such a connection is not. */
static void script_no_ts(struct run *u)
{
	fx_pattern(payload, sizeof(payload), 9);
	uint32_t p = u->t.peer;
	for (int i = 0; i < 6; i++)
		PIN(u, T_MS(100) + i * T_MS(1), .seq = p + (uint32_t)i * 1460, .ack = u->t.us,
		    .flags = ACK, .data = payload + i * 1460, .len = 1460);
	PIN(u, T_MS(110), .seq = p + 6 * 1460, .ack = u->t.us, .flags = ACK, .data = payload, .len = 1,
	    .ts = true, .tsval = 5, .tsecr = 0);
	u->t.peer = p + 6 * 1460 + 1;
	app_write(u, T_MS(120), 3000);
	PIN(u, T_MS(140), .seq = u->t.peer, .ack = u->sent_end, .flags = ACK);
	u->t.us = u->sent_end;
	app_read(u, T_MS(150), sizeof(payload));
	advance(u, T_MS(400));
}

static bool run_no_ts(struct run *u, bool hp)
{
	memset(u, 0, sizeof(*u));
	tcp_fx_config(&u->t);
	u->t.fx.cfg.tcp_header_prediction = hp;
	if (!tcp_fx_passive_established_opt(&u->t, false))
		return false;
	u->sent_end = u->t.us;
	script_no_ts(u);
	snapshot(u);
	hp_hits = fx_stat(&u->t.fx, "tcp.hp_hits");
	hp_acks = fx_stat(&u->t.fx, "tcp.hp_acks");
	tcp_fx_finish(&u->t);
	return true;
}

TEST(hp__no_timestamps__same_on_and_off)
{
	struct run *on = calloc(1, sizeof(*on)), *off = calloc(1, sizeof(*off));
	REQUIRE(on && off);
	REQUIRE(run_no_ts(on, true));
	CHECK_EQ(hp_hits, 6);
	CHECK_EQ(hp_acks, 1);
	REQUIRE(run_no_ts(off, false));
	CHECK_EQ(hp_hits + hp_acks, 0);
	CHECK_EQ(on->r.len, off->r.len);
	CHECK(on->r.len == off->r.len && memcmp(on->r.buf, off->r.buf, on->r.len) == 0);
	free(on->r.buf);
	free(off->r.buf);
	free(on);
	free(off);
}

/* The sysctl reads and sets as a boolean. */
TEST(hp__sysctl)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	char buf[16];
	REQUIRE(tern_sysctl_get(t.fx.s, "net.ipv4.tcp_header_prediction", buf, sizeof(buf)) > 0);
	CHECK(strncmp(buf, "1", 1) == 0);
	CHECK_EQ(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_header_prediction", "0"), 0);
	CHECK(!t.fx.s->cfg->tcp_header_prediction);
	CHECK_EQ(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_header_prediction", "2"), TERN_EINVAL);
	tcp_fx_finish(&t);
}
TEST_MAIN()
