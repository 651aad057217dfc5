/*
 * tests/unit/tcp_fixture.h — segment-level TCP tests (TCP.md §6): exact
 * segment in, exact segment out, explicit time.
 *
 * The test plays the peer, 10.0.0.2, on the far side of the fixture's
 * device; tern is 10.0.0.1. A segment is written as a struct seg:
 *
 *   inject_seg(t, now, &seg)      run timers to `now`, then deliver the
 *                                 segment from the peer (checksums right;
 *                                 ports, window and, once timestamps are in
 *                                 use, the TS option filled in unless given);
 *   expect_seg(t, at, &seg)       run timers to `at`; the next frame must
 *                                 have left at exactly `at` and be this
 *                                 segment, compared field by field: ports,
 *                                 seq, ack, flags (PSH only if .psh), window,
 *                                 MSS / WS / SACK-permitted / TS options,
 *                                 SACK blocks, payload. REQUIREs (returns from the test);
 *   expect_no_seg(t, until)       nothing leaves up to `until`.
 *
 * Fixtures reach their state by segments and socket calls only, never by
 * writing tcb fields: tcp_fx_listen, tcp_fx_passive_established,
 * tcp_fx_active_established, then tcp_fx_to_* for the closing states.
 * tcp_fx_finish closes every socket, runs retransmissions and TIME-WAIT
 * out and checks that no connection, packet or receive-budget byte is
 * left.
 */
#ifndef TERN_TEST_TCP_FIXTURE_H
#define TERN_TEST_TCP_FIXTURE_H

#include "stack_fixture.h"
#include "test_socket_util.h"
#include "tern/tcp.h"
#include "transport/tcp.h"
#include "wire/tcp.h"

#define T_PORT_US 80        /* our listener */
#define T_PORT_PEER 40000   /* the peer's port when it connects */
#define T_PEER_ISS 1000u    /* the peer's ISS unless a test picks one */
#define T_PEER_MSS 1460
#define T_PEER_WIN 502      /* scaled by 7: 64256 bytes, as Linux's first ACK */
#define T_PEER_SYN_WIN 64240
#define T_OUR_MSS 1460      /* MTU 1500 less 40 */
#define T_OUR_SYN_WIN 65535 /* min(SO_RCVBUF / 2, 65535), unscaled in a SYN */
#define T_RCV_CAP (TERN_SOCK_BUF_MAX / 2) /* payload SO_RCVBUF holds (adv_win_scale 1) */
#define T_OUR_WIN (T_RCV_CAP >> 7)        /* 832: an empty receive buffer, scaled by 7 */
#define T_MS TERN_MSEC
#define T_SEC TERN_SEC

/* One segment, in or out. Fields left zero take the defaults shown. */
struct seg {
	uint32_t seq, ack;
	uint8_t flags;              /* TERN_TCP_* */
	uint16_t win;
	bool win_set;               /* win given (else: the peer's / our usual window) */
	bool psh;                   /* expect: compare the PSH bit too */
	/* options (SYN options only where given) */
	bool mss_opt, ws_opt, sackok;
	uint16_t mss;
	uint8_t ws;
	bool ts;                    /* TS option with tsval/tsecr as given */
	bool no_ts;                 /* no TS option even with timestamps in use */
	uint32_t tsval, tsecr;
	/* SACK blocks (RFC 2018), in order; the list ends at the first empty
	 * block (left == right, never a valid one): .sack = {{l, r}, ...} */
	struct tern_tcp_sack_block sack[TERN_TCP_MAX_SACK];
	const void *data;
	size_t len;
	uint16_t sport, dport;      /* 0: the connection's */
	tern_ip4_t src;             /* in: the sender (0: the peer, FX_IP_PEER) */
	/* TCP Fast Open (RFC 7413): the option, tfo_len 0 a cookie request;
	 * expect: the option on every segment out, a cookie compared only if
	 * tfo_cookie is given */
	bool tfo;
	uint8_t tfo_len;
	const uint8_t *tfo_cookie;
};
static inline uint8_t seg_nsack(const struct seg *sg)
{
	uint8_t n = 0;
	while (n < TERN_TCP_MAX_SACK && sg->sack[n].left != sg->sack[n].right)
		n++;
	return n;
}
#define W(x) .win = (x), .win_set = true

