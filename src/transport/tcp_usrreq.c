/*
 * transport/tcp_usrreq.c — TCP's socket operations (RFC 9293 §3.10.1-6,
 * "USER CALLS"), with Linux's non-blocking semantics: connect answers
 * EINPROGRESS and completes with POLLOUT; accept, send and recv answer
 * EAGAIN rather than wait; close hands the connection to TCP to finish.
 *
 * Binding follows Linux's rules: a port is shared only by sockets that
 * all set SO_REUSEADDR (none of them listening) or all set SO_REUSEPORT.
 */
#include <string.h>

#include "wire/bytes.h"
#include "core/stack_impl.h"
#include "net/ipv4.h"
#include "net/net.h"
#include "tern/tcp.h"
#include "transport/sock.h"
#include "transport/tcp_cc.h"

static uint32_t port_hash(const struct tern_stack *s, uint16_t port)
{
	return tern_sock_hash4(s->socks, 0, port, 0, 0);
}

/* ---- binding ---- */

static bool bind_conflict(const struct tern_sock *so, tern_ip4_t addr, const struct tern_sock *o)
{
	if (addr != 0 && o->rcv_addr != 0 && addr != o->rcv_addr)
		return false;
	bool listening = o->tcb && o->tcb->state == TCPS_LISTEN;
	if (so->reuseaddr && o->reuseaddr && !listening)
		return false;
	if (so->reuseport && o->reuseport)
		return false;
	return true;
}

static bool port_taken(struct tern_stack *s, const struct tern_sock *so, tern_ip4_t addr,
		       uint16_t port)
{
	const struct tern_sock_htab *h = &s->socks->tcp_ports;
	for (struct tern_sock *o = tern_sock_htab_first(h, port_hash(s, port)); o;
	     o = tern_sock_htab_next(h, o))
		if (o != so && o->lport == port && bind_conflict(so, addr, o))
			return true;
	return false;
}

static int file_port(struct tern_stack *s, struct tern_sock *so, tern_ip4_t addr, uint16_t port)
{
	int err = tern_sock_htab_insert(&s->socks->tcp_ports, so, port_hash(s, port));
	if (err < 0)
		return err;
	so->lport = port;
	so->rcv_addr = addr;
	so->src_addr = addr;
	return 0;
}

/* An ephemeral port for a socket that listens or binds port 0: RFC 6056
 * algorithm 3 keyed on nothing in particular. */
static int pick_bind_port(struct tern_stack *s, struct tern_sock *so, tern_ip4_t addr)
{
	for (int tries = 0; tries < 64; tries++) {
		int port = tcp_pick_port(s, addr, (tern_ip4_t)tries, (uint16_t)tries);
		if (port < 0)
			return port;
		if (!port_taken(s, so, addr, (uint16_t)port))
			return port;
	}
	return TERN_EADDRINUSE;
}

static int tcp_bind(struct tern_stack *s, struct tern_sock *so, const struct tern_sockaddr_in *a)
{
	if (so->lport || (so->tcb && so->tcb->state != TCPS_CLOSED))
		return TERN_EINVAL;
	if (a->addr != 0 && !tern_stack_is_local_addr(s, a->addr))
		return TERN_EADDRNOTAVAIL; /* TCP binds only to a unicast address of ours */
	int port = a->port;
	if (port == 0 && (port = pick_bind_port(s, so, a->addr)) < 0)
		return port;
	if (port_taken(s, so, a->addr, (uint16_t)port))
		return TERN_EADDRINUSE;
	so->addr_locked = a->addr != 0;
	so->port_locked = a->port != 0;
	return file_port(s, so, a->addr, (uint16_t)port);
}

/* A new TCP socket's buffers are tcp_rmem[1] / tcp_wmem[1] (Linux's
 * tcp_init_sock), not net.core's defaults. */
static int tcp_init(struct tern_stack *s, struct tern_sock *so)
{
	so->rcvbuf = (int)s->cfg->tcp_rmem[1];
	so->sndbuf = (int)s->cfg->tcp_wmem[1];
	return 0;
}

/* ---- the tcb behind a socket ---- */

struct tern_tcb *tcp_attach_tcb(struct tern_stack *s, struct tern_sock *so)
{
	if (so->tcb)
		return so->tcb;
	struct tern_tcb *tp = tcp_tcb_new(s);
	if (!tp)
		return NULL;
	tp->so = so;
	so->tcb = tp;
	tp->snd_limit = (size_t)so->sndbuf;
	return tp;
}

static int tcp_listen(struct tern_stack *s, struct tern_sock *so, int backlog)
{
	struct tern_tcb *tp = so->tcb;
	if (tp && tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN)
		return TERN_EINVAL;
	if (!so->lport) {
		struct tern_sockaddr_in any = {0, 0};
		int err = tcp_bind(s, so, &any);
		if (err < 0)
			return err;
	} else {
		/* A listener shares its port with no one but SO_REUSEPORT. */
		const struct tern_sock_htab *h = &s->socks->tcp_ports;
		for (struct tern_sock *o = tern_sock_htab_first(h, port_hash(s, so->lport)); o;
		     o = tern_sock_htab_next(h, o))
			if (o != so && o->lport == so->lport && o->tcb &&
			    o->tcb->state == TCPS_LISTEN && !(so->reuseport && o->reuseport) &&
			    (!o->rcv_addr || !so->rcv_addr || o->rcv_addr == so->rcv_addr))
				return TERN_EADDRINUSE;
	}
	if (!(tp = tcp_attach_tcb(s, so)))
		return TERN_ENOMEM;
	tp->state = TCPS_LISTEN;
	tp->t.laddr = so->rcv_addr;
	tp->t.lport = so->lport;
	/* Linux: the backlog is capped at somaxconn; the queue is full when
	 * it holds more than backlog. */
	if (backlog < 0 || (unsigned)backlog > s->cfg->somaxconn)
		backlog = (int)s->cfg->somaxconn;
	tp->backlog = (unsigned)backlog;
	tcp_fastopen_listen(s, tp);
	return 0;
}

