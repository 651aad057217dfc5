/*
 * transport/socket.c — the generic socket layer: the per-stack descriptor
 * table, the hash tables protocols file sockets in, option handling common
 * to every type, readiness (tern_poll, callbacks) and enumeration for ss.
 *
 * Call order: every public call in tern/socket.h lands here, checks the
 * descriptor and the type-independent arguments, then dispatches through
 * the socket's struct tern_sock_ops (UDP in udp.c; TCP plugs into
 * sock_types[] below). Protocol input calls tern_sock_wakeup() after it
 * changes a socket's readiness.
 *
 * Descriptors are allocated lowest-free-first, like file descriptors
 * (POSIX open(2)), from a table that doubles as it fills; a hint keeps the
 * search from rescanning the used prefix.
 */
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "net/pmtu.h"
#include "transport/sock.h"

/* Socket types the stack implements, by TERN_SOCK_* number. */
static const struct tern_sock_ops *const sock_types[] = {
	[TERN_SOCK_STREAM] = &tern_tcp_sock_ops,
	[TERN_SOCK_DGRAM] = &tern_udp_sock_ops,
};
#define SOCK_TYPE_MAX 11 /* Linux's SOCK_MAX: types above are invalid */

/* ---- hashing ---------------------------------------------------------------- */

/* Keyed so a remote peer cannot aim many 4-tuples at one chain (or at one
 * SO_REUSEPORT socket) without knowing the stack's secret. */
uint32_t tern_sock_hash4(const struct tern_sock_table *t, tern_ip4_t laddr, uint16_t lport,
			 tern_ip4_t raddr, uint16_t rport)
{
	uint64_t addrs = ((uint64_t)laddr << 32) | raddr;
	uint64_t ports = ((uint64_t)lport << 16) | rport;
	return (uint32_t)(tern_mix64(addrs ^ tern_mix64(ports + t->secret)) >> 32);
}

static struct tern_sock_hlink *hlink(const struct tern_sock_htab *h, const struct tern_sock *so)
{
	return (struct tern_sock_hlink *)(void *)((char *)so + h->link_off);
}

void tern_sock_htab_init(struct tern_sock_htab *h, size_t link_off)
{
	*h = (struct tern_sock_htab){.link_off = link_off};
}

void tern_sock_htab_fini(struct tern_sock_htab *h)
{
	free(h->buckets);
	h->buckets = NULL;
	h->nbuckets = h->count = 0;
}

