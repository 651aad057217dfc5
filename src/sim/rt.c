/*
 * sim/rt.c — the real-time runner (tern/rt.h): one tern host on real
 * TAP devices, driven by CLOCK_MONOTONIC.
 *
 * It is the real-world counterpart of the simulator and sits in the same
 * place, above the stack and its devices: the stack stays sans-I/O and
 * this file owns the clock and the waiting. Each round computes the
 * earliest deadline (the stack's poll_at, every device's poll_at, the
 * caller's max_wait), sleeps in ppoll() on every device fd until then or
 * until a frame arrives, hands readable devices their frames, and polls
 * devices and stack with the current time. The program's own fds (stdin,
 * a control socket) wait in the same ppoll() and are handed to their
 * callbacks last, once the stack has caught up with the clock.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/rng.h"
#include "tern/err.h"
#include "tern/rt.h"
#include "tern/socket.h"

/* A program fd in the wait. `id` tells a registration apart from a later
 * one of the same fd, so a callback that removed (or replaced) another
 * entry during a round does not get that entry's old revents. */
struct rt_fd {
	int fd;
	short events;
	tern_rt_fd_fn fn;
	void *ctx;
	uint64_t id;
};

struct tern_rt {
	struct tern_stack *stack;
	/* Devices the runner owns (outermost wrapper of each interface),
	 * in attach order. */
	struct tern_netdev *devs[TERN_MAX_IFACES];
	unsigned ndevs;
	struct rt_fd fds[TERN_RT_MAX_FDS];
	unsigned nfds;
	uint64_t next_fd_id;
};

