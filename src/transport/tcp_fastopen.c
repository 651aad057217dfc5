/*
 * transport/tcp_fastopen.c — TCP Fast Open, the server side (RFC 7413),
 * as Linux does it where the RFC leaves room.
 *
 * A client first asks for a cookie (a SYN with an empty option, kind 34)
 * and the SYN-ACK gives one: 8 bytes, a keyed hash of the client's and
 * our address (§4.1.2), so nothing is stored per client. A later SYN
 * that carries the cookie and data makes the connection at once (§4.2.2):
 * the child is SYN-RECEIVED, its receive queue holds the data, the
 * SYN-ACK acknowledges it, and the child is in the listener's accept
 * queue straight away, so the application reads and answers in the
 * SYN-ACK's round trip. A bad cookie costs the client one round trip: the
 * data is not acknowledged and the SYN-ACK carries the right cookie.
 *
 * net.ipv4.tcp_fastopen (Linux's bits): 0x2 the server side; a listener
 * takes part if it set TCP_FASTOPEN (qlen) or, with 0x400, always (qlen =
 * its backlog); 0x200 accepts data without a cookie. §5.1's defence
 * against spoofed SYNs with data: qlen bounds a listener's children still
 * in SYN-RECEIVED (one reset keeps its place for an RTO); past it,
 * ordinary handshakes. Under SYN cookies (queue full) Fast Open is not
 * used at all (tcp_input.c answers first).
 *
 * The cookie is SipHash-2-4 (Aumasson, Bernstein 2012) of the addresses
 * under a key derived from the stack's secret: a keyed PRF, so cookies
 * seen for some addresses say nothing of those for others nor of the key
 * (the stack's mix64 is a bijection: one output would give the key away).
 */
#include <string.h>

#include "core/rng.h"
#include "core/stack_impl.h"
#include "tern/stats.h"
#include "transport/sock.h"

/* tcp_fastopen's bits (Linux's TFO_SERVER_ENABLE, _COOKIE_NOT_REQD, _WO_SOCKOPT1). */
#define FO_SERVER 0x2u
#define FO_NO_COOKIE 0x200u
#define FO_WO_SOCKOPT 0x400u

/* ---- the cookie (§4.1.2) ---- */

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip *v)
{
	v->v0 += v->v1;
	v->v1 = rotl(v->v1, 13) ^ v->v0;
	v->v0 = rotl(v->v0, 32);
	v->v2 += v->v3;
	v->v3 = rotl(v->v3, 16) ^ v->v2;
	v->v0 += v->v3;
	v->v3 = rotl(v->v3, 21) ^ v->v0;
	v->v2 += v->v1;
	v->v1 = rotl(v->v1, 17) ^ v->v2;
	v->v2 = rotl(v->v2, 32);
}

static void sip_word(struct sip *v, uint64_t m)
{
	v->v3 ^= m;
	sip_round(v);
	sip_round(v);
	v->v0 ^= m;
}

