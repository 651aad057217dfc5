/*
 * transport/tcp_conn.c — where connections live: the table of connections
 * by 4-tuple, listeners by port, the choice of local ports (RFC 6056) and
 * of initial sequence numbers (RFC 6528), and a connection's end.
 *
 * Connections are found by a hash of the 4-tuple keyed with the stack's
 * secret (a peer cannot aim at one chain); listeners, like every TCP socket
 * with a local port, are in the socket layer's tcp_ports table. No lookup
 * walks all connections.
 */
#include <stdlib.h>
#include <string.h>

#include "tern/tcp.h"

#include "core/rng.h"
#include "core/stack_impl.h"
#include "net/net.h"
#include "transport/sock.h"
#include "transport/tcp_cc.h"
#include "transport/tcp_trace.h"

static struct tern_sock *listener_for(struct tern_stack *s, tern_ip4_t laddr, uint16_t lport);

const char *tern_tcp_state_name(enum tern_tcp_state st)
{
	static const char *const names[] = {
		"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
		"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
	};
	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

static struct tern_tcp_table *table(struct tern_stack *s)
{
	return &s->socks->tcp;
}

int tern_tcp_table_init(struct tern_stack *s)
{
	struct tern_tcp_table *tt = table(s);
	/* challenge_second: none yet, so the first second draws its budget. */
	/* The buckets are made with the first connection (grow): an idle
	 * host of a big lab has none. */
	*tt = (struct tern_tcp_table){.challenge_second = -1};
	/* From the seed, not drawn from s->rng (see tern_sock_table_init). */
	tt->secret = tern_mix64(s->seed ^ 0x7463702d69737321ull);
	tt->port_hint = (uint32_t)tern_mix64(tt->secret);
	tt->cc_default = tern_cc_find(s->cfg->tcp_congestion_control);
	if (!tt->cc_default)
		tt->cc_default = &tern_cc_reno; /* an unknown name: Linux's fallback too */
	tcp_tw_table_init(s);
	return 0;
}

void tern_tcp_table_fini(struct tern_stack *s)
{
	struct tern_tcp_table *tt = table(s);
	/* Listeners first (they are in no hash chain): their queues hold
	 * connections the chains free below. */
	for (uint32_t i = 0; i < s->socks->nslots; i++) {
		struct tern_sock *so = s->socks->slots[i];
		if (so && so->tcb && so->tcb->state == TCPS_LISTEN) {
			tcp_tcb_free(s, so->tcb);
			so->tcb = NULL;
		}
	}
	for (uint32_t i = 0; i < tt->nbuckets; i++) {
		while (tt->buckets[i]) {
			struct tern_tcb *tp = tt->buckets[i];
			tcp_hash_remove(s, tp);
			if (tp->so)
				tp->so->tcb = NULL;
			tcp_tcb_free(s, tp);
		}
	}
	free(tt->buckets);
	tt->buckets = NULL;
	tcp_tw_table_fini(s);
	tcp_fo_cache_free(s);
	while (tt->tcb_cache) {
		struct tern_tcb *tp = tt->tcb_cache;
		tt->tcb_cache = tp->hnext;
		free(tp);
	}
	while (tt->ring_cached)
		free(tt->ring_cache[--tt->ring_cached]);
	while (tt->tx_cache) {
		struct tcp_txtimes *x = tt->tx_cache;
		tt->tx_cache = x->next;
		free(x);
	}
	tt->tcb_cached = tt->tx_cached = 0;
}

/* ---- perf: recycled tcbs and small send rings ----
 * A connection's tcb and its first send-ring buffer (TCP_SND_RING_MIN)
 * come from malloc; a stack opening and closing connections at a high
 * rate paid five library calls per connection for them (bench/callgrind.sh
 * cps). Up to TCP_CACHE_MAX of each wait in the table for the next
 * connection. Sanitizer builds keep none, so that a use after free is
 * still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define TCP_CACHE_MAX 0u
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TCP_CACHE_MAX 0u
#endif
#endif
#ifndef TCP_CACHE_MAX
#define TCP_CACHE_MAX 16u
#endif
_Static_assert(TCP_CACHE_MAX <= sizeof(((struct tern_tcp_table *)0)->ring_cache) /
				      sizeof(uint8_t *),
	       "ring cache size");
static const unsigned tcp_cache_max = TCP_CACHE_MAX; /* (0: no "always false" warning) */

struct tcp_txtimes *tcp_txtimes_get(struct tern_stack *s)
{
	struct tern_tcp_table *tt = table(s);
	struct tcp_txtimes *x = tt->tx_cache;
	if (x) {
		tt->tx_cache = x->next;
		tt->tx_cached--;
		return x;
	}
	return malloc(sizeof(*x));
}

void tcp_txtimes_put(struct tern_stack *s, struct tern_tcb *tp)
{
	struct tern_tcp_table *tt = table(s);
	struct tcp_txtimes *x = tp->tx;
	tp->tx = NULL;
	tp->xmap_n = tp->rxmap_n = 0;
	if (!x)
		return;
	if (tt->tx_cached < tcp_cache_max) {
		x->next = tt->tx_cache;
		tt->tx_cache = x;
		tt->tx_cached++;
		return;
	}
	free(x);
}

void tcp_snd_ring_free(struct tern_stack *s, struct tern_tcb *tp)
{
	struct tern_tcp_table *tt = table(s);
	struct tern_ring *r = &tp->snd;
	if (r->buf && r->cap == TCP_SND_RING_MIN && tt->ring_cached < tcp_cache_max) {
		tt->ring_cache[tt->ring_cached++] = r->buf;
		r->buf = NULL;
		r->head = r->len = 0;
		return;
	}
	tern_ring_fini(r);
}

void tcp_snd_ring_prepare(struct tern_stack *s, struct tern_tcb *tp)
{
	struct tern_tcp_table *tt = table(s);
	struct tern_ring *r = &tp->snd;
	if (!r->buf && r->cap == TCP_SND_RING_MIN && tt->ring_cached) {
		r->buf = tt->ring_cache[--tt->ring_cached];
		r->head = r->len = 0;
	}
}

/* A connection that still owes its peer something: bytes not yet
 * acknowledged (or not yet sent), or a FIN not yet acknowledged. */
static bool owes_peer(const struct tern_tcb *tp)
{
	switch (tp->state) {
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
	case TCPS_FIN_WAIT_1:
	case TCPS_CLOSING:
	case TCPS_LAST_ACK:
		return true;
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		return tp->snd_una != tp->snd_max || tern_ring_len(&tp->snd) > 0;
	default:
		return false;
	}
}

unsigned tern_tcp_pending(struct tern_stack *s)
{
	const struct tern_tcp_table *tt = table(s);
	unsigned n = 0;
	for (uint32_t i = 0; i < tt->nbuckets; i++)
		for (const struct tern_tcb *tp = tt->buckets[i]; tp; tp = tp->hnext)
			n += owes_peer(tp);
	return n;
}

static uint32_t tuple_hash(struct tern_stack *s, const struct tcp_tuple *t)
{
	return tern_sock_hash4(s->socks, t->laddr, t->lport, t->raddr, t->rport);
}

static bool tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr && a->lport == b->lport &&
	       a->rport == b->rport;
}