struct tfx {
	struct fixture fx;
	int lsd, sd;                /* listener, connection (-1: none) */
	uint16_t lport, pport;      /* our port, the peer's */
	uint32_t iss, irs;          /* ours (read from our SYN), the peer's */
	uint32_t us, peer;          /* next sequence number of ours, of the peer's */
	bool ts;                    /* timestamps negotiated */
	uint32_t ts_off;            /* our TSval = ms + ts_off */
	uint32_t peer_ts;           /* the peer's last TSval (what we should echo) */
	uint32_t peer_ts_base;      /* the peer's TSval = base + ms */
	uint16_t our_win;           /* the window field we usually send */
	uint16_t peer_win;          /* the window field the peer usually sends */
	uint16_t peer_mss;          /* the MSS the peer's SYN offers (0: none) */
	int peer_wscale;            /* the window shift it offers (-1: none) */
	int rcvbuf;                 /* SO_RCVBUF for the active socket (0: default) */
};

/* ---- failure reporting at the caller's line ---- */

#define TFX_FAIL(file, line, ...)                                                  \
	do {                                                                       \
		fprintf(stderr, "  FAIL %s (%s:%d): ", test_current_, file, line); \
		fprintf(stderr, __VA_ARGS__);                                      \
		fputc('\n', stderr);                                               \
		test_failed_++;                                                    \
	} while (0)

static inline void seg_flags_str(uint8_t f, char *out)
{
	static const char names[] = "FSRPAUEC";
	int n = 0;
	for (int i = 0; i < 8; i++)
		if (f & (1u << i))
			out[n++] = names[i];
	out[n] = 0;
}

/* ---- setup ---- */

/* A host as stack_fixture's fx_host, the peer a static neighbour (no ARP
 * frame ever mixes into the segments). Tests may change t->fx.cfg between
 * tcp_fx_config and tcp_fx_start. */
static inline void tcp_fx_config(struct tfx *t)
{
	memset(t, 0, sizeof(*t));
	fx_config(&t->fx);
	/* Delayed ACKs as RFC 1122 §4.2.3.2 draws them; the quick ACKs Linux
	 * sends for a connection's first data have tests of their own. */
	t->fx.cfg.tcp_quickacks = 0;
	/* Linux's tcp_rmem[2] (6 MiB), so the window scale offered is Linux's
	 * 7; tern's 32 MiB (scale 10) has tests of its own. */
	t->fx.cfg.tcp_rmem[2] = 6291456;
	t->lsd = t->sd = -1;
	t->irs = T_PEER_ISS;
	t->peer_ts_base = 7000000;
	t->peer_win = T_PEER_WIN;
	t->peer_mss = T_PEER_MSS;
	t->peer_wscale = 7;
	t->our_win = T_OUR_WIN;
	t->pport = T_PORT_PEER;
	t->lport = T_PORT_US;
}

static inline void tcp_fx_start(struct tfx *t)
{
	fx_host(&t->fx);
	struct tern_mac peer = FX_MAC_PEER;
	if (tern_arp_add_static(t->fx.s, t->fx.devs[0].ifindex, FX_IP_PEER, &peer) < 0)
		abort();
	fx_clear_tx(&t->fx);
}

static inline uint32_t peer_tsval(const struct tfx *t, tern_time_t now)
{
	return t->peer_ts_base + (uint32_t)(now / T_MS(1));
}
static inline uint32_t our_tsval(const struct tfx *t, tern_time_t at)
{
	return (uint32_t)(at / T_MS(1)) + t->ts_off;
}

/* ---- segments in ---- */

