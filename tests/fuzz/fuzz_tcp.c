/*
 * tests/fuzz/fuzz_tcp.c — libFuzzer target for TCP: a program of socket
 * calls, segments from the peer and time steps against one tern host.
 *
 * The host is 10.0.0.1/24 on one test device (02:00:00:00:00:01, MTU
 * 1500); the peer, 10.0.0.2 (02:00:00:00:00:02), is a static ARP
 * neighbour, as tests/unit/tcp_fixture.h sets it up, and is played by the
 * input. The input is
 *   [u8 config] then operations, each [u8 op] and its arguments;
 * an argument past the end of the input reads as zero. config bit 0: no
 * timestamps; 1: no window scaling; 2: no SACK; 3: no SYN cookies;
 * 4: no quick ACKs; 5: a SYN budget of 2 (cookies come soon); 6: a small
 * packet pool (1 MiB: ENOBUFS paths); 7: tcp_retries2 3.
 *
 * Operations (op % OP_COUNT), on a table of FZ_SLOTS descriptors:
 *   socket, bind (ports 80, 81, 8080, 0), listen (backlog 0..8), connect
 *   (10.0.0.2: 5001, 5002, 80, 40000), accept, send (length from the
 *   input, up to 64 KiB, a known pattern), recv (length, MSG_PEEK or not),
 *   shutdown RD/WR/RDWR, close, setsockopt (every option TCP has: NODELAY,
 *   CORK, QUICKACK, MAXSEG, SO_KEEPALIVE, KEEPIDLE/INTVL/CNT,
 *   USER_TIMEOUT, SO_LINGER, SO_RCVBUF/SNDBUF small and large,
 *   TCP_CONGESTION), getsockopt (TCP_INFO, TCP_CONGESTION, SO_ERROR and
 *   the int options), poll of the whole table, a callback (modes: drain,
 *   echo, drain and close at EOF or error, close at once, accept into the
 *   table), a segment from the peer (three op codes: the common case), a
 *   time step (ms, 10 ms units, seconds up to 10 minutes, or exactly to
 *   the next deadline).
 *
 * A segment names its 4-tuple (a connection seen on the wire, or one of
 * tern's ports and one of the peer's), flags, and seq / ack each relative
 * to what was seen: seq = the last ACK tern sent + k, the peer's own last
 * sequence number + k, the peer's ISS + k, or raw; ack = the highest
 * sequence number tern sent + k, tern's last segment's seq + k, tern's
 * ISS + 1 + k, or raw (k a signed 16-bit value). Then the window, options
 * (MSS, WS, SACK-permitted, TS plausible (tsecr: tern's last TSval + k) or
 * raw, 1-4 SACK blocks relative to tern's snd_una as seen), a payload
 * length; checksums are always right.
 *
 * Oracles (abort on violation, which libFuzzer reports as a crash):
 *   - everything fuzz_stack checks: every frame sent parses (Ethernet,
 *     ARP or IPv4 with a right checksum, within the MTU); every trace drop
 *     has a DROP-kind reason; after a poll, poll_at is not before now;
 *   - every TCP segment sent parses with a right checksum, goes to the
 *     peer from us, and, if tern has a connection for its tuple (not
 *     LISTEN, not CLOSED), its seq lies in [ISS, SND.MAX] (a RST that
 *     answers a segment, <SEQ=SEG.ACK>, is exempt); its SACK blocks only
 *     once SACK was agreed, on ACKs that are no SYN, at most 3 beside
 *     timestamps, each non-empty, above the ACK (a first D-SACK block may
 *     lie below it) and within the window advertised;
 *   - after every socket is closed and two hours have passed: no packet
 *     buffer in use, no receive-budget byte, no connection in the table,
 *     no half-open count; ASan and UBSan throughout.
 *
 * Seeds: compile with -DTERN_FUZZ_MAKE_CORPUS (no libFuzzer) and run with
 * a directory: the programs in tests/fuzz/corpus/tcp/ are written there.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"
#include "core/stack_impl.h"
#include "tern/apps.h"
#include "tern/netdev.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tern/tcp.h"
#include "transport/sock.h"
#include "transport/tcp.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NAME "fuzz_tcp"
#include "fuzz_util.h"


#define IP_US TERN_IP4(10, 0, 0, 1)
#define IP_PEER TERN_IP4(10, 0, 0, 2)
#define MTU 1500

/* The operations. */
enum {
	OP_SOCKET,
	OP_BIND,
	OP_LISTEN,
	OP_CONNECT,
	OP_ACCEPT,
	OP_SEND,
	OP_RECV,
	OP_SHUTDOWN,
	OP_CLOSE,
	OP_SETSOCKOPT,
	OP_GETSOCKOPT,
	OP_POLL,
	OP_CALLBACK,
	OP_SEG,
	OP_SEG2,
	OP_SEG3,
	OP_TIME,
	OP_TIME2,
	OP_COUNT
};

/* Segment argument bits. */
enum { SEQ_THEIR_ACK, SEQ_RAW, SEQ_PEER_ISS, SEQ_PEER_NXT };
enum { ACK_OUR_MAX, ACK_RAW, ACK_OUR_LAST, ACK_OUR_ISS };
enum { O_MSS = 1, O_WS = 2, O_SACKOK = 4, O_TS = 8, O_TS_WILD = 16, O_SACK = 32 };
/* Time step units (top two bits of the u16). */
enum { T_MS_UNIT, T_10MS_UNIT, T_SEC_UNIT, T_NEXT_DEADLINE };

/* Callback modes. */
enum { CB_NONE, CB_DRAIN, CB_ECHO, CB_CLOSE_AT_EOF, CB_CLOSE, CB_ACCEPT, CB_COUNT };