static tern_time_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (tern_time_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

tern_time_t tern_rt_now(const struct tern_rt *rt)
{
	(void)rt;
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t tern_rt_fresh_seed(void)
{
	uint64_t pid = (uint64_t)getpid() << 32;
	return tern_mix64((uint64_t)clock_ns(CLOCK_REALTIME) ^
			  tern_mix64((uint64_t)clock_ns(CLOCK_MONOTONIC) ^ pid));
}

struct tern_rt *tern_rt_create(const struct tern_stack_config *cfg)
{
	struct tern_stack_config c;
	struct tern_rt *rt = calloc(1, sizeof(*rt));

	if (!rt)
		return NULL;
	if (cfg) {
		c = *cfg;
	} else {
		tern_stack_config_init(&c);
		/* A real host: no reproducibility wanted, just a fresh seed. */
		c.seed = tern_rt_fresh_seed();
	}
	rt->stack = tern_stack_create(&c);
	if (!rt->stack) {
		free(rt);
		return NULL;
	}
	return rt;
}

/* The stack goes first: it refers to the devices but does not own them. */
void tern_rt_destroy(struct tern_rt *rt)
{
	if (!rt)
		return;
	tern_stack_destroy(rt->stack);
	for (unsigned i = 0; i < rt->ndevs; i++)
		tern_netdev_destroy(rt->devs[i]);
	free(rt);
}

struct tern_stack *tern_rt_stack(struct tern_rt *rt)
{
	return rt->stack;
}

/* The stack's clock moves only when it is polled or fed a frame: bring
 * it to now before configuring an interface, so that what configuration
 * sends (address announcements) and the timers it arms are stamped with
 * the real time rather than the stack's last poll. */
int tern_rt_add_dev(struct tern_rt *rt, struct tern_netdev *dev)
{
	if (!dev)
		return TERN_EINVAL;
	if (rt->ndevs >= TERN_MAX_IFACES)
		return TERN_ENOSPC;
	tern_stack_poll(rt->stack, tern_rt_now(rt));
	int ifindex = tern_stack_attach(rt->stack, dev);
	if (ifindex < 0)
		return ifindex;
	rt->devs[rt->ndevs++] = dev;
	return ifindex;
}

/* A stable, locally administered unicast MAC from the interface name
 * (FNV-1a), so the same TAP name gets the same MAC on every run and
 * neighbours' ARP caches stay valid across restarts. */
static struct tern_mac mac_from_name(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	struct tern_mac m;
	for (int i = 0; i < 6; i++)
		m.b[i] = (uint8_t)(h >> (8 * i));
	m.b[0] = (uint8_t)((m.b[0] & 0xfc) | 0x02);
	return m;
}

static tern_time_t pcap_clock(void *ctx)
{
	(void)ctx;
	return clock_ns(CLOCK_MONOTONIC);
}

/* Wrap the TAP device as asked: fault injector, then pcap outermost so
 * the capture shows what the stack sent and what it finally received.
 * Pcap timestamps are shifted from the monotonic clock to wall-clock
 * time. On failure, everything (the TAP included) is freed. */
static struct tern_netdev *wrap_tap(struct tern_netdev *dev, const struct tern_rt_tap_opts *o,
				    int *err)
{
	if (o->fault) {
		struct tern_netdev *f = tern_fault_wrap(dev, o->fault);
		if (!f) {
			tern_netdev_destroy(dev);
			*err = TERN_ENOMEM;
			return NULL;
		}
		dev = f;
	}
	if (o->pcap_path) {
		tern_time_t offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
		struct tern_netdev *pc = tern_pcap_wrap(dev, o->pcap_path, offset, err);
		if (!pc) {
			tern_netdev_destroy(dev);
			return NULL;
		}
		/* A sent frame is stamped when the stack hands it over, not at
		 * the `now` of what made it (a reply would share its request's
		 * time); received ones carry the TAP's per-frame time. */
		tern_pcap_set_clock(pc, pcap_clock, NULL);
		dev = pc;
	}
	return dev;
}

int tern_rt_add_tap(struct tern_rt *rt, const char *ifname, const char *addr_prefix,
		    const struct tern_rt_tap_opts *opts)
{
	static const struct tern_rt_tap_opts defaults;
	const struct tern_rt_tap_opts *o = opts ? opts : &defaults;
	tern_ip4_t addr = 0;
	unsigned plen = 0;
	int err = 0;

	if (!ifname || (addr_prefix && tern_ip4_parse_prefix(addr_prefix, &addr, &plen) < 0))
		return TERN_EINVAL;
	if (rt->ndevs >= TERN_MAX_IFACES)
		return TERN_ENOSPC;
	uint32_t mtu = o->mtu ? o->mtu : 1500;
	struct tern_mac mac = o->mac ? *o->mac : mac_from_name(ifname);
	struct tern_netdev *dev = tern_tap_open(ifname, &mac, mtu, &err);
	if (!dev)
		return err < 0 ? err : TERN_ENODEV;
	dev = wrap_tap(dev, o, &err);
	if (!dev)
		return err < 0 ? err : TERN_ENOMEM;

	int ifindex = tern_rt_add_dev(rt, dev);
	if (ifindex < 0) {
		tern_netdev_destroy(dev);
		return ifindex;
	}
	/* From here the runner owns the device whatever else fails. */
	err = tern_stack_iface_set_mtu(rt->stack, ifindex, mtu);
	if (err == 0 && addr_prefix)
		err = tern_stack_addr_add(rt->stack, ifindex, addr, plen, o->addr_flags);
	return err < 0 ? err : ifindex;
}

int tern_rt_add_route(struct tern_rt *rt, const char *prefix, const char *gateway)
{
	tern_ip4_t dst, gw = 0;
	unsigned plen;

	if (!prefix || tern_ip4_parse_prefix(prefix, &dst, &plen) < 0)
		return TERN_EINVAL;
	if (gateway && tern_ip4_parse(gateway, &gw) < 0)
		return TERN_EINVAL;
	return tern_route_add(rt->stack, dst & tern_ip4_mask(plen), plen, gw, 0, 0);
}

/* ---- the loop ------------------------------------------------------------ */

/* now + timeout, saturating at TERN_TIME_NEVER. */
static tern_time_t deadline_after(tern_time_t now, tern_time_t timeout)
{
	if (timeout == TERN_TIME_NEVER || timeout >= TERN_TIME_NEVER - now)
		return TERN_TIME_NEVER;
	return now + (timeout > 0 ? timeout : 0);
}

/* The earliest of now + max_wait and every deadline the stack and the
 * devices report. */
static tern_time_t next_deadline(const struct tern_rt *rt, tern_time_t now, tern_time_t max_wait)
{
	tern_time_t t = deadline_after(now, max_wait);
	tern_time_t s = tern_stack_poll_at(rt->stack);
	if (s < t)
		t = s;
	for (unsigned i = 0; i < rt->ndevs; i++) {
		tern_time_t d = tern_netdev_poll_at(rt->devs[i]);
		if (d < t)
			t = d;
	}
	return t;
}

/* Wait until `deadline` or until some fd is ready. Returns the number of
 * ready fds (0 on timeout) or a negative errno (-EINTR for a signal). */
static int wait_fds(struct pollfd *pfd, unsigned n, tern_time_t now, tern_time_t deadline)
{
	struct timespec ts, *tsp = NULL;

	if (deadline != TERN_TIME_NEVER) {
		tern_time_t d = deadline > now ? deadline - now : 0;
		ts.tv_sec = (time_t)(d / 1000000000);
		ts.tv_nsec = (long)(d % 1000000000);
		tsp = &ts;
	}
	int r = ppoll(pfd, n, tsp, NULL);
	return r < 0 ? -errno : r;
}

/* ---- the program's fds ------------------------------------------------------ */

static struct rt_fd *find_fd(struct tern_rt *rt, int fd)
{
	for (unsigned i = 0; i < rt->nfds; i++)
		if (rt->fds[i].fd == fd)
			return &rt->fds[i];
	return NULL;
}

int tern_rt_add_fd(struct tern_rt *rt, int fd, short events, tern_rt_fd_fn fn, void *ctx)
{
	if (fd < 0 || !fn)
		return TERN_EINVAL;
	if (find_fd(rt, fd))
		return TERN_EEXIST;
	if (rt->nfds >= TERN_RT_MAX_FDS)
		return TERN_ENOSPC;
	rt->fds[rt->nfds++] = (struct rt_fd){fd, events, fn, ctx, ++rt->next_fd_id};
	return 0;
}

int tern_rt_set_fd_events(struct tern_rt *rt, int fd, short events)
{
	struct rt_fd *f = find_fd(rt, fd);
	if (!f)
		return TERN_ENOENT;
	f->events = events;
	return 0;
}

int tern_rt_del_fd(struct tern_rt *rt, int fd)
{
	struct rt_fd *f = find_fd(rt, fd);
	if (!f)
		return TERN_ENOENT;
	*f = rt->fds[--rt->nfds]; /* order carries no meaning */
	return 0;
}

/* ---- one round -------------------------------------------------------------- */

/* A program fd that was ready this round, remembered before any callback
 * runs (callbacks may change the table). */
struct ready_fd {
	uint64_t id;
	int fd;
	short revents;
};

/* Hand each ready program fd to its callback, if it is still registered
 * as it was when the round began. */
static void run_fd_callbacks(struct tern_rt *rt, const struct ready_fd *ready, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct rt_fd *f = find_fd(rt, ready[k].fd);
		if (f && f->id == ready[k].id)
			f->fn(f->ctx, rt, f->fd, ready[k].revents);
	}
}

/* One round of the loop; *interrupted tells whether a signal cut the
 * wait short. */
static int run_round(struct tern_rt *rt, tern_time_t max_wait, bool *interrupted)
{
	struct pollfd pfd[TERN_MAX_IFACES + TERN_RT_MAX_FDS];
	unsigned owner[TERN_MAX_IFACES];
	uint64_t fd_id[TERN_RT_MAX_FDS];
	struct ready_fd ready[TERN_RT_MAX_FDS];
	unsigned n = 0, nready = 0;
	tern_time_t now = tern_rt_now(rt);

	*interrupted = false;
	for (unsigned i = 0; i < rt->ndevs; i++) {
		int fd = tern_netdev_fd(rt->devs[i]);
		if (fd < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
		owner[n++] = i;
	}
	unsigned ndev_fds = n;
	for (unsigned i = 0; i < rt->nfds; i++) {
		pfd[n++] = (struct pollfd){.fd = rt->fds[i].fd, .events = rt->fds[i].events};
		fd_id[i] = rt->fds[i].id;
	}
	int r = wait_fds(pfd, n, now, next_deadline(rt, now, max_wait));
	if (r < 0) {
		if (r != -EINTR)
			return r;
		*interrupted = true;
		r = 0;
	}

	now = tern_rt_now(rt);
	bool read_any = false;
	for (unsigned k = 0; r > 0 && k < ndev_fds; k++) {
		if (pfd[k].revents & (POLLERR | POLLNVAL))
			return TERN_EIO;
		if (pfd[k].revents & POLLIN) {
			tern_netdev_read_ready(rt->devs[owner[k]], now);
			read_any = true;
		}
	}
	/* A TAP stamps each frame with the clock as it reads it (dev/tap.c),
	 * so the stack may now be ahead of `now`: what follows (timers,
	 * frames a delay line releases, the capture) must not go back. */
	if (read_any)
		now = tern_rt_now(rt);
	for (unsigned k = ndev_fds; r > 0 && k < n; k++) {
		if (pfd[k].revents)
			ready[nready++] = (struct ready_fd){fd_id[k - ndev_fds], pfd[k].fd,
							    pfd[k].revents};
	}
	for (unsigned i = 0; i < rt->ndevs; i++)
		tern_netdev_poll(rt->devs[i], now);
	tern_stack_poll(rt->stack, now);
	run_fd_callbacks(rt, ready, nready);
	return 0;
}

int tern_rt_run_once(struct tern_rt *rt, tern_time_t max_wait)
{
	bool interrupted;
	return run_round(rt, max_wait, &interrupted);
}

bool tern_rt_run_while(struct tern_rt *rt, bool (*done)(void *ctx), void *ctx,
		       tern_time_t timeout)
{
	tern_time_t end = deadline_after(tern_rt_now(rt), timeout);

	while (!done(ctx)) {
		tern_time_t now = tern_rt_now(rt);
		if (now >= end)
			return false;
		if (tern_rt_run_once(rt, end == TERN_TIME_NEVER ? TERN_SEC(1) : end - now) < 0)
			return false;
	}
	return true;
}

bool tern_rt_tx_pending(const struct tern_rt *rt)
{
	if (tern_stack_tx_pending(rt->stack) > 0)
		return true;
	for (unsigned i = 0; i < rt->ndevs; i++)
		if (tern_netdev_poll_at(rt->devs[i]) != TERN_TIME_NEVER)
			return true;
	return false;
}

/* ---- blocking conveniences -------------------------------------------------- */

/* Run rounds until `end` (0: go on) or an interruption. Returns 0 to try
 * again, TERN_EAGAIN past the deadline, -EINTR, or a device error. */
static int wait_round(struct tern_rt *rt, tern_time_t end)
{
	tern_time_t now = tern_rt_now(rt);
	if (now >= end)
		return TERN_EAGAIN;
	bool interrupted;
	int r = run_round(rt, end == TERN_TIME_NEVER ? TERN_TIME_NEVER : end - now, &interrupted);
	if (r < 0)
		return r;
	return interrupted ? -EINTR : 0;
}

/* The earlier of the helper's own deadline and the socket's
 * SO_RCVTIMEO (rcv) or SO_SNDTIMEO; *by_opt tells which one it is. */
static tern_time_t sock_deadline(struct tern_rt *rt, int sd, bool rcv, tern_time_t timeout,
				 bool *by_opt)
{
	tern_time_t now = tern_rt_now(rt), r = TERN_TIME_NEVER, w = TERN_TIME_NEVER;
	tern_time_t end = deadline_after(now, timeout);
	tern_socket_timeouts(rt->stack, sd, &r, &w);
	tern_time_t opt = deadline_after(now, rcv ? r : w);
	if (by_opt)
		*by_opt = opt < end;
	return opt < end ? opt : end;
}

static bool is_stream(struct tern_rt *rt, int sd)
{
	int type = 0;
	size_t len = sizeof(type);
	return tern_getsockopt(rt->stack, sd, TERN_SOL_SOCKET, TERN_SO_TYPE, &type, &len) == 0 &&
	       type == TERN_SOCK_STREAM;
}

int tern_rt_recvfrom(struct tern_rt *rt, int sd, void *buf, size_t len, int flags,
		     struct tern_sockaddr_in *from, tern_time_t timeout)
{
	tern_time_t end = sock_deadline(rt, sd, true, timeout, NULL);
	for (;;) {
		int r = tern_recvfrom(rt->stack, sd, buf, len, flags, from);
		if (r != TERN_EAGAIN || (flags & TERN_MSG_DONTWAIT) || (r = wait_round(rt, end)) != 0)
			return r;
	}
}

/* MSG_WAITALL | MSG_PEEK: wait until len bytes are there to peek, or no
 * more will come (the read side is shut: RDHUP). */
static int recv_peek_all(struct tern_rt *rt, int sd, void *buf, size_t len, int flags,
			 tern_time_t end)
{
	for (;;) {
		int r = tern_recv(rt->stack, sd, buf, len, flags);
		if (r == (int)len || (r < 0 && r != TERN_EAGAIN))
			return r;
		struct tern_pollfd p = {sd, TERN_POLLRDHUP, 0};
		tern_poll(rt->stack, &p, 1);
		if (p.revents & (TERN_POLLRDHUP | TERN_POLLERR | TERN_POLLHUP))
			return r;
		int w = wait_round(rt, end);
		if (w != 0)
			return r > 0 ? r : w;
	}
}

int tern_rt_recv(struct tern_rt *rt, int sd, void *buf, size_t len, int flags,
		 tern_time_t timeout)
{
	if (!(flags & TERN_MSG_WAITALL) || (flags & TERN_MSG_DONTWAIT) || !is_stream(rt, sd))
		return tern_rt_recvfrom(rt, sd, buf, len, flags & ~TERN_MSG_WAITALL, NULL, timeout);
	tern_time_t end = sock_deadline(rt, sd, true, timeout, NULL);
	flags &= ~TERN_MSG_WAITALL;
	if (flags & TERN_MSG_PEEK)
		return recv_peek_all(rt, sd, buf, len, flags, end);
	size_t got = 0;
	while (got < len) {
		int r = tern_recv(rt->stack, sd, (uint8_t *)buf + got, len - got, flags);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0) /* the end of the stream */
			break;
		if (r != TERN_EAGAIN || (r = wait_round(rt, end)) != 0)
			return got ? (int)got : r;
	}
	return (int)got;
}

int tern_rt_connect(struct tern_rt *rt, int sd, const struct tern_sockaddr_in *to,
		    tern_time_t timeout)
{
	bool by_opt;
	tern_time_t end = sock_deadline(rt, sd, false, timeout, &by_opt);
	tern_stack_poll(rt->stack, tern_rt_now(rt));
	int r = tern_connect(rt->stack, sd, to);
	if (r != TERN_EINPROGRESS)
		return r;
	for (;;) {
		struct tern_pollfd p = {sd, TERN_POLLOUT, 0};
		tern_poll(rt->stack, &p, 1);
		if (p.revents & (TERN_POLLOUT | TERN_POLLERR | TERN_POLLHUP)) {
			int err = 0;
			size_t len = sizeof(err);
			tern_getsockopt(rt->stack, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &err, &len);
			return err;
		}
		/* socket(7): SO_SNDTIMEO ends a blocking connect with
		 * EINPROGRESS; the helper's own limit with ETIMEDOUT. */
		if ((r = wait_round(rt, end)) != 0)
			return r == TERN_EAGAIN ? (by_opt ? TERN_EINPROGRESS : TERN_ETIMEDOUT) : r;
	}
}

int tern_rt_accept(struct tern_rt *rt, int sd, struct tern_sockaddr_in *peer, tern_time_t timeout)
{
	tern_time_t end = sock_deadline(rt, sd, true, timeout, NULL);
	for (;;) {
		int r = tern_accept(rt->stack, sd, peer);
		if (r != TERN_EAGAIN || (r = wait_round(rt, end)) != 0)
			return r;
	}
}

int tern_rt_send(struct tern_rt *rt, int sd, const void *buf, size_t len, int flags,
		 tern_time_t timeout)
{
	if ((flags & TERN_MSG_DONTWAIT) || !is_stream(rt, sd)) {
		tern_stack_poll(rt->stack, tern_rt_now(rt));
		return tern_send(rt->stack, sd, buf, len, flags);
	}
	tern_time_t end = sock_deadline(rt, sd, false, timeout, NULL);
	size_t done = 0;
	do {
		tern_stack_poll(rt->stack, tern_rt_now(rt));
		int r = tern_send(rt->stack, sd, (const uint8_t *)buf + done, len - done, flags);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r == 0 && len == 0)
			return 0;
		if (r != TERN_EAGAIN)
			return done ? (int)done : r;
		if ((r = wait_round(rt, end)) != 0)
			return done ? (int)done : r;
	} while (done < len);
	return (int)done;
}

int tern_rt_send_all(struct tern_rt *rt, int sd, const void *buf, size_t len, tern_time_t timeout)
{
	return tern_rt_send(rt, sd, buf, len, 0, timeout);
}

int tern_rt_sendto(struct tern_rt *rt, int sd, const void *buf, size_t len, int flags,
		   const struct tern_sockaddr_in *to)
{
	tern_stack_poll(rt->stack, tern_rt_now(rt));
	return tern_sendto(rt->stack, sd, buf, len, flags, to);
}