void tcp_accept_enqueue(struct tern_stack *s, struct tern_tcb *lp, struct tern_tcb *tp)
{
	tp->listener = lp;
	tp->qnext = NULL;
	if (lp->accq_tail)
		lp->accq_tail->qnext = tp;
	else
		lp->accq_head = tp;
	lp->accq_tail = tp;
	lp->accq_len++;
	/* No wakeup here: input finishes the segment first and wakes the
	 * listener at its end (tcp_wakeup), so an application that accepts
	 * and sends from its callback finds the handshake complete. */
	(void)s;
}

static int tcp_accept(struct tern_stack *s, struct tern_sock *so, struct tern_sockaddr_in *peer)
{
	struct tern_tcb *lp = so->tcb;
	if (!lp || lp->state != TCPS_LISTEN)
		return TERN_EINVAL;
	struct tern_tcb *tp = lp->accq_head;
	if (!tp)
		return TERN_EAGAIN;
	int err;
	struct tern_sock *nso = tern_sock_new(s, &tern_tcp_sock_ops, &err);
	if (!nso)
		return err;
	lp->accq_head = tp->qnext;
	if (!lp->accq_head)
		lp->accq_tail = NULL;
	lp->accq_len--;
	tp->qnext = NULL;
	tp->listener = NULL;
	/* Options a listener had pass to what it accepts (as Linux). */
	nso->rcvbuf = so->rcvbuf;
	nso->sndbuf = so->sndbuf;
	nso->rcvbuf_locked = so->rcvbuf_locked;
	nso->sndbuf_locked = so->sndbuf_locked;
	nso->ttl = so->ttl;
	nso->tos = so->tos;
	memcpy(nso->owner, so->owner, sizeof(nso->owner));
	nso->tcb = tp;
	tp->so = nso;
	tp->snd_limit = (size_t)nso->sndbuf;
	nso->connected = true;
	nso->peer_addr = tp->t.raddr;
	nso->peer_port = tp->t.rport;
	if (file_port(s, nso, tp->t.laddr, tp->t.lport) < 0) {
		tcp_drop(s, tp, 0, true);
		tern_close(s, nso->sd);
		return TERN_ENOMEM;
	}
	if (peer)
		*peer = (struct tern_sockaddr_in){tp->t.raddr, tp->t.rport};
	return nso->sd;
}

/* TCP_FASTOPEN_CONNECT's connect returned 0 and no SYN has gone yet. */
static bool fo_deferred(const struct tern_tcb *tp)
{
	return tp && tp->fo.deferred && tp->state == TCPS_SYN_SENT && tp->snd_max == tp->iss;
}

/* connect(2) up to the SYN: the tuple, SYN-SENT, the ISS, the options. */
static int connect_setup(struct tern_stack *s, struct tern_sock *so,
			 const struct tern_sockaddr_in *a)
{
	struct tern_tcb *tp = so->tcb;
	if (tp) {
		switch (tp->state) {
		case TCPS_SYN_SENT:
			return fo_deferred(tp) ? TERN_EISCONN : TERN_EALREADY; /* Linux */
		case TCPS_SYN_RECEIVED:
			return TERN_EALREADY;
		case TCPS_LISTEN:
			return TERN_EINVAL;
		case TCPS_CLOSED:
			if (so->connected) {
				/* A failed connect reports its error once. */
				int err = tern_sock_take_error(so);
				return err ? err : TERN_ECONNABORTED;
			}
			break;
		default:
			return TERN_EISCONN;
		}
	}
	if (!a)
		return TERN_EAFNOSUPPORT;
	if (a->port == 0 || a->addr == 0 || tern_ip4_is_multicast(a->addr) ||
	    tern_ip4_is_our_broadcast(s, a->addr))
		return a->port == 0 ? TERN_ECONNREFUSED : TERN_ENETUNREACH;
	struct tern_route_result rt;
	int err = tern_ipv4_route(s, a->addr, so->src_addr, &rt);
	if (err < 0)
		return err;
	tern_ip4_t laddr = so->src_addr ? so->src_addr : rt.src;
	if (!(tp = tcp_attach_tcb(s, so)))
		return TERN_ENOMEM;
	uint16_t lport = so->lport;
	if (!lport) {
		int p = tcp_pick_port(s, laddr, a->addr, a->port);
		if (p < 0)
			return p;
		lport = (uint16_t)p;
	}
	tp->t = (struct tcp_tuple){laddr, a->addr, lport, a->port};
	if (tcp_hash_insert(s, tp) < 0)
		return TERN_EADDRNOTAVAIL;
	if (!so->lport && (err = file_port(s, so, 0, lport)) < 0) {
		tcp_hash_remove(s, tp);
		return err;
	}
	so->src_addr = so->rcv_addr = laddr;
	so->peer_addr = a->addr;
	so->peer_port = a->port;
	so->connected = true;
	tp->state = TCPS_SYN_SENT;
	tp->iss = tcp_iss(s, &tp->t, s->now);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->rxtshift = 0;
	tcp_options_offer(s, tp);
	return 0;
}

