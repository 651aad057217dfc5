/*
 * tern/socket.h — the BSD-shaped socket API of a tern host.
 *
 * Sockets belong to a stack (one host); a socket descriptor is a small
 * non-negative integer from a per-stack table, lowest free first, like a
 * file descriptor. Calls mirror their POSIX namesakes and Linux's
 * behaviour (socket(7), ip(7), udp(7)), with two differences:
 *
 *   - errors are returned as a negative tern_err (TERN_EADDRINUSE ==
 *     -EADDRINUSE); there is no errno;
 *   - nothing blocks. A call that would wait returns TERN_EAGAIN. Readiness
 *     comes from tern_poll() (which never waits: the runner owns waiting,
 *     see tern_stack_poll_at) or from a per-socket callback.
 *
 * Addresses are a struct tern_sockaddr_in in host byte order.
 *
 * Calls that transmit (send, sendto, connect's route choice) act at the
 * stack's current time, tern_stack_now(): call them from a callback or
 * after the runner has fed the stack input or polled it.
 *
 * Types: TERN_SOCK_DGRAM (UDP, RFC 768) and TERN_SOCK_STREAM (TCP, RFC
 * 9293), each behind its own operations table. Every call is
 * non-blocking, with Linux's answers: a stream connect returns
 * TERN_EINPROGRESS and completes with TERN_POLLOUT (then SO_ERROR tells
 * how); accept, send and recv return TERN_EAGAIN rather than wait; recv
 * returns 0 at the end of the stream; close hands the connection to TCP,
 * which finishes the FIN exchange and TIME-WAIT on its own (or resets if
 * unread data was left, or with SO_LINGER {1, 0}).
 */
#ifndef TERN_SOCKET_H
#define TERN_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "tern/err.h"
#include "tern/types.h"

struct tern_stack;

/* Domains, types and protocols (Linux's numbers). */
#define TERN_AF_UNSPEC 0
#define TERN_AF_INET 2
#define TERN_SOCK_STREAM 1
#define TERN_SOCK_DGRAM 2
#ifndef TERN_IPPROTO_TCP
#define TERN_IPPROTO_TCP 6
#endif
#ifndef TERN_IPPROTO_UDP
#define TERN_IPPROTO_UDP 17
#endif

/* An IPv4 socket address, host byte order. */
struct tern_sockaddr_in {
	tern_ip4_t addr;
	uint16_t port;
};

/* ---- life cycle and addressing ------------------------------------------ */

/* A new socket: domain TERN_AF_INET; type TERN_SOCK_DGRAM with protocol 0
 * or TERN_IPPROTO_UDP. Returns the descriptor (>= 0) or TERN_EAFNOSUPPORT,
 * TERN_EPROTONOSUPPORT, TERN_EINVAL (unknown type), TERN_EMFILE, TERN_ENOMEM. */
int tern_socket(struct tern_stack *s, int domain, int type, int protocol);

/* Bind to a local address and port (port 0: an ephemeral port, RFC 6056,
 * from 49152-65535). TERN_EADDRNOTAVAIL for an address that is not ours,
 * TERN_EADDRINUSE on a conflict (rules as Linux: see transport/udp.c),
 * TERN_EINVAL if already bound. */
int tern_bind(struct tern_stack *s, int sd, const struct tern_sockaddr_in *addr);

/* UDP: set the default peer (send() goes there, only its datagrams are
 * received), binding first if needed and choosing the local address by
 * route. addr NULL dissolves the association (AF_UNSPEC connect). */
int tern_connect(struct tern_stack *s, int sd, const struct tern_sockaddr_in *addr);

/* Stream sockets only: TERN_EOPNOTSUPP on UDP. accept returns the new
 * descriptor and fills *peer (may be NULL). */
int tern_listen(struct tern_stack *s, int sd, int backlog);
int tern_accept(struct tern_stack *s, int sd, struct tern_sockaddr_in *peer);

#define TERN_SHUT_RD 0
#define TERN_SHUT_WR 1
#define TERN_SHUT_RDWR 2
/* As Linux: on an unconnected UDP socket the shutdown takes effect but
 * TERN_ENOTCONN is returned. */
int tern_shutdown(struct tern_stack *s, int sd, int how);

/* Release the socket, its queued data and its port. The descriptor may be
 * reused by the next tern_socket(). */
int tern_close(struct tern_stack *s, int sd);

int tern_getsockname(struct tern_stack *s, int sd, struct tern_sockaddr_in *out);
/* TERN_ENOTCONN if the socket has no peer. */
int tern_getpeername(struct tern_stack *s, int sd, struct tern_sockaddr_in *out);

/* ---- data ------------------------------------------------------------------ */