/* Ethernet + IPv4 + TCP from the peer for sg; returns the frame length. */
static inline size_t fxb_tcp(const struct tfx *t, uint8_t *buf, tern_time_t now,
			     const struct seg *sg)
{
	struct tern_tcp_repr r = {
		.sport = sg->sport ? sg->sport : t->pport,
		.dport = sg->dport ? sg->dport : t->lport,
		.seq = sg->seq, .ack = sg->ack, .flags = sg->flags,
		.window = sg->win_set ? sg->win
			  : (sg->flags & TERN_TCP_SYN) ? T_PEER_SYN_WIN : t->peer_win,
		.has_mss = sg->mss_opt, .mss = sg->mss,
		.has_wscale = sg->ws_opt, .wscale = sg->ws,
		.sack_perm = sg->sackok,
		.sack_count = seg_nsack(sg),
		.has_tfo = sg->tfo, .tfo_len = sg->tfo_len,
	};
	memcpy(r.sack, sg->sack, sizeof(r.sack));
	if (sg->tfo_len)
		memcpy(r.tfo_cookie, sg->tfo_cookie, sg->tfo_len);
	if (sg->ts) {
		r.has_ts = true;
		r.tsval = sg->tsval;
		r.tsecr = sg->tsecr;
	} else if (t->ts && !sg->no_ts) {
		r.has_ts = true;
		r.tsval = peer_tsval(t, now);
		r.tsecr = our_tsval(t, now) - 1; /* something we sent earlier */
	}
	size_t hl = tern_tcp_hdr_len(&r);
	uint8_t *tcp = malloc(hl + sg->len + 1);
	if (!tcp)
		abort();
	if (sg->len)
		memcpy(tcp + hl, sg->data, sg->len);
	tern_ip4_t src = sg->src ? sg->src : FX_IP_PEER;
	tern_tcp_emit(&r, tcp, src, FX_IP_US, sg->len, tern_csum_partial(tcp + hl, sg->len, 0));
	struct fxb_ip ip = {.src = src, .dst = FX_IP_US, .proto = TERN_IPPROTO_TCP,
			    .df = true};
	size_t n = fxb_ip(buf, FX_MAC_US, FX_MAC_PEER, &ip, tcp, hl + sg->len);
	free(tcp);
	return n;
}

/* Deliver sg from the peer at `now` (timers due before it run first). */
static inline void inject_seg(struct tfx *t, tern_time_t now, const struct seg *sg)
{
	uint8_t *f = malloc(FX_FRAME_MAX);
	if (!f)
		abort();
	size_t n = fxb_tcp(t, f, now, sg);
	if (sg->ts || (t->ts && !sg->no_ts))
		t->peer_ts = sg->ts ? sg->tsval : peer_tsval(t, now);
	fx_inject(&t->fx, 0, now, f, n);
	free(f);
}

/* ---- segments out ---- */

/* The next frame, parsed as TCP from us to the peer; false (and a
 * failure) if there is none, it left at another time, or it is no TCP. */
static inline bool tcp_pop_(struct tfx *t, tern_time_t at, struct fx_pkt *p,
			    struct tern_tcp_repr *th, const char *file, int line)
{
	fx_advance(&t->fx, at);
	struct fx_frame *f = fx_pop(&t->fx);
	if (!f) {
		TFX_FAIL(file, line, "no segment sent by t=%lld ms", (long long)(at / T_MS(1)));
		return false;
	}
	enum tern_stat bad = fx_parse(f, p);
	if (bad || !p->is_ip || p->ip.proto != TERN_IPPROTO_TCP) {
		TFX_FAIL(file, line, "frame is no TCP segment (%s)", tern_stat_name(bad));
		fx_pkt_free(p);
		return false;
	}
	bad = tern_tcp_parse(p->l4, p->l4_len, p->ip.src, p->ip.dst, 0, th);
	if (bad) {
		TFX_FAIL(file, line, "segment does not parse: %s", tern_stat_name(bad));
		fx_pkt_free(p);
		return false;
	}
	if (f->t != at) {
		char fl[9];
		seg_flags_str(th->flags, fl);
		TFX_FAIL(file, line, "segment [%s] seq %u left at %lld ns, expected at %lld ns", fl,
			 th->seq, (long long)f->t, (long long)at);
		fx_pkt_free(p);
		return false;
	}
	if (p->ip.src != FX_IP_US || p->ip.dst != FX_IP_PEER || !p->ip.df) {
		TFX_FAIL(file, line, "IP header: src %08x dst %08x df %d", p->ip.src, p->ip.dst,
			 p->ip.df);
	}
	return true;
}

