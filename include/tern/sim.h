/*
 * tern/sim.h — the in-process runner: hosts, routers, switches and links in
 * deterministic virtual time. The seed of the full lab (topology files,
 * scenarios) that comes later.
 *
 * Build a topology, then step time. Every stack gets a seed derived from
 * the simulation's seed and its creation order; links and fault injectors
 * likewise. Events at the same instant run in creation order, so the same
 * seed and the same calls give the same run, byte for byte.
 *
 * Cost follows work: the next event comes from one heap over every stack
 * and link end, each rescheduled when its deadline moves (the simulator
 * installs tern_stack_set_wake and tern_netdev_set_wake hooks on what it
 * polls; don't replace them), so idle hosts cost nothing.
 */
#ifndef TERN_SIM_H
#define TERN_SIM_H

#include "tern/netdev.h"
#include "tern/stack.h"

struct tern_sim;

struct tern_sim *tern_sim_create(uint64_t seed);
/* Destroys every node, link and device the simulation made. */
void tern_sim_destroy(struct tern_sim *sim);

/* Write a pcap per interface, dir/<node>-<ifname>.pcap, for every link
 * created after this call. dir must exist. Virtual time 0 is written as
 * TERN_SIM_PCAP_EPOCH, 2000-01-01 00:00:00 UTC (946684800 s after 1970),
 * so a capture reads as a plausible date and its times since the start
 * are exact; each record is flushed as it is written. */
#define TERN_SIM_PCAP_EPOCH TERN_SEC(946684800)
void tern_sim_capture(struct tern_sim *sim, const char *dir);

/* A host (forwarding off) or router (forwarding on); names are unique.
 * cfg may be NULL for defaults; its seed and name are overridden. */
struct tern_stack *tern_sim_host(struct tern_sim *sim, const char *name,
				 const struct tern_stack_config *cfg);
struct tern_stack *tern_sim_router(struct tern_sim *sim, const char *name,
				   const struct tern_stack_config *cfg);
struct tern_stack *tern_sim_node(const struct tern_sim *sim, const char *name);
struct tern_switch *tern_sim_switch(struct tern_sim *sim, const char *name, unsigned ports);

/* Link properties. The zero value is an ideal 1500-byte-MTU Ethernet link. */
struct tern_sim_link_opts {
	uint64_t rate_bps;   /* 0: infinitely fast */
	tern_time_t delay;   /* one way */
	uint32_t mtu;        /* 0: 1500 */
	double loss;         /* per frame, each direction */
	double duplicate, corrupt, reorder;
	tern_time_t jitter;
	struct tern_burst_loss burst; /* bursty loss (Gilbert-Elliott); p 0: none */
	bool jitter_keeps_order;      /* jitter without reordering (tern_fault_params) */
	uint32_t queue_bytes; /* per direction, awaiting serialization; 0: 256 KiB */
	enum tern_qdisc qdisc;        /* drop-tail (0) or RED (tern/netdev.h); fixed at creation */
	struct tern_red_params red;   /* RED's, seeded from the simulator's seed */
	bool impairable;      /* give the link a fault injector even without
			       * impairments, so tern_sim_link_update may add them */
};

/* Connect two stacks: a new interface on each (named eth0, eth1, ... in
 * order), with the given "addr/plen" (NULL for none). Returns 0 or a
 * negative tern_err; the new interface indexes go to *if_a / *if_b if
 * non-NULL. */
int tern_sim_connect(struct tern_sim *sim, struct tern_stack *a, const char *addr_a,
		     struct tern_stack *b, const char *addr_b,
		     const struct tern_sim_link_opts *opts, int *if_a, int *if_b);
/* Connect a stack to a switch port with a link. */
int tern_sim_connect_switch(struct tern_sim *sim, struct tern_stack *a, const char *addr_a,
			    struct tern_switch *sw, const struct tern_sim_link_opts *opts,
			    int *if_a);