/* Double the bucket array and refile every socket under its kept hash. */
static void htab_grow(struct tern_sock_htab *h)
{
	uint32_t nb = h->nbuckets ? h->nbuckets * 2 : 16;
	struct tern_sock **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (uint32_t i = 0; i < h->nbuckets; i++) {
		struct tern_sock *so = h->buckets[i];
		while (so) {
			struct tern_sock_hlink *l = hlink(h, so);
			struct tern_sock *next = l->next;
			l->next = b[l->hash & (nb - 1)];
			b[l->hash & (nb - 1)] = so;
			so = next;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = nb;
}

int tern_sock_htab_insert(struct tern_sock_htab *h, struct tern_sock *so, uint32_t hash)
{
	if (h->count >= h->nbuckets)
		htab_grow(h);
	if (!h->nbuckets)
		return TERN_ENOMEM;
	struct tern_sock_hlink *l = hlink(h, so);
	struct tern_sock **head = &h->buckets[hash & (h->nbuckets - 1)];
	l->hash = hash;
	l->next = *head;
	l->linked = true;
	*head = so;
	h->count++;
	return 0;
}

void tern_sock_htab_remove(struct tern_sock_htab *h, struct tern_sock *so)
{
	struct tern_sock_hlink *l = hlink(h, so);
	if (!l->linked)
		return;
	struct tern_sock **pp = &h->buckets[l->hash & (h->nbuckets - 1)];
	while (*pp != so)
		pp = &hlink(h, *pp)->next;
	*pp = l->next;
	l->next = NULL;
	l->linked = false;
	h->count--;
}

struct tern_sock *tern_sock_htab_first(const struct tern_sock_htab *h, uint32_t hash)
{
	return h->nbuckets ? h->buckets[hash & (h->nbuckets - 1)] : NULL;
}

struct tern_sock *tern_sock_htab_next(const struct tern_sock_htab *h, const struct tern_sock *so)
{
	return hlink(h, so)->next;
}

/* Rendezvous hashing: each member's weight is a hash of the flow and the
 * member, the heaviest wins; a member joining or leaving moves only the
 * flows it wins or won. Ties go to the newest bind. */
struct tern_sock *tern_sock_reuseport_pick(struct tern_stack *s, const struct tern_sock_htab *h,
					   struct tern_sock *best, uint32_t flow,
					   bool (*member)(const struct tern_sock *o))
{
	uint32_t top = 0;
	struct tern_sock *pick = best;
	for (struct tern_sock *o = tern_sock_htab_first(h, tern_sock_hash4(s->socks, 0, best->lport, 0, 0));
	     o; o = tern_sock_htab_next(h, o)) {
		if (o->lport != best->lport || !o->reuseport || o->rcv_addr != best->rcv_addr ||
		    !member(o))
			continue;
		uint32_t w = tern_sock_hash4(s->socks, flow, (uint16_t)o->serial,
					     (tern_ip4_t)(o->serial >> 16), 0);
		if (w > top || (w == top && o->bind_seq > pick->bind_seq)) {
			top = w;
			pick = o;
		}
	}
	return pick;
}

/* ---- the descriptor table ------------------------------------------------- */

/* A host without sockets (every idle host of a big lab) shares this
 * empty, read-only table: lookups find nothing in it, and its first socket
 * gets the host a table of its own (tern_sock_table_own). Being const,
 * anything that wrote to it would fault at once rather than share. */
static const struct tern_sock_table empty_table = {
	.next_serial = 1,
	.next_bind_seq = 1,
	.udp_ports = {.link_off = offsetof(struct tern_sock, port_link)},
	.udp_conns = {.link_off = offsetof(struct tern_sock, conn_link)},
	.tcp_ports = {.link_off = offsetof(struct tern_sock, port_link)},
	.tcp = {.challenge_second = -1, .tw_timer = {.when = TERN_TIME_NEVER, .heap_idx = -1}},
};

static bool table_is_shared_empty(const struct tern_stack *s)
{
	return s->socks == &empty_table;
}

int tern_sock_table_init(struct tern_stack *s)
{
	s->socks = (struct tern_sock_table *)&empty_table; /* never written: see above */
	return 0;
}

/* The host's own table, as every host had from its creation before. */
static int table_make(struct tern_stack *s)
{
	struct tern_sock_table *t = malloc(sizeof(*t));
	if (!t)
		return TERN_ENOMEM;
	s->socks = t;
	*t = (struct tern_sock_table){.next_serial = 1, .next_bind_seq = 1};
	/* Derived from the seed, not drawn from s->rng: creating the table must
	 * not shift the random sequence every other module sees (nor does
	 * making it late, at the first socket). */
	t->secret = tern_mix64(s->seed ^ 0x736f636b73656372ull);
	tern_sock_htab_init(&t->udp_ports, offsetof(struct tern_sock, port_link));
	tern_sock_htab_init(&t->udp_conns, offsetof(struct tern_sock, conn_link));
	tern_sock_htab_init(&t->tcp_ports, offsetof(struct tern_sock, port_link));
	return tern_tcp_table_init(s);
}

struct tern_sock_table *tern_sock_table_own(struct tern_stack *s)
{
	if (table_is_shared_empty(s) && table_make(s) < 0) {
		s->socks = (struct tern_sock_table *)&empty_table;
		return NULL;
	}
	return s->socks;
}

static void sock_free(struct tern_stack *s, struct tern_sock *so)
{
	struct tern_sock_table *t = s->socks;
	so->ops->close(s, so);
	t->slots[so->sd] = NULL;
	if ((uint32_t)so->sd < t->free_hint)
		t->free_hint = (uint32_t)so->sd;
	free(so);
}

void tern_sock_table_fini(struct tern_stack *s)
{
	struct tern_sock_table *t = s->socks;
	if (!t || table_is_shared_empty(s)) {
		s->socks = NULL;
		return;
	}
	tern_tcp_table_fini(s); /* connections go quietly: no FIN from a host being destroyed */
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i])
			sock_free(s, t->slots[i]);
	free(t->slots);
	tern_sock_htab_fini(&t->udp_ports);
	tern_sock_htab_fini(&t->udp_conns);
	tern_sock_htab_fini(&t->tcp_ports);
	free(t);
	s->socks = NULL;
}