#define SEG_CMP(file, line, name, got, want)                                          \
	do {                                                                          \
		long long g_ = (long long)(got), w_ = (long long)(want);              \
		if (g_ != w_) {                                                       \
			TFX_FAIL(file, line, "%s: got %lld (0x%llx), want %lld (0x%llx)", \
				 name, g_, (unsigned long long)g_, w_, (unsigned long long)w_); \
			ok = false;                                                   \
		}                                                                     \
	} while (0)

static inline bool expect_seg_(struct tfx *t, tern_time_t at, const struct seg *sg,
			       const char *file, int line)
{
	struct fx_pkt p;
	struct tern_tcp_repr th;
	if (!tcp_pop_(t, at, &p, &th, file, line))
		return false;
	bool ok = true;
	uint8_t mask = sg->psh ? 0xff : (uint8_t)~TERN_TCP_PSH;
	SEG_CMP(file, line, "sport", th.sport, sg->sport ? sg->sport : t->lport);
	SEG_CMP(file, line, "dport", th.dport, sg->dport ? sg->dport : t->pport);
	if ((th.flags & mask) != (sg->flags & mask)) {
		char g[9], w[9];
		seg_flags_str(th.flags & mask, g);
		seg_flags_str(sg->flags & mask, w);
		TFX_FAIL(file, line, "flags: got [%s], want [%s]", g, w);
		ok = false;
	}
	SEG_CMP(file, line, "seq", th.seq, sg->seq);
	SEG_CMP(file, line, "ack", th.ack, sg->ack);
	uint16_t win = sg->win_set ? sg->win : (sg->flags & TERN_TCP_SYN) ? T_OUR_SYN_WIN : t->our_win;
	if (sg->flags & TERN_TCP_RST && !sg->win_set)
		win = th.window; /* a reset's window means nothing */
	SEG_CMP(file, line, "window", th.window, win);
	SEG_CMP(file, line, "MSS option", th.has_mss, sg->mss_opt);
	if (sg->mss_opt)
		SEG_CMP(file, line, "MSS", th.mss, sg->mss);
	SEG_CMP(file, line, "WS option", th.has_wscale, sg->ws_opt);
	if (sg->ws_opt)
		SEG_CMP(file, line, "WS", th.wscale, sg->ws);
	SEG_CMP(file, line, "SACK-permitted", th.sack_perm, sg->sackok);
	SEG_CMP(file, line, "SACK blocks", th.sack_count, seg_nsack(sg));
	for (unsigned i = 0; i < th.sack_count && i < seg_nsack(sg); i++) {
		SEG_CMP(file, line, "SACK left edge", th.sack[i].left, sg->sack[i].left);
		SEG_CMP(file, line, "SACK right edge", th.sack[i].right, sg->sack[i].right);
	}
	SEG_CMP(file, line, "Fast Open option", th.has_tfo, sg->tfo);
	if (sg->tfo && th.has_tfo) {
		SEG_CMP(file, line, "Fast Open cookie length", th.tfo_len, sg->tfo_len);
		if (sg->tfo_cookie && th.tfo_len == sg->tfo_len &&
		    memcmp(th.tfo_cookie, sg->tfo_cookie, sg->tfo_len) != 0) {
			TFX_FAIL(file, line, "Fast Open cookie differs");
			ok = false;
		}
	}
	bool want_ts = sg->ts || (t->ts && !sg->no_ts);
	SEG_CMP(file, line, "TS option", th.has_ts, want_ts);
	if (want_ts && th.has_ts) {
		SEG_CMP(file, line, "TSval", th.tsval, sg->ts ? sg->tsval : our_tsval(t, at));
		SEG_CMP(file, line, "TSecr", th.tsecr, sg->ts ? sg->tsecr : t->peer_ts);
	}
	SEG_CMP(file, line, "payload length", th.payload_len, sg->len);
	if (th.payload_len == sg->len && sg->len && memcmp(th.payload, sg->data, sg->len) != 0) {
		TFX_FAIL(file, line, "payload differs");
		ok = false;
	}
	if (!ok) {
		char fl[9];
		seg_flags_str(th.flags, fl);
		fprintf(stderr, "    got [%s] seq %u ack %u win %u len %zu at %lld ms\n", fl, th.seq,
			th.ack, th.window, th.payload_len, (long long)(at / T_MS(1)));
	}
	fx_pkt_free(&p);
	return true;
}