static uint64_t le64(const uint8_t *p, size_t n)
{
	uint64_t x = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

uint64_t tcp_siphash24(uint64_t k0, uint64_t k1, const uint8_t *msg, size_t n)
{
	struct sip v = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		sip_word(&v, le64(msg + i, 8));
	sip_word(&v, le64(msg + i, n - i) | (uint64_t)(n & 0xff) << 56);
	v.v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		sip_round(&v);
	return v.v0 ^ v.v1 ^ v.v2 ^ v.v3;
}

struct tcp_addr tcp_addr_ip4(tern_ip4_t a)
{
	struct tcp_addr x = {.family = 4, .len = 4};
	x.b[0] = (uint8_t)(a >> 24);
	x.b[1] = (uint8_t)(a >> 16);
	x.b[2] = (uint8_t)(a >> 8);
	x.b[3] = (uint8_t)a;
	return x;
}

/* The message: family, client, server (an address of each family hashes
 * apart from any of the other). */
static size_t cookie_msg(const struct tcp_addr *client, const struct tcp_addr *server,
			 uint8_t msg[34])
{
	size_t n = 0;
	msg[n++] = client->family;
	memcpy(msg + n, client->b, client->len);
	n += client->len;
	msg[n++] = server->family;
	memcpy(msg + n, server->b, server->len);
	return n + server->len;
}

void tcp_fastopen_cookie(const struct tern_stack *s, const struct tcp_addr *client,
			 const struct tcp_addr *server, uint8_t out[TCP_FO_COOKIE_LEN])
{
	uint64_t secret = s->socks->tcp.secret;
	uint64_t k0 = tern_mix64(secret ^ 0x74666f2d6b657930ull); /* "tfo-key0" */
	uint64_t k1 = tern_mix64(secret ^ 0x74666f2d6b657931ull);
	uint8_t msg[34];
	uint64_t h = tcp_siphash24(k0, k1, msg, cookie_msg(client, server, msg));
	for (int i = 0; i < TCP_FO_COOKIE_LEN; i++)
		out[i] = (uint8_t)(h >> (8 * i));
}

static bool cookie_valid(const struct tern_stack *s, const struct tern_tcp_repr *th,
			 const struct tcp_tuple *t)
{
	if (th->tfo_len != TCP_FO_COOKIE_LEN)
		return false;
	struct tcp_addr client = tcp_addr_ip4(t->raddr), server = tcp_addr_ip4(t->laddr);
	uint8_t want[TCP_FO_COOKIE_LEN];
	tcp_fastopen_cookie(s, &client, &server, want);
	uint8_t diff = 0; /* in constant time: no timing tells how much matched */
	for (int i = 0; i < TCP_FO_COOKIE_LEN; i++)
		diff |= (uint8_t)(want[i] ^ th->tfo_cookie[i]);
	return diff == 0;
}

/* ---- the SYN (§4.2.1, Linux's tcp_try_fastopen) ---- */

/* Children reset in SYN-RECEIVED keep their places this long (Linux:
 * until their SYN-ACK's timer would have fired), so a peer cannot reset
 * its way through the queue at line rate. */
static unsigned queue_len(const struct tern_stack *s, struct tern_tcb *lp)
{
	if (lp->fo_rst && s->now >= lp->fo_rst_until)
		lp->fo_rst = 0;
	return lp->fo_qlen + lp->fo_rst;
}

enum tcp_fo_verdict tcp_fastopen_syn(struct tern_stack *s, struct tern_tcb *lp,
				     const struct tern_tcp_repr *th, const struct tcp_tuple *t,
				     uint32_t len)
{
	unsigned cfg = s->cfg->tcp_fastopen;
	if (th->has_tfo && th->tfo_len == 0)
		tern_stat_inc(s, TERN_STAT_TCP_FASTOPEN_COOKIE_REQD); /* counted as Linux: asked */
	if (!(cfg & FO_SERVER) || !lp->fo_max || !(len || th->has_tfo))
		return TCP_FO_NONE; /* the option is ignored */
	if (queue_len(s, lp) >= lp->fo_max) {
		/* §5.1: a bounded number of children before the handshake
		 * ends; past it an ordinary handshake, and no cookie. */
		tern_stat_inc(s, TERN_STAT_TCP_FASTOPEN_LISTEN_OVERFLOW);
		return TCP_FO_NONE;
	}
	if (cfg & FO_NO_COOKIE)
		return TCP_FO_ACCEPT;
	if (!th->has_tfo)
		return TCP_FO_NONE; /* data without the option: not Fast Open */
	if (th->tfo_len == 0)
		return TCP_FO_SEND_COOKIE;
	if (cookie_valid(s, th, t))
		return TCP_FO_ACCEPT; /* (with data or not, as Linux) */
	/* §4.2.1: an invalid cookie: the data is dropped, the right cookie sent. */
	tern_stat_inc(s, TERN_STAT_TCP_FASTOPEN_PASSIVE_FAIL);
	return TCP_FO_SEND_COOKIE;
}

bool tcp_fastopen_child(struct tern_stack *s, struct tern_tcb *lp, struct tern_tcb *tp,
			struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
			const struct tern_tcp_repr *th, uint32_t len, bool *pkt_taken)
{
	*pkt_taken = false;
	if (len) {
		if (len > tcp_rcv_space(tp))
			return false;
		if (!tcp_charge_rcv(s, tp, pkt, ip, th, s->now)) {
			*pkt_taken = true; /* dropped, counted */
			return false;
		}
		/* §4.2.2: the data follows the SYN's sequence number. */
		struct tern_tcp_repr d = *th;
		d.seq = th->seq + 1;
		tcp_rcv_enqueue(tp, pkt, &d, len, s->now);
		*pkt_taken = true;
		tp->bytes_received += len;
		tp->data_segs_in++;
		tcp_measure_rcv_mss(tp, len);
		tp->fo_flags |= TCP_FO_SYN_DATA;
	}
	/* From the SYN queue to the accept queue; counted in the Fast Open
	 * queue until the handshake's last ACK. */
	lp->synq_len--;
	s->socks->tcp.half_open--;
	lp->fo_qlen++;
	tp->fo_listener = lp;
	tp->fo_flags |= TCP_FO_CHILD;
	tcp_accept_enqueue(s, lp, tp);
	tern_stat_inc(s, TERN_STAT_TCP_FASTOPEN_PASSIVE);
	return true;
}

void tcp_fastopen_release(struct tern_tcb *tp)
{
	if (tp->fo_listener) {
		tp->fo_listener->fo_qlen--;
		tp->fo_listener = NULL;
	}
}

void tcp_fastopen_reset(struct tern_stack *s, struct tern_tcb *tp)
{
	struct tern_tcb *lp = tp->fo_listener;
	if (!lp)
		return;
	if (lp->fo_rst < lp->fo_max)
		lp->fo_rst++;
	lp->fo_rst_until = s->now + tcp_rto(s, tp);
	tcp_fastopen_release(tp);
}

/* ---- the listener's limit (Linux's fastopen_queue_tune) ---- */

void tcp_fastopen_listen(const struct tern_stack *s, struct tern_tcb *lp)
{
	unsigned cfg = s->cfg->tcp_fastopen;
	if (!lp->fo_max && (cfg & FO_SERVER) && (cfg & FO_WO_SOCKOPT))
		lp->fo_max = lp->backlog;
}

int tcp_fastopen_set(const struct tern_stack *s, struct tern_tcb *tp, int qlen)
{
	if (qlen < 0 || (tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN))
		return TERN_EINVAL;
	tp->fo_max = (unsigned)qlen < s->cfg->somaxconn ? (unsigned)qlen : s->cfg->somaxconn;
	return 0;
}