static int tcp_connect(struct tern_stack *s, struct tern_sock *so, const struct tern_sockaddr_in *a)
{
	int err = connect_setup(s, so, a);
	if (err < 0)
		return err;
	struct tern_tcb *tp = so->tcb;
	/* TCP_FASTOPEN_CONNECT with a cookie: done for now, the SYN goes
	 * with the first write (Linux's defer_connect). */
	if (tcp_fo_defer(s, tp))
		return 0;
	tern_stat_inc(s, TERN_STAT_TCP_ACTIVE_OPENS);
	tcp_output(s, tp, s->now);
	return TERN_EINPROGRESS;
}

/* ---- data ---- */

/* SO_SNDBUF as it is now (it may be set after connect); an orphan keeps
 * what it had. */
static size_t snd_limit(const struct tern_tcb *tp)
{
	return tp->so ? (size_t)tp->so->sndbuf : tp->snd_limit;
}

size_t tcp_snd_space(const struct tern_tcb *tp)
{
	size_t held = tern_ring_len(&tp->snd), limit = snd_limit(tp);
	return held < limit ? limit - held : 0;
}

/* Make room for n more bytes in the ring if SO_SNDBUF allows: double its
 * storage (or to what is needed), never past the limit. */
static void grow_ring(struct tern_tcb *tp, size_t n)
{
	struct tern_ring *r = &tp->snd;
	size_t limit = snd_limit(tp);
	if (n <= tern_ring_space(r) || r->cap >= limit)
		return;
	size_t want = r->cap * 2 > tern_ring_len(r) + n ? r->cap * 2 : tern_ring_len(r) + n;
	tern_ring_resize(r, want < limit ? want : limit);
}

/* Into the send ring: as much of buf as SO_SNDBUF allows. */
static long snd_write(struct tern_stack *s, struct tern_tcb *tp, const void *buf, size_t len)
{
	size_t room = tcp_snd_space(tp);
	if (len > room)
		len = room;
	grow_ring(tp, len);
	tcp_snd_ring_prepare(s, tp);
	tcp_busy_start(tp, s->now);
	return tern_ring_write(&tp->snd, buf, len);
}

/* sendto(MSG_FASTOPEN), or the first write after TCP_FASTOPEN_CONNECT's
 * connect (RFC 7413 §4.2.1), as Linux's non-blocking
 * tcp_sendmsg_fastopen: connect, the SYN carrying the cookie and as much
 * of the data as fits, and the octets it took returned; without a
 * cookie, a cookie request and no data: EINPROGRESS, the data to be
 * written again once connected. */
static int fastopen_sendto(struct tern_stack *s, struct tern_sock *so, const void *buf,
			   size_t len, const struct tern_sockaddr_in *dst)
{
	struct tern_tcb *tp = so->tcb;
	if (!fo_deferred(tp)) {
		if (!(s->cfg->tcp_fastopen & TCP_FO_CLIENT))
			return TERN_EOPNOTSUPP;
		if (tp && (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED))
			return TERN_EALREADY;
		if (tp && tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN)
			return TERN_EISCONN;
		if (!dst)
			return TERN_EINVAL; /* Linux: connect without an address */
		int err = connect_setup(s, so, dst);
		if (err < 0)
			return err;
		tp = so->tcb;
	}
	uint32_t n = tcp_fo_syn_prepare(s, tp, len);
	long put = n ? snd_write(s, tp, buf, n) : 0;
	if (put < 0)
		put = 0; /* no memory for the ring: a SYN without data */
	tp->fo.syn_data = (uint16_t)put;
	tern_stat_inc(s, TERN_STAT_TCP_ACTIVE_OPENS);
	tcp_output(s, tp, s->now);
	return put > 0 ? (int)put : TERN_EINPROGRESS;
}

static int tcp_sendto(struct tern_stack *s, struct tern_sock *so, const void *buf, size_t len,
		      int flags, const struct tern_sockaddr_in *dst)
{
	if ((flags & TERN_MSG_FASTOPEN) || fo_deferred(so->tcb))
		return fastopen_sendto(s, so, buf, len, dst);
	/* dst: ignored on a connected stream, as Linux */
	struct tern_tcb *tp = so->tcb;
	int err = tern_sock_take_error(so);
	if (err)
		return err;
	if (!tp || tp->state == TCPS_LISTEN || (tp->state == TCPS_CLOSED && !so->connected))
		return TERN_EPIPE; /* Linux: EPIPE, not ENOTCONN, when not connected */
	/* A Fast Open child may answer before the handshake ends (RFC 7413 §4.2.2). */
	bool fo_early = tp->state == TCPS_SYN_RECEIVED && tcp_fo_child(tp);
	if ((tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED) && !fo_early)
		return TERN_EAGAIN;
	if ((so->shut & TERN_SHUT_WR_BIT) || (tp->flags & TF_WANTFIN) ||
	    (tp->state != TCPS_ESTABLISHED && tp->state != TCPS_CLOSE_WAIT && !fo_early))
		return TERN_EPIPE;
	if (len == 0)
		return 0;
	long n = snd_write(s, tp, buf, len);
	if (n < 0)
		return TERN_ENOBUFS;
	if (n == 0)
		return TERN_EAGAIN;
	tcp_output(s, tp, s->now);
	return (int)n;
}

/* After the application read, tell the peer if the window opened enough
 * to be worth it (RFC 9293 §3.8.6.2.2), as Linux's tcp_cleanup_rbuf. */
static void window_opened(struct tern_stack *s, struct tern_tcb *tp)
{
	if (tp->state == TCPS_ESTABLISHED || tp->state == TCPS_FIN_WAIT_1 ||
	    tp->state == TCPS_FIN_WAIT_2)
		tcp_output(s, tp, s->now);
}