/* A switch port whose far end is outside the simulation: a link (with
 * opts) from the switch to a device returned to the caller, who installs
 * its receive callback (tern_netdev_set_rx: frames the lab sends out) and
 * transmits into it (frames entering the lab) at tern_sim_now. The link is
 * numbered like the others and captured as capture_name-NAME.pcap
 * (capture_name NULL: not captured); the simulation owns and frees it.
 * NULL with *err set on failure. The TAP bridge (tern/simrt.h) uses it. */
struct tern_netdev *tern_sim_switch_port(struct tern_sim *sim, struct tern_switch *sw,
					 const char *name, const char *capture_name,
					 const struct tern_sim_link_opts *opts, int *err);

/* Links are numbered in creation order from 0 (tern_sim_link_count,
 * below): each tern_sim_connect and tern_sim_connect_switch makes one. */
/* Cut a link (up false) or restore it. A cut link loses every frame in
 * both directions, those already on the wire included (counted as
 * drop_down in tern_link_stats). 0 or TERN_EINVAL. */
int tern_sim_link_set_up(struct tern_sim *sim, size_t link, bool up);
/* Change a link's rate, delay and impairments from now on (its MTU stays;
 * frames on the wire keep their arrival times). Loss, duplication,
 * corruption, reordering, jitter and bursty loss need the link's fault injector: it has
 * one if it was created impaired or `impairable`; else TERN_EINVAL. */
int tern_sim_link_update(struct tern_sim *sim, size_t link, const struct tern_sim_link_opts *opts);
/* The counters of a link's direction from end `side` (0: the stack that
 * tern_sim_connect named first). 0 or TERN_EINVAL. */
int tern_sim_link_stats(const struct tern_sim *sim, size_t link, int side,
			struct tern_link_stats *out);
/* The fault injector's counters for frames sent from end `side` (zeros
 * for a link without one). 0 or TERN_EINVAL. */
int tern_sim_link_fault_stats(const struct tern_sim *sim, size_t link, int side,
			      struct tern_fault_stats *out);

tern_time_t tern_sim_now(const struct tern_sim *sim);
/* When the next event is due (TERN_TIME_NEVER if nothing is scheduled). */
tern_time_t tern_sim_next(const struct tern_sim *sim);
/* Run every event up to and including time t; now becomes t. */
void tern_sim_run_until(struct tern_sim *sim, tern_time_t t);
void tern_sim_run_for(struct tern_sim *sim, tern_time_t dt);
/* Run until done(ctx) is true (checked after each instant), nothing is
 * left to do, or `limit` is reached. Returns true if done() said so. */
bool tern_sim_run_while(struct tern_sim *sim, bool (*done)(void *ctx), void *ctx,
			tern_time_t limit);

/* ---- counters, for benchmarks and reports ---- */

struct tern_sim_stats {
	uint64_t instants;     /* distinct virtual times at which something ran */
	uint64_t rounds;       /* passes over the items due at an instant */
	uint64_t events;       /* polls of a stack or device that had work due */
	uint64_t stack_polls, dev_polls; /* events, by kind */
	uint64_t wakeups;      /* deadlines reported as moved earlier */
	size_t nodes, links, switches;
	size_t scheduled;      /* stacks and link ends with a deadline */
};
void tern_sim_get_stats(const struct tern_sim *sim, struct tern_sim_stats *out);

/* Links in creation order (tern_link_get_stats reads one: frames, drops,
 * what is queued); end 0 is the first stack given to tern_sim_connect or
 * the stack of tern_sim_connect_switch, end 1 the other stack or the
 * switch port. NULL past the end. */
size_t tern_sim_link_count(const struct tern_sim *sim);
struct tern_link *tern_sim_link_get(const struct tern_sim *sim, size_t i);
/* Switches in creation order (tern_switch_get_stats, tern_switch_set_aging). */
size_t tern_sim_switch_count(const struct tern_sim *sim);
struct tern_switch *tern_sim_switch_get(const struct tern_sim *sim, size_t i);

#endif