#define FZ_SLOTS 6

#define FZ_MAX_PAYLOAD (MTU - TERN_IPV4_HLEN - TERN_TCP_HLEN)

#ifndef TERN_FUZZ_MAKE_CORPUS

/* ---- the input reader ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};
static inline uint8_t get8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}
static inline uint16_t get16(struct rd *r)
{
	uint16_t hi = get8(r);
	return (uint16_t)(hi << 8 | get8(r));
}
static inline uint32_t get32(struct rd *r)
{
	uint32_t hi = get16(r);
	return hi << 16 | get16(r);
}


static const struct tern_mac mac_us = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tern_mac mac_peer = {{0x02, 0, 0, 0, 0, 0x02}};
static const uint16_t our_ports[4] = {80, 81, 8080, 0};
static const uint16_t peer_ports[4] = {5001, 5002, 80, 40000};

/* ---- what the peer knows: flows seen on the wire ---- */

struct flow {
	uint16_t lport, rport;          /* ours (tern's), the peer's */
	bool have_iss, have_ack, have_seq, have_peer;
	uint32_t our_iss, our_max, our_last, our_ack, our_tsval, our_una_seen;
	uint32_t peer_iss, peer_nxt;
};
#define FZ_FLOWS 16
static struct flow flows[FZ_FLOWS];
static unsigned nflows, flow_rr;

static struct flow *flow_get(uint16_t lport, uint16_t rport)
{
	for (unsigned i = 0; i < nflows; i++)
		if (flows[i].lport == lport && flows[i].rport == rport)
			return &flows[i];
	struct flow *f;
	if (nflows < FZ_FLOWS)
		f = &flows[nflows++];
	else
		f = &flows[flow_rr++ % FZ_FLOWS];
	memset(f, 0, sizeof(*f));
	f->lport = lport;
	f->rport = rport;
	return f;
}

static struct tern_stack *cur_stack;
static uint32_t last_in_ack; /* the ACK field of the last segment injected */
static uint64_t tx_segs;
static int trace = -1; /* FUZZ_TCP_TRACE=1: print every segment, in and out */

static void trace_seg(const char *dir, const struct tern_tcp_repr *th, size_t len)
{
	if (!trace)
		return;
	fprintf(stderr, "%8lld ms %s %u>%u [%s%s%s%s%s] seq %u ack %u win %u len %zu\n",
		(long long)(tern_stack_now(cur_stack) / TERN_MSEC(1)), dir, th->sport, th->dport,
		(th->flags & TERN_TCP_SYN) ? "S" : "", (th->flags & TERN_TCP_FIN) ? "F" : "",
		(th->flags & TERN_TCP_RST) ? "R" : "", (th->flags & TERN_TCP_PSH) ? "P" : "",
		(th->flags & TERN_TCP_ACK) ? "." : "", th->seq, th->ack, th->window, len);
}

/* ---- the device: checks every frame ---- */

struct fz_dev {
	struct tern_netdev dev;
};

static void check_tcp(const struct tern_ipv4_repr *ip, const uint8_t *l4, size_t l4len)
{
	struct tern_tcp_repr th;
	FZ_ASSERT(tern_tcp_parse(l4, l4len, ip->src, ip->dst, 0, &th) == TERN_STAT_NONE);
	FZ_ASSERT(ip->src == IP_US && ip->dst == IP_PEER);
	tx_segs++;
	trace_seg("out", &th, th.payload_len);
	struct flow *f = flow_get(th.sport, th.dport);
	uint32_t end = th.seq + (uint32_t)th.payload_len + !!(th.flags & TERN_TCP_SYN) +
		       !!(th.flags & TERN_TCP_FIN);
	if (th.flags & TERN_TCP_SYN) {
		f->have_iss = true;
		f->our_iss = th.seq;
		f->our_max = end;
	} else if (!f->have_seq || seq_gt(end, f->our_max)) {
		f->our_max = end;
	}
	f->have_seq = true;
	f->our_last = th.seq;
	if (th.flags & TERN_TCP_ACK) {
		f->have_ack = true;
		f->our_ack = th.ack;
	}
	if (th.has_ts)
		f->our_tsval = th.tsval;

	/* The sequence number of a segment of a connection tern has. */
	struct tcp_tuple t = {ip->src, ip->dst, th.sport, th.dport};
	struct tern_tcb *tp = tcp_lookup(cur_stack, &t);
	bool answer_rst = (th.flags & TERN_TCP_RST) && (th.seq == last_in_ack || th.seq == 0);
	if (tp && tp->state != TCPS_LISTEN && tp->state != TCPS_CLOSED && !answer_rst) {
		if (!(seq_geq(th.seq, tp->iss) && seq_leq(th.seq, tp->snd_max))) {
			fprintf(stderr,
				"fuzz_tcp: %s segment flags %02x seq %u outside [ISS %u, SND.MAX %u]\n",
				tern_tcp_state_name(tp->state), th.flags, th.seq, tp->iss,
				tp->snd_max);
			abort();
		}
	}
	/* SACK blocks (RFC 2018 §3, RFC 2883 §4): only once SACK was agreed,
	 * never on a SYN, 3 at most beside timestamps; each non-empty and,
	 * but for a D-SACK first block, above the ACK; all within the window
	 * advertised. */
	if (th.sack_count) {
		FZ_ASSERT(tp && (tp->flags & TF_SACK_PERMIT) && !(th.flags & TERN_TCP_SYN));
		FZ_ASSERT(th.flags & TERN_TCP_ACK);
		FZ_ASSERT(!th.has_ts || th.sack_count <= 3);
		for (unsigned i = 0; i < th.sack_count; i++) {
			const struct tern_tcp_sack_block *b = &th.sack[i];
			bool dsack = i == 0 && seq_lt(b->left, th.ack);
			if (!seq_lt(b->left, b->right) || (!dsack && !seq_gt(b->left, th.ack)) ||
			    seq_gt(b->right, tp->rcv_adv)) {
				fprintf(stderr, "fuzz_tcp: SACK block %u [%u, %u) ack %u adv %u\n", i,
					b->left, b->right, th.ack, tp->rcv_adv);
				abort();
			}
		}
	}
}