struct tern_sock *tern_sock_get(struct tern_stack *s, int sd)
{
	struct tern_sock_table *t = s->socks;
	if (sd < 0 || (uint32_t)sd >= t->nslots)
		return NULL;
	return t->slots[sd];
}

/* The lowest free descriptor, growing the table if every slot is taken. */
static int alloc_sd(struct tern_sock_table *t)
{
	for (uint32_t i = t->free_hint; i < t->nslots; i++) {
		if (!t->slots[i]) {
			t->free_hint = i + 1;
			return (int)i;
		}
	}
	if (t->nslots >= TERN_SOCK_MAX)
		return TERN_EMFILE;
	uint32_t n = t->nslots ? t->nslots * 2 : 16;
	struct tern_sock **slots = realloc(t->slots, n * sizeof(*slots));
	if (!slots)
		return TERN_ENOMEM;
	memset(slots + t->nslots, 0, (n - t->nslots) * sizeof(*slots));
	int sd = (int)t->nslots;
	t->slots = slots;
	t->nslots = n;
	t->free_hint = (uint32_t)sd + 1;
	return sd;
}

void tern_sock_wakeup(struct tern_stack *s, struct tern_sock *so)
{
	if (!so->cb)
		return;
	unsigned mask = so->ops->poll(s, so);
	if (mask)
		so->cb(so->cb_ctx, s, so->sd, mask);
}

/* ---- life cycle --------------------------------------------------------------- */

struct tern_sock *tern_sock_new(struct tern_stack *s, const struct tern_sock_ops *ops, int *err)
{
	struct tern_sock_table *t = tern_sock_table_own(s);
	if (!t) {
		*err = TERN_ENOMEM;
		return NULL;
	}
	int sd = alloc_sd(t);
	if (sd < 0) {
		*err = sd;
		return NULL;
	}
	struct tern_sock *so = calloc(1, sizeof(*so));
	if (!so) {
		t->free_hint = (uint32_t)sd; /* alloc_sd moved it past sd */
		*err = TERN_ENOMEM;
		return NULL;
	}
	so->sd = sd;
	so->serial = t->next_serial++;
	so->ops = ops;
	so->rcvbuf = (int)s->cfg->rmem_default; /* Linux's net.core.rmem_default / wmem_default */
	so->sndbuf = (int)s->cfg->wmem_default;
	so->ttl = -1;
	so->pmtudisc = -1;
	so->rcvtimeo = so->sndtimeo = TERN_TIME_NEVER;
	t->slots[sd] = so;
	return so;
}

int tern_socket(struct tern_stack *s, int domain, int type, int protocol)
{
	if (domain != TERN_AF_INET)
		return TERN_EAFNOSUPPORT;
	if (type <= 0 || type >= SOCK_TYPE_MAX)
		return TERN_EINVAL;
	const struct tern_sock_ops *ops =
		(size_t)type < sizeof(sock_types) / sizeof(sock_types[0]) ? sock_types[type] : NULL;
	if (!ops || (protocol != 0 && protocol != ops->protocol))
		return TERN_EPROTONOSUPPORT;
	int err;
	struct tern_sock *so = tern_sock_new(s, ops, &err);
	if (!so)
		return err;
	err = ops->init ? ops->init(s, so) : 0;
	if (err < 0) {
		s->socks->slots[so->sd] = NULL;
		s->socks->free_hint = (uint32_t)so->sd;
		free(so);
		return err;
	}
	return so->sd;
}