/* Double the buckets when chains would average more than one. */
static void grow(struct tern_stack *s)
{
	struct tern_tcp_table *tt = table(s);
	uint32_t nb = tt->nbuckets ? tt->nbuckets * 2 : TCP_HASH_MIN;
	struct tern_tcb **b = calloc(nb, sizeof(*b));
	if (!b)
		return; /* chains get longer; nothing breaks */
	for (uint32_t i = 0; i < tt->nbuckets; i++) {
		for (struct tern_tcb *tp = tt->buckets[i], *next; tp; tp = next) {
			next = tp->hnext;
			uint32_t h = tuple_hash(s, &tp->t) & (nb - 1);
			tp->hnext = b[h];
			b[h] = tp;
		}
	}
	free(tt->buckets);
	tt->buckets = b;
	tt->nbuckets = nb;
}

int tcp_hash_insert(struct tern_stack *s, struct tern_tcb *tp)
{
	struct tern_tcp_table *tt = table(s);
	if (tcp_lookup(s, &tp->t))
		return TERN_EADDRINUSE;
	if (tt->count >= tt->nbuckets)
		grow(s);
	if (!tt->buckets)
		return TERN_ENOMEM;
	struct tern_tcb **head = &tt->buckets[tuple_hash(s, &tp->t) & (tt->nbuckets - 1)];
	tp->hnext = *head;
	*head = tp;
	tp->hashed = true;
	tt->count++;
	return 0;
}

