/*
 * transport/sock.h — the socket layer's insides, shared by the generic
 * layer (transport/socket.c) and the protocols (udp.c, later tcp).
 *
 * Call order: the public calls in tern/socket.h find the socket by
 * descriptor (socket.c) and dispatch through its type's operations table
 * (struct tern_sock_ops); protocol input (UDP's udp_input) finds sockets in
 * the protocol's hash tables, queues data and calls tern_sock_wakeup(),
 * which runs the application's callback.
 *
 * Ownership: the table owns every socket; a socket owns the packets on its
 * receive queue. Closing frees both. Nothing here is global: all of it
 * hangs off struct tern_stack (member `socks`).
 */
#ifndef TERN_TRANSPORT_SOCK_H
#define TERN_TRANSPORT_SOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/pkt.h"
#include "tern/socket.h"
#include "transport/tcp.h"

struct tern_stack;
struct tern_sock;

/* ---- intrusive hash tables of sockets ------------------------------------ */

/* A socket's membership in one table: the chain link and the hash it was
 * filed under (kept so the table can grow without asking the protocol). */
struct tern_sock_hlink {
	struct tern_sock *next;
	uint32_t hash;
	bool linked;
};

/* Chained buckets, a power of two of them, doubled when the table holds
 * more sockets than buckets so chains stay short (ARCHITECTURE.md
 * principle 6). Chain order carries no meaning. */
struct tern_sock_htab {
	struct tern_sock **buckets;
	uint32_t nbuckets;   /* 0 until the first insert */
	uint32_t count;
	size_t link_off;     /* offsetof(struct tern_sock, <its tern_sock_hlink>) */
};

void tern_sock_htab_init(struct tern_sock_htab *h, size_t link_off);
void tern_sock_htab_fini(struct tern_sock_htab *h);
/* TERN_ENOMEM if the first bucket array cannot be had (a failed growth is
 * not an error: chains just get longer). */
int tern_sock_htab_insert(struct tern_sock_htab *h, struct tern_sock *so, uint32_t hash);
void tern_sock_htab_remove(struct tern_sock_htab *h, struct tern_sock *so);
/* Walk the chain `hash` falls in; callers compare keys themselves. */
struct tern_sock *tern_sock_htab_first(const struct tern_sock_htab *h, uint32_t hash);
struct tern_sock *tern_sock_htab_next(const struct tern_sock_htab *h, const struct tern_sock *so);
/* SO_REUSEPORT: among best's group in h (its port and address, SO_REUSEPORT
 * set, member() true), the socket that rendezvous hashing of `flow` (a
 * 4-tuple hash) picks. */
struct tern_sock *tern_sock_reuseport_pick(struct tern_stack *s, const struct tern_sock_htab *h,
					   struct tern_sock *best, uint32_t flow,
					   bool (*member)(const struct tern_sock *o));

/* ---- per-type operations ---------------------------------------------------- */

/* What a socket type implements. The generic layer has already checked the
 * descriptor and arguments that do not depend on the type (NULL pointers,
 * `how` values, option lengths). Every function returns 0 / a count or a
 * negative tern_err. A NULL entry means TERN_EOPNOTSUPP. */