#define TERN_MSG_PEEK 0x02     /* return data without consuming it (UDP and TCP) */
#define TERN_MSG_TRUNC 0x20    /* recv: return the datagram's real length */
#define TERN_MSG_DONTWAIT 0x40 /* accepted; every call is non-blocking anyway (tern/rt.h's
				* blocking helpers then try once and do not wait) */
/* recv on a stream: wait for all len bytes (or the end of the stream, an
 * error, a signal, the timeout). Non-blocking calls return what is there,
 * as Linux's do; tern/rt.h's tern_rt_recv waits. Ignored for datagrams. */
#define TERN_MSG_WAITALL 0x100
/* sendto on an unconnected stream socket: connect to dst and send the data
 * on the SYN (TCP Fast Open, RFC 7413), as Linux's non-blocking
 * MSG_FASTOPEN: with a cookie cached for dst, the SYN carries it and up to
 * the server's MSS less 40 bytes of the data, and sendto returns the bytes
 * taken; without one, the SYN carries a cookie request and no data, and
 * sendto returns TERN_EINPROGRESS (write the data again once connected).
 * TERN_EOPNOTSUPP without net.ipv4.tcp_fastopen's client bit (0x1),
 * TERN_EALREADY while connecting, TERN_EISCONN once connected. */
#define TERN_MSG_FASTOPEN 0x20000000

/* The largest UDP payload: 65535 - 20 (IP header) - 8 (UDP header). */
#define TERN_UDP_MAX_PAYLOAD 65507

/* Send one datagram (to dst, or to the connected peer when dst is NULL).
 * Returns len or: TERN_EDESTADDRREQ (no peer), TERN_EMSGSIZE (len >
 * TERN_UDP_MAX_PAYLOAD), TERN_EACCES (broadcast without SO_BROADCAST),
 * TERN_ENETUNREACH, TERN_ENOBUFS, -EPIPE after SHUT_WR, or a pending error
 * (SO_ERROR), reported once, in which case nothing is sent. */
int tern_sendto(struct tern_stack *s, int sd, const void *buf, size_t len, int flags,
		const struct tern_sockaddr_in *dst);
int tern_send(struct tern_stack *s, int sd, const void *buf, size_t len, int flags);

/* Receive one datagram into buf, its sender into *src (may be NULL).
 * As Linux: a datagram longer than len is truncated and the rest
 * discarded; the return value is the bytes copied, or the datagram's full
 * length with TERN_MSG_TRUNC. TERN_EAGAIN if none is queued; 0 once the
 * queue is empty after SHUT_RD; a pending error (SO_ERROR) is returned
 * first, once. */
int tern_recvfrom(struct tern_stack *s, int sd, void *buf, size_t len, int flags,
		  struct tern_sockaddr_in *src);
int tern_recv(struct tern_stack *s, int sd, void *buf, size_t len, int flags);

/* ---- options ---------------------------------------------------------------- */

/* Levels */
#define TERN_SOL_SOCKET 1
#define TERN_IPPROTO_IP 0
/* TERN_SOL_SOCKET options (int values; booleans are 0/1) */
#define TERN_SO_REUSEADDR 2
#define TERN_SO_TYPE 3       /* get only */
#define TERN_SO_ERROR 4      /* get only: the pending error (negative), cleared */
#define TERN_SO_BROADCAST 6  /* allow sending to broadcast addresses */
#define TERN_SO_SNDBUF 7     /* as Linux: set n, get 2n (min 4608, max 2 * 212992) */
#define TERN_SO_RCVBUF 8     /* as Linux: set n, get 2n (min 2304, max 2 * 212992) */
#define TERN_SO_KEEPALIVE 9   /* TCP: keepalive probes (tern/tcp.h for their timing) */
#define TERN_SO_LINGER 13     /* a struct tern_linger; TCP: {1, 0} makes close reset;
			       * {1, N > 0} is kept and read back, but close never
			       * blocks (TCP finishes in the background, as {0, 0}) */
#define TERN_SO_REUSEPORT 15
/* A struct tern_timeval, as Linux's SO_RCVTIMEO/SO_SNDTIMEO (the 64-bit
 * "old" layout, struct timeval): how long tern/rt.h's blocking helpers
 * wait for input (recv, accept) or for room to send (send, connect).
 * {0, 0}: no limit (the default); a negative tv_sec: do not wait at all;
 * tv_usec outside 0..999999: TERN_EDOM, as Linux. The socket calls
 * themselves never wait whatever the value. */
#define TERN_SO_RCVTIMEO 20
#define TERN_SO_SNDTIMEO 21
/* TCP: a cap on the sending rate in bytes per second, as Linux: a 4-byte
 * value (~0U: none) or an 8-byte one (~0ULL: none); any cap turns the
 * connection's pacing on (tern/stack.h's tcp_pacing), as Linux's internal
 * pacing without fq. Read back in the size asked (4 bytes: ~0U if it
 * does not fit). Accepted connections inherit the listener's. */