void tcp_hash_remove(struct tern_stack *s, struct tern_tcb *tp)
{
	struct tern_tcp_table *tt = table(s);
	if (!tp->hashed)
		return;
	struct tern_tcb **pp = &tt->buckets[tuple_hash(s, &tp->t) & (tt->nbuckets - 1)];
	while (*pp != tp)
		pp = &(*pp)->hnext;
	*pp = tp->hnext;
	tp->hnext = NULL;
	tp->hashed = false;
	tt->count--;
}

struct tern_tcb *tcp_lookup(struct tern_stack *s, const struct tcp_tuple *t)
{
	struct tern_tcp_table *tt = table(s);
	if (!tt->buckets)
		return NULL;
	for (struct tern_tcb *tp = tt->buckets[tuple_hash(s, t) & (tt->nbuckets - 1)]; tp;
	     tp = tp->hnext)
		if (tuple_eq(&tp->t, t))
			return tp;
	return NULL;
}

static bool listening(const struct tern_sock *o)
{
	return o->tcb && o->tcb->state == TCPS_LISTEN;
}

/* SO_REUSEPORT listeners share the connections by a hash of the 4-tuple
 * (as Linux's reuseport groups). */
struct tern_sock *tcp_lookup_listener(struct tern_stack *s, const struct tcp_tuple *t)
{
	struct tern_sock *so = listener_for(s, t->laddr, t->lport);
	if (so && so->reuseport)
		so = tern_sock_reuseport_pick(s, &s->socks->tcp_ports, so,
					      tern_sock_hash4(s->socks, t->laddr, t->lport, t->raddr,
							      t->rport),
					      listening);
	return so;
}

static struct tern_sock *listener_for(struct tern_stack *s, tern_ip4_t laddr, uint16_t lport)
{
	const struct tern_sock_htab *h = &s->socks->tcp_ports;
	struct tern_sock *wild = NULL;
	uint32_t hash = tern_sock_hash4(s->socks, 0, lport, 0, 0);
	for (struct tern_sock *so = tern_sock_htab_first(h, hash); so;
	     so = tern_sock_htab_next(h, so)) {
		if (so->lport != lport || !listening(so))
			continue;
		if (so->rcv_addr == laddr)
			return so;
		if (so->rcv_addr == 0)
			wild = so;
	}
	return wild;
}

/* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a timer ticking every 4 µs. F is the stack's keyed mix of
 * the tuple, so a seed gives the same numbers and peers cannot predict
 * another connection's. */
tcp_seq tcp_iss(struct tern_stack *s, const struct tcp_tuple *t, tern_time_t now)
{
	uint64_t k = ((uint64_t)t->laddr << 32 | t->raddr) ^ table(s)->secret;
	uint64_t f = tern_mix64(tern_mix64(k) ^ ((uint64_t)t->lport << 16 | t->rport));
	return (tcp_seq)(f >> 32) + (tcp_seq)(now / TERN_USEC(4));
}