struct tern_sock_ops {
	int type;      /* TERN_SOCK_DGRAM ... */
	int protocol;  /* TERN_IPPROTO_UDP ... */
	int (*init)(struct tern_stack *s, struct tern_sock *so);
	int (*bind)(struct tern_stack *s, struct tern_sock *so, const struct tern_sockaddr_in *a);
	int (*connect)(struct tern_stack *s, struct tern_sock *so, const struct tern_sockaddr_in *a);
	int (*listen)(struct tern_stack *s, struct tern_sock *so, int backlog);
	int (*accept)(struct tern_stack *s, struct tern_sock *so, struct tern_sockaddr_in *peer);
	int (*sendto)(struct tern_stack *s, struct tern_sock *so, const void *buf, size_t len,
		      int flags, const struct tern_sockaddr_in *dst);
	int (*recvfrom)(struct tern_stack *s, struct tern_sock *so, void *buf, size_t len,
			int flags, struct tern_sockaddr_in *src);
	int (*shutdown)(struct tern_stack *s, struct tern_sock *so, int how);
	/* Release protocol state (ports, queues); the generic layer frees so. */
	void (*close)(struct tern_stack *s, struct tern_sock *so);
	unsigned (*poll)(struct tern_stack *s, struct tern_sock *so);
	/* The type's own rows of ss: state name and queue sizes. */
	void (*info)(struct tern_stack *s, struct tern_sock *so, struct tern_sock_info *out);
	/* Options the generic layer does not know (e.g. level TCP later). */
	int (*setsockopt)(struct tern_stack *s, struct tern_sock *so, int level, int name, int val);
	int (*getsockopt)(struct tern_stack *s, struct tern_sock *so, int level, int name, int *val);
	/* Options whose value is not an int (TCP_CONGESTION's name,
	 * TCP_INFO's struct), asked first: TERN_ENOPROTOOPT passes the
	 * option on to the int path. get writes at most *len bytes and sets
	 * *len. */
	int (*setsockopt_raw)(struct tern_stack *s, struct tern_sock *so, int level, int name,
			      const void *val, size_t len);
	int (*getsockopt_raw)(struct tern_stack *s, struct tern_sock *so, int level, int name,
			      void *val, size_t *len);
	/* TERN_SIOC* queue sizes (tern_ioctl); NULL: TERN_ENOTTY. */
	int (*ioctl)(struct tern_stack *s, struct tern_sock *so, unsigned long req, int *val);
};

extern const struct tern_sock_ops tern_udp_sock_ops;
extern const struct tern_sock_ops tern_tcp_sock_ops;

/* ---- the socket -------------------------------------------------------------- */

#define TERN_SHUT_RD_BIT 1
#define TERN_SHUT_WR_BIT 2

struct tern_sock {
	int sd;
	uint64_t serial;                 /* unique per stack: tells a reused sd apart */
	const struct tern_sock_ops *ops;

	/* Addresses, as Linux's inet_sock: rcv_addr is what we accept datagrams
	 * on (the bound address, or the route's source once connected);
	 * src_addr is the source we send from (0: the route's choice; bound
	 * broadcast/multicast addresses are never a source). */
	tern_ip4_t rcv_addr, src_addr, peer_addr;
	uint16_t lport, peer_port;       /* lport 0: not bound */
	bool connected;
	bool addr_locked, port_locked;   /* chosen by bind(), kept by disconnect */
	uint64_t bind_seq;               /* bind order: the newest wins ties */

	/* options */
	bool reuseaddr, reuseport, broadcast, recverr;
	int rcvbuf, sndbuf;              /* as getsockopt reports: 2 × the value set */
	bool rcvbuf_locked, sndbuf_locked; /* set by the application: never auto-tuned
					  * (Linux's SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK) */
	int ttl;                         /* -1: the stack default */
	int8_t pmtudisc;                 /* IP_MTU_DISCOVER (TERN_IP_PMTUDISC_*); -1: the
					  * type's default (tern_sock_pmtudisc) */
	tern_time_t rcvtimeo, sndtimeo;  /* SO_RCVTIMEO/SNDTIMEO: TERN_TIME_NEVER (default), or
					  * how long tern/rt.h's helpers wait (0: not at all) */
	struct tern_linger linger;       /* SO_LINGER as set, for getsockopt */
	uint8_t tos;
	int so_error;                    /* pending error (negative) or 0 */
	uint8_t shut;                    /* TERN_SHUT_*_BIT */

	/* receive queue: pkts as received, data at the IP header */
	struct tern_pkt_queue rxq;
	size_t rx_charged;               /* sum of queued pkts' true sizes */
	tern_time_t rx_stamp;            /* rx_time of the last datagram read (SIOCGSTAMPNS) */
	bool has_rx_stamp;

