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
 *   tern_rt_add_tap(rt, "tap0", "10.0.0.2/24", 0, NULL);
 *   tern_rt_add_route(rt, "0.0.0.0/0", "10.0.0.1");
 *   while (!stop) tern_rt_run_once(rt, TERN_SEC(1));
 */
#ifndef TERN_RT_H
#define TERN_RT_H

#include "tern/netdev.h"
#include "tern/stack.h"

struct tern_rt;

/* cfg may be NULL for defaults (seed from the clock then). */
struct tern_rt *tern_rt_create(const struct tern_stack_config *cfg);
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

#endif