int tern_close(struct tern_stack *s, int sd)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	sock_free(s, so);
	return 0;
}

int tern_bind(struct tern_stack *s, int sd, const struct tern_sockaddr_in *addr)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (!addr)
		return TERN_EFAULT;
	return so->ops->bind ? so->ops->bind(s, so, addr) : TERN_EOPNOTSUPP;
}

int tern_connect(struct tern_stack *s, int sd, const struct tern_sockaddr_in *addr)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	return so->ops->connect ? so->ops->connect(s, so, addr) : TERN_EOPNOTSUPP;
}

int tern_listen(struct tern_stack *s, int sd, int backlog)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	return so->ops->listen ? so->ops->listen(s, so, backlog) : TERN_EOPNOTSUPP;
}

int tern_accept(struct tern_stack *s, int sd, struct tern_sockaddr_in *peer)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	return so->ops->accept ? so->ops->accept(s, so, peer) : TERN_EOPNOTSUPP;
}

int tern_shutdown(struct tern_stack *s, int sd, int how)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (how != TERN_SHUT_RD && how != TERN_SHUT_WR && how != TERN_SHUT_RDWR)
		return TERN_EINVAL;
	return so->ops->shutdown ? so->ops->shutdown(s, so, how) : TERN_EOPNOTSUPP;
}

int tern_getsockname(struct tern_stack *s, int sd, struct tern_sockaddr_in *out)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (!out)
		return TERN_EFAULT;
	/* As Linux's inet_getname: the receive address, else the source. */
	out->addr = so->rcv_addr ? so->rcv_addr : so->src_addr;
	out->port = so->lport;
	return 0;
}

int tern_getpeername(struct tern_stack *s, int sd, struct tern_sockaddr_in *out)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (!out)
		return TERN_EFAULT;
	if (!so->connected)
		return TERN_ENOTCONN;
	out->addr = so->peer_addr;
	out->port = so->peer_port;
	return 0;
}

/* ---- data --------------------------------------------------------------------- */

int tern_sendto(struct tern_stack *s, int sd, const void *buf, size_t len, int flags,
		const struct tern_sockaddr_in *dst)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (!buf && len)
		return TERN_EFAULT;
	return so->ops->sendto ? so->ops->sendto(s, so, buf, len, flags, dst) : TERN_EOPNOTSUPP;
}

int tern_send(struct tern_stack *s, int sd, const void *buf, size_t len, int flags)
{
	return tern_sendto(s, sd, buf, len, flags, NULL);
}

int tern_recvfrom(struct tern_stack *s, int sd, void *buf, size_t len, int flags,
		  struct tern_sockaddr_in *src)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (!buf && len)
		return TERN_EFAULT;
	return so->ops->recvfrom ? so->ops->recvfrom(s, so, buf, len, flags, src) : TERN_EOPNOTSUPP;
}

int tern_recv(struct tern_stack *s, int sd, void *buf, size_t len, int flags)
{
	return tern_recvfrom(s, sd, buf, len, flags, NULL);
}

/* ---- options -------------------------------------------------------------------- */

/* Linux's SO_RCVBUF/SO_SNDBUF rule (socket(7)): the value is capped at
 * rmem_max/wmem_max, then doubled for bookkeeping overhead, with a floor.
 * A negative int is a huge unsigned one, so it gets the cap. */
static int buf_size(int val, uint32_t max, int min)
{
	uint32_t v = (uint32_t)val;
	if (v > max) /* net.core.rmem_max / wmem_max */
		v = max;
	return (int)(v * 2) > min ? (int)(v * 2) : min;
}