/* REQUIRE-like: a missing segment ends the test; a differing one is a
 * failure and the test goes on. */
#define expect_seg(t, at, sg)                                             \
	do {                                                              \
		if (!expect_seg_((t), (at), (sg), __FILE__, __LINE__))    \
			return;                                           \
	} while (0)
/* Print the segments still queued (a failure's evidence). */
static inline void tfx_dump(struct tfx *t)
{
	int n = 0;
	for (struct fx_frame *f = t->fx.head; f && n < 8; f = f->next, n++) {
		struct fx_pkt p;
		struct tern_tcp_repr th;
		if (fx_parse(f, &p) || !p.is_ip || p.ip.proto != TERN_IPPROTO_TCP ||
		    tern_tcp_parse(p.l4, p.l4_len, p.ip.src, p.ip.dst, 0, &th)) {
			fprintf(stderr, "    (a frame that is no TCP segment, %zu bytes)\n", f->len);
			continue;
		}
		char fl[9];
		seg_flags_str(th.flags, fl);
		fprintf(stderr, "    sent at %lld ms: [%s] seq %u ack %u win %u len %zu\n",
			(long long)(f->t / T_MS(1)), fl, th.seq, th.ack, th.window, th.payload_len);
	}
}
#define expect_no_seg(t, until)                                   \
	do {                                                      \
		fx_advance(&(t)->fx, (until));                    \
		if ((t)->fx.nframes) {                            \
			TEST_FAIL_("expected no segment, got %u", \
				   (t)->fx.nframes);              \
			tfx_dump(t);                              \
			fx_clear_tx(&(t)->fx);                    \
		}                                                 \
	} while (0)
/* For builders that return bool. */
#define TRY_SEG(t, at, sg)                                                \
	do {                                                              \
		if (!expect_seg_((t), (at), (sg), __FILE__, __LINE__))    \
			return false;                                     \
	} while (0)

/* Compound-literal shorthands: inject_seg(t, now, &SEG(.seq = ...)). */
#define SEG(...) ((struct seg){__VA_ARGS__})
#define IN(t, now, ...) inject_seg((t), (now), &SEG(__VA_ARGS__))
#define OUT(t, at, ...) expect_seg((t), (at), &SEG(__VA_ARGS__))

/* Advance the stack's clock (socket calls act at the stack's `now`). */
static inline void at_time(struct tfx *t, tern_time_t now)
{
	fx_advance(&t->fx, now);
}

/* At `now` the application writes n bytes on t->sd, all of them taken. */
#define SEND(t, now, buf, n)                                                          \
	do {                                                                          \
		at_time((t), (now));                                                  \
		REQUIRE_EQ(tern_send((t)->fx.s, (t)->sd, (buf), (n), 0), (int)(n));  \
	} while (0)

/* TCP_INFO of t->sd (all 0xff if getsockopt fails). */
static inline struct tern_tcp_info tcp_fx_info(struct tfx *t)
{
	struct tern_tcp_info ti;
	size_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (tern_getsockopt(t->fx.s, t->sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len) != 0)
		memset(&ti, 0xff, sizeof(ti));
	return ti;
}