/* The SACK scoreboard of every connection (tcp_recovery.c): sorted,
 * disjoint ranges that do not touch, within (SND.UNA, SND.MAX], at most
 * TCP_SB_MAX, sacked_bytes their sum; pipe never more than twice what is
 * in flight. */
static void check_scoreboards(struct tern_stack *s)
{
	struct tern_tcp_table *tt = &s->socks->tcp;
	for (uint32_t b = 0; b < tt->nbuckets; b++) {
		for (struct tern_tcb *tp = tt->buckets[b]; tp; tp = tp->hnext) {
			uint32_t sum = 0, flight = tp->snd_max - tp->snd_una;
			FZ_ASSERT(tp->sb_count <= TCP_SB_MAX);
			for (unsigned i = 0; i < tp->sb_count; i++) {
				const struct tern_tcp_sack_block *k = &tp->sb[i];
				FZ_ASSERT(seq_lt(k->left, k->right));
				FZ_ASSERT(seq_gt(k->left, tp->snd_una) && seq_leq(k->right, tp->snd_max));
				FZ_ASSERT(i == 0 || seq_lt(tp->sb[i - 1].right, k->left));
				sum += k->right - k->left;
			}
			FZ_ASSERT(sum == tp->sacked_bytes && sum <= flight);
			FZ_ASSERT(tcp_sb_pipe(tp) <= 2 * flight);
			FZ_ASSERT(tp->sb_count == 0 || (tp->flags & TF_SACK_PERMIT));
		}
	}
}

static int fz_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len, tern_time_t now)
{
	(void)now;
	struct tern_ipv4_repr ip;
	if (!fz_check_frame(dev, frame, len, &ip))
		return 0;
	const uint8_t *pl = frame + TERN_ETH_HLEN;
	if (ip.proto == TERN_IPPROTO_TCP) {
		FZ_ASSERT(!ip.mf && ip.frag_off == 0); /* DF: never fragmented */
		FZ_ASSERT(memcmp(frame, mac_peer.b, 6) == 0); /* to the peer */
		check_tcp(&ip, pl + ip.hlen, ip.total_len - ip.hlen);
	}
	return 0;
}

static void fz_destroy(struct tern_netdev *dev)
{
	(void)dev;
}

static const struct tern_netdev_ops fz_ops = {.transmit = fz_transmit, .destroy = fz_destroy};

/* ---- the descriptor table and the callbacks ---- */

static int slots[FZ_SLOTS];
static uint8_t pattern[65536];
static uint8_t rbuf[65536];

static int slot_of(int sd)
{
	for (int i = 0; i < FZ_SLOTS; i++)
		if (slots[i] == sd)
			return i;
	return -1;
}

static void forget(int sd)
{
	int i = slot_of(sd);
	if (i >= 0)
		slots[i] = -1;
}

static void fz_close(struct tern_stack *s, int sd)
{
	FZ_ASSERT(tern_close(s, sd) == 0);
	forget(sd);
}

static void on_sock(void *ctx, struct tern_stack *s, int sd, unsigned events);

/* Put a new descriptor in the table (or close it if full). */
static void adopt(struct tern_stack *s, int sd, int mode)
{
	int i = slot_of(-1);
	if (i < 0) {
		FZ_ASSERT(tern_close(s, sd) == 0);
		return;
	}
	slots[i] = sd;
	if (mode)
		tern_socket_set_callback(s, sd, on_sock, (void *)(uintptr_t)mode);
}

static void on_sock(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	int mode = (int)(uintptr_t)ctx;
	int n;
	FZ_ASSERT(slot_of(sd) >= 0);
	switch (mode) {
	case CB_DRAIN:
		while ((n = tern_recv(s, sd, rbuf, 4096, 0)) > 0)
			;
		break;
	case CB_ECHO:
		while ((n = tern_recv(s, sd, rbuf, 4096, 0)) > 0)
			if (tern_send(s, sd, rbuf, (size_t)n, 0) < 0)
				break;
		if (n == 0)
			tern_shutdown(s, sd, TERN_SHUT_WR);
		break;
	case CB_CLOSE_AT_EOF:
		while ((n = tern_recv(s, sd, rbuf, sizeof(rbuf), 0)) > 0)
			;
		if (n == 0 || (n < 0 && n != TERN_EAGAIN) || (events & (TERN_POLLERR | TERN_POLLHUP)))
			fz_close(s, sd);
		break;
	case CB_CLOSE:
		fz_close(s, sd);
		break;
	case CB_ACCEPT: {
		int c;
		while ((c = tern_accept(s, sd, NULL)) >= 0)
			adopt(s, c, CB_CLOSE_AT_EOF - (c & 1)); /* echo or drain-and-close */
		break;
	}
	}
}

/* ---- segments from the peer ---- */

static uint8_t frame[TERN_ETH_HLEN + MTU + 64];