static int tcp_recvfrom(struct tern_stack *s, struct tern_sock *so, void *buf, size_t len,
			int flags, struct tern_sockaddr_in *src)
{
	struct tern_tcb *tp = so->tcb;
	if (src)
		*src = (struct tern_sockaddr_in){so->peer_addr, so->peer_port};
	if (!tp || tp->state == TCPS_LISTEN || (tp->state == TCPS_CLOSED && !so->connected))
		return TERN_ENOTCONN;
	if (!tp->rcvq.head) {
		int err = tern_sock_take_error(so);
		if (err)
			return err;
		if ((tp->flags & TF_RCVD_FIN) || (so->shut & TERN_SHUT_RD_BIT) ||
		    tp->state == TCPS_CLOSED)
			return 0;
		return TERN_EAGAIN;
	}
	size_t copied = 0;
	struct tern_pkt *p = tp->rcvq.head;
	while (p && copied < len) {
		size_t n = p->len < len - copied ? p->len : len - copied;
		tern_copy_payload((uint8_t *)buf + copied, tern_pkt_data(p), n);
		copied += n;
		if (flags & TERN_MSG_PEEK) {
			p = p->next;
			continue;
		}
		tp->rcv_queued -= (uint32_t)n;
		if (n < p->len) {
			tern_pkt_pull(p, n);
			break;
		}
		tern_pkt_dequeue(&tp->rcvq);
		tcp_rcv_free(s, tp, p);
		p = tp->rcvq.head;
	}
	if (!(flags & TERN_MSG_PEEK)) {
		tp->flags |= TF_READ;
		tcp_rcv_space_adjust(s, tp);
		window_opened(s, tp);
	}
	return (int)copied;
}

/* RFC 9293 §3.10.4 CLOSE for the sending side: the FIN goes after the data
 * queued (Linux moves the state now, tcp_close_state). */
static void queue_fin(struct tern_stack *s, struct tern_tcb *tp)
{
	if (tp->flags & TF_WANTFIN)
		return;
	if (tp->state == TCPS_SYN_RECEIVED) {
		/* RFC 9293 §3.10.4: the FIN waits for ESTABLISHED (our SYN
		 * takes the first sequence number the ring does not map). */
		tp->flags |= TF_WANTFIN;
		return;
	}
	if (tp->state == TCPS_ESTABLISHED)
		tcp_set_state(s, tp, TCPS_FIN_WAIT_1);
	else if (tp->state == TCPS_CLOSE_WAIT)
		tcp_set_state(s, tp, TCPS_LAST_ACK);
	else
		return;
	tp->flags |= TF_WANTFIN;
	tcp_output(s, tp, s->now);
}

static int tcp_shutdown(struct tern_stack *s, struct tern_sock *so, int how)
{
	struct tern_tcb *tp = so->tcb;
	if (!tp || tp->state == TCPS_CLOSED || tp->state == TCPS_SYN_SENT ||
	    tp->state == TCPS_LISTEN)
		return TERN_ENOTCONN;
	unsigned before = so->shut;
	if (how == TERN_SHUT_RD || how == TERN_SHUT_RDWR)
		so->shut |= TERN_SHUT_RD_BIT;
	if (how == TERN_SHUT_WR || how == TERN_SHUT_RDWR) {
		so->shut |= TERN_SHUT_WR_BIT;
		queue_fin(s, tp);
	}
	/* Only a shutdown that changed something wakes the callback: one
	 * that shuts down writing at the end of the stream from inside its
	 * callback would otherwise call itself forever. */
	if (so->shut != before)
		tern_sock_wakeup(s, so); /* last use of so */
	return 0;
}

/* Close a listener: every connection it holds, still opening or waiting
 * to be accepted, is reset (as Linux's inet_csk_listen_stop). */
static void close_listener(struct tern_stack *s, struct tern_tcb *lp)
{
	struct tern_tcp_table *tt = &s->socks->tcp;
	while (lp->accq_head)
		tcp_drop(s, lp->accq_head, 0, true);
	/* ... and Fast Open children already accepted forget it. */
	for (uint32_t i = 0; (lp->synq_len || lp->fo_qlen) && i < tt->nbuckets; i++) {
		for (struct tern_tcb *tp = tt->buckets[i], *next; tp; tp = next) {
			next = tp->hnext;
			if (tp->listener == lp)
				tcp_drop(s, tp, 0, true);
			else if (tp->fo_listener == lp)
				tcp_fastopen_release(tp);
		}
	}
	tcp_tcb_free(s, lp);
}

static void tcp_close(struct tern_stack *s, struct tern_sock *so)
{
	tern_sock_htab_remove(&s->socks->tcp_ports, so);
	struct tern_tcb *tp = so->tcb;
	so->tcb = NULL;
	if (!tp)
		return;
	tp->snd_limit = (size_t)so->sndbuf; /* what the orphan keeps */
	tp->so = NULL;
	if (tp->state == TCPS_LISTEN)
		return close_listener(s, tp);
	bool unread = tp->rcvq.head != NULL;
	switch (tp->state) {
	case TCPS_CLOSED:
		tcp_tcb_free(s, tp);
		return;
	case TCPS_SYN_SENT:
		tcp_close_tcb(s, tp);
		return;
	case TCPS_TIME_WAIT:
		return; /* the deadline frees it */
	default:
		break;
	}
	/* RFC 2525 §2.17 and Linux: closing with data unread, or with
	 * SO_LINGER 0, aborts with a reset. */
	if (unread || (tp->flags & TF_LINGER0)) {
		tcp_drop(s, tp, 0, true);
		return;
	}
	queue_fin(s, tp);
	if (tp->state == TCPS_FIN_WAIT_2)
		tcp_timer_set(s, tp, TCPT_KEEP, s->now + s->cfg->tcp_fin_timeout);
}