/* The connection's tcb, read only (to name the state in an assertion). */
static inline struct tern_tcb *tfx_tcb(struct tfx *t)
{
	struct tcp_tuple tu = {FX_IP_US, FX_IP_PEER, t->lport, t->pport};
	return tcp_lookup(t->fx.s, &tu);
}
static inline int tfx_state(struct tfx *t)
{
	struct tern_tcb *tp = tfx_tcb(t);
	return tp ? tp->state : TCPS_CLOSED;
}
#define CHECK_STATE(t, st)                                                               \
	do {                                                                             \
		int s_ = tfx_state(t);                                                   \
		if (s_ != (st))                                                          \
			TEST_FAIL_("state %s, want %s", tern_tcp_state_name(s_),          \
				   tern_tcp_state_name(st));                              \
	} while (0)

/* ---- fixtures reached by segments ---- */

/* Options the peer offers in its SYN: Linux's (MSS 1460, SACK, WS 7, and
 * TS if ts). */
static inline struct seg peer_syn(const struct tfx *t, bool ts, tern_time_t now)
{
	struct seg sg = {.seq = t->irs, .flags = TERN_TCP_SYN, .mss_opt = t->peer_mss != 0,
			 .mss = t->peer_mss, .ws_opt = t->peer_wscale >= 0,
			 .ws = (uint8_t)(t->peer_wscale >= 0 ? t->peer_wscale : 0), .sackok = true,
			 .no_ts = !ts};
	if (ts) {
		sg.ts = true;
		sg.tsval = peer_tsval(t, now);
		sg.tsecr = 0;
	}
	return sg;
}

/* A listener on 0.0.0.0:80 with the given backlog. */
static inline bool tcp_fx_listen_backlog(struct tfx *t, int backlog)
{
	tcp_fx_start(t);
	struct tern_stack *s = t->fx.s;
	t->lsd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in a = sa(0, T_PORT_US);
	return t->lsd >= 0 && tern_bind(s, t->lsd, &a) == 0 && tern_listen(s, t->lsd, backlog) == 0;
}
static inline bool tcp_fx_listen(struct tfx *t)
{
	return tcp_fx_listen_backlog(t, 16);
}

/* The peer's SYN at `now`; our SYN-ACK read at once, our ISS and TS offset
 * taken from it. */
static inline bool tcp_fx_syn_received(struct tfx *t, bool ts, tern_time_t now)
{
	struct seg syn = peer_syn(t, ts, now);
	inject_seg(t, now, &syn);
	struct fx_pkt p;
	struct tern_tcp_repr th;
	if (!tcp_pop_(t, now, &p, &th, __FILE__, __LINE__))
		return false;
	fx_pkt_free(&p);
	t->iss = th.seq;
	t->us = t->iss + 1;
	t->peer = t->irs + 1;
	if (ts) {
		if (!th.has_ts)
			return false;
		t->ts_off = th.tsval - (uint32_t)(now / T_MS(1));
	}
	if (th.flags != (TERN_TCP_SYN | TERN_TCP_ACK) || th.ack != t->irs + 1) {
		char fl[9];
		seg_flags_str(th.flags, fl);
		TFX_FAIL(__FILE__, __LINE__, "no SYN-ACK to the SYN: [%s] seq %u ack %u", fl, th.seq,
			 th.ack);
		return false;
	}
	return true;
}

/* LISTEN, peer's SYN at 10 ms, our SYN-ACK, peer's ACK at 20 ms,
 * tern_accept: ESTABLISHED with t->sd. ts: the peer offers timestamps. */
static inline bool tcp_fx_passive_established_opt(struct tfx *t, bool ts)
{
	if (!tcp_fx_listen(t) || !tcp_fx_syn_received(t, ts, T_MS(10)))
		return false;
	struct seg ack = {.seq = t->peer, .ack = t->us, .flags = TERN_TCP_ACK, .no_ts = !ts};
	if (ts) {
		ack.ts = true;
		ack.tsval = peer_tsval(t, T_MS(20));
		ack.tsecr = our_tsval(t, T_MS(10));
	}
	inject_seg(t, T_MS(20), &ack);
	t->ts = ts;
	struct tern_sockaddr_in peer;
	t->sd = tern_accept(t->fx.s, t->lsd, &peer);
	return t->sd >= 0 && peer.addr == FX_IP_PEER && peer.port == t->pport &&
	       t->fx.nframes == 0 && tfx_state(t) == TCPS_ESTABLISHED;
}
static inline bool tcp_fx_passive_established(struct tfx *t)
{
	return tcp_fx_passive_established_opt(t, false);
}