static void inject_seg(struct tern_stack *s, struct fz_dev *dev, struct rd *r, tern_time_t now)
{
	uint8_t sel = get8(r);
	struct flow *f;
	if ((sel & 0x80) || nflows == 0)
		f = flow_get(our_ports[sel & 3] ? our_ports[sel & 3] : 49152,
			     peer_ports[(sel >> 2) & 3]);
	else
		f = &flows[sel % nflows];
	uint8_t flags = get8(r);
	uint8_t modes = get8(r);
	uint32_t seq, ack;
	uint32_t sraw = (modes & 3) == SEQ_RAW ? get32(r) : (uint32_t)(int32_t)(int16_t)get16(r);
	uint32_t araw = ((modes >> 2) & 3) == ACK_RAW ? get32(r)
						      : (uint32_t)(int32_t)(int16_t)get16(r);
	switch (modes & 3) {
	case SEQ_THEIR_ACK:
		seq = (f->have_ack ? f->our_ack : f->peer_nxt) + sraw;
		break;
	case SEQ_PEER_ISS:
		seq = f->peer_iss + sraw;
		break;
	case SEQ_PEER_NXT:
		seq = f->peer_nxt + sraw;
		break;
	default:
		seq = sraw;
	}
	switch ((modes >> 2) & 3) {
	case ACK_OUR_MAX:
		ack = f->our_max + araw;
		break;
	case ACK_OUR_LAST:
		ack = f->our_last + araw;
		break;
	case ACK_OUR_ISS:
		ack = f->our_iss + 1 + araw;
		break;
	default:
		ack = araw;
	}
	uint16_t window = get16(r);
	uint8_t opts = get8(r);
	struct tern_tcp_repr th = {
		.sport = f->rport, .dport = f->lport, .seq = seq, .ack = ack, .flags = flags,
		.window = window,
	};
	if (opts & O_MSS) {
		th.has_mss = true;
		th.mss = get16(r);
	}
	if (opts & O_WS) {
		th.has_wscale = true;
		th.wscale = get8(r) % 16; /* 15: past the maximum */
	}
	th.sack_perm = opts & O_SACKOK;
	if (opts & O_TS) {
		th.has_ts = true;
		if (opts & O_TS_WILD) {
			th.tsval = get32(r);
			th.tsecr = get32(r);
		} else {
			th.tsval = 1000000 + (uint32_t)(now / TERN_MSEC(1)) + get8(r);
			th.tsecr = f->our_tsval + (uint32_t)(int32_t)(int8_t)get8(r);
		}
	}
	if (opts & O_SACK) {
		uint8_t c = get8(r);
		unsigned nb = 1 + (c & 3);
		for (unsigned i = 0; i < nb; i++) {
			/* in tern's sequence space: from its first byte, or
			 * (hostile sets for the scoreboard: overlapping, below
			 * the ACK, past SND.MAX, empty, reversed) around the
			 * segment's own ACK, a signed 16-bit offset */
			uint32_t l = (c & (4u << i)) ? ack + (uint32_t)(int32_t)(int16_t)get16(r)
				     : (f->have_iss ? f->our_iss + 1 : f->our_last) + get16(r);
			th.sack[i].left = l;
			th.sack[i].right = l + (uint32_t)(int32_t)(int16_t)get16(r);
		}
		th.sack_count = (uint8_t)nb;
	}
	size_t hl = tern_tcp_hdr_len(&th);
	size_t plen = get16(r) % (FZ_MAX_PAYLOAD + 1 - (hl - TERN_TCP_HLEN));
	uint8_t *ipb = frame + TERN_ETH_HLEN;
	uint8_t *tcp = ipb + TERN_IPV4_HLEN;
	/* The payload: the pattern, offset by the sequence number, so data
	 * sent twice is the same bytes. */
	for (size_t i = 0; i < plen; i++)
		tcp[hl + i] = pattern[(seq + hl + i) & 0xffff];
	tern_tcp_emit(&th, tcp, IP_PEER, IP_US, plen, tern_csum_partial(tcp + hl, plen, 0));
	struct tern_eth_repr e = {.dst = mac_us, .src = mac_peer, .ethertype = TERN_ETHERTYPE_IPV4};
	tern_eth_emit(&e, frame);
	struct tern_ipv4_repr ip = {
		.hlen = TERN_IPV4_HLEN, .total_len = (uint16_t)(TERN_IPV4_HLEN + hl + plen),
		.id = (uint16_t)tx_segs, .df = true, .ttl = 64, .proto = TERN_IPPROTO_TCP,
		.src = IP_PEER, .dst = IP_US,
	};
	tern_ipv4_emit(&ip, ipb);
	size_t len = TERN_ETH_HLEN + ip.total_len;
	if (len < TERN_ETH_MIN_FRAME) {
		memset(frame + len, 0, TERN_ETH_MIN_FRAME - len);
		len = TERN_ETH_MIN_FRAME;
	}
	if (flags & TERN_TCP_SYN) {
		f->peer_iss = seq;
		f->have_peer = true;
	}
	uint32_t end = seq + (uint32_t)plen + !!(flags & TERN_TCP_SYN) + !!(flags & TERN_TCP_FIN);
	if (!f->have_peer || seq_gt(end, f->peer_nxt) || (flags & TERN_TCP_SYN))
		f->peer_nxt = end;
	f->have_peer = true;
	last_in_ack = ack;
	trace_seg(" in", &th, plen);
	tern_netdev_deliver(&dev->dev, frame, len, now);
	check_scoreboards(s);
}

/* ---- socket calls ---- */

static int set_int(struct tern_stack *s, int sd, int level, int name, int v)
{
	return tern_setsockopt(s, sd, level, name, &v, sizeof(v));
}

