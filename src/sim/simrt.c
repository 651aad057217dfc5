/*
 * sim/simrt.c — the simulator paced to the wall clock, and TAP bridges
 * (tern/simrt.h).
 *
 * It sits beside the simulator (sim/sim.c), which stays clock-free: this
 * file is its pacer. Virtual time v maps to the monotonic clock as
 * offset + v, the offset fixed when the first instant is about to run (so
 * building the lab, opening TAPs included, costs no virtual time). Before
 * each instant the pacer sleeps in ppoll() on every live TAP until the
 * instant's wall time; a readable TAP ends the sleep early and its frames
 * enter the lab at the virtual time they were read. An instant whose wall
 * time has passed runs at once (lagging), and ppoll() is still called with
 * no timeout so that TAP input is never starved by a busy lab.
 *
 * A bridge is a switch port whose link's far end (tern_sim_switch_port)
 * is glued to a TAP device: what the link delivers there is written to the
 * kernel, what the kernel sends is transmitted into the link at the
 * simulation's now. Frames carry the virtual time throughout, so the
 * link's capture reads as every other capture of the lab.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tern/err.h"
#include "tern/simrt.h"

/* A lag above this counts the instant as late (tern_simrt_stats.late). */
#define SIMRT_LATE TERN_MSEC(1)

struct simrt_bridge {
	struct tern_simrt *rt;
	struct tern_netdev *tap;   /* ours: closed by tern_simrt_destroy */
	struct tern_netdev *port;  /* the link's far end: the simulation's */
	struct tern_simrt_bridge_stats st;
};

struct tern_simrt {
	struct tern_sim *sim;
	struct simrt_bridge **br;
	struct pollfd *pfd;        /* one per bridge, made with it */
	unsigned nbr;
	bool started;
	tern_time_t offset;        /* monotonic = offset + virtual */
	tern_time_t now;           /* the virtual time input is delivered at */
	struct tern_simrt_stats st;
};

