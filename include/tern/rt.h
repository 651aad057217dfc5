/*
 * tern/rt.h — run one tern host on real networks, in real time.
 *
 * The real-time runner owns a stack, the devices it is attached to (TAP
 * devices, possibly wrapped by a fault injector or pcap writer) and the
 * clock (CLOCK_MONOTONIC). tern_rt_run_once() waits on every device's fd
 * until the stack's next deadline, feeds received frames in and runs due
 * timers: the sans-I/O core stays clock-free and this is the only loop.
 *
 *   struct tern_rt *rt = tern_rt_create(&cfg);
 *   tern_rt_add_tap(rt, "tap0", "10.0.0.2/24", NULL);
 *   tern_rt_add_route(rt, "0.0.0.0/0", "10.0.0.1");
 *   while (!stop) tern_rt_run_once(rt, TERN_SEC(1));
 *
 * Attaching a device polls the stack at the real clock first, so what
 * configuration sends (address announcements) is stamped with the time it
 * is sent. The program's own fds (stdin, control sockets) can share the
 * wait (tern_rt_add_fd), and tern_rt_connect / accept / recv / recvfrom /
 * send / sendto give the socket API blocking conveniences on top.
 */
#ifndef TERN_RT_H
#define TERN_RT_H

#include "tern/netdev.h"
#include "tern/stack.h"

struct tern_rt;

/* cfg may be NULL for defaults (seed from the clock then). */
struct tern_rt *tern_rt_create(const struct tern_stack_config *cfg);
/* A seed for a real host, where reproducibility is not wanted: the
 * clocks and the process id, mixed. */
uint64_t tern_rt_fresh_seed(void);
void tern_rt_destroy(struct tern_rt *rt); /* closes devices, frees the stack */
struct tern_stack *tern_rt_stack(struct tern_rt *rt);
tern_time_t tern_rt_now(const struct tern_rt *rt);

/* Options for a TAP interface: all optional (NULL for defaults). */
struct tern_rt_tap_opts {
	uint32_t mtu;                       /* 0: 1500 */
	unsigned addr_flags;                /* TERN_ADDR_PROBE ... */
	const char *pcap_path;              /* capture this interface */
	const struct tern_fault_params *fault; /* impair it */
	const struct tern_mac *mac;         /* NULL: derived from the name */
};
/* Open (or create) TAP device ifname, attach it, add "addr/plen" (may be
 * NULL). Returns the ifindex or a negative tern_err. */
int tern_rt_add_tap(struct tern_rt *rt, const char *ifname, const char *addr_prefix,
		    const struct tern_rt_tap_opts *opts);
/* Attach any device; the runner takes ownership. Returns the ifindex. */
int tern_rt_add_dev(struct tern_rt *rt, struct tern_netdev *dev);
/* "10.1.0.0/16" via "10.0.0.1" (gateway may be NULL for on-link). */
int tern_rt_add_route(struct tern_rt *rt, const char *prefix, const char *gateway);

/* Wait for input or the next deadline, at most max_wait, and process
 * everything due. Returns 0, or a negative tern_err on a fatal device
 * error. A signal interrupting the wait is not an error. */
int tern_rt_run_once(struct tern_rt *rt, tern_time_t max_wait);
/* Loop until done(ctx) (checked after each round) or timeout elapsed
 * (TERN_TIME_NEVER: no limit). Returns true if done() said so. */
bool tern_rt_run_while(struct tern_rt *rt, bool (*done)(void *ctx), void *ctx,
		       tern_time_t timeout);
/* Whether anything is still on its way out: held by the stack (waiting for
 * ARP, tern_stack_tx_pending) or by a device (a fault injector's delay
 * line, a rate-limited queue). A program about to exit runs the loop until
 * this is false (bounded by ARP's give-up time): the kernel would send
 * those frames after the program exited, but here the stack goes with it. */
bool tern_rt_tx_pending(const struct tern_rt *rt);

/* ---- the program's own file descriptors ---------------------------------- */

/* A program on a tern host often has other inputs than the network: a
 * terminal, a control socket. Registering them here puts them in the same
 * wait as the devices, so one thread serves everything:
 *
 *   tern_rt_add_fd(rt, STDIN_FILENO, POLLIN, on_stdin, &app);
 *
 * fn runs from tern_rt_run_once, after received frames were handled and
 * the stack was polled at the current time (so it may send at once), with
 * poll(2)'s revents for fd (POLLERR, POLLHUP and POLLNVAL may come without
 * being asked for: remove the fd then, or it will be reported again). It
 * may add and remove fds, its own included. */