static void do_setsockopt(struct tern_stack *s, int sd, struct rd *r)
{
	uint8_t which = get8(r);
	uint8_t v = get8(r);
	static const int maxseg[] = {0, 88, 536, 1000, 1460, 32767, 50, 1};
	static const int idle[] = {1, 10, 75, 7200};
	static const int cnt[] = {1, 3, 9, 127};
	static const int uto[] = {0, 100, 1000, 30000};
	static const int bufs[] = {0, 1, 2304, 4096, 16384, 65536, 1 << 20, 212992};
	switch (which % 14) {
	case 0: set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_NODELAY, v & 1); break;
	case 1: set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_CORK, v & 1); break;
	case 2: set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_QUICKACK, v & 1); break;
	case 3: set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_MAXSEG, maxseg[v & 7]); break;
	case 4: set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_KEEPALIVE, v & 1); break;
	case 5: set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPIDLE, idle[v & 3]); break;
	case 6: set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPINTVL, idle[v & 3]); break;
	case 7: set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPCNT, cnt[v & 3]); break;
	case 8: set_int(s, sd, TERN_IPPROTO_TCP, TERN_TCP_USER_TIMEOUT, uto[v & 3]); break;
	case 9: {
		struct tern_linger l = {v & 1, (v >> 1) & 1 ? 5 : 0};
		tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &l, sizeof(l));
		break;
	}
	case 10: set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, bufs[v & 7]); break;
	case 11: set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_SNDBUF, bufs[v & 7]); break;
	case 12: {
		const char *name = (v & 1) ? "cubic" : "reno";
		tern_setsockopt(s, sd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, name, strlen(name));
		break;
	}
	case 13: set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, v & 1); break;
	}
}

static void do_getsockopt(struct tern_stack *s, int sd, struct rd *r)
{
	uint8_t which = get8(r);
	static const int tcp_ints[] = {TERN_TCP_NODELAY, TERN_TCP_CORK, TERN_TCP_QUICKACK,
				       TERN_TCP_MAXSEG, TERN_TCP_KEEPIDLE, TERN_TCP_KEEPINTVL,
				       TERN_TCP_KEEPCNT, TERN_TCP_USER_TIMEOUT};
	int v;
	size_t len = sizeof(v);
	switch (which % 4) {
	case 0: {
		struct tern_tcp_info ti;
		len = (which & 0x80) ? 100 : sizeof(ti);
		FZ_ASSERT(tern_getsockopt(s, sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len) == 0);
		FZ_ASSERT(len <= sizeof(ti));
		break;
	}
	case 1: {
		char name[16];
		len = sizeof(name);
		tern_getsockopt(s, sd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, name, &len);
		break;
	}
	case 2:
		tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &v, &len);
		break;
	case 3:
		tern_getsockopt(s, sd, TERN_IPPROTO_TCP, tcp_ints[(which >> 2) & 7], &v, &len);
		break;
	}
	struct tern_sock_info si;
	FZ_ASSERT(tern_socket_info(s, sd, &si) == 0);
}

static void run_op(struct tern_stack *s, struct fz_dev *dev, struct rd *r, tern_time_t *now)
{
	uint8_t op = get8(r) % OP_COUNT;
	if (op == OP_SEG || op == OP_SEG2 || op == OP_SEG3) {
		inject_seg(s, dev, r, *now);
		return;
	}
	if (op == OP_TIME || op == OP_TIME2) {
		uint16_t v = get16(r);
		tern_time_t d;
		switch (v >> 14) {
		case T_MS_UNIT: d = TERN_MSEC(v & 0x3fff); break;
		case T_10MS_UNIT: d = TERN_MSEC(10 * (v & 0x3fff)); break;
		case T_SEC_UNIT: d = TERN_SEC((v & 0x3fff) % 601); break;
		default: {
			tern_time_t t = tern_stack_poll_at(s);
			d = t > *now && t - *now <= TERN_SEC(600) ? t - *now : 0;
		}
		}
		*now += d;
		fz_advance(s, *now);
		return;
	}
	if (op == OP_POLL) {
		struct tern_pollfd p[FZ_SLOTS];
		for (int i = 0; i < FZ_SLOTS; i++)
			p[i] = (struct tern_pollfd){slots[i], TERN_POLLIN | TERN_POLLOUT, 0};
		FZ_ASSERT(tern_poll(s, p, FZ_SLOTS) >= 0);
		return;
	}
	int slot = get8(r) % FZ_SLOTS;
	int sd = slots[slot];
	if (op == OP_SOCKET) {
		if (sd >= 0)
			return;
		sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		FZ_ASSERT(sd >= 0);
		slots[slot] = sd;
		return;
	}
	if (sd < 0)
		return;
	switch (op) {
	case OP_BIND: {
		struct tern_sockaddr_in a = {(get8(r) & 4) ? IP_US : 0, our_ports[get8(r) & 3]};
		tern_bind(s, sd, &a);
		break;
	}
	case OP_LISTEN:
		tern_listen(s, sd, get8(r) % 9);
		break;
	case OP_CONNECT: {
		struct tern_sockaddr_in a = {IP_PEER, peer_ports[get8(r) & 3]};
		tern_connect(s, sd, &a);
		break;
	}
	case OP_ACCEPT: {
		struct tern_sockaddr_in peer;
		int c = tern_accept(s, sd, &peer);
		if (c >= 0) {
			FZ_ASSERT(peer.addr == IP_PEER);
			adopt(s, c, 0);
		}
		break;
	}
	case OP_SEND: {
		size_t len = get16(r);
		uint8_t fl = get8(r);
		int n = tern_send(s, sd, pattern + (fl & 0x7f), len > sizeof(pattern) - 128 ? sizeof(pattern) - 128 : len,
				  (fl & 0x80) ? TERN_MSG_DONTWAIT : 0);
		FZ_ASSERT(n < 0 || (size_t)n <= len);
		break;
	}
	case OP_RECV: {
		size_t len = get16(r);
		uint8_t fl = get8(r);
		int n = tern_recv(s, sd, rbuf, len, (fl & 1) ? TERN_MSG_PEEK : 0);
		FZ_ASSERT(n < 0 || (size_t)n <= len);
		break;
	}
	case OP_SHUTDOWN:
		tern_shutdown(s, sd, get8(r) % 3);
		break;
	case OP_CLOSE:
		fz_close(s, sd);
		break;
	case OP_SETSOCKOPT:
		do_setsockopt(s, sd, r);
		break;
	case OP_GETSOCKOPT:
		do_getsockopt(s, sd, r);
		break;
	case OP_CALLBACK: {
		int mode = get8(r) % CB_COUNT;
		tern_socket_set_callback(s, sd, mode ? on_sock : NULL, (void *)(uintptr_t)mode);
		break;
	}
	}
}