static int sol_socket_set(struct tern_stack *s, struct tern_sock *so, int name, int val)
{
	switch (name) {
	case TERN_SO_REUSEADDR: so->reuseaddr = val != 0; return 0;
	case TERN_SO_REUSEPORT: so->reuseport = val != 0; return 0;
	case TERN_SO_BROADCAST: so->broadcast = val != 0; return 0;
	case TERN_SO_RCVBUF:
		so->rcvbuf = buf_size(val, s->cfg->rmem_max, TERN_SOCK_MIN_RCVBUF);
		so->rcvbuf_locked = true;
		return 0;
	case TERN_SO_SNDBUF:
		so->sndbuf = buf_size(val, s->cfg->wmem_max, TERN_SOCK_MIN_SNDBUF);
		so->sndbuf_locked = true;
		return 0;
	default: return TERN_ENOPROTOOPT; /* SO_TYPE and SO_ERROR are read-only */
	}
}

static int ip_set(struct tern_sock *so, int name, int val)
{
	switch (name) {
	case TERN_IP_TTL:
		/* ip(7): 1..255, or -1 to go back to the default. */
		if (val != -1 && (val < 1 || val > 255))
			return TERN_EINVAL;
		so->ttl = val;
		return 0;
	case TERN_IP_TOS: so->tos = (uint8_t)val; return 0;
	case TERN_IP_RECVERR: so->recverr = val != 0; return 0;
	case TERN_IP_MTU_DISCOVER:
		/* Linux takes 0..5 (INTERFACE and OMIT behave as PROBE here) */
		if (val < 0 || val > 5)
			return TERN_EINVAL;
		so->pmtudisc = (int8_t)val;
		return 0;
	default: return TERN_ENOPROTOOPT;
	}
}

/* Linux's sock_set_timeout: a struct timeval; {0, 0} is no limit, a
 * negative tv_sec no wait at all, tv_usec out of range EDOM. */
static int set_timeout(tern_time_t *out, const void *optval, size_t optlen)
{
	struct tern_timeval tv;
	if (optlen < sizeof(tv))
		return TERN_EINVAL;
	memcpy(&tv, optval, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return TERN_EDOM;
	if (tv.tv_sec < 0)
		*out = 0;
	else if (tv.tv_sec == 0 && tv.tv_usec == 0)
		*out = TERN_TIME_NEVER;
	else if (tv.tv_sec >= INT32_MAX) /* as Linux: past what it can count, no limit */
		*out = TERN_TIME_NEVER;
	else
		*out = TERN_SEC(tv.tv_sec) + TERN_USEC(tv.tv_usec);
	return 0;
}

/* Copy an option's struct out as Linux does: at most *optlen bytes. */
static int get_struct(void *optval, size_t *optlen, const void *v, size_t len)
{
	if (*optlen > len)
		*optlen = len;
	memcpy(optval, v, *optlen);
	return 0;
}

int tern_setsockopt(struct tern_stack *s, int sd, int level, int name, const void *optval,
		    size_t optlen)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	int val;
	if (!so)
		return TERN_EBADF;
	if (!optval)
		return TERN_EFAULT;
	if (level == TERN_SOL_SOCKET && name == TERN_SO_RCVTIMEO)
		return set_timeout(&so->rcvtimeo, optval, optlen);
	if (level == TERN_SOL_SOCKET && name == TERN_SO_SNDTIMEO)
		return set_timeout(&so->sndtimeo, optval, optlen);
	if (so->ops->setsockopt_raw) {
		int r = so->ops->setsockopt_raw(s, so, level, name, optval, optlen);
		if (r != TERN_ENOPROTOOPT)
			return r;
	}
	/* Linux takes an int, and for IP options also a single byte. */
	if (optlen >= sizeof(int))
		memcpy(&val, optval, sizeof(int));
	else if (level == TERN_IPPROTO_IP && optlen >= 1)
		val = *(const unsigned char *)optval;
	else
		return TERN_EINVAL;
	if (level == TERN_SOL_SOCKET && name == TERN_SO_LINGER) {
		/* struct tern_linger: the protocol sees -1 (off) or the seconds. */
		struct tern_linger l;
		if (optlen < sizeof(l))
			return TERN_EINVAL;
		memcpy(&l, optval, sizeof(l));
		val = l.l_onoff ? (l.l_linger < 0 ? 0 : l.l_linger) : -1;
		/* Kept for getsockopt: as Linux, turning it off keeps the time. */
		so->linger.l_onoff = l.l_onoff != 0;
		if (l.l_onoff)
			so->linger.l_linger = l.l_linger;
	}
	if (level == TERN_SOL_SOCKET) {
		int err = sol_socket_set(s, so, name, val);
		if (err != TERN_ENOPROTOOPT || !so->ops->setsockopt)
			return err;
		return so->ops->setsockopt(s, so, level, name, val);
	}
	if (level == TERN_IPPROTO_IP)
		return ip_set(so, name, val);
	return so->ops->setsockopt ? so->ops->setsockopt(s, so, level, name, val)
				   : TERN_ENOPROTOOPT;
}