/* ---- readiness and ss ---- */

/* As Linux's tcp_poll (the table in tern/socket.h). Its sk_shutdown is
 * rcv_shut / snd_shut here: the peer's FIN or SHUT_RD, our SHUT_WR; a
 * connection that ended (tcp_done) has both. */
static unsigned tcp_poll(struct tern_stack *s, struct tern_sock *so)
{
	(void)s;
	struct tern_tcb *tp = so->tcb;
	unsigned m = so->so_error ? TERN_POLLERR : 0;
	if (tp && tp->state == TCPS_LISTEN)
		return m | (tp->accq_head ? TERN_POLLIN : 0);
	bool closed = !tp || tp->state == TCPS_CLOSED;
	bool ended = closed && so->connected;
	/* A deferred Fast Open connect is writable: the write sends the SYN
	 * (Linux's tcp_poll with defer_connect). */
	if (fo_deferred(tp))
		return m | TERN_POLLOUT;
	if (tp && (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED) &&
	    !tcp_fo_child(tp))
		return m;
	bool rcv_shut = ended || (so->shut & TERN_SHUT_RD_BIT) || (tp && (tp->flags & TF_RCVD_FIN));
	bool snd_shut = ended || (so->shut & TERN_SHUT_WR_BIT) || (tp && (tp->flags & TF_WANTFIN));
	if (closed || (rcv_shut && snd_shut))
		m |= TERN_POLLHUP;
	if (rcv_shut)
		m |= TERN_POLLIN | TERN_POLLRDHUP;
	if (tp && tp->rcvq.head)
		m |= TERN_POLLIN;
	if (snd_shut || !tp) {
		m |= TERN_POLLOUT; /* a send fails at once (EPIPE), or a fresh socket */
	} else {
		/* Writable while at least a third of the buffer is free (Linux:
		 * sk_stream_wspace() >= sk_stream_min_wspace()). */
		size_t space = tcp_snd_space(tp);
		if (space >= tern_ring_len(&tp->snd) / 2 && space > 0)
			m |= TERN_POLLOUT;
	}
	return m;
}