/* RFC 6056 §3.3.3 (algorithm 3, "Simple Hash-Based"): start at a keyed
 * hash of the destination plus a counter, and take the first port whose
 * 4-tuple is free. A port some socket has bound is left alone. */
int tcp_pick_port(struct tern_stack *s, tern_ip4_t laddr, tern_ip4_t raddr, uint16_t rport)
{
	struct tern_tcp_table *tt = table(s);
	/* ip_local_port_range (Linux's; tern_sysctl_set keeps low <= high) */
	uint32_t low = s->cfg->ip_local_port_range[0], high = s->cfg->ip_local_port_range[1];
	uint32_t n = high >= low ? high - low + 1 : 1;
	uint32_t offset = (uint32_t)tern_mix64(((uint64_t)raddr << 16 | rport) ^ tt->secret);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(low + (offset + tt->port_hint + i) % n);
		struct tcp_tuple t = {laddr, raddr, port, rport};
		if (tcp_lookup(s, &t))
			continue;
		bool bound = false;
		uint32_t hash = tern_sock_hash4(s->socks, 0, port, 0, 0);
		for (struct tern_sock *so = tern_sock_htab_first(&s->socks->tcp_ports, hash); so;
		     so = tern_sock_htab_next(&s->socks->tcp_ports, so))
			bound |= so->lport == port;
		if (bound)
			continue;
		tt->port_hint += i + 1;
		return port;
	}
	return TERN_EADDRNOTAVAIL;
}

struct tern_tcb *tcp_tcb_new(struct tern_stack *s)
{
	struct tern_tcp_table *tt = table(s);
	struct tern_tcb *tp = tt->tcb_cache;
	if (tp) {
		tt->tcb_cache = tp->hnext;
		tt->tcb_cached--;
		memset(tp, 0, sizeof(*tp));
	} else if (!(tp = calloc(1, sizeof(*tp)))) {
		return NULL;
	}
	tcp_timer_init(tp);
	tp->rto = s->cfg->tcp_rto_initial;
	tp->keepidle = s->cfg->tcp_keepalive_time;
	tp->keepintvl = s->cfg->tcp_keepalive_intvl;
	tp->keepcnt = s->cfg->tcp_keepalive_probes;
	tp->snd_ssthresh = UINT32_MAX;
	tcp_recovery_init(tp);
	tp->cc = table(s)->cc_default;
	tcp_pacing_init(s, tp);
	tern_ring_init(&tp->snd, TCP_SND_RING_MIN);
	tp->snd_limit = TERN_SOCK_BUF_MAX;
	tp->id = ++table(s)->next_id;
	tcp_trace_new(s, tp);
	return tp;
}

static void free_queues(struct tern_stack *s, struct tern_tcb *tp)
{
	tern_pkt_queue_purge(&s->pool, &tp->rcvq);
	while (tp->ofo) {
		struct tern_pkt *p = tp->ofo;
		tp->ofo = p->next;
		tern_stack_pkt_free(s, p);
	}
	tp->ofo_tail = NULL;
	tcp_ofo_uncharge_all(s, tp);
	tern_budget_uncharge(&s->budget.sock_rx, tp->rcv_charged);
	tp->rcv_charged = 0;
	tp->rcv_queued = 0;
	tp->ofo_count = 0;
}

void tcp_tcb_free(struct tern_stack *s, struct tern_tcb *tp)
{
	tcp_timer_cancel_all(s, tp);
	free_queues(s, tp);
	tcp_snd_ring_free(s, tp);
	tcp_trace_free(tp);
	tcp_recovery_free(tp);
	tcp_txtimes_put(s, tp);
	struct tern_tcp_table *tt = table(s);
	if (tt->tcb_cached < tcp_cache_max) {
		tp->hnext = tt->tcb_cache;
		tt->tcb_cache = tp;
		tt->tcb_cached++;
		return;
	}
	free(tp);
}