#define TERN_SO_MAX_PACING_RATE 47
/* TERN_IPPROTO_IP options */
#define TERN_IP_TOS 1
#define TERN_IP_TTL 2        /* 1..255, or -1 for the stack default */
/* Report every ICMP error (soft ones too, unconnected sockets too) as the
 * pending error. Linux's IP_RECVERR without the error queue: only
 * SO_ERROR / the next call sees it. Off by default, as Linux. */
#define TERN_IP_RECVERR 11
/* Path MTU discovery per socket, Linux's numbers (ip(7)): DONT never sets
 * DF (the stack fragments to the path MTU); WANT sets DF where the
 * datagram fits the path MTU and fragments the rest; DO sets DF and
 * fails a datagram larger than the path MTU with TERN_EMSGSIZE; PROBE
 * sets DF and ignores the path MTU (the interface's alone). TCP sockets
 * start with WANT (net.ipv4.ip_no_pmtu_disc 0, as Linux: its segments
 * carry DF), or DONT; UDP sockets start with DONT (Linux: WANT; tern
 * keeps its datagrams free of DF unless asked). */
#define TERN_IP_MTU_DISCOVER 10
#define TERN_IP_PMTUDISC_DONT 0
#define TERN_IP_PMTUDISC_WANT 1
#define TERN_IP_PMTUDISC_DO 2
#define TERN_IP_PMTUDISC_PROBE 3
/* getsockopt only: the path MTU towards a connected socket's peer
 * (TERN_ENOTCONN if none), as Linux's IP_MTU. */
#define TERN_IP_MTU 14

struct tern_linger {
	int l_onoff;
	int l_linger; /* seconds */
};

/* Linux's struct timeval on 64-bit hosts (time_t and suseconds_t are long). */
struct tern_timeval {
	long tv_sec;
	long tv_usec;
};

/* optval points to an int (setsockopt needs optlen >= sizeof(int); IP
 * options also take a single byte). getsockopt writes at most *optlen
 * bytes and sets *optlen. TERN_ENOPROTOOPT for unknown options. */
int tern_setsockopt(struct tern_stack *s, int sd, int level, int name, const void *optval,
		    size_t optlen);
int tern_getsockopt(struct tern_stack *s, int sd, int level, int name, void *optval,
		    size_t *optlen);

/* ---- readiness ------------------------------------------------------------- */

#define TERN_POLLIN 0x001
#define TERN_POLLOUT 0x004
#define TERN_POLLERR 0x008   /* always reported, like poll(2) */
#define TERN_POLLHUP 0x010   /* always reported */
#define TERN_POLLNVAL 0x020  /* not an open descriptor */
#define TERN_POLLRDHUP 0x2000 /* the peer shut down its sending side (or we SHUT_RD) */

/* What TCP reports, as Linux's tcp_poll, where "read side shut" is the
 * peer's FIN received or our SHUT_RD, and "write side shut" is our
 * SHUT_WR (close) — both are shut once the connection ended (reset,
 * timeout, both FINs done):
 *
 *   new socket, never connected          OUT | HUP
 *   SYN-SENT, SYN-RECEIVED               nothing (ERR if an error is pending);
 *                                        OUT after TCP_FASTOPEN_CONNECT's
 *                                        connect, until the write sends the SYN
 *   LISTEN                               IN while the accept queue has one
 *   connected                            IN with data; OUT with a third of
 *                                        SO_SNDBUF free
 *   read side shut                       + IN | RDHUP
 *   write side shut                      + OUT (a send then fails: EPIPE)
 *   both shut, or the connection ended   + HUP (so IN | RDHUP | OUT | HUP)
 *   an error pending (SO_ERROR)          + ERR (a refused connect:
 *                                        ERR | HUP | IN | RDHUP | OUT)
 *
 * UDP, as Linux's datagram_poll: OUT always; IN with a datagram queued;
 * IN | RDHUP after SHUT_RD; HUP once both directions are shut; ERR with
 * a pending error. RDHUP, like IN and OUT, only if asked for in events. */

struct tern_pollfd {
	int sd;            /* negative: ignored (revents 0) */
	unsigned events;   /* TERN_POLLIN | TERN_POLLOUT */
	unsigned revents;  /* filled in */
};
/* Fill in revents for each entry; returns how many have a nonzero revents.
 * Never waits. */
int tern_poll(struct tern_stack *s, struct tern_pollfd *fds, unsigned n);