/* As Linux's tcp_ioctl (the table in tern/socket.h). */
static int tcp_ioctl(struct tern_stack *s, struct tern_sock *so, unsigned long req, int *val)
{
	(void)s;
	struct tern_tcb *tp = so->tcb;
	if (tp && tp->state == TCPS_LISTEN)
		return TERN_EINVAL;
	*val = 0;
	if (!tp || tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
		return 0;
	uint32_t queued = (uint32_t)tern_ring_len(&tp->snd);
	/* The FIN takes a sequence number in Linux's write_seq. */
	bool fin_unacked = (tp->flags & TF_WANTFIN) && tp->state != TCPS_FIN_WAIT_2 &&
			   tp->state != TCPS_TIME_WAIT && tp->state != TCPS_CLOSED;
	switch (req) {
	case TERN_SIOCINQ:
		*val = (int)tp->rcv_queued;
		return 0;
	case TERN_SIOCOUTQ:
		*val = (int)(queued + fin_unacked);
		return 0;
	case TERN_SIOCOUTQNSD: {
		uint32_t inflight = tp->snd_max - tp->snd_una;
		if ((tp->flags & TF_SENTFIN) && inflight)
			inflight--; /* the FIN is in snd_max, not in the ring */
		uint32_t unsent = inflight < queued ? queued - inflight : 0;
		*val = (int)(unsent + (fin_unacked && !(tp->flags & TF_SENTFIN)));
		return 0;
	}
	default:
		return TERN_ENOTTY;
	}
}

static void tcp_info(struct tern_stack *s, struct tern_sock *so, struct tern_sock_info *out)
{
	(void)s;
	struct tern_tcb *tp = so->tcb;
	out->state = tp ? tcp_ss_state_name(tp->state) : "CLOSE";
	if (tp && tp->state == TCPS_LISTEN) {
		/* ss: Recv-Q is the accept queue, Send-Q the backlog. */
		out->rx_queue = tp->accq_len;
		out->tx_queue = tp->backlog;
	} else if (tp) {
		out->rx_queue = tp->rcv_queued;
		out->tx_queue = (uint32_t)tern_ring_len(&tp->snd);
	}
}

/* ---- options ---- */

static int tcp_setsockopt(struct tern_stack *s, struct tern_sock *so, int level, int name, int val)
{
	struct tern_tcb *tp = tcp_attach_tcb(s, so);
	if (!tp)
		return TERN_ENOMEM;
	if (level == TERN_SOL_SOCKET) {
		switch (name) {
		case TERN_SO_KEEPALIVE:
			tp->flags = val ? tp->flags | TF_KEEPALIVE : tp->flags & ~(uint32_t)TF_KEEPALIVE;
			if (val && tp->state >= TCPS_ESTABLISHED && tp->state < TCPS_TIME_WAIT)
				tcp_timer_set(s, tp, TCPT_KEEP, s->now + tp->keepidle);
			return 0;
		case TERN_SO_LINGER:
			tp->flags = val == 0 ? tp->flags | TF_LINGER0 : tp->flags & ~(uint32_t)TF_LINGER0;
			return 0;
		default:
			return TERN_ENOPROTOOPT;
		}
	}
	if (level != TERN_IPPROTO_TCP)
		return TERN_ENOPROTOOPT;
	uint32_t bit = 0;
	switch (name) {
	case TERN_TCP_NODELAY: bit = TF_NODELAY; break;
	case TERN_TCP_CORK: bit = TF_CORK; break;
	case TERN_TCP_QUICKACK: bit = TF_QUICKACK; break;
	case TERN_TCP_MAXSEG:
		if (val < 0 || (val && (val < 88 || val > 32767)))
			return TERN_EINVAL; /* Linux: TCP_MIN_MSS .. MAX_TCP_WINDOW */
		tp->user_mss = (uint16_t)val;
		return 0;
	case TERN_TCP_KEEPIDLE:
	case TERN_TCP_KEEPINTVL:
		if (val < 1 || val > 32767)
			return TERN_EINVAL;
		*(name == TERN_TCP_KEEPIDLE ? &tp->keepidle : &tp->keepintvl) = TERN_SEC(val);
		return 0;
	case TERN_TCP_KEEPCNT:
		if (val < 1 || val > 127)
			return TERN_EINVAL;
		tp->keepcnt = (unsigned)val;
		return 0;
	case TERN_TCP_USER_TIMEOUT:
		if (val < 0)
			return TERN_EINVAL;
		tp->user_timeout = TERN_MSEC(val);
		return 0;
	case TERN_TCP_FASTOPEN:
		return tcp_fastopen_set(s, tp, val);
	case TERN_TCP_FASTOPEN_CONNECT:
		/* As Linux: 0 or 1, with the client bit on, before connect. */
		if (val < 0 || val > 1)
			return TERN_EINVAL;
		if (!(s->cfg->tcp_fastopen & TCP_FO_CLIENT))
			return TERN_EOPNOTSUPP;
		if (tp->state != TCPS_CLOSED)
			return TERN_EINVAL;
		tp->fo.connect_opt = val;
		return 0;
	default:
		return TERN_ENOPROTOOPT;
	}
	tp->flags = val ? tp->flags | bit : tp->flags & ~bit;
	/* Clearing TCP_CORK or setting TCP_NODELAY sends what waited. */
	if ((bit == TF_CORK && !val) || (bit == TF_NODELAY && val))
		tcp_output(s, tp, s->now);
	if (bit == TF_QUICKACK && val && (tp->flags & TF_DELACK)) {
		tp->flags |= TF_ACKNOW;
		tcp_output(s, tp, s->now);
	}
	return 0;
}

static int tcp_getsockopt(struct tern_stack *s, struct tern_sock *so, int level, int name, int *val)
{
	(void)s;
	struct tern_tcb *tp = so->tcb;
	if (level == TERN_SOL_SOCKET) {
		switch (name) {
		case TERN_SO_KEEPALIVE: *val = tp && (tp->flags & TF_KEEPALIVE); return 0;
		default: return TERN_ENOPROTOOPT;
		}
	}
	if (level != TERN_IPPROTO_TCP)
		return TERN_ENOPROTOOPT;
	uint32_t f = tp ? tp->flags : 0;
	switch (name) {
	case TERN_TCP_NODELAY: *val = !!(f & TF_NODELAY); return 0;
	case TERN_TCP_CORK: *val = !!(f & TF_CORK); return 0;
	case TERN_TCP_QUICKACK: *val = !!(f & TF_QUICKACK); return 0;
	case TERN_TCP_MAXSEG: *val = tp && tp->t_maxseg ? tp->t_maxseg : 536; return 0;
	case TERN_TCP_KEEPIDLE: *val = (int)((tp ? tp->keepidle : s->cfg->tcp_keepalive_time) / TERN_SEC(1)); return 0;
	case TERN_TCP_KEEPINTVL: *val = (int)((tp ? tp->keepintvl : s->cfg->tcp_keepalive_intvl) / TERN_SEC(1)); return 0;
	case TERN_TCP_KEEPCNT: *val = (int)(tp ? tp->keepcnt : s->cfg->tcp_keepalive_probes); return 0;
	case TERN_TCP_USER_TIMEOUT: *val = (int)((tp ? tp->user_timeout : 0) / TERN_MSEC(1)); return 0;
	case TERN_TCP_FASTOPEN: *val = tp ? (int)tp->fo_max : 0; return 0;
	case TERN_TCP_FASTOPEN_CONNECT: *val = tp && tp->fo.connect_opt; return 0;
	default: return TERN_ENOPROTOOPT;
	}
}

/* Linux's numbering of the states (include/net/tcp_states.h). */
uint8_t tcp_linux_state(enum tern_tcp_state st)
{
	static const uint8_t map[] = {
		[TCPS_CLOSED] = 7, [TCPS_LISTEN] = 10, [TCPS_SYN_SENT] = 2, [TCPS_SYN_RECEIVED] = 3,
		[TCPS_ESTABLISHED] = 1, [TCPS_FIN_WAIT_1] = 4, [TCPS_FIN_WAIT_2] = 5,
		[TCPS_CLOSE_WAIT] = 8, [TCPS_CLOSING] = 11, [TCPS_LAST_ACK] = 9,
		[TCPS_TIME_WAIT] = 6,
	};
	return map[st];
}

static uint32_t usec(tern_time_t t)
{
	return (uint32_t)(t / TERN_USEC(1));
}

static uint32_t msec_since(tern_time_t now, tern_time_t then)
{
	return then ? (uint32_t)((now - then) / TERN_MSEC(1)) : 0;
}

/* What Linux's tcp_get_info fills, from the tcb. */
void tern_tcp_fill_info(const struct tern_stack *s, const struct tern_tcb *tp,
			struct tern_tcp_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	if (!tp) {
		ti->tcpi_state = 7;
		ti->tcpi_pacing_rate = ti->tcpi_max_pacing_rate = UINT64_MAX; /* Linux's ~0: none */
		return;
	}
	uint32_t mss = tp->t_maxseg ? tcp_mss(tp) : 536;
	ti->tcpi_state = tcp_linux_state(tp->state);
	/* Linux's ca_state: Open 0, Disorder 1, CWR 2 (an ECN reduction),
	 * Recovery 3, Loss 4. */
	ti->tcpi_ca_state = tcp_ca_state(tp);
	ti->tcpi_retransmits = tp->rxt_mode == RXT_REXMT ? tp->rxtshift : 0;
	ti->tcpi_probes = tp->rxt_mode == RXT_PERSIST ? tp->rxtshift : tp->keep_probes;
	ti->tcpi_backoff = tp->rxtshift;
	ti->tcpi_options = ((tp->flags & TF_RCVD_TSTMP) ? 1 : 0) | ((tp->flags & TF_SACK_PERMIT) ? 2 : 0) |
			   ((tp->flags & TF_RCVD_SCALE) ? 4 : 0) |
			   ((tp->ecn_flags & TCP_ECN_OK) ? 8 : 0) | /* TCPI_OPT_ECN */
			   ((tp->ecn_flags & TCP_ECN_SEEN) ? 16 : 0) | /* TCPI_OPT_ECN_SEEN */
			   (((tp->fo_flags & TCP_FO_SYN_DATA) || tp->fo.syn_data_acked) ? 32 : 0); /* TCPI_OPT_SYN_DATA */
	ti->tcpi_fastopen_client_fail = tp->fo.fail & 3;
	if (tp->flags & TF_RCVD_SCALE) {
		ti->tcpi_snd_wscale = tp->snd_scale & 15;
		ti->tcpi_rcv_wscale = tp->rcv_scale & 15;
	}
	ti->tcpi_rto = usec(tcp_rto(s, tp));
	ti->tcpi_ato = tp->pingpong || (tp->flags & TF_DELACK) ? usec(s->cfg->tcp_delack) : 0;
	ti->tcpi_snd_mss = mss;
	/* Linux: 536 (TCP_MSS_DEFAULT) until larger segments come in. */
	ti->tcpi_rcv_mss = tp->rcv_mss_seen > 536 ? tp->rcv_mss_seen : 536;
	ti->tcpi_unacked = (tp->snd_max - tp->snd_una + mss - 1) / mss;
	ti->tcpi_last_data_sent = msec_since(s->now, tp->last_data_sent);
	ti->tcpi_last_data_recv = msec_since(s->now, tp->last_data_rcvd);
	ti->tcpi_last_ack_recv = msec_since(s->now, tp->last_ack_rcvd);
	ti->tcpi_pmtu = tp->mtu.pmtu ? tp->mtu.pmtu : tp->t_maxseg ? tp->t_maxseg + 40u : 0;
	ti->tcpi_rcv_ssthresh = tcp_rcv_space(tp);
	ti->tcpi_rtt = usec(tp->srtt);
	ti->tcpi_rttvar = usec(tp->rttvar);
	ti->tcpi_min_rtt = tp->rtt_min ? usec(tp->rtt_min) : ~0u; /* Linux: ~0U before a sample */
	ti->tcpi_snd_ssthresh = tp->snd_ssthresh == UINT32_MAX ? 0x7fffffff : tp->snd_ssthresh / mss;
	ti->tcpi_snd_cwnd = tp->snd_cwnd / mss;
	/* Linux's advmss leaves out the timestamp option, as snd_mss does. */
	ti->tcpi_advmss = tp->rcv_mss - ((tp->flags & TF_RCVD_TSTMP) && tp->rcv_mss > 12 ? 12u : 0u);
	ti->tcpi_reordering = tp->reordering;
	/* The scoreboard's view in segments, as Linux's sacked_out, lost_out
	 * and retrans_out (tcp_recovery.c). */
	ti->tcpi_sacked = (tp->sacked_bytes + mss - 1) / mss;
	ti->tcpi_lost = (tcp_sb_lost_bytes(tp) + mss - 1) / mss;
	ti->tcpi_retrans = (tcp_sb_retrans_bytes(tp) + mss - 1) / mss;
	ti->tcpi_rcv_space = tp->rcvq_space; /* Linux's rcvq_space.space */
	ti->tcpi_rcv_rtt = (uint32_t)(tp->rcv_rtt / TERN_USEC(1));
	ti->tcpi_total_retrans = tp->total_retrans;
	ti->tcpi_bytes_acked = tp->bytes_acked;
	/* Linux reports the rate whether or not anything paces by it. */
	ti->tcpi_pacing_rate = tcp_pacing_rate(s, tp);
	ti->tcpi_max_pacing_rate = tp->max_pacing_rate;
	ti->tcpi_delivery_rate = tp->delivery_rate;
	ti->tcpi_delivered = tp->delivered;
	ti->tcpi_delivered_ce = tp->delivered_ce;
	ti->tcpi_delivery_rate_app_limited = tp->delivery_rate && tp->rate_app_limited;
	ti->tcpi_bytes_received = tp->bytes_received;
	ti->tcpi_segs_out = tp->segs_out;
	ti->tcpi_segs_in = tp->segs_in;
	ti->tcpi_data_segs_out = tp->data_segs_out;
	ti->tcpi_data_segs_in = tp->data_segs_in;
	ti->tcpi_notsent_bytes = (uint32_t)(tern_ring_len(&tp->snd) - (tp->snd_max - tp->snd_una <
									 tern_ring_len(&tp->snd)
								 ? tp->snd_max - tp->snd_una
								 : tern_ring_len(&tp->snd)));
	ti->tcpi_bytes_sent = tp->bytes_sent;
	/* In µs, counted in whole ms (Linux counts jiffies: a sub-tick
	 * exchange is 0 there too). */
	ti->tcpi_busy_time = (uint64_t)((tp->busy_total + (tp->busy ? s->now - tp->busy_since : 0)) /
					TERN_MSEC(1)) * 1000u;
	ti->tcpi_bytes_retrans = tp->bytes_retrans;
	ti->tcpi_dsack_dups = tp->dsack_dups;
	ti->tcpi_rcv_ooopack = tp->ofo_count;
	ti->tcpi_snd_wnd = tp->snd_wnd;
	ti->tcpi_rcv_wnd = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	ti->tcpi_total_rto = (uint16_t)tp->total_rto;
}

/* SO_MAX_PACING_RATE: sock_setsockopt's reading, a u32 (~0U: none) or,
 * given 8 bytes, a u64. */
static int set_max_pacing_rate(struct tern_stack *s, struct tern_sock *so, const void *val,
			       size_t len)
{
	uint64_t rate;
	if (len >= sizeof(uint64_t)) {
		memcpy(&rate, val, sizeof(rate));
	} else if (len >= sizeof(uint32_t)) {
		uint32_t r32;
		memcpy(&r32, val, sizeof(r32));
		rate = r32 == UINT32_MAX ? UINT64_MAX : r32;
	} else {
		return TERN_EINVAL;
	}
	struct tern_tcb *tp = tcp_attach_tcb(s, so);
	if (!tp)
		return TERN_ENOMEM;
	tcp_pacing_set_max(tp, rate);
	return 0;
}

static int tcp_setsockopt_raw(struct tern_stack *s, struct tern_sock *so, int level, int name,
			      const void *val, size_t len)
{
	if (level == TERN_SOL_SOCKET && name == TERN_SO_MAX_PACING_RATE)
		return set_max_pacing_rate(s, so, val, len);
	if (level != TERN_IPPROTO_TCP || name != TERN_TCP_CONGESTION)
		return TERN_ENOPROTOOPT;
	char want[16] = {0};
	memcpy(want, val, len < sizeof(want) - 1 ? len : sizeof(want) - 1);
	const struct tern_cc_ops *cc = tern_cc_find(want);
	if (!cc)
		return TERN_ENOENT; /* as Linux for an unknown module */
	struct tern_tcb *tp = tcp_attach_tcb(s, so);
	if (!tp)
		return TERN_ENOMEM;
	if (tp->cc != cc) {
		tp->cc = cc;
		memset(tp->cc_state, 0, sizeof(tp->cc_state));
		if (tp->state >= TCPS_ESTABLISHED && tp->t_maxseg) {
			/* Linux's tcp_reinit_congestion_control: the new
			 * module starts from the window in use. */
			uint32_t cwnd = tp->snd_cwnd;
			cc->init(tp, s->now);
			if (cwnd)
				tp->snd_cwnd = cwnd;
		}
	}
	return 0;
}

static int tcp_getsockopt_raw(struct tern_stack *s, struct tern_sock *so, int level, int name,
			      void *val, size_t *len)
{
	if (level == TERN_SOL_SOCKET && name == TERN_SO_MAX_PACING_RATE) {
		uint64_t rate = so->tcb ? so->tcb->max_pacing_rate : UINT64_MAX;
		if (*len >= sizeof(uint64_t)) {
			*len = sizeof(uint64_t);
			memcpy(val, &rate, sizeof(rate));
		} else if (*len >= sizeof(uint32_t)) {
			uint32_t r32 = rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
			*len = sizeof(uint32_t);
			memcpy(val, &r32, sizeof(r32));
		} else {
			return TERN_EINVAL;
		}
		return 0;
	}
	if (level != TERN_IPPROTO_TCP)
		return TERN_ENOPROTOOPT;
	if (name == TERN_TCP_INFO) {
		struct tern_tcp_info ti;
		tern_tcp_fill_info(s, so->tcb, &ti);
		*len = *len < sizeof(ti) ? *len : sizeof(ti);
		memcpy(val, &ti, *len);
		return 0;
	}
	if (name == TERN_TCP_CONGESTION) {
		const char *n = so->tcb ? so->tcb->cc->name : s->socks->tcp.cc_default->name;
		char buf[16] = {0}; /* Linux's TCP_CA_NAME_MAX */
		strncpy(buf, n, sizeof(buf) - 1);
		*len = *len < sizeof(buf) ? *len : sizeof(buf);
		memcpy(val, buf, *len);
		return 0;
	}
	return TERN_ENOPROTOOPT;
}

const struct tern_sock_ops tern_tcp_sock_ops = {
	.type = TERN_SOCK_STREAM,
	.protocol = TERN_IPPROTO_TCP,
	.init = tcp_init,
	.bind = tcp_bind,
	.connect = tcp_connect,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.sendto = tcp_sendto,
	.recvfrom = tcp_recvfrom,
	.shutdown = tcp_shutdown,
	.close = tcp_close,
	.poll = tcp_poll,
	.info = tcp_info,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.setsockopt_raw = tcp_setsockopt_raw,
	.getsockopt_raw = tcp_getsockopt_raw,
	.ioctl = tcp_ioctl,
};