/* The trace hook on every connection: its events are consistent and
 * format, whatever the segments did (and it never touches a freed tcb). */
static void fz_on_tcp_trace(void *ctx, struct tern_stack *s, const struct tern_tcp_trace_event *ev)
{
	(void)ctx;
	FZ_ASSERT(ev->kind >= TERN_TCP_TRACE_SEND && ev->kind <= TERN_TCP_TRACE_FASTOPEN);
	FZ_ASSERT(ev->state >= 1 && ev->state <= 11);
	FZ_ASSERT(ev->ca_state <= 4);
	FZ_ASSERT(ev->kind == TERN_TCP_TRACE_FASTOPEN ? ev->fastopen >= TERN_TCP_FO_COOKIE &&
							   ev->fastopen <= TERN_TCP_FO_REFUSED
						  : ev->fastopen == 0);
	FZ_ASSERT(ev->time >= 0 && ev->time <= tern_stack_now(s));
	char line[256];
	FZ_ASSERT(tern_tcp_trace_format(ev, line, sizeof(line)) > 0);
}

/* ss over whatever connections there are, every option on. */
static void fz_ss(struct tern_stack *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	FZ_ASSERT(f);
	struct tern_ss_opts o = {.select = TERN_SS_ALL, .numeric = true, .processes = true,
				 .info = true, .memory = true, .extended = true, .summary = true};
	FZ_ASSERT(tern_ss_print(s, &o, f) == 0);
	fclose(f);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct rd r = {data, size};
	uint8_t cfgb = get8(&r);
	if (!pattern[1])
		for (size_t i = 0; i < sizeof(pattern); i++)
			pattern[i] = (uint8_t)(i * 7 + (i >> 8) + 1);

	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.name = "fuzz";
	cfg.seed = 7;
	cfg.forwarding = false;
	cfg.tcp_timestamps = !(cfgb & 1);
	cfg.tcp_window_scaling = !(cfgb & 2);
	cfg.tcp_sack = !(cfgb & 4);
	if (cfgb & 8)
		cfg.tcp_syncookies = 0;
	if (cfgb & 16)
		cfg.tcp_quickacks = 0;
	if (cfgb & 32)
		cfg.tcp_max_syn_backlog = 2;
	if (cfgb & 64) {
		cfg.pkt_pool_max_bytes = 1u << 20;
		cfg.pkt_pool_keep_bytes = 256 << 10;
	}
	if (cfgb & 128)
		cfg.tcp_retries2 = 3;
	cfg.log = fz_on_log;
	struct tern_stack *s = tern_stack_create(&cfg);
	FZ_ASSERT(s);
	cur_stack = s;
	if (trace < 0)
		trace = getenv("FUZZ_TCP_TRACE") != NULL;
	static struct fz_dev dev;
	tern_netdev_init(&dev.dev, &fz_ops, "a", &mac_us, MTU);
	FZ_ASSERT(tern_stack_attach(s, &dev.dev) == 1);
	FZ_ASSERT(tern_stack_addr_add(s, 1, IP_US, 24, 0) == 0);
	FZ_ASSERT(tern_route_add(s, 0, 0, TERN_IP4(10, 0, 0, 254), 0, 0) == 0);
	FZ_ASSERT(tern_arp_add_static(s, 1, IP_PEER, &mac_peer) >= 0);
	FZ_ASSERT(tern_stack_trace_subscribe(s, fz_on_trace, NULL) >= 0);
	FZ_ASSERT(tern_tcp_set_trace(s, -1, fz_on_tcp_trace, NULL) == 0);
	memset(flows, 0, sizeof(flows));
	nflows = flow_rr = 0;
	last_in_ack = 0;
	for (int i = 0; i < FZ_SLOTS; i++)
		slots[i] = -1;

	tern_time_t now = 0;
	for (unsigned ops = 0; r.n && ops < 4096; ops++) {
		run_op(s, &dev, &r, &now);
		FZ_ASSERT(tern_stack_poll_at(s) >= tern_stack_now(s));
	}

	fz_ss(s);
	/* The end: every socket closed, two hours for the connections to
	 * finish (retransmissions give up, FIN-WAIT-2 and TIME-WAIT expire). */
	for (int sd = tern_socket_next(s, -1); sd >= 0; sd = tern_socket_next(s, -1)) {
		forget(sd);
		FZ_ASSERT(tern_close(s, sd) == 0);
	}
	fz_advance(s, now + TERN_SEC(7200));
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_STACK_STATS") != NULL;
	if (verbose)
		tern_stack_stats_print(s, stderr, true);
	struct tern_tcp_table *tt = &s->socks->tcp;
	if (tern_pkt_pool_in_use(&s->pool) != 0 || s->budget.sock_rx.used != 0 || tt->count != 0 ||
	    tt->half_open != 0) {
		fprintf(stderr,
			"fuzz_tcp: after 2 h: %u packet buffers in use, sock_rx.used %zu, %u "
			"connections, half_open %u\n",
			tern_pkt_pool_in_use(&s->pool), (size_t)s->budget.sock_rx.used, tt->count,
			tt->half_open);
		for (uint32_t b = 0; b < tt->nbuckets; b++)
			for (struct tern_tcb *tp = tt->buckets[b]; tp; tp = tp->hnext)
				fprintf(stderr,
					"  %u -> %u %s snd_una %u snd_nxt %u snd_max %u rcv_nxt %u "
					"snd_wnd %u cwnd %u mss %u queued %zu flags %#x rxt_mode %u "
					"rxtshift %u deadlines %lld %lld %lld\n",
					tp->t.lport, tp->t.rport, tern_tcp_state_name(tp->state),
					tp->snd_una, tp->snd_nxt, tp->snd_max, tp->rcv_nxt, tp->snd_wnd,
					tp->snd_cwnd, tcp_mss(tp), tern_ring_len(&tp->snd), tp->flags,
					tp->rxt_mode, tp->rxtshift, (long long)tp->deadline[TCPT_RXT],
					(long long)tp->deadline[TCPT_DELACK],
					(long long)tp->deadline[TCPT_KEEP]);
		abort();
	}
	tern_stack_destroy(s);
	cur_stack = NULL;
	return 0;
}

