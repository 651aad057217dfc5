/*
 * tern/simrt.h — a simulation paced to the wall clock, and lab networks
 * bridged to real TAP devices.
 *
 * The simulator (tern/sim.h) never reads a clock: it jumps from one event
 * to the next. A pacer is the one hook that lets something outside decide
 * when the next instant may run; with none installed (the default) nothing
 * waits and runs stay byte-identical.
 *
 * tern_simrt is the pacer for real time: virtual time advances with
 * CLOCK_MONOTONIC (virtual 0 is the moment the first event is about to
 * run). An event waits until its wall time, in ppoll() on every bridged
 * TAP's fd, as the one-host runner (tern/rt.h) waits; a frame read from a
 * TAP enters the lab at the virtual time it was read. A simulation that
 * falls behind the clock runs its events as fast as it can, without
 * skipping any, until it has caught up (ns-3's "best effort"), and the
 * largest lag is reported. Only a paced simulation may be bridged: a real
 * peer's clock cannot be paused.
 *
 *   struct tern_simrt *rt = tern_simrt_create(sim);
 *   tern_simrt_bridge_tap(rt, sw, "tern-lab0", "lan", &opts, &err);
 *   tern_sim_run_for(sim, TERN_SEC(30));   // takes 30 s of wall time
 *   tern_simrt_destroy(rt);                // before tern_sim_destroy
 */
#ifndef TERN_SIMRT_H
#define TERN_SIMRT_H

#include "tern/netdev.h"
#include "tern/sim.h"

/* ---- the hook in the simulator's loop ---- */

/* Before each instant, tern_sim_run_* call wait(ctx, now, until, &input):
 * block until virtual time `until` (TERN_TIME_NEVER: no deadline) has come
 * by the pacer's clock, or until input is ready. Return the virtual time
 * reached (at most until) and set *input when there is input; the
 * simulator then moves to that time (never backwards), calls input(ctx,
 * now), in which the pacer delivers what arrived, and runs the instant. */
struct tern_sim_pacer {
	tern_time_t (*wait)(void *ctx, tern_time_t now, tern_time_t until, bool *input);
	void (*input)(void *ctx, tern_time_t now);
	void *ctx;
};
/* Install (NULL: remove) the pacer; the struct is copied. */
void tern_sim_set_pacer(struct tern_sim *sim, const struct tern_sim_pacer *p);

/* ---- real time ---- */

struct tern_simrt;

/* Pace sim to CLOCK_MONOTONIC from now on. NULL if out of memory. */
struct tern_simrt *tern_simrt_create(struct tern_sim *sim);
/* Remove the pacer and close the TAP devices. Call before
 * tern_sim_destroy (the bridged links stay the simulation's). */
void tern_simrt_destroy(struct tern_simrt *rt);

/* Bridge switch sw to the Linux TAP device ifname (created, or attached
 * to if it exists, and brought up; in the caller's network namespace):
 * a new switch port, a link with opts (its delay and rate apply on the
 * way to the TAP as on any interface's link), whose far end reads and
 * writes the TAP. Every frame the switch sends that way is written to the
 * kernel; every frame the kernel sends on the TAP enters the switch. The
 * link is captured as capture_name-IFNAME.pcap if the simulation captures.
 * Returns the bridge's number (0, 1 ...) or a negative tern_err (ifname
 * too long, no /dev/net/tun, no permission ...). */
int tern_simrt_bridge_tap(struct tern_simrt *rt, struct tern_switch *sw, const char *ifname,
			  const char *capture_name, const struct tern_sim_link_opts *opts);

struct tern_simrt_stats {
	tern_time_t max_lag;     /* the most an instant ran after its wall time */
	uint64_t late;           /* instants run more than 1 ms after their wall time */
	uint64_t waits;          /* times the pacer slept */
	uint64_t inputs;         /* wakeups by input from a TAP */
};
void tern_simrt_get_stats(const struct tern_simrt *rt, struct tern_simrt_stats *out);

struct tern_simrt_bridge_stats {
	uint64_t to_tap, to_tap_bytes;     /* frames written to the kernel */
	uint64_t from_tap, from_tap_bytes; /* frames read from it, into the lab */
	uint64_t tap_errors;               /* writes the kernel refused (queue full, gone) */
	bool dead;                         /* the TAP reported an error: no longer read */
};
/* TERN_EINVAL past the last bridge. */
int tern_simrt_bridge_get_stats(const struct tern_simrt *rt, unsigned bridge,
				struct tern_simrt_bridge_stats *out);

#endif