	uint64_t in_datagrams, out_datagrams, drops;
	char owner[TERN_SOCK_OWNER_LEN];
	tern_socket_fn cb;
	void *cb_ctx;

	/* protocol tables */
	struct tern_sock_hlink port_link;  /* UDP, TCP: by local port (every bound socket) */
	struct tern_sock_hlink conn_link;  /* UDP: by 4-tuple (connected sockets) */
	struct tern_tcb *tcb;              /* TCP: the connection or listener, if any */
};

/* ---- the per-stack table ----------------------------------------------------- */

#define TERN_SOCK_MAX 65536  /* descriptors per stack */

struct tern_sock_table {
	struct tern_sock **slots;  /* by descriptor; NULL = free */
	uint32_t nslots;
	uint32_t free_hint;        /* no free slot below this */
	uint64_t next_serial, next_bind_seq;
	uint64_t secret;           /* keys the hashes, from the stack's seed */
	struct tern_sock_htab udp_ports;
	struct tern_sock_htab udp_conns;
	struct tern_sock_htab tcp_ports;   /* TCP sockets with a local port, by port */
	struct tern_tcp_table tcp;         /* connections (transport/tcp.h) */
};

/* Set s->socks to a shared empty table, read-only: lookups and loops
 * over it find nothing. Never fails. */
int tern_sock_table_init(struct tern_stack *s);
/* The host's own table, made (as an empty one) the first time: what a
 * writer asks for before changing s->socks (a new socket, a stack-wide
 * setting kept there). NULL without memory. */
struct tern_sock_table *tern_sock_table_own(struct tern_stack *s);
/* Closes every socket (freeing queued packets) and frees the table. */
void tern_sock_table_fini(struct tern_stack *s);

struct tern_sock *tern_sock_get(struct tern_stack *s, int sd);
/* A new socket of this type in the lowest free descriptor (ops->init not
 * called): for accept. NULL if no descriptor or memory is left. */
struct tern_sock *tern_sock_new(struct tern_stack *s, const struct tern_sock_ops *ops, int *err);
/* The pending error (SO_ERROR), cleared: reported once (socket(7)). */
static inline int tern_sock_take_error(struct tern_sock *so)
{
	int err = so->so_error;
	so->so_error = 0;
	return err;
}

/* Tell the application its socket's readiness may have changed. */
void tern_sock_wakeup(struct tern_stack *s, struct tern_sock *so);

/* A keyed 32-bit hash of a 4-tuple (and of a port alone: the rest 0). */
uint32_t tern_sock_hash4(const struct tern_sock_table *t, tern_ip4_t laddr, uint16_t lport,
			 tern_ip4_t raddr, uint16_t rport);

/* Linux's buffer limits (net.core.rmem_max / wmem_max, SOCK_MIN_*BUF). */
#define TERN_SOCK_BUF_MAX 212992
#define TERN_SOCK_MIN_RCVBUF 2304
#define TERN_SOCK_MIN_SNDBUF 4608

/* UDP as the network layer sees it (transport/udp.c): input and ICMP
 * errors, for the host to register (net/net.h). */
extern const struct tern_ip_proto tern_udp_proto;

/* The socket's IP_MTU_DISCOVER mode as IP output takes it (enum
 * tern_ip_pmtu): its own, else TCP's WANT (DONT with ip_no_pmtu_disc) or
 * UDP's DONT. */
static inline uint8_t tern_sock_pmtudisc(const struct tern_stack_config *cfg,
					 const struct tern_sock *so, bool stream)
{
	int v = so ? so->pmtudisc : -1;
	if (v < 0)
		v = stream && !cfg->ip_no_pmtu_disc ? 1 : 0;
	return (uint8_t)(v > 3 ? TERN_IP_PMTU_PROBE : v + 1);
}

#endif