#define TERN_RT_MAX_FDS 32
typedef void (*tern_rt_fd_fn)(void *ctx, struct tern_rt *rt, int fd, short revents);
/* events: POLLIN / POLLOUT as for poll(2). TERN_EEXIST if fd is already
 * registered, TERN_ENOSPC beyond TERN_RT_MAX_FDS, TERN_EINVAL for fd < 0
 * or fn NULL. The runner never closes the fd. */
int tern_rt_add_fd(struct tern_rt *rt, int fd, short events, tern_rt_fd_fn fn, void *ctx);
/* Change what fd waits for (0: nothing for now, it stays registered). */
int tern_rt_set_fd_events(struct tern_rt *rt, int fd, short events);
/* TERN_ENOENT if fd is not registered. */
int tern_rt_del_fd(struct tern_rt *rt, int fd);

/* ---- blocking conveniences (tern/socket.h on the real clock) ---------------- */

/* The sockets API never blocks; these drive the runner until the call can
 * complete, for programs that are happy to wait (examples/udp_echo.c).
 * Each waits at most `timeout` (TERN_TIME_NEVER: forever) and at most the
 * socket's SO_RCVTIMEO (recv, accept) or SO_SNDTIMEO (send, connect), as
 * Linux's blocking calls; TERN_MSG_DONTWAIT in flags: no wait at all. A
 * signal interrupting the wait gives -EINTR (as without SA_RESTART), a
 * failed device its negative tern_err; data already moved is returned
 * instead of either. */
struct tern_sockaddr_in;

/* tern_recvfrom, waiting for a datagram, stream data, the end of the
 * stream or a pending error. Returns what tern_recvfrom returns;
 * TERN_EAGAIN once a timeout passed. */
int tern_rt_recvfrom(struct tern_rt *rt, int sd, void *buf, size_t len, int flags,
		     struct tern_sockaddr_in *from, tern_time_t timeout);
/* recv(2) on a blocking socket: as tern_rt_recvfrom, and with
 * TERN_MSG_WAITALL on a stream it waits for all len bytes: it returns len,
 * or less at the end of the stream, an error, a signal or a timeout (the
 * error, or TERN_EAGAIN, if nothing came); with TERN_MSG_PEEK too, it
 * waits until len bytes can be peeked (or the stream ended). */
int tern_rt_recv(struct tern_rt *rt, int sd, void *buf, size_t len, int flags,
		 tern_time_t timeout);
/* send(2) on a blocking socket: a stream waits for room until all of buf
 * is queued and returns len, or what was queued before an error or a
 * timeout (the error, or TERN_EAGAIN, if nothing was); a datagram socket
 * sends once (it never waits). */
int tern_rt_send(struct tern_rt *rt, int sd, const void *buf, size_t len, int flags,
		 tern_time_t timeout);
/* TCP, waiting as the blocking calls do: tern_rt_connect returns 0 once
 * connected, else the error the connection ended with (TERN_ECONNREFUSED,
 * TERN_ETIMEDOUT, ...); TERN_ETIMEDOUT when `timeout` passed, TERN_EINPROGRESS
 * when SO_SNDTIMEO did (the handshake goes on, as Linux's). tern_rt_accept
 * returns the new descriptor (TERN_EAGAIN after a timeout);
 * tern_rt_send_all is tern_rt_send without flags. Read with tern_rt_recv
 * (0: end of stream). */
int tern_rt_connect(struct tern_rt *rt, int sd, const struct tern_sockaddr_in *to,
		    tern_time_t timeout);
int tern_rt_accept(struct tern_rt *rt, int sd, struct tern_sockaddr_in *peer, tern_time_t timeout);
int tern_rt_send_all(struct tern_rt *rt, int sd, const void *buf, size_t len, tern_time_t timeout);

/* tern_sendto at the real current time: the stack is polled first, so the
 * datagram (and its capture) is stamped now rather than at the last round.
 * Never waits: a datagram for an unresolved neighbour waits in ARP's queue. */
int tern_rt_sendto(struct tern_rt *rt, int sd, const void *buf, size_t len, int flags,
		   const struct tern_sockaddr_in *to);

#endif