/* Called with the socket's current readiness (TERN_POLL* mask) when it may
 * have become readable, writable or errored: a datagram queued, an error
 * reported, a shutdown. It runs inside the stack's input or poll (or the
 * shutdown call) and may call any socket function, including tern_close on
 * this socket. fn NULL removes it. A UDP socket is always writable, so it
 * is never called for that alone. */
typedef void (*tern_socket_fn)(void *ctx, struct tern_stack *s, int sd, unsigned events);
/* The waits SO_RCVTIMEO and SO_SNDTIMEO ask of blocking helpers, exactly
 * (TERN_TIME_NEVER: no limit; 0: no wait, which getsockopt's struct
 * cannot tell from "no limit", as on Linux). Either pointer may be NULL. */
int tern_socket_timeouts(struct tern_stack *s, int sd, tern_time_t *rcv, tern_time_t *snd);
int tern_socket_set_callback(struct tern_stack *s, int sd, tern_socket_fn fn, void *ctx);

/* ---- queue sizes (ioctl) -------------------------------------------------------- */

/* Linux's numbers (SIOCINQ is FIONREAD, SIOCOUTQ is TIOCOUTQ). */
#define TERN_SIOCINQ 0x541B
#define TERN_SIOCOUTQ 0x5411
#define TERN_SIOCOUTQNSD 0x894B
/* As Linux's tcp_ioctl / udp_ioctl, into *val:
 *   TCP  SIOCINQ     bytes the application can read now (not the FIN)
 *        SIOCOUTQ    bytes sent or queued and not yet acknowledged (a
 *                    FIN waiting for its ACK counts 1, as Linux's write_seq)
 *        SIOCOUTQNSD bytes queued and not yet sent (a FIN not yet sent: 1)
 *        all three 0 in SYN-SENT and SYN-RECEIVED; TERN_EINVAL on a listener
 *   UDP  SIOCINQ     the payload size of the next datagram (0: none)
 *        SIOCOUTQ    0 (datagrams go straight to IP)
 *        SIOCOUTQNSD TERN_ENOTTY, as Linux for a request the type lacks
 * TERN_EBADF for a bad sd, TERN_EFAULT for val NULL, TERN_ENOTTY for an
 * unknown request. */
int tern_ioctl(struct tern_stack *s, int sd, unsigned long request, int *val);

/* Linux's SIOCGSTAMPNS: into *when, the receive time of the last datagram
 * read from the socket (by recv/recvfrom, MSG_PEEK included, as Linux's
 * sock_recv_timestamp), in the stack's clock: the simulator's exact
 * virtual time, or on a TAP the CLOCK_MONOTONIC time read as its frame was
 * read from the device (tern_rt_now's clock), which can be earlier than
 * the stack's `now` when the datagram is read. TERN_ENOENT before any
 * datagram was read (and always for TCP, as Linux's sk_stamp). */
int tern_socket_stamp(struct tern_stack *s, int sd, tern_time_t *when);

/* ---- enumeration, for `tern ss` ---------------------------------------------- */

#define TERN_SOCK_OWNER_LEN 32

struct tern_sock_info {
	int sd;
	int type;                        /* TERN_SOCK_DGRAM ... */
	int protocol;                    /* TERN_IPPROTO_UDP ... */
	const char *state;               /* as ss shows it: "UNCONN", "ESTAB" */
	struct tern_sockaddr_in local;   /* 0.0.0.0:0 before bind */
	struct tern_sockaddr_in peer;    /* 0.0.0.0:0 without one */
	uint32_t rx_queue;               /* bytes charged to the receive buffer (ss Recv-Q) */
	uint32_t tx_queue;               /* bytes waiting to be sent (ss Send-Q) */
	uint32_t rx_datagrams;           /* datagrams queued */
	int rcvbuf, sndbuf;              /* as getsockopt reports them */
	uint64_t in_datagrams, out_datagrams;
	uint64_t drops;                  /* receive-buffer overflows */
	char owner[TERN_SOCK_OWNER_LEN]; /* tern_socket_set_owner's tag, "" if none */
	uint64_t id;                     /* unique per stack and socket (ss -e's sk:) */
	uint8_t shutdown;                /* bit 0: SHUT_RD, bit 1: SHUT_WR (ss -e's <->) */
};
/* TERN_EBADF if sd is not open. */
int tern_socket_info(struct tern_stack *s, int sd, struct tern_sock_info *out);
/* The lowest open descriptor greater than `after` (start with -1), or -1
 * when there are no more. */
int tern_socket_next(struct tern_stack *s, int after);
/* Tag the socket with its owner (a program name, for ss -p); copied,
 * truncated to TERN_SOCK_OWNER_LEN - 1 bytes. */
int tern_socket_set_owner(struct tern_stack *s, int sd, const char *owner);

#endif