/* tern_connect to 10.0.0.2:5001 at 10 ms; our SYN read (our port and ISS
 * from it); the peer's SYN-ACK at 20 ms (TS if ts); our ACK at once. */
#define T_PEER_LISTEN_PORT 5001
static inline bool tcp_fx_syn_sent(struct tfx *t)
{
	tcp_fx_start(t);
	struct tern_stack *s = t->fx.s;
	at_time(t, T_MS(10));
	t->sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	if (t->sd < 0)
		return false;
	if (t->rcvbuf && set_int(s, t->sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, t->rcvbuf) < 0)
		return false;
	if (tern_connect(s, t->sd, &dst) != TERN_EINPROGRESS)
		return false;
	struct fx_pkt p;
	struct tern_tcp_repr th;
	if (!tcp_pop_(t, T_MS(10), &p, &th, __FILE__, __LINE__))
		return false;
	fx_pkt_free(&p);
	t->lport = th.sport;
	t->pport = T_PEER_LISTEN_PORT;
	t->iss = th.seq;
	t->us = t->iss + 1;
	t->peer = t->irs + 1;
	if (th.has_ts)
		t->ts_off = th.tsval - 10;
	return th.flags == TERN_TCP_SYN && th.dport == T_PEER_LISTEN_PORT;
}

static inline bool tcp_fx_active_established_opt(struct tfx *t, bool ts)
{
	if (!tcp_fx_syn_sent(t))
		return false;
	struct seg synack = peer_syn(t, ts, T_MS(20));
	synack.flags |= TERN_TCP_ACK;
	synack.ack = t->us;
	if (ts)
		synack.tsecr = our_tsval(t, T_MS(10));
	inject_seg(t, T_MS(20), &synack);
	t->ts = ts;
	TRY_SEG(t, T_MS(20), &SEG(.seq = t->us, .ack = t->peer, .flags = TERN_TCP_ACK));
	return tfx_state(t) == TCPS_ESTABLISHED && t->fx.nframes == 0;
}
static inline bool tcp_fx_active_established(struct tfx *t)
{
	return tcp_fx_active_established_opt(t, false);
}

/* ---- the closing states, from ESTABLISHED (at `now`) ---- */

/* We close (tern_shutdown SHUT_WR): our FIN leaves. FIN-WAIT-1. */
static inline bool tcp_fx_to_fin_wait_1(struct tfx *t, tern_time_t now)
{
	at_time(t, now);
	if (tern_shutdown(t->fx.s, t->sd, TERN_SHUT_WR) != 0)
		return false;
	TRY_SEG(t, now, &SEG(.seq = t->us, .ack = t->peer, .flags = TERN_TCP_FIN | TERN_TCP_ACK));
	t->us++;
	return tfx_state(t) == TCPS_FIN_WAIT_1;
}

/* ... and the peer acknowledges the FIN: FIN-WAIT-2. */
static inline bool tcp_fx_to_fin_wait_2(struct tfx *t, tern_time_t now)
{
	if (!tcp_fx_to_fin_wait_1(t, now))
		return false;
	inject_seg(t, now + T_MS(1), &SEG(.seq = t->peer, .ack = t->us, .flags = TERN_TCP_ACK));
	return t->fx.nframes == 0 && tfx_state(t) == TCPS_FIN_WAIT_2;
}

/* The peer's FIN at `now`: our ACK of it (immediate). CLOSE-WAIT. */
static inline bool tcp_fx_to_close_wait(struct tfx *t, tern_time_t now)
{
	inject_seg(t, now, &SEG(.seq = t->peer, .ack = t->us, .flags = TERN_TCP_FIN | TERN_TCP_ACK));
	t->peer++;
	TRY_SEG(t, now, &SEG(.seq = t->us, .ack = t->peer, .flags = TERN_TCP_ACK));
	return tfx_state(t) == TCPS_CLOSE_WAIT;
}