#else /* TERN_FUZZ_MAKE_CORPUS: write the seed corpus */

static uint8_t out[65536];
static size_t out_len;

static void b8(unsigned v) { out[out_len++] = (uint8_t)v; }
static void b16(unsigned v) { b8(v >> 8); b8(v); }
static void b32(uint32_t v) { b16(v >> 16); b16(v & 0xffff); }

static void op(unsigned o) { b8(o); }
static void op_s(unsigned o, unsigned slot) { b8(o); b8(slot); }
static void t_ms(unsigned ms) { op(OP_TIME); b16(T_MS_UNIT << 14 | ms); }
static void t_sec(unsigned sec) { op(OP_TIME); b16(T_SEC_UNIT << 14 | sec); }
static void t_next(void) { op(OP_TIME); b16(T_NEXT_DEADLINE << 14); }

/* A segment: sel (0x80 | our port idx | peer port idx << 2, or a flow
 * index), seq = raw or their ack + k, ack = our max + k (or raw 0). */
struct sg {
	unsigned sel, flags;
	bool seq_raw;
	uint32_t seq;
	int ack_k;
	bool no_ack;
	unsigned win;               /* 0: 65535 (unless zwin) */
	bool zwin;                  /* a zero window */
	bool syn_opts, ts;
	unsigned nsack;             /* SACK blocks: from tern's ISS + 1 + off, len bytes */
	unsigned sack_off[4], sack_len[4];
	unsigned plen;
};
static void seg(struct sg g)
{
	op(OP_SEG);
	b8(g.sel);
	b8(g.flags);
	unsigned am = g.no_ack ? ACK_RAW : ACK_OUR_MAX;
	b8((g.seq_raw ? SEQ_RAW : SEQ_THEIR_ACK) | am << 2);
	if (g.seq_raw)
		b32(g.seq);
	else
		b16(g.seq & 0xffff);
	if (g.no_ack)
		b32(0);
	else
		b16((unsigned)g.ack_k & 0xffff);
	b16(g.zwin ? 0 : g.win ? g.win : 0xffff);
	unsigned o = (g.syn_opts ? O_MSS | O_WS | O_SACKOK : 0) | (g.ts ? O_TS : 0) |
		     (g.nsack ? O_SACK : 0);
	b8(o);
	if (g.syn_opts) {
		b16(1460);
		b8(7);
	}
	if (g.ts) {
		b8(0);
		b8(0);
	}
	if (g.nsack) {
		b8(g.nsack - 1);
		for (unsigned i = 0; i < g.nsack; i++) {
			b16(g.sack_off[i]);
			b16(g.sack_len[i]);
		}
	}
	b16(g.plen);
}

static void save(const char *dir, const char *name, uint8_t cfg)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp) {
		perror(path);
		exit(1);
	}
	fputc(cfg, fp);
	fwrite(out, 1, out_len, fp);
	fclose(fp);
	out_len = 0;
}

#define PASSIVE_SEL (0x80 | 0 | 3 << 2) /* our port 80, the peer's 40000 */
#define ACT 0                           /* the first flow seen: our connect */
#define FA (TERN_TCP_ACK)