/* Take tp off its listener's queues (it is being dropped). */
static void unlink_listener(struct tern_stack *s, struct tern_tcb *tp)
{
	struct tern_tcb *lp = tp->listener;
	if (!lp)
		return;
	if (tp->state == TCPS_SYN_RECEIVED && !tcp_fo_child(tp)) {
		lp->synq_len--;
		table(s)->half_open--;
	} else {
		struct tern_tcb **pp = &lp->accq_head;
		while (*pp && *pp != tp)
			pp = &(*pp)->qnext;
		if (*pp) {
			*pp = tp->qnext;
			if (lp->accq_tail == tp) {
				lp->accq_tail = NULL;
				for (struct tern_tcb *q = lp->accq_head; q; q = q->qnext)
					lp->accq_tail = q;
			}
			lp->accq_len--;
		}
	}
	tp->listener = NULL;
	tp->qnext = NULL;
}

void tcp_set_state(struct tern_stack *s, struct tern_tcb *tp, enum tern_tcp_state st)
{
	if (tp->state == TCPS_SYN_RECEIVED && tp->listener && st != TCPS_SYN_RECEIVED &&
	    !tcp_fo_child(tp)) {
		tp->listener->synq_len--;
		table(s)->half_open--;
	}
	if (st != TCPS_SYN_RECEIVED)
		tcp_fastopen_release(tp);
	tp->state = (uint8_t)st;
	tcp_trace_sync(s, tp, s->now);
	if (st == TCPS_TIME_WAIT) {
		/* RFC 9293 §3.10.7.4: 2*MSL, then delete the TCB. Only the
		 * TIME-WAIT deadline is left. */
		tcp_timer_cancel_all(s, tp);
		tcp_tw_start(s, tp, s->now + s->cfg->tcp_time_wait);
		tcp_snd_ring_free(s, tp);
		if (!tp->so)
			free_queues(s, tp); /* an open socket may still read them */
	}
}

void tcp_wakeup(struct tern_stack *s, struct tern_tcb *tp)
{
	if (tp->so)
		tern_sock_wakeup(s, tp->so);
	else if (tp->listener && tp->listener->so &&
		 (tp->state != TCPS_SYN_RECEIVED || tcp_fo_child(tp))) /* in the accept queue */
		tern_sock_wakeup(s, tp->listener->so);
}

bool tcp_close_tcb(struct tern_stack *s, struct tern_tcb *tp)
{
	tcp_hash_remove(s, tp);
	unlink_listener(s, tp);
	tcp_fastopen_release(tp);
	tcp_timer_cancel_all(s, tp);
	tp->state = TCPS_CLOSED;
	tcp_trace_sync(s, tp, s->now);
	if (tp->so) {
		/* The socket keeps its tcb (closed, with its error) until the
		 * application closes it. */
		tcp_snd_ring_free(s, tp);
		tcp_wakeup(s, tp);
		return true;
	}
	tcp_tcb_free(s, tp);
	return false;
}

bool tcp_drop(struct tern_stack *s, struct tern_tcb *tp, int err, bool send_rst)
{
	if (send_rst && tp->state >= TCPS_SYN_RECEIVED && tp->state != TCPS_TIME_WAIT) {
		tcp_send_ctl(s, tp, tp->snd_nxt, TERN_TCP_RST | TERN_TCP_ACK, s->now);
		tern_stat_inc(s, TERN_STAT_TCP_OUT_RSTS);
	}
	if (err && tp->so)
		tp->so->so_error = err;
	if (tp->state >= TCPS_SYN_SENT && tp->state != TCPS_TIME_WAIT)
		tern_stat_inc(s, tp->state == TCPS_SYN_RECEIVED || tp->state == TCPS_SYN_SENT
					 ? TERN_STAT_TCP_ATTEMPT_FAILS
					 : TERN_STAT_TCP_ESTAB_RESETS);
	return tcp_close_tcb(s, tp);
}