/* CLOSE-WAIT, then we close: our FIN. LAST-ACK. */
static inline bool tcp_fx_to_last_ack(struct tfx *t, tern_time_t now)
{
	if (!tcp_fx_to_close_wait(t, now))
		return false;
	at_time(t, now + T_MS(1));
	if (tern_shutdown(t->fx.s, t->sd, TERN_SHUT_WR) != 0)
		return false;
	TRY_SEG(t, now + T_MS(1),
		&SEG(.seq = t->us, .ack = t->peer, .flags = TERN_TCP_FIN | TERN_TCP_ACK));
	t->us++;
	return tfx_state(t) == TCPS_LAST_ACK;
}

/* FIN-WAIT-1, then the peer's FIN that does not acknowledge ours
 * (simultaneous close): our ACK. CLOSING. */
static inline bool tcp_fx_to_closing(struct tfx *t, tern_time_t now)
{
	if (!tcp_fx_to_fin_wait_1(t, now))
		return false;
	inject_seg(t, now + T_MS(1),
		   &SEG(.seq = t->peer, .ack = t->us - 1, .flags = TERN_TCP_FIN | TERN_TCP_ACK));
	t->peer++;
	TRY_SEG(t, now + T_MS(1), &SEG(.seq = t->us, .ack = t->peer, .flags = TERN_TCP_ACK));
	return tfx_state(t) == TCPS_CLOSING;
}

/* FIN-WAIT-2, then the peer's FIN: our ACK. TIME-WAIT (entered at
 * now + 2 ms). */
static inline bool tcp_fx_to_time_wait(struct tfx *t, tern_time_t now)
{
	if (!tcp_fx_to_fin_wait_2(t, now))
		return false;
	inject_seg(t, now + T_MS(2), &SEG(.seq = t->peer, .ack = t->us, .flags = TERN_TCP_FIN | TERN_TCP_ACK));
	t->peer++;
	TRY_SEG(t, now + T_MS(2), &SEG(.seq = t->us, .ack = t->peer, .flags = TERN_TCP_ACK));
	return tfx_state(t) == TCPS_TIME_WAIT;
}

/* ---- the end of every test ---- */

/* Close every socket, run retransmissions (15 at up to 120 s) and
 * TIME-WAIT out, then: no connection left, no half-open count, no
 * packet, no receive-budget byte. */
static inline void tcp_fx_finish(struct tfx *t)
{
	struct tern_stack *s = t->fx.s;
	for (int sd = tern_socket_next(s, -1); sd >= 0; sd = tern_socket_next(s, sd))
		tern_close(s, sd);
	fx_advance(&t->fx, tern_stack_now(s) + TERN_SEC(3600));
	CHECK_EQ(s->socks->tcp.count, 0);
	CHECK_EQ(s->socks->tcp.half_open, 0);
	CHECK_EQ(tern_socket_next(s, -1), -1);
	CHECK_EQ(s->budget.sock_rx.used, 0);
	CHECK_EQ(s->budget.tcp_ofo.used, 0);
	fx_finish(&t->fx);
}

/* The FASTOPEN events a trace saw (tern_tcp_set_trace with tfx_fo_event). */
struct tfx_fo_log {
	unsigned n;
	uint8_t what[4];
	uint32_t len[4];
};
static inline void tfx_fo_event(void *ctx, struct tern_stack *s,
				const struct tern_tcp_trace_event *ev)
{
	(void)s;
	struct tfx_fo_log *l = ctx;
	if (ev->kind == TERN_TCP_TRACE_FASTOPEN && l->n < 4) {
		l->what[l->n] = ev->fastopen;
		l->len[l->n++] = ev->len;
	}
}
/* Exactly one FASTOPEN event: w, octets. */
#define CHECK_FO_TRACE(log, w, octets)                      \
	do {                                                \
		CHECK_EQ((log).n, 1);                       \
		CHECK_EQ((log).what[0], (w));               \
		CHECK_EQ((log).len[0], (uint32_t)(octets)); \
	} while (0)

#endif