/* LISTEN on port 80 with backlog `bl`. */
static void listener(unsigned slot, unsigned bl)
{
	op_s(OP_SOCKET, slot);
	op_s(OP_BIND, slot); b8(0); b8(0);
	op_s(OP_LISTEN, slot); b8(bl);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];

	/* passive: SYN, SYN-ACK, ACK, data both ways, the peer's FIN, ours */
	listener(0, 4);
	t_ms(10);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = TERN_TCP_SYN, .seq_raw = true, .seq = 1000,
			.no_ack = true, .syn_opts = true, .ts = true});
	t_ms(10);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true});
	op_s(OP_ACCEPT, 0);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA | TERN_TCP_PSH, .ts = true, .plen = 100});
	op_s(OP_RECV, 1); b16(4096); b8(0);
	op_s(OP_SEND, 1); b16(3000); b8(0);
	t_ms(5);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true});
	t_ms(50);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA | TERN_TCP_FIN, .ts = true});
	op_s(OP_RECV, 1); b16(4096); b8(1);
	op_s(OP_CLOSE, 1);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true});
	t_sec(1);
	save(dir, "passive_data_close", 0);

	/* active: connect, SYN-ACK, data both ways with an echoing callback,
	 * our FIN first, TIME-WAIT */
	op_s(OP_SOCKET, 0);
	op_s(OP_CALLBACK, 0); b8(CB_ECHO);
	op_s(OP_CONNECT, 0); b8(0);
	t_ms(10);
	seg((struct sg){.sel = ACT, .flags = TERN_TCP_SYN | FA, .seq_raw = true, .seq = 5000,
			.syn_opts = true, .ts = true});
	op_s(OP_SEND, 0); b16(2000); b8(0);
	t_ms(10);
	seg((struct sg){.sel = ACT, .flags = FA | TERN_TCP_PSH, .ts = true, .plen = 500});
	t_ms(10);
	seg((struct sg){.sel = ACT, .flags = FA, .ts = true});
	op_s(OP_SHUTDOWN, 0); b8(TERN_SHUT_WR);
	t_ms(10);
	seg((struct sg){.sel = ACT, .flags = FA | TERN_TCP_FIN, .ts = true});
	t_sec(61);
	save(dir, "active_data_close", 0);

	/* a listener with backlog 1 and a SYN budget of 2: SYNs from four
	 * ports, handshakes completed, none accepted; cookies */
	listener(0, 1);
	for (unsigned p = 0; p < 4; p++) {
		seg((struct sg){.sel = 0x80 | p << 2, .flags = TERN_TCP_SYN, .seq_raw = true,
				.seq = 100000 * (p + 1), .no_ack = true, .syn_opts = true});
		t_ms(1);
	}
	for (unsigned p = 0; p < 4; p++)
		seg((struct sg){.sel = 0x80 | p << 2, .flags = FA});
	t_sec(3);
	op_s(OP_ACCEPT, 0);
	op_s(OP_CALLBACK, 0); b8(CB_ACCEPT);
	save(dir, "backlog_full", 32);

	/* a zero window: the peer's window closes with our data in flight,
	 * persist probes, then it opens */
	op_s(OP_SOCKET, 0);
	op_s(OP_CONNECT, 0); b8(1);
	t_ms(5);
	seg((struct sg){.sel = ACT, .flags = TERN_TCP_SYN | FA, .seq_raw = true, .seq = 7,
			.syn_opts = true, .win = 2000});
	op_s(OP_SEND, 0); b16(20000); b8(0);
	t_ms(5);
	seg((struct sg){.sel = ACT, .flags = FA, .ack_k = -1460, .zwin = true});
	t_next();
	t_next();
	t_sec(10);
	seg((struct sg){.sel = ACT, .flags = FA, .win = 8});
	t_ms(100);
	seg((struct sg){.sel = ACT, .flags = FA, .win = 0xffff});
	t_ms(100);
	op_s(OP_CLOSE, 0);
	save(dir, "zero_window", 1);

	/* retransmissions: data and FIN never acknowledged, RTO backoff; then
	 * a dup-ACK train and a partial ACK */
	listener(0, 8);
	op_s(OP_CALLBACK, 0); b8(CB_ACCEPT);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = TERN_TCP_SYN, .seq_raw = true, .seq = 1,
			.no_ack = true, .syn_opts = true});
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA});
	op_s(OP_SEND, 1); b16(10000); b8(0);
	op_s(OP_SETSOCKOPT, 1); b8(0); b8(1);
	for (int i = 0; i < 4; i++)
		seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ack_k = -10000});
	t_next();
	t_next();
	t_next();
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ack_k = -5000});
	op_s(OP_SHUTDOWN, 1); b8(TERN_SHUT_RDWR);
	t_sec(300);
	save(dir, "retransmissions", 1);

	/* a RST in the window, then one out of it (challenge ACK), linger */
	op_s(OP_SOCKET, 0);
	op_s(OP_SETSOCKOPT, 0); b8(9); b8(1);
	op_s(OP_CONNECT, 0); b8(0);
	seg((struct sg){.sel = ACT, .flags = TERN_TCP_SYN | FA, .seq_raw = true, .seq = 99,
			.syn_opts = true});
	seg((struct sg){.sel = ACT, .flags = TERN_TCP_RST, .seq = 100});
	seg((struct sg){.sel = ACT, .flags = TERN_TCP_RST, .seq = 0});
	op_s(OP_GETSOCKOPT, 0); b8(0);
	op_s(OP_CLOSE, 0);
	save(dir, "rst_linger", 0);

	/* SACK and D-SACK (RFC 2018, RFC 2883): holes, a copy of held data,
	 * the fill, copies below RCV.NXT; then the peer's blocks on our data:
	 * a D-SACK below the ACK, one within the second block, one beyond
	 * what we sent */
	listener(0, 4);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = TERN_TCP_SYN, .seq_raw = true, .seq = 7000,
			.no_ack = true, .syn_opts = true, .ts = true});
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true});
	op_s(OP_ACCEPT, 0);
	static const int ks[] = {300, 600, 900, 1200, 350, 0, -50, -400, 1000};
	for (unsigned i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true,
				.seq = (uint32_t)ks[i], .plen = 100});
		t_ms(1);
	}
	op_s(OP_SEND, 1); b16(6000); b8(0);
	t_ms(10);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true, .ack_k = -3000, .nsack = 2,
			.sack_off = {0, 4000}, .sack_len = {100, 1000}});
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true, .ack_k = -3000, .nsack = 2,
			.sack_off = {4100, 4000}, .sack_len = {100, 1000}});
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true, .ack_k = -3000, .nsack = 3,
			.sack_off = {5000, 9000, 4000}, .sack_len = {9000, 0, 100}});
	op_s(OP_RECV, 1); b16(8192); b8(0);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA | TERN_TCP_FIN, .ts = true, .plen = 10});
	op_s(OP_CLOSE, 1);
	t_sec(1);
	seg((struct sg){.sel = PASSIVE_SEL, .flags = FA, .ts = true});
	t_sec(120);
	save(dir, "sack_dsack", 0);
	return 0;
}

#endif