static int sol_socket_get(struct tern_sock *so, int name, int *val)
{
	switch (name) {
	case TERN_SO_REUSEADDR: *val = so->reuseaddr; return 0;
	case TERN_SO_REUSEPORT: *val = so->reuseport; return 0;
	case TERN_SO_BROADCAST: *val = so->broadcast; return 0;
	case TERN_SO_RCVBUF: *val = so->rcvbuf; return 0;
	case TERN_SO_SNDBUF: *val = so->sndbuf; return 0;
	case TERN_SO_TYPE: *val = so->ops->type; return 0;
	case TERN_SO_ERROR:
		/* Reading the pending error clears it (socket(7)). */
		*val = tern_sock_take_error(so);
		return 0;
	default: return TERN_ENOPROTOOPT;
	}
}

static int ip_get(struct tern_stack *s, struct tern_sock *so, int name, int *val)
{
	switch (name) {
	case TERN_IP_TTL: *val = so->ttl < 0 ? s->cfg->default_ttl : so->ttl; return 0;
	case TERN_IP_TOS: *val = so->tos; return 0;
	case TERN_IP_RECVERR: *val = so->recverr; return 0;
	case TERN_IP_MTU_DISCOVER:
		*val = so->pmtudisc >= 0 ? so->pmtudisc
					 : tern_sock_pmtudisc(s->cfg, so, so->ops->type == TERN_SOCK_STREAM) - 1;
		return 0;
	case TERN_IP_MTU:
		if (!so->connected || !so->peer_addr)
			return TERN_ENOTCONN;
		*val = (int)tern_pmtu_path(s, so->peer_addr, s->now);
		return *val ? 0 : TERN_ENOTCONN;
	default: return TERN_ENOPROTOOPT;
	}
}

int tern_getsockopt(struct tern_stack *s, int sd, int level, int name, void *optval,
		    size_t *optlen)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	int val = 0, err;
	if (!so)
		return TERN_EBADF;
	if (!optval || !optlen)
		return TERN_EFAULT;
	if (*optlen == 0)
		return TERN_EINVAL;
	if (level == TERN_SOL_SOCKET && (name == TERN_SO_RCVTIMEO || name == TERN_SO_SNDTIMEO)) {
		tern_time_t t = name == TERN_SO_RCVTIMEO ? so->rcvtimeo : so->sndtimeo;
		struct tern_timeval tv = {0, 0};
		if (t != TERN_TIME_NEVER) {
			tv.tv_sec = (long)(t / TERN_SEC(1));
			tv.tv_usec = (long)(t % TERN_SEC(1) / TERN_USEC(1));
		}
		return get_struct(optval, optlen, &tv, sizeof(tv));
	}
	if (level == TERN_SOL_SOCKET && name == TERN_SO_LINGER)
		return get_struct(optval, optlen, &so->linger, sizeof(so->linger));
	if (so->ops->getsockopt_raw) {
		err = so->ops->getsockopt_raw(s, so, level, name, optval, optlen);
		if (err != TERN_ENOPROTOOPT)
			return err;
	}
	if (level == TERN_SOL_SOCKET) {
		err = sol_socket_get(so, name, &val);
		if (err == TERN_ENOPROTOOPT && so->ops->getsockopt)
			err = so->ops->getsockopt(s, so, level, name, &val);
	} else if (level == TERN_IPPROTO_IP)
		err = ip_get(s, so, name, &val);
	else
		err = so->ops->getsockopt ? so->ops->getsockopt(s, so, level, name, &val)
					  : TERN_ENOPROTOOPT;
	if (err < 0)
		return err;
	if (*optlen >= sizeof(int)) {
		memcpy(optval, &val, sizeof(int));
		*optlen = sizeof(int);
	} else {
		*(unsigned char *)optval = (unsigned char)val; /* as Linux's IP options */
		*optlen = 1;
	}
	return 0;
}