static tern_time_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (tern_time_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Frames the lab sends out through the bridge: to the kernel. */
static void from_lab(void *ctx, struct tern_netdev *dev, const uint8_t *frame, size_t len,
		     tern_time_t now)
{
	struct simrt_bridge *b = ctx;
	(void)dev;
	if (b->st.dead || tern_netdev_transmit(b->tap, frame, len, now) < 0) {
		b->st.tap_errors++;
		return;
	}
	b->st.to_tap++;
	b->st.to_tap_bytes += len;
}

/* Frames the kernel sent on the TAP: into the lab, at the virtual time
 * the pacer delivers at (the TAP stamps them with the monotonic clock,
 * which is not the lab's). */
static void from_tap(void *ctx, struct tern_netdev *dev, const uint8_t *frame, size_t len,
		     tern_time_t now)
{
	struct simrt_bridge *b = ctx;
	(void)dev;
	(void)now;
	b->st.from_tap++;
	b->st.from_tap_bytes += len;
	tern_netdev_transmit(b->port, frame, len, b->rt->now);
}

/* ---- the pacer ----------------------------------------------------------------- */

static tern_time_t lag_of(struct tern_simrt *rt, tern_time_t vnow, tern_time_t until)
{
	if (until == TERN_TIME_NEVER || vnow <= until)
		return 0;
	tern_time_t lag = vnow - until;
	if (lag > rt->st.max_lag)
		rt->st.max_lag = lag;
	if (lag > SIMRT_LATE)
		rt->st.late++;
	return lag;
}

static tern_time_t rt_wait(void *ctx, tern_time_t now, tern_time_t until, bool *input)
{
	struct tern_simrt *rt = ctx;
	tern_time_t mono = mono_ns();
	if (!rt->started) {
		rt->started = true;
		rt->offset = mono - now;
	}
	bool lagged = false;
	for (;;) {
		tern_time_t vnow = mono - rt->offset;
		struct timespec ts, *tsp = NULL;
		if (until != TERN_TIME_NEVER) {
			tern_time_t left = until > vnow ? until - vnow : 0;
			if (!left && !lagged) {
				lag_of(rt, vnow, until);
				lagged = true;
			}
			ts.tv_sec = (time_t)(left / TERN_SEC(1));
			ts.tv_nsec = (long)(left % TERN_SEC(1));
			tsp = &ts;
		}
		for (unsigned i = 0; i < rt->nbr; i++) {
			rt->pfd[i].fd = rt->br[i]->st.dead ? -1 : tern_netdev_fd(rt->br[i]->tap);
			rt->pfd[i].events = POLLIN;
			rt->pfd[i].revents = 0;
		}
		if (tsp && (tsp->tv_sec || tsp->tv_nsec))
			rt->st.waits++;
		int n = ppoll(rt->pfd, rt->nbr, tsp, NULL);
		mono = mono_ns();
		if (n < 0 && errno != EINTR)
			return until; /* cannot wait: run as fast as we can */
		if (n > 0) {
			rt->st.inputs++;
			*input = true;
			tern_time_t v = mono - rt->offset;
			v = v < until ? v : until;
			return v > now ? v : now;
		}
		if (n == 0 && until != TERN_TIME_NEVER && mono - rt->offset >= until)
			return until;
		/* interrupted, or woken a little early: wait for the rest */
	}
}

static void rt_input(void *ctx, tern_time_t now)
{
	struct tern_simrt *rt = ctx;
	rt->now = now;
	for (unsigned i = 0; i < rt->nbr; i++) {
		struct simrt_bridge *b = rt->br[i];
		short re = rt->pfd[i].revents;
		rt->pfd[i].revents = 0;
		if (b->st.dead || !re)
			continue;
		if (re & POLLIN)
			tern_netdev_read_ready(b->tap, now);
		/* the interface went away: stop reading it rather than spin */
		if (re & (POLLERR | POLLHUP | POLLNVAL))
			b->st.dead = true;
	}
}

struct tern_simrt *tern_simrt_create(struct tern_sim *sim)
{
	struct tern_simrt *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	rt->sim = sim;
	struct tern_sim_pacer p = {.wait = rt_wait, .input = rt_input, .ctx = rt};
	tern_sim_set_pacer(sim, &p);
	return rt;
}

void tern_simrt_destroy(struct tern_simrt *rt)
{
	if (!rt)
		return;
	tern_sim_set_pacer(rt->sim, NULL);
	for (unsigned i = 0; i < rt->nbr; i++) {
		/* the port stays the simulation's; it must not call into us */
		tern_netdev_set_rx(rt->br[i]->port, NULL, NULL);
		tern_netdev_destroy(rt->br[i]->tap);
		free(rt->br[i]);
	}
	free(rt->br);
	free(rt->pfd);
	free(rt);
}

int tern_simrt_bridge_tap(struct tern_simrt *rt, struct tern_switch *sw, const char *ifname,
			  const char *capture_name, const struct tern_sim_link_opts *opts)
{
	int err = TERN_ENOMEM;
	if (!ifname || !*ifname || strlen(ifname) >= TERN_NETDEV_NAMELEN)
		return TERN_EINVAL;
	struct simrt_bridge **nb = realloc(rt->br, (rt->nbr + 1) * sizeof(*nb));
	if (!nb)
		return TERN_ENOMEM;
	rt->br = nb;
	struct pollfd *np = realloc(rt->pfd, (rt->nbr + 1) * sizeof(*np));
	if (!np)
		return TERN_ENOMEM;
	rt->pfd = np;
	struct simrt_bridge *b = calloc(1, sizeof(*b));
	if (!b)
		return TERN_ENOMEM;
	b->rt = rt;
	/* The kernel side has its own MAC; this one is only the device's. */
	struct tern_mac mac = {{0x02, 0x02, 0xff, 0xff, 0x00, (uint8_t)rt->nbr}};
	uint32_t mtu = opts && opts->mtu ? opts->mtu : 1500;
	b->tap = tern_tap_open(ifname, &mac, mtu, &err);
	if (!b->tap) {
		free(b);
		return err < 0 ? err : TERN_ENODEV;
	}
	b->port = tern_sim_switch_port(rt->sim, sw, ifname, capture_name, opts, &err);
	if (!b->port) {
		tern_netdev_destroy(b->tap);
		free(b);
		return err < 0 ? err : TERN_ENOMEM;
	}
	tern_netdev_set_rx(b->port, from_lab, b);
	tern_netdev_set_rx(b->tap, from_tap, b);
	rt->pfd[rt->nbr] = (struct pollfd){.fd = -1};
	rt->br[rt->nbr] = b;
	return (int)rt->nbr++;
}

void tern_simrt_get_stats(const struct tern_simrt *rt, struct tern_simrt_stats *out)
{
	*out = rt->st;
}

int tern_simrt_bridge_get_stats(const struct tern_simrt *rt, unsigned bridge,
				struct tern_simrt_bridge_stats *out)
{
	if (bridge >= rt->nbr)
		return TERN_EINVAL;
	*out = rt->br[bridge]->st;
	return 0;
}