int tern_socket_timeouts(struct tern_stack *s, int sd, tern_time_t *rcv, tern_time_t *snd)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (rcv)
		*rcv = so->rcvtimeo;
	if (snd)
		*snd = so->sndtimeo;
	return 0;
}

/* ---- queue sizes --------------------------------------------------------------- */

int tern_ioctl(struct tern_stack *s, int sd, unsigned long request, int *val)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (!val)
		return TERN_EFAULT;
	if (request != TERN_SIOCINQ && request != TERN_SIOCOUTQ && request != TERN_SIOCOUTQNSD)
		return TERN_ENOTTY;
	return so->ops->ioctl ? so->ops->ioctl(s, so, request, val) : TERN_ENOTTY;
}

int tern_socket_stamp(struct tern_stack *s, int sd, tern_time_t *when)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (!when)
		return TERN_EFAULT;
	if (!so->has_rx_stamp)
		return TERN_ENOENT;
	*when = so->rx_stamp;
	return 0;
}

/* ---- readiness ------------------------------------------------------------------ */

int tern_poll(struct tern_stack *s, struct tern_pollfd *fds, unsigned n)
{
	int ready = 0;
	for (unsigned i = 0; i < n; i++) {
		struct tern_pollfd *p = &fds[i];
		p->revents = 0;
		if (p->sd < 0)
			continue;
		struct tern_sock *so = tern_sock_get(s, p->sd);
		if (!so)
			p->revents = TERN_POLLNVAL;
		else
			p->revents = so->ops->poll(s, so) &
				     (p->events | TERN_POLLERR | TERN_POLLHUP);
		if (p->revents)
			ready++;
	}
	return ready;
}

int tern_socket_set_callback(struct tern_stack *s, int sd, tern_socket_fn fn, void *ctx)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	so->cb = fn;
	so->cb_ctx = fn ? ctx : NULL;
	return 0;
}

/* ---- enumeration ------------------------------------------------------------------ */

int tern_socket_info(struct tern_stack *s, int sd, struct tern_sock_info *out)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	if (!out)
		return TERN_EFAULT;
	*out = (struct tern_sock_info){
		.sd = sd,
		.type = so->ops->type,
		.protocol = so->ops->protocol,
		.state = "UNCONN",
		.rcvbuf = so->rcvbuf,
		.sndbuf = so->sndbuf,
		.in_datagrams = so->in_datagrams,
		.out_datagrams = so->out_datagrams,
		.drops = so->drops,
		.id = so->serial,
		.shutdown = (uint8_t)(((so->shut & TERN_SHUT_RD_BIT) ? 1 : 0) |
				      ((so->shut & TERN_SHUT_WR_BIT) ? 2 : 0)),
	};
	tern_getsockname(s, sd, &out->local);
	if (so->connected)
		out->peer = (struct tern_sockaddr_in){so->peer_addr, so->peer_port};
	memcpy(out->owner, so->owner, sizeof(out->owner));
	if (so->ops->info)
		so->ops->info(s, so, out);
	return 0;
}

int tern_socket_next(struct tern_stack *s, int after)
{
	struct tern_sock_table *t = s->socks;
	uint32_t i = after < 0 ? 0 : (uint32_t)after + 1;
	for (; i < t->nslots; i++)
		if (t->slots[i])
			return (int)i;
	return -1;
}

int tern_socket_set_owner(struct tern_stack *s, int sd, const char *owner)
{
	struct tern_sock *so = tern_sock_get(s, sd);
	if (!so)
		return TERN_EBADF;
	snprintf(so->owner, sizeof(so->owner), "%s", owner ? owner : "");
	return 0;
}
